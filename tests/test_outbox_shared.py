"""The outbox on PostgreSQL with several processes: each item runs once, a dead process's items
go to another when its lease runs out, and a due timer fires once. Two `PostgresDatabase`s on one
database stand for two processes (each has its own connections, as a process would)."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Iterator

import pytest

from app.schema import MIGRATIONS
from app.storage import outbox
from app.storage.outbox import Worker
from app.storage.postgres import PostgresDatabase

from .pg import PostgresServer

pytestmark = pytest.mark.multiprocess


@pytest.fixture
def dbs(postgres: PostgresServer) -> Iterator[list[PostgresDatabase]]:
    url = postgres.create_database()
    opened = [PostgresDatabase(url, MIGRATIONS).open() for _ in range(2)]
    try:
        yield opened
    finally:
        for db in opened:
            db.close()
        postgres.drop_database(url)


def test_two_processes_draining_one_outbox_run_each_item_once(dbs: list[PostgresDatabase]) -> None:
    ran: Counter[str] = Counter()
    dbs[0].write_sync(lambda tx: [outbox.enqueue(tx, "t", f"k{i}", {"i": i}) for i in range(200)])

    async def drain(db: PostgresDatabase) -> None:
        async def handler(item: outbox.Item) -> None:
            ran[item.key] += 1
            await asyncio.sleep(0)  # let the other worker claim meanwhile

        worker = Worker(db, batch=8)
        worker.register("t", handler)
        while await worker.run_due():
            pass

    async def both() -> None:
        await asyncio.gather(drain(dbs[0]), drain(dbs[1]))

    asyncio.run(asyncio.wait_for(both(), 60))
    assert ran == Counter({f"k{i}": 1 for i in range(200)})
    states = dbs[1].read_sync(lambda c: Counter(r[0] for r in c.execute("SELECT state FROM outbox")))
    assert states == Counter({"done": 200})


def test_a_dead_processs_items_are_taken_over_when_the_lease_runs_out(dbs: list[PostgresDatabase]) -> None:
    dbs[0].write_sync(lambda tx: outbox.enqueue(tx, "timer.ack", "timer.ack:1", {}, run_at=time.time()))
    dead = Worker(dbs[0], lease_s=1)
    dead.register("timer.ack", lambda item: asyncio.sleep(0))
    claimed = dbs[0].write_sync(dead._claim)  # claimed, then the process died before running it
    assert [i.key for i in claimed] == ["timer.ack:1"]

    fired: list[str] = []

    async def survivor() -> float:
        async def handler(item: outbox.Item) -> None:
            fired.append(item.key)

        worker = Worker(dbs[1], lease_s=1)
        worker.register("timer.ack", handler)
        await worker.start()  # on PostgreSQL a start releases nobody's leases: others may be working
        assert await worker.run_due() == 0  # still leased by the dead one
        started = time.monotonic()
        while not fired:
            await worker.run_due()
            await asyncio.sleep(0.05)
        await worker.stop()
        return time.monotonic() - started

    waited = asyncio.run(asyncio.wait_for(survivor(), 20))
    assert fired == ["timer.ack:1"]  # the timer fired once, after the lease
    assert 0.5 < waited < 5


def test_a_batch_handler_runs_each_item_once_and_retries_only_the_failed(dbs: list[PostgresDatabase]) -> None:
    ran: Counter[str] = Counter()
    outbox_items = [(f"k{i}", {"i": i}) for i in range(120)]
    dbs[0].write_sync(lambda tx: outbox.enqueue_many(tx, "b", outbox_items))

    async def drain(db: PostgresDatabase) -> None:
        async def handler(items: list[outbox.Item]) -> list[Exception | None]:
            ran.update(item.key for item in items)
            await asyncio.sleep(0)
            return [outbox.Retry("odd", delay_s=3600) if item.payload["i"] % 2 else None for item in items]

        worker = Worker(db, batch=16)
        worker.register_batch("b", handler)
        while await worker.run_due():
            pass

    async def both() -> None:
        await asyncio.gather(drain(dbs[0]), drain(dbs[1]))

    started = time.time()
    asyncio.run(asyncio.wait_for(both(), 60))
    assert ran == Counter({f"k{i}": 1 for i in range(120)})
    rows = dbs[1].read_sync(lambda c: [dict(r) for r in c.execute("SELECT key, state, run_at FROM outbox")])
    assert Counter(r["state"] for r in rows) == Counter({"done": 60, "pending": 60})
    assert all(r["run_at"] >= started + 3000 for r in rows if r["state"] == "pending")  # the delay asked
