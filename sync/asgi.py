"""The Starlette adapter: the engine's three endpoints as routes. Nothing else knows Starlette.

    app = Starlette(routes=[*other_routes, *routes(engine, principal_of)], ...)

- `WS /sync/{kind}/{id}`: the y-websocket protocol (`sync.connection.serve`).
- `POST /sync/{kind}/{id}`: y-protocols messages in an `application/octet-stream` body; the
  answer is the server's step 2 for the client's step 1; errors are JSON `{error, message}`.
- `POST /sync`: many documents at once, framed as in `sync.batch`.

`principal_of(conn)` returns the caller (already resolved by the app's middleware) or None.
Requiring `application/octet-stream` is deliberate: it is not a CORS "simple" content type, so a
cross-site page cannot post one with the victim's cookie without a preflight the app refuses.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.requests import HTTPConnection, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketState

from . import batch
from .connection import serve
from .engine import SyncEngine
from .kinds import Refused
from .preframed import EXTENSION, FRAME, binary_frame
from .protocol import ProtocolError
from .room import ChannelClosed, Shared

log = logging.getLogger(__name__)

OCTET_STREAM = "application/octet-stream"


@dataclass
class Traffic:
    """What this process's WebSockets carry, as plain counts the app's /metrics reads when
    scraped (app/web/metrics.py): an integer add per message costs nothing on the hot path."""

    open: int = 0
    opened: int = 0
    messages_in: int = 0
    messages_out: int = 0
    http_syncs: int = 0


TRAFFIC = Traffic()


class WebSocketChannel:
    """A Starlette WebSocket as a `sync.room.Channel`. Under a server offering `sos.preframed`
    (sync.preframed), a room's broadcast goes out as the frame built once for all its readers."""

    __slots__ = ("ws", "preframed", "_write_now")

    def __init__(self, ws: WebSocket) -> None:
        self.ws = ws
        extension = (ws.scope.get("extensions") or {}).get(EXTENSION)
        self.preframed = extension is not None
        self._write_now: Callable[[bytes], bool] | None = (extension or {}).get("write_now")

    def try_send(self, message: bytes) -> bool:
        """A broadcast's frame written at once if the server can (`Subscriber.send` asks first)."""
        if self._write_now is None or not isinstance(message, Shared):
            return False
        if not self._write_now(message.encoded(binary_frame)):
            return False
        TRAFFIC.messages_out += 1
        return True

    async def send(self, message: bytes) -> None:
        if self.preframed and isinstance(message, Shared):
            frame = message.encoded(binary_frame)
            await self.ws.send({"type": "websocket.send", "bytes": message, FRAME: frame})
        else:
            await self.ws.send_bytes(message)
        TRAFFIC.messages_out += 1

    async def recv(self) -> bytes:
        message = await self.ws.receive()
        if message["type"] == "websocket.disconnect":
            raise ChannelClosed()
        data = message.get("bytes")
        if data is None:
            raise Refused(400, "malformed", "Only binary messages are accepted.")
        TRAFFIC.messages_in += 1
        return bytes(data)

    async def close(self, code: int, reason: str) -> None:
        if self.ws.application_state != WebSocketState.DISCONNECTED:
            await self.ws.close(code, reason)


class SyncEndpoints:
    """The handlers behind `routes()`; limits are per request body and per WebSocket message."""

    def __init__(
        self,
        engine: SyncEngine,
        principal_of: Callable[[HTTPConnection], Any],
        max_body_bytes: int = 1024 * 1024,
        max_batch_bytes: int = 8 * 1024 * 1024,
        max_message_bytes: int = 1024 * 1024,
        max_queued: int = 512,
    ) -> None:
        self.engine = engine
        self.principal_of = principal_of
        self.max_body_bytes = max_body_bytes
        self.max_batch_bytes = max_batch_bytes
        self.max_message_bytes = max_message_bytes
        self.max_queued = max_queued

    async def post(self, request: Request) -> Response:
        TRAFFIC.http_syncs += 1
        name = f"{request.path_params['kind']}/{request.path_params['doc_id']}"
        principal = self.principal_of(request)
        try:
            body = await _body(request, self.max_body_bytes)
            answer = await self.engine.sync(principal, name, body)
        except Refused as refused:
            return _refusal(refused)
        return Response(answer, media_type=OCTET_STREAM)

    async def batch(self, request: Request) -> Response:
        principal = self.principal_of(request)
        try:
            body = await _body(request, self.max_batch_bytes)
            try:
                items = batch.decode_request(body)
            except ProtocolError as exc:
                raise Refused(400, "malformed", f"Malformed batch: {exc}") from exc
        except Refused as refused:
            return _refusal(refused)
        TRAFFIC.http_syncs += len(items)
        results = await asyncio.gather(*(self._one(principal, n, m) for n, m in items))
        return Response(batch.encode_response(list(results)), media_type=OCTET_STREAM)

    async def _one(self, principal: Any, name: str, messages: bytes) -> tuple[str, int, bytes]:
        try:
            return name, 200, await self.engine.sync(principal, name, messages)
        except Refused as refused:
            return name, refused.status, batch.error_body(refused.code, refused.reason, refused.precise, refused.params)
        except Exception:  # one broken document must not sink the others' answers
            log.exception("batch sync of %s failed", name)
            return name, 500, batch.error_body("server_error", "Not synced; try again.")

    async def websocket(self, ws: WebSocket) -> None:
        name = f"{ws.path_params['kind']}/{ws.path_params['doc_id']}"
        await ws.accept()
        channel = WebSocketChannel(ws)
        TRAFFIC.open += 1
        TRAFFIC.opened += 1
        try:
            await serve(
                self.engine,
                channel,
                self.principal_of(ws),
                name,
                max_message_bytes=self.max_message_bytes,
                max_queued=self.max_queued,
            )
        finally:
            TRAFFIC.open -= 1
            if ws.application_state == WebSocketState.CONNECTED:
                try:
                    await ws.close(1000)
                except Exception as exc:  # the peer left first
                    log.debug("close after serve failed: %r", exc)


def routes(
    engine: SyncEngine, principal_of: Callable[[HTTPConnection], Any], **limits: int
) -> list[BaseRoute]:
    """The sync routes, for the app's route list. `limits`: see `SyncEndpoints`."""
    endpoints = SyncEndpoints(engine, principal_of, **limits)
    return [
        Route("/sync", endpoints.batch, methods=["POST"]),
        Route("/sync/{kind}/{doc_id}", endpoints.post, methods=["POST"]),
        WebSocketRoute("/sync/{kind}/{doc_id}", endpoints.websocket),
    ]


async def _body(request: Request, limit: int) -> bytes:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != OCTET_STREAM:
        raise Refused(415, "unsupported_media_type", f"Send the body as {OCTET_STREAM}.")
    declared = request.headers.get("content-length", "")
    # isascii: str.isdigit() is also true for '²', which int() refuses.
    if declared.isascii() and declared.isdigit() and int(declared) > limit:
        raise Refused(413, "too_large", f"The body is limited to {limit} bytes.")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:  # counted as it arrives: a missing or lying Content-Length changes nothing
            raise Refused(413, "too_large", f"The body is limited to {limit} bytes.")
        chunks.append(chunk)
    return b"".join(chunks)


def _refusal(refused: Refused) -> JSONResponse:
    headers = {"Retry-After": str(refused.retry_after)} if refused.retry_after is not None else None
    return JSONResponse(refused.as_json(), status_code=refused.status, headers=headers)
