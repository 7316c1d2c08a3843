"""Rooms and connections over an in-memory Channel: fan-out, slow readers, awareness, denials."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from pycrdt import Doc, Map

from app.storage.sqlite import SQLiteDatabase
from sync import SyncEngine, protocol
from sync.connection import serve
from sync.protocol import AwarenessEntry
from sync.room import Room, Subscriber

from .channels import FakeChannel
from .toy import USERS, PadKind

alice, bob, carol, eve = USERS["alice"], USERS["bob"], USERS["carol"], USERS["eve"]
pytestmark = pytest.mark.anyio


def awareness_msg(*entries: AwarenessEntry) -> bytes:
    return protocol.encode_awareness(list(entries))


async def test_broadcast_reaches_every_subscriber_but_the_sender() -> None:
    room = Room("note/1")
    channels = [FakeChannel() for _ in range(5)]
    subs = [Subscriber(ch) for ch in channels]
    for sub in subs:
        room.join(sub)
    assert room.broadcast(b"\x00\x02\x02\x00\x00", exclude=subs[0]) == 4
    for ch in channels[1:]:
        await ch.wait_for(lambda c: len(c.sent) == 1)
    assert channels[0].sent == []


async def test_a_slow_subscriber_blocks_nobody_and_is_dropped_when_too_far_behind() -> None:
    room = Room("note/1")
    slow, fast = FakeChannel(), FakeChannel()
    slow.gate = asyncio.Event()  # never opens until the end: a reader that stopped reading
    slow_sub, fast_sub = Subscriber(slow, max_queued=10), Subscriber(fast, max_queued=10)
    room.join(slow_sub)
    room.join(fast_sub)
    for i in range(25):
        room.broadcast(bytes([0, 2, 1, i]))
        await fast.wait_for(lambda c, n=i + 1: len(c.sent) == n)  # the fast one keeps up
    assert not slow_sub.open and slow_sub not in room.subscribers
    slow.gate.set()
    await slow.wait_for(lambda c: c.closed is not None)
    assert slow.closed is not None and slow.closed[0] == 1013  # transient: reconnect, resync
    assert len(slow.sent) <= 11  # what was in flight, never the whole backlog


async def test_a_ready_channel_is_written_in_the_broadcast_itself_without_a_task() -> None:
    room = Room("note/1")
    channels = [FakeChannel() for _ in range(3)]
    for ch in channels:
        room.join(Subscriber(ch))
    tasks = len(asyncio.all_tasks())
    assert room.broadcast(b"\x00\x02\x01\x01") == 3
    # Already written, before this coroutine yields once, and no task was made for it.
    assert [ch.sent for ch in channels] == [[b"\x00\x02\x01\x01"]] * 3
    assert len(asyncio.all_tasks()) == tasks


async def test_a_send_that_has_to_wait_keeps_the_order_of_what_follows() -> None:
    ch = FakeChannel()
    ch.gate = asyncio.Event()  # the first send suspends: the socket's buffer is full
    sub = Subscriber(ch)
    for i in range(4):
        assert sub.send(bytes([0, 2, 1, i]))
    sub.close(1000, "done")
    assert ch.sent == []
    ch.gate.set()
    await sub.wait_closed()
    assert ch.sent == [bytes([0, 2, 1, i]) for i in range(4)] and ch.closed == (1000, "done")
    assert not sub.send(b"\x00\x02\x01\x09")  # nothing after the close


async def test_a_channel_that_fails_at_once_closes_its_subscriber_only() -> None:
    room = Room("note/1")
    broken, fine = FakeChannel(), FakeChannel()

    async def fail(message: bytes) -> None:
        raise ConnectionResetError("peer gone")

    broken.send = fail  # type: ignore[method-assign]
    broken_sub, fine_sub = Subscriber(broken), Subscriber(fine)
    room.join(broken_sub)
    room.join(fine_sub)
    assert room.broadcast(b"\x00\x02\x01\x01") == 1
    assert broken_sub not in room.subscribers and not broken_sub.open
    await asyncio.wait_for(broken_sub.wait_closed(), 1)
    assert fine.sent == [b"\x00\x02\x01\x01"] and fine_sub in room.subscribers


async def test_awareness_is_relayed_kept_for_newcomers_and_cleared_on_leave() -> None:
    room = Room("note/1")
    a, b = FakeChannel(), FakeChannel()
    sub_a, sub_b = Subscriber(a), Subscriber(b)
    room.join(sub_a)
    room.join(sub_b)
    room.awareness_update(sub_a, awareness_msg(AwarenessEntry(11, 1, '{"name":"A"}')))
    await b.wait_for(lambda c: len(c.sent) == 1)
    await a.wait_for(lambda c: len(c.sent) == 1)  # echoed, as y-websocket servers do
    snapshot = room.awareness_snapshot()
    assert snapshot is not None
    (message,) = protocol.decode_messages(snapshot)
    assert isinstance(message, protocol.Awareness)
    assert protocol.decode_awareness(message.update) == [AwarenessEntry(11, 1, '{"name":"A"}')]
    # B may not overwrite or clear A's state.
    room.awareness_update(sub_b, awareness_msg(AwarenessEntry(11, 2, "null")))
    assert room.awareness_snapshot() == snapshot
    room.leave(sub_a)
    await b.wait_for(lambda c: len(c.sent) == 2)
    (gone,) = protocol.decode_messages(b.sent[-1])
    assert isinstance(gone, protocol.Awareness)
    assert protocol.decode_awareness(gone.update) == [AwarenessEntry(11, 2, "null")]
    assert room.awareness_snapshot() is None


async def test_without_relay_awareness_only_echoes_to_the_sender() -> None:
    room = Room("feed/1", relay_awareness=False)
    a, b = FakeChannel(), FakeChannel()
    sub_a, sub_b = Subscriber(a), Subscriber(b)
    room.join(sub_a)
    room.join(sub_b)
    room.awareness_update(sub_a, awareness_msg(AwarenessEntry(5, 1, "{}")))
    await a.wait_for(lambda c: len(c.sent) == 1)
    assert b.sent == [] and room.awareness_snapshot() is None


async def run_connection(engine: SyncEngine, channel: FakeChannel, who: object, name: str):
    return asyncio.create_task(serve(engine, channel, who, name))


async def test_a_reader_gets_step1_and_an_answer_to_its_step1(engine: SyncEngine) -> None:
    writer: Doc = Doc()
    writer.get("note", type=Map)["author"] = "alice"
    await engine.apply_update(alice, "note/c", writer.get_update())
    channel = FakeChannel()
    task = await run_connection(engine, channel, bob, "note/c")
    await channel.wait_for(lambda c: len(c.sent) == 1)
    assert isinstance(channel.messages()[0], protocol.SyncStep1)
    channel.feed(protocol.sync_step1(protocol.EMPTY_STATE_VECTOR))
    await channel.wait_for(lambda c: len(c.sent) == 2)
    assert channel.replay().get("note", type=Map).to_py() == {"author": "alice"}
    channel.hang_up()
    await asyncio.wait_for(task, 5)
    assert engine.room("note/c") is not None and len(engine.room("note/c")) == 0  # type: ignore[arg-type]


@pytest.mark.parametrize("who, code", [(eve, 4403), (None, 4401)])
async def test_a_reader_that_may_not_read_is_denied_then_closed(
    engine: SyncEngine, who: object, code: int
) -> None:
    channel = FakeChannel()
    await asyncio.wait_for(serve(engine, channel, who, "note/c"), 5)
    assert len(channel.denials()) == 1 and channel.closed is not None
    assert channel.closed[0] == code
    assert "note/c" not in engine.loaded  # a denied reader loads nothing


async def test_a_refused_update_denies_and_closes_only_that_connection(
    engine: SyncEngine,
) -> None:
    good, bad = FakeChannel(), FakeChannel()
    tasks = [
        await run_connection(engine, good, bob, "note/r"),
        await run_connection(engine, bad, bob, "note/r"),  # a viewer that tries to write
    ]
    await good.wait_for(lambda c: len(c.sent) == 1)
    await bad.wait_for(lambda c: len(c.sent) == 1)
    spam: Doc = Doc()
    spam.get("note", type=Map)["text"] = "spam"
    bad.feed(protocol.sync_update(spam.get_update()))
    await bad.wait_for(lambda c: c.closed is not None)
    assert bad.closed == (4403, "forbidden") and len(bad.denials()) == 1
    # The room still works for the others.
    update = Doc()
    update.get("note", type=Map)["author"] = "alice"
    await engine.apply_update(alice, "note/r", update.get_update())
    await good.wait_for(lambda c: len(c.updates()) == 1)
    assert good.closed is None and good.updates() and not good.denials()
    good.hang_up()
    await asyncio.wait_for(asyncio.gather(*tasks), 5)


@pytest.mark.parametrize(
    "junk",
    [b"\xff\xff", bytes([0, 2, 3, 1, 2, 3]), bytes([1, 3, 1, 1, 1]), bytes([9]), b""],
)
async def test_malformed_messages_close_the_connection_with_4400(
    engine: SyncEngine, junk: bytes
) -> None:
    channel = FakeChannel()
    task = await run_connection(engine, channel, alice, "note/m")
    await channel.wait_for(lambda c: len(c.sent) == 1)
    channel.feed(junk)
    await channel.wait_for(lambda c: c.closed is not None)
    assert channel.closed is not None and channel.closed[0] == 4400
    await asyncio.wait_for(task, 5)


async def test_a_document_created_between_the_check_and_joining_is_checked_again(
    db: SQLiteDatabase,
) -> None:
    """carol's check passes while pad/q has no owner; alice creates it before carol joins."""
    checked, go_on = asyncio.Event(), asyncio.Event()

    class SlowPad(PadKind):
        async def can_read(self, principal: Any, doc_id: str) -> bool:
            allowed = await super().can_read(principal, doc_id)
            if principal is carol and not checked.is_set():
                checked.set()
                await go_on.wait()  # the answer is computed; the caller has not joined yet
            return allowed

    engine = SyncEngine(db, [SlowPad(db)])
    channel = FakeChannel()
    task = asyncio.create_task(serve(engine, channel, carol, "pad/q"))
    await asyncio.wait_for(checked.wait(), 5)
    pad: Doc = Doc()
    pad.get("pad", type=Map)["secret"] = "alice's"
    await engine.apply_update(alice, "pad/q", pad.get_update())
    go_on.set()
    await asyncio.wait_for(task, 5)
    assert channel.closed == (4403, "forbidden")
    assert channel.updates() == [] and len(channel.denials()) == 1


async def test_a_send_that_waits_on_a_future_finishes_once_it_is_set() -> None:
    # What a paused socket does to uvicorn's send: it waits on an Event. The eager start hands the
    # waiting over to a task, which must resume it rather than fail (and drop the reader).
    writable, both_sent = asyncio.Event(), asyncio.Event()
    sent: list[bytes] = []

    class PausedChannel(FakeChannel):
        async def send(self, message: bytes) -> None:
            await writable.wait()
            sent.append(message)
            if len(sent) == 2:
                both_sent.set()

    sub = Subscriber(PausedChannel())
    assert sub.send(b"first") and sub.send(b"second")
    for _ in range(3):  # steps, not time: let the drain task start waiting on the future
        await asyncio.sleep(0)
    writable.set()
    async with asyncio.timeout(5):
        await both_sent.wait()
    assert sent == [b"first", b"second"] and sub.open
