"""Reading request bodies with a clear 4xx for anything malformed."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request

from app.errors import ApiError

MAX_JSON_BYTES = 64 * 1024


async def _body(request: Request, max_bytes: int) -> bytes:
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > max_bytes:
            raise ApiError(413, "too_large", f"The request body is over {max_bytes // 1024} KB.")
    return body


def _parse(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError(400, "bad_json", "The request body is not valid JSON.") from exc


async def json_object(request: Request, max_bytes: int = MAX_JSON_BYTES) -> dict[str, Any]:
    body = await _body(request, max_bytes)
    if not body:
        return {}
    value = _parse(body)
    if not isinstance(value, dict):
        raise ApiError(422, "invalid", "The request body must be a JSON object.")
    return value


async def json_value(request: Request, max_bytes: int = MAX_JSON_BYTES) -> Any:
    """Any JSON body (None when empty): for endpoints that take an object or a list of them."""
    body = await _body(request, max_bytes)
    return _parse(body) if body else None

