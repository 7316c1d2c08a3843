"""Where the units are (issue 16; the rules in app/incidents/positions.py, the why in docs/positions.md).

- `PUT /api/officers/me/position`: an officer's fix `{lat, lon, accuracy, at}` (`at`: ms, the
  phone's clock), or the offline batch as a JSON list of such fixes → 204. 401 anonymous, 403
  citizen devices and other roles, 409 `off_duty` when the officer is not on duty (the phone then
  drops what it held), 422 for a value out of range (lat −90..90, lon −180..180, accuracy
  0..5,000 m, `at` at most 2 min ahead of the server's clock).
- `GET /api/units/positions` (dispatcher, supervisor, admin): a JSON list of the on-duty officers'
  latest positions `{username, display_name, unit, lat, lon, accuracy, at, availability,
  incident, stale}`. Every read is audited (`units.positions.read`).
- `GET /api/units/positions/live` (same roles): a server-sent stream, an `event: snapshot` with
  that list, then an `event: position` per change of one officer (a row without lat/lon: off the
  map). Opening it is audited (`units.positions.live`) and counts as one read.
- `GET /api/incidents/<id>/track?officer=<username>` (supervisors only): the officer's fixes
  between their unit's dispatch to the incident and its clearing. Audited (`officer.track.read`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from app.errors import ApiError
from app.identity import audit
from app.identity.auth import Principal, require_principal
from app.incidents import positions
from app.services import Services, services
from app.storage.base import Connection
from app.web.bodies import json_value
from app.web.incidents import INCIDENT_ID

CENTER_ROLES = ("dispatcher", "supervisor", "admin")
MAX_USERNAME = 100  # longer than any account's: refused before a query
KEEPALIVE_S = 15  # a comment line this often keeps proxies from closing an idle stream


def officer_row(svc: Services, tx: Connection, user_id: int, now: float) -> dict[str, Any] | None:
    """What the consoles are told after this officer's position or availability changed: the
    listed row, or a row without a position when the officer is off the map."""
    settings = svc.settings
    rows = positions.latest(
        tx, now, settings.position_retention_s, settings.position_stale_s, user_id
    )
    if rows:
        return rows[0]
    who = tx.execute(
        """SELECT u.username, u.unit, a.status FROM users u
           LEFT JOIN officer_availability a ON a.user_id = u.id WHERE u.id = ?""",
        (user_id,),
    ).fetchone()
    return None if who is None else positions.gone_row(who["username"], who["unit"], who["status"])


def announce(svc: Services, tx: Connection, user_id: int, now: float) -> dict[str, Any] | None:
    """Inside the write: build the officer's row and tell the other processes at commit. The
    caller hands the answer to `svc.positions.deliver` after the commit, for this process."""
    row = officer_row(svc, tx, user_id, now)
    if row is not None:
        svc.positions.announce(tx, row)
    return row


async def put_my_position(request: Request) -> Response:
    principal = require_principal(request, "officer")
    svc = services(request)
    now = time.time()
    try:
        fixes = positions.parse_fixes(await json_value(request), now)
    except positions.InvalidFix as exc:
        raise ApiError(422, "invalid", str(exc), field="body") from exc
    user_id = int(principal.id)

    def write(tx: Connection) -> dict[str, Any] | None:
        if positions.availability_of(tx, user_id) not in positions.ON_DUTY:
            raise ApiError(
                409, "off_duty", "Positions are shared only while on duty (available or busy)."
            )
        if not positions.record(tx, user_id, fixes, now, svc.settings.position_retention_s):
            return None
        return announce(svc, tx, user_id, now)

    row = await svc.db.write(write)
    if row is not None:
        svc.positions.deliver(row)
    return Response(status_code=204)


def _read(svc: Services, principal: Principal, action: str) -> Any:
    def read(tx: Connection) -> list[dict[str, Any]]:
        settings = svc.settings
        rows = positions.latest(
            tx, time.time(), settings.position_retention_s, settings.position_stale_s
        )
        audit.append(tx, principal, action, "units/positions", count=len(rows))
        return rows

    return read


async def unit_positions(request: Request) -> Response:
    principal = require_principal(request, *CENTER_ROLES)
    svc = services(request)
    rows = await svc.db.write(_read(svc, principal, "units.positions.read"))
    return JSONResponse(rows, headers={"Cache-Control": "no-store"})


async def live_positions(request: Request) -> Response:
    principal = require_principal(request, *CENTER_ROLES)
    svc = services(request)

    async def stream() -> AsyncIterator[str]:
        # Listen first, then read the snapshot: a change committed in between arrives twice
        # (harmless, the newer `at` wins on the console) rather than never.
        with svc.positions.listen(principal.session_id) as queue:
            rows = await svc.db.write(_read(svc, principal, "units.positions.live"))
            yield f"retry: 3000\nevent: snapshot\ndata: {positions.event_json(rows)}\n\n"
            while True:
                try:
                    row = await asyncio.wait_for(queue.get(), KEEPALIVE_S)
                except TimeoutError:
                    yield ": keep-alive\n\n"
                    continue
                if row is None:
                    return
                yield f"event: position\ndata: {positions.event_json(row)}\n\n"

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


async def incident_track(request: Request) -> Response:
    principal = require_principal(request, "supervisor")
    incident_id = str(request.path_params["incident_id"])
    if not INCIDENT_ID.match(incident_id):
        raise ApiError(422, "invalid", "The incident id is malformed.", field="incident_id")
    username = (request.query_params.get("officer") or "").strip()
    if not username:
        raise ApiError(422, "invalid", "Name the officer: ?officer=<username>.", field="officer")
    if len(username) > MAX_USERNAME:
        raise ApiError(422, "invalid", f"officer is at most {MAX_USERNAME} characters.", field="officer")
    svc = services(request)

    def read(tx: Connection) -> dict[str, Any] | None:
        found = positions.track(tx, incident_id, username)
        audit.append(
            tx, principal, "officer.track.read", f"incident/{incident_id}",
            officer=username, points=None if found is None else len(found["positions"]),
        )
        return found

    found = await svc.db.write(read)
    if found is None:
        raise ApiError(
            404, "not_found", "No such officer, or their unit was never dispatched to this incident."
        )
    return JSONResponse(found, headers={"Cache-Control": "no-store"})
