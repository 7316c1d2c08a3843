"""Fixtures for sync/: a fresh database with the store's tables, an engine, a real server."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import threading
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
import uvicorn

from app.storage.sqlite import SQLiteDatabase
from sync import SyncEngine
from tests.conftest import free_port

from .toy import Hooks, make_app, make_engine, open_db

T = TypeVar("T")
INTEROP = Path(__file__).resolve().parents[1] / "interop"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def db(tmp_path: Path) -> Iterator[SQLiteDatabase]:
    database = open_db(tmp_path / "sync.sqlite")
    try:
        yield database
    finally:
        database.close()


@pytest.fixture
def hooks() -> Hooks:
    return Hooks()


@pytest.fixture
def engine(db: SQLiteDatabase, hooks: Hooks) -> SyncEngine:
    return make_engine(db, hooks)


class SyncServer:
    """A real uvicorn serving the toy app on a free port, in a thread with its own loop."""

    def __init__(self, path: Path, **limits: int) -> None:
        self.db = open_db(path)
        self.hooks = Hooks()
        self.engine = make_engine(self.db, self.hooks)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.ws_url = f"ws://127.0.0.1:{self.port}"
        self.app = make_app(self.engine, **limits)
        config = uvicorn.Config(
            self.app,
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            lifespan="on",
            # What `sos serve` runs (app/cli.py), with uvicorn's default permessage-deflate on, so
            # that pre-framed broadcasts are also tested on connections that compress.
            ws="sync.preframed:PreframedWebSockets",
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.loop: asyncio.AbstractEventLoop | None = None

    def start(self) -> SyncServer:
        self.thread.start()
        for _ in range(200):  # wait on uvicorn's own flag; fail loudly if it never comes up
            if self.server.started:
                self.loop = self.app.state.loop
                return self
            if not self.thread.is_alive():
                raise RuntimeError("uvicorn exited during startup")
            self.thread.join(0.05)
        raise RuntimeError("uvicorn did not start within 10 s")

    def call(self, coro: Coroutine[Any, Any, T], timeout: float = 10) -> T:
        """Run a coroutine on the server's loop (the engine lives there) and wait for it."""
        assert self.loop is not None
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)
        self.db.close()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[SyncServer]:
    srv = SyncServer(tmp_path / "server.sqlite").start()
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture(scope="module")
def shared_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SyncServer]:
    """One server for a whole module (property tests: many examples, one server)."""
    srv = SyncServer(tmp_path_factory.mktemp("sync") / "server.sqlite").start()
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture(scope="session")
def node_modules() -> Path:
    """tests/interop with its pinned packages installed (`npm ci` once, if missing)."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("node and npm are needed for the interop tests")
    if not (INTEROP / "node_modules" / "y-websocket").is_dir():
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund"],
            cwd=INTEROP,
            check=True,
            capture_output=True,
            timeout=300,
        )
    return INTEROP
