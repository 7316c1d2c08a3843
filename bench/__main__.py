"""`python -m bench [NAME ...] [--quick] [--only PART,...] [--json FILE]`

Runs every benchmark but `peers`, or the named ones (`sync`, `media`, `stats`, `push`, `scaleout`, `lite`,
`warnings`, `metrics`, `peers`). `--quick` runs each at a small
scale (a smoke test, no targets judged; `sync --quick` takes under a minute). Figures go to
stdout as Markdown tables; copy them into bench/RESULTS.md. Exits 0 whether or not targets are
met: these are measurements, not tests.
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import json
import os
import platform
import sys
from pathlib import Path

# A benchmark is a module with `run(quick: bool, only: list[str] | None) -> list[Section]` that
# prints its sections as they finish. Imported only when run.
BENCHMARKS = {
    "sync": "bench.sync",
    "media": "bench.media",
    "stats": "bench.stats",
    "push": "bench.push",
    "scaleout": "bench.scaleout",
    "lite": "bench.lite",
    "warnings": "bench.warnings",
    "metrics": "bench.metrics",
    "peers": "bench.peers",  # installs the peers from npm and PyPI on its first run (issue 28)
}
# What runs when no name is given (`make bench`): not `peers`, which takes ~30 min at full scale
# and installs from npm and PyPI; run it by name.
DEFAULT = [name for name in BENCHMARKS if name != "peers"]


def machine() -> str:
    from importlib.metadata import version

    cpu = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    versions = ", ".join(f"{p} {version(p)}" for p in ("uvicorn", "starlette", "pycrdt", "websockets", "uvloop"))
    return (f"{datetime.datetime.now().astimezone():%Y-%m-%d %H:%M %Z} · {os.cpu_count()} cores "
            f"({cpu}) · Python {platform.python_version()} · {versions} · load average "
            f"{' '.join(f'{x:.2f}' for x in os.getloadavg())} at start")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", metavar="NAME",
                        help=f"benchmarks to run (default: {', '.join(DEFAULT)}; also: peers)")
    parser.add_argument("--quick", action="store_true", help="small scale, under a minute")
    parser.add_argument("--only", default="", help="parts of one benchmark, e.g. sync: ingest,fanout,memory")
    parser.add_argument("--servers", default="", help="peers: some servers only, e.g. ours")
    parser.add_argument("--json", type=Path, help="also write the raw figures to this file")
    parser.add_argument("--subscriptions", type=int, help="warnings: subscriptions (default 100,000)")
    parser.add_argument("--runs", type=int, help="warnings: runs per configuration (default 3); "
                        "peers: interleaved runs (default 5)")
    args = parser.parse_args(argv)
    unknown = set(args.names) - set(BENCHMARKS)
    if unknown:
        parser.error(f"unknown benchmark(s) {', '.join(sorted(unknown))}; known: {', '.join(BENCHMARKS)}")
    only = [p for p in args.only.split(",") if p] or None
    servers = [s for s in args.servers.split(",") if s] or None
    if only and len(args.names) != 1:
        parser.error("--only needs exactly one benchmark name")
    print(f"{machine()}\ncommand: {' '.join([Path(sys.executable).name, '-m', 'bench', *(argv or sys.argv[1:])])}\n",
          flush=True)
    raw = {}
    for name in args.names or DEFAULT:
        extra = ({"subscriptions": args.subscriptions, "runs": args.runs} if name == "warnings"
                 else {"runs": args.runs, "servers": servers} if name == "peers" else {})
        sections = importlib.import_module(BENCHMARKS[name]).run(quick=args.quick, only=only, **extra)
        raw[name] = {s.title: {"rows": s.rows, "targets": s.targets, "data": s.data} for s in sections}
    if args.json:
        args.json.write_text(json.dumps(raw, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
