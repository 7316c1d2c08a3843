"""Issue 3 acceptance, validation through the real app (HTTP and WebSocket, a real server).

Each refused change is refused whole, with the right status and reason, and NOTHING of it is
applied: the projected rows, the outbox, the change audit, the document's stored log, its client-id
bindings, the live document and what other subscribers hold are all exactly as before. Random bytes
on every sync endpoint (a hypothesis property) never get a 500, never change what anyone reads, and
never stop the server or a room from serving. The last section covers the domain's wiring on top of
the engine: a withdrawn unit losing access, merges that must not loop, a stale acknowledgement timer.

One server serves the whole module (hypothesis runs many examples against it); every test makes
its own report, incident and accounts.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, event, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from pycrdt import Array, Doc, Map
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from app.settings import Settings
from sync import batch, protocol, store

from .conftest import PASSWORD, LiveServer
from .server_checks import rows, wait_for
from .sync_client import SyncClient, entry_id, now_ms, point_in_ward

TAN_PHU = 27031
PHU_MY = 26704
ROOTS = {"report": "report", "incident": "incident", "reply": "reply", "inbox": "incidents"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("validation") / "data",
        secret_key="test-secret-key-not-for-production",
        login_slowdown_ms=1,
        inprocess_worker=True,
        triage_timeout_s=3600,
        ack_timeout_s=3600,
        devices_per_ip_per_hour=100_000,
        reports_per_device_per_hour=100_000,
        reports_per_ip_per_hour=100_000,
    )
    srv = LiveServer(settings).start()
    try:
        yield srv
    finally:
        srv.stop()


# -- waiting and reading ---------------------------------------------------------------------------


def settle(server: LiveServer) -> None:
    """Wait until the outbox has run everything due (timers are an hour away here)."""
    wait_for(
        lambda: not rows(
            server, "SELECT 1 FROM outbox WHERE state = 'pending' AND run_at <= ?", time.time()
        ),
        what="the outbox to settle",
    )


def live_doc(server: LiveServer, name: str) -> Doc | None:
    future = asyncio.run_coroutine_threadsafe(server.svc.sync.read_doc(name), server.loop)
    return future.result(10)


def doc_data(doc: Doc, name: str) -> dict[str, Any]:
    return doc.get(ROOTS[name.split("/")[0]], type=Map).to_py() or {}


def snapshot(server: LiveServer, incident_id: str, *names: str) -> dict[str, Any]:
    """Everything a change could leave behind, for one incident and the documents `names`."""

    def read(c: Any) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for table, column in (
            ("reports", "id"),
            ("incidents", "id"),
            ("assignments", "incident_id"),
            ("timeline_events", "incident_id"),
            ("incident_units", "incident_id"),
            ("inbox_entries", "incident_id"),
        ):
            out[table] = [
                dict(r)
                for r in c.execute(f"SELECT * FROM {table} WHERE {column} = ? ORDER BY 1, 2", (incident_id,))
            ]
        out["outbox"] = [dict(r) for r in c.execute("SELECT topic, key, state, run_at FROM outbox ORDER BY id")]
        # Police reads are audited even when the write that follows is refused; changes are not.
        out["audit"] = [
            dict(r)
            for r in c.execute(
                "SELECT id, action, target FROM audit_log WHERE action NOT LIKE '%.read' ORDER BY id"
            )
        ]
        for name in names:
            out[name] = {
                "stats": store.stats(c, name),
                "log": [tuple(r) for r in c.execute("SELECT seq, data FROM sync_updates WHERE name = ? ORDER BY seq", (name,))],
                "writers": [tuple(r) for r in c.execute("SELECT client, writer FROM sync_writers WHERE name = ? ORDER BY client", (name,))],
            }
        return out

    state = server.svc.db.read_sync(read)
    for name in names:
        doc = live_doc(server, name)
        state[name]["live"] = None if doc is None else (
            protocol.decode_state_vector(doc.get_state()), doc_data(doc, name)
        )
    return state


# -- clients ---------------------------------------------------------------------------------------
def device(server: LiveServer) -> SyncClient:
    r = httpx.post(f"{server.url}/api/citizen/devices")
    assert r.status_code in (200, 201), r.text
    return SyncClient(server.url, r.json()["token"])


def police(server: LiveServer, role: str, unit: str | None = None) -> SyncClient:
    username = f"{role[:2]}-{uuid.uuid4().hex[:10]}"
    server.svc.accounts.create_sync(username, PASSWORD, role, unit)
    r = httpx.post(f"{server.url}/api/auth/login", json={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    client = SyncClient(server.url, r.json()["token"])
    client.user_id = str(r.json()["user"]["id"])  # type: ignore[attr-defined]
    return client


def uid(client: SyncClient) -> str:
    return str(client.user_id)  # type: ignore[attr-defined]


def fresh(client: SyncClient, name: str) -> SyncClient:
    """Forget the client's local copy (after a refusal it still holds the refused change)."""
    client.docs.pop(name, None)
    return client


class Peer:
    """A y-websocket client over a plain synchronous WebSocket, keeping a Doc in sync."""

    def __init__(self, server: LiveServer, name: str, token: str, doc: Doc | None = None) -> None:
        self.name = name
        self.doc: Doc = doc if doc is not None else Doc()
        self.denials: list[str] = []
        self.synced = False
        self.close_code: int | None = None
        self._stack = ExitStack()
        self.ws: ClientConnection = self._stack.enter_context(
            connect(f"{server.ws_url}/sync/{name}?token={token}", proxy=None, open_timeout=10)
        )
        with suppress(ConnectionClosed):  # a reader refused at once: `closed()` tells how
            self.ws.send(protocol.sync_step1(self.doc.get_state()))

    def __enter__(self) -> Peer:
        return self

    def __exit__(self, *exc: object) -> None:
        with suppress(ConnectionClosed):  # a close the server chose was checked by the test
            self._stack.close()

    def pump(self, timeout: float) -> list[protocol.Message]:
        try:
            data = self.ws.recv(timeout=timeout)
        except ConnectionClosed as closed:
            self.close_code = closed.rcvd.code if closed.rcvd is not None else 1006
            raise
        assert isinstance(data, bytes)
        messages = protocol.decode_messages(data)
        for message in messages:
            if isinstance(message, protocol.SyncStep1):
                self.ws.send(protocol.sync_step2(self.doc.get_update(message.state_vector)))
            elif isinstance(message, protocol.SyncStep2):
                self.doc.apply_update(message.update)
                self.synced = True
            elif isinstance(message, protocol.SyncUpdate):
                self.doc.apply_update(message.update)
            elif isinstance(message, protocol.AuthDenied):
                self.denials.append(message.reason)
        return messages

    def until(self, condition: Callable[[], Any], within: float = 10, what: str = "condition") -> None:
        deadline = time.monotonic() + within
        while not condition():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"{self.name}: timed out waiting for {what}")
            try:
                self.pump(remaining)
            except TimeoutError:
                continue
            except ConnectionClosed:
                raise AssertionError(f"{self.name}: closed {self.close_code} {self.denials}") from None

    def sync(self) -> Peer:
        self.until(lambda: self.synced, what="sync")
        return self

    def closed(self, within: float = 10) -> int:
        """Read until the server closes the connection; returns the close code."""
        deadline = time.monotonic() + within
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"{self.name}: still open after {within} s")
            try:
                self.pump(remaining)
            except TimeoutError:
                continue
            except ConnectionClosed:
                assert self.close_code is not None
                return self.close_code

    def write(self, change: Callable[[Doc], Any]) -> None:
        before = self.doc.get_state()
        with self.doc.transaction():
            change(self.doc)
        self.ws.send(protocol.sync_update(self.doc.get_update(before)))

    def data(self) -> dict[str, Any]:
        return doc_data(self.doc, self.name)


def log_ids(data: dict[str, Any], log: str) -> list[str]:
    return [e["id"] for e in data.get(log) or []]


# -- a scene: a routed report, its incident dispatched to the ward, the people around it ----------
@dataclass
class Scene:
    server: LiveServer
    id: str
    citizen: SyncClient
    dispatcher: SyncClient
    officer: SyncClient  # ward-27031, assigned
    colleague: SyncClient  # ward-27031, assigned

    @property
    def incident(self) -> str:
        return f"incident/{self.id}"

    @property
    def report(self) -> str:
        return f"report/{self.id}"

    @property
    def reply(self) -> str:
        return f"reply/{self.id}"

    @property
    def docs(self) -> tuple[str, ...]:
        return (self.report, self.incident, self.reply, "inbox/center", f"inbox/ward-{TAN_PHU}")

    def snapshot(self) -> dict[str, Any]:
        return snapshot(self.server, self.id, *self.docs)

    def note(self) -> str:
        """A valid dispatcher change to the incident (a barrier for subscribers)."""
        note = entry_id()
        client = fresh(self.dispatcher, self.incident)
        assert client.pull(self.incident).status_code == 200
        client.append(self.incident, "dispatch", {"id": note, "action": "note", "text": "barrier", "by": uid(client), "at": now_ms()})
        r = client.sync(self.incident)
        assert r.status_code == 200, r.text
        return note

    def message(self) -> str:
        """A valid citizen change to the report (a barrier for subscribers)."""
        message = entry_id()
        self.citizen.doc(self.report).get("report", type=Map)["messages"].append({"id": message, "text": "thêm chi tiết", "at": now_ms()})
        r = self.citizen.sync(self.report)
        assert r.status_code == 200, r.text
        return message


@pytest.fixture
def scene(server: LiveServer) -> Scene:
    citizen = device(server)
    report_id = citizen.new_report("crime", "Trộm xe máy trước chợ", point_in_ward(TAN_PHU))
    assert citizen.sync(f"report/{report_id}").status_code == 200
    dispatcher = police(server, "dispatcher")
    officer = police(server, "officer", f"ward-{TAN_PHU}")
    colleague = police(server, "officer", f"ward-{TAN_PHU}")
    s = Scene(server, report_id, citizen, dispatcher, officer, colleague)
    wait_for(lambda: dispatcher.pull(s.incident).status_code == 200 and dispatcher.json(s.incident, "incident").get("info"), what="the incident")
    dispatcher.append(s.incident, "dispatch", {"id": entry_id(), "action": "dispatch", "unit": f"ward-{TAN_PHU}", "by": uid(dispatcher), "at": now_ms()})
    assert dispatcher.sync(s.incident).status_code == 200
    settle(server)
    return s


def refused(r: httpx.Response, status: int, code: str, reason: str) -> None:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert body["error"] == code and reason in body["message"], body


def subscribers_unchanged(scene: Scene, watcher: Peer, barrier: Callable[[], str], log: str | None) -> None:
    """After a barrier change, the watcher holds exactly the server's document: a refused change
    broadcast to it would have arrived before the barrier and would show in its state."""
    mark = barrier()
    if log is None:
        watcher.until(lambda: mark in log_ids(watcher.data(), "messages"), what="the barrier")
    else:
        watcher.until(lambda: mark in log_ids(watcher.data(), log), what="the barrier")
    server_doc = live_doc(scene.server, watcher.name)
    assert server_doc is not None
    assert protocol.decode_state_vector(watcher.doc.get_state()) == protocol.decode_state_vector(server_doc.get_state())
    assert watcher.data() == doc_data(server_doc, watcher.name)
    settle(scene.server)  # the barrier's own side effects, before anyone takes a new snapshot


# -- writer rules over HTTP --------------------------------------------------------------------------
def test_a_citizen_cannot_write_into_an_incident_or_a_reply(server: LiveServer, scene: Scene) -> None:
    with Peer(server, scene.incident, scene.dispatcher.token) as watcher:
        watcher.sync()
        before = scene.snapshot()
        citizen = scene.citizen
        doc = citizen.doc(scene.incident)
        doc.get("incident", type=Map)["dispatch"] = Array([{"id": entry_id(), "action": "close", "outcome": "handled", "by": citizen.token[:8], "at": now_ms()}])
        refused(citizen.sync(scene.incident), 403, "forbidden", f"You may not read {scene.incident}")
        citizen.doc(scene.reply).get("reply", type=Map)["status"] = "done"
        refused(citizen.sync(scene.reply), 403, "forbidden", f"You may not change {scene.reply}")
        assert scene.snapshot() == before
        subscribers_unchanged(scene, watcher, scene.note, "dispatch")
    # Over WebSocket: the incident is not even readable; the reply is readable, not writable.
    with Peer(server, scene.incident, citizen.token) as ws:
        assert ws.closed() == 4403 and f"You may not read {scene.incident}" in ws.denials[0]
    before = scene.snapshot()
    with Peer(server, scene.reply, citizen.token) as ws:
        ws.sync()
        assert ws.data()["status"] == "in_progress"  # dispatched
        ws.write(lambda d: d.get("reply", type=Map).__setitem__("status", "done"))
        assert ws.closed() == 4403 and f"You may not change {scene.reply}" in ws.denials[0]
    assert scene.snapshot() == before


def test_an_officer_cannot_triage(server: LiveServer, scene: Scene) -> None:
    with Peer(server, scene.incident, scene.dispatcher.token) as watcher:
        watcher.sync()
        before = scene.snapshot()
        officer = scene.officer
        assert officer.pull(scene.incident).status_code == 200
        for entry in (
            {"action": "verify", "category": "crime", "priority": 1},
            {"action": "dispatch", "unit": f"ward-{PHU_MY}"},
            {"action": "close", "outcome": "handled"},
        ):
            officer.append(scene.incident, "dispatch", {"id": entry_id(), **entry, "by": uid(officer), "at": now_ms()})
            refused(officer.sync(scene.incident), 422, "invalid", "only a dispatcher triages and dispatches; you are officer")
            fresh(officer, scene.incident).pull(scene.incident)
        assert scene.snapshot() == before
        subscribers_unchanged(scene, watcher, scene.note, "dispatch")


def test_a_timeline_entry_in_another_officers_name(server: LiveServer, scene: Scene) -> None:
    with Peer(server, scene.incident, scene.colleague.token) as watcher:
        watcher.sync()
        before = scene.snapshot()
        officer, colleague = scene.officer, scene.colleague
        assert officer.pull(scene.incident).status_code == 200
        officer.append(scene.incident, "timeline", {"id": entry_id(), "type": "on_scene", "unit": f"ward-{TAN_PHU}", "by": uid(colleague), "at": now_ms()})
        refused(officer.sync(scene.incident), 422, "invalid", f"must be written in your own name (by = {uid(officer)})")
        # Nor in another unit's name, nor by editing a colleague's entry.
        fresh(officer, scene.incident).pull(scene.incident)
        officer.append(scene.incident, "timeline", {"id": entry_id(), "type": "on_scene", "unit": f"ward-{PHU_MY}", "by": uid(officer), "at": now_ms()})
        refused(officer.sync(scene.incident), 422, "invalid", f"names your own unit (ward-{TAN_PHU})")
        fresh(officer, scene.incident)
        # Over WebSocket: the reason, then 4422.
        with Peer(server, scene.incident, officer.token) as ws:
            ws.sync()
            ws.write(lambda d: d.get("incident", type=Map)["timeline"].append(
                {"id": entry_id(), "type": "resolved", "unit": f"ward-{TAN_PHU}", "by": uid(colleague), "at": now_ms()}
            ))
            assert ws.closed() == 4422 and "must be written in your own name" in ws.denials[0]
        assert scene.snapshot() == before
        subscribers_unchanged(scene, watcher, scene.note, "dispatch")
    # The colleague's own entry is fine, and may not be rewritten by the officer afterwards.
    assert colleague.pull(scene.incident).status_code == 200
    colleague.append(scene.incident, "timeline", {"id": entry_id(), "type": "en_route", "unit": f"ward-{TAN_PHU}", "by": uid(colleague), "at": now_ms()})
    assert colleague.sync(scene.incident).status_code == 200
    settle(server)
    before = scene.snapshot()
    doc = fresh(officer, scene.incident).doc(scene.incident)
    assert officer.pull(scene.incident).status_code == 200
    timeline = doc.get("incident", type=Map)["timeline"]
    entry = timeline[len(timeline) - 1]
    with doc.transaction():
        del timeline[len(timeline) - 1]
        timeline.append({**entry, "by": uid(officer)})
    refused(officer.sync(scene.incident), 422, "invalid", "append-only")
    assert scene.snapshot() == before


def test_a_dispatcher_cannot_rewrite_info(server: LiveServer, scene: Scene) -> None:
    with Peer(server, scene.incident, scene.officer.token) as watcher:
        watcher.sync()
        before = scene.snapshot()
        dispatcher = fresh(scene.dispatcher, scene.incident)
        assert dispatcher.pull(scene.incident).status_code == 200
        incident = dispatcher.doc(scene.incident).get("incident", type=Map)
        incident["info"] = {**incident["info"], "ward_code": PHU_MY, "ward_unit": f"ward-{PHU_MY}"}
        refused(dispatcher.sync(scene.incident), 422, "invalid", "info is written by the server only")
        fresh(dispatcher, scene.incident).pull(scene.incident)
        dispatcher.doc(scene.incident).get("incident", type=Map)["status"] = "closed"
        refused(dispatcher.sync(scene.incident), 422, "invalid", "unknown incident field(s): status")
        fresh(dispatcher, scene.incident)
        with Peer(server, scene.incident, dispatcher.token) as ws:
            ws.sync()
            ws.write(lambda d: d.get("incident", type=Map).__setitem__("info", {"report": scene.id}))
            assert ws.closed() == 4422 and ws.denials == ["info is written by the server only"]
        assert scene.snapshot() == before
        subscribers_unchanged(scene, watcher, scene.note, "dispatch")


def test_an_oversized_update_is_refused(server: LiveServer, scene: Scene) -> None:
    with Peer(server, scene.report, scene.dispatcher.token) as watcher:
        watcher.sync()
        before = scene.snapshot()
        citizen = scene.citizen
        citizen.doc(scene.report).get("report", type=Map)["messages"].append({"id": entry_id(), "text": "x" * 70_000, "at": now_ms()})
        r = citizen.sync(scene.report)
        refused(r, 413, "too_large", "report updates are limited to 65536")
        assert r.json()["code"] == "update_too_large" and r.json()["params"]["limit"] == 65536
        fresh(citizen, scene.report).pull(scene.report)
        dispatcher = fresh(scene.dispatcher, scene.incident)
        dispatcher.pull(scene.incident)
        dispatcher.append(scene.incident, "dispatch", {"id": entry_id(), "action": "note", "text": "y" * 70_000, "by": uid(dispatcher), "at": now_ms()})
        refused(dispatcher.sync(scene.incident), 413, "too_large", "incident updates are limited to 65536")
        fresh(dispatcher, scene.incident)
        # Past the request body limit, the answer is the same kind of refusal, before any parsing.
        big = httpx.post(
            f"{server.url}/sync/{scene.report}", content=b"\x00" * (1024 * 1024 + 1),
            headers={"Authorization": f"Bearer {citizen.token}", "Content-Type": "application/octet-stream"},
        )
        refused(big, 413, "too_large", "The body is limited to")
        assert scene.snapshot() == before
        subscribers_unchanged(scene, watcher, scene.message, None)
    # Over WebSocket: the permission-denied message says why, then 4413.
    before = scene.snapshot()
    with Peer(server, scene.report, citizen.token) as ws:
        ws.sync()
        ws.write(lambda d: d.get("report", type=Map)["messages"].append({"id": entry_id(), "text": "x" * 70_000, "at": now_ms()}))
        assert ws.closed() == 4413 and "65536" in ws.denials[0]
    assert scene.snapshot() == before


def test_a_4001_character_description_is_refused(server: LiveServer) -> None:
    citizen = device(server)
    settle(server)
    for length, status in ((4001, 422), (4000, 200)):
        report_id = citizen.new_report("other", "x" * length, point_in_ward(TAN_PHU))
        name = f"report/{report_id}"
        before = snapshot(server, report_id, name, "inbox/center")
        r = citizen.sync(name)
        if status == 422:
            refused(r, 422, "invalid", "description is 4001 characters; the limit is 4000")
            # The stable code and its parameters, which the apps translate (issue 23).
            assert (r.json()["code"], r.json()["params"]) == (
                "description_too_long", {"field": "description", "length": 4001, "limit": 4000}
            )
            assert snapshot(server, report_id, name, "inbox/center") == before
            assert before[name] == {"stats": None, "log": [], "writers": [], "live": None}
            assert before["reports"] == before["incidents"] == []
        else:
            assert r.status_code == 200, r.text
            assert rows(server, "SELECT length(description) AS n FROM reports WHERE id = ?", report_id) == [{"n": 4000}]
    # Over WebSocket, the creation is refused the same way.
    report_id = str(uuid.uuid4())
    name = f"report/{report_id}"
    settle(server)
    before = snapshot(server, report_id, name, "inbox/center")
    with Peer(server, name, citizen.token) as ws:
        ws.sync()
        ws.write(lambda d: _fill_report(d, "x" * 4001))
        assert ws.closed() == 4422 and "4001 characters" in ws.denials[0]
    assert snapshot(server, report_id, name, "inbox/center") == before


def _fill_report(doc: Doc, description: str) -> None:
    report = doc.get("report", type=Map)
    lat, lon = point_in_ward(TAN_PHU)
    report.update({"category": "crime", "description": description, "created_at": now_ms(), "lat": lat, "lon": lon})
    report["media"] = Array()
    report["messages"] = Array()


# -- a refused WebSocket update, and what a reconnecting client sees ----------------------------------
def test_a_refused_ws_update_and_the_reconnect(server: LiveServer, scene: Scene) -> None:
    officer = scene.officer
    triage = entry_id()
    with (
        Peer(server, scene.incident, scene.dispatcher.token) as watcher,
        Peer(server, scene.incident, officer.token) as writer,
    ):
        watcher.sync()
        writer.sync()
        before = scene.snapshot()
        writer.write(lambda d: d.get("incident", type=Map)["dispatch"].append(
            {"id": triage, "action": "verify", "category": "fire", "priority": 1, "by": uid(officer), "at": now_ms()}
        ))
        assert writer.closed() == 4422
        assert writer.denials == ["only a dispatcher triages and dispatches; you are officer"]
        assert scene.snapshot() == before
        subscribers_unchanged(scene, watcher, scene.note, "dispatch")
        assert triage not in log_ids(watcher.data(), "dispatch")
    # A fresh reconnect gets the server's state: the others' changes, not the refused one.
    with Peer(server, scene.incident, officer.token) as again:
        again.sync()
        server_doc = live_doc(server, scene.incident)
        assert server_doc is not None
        assert again.data() == doc_data(server_doc, scene.incident)
        assert triage not in log_ids(again.data(), "dispatch") and again.data()["info"]["report"] == scene.id
        # ...and it may then make the changes it is allowed to make.
        ack = entry_id()
        again.write(lambda d: d.get("incident", type=Map)["timeline"].append(
            {"id": ack, "type": "acknowledged", "unit": f"ward-{TAN_PHU}", "by": uid(officer), "at": now_ms()}
        ))
        wait_for(lambda: rows(server, "SELECT 1 FROM timeline_events WHERE entry_id = ?", ack), what="the acknowledgement")
    settle(server)
    # Reconnecting with the refused change still in the local document sends it again: refused
    # again, still nothing applied (the client must drop that local copy).
    before = scene.snapshot()
    with Peer(server, scene.incident, officer.token, doc=writer.doc) as stale:
        assert stale.closed() == 4422 and "only a dispatcher" in stale.denials[0]
    assert scene.snapshot() == before


# -- random bytes ---------------------------------------------------------------------------------------
PREFIXES = [b"\x00\x00", b"\x00\x01", b"\x00\x02", b"\x01", b"\x02", b"\x02\x00", b"\x03", b"\x00"]


def _corrupt(base: bytes, edits: list[tuple[int, int]], cut: int | None) -> bytes:
    data = bytearray(base)
    for at, value in edits:
        data[at % len(data)] = value
    return bytes(data if cut is None else data[:cut])


def garbage(refused_update: bytes) -> st.SearchStrategy[bytes]:
    """Random bytes; random bytes behind real message headers; well-framed messages with random
    payloads; and a real update (one the server refuses) with bytes changed or cut short, framed
    as a sync message, so that decoding, Yjs integration and validation are all reached."""
    size = len(refused_update)
    corrupted = st.builds(
        _corrupt,
        st.just(refused_update),
        st.lists(st.tuples(st.integers(0, size - 1), st.integers(0, 255)), max_size=3),
        st.one_of(st.none(), st.integers(0, size)),
    )
    return st.one_of(
        st.binary(max_size=300),
        st.builds(lambda p, b: p + b, st.sampled_from(PREFIXES), st.binary(max_size=200)),
        st.builds(protocol.sync_update, st.binary(max_size=200)),
        st.builds(protocol.sync_step1, st.binary(max_size=40)),
        st.builds(protocol.sync_update, corrupted),
        st.builds(protocol.sync_step2, corrupted),
        st.builds(lambda u, b: protocol.sync_update(u) + b, corrupted, st.binary(max_size=20)),
    )


def decodes(data: bytes) -> bool:
    try:
        protocol.decode_messages(data)
    except protocol.ProtocolError:
        return False
    return True


class Baseline:
    """What the documents and rows were before an example. A refused example must leave all of it
    as it was. Bytes changed in a real update sometimes still decode into a valid update that
    changes nothing visible (say, a map entry that loses to the current one: a tombstone from
    birth); the server may accept and store that. Then the visible documents must be exactly as
    before, and the baseline moves on (the stored log, the rows' `updated_at` and the outbox did)."""

    def __init__(self, server: LiveServer, scene: Scene, names: tuple[str, ...]) -> None:
        self.server, self.scene, self.names = server, scene, names
        self.take()

    def take(self) -> None:
        settle(self.server)
        self.state = snapshot(self.server, self.scene.id, *self.names)

    def visible(self, state: dict[str, Any]) -> dict[str, Any]:
        return {name: state[name]["live"] and state[name]["live"][1] for name in self.names}

    def check(self, accepted: bool) -> None:
        now = snapshot(self.server, self.scene.id, *self.names)
        if now == self.state:
            return
        assert accepted, "a refused change left a trace"
        assert self.visible(now) == self.visible(self.state), "an accepted update changed what readers see"
        event("accepted: a valid update that changes nothing visible")
        self.take()


def _json_refusal(status: int, content: bytes) -> dict[str, Any]:
    assert 400 <= status < 500, status
    body = json.loads(content)
    # The broad class, the stable code the apps translate, its parameters and a sentence (issue 23).
    assert set(body) == {"error", "code", "params", "message"} and body["message"], body
    assert isinstance(body["code"], str) and body["code"] and isinstance(body["params"], dict), body
    return dict(body)


def _rewrite_info_update(scene: Scene) -> bytes:
    """A dispatcher's update rewriting `info`: refused whatever bytes of it get changed."""
    doc = Doc()
    doc.apply_update(live_doc(scene.server, scene.incident).get_update())  # type: ignore[union-attr]
    before = doc.get_state()
    incident = doc.get("incident", type=Map)
    incident["info"] = {**incident["info"], "ward_code": PHU_MY}
    return doc.get_update(before)


def _rewrite_description_update(scene: Scene) -> bytes:
    """A citizen's update changing the frozen description: refused whatever bytes get changed."""
    doc = Doc()
    doc.apply_update(live_doc(scene.server, scene.report).get_update())  # type: ignore[union-attr]
    before = doc.get_state()
    doc.get("report", type=Map)["description"] = "đã sửa"
    return doc.get_update(before)


@pytest.mark.parametrize("target", ["report", "new-report", "incident", "batch", "batch-framed"])
def test_random_bytes_over_http_get_a_4xx_and_change_nothing(server: LiveServer, scene: Scene, target: str) -> None:
    if target in ("incident", "batch", "batch-framed"):
        who, base = scene.dispatcher, _rewrite_info_update(scene)
    else:
        who, base = scene.citizen, _rewrite_description_update(scene)
    new_name = f"report/{uuid.uuid4()}"
    names = (*scene.docs, new_name)
    headers = {"Authorization": f"Bearer {who.token}", "Content-Type": "application/octet-stream"}
    http = httpx.Client(base_url=server.url, headers=headers, timeout=10)
    baseline = Baseline(server, scene, names)

    with Peer(server, scene.incident, scene.officer.token) as watcher:
        watcher.sync()

        @hsettings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
        @given(data=garbage(base))
        def property(data: bytes) -> None:
            if target == "batch":
                r = http.post("/sync", content=data)
            elif target == "batch-framed":
                r = http.post("/sync", content=batch.encode_request([(scene.incident, data), (scene.report, data)]))
            else:
                r = http.post(f"/sync/{scene.report if target == 'report' else scene.incident if target == 'incident' else new_name}", content=data)
            assert r.status_code < 500, r.text
            accepted = r.status_code == 200
            if r.status_code != 200:
                event(str(r.status_code))
                _json_refusal(r.status_code, r.content)
                if target != "batch" and not decodes(data):
                    assert r.status_code == 400 and r.json()["error"] == "malformed"
            elif target.startswith("batch"):
                # Decodable as a batch (by chance, or framed): every document has its own answer.
                answers = batch.decode_response(r.content)
                accepted = any(status == 200 for _, status, _ in answers)
                for name, status, body in answers:
                    event(f"{name.split('/')[0]}: {status}")
                    if status != 200:
                        _json_refusal(status, body)
                    elif target == "batch-framed":
                        assert decodes(data)
            else:
                event("200")
                assert decodes(data), "undecodable bytes were accepted"
            # Refused: no trace anywhere. Accepted: nothing readers see changed. Still served.
            baseline.check(accepted)
            assert who.pull(scene.incident if who is scene.dispatcher else scene.report).status_code == 200

        try:
            property()
        finally:
            http.close()
        subscribers_unchanged(scene, watcher, scene.note, "dispatch")


@pytest.mark.parametrize("target", ["report", "incident"])
def test_random_bytes_over_websocket_never_crash_a_room(server: LiveServer, scene: Scene, target: str) -> None:
    name, who = (scene.report, scene.citizen) if target == "report" else (scene.incident, scene.dispatcher)
    base = _rewrite_description_update(scene) if target == "report" else _rewrite_info_update(scene)
    baseline = Baseline(server, scene, scene.docs)

    with Peer(server, name, scene.dispatcher.token) as watcher:
        watcher.sync()

        @hsettings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
        @given(data=garbage(base))
        def property(data: bytes) -> None:
            with Peer(server, name, who.token) as peer:
                peer.sync()
                peer.ws.send(data)
                # Then ask again: a live connection answers; a refused one was told why, then closed.
                with suppress(ConnectionClosed):  # already refused: the read below says how
                    peer.ws.send(protocol.sync_step1(Doc().get_state()))
                answered = False
                deadline = time.monotonic() + 10
                while not answered:
                    assert time.monotonic() < deadline, "neither an answer nor a close"
                    try:
                        messages = peer.pump(deadline - time.monotonic())
                    except ConnectionClosed:
                        assert peer.close_code is not None and 4400 <= peer.close_code < 4500, peer.close_code
                        assert peer.denials, "a refused connection is told why"
                        event(f"closed {peer.close_code}")
                        break
                    except TimeoutError:
                        continue
                    answered = any(isinstance(m, protocol.SyncStep2) for m in messages)
                if answered:
                    event("answered")
                    assert decodes(data)
            baseline.check(answered)

        property()
        subscribers_unchanged(scene, watcher, scene.note if target == "incident" else scene.message, "dispatch" if target == "incident" else None)
    # A new reader of the room is served as before.
    with Peer(server, name, who.token) as again:
        again.sync()
        assert again.data() == doc_data(live_doc(server, name), name)  # type: ignore[arg-type]


def test_the_module_server_is_still_healthy(server: LiveServer) -> None:
    assert httpx.get(f"{server.url}/healthz").json() == {"status": "ok"}
    assert not rows(server, "SELECT 1 FROM outbox WHERE state = 'dead'")
    assert Path(server.settings.db_path).exists()


# -- the domain's wiring on top of the engine ------------------------------------------------------------
def dispatch_entry(scene: Scene, action: str, **fields: Any) -> str:
    """A dispatcher's entry, synced over HTTP; returns its id."""
    ident = entry_id()
    client = fresh(scene.dispatcher, scene.incident)
    assert client.pull(scene.incident).status_code == 200
    client.append(scene.incident, "dispatch", {"id": ident, "action": action, **fields, "by": uid(client), "at": now_ms()})
    r = client.sync(scene.incident)
    assert r.status_code == 200, r.text
    return ident


def test_a_withdrawn_unit_loses_access_and_its_open_connections(server: LiveServer, scene: Scene) -> None:
    sent = police(server, "officer", f"ward-{PHU_MY}")  # not routed: sees it only while dispatched
    assert sent.pull(scene.incident).status_code == 403
    dispatch_entry(scene, "dispatch", unit=f"ward-{PHU_MY}")
    settle(server)
    names = (scene.incident, scene.report, scene.reply)
    for name in names:
        assert fresh(sent, name).pull(name).status_code == 200
    peers = [Peer(server, name, sent.token) for name in names]
    routed = Peer(server, scene.incident, scene.officer.token)
    inbox = Peer(server, f"inbox/ward-{PHU_MY}", sent.token)
    try:
        for peer in (*peers, routed, inbox):
            peer.sync()
        assert scene.id in inbox.data()
        dispatch_entry(scene, "withdraw", unit=f"ward-{PHU_MY}")
        for peer in peers:
            assert peer.closed() == 4403 and f"You may no longer read {peer.name}" in peer.denials[0]
        for name in names:
            refused(fresh(sent, name).pull(name), 403, "forbidden", f"You may not read {name}")
        # Its unit's queue drops the incident; the routed ward keeps reading and writing.
        inbox.until(lambda: scene.id not in inbox.data(), what="the inbox entry to go")
        note = scene.note()
        routed.until(lambda: note in log_ids(routed.data(), "dispatch"), what="the routed ward to follow")
        # Withdrawing the routed ward itself takes nothing away from it: it was routed there.
        dispatch_entry(scene, "withdraw", unit=f"ward-{TAN_PHU}")
        note = scene.note()
        routed.until(lambda: note in log_ids(routed.data(), "dispatch"), what="the routed ward to stay")
        assert fresh(scene.officer, scene.incident).pull(scene.incident).status_code == 200
    finally:
        for peer in (*peers, routed, inbox):
            peer.__exit__()
    # Sent again, it reads again.
    dispatch_entry(scene, "dispatch", unit=f"ward-{PHU_MY}")
    assert fresh(sent, scene.incident).pull(scene.incident).status_code == 200


def test_merging_into_itself_is_refused_and_a_merge_cycle_settles(server: LiveServer, scene: Scene) -> None:
    before = scene.snapshot()
    client = fresh(scene.dispatcher, scene.incident)
    assert client.pull(scene.incident).status_code == 200
    client.append(scene.incident, "dispatch", {"id": entry_id(), "action": "merge", "into": scene.id, "by": uid(client), "at": now_ms()})
    refused(client.sync(scene.incident), 422, "invalid", "cannot be merged into itself")
    assert scene.snapshot() == before
    # A into B and B into A (each valid alone): the citizens' replies settle, nothing loops.
    other = device(server)
    other_id = other.new_report("crime", "Cùng vụ trộm xe", point_in_ward(TAN_PHU))
    assert other.sync(f"report/{other_id}").status_code == 200
    wait_for(lambda: scene.dispatcher.pull(f"incident/{other_id}").status_code == 200 and scene.dispatcher.json(f"incident/{other_id}", "incident").get("info"), what="the second incident")
    dispatch_entry(scene, "merge", into=other_id)
    b = Scene(server, other_id, other, scene.dispatcher, scene.officer, scene.colleague)
    dispatch_entry(b, "merge", into=scene.id)
    settle(server)  # a loop would keep one reply.sync pending for ever
    count = "SELECT count(*) AS n FROM outbox WHERE topic = 'reply.sync' AND payload LIKE ?"
    settled = [rows(server, count, f"%{i}%")[0]["n"] for i in (scene.id, other_id)]
    note = dispatch_entry(b, "note", text="still settles")
    settle(server)
    assert note and [rows(server, count, f"%{i}%")[0]["n"] for i in (scene.id, other_id)] <= [n + 3 for n in settled]


def test_a_stale_ack_timer_does_not_escalate_a_newer_dispatch(server: LiveServer, scene: Scene) -> None:
    from app.incidents.timers import Timers
    from app.storage.outbox import Item

    first = dispatch_entry(scene, "dispatch", unit=f"ward-{PHU_MY}")
    dispatch_entry(scene, "withdraw", unit=f"ward-{PHU_MY}")
    second = dispatch_entry(scene, "dispatch", unit=f"ward-{PHU_MY}")
    settle(server)
    timers = Timers(server.svc)

    def fire(entry: str) -> dict[str, Any]:
        item = Item(-1, "timer.ack", f"test:{entry}", {"incident": scene.id, "unit": f"ward-{PHU_MY}", "entry": entry}, 1)
        asyncio.run_coroutine_threadsafe(timers.ack_due(item), server.loop).result(10)
        return rows(server, "SELECT escalation FROM incidents WHERE id = ?", scene.id)[0]

    assert fire(first) == {"escalation": None}  # the first dispatch's clock stopped at the withdrawal
    assert fire(second) == {"escalation": f"not_acknowledged:ward-{PHU_MY}"}
    # Withdrawn and sent again, late again: the dispatchers are alerted again, once per dispatch.
    dispatch_entry(scene, "withdraw", unit=f"ward-{PHU_MY}")
    third = dispatch_entry(scene, "dispatch", unit=f"ward-{PHU_MY}")
    settle(server)
    fire(third)
    fire(third)  # a timer run twice (a crash before it was marked done) alerts once
    alerts = rows(server, "SELECT key FROM outbox WHERE topic = 'escalation' AND key LIKE ?", f"escalation:{scene.id}:%")
    assert sorted(a["key"] for a in alerts) == sorted(
        f"escalation:{scene.id}:not_acknowledged:ward-{PHU_MY}:{entry}" for entry in (second, third)
    )


def test_a_message_addressed_in_a_wrong_shape_is_refused_and_nothing_applied(server: LiveServer, scene: Scene) -> None:
    # `to` (issue 23): the reports whose citizens read a police message; a list of report ids.
    with Peer(server, scene.incident, scene.officer.token) as watcher:
        watcher.sync()
        before = scene.snapshot()
        dispatcher = scene.dispatcher
        for to in ("all", [], [scene.id, scene.id]):
            fresh(dispatcher, scene.incident).pull(scene.incident)
            dispatcher.append(scene.incident, "dispatch", {"id": entry_id(), "action": "message", "text": "Xin chào",
                                                           "to": to, "by": uid(dispatcher), "at": now_ms()})
            refused(dispatcher.sync(scene.incident), 422, "invalid", "a message's `to` is a list of 1 to 100 distinct report ids")
        assert scene.snapshot() == before
        subscribers_unchanged(scene, watcher, scene.note, "dispatch")


def test_a_report_may_name_the_warning_it_answers(server: LiveServer) -> None:
    """issue 24: "need help" on a public warning opens a report linked to it; the incident shows
    the link, and the link is part of what the citizen first said (it cannot change later)."""
    citizen = device(server)
    for bad in (12, "<script>", "x" * 65):
        report_id = citizen.new_report("other", "Cần giúp đỡ", point_in_ward(TAN_PHU))
        citizen.doc(f"report/{report_id}").get("report", type=Map)["warning"] = bad
        refused(citizen.sync(f"report/{report_id}"), 422, "invalid", "warning must be a warning id")
    report_id = citizen.new_report("other", "Cần giúp đỡ", point_in_ward(TAN_PHU))
    dispatcher = police(server, "dispatcher")
    warning = {"wards": [TAN_PHU], "category": "fire", "severity": "Severe", "urgency": "Immediate",
               "certainty": "Observed", "headline": "Cháy", "description": "Cháy lan",
               "expires": now_ms() + 3_600_000}
    warning_id = dispatcher.http.post("/api/warnings", json=warning).json()["id"]
    assert police(server, "supervisor").http.post(f"/api/warnings/{warning_id}/approve").status_code == 200
    citizen.doc(f"report/{report_id}").get("report", type=Map)["warning"] = warning_id
    assert citizen.sync(f"report/{report_id}").status_code == 200
    assert rows(server, "SELECT warning FROM incidents WHERE id = ?", report_id) == [{"warning": warning_id}]
    name = f"incident/{report_id}"
    wait_for(lambda: dispatcher.pull(name).status_code == 200 and dispatcher.json(name, "incident").get("info"),
             what="the incident")
    assert dispatcher.json(name, "incident")["info"]["warning"] == warning_id
    listed = dispatcher.http.get("/api/warnings?all=1").json()["warnings"]
    assert next(w for w in listed if w["id"] == warning_id)["reports"] == [report_id]
    citizen.doc(f"report/{report_id}").get("report", type=Map)["warning"] = "another"
    refused(citizen.sync(f"report/{report_id}"), 422, "invalid", "warning cannot change")
