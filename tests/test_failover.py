"""The database's primary dies mid-stream and its standby takes over (docs/deploy.md, "When
PostgreSQL's primary dies").

A real primary with a synchronous hot standby (`pg_basebackup -R`, `synchronous_standby_names`),
two `sos serve` processes given both servers in one URL (`host1,host2` with
`target_session_attrs=read-write`: libpq connects to whichever accepts writes). In the middle of
a stream of reports the primary is stopped as a dead machine would be (`pg_ctl -m immediate`) and,
a moment later, the standby is promoted. Meanwhile the processes answer 503 with a reason (never
500); the clients retry. Afterwards, on the promoted standby: every acknowledged report exactly
once with its incident, reply and inbox entries, every outbox item done, and a console subscribed
to process B throughout saw every report appear (B's LISTEN connection came back by itself).
"""

from __future__ import annotations

import json
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from .cluster import Cluster, ServerProcess
from .failover_stream import ReportStream, check_exactly_once, in_background
from .pg import PostgresServer
from .server_checks import wait_for
from .test_domain_interop import interop

pytestmark = [pytest.mark.node, pytest.mark.multiprocess, pytest.mark.slow]
__all__ = ["interop"]

REPORTS = 40
CRASH_AFTER = 12  # acknowledged reports before the primary dies
OUTAGE_S = 1.5  # between the crash and the promotion


@pytest.fixture
def pair() -> Iterator[tuple[PostgresServer, PostgresServer]]:
    primary = PostgresServer(synchronous_standby="standby", name="primary").start()
    standby: PostgresServer | None = None
    try:
        standby = primary.start_standby("standby")

        def streaming_in_sync() -> bool:
            with psycopg.connect(primary.url(), autocommit=True) as conn:
                row = conn.execute("SELECT sync_state FROM pg_stat_replication"
                                   " WHERE application_name = 'standby'").fetchone()
            return row is not None and row[0] == "sync"

        wait_for(streaming_in_sync, timeout=30, what="the standby streaming, synchronous")
        yield primary, standby
    finally:
        if standby is not None:
            standby.stop()
        primary.stop()


def test_the_primary_dies_and_the_standby_takes_over_with_no_acknowledged_report_lost(
    interop: Path, pair: tuple[PostgresServer, PostgresServer], tmp_path: Path
) -> None:
    primary, standby = pair
    cluster = Cluster(primary, tmp_path, outbox_lease_s=3, reports_per_device_per_hour=1000)
    database = cluster.database_url.rsplit("/", 1)[1]
    both = (f"postgresql://sos@127.0.0.1:{primary.port},127.0.0.1:{standby.port}/{database}"
            "?target_session_attrs=read-write&connect_timeout=3")
    cluster.database_url = cluster.env["SOS_DATABASE_URL"] = both
    a, b = cluster.start(2)
    watcher = None
    try:
        dispatcher, _ = cluster.login("dispatcher", via=a)
        ids = [str(uuid.uuid4()) for _ in range(REPORTS)]
        watcher = _watch(interop, b, dispatcher, ids)
        token = httpx.post(f"{a.url}/api/citizen/devices").json()["token"]
        stream = ReportStream([a, b], token, ids, crash_after=CRASH_AFTER)
        during: dict[str, httpx.Response] = {}

        def fail_over() -> None:
            stream.crash.wait(120)
            primary.crash()
            # With no primary, the REST API says so too: a session check, a sign-in.
            during["me"] = httpx.get(f"{a.url}/api/auth/me", headers={"Authorization": f"Bearer {dispatcher}"})
            during["login"] = httpx.post(f"{b.url}/api/auth/login", json={"username": "x", "password": "y"})
            time.sleep(OUTAGE_S)
            standby.promote()

        switch = in_background(fail_over)
        stream.run()
        switch.join(60)
        assert stream.crash.is_set(), "the primary was never stopped"
        assert sorted(stream.acknowledged) == sorted(ids), f"not every report was acknowledged: {stream.refusals}"
        assert stream.refusals, "no request met the outage: the crash came too late to test anything"
        assert set(during) == {"me", "login"}, "the calls during the outage were not made"
        for r in during.values():
            assert r.status_code == 503 and r.json()["error"] == "unavailable", r.text
            assert r.headers["Retry-After"] == "2"
        assert httpx.get(f"{a.url}/api/auth/me", headers={"Authorization": f"Bearer {dispatcher}"}).status_code == 200

        # On the promoted standby, which is now the only database there is.
        check_exactly_once(standby.url(database), ids)

        # The console on B missed nothing, though B lost its database connections halfway.
        out, err = watcher.communicate(timeout=90)
        assert watcher.returncode == 0, out + err
        appeared = [json.loads(line)["appeared"] for line in out.splitlines() if '"appeared"' in line]
        assert sorted(appeared) == sorted(ids)
        print(f"primary stopped after {CRASH_AFTER} acknowledged; answers meanwhile: {dict(stream.refusals)}")
    except BaseException:
        print(cluster.logs())
        raise
    finally:
        if watcher is not None and watcher.poll() is None:
            watcher.kill()
            watcher.communicate()
        for server in cluster.servers:
            server.stop()


def _watch(interop: Path, server: ServerProcess, token: str, ids: list[str]) -> Any:
    watcher = subprocess.Popen(
        ["node", "watch_map.mjs", json.dumps({
            "server": f"{server.ws_url}/sync", "room": "inbox/center", "token": token,
            "root": "incidents", "keys": ids, "ms": 90000,
        })],
        cwd=interop, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    assert watcher.stdout is not None
    assert json.loads(watcher.stdout.readline())["ready"] is True
    return watcher
