"""The scale-out benchmarks of issue 14: `python -m bench scaleout [--quick] [--only fanout,ingest]`.

(a) fanout  three `sos serve` processes A, B, C on one PostgreSQL; N WebSocket subscribers of
            one incident document (dispatchers), half on B and half on C; a dispatcher's note
            written through A's HTTP sync endpoint. Per subscriber: the time from sending the
            write until that subscriber has it (A judges and commits it, NOTIFY carries it to B
            and C, each relays it to its readers). Baseline in the same run, on the same
            cluster: all N subscribers on A, the writing process.
(b) ingest  new reports over HTTP, the same closed-loop load (32 clients) against SQLite with
            one web process, PostgreSQL with one, and PostgreSQL with two (the clients split
            between them); reports/s, latency, and CPU per report of the web processes and,
            separately, of PostgreSQL. Runs interleaved, each on a fresh database.

PostgreSQL is Debian's, started by the benchmark (tests/pg.py) with fsync on, so that an answered
report is on disk as in production. The web processes are the installed `sos serve`
(tests/cluster.py). Target (issue 14): fan-out across processes p99 < 150 ms to 1,000 subscribers.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import itertools
import multiprocessing
import os
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

import psycopg

from tests.cluster import Cluster
from tests.cluster import ServerProcess as ClusterProcess
from tests.pg import PostgresServer
from tests.server_checks import wait_for
from tests.sync_client import SyncClient, entry_id, now_ms, point_in_ward

from .documents import CATEGORIES, WRITE_MARK, new_id, report_body, ward_points
from .loadgen import Load, LoadResult, run_in_process
from .report import Section, machine_busy, median, ms, percentile
from .servers import CLK_TCK, HOST, ServerProcess, cpu_seconds, raise_nofile
from .sync import _outbox_due, _post_json, _stored_reports, report_requests
from .wsclients import CONNECT_PARALLEL, Ready, Subscribers, _connect, _cpu

TAN_PHU = 27031  # the ward of the fan-out's incident
# Out of the way of a load test; the defaults (10 reports per device per hour) are for phones.
NO_LIMITS = {
    "reports_per_device_per_hour": 100_000_000,
    "reports_per_ip_per_hour": 100_000_000,
    "devices_per_ip_per_hour": 100_000_000,
}


@dataclass(frozen=True)
class Scale:
    subscribers: int = 1000
    client_processes: int = 4  # the subscribers' processes, spread evenly over their servers
    fanout_rounds: int = 2  # each round: across processes, then all on A
    fanout_writes: int = 20
    fanout_warmup_writes: int = 3
    fanout_gap_s: float = 0.25
    ingest_runs: int = 3
    ingest_warmup_s: float = 1.0
    ingest_duration_s: float = 8.0
    ingest_bodies: int = 12_000  # per run, split between the web processes
    concurrency: int = 32
    devices: int = 64
    drain_timeout_s: float = 60.0


FULL = Scale()
QUICK = Scale(
    subscribers=100, client_processes=2, fanout_rounds=1, fanout_writes=5, fanout_warmup_writes=1,
    ingest_runs=1, ingest_warmup_s=0.5, ingest_duration_s=2.0, ingest_bodies=3000,
    drain_timeout_s=15.0,
)


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


# -- what PostgreSQL costs -------------------------------------------------------------------------
def _stat(pid: int) -> list[str]:
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()


def postgres_cpu_seconds(server: PostgresServer) -> float:
    """CPU time of the whole PostgreSQL server: the postmaster, every live backend and helper,
    and (the postmaster's cutime + cstime) every one that exited since, which a sum over the
    live processes alone would lose as connections and autovacuum workers come and go."""
    postmaster = int((server.data / "postmaster.pid").read_text().split()[0])
    fields = _stat(postmaster)
    total = sum(int(x) for x in fields[11:15]) / CLK_TCK
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = _stat(int(entry))
        except (FileNotFoundError, ProcessLookupError):
            continue  # it exited while we looked: the postmaster's cutime has it now
        if int(fields[1]) == postmaster:
            total += (int(fields[11]) + int(fields[12])) / CLK_TCK
    return total


class WaitSampler:
    """What PostgreSQL's busy backends wait for, sampled during a load: the reason when
    throughput stops following CPU (a lock every write takes, the WAL flush, a slow client).

        with WaitSampler(postgres.url()) as waits:
            ...
        waits.top(3)    # [("Lock:advisory (INSERT INTO incidents ...)", 1.8), ...]
    """

    QUERY = ("SELECT wait_event_type, wait_event, left(query, 40) FROM pg_stat_activity "
             "WHERE state = 'active' AND backend_type = 'client backend' AND pid <> pg_backend_pid()")

    def __init__(self, url: str, every_s: float = 0.1) -> None:
        self.url = url
        self.every_s = every_s
        self.counts: collections.Counter[str] = collections.Counter()
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> WaitSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        with psycopg.connect(self.url, autocommit=True) as conn:
            while not self._stop.wait(self.every_s):
                for kind, event, query in conn.execute(self.QUERY):
                    label = "on CPU / runnable" if kind is None else f"{kind}:{event}"
                    if kind == "Lock":  # which statement waits says which lock it is
                        label += f" in {' '.join(query.split())}…"
                    self.counts[label] += 1
                self.samples += 1

    def top(self, n: int) -> list[tuple[str, float]]:
        """The `n` commonest states, each as the mean number of backends in it."""
        return [(label, count / max(self.samples, 1)) for label, count in self.counts.most_common(n)]


# -- subscribers that keep every arrival -----------------------------------------------------------
async def _recording(conn: Connection, url: str, count: int) -> None:
    """`count` y-websocket clients of `url`; once all of them have write n, its arrival times
    (one per client) go to the parent."""
    raise_nofile()
    gate = asyncio.Semaphore(CONNECT_PARALLEL)
    arrivals: dict[int, list[float]] = {}
    total = count
    started = time.monotonic()

    def arrived(n: int, at: float) -> None:
        times = arrivals.setdefault(n, [])
        times.append(at)
        if len(times) == total:
            conn.send(("got", n, times))

    async def one() -> Any:
        async with gate:
            return await _connect(url, True, arrived)

    results = await asyncio.gather(*(one() for _ in range(count)), return_exceptions=True)
    clients = [r for r in results if not isinstance(r, BaseException)]
    errors = [r for r in results if isinstance(r, BaseException)]
    total = len(clients)
    conn.send(Ready(len(clients), len(errors), repr(errors[0]) if errors else "",
                    time.monotonic() - started, _cpu()))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_reader(conn.fileno(), stop.set)  # the parent writes only to say "stop"
    await stop.wait()
    loop.remove_reader(conn.fileno())
    dropped = sum(1 for c in clients if c.lost.done())
    for client in clients:
        client.close()
    if clients:
        await asyncio.wait([asyncio.ensure_future(c.lost) for c in clients], timeout=10)
    conn.send(("stopped", _cpu(), dropped))


def _recording_main(conn: Connection, url: str, count: int) -> None:
    import uvloop

    uvloop.run(_recording(conn, url, count))


class Recorders(Subscribers):
    """Subscriber processes spread over several servers that keep every client's arrival time:
    the per-subscriber distribution, where `Subscribers.wait_write` gives the first and last
    arrival of each process.

        subs = Recorders.spread([url_b, url_c], per_url=500, processes_per_url=2)
        times = subs.deliveries(n, timeout=10)    # 1,000 time.monotonic() stamps, or None
    """

    @classmethod
    def spread(cls, urls: list[str], per_url: int, processes_per_url: int,
               timeout: float = 180.0) -> Recorders:
        group = cls()
        ctx = multiprocessing.get_context("spawn")
        for url in urls:
            for i in range(processes_per_url):
                count = per_url // processes_per_url + (1 if i < per_url % processes_per_url else 0)
                parent, child = ctx.Pipe()
                proc = ctx.Process(target=_recording_main, args=(child, url, count), daemon=True)
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

    def deliveries(self, n: int, timeout: float) -> list[float] | None:
        """Every client's arrival time of write `n`; None if some client did not get it in time."""
        pending = set(self.conns)
        times: list[float] = []
        deadline = time.monotonic() + timeout
        while pending:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            for conn in wait(list(pending), remaining):
                kind, got, arrived = conn.recv()  # type: ignore[union-attr]
                if kind == "got" and got == n:
                    times += arrived
                    pending.discard(conn)  # type: ignore[arg-type]
        return times


# -- (a) fan-out across processes ------------------------------------------------------------------
def new_incident(cluster: Cluster, via: ClusterProcess, writer: SyncClient) -> str:
    """A citizen's report sent to `via`; returns the incident's id once `writer` can read it."""
    citizen = SyncClient(via.url, _post_json(f"{via.url}/api/citizen/devices")["token"])
    report_id = citizen.new_report("crime", where=point_in_ward(TAN_PHU))
    if citizen.sync(f"report/{report_id}").status_code != 200:
        raise RuntimeError("the fan-out's report was refused")
    name = f"incident/{report_id}"
    wait_for(lambda: writer.pull(name).status_code == 200 and writer.json(name, "incident").get("info"),
             timeout=30, what="the incident document")
    return report_id


def _note(n: int, user_id: str) -> dict[str, Any]:
    """A dispatcher's note whose text carries the write's number for the subscribers to find."""
    return {"id": entry_id(), "action": "note", "text": (WRITE_MARK + b"%06d" % n).decode(),
            "by": user_id, "at": now_ms()}


def _fanout_case(scale: Scale, cluster: Cluster, writer: SyncClient, user_id: str,
                 readers: list[ClusterProcess]) -> dict[str, Any]:
    """Subscribers spread evenly over `readers`, writes through the cluster's first process."""
    a = cluster.servers[0]
    incident = new_incident(cluster, a, writer)
    name = f"incident/{incident}"
    urls = [f"{s.ws_url}/sync/{name}?token={writer.token}" for s in readers]
    subs = Recorders.spread(urls, scale.subscribers // len(readers),
                            scale.client_processes // len(readers))
    delays: list[float] = []
    firsts: list[float] = []
    acks: list[float] = []
    missed = 0
    try:
        if subs.connected != scale.subscribers:
            raise RuntimeError(f"only {subs.connected} of {scale.subscribers} subscribers connected: "
                               f"{[r.error for r in subs.ready if r.error]}")
        web0, db0, busy0 = 0.0, 0.0, machine_busy()
        for i in range(scale.fanout_warmup_writes + scale.fanout_writes):
            if i == scale.fanout_warmup_writes:
                web0, db0, busy0 = _web_cpu(cluster.servers), postgres_cpu_seconds(cluster.postgres), machine_busy()
            before = writer.doc(name).get_state()
            writer.append(name, "dispatch", _note(i, user_id))
            sent = time.monotonic()
            status = writer.sync(name, since=before).status_code
            acked = time.monotonic()
            if status != 200:
                raise RuntimeError(f"the dispatcher's note was answered {status}")
            arrived = subs.deliveries(i, timeout=10)
            if i >= scale.fanout_warmup_writes:
                if arrived is None:
                    missed += 1
                else:
                    delays += [t - sent for t in arrived]
                    firsts.append(min(arrived) - sent)
                    acks.append(acked - sent)
            time.sleep(scale.fanout_gap_s)
        web = _web_cpu(cluster.servers) - web0
        db = postgres_cpu_seconds(cluster.postgres) - db0
        busy1 = machine_busy()
    finally:
        _, dropped = subs.stop()
    return {"delays": delays, "firsts": firsts, "acks": acks, "missed": missed, "dropped": dropped,
            "web_ms": web / scale.fanout_writes * 1000, "db_ms": db / scale.fanout_writes * 1000,
            "busy": (busy1[0] - busy0[0]) / (busy1[1] - busy0[1])}


def _web_cpu(servers: list[ClusterProcess]) -> float:
    return sum(cpu_seconds(s.proc.pid) for s in servers if s.proc is not None)


def fanout(scale: Scale, work: Path, postgres: PostgresServer) -> Section:
    section = Section(
        f"(a) fan-out across processes: one write on A, {scale.subscribers:,} WebSocket subscribers",
        ["round", "subscribers on", "deliveries", "p50 ms", "p99 ms", "max ms", "first p50 ms",
         "write's 200 p50 ms", "A+B+C CPU ms/write", "PostgreSQL CPU ms/write",
         "machine busy cores", "missed"],
    )
    (work / "fanout").mkdir(parents=True)
    cluster = Cluster(postgres, work / "fanout", **NO_LIMITS)
    cases: dict[str, list[dict[str, Any]]] = {"B + C": [], "A": []}
    try:
        a, b, c = cluster.start(3)
        token, user_id = cluster.login("dispatcher", via=a)
        writer = SyncClient(a.url, token)
        for rnd in range(scale.fanout_rounds):
            for label, readers in (("B + C", [b, c]), ("A", [a])):
                r = _fanout_case(scale, cluster, writer, user_id, readers)
                cases[label].append(r)
                section.rows.append(_fanout_row(str(rnd + 1), label, r))
    finally:
        cluster.stop()
    for label, runs in cases.items():
        pooled = {"delays": [d for r in runs for d in r["delays"]],
                  "firsts": [d for r in runs for d in r["firsts"]],
                  "acks": [d for r in runs for d in r["acks"]],
                  "missed": sum(r["missed"] + r["dropped"] for r in runs), "dropped": 0,
                  **{k: median([r[k] for r in runs]) for k in ("web_ms", "db_ms", "busy")}}
        section.rows.append(_fanout_row("all", label, pooled))
        section.data[label] = pooled
    cross, same = section.data["B + C"], section.data["A"]
    p99 = percentile(cross["delays"], 99)
    section.targets.append((
        f"p99 across processes < 150 ms to {scale.subscribers:,} subscribers: {ms(p99)} ms",
        (p99 < 0.15 and not cross["missed"]) if scale == FULL else None))
    section.notes += [
        f"same-run baseline, all subscribers on the writing process A: p50 "
        f"{ms(percentile(same['delays'], 50))} ms, p99 {ms(percentile(same['delays'], 99))} ms; "
        f"across processes / on A: p50 ×{_ratio(cross, same, 50):.2f}, p99 ×{_ratio(cross, same, 99):.2f}",
        "delay = from sending the write (an HTTP POST of a dispatcher's note to "
        "`/sync/incident/<id>` on A) until a subscriber's process read the update from its socket; "
        "p50/p99/max over every subscriber of every timed write; first = the first subscriber of "
        "each write; write's 200 = the POST's own round trip (the commit included)",
        f"{scale.fanout_writes} timed writes per row after {scale.fanout_warmup_writes} untimed, "
        f"{scale.fanout_gap_s * 1000:.0f} ms apart; a fresh incident and fresh subscribers per row; "
        f"subscribers are {scale.client_processes} processes of minimal y-websocket clients "
        "(bench/wsclients.py) on the same 2 cores as the three servers and PostgreSQL; a process "
        "stamps its clients one after another, so its own reading adds up to a few ms at the tail",
        "CPU per write: the three web processes together, and PostgreSQL, over the timed writes "
        "(each note also queues the incident's inbox updates, which some process runs after the answer)",
    ]
    return section


def _ratio(cross: dict[str, Any], same: dict[str, Any], q: float) -> float:
    return percentile(cross["delays"], q) / percentile(same["delays"], q)


def _fanout_row(rnd: str, label: str, r: dict[str, Any]) -> list[str]:
    return [rnd, label, f"{len(r['delays']):,}", ms(percentile(r["delays"], 50)),
            ms(percentile(r["delays"], 99)), ms(max(r["delays"], default=float("nan"))),
            ms(percentile(r["firsts"], 50)), ms(percentile(r["acks"], 50)), f"{r['web_ms']:.1f}",
            f"{r['db_ms']:.1f}", f"{r['busy']:.2f}", str(r["missed"] + r["dropped"])]


# -- (b) report ingest on each backend -------------------------------------------------------------
@dataclass
class Deployment:
    """Web processes on one database, as the ingest run sees them."""

    name: str
    url: str  # where devices are registered
    servers: list[tuple[int, int]]  # (port, pid) of each web process
    stored: Callable[[], int]  # reports in the database
    due: Callable[[], int]  # outbox items due and not done
    database_cpu: Callable[[], float]  # CPU seconds of the database server (0 for SQLite: in-process)
    database_server: str | None = None  # a PostgreSQL server's URL, for its wait events


@contextlib.contextmanager
def sqlite_deployment(work: Path) -> Iterator[Deployment]:
    """The embedded default: one `python -m app.cli serve` on a SQLite file."""
    with ServerProcess.app(work) as app:
        db = work / "sos.db"
        yield Deployment("SQLite, 1 process", app.url, [(app.port, app.pid)],
                         lambda: _stored_reports(db), lambda: _outbox_due(db), lambda: 0.0)


@contextlib.contextmanager
def postgres_deployment(postgres: PostgresServer, work: Path, processes: int) -> Iterator[Deployment]:
    """`processes` `sos serve` on a fresh database of `postgres`."""
    work.mkdir(parents=True)
    cluster = Cluster(postgres, work, **NO_LIMITS)

    def count(sql: str, *args: Any) -> int:
        return int(cluster.rows(sql, *args)[0]["n"])

    try:
        servers = cluster.start(processes)
        yield Deployment(
            f"PostgreSQL, {processes} process{'es' if processes > 1 else ''}", servers[0].url,
            [(s.port, s.proc.pid) for s in servers if s.proc is not None],
            lambda: count("SELECT count(*) AS n FROM reports"),
            lambda: count("SELECT count(*) AS n FROM outbox WHERE state = 'pending' AND run_at <= ?",
                          time.time()),
            lambda: postgres_cpu_seconds(postgres), postgres.url())
    finally:
        cluster.stop()


def _costs(deployment: Deployment) -> tuple[float, float]:
    """(web processes' CPU seconds, database server's CPU seconds) so far."""
    return sum(cpu_seconds(pid) for _, pid in deployment.servers), deployment.database_cpu()


def _ingest_run(scale: Scale, deployment: Deployment, bodies: list[tuple[str, bytes]]) -> dict[str, Any]:
    """The closed-loop load, split evenly over the web processes (one load process each), then
    the outbox left to drain; CPU counted from just before the load until drained."""
    tokens = [_post_json(f"{deployment.url}/api/citizen/devices")["token"] for _ in range(scale.devices)]
    k = len(deployment.servers)
    loads = [Load(HOST, port, report_requests(port, bodies[i::k], tokens), scale.concurrency // k,
                  scale.ingest_warmup_s, scale.ingest_duration_s, server_pid=pid)
             for i, (port, pid) in enumerate(deployment.servers)]
    waits = WaitSampler(deployment.database_server) if deployment.database_server else None
    web0, db0 = _costs(deployment)
    busy0 = machine_busy()
    with ThreadPoolExecutor(k) as pool, waits or contextlib.nullcontext():
        # the loads run side by side, each in its own process
        results: list[LoadResult] = list(pool.map(run_in_process, loads))
    busy1 = machine_busy()
    web1, db1 = _costs(deployment)
    stored, backlog = deployment.stored(), deployment.due()
    started = time.monotonic()
    while deployment.due() and time.monotonic() - started < scale.drain_timeout_s:
        time.sleep(0.2)
    drain_s = time.monotonic() - started
    web2, db2 = _costs(deployment)
    statuses: dict[int, int] = {}
    for r in results:
        for status, n in r.statuses.items():
            statuses[status] = statuses.get(status, 0) + n
    latencies = [x for r in results for x in r.latencies_s]
    return {
        "setup": deployment.name,
        "rps": sum(r.throughput for r in results),
        "p50": percentile(latencies, 50),
        "p99": percentile(latencies, 99),
        "web_ms": (web1 - web0) / max(stored, 1) * 1000,
        "db_ms": (db1 - db0) / max(stored, 1) * 1000,
        "web_all_in_ms": (web2 - web0) / max(stored, 1) * 1000,
        "db_all_in_ms": (db2 - db0) / max(stored, 1) * 1000,
        "waits": waits.top(3) if waits else [],
        "busy": (busy1[0] - busy0[0]) / (busy1[1] - busy0[1]),
        "stored": stored, "ok": statuses.get(200, 0), "statuses": statuses,
        "errors": sum(r.errors for r in results), "exhausted": any(r.exhausted for r in results),
        "backlog": backlog, "drain_s": drain_s, "drained": deployment.due() == 0,
    }


def ingest(scale: Scale, work: Path, postgres: PostgresServer) -> Section:
    points = ward_points(24)
    # Built before any timing; the same ids serve every run, each on a fresh database.
    bodies = [(new_id(), report_body(CATEGORIES[i % 4], points[i % len(points)]))
              for i in range(scale.ingest_bodies)]
    setups: list[Callable[[Path], contextlib.AbstractContextManager[Deployment]]] = [
        sqlite_deployment,
        lambda path: postgres_deployment(postgres, path, 1),
        lambda path: postgres_deployment(postgres, path, 2),
    ]
    runs: list[dict[str, Any]] = []
    n = itertools.count()
    for run in range(scale.ingest_runs):
        for setup in setups:  # interleaved: a noisy minute touches every setup alike
            with setup(work / f"ingest-{next(n)}") as deployment:
                runs.append({**_ingest_run(scale, deployment, bodies), "run": run})
    section = Section(
        f"(b) report ingest over HTTP, {scale.concurrency} concurrent clients (closed loop)",
        ["run", "setup", "reports/s", "p50 ms", "p99 ms", "web CPU ms/report (load / all-in)",
         "PostgreSQL CPU ms/report (load / all-in)", "machine busy cores",
         "outbox backlog → drained in"],
    )
    for r in runs:
        drain = f"{r['backlog']} → {r['drain_s']:.1f} s" + ("" if r["drained"] else " (not drained)")
        section.rows.append([
            str(r["run"] + 1), r["setup"], f"{r['rps']:.0f}", ms(r["p50"]), ms(r["p99"]),
            f"{r['web_ms']:.2f} / {r['web_all_in_ms']:.2f}", _db_cell(r, "db_ms", "db_all_in_ms"),
            f"{r['busy']:.2f}", drain])
    medians = {}
    for name in dict.fromkeys(r["setup"] for r in runs):
        mine = [r for r in runs if r["setup"] == name]
        m = {k: median([r[k] for r in mine]) for k in
             ("rps", "p50", "p99", "web_ms", "web_all_in_ms", "db_ms", "db_all_in_ms", "busy")}
        medians[name] = {**m, "setup": name}
        section.rows.append([
            "median", name, f"{m['rps']:.0f}", ms(m["p50"]), ms(m["p99"]),
            f"{m['web_ms']:.2f} / {m['web_all_in_ms']:.2f}", _db_cell(medians[name], "db_ms", "db_all_in_ms"),
            f"{m['busy']:.2f}", ""])
    sqlite, pg1, pg2 = (medians[name]["rps"] for name in medians)
    section.notes += [
        f"throughput: PostgreSQL with 1 process {pg1 / sqlite:.0%} of SQLite's, with 2 processes "
        f"{pg2 / sqlite:.0%} (×{pg2 / pg1:.2f} over 1 process)",
        "load = CPU from just before the load until it stopped, per report stored; all-in = until "
        "the outbox had nothing due (incident, reply, inbox writes run after the answer), per "
        "report stored; web = all web processes summed, "
        "PostgreSQL = every process of the server (tests/pg.py, fsync on, synchronous_commit on); "
        "SQLite runs in the web process, at its deployed synchronous=NORMAL (WAL: survives a "
        "killed process; PostgreSQL here also survives a power cut)",
        f"{scale.ingest_warmup_s:g} s warm-up, then {scale.ingest_duration_s:g} s measured; "
        f"{scale.devices} devices; with 2 processes each gets {scale.concurrency // 2} of the "
        "clients from its own load process; 2 cores for everything: servers, PostgreSQL and "
        "clients; machine busy cores span the load, its client processes' start (~1 s) included",
    ]
    for r in runs:
        if r["waits"]:
            section.notes.append(
                f"run {r['run'] + 1}, {r['setup']}: PostgreSQL backends during the load, mean number "
                "in each state (sampled every 100 ms): "
                + "; ".join(f"{label} {n:.2f}" for label, n in r["waits"]))
    bad = [r for r in runs if set(r["statuses"]) - {200} or r["errors"] or r["stored"] < r["ok"]]
    section.notes.append("every answer 200, every acknowledged report stored" if not bad
                         else f"PROBLEM: non-200 answers, errors or lost reports in {bad}")
    if any(r["exhausted"] for r in runs):
        section.notes.append("ran out of pre-built reports in some run: its window was shortened")
    section.data = {"runs": runs, "medians": medians}
    return section


def _db_cell(r: dict[str, Any], load: str, all_in: str) -> str:
    return "(in process)" if r["setup"].startswith("SQLite") else f"{r[load]:.2f} / {r[all_in]:.2f}"


BENCHMARKS = {"fanout": fanout, "ingest": ingest}


def run(quick: bool = False, only: list[str] | None = None) -> list[Section]:
    scale = QUICK if quick else FULL
    unknown = set(only or []) - set(BENCHMARKS)
    if unknown:
        raise SystemExit(f"unknown part(s) of scaleout: {', '.join(sorted(unknown))}; "
                         f"known: {', '.join(BENCHMARKS)}")
    raise_nofile()  # the web processes inherit it: 1,000 sockets on one of them
    sections = []
    postgres = PostgresServer(fsync=True).start()
    try:
        with tempfile.TemporaryDirectory(prefix="sos-bench-scaleout-") as tmp:
            for name in only or list(BENCHMARKS):
                started, load = time.monotonic(), load_average()
                section = BENCHMARKS[name](scale, Path(tmp), postgres)
                section.notes.append(f"took {time.monotonic() - started:.0f} s; load average "
                                     f"{load} at its start")
                print(section.render(), flush=True)
                sections.append(section)
    finally:
        postgres.stop()
    return sections
