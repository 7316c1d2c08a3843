"""What a new report costs in all, follow-up work included, against another commit in the same
minutes: `python -m bench.followups --against REV [--runs 3]`.

The machines here are shared and noisy, so a change to the write path is judged by alternating
runs of the current tree and of `REV` (checked out in a temporary git worktree, run with the same
interpreter and packages). Each run starts the app on a fresh data directory and sends new reports
from the load generator of `bench/loadgen.py`:

- open loop: 100 new reports/s for 10 s (a city-wide surge), latency from when each was due;
- closed loop: 32 clients as fast as answered for 5 s (a saturation test).

Then it waits until the outbox has nothing due (incident, reply, inbox writes, push planning) and
reports the server's CPU from the start of the load until then, per stored report ("all-in"), the
latencies, and how long the outbox took to drain after the load.
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from .documents import CATEGORIES, new_id, report_body, ward_points
from .loadgen import Load, run_in_process
from .report import median, percentile
from .servers import HOST, ROOT, ServerProcess
from .sync import _post_json, _stored_reports, report_requests, wait_drained


def one_run(root: Path, data: Path, bodies: list[tuple[str, bytes]], rate: float | None) -> dict[str, Any]:
    with ServerProcess.app(data, root=root) as app:
        tokens = [_post_json(f"{app.url}/api/citizen/devices")["token"] for _ in range(64)]
        requests = report_requests(app.port, bodies, tokens)
        cpu0 = app.cpu_seconds()
        result = run_in_process(Load(HOST, app.port, requests, 32, 1.0, 10.0 if rate else 5.0,
                                     server_pid=app.pid, rate=rate))
        drain = wait_drained(data / "sos.db", 120)
        stored = _stored_reports(data / "sos.db")
        cpu = app.cpu_seconds() - cpu0
    return {"all_in_ms": cpu / max(stored, 1) * 1000, "p50": percentile(result.latencies_s, 50),
            "p99": percentile(result.latencies_s, 99), "drain_s": drain, "stored": stored}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--against", required=True, help="the commit to compare with (e.g. HEAD~3)")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    points = ward_points(24)
    bodies = [(new_id(), report_body(CATEGORIES[i % 4], points[i % len(points)])) for i in range(6000)]
    with tempfile.TemporaryDirectory(prefix="sos-followups-") as tmp:
        base = Path(tmp) / "base"
        subprocess.run(["git", "worktree", "add", "--detach", "-q", str(base), args.against], cwd=ROOT, check=True)
        try:
            trees = {args.against: base, "current": ROOT}
            results: dict[tuple[str, str], list[dict[str, Any]]] = {}
            n = 0
            for mode, rate in (("open loop 100/s", 100.0), ("closed loop 32", None)):
                for _ in range(args.runs):
                    for name, root in trees.items():
                        n += 1
                        row = one_run(root, Path(tmp) / f"data-{n}", bodies, rate)
                        results.setdefault((mode, name), []).append(row)
                        print(f"{mode:16} {name:10} all-in {row['all_in_ms']:.2f} ms/report  "
                              f"p50 {row['p50'] * 1000:.1f} ms  p99 {row['p99'] * 1000:.1f} ms  "
                              f"drained in {row['drain_s']:.1f} s  ({row['stored']} reports)", flush=True)
            print("\nmedians")
            for (mode, name), rows in results.items():
                print(f"{mode:16} {name:10} all-in {median([r['all_in_ms'] for r in rows]):.2f} ms/report  "
                      f"p99 {median([r['p99'] for r in rows]) * 1000:.1f} ms  "
                      f"drain {median([r['drain_s'] for r in rows]):.1f} s")
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(base)], cwd=ROOT, check=False)


if __name__ == "__main__":
    main()
