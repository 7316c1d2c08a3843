"""The audit log: every police read of a report or incident and every change, appended, never edited.

Inside a write that already has a transaction, call `append(tx, ...)` so the entry commits with the
change it describes; for a read, `await record(db, ...)`. The table refuses UPDATE and DELETE.

The entries form a hash chain (issue 27, docs/evidence.md): each carries `prev_hash`, the `hash` of
the entry before it (64 zeros for the first), and its own `hash` over its fields (`entry_hash`).
An entry's id is the one after the head's, taken when the entry is written, so id order is chain
order. Where the head is read decides whether that order holds with several writers:
- SQLite: the entry is written at once; `BEGIN IMMEDIATE` already serialises every writer of
  every process, and the head is read inside the transaction each time (a job of a group commit
  may be rolled back to its SAVEPOINT, so a head remembered from before may never have existed).
- PostgreSQL: the entries are queued on the transaction's connection and written by its
  `before_commit` hook, at the very end, under one advisory lock: read the head, insert them
  chained, commit. The lock is held only for those inserts and the commit. A transaction made
  outside `PostgresDatabase._run_write` (a migration) writes at once under the same lock.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Mapping
from typing import Any

from app.identity.auth import Principal
from app.storage.base import Connection, Database

GENESIS = "0" * 64  # the prev_hash of the first entry
# pg_advisory_xact_lock key: one transaction at a time appends to the chain (PostgreSQL).
CHAIN_LOCK = 7_420_027
FIELDS = ("id", "at", "actor_kind", "actor_id", "actor_role", "action", "target", "detail", "prev_hash")


def canonical(entry: Mapping[str, Any]) -> bytes:
    """The bytes an entry's hash is taken over: a JSON array of its fields in FIELDS order, as
    stored (detail is the stored JSON text, a string), `at` as a float, no spaces, UTF-8.
    `json.dumps([...], ensure_ascii=False, separators=(",", ":"))`; docs/evidence.md spells it out."""
    values = [entry[name] for name in FIELDS]
    values[1] = float(values[1])
    return json.dumps(values, ensure_ascii=False, separators=(",", ":")).encode()


def entry_hash(entry: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical(entry)).hexdigest()


def _text(value: Any) -> str | None:
    return None if value is None else str(value)  # as a TEXT column gives it back


def append(
    tx: Connection,
    actor: Principal | None,
    action: str,
    target: str | None = None,
    at: float | None = None,
    **detail: Any,
) -> None:
    entry = {
        "at": float(time.time() if at is None else at),
        "actor_kind": _text(actor.kind if actor else "anonymous"),
        "actor_id": _text(actor.id if actor else "-"),
        "actor_role": _text(actor.role if actor else None),
        "action": _text(action),
        "target": _text(target),
        "detail": json.dumps(detail, ensure_ascii=False, sort_keys=True) if detail else None,
    }
    hooks = getattr(tx, "before_commit", None)
    if hooks is None:  # SQLite, or a PostgreSQL transaction without the hook: chained now
        write_chained(tx, [entry])
        return
    queue: list[dict[str, Any]] | None = getattr(tx, "audit_queue", None)
    if queue is None:
        queue = []
        tx.audit_queue = queue  # type: ignore[attr-defined]
        hooks.append(lambda conn: write_chained(conn, queue))
    queue.append(entry)


def write_chained(tx: Connection, entries: list[dict[str, Any]]) -> None:
    """Insert `entries` after the chain's head, read here, inside the writing transaction."""
    if not entries:
        return
    if tx.dialect == "postgresql":
        if not tx.in_transaction:  # autocommit: the lock would end with its own statement
            raise RuntimeError("audit entries are written inside a transaction (db.write)")
        tx.execute("SELECT pg_advisory_xact_lock(?)", (CHAIN_LOCK,))
    head = tx.execute("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()
    head_id, prev = (int(head[0]), head[1]) if head else (0, GENESIS)
    rows = []
    for entry in entries:
        head_id += 1
        chained = {**entry, "id": head_id, "prev_hash": prev}
        prev = chained["hash"] = entry_hash(chained)
        rows.append(tuple(chained[name] for name in (*FIELDS, "hash")))
    tx.executemany(
        """INSERT INTO audit_log (id, at, actor_kind, actor_id, actor_role, action, target, detail,
                                  prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        rows,
    )


async def record(
    db: Database, actor: Principal | None, action: str, target: str | None = None, **detail: Any
) -> None:
    at = time.time()
    await db.write(lambda tx: append(tx, actor, action, target, at=at, **detail))


def entries(
    conn: Any, target: str | None = None, limit: int = 200, before_id: int | None = None
) -> list[dict[str, Any]]:
    sql = "SELECT * FROM audit_log WHERE 1=1"
    args: list[Any] = []
    if target:
        sql += " AND target = ?"
        args.append(target)
    if before_id:
        sql += " AND id < ?"
        args.append(before_id)
    sql += " ORDER BY id DESC LIMIT ?"
    args.append(limit)
    rows = [dict(r) for r in conn.execute(sql, args)]
    for row in rows:
        row["detail"] = json.loads(row["detail"]) if row["detail"] else {}
    return rows
