"""The audit log as supervisors browse it: who opened or changed what, and when.

Filters (all optional, combined with AND):
- `actor`: a username, `user:<id>`, `device:<id>` or `server`;
- `action`: exact (`report.read`) or a prefix ending in `*` (`report.*`);
- `target`: exact (`report/<id>`), a prefix ending in `*`, or a bare incident id, which matches
  its report, incident and reply (`report/<id>`, `incident/<id>`, `reply/<id>`);
- `from`, `to`: as for the statistics (dates in local time, date-times, epoch seconds);
- paging: newest first, `limit` entries before the entry id `before`; the answer's `next_before`
  asks for the next page (keyset paging: an entry appended meanwhile never shifts a page).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from app import inputs
from app.stats.query import invalid, parse_time

PARAMS = frozenset({"actor", "action", "target", "from", "to", "before", "limit", "format", "lang"})
TARGET_KINDS = ("report", "incident", "reply")


@dataclass(frozen=True)
class AuditQuery:
    actor: str | None = None
    action: str | None = None
    target: str | None = None
    lo: float | None = None
    hi: float | None = None
    before: int | None = None
    limit: int = 100

    def echo(self) -> dict[str, Any]:
        return {"actor": self.actor, "action": self.action, "target": self.target,
                "from_ts": self.lo, "to_ts": self.hi, "before": self.before, "limit": self.limit}


def parse(params: Mapping[str, str], max_limit: int, default_limit: int) -> AuditQuery:
    unknown = sorted(set(params) - PARAMS)
    if unknown:
        raise invalid(f"Unknown parameter {', '.join(unknown)}; the audit log takes "
                      f"{', '.join(sorted(PARAMS))}.")
    limit = inputs.whole(params, "limit", default_limit, 1, max_limit) or default_limit
    # An entry id: the 64 bits of SQLite's and PostgreSQL's BIGINT, never more.
    before = inputs.whole(params, "before", None, 1, inputs.INT64_MAX)
    lo = parse_time("from", params["from"], end=False) if params.get("from") else None
    hi = parse_time("to", params["to"], end=True) if params.get("to") else None
    if lo is not None and hi is not None and lo >= hi:
        raise invalid("from must come before to.")
    return AuditQuery(params.get("actor") or None, params.get("action") or None,
                      params.get("target") or None, lo, hi, before, limit)


def _prefix(column: str, value: str, where: list[str], args: list[Any]) -> None:
    """`value*` as a range, which the index answers (LIKE would need escaping and a scan)."""
    if value.endswith("*"):
        where.append(f"{column} >= ? AND {column} < ?")
        args += [value[:-1], value[:-1] + "\U0010ffff"]
    else:
        where.append(f"{column} = ?")
        args.append(value)


def search(conn: Any, q: AuditQuery) -> tuple[list[dict[str, Any]], int | None]:
    """The entries, newest first, and the `before` of the next page (None on the last)."""
    where: list[str] = []
    args: list[Any] = []
    if q.actor:
        kind, _, ident = q.actor.partition(":")
        if q.actor == "server":
            where.append("a.actor_kind = 'server'")
        elif ident and kind in ("user", "device"):
            where.append("a.actor_kind = ? AND a.actor_id = ?")
            args += [kind, ident]
        else:
            row = conn.execute("SELECT id FROM users WHERE username = ?", (q.actor,)).fetchone()
            where.append("a.actor_kind = 'user' AND a.actor_id = ?")
            args.append(str(row[0]) if row else "")
    if q.action:
        _prefix("a.action", q.action, where, args)
    if q.target:
        if "/" in q.target or q.target.endswith("*"):
            _prefix("a.target", q.target, where, args)
        else:
            where.append(f"a.target IN ({', '.join('?' * len(TARGET_KINDS))})")
            args += [f"{kind}/{q.target}" for kind in TARGET_KINDS]
    if q.lo is not None:
        where.append("a.at >= ?")
        args.append(q.lo)
    if q.hi is not None:
        where.append("a.at < ?")
        args.append(q.hi)
    if q.before is not None:
        where.append("a.id < ?")
        args.append(q.before)
    sql = f"""SELECT a.id, a.at, a.actor_kind, a.actor_id, a.actor_role, a.action, a.target,
                     a.detail, u.username AS actor_name, u.display_name AS actor_display_name
              FROM audit_log a
              LEFT JOIN users u ON a.actor_kind = 'user' AND CAST(u.id AS TEXT) = a.actor_id
              WHERE {' AND '.join(where) or 'TRUE'} ORDER BY a.id DESC LIMIT ?"""
    rows = [dict(r) for r in conn.execute(sql, (*args, q.limit + 1))]
    more = len(rows) > q.limit
    rows = rows[: q.limit]
    for row in rows:
        row["detail"] = json.loads(row["detail"]) if row["detail"] else {}
    return rows, rows[-1]["id"] if more and rows else None
