"""A toy domain for testing sync/: notes, a server-written feed, and claimable private pads.

Nothing here is the app's domain; it only exercises the engine's hooks the way app/ will.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pycrdt import Array, Doc, Map
from starlette.applications import Starlette
from starlette.types import ASGIApp, Receive, Scope, Send

from app.storage.postgres import PostgresDatabase
from app.storage.sqlite import SQLiteDatabase
from sync import DocKind, Refused, SyncEngine, asgi, store
from tests.pg import backend, url_for


@dataclass(frozen=True)
class User:
    id: str
    role: str  # "editor" writes notes, "viewer" only reads, "outsider" reads nothing
    kind: str = "user"


SERVER = User("server", "server", kind="server")
USERS = {
    "alice": User("alice", "editor"),
    "carol": User("carol", "editor"),
    "bob": User("bob", "viewer"),
    "eve": User("eve", "outsider"),
}
TOKENS = {f"token-{name}": user for name, user in USERS.items()}

TOY_SCHEMA = """
CREATE TABLE toy_notes (id TEXT PRIMARY KEY, text TEXT, author TEXT, changes INTEGER NOT NULL);
CREATE TABLE toy_events (key TEXT PRIMARY KEY, doc TEXT NOT NULL, payload TEXT NOT NULL);
CREATE TABLE toy_pads (id TEXT PRIMARY KEY, owner TEXT NOT NULL);
"""


def m1_sync(tx: Any) -> None:
    store.create_tables(tx)


def m2_toy(tx: Any) -> None:
    tx.script(TOY_SCHEMA)


def open_db(path: Path) -> Any:
    """The toy's database at `path`: a SQLite file, or a PostgreSQL database standing for it when
    the suite runs on PostgreSQL (tests/pg.py)."""
    if backend() == "postgresql":
        return PostgresDatabase(url_for(path), migrations=[m1_sync, m2_toy]).open()
    return SQLiteDatabase(path, migrations=[m1_sync, m2_toy]).open()


@dataclass
class Hooks:
    """What the hooks saw, to prove they ran exactly once per accepted change."""

    commits: list[tuple[str, bool]] = field(default_factory=list)
    after: list[tuple[str, bool, Any]] = field(default_factory=list)


class NoteKind(DocKind):
    """`note/<id>`: root map "note" with `text` (str <= 200), `author` (the writer), `tags`."""

    name = "note"
    max_update_bytes = 16 * 1024
    max_doc_bytes = 64 * 1024

    def __init__(self, hooks: Hooks | None = None) -> None:
        self.hooks = hooks or Hooks()

    async def can_read(self, principal: Any, doc_id: str) -> bool:
        return principal is not None and principal.role in ("editor", "viewer", "server")

    async def can_write(self, principal: Any, doc_id: str, exists: bool) -> bool:
        return principal is not None and principal.role == "editor"

    def validate(self, principal: Any, doc_id: str, before: Doc, after: Doc, exists: bool) -> None:
        extra = set(after.keys()) - {"note"}
        if extra:
            raise Refused(422, "invalid", f"unexpected roots {sorted(extra)}")
        note = after.get("note", type=Map).to_py() or {}
        unknown = set(note) - {"text", "author", "tags"}
        if unknown:
            raise Refused(422, "invalid", f"unexpected fields {sorted(unknown)}")
        text = note.get("text", "")
        if not isinstance(text, str) or len(text) > 200:
            raise Refused(422, "invalid", "note.text must be a string of at most 200 characters")
        old = before.get("note", type=Map).to_py() or {}
        if note.get("author") != old.get("author") and note.get("author") != principal.id:
            raise Refused(403, "forbidden", "author must be the writer")

    def prepare_commit(self, principal: Any, doc_id: str, after: Doc, created: bool) -> Any:
        note = after.get("note", type=Map).to_py() or {}  # plain data, taken on the loop thread
        text, author = note.get("text"), note.get("author")
        hooks = self.hooks

        def commit(tx: Any) -> str:
            tx.execute(
                """INSERT INTO toy_notes (id, text, author, changes) VALUES (?, ?, ?, 1)
                   ON CONFLICT(id) DO UPDATE SET text = excluded.text, author = excluded.author,
                   changes = toy_notes.changes + 1""",
                (doc_id, text, author),
            )
            if created:
                tx.execute(
                    "INSERT INTO toy_events (key, doc, payload) VALUES (?, ?, ?)",
                    (f"created:{doc_id}", f"note/{doc_id}", json.dumps({"by": principal.id})),
                )
            return f"committed {doc_id}"

        hooks.commits.append((doc_id, created))
        return commit

    def after_commit(
        self, principal: Any, doc_id: str, doc: Doc, created: bool, value: Any
    ) -> None:
        self.hooks.after.append((doc_id, created, value))


class FeedKind(DocKind):
    """`feed/<id>`: written only by the server (an array "items"), read by every known user."""

    name = "feed"
    relay_awareness = False

    async def can_read(self, principal: Any, doc_id: str) -> bool:
        return principal is not None and principal.role != "outsider"

    def validate(self, principal: Any, doc_id: str, before: Doc, after: Doc, exists: bool) -> None:
        if len(after.get("items", type=Array)) > 1000:
            raise Refused(413, "too_large", "feed is full")


class PadKind(DocKind):
    """`pad/<id>`: whoever writes first owns it; then only the owner reads and writes it."""

    name = "pad"

    def __init__(self, db: SQLiteDatabase) -> None:
        self.db = db

    def _owner(self, doc_id: str) -> Any:
        def query(conn: sqlite3.Connection) -> str | None:
            row = conn.execute("SELECT owner FROM toy_pads WHERE id = ?", (doc_id,)).fetchone()
            return None if row is None else str(row[0])

        return self.db.read(query)

    async def can_read(self, principal: Any, doc_id: str) -> bool:
        owner = await self._owner(doc_id)
        return principal is not None and owner in (None, principal.id)

    async def can_write(self, principal: Any, doc_id: str, exists: bool) -> bool:
        return await self.can_read(principal, doc_id)

    def prepare_commit(self, principal: Any, doc_id: str, after: Doc, created: bool) -> Any:
        if not created:
            return None
        return lambda tx: tx.execute(
            "INSERT INTO toy_pads (id, owner) VALUES (?, ?)", (doc_id, principal.id)
        )


def make_engine(db: SQLiteDatabase, hooks: Hooks | None = None, **options: Any) -> SyncEngine:
    return SyncEngine(
        db, [NoteKind(hooks), FeedKind(), PadKind(db)], server_principal=SERVER, **options
    )


class TokenAuth:
    """Pure ASGI: `Authorization: Bearer` or `?token=` -> scope["principal"] (like app's)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            token = None
            for key, value in scope.get("headers", []):
                if key == b"authorization" and value[:7].lower() == b"bearer ":
                    token = value[7:].decode("latin-1").strip()
            if token is None:
                from urllib.parse import parse_qs

                query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
                token = (query.get("token") or [None])[0]
            scope["principal"] = TOKENS.get(token or "")
        await self.app(scope, receive, send)


def make_app(engine: SyncEngine, **limits: int) -> Starlette:
    import contextlib

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> Any:
        app.state.loop = asyncio.get_running_loop()  # tests run coroutines on the engine's loop
        await engine.start()
        try:
            yield
        finally:
            await engine.stop()

    from starlette.middleware import Middleware

    return Starlette(
        routes=asgi.routes(engine, lambda conn: conn.scope.get("principal"), **limits),
        middleware=[Middleware(TokenAuth)],
        lifespan=lifespan,
    )


def note_update(
    text: str | None = None, author: str | None = None, base: Doc | None = None, **fields: Any
) -> tuple[Doc, bytes]:
    """A client-side change to a note: returns the client's doc and the update it produced."""
    doc: Doc = Doc()
    if base is not None:
        doc.apply_update(base.get_update())
    before = doc.get_state()
    note = doc.get("note", type=Map)
    with doc.transaction():
        if text is not None:
            note["text"] = text
        if author is not None:
            note["author"] = author
        for key, value in fields.items():
            note[key] = value
    return doc, doc.get_update(before)
