"""The sync engine: access checks, validated changes, transactional commits, live fan-out.

One path changes a document, for clients (`apply_update`) and for the server (`server_write`).
Under the document's lock the change is made on a shadow copy and judged there (decodable, no
missing dependencies, write permission, client-id ownership, sizes, the kind's `validate`); then
ONE database write appends the update and runs the kind's commit function (and `in_tx`); only
after COMMIT does the live document change, the room hear of it, and the caller get an answer.
A refused change leaves no trace: not in the database, not in memory, not at any reader.

Several processes may share one database: a write commits only if its update gets the seq after
the live copy's (the append locks the document's row); else it rolls back, the copy catches up,
and the change is judged again. `peers` tells the other processes of each commit (sync/peers.py).
"""

from __future__ import annotations

import asyncio
import inspect
import itertools
import logging
import random
import time
from collections.abc import AsyncIterator, Callable, Coroutine, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from pycrdt import Doc

from . import protocol, store
from .documents import Database, Documents, LoadedDoc
from .kinds import CommitFn, DocKind, Refused, Unavailable, denied, too_large_update
from .peers import PeerChanges, Peers, Stale
from .room import Room, Subscriber
from .shadow import DEFAULT_SHADOW_BUDGET, Shadow, guarded, merge

log = logging.getLogger(__name__)

T = TypeVar("T")

@dataclass(frozen=True)
class Applied:
    """The outcome of an accepted change. `seq` is None when nothing was new (nothing stored)."""

    name: str
    seq: int | None
    update: bytes
    created: bool = False
    value: Any = None  # what the kind's commit function returned
    result: Any = None  # what server_write's `in_tx` returned

    @property
    def changed(self) -> bool:
        return self.seq is not None


class SyncEngine(PeerChanges):
    """Documents named `<kind>/<id>`: who may read and change them, and how changes commit.

    engine = SyncEngine(db, [NoteKind()], server_principal=SERVER)
    await engine.start()                                   # unloads idle documents
    applied = await engine.apply_update(principal, "note/1", update)
    step2 = await engine.sync(principal, "note/1", body)   # one HTTP round trip
    await engine.server_write("note/1", mark_seen, in_tx=lambda tx: done(tx, item))
    copy = await engine.read_doc("note/1")                 # a private Doc, or None
    await engine.stop()
    """

    def __init__(
        self,
        db: Database,
        kinds: Iterable[DocKind],
        *,
        server_principal: Any = None,
        idle_unload_s: float = 60.0,
        squash: store.Squash | None = None,
        client_id: int | None = None,
        peers: Peers | None = None,
        shadow_budget: int = DEFAULT_SHADOW_BUDGET,
    ) -> None:
        self.db = db
        self.peers = peers
        self.kinds: dict[str, DocKind] = {}
        for kind in kinds:
            if not kind.name or "/" in kind.name or kind.name in self.kinds:
                raise ValueError(f"bad or duplicate document kind name: {kind.name!r}")
            self.kinds[kind.name] = kind
        self.server_principal = server_principal
        self.squash = squash or store.Squash()
        # One Yjs client id for the server's writes in this process: a fresh id per write would
        # add an entry to the document's state vector every time.
        self.client_id = client_id if client_id is not None else random.getrandbits(32)
        # Every loaded document keeps a shadow equal to it (`LoadedDoc.take_shadow`), within
        # `shadow_budget` bytes of estimated memory for all of them (least recently used first out).
        self.documents = Documents(db, self.kind_of, idle_unload_s, shadow_budget)

    # -- lifecycle -------------------------------------------------------------------------------
    async def start(self) -> None:
        await self.documents.start()

    async def stop(self) -> None:
        await self.documents.stop()

    def unload_idle(self, max_idle_s: float | None = None) -> int:
        return self.documents.unload_idle(max_idle_s)

    @property
    def loaded(self) -> list[str]:
        return self.documents.names

    # -- names and access ------------------------------------------------------------------------
    def kind_of(self, name: str) -> tuple[DocKind, str]:
        kind_name, _, doc_id = name.partition("/")
        kind = self.kinds.get(kind_name)
        if kind is None:
            raise Refused(404, "not_found", f"There is no document kind {kind_name!r}.")
        if not kind.id_pattern.fullmatch(doc_id):
            raise Refused(404, "not_found", f"{doc_id!r} is not a valid {kind_name} id.")
        return kind, doc_id

    async def authorize_read(self, principal: Any, name: str) -> tuple[DocKind, str]:
        kind, doc_id = self.kind_of(name)
        if not await kind.can_read(principal, doc_id):
            raise denied(principal, f"You may not read {name}.")
        return kind, doc_id

    async def reauthorize(self, name: str) -> int:
        """Re-check `can_read` for every live reader of `name`; close the refused. Returns count.

        Call it when access to a document changes (an officer unassigned, a device blocked); the
        other processes (`peers`) are asked to do the same for their readers.
        """
        if self.peers is not None:
            await self.peers.reauthorize(name)
        return await self.reauthorize_here(name)

    async def reauthorize_here(self, name: str) -> int:
        """`reauthorize` for this process's readers only (what a peer's request runs)."""
        loaded = self.documents.get(name)
        return 0 if loaded is None else await self._evict_unreadable(loaded, exclude=None)

    def disconnect(self, match: Callable[[Any], bool], reason: str, status: int = 401) -> int:
        """Close every live reader whose principal `match`es, in every loaded document.

        Call it when a credential stops being valid (logout, an account deactivated): the
        connections opened with it would otherwise keep streaming until they reconnect.
        """
        code = "unauthenticated" if status == 401 else "forbidden"
        closed = 0
        for name in self.documents.names:
            loaded = self.documents.get(name)
            if loaded is None:
                continue
            for sub in list(loaded.room.subscribers):
                if match(sub.principal):
                    sub.refuse(reason, 4000 + status, code)
                    loaded.room.leave(sub)
                    closed += 1
        return closed

    async def _evict_unreadable(self, loaded: LoadedDoc, exclude: Subscriber | None) -> int:
        evicted = 0
        for sub in list(loaded.room.subscribers):
            if sub is exclude:
                continue
            try:
                allowed: object = bool(await loaded.kind.can_read(sub.principal, loaded.doc_id))
            except Refused as exc:  # an unreachable store is no verdict
                allowed = exc if isinstance(exc, Unavailable) else False
            if allowed is True:
                continue
            if isinstance(allowed, Unavailable):  # 1011: the reader comes back, checked again then
                sub.close(1011, "try again")
            else:
                refused = denied(sub.principal, f"You may no longer read {loaded.name}.")
                sub.refuse(refused.reason, 4000 + refused.status, refused.code)
            loaded.room.leave(sub)
            evicted += 1
        return evicted

    # -- reads -----------------------------------------------------------------------------------
    @asynccontextmanager
    async def subscribe(self, name: str, sub: Subscriber) -> AsyncIterator[LoadedDoc]:
        """Join the room of `name` for the duration (read `loaded.doc`, never write it)."""
        async with self.documents.using(name) as loaded:
            loaded.room.join(sub)
            try:
                yield loaded
            finally:
                loaded.room.leave(sub)

    def room(self, name: str) -> Room | None:
        loaded = self.documents.get(name)
        return None if loaded is None else loaded.room

    async def read_doc(self, name: str) -> Doc | None:
        """A private copy of the document (safe to read or change), or None if never written."""
        async with self.documents.using(name) as loaded:
            if not loaded.exists:
                return None
            copy: Doc = Doc()
            copy.apply_update(loaded.doc.get_update())
            return copy

    async def read_json(self, name: str, roots: Mapping[str, type]) -> dict[str, Any] | None:
        """Plain data of the given roots, e.g. `{"report": Map}`; None if never written."""
        async with self.documents.using(name) as loaded:
            if not loaded.exists:
                return None
            return {root: loaded.doc.get(root, type=t).to_py() for root, t in roots.items()}

    async def state_as_update(self, name: str, state_vector: bytes | None = None) -> bytes:
        """What a peer at `state_vector` lacks (everything if None): the payload of a step 2."""
        if state_vector is not None:
            sv = state_vector
            guarded("state vector", lambda: protocol.decode_state_vector(sv))
        async with self.documents.using(name) as loaded:
            live = loaded.doc
            return guarded("state vector", lambda: live.get_update(state_vector))

    async def sync(self, principal: Any, name: str, body: bytes) -> bytes:
        """One HTTP round trip: the client's step 1 and updates in, the server's step 2 out.

        The updates of one body are merged and judged as one change: all of it or none of it.
        Without a step 1 the answer is empty. A retry changes nothing and gets the same answer.
        """
        checked_at = time.monotonic()
        kind, _ = await self.authorize_read(principal, name)
        try:
            messages = protocol.decode_messages(body)
        except protocol.ProtocolError as exc:
            raise Refused(400, "malformed", f"Malformed sync message: {exc}") from exc
        state_vector: bytes | None = None
        updates: list[bytes] = []
        for message in messages:
            if isinstance(message, protocol.SyncStep1):
                state_vector = message.state_vector
            elif isinstance(message, protocol.SyncStep2 | protocol.SyncUpdate):
                updates.append(message.update)
        created = False
        if updates:
            total = sum(len(u) for u in updates)
            if total > kind.max_update_bytes:
                raise too_large_update(total, kind)
            created = (await self.apply_update(principal, name, merge(updates))).created
        if state_vector is None:
            return b""
        sv = state_vector
        guarded("state vector", lambda: protocol.decode_state_vector(sv))
        async with self.documents.using(name) as loaded:
            if loaded.born_since(checked_at) and not created:
                # Someone else created it after our check: access may differ now; ask again.
                await self.authorize_read(principal, name)
            live = loaded.doc
            return protocol.sync_step2(guarded("state vector", lambda: live.get_update(sv)))

    # -- changes ---------------------------------------------------------------------------------
    async def apply_update(
        self, principal: Any, name: str, update: bytes, origin: Subscriber | None = None
    ) -> Applied:
        """Judge and apply a client's update (see the module docstring); raises Refused."""
        return await _shielded(self._apply(principal, name, bytes(update), origin))

    async def server_write(
        self,
        name: str,
        mutate: Callable[[Doc], Any],
        in_tx: Callable[[Any], Any] | None = None,
        *,
        principal: Any = None,
        validate: bool = True,
    ) -> Applied:
        """Change a document as the server: `mutate(doc)` runs in one Yjs transaction.

        Its update is appended and the kind's commit function and `in_tx` run in one database
        transaction; then the live document and its readers get the change. If `mutate`
        changes nothing, `in_tx` still runs (alone) and nothing is stored, so an outbox handler
        can always pass `in_tx=lambda tx: Worker.complete_in(tx, item)` and write exactly once.
        `principal` defaults to the engine's `server_principal`; `validate=False` skips the
        kind's `validate` and the size limit (for repairs).
        """
        who = self.server_principal if principal is None else principal
        return await _shielded(self._server_write(who, name, mutate, in_tx, validate))

    async def _apply(
        self, principal: Any, name: str, update: bytes, origin: Subscriber | None
    ) -> Applied:
        kind, _ = self.kind_of(name)
        if len(update) > kind.max_update_bytes:
            raise too_large_update(len(update), kind)
        if update == protocol.EMPTY_UPDATE:  # what every reader sends as its step 2
            return Applied(name, None, protocol.EMPTY_UPDATE)
        async with self.documents.using(name) as loaded, loaded.lock:
            for attempt in itertools.count(1):
                shadow = loaded.take_shadow(self.client_id, any_id=True)
                try:
                    shadow.apply(update)
                    effective = shadow.effective
                    if effective is None:  # nothing new: a retry, or a reader's step 2
                        loaded.keep_shadow(shadow)  # unchanged: still equal to the live doc
                        return Applied(name, None, protocol.EMPTY_UPDATE)
                    if not await kind.can_write(principal, loaded.doc_id, loaded.exists):
                        raise denied(principal, f"You may not change {name}.")
                    writers = self._new_writers(loaded, shadow, principal)
                    return await self._commit(
                        loaded, principal, shadow, effective, writers, None, origin
                    )
                except Stale:
                    await self._stale(loaded, attempt)
                finally:
                    _drop_unless_kept(loaded, shadow)

    async def _server_write(
        self,
        principal: Any,
        name: str,
        mutate: Callable[[Doc], Any],
        in_tx: Callable[[Any], Any] | None,
        validate: bool,
    ) -> Applied:
        async with self.documents.using(name) as loaded, loaded.lock:
            for attempt in itertools.count(1):
                client_id = self.client_id
                owner = loaded.writers.get(client_id)
                if owner is not None and owner != loaded.kind.writer_key(principal):
                    client_id = random.getrandbits(32)  # someone took our id in this document
                shadow = loaded.take_shadow(client_id)
                try:
                    shadow.mutate(mutate)
                    effective = shadow.effective
                    if effective is None:
                        loaded.keep_shadow(shadow)
                        result = await self.db.write(in_tx) if in_tx is not None else None
                        return Applied(name, None, protocol.EMPTY_UPDATE, result=result)
                    writers = self._new_writers(loaded, shadow, principal)
                    return await self._commit(
                        loaded, principal, shadow, effective, writers, in_tx, None, validate
                    )
                except Stale:
                    await self._stale(loaded, attempt)
                finally:
                    _drop_unless_kept(loaded, shadow)

    def _new_writers(self, loaded: LoadedDoc, shadow: Shadow, principal: Any) -> dict[int, str]:
        """Client ids this change writes with for the first time; refuses someone else's ids.

        Yjs trusts client ids. A writer using another's id at that writer's next clocks would
        make the real writer's later changes look already known: silently dropped everywhere.
        """
        if not loaded.kind.bind_client_ids:
            return {}
        key = loaded.kind.writer_key(principal)
        new: dict[int, str] = {}
        for client in shadow.written_clients():
            owner = loaded.writers.get(client)
            if owner is None:
                new[client] = key
            elif owner != key:
                raise Refused(
                    403,
                    "client_id_taken",
                    f"Yjs client id {client} already belongs to another writer of {loaded.name}.",
                )
        return new

    async def _commit(
        self,
        loaded: LoadedDoc,
        principal: Any,
        shadow: Shadow,
        effective: bytes,
        writers: dict[int, str],
        in_tx: Callable[[Any], Any] | None,
        origin: Subscriber | None,
        validate: bool = True,
    ) -> Applied:
        kind, name = loaded.kind, loaded.name
        size = loaded.size + len(effective)
        if validate:
            if size > kind.max_doc_bytes:
                size = shadow.size()  # the running sum only bounds it: measure when it matters
            if size > kind.max_doc_bytes:
                raise Refused(
                    413,
                    "too_large",
                    f"{name} would grow to {size} bytes; the limit is {kind.max_doc_bytes}.",
                    precise="document_too_large", params={"size": size, "limit": kind.max_doc_bytes},
                )
            self._validate(loaded, principal, shadow.doc)
        created = not loaded.exists
        commit_fn: CommitFn | None = kind.prepare_commit(
            principal, loaded.doc_id, shadow.doc, created
        )
        squash, peers, expected = self.squash, self.peers, loaded.seq + 1

        def run(tx: Any) -> tuple[int, Any, Any]:
            seq = store.append(tx, name, effective, squash)  # locks the document's row
            if seq != expected:
                raise Stale(name)  # rolls back: this change was judged on an older state
            if writers:
                store.bind_writers(tx, name, writers)
            value = commit_fn(tx) if commit_fn is not None else None
            result = in_tx(tx) if in_tx is not None else None
            if peers is not None:
                peers.changed(tx, name, seq, effective, writers)
            return seq, value, result

        seq, value, result = await self.db.write(run)
        # Committed: from here on the live document must follow, whatever else happens.
        self._apply_live(loaded, effective, writers)
        loaded.seq = seq
        loaded.size = size
        loaded.keep_shadow(shadow)  # equal to the live document again: for the next change
        if created:
            # Readers that subscribed while nobody owned the document got in on the kind's word
            # for an ownerless document; ask again now that it has an owner.
            await self._evict_unreadable(loaded, exclude=origin)
        loaded.room.broadcast(protocol.sync_update(effective), exclude=origin)
        await _after_commit(kind, principal, loaded, created, value)
        return Applied(name, seq, effective, created, value, result)

    @staticmethod
    def _validate(loaded: LoadedDoc, principal: Any, after: Doc) -> None:
        try:
            loaded.kind.validate(principal, loaded.doc_id, loaded.doc, after, loaded.exists)
        except Refused:  # also Unavailable: an outage met on the way is no verdict
            raise
        except Exception as exc:
            # A validator that trips over a document it did not expect has not approved it.
            log.warning(
                "validator of %s raised on %s", loaded.kind.name, loaded.name, exc_info=True
            )
            raise Refused(
                422, "invalid", f"{loaded.name} does not have the expected shape."
            ) from exc

    def _apply_live(self, loaded: LoadedDoc, update: bytes, writers: dict[int, str]) -> None:
        try:
            loaded.doc.apply_update(update)
        except BaseException:
            # Cannot happen short of a pycrdt bug (the shadow took this very update). The store
            # is the truth: forget the live copy so that the next use reloads it.
            log.exception("live apply failed on %s; reloading it", loaded.name)
            self.documents.forget(loaded.name)
            raise
        if not loaded.exists:
            loaded.exists = True
            loaded.born = time.monotonic()
        loaded.writers.update(writers)


def _drop_unless_kept(loaded: LoadedDoc, shadow: Shadow) -> None:
    """A change is over: its shadow is either cached for the next one, or freed now."""
    if loaded.shadow is not shadow:
        shadow.close()


async def _after_commit(kind: DocKind, principal: Any, loaded: LoadedDoc, created: bool, value: Any) -> None:
    try:
        outcome = kind.after_commit(principal, loaded.doc_id, loaded.doc, created, value)
        if inspect.isawaitable(outcome):
            await outcome
    except Exception:  # the change is durable and acknowledged; a hook cannot take that back
        log.exception("after_commit of %s failed on %s", kind.name, loaded.name)


async def _shielded(coro: Coroutine[Any, Any, T]) -> T:
    """Run `coro` to completion even if the caller is cancelled (a client that went away): a
    submitted write may commit, and the live document must then follow it, so work that holds a
    document's lock is never abandoned half-way."""
    task = asyncio.ensure_future(coro)
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        task.add_done_callback(_consume)
        raise


def _consume(task: asyncio.Future[Any]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.debug("abandoned sync operation failed: %r", task.exception())


__all__ = ["Applied", "Database", "Peers", "Stale", "SyncEngine"]
