"""Incidents for the command center: duplicate candidates for a merge, and the dispatch timers.

- `GET /api/incidents/timers` → `{triage_timeout_s, ack_timeout_s}`: the console counts down to
  the same deadlines the server escalates at (app/incidents/timers.py), so it asks rather than guesses.
- `GET /api/incidents/<id>/candidates` → `{incident, radius_m, window_s, candidates: [...]}`:
  the open incidents that may be the same event as `<id>` — within `RADIUS_M` of it and
  `WINDOW_S` of its arrival, nearest first — for the dispatcher's "merge as a duplicate".

- `GET /api/incidents/<id>/reporters` → `{incident, reporters: [{id, arrived_at, channel, merged}]}`:
  whose citizens a police message on `<id>` can reach — its own report first, then the reports
  merged into it — so that the console's message form says who will read it and lets the
  dispatcher address one reporter or all of them explicitly (`to` in the message entry).

All are for the roles that see the whole city (dispatcher, supervisor, admin); officers get 403.
The candidates are read from the projected `incidents` rows, never from the documents.
"""

from __future__ import annotations

import math
import re
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from app.errors import ApiError
from app.identity import audit
from app.identity.auth import require_principal
from app.incidents.state import OPEN_STATUSES
from app.services import services

CENTER_ROLES = ("dispatcher", "supervisor", "admin")
RADIUS_M = 300.0
WINDOW_S = 30 * 60
EARTH_RADIUS_M = 6_371_008.8
# A box around the point that surely holds the circle, so SQLite narrows the rows before the exact
# distance is computed here: 1° of latitude is ~111 km; a degree of longitude shrinks by cos(lat).
LAT_DEGREES = RADIUS_M / 111_000 * 1.1
INCIDENT_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
SUMMARY_CHARS = 140


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine); ample for a few hundred metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


async def timers(request: Request) -> Response:
    require_principal(request, *CENTER_ROLES)
    settings = services(request).settings
    return JSONResponse(
        {"triage_timeout_s": settings.triage_timeout_s, "ack_timeout_s": settings.ack_timeout_s}
    )


async def candidates(request: Request) -> Response:
    principal = require_principal(request, *CENTER_ROLES)
    incident_id = str(request.path_params["incident_id"])
    if not INCIDENT_ID.match(incident_id):
        raise ApiError(404, "not_found", "There is no such incident.")
    svc = services(request)
    found = await svc.db.read(lambda conn: _candidates(conn, incident_id))
    if found is None:
        raise ApiError(404, "not_found", "There is no such incident.")
    # The answer quotes other incidents' descriptions: a police read like any other.
    await audit.record(
        svc.db, principal, "incident.candidates", f"incident/{incident_id}",
        found=[c["id"] for c in found],
    )
    return JSONResponse(
        {"incident": incident_id, "radius_m": RADIUS_M, "window_s": WINDOW_S, "candidates": found},
        headers={"Cache-Control": "private, no-store"},
    )


def _candidates(conn: Any, incident_id: str) -> list[dict[str, Any]] | None:
    me = conn.execute(
        "SELECT lat, lon, arrived_at FROM incidents WHERE id = ?", (incident_id,)
    ).fetchone()
    if me is None:
        return None
    if me["lat"] is None or me["lon"] is None:
        return []  # no place to compare: the console offers the open queue instead
    lat, lon, arrived = float(me["lat"]), float(me["lon"]), float(me["arrived_at"])
    lon_degrees = LAT_DEGREES / max(0.01, math.cos(math.radians(lat)))
    marks = ",".join("?" * len(OPEN_STATUSES))
    rows = conn.execute(
        f"""SELECT i.id, i.status, i.category, i.priority, i.lat, i.lon, i.arrived_at, i.ward_code,
                   w.name AS ward_name, r.description, r.media_count
            FROM incidents i JOIN reports r ON r.id = i.id LEFT JOIN wards w ON w.code = i.ward_code
            WHERE i.id != ? AND i.status IN ({marks})
              AND i.lat BETWEEN ? AND ? AND i.lon BETWEEN ? AND ?
              AND i.arrived_at BETWEEN ? AND ?""",
        (
            incident_id, *OPEN_STATUSES,
            lat - LAT_DEGREES, lat + LAT_DEGREES, lon - lon_degrees, lon + lon_degrees,
            arrived - WINDOW_S, arrived + WINDOW_S,
        ),
    ).fetchall()
    found = []
    for row in rows:
        metres = distance_m(lat, lon, row["lat"], row["lon"])
        if metres > RADIUS_M:
            continue
        found.append(
            {
                "id": row["id"],
                "status": row["status"],
                "category": row["category"],
                "priority": row["priority"],
                "arrived_at": row["arrived_at"] * 1000,  # ms, like every time the apps read
                "ward_code": row["ward_code"],
                "ward_name": row["ward_name"],
                "lat": row["lat"],
                "lon": row["lon"],
                "distance_m": round(metres, 1),
                "seconds_apart": round(row["arrived_at"] - arrived, 1),
                "summary": (row["description"] or "")[:SUMMARY_CHARS],
                "media_count": row["media_count"],
            }
        )
    found.sort(key=lambda c: (c["distance_m"], abs(c["seconds_apart"]), c["id"]))
    return found


async def reporters(request: Request) -> Response:
    require_principal(request, *CENTER_ROLES)
    incident_id = str(request.path_params["incident_id"])
    if not INCIDENT_ID.match(incident_id):
        raise ApiError(404, "not_found", "There is no such incident.")
    found = await services(request).db.read(lambda conn: _reporters(conn, incident_id))
    if found is None:
        raise ApiError(404, "not_found", "There is no such incident.")
    return JSONResponse(
        {"incident": incident_id, "reporters": found}, headers={"Cache-Control": "private, no-store"}
    )


def _reporters(conn: Any, incident_id: str) -> list[dict[str, Any]] | None:
    rows = conn.execute(
        """SELECT i.id, i.arrived_at, i.channel, i.id != ? AS merged FROM incidents i
           WHERE i.id = ? OR (i.merged_into = ? AND i.status = 'merged')
           ORDER BY i.id != ?, i.arrived_at, i.id""",
        (incident_id, incident_id, incident_id, incident_id),
    ).fetchall()
    if not rows or rows[0]["id"] != incident_id:
        return None
    return [
        {"id": r["id"], "arrived_at": r["arrived_at"] * 1000, "channel": r["channel"], "merged": bool(r["merged"])}
        for r in rows
    ]
