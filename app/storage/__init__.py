"""Storage: the one seam between the app and its database, its backends, and the outbox.

`base` says what every backend gives (`Database`, `Connection`, `Migration`, `background`);
`sqlite` is the embedded backend, and everything SQLite-specific sits there (PRAGMAs, the writer
thread, `BEGIN IMMEDIATE`, `user_version`, the statement splitter). A second backend is one more
module beside it. `outbox` is the one way to run background work, in the caller's transaction.

May import: nothing from `app/` (it is the bottom layer).
"""
