"""Police sign-in: login (token + session cookie), logout, and who am I."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from app.errors import ApiError
from app.identity.auth import COOKIE_NAME, require_principal
from app.services import services
from app.web.bodies import json_object


async def login(request: Request) -> Response:
    svc = services(request)
    ip = request.client.host if request.client else "-"
    svc.limiter.check(("login", ip), svc.settings.login_per_ip_per_hour, 3600, "sign-in attempts")
    body = await json_object(request)
    username, password = body.get("username"), body.get("password")
    if not isinstance(username, str) or not isinstance(password, str) or not username:
        raise ApiError(422, "invalid", "Send a JSON object with username and password.")
    result = await svc.accounts.login(username.strip(), password)
    response = JSONResponse({"token": result.token, "user": result.principal.public()})
    response.set_cookie(
        COOKIE_NAME,
        result.token,
        max_age=svc.settings.token_ttl_s,
        httponly=True,
        samesite="lax",
        secure=_secure(request),
        path="/",
    )
    return response


async def logout(request: Request) -> Response:
    principal = require_principal(request)
    svc = services(request)
    await svc.accounts.logout(principal)
    if principal.session_id:
        await svc.signed_out(principal.session_id)
    response = Response(status_code=204)
    response.delete_cookie(COOKIE_NAME, path="/", httponly=True, samesite="lax", secure=_secure(request))
    return response


async def me(request: Request) -> Response:
    principal = require_principal(request, citizen=True)
    return JSONResponse({"user": principal.public()})


def _secure(request: Request) -> bool:
    mode = services(request).settings.cookie_secure
    if mode == "always":
        return True
    if mode == "never":
        return False
    # "auto": uvicorn rewrites the scheme from X-Forwarded-Proto only for trusted proxies.
    return request.url.scheme == "https"
