"""GET /metrics and GET /readyz (issue 26, app/web/metrics.py, docs/deploy.md "Metrics and alerts").

The figures are read back with prometheus_client's own parser, before and after real traffic on a
real server: requests, a report over HTTP sync, a WebSocket sync, an outbox item, push attempts
against the mock push service, overdue timers. /metrics refuses whoever is neither loopback nor a
trusted proxy, also with a spoofed X-Forwarded-For; /readyz answers 503 on a read-only database.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from prometheus_client.parser import text_string_to_metric_families
from starlette.requests import ClientDisconnect
from starlette.testclient import TestClient
from websockets.sync.client import connect

from app.main import create_app
from app.services import Services
from app.settings import Settings
from app.storage import outbox
from sync import protocol

from .conftest import LiveServer, free_port
from .push.flow import device, login, triage_and_dispatch
from .push.mock_service import MockPushService, subscription_json
from .server_checks import bearer_for, wait_for
from .sync_client import point_in_ward
from .test_lite_form import fields as lite_fields

TAN_PHU = 27031

Figures = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def figures(text: str) -> Figures:
    """Every sample by (name, sorted labels)."""
    found: Figures = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def scrape(base_url: str) -> Figures:
    r = httpx.get(f"{base_url}/metrics", timeout=10)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/plain")
    return figures(r.text)


def value(found: Figures, name: str, **labels: str) -> float:
    return found.get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.fixture(scope="module")
def mock_push() -> Iterator[MockPushService]:
    with MockPushService.start() as service:
        yield service


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # Short timers: the report below becomes overdue for triage, its dispatch for acknowledgement.
    return settings.with_(push_allow_loopback=True, triage_timeout_s=1, ack_timeout_s=1)


@pytest.mark.node
def test_the_figures_move_with_traffic(live_server: LiveServer, mock_push: MockPushService) -> None:
    url = live_server.url
    before = scrape(url)
    # Requests: a route with an id in its path is counted under its template, never the raw path.
    for _ in range(3):
        assert httpx.get(f"{url}/healthz").status_code == 200
    assert httpx.get(f"{url}/media/00000000-0000-0000-0000-000000000000").status_code in (401, 404)
    assert httpx.get(f"{url}/no/such/page").status_code == 404

    # Two dispatchers subscribed to push, one subscription since forgotten by the push service:
    # a new report is pushed to the center, delivered once and "gone" once.
    key = httpx.get(f"{url}/api/push/key").json()["public_key"]
    sub, gone = mock_push.subscribe(key), mock_push.subscribe(key)
    for username, each in (("dp1", sub), ("dp2", gone)):
        dispatcher = bearer_for(live_server, username, "dispatcher")
        r = httpx.post(f"{url}/api/push/subscriptions", json=subscription_json(each), headers=dispatcher)
        assert r.status_code == 201, r.text
    mock_push.expire(gone["clientHash"])
    citizen = device(url)
    report_id = citizen.new_report("fire", "Cháy nhà", point_in_ward(TAN_PHU))
    assert citizen.sync(f"report/{report_id}").status_code == 200
    mock_push.wait_for_messages(sub["clientHash"], 1)
    # A report by the script-less form: its own channel.
    with httpx.Client(base_url=url) as phone:
        form = {**lite_fields(phone.get("/").text), "ward": str(TAN_PHU)}
        assert phone.post("/", data=form, follow_redirects=False).status_code == 303

    # A WebSocket sync of the citizen's own report: a connection, a message each way.
    with connect(f"{live_server.ws_url}/sync/report/{report_id}?token={citizen.token}") as ws:
        ws.send(protocol.sync_step1(b"\x00"))
        assert isinstance(ws.recv(timeout=10), bytes)
        during = scrape(url)
        assert value(during, "sos_websocket_connections") >= 1

    # An outbox item nobody handles, due 30 s ago: backlog, and how late it is.
    def stuck(tx: object) -> None:
        outbox.enqueue(tx, "metrics.test", "metrics.test:1", {}, run_at=time.time() - 30)  # type: ignore[arg-type]

    live_server.svc.db.write_sync(stuck)

    # The reports are not triaged within 1 s: overdue, and read as such from the database; both
    # pushes answered.
    def settled() -> Figures | None:
        found = scrape(url)
        done = (value(found, "sos_timers_overdue", timer="triage") == 2  # the app's and the form's
                and value(found, "sos_push_attempts_total", outcome="gone") >= 1)
        return found if done else None

    after = wait_for(settled, what="two overdue triage timers and both push attempts")
    assert value(after, "sos_timers_overdue_oldest_seconds", timer="triage") > 0
    assert value(after, "sos_timers_overdue", timer="ack") == 0

    # Triaged and dispatched to the ward, which does not acknowledge within 1 s.
    triage_and_dispatch(login(url, "dp1"), report_id, f"ward-{TAN_PHU}", None)

    def ack_late() -> Figures | None:
        found = scrape(url)
        return found if value(found, "sos_timers_overdue", timer="ack") == 1 else None

    late_ack = wait_for(ack_late, what="an overdue acknowledgement")
    assert value(late_ack, "sos_timers_overdue", timer="triage") == 1  # the form's report only
    assert value(late_ack, "sos_timers_overdue_oldest_seconds", timer="ack") > 0

    def moved(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert moved("sos_http_requests_total", method="GET", route="/healthz", status="200") == 3
    assert moved("sos_http_requests_total", method="GET", route="unmatched", status="404") >= 1
    assert moved("sos_http_request_duration_seconds_count", method="GET", route="/healthz") == 3
    assert value(after, "sos_http_request_duration_seconds_bucket", method="GET", route="/healthz", le="+Inf") >= 3
    media_routes = [labels for (name, labels) in after if name == "sos_http_requests_total"
                    and ("route", "/media/{media_id}") in labels]
    assert media_routes, "the media request is counted under its route template"
    assert not any("00000000-0000" in str(labels) for (_, labels) in after), "no id in any label"
    assert moved("sos_reports_received_total", channel="app") == 1
    assert moved("sos_reports_received_total", channel="web-lite") == 1
    assert moved("sos_reports_received_total", channel="phone") == 0
    assert moved("sos_websocket_connections_opened_total") == 1
    assert moved("sos_sync_messages_total", direction="in") >= 1
    assert moved("sos_sync_messages_total", direction="out") >= 1
    assert moved("sos_sync_http_documents_total") >= 1
    assert moved("sos_push_attempts_total", outcome="delivered") >= 1
    assert moved("sos_push_attempts_total", outcome="gone") >= 1
    assert value(after, "sos_outbox_due", topic="metrics.test") == 1
    assert value(after, "sos_outbox_oldest_due_seconds", topic="metrics.test") >= 29
    assert value(after, "sos_db_write_queue_waits_total") > value(before, "sos_db_write_queue_waits_total")
    assert value(after, "sos_metrics_database_up") == 1
    if live_server.svc.db.dialect == "postgresql":  # the write pool's own counts
        assert value(after, "sos_db_pool_max") >= 1
        assert ("sos_db_pool_waits_total", ()) in after


def as_client(settings: Settings, host: str) -> TestClient:
    """The app in process, called from `host` (a fresh app each: an app starts once)."""
    return TestClient(create_app(settings), client=(host, 40000))


def test_refused_to_other_addresses(settings: Settings) -> None:
    with as_client(settings, "203.0.113.7") as outsider:
        # X-Forwarded-For is not the app's business: from an untrusted peer it changes nothing.
        r = outsider.get("/metrics", headers={"X-Forwarded-For": "127.0.0.1"})
        assert r.status_code == 403
        assert r.json()["error"] == "forbidden"
        assert "sos_" not in r.text
        assert outsider.get("/healthz").status_code == 200
    for local in ("127.0.0.1", "127.8.9.10", "::1"):
        with as_client(settings, local) as client:
            assert client.get("/metrics").status_code == 200, local


def test_a_trusted_proxy_is_answered(settings: Settings) -> None:
    trusting = settings.with_(trusted_proxies="10.0.0.0/8, 192.168.1.5")
    with as_client(trusting, "10.20.30.40") as proxy:
        assert proxy.get("/metrics").status_code == 200
    with as_client(trusting, "192.168.1.6") as neighbour:
        assert neighbour.get("/metrics").status_code == 403


def _outward_address() -> str | None:
    """An address of this machine that is not loopback, or None."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("192.0.2.1", 9))  # no packet is sent: this only picks the route's source
        except OSError:
            return None
        address = s.getsockname()[0]
    return None if address.startswith("127.") else address


def test_a_real_server_judges_the_peer_not_the_header(settings: Settings, tmp_path: Path) -> None:
    """As `sos serve` runs uvicorn: proxy headers believed from the trusted proxies only."""
    outward = _outward_address()
    if outward is None:
        pytest.skip("no address but loopback on this machine")
    with socket.socket() as s:
        s.bind(("0.0.0.0", 0))
        port = s.getsockname()[1]
    config = uvicorn.Config(create_app(settings), host="0.0.0.0", port=port, log_level="warning",
                            proxy_headers=True, forwarded_allow_ips=settings.trusted_proxies)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        wait_for(lambda: server.started, what="uvicorn")
        spoofed = {"X-Forwarded-For": "127.0.0.1"}
        # From this machine's outward address (not a trusted proxy) claiming to be loopback.
        assert httpx.get(f"http://{outward}:{port}/metrics", headers=spoofed).status_code == 403
        # Through the trusted proxy (loopback) on behalf of an outside client.
        outside = {"X-Forwarded-For": "203.0.113.9"}
        assert httpx.get(f"http://127.0.0.1:{port}/metrics", headers=outside).status_code == 403
        assert httpx.get(f"http://127.0.0.1:{port}/metrics").status_code == 200
    finally:
        server.should_exit = True
        thread.join(10)


def test_readyz_answers_whether_the_database_takes_writes(client: TestClient, svc: Services) -> None:
    r = client.get("/readyz")
    assert r.status_code == 200 and r.json() == {"status": "ready"}
    with read_only(svc):
        r = client.get("/readyz")
        assert r.status_code == 503
        assert r.json()["error"] == "read_only", r.text
        assert client.get("/healthz").status_code == 200  # alive, only not ready
    assert client.get("/readyz").status_code == 200


class read_only:
    """The database refuses writes: SQLite's writer connection `query_only` (as a read-only
    file refuses them: root, who runs the tests, may write any file), PostgreSQL
    `default_transaction_read_only` on the database, its sessions ended (as after a fail-over
    to a standby)."""

    def __init__(self, svc: Services) -> None:
        self.svc = svc

    def __enter__(self) -> None:
        db = self.svc.db
        if db.dialect == "sqlite":
            self.writer = db.write_sync(lambda tx: tx)
            self.writer.execute("PRAGMA query_only=ON")
        else:
            self._postgres("SET default_transaction_read_only = on")

    def __exit__(self, *exc: object) -> None:
        if self.svc.db.dialect == "sqlite":
            self.writer.execute("PRAGMA query_only=OFF")
        else:
            self._postgres("RESET default_transaction_read_only")

    def _postgres(self, change: str) -> None:
        import psycopg

        url = self.svc.settings.database_url
        assert url is not None
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("SET default_transaction_read_only = off")  # this session may change it back
            name = conn.info.dbname
            conn.execute(f'ALTER DATABASE "{name}" {change}')
            conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                         " WHERE datname = %s AND pid <> pg_backend_pid()", (name,))


def test_sos_worker_serves_its_own_figures_on_loopback(tmp_path: Path) -> None:
    """`sos worker --metrics-port`: a separate worker (push, media) is scraped by itself."""
    import os
    import subprocess
    import sys

    port = free_port()
    env = {**os.environ, "SOS_DATA_DIR": str(tmp_path / "data"), "SOS_SECRET_KEY": "test-secret-key-not-for-production",
           "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    with open(tmp_path / "worker.log", "wb") as log:
        worker = subprocess.Popen([sys.executable, "-m", "app.cli", "worker", "--metrics-port", str(port)],
                                  env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        def scraped() -> Figures | None:
            assert worker.poll() is None, (tmp_path / "worker.log").read_text()
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=2)
            except httpx.TransportError:
                return None
            return figures(r.text) if r.status_code == 200 else None

        found = wait_for(scraped, timeout=30, what="the worker's metrics")
        assert ("sos_push_attempts_total", (("outcome", "delivered"),)) in found
        assert ("sos_db_write_queue_waits_total", ()) in found
        outward = _outward_address()
        if outward is not None:  # bound to loopback only
            with pytest.raises(httpx.TransportError):
                httpx.get(f"http://{outward}:{port}/metrics", timeout=2)
    finally:
        worker.terminate()
        worker.wait(15)


@pytest.mark.parametrize("error, status", [(ClientDisconnect(), "499"), (RuntimeError("bug"), "500")])
def test_a_request_without_an_answer_counts_by_why(error: Exception, status: str) -> None:
    """A client that left is not a server error (no 5xx alert for it); a crash is a 500."""
    import asyncio

    from prometheus_client import CollectorRegistry, generate_latest

    from app.web.metrics import HttpMetrics

    async def failing(scope: dict, receive: object, send: object) -> None:
        raise error

    registry = CollectorRegistry()
    app = HttpMetrics(failing, registry)

    async def call() -> None:
        with pytest.raises(type(error)):
            await app({"type": "http", "method": "POST"}, None, None)  # type: ignore[arg-type]

    asyncio.run(call())
    found = figures(generate_latest(registry).decode())
    assert value(found, "sos_http_requests_total", method="POST", route="unmatched", status=status) == 1
