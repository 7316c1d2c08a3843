"""Public warnings, the JSON API (issue 24; docs/warnings.md has the flow, DESIGN the contract).

- `POST /api/warnings` (dispatcher, supervisor) a draft → 201 `{id, status: "draft"}`.
- `POST /api/warnings/{id}/update` (dispatcher, supervisor) the same body → 201
  `{id, status: "draft", references}`: a new version of a published warning.
- `POST /api/warnings/{id}/approve` (a supervisor who is not the author) → 200
  `{id, status: "published", references}`; the author → 403 `own_warning`.
- `POST /api/warnings/{id}/cancel` (dispatcher, supervisor) → 200
  `{id, status: "cancelled", cancel_id}`: immediate; `cancel_id` is the CAP Cancel message
  delivered to the phones (null for a draft, which nobody received).
- `GET /api/warnings` public → `{warnings: [...]}` in force (`?exercise=1` adds exercises);
  `?all=1` (dispatcher, supervisor) → the latest messages of every status with author, approver,
  delivery counts and answers.
- `GET /api/warnings/{id}` public for a message that was published; police see drafts too.
- `POST /api/warnings/{id}/answers` (citizen device) `{answer: "safe" | "need_help"}` → 200.
- `GET /api/warnings/wards` public → `{wards: [{code, name}]}`, and
  `GET /api/warnings/wards.geojson` the boundaries, so a phone finds its own ward itself.
- `GET`/`PUT /api/citizen/devices/me/areas` (citizen device) `{wards: [codes], exercises?}` →
  `{wards: [{code, name}], exercises}`.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from app.errors import ApiError
from app.identity.auth import principal_of, require_principal
from app.inputs import choice, whole
from app.services import services
from app.warnings import reads
from app.warnings.drafts import APPROVERS, DRAFTERS
from app.web.bodies import json_object

NO_CACHE = {"Cache-Control": "no-cache"}
MAX_ID = 64


def _id(request: Request) -> str:
    warning_id = request.path_params["warning_id"]
    if len(warning_id) > MAX_ID:
        raise ApiError(404, "not_found", "No warning with this id.")
    return str(warning_id)


async def create(request: Request) -> Response:
    author = require_principal(request, *DRAFTERS)
    result = await services(request).warnings.draft(author, await json_object(request))
    return JSONResponse(result, status_code=201)


async def update(request: Request) -> Response:
    author = require_principal(request, *DRAFTERS)
    body = await json_object(request)
    result = await services(request).warnings.draft_update(author, _id(request), body)
    return JSONResponse(result, status_code=201)


async def approve(request: Request) -> Response:
    approver = require_principal(request, *APPROVERS)
    return JSONResponse(await services(request).warnings.approve(approver, _id(request)))


async def cancel(request: Request) -> Response:
    who = require_principal(request, *DRAFTERS)
    return JSONResponse(await services(request).warnings.cancel(who, _id(request)))


async def list_warnings(request: Request) -> Response:
    svc = services(request)
    params = request.query_params
    now = svc.clock()
    if choice(params, "all", ("0", "1"), "0") == "1":
        require_principal(request, *DRAFTERS)
        limit = whole(params, "limit", default=100, lo=1, hi=500) or 100
        found = await svc.db.read(lambda c: reads.for_police(c, now, limit))
        return JSONResponse({"warnings": found}, headers={"Cache-Control": "private, no-store"})
    exercise = choice(params, "exercise", ("0", "1"), "0") == "1"
    found = await svc.db.read(lambda c: reads.active(c, now, exercise))
    # Phones ask often (on start, on coming online, on a push): unchanged costs a 304.
    body = json.dumps({"warnings": found}, ensure_ascii=False, separators=(",", ":")).encode()
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    headers = {**NO_CACHE, "ETag": etag}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/json", headers=headers)


async def get_warning(request: Request) -> Response:
    svc = services(request)
    warning_id, now = _id(request), svc.clock()
    principal = principal_of(request)
    if principal is not None and principal.is_police and principal.role in DRAFTERS:
        found: Any = await svc.db.read(lambda c: _police_one(c, warning_id, now))
        headers = {"Cache-Control": "private, no-store"}
    else:
        found = await svc.db.read(lambda c: reads.public_one(c, warning_id, now))
        headers = NO_CACHE
    if found is None:
        raise ApiError(404, "not_found", "No published warning with this id.")
    return JSONResponse(found, headers=headers)


def _police_one(conn: Any, warning_id: str, now: float) -> dict[str, Any] | None:
    # The police list's shape for one message, whatever its age.
    return next(iter(reads.for_police_ids(conn, now, [warning_id])), None)


async def answer(request: Request) -> Response:
    device = require_principal(request, citizen=True)
    if not device.is_citizen:
        raise ApiError(403, "forbidden", "Only a citizen device answers a warning.")
    body = await json_object(request)
    return JSONResponse(await services(request).warning_answers.answer(device, _id(request), body))


async def wards(request: Request) -> Response:
    rows = await services(request).db.read(
        lambda c: [{"code": int(r[0]), "name": r[1]} for r in c.execute("SELECT code, name FROM wards ORDER BY name")]
    )
    return JSONResponse({"wards": rows}, headers={"Cache-Control": "public, max-age=3600"})


async def ward_boundaries(request: Request) -> Response:
    """The ward boundaries are public facts (the city publishes them): the phone finds which ward
    it is in by itself, and tells the server only the code."""
    body, etag = services(request).directory.boundaries_json()
    headers = {"ETag": etag, "Cache-Control": "public, no-cache"}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/json", headers=headers)


def _device(request: Request) -> Any:
    device = require_principal(request, citizen=True)
    if not device.is_citizen:
        raise ApiError(403, "forbidden", "Only a citizen device follows wards.")
    return device


async def get_areas(request: Request) -> Response:
    return JSONResponse(await services(request).warning_areas.get(_device(request)), headers={"Cache-Control": "no-store"})


async def put_areas(request: Request) -> Response:
    device = _device(request)
    return JSONResponse(await services(request).warning_areas.put(device, await json_object(request)))
