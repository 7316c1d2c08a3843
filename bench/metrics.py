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


def middleware_cost(n: int = 200_000) -> tuple[float, float]:
    """µs per request of a bare ASGI app answering at once, without and with HttpMetrics around
    it, in this process: the middleware's own cost, free of the HTTP server's noise."""
    import asyncio

    from prometheus_client import CollectorRegistry

    from app.web.metrics import HttpMetrics

    class Healthz:
        path = "/healthz"

    async def bare(scope: dict, receive: object, send: object) -> None:
        scope["route"] = Healthz
        await send({"type": "http.response.start", "status": 200, "headers": []})  # type: ignore[operator]
        await send({"type": "http.response.body", "body": b"{}"})  # type: ignore[operator]

    async def send(message: object) -> None:
        pass

    async def loop(app: object) -> float:
        started = time.perf_counter()
        for _ in range(n):
            await app({"type": "http", "method": "GET"}, None, send)  # type: ignore[operator]
        return (time.perf_counter() - started) / n * 1e6

    async def both() -> tuple[float, float]:
        measured = [(await loop(bare), await loop(HttpMetrics(bare, CollectorRegistry()))) for _ in range(3)]
        return min(m[0] for m in measured), min(m[1] for m in measured)

    return asyncio.run(both())


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
    bare, wrapped = middleware_cost(20_000 if quick else 200_000)
    section.notes.append(f"in process, a bare ASGI answer: {bare:.1f} µs without the middleware, "
                         f"{wrapped:.1f} µs with it ({wrapped - bare:.1f} µs a request)")
    section.notes.append(f"one GET /metrics (empty database): median {statistics.median(scrape_ms):.1f} ms")
    print(section.render(), flush=True)
    return [section]
