"""Every refusal is JSON with a machine code and a reason a person can read; never a bare 500."""

from __future__ import annotations

import logging

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from sync.kinds import Unavailable

log = logging.getLogger(__name__)


class ApiError(HTTPException):
    """Raise from any endpoint: `raise ApiError(403, "forbidden", "this needs the dispatcher role")`."""

    def __init__(
        self,
        status_code: int,
        code: str,
        message: str,
        headers: dict[str, str] | None = None,
        **extra: object,
    ) -> None:
        super().__init__(status_code=status_code, detail=message, headers=headers)
        self.code = code
        self.extra = extra


def error_body(code: str, message: str, **extra: object) -> dict[str, object]:
    # `code` and `params` as the sync engine's refusals have them (docs/sync.md, "Refusal codes"):
    # the apps translate one field whatever the endpoint. Here the code is the error's own.
    return {"error": code, "code": code, "params": {}, "message": message, **extra}


_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid",
    429: "rate_limited",
}


async def http_exception_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if isinstance(exc, ApiError):
        body = error_body(exc.code, exc.detail, **exc.extra)
    else:
        body = error_body(_CODES.get(exc.status_code, "error"), exc.detail)
    if exc.status_code in (204, 304):
        return Response(status_code=exc.status_code, headers=exc.headers)
    return JSONResponse(body, status_code=exc.status_code, headers=exc.headers)


async def server_error_handler(request: Request, exc: Exception) -> Response:
    if isinstance(exc, Unavailable):  # raised in a middleware (the session lookup), outside the router
        return await unavailable_handler(request, exc)
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return JSONResponse(
        error_body("server_error", "Something went wrong on the server; nothing was changed."),
        status_code=500,
    )


async def unavailable_handler(request: Request, exc: Exception) -> Response:
    """The database cannot be reached (a restart, a fail-over): 503 and when to try again, not a
    500; the clients resend (every write of the apps is idempotent)."""
    assert isinstance(exc, Unavailable)
    log.warning("database unavailable on %s %s: %s", request.method, request.url.path, exc.detail)
    return JSONResponse(exc.as_json(), status_code=503, headers={"Retry-After": str(exc.retry_after)})


EXCEPTION_HANDLERS = {
    HTTPException: http_exception_handler,
    Unavailable: unavailable_handler,
    Exception: server_error_handler,
}
