"""Accounts and the audit log, for admins and supervisors."""

from __future__ import annotations

import asyncio
import unicodedata
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from app import inputs
from app.errors import ApiError
from app.identity import audit, importing, lifecycle, passwords, sessions
from app.identity.auth import ROLES, require_principal
from app.services import services
from app.stats import audit as stats_audit
from app.stats import tables as stats_tables
from app.web.bodies import json_object, read_bounded


def _user_id(request: Request) -> int:
    return inputs.whole_value(request.path_params["user_id"], "user_id", 1, status=404, code="not_found")


async def list_users(request: Request) -> Response:
    """Accounts, searched and filtered: `q` matches username, name or phone, without caring
    for case or Vietnamese accents ("nguyen" finds "Nguyễn"); `unit`, `role`, `active`; paged."""
    require_principal(request, "admin")
    params = request.query_params
    q = _fold(params.get("q", "").strip())[:100]
    unit = params.get("unit") or None
    role = params.get("role") or None
    if role is not None and role not in ROLES:
        raise inputs.invalid("role", f"role must be one of {', '.join(ROLES)}.")
    active = params.get("active") or None
    if active is not None and active not in ACTIVE_VALUES:
        raise inputs.invalid("active", "active must be true or false.")
    limit = inputs.whole(params, "limit", 50, 1, 500) or 50
    offset = inputs.whole(params, "offset", 0, 0, 10_000_000) or 0
    svc = services(request)
    now = svc.clock()

    def read(c: Any) -> dict[str, Any]:
        sql = f"SELECT {lifecycle.USER_COLUMNS} FROM users WHERE 1=1"
        args: list[Any] = []
        if unit is not None:
            sql += " AND unit = ?"
            args.append(unit)
        if role is not None:
            sql += " AND role = ?"
            args.append(role)
        if active is not None:
            sql += " AND active = ?"
            args.append(1 if ACTIVE_VALUES[active] else 0)
        rows = [dict(r) for r in c.execute(sql + " ORDER BY username", args)]
        if q:
            rows = [r for r in rows if q in _fold(" ".join(
                str(r[k] or "") for k in ("username", "display_name", "phone")
            ))]
        page = rows[offset : offset + limit]
        ids = [int(r["id"]) for r in page]
        live = sessions.counts(c, ids, now)
        factors = lifecycle.second_factor_summaries(c, ids)
        return {
            "users": [lifecycle.public_user(r, live.get(int(r["id"]), 0), factors.get(int(r["id"])))
                      for r in page],
            "total": len(rows),
        }

    return JSONResponse(await svc.db.read(read), headers={"Cache-Control": "no-store"})


ACTIVE_VALUES = {"true": True, "1": True, "false": False, "0": False}


def _fold(text: str) -> str:
    """Lower case without accents: "Nguyễn Đức" -> "nguyen duc"."""
    decomposed = unicodedata.normalize("NFD", text.casefold().replace("đ", "d"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


async def create_user(request: Request) -> Response:
    require_principal(request, "admin")
    body = await json_object(request)
    username = inputs.text(body, "username", max_chars=64)
    password = inputs.text(body, "password", max_chars=1024)
    role = inputs.text(body, "role", max_chars=32)
    unit = inputs.text(body, "unit", required=False, max_chars=64) or None
    display_name = inputs.text(body, "display_name", required=False, max_chars=200) or None
    phone = (inputs.text(body, "phone", required=False, max_chars=32) or "").strip() or None
    try:
        user_id = await asyncio.to_thread(
            services(request).accounts.create_sync, username, password, role, unit, display_name,
            False, phone,
        )
    except passwords.WeakPassword as exc:
        raise ApiError(422, "weak_password", str(exc), field="password", warning=exc.warning,
                       suggestions=list(exc.suggestions)) from exc
    except ValueError as exc:
        raise ApiError(422, "invalid", str(exc)) from exc
    return JSONResponse({"id": user_id}, status_code=201)


async def _one_user(request: Request, user: dict[str, Any]) -> dict[str, Any]:
    svc = services(request)
    user_id, now = int(user["id"]), svc.clock()

    def read(c: Any) -> dict[str, Any]:
        return lifecycle.public_user(
            user, sessions.counts(c, [user_id], now).get(user_id, 0),
            lifecycle.second_factor_summaries(c, [user_id]).get(user_id),
        )

    return await svc.db.read(read)


async def disable_user(request: Request) -> Response:
    principal = require_principal(request, "admin")
    user = await services(request).lifecycle.disable(principal, _user_id(request))
    return JSONResponse({"user": await _one_user(request, user)})


async def enable_user(request: Request) -> Response:
    principal = require_principal(request, "admin")
    user = await services(request).lifecycle.enable(principal, _user_id(request))
    return JSONResponse({"user": await _one_user(request, user)})


async def reset_second_factor(request: Request) -> Response:
    principal = require_principal(request, "admin")
    user = await services(request).lifecycle.reset_second_factor(principal, _user_id(request))
    return JSONResponse({"user": await _one_user(request, user)})


async def reset_password(request: Request) -> Response:
    """A one-time password, shown in this answer only; the account must change it at sign-in."""
    principal = require_principal(request, "admin")
    password = await services(request).lifecycle.reset_password(principal, _user_id(request))
    return JSONResponse({"password": password}, headers={"Cache-Control": "no-store"})


async def user_sessions(request: Request) -> Response:
    require_principal(request, "admin")
    svc = services(request)
    user_id, now = _user_id(request), svc.clock()

    def read(c: Any) -> list[dict[str, Any]]:
        lifecycle.user_row(c, user_id)  # 404 for no such user
        return sessions.listed(c, user_id, now)

    return JSONResponse({"sessions": await svc.db.read(read)}, headers={"Cache-Control": "no-store"})


async def end_user_sessions(request: Request) -> Response:
    principal = require_principal(request, "admin")
    svc = services(request)
    user_id = _user_id(request)
    await svc.db.read(lambda c: lifecycle.user_row(c, user_id))
    return JSONResponse({"ended": await svc.lifecycle.end_sessions(principal, user_id)})


async def import_users(request: Request) -> Response:
    """A CSV of accounts (username, display_name, role, unit, phone): all or nothing. Each
    account's set-up link is in this answer only (the server keeps its hash)."""
    principal = require_principal(request, "admin")
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type not in ("text/csv", "text/plain", "application/csv"):
        raise ApiError(415, "unsupported_media_type", "Send the file as text/csv.")
    data = await read_bounded(request, IMPORT_MAX_BYTES)
    svc = services(request)
    try:
        created = await svc.lifecycle.import_users(data, principal)
    except importing.ImportRefused as exc:
        raise ApiError(
            422, "invalid_rows", str(exc), rows=[p.public() for p in exc.problems]
        ) from exc
    origin = f"{request.url.scheme}://{request.headers.get('host', request.url.netloc)}"
    return JSONResponse(
        {
            "created": len(created),
            "credentials": [
                {"username": c.username, "setup_url": importing.setup_url(origin, c.role, c.token),
                 "expires": int(c.expires * 1000)}
                for c in created
            ],
        },
        status_code=201,
        headers={"Cache-Control": "no-store"},
    )


IMPORT_MAX_BYTES = 8 * 1024 * 1024


async def units(request: Request) -> Response:
    """The units people belong to (the command center, the 168 wards, the departments), with
    how many accounts each has."""
    require_principal(request, "admin")

    def read(c: Any) -> list[dict[str, Any]]:
        return [
            {"code": r["code"], "name": r["name"], "name_en": r["name_en"], "kind": r["kind"],
             "users": int(r["users"]), "active_users": int(r["active_users"] or 0)}
            for r in c.execute(
                """SELECT u.code, u.name, u.name_en, u.kind, COUNT(a.id) AS users,
                          SUM(CASE WHEN a.active = 1 THEN 1 ELSE 0 END) AS active_users
                   FROM units u LEFT JOIN users a ON a.unit = u.code
                   WHERE u.active = 1
                   GROUP BY u.code, u.name, u.name_en, u.kind
                   ORDER BY CASE u.kind WHEN 'command_center' THEN 0 WHEN 'ward' THEN 1 ELSE 2 END,
                            u.code"""
            )
        ]

    return JSONResponse({"units": await services(request).db.read(read)})


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
