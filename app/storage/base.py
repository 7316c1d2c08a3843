"""The storage seam: what the rest of the app may assume of a database, whichever backend runs.

A backend is one module of this package that makes a `Database`. The domain hands it functions:
`write(fn)` runs `fn(tx)` inside a transaction and returns once it has committed; `read(fn)`,
`read_now(fn)` and `read_sync(fn)` run `fn(conn)` on a read connection. Both `tx` and `conn` are
`Connection`s: `execute` with `?` placeholders, rows that answer to an index, a column name and
`dict(row)`, `rowcount`, `RETURNING`, `INSERT ... ON CONFLICT`. SQL written to that common ground
runs on every backend; what a backend cannot share (its DDL, a JSON function) is chosen by
`conn.dialect` in the one place that needs it.

    rows = await db.read(lambda conn: conn.execute("SELECT id FROM users WHERE role = ?", ("admin",)).fetchall())
    await db.write(lambda tx: tx.execute("UPDATE users SET active = 0 WHERE id = ?", (user_id,)))
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import contextvars
import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

# A backend raises it when the database cannot be reached (the sync engine's contract with its
# store, hence defined there); the web answers 503 with Retry-After (app/errors.py).
from sync.kinds import Unavailable as Unavailable

T = TypeVar("T")

_background: contextvars.ContextVar[bool] = contextvars.ContextVar("db_background", default=False)


@contextlib.contextmanager
def background() -> Iterator[None]:
    """Writes made inside (in this task, and in tasks it starts) are background writes: nobody is
    waiting for them, so a backend may hold them a moment to share a commit with others."""
    token = _background.set(True)
    try:
        yield
    finally:
        _background.reset(token)


def is_background() -> bool:
    return _background.get()


class Cursor(Protocol):
    rowcount: int

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def __iter__(self) -> Iterator[Any]: ...


class Connection(Protocol):
    """A connection, or a transaction inside one, as handed to a write or read function."""

    dialect: str  # "sqlite" or "postgresql"

    @property
    def in_transaction(self) -> bool: ...

    def execute(self, sql: str, parameters: Sequence[Any] = ..., /) -> Cursor: ...

    def executemany(self, sql: str, parameters: Iterable[Sequence[Any]], /) -> Cursor: ...

    def script(self, sql: str) -> None:
        """Run several `;`-separated statements inside the current transaction."""
        ...


WriteFn = Callable[[Connection], T]
ReadFn = Callable[[Connection], T]


class Database(Protocol):
    """One database, as every part of the app uses it. `SQLiteDatabase` is the embedded backend."""

    dialect: str
    commits: int

    def open(self) -> Database: ...

    def close(self) -> None: ...

    @property
    def schema_version(self) -> int: ...

    def submit(self, fn: WriteFn[T]) -> concurrent.futures.Future[T]: ...

    async def write(self, fn: WriteFn[T]) -> T: ...

    def write_sync(self, fn: WriteFn[T]) -> T: ...

    async def read(self, fn: ReadFn[T]) -> T: ...

    def read_now(self, fn: ReadFn[T]) -> T: ...

    def read_sync(self, fn: ReadFn[T]) -> T: ...


@dataclass(frozen=True)
class Migration:
    """One version of the schema: the steps of the packages that own the tables, run in order in
    one transaction. Packages name their steps; `app/schema.py` puts them in order, so no package
    imports the list and the list imports only schema steps."""

    name: str
    steps: tuple[Callable[[Connection], None], ...]

    @property
    def __name__(self) -> str:  # the backends log migrations by their function's name
        return self.name

    def __call__(self, tx: Connection) -> None:
        for step in self.steps:
            step(tx)


def say_migrating(current: int, latest: int) -> None:
    """One line for the whole migration, each step only at debug level: a new data directory used
    to print a line per step, which a newcomer to `make run` read as something going wrong."""
    if current < latest:
        what = "creating the database" if current == 0 else f"upgrading the database from version {current}"
        logging.getLogger("app.storage").info("%s (schema version %d)", what, latest)
