"""Many y-websocket clients in one process, driven by the benchmark through a pipe.

    procs = Subscribers.start(url, total=1000, processes=4, watch=True)   # returns when synced
    procs.wait_write(n, timeout)   # -> (first, last) time.monotonic() over every client
    procs.stop()                   # -> client CPU seconds

Each client does what a stock `WebsocketProvider` does on connect: it sends its sync step 1,
answers the server's step 1 with its step 2, and is synced when the server's step 2 arrives.
It offers permessage-deflate, as browsers and Node's `ws` do. With `watch`, every relayed
update is timestamped on arrival (`time.monotonic()`, which is CLOCK_MONOTONIC: one clock for
every process of the machine) and the write it carries is read from its raw bytes, with no
CRDT decoding, so that the client spends as little as possible per message.

`hocuspocus=True` speaks Hocuspocus's variant of the protocol (for `bench peers`): every message
is led by the document's name (here the URL's path), a token is sent before anything else, and
the server's answer to step 1 comes as a "sync reply" (type 4) instead of sync (type 0).
"""

from __future__ import annotations

import asyncio
import multiprocessing
import resource
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any

from websockets.client import ClientProtocol
from websockets.extensions.permessage_deflate import ClientPerMessageDeflateFactory
from websockets.frames import Frame, Opcode
from websockets.http11 import Response
from websockets.uri import parse_uri

from sync import protocol
from sync.protocol import encode_varstring

from .documents import write_number

CONNECT_PARALLEL = 64  # handshakes in flight per process: stays under uvicorn's backlog


@dataclass
class Ready:
    connected: int
    failed: int
    error: str
    seconds: float
    cpu_s: float  # the process's CPU time once connected (imports and handshakes)


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class Dialect:
    """How a server frames y-websocket messages: plainly (ours, y-websocket, pycrdt-websocket),
    or as Hocuspocus does (the document's name first, a token before anything else)."""

    def __init__(self, url: str, hocuspocus: bool) -> None:
        self.prefix = encode_varstring(parse_uri(url).resource_name.split("?")[0].lstrip("/")) if hocuspocus else b""

    def hello(self) -> list[bytes]:
        """What a client sends before its step 1 (Hocuspocus: an auth message, token "bench")."""
        return [self.prefix + b"\x02\x00" + encode_varstring("bench")] if self.prefix else []

    def wrap(self, message: bytes) -> bytes:
        return self.prefix + message

    def unwrap(self, message: bytes) -> bytes:
        """The plain y-websocket message; b"" for another document's or a Hocuspocus-only one."""
        if not self.prefix:
            return message
        if not message.startswith(self.prefix):
            return b""
        message = message[len(self.prefix):]
        return b"\x00" + message[1:] if message[:1] == b"\x04" else message


class _Client(asyncio.Protocol):
    """One y-websocket client on websockets' sans-I/O protocol: no task, no queue, no future
    per message, so that a client process spends little per message (the asyncio client of
    `websockets` costs several times more and would be measured instead of the server)."""

    def __init__(self, url: str, compression: bool, on_update: Any, hocuspocus: bool = False) -> None:
        self.dialect = Dialect(url, hocuspocus)
        extensions = [ClientPerMessageDeflateFactory()] if compression else None
        self.protocol = ClientProtocol(parse_uri(url), extensions=extensions, max_size=None)
        self.on_update = on_update  # (write, arrival) -> None, or None
        loop = asyncio.get_running_loop()
        self.synced: asyncio.Future[None] = loop.create_future()
        self.lost: asyncio.Future[None] = loop.create_future()
        self.transport: Any = None

    def connection_made(self, transport: Any) -> None:
        self.transport = transport
        self.protocol.send_request(self.protocol.connect())
        self._flush()

    def _flush(self) -> None:
        data = b"".join(self.protocol.data_to_send())
        if data:
            self.transport.write(data)

    def data_received(self, data: bytes) -> None:
        at = time.monotonic()  # before any parsing: as early as this process can know
        self.protocol.receive_data(data)
        for event in self.protocol.events_received():
            if isinstance(event, Frame):
                if event.opcode is Opcode.BINARY:
                    self._message(bytes(event.data), at)
            elif isinstance(event, Response):
                if event.status_code != 101:
                    self._fail(RuntimeError(f"handshake answered {event.status_code}"))
                    return
                for message in self.dialect.hello():
                    self.protocol.send_binary(message)
                self.send(protocol.sync_step1(protocol.EMPTY_STATE_VECTOR))
        self._flush()

    def send(self, message: bytes) -> None:
        """Queue one plain y-websocket message (framed for the server); `_flush` writes it."""
        self.protocol.send_binary(self.dialect.wrap(message))

    def _message(self, message: bytes, at: float) -> None:
        message = self.dialect.unwrap(message)
        kind = message[:2]
        if kind == b"\x00\x02":
            if self.on_update is not None:
                n = write_number(message)
                if n is not None:
                    self.on_update(n, at)
        elif kind == b"\x00\x00":  # the server's step 1: answer with our (empty) step 2
            self.send(protocol.sync_step2(protocol.EMPTY_UPDATE))
        elif kind == b"\x00\x01" and not self.synced.done():  # the server's step 2: synced
            self.synced.set_result(None)

    def _fail(self, exc: BaseException) -> None:
        if not self.synced.done():
            self.synced.set_exception(exc)
        self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.synced.done():
            self.synced.set_exception(exc or ConnectionError("closed before sync"))
        if not self.lost.done():
            self.lost.set_result(None)

    def close(self) -> None:
        if self.transport.is_closing():
            return
        self.protocol.send_close(1000)
        self._flush()
        self.transport.close()


async def _connect(url: str, compression: bool, on_update: Any, hocuspocus: bool = False) -> _Client:
    uri = parse_uri(url)
    loop = asyncio.get_running_loop()
    _, client = await loop.create_connection(
        lambda: _Client(url, compression, on_update, hocuspocus), uri.host, uri.port
    )
    await asyncio.wait_for(client.synced, 120)
    return client


async def _run(conn: Connection, urls: list[str], count: int, watch: bool, compression: bool,
               hocuspocus: bool) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    loop = asyncio.get_running_loop()
    started = time.monotonic()
    gate = asyncio.Semaphore(CONNECT_PARALLEL)
    seen: dict[int, list[float]] = {}  # write -> [clients that have it, first, last]
    total = count

    def arrived(n: int, at: float) -> None:
        record = seen.get(n)
        if record is None:
            record = seen[n] = [0, at, at]
        record[0] += 1
        record[2] = max(record[2], at)
        if record[0] == total:
            conn.send(("got", n, record[1], record[2]))

    async def one(url: str) -> _Client:
        async with gate:
            return await _connect(url, compression, arrived if watch else None, hocuspocus)

    results = await asyncio.gather(*(one(urls[i % len(urls)]) for i in range(count)),
                                   return_exceptions=True)
    clients = [r for r in results if isinstance(r, _Client)]
    errors = [r for r in results if not isinstance(r, _Client)]
    total = len(clients)
    conn.send(Ready(len(clients), len(errors), repr(errors[0]) if errors else "",
                    time.monotonic() - started, _cpu()))
    stop = asyncio.Event()
    loop.add_reader(conn.fileno(), stop.set)  # the parent writes only to say "stop"
    await stop.wait()
    loop.remove_reader(conn.fileno())
    dropped = sum(1 for c in clients if c.lost.done())  # closed by the server before the end
    for client in clients:
        client.close()
    if clients:
        await asyncio.wait([asyncio.ensure_future(c.lost) for c in clients], timeout=10)
    conn.send(("stopped", _cpu(), dropped))


def _main(conn: Connection, urls: list[str], count: int, watch: bool, compression: bool,
          hocuspocus: bool, cpus: set[int] | None) -> None:
    import os

    import uvloop

    if cpus:
        os.sched_setaffinity(0, cpus)
    uvloop.run(_run(conn, urls, count, watch, compression, hocuspocus))


class Subscribers:
    """A group of client processes; all connected and synced once `start` returns."""

    def __init__(self) -> None:
        self.procs: list[Any] = []
        self.conns: list[Connection] = []
        self.ready: list[Ready] = []

    @classmethod
    def start(
        cls,
        url: str | list[str],
        total: int,
        processes: int,
        watch: bool = False,
        compression: bool = True,
        timeout: float = 180.0,
        hocuspocus: bool = False,
        cpus: set[int] | None = None,
    ) -> Subscribers:
        """`url`: one, or several that the clients take in turn; `cpus`: the cores the client
        processes may run on (all if None)."""
        group = cls()
        ctx = multiprocessing.get_context("spawn")
        urls = [url] if isinstance(url, str) else url
        per = [total // processes + (1 if i < total % processes else 0) for i in range(processes)]
        first = 0
        for count in per:
            if count == 0:
                continue
            mine = [urls[(first + i) % len(urls)] for i in range(min(count, len(urls)))]
            first += count
            parent, child = ctx.Pipe()
            proc = ctx.Process(target=_main, args=(child, mine, count, watch, compression, hocuspocus, cpus),
                               daemon=True)
            proc.start()
            group.procs.append(proc)
            group.conns.append(parent)
        deadline = time.monotonic() + timeout
        for conn in group.conns:
            if not conn.poll(max(0.0, deadline - time.monotonic())):
                group.kill()
                raise RuntimeError(f"clients did not connect within {timeout} s")
            group.ready.append(conn.recv())
        return group

    @property
    def connected(self) -> int:
        return sum(r.connected for r in self.ready)

    @property
    def failed(self) -> int:
        return sum(r.failed for r in self.ready)

    def wait_write(self, n: int, timeout: float) -> tuple[float, float] | None:
        """(first, last) arrival of write `n` over all clients; None if some never got it."""
        pending = set(self.conns)
        first, last = float("inf"), 0.0
        deadline = time.monotonic() + timeout
        while pending:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            for conn in wait(list(pending), remaining):
                kind, got, at_first, at_last = conn.recv()  # type: ignore[union-attr]
                if kind == "got" and got == n:
                    first, last = min(first, at_first), max(last, at_last)
                    pending.discard(conn)  # type: ignore[arg-type]
        return first, last

    def stop(self, timeout: float = 60.0) -> tuple[float, int]:
        """Close every client; returns (client CPU seconds since connected, clients the server
        had closed before)."""
        cpu, dropped = 0.0, 0
        for conn in self.conns:
            conn.send("stop")
        deadline = time.monotonic() + timeout
        for conn in self.conns:
            while conn.poll(max(0.0, deadline - time.monotonic())):
                message = conn.recv()
                if message[0] == "stopped":
                    cpu += message[1]
                    dropped += message[2]
                    break
        self.kill()
        return cpu - sum(r.cpu_s for r in self.ready), dropped

    def kill(self) -> None:
        for proc in self.procs:
            proc.join(5)
            if proc.is_alive():
                proc.kill()
                proc.join(5)
