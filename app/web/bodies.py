"""Reading request bodies with a clear 4xx for anything malformed."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request

from app.errors import ApiError

MAX_JSON_BYTES = 64 * 1024


async def json_object(request: Request, max_bytes: int = MAX_JSON_BYTES) -> dict[str, Any]:
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > max_bytes:
            raise ApiError(413, "too_large", f"The request body is over {max_bytes // 1024} KB.")
    if not body:
        return {}
    try:
        value = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError(400, "bad_json", "The request body is not valid JSON.") from exc
    if not isinstance(value, dict):
        raise ApiError(422, "invalid", "The request body must be a JSON object.")
    return value
