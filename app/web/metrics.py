"""What an operator watches: `GET /metrics` (Prometheus text) and `GET /readyz` (a load balancer's
probe). Metric names, meanings and alerts: docs/deploy.md, "Metrics and alerts".

Each process serves its own /metrics: its requests, WebSockets, reports received and push attempts
are counted in the process (plain integers the libraries keep: `sync.asgi.TRAFFIC`,
`app.incidents.received.RECEIVED`, `PushService.attempts`), and read when scraped; the figures
read from the database at scrape time (outbox backlog, overdue timers) are the same from any.

/metrics answers loopback and trusted proxies only (`SOS_TRUSTED_PROXIES`), judged by the address
the connection came from. The app never reads X-Forwarded-For itself: uvicorn replaces the
client's address with it only when the peer is a trusted proxy (app/cli.py), so a spoofed header
from anyone else changes nothing.
"""

from __future__ import annotations

import asyncio
import bisect
import ipaddress
import itertools
import logging
import time
from collections.abc import Iterator
from typing import Any

from prometheus_client import CollectorRegistry, generate_latest, start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import ApiError
from app.incidents import received, timers
from app.services import Services
from app.storage import outbox, readiness
from sync.asgi import TRAFFIC

log = logging.getLogger(__name__)

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# A load balancer probes every few seconds: a write slower than this is as good as none.
READY_TIMEOUT_S = 2.0
# Request latencies from a cached page (~1 ms) to a slow export (10 s).
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class HttpMetrics:
    """Counts HTTP requests by method, route template and status, and times them. Outermost, so
    it sees every answer (refusals by the auth middleware too). A path no route matches is
    `route="unmatched"`: a scanner's random paths must not make a series each.

    Kept as plain dicts and lists, turned into Prometheus families only when scraped: the event
    loop is the one thread that touches them, so no lock. ~5 µs a request in all, against ~7 µs
    with prometheus_client's Counter and Histogram (`python -m bench metrics`, bench/RESULTS.md)."""

    def __init__(self, app: ASGIApp, registry: CollectorRegistry) -> None:
        self.app = app
        self.counts: dict[tuple[str, str, int], int] = {}
        # Per (method, route): observations per bucket (not cumulative; the last is +Inf), and their sum.
        self.latency: dict[tuple[str, str], tuple[list[int], list[float]]] = {}
        registry.register(_HttpCollector(self))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        except (asyncio.CancelledError, ClientDisconnect):
            # The client left before its answer (nginx's 499): not the server's error, and no
            # 5xx alert should count it.
            if status == 500:
                status = 499
            raise
        finally:
            seconds = time.perf_counter() - started
            route = getattr(scope.get("route"), "path", "unmatched")
            key = (scope["method"], route, status)
            self.counts[key] = self.counts.get(key, 0) + 1
            found = self.latency.get(key[:2])
            if found is None:
                found = self.latency[key[:2]] = ([0] * (len(BUCKETS) + 1), [0.0])
            found[0][bisect.bisect_left(BUCKETS, seconds)] += 1
            found[1][0] += seconds


class _HttpCollector(Collector):
    def __init__(self, http: HttpMetrics) -> None:
        self.http = http

    def collect(self) -> Iterator[Any]:
        requests = CounterMetricFamily("sos_http_requests",
                                       "HTTP requests answered, by method, route template and status.",
                                       labels=["method", "route", "status"])
        for (method, route, status), count in sorted(self.http.counts.items()):
            requests.add_metric([method, route, str(status)], count)
        yield requests
        latency = HistogramMetricFamily("sos_http_request_duration_seconds",
                                        "Time to the end of the answer, by method and route template.",
                                        labels=["method", "route"])
        for (method, route), (counts, total) in sorted(self.http.latency.items()):
            cumulative = list(itertools.accumulate(counts))
            buckets = [(floatToGoString(le), n) for le, n in zip(BUCKETS, cumulative, strict=False)]
            latency.add_metric([method, route], buckets + [("+Inf", cumulative[-1])], total[0])
        yield latency


class ProcessCollector(Collector):
    """The process's own counts, read when scraped."""

    def __init__(self, svc: Services) -> None:
        self.svc = svc

    def collect(self) -> Iterator[Any]:
        yield _gauge("sos_websocket_connections", "WebSocket sync connections open now.", TRAFFIC.open)
        yield _counter("sos_websocket_connections_opened", "WebSocket sync connections accepted.", TRAFFIC.opened)
        messages = CounterMetricFamily(
            "sos_sync_messages", "Sync messages over WebSockets, by direction.", labels=["direction"]
        )
        messages.add_metric(["in"], TRAFFIC.messages_in)
        messages.add_metric(["out"], TRAFFIC.messages_out)
        yield messages
        yield _counter("sos_sync_http_documents", "Documents synced over HTTP (POST /sync).", TRAFFIC.http_syncs)
        reports = CounterMetricFamily(
            "sos_reports_received", "New reports received by this process, by channel.", labels=["channel"]
        )
        for channel in sorted({"app", "phone", "partner", "web-lite", *received.RECEIVED}):
            reports.add_metric([channel], received.RECEIVED[channel])
        yield reports
        push = CounterMetricFamily(
            "sos_push_attempts", "Web push requests made by this process, by outcome "
            "(delivered, retry, gone, failed, expired).", labels=["outcome"],
        )
        attempts = self.svc.push.attempts
        for outcome in sorted({"delivered", "retry", "gone", "failed", "expired", *attempts}):
            push.add_metric([outcome], attempts[outcome])
        yield push
        yield from _pool(self.svc.db.pool_stats())


def _pool(stats: dict[str, float]) -> Iterator[Any]:
    yield _gauge("sos_db_write_queue_waiting", "Writes waiting now for a writer thread.",
                 stats["write_queue_waiting"])
    yield _counter("sos_db_write_queue_waits", "Writes that went through the writer queue.",
                   stats["write_queue_waits"])
    yield _counter("sos_db_write_queue_wait_seconds", "Time writes spent queued for a writer thread.",
                   stats["write_queue_wait_seconds"])
    if "pool_size" in stats:  # PostgreSQL's connection pool (psycopg_pool)
        yield _gauge("sos_db_pool_connections", "Connections in the write pool.", stats["pool_size"])
        yield _gauge("sos_db_pool_available", "Idle connections in the write pool.", stats["pool_available"])
        yield _gauge("sos_db_pool_max", "The write pool's largest size.", stats["pool_max"])
        yield _gauge("sos_db_pool_waiting", "Writes waiting now for a pooled connection.", stats["pool_waiting"])
        yield _counter("sos_db_pool_waits", "Writes that had to wait for a pooled connection.", stats["pool_waits"])
        yield _counter("sos_db_pool_wait_seconds", "Time writes waited for a pooled connection.",
                       stats["pool_wait_seconds"])
        yield _counter("sos_db_pool_wait_errors", "Waits for a pooled connection that timed out.",
                       stats["pool_wait_errors"])


def _database_figures(conn: Any, svc: Services, now: float) -> list[Any]:
    """The figures read from the database: the same from every process."""
    due = GaugeMetricFamily("sos_outbox_due", "Outbox items due and not yet done, by topic.", labels=["topic"])
    late = GaugeMetricFamily("sos_outbox_oldest_due_seconds",
                             "How long the oldest due outbox item has waited past its time, by topic.",
                             labels=["topic"])
    dead = GaugeMetricFamily("sos_outbox_dead", "Outbox items given up on, by topic.", labels=["topic"])
    for topic, figures in sorted(outbox.backlog(conn, now).items()):
        due.add_metric([topic], figures["due"])
        late.add_metric([topic], figures["oldest_due_s"])
        dead.add_metric([topic], figures["dead"])
    overdue = GaugeMetricFamily("sos_timers_overdue",
                                "Reports not triaged and dispatches not acknowledged past their time, by timer.",
                                labels=["timer"])
    overdue_s = GaugeMetricFamily("sos_timers_overdue_oldest_seconds",
                                  "How far past its deadline the oldest overdue timer is, by timer.",
                                  labels=["timer"])
    settings = svc.settings
    late_timers = timers.overdue(conn, now, settings.triage_timeout_s, settings.ack_timeout_s)
    for timer, (count, oldest) in sorted(late_timers.items()):
        overdue.add_metric([timer], count)
        overdue_s.add_metric([timer], oldest)
    return [due, late, dead, overdue, overdue_s]


class _Families(Collector):
    def __init__(self, families: list[Any]) -> None:
        self.families = families

    def collect(self) -> Iterator[Any]:
        return iter(self.families)


def _gauge(name: str, doc: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, doc, value=value)


def _counter(name: str, doc: str, value: float) -> CounterMetricFamily:
    return CounterMetricFamily(name, doc, value=value)


class Trusted:
    """Loopback and the trusted proxies (uvicorn's `forwarded_allow_ips` format: addresses,
    networks, `*`; a literal that is no address, such as a Unix socket's path, matches itself)."""

    def __init__(self, listed: str) -> None:
        items = [item.strip() for item in listed.split(",") if item.strip()]
        self.anyone = "*" in items
        self.networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
        self.literals: set[str] = set()
        for item in items:
            try:
                self.networks.append(ipaddress.ip_network(item, strict=False))
            except ValueError:
                self.literals.add(item)

    def __contains__(self, host: str | None) -> bool:
        if host is None:
            return False
        if self.anyone or host in self.literals:
            return True
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return False
        if address.is_loopback:
            return True
        return any(address in network for network in self.networks)


async def metrics(request: Request) -> Response:
    state = request.app.state
    client = request.client.host if request.client else None
    if client not in state.metrics_trusted:
        raise ApiError(403, "forbidden", "Metrics are answered to loopback and trusted proxies only.")
    svc: Services = state.services
    now = time.time()
    try:
        families = await svc.db.read(lambda conn: _database_figures(conn, svc, now))
    except Exception as exc:  # the process's own figures are still worth having
        log.warning("metrics: database figures not read: %r", exc)
        families = [_gauge("sos_metrics_database_up", "Whether the database figures could be read.", 0)]
    else:
        families.append(_gauge("sos_metrics_database_up", "Whether the database figures could be read.", 1))
    scraped = CollectorRegistry(auto_describe=False)
    scraped.register(_Families(families))
    body = generate_latest(state.metrics_registry) + generate_latest(scraped)
    return Response(body, media_type=CONTENT_TYPE, headers={"Cache-Control": "no-store"})


async def readyz(request: Request) -> Response:
    """200 when this process can write to the database now; 503 with the reason otherwise."""
    db = request.app.state.services.db
    try:
        await asyncio.wait_for(db.write(readiness.probe), READY_TIMEOUT_S)
    except TimeoutError:
        return _not_ready("timeout", f"A write did not commit within {READY_TIMEOUT_S:g} s.")
    except Exception as exc:
        return _not_ready(_reason(exc), f"A write failed: {type(exc).__name__}: {str(exc)[:200]}")
    return JSONResponse({"status": "ready"}, headers={"Cache-Control": "no-store"})


def _reason(exc: Exception) -> str:
    text = str(exc).lower()
    if "read-only" in text or "readonly" in text or "read only" in text:
        return "read_only"
    if type(exc).__name__ in ("Unavailable", "OperationalError", "PoolTimeout"):
        return "unreachable"
    return "write_failed"


def _not_ready(reason: str, message: str) -> JSONResponse:
    return JSONResponse({"status": "not_ready", "error": reason, "message": message}, status_code=503,
                        headers={"Cache-Control": "no-store", "Retry-After": "5"})


def registry_for(svc: Services) -> CollectorRegistry:
    """The app's registry (one per app: several apps in one test process keep apart). The app
    keeps it as `app.state.metrics_registry`, its `Trusted` as `app.state.metrics_trusted`."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(ProcessCollector(svc))
    return registry


def serve_for_worker(svc: Services, port: int) -> Any:
    """`sos worker --metrics-port`: the worker process's own counts (push attempts, database
    queue) on 127.0.0.1 only, as /metrics is (a thread of prometheus_client's; it only reads).
    Returns the server, to `shutdown()`."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(ProcessCollector(svc))
    server, _ = start_http_server(port, addr="127.0.0.1", registry=registry)
    return server
