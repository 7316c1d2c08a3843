"""Pre-framed broadcasts: a broadcast's WebSocket frame is built once and the same bytes are
written to every reader's transport (issue 28).

A generic ASGI server frames each `websocket.send` separately: a write to 1,000 readers costs
1,000 frame encodings (and, with permessage-deflate, 1,000 compressions). `PreframedWebSockets`
is uvicorn's own sans-I/O WebSocket protocol plus one ASGI extension, given to uvicorn as
`ws="sync.preframed:PreframedWebSockets"` (`sos serve` and bench/toyapp.py do):

- it announces `scope["extensions"]["sos.preframed"]`;
- a `websocket.send` message that also carries `"sos.frame": <frame bytes>` has those bytes
  written to the transport as they are, instead of framing `"bytes"` again;
- `scope["extensions"]["sos.preframed"]["write_now"](frame)` writes a frame at once, without a
  coroutine, when nothing has to wait (open connection, socket not full, no send waiting);
  False when it cannot, and the caller sends the usual way.

Everything else is uvicorn's: the same `send` path (so a pre-framed send waits behind the same
back-pressure and cannot overtake an earlier send on its connection), the same handshake,
keepalive and close. A server without the extension never sees the key used (the channel only
adds it when the extension is announced) and frames `"bytes"` as usual.

Compression: `sos serve` declines permessage-deflate (app/cli.py WEBSOCKET_OPTIONS). Where a
connection did negotiate it (uvicorn's default, e.g. the tests' servers), the shared frame goes
out uncompressed, RSV1 clear: RFC 7692 §6 lets an endpoint send any message uncompressed, and
an uncompressed message touches neither side's LZ77 window, so the connection's compression
context (context takeover) stays valid for the messages framed per connection.

    frame = Shared(message).encoded(binary_frame)   # once per broadcast (sync.room does it)
    await websocket.send({"type": "websocket.send", "bytes": message, FRAME: frame})

Idle connections: uvicorn keeps, per connection, an asyncio.Queue for what it received (3.2 KiB
when empty: three deques and an Event), an Event for back-pressure (0.8 KiB) and, for its whole
life, the handshake's request and response. The protocol here swaps the first two for `_Inbox`
and `_Gate`, which hold nothing while idle, and lets go of the handshake once it is answered.
"""

from __future__ import annotations

import asyncio
import struct
from typing import Any

from uvicorn.protocols.utils import ClientDisconnected
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.protocol import State

EXTENSION = "sos.preframed"
FRAME = "sos.frame"
_FIN_BINARY = 0x82  # FIN set, RSV1-3 clear (not compressed), opcode 2 (binary)


def binary_frame(payload: bytes) -> bytes:
    """One unfragmented binary frame, server to client (RFC 6455 §5.2: a server never masks)."""
    size = len(payload)
    if size < 126:
        head = struct.pack("!BB", _FIN_BINARY, size)
    elif size < 1 << 16:
        head = struct.pack("!BBH", _FIN_BINARY, 126, size)
    else:
        head = struct.pack("!BBQ", _FIN_BINARY, 127, size)
    return head + payload


class _Inbox:
    """What uvicorn uses of its asyncio.Queue (`put_nowait`, `get`, `empty`) for the one task
    that reads a connection: a short list and, only while that task waits, one future."""

    __slots__ = ("_loop", "_items", "_waiter")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._items: list[Any] = []
        self._waiter: asyncio.Future[None] | None = None

    def put_nowait(self, item: Any) -> None:
        self._items.append(item)
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    def empty(self) -> bool:
        return not self._items

    async def get(self) -> Any:
        while not self._items:
            self._waiter = self._loop.create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        return self._items.pop(0)  # rarely more than one item: the transport pauses after one


class _Gate:
    """What uvicorn uses of its `writable` asyncio.Event, with no waiter list while open.
    `waiting`: sends not yet past the gate, woken or not (nothing may overtake them)."""

    __slots__ = ("_loop", "_open", "_waiters", "waiting")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._open = True
        self._waiters: list[asyncio.Future[None]] | None = None
        self.waiting = 0

    def is_set(self) -> bool:
        return self._open

    def set(self) -> None:
        self._open = True
        waiters, self._waiters = self._waiters, None
        for waiter in waiters or ():
            if not waiter.done():
                waiter.set_result(None)

    def clear(self) -> None:
        self._open = False

    async def wait(self) -> None:
        if self._open:
            return
        self.waiting += 1
        try:
            while not self._open:
                waiter = self._loop.create_future()
                if self._waiters is None:
                    self._waiters = []
                self._waiters.append(waiter)
                await waiter
        finally:
            self.waiting -= 1


class PreframedWebSockets(WebSocketsSansIOProtocol):
    """uvicorn's "websockets-sansio" protocol, with the `sos.preframed` extension and less held
    per idle connection (see the module's docstring)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.queue = _Inbox(self.loop)  # type: ignore[assignment]
        self.writable = _Gate(self.loop)  # type: ignore[assignment]

    def handle_connect(self, event: Any) -> None:
        super().handle_connect(event)
        # The ASGI task is created, not started: the app sees the extension from its first step.
        # (No scope when the handshake was refused: nothing runs then.)
        scope: Any = getattr(self, "scope", None)
        if scope is not None:
            scope["extensions"][EXTENSION] = {"write_now": self.write_now}

    def write_now(self, frame: bytes) -> bool:
        """Write `frame` now, in the caller's step, if the connection is open and no send waits
        before it; False otherwise (then send it the usual way). A broadcast to 1,000 idle
        readers is then 1,000 `transport.write` calls, without a coroutine per reader."""
        gate: Any = self.writable
        if (
            gate.is_set()
            and not gate.waiting
            and self.handshake_complete
            and not self.close_sent
            and not self.disconnected
            and self.initial_response is None
            and self.conn.state is State.OPEN
        ):
            self.transport.write(frame)
            return True
        return False

    async def send(self, message: Any) -> None:
        frame = message.get(FRAME) if message["type"] == "websocket.send" else None
        if frame is None:
            await super().send(message)
            if message["type"] == "websocket.accept":
                self.request = self.response = None  # type: ignore[assignment]  # answered
            return
        await self.writable.wait()  # the same back-pressure as every other send
        if self.disconnected:
            raise ClientDisconnected()
        if (
            not self.handshake_complete
            or self.close_sent
            or self.initial_response is not None
            or self.conn.state is not State.OPEN
        ):
            await super().send(message)  # uvicorn's own answer to a send in that state
            return
        self.transport.write(frame)
