"""The audit log: every police read of a report or incident and every change, appended, never edited.

Inside a write that already has a transaction, call `append(tx, ...)` so the entry commits with the
change it describes; for a read, `await record(db, ...)`. The table refuses UPDATE and DELETE.
"""

from __future__ import annotations

import json
import time
from typing import Any

from app.identity.auth import Principal
from app.storage.base import Connection, Database


def append(
    tx: Connection,
    actor: Principal | None,
    action: str,
    target: str | None = None,
    at: float | None = None,
    **detail: Any,
) -> None:
    tx.execute(
        """INSERT INTO audit_log (at, actor_kind, actor_id, actor_role, action, target, detail)
           VALUES (?, ?, ?, ?, ?, ?, ?)""",
        (
            time.time() if at is None else at,
            actor.kind if actor else "anonymous",
            actor.id if actor else "-",
            actor.role if actor else None,
            action,
            target,
            json.dumps(detail, ensure_ascii=False, sort_keys=True) if detail else None,
        ),
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
