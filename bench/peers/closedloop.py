"""Write-heavy clients for `bench peers`: writers, each on its own document, in a closed loop.

The rule, the same for every server: each document has one writer and one observer connection.
The writer sends its update n; when the observer has received update n relayed by the server, the
writer sends n + 1. "Relayed to another client" is what every server does for an accepted update
(y-websocket and pycrdt-websocket send the writer no ack; Hocuspocus's ack would not exist on the
others), and for ours it also means judged and committed durably.

    loop = ClosedLoop.start(urls, updates, warmup, hocuspocus, cpus)  # connected and synced
    loop.go()      # -> ("warm", at, relayed, client cpu s) once every writer is past `warmup`
    loop.finish()  # -> ("done", at, relayed, client cpu s) once every writer's last is relayed

`updates[i]` are writer i's y-websocket update messages, built before (CRDT work is no
client cost in the window).
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import pickle
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from ..wsclients import _connect, _cpu


async def _run(conn: Connection, urls: list[tuple[str, str]], updates: list[list[bytes]], warmup: int,
               hocuspocus: bool) -> None:
    loop = asyncio.get_running_loop()
    total = len(updates[0])
    warm = asyncio.Event()
    finished = asyncio.Event()
    state = {"warm": 0, "finished": 0, "relayed": 0}
    writers: list[Any] = []

    def observer_of(i: int) -> Any:
        def arrived(n: int, at: float) -> None:
            state["relayed"] += 1
            if n == warmup - 1:
                state["warm"] += 1
                if state["warm"] == len(urls):
                    warm.set()
            if n + 1 < total:
                writers[i].send(updates[i][n + 1])
                writers[i]._flush()
            else:
                state["finished"] += 1
                if state["finished"] == len(urls):
                    finished.set()
        return arrived

    gate = asyncio.Semaphore(32)

    async def pair(i: int, writer_url: str, observer_url: str) -> tuple[Any, Any]:
        async with gate:
            return (await _connect(writer_url, False, None, hocuspocus),
                    await _connect(observer_url, False, observer_of(i), hocuspocus))

    pairs = await asyncio.gather(*(pair(i, w, o) for i, (w, o) in enumerate(urls)))
    writers.extend(w for w, _ in pairs)
    conn.send(("ready", len(pairs)))
    go = asyncio.Event()
    loop.add_reader(conn.fileno(), go.set)
    await go.wait()
    loop.remove_reader(conn.fileno())
    conn.recv()
    for i, writer in enumerate(writers):
        writer.send(updates[i][0])
        writer._flush()
    try:
        await asyncio.wait_for(warm.wait(), 300)
        conn.send(("warm", time.monotonic(), state["relayed"], _cpu()))
        await asyncio.wait_for(finished.wait(), 600)
        conn.send(("done", time.monotonic(), state["relayed"], _cpu()))
    except TimeoutError:
        conn.send(("timeout", time.monotonic(), state["relayed"], _cpu()))
    for writer, observer in pairs:
        writer.close()
        observer.close()


def _main(conn: Connection, urls: list[tuple[str, str]], updates_file: Path, warmup: int,
          hocuspocus: bool, cpus: set[int] | None) -> None:
    import uvloop

    if cpus:
        os.sched_setaffinity(0, cpus)
    uvloop.run(_run(conn, urls, pickle.loads(updates_file.read_bytes()), warmup, hocuspocus))


class ClosedLoop:
    def __init__(self, proc: Any, conn: Connection) -> None:
        self.proc = proc
        self.conn = conn

    @classmethod
    def start(cls, urls: list[tuple[str, str]], updates_file: Path, warmup: int, hocuspocus: bool,
              cpus: set[int] | None, timeout: float = 120) -> ClosedLoop:
        ctx = multiprocessing.get_context("spawn")
        parent, child = ctx.Pipe()
        proc = ctx.Process(target=_main, args=(child, urls, updates_file, warmup, hocuspocus, cpus),
                           daemon=True)
        proc.start()
        loop = cls(proc, parent)
        if not parent.poll(timeout):
            loop.kill()
            raise RuntimeError(f"closed-loop writers did not connect within {timeout} s")
        parent.recv()
        return loop

    def go(self, timeout: float = 300) -> tuple[Any, ...]:
        self.conn.send("go")
        return self._next(timeout)

    def finish(self, timeout: float = 600) -> tuple[Any, ...]:
        return self._next(timeout)

    def _next(self, timeout: float) -> tuple[Any, ...]:
        if not self.conn.poll(timeout):
            raise RuntimeError("closed-loop writers stalled")
        message: tuple[Any, ...] = self.conn.recv()
        if message[0] == "timeout":
            raise RuntimeError(f"closed-loop writers stalled after {message[2]} updates")
        return message

    def kill(self) -> None:
        self.proc.join(10)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join(5)
