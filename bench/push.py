"""Web push latency: from a citizen's report being acknowledged by the server to the push service
receiving the notifications for 50 subscribed police devices, on loopback. Target: p99 < 1 s.

    python -m bench.push [--reports 40] [--devices 50]

The server is a real `sos serve` process (web and the in-process outbox worker, as deployed by
default). The push service is a recording HTTP peer in this process that timestamps each request
on arrival and answers 201 (tests/push/peer.py); it holds the subscriptions' private keys and
decrypts a sample of what it got, so the full path is measured: outbox, planning, aes128gcm
encryption, VAPID signing, HTTP. (`web-push-testing`, which the tests use to check the payloads,
keeps no arrival times.) Reports are sent one at a time; each is timed from the 200 of its
`POST /sync/report/<id>` to the arrival of the last of its 50 pushes.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from app.services import Services
from app.settings import Settings
from tests.push.flow import PASSWORD, TAN_PHU, login, subscribe, wait_for
from tests.push.mock_service import free_port
from tests.push.peer import RecordingPeer
from tests.sync_client import SyncClient, point_in_ward

DISPATCHERS = 10  # with two devices each; the rest are officers of the report's ward


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.push", description=__doc__.split("\n\n")[0])
    parser.add_argument("--reports", type=int, default=40, help="timed reports (default 40)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed reports first (default 3)")
    parser.add_argument("--devices", type=int, default=50, help="police devices subscribed (default 50)")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="bench-push-") as tmp, RecordingPeer() as peer:
        data = Path(tmp)
        env = {
            **os.environ,
            "SOS_DATA_DIR": str(data),
            "SOS_SECRET_KEY": "bench-push",
            "SOS_PUSH_ALLOW_LOOPBACK": "1",
            "SOS_TRIAGE_TIMEOUT_S": "3600",
            "SOS_REPORTS_PER_DEVICE_PER_HOUR": "1000000",
            "SOS_REPORTS_PER_IP_PER_HOUR": "1000000",
        }
        settings = Settings.from_env(env, dotenv=None)
        officers = args.devices - 2 * DISPATCHERS
        if officers < 1:
            parser.error(f"--devices must be more than {2 * DISPATCHERS}")
        accounts = [(f"dp{i}", "dispatcher", None) for i in range(DISPATCHERS)]
        accounts += [(f"tp{i}", "officer", f"ward-{TAN_PHU}") for i in range(officers)]
        svc = Services.build(settings, role="cli").start()
        try:
            for username, role, unit in accounts:
                svc.accounts.create_sync(username, PASSWORD, role, unit)
        finally:
            svc.stop()

        port = free_port()
        url = f"http://127.0.0.1:{port}"
        log = open(data / "server.log", "wb")  # noqa: SIM115 - closed below, after the server
        server = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "serve", "--port", str(port)],
            env=env, stdout=log, stderr=subprocess.STDOUT,
        )
        try:
            wait_for(lambda: _up(url, server), timeout=30, what="the server")
            names: list[str] = []
            for username, role, _ in accounts:
                client = login(url, username)
                for n in range(2 if role == "dispatcher" else 1):
                    name = f"{username}-{n}"
                    r = subscribe(client, peer.subscription(name))
                    if r.status_code != 201:
                        raise RuntimeError(f"subscribe: {r.status_code} {r.text}")
                    names.append(name)
            citizen = SyncClient(url, httpx.post(f"{url}/api/citizen/devices").json()["token"])
            where = point_in_ward(TAN_PHU)

            latencies: list[float] = []
            firsts: list[float] = []
            for i in range(args.warmup + args.reports):
                before = len(peer.requests)
                report_id = citizen.new_report("fire", f"bench {i}", where)
                r = citizen.sync(f"report/{report_id}")
                acked = time.time()
                if r.status_code != 200:
                    raise RuntimeError(f"report: {r.status_code} {r.text}")
                with peer.changed:
                    if not peer.changed.wait_for(lambda b=before: len(peer.requests) >= b + len(names), 30):
                        raise RuntimeError(f"report {i}: {len(peer.requests) - before} of {len(names)} pushes")
                    arrived = [req.at for req in peer.requests[before:]]
                if i >= args.warmup:
                    latencies.append(max(arrived) - acked)
                    firsts.append(min(arrived) - acked)
            sample = peer.requests[-1]
            payload = peer.decrypt(sample.path.rsplit("/", 1)[-1], sample.body)
            if payload.get("kind") != "new_report":
                raise RuntimeError(f"unexpected payload {payload}")
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(15)
            log.close()

    ms = [x * 1000 for x in latencies]
    print(f"web push: {args.reports} reports x {len(names)} police devices, loopback")
    print("| measure | p50 | p95 | p99 | max |")
    print("|---|---|---|---|---|")
    first_ms = [x * 1000 for x in firsts]
    for label, values in (("first push received", first_ms), (f"all {len(names)} pushes received", ms)):
        print(
            f"| {label} | {statistics.median(values):.0f} ms | {percentile(values, 95):.0f} ms | "
            f"{percentile(values, 99):.0f} ms | {max(values):.0f} ms |"
        )
    target = percentile(ms, 99) < 1000
    print(f"target p99 < 1000 ms: {'met' if target else 'MISSED'}")
    return 0 if target else 1


def _up(url: str, server: subprocess.Popen[bytes]) -> bool:
    if server.poll() is not None:
        raise RuntimeError(f"server exited with {server.returncode}")
    try:
        return httpx.get(f"{url}/healthz", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))


def run(quick: bool = False, only: list[str] | None = None) -> list:
    """The `python -m bench push` entry: prints its own table (no Sections to collect)."""
    main(["--reports", "8", "--warmup", "1"] if quick else [])
    return []
