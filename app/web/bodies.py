"""Reading request bodies: the bytes as they arrive, bounded, then `app.inputs` decodes them."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from app.inputs import MAX_JSON_BYTES, invalid, parse_json, parse_json_object


async def read_bounded(request: Request, max_bytes: int) -> bytes:
    """The whole body, refused with a 413 as soon as it passes `max_bytes` (a missing or lying
    Content-Length changes nothing: it is counted as it arrives)."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            raise invalid("body", f"The request body is over {max_bytes // 1024} KB.", 413, "too_large")
        chunks.append(chunk)
    return b"".join(chunks)


async def json_object(request: Request, max_bytes: int = MAX_JSON_BYTES) -> dict[str, Any]:
    """The body as a JSON object (see `app.inputs.parse_json_object`)."""
    return parse_json_object(await read_bounded(request, max_bytes), max_bytes)


async def json_value(request: Request, max_bytes: int = MAX_JSON_BYTES) -> Any:
    """Any JSON body (None when empty): for endpoints that take an object or a list of them.
    The same checks as `json_object` (size, nesting depth, NUL) before and after decoding."""
    body = await read_bounded(request, max_bytes)
    return parse_json(body, max_bytes=max_bytes) if body.strip() else None
