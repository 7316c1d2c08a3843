"""Police sign-in: the password step, the second step, logout, and who am I.

Both sign-in steps take JSON only and, when the browser names where the request comes from
(Origin or Referer), only from this site: a form on another site cannot sign a browser into an
account of the attacker's choosing (login CSRF).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from app.errors import ApiError
from app.identity import passkeys
from app.identity.auth import COOKIE_NAME, require_principal, same_origin
from app.identity.signin import KNOWN_DEVICE_COOKIE, Attempt, Challenge, Session
from app.services import services
from app.web.bodies import json_object

MAX_FIELD = 1024


def _json_from_here(request: Request) -> None:
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "application/json":
        raise ApiError(415, "unsupported_media_type", "Send JSON (Content-Type: application/json).")
    if (request.headers.get("origin") or request.headers.get("referer")) and not same_origin(request):
        raise ApiError(403, "cross_origin", "Refused: this sign-in came from another site.")


def _attempt(request: Request) -> Attempt:
    svc = services(request)
    return Attempt(
        ip=request.client.host if request.client else None,
        device=(request.headers.get("user-agent") or "")[:200] or None,
        known_user_id=svc.signin.known_device_user(request.cookies.get(KNOWN_DEVICE_COOKIE)),
    )


def _text(body: dict[str, Any], name: str, required: bool = True) -> str | None:
    value = body.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value or len(value) > MAX_FIELD:
        raise ApiError(422, "invalid", f"Send {name} as a non-empty string.")
    return value


async def login(request: Request) -> Response:
    _json_from_here(request)
    svc = services(request)
    ip = request.client.host if request.client else "-"
    svc.limiter.check(("login", ip), svc.settings.login_per_ip_per_hour, 3600, "sign-in attempts")
    body = await json_object(request)
    username, password = body.get("username"), body.get("password")
    if not isinstance(username, str) or not isinstance(password, str) or not username:
        raise ApiError(422, "invalid", "Send a JSON object with username and password.")
    rp = passkeys.relying_party(request, svc.settings)
    outcome = await svc.signin.login(username.strip(), password, _attempt(request), rp)
    if isinstance(outcome, Challenge):
        answer: dict[str, Any] = {"second_factor": outcome.methods, "challenge": outcome.challenge}
        if outcome.webauthn is not None:
            answer["webauthn"] = outcome.webauthn
        return JSONResponse(answer)
    return await signed_in(request, outcome)


async def second_factor(request: Request) -> Response:
    _json_from_here(request)
    svc = services(request)
    ip = request.client.host if request.client else "-"
    svc.limiter.check(("second-factor", ip), svc.settings.login_per_ip_per_hour, 3600, "codes")
    body = await json_object(request)
    challenge = _text(body, "challenge")
    code, credential = body.get("code"), body.get("passkey")
    if credential is not None and not isinstance(credential, dict):
        raise ApiError(422, "invalid", "Send passkey as the credential object from the browser.")
    if credential is None:
        code = _text(body, "code")
    assert challenge is not None
    rp = passkeys.relying_party(request, svc.settings)
    session = await svc.signin.second_step(
        challenge, rp, _attempt(request), code=code if credential is None else None, passkey=credential
    )
    return await signed_in(request, session)


async def signed_in(request: Request, session: Session) -> Response:
    """{token, user} with the session cookie, and the known-device cookie for a full session."""
    svc = services(request)
    user = await svc.signin.user_view(session.principal)
    response = JSONResponse({"token": session.token, "user": user})
    set_cookies(request, response, session.token, session.principal)
    return response


def set_cookies(request: Request, response: Response, token: str | None, principal: Any) -> None:
    svc = services(request)
    if token is not None:
        response.set_cookie(
            COOKIE_NAME, token, max_age=svc.settings.token_ttl_s, httponly=True,
            samesite="lax", secure=_secure(request), path="/",
        )
    if principal.scope is None:
        # Remembered for a later sign-in while the account is under attack (signin.py). Sent
        # to the sign-in endpoints only.
        response.set_cookie(
            KNOWN_DEVICE_COOKIE, svc.signin.known_device_cookie(int(principal.id)),
            max_age=svc.settings.known_device_ttl_s, httponly=True, samesite="strict",
            secure=_secure(request), path="/api/auth/",
        )


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
    if principal.is_citizen:
        return JSONResponse({"user": principal.public()})
    return JSONResponse({"user": await services(request).signin.user_view(principal)})


def _secure(request: Request) -> bool:
    mode = services(request).settings.cookie_secure
    if mode == "always":
        return True
    if mode == "never":
        return False
    # "auto": uvicorn rewrites the scheme from X-Forwarded-Proto only for trusted proxies.
    return request.url.scheme == "https"
