"""The engine's guarantees, without a server: judged on a shadow, committed with the hooks,
applied live only after COMMIT, refused whole, idempotent, serialised, loaded on demand."""

from __future__ import annotations

import asyncio
import gc
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pycrdt import Array, Doc, Map

from app.storage.sqlite import SQLiteDatabase
from sync import Refused, Subscriber, SyncEngine, store

from .channels import FakeChannel
from .toy import SERVER, USERS, Hooks

alice, carol, bob, eve = USERS["alice"], USERS["carol"], USERS["bob"], USERS["eve"]
pytestmark = pytest.mark.anyio


def edit(doc: Doc, **fields: Any) -> bytes:
    """Change a client's note and return the update that change produced."""
    before = doc.get_state()
    note = doc.get("note", type=Map)
    with doc.transaction():
        for key, value in fields.items():
            if value is None:
                del note[key]
            else:
                note[key] = value
    return doc.get_update(before)


async def note_row(db: SQLiteDatabase, doc_id: str) -> tuple[Any, ...] | None:
    row = await db.read(
        lambda c: c.execute(
            "SELECT text, author, changes FROM toy_notes WHERE id = ?", (doc_id,)
        ).fetchone()
    )
    return None if row is None else tuple(row)


async def last_seq(db: SQLiteDatabase, name: str) -> int:
    stats = await db.read(lambda c: store.stats(c, name))
    return 0 if stats is None else int(stats["last_seq"])


async def live(engine: SyncEngine, name: str) -> dict[str, Any]:
    doc = await engine.read_doc(name)
    return {} if doc is None else (doc.get("note", type=Map).to_py() or {})


async def test_an_accepted_update_commits_with_its_projection_then_goes_live(
    engine: SyncEngine, db: SQLiteDatabase, hooks: Hooks
) -> None:
    channel = FakeChannel()
    reader = Subscriber(channel, bob)
    async with engine.subscribe("note/n1", reader):
        applied = await engine.apply_update(
            alice, "note/n1", edit(Doc(), text="hi", author="alice")
        )
        assert applied.changed and applied.seq == 1 and applied.created
        assert applied.value == "committed n1"
        await channel.wait_for(lambda ch: len(ch.updates()) == 1)
    assert await note_row(db, "n1") == ("hi", "alice", 1)
    events = await db.read(lambda c: c.execute("SELECT key FROM toy_events").fetchall())
    assert [tuple(e) for e in events] == [("created:n1",)]
    assert hooks.commits == [("n1", True)]
    assert hooks.after == [("n1", True, "committed n1")]
    assert channel.replay().get("note", type=Map).to_py() == {"text": "hi", "author": "alice"}


@pytest.mark.parametrize(
    "who, fields, status, code",
    [
        (alice, {"text": "x" * 201}, 422, "invalid"),
        (alice, {"colour": "red"}, 422, "invalid"),
        (alice, {"author": "carol"}, 403, "forbidden"),
        (bob, {"text": "a viewer writes"}, 403, "forbidden"),
        (None, {"text": "anonymous"}, 401, "unauthenticated"),
        (alice, {"text": "big", "tags": "y" * 17_000}, 413, "too_large"),
    ],
)
async def test_a_refused_update_leaves_nothing_anywhere(
    engine: SyncEngine,
    db: SQLiteDatabase,
    hooks: Hooks,
    who: Any,
    fields: dict[str, Any],
    status: int,
    code: str,
) -> None:
    client: Doc = Doc()
    await engine.apply_update(alice, "note/n2", edit(client, text="original", author="alice"))
    channel = FakeChannel()
    async with engine.subscribe("note/n2", Subscriber(channel, bob)):
        with pytest.raises(Refused) as refused:
            await engine.apply_update(who, "note/n2", edit(client, **fields))
        assert (refused.value.status, refused.value.code) == (status, code)
        assert channel.sent == []  # the other reader heard nothing
    assert await last_seq(db, "note/n2") == 1
    assert await note_row(db, "n2") == ("original", "alice", 1)
    assert await live(engine, "note/n2") == {"text": "original", "author": "alice"}
    assert hooks.commits == [("n2", True)]


async def test_a_document_may_not_grow_past_its_limit(engine: SyncEngine, db: SQLiteDatabase) -> None:
    client: Doc = Doc()
    await engine.apply_update(alice, "note/big", edit(client, author="alice", tags=Array()))
    tags = client.get("note", type=Map)["tags"]
    with pytest.raises(Refused) as refused:
        for i in range(6):  # 15 KB each: under the update limit, over the 64 KB document limit
            before = client.get_state()
            tags.append(f"{i}" * 15_000)
            await engine.apply_update(alice, "note/big", client.get_update(before))
    assert refused.value.status == 413 and "would grow" in refused.value.reason
    assert await last_seq(db, "note/big") == 5


async def test_malformed_bytes_are_a_400_and_change_nothing(
    engine: SyncEngine, db: SQLiteDatabase
) -> None:
    for junk in (b"\xff\xff\xff", b"\x01\x01\x01\x01\x01", b"\x00"):
        with pytest.raises(Refused) as refused:
            await engine.apply_update(alice, "note/m", junk)
        assert refused.value.status == 400
    assert await last_seq(db, "note/m") == 0


async def test_an_update_with_missing_dependencies_is_refused(
    engine: SyncEngine, db: SQLiteDatabase
) -> None:
    client: Doc = Doc()
    first = edit(client, text="one", author="alice")
    second = edit(client, text="two")
    with pytest.raises(Refused) as refused:
        await engine.apply_update(alice, "note/p", second)
    assert (refused.value.status, refused.value.code) == (422, "missing_dependencies")
    assert await last_seq(db, "note/p") == 0
    # Its dependency arriving later does not smuggle it in: it was never kept.
    await engine.apply_update(alice, "note/p", first)
    assert await live(engine, "note/p") == {"text": "one", "author": "alice"}
    await engine.apply_update(alice, "note/p", second)
    assert await live(engine, "note/p") == {"text": "two", "author": "alice"}


async def test_a_deletion_of_something_the_server_lacks_is_refused(
    engine: SyncEngine, db: SQLiteDatabase
) -> None:
    client: Doc = Doc()
    created = edit(client, text="t", author="alice", tags="x")
    deletion = edit(client, tags=None)  # a delete set only, about an item the server lacks
    with pytest.raises(Refused) as refused:
        await engine.apply_update(alice, "note/d", deletion)
    assert refused.value.code == "missing_dependencies"
    await engine.apply_update(alice, "note/d", created)
    await engine.apply_update(alice, "note/d", deletion)
    assert await live(engine, "note/d") == {"text": "t", "author": "alice"}


async def test_a_retry_is_accepted_stores_nothing_and_runs_no_hook(
    engine: SyncEngine, db: SQLiteDatabase, hooks: Hooks
) -> None:
    update = edit(Doc(), text="once", author="alice")
    channel = FakeChannel()
    async with engine.subscribe("note/i", Subscriber(channel, bob)):
        first = await engine.apply_update(alice, "note/i", update)
        again = await engine.apply_update(alice, "note/i", update)
        await channel.wait_for(lambda ch: len(ch.updates()) >= 1)
    assert first.changed and not again.changed
    assert await last_seq(db, "note/i") == 1
    assert hooks.commits == [("i", True)] and len(hooks.after) == 1
    assert len(channel.updates()) == 1


async def test_a_readers_step2_with_known_deletions_is_a_no_op(engine: SyncEngine) -> None:
    writer: Doc = Doc()
    await engine.apply_update(alice, "note/r", edit(writer, text="a", author="alice", tags="t"))
    await engine.apply_update(alice, "note/r", edit(writer, tags=None))
    reader: Doc = Doc()
    reader.apply_update(writer.get_update())
    # What a y-websocket reader answers to the server's step 1: no structs, all its deletions.
    server_state = (await engine.read_doc("note/r")).get_state()  # type: ignore[union-attr]
    step2 = reader.get_update(server_state)
    assert step2 != b"\x00\x00"
    assert not (await engine.apply_update(bob, "note/r", step2)).changed


async def test_another_writers_client_id_is_refused(engine: SyncEngine, db: SQLiteDatabase) -> None:
    alices: Doc = Doc()
    await engine.apply_update(alice, "note/c", edit(alices, text="mine", author="alice"))
    # Carol continues alice's clocks under alice's client id: Yjs would then drop alice's real
    # next change as "already known". Refused.
    impostor: Doc = Doc(client_id=alices.client_id)
    impostor.apply_update(alices.get_update())
    with pytest.raises(Refused) as refused:
        await engine.apply_update(carol, "note/c", edit(impostor, text="hijacked"))
    assert refused.value.code == "client_id_taken"
    await engine.apply_update(alice, "note/c", edit(alices, text="still mine"))
    assert await live(engine, "note/c") == {"text": "still mine", "author": "alice"}


async def test_server_write_commits_with_in_tx_and_is_exactly_once(
    engine: SyncEngine, db: SQLiteDatabase
) -> None:
    def add_item(doc: Doc) -> None:
        items = doc.get("items", type=Array)
        if "first" not in items.to_py():
            items.append("first")

    def mark(tx: Any) -> int:
        tx.execute("INSERT INTO toy_events VALUES ('done:first', 'feed/f', '{}') ON CONFLICT DO NOTHING")
        return 7

    channel = FakeChannel()
    async with engine.subscribe("feed/f", Subscriber(channel, bob)):
        applied = await engine.server_write("feed/f", add_item, mark)
        again = await engine.server_write("feed/f", add_item, mark)  # a redelivered outbox item
        await channel.wait_for(lambda ch: len(ch.updates()) == 1)
    assert applied.changed and applied.result == 7 and applied.created
    assert not again.changed and again.result == 7
    assert await last_seq(db, "feed/f") == 1
    doc = await engine.read_doc("feed/f")
    assert doc is not None and doc.get("items", type=Array).to_py() == ["first"]
    assert channel.replay().get("items", type=Array).to_py() == ["first"]
    loaded = engine.documents.get("feed/f")
    assert loaded is not None and loaded.writers == {engine.client_id: "server:server"}
    assert SERVER.id == "server"


def _docs_alive() -> int:
    gc.collect()
    return sum(isinstance(o, Doc) for o in gc.get_objects())


async def test_judged_changes_leave_no_copies_of_the_document_behind(engine: SyncEngine) -> None:
    """Each change is judged on a copy; a copy that is not kept for the next change is freed.

    pycrdt keeps an observed Doc alive from the Rust side until it is unobserved, where the
    garbage collector cannot see it: this failed (every change leaked a whole copy) until the
    engine closed the shadows it drops.
    """
    client = Doc()
    await engine.apply_update(alice, "note/leak", edit(client, text="first", author="alice"))
    await engine.server_write("feed/leak", lambda doc: doc.get("items", type=Array).append("0"))
    before = _docs_alive()
    for i in range(25):
        await engine.apply_update(alice, "note/leak", edit(client, text=f"v{i}"))
        with pytest.raises(Refused):  # judged on a copy, refused: the copy goes too
            await engine.apply_update(alice, "note/leak", edit(Doc(), colour="red"))
        await engine.server_write("feed/leak", lambda doc: doc.get("items", type=Array).append("x"))
    assert _docs_alive() <= before
    assert engine.unload_idle(0) == 2  # unloading frees the documents and any cached copy
    assert _docs_alive() <= before - 2


async def test_server_write_whose_in_tx_fails_applies_nothing(
    engine: SyncEngine, db: SQLiteDatabase
) -> None:
    def boom(tx: Any) -> None:
        raise RuntimeError("the outbox item was taken by someone else")

    channel = FakeChannel()
    async with engine.subscribe("feed/g", Subscriber(channel, bob)):
        with pytest.raises(RuntimeError):
            await engine.server_write(
                "feed/g", lambda d: d.get("items", type=Array).append(1), boom
            )
    assert channel.sent == []
    assert await last_seq(db, "feed/g") == 0
    assert await engine.read_doc("feed/g") is None


async def test_clients_cannot_write_a_server_written_kind(engine: SyncEngine) -> None:
    client: Doc = Doc()
    client.get("items", type=Array).append("spam")
    with pytest.raises(Refused) as refused:
        await engine.apply_update(alice, "feed/h", client.get_update())
    assert refused.value.status == 403


async def test_unknown_kinds_and_bad_ids_are_404(engine: SyncEngine) -> None:
    for name in ("nope/1", "note/", "note/a b", "note/" + "x" * 65, "note/../etc"):
        with pytest.raises(Refused) as refused:
            await engine.authorize_read(alice, name)
        assert refused.value.status == 404


async def test_idle_documents_are_unloaded_and_reload(engine: SyncEngine) -> None:
    await engine.apply_update(alice, "note/u", edit(Doc(), text="kept", author="alice"))
    channel = FakeChannel()
    async with engine.subscribe("note/w", Subscriber(channel, bob)):
        assert engine.unload_idle(max_idle_s=0) == 1  # note/u; note/w has a reader
        assert engine.loaded == ["note/w"]
    assert engine.unload_idle(max_idle_s=0) == 1
    assert engine.loaded == []
    assert await live(engine, "note/u") == {"text": "kept", "author": "alice"}


async def test_the_background_reaper_unloads(db: SQLiteDatabase) -> None:
    from .toy import make_engine

    engine = make_engine(db, idle_unload_s=0.05)
    unloaded = asyncio.Event()
    engine.documents.on_unload = lambda name: unloaded.set()
    await engine.start()
    try:
        await engine.read_doc("note/z")
        assert engine.loaded == ["note/z"]
        await asyncio.wait_for(unloaded.wait(), 5)
        assert engine.loaded == []
    finally:
        await engine.stop()


async def test_concurrent_writers_are_serialised(engine: SyncEngine, db: SQLiteDatabase) -> None:
    await engine.apply_update(alice, "note/s", edit(Doc(), author="alice"))
    clients = [Doc() for _ in range(20)]
    for c in clients:
        c.apply_update((await engine.read_doc("note/s")).get_update())  # type: ignore[union-attr]
    ups = [edit(c, **{"text": f"v{i}"}) for i, c in enumerate(clients)]
    writers = [alice if i % 2 else carol for i in range(20)]
    results = await asyncio.gather(
        *(engine.apply_update(w, "note/s", u) for w, u in zip(writers, ups, strict=True))
    )
    assert sorted(r.seq for r in results) == list(range(2, 22))  # type: ignore[type-var]
    assert await last_seq(db, "note/s") == 21
    stored = await db.read(lambda c: store.load(c, "note/s"))
    from_db: Doc = Doc()
    from_db.apply_update(stored)  # type: ignore[arg-type]
    assert from_db.get("note", type=Map).to_py() == await live(engine, "note/s")


async def test_a_cancelled_caller_does_not_split_database_and_memory(
    engine: SyncEngine, db: SQLiteDatabase
) -> None:
    channel = FakeChannel()
    async with engine.subscribe("note/x", Subscriber(channel, bob)):
        task = asyncio.create_task(
            engine.apply_update(alice, "note/x", edit(Doc(), text="in flight", author="alice"))
        )
        await asyncio.sleep(0)  # let it start, then walk away before it is done
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await channel.wait_for(lambda ch: len(ch.updates()) == 1)  # it went on and committed
    assert await last_seq(db, "note/x") == 1
    assert await live(engine, "note/x") == {"text": "in flight", "author": "alice"}


async def test_readers_of_an_ownerless_document_are_rechecked_when_it_is_created(
    engine: SyncEngine,
) -> None:
    mine, theirs = FakeChannel(), FakeChannel()
    pad: Doc = Doc()
    pad.get("pad", type=Map)["secret"] = "alice's"
    async with (
        engine.subscribe("pad/p", Subscriber(mine, alice)) as _,
        engine.subscribe("pad/p", Subscriber(theirs, carol)),
    ):
        await engine.apply_update(alice, "pad/p", pad.get_update())
        await theirs.wait_for(lambda ch: ch.closed is not None)
    assert theirs.closed == (4403, "forbidden")
    assert theirs.updates() == []  # evicted before the broadcast
    assert len(theirs.denials()) == 1


def _base_updates() -> list[bytes]:
    doc: Doc = Doc()
    out: list[bytes] = []
    doc.observe(lambda event: out.append(event.update))
    note = doc.get("note", type=Map)
    note["author"] = "alice"
    note["text"] = "a note"
    note["tags"] = Array(["a", "b"])
    note["tags"].append("c")
    del note["text"]
    return out


BASE_UPDATES = _base_updates()


@st.composite
def mutated_updates(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(BASE_UPDATES)))
    for _ in range(draw(st.integers(1, 4))):
        pos = draw(st.integers(0, len(data)))
        op = draw(st.sampled_from(["flip", "insert", "delete"]))
        if op == "insert" or not data:
            data.insert(pos, draw(st.integers(0, 255)))
        elif op == "flip":
            data[min(pos, len(data) - 1)] = draw(st.integers(0, 255))
        else:
            del data[min(pos, len(data) - 1)]
    return bytes(data)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(update=mutated_updates())
def test_mutated_updates_are_applied_or_refused_never_an_error(db: SQLiteDatabase, update: bytes) -> None:
    from .toy import make_engine

    async def scenario() -> None:
        engine = make_engine(db)
        name = f"note/f{update[:6].hex()}"
        try:
            await engine.apply_update(alice, name, update)
        except Refused as refused:
            assert refused.status in (400, 403, 413, 422)
        # Whatever happened, the document is still readable and still takes a good update.
        follow_up: Doc = Doc()
        follow_up.apply_update((await engine.read_doc(name) or Doc()).get_update())
        await engine.apply_update(alice, name, edit(follow_up, author="alice", text="after"))

    asyncio.run(scenario())
