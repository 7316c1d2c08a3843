"""Units, wards and routing, for the police apps."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from app.errors import ApiError
from app.identity.auth import require_principal
from app.services import services

CATEGORIES = ("crime", "traffic", "fire", "other")


async def units(request: Request) -> Response:
    """The active units, and the police people by id with their display names: entries in the
    incident logs are signed with a user id, and the field app shows who wrote them by name."""
    require_principal(request)

    def read(c: Any) -> dict[str, Any]:
        units = [dict(r) for r in c.execute("SELECT * FROM units WHERE active = 1 ORDER BY code")]
        people = [
            {"id": str(r["id"]), "display_name": r["display_name"]}
            for r in c.execute(
                "SELECT id, display_name FROM users WHERE active = 1 AND display_name IS NOT NULL"
            )
        ]
        return {"units": units, "people": people}

    return JSONResponse(await services(request).db.read(read))


async def ward_boundaries(request: Request) -> Response:
    """Real boundaries run to megabytes: serialised once per version, and revalidated by ETag."""
    require_principal(request)
    body, etag = services(request).directory.boundaries_json()
    headers = {"ETag": etag, "Cache-Control": "private, no-cache"}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/json", headers=headers)


async def route_preview(request: Request) -> Response:
    """Where a point and category would be routed: for a dispatcher moving a misplaced pin."""
    require_principal(request, "dispatcher", "supervisor", "admin")
    category = request.query_params.get("category", "other")
    if category not in CATEGORIES:
        raise ApiError(422, "invalid", f"category must be one of {', '.join(CATEGORIES)}")
    try:
        lat = float(request.query_params["lat"])
        lon = float(request.query_params["lon"])
    except (KeyError, ValueError) as exc:
        raise ApiError(422, "invalid", "Give lat and lon as numbers (WGS84 degrees).") from exc
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise ApiError(422, "invalid", "lat must be within ±90 and lon within ±180.")
    route = services(request).directory.route(lat, lon, category)
    return JSONResponse(route.as_dict())
