"""Crashes around web push, with real processes: the web server killed right after a report's commit
(before any push was sent), then the push worker killed in the middle of the fan-out. After the
restarts every subscription has received the notification exactly once — except the one whose
request was in flight at the kill, which is sent again (at least once, never zero)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from .push.flow import PASSWORD, TAN_PHU, device, login, report_with_personal_data, subscribe
from .push.mock_service import MockPushService, free_port, subscription_json
from .push.peer import HANG, RecordingPeer
from .server_checks import wait_for
from .sync_client import point_in_ward

pytestmark = [pytest.mark.node, pytest.mark.slow]


def sos(*args: str, env: dict[str, str], log: Path, stdin: str | None = None) -> subprocess.Popen[bytes]:
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "app.cli", *args], env=env, stdout=out, stderr=subprocess.STDOUT,
            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
        )
    if stdin is not None:
        proc.communicate(stdin.encode(), timeout=60)
    return proc


def serve(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    proc = sos("serve", "--port", str(port), env=env, log=log)

    def up() -> bool:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}; see {log}")
        try:
            return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    wait_for(up, timeout=30, what="the server to start")
    return proc


def kill(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for proc in started:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)


def test_each_notification_is_delivered_once_across_crashes(
    tmp_path: Path, processes: list[subprocess.Popen[bytes]]
) -> None:
    env = {
        **os.environ,
        "SOS_DATA_DIR": str(tmp_path),
        "SOS_SECRET_KEY": "push-crash-test",
        "SOS_PUSH_ALLOW_LOOPBACK": "1",
        "SOS_PUSH_TIMEOUT_S": "60",  # the held request must still be open when the worker dies
        "SOS_TRIAGE_TIMEOUT_S": "3600",
        # The web process runs no push jobs: `sos worker` does (the Procfile's deployment).
        "SOS_INPROCESS_WORKER": "0",
    }
    log = tmp_path / "processes.log"
    for username, role, unit in [("dp", "dispatcher", None), ("tp1", "officer", "ward-27031"), ("tp2", "officer", "ward-27031")]:
        extra = ["--unit", unit] if unit else []
        added = sos("user", "add", username, "--role", role, *extra, "--password-stdin", env=env, log=log, stdin=PASSWORD)
        assert added.returncode == 0, log.read_text()

    with MockPushService.start() as mock, RecordingPeer() as peer:
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        web = serve(env, port, log)
        processes.append(web)
        key = httpx.get(f"{url}/api/push/key").json()["public_key"]
        people = {name: login(url, name) for name in ("dp", "tp1", "tp2")}
        fast: list[str] = []
        for name, devices in (("dp", 2), ("tp1", 1), ("tp2", 1)):
            for _ in range(devices):
                sub = mock.subscribe(key)
                assert subscribe(people[name], subscription_json(sub)).status_code == 201
                fast.append(sub["clientHash"])
        # One more dispatcher device behind a push service that holds the request open.
        assert subscribe(people["dp"], peer.subscription("slow", script=[HANG])).status_code == 201

        citizen = device(url)
        report_id = report_with_personal_data(citizen, "fire", point_in_ward(TAN_PHU))
        # Committed and acknowledged; nothing is sent yet. The web server dies now.
        kill(web)
        db = sqlite3.connect(tmp_path / "sos.db")

        def count(sql: str, *args: object) -> int:
            return int(db.execute(sql, args).fetchone()[0])

        assert count("SELECT count(*) FROM outbox WHERE key = ? AND state = 'pending'", f"push.new_report:{report_id}") == 1
        assert count("SELECT count(*) FROM push_deliveries") == 0

        # The push worker plans and sends; it dies while the slow request is still open.
        worker = sos("worker", env=env, log=log)
        processes.append(worker)
        delivered = "SELECT count(*) FROM push_deliveries WHERE state = 'delivered'"
        wait_for(lambda: count(delivered) == len(fast), timeout=30, what="the fast deliveries")
        peer.wait_for_requests("slow", 1)
        kill(worker)
        for client_hash in fast:
            assert len(mock.raw_messages(client_hash)) == 1

        # Restarted: only the delivery that was in flight is sent again.
        peer.release()
        worker = sos("worker", env=env, log=log)
        processes.append(worker)
        wait_for(lambda: count(delivered) == len(fast) + 1, timeout=30, what="the held delivery")
        assert len(peer.wait_for_requests("slow", 2)) == 2
        for client_hash in fast:
            assert len(mock.raw_messages(client_hash)) == 1, "a delivered notification was sent twice"
        assert count("SELECT count(*) FROM push_deliveries") == len(fast) + 1
        assert count("SELECT count(*) FROM push_attempts WHERE outcome = 'delivered'") == len(fast) + 1
        assert count("SELECT count(*) FROM outbox WHERE topic LIKE 'push.%' AND state != 'done'") == 0
        db.close()
        worker.terminate()
        worker.wait(10)
