"""Issue 25: an account cut off is cut off at once, including what it already has open — its sync
WebSocket and the console's live positions stream close within a second: on the same process,
on another process (two `sos serve` on PostgreSQL), and when the command line disables it."""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from app.cli import main
from tests.cluster import Cluster, running
from tests.pg import PostgresServer

from .conftest import PASSWORD, LiveServer
from .test_positions_live import EventStream, officer_on_duty, send_fix

WITHIN_S = 1.0  # the promise


def sign_in(url: str, username: str, password: str = PASSWORD) -> str:
    r = httpx.post(f"{url}/api/auth/login", json={"username": username, "password": password})
    assert r.status_code == 200, r.text
    return str(r.json()["token"])


@contextlib.contextmanager
def inbox_socket(ws_url: str, token: str) -> Iterator[ClientConnection]:
    with connect(f"{ws_url}/sync/inbox/center?token={token}") as ws:
        ws.recv(timeout=10)  # the server's step 1: the subscription is live
        yield ws


def closed_after(ws: ClientConnection, started: float, timeout: float = 10) -> tuple[float, int | None]:
    """Read until the server closes; (seconds since `started`, close code)."""
    deadline = time.monotonic() + timeout
    try:
        while True:
            ws.recv(timeout=max(0.01, deadline - time.monotonic()))
    except ConnectionClosed as closed:
        took = time.monotonic() - started
        print(f"socket closed {took * 1000:.0f} ms after the cut")
        return took, closed.rcvd.code if closed.rcvd else None
    except TimeoutError:
        return float("inf"), None


def ended_after(stream: EventStream, started: float, timeout: float = 10) -> float:
    return time.monotonic() - started if stream.ended.wait(timeout) else float("inf")


def user_id(url: str, admin: str, username: str) -> int:
    r = httpx.get(f"{url}/api/admin/users", params={"q": username}, headers={"Authorization": f"Bearer {admin}"})
    return int(next(u["id"] for u in r.json()["users"] if u["username"] == username))


def disable_and_watch(disable_url: str, admin: str, watched: str, ws_url: str, stream_url: str) -> None:
    """The admin disables an account; `watched` (its token) had a sync socket on `ws_url` and a
    position stream at `stream_url`: both must end within WITHIN_S, the socket with 4401."""
    stream = EventStream(stream_url, watched)
    try:
        assert stream.next("snapshot") == []
        with inbox_socket(ws_url, watched) as ws:
            started = time.monotonic()
            r = httpx.post(disable_url, headers={"Authorization": f"Bearer {admin}"})
            assert r.status_code == 200, r.text
            took, code = closed_after(ws, started)
            assert code == 4401 and took < WITHIN_S, (took, code)
            assert ended_after(stream, started) < WITHIN_S
    finally:
        stream.close()


def test_disabling_closes_the_accounts_websocket_and_stream_on_this_process(live_server: LiveServer) -> None:
    url = live_server.url
    live_server.svc.accounts.create_sync("root", PASSWORD, "admin")
    live_server.svc.accounts.create_sync("dp.cut", PASSWORD, "dispatcher")
    admin, dispatcher = sign_in(url, "root"), sign_in(url, "dp.cut")
    disable_and_watch(f"{url}/api/admin/users/{user_id(url, admin, 'dp.cut')}/disable", admin, dispatcher,
                      live_server.ws_url, f"{url}/api/units/positions/live")
    me = httpx.get(f"{url}/api/auth/me", headers={"Authorization": f"Bearer {dispatcher}"})
    assert me.status_code == 401
    with connect(f"{live_server.ws_url}/sync/inbox/center?token={dispatcher}") as ws:
        assert closed_after(ws, time.monotonic())[1] == 4401  # a new socket is refused too


def test_a_disabled_officer_leaves_the_consoles_map_at_once(live_server: LiveServer) -> None:
    url = live_server.url
    for username, role, unit in (("root", "admin", None), ("dp.map", "dispatcher", None),
                                 ("tp.gone", "officer", "ward-27031")):
        live_server.svc.accounts.create_sync(username, PASSWORD, role, unit)
    admin, dispatcher, officer = sign_in(url, "root"), sign_in(url, "dp.map"), sign_in(url, "tp.gone")
    officer_on_duty(url, officer)
    send_fix(url, officer, 10.79, 106.63)
    stream = EventStream(f"{url}/api/units/positions/live", dispatcher)
    try:
        assert [r["username"] for r in stream.next("snapshot")] == ["tp.gone"]
        r = httpx.post(f"{url}/api/admin/users/{user_id(url, admin, 'tp.gone')}/disable",
                       headers={"Authorization": f"Bearer {admin}"})
        assert r.status_code == 200, r.text
        gone = stream.next("position")
        assert (gone["username"], gone["lat"]) == ("tp.gone", None)
    finally:
        stream.close()


def test_ending_one_session_closes_only_its_websocket(live_server: LiveServer) -> None:
    live_server.svc.accounts.create_sync("dp.two", PASSWORD, "dispatcher")
    phone, desk = sign_in(live_server.url, "dp.two"), sign_in(live_server.url, "dp.two")
    me = {"Authorization": f"Bearer {desk}"}
    listed = httpx.get(f"{live_server.url}/api/auth/sessions", headers=me).json()["sessions"]
    phone_session = next(s["id"] for s in listed if not s["current"])
    with inbox_socket(live_server.ws_url, phone) as on_phone, inbox_socket(live_server.ws_url, desk) as on_desk:
        started = time.monotonic()
        assert httpx.delete(f"{live_server.url}/api/auth/sessions/{phone_session}", headers=me).status_code == 204
        took, code = closed_after(on_phone, started)
        assert code == 4401 and took < WITHIN_S
        on_desk.ping().wait(5)  # still open
        assert httpx.get(f"{live_server.url}/api/auth/me", headers=me).status_code == 200


def test_the_command_line_disables_and_the_running_server_closes_the_socket(live_server: LiveServer) -> None:
    """`sos user disable` is another process: on SQLite the server finds the revoked sessions."""
    settings = live_server.settings
    live_server.svc.accounts.create_sync("dp.cli", PASSWORD, "dispatcher")
    token = sign_in(live_server.url, "dp.cli")
    env = {"SOS_DATA_DIR": str(settings.data_dir), "SOS_SECRET_KEY": settings.secret_key or ""}
    if settings.database_url:
        env["SOS_DATABASE_URL"] = settings.database_url
    with inbox_socket(live_server.ws_url, token) as ws:
        result = CliRunner().invoke(main, ["user", "disable", "dp.cli"], env=env, catch_exceptions=False)
        started = time.monotonic()
        assert result.exit_code == 0, result.output
        assert "1 session(s) ended" in result.output
        took, code = closed_after(ws, started)
        assert code == 4401 and took < WITHIN_S, took


# -- two processes on PostgreSQL -------------------------------------------------------------------
@pytest.fixture
def cluster(postgres: PostgresServer, tmp_path: Path) -> Iterator[Cluster]:
    with running(postgres, tmp_path) as c:
        yield c


def add_user(cluster: Cluster, role: str) -> str:
    username = f"{role[:2]}-{uuid.uuid4().hex[:8]}"
    cluster.sos("user", "add", username, "--role", role, "--password-stdin", stdin=PASSWORD + "\n")
    return username


@pytest.mark.multiprocess
def test_disabled_on_one_process_closes_the_socket_and_stream_on_another(cluster: Cluster) -> None:
    a, b = cluster.start(2)
    admin_name, dp_name, cli_name = add_user(cluster, "admin"), add_user(cluster, "dispatcher"), add_user(cluster, "dispatcher")
    admin, dispatcher = sign_in(a.url, admin_name), sign_in(b.url, dp_name)
    disable_and_watch(f"{a.url}/api/admin/users/{user_id(a.url, admin, dp_name)}/disable", admin, dispatcher,
                      b.ws_url, f"{b.url}/api/units/positions/live")
    for server in (a, b):
        assert httpx.get(f"{server.url}/api/auth/me", headers={"Authorization": f"Bearer {dispatcher}"}).status_code == 401

    # The command line is a third process: its NOTIFY reaches B.
    other = sign_in(b.url, cli_name)
    with inbox_socket(b.ws_url, other) as ws:
        out = cluster.sos("user", "disable", cli_name)
        started = time.monotonic()
        assert "1 session(s) ended" in out
        took, code = closed_after(ws, started)
        assert code == 4401 and took < WITHIN_S, (took, code)
