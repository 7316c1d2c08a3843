"""Officers' availability: an officer says whether they can take work; the command center reads it.

- `PUT /api/officers/me/availability` `{status, at?}`: officers only. `status` is `available`,
  `busy` or `off_duty`; `at` (optional, ms since epoch, the phone's clock) is when the officer
  chose it, so a change queued offline keeps its time. A change older than the one stored (a
  second phone's queue arriving late) is acknowledged but does not overwrite the newer one.
  Answers the officer's record. Audited. Stored in `officer_availability` (migration m008).
- `GET /api/officers?unit=<code>`: dispatchers, supervisors and admins read any unit, or every
  unit without `unit`; an officer reads their own unit only. Answers a JSON array of
  `{id, username, display_name, unit, availability, availability_at}` (`availability_at` in ms;
  both null for an officer who never said).
"""

from __future__ import annotations

import time
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from app.errors import ApiError
from app.identity import audit
from app.identity.auth import require_principal
from app.incidents.documents import UNIT_CODE
from app.services import services
from app.web import positions
from app.web.bodies import json_object

STATUSES = ("available", "busy", "off_duty")
# How far back a queued change may date itself: a phone that stayed offline longer than a shift
# (or has a wrong clock) is recorded at its arrival instead.
MAX_BACKDATE_S = 12 * 3600

_SELECT = """
SELECT u.id, u.username, u.display_name, u.unit, a.status AS availability, a.at AS availability_at
FROM users u LEFT JOIN officer_availability a ON a.user_id = u.id
WHERE u.role = 'officer' AND u.active = 1
"""


def _public(row: Any) -> dict[str, Any]:
    data = dict(row)
    at = data["availability_at"]
    data["availability_at"] = None if at is None else round(at * 1000)
    return data


def _chosen_at(value: Any, now: float) -> float:
    if value is None:
        return now
    # Bounded before dividing: JSON has no limit on an integer's size, float() has.
    if not isinstance(value, int | float) or isinstance(value, bool) or not 0 <= value < 1e15:
        raise ApiError(422, "invalid", "at must be a time in milliseconds since 1970.", field="at")
    at = value / 1000
    # A clock ahead of the server's is not believed; one far behind is the arrival time.
    return now if at > now or at < now - MAX_BACKDATE_S else at


async def set_my_availability(request: Request) -> Response:
    principal = require_principal(request, "officer")
    body = await json_object(request)
    status = body.get("status")
    if status not in STATUSES:
        raise ApiError(422, "invalid", f"status must be one of {', '.join(STATUSES)}.", field="status")
    now = time.time()
    at = _chosen_at(body.get("at"), now)
    user_id = int(principal.id)
    svc = services(request)
    moved: list[dict[str, Any]] = []

    def write(tx: Any) -> dict[str, Any]:
        current = tx.execute(
            "SELECT status, at FROM officer_availability WHERE user_id = ?", (user_id,)
        ).fetchone()
        if current is None or at >= current["at"]:
            tx.execute(
                "INSERT INTO officer_availability (user_id, status, at) VALUES (?, ?, ?)"
                " ON CONFLICT (user_id) DO UPDATE SET status = excluded.status, at = excluded.at",
                (user_id, status, at),
            )
            audit.append(
                tx,
                principal,
                "officer.availability",
                f"user/{user_id}",
                at=now,
                status=status,
                chosen_at=at,
            )
            # The consoles' map: an officer going off duty leaves it, one coming back returns.
            moved[:] = [r for r in [positions.announce(svc, tx, user_id, now)] if r]
        row = tx.execute(_SELECT + " AND u.id = ?", (user_id,)).fetchone()
        return _public(row)

    answer = await svc.db.write(write)
    for row in moved:
        svc.positions.deliver(row)
    return JSONResponse(answer)


async def list_officers(request: Request) -> Response:
    principal = require_principal(request, "officer", "dispatcher", "supervisor", "admin")
    unit = request.query_params.get("unit") or None
    if unit is not None and not UNIT_CODE.match(unit):
        raise ApiError(422, "invalid", "unit must be a unit code such as ward-26704.")
    if principal.role == "officer":
        if unit not in (None, principal.unit):
            raise ApiError(403, "forbidden", "An officer sees the officers of their own unit only.")
        unit = principal.unit
    sql, args = _SELECT, []
    if unit is not None:
        sql += " AND u.unit = ?"
        args.append(unit)
    sql += " ORDER BY u.unit, COALESCE(u.display_name, u.username)"
    rows = await services(request).db.read(lambda c: [_public(r) for r in c.execute(sql, args)])
    return JSONResponse(rows, headers={"Cache-Control": "no-store"})
