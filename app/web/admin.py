"""Accounts and the audit log, for admins and supervisors."""

from __future__ import annotations

import asyncio

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from app import inputs
from app.errors import ApiError
from app.identity import audit
from app.identity.auth import require_principal
from app.services import services
from app.stats import audit as stats_audit
from app.stats import tables as stats_tables
from app.web.bodies import json_object


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
    username = inputs.text(body, "username", max_chars=64)
    password = inputs.text(body, "password", max_chars=1024)
    role = inputs.text(body, "role", max_chars=32)
    unit = inputs.text(body, "unit", required=False, max_chars=64) or None
    display_name = inputs.text(body, "display_name", required=False, max_chars=200) or None
    try:
        user_id = await asyncio.to_thread(
            services(request).accounts.create_sync, username, password, role, unit, display_name
        )
    except ValueError as exc:
        raise ApiError(422, "invalid", str(exc)) from exc
    return JSONResponse({"id": user_id}, status_code=201)


async def audit_log(request: Request) -> Response:
    """The audit log, newest first, filtered and paged (see `app/stats/audit.py`); `format=csv`
    or `/api/audit.csv` gives the same entries as a file (up to 100,000, itself audited)."""
    principal = require_principal(request, "supervisor", "admin")
    params = request.query_params
    fmt = "csv" if request.url.path.endswith(".csv") else params.get("format", "json")
    if fmt not in ("json", "csv"):
        raise ApiError(422, "invalid", "format must be json or csv.")
    lang = params.get("lang") or "vi"
    if lang not in ("vi", "en"):
        raise ApiError(422, "invalid", "lang must be vi or en.")
    csv_wanted = fmt == "csv"
    query = stats_audit.parse(
        params, max_limit=100_000 if csv_wanted else 1000, default_limit=10_000 if csv_wanted else 100
    )
    db = services(request).db
    rows, next_before = await db.read(lambda c: stats_audit.search(c, query))
    if not csv_wanted:
        return JSONResponse(
            {"entries": rows, "next_before": next_before, "query": query.echo()},
            headers={"Cache-Control": "no-store"},
        )
    # `action` and `target` would clash with record()'s own arguments.
    await audit.record(db, principal, "audit.export", None, rows=len(rows), filters={
        k: v for k, v in query.echo().items() if v is not None
    })
    return Response(
        stats_tables.to_csv(stats_tables.audit(rows, lang)),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": 'attachment; filename="sos-audit.csv"',
            "Cache-Control": "no-store",
            # More entries match than the file holds: page with `before` for the rest.
            **({"X-Next-Before": str(next_before)} if next_before else {}),
        },
    )
