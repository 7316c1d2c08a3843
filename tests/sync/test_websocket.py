"""WS /sync/<kind>/<id> on a real server, with a plain WebSocket client speaking y-protocols."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pycrdt import Doc, Map
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from sync import protocol, store

from .conftest import SyncServer

pytestmark = pytest.mark.anyio


class Peer:
    """A minimal y-websocket client: keeps a Doc in sync with what the server sends."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.doc: Doc = Doc()
        self.denials: list[str] = []

    async def handshake(self) -> None:
        await self.ws.send(protocol.sync_step1(self.doc.get_state()))
        await self.until(lambda: self.synced)

    synced = False

    async def pump(self) -> None:
        data = await self.ws.recv()
        assert isinstance(data, bytes)
        for message in protocol.decode_messages(data):
            if isinstance(message, protocol.SyncStep1):
                await self.ws.send(protocol.sync_step2(self.doc.get_update(message.state_vector)))
            elif isinstance(message, protocol.SyncStep2):
                self.doc.apply_update(message.update)
                self.synced = True
            elif isinstance(message, protocol.SyncUpdate):
                self.doc.apply_update(message.update)
            elif isinstance(message, protocol.AuthDenied):
                self.denials.append(message.reason)

    async def until(self, condition: Callable[[], bool], within: float = 5) -> None:
        async with asyncio.timeout(within):
            while not condition():
                await self.pump()

    async def closed_code(self, within: float = 5) -> int:
        try:
            async with asyncio.timeout(within):
                while True:
                    await self.pump()
        except ConnectionClosed as closed:
            assert closed.rcvd is not None
            return closed.rcvd.code

    def note(self) -> dict[str, object]:
        return self.doc.get("note", type=Map).to_py() or {}

    async def write(self, **fields: object) -> None:
        before = self.doc.get_state()
        with self.doc.transaction():
            for key, value in fields.items():
                self.doc.get("note", type=Map)[key] = value
        await self.ws.send(protocol.sync_update(self.doc.get_update(before)))


def url(server: SyncServer, name: str, who: str | None) -> str:
    return f"{server.ws_url}/sync/{name}" + (f"?token=token-{who}" if who else "")


@pytest.mark.parametrize("who, code", [("eve", 4403), (None, 4401)])
async def test_read_denied_gets_permission_denied_then_close(
    server: SyncServer, who: str | None, code: int
) -> None:
    async with connect(url(server, "note/w1", who)) as ws:
        peer = Peer(ws)
        assert await peer.closed_code() == code
        assert (
            peer.denials
            and "read" in peer.denials[0].lower()
            or "sign in" in peer.denials[0].lower()
        )


async def test_fan_out_to_several_subscribers(server: SyncServer) -> None:
    readers = [await connect(url(server, "note/w2", "bob")).__aenter__() for _ in range(5)]
    try:
        peers = [Peer(ws) for ws in readers]
        for peer in peers:
            await peer.handshake()
        async with connect(url(server, "note/w2", "alice")) as ws:
            writer = Peer(ws)
            await writer.handshake()
            await writer.write(text="to everyone", author="alice")
            for peer in peers:
                await peer.until(lambda p=peer: p.note().get("text") == "to everyone")
    finally:
        for ws in readers:
            await ws.close()


async def test_a_refused_update_closes_the_writer_and_spares_the_room(server: SyncServer) -> None:
    async with (
        connect(url(server, "note/w3", "bob")) as watching,
        connect(url(server, "note/w3", "alice")) as writing,
    ):
        watcher, writer = Peer(watching), Peer(writing)
        await watcher.handshake()
        await writer.handshake()
        await writer.write(text="x" * 300, author="alice")  # invalid: text too long
        assert await writer.closed_code() == 4422
        assert writer.denials and "200" in writer.denials[0]
        async with connect(url(server, "note/w3", "alice")) as again:
            retry = Peer(again)
            await retry.handshake()
            await retry.write(text="fine", author="alice")
            await watcher.until(lambda: watcher.note() == {"text": "fine", "author": "alice"})
    stats = server.db.read_sync(lambda c: store.stats(c, "note/w3"))
    assert stats is not None and stats["last_seq"] == 1


async def test_text_frames_and_oversized_messages_are_refused(server: SyncServer) -> None:
    async with connect(url(server, "note/w4", "alice")) as ws:
        await ws.send("not binary")
        assert await Peer(ws).closed_code() == 4400
    async with connect(url(server, "note/w4", "alice"), max_size=None) as ws:
        await ws.send(protocol.sync_update(b"\x00" * (1024 * 1024 + 10)))
        assert await Peer(ws).closed_code() == 4413


async def test_awareness_travels_between_readers(server: SyncServer) -> None:
    async with (
        connect(url(server, "note/w5", "bob")) as a,
        connect(url(server, "note/w5", "alice")) as b,
    ):
        await Peer(a).handshake()
        await Peer(b).handshake()
        entry = protocol.AwarenessEntry(77, 1, '{"user":"bob"}')
        await a.send(protocol.awareness(protocol.encode_awareness([entry])))
        async with asyncio.timeout(5):
            while True:
                (message,) = protocol.decode_messages(await b.recv())  # type: ignore[arg-type]
                if isinstance(message, protocol.Awareness):
                    break
        assert protocol.decode_awareness(message.update) == [entry]
        await a.close()
        async with asyncio.timeout(5):  # bob left: his state is cleared for the others
            (gone,) = protocol.decode_messages(await b.recv())  # type: ignore[arg-type]
        assert isinstance(gone, protocol.Awareness)
        assert protocol.decode_awareness(gone.update)[0].state == "null"


junk = st.one_of(
    st.binary(min_size=1, max_size=300),
    st.binary(max_size=200).map(protocol.sync_update),
    st.binary(max_size=200).map(protocol.awareness),
)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=junk)
def test_random_bytes_close_cleanly_and_the_room_keeps_working(
    shared_server: SyncServer, data: bytes
) -> None:
    async def scenario() -> None:
        async with connect(url(shared_server, "note/fuzzroom", "bob")) as watching:
            watcher = Peer(watching)
            await watcher.handshake()
            async with connect(url(shared_server, "note/fuzzroom", "alice")) as ws:
                fuzzer = Peer(ws)
                await fuzzer.handshake()
                await ws.send(data)
                # Either a clean 44xx close or, for well-formed input, the connection lives on.
                try:
                    await fuzzer.ws.send(protocol.sync_step1(fuzzer.doc.get_state()))
                    async with asyncio.timeout(5):
                        while True:
                            await fuzzer.pump()
                            if fuzzer.denials:
                                continue
                            break
                except ConnectionClosed as closed:
                    assert closed.rcvd is not None and 4400 <= closed.rcvd.code < 4500
            async with connect(url(shared_server, "note/fuzzroom", "alice")) as ws:
                writer = Peer(ws)
                await writer.handshake()
                token = f"alive {len(data)}-{data[:4].hex()}"
                await writer.write(text=token, author="alice")
                await watcher.until(lambda: watcher.note().get("text") == token)

    asyncio.run(scenario())
