"""A police user's own account: their sessions (list, end one, end the others), a new password
(forced after a reset, or by choice), and the one-time set-up link of an imported account."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from app import inputs
from app.errors import ApiError
from app.identity import sessions
from app.identity.auth import require_principal
from app.services import services
from app.web.bodies import json_object

# Set-up links are 256-bit random: this only stops one address from hammering the endpoint.
SETUP_PER_IP_PER_HOUR = 30
PASSWORD_CHANGES_PER_HOUR = 10


async def list_sessions(request: Request) -> Response:
    principal = require_principal(request)
    svc = services(request)
    now = svc.clock()
    rows = await svc.db.read(lambda c: sessions.listed(c, int(principal.id), now, principal.session_id))
    return JSONResponse({"sessions": rows}, headers={"Cache-Control": "no-store"})


async def end_session(request: Request) -> Response:
    """End one of my sessions (this one too, if named: the same as signing out)."""
    principal = require_principal(request)
    public_id = request.path_params["session_id"]
    ended = await services(request).lifecycle.end_sessions(principal, int(principal.id), only=public_id)
    if not ended:  # not mine, already ended, or no such session: the same answer
        raise ApiError(404, "not_found", "No such session of yours.")
    return Response(status_code=204)


async def end_other_sessions(request: Request) -> Response:
    principal = require_principal(request)
    ended = await services(request).lifecycle.end_sessions(
        principal, int(principal.id), except_id=principal.session_id
    )
    return JSONResponse({"ended": ended})


async def change_password(request: Request) -> Response:
    """Forced (a "password" session after a reset) or by choice: the other sessions end."""
    principal = require_principal(request)
    svc = services(request)
    # Whoever holds a session could otherwise guess its owner's password here, without the
    # sign-in's throttles.
    svc.limiter.check(("password", principal.id), PASSWORD_CHANGES_PER_HOUR, 3600, "password attempts")
    body = await json_object(request)
    current = inputs.text(body, "current_password", max_chars=1024)
    new = inputs.text(body, "new_password", max_chars=1024)
    assert current is not None and new is not None
    await svc.lifecycle.change_password(principal, current, new)
    return Response(status_code=204)


async def set_up(request: Request) -> Response:
    """An imported account's set-up link used (public: the link is the credential)."""
    svc = services(request)
    ip = request.client.host if request.client else "-"
    svc.limiter.check(("setup", ip), SETUP_PER_IP_PER_HOUR, 3600, "set-up attempts")
    body = await json_object(request)
    token = inputs.text(body, "token", max_chars=200)
    new = inputs.text(body, "new_password", max_chars=1024)
    assert token is not None and new is not None
    await svc.lifecycle.set_up(token, new)
    return Response(status_code=204)
