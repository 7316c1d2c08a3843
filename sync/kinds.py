"""Document kinds: what the app tells the engine about each family of documents.

A document is named `<kind>/<id>`. Its kind decides the limits, who may read and write it, what a
valid document looks like, and which rows and side effects commit with each change. Everything
defaults to "no": a kind that forgets to say who may read gets a document nobody can read.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from pycrdt import Doc

CommitFn = Callable[[Any], Any]


class Refused(Exception):
    """An operation on a document was refused, with an HTTP-like status, a code and a reason.

    The engine raises it for its own checks; kinds raise it from `validate` (and may from
    `can_read` / `can_write`, e.g. for a 404). The adapters turn it into a JSON error or the
    y-websocket permission-denied message.

        raise Refused(422, "invalid", "The description is 4,005 characters; the limit is 4,000.",
                      precise="description_too_long", params={"length": 4005, "limit": 4000})

    `code` is the broad class of refusal (`invalid`, `too_large`, `forbidden`, ...); `precise` the
    stable name of this very refusal that apps translate, with `params` to fill in (defaults to
    `code`). In JSON: `{"error": code, "code": precise, "params": {...}, "message": reason}`.
    """

    def __init__(
        self, status: int, code: str, reason: str, retry_after: int | None = None,
        *, precise: str | None = None, params: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(reason)
        self.status = status
        self.code = code
        self.reason = reason
        self.retry_after = retry_after  # seconds, for 429 and 503: sent as Retry-After
        self.precise = precise or code
        self.params = dict(params or {})

    def as_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "error": self.code, "code": self.precise, "params": self.params, "message": self.reason,
        }
        if self.retry_after is not None:
            body["retry_after"] = self.retry_after
        return body

    def __repr__(self) -> str:
        return f"Refused({self.status}, {self.code!r}, {self.reason!r})"


class Unavailable(Refused):
    """The store behind the engine cannot be reached just now (a restart, a fail-over). Raised by
    a database backend, never by a kind: the change was not acknowledged (if the connection broke
    during COMMIT it may still have been stored; the sync protocol's resend is idempotent, so the
    same request may be sent again). A transient 503 with Retry-After, so the adapters answer it as they answer any
    refusal (a WebSocket closes with 1011, which clients take as "reconnect"), and a validator
    that meets it on the way (a rate limit's counter) passes it on instead of judging."""

    def __init__(self, detail: str = "") -> None:
        super().__init__(
            503, "unavailable",
            "The database cannot be reached for a moment; please send again.",
            retry_after=2,
        )
        self.detail = detail  # for the logs: what the backend said


def denied(principal: Any, reason: str) -> Refused:
    """401 for nobody, 403 for somebody."""
    if principal is None:
        return Refused(401, "unauthenticated", "Sign in first (missing or invalid token).")
    return Refused(403, "forbidden", reason)


def too_large_update(size: int, kind: DocKind) -> Refused:
    return Refused(
        413,
        "too_large",
        f"The update is {size} bytes; {kind.name} updates are limited to {kind.max_update_bytes}.",
        precise="update_too_large", params={"size": size, "limit": kind.max_update_bytes},
    )


def default_writer_key(principal: Any) -> str:
    """A stable identity for binding Yjs client ids: `<kind>:<id>` when the principal has both."""
    kind, ident = getattr(principal, "kind", None), getattr(principal, "id", None)
    if kind is not None and ident is not None:
        return f"{kind}:{ident}"
    return repr(principal)


class DocKind:
    """One kind of document. Subclass it once per kind and hand instances to `SyncEngine`.

        class NoteKind(DocKind):
            name = "note"

            async def can_read(self, principal, doc_id):
                return principal is not None

            async def can_write(self, principal, doc_id, exists):
                return principal is not None and principal.role == "editor"

            def validate(self, principal, doc_id, before, after, exists):
                text = after.get("note", type=Map).get("text", "")
                if not isinstance(text, str) or len(text) > 200:
                    raise Refused(422, "invalid", "note.text must be a string of 200 characters")

            def prepare_commit(self, principal, doc_id, after, created):
                text = after.get("note", type=Map).get("text", "")   # read here, on the loop
                return lambda tx: tx.execute(
                    "INSERT INTO notes (id, text) VALUES (?, ?)"
                    " ON CONFLICT (id) DO UPDATE SET text = excluded.text", (doc_id, text))

        engine = SyncEngine(db, [NoteKind()])

    Hooks run on the event-loop thread; only the function returned by `prepare_commit` runs in
    the database's writer thread, inside the transaction that appends the update, so it must
    not touch any Doc (take plain values out of `after` before returning it).
    """

    name: str = ""
    max_update_bytes: int = 256 * 1024
    max_doc_bytes: int = 2 * 1024 * 1024
    id_pattern: re.Pattern[str] = re.compile(r"[A-Za-z0-9_-]{1,64}")
    # Presence (cursors, "who is looking") relayed between the readers of a document. Off for
    # documents with many readers: relaying is O(readers^2); the sender still gets its own state
    # back so that a stock y-websocket client keeps seeing traffic and does not reconnect.
    relay_awareness: bool = True
    max_awareness_bytes: int = 4096
    # Bind each Yjs client id to the first principal that writes with it (see docs/sync.md).
    bind_client_ids: bool = True

    async def can_read(self, principal: Any, doc_id: str) -> bool:
        """May `principal` (None when anonymous) read the document? May raise Refused(404)."""
        return False

    async def can_write(self, principal: Any, doc_id: str, exists: bool) -> bool:
        """May `principal` change it? `exists` is False while nobody has written it yet."""
        return False

    def validate(self, principal: Any, doc_id: str, before: Doc, after: Doc, exists: bool) -> None:
        """Raise Refused if `after` (a shadow copy: `before` plus the update) may not be stored.

        `before` is the live document: read it, never change it.
        """

    def prepare_commit(
        self, principal: Any, doc_id: str, after: Doc, created: bool
    ) -> CommitFn | None:
        """Return a function that the engine runs in the same write transaction as the update."""
        return None

    def after_commit(self, principal: Any, doc_id: str, doc: Doc, created: bool, value: Any) -> Any:
        """Runs after COMMIT and the live apply (e.g. wake the outbox worker). May be async.

        `value` is what the commit function returned. An exception here is logged, not raised:
        the change is already durable and acknowledged.
        """
        return None

    def writer_key(self, principal: Any) -> str:
        """Who a principal is, for binding Yjs client ids; override if `kind:id` is not right."""
        return default_writer_key(principal)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"
