"""`python -m bench.stats [--incidents N] [--runs R] [--quick]`: the statistics API on a big history.

A temporary database gets N incidents (default 100,000) over 90 days, written straight into the
rows by `app.stats_history`; the app runs in process (Starlette's TestClient: the real routing,
auth middleware, reader threads and JSON) and each figure is asked R times as a supervisor. The
figure: the median and the 90th percentile of the wall time per request, measured at the client.
Target (issue 9): every figure under 200 ms.

Three situations: "steady" (nothing changed between requests: the facts in memory are current),
"live" (10 incidents change before every request, as on a busy night: each request first reads
those back), and the first request after start (the facts are loaded from SQLite).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from .report import Section

TARGET_MS = 200.0
PASSWORD = "bench password 1"
# (label, address); the 90-day ones cover every incident of the history.
FIGURES = [
    ("overview (live)", "/api/stats/overview"),
    ("response times, last 7 days", "/api/stats/response-times"),
    ("response times by ward, 90 days", "/api/stats/response-times?group=ward&from={start}"),
    ("response times by unit, 90 days", "/api/stats/response-times?group=unit&from={start}"),
    ("response times by day, 90 days", "/api/stats/response-times?group=day&from={start}"),
    ("response times, one unit, 90 days", "/api/stats/response-times?unit=dept-traffic&group=week&from={start}"),
    ("series per day, 90 days", "/api/stats/series?from={start}"),
    ("histogram, 90 days", "/api/stats/histogram?from={start}"),
    ("wards, 90 days", "/api/stats/wards?from={start}"),
    ("map, last 7 days (grid)", "/api/stats/map"),
    ("map, 90 days (grid)", "/api/stats/map?from={start}"),
    ("response times by ward, CSV, 90 days", "/api/stats/response-times.csv?group=ward&from={start}"),
    ("chart: series, 90 days", "/api/stats/charts/series.svg?from={start}"),
    ("chart: wards, 90 days", "/api/stats/charts/wards.svg?from={start}"),
    ("chart: histogram, 90 days", "/api/stats/charts/histogram.svg?from={start}"),
]


def _ms(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    p90 = ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]
    return statistics.median(ordered) * 1000, p90 * 1000


def _touch(svc: Any, ids: list[str], k: int) -> None:
    """Change 10 incidents as a dispatcher's triage would (the triggers log them)."""
    chosen = [ids[(k * 7919 + j * 104729) % len(ids)] for j in range(10)]
    now = time.time()
    svc.db.write_sync(lambda tx: tx.executemany(
        "UPDATE incidents SET priority = 1 + (priority % 3), updated_at = ? WHERE id = ?",
        [(now, i) for i in chosen]))


def bench(incidents: int, runs: int, work: Path) -> list[Section]:
    from starlette.testclient import TestClient

    from app.main import create_app
    from app.services import Services
    from app.settings import Settings
    from app.stats import history as stats_history
    from app.stats.query import day_label, local_day

    settings = Settings(data_dir=work / "data", secret_key="bench-secret-key-not-for-production",
                        login_slowdown_ms=1)
    svc = Services.build(settings)
    end = time.time()
    started = time.perf_counter()
    history = stats_history.generate(incidents, days=90, end=end, seed=11)
    generated = time.perf_counter() - started
    build = Section(f"statistics: building the history of {incidents:,} incidents",
                    ["step", "seconds"])
    build.rows.append(["generate (Python)", f"{generated:.1f}"])
    section = Section(
        f"statistics API, {incidents:,} incidents over 90 days, {runs} requests each, in process",
        ["figure", "steady p50 ms", "steady p90 ms", "live p50 ms", "live p90 ms", "CPU ms",
         "bytes"],
    )
    with TestClient(create_app(settings, svc)) as client:
        started = time.perf_counter()
        stats_history.insert(svc.db, history)
        build.rows.append(["insert rows (one writer, 20,000 per transaction)",
                           f"{time.perf_counter() - started:.1f}"])
        svc.accounts.create_sync("bench-supervisor", PASSWORD, "supervisor", None)
        token = client.post("/api/auth/login", json={"username": "bench-supervisor",
                                                     "password": PASSWORD}).json()["token"]
        client.cookies.clear()
        headers = {"Authorization": f"Bearer {token}"}
        start = day_label(local_day(end) - 89)  # 90 local days, today included
        ids = [i["id"] for i in history.incidents]

        def get(url: str) -> tuple[float, int]:
            t = time.perf_counter()
            r = client.get(url.format(start=start), headers=headers)
            took = time.perf_counter() - t
            if r.status_code != 200:
                raise RuntimeError(f"{url}: {r.status_code} {r.text[:200]}")
            return took, len(r.content)

        def cpu(url: str) -> float:
            """CPU seconds of the whole process (server and client) for one request: unlike the
            wall time, it does not grow when other programs share the machine."""
            t = time.process_time()
            get(url)
            return time.process_time() - t

        first, _ = get(FIGURES[2][1])
        build.rows.append(["first request after start (loads the facts)", f"{first:.2f}"])
        worst = 0.0
        for label, url in FIGURES:
            steady: list[float] = []
            live: list[float] = []
            size = 0
            get(url)  # warm: the same path as every later request
            for k in range(runs):
                took, size = get(url)
                steady.append(took)
                _touch(svc, ids, k)
                took, _ = get(url)
                live.append(took)
            s50, s90 = _ms(steady)
            l50, l90 = _ms(live)
            c50, _ = _ms([cpu(url) for _ in range(runs)])
            worst = max(worst, s50, l50)
            section.data[label] = {"steady_ms": [t * 1000 for t in steady],
                                   "live_ms": [t * 1000 for t in live], "cpu_ms": c50,
                                   "bytes": size}
            section.rows.append([label, f"{s50:.1f}", f"{s90:.1f}", f"{l50:.1f}", f"{l90:.1f}",
                                 f"{c50:.1f}", f"{size:,}"])
        section.targets.append((f"every figure answers in < {TARGET_MS:.0f} ms (median): the "
                                f"slowest took {worst:.0f} ms", worst < TARGET_MS))
        load = os.getloadavg()[0]
        section.notes.append(f"load average {load:.2f} on {os.cpu_count()} cores at the end: "
                             "wall times stretch with it, CPU ms do not")
    return [build, section]


def run(quick: bool = False, only: list[str] | None = None) -> list[Section]:
    """For `python -m bench`: the full scale, or 10,000 incidents and 5 runs with `quick`."""
    with tempfile.TemporaryDirectory(prefix="sos-bench-stats-") as tmp:
        sections = bench(10_000 if quick else 100_000, 5 if quick else 20, Path(tmp))
    for s in sections:
        print(s.render(), flush=True)
    return sections


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.stats", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--incidents", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--quick", action="store_true", help="10,000 incidents, 5 runs")
    args = parser.parse_args(argv)
    incidents, runs = (10_000, 5) if args.quick else (args.incidents, args.runs)
    with tempfile.TemporaryDirectory(prefix="sos-bench-stats-") as tmp:
        sections = bench(incidents, runs, Path(tmp))
    for s in sections:
        print(s.render(), flush=True)
    return 0 if all(ok is not False for s in sections for _, ok in s.targets) else 1


if __name__ == "__main__":
    sys.exit(main())
