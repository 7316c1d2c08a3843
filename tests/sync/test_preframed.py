"""Pre-framed broadcasts (sync/preframed.py) on a real uvicorn over real sockets: one frame per
broadcast, the same bytes to every reader, in order with the connection's other sends. The
clients negotiate permessage-deflate (websockets' default, accepted by the test server), so the
uncompressed shared frames are also checked to decode amid compressed ones."""

from __future__ import annotations

import asyncio
import os
from typing import Any

import pytest
from websockets.asyncio.client import connect

from sync import asgi
from sync.preframed import FRAME, PreframedWebSockets, binary_frame
from sync.room import Subscriber

from .conftest import SyncServer
from .test_websocket import Peer, url

pytestmark = pytest.mark.anyio


async def test_a_broadcast_is_framed_once_and_the_same_bytes_reach_every_reader(
    server: SyncServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    encodes: list[bytes] = []
    sent_frames: list[bytes] = []

    def counting_frame(payload: bytes) -> bytes:
        frame = binary_frame(payload)
        encodes.append(frame)
        return frame

    original_send, original_write_now = PreframedWebSockets.send, PreframedWebSockets.write_now

    async def recording_send(self: PreframedWebSockets, message: Any) -> None:
        if message.get(FRAME) is not None:
            sent_frames.append(message[FRAME])
        await original_send(self, message)

    def recording_write_now(self: PreframedWebSockets, frame: bytes) -> bool:
        written = original_write_now(self, frame)
        if written:
            sent_frames.append(frame)
        return written

    monkeypatch.setattr(asgi, "binary_frame", counting_frame)
    monkeypatch.setattr(PreframedWebSockets, "send", recording_send)
    monkeypatch.setattr(PreframedWebSockets, "write_now", recording_write_now)
    readers = [await connect(url(server, "note/p1", "bob")).__aenter__() for _ in range(5)]
    try:
        assert all(ws.protocol.extensions for ws in readers)  # permessage-deflate negotiated
        peers = [Peer(ws) for ws in readers]
        for peer in peers:
            await peer.handshake()
        async with connect(url(server, "note/p1", "alice")) as ws:
            writer = Peer(ws)
            await writer.handshake()
            encodes.clear()
            sent_frames.clear()
            await writer.write(text="to everyone", author="alice")
            for peer in peers:
                await peer.until(lambda p=peer: p.note().get("text") == "to everyone")
    finally:
        for ws in readers:
            await ws.close()
    assert len(encodes) == 1  # one broadcast, five readers, one frame
    assert len(sent_frames) == 5 and all(frame is encodes[0] for frame in sent_frames)


async def test_shared_frames_keep_their_place_among_a_slow_readers_other_sends(
    server: SyncServer,
) -> None:
    # 30 messages of 256 KiB, alternating plain and broadcast, to a reader that reads nothing
    # meanwhile: the socket fills, sends wait (back-pressure), and what waits must stay in order.
    size, count = 256 * 1024, 30
    payloads = [bytes([0xFF, i]) + os.urandom(size) for i in range(count)]
    async with connect(url(server, "note/p2", "bob"), max_queue=1, max_size=None) as ws:
        await Peer(ws).handshake()

        async def push() -> bool:
            loaded = server.engine.documents.get("note/p2")
            assert loaded is not None
            (sub,) = loaded.room.subscribers
            assert isinstance(sub, Subscriber)
            for i, payload in enumerate(payloads):
                if i % 2:
                    loaded.room.broadcast(payload)
                else:
                    sub.send(payload)
            return sub._task is not None  # some send had to wait for the socket

        waited = server.call(push())
        got: list[bytes] = []
        async with asyncio.timeout(10):
            while len(got) < count:
                data = await ws.recv()
                assert isinstance(data, bytes)
                if data[:1] == b"\xff":
                    got.append(data)
    assert waited
    assert [m[1] for m in got] == list(range(count))
    assert got == payloads


async def test_an_idle_reader_holds_no_queue_task_or_handshake(server: SyncServer) -> None:
    async with connect(url(server, "note/p3", "bob")) as ws:
        await Peer(ws).handshake()

        async def held() -> list[Any]:
            loaded = server.engine.documents.get("note/p3")
            assert loaded is not None
            (sub,) = loaded.room.subscribers
            assert isinstance(sub, Subscriber)
            (conn,) = server.server.server_state.connections
            assert isinstance(conn, PreframedWebSockets)
            return [sub._queue, sub._task, sub._closed, conn.request, conn.response,
                    conn.queue.__class__.__name__, conn.writable.__class__.__name__]

        assert server.call(held()) == [None, None, None, None, None, "_Inbox", "_Gate"]


class _Transport:
    """Enough of an asyncio transport for the protocol: records what is written."""

    def __init__(self) -> None:
        self.written: list[bytes] = []

    def write(self, data: bytes) -> None:
        self.written.append(data)

    def is_closing(self) -> bool:
        return False

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": ("127.0.0.1", 1), "sockname": ("127.0.0.1", 2)}.get(name, default)

    def pause_reading(self) -> None: ...

    def resume_reading(self) -> None: ...

    def close(self) -> None: ...


async def test_write_now_never_overtakes_a_send_that_waits_for_the_socket() -> None:
    import uvicorn
    from uvicorn.server import ServerState

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await receive()

    proto = PreframedWebSockets(uvicorn.Config(app, log_level="warning"), ServerState(), {})
    transport = _Transport()
    proto.connection_made(transport)  # type: ignore[arg-type]
    proto.data_received(
        b"GET /sync/note/x HTTP/1.1\r\nHost: t\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    write_now = proto.scope["extensions"]["sos.preframed"]["write_now"]
    assert not write_now(binary_frame(b"early"))  # not accepted yet
    await proto.send({"type": "websocket.accept"})
    assert write_now(binary_frame(b"a")) and transport.written[-1] == binary_frame(b"a")
    proto.pause_writing()  # the socket's buffer is full
    waiting = asyncio.ensure_future(proto.send({"type": "websocket.send", "bytes": b"b"}))
    await asyncio.sleep(0)  # one step: the send is now waiting at the gate
    assert not write_now(binary_frame(b"c"))
    proto.resume_writing()
    assert not write_now(binary_frame(b"c"))  # woken, not yet written: still first in line
    await waiting
    assert write_now(binary_frame(b"c"))
    assert transport.written[-2:] == [binary_frame(b"b"), binary_frame(b"c")]
    for task in list(proto.tasks):
        task.cancel()
