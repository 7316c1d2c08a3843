"""Shared fixtures: a fresh data directory per test, the in-process client, and a real server."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from starlette.testclient import TestClient

from app.main import create_app
from app.services import Services
from app.settings import Settings
from tests.pg import PostgresServer, backend, shared_server

# The browser fixtures are a plugin so that pytest rewrites their asserts before any test imports.
pytest_plugins = ["tests.browser"]

PASSWORD = "correct horse battery"


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """One real PostgreSQL server for the session (tests/pg.py)."""
    yield shared_server()


@pytest.fixture
def database_url(request: pytest.FixtureRequest) -> Iterator[str | None]:
    """A fresh PostgreSQL database when the suite runs on PostgreSQL (SOS_TEST_BACKEND), else None."""
    if backend() != "postgresql":
        yield None
        return
    server: PostgresServer = request.getfixturevalue("postgres")
    url = server.create_database(migrated=True)
    try:
        yield url
    finally:
        server.drop_database(url)


@pytest.fixture
def settings(tmp_path: Path, database_url: str | None) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        secret_key="test-secret-key-not-for-production",
        login_slowdown_ms=1,
        inprocess_worker=True,
    )


class Clock:
    """A clock the test moves by hand, for expiry and lockout without waiting."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def svc(settings: Settings, clock: Clock) -> Services:
    return Services.build(settings, clock=clock)


@pytest.fixture
def client(settings: Settings, svc: Services) -> Iterator[TestClient]:
    with TestClient(create_app(settings, svc), base_url="http://testserver") as c:
        yield c


@pytest.fixture
def make_user(svc: Services, client: TestClient):
    """Create a police account (the app must be started: depends on `client`)."""

    def make(username: str, role: str, unit: str | None = None) -> str:
        svc.accounts.create_sync(username, PASSWORD, role, unit)
        return username

    return make


@pytest.fixture
def login(client: TestClient, make_user):
    """Create an account and return a bearer token for it."""

    def do(username: str, role: str, unit: str | None = None) -> str:
        make_user(username, role, unit)
        r = client.post("/api/auth/login", json={"username": username, "password": PASSWORD})
        assert r.status_code == 200, r.text
        # Callers use the bearer token; a lingering cookie would make later POSTs cookie writes.
        client.cookies.clear()
        return str(r.json()["token"])

    return do


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LiveServer:
    """A real uvicorn server on a free port, in a thread, for WebSocket, sync and browser tests."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.svc = Services.build(settings)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.ws_url = f"ws://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            create_app(settings, self.svc),
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            lifespan="on",
            # What `sos serve` runs (app/cli.py), with uvicorn's default permessage-deflate on, so
            # that pre-framed broadcasts are also tested on connections that compress.
            ws="sync.preframed:PreframedWebSockets",
            # A stream whose client has gone without the server seeing it (a reader thread's socket
            # closed from another thread) would hold the shutdown until the join below gives up.
            timeout_graceful_shutdown=1,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self) -> LiveServer:
        self.thread.start()
        # Wait on uvicorn's own flag, not on a sleep; give up loudly if it never comes up.
        for _ in range(200):
            if self.server.started:
                return self
            if not self.thread.is_alive():
                raise RuntimeError("uvicorn exited during startup")
            self.thread.join(0.05)
        raise RuntimeError("uvicorn did not start within 10 s")

    @property
    def loop(self):
        return self.svc.loop

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)


@pytest.fixture
def live_server(settings: Settings) -> Iterator[LiveServer]:
    server = LiveServer(settings).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(autouse=True)
def _close_sync_clients() -> Iterator[None]:
    yield
    from .sync_client import SyncClient

    while SyncClient.open_clients:
        SyncClient.open_clients.pop().close()


# Modules that reach the database some other way than the `database_url`/`postgres` fixtures: a
# server of their own (tests/api_server.py, tests/cluster.py) or a database made by hand.
_BACKEND_WORDS = ("backend()", "shared_server", "api_server", "cluster", "SOS_TEST_BACKEND")


def _uses_the_backend(item: pytest.Item) -> bool:
    if {"database_url", "postgres"} & set(getattr(item, "fixturenames", ())):
        return True
    source = Path(str(item.fspath)).read_text(encoding="utf-8")
    return any(word in source for word in _BACKEND_WORDS)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--side-by-side", action="store_true",
        help="make test's two passes run together: what never touches a database and needs no "
        "browser runs in the PostgreSQL pass only, and so do the browser tests of "
        "BROWSER_ON_POSTGRESQL, so that the two passes end together",
    )


# Browser tests run once, in the SQLite pass; with `--side-by-side` these modules' run in the
# PostgreSQL pass instead (against PostgreSQL: the screens do not care), to even out the two passes.
BROWSER_ON_POSTGRESQL = {"test_a11y.py", "test_console_warnings.py"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Each test that never touches a database runs once: the PostgreSQL pass leaves it to the SQLite
    pass, or (`--side-by-side`) the SQLite pass leaves those without a browser to the other. Browser
    tests run in the SQLite pass, but for BROWSER_ON_POSTGRESQL's with `--side-by-side`."""
    side_by_side = config.getoption("--side-by-side")
    on_postgresql = backend() == "postgresql"
    keep, drop = [], []
    for item in items:
        if item.get_closest_marker("browser"):
            moved = side_by_side and Path(str(item.fspath)).name in BROWSER_ON_POSTGRESQL
            (keep if moved == on_postgresql else drop).append(item)
            continue
        if _uses_the_backend(item):
            keep.append(item)
            continue
        browser = item.get_closest_marker("browser") or item.get_closest_marker("fuzz")
        elsewhere = (not side_by_side or browser) if on_postgresql else (side_by_side and not browser)
        (drop if elsewhere else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
