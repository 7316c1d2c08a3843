"""Shadow copies: a document with one change applied, where it can be judged before it is real.

    shadow = Shadow.of(live_doc)
    shadow.apply(update)        # Refused(400) if undecodable, Refused(422) if it needs changes
                                # the document does not have
    if shadow.effective is None: ...   # nothing new in it
    kind.validate(principal, doc_id, live_doc, shadow.doc, exists)

pycrdt Docs have no locking of their own unless built with `allow_multithreading` (and then a
blocking one): shadows, like live documents, are only touched on the event-loop thread.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from pycrdt import Doc, merge_updates

from . import protocol, structure
from .kinds import Refused

T = TypeVar("T")

# Never swallowed while guarding pycrdt calls. Everything else is: a Rust panic surfaces as
# pyo3's PanicException, which derives from BaseException.
_FATAL = (KeyboardInterrupt, SystemExit, asyncio.CancelledError, GeneratorExit)


def guarded(what: str, fn: Callable[[], T]) -> T:
    """Run a pycrdt call on untrusted bytes; any failure is the sender's malformed input."""
    try:
        return fn()
    except _FATAL:
        raise
    except BaseException as exc:
        raise Refused(400, "malformed", f"The {what} could not be decoded.") from exc


def checked(update: bytes) -> structure.Reach:
    """Refuse a client's update unless pycrdt can take its shape without crashing
    (`sync.structure`); what it needs of a document to be whole in it."""
    try:
        return structure.check_update(update)
    except protocol.ProtocolError as exc:
        raise Refused(400, "malformed", f"The update was refused: {exc}.") from exc


def merge(updates: list[bytes]) -> bytes:
    """One update of several; each is checked first, as pycrdt reads them all to merge."""
    if len(updates) == 1:
        return updates[0]
    for update in updates:
        checked(update)
    return guarded("update", lambda: merge_updates(*updates))


def missing_dependencies() -> Refused:
    return Refused(
        422,
        "missing_dependencies",
        "The update depends on changes the server does not have; "
        "send sync step 1 and the whole local state instead.",
    )


class Shadow:
    """A private copy of a document that records what each change added to it."""

    def __init__(self, doc: Doc) -> None:
        self.doc = doc
        self._captured: list[bytes] = []
        self._subscription: Any = doc.observe(lambda event: self._captured.append(event.update))
        # State vectors, decoded once per change: before it (= the live document's, as a
        # shadow is equal to it when a change starts) and now.
        self.state: dict[int, int] = protocol.decode_state_vector(doc.get_state())
        self.before = self.state

    def close(self) -> None:
        """Stop recording; call it when the shadow is dropped (idempotent).

        pycrdt's observer holds its Doc from the Rust side, where the garbage collector cannot
        see it: an observed Doc is never freed until it is unobserved. A shadow dropped without
        `close()` leaks itself and its whole copy of the document.
        """
        if self._subscription is not None:
            self.doc.unobserve(self._subscription)
            self._subscription = None

    def reset(self) -> Shadow:
        """Forget what earlier changes added (a cached shadow, reused for the next change)."""
        self._captured.clear()
        self.before = self.state
        return self

    @classmethod
    def of(cls, live: Doc | None, client_id: int | None = None) -> Shadow:
        doc: Doc = Doc(client_id=client_id)
        if live is not None:
            doc.apply_update(live.get_update())
        return cls(doc)

    @property
    def effective(self) -> bytes | None:
        """Everything the changes so far added (one update), or None if nothing."""
        updates = [u for u in self._captured if not protocol.is_empty_update(u)]
        return merge(updates) if updates else None

    def written_clients(self) -> list[int]:
        """Client ids whose clock this change advanced: the ids it wrote with."""
        return new_clients(self.before, self.state)

    def apply(self, update: bytes) -> None:
        """Apply a peer's update; refuse it if any part of it stays pending.

        Yjs keeps structs (and deletions) whose dependencies are missing aside and integrates
        them when those arrive. Accepted here, such a part would be validated against nothing
        now and slip in unvalidated later; so the update is refused and the client resyncs.
        Detection: integrated structs advance their client's clock without gaps, so every
        client's structs in the update must end within the state vector reached, and every
        deletion must fall inside it (the update's ends and deletions come from the structure
        check's parse: no second read of it).
        """
        reach = checked(update)
        guarded("update", lambda: self.doc.apply_update(update))
        self.state = state = protocol.decode_state_vector(self.doc.get_state())
        for client, end in reach.ends.items():
            if end > state.get(client, 0):
                raise missing_dependencies()
        for client, ranges in reach.deletes.items():
            if any(clock + length > state.get(client, 0) for clock, length in ranges):
                raise missing_dependencies()

    def mutate(self, fn: Callable[[Doc], Any], origin: str = "server") -> None:
        """Run the server's change in one Yjs transaction."""
        with self.doc.transaction(origin=origin):
            fn(self.doc)
        self.state = protocol.decode_state_vector(self.doc.get_state())

    def size(self) -> int:
        return len(self.doc.get_update())


def new_clients(before: dict[int, int], after: dict[int, int]) -> list[int]:
    """Client ids whose clock advanced: the ids a change wrote with."""
    return [client for client, clock in after.items() if clock > before.get(client, 0)]


# What a kept shadow costs in memory, estimated from its document's encoded size: a pycrdt Doc
# takes ~8 KiB empty and 6-15x its encoded size in RSS (measured with 2,000 observed Docs of
# 1.5-9 KB: 12-73 KB each). The estimate errs high.
SHADOW_OVERHEAD = 8 * 1024
SHADOW_PER_BYTE = 12
DEFAULT_SHADOW_BUDGET = 64 * 1024 * 1024


def shadow_cost(encoded_size: int) -> int:
    return SHADOW_OVERHEAD + SHADOW_PER_BYTE * encoded_size


class Keeper(Protocol):
    """Where a kept shadow lives: a loaded document (`documents.LoadedDoc`)."""

    shadow: Shadow | None


class ShadowCache:
    """One kept shadow per loaded document, within `budget` bytes of estimated memory; the least
    recently used are dropped first. A kept shadow equals its live document: `take` it before
    changing it, and `keep` it again only once the live document took the same change; a
    change that ends otherwise leaves the shadow dirty, and the caller closes it."""

    def __init__(self, budget: int = DEFAULT_SHADOW_BUDGET) -> None:
        self.budget = budget
        self.bytes = 0  # estimated memory of the kept shadows
        self._kept: OrderedDict[Keeper, int] = OrderedDict()

    def __len__(self) -> int:
        return len(self._kept)

    def take(self, owner: Keeper) -> Shadow | None:
        shadow, owner.shadow = owner.shadow, None
        self.bytes -= self._kept.pop(owner, 0)
        return shadow

    def keep(self, owner: Keeper, shadow: Shadow, cost: int) -> None:
        """Keep `shadow` for `owner`'s next change if it fits, dropping older ones to make room."""
        self.drop(owner)
        if cost > self.budget:
            return  # the caller still holds it, and closes it
        owner.shadow = shadow
        self._kept[owner] = cost
        self.bytes += cost
        while self.bytes > self.budget:
            self.drop(next(iter(self._kept)))

    def drop(self, owner: Keeper) -> None:
        shadow = self.take(owner)
        if shadow is not None:
            shadow.close()
