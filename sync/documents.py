"""Loaded documents: read from the store on first use, forgotten when idle and unwatched.

Memory follows the active documents: a document stays loaded while an operation uses it or a
reader watches it, and for `idle_unload_s` after that (a reconnecting reader finds it warm).

    docs = Documents(db, resolve)
    async with docs.using("note/1") as loaded:   # loaded.doc is the live pycrdt Doc
        ...
    docs.unload_idle()
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from typing import Any, Protocol, TypeVar

from pycrdt import Doc

from . import store
from .kinds import DocKind
from .room import Room
from .shadow import DEFAULT_SHADOW_BUDGET, Shadow, ShadowCache, shadow_cost

T = TypeVar("T")


class Database(Protocol):
    """What the engine needs from the app's database (`app.storage.sqlite.SQLiteDatabase` fits)."""

    async def write(self, fn: Callable[[Any], T]) -> T: ...

    async def read(self, fn: Callable[[Any], T]) -> T: ...

    def read_now(self, fn: Callable[[Any], T]) -> T:
        """Run a short indexed read on the calling thread (loading a document is one)."""
        ...


class LoadedDoc:
    """One document in memory: the live Doc (changed only after COMMIT), its room, its lock.

    `lock` serialises the changes of this document; reads of `doc` need no lock, because every
    change to it happens synchronously on the event-loop thread.
    """

    __slots__ = (
        "name",
        "kind",
        "doc_id",
        "doc",
        "exists",
        "born",
        "writers",
        "lock",
        "users",
        "room",
        "last_used",
        "shadow",
        "size",
        "seq",
        "shadows",
    )

    def __init__(
        self, name: str, kind: DocKind, doc_id: str, shadows: ShadowCache | None = None
    ) -> None:
        self.name = name
        self.kind = kind
        self.doc_id = doc_id
        self.doc: Doc = Doc()
        self.exists = False  # False until the first update is stored
        # When this process saw the first update stored (monotonic); None if it was loaded.
        # Read access may change at creation: checks made before it must be made again.
        self.born: float | None = None
        self.writers: dict[int, str] = {}  # Yjs client id -> writer key
        self.lock = asyncio.Lock()
        self.users = 0
        self.room = Room(name, relay_awareness=kind.relay_awareness)
        self.last_used = time.monotonic()
        # A copy equal to `doc`, kept between changes so that judging a change costs
        # O(change), not O(document); taken by a change and put back only once that change is
        # live, so a refused change (which leaves its copy dirty) simply drops it. `shadows`
        # bounds the memory of all documents' kept copies.
        self.shadow: Shadow | None = None
        self.shadows = shadows if shadows is not None else ShadowCache()
        self.size = 0  # encoded size when last measured, plus every update stored since
        # The store's seq of the last update in `doc`: a write commits only if it is the next
        # one, so no process ever judges a change against a copy another process moved past.
        self.seq = 0

    def take_shadow(self, client_id: int, any_id: bool = False) -> Shadow:
        """The kept copy of the live document, or a fresh one (O(document)) if there is none.

        The shadow's own client id is what the server's `mutate` writes with, so a server write
        needs its `client_id`; a client's update brings its own ids and takes any (`any_id`).
        """
        shadow = self.shadows.take(self)
        if shadow is not None:
            if any_id or shadow.doc.client_id == client_id:
                return shadow.reset()
            shadow.close()
        fresh = Shadow.of(self.doc if self.exists else None, client_id)
        if self.exists:
            self.size = len(self.doc.get_update())  # measured while we pay O(document) anyway
        return fresh

    def keep_shadow(self, shadow: Shadow) -> None:
        """Keep `shadow`, equal to the live document now, for the next change (if it fits)."""
        self.shadows.keep(self, shadow, shadow_cost(self.size))

    def drop_shadow(self) -> None:
        """Free the kept shadow (see `Shadow.close`: an unclosed one is never freed)."""
        self.shadows.drop(self)

    def born_since(self, moment: float) -> bool:
        return self.born is not None and self.born >= moment

    @property
    def idle(self) -> bool:
        return self.users == 0 and not self.room.subscribers and not self.lock.locked()


class Documents:
    """The loaded documents of one engine, by name."""

    def __init__(
        self,
        db: Database,
        resolve: Callable[[str], tuple[DocKind, str]],
        idle_unload_s: float = 60.0,
        shadow_budget: int = DEFAULT_SHADOW_BUDGET,
    ) -> None:
        self.db = db
        self.shadows = ShadowCache(shadow_budget)
        self.resolve = resolve
        self.idle_unload_s = idle_unload_s
        self._loaded: dict[str, LoadedDoc] = {}
        self._reaper: asyncio.Task[None] | None = None
        self.on_unload: Callable[[str], None] | None = None  # for metrics (and tests)

    def __contains__(self, name: str) -> bool:
        return name in self._loaded

    @property
    def names(self) -> list[str]:
        return list(self._loaded)

    def get(self, name: str) -> LoadedDoc | None:
        return self._loaded.get(name)

    def all(self) -> list[LoadedDoc]:
        return list(self._loaded.values())

    @asynccontextmanager
    async def using(self, name: str) -> AsyncIterator[LoadedDoc]:
        """The loaded document `name`, kept in memory for the duration."""
        loaded = self._load(name)
        loaded.users += 1
        try:
            yield loaded
        finally:
            loaded.users -= 1
            loaded.last_used = time.monotonic()

    def _load(self, name: str) -> LoadedDoc:
        loaded = self._loaded.get(name)
        if loaded is not None:
            return loaded
        kind, doc_id = self.resolve(name)
        # Indexed reads of one document's rows, made here rather than on a reader thread: no
        # await between the lookup above and the insert below, so one name gets one live Doc.
        stored = self.db.read_now(lambda conn: store.load_stored(conn, name))
        loaded = LoadedDoc(name, kind, doc_id, self.shadows)
        if stored is not None:
            loaded.doc.apply_update(stored.state)
            loaded.size = len(stored.state)
            loaded.writers = dict(stored.writers)
            loaded.exists = True
            loaded.seq = stored.last_seq
        self._loaded[name] = loaded
        return loaded

    def forget(self, name: str) -> None:
        """Drop a document from memory at once (its next use reloads it from the store)."""
        loaded = self._loaded.pop(name, None)
        if loaded is not None:
            loaded.drop_shadow()
            loaded.room.close_all(1011, "the server reloads this document")

    def unload_idle(self, max_idle_s: float | None = None) -> int:
        """Forget documents idle for `max_idle_s` (default `idle_unload_s`); returns how many."""
        limit = self.idle_unload_s if max_idle_s is None else max_idle_s
        now = time.monotonic()
        idle = [n for n, d in self._loaded.items() if d.idle and now - d.last_used >= limit]
        for name in idle:
            self._loaded.pop(name).drop_shadow()
            if self.on_unload is not None:
                self.on_unload(name)
        return len(idle)

    async def start(self) -> None:
        if self._reaper is None:
            self._reaper = asyncio.create_task(self._reap(), name="sync-unload-idle")

    async def stop(self) -> None:
        if self._reaper is not None:
            self._reaper.cancel()
            with suppress(asyncio.CancelledError):
                await self._reaper
            self._reaper = None
        for loaded in self._loaded.values():
            loaded.room.close_all()

    async def _reap(self) -> None:
        while True:
            # A periodic sweep, not a wait for an event: unloading is housekeeping.
            await asyncio.sleep(max(self.idle_unload_s / 2, 0.05))
            self.unload_idle()
