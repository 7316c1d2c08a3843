"""The sync engine alone, served like the app: `python -m bench.toyapp --port N --data DIR`.

Two bench kinds, no domain rules, so that fan-out and memory measure `sync/` itself:

- `feed/<id>`: an inbox-like document, read by every token holder, written by `writer`;
  awareness is not relayed (like the app's inboxes).
- `doc/<id>`: report-like documents, for the memory cost of loaded documents.

Tokens (`?token=` or `Authorization: Bearer`): `writer`, or anything else for a reader.
`GET /bench/stats` says how many documents are loaded and how many readers are connected
(`?count=docs`: also how many pycrdt documents are alive in the process).

`SOS_BENCH_PROFILE=FILE`: SIGUSR1 starts cProfile on the event loop's thread, SIGUSR2 stops it
and writes its stats to FILE (`python -m bench.peers.profile` uses it).
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import os
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pycrdt import Doc
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from app.storage.sqlite import SQLiteDatabase
from sync import DocKind, SyncEngine, asgi, store


@dataclass(frozen=True)
class Caller:
    kind: str
    id: str
    role: str


WRITER = Caller("user", "writer", "writer")
SERVER = Caller("server", "server", "server")


class FeedKind(DocKind):
    name = "feed"
    relay_awareness = False

    async def can_read(self, principal: Any, doc_id: str) -> bool:
        return principal is not None

    async def can_write(self, principal: Any, doc_id: str, exists: bool) -> bool:
        return principal is not None and principal.role == "writer"


class DocLikeKind(FeedKind):
    name = "doc"


class TokenAuth:
    """Pure ASGI: the token names the caller; no database read (the app's costs one)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            token = ""
            for key, value in scope.get("headers", []):
                if key == b"authorization" and value[:7].lower() == b"bearer ":
                    token = value[7:].decode("latin-1").strip()
            if not token:
                for part in scope.get("query_string", b"").decode("latin-1").split("&"):
                    if part.startswith("token="):
                        token = part[6:]
            scope["principal"] = (
                None if not token else WRITER if token == "writer" else Caller("user", token, "reader")
            )
        await self.app(scope, receive, send)


def open_db(data_dir: Path) -> SQLiteDatabase:
    return SQLiteDatabase(data_dir / "bench.db", migrations=[store.create_tables]).open()


def populate(data_dir: Path, updates: Iterable[tuple[str, bytes]], batch: int = 500) -> int:
    """Store documents directly (before the server starts): faster than posting them."""
    db = open_db(data_dir)
    count = 0
    try:
        chunk: list[tuple[str, bytes]] = []

        def flush(items: list[tuple[str, bytes]]) -> None:
            db.write_sync(lambda tx: [store.append(tx, name, update) for name, update in items])

        for item in updates:
            chunk.append(item)
            if len(chunk) >= batch:
                flush(chunk)
                count += len(chunk)
                chunk = []
        if chunk:
            flush(chunk)
            count += len(chunk)
    finally:
        db.close()
    return count


def create_app(data_dir: Path, idle_unload_s: float) -> Starlette:
    db = open_db(data_dir)
    engine = SyncEngine(db, [FeedKind(), DocLikeKind()], server_principal=SERVER,
                        idle_unload_s=idle_unload_s)

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def stats(request: Request) -> Response:
        readers = sum(len(d.room) for d in engine.documents.all())
        answer = {"loaded": len(engine.loaded), "readers": readers}
        if request.query_params.get("count") == "docs":
            # Every pycrdt document still in memory, live copies and shadows alike (slow: walks
            # the heap; for the memory benchmark only).
            gc.collect()
            answer["docs_alive"] = sum(isinstance(o, Doc) for o in gc.get_objects())
        return JSONResponse(answer)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await engine.start()
        try:
            yield
        finally:
            await engine.stop()
            db.close()

    return Starlette(
        routes=[
            Route("/healthz", healthz),
            Route("/bench/stats", stats),
            *asgi.routes(engine, lambda conn: conn.scope.get("principal")),
        ],
        middleware=[Middleware(TokenAuth)],
        lifespan=lifespan,
    )


def main() -> None:
    import uvicorn

    from .servers import uvicorn_options

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--idle-unload", type=float, default=60.0)
    args = parser.parse_args()
    profile = os.environ.get("SOS_BENCH_PROFILE")
    if profile:
        import cProfile
        import signal
        import time

        # SIGUSR1 starts cProfile (the event loop's thread), SIGUSR2 stops it and writes the stats
        # to the file: the benchmark profiles its measured window only. The thread's CPU time, not
        # the wall clock: on a shared machine, time spent descheduled is no function's cost.
        profiler = cProfile.Profile(time.thread_time)
        signal.signal(signal.SIGUSR1, lambda *_: profiler.enable())
        signal.signal(signal.SIGUSR2, lambda *_: (profiler.disable(), profiler.dump_stats(profile)))
    from app.cli import WEBSOCKET_PROTOCOL

    uvicorn.run(create_app(args.data, args.idle_unload), **uvicorn_options(args.port), ws=WEBSOCKET_PROTOCOL)


if __name__ == "__main__":
    main()
