"""Enrolling a second factor (issue 25): an authenticator app (TOTP), passkeys, recovery codes.

Any police session may enrol, also one opened only for that ("enrol" scope, AuthMiddleware lets
it reach these paths alone); the first factor enrolled turns such a session into a full one.
Removing a factor needs a full session.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from app.errors import ApiError
from app.identity import passkeys
from app.identity.auth import Principal, require_principal
from app.services import services
from app.web.bodies import json_object
from app.web.session import set_cookies

NAME_MAX = 64


def _full(request: Request) -> Principal:
    principal = require_principal(request)
    if principal.scope is not None:
        raise ApiError(403, "forbidden", "Sign in fully to remove a second factor.")
    return principal


async def _enrolled(request: Request, principal: Principal, answer: dict[str, Any] | None,
                    codes: list[str] | None, status: int = 200) -> Response:
    """The answer to an enrolment: the new recovery codes when some were made (shown once), and
    a full session (with its known-device cookie) when this one was opened only to enrol."""
    svc = services(request)
    body = dict(answer or {})
    if codes is not None:
        body["recovery_codes"] = codes
    response: Response = (
        JSONResponse(body, status_code=status) if body else Response(status_code=204)
    )
    if await svc.signin.upgrade_enrolled(principal):
        set_cookies(request, response, None, replace(principal, scope=None))
    return response


async def totp_begin(request: Request) -> Response:
    principal = require_principal(request)
    enrolment = await services(request).factors.totp_begin(int(principal.id), str(principal.username))
    return JSONResponse(enrolment, headers={"Cache-Control": "no-store"})


async def totp_confirm(request: Request) -> Response:
    principal = require_principal(request)
    code = (await json_object(request)).get("code")
    if not isinstance(code, str) or len(code) > 16:
        raise ApiError(422, "invalid", "Send the 6-digit code as a string.")
    codes = await services(request).factors.totp_confirm(int(principal.id), code.strip(), principal)
    return await _enrolled(request, principal, None, codes)


async def totp_delete(request: Request) -> Response:
    principal = _full(request)
    await services(request).factors.totp_delete(int(principal.id), principal)
    return Response(status_code=204)


async def passkey_options(request: Request) -> Response:
    principal = require_principal(request)
    svc = services(request)
    user = {"id": int(principal.id), "username": principal.username,
            "display_name": (await svc.signin.user_view(principal))["display_name"]}
    options = await svc.factors.passkey_options(user, passkeys.relying_party(request, svc.settings))
    return JSONResponse(options, headers={"Cache-Control": "no-store"})


async def passkey_register(request: Request) -> Response:
    principal = require_principal(request)
    svc = services(request)
    body = await json_object(request)
    name = body.get("name") or "Passkey"
    if not isinstance(name, str) or len(name.strip()) > NAME_MAX or not name.strip():
        raise ApiError(422, "invalid", f"The passkey's name: 1-{NAME_MAX} characters.")
    rp = passkeys.relying_party(request, svc.settings)
    credential_id, codes = await svc.factors.passkey_register(
        int(principal.id), body.get("credential"), name.strip(), rp, principal
    )
    return await _enrolled(request, principal, {"id": credential_id, "name": name.strip()}, codes, 201)


async def passkey_list(request: Request) -> Response:
    principal = require_principal(request)
    credentials = await services(request).factors.passkeys_of(int(principal.id))
    return JSONResponse({"credentials": credentials})


async def passkey_delete(request: Request) -> Response:
    principal = _full(request)
    credential_id = request.path_params["credential_id"]
    await services(request).factors.passkey_delete(int(principal.id), credential_id, principal)
    return Response(status_code=204)


async def recovery_codes(request: Request) -> Response:
    principal = require_principal(request)
    codes = await services(request).factors.regenerate_codes(int(principal.id), principal)
    return JSONResponse({"recovery_codes": codes}, headers={"Cache-Control": "no-store"})
