"""The console's live channel for officers' positions (issue 16): GET /api/units/positions/live,
a server-sent stream, read here by a plain HTTP client against a real server — in one process,
and across two `sos serve` processes on one PostgreSQL (a fix sent to B reaches a console on A)."""

from __future__ import annotations

import contextlib
import json
import queue
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.cluster import running
from tests.pg import PostgresServer

from .conftest import PASSWORD, LiveServer
from .server_checks import rows

TAN_PHU_UNIT = "ward-27031"


class EventStream:
    """Reads a server-sent stream in a thread; `next(event)` waits (with a timeout) for one."""

    def __init__(self, url: str, token: str) -> None:
        self.events: queue.Queue[tuple[str, Any]] = queue.Queue()
        self.client = httpx.Client(timeout=httpx.Timeout(5, read=30))
        self.response = self.client.send(
            self.client.build_request("GET", url, headers={"Authorization": f"Bearer {token}"}),
            stream=True,
        )
        assert self.response.status_code == 200, self.response.read()
        assert self.response.headers["content-type"].startswith("text/event-stream")
        self.ended = threading.Event()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        event, data = "message", []
        with contextlib.suppress(httpx.HTTPError):
            for line in self.response.iter_lines():
                if line.startswith("event:"):
                    event = line[6:].strip()
                elif line.startswith("data:"):
                    data.append(line[5:].strip())
                elif line == "" and data:
                    self.events.put((event, json.loads("\n".join(data))))
                    event, data = "message", []
        self.ended.set()

    def next(self, event: str, timeout: float = 10) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            name, value = self.events.get(timeout=max(0.01, deadline - time.monotonic()))
            if name == event:
                return value

    def close(self) -> None:
        self.response.close()
        self.client.close()


def login(url: str, username: str) -> str:
    r = httpx.post(f"{url}/api/auth/login", json={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return str(r.json()["token"])


def officer_on_duty(url: str, token: str, status: str = "available") -> None:
    r = httpx.put(f"{url}/api/officers/me/availability", json={"status": status},
                  headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200, r.text


def send_fix(url: str, token: str, lat: float, lon: float) -> None:
    fix = {"lat": lat, "lon": lon, "accuracy": 10, "at": round(time.time() * 1000)}
    r = httpx.put(f"{url}/api/officers/me/position", json=fix,
                  headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 204, r.text


@contextlib.contextmanager
def stream(url: str, token: str) -> Iterator[EventStream]:
    s = EventStream(f"{url}/api/units/positions/live", token)
    try:
        yield s
    finally:
        s.close()


def test_the_stream_starts_with_a_snapshot_then_follows_each_officer(live_server: LiveServer) -> None:
    url = live_server.url
    for username, role, unit in (("tp.a", "officer", TAN_PHU_UNIT), ("tp.b", "officer", TAN_PHU_UNIT),
                                 ("dp.live", "dispatcher", None)):
        live_server.svc.accounts.create_sync(username, PASSWORD, role, unit)
    a, b, dispatcher = login(url, "tp.a"), login(url, "tp.b"), login(url, "dp.live")
    officer_on_duty(url, a)
    officer_on_duty(url, b, "busy")
    send_fix(url, a, 10.79, 106.63)

    with stream(url, dispatcher) as console:
        snapshot = console.next("snapshot")
        assert [(r["username"], r["lat"], r["availability"]) for r in snapshot] == [("tp.a", 10.79, "available")]
        send_fix(url, b, 10.80, 106.64)
        moved = console.next("position")
        assert (moved["username"], moved["lat"], moved["lon"], moved["availability"]) == ("tp.b", 10.80, 106.64, "busy")
        officer_on_duty(url, a, "off_duty")
        gone = console.next("position")
        assert (gone["username"], gone["lat"], gone["availability"]) == ("tp.a", None, "off_duty")
        # Signing out ends the stream at once (the console must sign in again to see anything).
        r = httpx.post(f"{url}/api/auth/logout", headers={"Authorization": f"Bearer {dispatcher}"})
        assert r.status_code in (200, 204), r.text
        assert console.ended.wait(10)
    opened = rows(live_server, "SELECT actor_role, detail FROM audit_log WHERE action = 'units.positions.live'")
    assert [r["actor_role"] for r in opened] == ["dispatcher"] and '"count": 1' in opened[0]["detail"]


@pytest.mark.multiprocess  # two real processes on PostgreSQL whatever the pass: run once
def test_a_fix_sent_to_one_process_reaches_a_console_on_another(
    postgres: PostgresServer, tmp_path: Path
) -> None:
    with running(postgres, tmp_path) as cluster:
        a, b = cluster.start(2)
        officer, _ = cluster.login("officer", TAN_PHU_UNIT, via=b)
        dispatcher, _ = cluster.login("dispatcher", via=a)
        officer_on_duty(b.url, officer)
        with stream(a.url, dispatcher) as console:
            assert console.next("snapshot") == []
            send_fix(b.url, officer, 10.7712, 106.6321)
            row = console.next("position")
            assert (row["lat"], row["lon"], row["unit"]) == (10.7712, 106.6321, TAN_PHU_UNIT)
            # And the list read on A agrees.
            listed = httpx.get(f"{a.url}/api/units/positions",
                               headers={"Authorization": f"Bearer {dispatcher}"}).json()
            assert [(r["lat"], r["lon"]) for r in listed] == [(10.7712, 106.6321)]
