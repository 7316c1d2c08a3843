"""Durable documents in the app's database: an append log per document, squashed into a snapshot.

Writes run inside the caller's write transaction (`append(tx, ...)`), so that a document update,
the app's projection rows and its outbox items commit together or not at all. Reads take a
connection of the app's storage and see one consistent snapshot of a document.

    create_tables(tx)                      # from the app's migration
    seq = append(tx, "report/abc", update) # inside db.write
    state = load(conn, "report/abc")       # inside db.read: merged update, or None

Squashing merges the snapshot and the log with pycrdt's `merge_updates`, which works on bytes
only, so it is safe in the writer thread (no Doc is involved) and exact (nothing is re-encoded
from an in-memory document that might not match the database).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from pycrdt import merge_updates

SCHEMA = """
CREATE TABLE sync_documents (
    name TEXT PRIMARY KEY,                 -- '<kind>/<id>'
    snapshot BLOB,                         -- updates up to snapshot_seq, merged; NULL until squashed
    snapshot_seq INTEGER NOT NULL DEFAULT 0,
    last_seq INTEGER NOT NULL DEFAULT 0,   -- seq of the newest update
    log_count INTEGER NOT NULL DEFAULT 0,  -- updates in sync_updates, not yet in the snapshot
    log_bytes INTEGER NOT NULL DEFAULT 0,
    size_bytes INTEGER NOT NULL DEFAULT 0, -- snapshot + log, what a load reads
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
);
CREATE TABLE sync_updates (
    name TEXT NOT NULL REFERENCES sync_documents(name),
    seq INTEGER NOT NULL,
    data BLOB NOT NULL,                    -- a Yjs v1 update: only what was new when it arrived
    at REAL NOT NULL,
    PRIMARY KEY (name, seq)
) WITHOUT ROWID;
-- The snapshot apart from the counters that every append updates: SQLite rewrites a whole row
-- (BLOB included) on UPDATE, so a snapshot in sync_documents made each append O(document).
CREATE TABLE sync_snapshots (
    name TEXT PRIMARY KEY REFERENCES sync_documents(name),
    seq INTEGER NOT NULL,
    data BLOB NOT NULL
);
-- Which principal first wrote with a Yjs client id in a document: nobody else may use that id
-- (reusing another writer's id and clocks would make the real writer's changes silently ignored).
CREATE TABLE sync_writers (
    name TEXT NOT NULL REFERENCES sync_documents(name),
    client INTEGER NOT NULL,
    writer TEXT NOT NULL,
    PRIMARY KEY (name, client)
) WITHOUT ROWID;
"""




def create_tables(tx: Any) -> None:
    """Create the store's tables; call from a migration (a connection with `script()`, in its transaction)."""
    tx.script(SCHEMA)


@dataclass(frozen=True)
class Squash:
    """When the log of a document is merged into its snapshot."""

    count: int = 64
    bytes: int = 256 * 1024


@dataclass(frozen=True)
class Stored:
    """A document as stored: its merged state, its last seq and its client-id bindings."""

    state: bytes
    last_seq: int
    writers: dict[int, str] = field(default_factory=dict)


def append(tx: Any, name: str, update: bytes, squash: Squash = Squash()) -> int:
    """Append `update` to the document's log in the caller's transaction; returns its seq."""
    conn = tx
    now = time.time()
    size = len(update)
    seq, log_count, log_bytes = conn.execute(
        """INSERT INTO sync_documents
               (name, last_seq, log_count, log_bytes, size_bytes, created_at, updated_at)
           VALUES (?, 1, 1, ?, ?, ?, ?)
           ON CONFLICT(name) DO UPDATE SET
               last_seq = sync_documents.last_seq + 1,
               log_count = sync_documents.log_count + 1,
               log_bytes = sync_documents.log_bytes + excluded.log_bytes,
               size_bytes = sync_documents.size_bytes + excluded.size_bytes,
               updated_at = excluded.updated_at
           RETURNING last_seq, log_count, log_bytes""",
        (name, size, size, now, now),
    ).fetchone()
    conn.execute(
        "INSERT INTO sync_updates (name, seq, data, at) VALUES (?, ?, ?, ?)",
        (name, seq, update, now),
    )
    if log_count >= squash.count or log_bytes >= squash.bytes:
        squash_log(tx, name)
    return int(seq)


def squash_log(tx: Any, name: str) -> None:
    """Merge the snapshot and the whole log into a new snapshot, in the caller's transaction."""
    conn = tx
    parts = _parts(conn, name)
    if not parts:
        return
    last_seq = parts[-1][0]
    merged = parts[0][1] if len(parts) == 1 else merge_updates(*(data for _, data in parts))
    conn.execute(
        "INSERT INTO sync_snapshots (name, seq, data) VALUES (?, ?, ?)"
        " ON CONFLICT (name) DO UPDATE SET seq = excluded.seq, data = excluded.data",
        (name, last_seq, merged),
    )
    conn.execute(
        """UPDATE sync_documents SET snapshot_seq = ?, log_count = 0, log_bytes = 0,
               size_bytes = ? WHERE name = ?""",
        (last_seq, len(merged), name),
    )
    conn.execute("DELETE FROM sync_updates WHERE name = ? AND seq <= ?", (name, last_seq))


def bind_writers(tx: Any, name: str, writers: dict[int, str]) -> None:
    """Record the first writer of each client id (the document row must exist: append first)."""
    tx.executemany(
        "INSERT INTO sync_writers (name, client, writer) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
        [(name, client, writer) for client, writer in writers.items()],
    )


def _parts(conn: Any, name: str) -> list[tuple[int, bytes]]:
    # One statement, so one consistent read even while the writer squashes this document.
    rows = conn.execute(
        """SELECT seq, data FROM sync_snapshots WHERE name = ?
           UNION ALL
           SELECT seq, data FROM sync_updates WHERE name = ?
           ORDER BY 1""",
        (name, name),
    ).fetchall()
    return [(int(row[0]), bytes(row[1])) for row in rows]


def load(conn: Any, name: str) -> bytes | None:
    """The document's merged state as one update, or None if it was never written."""
    parts = _parts(conn, name)
    if not parts:
        return None
    if len(parts) == 1:
        return parts[0][1]
    return merge_updates(*(data for _, data in parts))


def load_stored(conn: Any, name: str) -> Stored | None:
    """State, last seq and client-id bindings, read in one transaction."""
    began = not conn.in_transaction
    if began:
        conn.execute("BEGIN")
    try:
        parts = _parts(conn, name)
        if not parts:
            return None
        state = parts[0][1] if len(parts) == 1 else merge_updates(*(d for _, d in parts))
        writers = {
            int(client): str(writer)
            for client, writer in conn.execute(
                "SELECT client, writer FROM sync_writers WHERE name = ?", (name,)
            )
        }
        return Stored(state=state, last_seq=parts[-1][0], writers=writers)
    finally:
        if began:
            conn.execute("COMMIT")


@dataclass(frozen=True)
class Tail:
    """What was stored after a seq: the updates to apply in order, the new last seq, the bindings."""

    parts: list[bytes]
    last_seq: int
    writers: dict[int, str]


def load_since(conn: Any, name: str, after: int) -> Tail | None:
    """Everything stored of `name` after seq `after`, or None if nothing is. When the log was
    squashed past `after`, the snapshot stands in for the updates it absorbed: applying a state
    a document already partly has is harmless in a CRDT."""
    rows = conn.execute(
        """SELECT seq, data FROM sync_snapshots WHERE name = ? AND seq > ?
           UNION ALL
           SELECT seq, data FROM sync_updates WHERE name = ? AND seq > ?
           ORDER BY 1""",
        (name, after, name, after),
    ).fetchall()
    if not rows:
        return None
    writers = {
        int(client): str(writer)
        for client, writer in conn.execute(
            "SELECT client, writer FROM sync_writers WHERE name = ?", (name,)
        )
    }
    return Tail([bytes(row[1]) for row in rows], int(rows[-1][0]), writers)


def stats(conn: Any, name: str) -> dict[str, Any] | None:
    """Bookkeeping of one document (seqs, log length, sizes), for tests and monitoring."""
    cursor = conn.execute(
        """SELECT name, snapshot_seq, last_seq, log_count, log_bytes, size_bytes, created_at,
                  updated_at FROM sync_documents WHERE name = ?""",
        (name,),
    )
    row = cursor.fetchone()
    if row is None:
        return None
    return {column[0]: row[i] for i, column in enumerate(cursor.description)}
