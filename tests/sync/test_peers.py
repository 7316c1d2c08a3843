"""Two engines on one PostgreSQL database, as two processes are: no change is judged on a copy
another process moved past, and with peers (NOTIFY) each one's readers see the other's commits.

Always on PostgreSQL (the session's server, tests/pg.py), whichever backend the suite runs on."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from pycrdt import Doc, Map

from app.storage.postgres import PostgresDatabase
from sync import Refused, Subscriber, SyncEngine
from sync.peers import NotifyPeers

from ..pg import PostgresServer
from .channels import FakeChannel
from .test_engine import edit, live
from .toy import USERS, Hooks, m1_sync, m2_toy, make_engine

alice, carol, bob = USERS["alice"], USERS["carol"], USERS["bob"]
pytestmark = [pytest.mark.anyio, pytest.mark.multiprocess]


@pytest.fixture
async def two(postgres: PostgresServer, request: pytest.FixtureRequest) -> AsyncIterator[list[SyncEngine]]:
    """Two engines, each with its own database pool on one PostgreSQL database; with peers
    when the test is marked `peers`."""
    url = postgres.create_database()
    dbs = [PostgresDatabase(url, migrations=[m1_sync, m2_toy]).open() for _ in range(2)]
    with_peers = request.node.get_closest_marker("peers") is not None
    engines = []
    for db in dbs:
        peers = NotifyPeers(db) if with_peers else None
        engine = make_engine(db, Hooks(), peers=peers)
        await engine.start()
        if peers is not None:
            peers.start(engine)
        engines.append(engine)
    if with_peers:
        await asyncio.sleep(0.3)  # both LISTEN connections are up
    try:
        yield engines
    finally:
        for engine in engines:
            await engine.stop()
        for db in dbs:
            db.close()
        postgres.drop_database(url)


async def test_a_change_is_judged_on_what_another_process_committed(two: list[SyncEngine]) -> None:
    a, b = two
    alices: Doc = Doc()
    await a.apply_update(alice, "note/s", edit(alices, text="draft", author="alice"))
    assert await live(b, "note/s") == {"text": "draft", "author": "alice"}  # B has it, at seq 1
    # A repair on A takes the author off (B is not told: no peers here).
    await a.server_write("note/s", lambda doc: doc.get("note", type=Map).pop("author"), validate=False)

    # Carol writes author = alice. On B's copy that changes nothing (it already says alice); on
    # the stored note, which has no author now, it names someone else as author: forbidden. B's
    # write rolls back, B catches up, and judges again on the stored state: refused.
    stale: Doc = Doc()
    stale.apply_update((await b.read_doc("note/s")).get_update())  # type: ignore[union-attr]
    with pytest.raises(Refused) as refused:
        await b.apply_update(carol, "note/s", edit(stale, author="alice"))
    assert refused.value.status == 403
    assert await live(b, "note/s") == {"text": "draft"}  # caught up
    # And a good change sent to the formerly stale process commits as the next seq.
    await b.server_write("note/s", lambda doc: doc.get("note", type=Map).__setitem__("text", "final"))
    rows = await b.db.read(lambda c: c.execute("SELECT seq FROM sync_updates WHERE name = 'note/s' ORDER BY seq").fetchall())
    assert [r[0] for r in rows] == [1, 2, 3]


@pytest.mark.peers
async def test_a_commit_on_one_process_reaches_the_readers_of_another(two: list[SyncEngine]) -> None:
    a, b = two
    await a.apply_update(alice, "note/p", edit(Doc(), text="first", author="alice"))
    channel = FakeChannel()
    reader = Subscriber(channel, bob)
    async with b.subscribe("note/p", reader):
        alices: Doc = Doc()
        alices.apply_update((await a.read_doc("note/p")).get_update())  # type: ignore[union-attr]
        await a.apply_update(alice, "note/p", edit(alices, text="second"))
        for _ in range(200):
            if channel.sent:
                break
            await asyncio.sleep(0.01)
        assert channel.sent, "B's reader never heard of A's commit"
        seen: Doc = Doc()
        seen.apply_update((await a.read_doc("note/p")).get_update())  # type: ignore[union-attr]
        copy: Doc = Doc()
        copy.apply_update((await b.read_doc("note/p")).get_update())  # type: ignore[union-attr]
        assert copy.get("note", type=Map).to_py() == {"text": "second", "author": "alice"}
    assert b.documents.get("note/p").seq == a.documents.get("note/p").seq == 2  # type: ignore[union-attr]


@pytest.mark.peers
async def test_both_processes_writing_at_once_lose_nothing(two: list[SyncEngine]) -> None:
    a, b = two
    await a.apply_update(alice, "note/w", edit(Doc(), text="start", author="alice"))

    async def writes(engine: SyncEngine, who: str) -> list[Any]:
        out = []
        for i in range(10):
            out.append(await engine.server_write(
                "note/w", lambda doc, i=i: doc.get("note", type=Map).__setitem__(f"{who}{i}", i), validate=False
            ))
        return out

    done = await asyncio.gather(writes(a, "a"), writes(b, "b"))
    assert all(applied.changed for run in done for applied in run)
    await asyncio.sleep(0.3)
    for engine in two:
        note = await live(engine, "note/w")
        assert {f"a{i}" for i in range(10)} | {f"b{i}" for i in range(10)} <= set(note)
    seqs = await a.db.read(lambda c: c.execute("SELECT last_seq FROM sync_documents WHERE name = 'note/w'").fetchone()[0])
    assert seqs == 21
