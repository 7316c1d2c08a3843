"""Accounts and the audit log, for admins and supervisors."""

from __future__ import annotations

import asyncio

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .. import audit
from ..auth import require_principal
from ..errors import ApiError
from ..services import services
from .bodies import json_object


async def list_users(request: Request) -> Response:
    require_principal(request, "admin")
    rows = await services(request).db.read(
        lambda c: [
            dict(r)
            for r in c.execute(
                "SELECT id, username, role, unit, display_name, active, created_at FROM users ORDER BY username"
            )
        ]
    )
    return JSONResponse({"users": rows})


async def create_user(request: Request) -> Response:
    require_principal(request, "admin")
    body = await json_object(request)
    try:
        user_id = await asyncio.to_thread(
            services(request).accounts.create_sync,
            str(body.get("username", "")),
            str(body.get("password", "")),
            str(body.get("role", "")),
            body.get("unit") or None,
            body.get("display_name") or None,
        )
    except ValueError as exc:
        raise ApiError(422, "invalid", str(exc)) from exc
    return JSONResponse({"id": user_id}, status_code=201)


async def audit_log(request: Request) -> Response:
    require_principal(request, "supervisor", "admin")
    target = request.query_params.get("target")
    try:
        limit = min(int(request.query_params.get("limit", "200")), 1000)
        before = int(request.query_params["before"]) if "before" in request.query_params else None
    except ValueError as exc:
        raise ApiError(422, "invalid", "limit and before must be whole numbers.") from exc
    rows = await services(request).db.read(lambda c: audit.entries(c, target, limit, before))
    return JSONResponse({"entries": rows})
