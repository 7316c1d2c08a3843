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
from collections.abc import Callable
from typing import Any, TypeVar

from pycrdt import Doc, get_update, merge_updates

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


def checked(update: bytes) -> bytes:
    """A client's update whose shape pycrdt can take without crashing (`sync.structure`)."""
    try:
        structure.check_update(update)
    except protocol.ProtocolError as exc:
        raise Refused(400, "malformed", f"The update was refused: {exc}.") from exc
    return update


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

    def state_vector(self) -> dict[int, int]:
        return protocol.decode_state_vector(self.doc.get_state())

    def apply(self, update: bytes) -> None:
        """Apply a peer's update; refuse it if any part of it stays pending.

        Yjs keeps structs (and deletions) whose dependencies are missing aside and integrates
        them when those arrive. Accepted here, such a part would be validated against nothing
        now and slip in unvalidated later; so the update is refused and the client resyncs.
        Detection: diff the update against the state vector reached. No struct may remain, and
        every deletion must fall inside the state reached.
        """
        checked(update)
        guarded("update", lambda: self.doc.apply_update(update))
        reached = self.doc.get_state()
        leftover = guarded(
            "update", lambda: protocol.structless_delete_set(get_update(update, reached))
        )
        if leftover is None:
            raise missing_dependencies()
        state = protocol.decode_state_vector(reached)
        for client, ranges in leftover.items():
            if any(clock + length > state.get(client, 0) for clock, length in ranges):
                raise missing_dependencies()

    def mutate(self, fn: Callable[[Doc], Any], origin: str = "server") -> None:
        """Run the server's change in one Yjs transaction."""
        with self.doc.transaction(origin=origin):
            fn(self.doc)

    def size(self) -> int:
        return len(self.doc.get_update())


def new_clients(before: dict[int, int], after: dict[int, int]) -> list[int]:
    """Client ids whose clock advanced: the ids a change wrote with."""
    return [client for client, clock in after.items() if clock > before.get(client, 0)]
