"""Peers: the other processes that serve documents from the same database, told of every commit.

Each commit of a document sends one notice through the database's own publish/subscribe
(PostgreSQL's NOTIFY, sent inside the write's transaction, so delivered exactly when it commits
and never for a rollback). A process that holds the document loaded applies the update and hands
it to its readers; one that does not, ignores it (it will load the stored state when asked). The
update travels inside the notice when it is small (most are: a few hundred bytes); a bigger one,
and any gap in the seqs, makes the receiver read what it lacks from the store.

The database object needs two methods (app/storage/postgres.py has them):
`notify(tx, channel, payload)` inside a write, and `listen(channel, handler)`, which calls
`handler(payload)` on the event loop for each notice, and `handler(None)` after a reconnect.

    peers = NotifyPeers(db)
    engine = SyncEngine(db, kinds, peers=peers)
    peers.start(engine)            # in the running event loop
    peers.on("signed_out", lambda session: ...)   # app events, same channel
    await peers.publish("signed_out", session_id)
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import os
import secrets
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from . import protocol, store
from .kinds import Refused

if TYPE_CHECKING:
    from .documents import Documents, LoadedDoc

log = logging.getLogger(__name__)

CHANNEL = "sync_documents"
# Judged again at most this often when other processes keep writing the same document first.
MAX_STALE_RETRIES = 20
# NOTIFY carries at most 8000 bytes: an update up to this size (base64 makes it 4/3) travels along.
INLINE_MAX = 5000


class Stale(Exception):
    """Raised inside a write: the stored document is past the live copy (another process wrote)."""


class Peers(Protocol):
    """The other processes on the same database, as the engine uses them (`NotifyPeers`)."""

    def changed(self, tx: Any, name: str, seq: int, update: bytes, writers: dict[int, str]) -> None:
        """Inside the write's transaction: tell the others of this update once it commits."""
        ...

    async def reauthorize(self, name: str) -> None:
        """Ask the others to check their readers of `name` again."""
        ...


class PeerChanges:
    """The engine's side of other processes' changes: catching a loaded copy up to the store."""

    db: Any
    documents: Documents

    async def _evict_unreadable(self, loaded: LoadedDoc, exclude: Any) -> int:
        raise NotImplementedError

    async def _stale(self, loaded: LoadedDoc, attempt: int) -> None:
        """Another process wrote first: catch up, so that the change is judged again on that."""
        if attempt >= MAX_STALE_RETRIES:
            raise Refused(503, "busy", f"{loaded.name} is changing too fast; please try again.", retry_after=1)
        log.debug("%s moved on elsewhere; catching up (attempt %d)", loaded.name, attempt)
        await self._catch_up(loaded)


    async def _catch_up(self, loaded: LoadedDoc) -> None:
        """Bring the live copy up to the store (what other processes committed), and its readers."""
        name, after = loaded.name, loaded.seq
        tail = await self.db.read(lambda conn: store.load_since(conn, name, after))
        fresh = tail is not None and tail.last_seq > loaded.seq
        if fresh and self._apply_remote(loaded, tail.parts, tail.last_seq, tail.writers):  # type: ignore[union-attr]
            await self._evict_unreadable(loaded, exclude=None)

    def _apply_remote(
        self, loaded: LoadedDoc, parts: list[bytes], seq: int, writers: dict[int, str]
    ) -> bool:
        """Apply updates another process committed; tell this process's readers. True if that
        created the document here (its readers must then be asked again, as after `_commit`)."""
        before = loaded.doc.get_state()
        for part in parts:
            loaded.doc.apply_update(part)
        diff = loaded.doc.get_update(before) if len(parts) > 1 else parts[0]
        loaded.seq = seq
        loaded.writers.update(writers)
        loaded.drop_shadow()  # equal to the old state only
        loaded.size += len(diff)
        created = not loaded.exists
        if created:
            loaded.exists = True
            loaded.born = time.monotonic()
        loaded.room.broadcast(protocol.sync_update(diff))
        return created

    def peer_changed(self, name: str, seq: int, update: bytes | None, writers: dict[int, str]) -> None:
        """Another process committed update `seq` of `name` (`update` itself, or None when it was
        too big to travel with the notice). Only a document loaded here has anything to do."""
        loaded = self.documents.get(name)
        if loaded is None or seq <= loaded.seq:
            return
        if update is not None and seq == loaded.seq + 1 and not loaded.lock.locked():
            # The common case, at once: the next update, and no change of ours in flight.
            if self._apply_remote(loaded, [update], seq, writers):
                asyncio.get_running_loop().create_task(self._evict_unreadable(loaded, exclude=None))
            return
        asyncio.get_running_loop().create_task(self._catch_up_locked(name))

    def peers_lost(self) -> None:
        """Notices may have been missed (the connection that carries them dropped): catch up
        every loaded document."""
        loop = asyncio.get_running_loop()
        for name in self.documents.names:
            loop.create_task(self._catch_up_locked(name))

    async def _catch_up_locked(self, name: str) -> None:
        loaded = self.documents.get(name)
        if loaded is None:
            return
        try:
            async with self.documents.using(name) as loaded, loaded.lock:
                await self._catch_up(loaded)
        except Exception:
            log.exception("catching up %s failed; reloading it", name)
            self.documents.forget(name)



class PeerEngine(Protocol):
    """What `NotifyPeers` needs of the engine it serves (`SyncEngine` fits): the peers hand it
    what they hear and never reach into it, so neither module imports the other."""

    def peer_changed(self, name: str, seq: int, update: bytes | None, writers: dict[int, str]) -> None: ...

    def peers_lost(self) -> None: ...

    async def reauthorize_here(self, name: str) -> int: ...


class Bus(Protocol):
    def notify(self, tx: Any, channel: str, payload: str) -> None: ...

    def listen(self, channel: str, handler: Callable[[str | None], Any]) -> Any: ...

    async def write(self, fn: Callable[[Any], Any]) -> Any: ...


class NotifyPeers:
    """The engine's `Peers` over a database's NOTIFY/LISTEN."""

    def __init__(self, db: Bus, channel: str = CHANNEL) -> None:
        self.db = db
        self.channel = channel
        self.origin = f"{os.getpid()}-{secrets.token_hex(4)}"  # this process, to skip its own notices
        self.engine: PeerEngine | None = None
        self.received = 0  # notices from other processes (for tests and monitoring)
        self._handlers: dict[str, list[Callable[[Any], Any]]] = {}
        self._listening: Any = None

    def start(self, engine: PeerEngine) -> None:
        self.engine = engine
        self._listening = self.db.listen(self.channel, self._heard)

    async def stop(self) -> None:
        task, self._listening = self._listening, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    # -- the engine's side -----------------------------------------------------------------------
    def changed(self, tx: Any, name: str, seq: int, update: bytes, writers: dict[int, str]) -> None:
        notice: dict[str, Any] = {"o": self.origin, "n": name, "s": seq}
        if writers:
            notice["w"] = {str(client): key for client, key in writers.items()}
        if len(update) <= INLINE_MAX:
            notice["u"] = base64.b64encode(update).decode()
        self.db.notify(tx, self.channel, json.dumps(notice, separators=(",", ":")))

    async def reauthorize(self, name: str) -> None:
        await self.publish("reauthorize", name)

    # -- app events ------------------------------------------------------------------------------
    def on(self, event: str, handler: Callable[[Any], Any]) -> None:
        """Run `handler(value)` here when another process publishes `event`."""
        self._handlers.setdefault(event, []).append(handler)

    async def publish(self, event: str, value: Any) -> None:
        """Tell every other process of `event` (after this call's own commit)."""
        payload = json.dumps({"o": self.origin, "e": event, "v": value}, separators=(",", ":"))
        await self.db.write(lambda tx: self.db.notify(tx, self.channel, payload))

    def publish_in(self, tx: Any, event: str, value: Any) -> None:
        """Tell every other process of `event` when the caller's own transaction `tx` commits
        (and never if it rolls back): the event travels with the change it describes."""
        payload = json.dumps({"o": self.origin, "e": event, "v": value}, separators=(",", ":"))
        self.db.notify(tx, self.channel, payload)

    # -- hearing ---------------------------------------------------------------------------------
    async def _heard(self, payload: str | None) -> None:
        engine = self.engine
        if engine is None:
            return
        if payload is None:  # reconnected: whatever was said meanwhile is lost
            engine.peers_lost()
            return
        try:
            notice = json.loads(payload)
            if notice.get("o") == self.origin:
                return
            self.received += 1
            if "e" in notice:
                await self._event(notice["e"], notice.get("v"))
                return
            update = base64.b64decode(notice["u"]) if "u" in notice else None
            writers = {int(client): str(key) for client, key in notice.get("w", {}).items()}
            engine.peer_changed(str(notice["n"]), int(notice["s"]), update, writers)
        except (ValueError, KeyError, TypeError):
            log.warning("ignored a malformed notice on %s: %.200s", self.channel, payload)

    async def _event(self, event: str, value: Any) -> None:
        assert self.engine is not None
        if event == "reauthorize":
            await self.engine.reauthorize_here(str(value))
        for handler in self._handlers.get(event, []):
            outcome = handler(value)
            if hasattr(outcome, "__await__"):
                await outcome
