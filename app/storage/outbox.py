"""The outbox: the one way to run background work, written in the same transaction as its cause.

A change that has side effects (inbox writes, push, escalations, media jobs) calls `enqueue(tx, ...)`
inside its own write; the item commits with the change or not at all. `Worker` claims due items,
runs the handler registered for the topic, and marks the item done, retried with back-off, or dead.
Delivery is at least once; an item's `key` is unique, so enqueueing the same effect twice is a no-op,
and a handler whose effect is a database write makes it exactly once by passing its `tx` through
`Worker.complete_in(tx, item)`.

    outbox.enqueue(tx, "inbox.add", key=f"inbox.add:{incident_id}", payload={...})
    worker = Worker(db); worker.register("inbox.add", handle_inbox_add); await worker.run()
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from app.storage.base import Connection, Database, background

log = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    topic TEXT NOT NULL,
    key TEXT NOT NULL UNIQUE,
    payload TEXT NOT NULL,
    created_at REAL NOT NULL,
    run_at REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'dead')),
    lease_until REAL,
    last_error TEXT,
    done_at REAL
);
CREATE INDEX outbox_due ON outbox(state, run_at);
"""


# Several processes claim at once on PostgreSQL: each skips the rows another is claiming, instead
# of waiting for it and then finding them leased. SQLite has one writer: nothing to skip.
CLAIM_LOCK = {"sqlite": "", "postgresql": " FOR UPDATE SKIP LOCKED"}


def create_tables(db: Connection) -> None:
    db.script(SCHEMA)


@dataclass(frozen=True)
class Item:
    id: int
    topic: str
    key: str
    payload: dict[str, Any]
    attempts: int
    # Appended to by `Worker.complete_in` when the handler's own write marks the item done: the
    # worker then writes nothing more for it. (If that write fails, the handler raises, and the
    # item is retried as any failure is.)
    done_in_write: list[bool] = field(default_factory=list, compare=False, repr=False)


def enqueue(
    tx: Connection,
    topic: str,
    key: str,
    payload: dict[str, Any],
    run_at: float | None = None,
) -> bool:
    """Add an item in the caller's transaction. False if an item with this key already exists."""
    now = time.time()
    cursor = tx.execute(
        """INSERT INTO outbox (topic, key, payload, created_at, run_at) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT(key) DO NOTHING""",
        (topic, key, json.dumps(payload, ensure_ascii=False), now, now if run_at is None else run_at),
    )
    return cursor.rowcount == 1


def enqueue_many(tx: Connection, topic: str, items: list[tuple[str, dict[str, Any]]]) -> None:
    """`enqueue` for many (key, payload) of one topic: one statement the driver sends as a batch
    (PostgreSQL: pipelined), not a round trip each. A warning plans thousands of pushes a page."""
    now = time.time()
    tx.executemany(
        """INSERT INTO outbox (topic, key, payload, created_at, run_at) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT(key) DO NOTHING""",
        [(topic, key, json.dumps(payload, ensure_ascii=False), now, now) for key, payload in items],
    )


Handler = Callable[[Item], Awaitable[None]]
# Runs every claimed item of its topic at once; returns per item None (done: marked done unless its
# own write did) or the exception that failed it (retried or dead as a single handler's would be).
BatchHandler = Callable[[list[Item]], Awaitable[list[Exception | None]]]


class Retry(Exception):
    """Raise from a handler to try again later (after `delay_s` if given, else the back-off)."""

    def __init__(self, reason: str, delay_s: float | None = None) -> None:
        super().__init__(reason)
        self.delay_s = delay_s


class Worker:
    """Runs outbox items. One per process; in the web process by default, or `sos worker`."""

    def __init__(
        self,
        db: Database,
        max_attempts: int = 8,
        lease_s: float = 60,
        poll_s: float = 0.5,
        batch: int = 32,
    ) -> None:
        self.db = db
        self.max_attempts = max_attempts
        self.lease_s = lease_s
        self.poll_s = poll_s
        self.batch = batch
        self.handlers: dict[str, Handler] = {}
        self.batch_handlers: dict[str, BatchHandler] = {}
        self._wake = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None

    def register(self, topic: str, handler: Handler) -> None:
        self.handlers[topic] = handler

    def register_batch(self, topic: str, handler: BatchHandler) -> None:
        """For a topic whose items share work (one read, one write for a claimed batch: push
        sends), rather than a transaction or two per item."""
        self.batch_handlers[topic] = handler

    @property
    def topics(self) -> list[str]:
        return [*self.handlers, *self.batch_handlers]

    def wake(self) -> None:
        """Call after committing items so an in-process worker runs them without waiting a poll."""
        self._wake.set()

    async def start(self) -> None:
        """Start the loop. On SQLite, items leased by a previous run of this process's role
        (killed before it finished them) are released at once rather than after their lease runs
        out: no other process runs these topics, so nobody else can be working on them. On
        PostgreSQL several processes run the same topics: a dead one's leases simply expire."""
        self._stopping = False
        if self.db.dialect == "sqlite":
            await self.db.write(self._release_leases)
        self._task = asyncio.create_task(self.run(), name="outbox-worker")

    def _release_leases(self, tx: Connection) -> None:
        topics = self.topics
        if topics:
            marks = ",".join("?" * len(topics))
            tx.execute(
                f"UPDATE outbox SET lease_until = NULL WHERE state = 'pending' AND topic IN ({marks})",
                topics,
            )

    async def stop(self) -> None:
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            await self._task
            self._task = None

    async def run(self) -> None:
        while not self._stopping:
            try:
                ran = await self.run_due()
            except Exception:  # the loop must survive anything a handler or the db throws
                log.exception("outbox worker pass failed")
                ran = 0
            if ran == 0:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.poll_s)

    async def run_due(self) -> int:
        with background():
            items = await self.db.write(self._claim)
        # Background writes: the handlers' writes for one cause may wait a moment to share a
        # commit (app/storage/sqlite.py). Not when draining a backlog: a full batch of handlers makes
        # company enough, and waiting would slow the chains of writes to one busy inbox.
        batches: dict[str, list[Item]] = {}
        for item in items:
            if item.topic in self.batch_handlers:
                batches.setdefault(item.topic, []).append(item)
        with background() if len(items) < self.batch else contextlib.nullcontext():
            await asyncio.gather(*(self._run_one(item) for item in items if item.topic not in batches),
                                 *(self._run_batch(topic, group) for topic, group in batches.items()))
        return len(items)

    def _claim(self, tx: Connection) -> list[Item]:
        now = time.time()
        topics = self.topics
        if not topics:
            return []
        marks = ",".join("?" * len(topics))
        rows = tx.execute(
            f"""UPDATE outbox SET lease_until = ?, attempts = attempts + 1
                WHERE id IN (SELECT id FROM outbox WHERE state = 'pending' AND run_at <= ?
                             AND (lease_until IS NULL OR lease_until < ?) AND topic IN ({marks})
                             ORDER BY run_at, id LIMIT ?{CLAIM_LOCK[tx.dialect]})
                RETURNING id, topic, key, payload, attempts""",
            (now + self.lease_s, now, now, *topics, self.batch),
        ).fetchall()
        return [Item(r[0], r[1], r[2], json.loads(r[3]), r[4]) for r in rows]

    async def _run_one(self, item: Item) -> None:
        try:
            await self.handlers[item.topic](item)
        except Exception as exc:
            error = exc
            delay = exc.delay_s if isinstance(exc, Retry) and exc.delay_s is not None else None
            await self.db.write(lambda tx: self._fail(tx, item, error, delay))
        else:
            if not item.done_in_write:
                await self.db.write(lambda tx: self.complete_in(tx, item))

    async def _run_batch(self, topic: str, items: list[Item]) -> None:
        try:
            errors = await self.batch_handlers[topic](items)
        except Exception as exc:
            errors = [exc] * len(items)

        def settle(tx: Connection) -> None:
            for item, error in zip(items, errors, strict=True):
                if error is not None:
                    delay = error.delay_s if isinstance(error, Retry) else None
                    self._fail(tx, item, error, delay)
                elif not item.done_in_write:
                    self.complete_in(tx, item)

        if any(e is not None or not i.done_in_write for i, e in zip(items, errors, strict=True)):
            await self.db.write(settle)

    @staticmethod
    def complete_in(tx: Connection, item: Item) -> None:
        """Mark done inside the caller's transaction (idempotent)."""
        tx.execute(
            "UPDATE outbox SET state = 'done', done_at = ?, lease_until = NULL WHERE id = ?",
            (time.time(), item.id),
        )
        item.done_in_write.append(True)

    def _fail(
        self, tx: Connection, item: Item, exc: Exception, delay: float | None
    ) -> None:
        dead = item.attempts >= self.max_attempts
        backoff = delay if delay is not None else min(2 ** (item.attempts - 1), 300)
        if not isinstance(exc, Retry):
            log.warning("outbox %s #%d failed (attempt %d): %r", item.topic, item.id, item.attempts, exc)
        tx.execute(
            """UPDATE outbox SET state = ?, run_at = ?, lease_until = NULL, last_error = ?
               WHERE id = ? AND state = 'pending'""",
            ("dead" if dead else "pending", time.time() + backoff, repr(exc)[:500], item.id),
        )


def backlog(conn: Connection, now: float) -> dict[str, dict[str, float]]:
    """For /metrics, per topic: items due and not done (`due`), how long the oldest of them has
    waited past its time (`oldest_due_s`), and items given up on (`dead`). An item scheduled for
    later (a timer, a retry's back-off) is not backlog until its time comes."""
    found: dict[str, dict[str, float]] = {}
    for topic, due, oldest in conn.execute(
        """SELECT topic, COUNT(*), MIN(run_at) FROM outbox WHERE state = 'pending' AND run_at <= ?
           GROUP BY topic""",
        (now,),
    ).fetchall():
        found.setdefault(topic, {"due": 0, "oldest_due_s": 0.0, "dead": 0})
        found[topic].update(due=due, oldest_due_s=max(0.0, now - oldest))
    for topic, dead in conn.execute(
        "SELECT topic, COUNT(*) FROM outbox WHERE state = 'dead' GROUP BY topic"
    ).fetchall():
        found.setdefault(topic, {"due": 0, "oldest_due_s": 0.0, "dead": 0})["dead"] = dead
    return found
