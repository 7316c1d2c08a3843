"""The single write path, migrations, the audit log, the secret key and the outbox worker."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from pathlib import Path

import psycopg
import pytest

from app.identity import audit
from app.identity.auth import SERVER
from app.schema import MIGRATIONS
from app.settings import Settings
from app.storage import outbox
from app.storage.base import background
from app.storage.outbox import Retry, Worker
from app.storage.postgres import PostgresDatabase
from app.storage.sqlite import SQLiteDatabase
from tests.pg import backend


@pytest.fixture
def db(tmp_path: Path, database_url: str | None):
    """The app's database on the suite's backend (SQLite, or PostgreSQL: tests/pg.py)."""
    if database_url:
        with PostgresDatabase(database_url, MIGRATIONS) as database:
            yield database
        return
    with SQLiteDatabase(tmp_path / "t.db", MIGRATIONS) as database:
        yield database


# What each backend raises when the database refuses a statement (a trigger) or a read
# connection is asked to write.
REFUSED = (sqlite3.IntegrityError, psycopg.errors.RaiseException)
READ_ONLY = (sqlite3.OperationalError, psycopg.errors.ReadOnlySqlTransaction)
sqlite_only = pytest.mark.skipif(backend() == "postgresql", reason="the SQLite writer's own batching")


def test_migrations_set_user_version_and_are_idempotent(tmp_path: Path) -> None:
    with SQLiteDatabase(tmp_path / "t.db", MIGRATIONS) as db:
        assert db.schema_version == len(MIGRATIONS)
        mode = db.read_sync(lambda c: c.execute("PRAGMA journal_mode").fetchone()[0])
        assert mode == "wal"
    with SQLiteDatabase(tmp_path / "t.db", MIGRATIONS) as db:  # re-opening applies nothing twice
        assert db.schema_version == len(MIGRATIONS)


def test_a_failed_migration_leaves_the_schema_untouched(tmp_path: Path) -> None:
    def broken(tx) -> None:
        tx.execute("CREATE TABLE half_done (x)")
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        SQLiteDatabase(tmp_path / "t.db", [*MIGRATIONS, broken]).open()
    with SQLiteDatabase(tmp_path / "t.db", MIGRATIONS) as db:
        assert db.schema_version == len(MIGRATIONS)
        tables = db.read_sync(lambda c: [r[0] for r in c.execute("SELECT name FROM sqlite_master")])
        assert "half_done" not in tables


@sqlite_only
def test_group_commit_isolates_a_failing_write(db: SQLiteDatabase) -> None:
    """Many writers at once share commits, yet one failure undoes only its own write."""
    gate = threading.Event()
    db.submit(lambda tx: gate.wait(5))  # hold the writer so the next writes queue into one batch
    futures = []
    for i in range(20):
        if i == 7:
            futures.append(db.submit(lambda tx: (tx.execute("INSERT INTO devices (id, created_at) VALUES ('bad', 0)"), 1 / 0)))
        else:
            futures.append(db.submit(lambda tx, i=i: tx.execute("INSERT INTO devices (id, created_at) VALUES (?, 0) RETURNING rowid", (f"d{i}",)).fetchone()[0]))
    gate.set()
    for i, fut in enumerate(futures):
        if i == 7:
            with pytest.raises(ZeroDivisionError):
                fut.result(5)
        else:
            fut.result(5)
    ids = db.read_sync(lambda c: {r[0] for r in c.execute("SELECT id FROM devices")})
    assert ids == {f"d{i}" for i in range(20) if i != 7}


@sqlite_only
def test_a_write_that_ends_the_transaction_does_not_lose_its_neighbours(db: SQLiteDatabase) -> None:
    db.write_sync(
        lambda tx: tx.execute(
            "CREATE TRIGGER nope BEFORE INSERT ON devices WHEN NEW.id = 'rollback' "
            "BEGIN SELECT RAISE(ROLLBACK, 'refused'); END"
        )
    )
    gate = threading.Event()
    db.submit(lambda tx: gate.wait(5))
    first = db.submit(lambda tx: tx.execute("INSERT INTO devices (id, created_at) VALUES ('a', 0)"))
    bad = db.submit(lambda tx: tx.execute("INSERT INTO devices (id, created_at) VALUES ('rollback', 0)"))
    last = db.submit(lambda tx: tx.execute("INSERT INTO devices (id, created_at) VALUES ('b', 0)"))
    gate.set()
    first.result(5)
    last.result(5)
    with pytest.raises(sqlite3.IntegrityError):
        bad.result(5)
    ids = db.read_sync(lambda c: {r[0] for r in c.execute("SELECT id FROM devices")})
    assert ids == {"a", "b"}


def test_background_writes_wait_briefly_to_share_a_commit(tmp_path: Path) -> None:
    async def run(db: SQLiteDatabase) -> int:
        before = db.commits
        with background():
            first = asyncio.ensure_future(db.write(lambda tx: tx.execute("CREATE TABLE a (x)")))
            await asyncio.sleep(0.05)  # well inside the linger
            await db.write(lambda tx: tx.execute("CREATE TABLE b (x)"))
            await first
        return db.commits - before

    with SQLiteDatabase(tmp_path / "t.db", MIGRATIONS, background_linger_s=1.0) as db:
        assert asyncio.run(run(db)) == 1
    with SQLiteDatabase(tmp_path / "u.db", MIGRATIONS, background_linger_s=0) as db:
        assert asyncio.run(run(db)) == 2  # no linger: each write commits on its own


def test_a_request_write_never_waits_for_the_background_linger(tmp_path: Path) -> None:
    async def run(db: SQLiteDatabase) -> tuple[float, int]:
        before = db.commits
        with background():
            queued = asyncio.ensure_future(db.write(lambda tx: tx.execute("CREATE TABLE a (x)")))
        await asyncio.sleep(0.05)
        started = time.monotonic()
        await db.write(lambda tx: tx.execute("CREATE TABLE b (x)"))  # a request's write
        took = time.monotonic() - started
        await queued
        return took, db.commits - before

    with SQLiteDatabase(tmp_path / "t.db", MIGRATIONS, background_linger_s=30.0) as db:
        took, commits = asyncio.run(asyncio.wait_for(run(db), 10))
    assert took < 5 and commits == 1  # it ended the linger and took the waiting write along


def test_read_now_runs_on_the_calling_thread_and_sees_every_commit(db: SQLiteDatabase) -> None:
    seen: list[str] = []

    def read(conn: sqlite3.Connection) -> int:
        seen.append(threading.current_thread().name)
        conn.execute("SELECT 1").fetchone()
        return int(conn.execute("SELECT count(*) FROM devices").fetchone()[0])

    before = db.read_now(read)
    db.write_sync(lambda tx: tx.execute(
        "INSERT INTO devices (id, created_at) VALUES ('d1', 0)"))
    # Committed by the writer thread: visible at once to this thread's own connection.
    assert db.read_now(read) == before + 1
    assert seen == [threading.current_thread().name] * 2
    with pytest.raises(READ_ONLY):  # a read connection cannot write
        db.read_now(lambda c: c.execute("DELETE FROM devices"))


def test_audit_log_is_append_only(db: SQLiteDatabase) -> None:
    db.write_sync(lambda tx: audit.append(tx, SERVER, "report.read", "report/1", reason="test"))
    rows = db.read_sync(lambda c: audit.entries(c, "report/1"))
    assert rows[0]["action"] == "report.read" and rows[0]["detail"] == {"reason": "test"}
    for sql in ("UPDATE audit_log SET action = 'x'", "DELETE FROM audit_log"):
        with pytest.raises(REFUSED, match="append-only"):
            db.write_sync(lambda tx, sql=sql: tx.execute(sql))
    assert len(db.read_sync(lambda c: audit.entries(c))) == 1


def test_secret_key_is_made_once_and_kept(tmp_path: Path) -> None:
    s = Settings(data_dir=tmp_path / "d")
    key = s.resolved_secret()
    assert len(key) >= 40
    assert Settings(data_dir=tmp_path / "d").resolved_secret() == key
    assert (tmp_path / "d" / "secret_key").stat().st_mode & 0o077 == 0
    assert Settings(data_dir=tmp_path / "d", secret_key="given").resolved_secret() == "given"


def test_settings_from_environment_and_dotenv(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("SOS_TRIAGE_TIMEOUT_S=45\nSOS_TILE_URL=http://tiles.local/{z}/{x}/{y}.png\n")
    s = Settings.from_env({"SOS_DATA_DIR": str(tmp_path), "SOS_TRIAGE_TIMEOUT_S": "30", "SOS_INPROCESS_WORKER": "no"}, dotenv=env_file)
    assert s.data_dir == tmp_path
    assert s.triage_timeout_s == 30  # the environment wins over .env
    assert s.tile_url == "http://tiles.local/{z}/{x}/{y}.png"
    assert s.inprocess_worker is False
    with pytest.raises(ValueError, match="SOS_ACK_TIMEOUT_S"):
        Settings.from_env({"SOS_ACK_TIMEOUT_S": "soon"}, dotenv=None)


def test_outbox_runs_each_item_once_and_retries_failures(db: SQLiteDatabase) -> None:
    seen: list[str] = []
    attempts: dict[str, int] = {}

    async def handler(item: outbox.Item) -> None:
        attempts[item.key] = attempts.get(item.key, 0) + 1
        if item.payload.get("flaky") and attempts[item.key] == 1:
            raise Retry("push service said 429", delay_s=0)
        seen.append(item.key)

    def add(tx) -> None:
        assert outbox.enqueue(tx, "t", "a", {"n": 1})
        assert not outbox.enqueue(tx, "t", "a", {"n": 1})  # same key: the same effect, once
        outbox.enqueue(tx, "t", "b", {"flaky": True})

    db.write_sync(add)

    async def run() -> None:
        worker = Worker(db, poll_s=0.01)
        worker.register("t", handler)
        while len(seen) < 2:
            await worker.run_due()
        assert await worker.run_due() == 0

    asyncio.run(asyncio.wait_for(run(), 10))
    assert sorted(seen) == ["a", "b"]
    assert attempts == {"a": 1, "b": 2}
    states = db.read_sync(lambda c: {r[0]: r[1] for r in c.execute("SELECT key, state FROM outbox")})
    assert states == {"a": "done", "b": "done"}


def test_a_handler_that_completes_its_item_in_its_own_write_costs_no_second_write(tmp_path: Path) -> None:
    async def run(db: SQLiteDatabase, completes: bool) -> int:
        await db.write(lambda tx: outbox.enqueue(tx, "t", f"k{completes}", {}))

        async def handler(item: outbox.Item) -> None:
            def change(tx) -> None:
                tx.execute("CREATE TABLE IF NOT EXISTS effects (key)")
                tx.execute("INSERT INTO effects VALUES (?)", (item.key,))
                if completes:
                    Worker.complete_in(tx, item)

            await db.write(change)

        worker = Worker(db)
        worker.register("t", handler)
        before = db.commits
        assert await worker.run_due() == 1
        return db.commits - before

    with SQLiteDatabase(tmp_path / "t.db", MIGRATIONS, background_linger_s=0) as db:
        assert asyncio.run(run(db, completes=True)) == 2  # the claim, the handler's write
        assert asyncio.run(run(db, completes=False)) == 3  # and the worker's own "done"
        states = db.read_sync(lambda c: [r[0] for r in c.execute("SELECT state FROM outbox")])
    assert states == ["done", "done"]


def test_outbox_handlers_write_in_the_background_except_when_draining_a_backlog(db: SQLiteDatabase) -> None:
    from app.storage.base import is_background

    seen: list[bool] = []

    async def handler(item: outbox.Item) -> None:
        seen.append(is_background())

    db.write_sync(lambda tx: [outbox.enqueue(tx, "t", f"k{i}", {}) for i in range(3)])

    async def run() -> None:
        worker = Worker(db, batch=2)
        worker.register("t", handler)
        assert await worker.run_due() == 2  # a full batch: a backlog, no waiting for company
        assert await worker.run_due() == 1

    asyncio.run(asyncio.wait_for(run(), 10))
    assert seen == [False, False, True]


def test_outbox_gives_up_into_dead_letter(db: SQLiteDatabase) -> None:
    db.write_sync(lambda tx: outbox.enqueue(tx, "t", "x", {}))

    async def always_fails(item: outbox.Item) -> None:
        raise Retry("still down", delay_s=0)

    async def run() -> None:
        worker = Worker(db, max_attempts=3)
        worker.register("t", always_fails)
        for _ in range(3):
            await worker.run_due()

    asyncio.run(asyncio.wait_for(run(), 10))
    row = db.read_sync(lambda c: c.execute("SELECT state, attempts, last_error FROM outbox").fetchone())
    assert (row[0], row[1]) == ("dead", 3)
    assert "still down" in row[2]
