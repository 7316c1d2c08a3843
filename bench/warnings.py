"""Public warnings (issue 24): from a supervisor's approval to N citizen subscriptions handed to
the push service. Targets on the 2-core machine: all 100,000 within 60 s, the first 1,000 within 5 s.

    python -m bench warnings [--subscriptions 100000] [--runs 3] [--configs sqlite,pg1,pg2] [--quick]

Set-up (not measured): N citizen devices, each following Tân Phú (`device_areas`) with one push
subscription whose endpoint is the local push service (bench/pushsink.py: real keys, VAPID and
payloads checked on a sample), bulk-inserted into the tables the API writes. Then a dispatcher
drafts and a supervisor approves a warning over HTTP against real `sos serve`; the clock starts
when the approval is sent. Configurations:
- sqlite: one `sos serve` on SQLite, delivering with its in-process worker (as deployed by default);
- pg1, pg2: one `sos serve` on PostgreSQL with `SOS_INPROCESS_WORKER=0` (it serves the approval
  and runs no delivery) and 1 or 2 `sos worker` processes, which plan and send.
CPU is read from /proc: the delivering processes' (the web process for sqlite, the workers for
PostgreSQL), the push service's and PostgreSQL's, between approval and the last delivery recorded.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench.pushsink import PushSink, keys
from bench.servers import ROOT, ServerProcess, cpu_seconds, raise_nofile
from tests.warnings_helpers import TAN_PHU, body

PASSWORD = "correct horse battery"
CONFIGS = {"sqlite": "SQLite, in-process worker", "pg1": "PostgreSQL, 1 `sos worker`",
           "pg2": "PostgreSQL, 2 `sos worker`"}


@dataclass
class Deployment:
    web: ServerProcess
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    pending: Callable[[], int] = lambda: 0
    database_cpu: Callable[[], float] = lambda: 0.0

    def delivering_pids(self) -> list[int]:
        return [w.pid for w in self.workers] or [self.web.pid]

    def stop(self) -> None:
        for w in self.workers:
            w.terminate()
        for w in self.workers:
            try:
                w.wait(15)
            except subprocess.TimeoutExpired:
                w.kill()
        self.web.stop()


def env_for(data: Path, database_url: str | None) -> dict[str, str]:
    env = {
        "SOS_DATA_DIR": str(data), "SOS_SECRET_KEY": "bench-warnings-not-for-production",
        "SOS_PUSH_ALLOW_LOOPBACK": "1", "SOS_TRIAGE_TIMEOUT_S": "86400", "SOS_ACK_TIMEOUT_S": "86400",
        "SOS_LOGIN_SLOWDOWN_MS": "1",
    }
    if database_url:
        env |= {"SOS_DATABASE_URL": database_url, "SOS_INPROCESS_WORKER": "0"}
    return env


def populate(env: dict[str, str], n: int, sink: PushSink) -> None:
    """Accounts, and N devices following Tân Phú with a subscription each, straight into the
    tables `POST /api/citizen/devices`, `PUT …/me/areas` and `POST /api/push/subscriptions` write."""
    from app.services import Services
    from app.settings import Settings

    svc = Services.build(Settings.from_env(env, dotenv=None), role="cli").start()
    try:
        svc.accounts.create_sync("bench-dp", PASSWORD, "dispatcher", None)
        svc.accounts.create_sync("bench-sv", PASSWORD, "supervisor", None)
        now = time.time()
        for start in range(1, n + 1, 20_000):
            chunk = range(start, min(n, start + 19_999) + 1)

            def insert(tx: Any, chunk: range = chunk) -> None:
                tx.executemany("INSERT INTO devices (id, created_at) VALUES (?, ?)",
                               [(f"bench-{i:07d}", now) for i in chunk])
                tx.executemany("INSERT INTO device_areas (device_id, ward_code) VALUES (?, ?)",
                               [(f"bench-{i:07d}", TAN_PHU) for i in chunk])
                tx.executemany(
                    """INSERT INTO push_subscriptions (endpoint, p256dh, auth, owner_kind, owner_id, lang,
                       created_at, updated_at) VALUES (?, ?, ?, 'device', ?, 'vi', ?, ?)""",
                    [(sink.endpoint(i), *keys(i), f"bench-{i:07d}", now, now) for i in chunk])

            svc.db.write_sync(insert)
    finally:
        svc.stop()


def start(config: str, work: Path, sink: PushSink, n: int, postgres: Any) -> Deployment:
    data = work / config
    database_url = postgres.create_database() if config.startswith("pg") else None
    env = env_for(data, database_url)
    data.mkdir(parents=True)
    populate(env, n, sink)
    web = ServerProcess("web", ["-m", "app.cli", "serve"], data, env).start()
    deployment = Deployment(web)
    if database_url is None:
        db = data / "sos.db"

        def pending_sqlite() -> int:
            with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30) as conn:
                return int(conn.execute("SELECT count(*) FROM push_deliveries WHERE state = 'pending'")
                           .fetchone()[0])

        deployment.pending = pending_sqlite
        return deployment
    import psycopg

    from bench.scaleout import postgres_cpu_seconds

    def pending_pg() -> int:
        with psycopg.connect(database_url) as conn:
            row = conn.execute("SELECT count(*) FROM push_deliveries WHERE state = 'pending'").fetchone()
            return int(row[0]) if row else 0

    deployment.pending = pending_pg
    deployment.database_cpu = lambda: postgres_cpu_seconds(postgres)
    for k in range(int(config[2:])):
        log = data / f"worker-{k}.log"
        with log.open("wb") as out:
            proc = subprocess.Popen([sys.executable, "-m", "app.cli", "worker"], cwd=ROOT, stdout=out,
                                    stderr=subprocess.STDOUT, env={**os.environ, **env, "PYTHONPATH": str(ROOT)})
        deployment.workers.append(proc)
        deadline = time.monotonic() + 60
        while b"worker running" not in log.read_bytes():
            if proc.poll() is not None or time.monotonic() > deadline:
                deployment.stop()
                raise RuntimeError(f"sos worker did not start; see {log}")
            time.sleep(0.1)
    return deployment


def profile_tool() -> Path:
    """py-spy (PyPI), on PATH or in /tmp/pyspy (python -m venv /tmp/pyspy; pip install py-spy)."""
    found = shutil.which("py-spy") or "/tmp/pyspy/bin/py-spy"
    return Path(found)


def login(url: str, username: str) -> dict[str, str]:
    r = httpx.post(f"{url}/api/auth/login", json={"username": username, "password": PASSWORD})
    r.raise_for_status()
    return {"Authorization": f"Bearer {r.json()['token']}"}


def one_run(config: str, work: Path, n: int, postgres: Any, timeout_s: float,
            profile: Path | None = None) -> dict[str, Any]:
    with PushSink.start(n) as sink:
        load = os.getloadavg()[0]
        deployment = start(config, work, sink, n, postgres)
        try:
            url = deployment.web.url
            dispatcher, supervisor = login(url, "bench-dp"), login(url, "bench-sv")
            r = httpx.post(f"{url}/api/warnings", json=body(), headers=dispatcher)
            r.raise_for_status()
            pids = deployment.delivering_pids()
            cpu0 = sum(cpu_seconds(p) for p in pids)
            db0, sink0 = deployment.database_cpu(), sink.stats()["cpu_s"]
            spies = [subprocess.Popen([str(profile_tool()), "record", "--pid", str(p), "--format", "raw",
                                       "--rate", "200", "--nonblocking", "-o", str(profile / f"{config}-{p}.txt")],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                     for p in (pids if profile else [])]
            approved = time.time()
            r = httpx.post(f"{url}/api/warnings/{r.json()['id']}/approve", headers=supervisor, timeout=30)
            r.raise_for_status()
            deadline = time.monotonic() + timeout_s
            while (stats := sink.stats())["distinct"] < n and time.monotonic() < deadline:
                time.sleep(0.1)
            handed = time.time()
            cpu_handed = sum(cpu_seconds(p) for p in pids)
            while deployment.pending() > 0 and time.monotonic() < deadline:
                time.sleep(0.25)
            recorded = time.time()
            cpu1 = sum(cpu_seconds(p) for p in pids)
            db1, stats = deployment.database_cpu(), sink.stats()
            for spy in spies:
                spy.send_signal(signal.SIGINT)
                spy.wait(30)
        finally:
            deployment.stop()
    done = stats["distinct"]
    return {
        "config": config, "n": n, "load": load, "distinct": done, "requests": stats["requests"],
        "first_s": (stats["first_at"] or handed) - approved,
        "first_1000_s": (stats["at_1000"] or handed) - approved if stats["at_1000"] else None,
        "all_s": stats["all_at"] - approved if stats["all_at"] else None,
        "recorded_s": recorded - approved,
        "pushes_per_s": done / ((stats["all_at"] or handed) - approved),
        "worker_cpu_handed_s": cpu_handed - cpu0, "worker_cpu_s": cpu1 - cpu0,
        "db_cpu_s": db1 - db0, "sink_cpu_s": stats["cpu_s"] - sink0,
        "verified": stats["verified"], "decrypted": stats["decrypted"], "errors": stats["errors"],
        "error_count": stats["error_count"], "vapid_keys": len(stats["vapid_keys"]), "sample": stats["sample"],
    }


def summary(runs: list[dict[str, Any]]) -> list[str]:
    def med(key: str) -> float | None:
        values = [r[key] for r in runs if r[key] is not None]
        return statistics.median(values) if len(values) == len(runs) else None

    def s(v: float | None) -> str:
        return "not reached" if v is None else f"{v:.1f} s"

    n = runs[0]["n"]
    cpu = med("worker_cpu_s") or 0.0
    done = min(r["distinct"] for r in runs)
    return [
        CONFIGS[runs[0]["config"]], f"{len(runs)} run{'s' if len(runs) > 1 else ''}",
        f"{done:,}/{n:,}", s(med("first_s")), s(med("first_1000_s")), s(med("all_s")), s(med("recorded_s")),
        f"{med('pushes_per_s'):,.0f}", f"{done / cpu:,.0f}" if cpu else "-",
        f"{cpu / max(1, done) * 1000:.2f} ms", f"{(med('db_cpu_s') or 0) / max(1, done) * 1000:.2f} ms",
        f"{(med('sink_cpu_s') or 0) / max(1, done) * 1000:.2f} ms",
        f"{sum(r['verified'] for r in runs)}/{sum(r['decrypted'] for r in runs)}/"
        f"{sum(r['error_count'] for r in runs)}",
        " ".join(f"{r['load']:.1f}" for r in runs),
    ]


HEADER = ("| configuration | runs | handed | first push | first 1,000 | all | all recorded | pushes/s | "
          "pushes per worker CPU-s | worker CPU/push | PostgreSQL CPU/push | sink CPU/push | "
          "VAPID ok/decrypted/errors | load average (1 min) at each run's start |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench warnings", description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscriptions", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--configs", default="sqlite,pg1,pg2")
    parser.add_argument("--timeout", type=float, default=600.0, help="give up on a run after this long")
    parser.add_argument("--profile", type=Path, help="py-spy the delivering processes into this directory")
    parser.add_argument("--quick", action="store_true", help="2,000 subscriptions, one run each")
    args = parser.parse_args(argv)
    if args.quick:
        args.subscriptions, args.runs = 2000, 1
    configs = [c for c in args.configs.split(",") if c]
    raise_nofile()
    postgres = None
    if any(c.startswith("pg") for c in configs):
        from tests.pg import PostgresServer

        postgres = PostgresServer(fsync=True).start()
    print(f"public warnings: {args.subscriptions:,} subscriptions following Tân Phú, loopback push service")
    print(HEADER)
    print("|" + "---|" * (HEADER.count("|") - 1), flush=True)
    rows = []
    try:
        with tempfile.TemporaryDirectory(prefix="sos-bench-warnings-") as tmp:
            for config in configs:
                runs = []
                for k in range(args.runs):
                    run = one_run(config, Path(tmp) / f"{k}", args.subscriptions, postgres, args.timeout,
                                  args.profile)
                    print(f"<!-- {config} run {k + 1}: {_brief(run)} -->", flush=True)
                    runs.append(run)
                rows.append(summary(runs))
                print("| " + " | ".join(rows[-1]) + " |", flush=True)
                if runs[-1]["errors"]:
                    print(f"errors: {runs[-1]['errors']}")
            print(f"sample (decrypted): {runs[-1]['sample']}")
    finally:
        if postgres is not None:
            postgres.stop()
    if not args.quick:
        print("targets: all 100,000 within 60 s, the first 1,000 within 5 s (judged on the table above)")
    return 0


def _brief(run: dict[str, Any]) -> str:
    return ", ".join(f"{k} {v:.2f}" if isinstance(v, float) else f"{k} {v}" for k, v in run.items()
                     if k not in ("sample", "errors", "config"))


def run(quick: bool = False, only: list[str] | None = None, subscriptions: int | None = None,
        runs: int | None = None) -> list:
    """The `python -m bench warnings` entry: prints its own table (no Sections to collect).
    `only`: configurations (sqlite, pg1, pg2)."""
    argv = ["--quick"] if quick else []
    argv += ["--configs", ",".join(only)] if only else []
    argv += ["--subscriptions", str(subscriptions)] if subscriptions else []
    argv += ["--runs", str(runs)] if runs else []
    main(argv)
    return []


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
