"""Kill the server with SIGKILL in the middle of a stream of reports: after a restart, every report
the server acknowledged is there exactly once, with its inbox entries and outbox items once."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from app.storage.postgres import translate

from .conftest import free_port
from .sync_client import SyncClient, point_in_ward


def start_server(data_dir: Path, port: int, database_url: str | None = None) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "SOS_DATA_DIR": str(data_dir),
        # On PostgreSQL nobody releases a dead process's leases at start (another process might
        # hold them): they run out instead, here after 3 s.
        "SOS_OUTBOX_LEASE_S": "3",
        "SOS_SECRET_KEY": "crash-test-secret",
        "SOS_REPORTS_PER_DEVICE_PER_HOUR": "100000",
        "SOS_REPORTS_PER_IP_PER_HOUR": "100000",
        "SOS_DEVICES_PER_IP_PER_HOUR": "100000",
    }
    if database_url:
        env["SOS_DATABASE_URL"] = database_url
    with open(data_dir / f"server-{port}-{time.monotonic_ns()}.log", "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "serve", "--port", str(port)],
            env=env, stdout=log, stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.TransportError:
            pass
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}; see {data_dir}")
        time.sleep(0.1)
    proc.kill()
    raise RuntimeError("server did not start within 30 s")


class _PG:
    """The few calls the checks below make, on PostgreSQL (`?` placeholders, autocommit)."""

    def __init__(self, url: str) -> None:
        self.conn = psycopg.connect(url, autocommit=True)

    def execute(self, sql: str, args: tuple[object, ...] = ()) -> Any:
        return self.conn.execute(translate(sql) if args else sql, args or None)

    def close(self) -> None:
        self.conn.close()


def connect(data_dir: Path, database_url: str | None) -> Any:
    return _PG(database_url) if database_url else sqlite3.connect(data_dir / "sos.db")


@pytest.mark.slow
def test_sigkill_loses_no_acknowledged_report_and_duplicates_nothing(
    tmp_path: Path, database_url: str | None
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = start_server(tmp_path, port, database_url)
    acknowledged: list[str] = []
    attempted: list[str] = []
    stop = threading.Event()
    where = point_in_ward(27031)

    def submit(worker: int) -> None:
        token = httpx.post(f"{url}/api/citizen/devices").json()["token"]
        client = SyncClient(url, token)
        while not stop.is_set():
            report_id = client.new_report("crime", f"crash test {worker}", where)
            attempted.append(report_id)
            try:
                r = client.sync(f"report/{report_id}")
            except httpx.TransportError:
                return  # the server is gone: this one was never acknowledged
            if r.status_code == 200:
                acknowledged.append(report_id)

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    # Kill while reports are flowing, not before the first.
    deadline = time.monotonic() + 20
    while len(acknowledged) < 60 and time.monotonic() < deadline:
        time.sleep(0.01)
    server.send_signal(signal.SIGKILL)
    server.wait(10)
    stop.set()
    for t in threads:
        t.join(10)
    assert len(acknowledged) >= 60, "the stream never got going"

    # Restart on the same data directory and let the outbox catch up.
    server = start_server(tmp_path, port, database_url)
    try:
        db = connect(tmp_path, database_url)

        def count(sql: str, *args: object) -> int:
            return int(db.execute(sql, args).fetchone()[0])

        deadline = time.monotonic() + 30
        pending = "SELECT count(*) FROM outbox WHERE state = 'pending' AND run_at <= ? AND topic != 'escalation'"
        while count(pending, time.time()) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert count(pending, time.time()) == 0, "the outbox did not catch up after the restart"
        for report_id in acknowledged:
            assert count("SELECT count(*) FROM reports WHERE id = ?", report_id) == 1
            assert count("SELECT count(*) FROM incidents WHERE id = ?", report_id) == 1
            assert count("SELECT count(*) FROM sync_documents WHERE name = ?", f"report/{report_id}") == 1
            assert count("SELECT count(*) FROM sync_updates WHERE name = ?", f"report/{report_id}") == 1
            assert count("SELECT count(*) FROM outbox WHERE key = ?", f"incident.init:{report_id}") == 1
            assert count("SELECT count(*) FROM outbox WHERE key = ?", f"timer.triage:{report_id}") == 1
            assert count("SELECT count(*) FROM inbox_entries WHERE incident_id = ? AND unit = 'center'", report_id) == 1
            assert count("SELECT count(*) FROM sync_documents WHERE name = ?", f"incident/{report_id}") == 1
        # Unacknowledged attempts may or may not have landed, but never twice.
        assert count("SELECT count(*) FROM reports") == count("SELECT count(DISTINCT id) FROM reports")
        assert count("SELECT count(*) FROM reports") <= len(attempted)
        # The live queue document lists each acknowledged report once (a map keyed by id).
        dispatcher_view = {
            r[0] for r in db.execute("SELECT incident_id FROM inbox_entries WHERE unit = 'center'")
        }
        assert set(acknowledged) <= dispatcher_view
        db.close()
    finally:
        server.terminate()
        server.wait(10)
