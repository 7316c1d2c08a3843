"""The sync engine against its peers (issue 28): `python -m bench peers [--quick] [--runs N]
[--only fanout,idle,writes]`.

Four servers, the same workloads, the same raw y-websocket client (bench/wsclients.py):

- ours: the engine alone as `bench/toyapp.py` runs it, under `sos serve`'s uvicorn options;
- y-websocket: the reference server, `@y/websocket-server` (bench/peers/ywebsocket.mjs);
- Hocuspocus: `@hocuspocus/server`, no extensions (bench/peers/hocuspocus.mjs);
- pycrdt-websocket: its ASGI server under uvicorn with our options (bench/peers/pycrdt_server.py).

The peers are installed by the benchmark itself, pinned, into `.bench-peers/` (bench/peers/install.py).
Each server runs on the first core (`taskset -c`), every client process on the others. Runs are
interleaved (ours, y-websocket, Hocuspocus, pycrdt-websocket, ours, ...), each on a fresh server;
figures are medians over the runs, and the ratios are ours ÷ the peer's.

Workloads:
  fanout  1 writer → N subscribers of one document, 5 writes/s: server CPU per write (utime + stime
          of /proc/<pid>/stat over the writes), last subscriber's p50 / p99 latency;
  idle    N synced clients on D documents: (settled RSS − RSS before connecting) / clients;
  writes  W writers, each on its own document, closed loop (bench/peers/closedloop.py): server
          CPU per update and updates/s on one core.
"""

from __future__ import annotations

import json
import os
import pickle
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pycrdt import Doc, Map

from sync import protocol

from ..documents import WRITE_MARK, FeedWriter
from ..report import Section, median, percentile
from ..servers import ServerProcess, raise_nofile, uvicorn_options
from ..wsclients import Dialect, Subscribers
from . import install
from .closedloop import ClosedLoop

SERVERS = ("ours", "y-websocket", "hocuspocus", "pycrdt-websocket")
MiB = 1024 * 1024


@dataclass(frozen=True)
class Scale:
    runs: int = 5
    fanout_subscribers: int = 1000
    fanout_writes: int = 50
    fanout_warmup: int = 5
    fanout_rate: float = 5.0  # writes per second
    feed_entries: int = 200  # the document already lists this many entries (an inbox)
    idle_clients: int = 10_000
    idle_docs: int = 100
    writers: int = 100
    write_updates: int = 300  # per writer, counted
    write_warmup: int = 30  # per writer, before the window
    client_processes: int = 4


FULL = Scale()
QUICK = Scale(runs=1, fanout_subscribers=100, fanout_writes=10, fanout_warmup=2, feed_entries=50,
              idle_clients=300, idle_docs=10, writers=20, write_updates=50, write_warmup=10,
              client_processes=2)


def cores() -> tuple[int, set[int] | None]:
    """(the server's core, the clients' cores): the first core, and the others (None: one core)."""
    available = sorted(os.sched_getaffinity(0))
    return available[0], set(available[1:]) or None


# -- the servers -----------------------------------------------------------------------------------
def server(name: str, data: Path) -> ServerProcess:
    core, _ = cores()
    pin = ["taskset", "-c", str(core)]
    if name == "ours":
        proc = ServerProcess.toy(data)
        proc.argv = [*pin, *proc.argv]
        return proc
    proc = ServerProcess(name, [], data, {})
    if name == "pycrdt-websocket":
        options = {k: v for k, v in uvicorn_options(proc.port).items()}
        proc.argv = [*pin, str(install.PYVENV / "bin" / "python"), str(install.HERE / "pycrdt_server.py"),
                     "--port", str(proc.port), "--uvicorn", json.dumps(options)]
        proc.env["PYTHONPATH"] = ""
    else:
        script = {"y-websocket": "ywebsocket.mjs", "hocuspocus": "hocuspocus.mjs"}[name]
        # Node resolves an ES module's imports from where the script is: beside node_modules.
        shutil.copyfile(install.HERE / script, install.NODE / script)
        proc.argv = [*pin, "node", str(install.NODE / script), "--port", str(proc.port)]
    return proc


def doc_url(srv: ServerProcess, doc: str, token: str) -> str:
    """One URL for every server: ours routes `/sync/feed/<id>` and reads the token; y-websocket and
    pycrdt-websocket name the document by the path; Hocuspocus by the name our client sends (the
    path too, see wsclients.Dialect)."""
    return f"{srv.ws_url}/sync/feed/{doc}?token={token}"


class Writer:
    """The fan-out's writer: a blocking WebSocket client speaking the server's dialect."""

    def __init__(self, url: str, hocuspocus: bool) -> None:
        from websockets.sync.client import connect

        self.dialect = Dialect(url, hocuspocus)
        self.ws = connect(url, max_size=None, compression=None)
        for message in self.dialect.hello():
            self.ws.send(message)
        self.ws.send(self.dialect.wrap(protocol.sync_step1(protocol.EMPTY_STATE_VECTOR)))
        while True:
            message = self.dialect.unwrap(self.ws.recv(timeout=30))
            if message[:2] == b"\x00\x00":
                self.ws.send(self.dialect.wrap(protocol.sync_step2(protocol.EMPTY_UPDATE)))
            elif message[:2] == b"\x00\x01":
                break

    def send(self, update: bytes) -> None:
        self.ws.send(self.dialect.wrap(protocol.sync_update(update)))
        self.drain()

    def drain(self) -> None:
        """Read what the server sent back (acks, echoes), so that nothing backs up."""
        try:
            while True:
                self.ws.recv(timeout=0)
        except TimeoutError:
            pass

    def close(self) -> None:
        self.ws.close()


# -- the workloads ---------------------------------------------------------------------------------
def fanout(name: str, scale: Scale, work: Path) -> dict[str, float]:
    hocus = name == "hocuspocus"
    _, client_cpus = cores()
    with server(name, work) as srv:
        feed = FeedWriter()
        writer = Writer(doc_url(srv, "center", "writer"), hocus)
        try:
            writer.send(feed.seed(scale.feed_entries))
            subs = Subscribers.start(doc_url(srv, "center", "reader"), scale.fanout_subscribers,
                                     min(scale.client_processes, scale.fanout_subscribers), watch=True,
                                     hocuspocus=hocus, cpus=client_cpus)
            try:
                if subs.connected != scale.fanout_subscribers:
                    raise RuntimeError(f"{name}: {subs.connected} of {scale.fanout_subscribers} subscribers "
                                       f"connected: {[r.error for r in subs.ready if r.error]}")
                total = scale.fanout_warmup + scale.fanout_writes
                updates = [feed.write(i) for i in range(total)]
                lasts: list[float] = []
                missed = 0
                started = time.monotonic()
                cpu0 = srv.cpu_seconds()
                for i, update in enumerate(updates):
                    due = started + i / scale.fanout_rate
                    time.sleep(max(0.0, due - time.monotonic()))
                    if i == scale.fanout_warmup:
                        cpu0 = srv.cpu_seconds()
                    sent = time.monotonic()
                    writer.send(update)
                    got = subs.wait_write(i, timeout=10)
                    if i >= scale.fanout_warmup:
                        if got is None:
                            missed += 1
                        else:
                            lasts.append(got[1] - sent)
                cpu = srv.cpu_seconds() - cpu0
            finally:
                _, dropped = subs.stop()
        finally:
            writer.close()
    return {"cpu_ms": cpu / scale.fanout_writes * 1000, "p50_ms": percentile(lasts, 50) * 1000,
            "p99_ms": percentile(lasts, 99) * 1000, "missed": missed + dropped}


def _settled_rss(srv: ServerProcess, seconds: float = 2.0) -> int:
    time.sleep(seconds)  # a measurement, not a test: let the allocator and the GC settle
    return srv.rss_bytes()


def idle(name: str, scale: Scale, work: Path) -> dict[str, float]:
    _, client_cpus = cores()
    with server(name, work) as srv:
        before = _settled_rss(srv)
        urls = [doc_url(srv, f"idle-{d}", "reader") for d in range(scale.idle_docs)]
        subs = Subscribers.start(urls, scale.idle_clients, scale.client_processes,
                                 hocuspocus=name == "hocuspocus", cpus=client_cpus, timeout=600)
        try:
            after = _settled_rss(srv)
        finally:
            _, dropped = subs.stop()
    if subs.failed:
        print(f"{name} idle: {subs.failed} clients failed: {[r.error for r in subs.ready if r.error]}",
              flush=True)
    return {"kib_per_client": (after - before) / max(subs.connected, 1) / 1024,
            "rss_mib": after / MiB, "missed": scale.idle_clients - subs.connected + dropped}


def write_updates(scale: Scale, path: Path) -> Path:
    """Every writer's update messages (the same for every server: each run starts empty): writer
    i's document is a map of 16 keys overwritten in turn, each update carrying its number."""
    if path.exists():
        return path
    every = []
    for _ in range(scale.writers):
        doc: Doc = Doc()
        entries = doc.get("entries", type=Map)
        mine = []
        for n in range(scale.write_warmup + scale.write_updates):
            before = doc.get_state()
            entries[f"k{n % 16:02d}"] = (WRITE_MARK + b"%06d" % n).decode() + " " + "x" * 80
            mine.append(protocol.sync_update(doc.get_update(before)))
        every.append(mine)
    path.write_bytes(pickle.dumps(every))
    return path


def writes(name: str, scale: Scale, work: Path, env: dict[str, str] | None = None,
           window: tuple[Callable[[ServerProcess], None], Callable[[ServerProcess], None]] | None = None,
           ) -> dict[str, float]:
    """`env`: more environment for the server; `window`: called with it when the measured
    window starts and ends (the profile)."""
    _, client_cpus = cores()
    updates = write_updates(scale, work.parent / "write-updates.pickle")
    srv = server(name, work)
    srv.env.update(env or {})
    with srv:
        urls = [(doc_url(srv, f"w{i}", "writer"), doc_url(srv, f"w{i}", "reader"))
                for i in range(scale.writers)]
        loop = ClosedLoop.start(urls, updates, scale.write_warmup, name == "hocuspocus", client_cpus)
        try:
            _, t0, relayed0, client0 = loop.go()
            cpu0 = srv.cpu_seconds()
            if window:
                window[0](srv)
            _, t1, relayed1, client1 = loop.finish()
            cpu1 = srv.cpu_seconds()
            if window:
                window[1](srv)
        finally:
            loop.kill()
    count = relayed1 - relayed0
    return {"us_per_update": (cpu1 - cpu0) / count * 1e6, "per_s": count / (t1 - t0),
            "client_cores": (client1 - client0) / (t1 - t0), "server_cores": (cpu1 - cpu0) / (t1 - t0)}


WORKLOADS: dict[str, Callable[[str, Scale, Path], dict[str, float]]] = {
    "fanout": fanout, "idle": idle, "writes": writes}
# (workload, figure, label, format, lower is better)
FIGURES = [
    ("fanout", "cpu_ms", "fan-out 1 → {fanout_subscribers:,}, {fanout_rate:.0f} writes/s: server CPU per write ms", "{:.1f}", True),
    ("fanout", "p50_ms", "same: last subscriber p50 ms", "{:.1f}", True),
    ("fanout", "p99_ms", "same: last subscriber p99 ms", "{:.1f}", True),
    ("idle", "kib_per_client", "{idle_clients:,} idle synced clients on {idle_docs} documents: KiB per client", "{:.1f}", True),
    ("idle", "rss_mib", "same: server RSS MiB", "{:.0f}", True),
    ("writes", "us_per_update", "write-heavy, {writers} writers closed loop: server CPU per update µs", "{:.0f}", True),
    ("writes", "per_s", "same: updates/s on one core", "{:,.0f}", False),
    ("writes", "client_cores", "same: client cores busy (1.00 = the client is the limit)", "{:.2f}", True),
]


def run(quick: bool = False, only: list[str] | None = None, runs: int | None = None,
        servers: list[str] | None = None) -> list[Section]:
    """`servers`: some of SERVERS only (e.g. ours alone, to compare two versions of it); the
    peers are installed only if one of them is chosen."""
    scale = QUICK if quick else FULL
    if runs:
        scale = Scale(**{**scale.__dict__, "runs": runs})
    unknown = set(only or []) - set(WORKLOADS)
    if unknown:
        raise SystemExit(f"unknown part(s) of peers: {', '.join(sorted(unknown))}; known: {', '.join(WORKLOADS)}")
    unknown_servers = set(servers or []) - set(SERVERS)
    if unknown_servers:
        raise SystemExit(f"unknown server(s): {', '.join(sorted(unknown_servers))}; known: {', '.join(SERVERS)}")
    picked = [name for name in SERVERS if name in (servers or SERVERS)]
    versions = install.ensure() if set(picked) - {"ours"} else {}
    raise_nofile()
    chosen = only or list(WORKLOADS)
    results: dict[tuple[str, str], list[dict[str, float]]] = {}
    notes: list[str] = []
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="sos-bench-peers-") as tmp:
        for r in range(scale.runs):
            for name in picked:
                for workload in chosen:
                    at = time.monotonic()
                    try:
                        figures = WORKLOADS[workload](name, scale, Path(tmp) / f"{workload}-{name}-{r}")
                    except Exception as exc:  # one peer failing must not lose the others' figures
                        notes.append(f"PROBLEM: run {r + 1}, {name}, {workload}: {exc!r}")
                        continue
                    if figures.get("missed"):
                        notes.append(f"PROBLEM: run {r + 1}, {name}, {workload}: {figures['missed']:.0f} "
                                     "missed (clients not connected, dropped, or writes not delivered)")
                    results.setdefault((workload, name), []).append(figures)
                    print(f"run {r + 1}/{scale.runs} {name} {workload}: "
                          + ", ".join(f"{k} {v:.1f}" for k, v in figures.items())
                          + f" ({time.monotonic() - at:.0f} s)", flush=True)
    return [_table(scale, chosen, picked, results, notes, versions, time.monotonic() - started)]


def _table(scale: Scale, chosen: list[str], picked: list[str],
           results: dict[tuple[str, str], list[dict[str, float]]],
           notes: list[str], versions: dict[str, str], took: float) -> Section:
    section = Section(f"Sync engine vs peers, medians of {scale.runs} interleaved run(s)",
                      ["workload", *picked])
    peers = [name for name in picked if name != "ours"]
    ratios = Section("ours ÷ peer (over 1: ours costs more / is slower)", ["workload", *peers])
    medians: dict[tuple[str, str, str], float] = {}
    for workload, key, label, fmt, lower in FIGURES:
        if workload not in chosen:
            continue
        row = [label.format(**scale.__dict__)]
        for name in picked:
            values = [f[key] for f in results.get((workload, name), [])]
            medians[workload, key, name] = median(values)
            row.append(fmt.format(medians[workload, key, name]) if values else "failed")
        section.rows.append(row)
        if key in ("rss_mib", "client_cores") or "ours" not in picked or not peers:
            continue
        ours = medians[workload, key, "ours"]
        ratios.rows.append([row[0], *(f"{(ours / medians[workload, key, n]) ** (1 if lower else -1):.2f}×"
                                      for n in peers)])
    section.notes += notes
    section.notes += [
        "peers: " + ", ".join(f"{k} {v}" for k, v in versions.items()),
        f"each server pinned to core {cores()[0]} (taskset), clients on {sorted(cores()[1] or [])}; "
        "the same raw y-websocket client (bench/wsclients.py, offering permessage-deflate, which "
        "every server declines) for all; fresh server for every workload and run",
        "write-heavy closed loop: each writer sends update n + 1 once a second client on its "
        "document has received update n from the server (relayed: for ours judged and committed "
        "first); client cores near 1.00 mean the client, not the server, set the pace",
        f"took {took:.0f} s",
    ]
    print(section.render(), flush=True)
    if ratios.rows:
        print(ratios.render(), flush=True)
    section.data = {f"{w}/{k}/{n}": v for (w, k, n), v in medians.items()}
    return section
