"""Automatic fail-over: Patroni and etcd promote the synchronous standby when the primary's
PostgreSQL is SIGKILLed, and the web processes follow by themselves (docs/deploy.md, "Automatic
fail-over").

Real Debian `etcd-server` and `patroni` (tests/patroni.py): one etcd, two Patroni nodes with
`synchronous_mode: true` and `primary_start_timeout: 0` (a crashed primary is not restarted in
place). Two `sos serve` processes are given both nodes in one URL with
`target_session_attrs=read-write`, as in production. In the middle of a stream of reports from
retrying clients the leader's postmaster is SIGKILLed; the test gives no other command. Afterwards
the former standby leads, every acknowledged report is on it exactly once with its incident,
reply, inbox entries and jobs, the clients saw only 503s (never a 500), and the old primary
rejoins as the new synchronous standby (pg_rewind) by itself. The outage the clients saw is
printed; its figures are in bench/RESULTS.md ("Automatic fail-over").

Run by `make test-faults` (marker `faults`), not by `make test`.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from .cluster import Cluster
from .failover_stream import ReportStream, check_exactly_once, in_background
from .patroni import PatroniCluster

pytestmark = [pytest.mark.faults, pytest.mark.multiprocess, pytest.mark.slow]

REPORTS = 40
CRASH_AFTER = 12  # acknowledged reports before the leader's PostgreSQL dies


@pytest.fixture
def patroni() -> Iterator[PatroniCluster]:
    with PatroniCluster() as pc:
        try:
            yield pc
        except BaseException:
            print(pc.logs())
            raise


# "postgres": the leader's postmaster alone is SIGKILLed; its Patroni sees the crash and, with
# `primary_start_timeout: 0`, hands over at once. "node": its Patroni is SIGKILLed too (a machine
# gone): the standby's Patroni takes over when the leader key expires (`ttl`).
@pytest.mark.parametrize("kill", ["postgres", "node"])
def test_patroni_promotes_the_standby_when_the_primary_is_killed_and_no_report_is_lost(
    patroni: PatroniCluster, tmp_path: Path, kill: str
) -> None:
    leader, standby = patroni.wait_healthy()
    leader_timeline = leader.status()["timeline"]
    cluster = Cluster(patroni, tmp_path, outbox_lease_s=3, reports_per_device_per_hour=1000)  # type: ignore[arg-type]
    both = (f"postgresql://sos@{patroni.hosts()}/sos"
            "?target_session_attrs=read-write&connect_timeout=3")
    cluster.database_url = cluster.env["SOS_DATABASE_URL"] = both
    a, b = cluster.start(2)
    try:
        token = httpx.post(f"{a.url}/api/citizen/devices").json()["token"]
        ids = [str(uuid.uuid4()) for _ in range(REPORTS)]
        stream = ReportStream([a, b], token, ids, crash_after=CRASH_AFTER)
        killed: dict[str, float] = {}

        def crash() -> None:
            stream.crash.wait(120)
            killed["at"] = time.monotonic()
            # And nothing else: Patroni must do the rest.
            leader.kill_postgres() if kill == "postgres" else leader.kill_node()

        killer = in_background(crash)
        stream.run()
        killer.join(60)

        assert killed, "the primary was never killed"
        assert sorted(stream.acknowledged) == sorted(ids), f"not every report acknowledged: {stream.refusals}"
        assert stream.refusals, "no request met the outage: the kill came too late to test anything"
        # Every answer meanwhile was a 503 with a reason (the senders check each one): a cut
        # connection, which the clients also retry, is counted apart.
        assert stream.refusals["503 unavailable"], stream.refusals

        # Patroni promoted the former synchronous standby; the web processes write there.
        assert kill == "node" or leader.proc is not None and leader.proc.poll() is None, "Patroni died"
        assert patroni.role_of("leader") is standby
        check_exactly_once(standby.url("sos"), ids)
        assert standby.status()["timeline"] == leader_timeline + 1

        # The old primary comes back by itself as the new leader's synchronous standby (once
        # its machine is back, in the "node" case).
        if kill == "node":
            leader.restart()
        assert patroni.wait_healthy(timeout=60) == (standby, leader)

        seconds, refused = stream.outage()
        last = max(stream.refused_at) - killed["at"]
        print(f"patroni fail-over, {kill} killed: {refused} requests refused over {seconds:.2f} s; the last refusal"
              f" {last:.2f} s after the kill; answers meanwhile: {dict(stream.refusals)}")
    except BaseException:
        print(cluster.logs())
        raise
    finally:
        for server in cluster.servers:
            server.stop()
