"""A closed-loop HTTP/1.1 load generator: N keep-alive connections, pre-built requests, uvloop.

    result = run_in_process(Load(host, port, requests, concurrency=32, duration_s=5))

Why not httpx or aiohttp: on 2 cores the client must cost far less than the server per request,
or it measures itself. This sends pre-built request bytes on raw asyncio streams and parses only
the status line and Content-Length (~40-55 µs of client CPU per request, against ~115-180 µs for
the echo server and ~2 ms for a new report; within 6-16 % of `wrk` on the echo server, with the
same server CPU per request); the client's own CPU use is reported so that a saturated client
would show. It runs in its own process, never in the server's.
"""

from __future__ import annotations

import asyncio
import itertools
import multiprocessing
import resource
import time
from dataclasses import dataclass, field

from .servers import cpu_seconds


@dataclass
class Load:
    host: str
    port: int
    requests: list[bytes]  # complete HTTP/1.1 requests (keep-alive)
    concurrency: int = 32
    warmup_s: float = 1.0
    duration_s: float = 5.0  # measured, after the warmup
    cycle: bool = False  # reuse requests (echo); else each is sent once (new reports)
    server_pid: int | None = None  # to sample the server's CPU over the same window
    # Open loop: request i is due at start + i / rate, whatever came back; its latency counts
    # from when it was due (no coordinated omission). None: closed loop, as fast as answered.
    rate: float | None = None


@dataclass
class LoadResult:
    completed: int  # answers that arrived inside the measured window
    window_s: float
    latencies_s: list[float]  # requests started inside the window
    statuses: dict[int, int] = field(default_factory=dict)
    client_cpu_s: float = 0.0
    server_cpu_s: float = 0.0
    errors: int = 0
    exhausted: bool = False  # ran out of pre-built requests before the deadline

    @property
    def throughput(self) -> float:
        return self.completed / self.window_s if self.window_s > 0 else 0.0


def http_request(method: str, host: str, port: int, path: str, body: bytes, headers: dict[str, str]) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}:{port}", f"Content-Length: {len(body)}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


async def _connection(
    load: Load,
    counter: itertools.count[int],
    begin: float,
    deadline: float,
    out: list[tuple[float, float, int]],
) -> int:
    reader, writer = await asyncio.open_connection(load.host, load.port)
    errors = 0
    n = len(load.requests)
    try:
        while True:
            i = next(counter)
            if (not load.cycle and i >= n) or time.perf_counter() >= deadline:
                return errors
            request = load.requests[i % n]
            start = time.perf_counter()
            if load.rate:
                due = begin + i / load.rate
                if due >= deadline:
                    return errors
                if due > start:
                    await asyncio.sleep(due - start)
                start = due
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            at = head.lower().find(b"content-length:")
            if at < 0:
                raise RuntimeError(f"answer without Content-Length: {head[:200]!r}")
            length = int(head[at + 15 : head.index(b"\r\n", at)])
            if length:
                await reader.readexactly(length)
            out.append((start, time.perf_counter(), int(head[9:12])))
    except (ConnectionError, asyncio.IncompleteReadError):
        return errors + 1
    finally:
        writer.close()


async def _run(load: Load) -> LoadResult:
    counter = itertools.count()
    begin = time.perf_counter()
    warm = begin + load.warmup_s
    deadline = warm + load.duration_s
    out: list[tuple[float, float, int]] = []
    marks: dict[str, tuple[float, float, float]] = {}

    def mark(name: str) -> None:
        server = cpu_seconds(load.server_pid) if load.server_pid else 0.0
        usage = resource.getrusage(resource.RUSAGE_SELF)
        marks[name] = (time.perf_counter(), usage.ru_utime + usage.ru_stime, server)

    loop = asyncio.get_running_loop()
    loop.call_at(loop.time() + load.warmup_s, mark, "warm")
    errors = await asyncio.gather(
        *(_connection(load, counter, begin, deadline, out) for _ in range(load.concurrency))
    )
    mark("end")
    if "warm" not in marks:  # everything finished during the warmup
        marks["warm"] = marks["end"]
    (t0, c0, s0), (t1, c1, s1) = marks["warm"], marks["end"]
    inside = [(s, e, st) for s, e, st in out if s >= t0]
    statuses: dict[int, int] = {}
    for _, _, status in inside:
        statuses[status] = statuses.get(status, 0) + 1
    return LoadResult(
        completed=sum(1 for _, e, _ in out if t0 <= e <= t1),
        window_s=t1 - t0,
        latencies_s=[e - s for s, e, _ in inside],
        statuses=statuses,
        client_cpu_s=c1 - c0,
        server_cpu_s=s1 - s0,
        errors=sum(errors),
        exhausted=not load.cycle and next(counter) > len(load.requests),
    )


def _main(load: Load) -> LoadResult:
    import uvloop

    return uvloop.run(_run(load))


def run_in_process(load: Load) -> LoadResult:
    """Run the load from a fresh process (spawned: nothing of the parent's state comes along)."""
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(_main, (load,))
