"""The document store: append in the caller's transaction, squash, consistent loads, restarts."""

from __future__ import annotations

from pathlib import Path

import pytest
from pycrdt import Doc, Map

from app.storage.sqlite import SQLiteDatabase
from sync import store

from .toy import make_engine, note_update, open_db


def updates(n: int) -> tuple[Doc, list[bytes]]:
    doc: Doc = Doc()
    out: list[bytes] = []
    doc.observe(lambda event: out.append(event.update))
    note = doc.get("note", type=Map)
    for i in range(n):
        note[f"k{i}"] = i
    return doc, out


def state_of(update: bytes) -> dict[str, object]:
    doc: Doc = Doc()
    doc.apply_update(update)
    return doc.get("note", type=Map).to_py() or {}


def test_append_and_load(db: SQLiteDatabase) -> None:
    source, ups = updates(3)
    seqs = [db.write_sync(lambda tx, u=u: store.append(tx, "note/a", u)) for u in ups]
    assert seqs == [1, 2, 3]
    loaded = db.read_sync(lambda c: store.load(c, "note/a"))
    assert loaded is not None and state_of(loaded) == source.get("note", type=Map).to_py()
    assert db.read_sync(lambda c: store.load(c, "note/missing")) is None


def test_squash_by_count_keeps_the_state_and_empties_the_log(db: SQLiteDatabase) -> None:
    source, ups = updates(10)
    squash = store.Squash(count=4, bytes=10**9)
    for u in ups:
        db.write_sync(lambda tx, u=u: store.append(tx, "note/a", u, squash))
    stats = db.read_sync(lambda c: store.stats(c, "note/a"))
    assert stats is not None
    assert (stats["last_seq"], stats["snapshot_seq"], stats["log_count"]) == (10, 8, 2)
    loaded = db.read_sync(lambda c: store.load_stored(c, "note/a"))
    assert loaded is not None and loaded.last_seq == 10
    assert state_of(loaded.state) == source.get("note", type=Map).to_py()


def test_squash_by_bytes(db: SQLiteDatabase) -> None:
    _, ups = updates(5)
    squash = store.Squash(count=10**6, bytes=1)  # every append squashes
    for u in ups:
        db.write_sync(lambda tx, u=u: store.append(tx, "note/a", u, squash))
    stats = db.read_sync(lambda c: store.stats(c, "note/a"))
    assert stats is not None and stats["log_count"] == 0 and stats["snapshot_seq"] == 5


def test_append_rolls_back_with_the_callers_transaction(db: SQLiteDatabase) -> None:
    _, (update,) = updates(1)

    def fails(tx: object) -> None:
        store.append(tx, "note/a", update)
        raise RuntimeError("the projection failed")

    with pytest.raises(RuntimeError):
        db.write_sync(fails)
    assert db.read_sync(lambda c: store.load(c, "note/a")) is None


def test_create_tables_runs_inside_the_migration_transaction(tmp_path: Path) -> None:
    def migration(tx: object) -> None:
        store.create_tables(tx)
        raise RuntimeError("a later statement of the same migration fails")

    with pytest.raises(RuntimeError):
        SQLiteDatabase(tmp_path / "m.sqlite", migrations=[migration]).open()
    check = SQLiteDatabase(tmp_path / "m.sqlite").open()
    try:
        tables = check.read_sync(
            lambda c: [r[0] for r in c.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        )
        assert not [t for t in tables if t.startswith("sync_")]
    finally:
        check.close()


@pytest.mark.anyio
async def test_a_new_engine_on_the_same_database_serves_the_same_document(tmp_path: Path) -> None:
    from .toy import USERS

    path = tmp_path / "restart.sqlite"
    first = open_db(path)
    client, update = note_update(text="before restart", author="alice")
    engine = make_engine(first, squash=store.Squash(count=2))
    await engine.apply_update(USERS["alice"], "note/r", update)
    for i in range(5):  # enough to squash a few times
        before = client.get_state()
        client.get("note", type=Map)["text"] = f"edit {i}"
        await engine.apply_update(USERS["alice"], "note/r", client.get_update(before))
    first.close()

    second = open_db(path)
    try:
        again = make_engine(second)
        doc = await again.read_doc("note/r")
        assert doc is not None
        assert doc.get("note", type=Map).to_py() == {"text": "edit 4", "author": "alice"}
        # Client-id ownership survives the restart too.
        loaded = again.documents.get("note/r")
        assert loaded is not None and loaded.writers == {client.client_id: "user:alice"}
    finally:
        second.close()
