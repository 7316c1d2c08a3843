"""What the metrics middleware costs (issue 26): `GET /healthz` as fast as answered, on the real
app (`python -m app.cli serve`) from this tree (with app/web/metrics.py) and from another checkout
without it (`SOS_BENCH_BASELINE`, default /work/main), in turns so that both see the same
machine; then the time of one `GET /metrics` scrape.

    python -m bench metrics [--quick]
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
import urllib.request
from pathlib import Path

from .loadgen import Load, http_request, run_in_process
from .report import Section
from .servers import HOST, ServerProcess

BASELINE = Path(os.environ.get("SOS_BENCH_BASELINE", "/work/main"))


def _measure(server: ServerProcess, duration_s: float) -> tuple[float, float]:
    request = http_request("GET", HOST, server.port, "/healthz", b"", {})
    result = run_in_process(Load(HOST, server.port, [request], concurrency=32, duration_s=duration_s,
                                 cycle=True, server_pid=server.pid))
    assert set(result.statuses) == {200}, result.statuses
    return result.throughput, result.server_cpu_s / max(1, result.completed) * 1e6


def run(quick: bool = False, only: list[str] | None = None) -> list[Section]:
    rounds, duration_s = (1, 2.0) if quick else (3, 5.0)
    figures: dict[str, list[tuple[float, float]]] = {"with metrics": [], "without (baseline)": []}
    scrape_ms: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(rounds):
            for label, root in (("with metrics", None), ("without (baseline)", BASELINE)):
                data = Path(tmp) / f"{label[:4]}-{i}"
                server = ServerProcess.app(data) if root is None else ServerProcess.app(data, root=root)
                with server:
                    figures[label].append(_measure(server, duration_s))
                    if root is None:
                        for _ in range(20):
                            started = time.perf_counter()
                            with urllib.request.urlopen(f"{server.url}/metrics", timeout=10) as r:
                                r.read()
                            scrape_ms.append((time.perf_counter() - started) * 1000)
                print(f"round {i + 1} {label}: {figures[label][-1][0]:.0f} req/s", flush=True)
    section = Section("Metrics middleware: GET /healthz, 32 connections, closed loop",
                      ["server", "req/s (median of rounds)", "server CPU µs/request"])
    for label, runs in figures.items():
        section.rows.append([label, f"{statistics.median(r[0] for r in runs):.0f}",
                             f"{statistics.median(r[1] for r in runs):.0f}"])
    section.notes.append(f"one GET /metrics (empty database): median {statistics.median(scrape_ms):.1f} ms")
    print(section.render(), flush=True)
    return [section]
