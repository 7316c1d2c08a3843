"""Where ours spends the write-heavy workload: `python -m bench.peers.profile [--quick] [--top N]`.

Runs `bench peers`' write-heavy workload against ours alone under cProfile (bench/toyapp.py's
SOS_BENCH_PROFILE: the event loop's thread over the measured window; SQLite's writer thread is
not in it) and prints the top costs, by own time and by cumulative time over the project's functions.
"""

from __future__ import annotations

import argparse
import os
import pstats
import signal
import tempfile
import time
from pathlib import Path

from ..servers import ServerProcess, raise_nofile
from . import FULL, QUICK, writes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--top", type=int, default=10)
    args = parser.parse_args()
    raise_nofile()
    with tempfile.TemporaryDirectory(prefix="sos-bench-profile-") as tmp:
        out = Path(tmp) / "ours.prof"
        def stop(srv: ServerProcess) -> None:
            os.kill(srv.pid, signal.SIGUSR2)
            deadline = time.monotonic() + 30
            while not out.exists() and time.monotonic() < deadline:
                time.sleep(0.1)  # the server writes the stats file

        figures = writes("ours", QUICK if args.quick else FULL, Path(tmp) / "writes",
                         env={"SOS_BENCH_PROFILE": str(out)},
                         window=(lambda srv: os.kill(srv.pid, signal.SIGUSR1), stop))
        print("under cProfile (slower than without): "
              + ", ".join(f"{k} {v:.1f}" for k, v in figures.items()))
        stats = pstats.Stats(str(out))
        total = stats.total_tt  # type: ignore[attr-defined]
        rows = sorted(stats.stats.items(), key=lambda kv: kv[1][2], reverse=True)  # type: ignore[attr-defined]
        print("\n| own time | % | calls | function |\n|---|---|---|---|")
        for (file, line, func), (_cc, calls, tottime, _cum, _callers) in rows[: args.top]:
            print(f"| {tottime:.2f} s | {100 * tottime / total:.0f} % | {calls:,} | {func} ({_short(file)}:{line}) |")
        ours = [kv for kv in stats.stats.items() if "/sync/" in kv[0][0] or "/app/" in kv[0][0]]  # type: ignore[attr-defined]
        ours.sort(key=lambda kv: kv[1][3], reverse=True)
        print("\n| cumulative | % | calls | project function |\n|---|---|---|---|")
        for (file, line, func), (_cc, calls, _tt, cum, _callers) in ours[: args.top]:
            print(f"| {cum:.2f} s | {100 * cum / total:.0f} % | {calls:,} | {func} ({_short(file)}:{line}) |")
        print(f"\ntotal profiled time {total:.1f} s")


def _short(path: str) -> str:
    for marker in ("/sync/", "/app/", "site-packages/", "/lib/python3"):
        if marker in path:
            return marker.strip("/") + "/" + path.split(marker, 1)[1] if marker != "site-packages/" else path.split(marker, 1)[1]
    return path


if __name__ == "__main__":
    main()
