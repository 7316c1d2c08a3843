"""Web push: the server's public key, and the browser subscriptions of users and citizen devices."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from app.errors import ApiError
from app.identity.auth import Principal, principal_of, require_principal
from app.services import services
from app.web.bodies import json_object
from push import InvalidSubscription, NotAllowed, Owner, Taken

LANGS = ("vi", "en")


async def public_key(request: Request) -> Response:
    """`{public_key}`: base64url of the uncompressed P-256 point, the `applicationServerKey`."""
    key = services(request).push.public_key
    return JSONResponse({"public_key": key}, headers={"Cache-Control": "no-cache"})


def _owner(principal: Principal) -> Owner:
    if principal.is_citizen:
        return Owner("device", principal.id)
    return Owner("user", principal.id, role=principal.role, unit=principal.unit)


async def subscribe(request: Request) -> Response:
    """Body: a `PushSubscription` JSON, plus optional `lang` ("vi", "en") and `replaces`
    (`{endpoint, auth}` of the subscription the browser rotated away from). Signed in (police or a
    citizen device), or, from a service worker with no credential, with a `replaces` that proves
    the old subscription. 201 when new, 200 when that endpoint was known (idempotent); 409 when
    it is another owner's and the keys are not the ones stored."""
    principal = principal_of(request)
    body = await json_object(request)
    owner = None
    if principal is not None or body.get("replaces") is None:
        owner = _owner(require_principal(request, citizen=True))
    lang = body.get("lang") if body.get("lang") in LANGS else None
    try:
        sub_id, created = await services(request).push.subscribe(
            owner, body, lang=lang, replaces=body.get("replaces")
        )
    except InvalidSubscription as exc:
        raise ApiError(422, "invalid", str(exc)) from exc
    except NotAllowed as exc:
        raise ApiError(401, "unauthenticated", str(exc)) from exc
    except Taken as exc:  # someone who knows only the endpoint cannot move it away (issue 25)
        raise ApiError(409, "subscription_taken", str(exc), field="keys") from exc
    return JSONResponse({"id": sub_id, "endpoint": body["endpoint"]}, status_code=201 if created else 200)


async def unsubscribe(request: Request) -> Response:
    """Body `{endpoint}`: remove the caller's subscription for that endpoint (sign-out, opt-out)."""
    owner = _owner(require_principal(request, citizen=True))
    endpoint = (await json_object(request)).get("endpoint")
    if not isinstance(endpoint, str) or not endpoint:
        raise ApiError(422, "invalid", "Give the subscription's endpoint.")
    if not await services(request).push.unsubscribe(owner, endpoint):
        raise ApiError(404, "not_found", "You have no subscription with this endpoint.")
    return Response(status_code=204)


async def my_subscriptions(request: Request) -> Response:
    owner = _owner(require_principal(request, citizen=True))
    subs = await services(request).push.subscriptions_of(owner)
    return JSONResponse({"subscriptions": subs})
