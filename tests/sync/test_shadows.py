"""The kept shadow (issue 28): every loaded document keeps one copy equal to it between changes,
so that judging a change costs O(change). The invariant: after each change the kept shadow
equals the live document, or there is none; a refused change on a kept shadow leaves the
document exactly as it was (live, stored, and the next accepted change judged on the right
state), whichever way it is refused."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from pycrdt import Array, Doc, Map

from app.storage.sqlite import SQLiteDatabase
from sync import Refused, SyncEngine, store
from sync.documents import LoadedDoc
from sync.shadow import Shadow, shadow_cost

from .test_engine import edit, last_seq, live, note_row
from .toy import USERS, make_engine

alice = USERS["alice"]
pytestmark = pytest.mark.anyio
NAME = "note/s1"


def loaded_of(engine: SyncEngine, name: str = NAME) -> LoadedDoc:
    loaded = engine.documents.get(name)
    assert loaded is not None
    return loaded


def assert_kept_and_equal(engine: SyncEngine, name: str = NAME) -> None:
    """The shadow is kept, and equal to the live document (state and content)."""
    loaded = loaded_of(engine, name)
    assert loaded.shadow is not None, "no shadow kept after an accepted change"
    assert loaded.shadow.doc.get_state() == loaded.doc.get_state()
    assert loaded.shadow.doc.get("note", type=Map).to_py() == loaded.doc.get("note", type=Map).to_py()


def assert_none_or_equal(engine: SyncEngine, name: str = NAME) -> None:
    loaded = loaded_of(engine, name)
    if loaded.shadow is not None:
        assert loaded.shadow.doc.get_state() == loaded.doc.get_state()


def fork(client: Doc) -> Doc:
    """Another client that has seen all `client` has."""
    other: Doc = Doc()
    other.apply_update(client.get_update())
    return other


# The document stays small (the shadows of small documents were never kept before issue 28).
DOC_LIMIT = 12_000


async def grow(engine: SyncEngine, client: Doc) -> None:
    """Four accepted appends of 2.5 KB each, up to near the document limit."""
    tags = client.get("note", type=Map)["tags"]
    for i in range(4):
        before = client.get_state()
        tags.append(f"{i}" * 2_500)
        await engine.apply_update(alice, NAME, client.get_update(before))


async def refuse_invalid(engine: SyncEngine, db: SQLiteDatabase, client: Doc) -> None:
    with pytest.raises(Refused) as refused:  # judged on the kept shadow, which it dirties
        await engine.apply_update(alice, NAME, edit(fork(client), text="x" * 201))
    assert refused.value.status == 422


async def refuse_too_large(engine: SyncEngine, db: SQLiteDatabase, client: Doc) -> None:
    other = fork(client)
    before = other.get_state()
    other.get("note", type=Map)["tags"].append("z" * 3_000)
    with pytest.raises(Refused) as refused:
        await engine.apply_update(alice, NAME, other.get_update(before))
    assert refused.value.status == 413 and "would grow" in refused.value.reason


async def stale_then_retried(engine: SyncEngine, db: SQLiteDatabase, client: Doc) -> None:
    # Another process (here: the store, behind the engine's back) commits first; our change is
    # judged on the kept shadow, fails its commit as stale, and is judged again after catching up.
    elsewhere = edit(fork(client), text="from elsewhere")
    await db.write(lambda tx: store.append(tx, NAME, elsewhere, engine.squash))
    await engine.apply_update(alice, NAME, edit(fork(client), tags=None))


async def failing_storage(engine: SyncEngine, db: SQLiteDatabase, client: Doc) -> None:
    original = store.append

    def broken(tx: Any, *args: Any) -> int:
        raise OSError("disk I/O error")

    store.append = broken  # type: ignore[assignment]
    try:
        with pytest.raises(OSError):
            await engine.apply_update(alice, NAME, edit(fork(client), text="never stored"))
    finally:
        store.append = original  # type: ignore[assignment]


async def failing_in_tx(engine: SyncEngine, db: SQLiteDatabase, client: Doc) -> None:
    def boom(tx: Any) -> None:
        raise RuntimeError("the outbox item was taken by someone else")

    with pytest.raises(RuntimeError):
        await engine.server_write(NAME, lambda d: d.get("note", type=Map).__setitem__("text", "x" * 150), boom)


Refusal = Callable[[SyncEngine, SQLiteDatabase, Doc], Awaitable[None]]


@pytest.mark.parametrize(
    "refusal, stored",
    [(refuse_invalid, 0), (refuse_too_large, 0), (stale_then_retried, 2), (failing_storage, 0),
     (failing_in_tx, 0)],
    ids=["validator-422", "too-large-413", "stale-on-commit", "storage-error", "failing-in_tx"],
)
async def test_a_refused_change_on_a_kept_shadow_leaves_the_document_as_it_was(
    engine: SyncEngine, db: SQLiteDatabase, refusal: Refusal, stored: int
) -> None:
    engine.kinds["note"].max_doc_bytes = DOC_LIMIT  # this engine's kind only
    client: Doc = Doc()
    await engine.apply_update(alice, NAME, edit(client, text="original", author="alice", tags=Array()))
    await grow(engine, client)  # near the document limit, for the 413
    assert_kept_and_equal(engine)
    seq = await last_seq(db, NAME)
    before = await live(engine, NAME)

    await refusal(engine, db, client)

    assert_none_or_equal(engine)
    assert await last_seq(db, NAME) == seq + stored
    if not stored:  # exactly as it was: live, the store's projection, the store itself
        assert await live(engine, NAME) == before
        assert await note_row(db, "s1") == ("original", "alice", 5)
    client.apply_update((await engine.read_doc(NAME)).get_update())  # type: ignore[union-attr]
    # The next change is judged on the live state, not on the refused one: a dirty shadow would
    # still hold the refused text (201 or 150 characters) or tags, and judge this one by them.
    await engine.apply_update(alice, NAME, edit(client, author="alice", text="next"))
    assert_kept_and_equal(engine)
    expected = client.get("note", type=Map).to_py()
    assert await live(engine, NAME) == expected
    stored_doc: Doc = Doc()
    stored_state = await db.read(lambda c: store.load_stored(c, NAME))
    assert stored_state is not None
    stored_doc.apply_update(stored_state.state)
    assert stored_doc.get("note", type=Map).to_py() == expected


async def test_a_clients_change_reuses_the_shadow_whatever_its_client_id(
    engine: SyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    client: Doc = Doc()
    await engine.apply_update(alice, NAME, edit(client, text="a", author="alice"))
    await engine.server_write(NAME, lambda d: d.get("note", type=Map).__setitem__("tags", "server"))
    copies: list[Shadow] = []
    original = Shadow.of.__func__  # type: ignore[attr-defined]
    monkeypatch.setattr(Shadow, "of", classmethod(lambda cls, *a: copies.append(original(cls, *a)) or copies[-1]))
    client.apply_update((await engine.read_doc(NAME)).get_update())  # type: ignore[union-attr]
    for i in range(5):  # other writers' ids, the server's shadow: no copy of the document
        await engine.apply_update(alice, NAME, edit(client, text=f"v{i}"))
        await engine.apply_update(alice, NAME, edit(fork(client), text=f"w{i}"))
        client.apply_update((await engine.read_doc(NAME)).get_update())  # type: ignore[union-attr]
    await engine.server_write(NAME, lambda d: d.get("note", type=Map).__setitem__("tags", "again"))
    assert copies == []
    assert_kept_and_equal(engine)


async def test_kept_shadows_stay_within_their_memory_budget(db: SQLiteDatabase) -> None:
    one = shadow_cost(200)
    engine = make_engine(db, shadow_budget=2 * one)  # room for two small documents
    for n in range(4):
        await engine.apply_update(alice, f"note/b{n}", edit(Doc(), text="t", author="alice"))
    kept = [n for n in range(4) if loaded_of(engine, f"note/b{n}").shadow is not None]
    assert kept == [2, 3]  # the least recently used went first
    shadows = engine.documents.shadows
    assert len(shadows) == 2 and 0 < shadows.bytes <= shadows.budget
    await engine.apply_update(alice, "note/b0", edit(Doc(), author="alice", text="u"))
    assert [n for n in range(4) if loaded_of(engine, f"note/b{n}").shadow is not None] == [0, 3]
    assert engine.unload_idle(0) == 4
    assert len(shadows) == 0 and shadows.bytes == 0
    tiny = make_engine(db, shadow_budget=0)  # no budget: nothing kept, every change copies
    await tiny.server_write("feed/t", lambda d: d.get("items", type=Array).append("x"))
    assert loaded_of(tiny, "feed/t").shadow is None and len(tiny.documents.shadows) == 0
