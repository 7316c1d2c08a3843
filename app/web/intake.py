"""Phone intake: a dispatcher turns a call (113, the center's line) into a report.

`POST /api/incidents/phone` JSON `{category, description, caller: {name, phone}, lat, lon}` or,
when the caller can only say which ward, `{..., ward: <official code>}` instead of lat/lon: the
ward's representative point is used and the location marked approximate; `approximate: true`
with lat/lon marks a point found by address search (a ward's point, issue 30) the same way. → 201
`{id, ward_code, approximate}`. Dispatchers only (403 for others); 422 with the reason for bad input.

The report then takes the app's own path (app/incidents/intake.py): same routing, timers, inboxes
and statistics, with channel "phone" and the dispatcher as its author.
"""

from __future__ import annotations

import math
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from app import inputs
from app.errors import ApiError
from app.identity.auth import require_principal
from app.incidents import intake
from app.services import services
from app.web.bodies import json_object
from sync import Refused


def _number(body: dict[str, Any], name: str) -> float:
    value = body.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ApiError(422, "invalid", f"{name} must be a number (WGS84 degrees).", field=name)
    return float(value)


def _text(value: Any, name: str) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ApiError(422, "invalid", f"{name} must be text.", field=name)
    return value.strip() or None


async def phone_report(request: Request) -> Response:
    dispatcher = require_principal(request, "dispatcher")
    body = await json_object(request)
    svc = services(request)
    caller = body.get("caller") or {}
    if not isinstance(caller, dict):
        raise ApiError(422, "invalid", "caller must be {name, phone}.", field="caller")
    description = inputs.text(body, "description", max_chars=intake.MAX_DESCRIPTION)
    approximate, accuracy = False, None
    if body.get("ward") is not None:
        ward = body["ward"]
        # ASCII digits only: str.isdigit() is true for '²' (int() then raised: a 500) and '٣'.
        raw = str(ward) if isinstance(ward, int) and not isinstance(ward, bool) else ward
        code = inputs.whole_value(raw, "ward", 0, 10**9) if isinstance(raw, str) else None
        place = svc.directory.ward_point(code) if code is not None else None
        if place is None:
            raise ApiError(422, "invalid", f"ward must be the official code of a ward with a boundary; "
                           f"got {str(ward)[:40]!r}.", field="ward")
        lat, lon, accuracy = place
        approximate = True
    else:
        lat, lon = _number(body, "lat"), _number(body, "lon")
        approximate = body.get("approximate") is True
    report = intake.Intake(
        channel="phone",
        author=dispatcher.username or dispatcher.id,
        actor=dispatcher,
        category=inputs.text(body, "category", max_chars=40) or "",
        description=description,
        lat=lat,
        lon=lon,
        accuracy=accuracy,
        approximate=approximate,
        contact_name=_text(caller.get("name"), "caller.name"),
        contact_phone=_text(caller.get("phone"), "caller.phone"),
    )
    try:
        report_id = await intake.submit(svc, report)
    except intake.Rejected as exc:
        raise ApiError(422, "invalid", str(exc)) from exc
    except Refused as exc:
        raise ApiError(exc.status, exc.code, str(exc)) from exc
    row = await svc.db.read(
        lambda c: c.execute("SELECT ward_code FROM incidents WHERE id = ?", (report_id,)).fetchone()
    )
    return JSONResponse(
        {"id": report_id, "ward_code": row[0] if row else None, "approximate": approximate},
        status_code=201,
    )
