"""Units, wards and routing, for the police apps."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from app import inputs
from app.directory import search
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
    params = request.query_params
    category = inputs.choice(params, "category", CATEGORIES, "other")
    for name in ("lat", "lon"):
        if not params.get(name):
            raise inputs.invalid(name, "Give lat and lon as numbers (WGS84 degrees).")
    lat = inputs.decimal_value(params["lat"], "lat", -90, 90)
    lon = inputs.decimal_value(params["lon"], "lon", -180, 180)
    route = services(request).directory.route(lat, lon, category)
    return JSONResponse(route.as_dict())


async def address_search(request: Request) -> Response:
    """`?q=` an address as people say it, before or after the 2025 merger → the wards it names,
    best first, each with an approximate point (app/directory/search.py). Police only."""
    require_principal(request)
    query = (request.query_params.get("q") or "").strip()
    if not query:
        raise inputs.invalid("q", "Type an address or a ward's name.")
    if len(query) > search.MAX_QUERY:
        raise inputs.invalid("q", f"The query is over {search.MAX_QUERY} characters.")
    directory = services(request).directory
    return JSONResponse([m.as_dict() for m in search.search(query, directory.ward_point)])
