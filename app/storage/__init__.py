"""Storage: the one seam between the app and its database, its backends, and the outbox.

`base` says what every backend gives (`Database`, `Connection`, `Migration`, `background`);
`sqlite` is the embedded backend, and everything SQLite-specific sits there (PRAGMAs, the writer
thread, `BEGIN IMMEDIATE`, `user_version`, the statement splitter); `postgres` is the backend for
several processes (psycopg 3, a pool, NOTIFY/LISTEN), chosen by `SOS_DATABASE_URL`. `outbox` is the
one way to run background work, in the caller's transaction.

May import: nothing from `app/` (it is the bottom layer).
"""
