"""Issue 14's fault test: three web processes behind a real HAProxy, one SIGKILLed in the middle
of a stream of reports whose clients retry; afterwards every acknowledged report exists exactly
once with everything that follows from it, and the readers on the surviving processes missed
nothing.

The clients are the PWA's HTTP path (a report's Yjs update POSTed to /sync/report/<id>, sent
again unchanged until it is acknowledged: the retry is the same bytes, so it is idempotent).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest

from sync import protocol

from .cluster import Cluster, ServerProcess, free_port, running
from .pg import PostgresServer
from .server_checks import wait_for
from .sync_client import SyncClient, point_in_ward
from .test_domain_interop import interop

pytestmark = [pytest.mark.node, pytest.mark.multiprocess, pytest.mark.slow]
__all__ = ["interop"]  # the fixture, shared with test_domain_interop

TAN_PHU = 27031
REPORTS = 60
KILL_AFTER = 20  # acknowledged reports before the kill


class HAProxy:
    """A real HAProxy in front of the processes: round robin, health checks every 200 ms, WebSockets."""

    def __init__(self, servers: list[ServerProcess], root: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        backends = "\n".join(
            f"    server {s.name} 127.0.0.1:{s.port} check inter 200 fall 1 rise 2" for s in servers
        )
        self.config = root / "haproxy.cfg"
        self.config.write_text(f"""global
    maxconn 2000
defaults
    mode http
    timeout connect 2s
    timeout client 30s
    timeout server 30s
    timeout tunnel 1h
    retries 2
    option redispatch
frontend web
    bind 127.0.0.1:{self.port}
    default_backend sos
backend sos
    balance roundrobin
    option httpchk GET /healthz
{backends}
""")
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> HAProxy:
        self.proc = subprocess.Popen(
            [shutil.which("haproxy") or "haproxy", "-f", str(self.config), "-db"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        wait_for(lambda: _up(f"{self.url}/healthz"), timeout=10, what="haproxy")
        return self

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.communicate(timeout=10)


def _up(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def report_body(report_id: str) -> bytes:
    client = SyncClient.__new__(SyncClient)  # only its document helpers: no HTTP client
    client.docs = {}
    client.new_report("crime", "Trộm xe máy trước nhà", point_in_ward(TAN_PHU), report_id)
    doc = client.doc(f"report/{report_id}")
    return protocol.sync_step1(b"\x00") + protocol.sync_update(doc.get_update())


@pytest.fixture
def cluster(postgres: PostgresServer, tmp_path: Path) -> Any:
    # A short lease: the dead process's claimed outbox items go to a survivor after 3 s.
    # One test phone sends all the reports: its hourly limit is raised for the test.
    with running(postgres, tmp_path, outbox_lease_s=3, reports_per_device_per_hour=1000) as c:
        yield c


def test_a_process_killed_mid_stream_loses_no_acknowledged_report(
    interop: Path, cluster: Cluster, tmp_path: Path
) -> None:
    if shutil.which("haproxy") is None:
        pytest.fail("haproxy is not installed (make test installs Debian's haproxy)")
    a, b, c = cluster.start(3)
    proxy = HAProxy([a, b, c], tmp_path).start()
    dispatcher, _ = cluster.login("dispatcher", via=a)
    ids = [str(uuid.uuid4()) for _ in range(REPORTS)]
    watchers = [
        subprocess.Popen(
            ["node", "watch_map.mjs", json.dumps({
                "server": f"{s.ws_url}/sync", "room": "inbox/center", "token": dispatcher,
                "root": "incidents", "keys": ids, "ms": 90000,
            })],
            cwd=interop, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        for s in (a, c)  # the survivors' readers: B is the one that dies
    ]
    try:
        for w in watchers:
            assert w.stdout is not None
            assert json.loads(w.stdout.readline())["ready"] is True

        token = httpx.post(f"{proxy.url}/api/citizen/devices").json()["token"]
        acknowledged: list[str] = []
        attempts: Counter[str] = Counter()
        lock = threading.Lock()
        killed = threading.Event()

        def send(chunk: list[str]) -> None:
            with httpx.Client(base_url=proxy.url, timeout=10,
                              headers={"Authorization": f"Bearer {token}"}) as http:
                for report_id in chunk:
                    body = report_body(report_id)
                    deadline = time.monotonic() + 60
                    while time.monotonic() < deadline:
                        with lock:
                            attempts[report_id] += 1
                        try:
                            r = http.post(f"/sync/report/{report_id}", content=body,
                                          headers={"Content-Type": "application/octet-stream"})
                        except httpx.HTTPError:
                            time.sleep(0.1)
                            continue
                        if r.status_code == 200:
                            with lock:
                                acknowledged.append(report_id)
                                if len(acknowledged) == KILL_AFTER and not killed.is_set():
                                    killed.set()
                                    b.kill()
                            break
                        assert r.status_code in (502, 503, 504), r.text  # the proxy's, never the app's
                        time.sleep(0.1)

        threads = [threading.Thread(target=send, args=(ids[i::4],)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        assert killed.is_set() and not b.alive
        assert sorted(acknowledged) == sorted(ids), "a report was never acknowledged"
        retried = [i for i, n in attempts.items() if n > 1]

        # Every acknowledged report exactly once, with its incident, reply and inbox entries.
        def counts(sql: str) -> Counter[str]:
            return Counter(r["k"] for r in cluster.rows(sql) if r["k"] in set(ids))

        assert counts("SELECT id AS k FROM reports") == Counter(ids)
        assert counts("SELECT id AS k FROM incidents") == Counter(ids)
        replies = counts("SELECT substr(name, 7) AS k FROM sync_documents WHERE name LIKE 'reply/%'")
        wait_for(lambda: counts("SELECT substr(name, 7) AS k FROM sync_documents WHERE name LIKE 'reply/%'")
                 == Counter(ids), timeout=30, what="a reply for every report")

        # The outbox: each effect once (unique keys), and every item done, also those the dead
        # process had claimed (a survivor takes them when the lease runs out).
        def pending() -> list[dict[str, Any]]:
            # All but the dispatch timers (due in an hour here): also those put off after a failure.
            return cluster.rows("SELECT key, state, attempts, last_error FROM outbox"
                                " WHERE state <> 'done' AND topic NOT LIKE 'timer.%'")

        try:
            wait_for(lambda: not pending(), timeout=45, what="every outbox item done")
        except AssertionError as exc:
            raise AssertionError(f"{exc}: {pending()[:10]}") from None
        keys = [r["key"] for r in cluster.rows("SELECT key FROM outbox")]
        assert len(keys) == len(set(keys))
        per_incident = Counter(k.split(":")[1] for k in keys if ":" in k and k.split(":")[1] in set(ids))
        assert len(set(per_incident.values())) == 1, per_incident  # the same work for each report
        entries = Counter(r["k"] for r in cluster.rows("SELECT incident_id AS k FROM inbox_entries"))
        assert {entries[i] for i in ids} == {entries[ids[0]]} and entries[ids[0]] >= 2

        # The readers on the surviving processes saw every report appear, each once.
        for w in watchers:
            out, err = w.communicate(timeout=90)
            assert w.returncode == 0, out + err
            appeared = [json.loads(line)["appeared"] for line in out.splitlines() if '"appeared"' in line]
            assert sorted(appeared) == sorted(ids)
        print(f"killed B after {KILL_AFTER} acknowledged; {len(retried)} reports needed a retry; "
              f"replies before the wait: {sum(replies.values())}")
    finally:
        for w in watchers:
            if w.poll() is None:
                w.kill()
                w.communicate()
        proxy.stop()
