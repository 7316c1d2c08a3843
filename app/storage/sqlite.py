"""The embedded backend: SQLite, one writer thread for every write in the process, pooled readers.

Everything SQLite-specific lives here: the PRAGMAs, the writer thread, `BEGIN IMMEDIATE`, the
schema version in `PRAGMA user_version`, and the statement splitter.

Every write goes through `SQLiteDatabase.write(fn)` (or `write_sync` from plain threads): `fn`
receives the writer's `SQLiteConnection` inside an open transaction and its return value comes back once the
transaction has committed. Keep `fn` to database work: in the rare case where another write in its
batch ends the whole transaction, `fn` runs again. The writer takes whatever writes are queued, runs each in its own
SAVEPOINT inside one `BEGIN IMMEDIATE`, and commits them together (group commit): one fsync for many
requests, while a failing write is rolled back alone and raises in its own caller only.

Writes made in `background()` (the outbox worker's) are not waited for by anyone: a batch made of
them only may wait a little (`background_linger_s`, 2 ms) for more writes, so that the follow-up
writes of one report share a commit instead of paying one each (a commit writes every page it
touched to the WAL). A write from a request closes the batch at once and never waits.

Reads run on a small thread pool, each thread with its own connection; WAL lets them proceed while
the writer works. `read_now(fn)` runs a read on the calling thread instead, for the indexed point
lookups of the request path (a session, a device, who may see an incident, a stored document): the
hop to the pool and back costs more than such a query, and WAL readers never wait for the writer.

    db = SQLiteDatabase(path, migrations=MIGRATIONS)
    db.open()
    user_id = await db.write(lambda tx: tx.execute("INSERT ... RETURNING id", (...)).fetchone()[0])
    rows = await db.read(lambda conn: conn.execute("select ...").fetchall())
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import queue
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from app.storage.base import ReadFn, WriteFn, is_background, say_migrating

log = logging.getLogger(__name__)

T = TypeVar("T")
MigrationStep = Callable[["SQLiteConnection"], None]  # a `base.Migration`, or any such function

# Enough to amortise one commit over a burst of requests, small enough that a batch's latency stays low.
MAX_BATCH = 256
_STOP = object()


def _urgent(item: Any) -> bool:
    return item is _STOP or bool(item[2])


class SQLiteConnection(sqlite3.Connection):
    """sqlite3's own connection (no wrapper on the hot path), plus what the storage seam asks."""

    dialect = "sqlite"

    def script(self, sql: str) -> None:
        """Run statements one by one in the current transaction: `executescript` would COMMIT."""
        buffer = ""
        for line in sql.splitlines(keepends=True):
            buffer += line
            if sqlite3.complete_statement(buffer):
                self.execute(buffer)
                buffer = ""
        if buffer.strip():
            raise ValueError(f"incomplete SQL statement: {buffer.strip()[:80]}")


def connect(path: Path | str, synchronous: str = "NORMAL") -> SQLiteConnection:
    # isolation_level=None: the writer issues BEGIN/COMMIT itself; no implicit transactions.
    conn = sqlite3.connect(
        str(path), isolation_level=None, check_same_thread=False, timeout=30,
        factory=SQLiteConnection,
    )
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(f"PRAGMA synchronous={synchronous}")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA busy_timeout=30000")
    return conn


class SQLiteDatabase:
    """The app's SQLite database. See the module docstring for the write and read paths."""

    dialect = "sqlite"

    def __init__(
        self,
        path: Path | str,
        migrations: Sequence[MigrationStep] = (),
        synchronous: str = "NORMAL",
        readers: int = 4,
        background_linger_s: float = 0.002,
    ) -> None:
        self.path = Path(path)
        self.migrations = list(migrations)
        self.synchronous = synchronous.upper()
        if self.synchronous not in ("OFF", "NORMAL", "FULL", "EXTRA"):
            raise ValueError(f"unknown synchronous mode {synchronous!r}")
        self.background_linger_s = background_linger_s
        self.commits = 0  # transactions committed by the writer (for tests and monitoring)
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._writer: threading.Thread | None = None
        self._readers = concurrent.futures.ThreadPoolExecutor(readers, thread_name_prefix="db-read")
        self._local = threading.local()
        self._all_read_conns: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._queue_waits = 0  # writes taken by the writer, and their time queued before it
        self._queue_wait_s = 0.0

    # -- lifecycle -------------------------------------------------------------------------------
    def open(self) -> SQLiteDatabase:
        if self._writer is not None:
            return self
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = connect(self.path, self.synchronous)
        self._migrate(conn)
        self._writer = threading.Thread(
            target=self._write_loop, args=(conn,), name="db-writer", daemon=True
        )
        self._writer.start()
        return self

    def close(self) -> None:
        if self._writer is not None:
            self._queue.put(_STOP)
            self._writer.join()
            self._writer = None
        self._readers.shutdown(wait=True)
        with self._lock:
            for conn in self._all_read_conns:
                conn.close()
            self._all_read_conns.clear()

    def pool_stats(self) -> dict[str, float]:
        """For /metrics. SQLite has no connection pool; what a write waits for is the one writer
        thread: the writes queued for it now, and in all with their time in the queue."""
        return {
            "write_queue_waiting": self._queue.qsize(),
            "write_queue_waits": self._queue_waits,
            "write_queue_wait_seconds": self._queue_wait_s,
        }

    def __enter__(self) -> SQLiteDatabase:
        return self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def schema_version(self) -> int:
        return int(self.read_sync(lambda c: c.execute("PRAGMA user_version").fetchone()[0]))

    def _migrate(self, conn: SQLiteConnection) -> None:
        current = conn.execute("PRAGMA user_version").fetchone()[0]
        say_migrating(current, len(self.migrations))
        for version, migration in enumerate(self.migrations, start=1):
            if version <= current:
                continue
            log.debug("migrating database to version %d (%s)", version, migration.__name__)
            conn.execute("BEGIN IMMEDIATE")
            try:
                migration(conn)
                conn.execute(f"PRAGMA user_version={version}")
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise

    # -- writes ----------------------------------------------------------------------------------
    def submit(self, fn: WriteFn[T]) -> concurrent.futures.Future[T]:
        if self._writer is None:
            raise RuntimeError("database is not open")
        future: concurrent.futures.Future[T] = concurrent.futures.Future()
        self._queue.put((fn, future, not is_background(), time.monotonic()))
        return future

    async def write(self, fn: WriteFn[T]) -> T:
        """Run `fn(tx)` in the writer's transaction; returns after the commit."""
        return await asyncio.wrap_future(self.submit(fn))

    def write_sync(self, fn: WriteFn[T]) -> T:
        return self.submit(fn).result()

    def _write_loop(self, conn: SQLiteConnection) -> None:
        stopping = False
        while not stopping:
            batch = [self._queue.get()]
            while len(batch) < MAX_BATCH:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            if self.background_linger_s > 0 and not any(_urgent(item) for item in batch):
                self._linger(batch)
            jobs = []
            started = time.monotonic()
            for item in batch:
                if item is _STOP:
                    stopping = True
                else:
                    jobs.append(item[:2])
                    self._queue_wait_s += started - item[3]
            self._queue_waits += len(jobs)
            if jobs:
                self._run_batch(conn, jobs)
        conn.close()

    def _linger(self, batch: list[Any]) -> None:
        """Wait a little for more writes to share this batch's commit; stop at an urgent one."""
        deadline = time.monotonic() + self.background_linger_s
        while len(batch) < MAX_BATCH:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            try:
                item = self._queue.get(timeout=left)
            except queue.Empty:
                return
            batch.append(item)
            if _urgent(item):
                return

    def _run_batch(self, conn: SQLiteConnection, jobs: list[Any]) -> None:
        pending = [(fn, fut) for fn, fut in jobs if fut.set_running_or_notify_cancel()]
        while pending:
            pending = self._try_batch(conn, pending)

    def _try_batch(self, conn: SQLiteConnection, jobs: list[Any]) -> list[Any]:
        """Run one batch; returns the jobs to run again when one job destroyed the transaction."""
        outcomes: list[tuple[concurrent.futures.Future[Any], Any, BaseException | None]] = []
        try:
            conn.execute("BEGIN IMMEDIATE")
            for fn, future in jobs:
                conn.execute("SAVEPOINT job")
                try:
                    result = fn(conn)
                except BaseException as exc:  # a failing job must not take its batch with it
                    if not conn.in_transaction:
                        # A RAISE(ROLLBACK) or similar ended the whole transaction: the jobs
                        # before it were undone too, so they run again in a fresh batch.
                        future.set_exception(exc)
                        return [job for job in jobs if job[1] is not future]
                    conn.execute("ROLLBACK TO SAVEPOINT job")
                    conn.execute("RELEASE SAVEPOINT job")
                    outcomes.append((future, None, exc))
                else:
                    conn.execute("RELEASE SAVEPOINT job")
                    outcomes.append((future, result, None))
            conn.execute("COMMIT")
            self.commits += 1
        except BaseException as exc:
            log.exception("write batch failed; rolling back %d jobs", len(jobs))
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            for _, future in jobs:
                if not future.done():
                    future.set_exception(exc)
            return []
        # Answer only after COMMIT: whatever a caller is told was written, is written.
        for future, result, error in outcomes:
            if error is not None:
                future.set_exception(error)
            else:
                future.set_result(result)
        return []

    # -- reads -----------------------------------------------------------------------------------
    def _reader(self) -> SQLiteConnection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = connect(self.path, self.synchronous)
            conn.execute("PRAGMA query_only=ON")
            self._local.conn = conn
            with self._lock:
                self._all_read_conns.append(conn)
        return conn

    async def read(self, fn: ReadFn[T]) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._readers, lambda: fn(self._reader()))

    def read_now(self, fn: ReadFn[T]) -> T:
        """Run `fn(conn)` here and now, on this thread's own read connection. Only for reads that
        an index answers in microseconds: on the event loop, anything slower stalls every client."""
        return fn(self._reader())

    def read_sync(self, fn: ReadFn[T]) -> T:
        return self._readers.submit(lambda: fn(self._reader())).result()
