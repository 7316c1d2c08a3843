"""The domain over real HTTP sync: a report arrives, is routed, triaged, dispatched, acknowledged;
rows, inboxes and the citizen's reply follow; writer rules hold."""

from __future__ import annotations

import sqlite3

import pytest
from pycrdt import Map

from app.incidents.documents import DEFAULT_PRIORITY
from app.settings import Settings

from .conftest import PASSWORD, LiveServer
from .pg import backend
from .server_checks import doc_json, rows, wait_for
from .sync_client import SyncClient, entry_id, now_ms, point_in_ward

TAN_PHU = 27031
PHU_MY = 26704





def device(server: LiveServer) -> SyncClient:
    import httpx

    token = httpx.post(f"{server.url}/api/citizen/devices").json()["token"]
    return SyncClient(server.url, token)


def police(server: LiveServer, username: str, role: str, unit: str | None = None) -> SyncClient:
    import httpx

    server.svc.accounts.create_sync(username, PASSWORD, role, unit)
    r = httpx.post(f"{server.url}/api/auth/login", json={"username": username, "password": PASSWORD})
    client = SyncClient(server.url, r.json()["token"])
    client.user = r.json()["user"]  # type: ignore[attr-defined]
    return client


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.with_(triage_timeout_s=3600, ack_timeout_s=3600)


def test_a_report_is_routed_listed_and_answered(live_server: LiveServer) -> None:
    citizen = device(live_server)
    report_id = citizen.new_report("crime", where=point_in_ward(TAN_PHU))
    r = citizen.sync(f"report/{report_id}")
    assert r.status_code == 200, r.text

    # Durable before the answer: the rows are there the moment the POST returned.
    report = rows(live_server, "SELECT * FROM reports WHERE id = ?", report_id)[0]
    assert report["ward_code"] == TAN_PHU and report["outside"] == 0
    units = {r["unit"] for r in rows(live_server, "SELECT unit FROM incident_units WHERE incident_id = ?", report_id)}
    assert {"center", f"ward-{TAN_PHU}", "dept-crime"} <= units

    # The outbox then writes the inboxes, the incident and the reply.
    center = wait_for(lambda: doc_json(live_server, "inbox/center", "incidents").get(report_id), what="inbox/center")
    assert center["ward_code"] == TAN_PHU and center["status"] == "new" and center["category"] == "crime"
    assert wait_for(lambda: doc_json(live_server, f"inbox/ward-{TAN_PHU}", "incidents").get(report_id))
    assert report_id not in doc_json(live_server, f"inbox/ward-{PHU_MY}", "incidents")
    info = wait_for(lambda: doc_json(live_server, f"incident/{report_id}", "incident").get("info"))
    assert info["ward_unit"] == f"ward-{TAN_PHU}"
    wait_for(lambda: citizen.pull(f"reply/{report_id}") and citizen.json(f"reply/{report_id}", "reply").get("status") == "delivered")


@pytest.mark.skipif(backend() == "postgresql", reason="reads SQLite's query plans (EXPLAIN QUERY PLAN)")
def test_the_outbox_reads_of_a_report_find_their_rows_by_index(live_server: LiveServer) -> None:
    """Each report's follow-up work reads its own rows; a full scan of a table would make it
    grow with every incident ever stored (the open-loop benchmark caught one)."""
    from app.incidents import fanout

    citizen = device(live_server)
    report_id = citizen.new_report("fire", where=point_in_ward(TAN_PHU))
    assert citizen.sync(f"report/{report_id}").status_code == 200
    wait_for(lambda: doc_json(live_server, "inbox/center", "incidents").get(report_id), what="inbox/center")

    def plans(conn: sqlite3.Connection) -> dict[str, list[str]]:
        statements: list[str] = []
        conn.set_trace_callback(statements.append)
        try:
            assert fanout._incident_row(conn, report_id) is not None
            assert fanout._reply_data(conn, report_id) is not None
            assert fanout._inbox_data(conn, report_id) is not None
        finally:
            conn.set_trace_callback(None)
        return {sql: [row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + sql)] for sql in statements}

    found = live_server.svc.db.read_sync(plans)
    assert len(found) >= 6
    scans = {sql: steps for sql, steps in found.items() if any(
        step.startswith("SCAN") and "USING" not in step for step in steps)}
    assert scans == {}


def test_triage_dispatch_acknowledge_and_the_citizen_sees_progress(live_server: LiveServer) -> None:
    citizen = device(live_server)
    report_id = citizen.new_report("traffic", where=point_in_ward(PHU_MY))
    assert citizen.sync(f"report/{report_id}").status_code == 200
    name = f"incident/{report_id}"
    dispatcher = police(live_server, "dp", "dispatcher")
    officer = police(live_server, "pm1", "officer", f"ward-{PHU_MY}")
    wait_for(lambda: dispatcher.pull(name).status_code == 200 and dispatcher.json(name, "incident").get("info"), what="incident doc")

    dp_id = str(dispatcher.user["id"])  # type: ignore[attr-defined]
    dispatcher.append(name, "dispatch", {"id": entry_id(), "action": "verify", "category": "traffic", "priority": 1, "by": dp_id, "at": now_ms()})
    dispatcher.append(name, "dispatch", {"id": entry_id(), "action": "dispatch", "unit": f"ward-{PHU_MY}", "by": dp_id, "at": now_ms()})
    dispatcher.append(name, "dispatch", {"id": entry_id(), "action": "message", "text": "Công an đang đến", "by": dp_id, "at": now_ms()})
    assert dispatcher.sync(name).status_code == 200
    incident = rows(live_server, "SELECT * FROM incidents WHERE id = ?", report_id)[0]
    assert (incident["status"], incident["priority"]) == ("dispatched", 1)
    assert incident["triaged_at"] and incident["dispatched_at"]

    assert officer.pull(name).status_code == 200
    of_id = str(officer.user["id"])  # type: ignore[attr-defined]
    officer.append(name, "timeline", {"id": entry_id(), "type": "acknowledged", "unit": f"ward-{PHU_MY}", "by": of_id, "at": now_ms()})
    assert officer.sync(name).status_code == 200
    assignment = rows(live_server, "SELECT * FROM assignments WHERE incident_id = ?", report_id)[0]
    assert assignment["dispatched_at"] and assignment["acknowledged_at"] >= assignment["dispatched_at"]

    def citizen_sees() -> bool:
        citizen.pull(f"reply/{report_id}")
        reply = citizen.json(f"reply/{report_id}", "reply")
        return reply.get("status") == "in_progress" and any(m["text"] == "Công an đang đến" for m in reply.get("messages", []))

    wait_for(citizen_sees, what="reply in progress with the police message")
    summary = wait_for(lambda: doc_json(live_server, f"inbox/ward-{PHU_MY}", "incidents").get(report_id, {}).get("status") == "acknowledged" and doc_json(live_server, f"inbox/ward-{PHU_MY}", "incidents")[report_id])
    assert summary["assigned"] is True


def test_writer_rules_are_enforced_by_the_server(live_server: LiveServer) -> None:
    citizen = device(live_server)
    report_id = citizen.new_report("fire", where=point_in_ward(TAN_PHU))
    assert citizen.sync(f"report/{report_id}").status_code == 200
    name = f"incident/{report_id}"
    officer = police(live_server, "tp1", "officer", f"ward-{TAN_PHU}")
    other_ward = police(live_server, "pm2", "officer", f"ward-{PHU_MY}")
    wait_for(lambda: officer.pull(name).status_code == 200 and officer.json(name, "incident").get("info"), what="incident doc")

    # An officer may not triage.
    of_id = str(officer.user["id"])  # type: ignore[attr-defined]
    officer.append(name, "dispatch", {"id": entry_id(), "action": "verify", "category": "fire", "priority": 1, "by": of_id, "at": now_ms()})
    r = officer.sync(name)
    assert r.status_code in (403, 422) and "dispatcher" in r.json()["message"]
    # An officer of another ward cannot even read it.
    assert other_ward.pull(name).status_code == 403
    assert other_ward.pull(f"report/{report_id}").status_code == 403
    # A second device cannot read the first device's report nor its reply.
    stranger = device(live_server)
    assert stranger.pull(f"report/{report_id}").status_code == 403
    assert stranger.pull(f"reply/{report_id}").status_code == 403
    # A citizen cannot write into an incident or a reply.
    assert citizen.pull(name).status_code == 403
    citizen.doc(f"reply/{report_id}").get("reply", type=__import__("pycrdt").Map)["status"] = "done"
    assert citizen.sync(f"reply/{report_id}").status_code == 403
    # Nothing refused was applied.
    events = rows(live_server, "SELECT * FROM timeline_events WHERE incident_id = ?", report_id)
    assert events == []


def test_an_untriaged_report_is_escalated(settings: Settings) -> None:
    server = LiveServer(settings.with_(triage_timeout_s=1)).start()
    try:
        citizen = device(server)
        report_id = citizen.new_report("other")
        assert citizen.sync(f"report/{report_id}").status_code == 200
        row = wait_for(lambda: rows(server, "SELECT * FROM incidents WHERE id = ? AND escalated_at IS NOT NULL", report_id), timeout=15, what="escalation")
        assert row[0]["escalation"] == "not_triaged"
        assert rows(server, "SELECT * FROM outbox WHERE topic = 'escalation' AND key LIKE ?", f"%{report_id}%")
        wait_for(lambda: doc_json(server, "inbox/center", "incidents").get(report_id, {}).get("escalation") == "not_triaged", what="escalated in the queue")
        assert rows(server, "SELECT * FROM reports WHERE id = ?", report_id)[0]["no_location"] == 1
    finally:
        server.stop()


def test_new_reports_per_device_are_limited_with_retry_after(settings: Settings) -> None:
    server = LiveServer(settings.with_(reports_per_device_per_hour=2)).start()
    try:
        citizen = device(server)
        for _ in range(2):
            assert citizen.sync(f"report/{citizen.new_report()}").status_code == 200
        report_id = citizen.new_report()
        r = citizen.sync(f"report/{report_id}")
        assert r.status_code == 429
        assert r.json()["error"] == "rate_limited" and "try again" in r.json()["message"]
        assert 0 < int(r.headers["Retry-After"]) <= 3600
        assert rows(server, "SELECT * FROM reports WHERE id = ?", report_id) == []
        # Adding to a report already sent is not a new report: still allowed.
        first = next(iter(citizen.docs))
        citizen.doc(first).get("report", type=__import__("pycrdt").Map)["messages"].append(
            {"id": entry_id(), "text": "Thêm chi tiết", "at": now_ms()}
        )
        assert citizen.sync(first).status_code == 200
    finally:
        server.stop()


def test_a_report_may_name_only_media_uploaded_to_it(live_server: LiveServer) -> None:
    from pycrdt import Map

    citizen = device(live_server)
    report_id = citizen.new_report("fire", where=point_in_ward(TAN_PHU))
    citizen.doc(f"report/{report_id}").get("report", type=Map)["media"].append("notuploaded01")
    r = citizen.sync(f"report/{report_id}")
    assert r.status_code == 422 and "media" in r.json()["message"]
    assert rows(live_server, "SELECT * FROM reports WHERE id = ?", report_id) == []

    sent = citizen.new_report("fire", where=point_in_ward(TAN_PHU))
    assert citizen.sync(f"report/{sent}").status_code == 200
    citizen.doc(f"report/{sent}").get("report", type=Map)["media"].append("notuploaded02")
    r = citizen.sync(f"report/{sent}")
    assert r.status_code == 422 and "not uploaded to this report" in r.json()["message"]
    assert rows(live_server, "SELECT media_count FROM reports WHERE id = ?", sent)[0]["media_count"] == 0


def test_logout_closes_the_live_sync_connections_of_that_session(live_server: LiveServer) -> None:
    import httpx
    from websockets.sync.client import connect

    live_server.svc.accounts.create_sync("dp-out", PASSWORD, "dispatcher")
    token = httpx.post(f"{live_server.url}/api/auth/login", json={"username": "dp-out", "password": PASSWORD}).json()["token"]
    with connect(f"{live_server.ws_url}/sync/inbox/center?token={token}") as ws:
        ws.recv(timeout=10)  # the server's step 1: the subscription is live
        r = httpx.post(f"{live_server.url}/api/auth/logout", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 204
        # The next thing on the socket is the refusal and then the close, not more queue updates.
        from websockets.exceptions import ConnectionClosed

        try:
            while True:
                ws.recv(timeout=10)
        except ConnectionClosed as closed:
            assert closed.rcvd is not None and closed.rcvd.code == 4401


@pytest.mark.parametrize("category", ["crime", "traffic", "fire", "other"])
def test_a_life_in_danger_is_p1_whatever_the_category(live_server: LiveServer, category: str) -> None:
    citizen = device(live_server)
    plain = citizen.new_report(category, where=point_in_ward(TAN_PHU))
    assert citizen.sync(f"report/{plain}").status_code == 200
    hurt = citizen.new_report(category, "Có người bị thương", where=point_in_ward(TAN_PHU))
    citizen.doc(f"report/{hurt}").get("report", type=Map)["danger"] = True
    assert citizen.sync(f"report/{hurt}").status_code == 200

    priority = {r["id"]: r["priority"] for r in rows(live_server, "SELECT id, priority FROM incidents")}
    assert priority[plain] == DEFAULT_PRIORITY[category]
    assert priority[hurt] == 1
    # The incident the police open says so too (its info is written from the row).
    info = wait_for(lambda: doc_json(live_server, f"incident/{hurt}", "incident").get("info"), what="info")
    assert info["priority"] == 1


@pytest.mark.parametrize("value", ["yes", 1, None])
def test_danger_must_be_a_boolean(live_server: LiveServer, value: object) -> None:
    citizen = device(live_server)
    report_id = citizen.new_report("other", where=point_in_ward(TAN_PHU))
    report = citizen.doc(f"report/{report_id}").get("report", type=Map)
    report["danger"] = value
    r = citizen.sync(f"report/{report_id}")
    assert r.status_code == 422, r.text
    assert "danger" in r.json()["message"]
    assert rows(live_server, "SELECT id FROM incidents WHERE id = ?", report_id) == []


def test_the_reply_carries_the_stage_under_the_plain_status(live_server: LiveServer) -> None:
    """The citizen's four plain states stay the headline; `stage` says police on the way, on
    scene, resolved, and closed apart from resolved."""
    citizen = device(live_server)
    report_id = citizen.new_report("crime", where=point_in_ward(PHU_MY))
    assert citizen.sync(f"report/{report_id}").status_code == 200
    name, unit = f"incident/{report_id}", f"ward-{PHU_MY}"
    dispatcher = police(live_server, "dp", "dispatcher")
    officer = police(live_server, "pm1", "officer", unit)
    wait_for(lambda: dispatcher.pull(name).status_code == 200 and dispatcher.json(name, "incident").get("info"), what="incident doc")
    dp_id, of_id = str(dispatcher.user["id"]), str(officer.user["id"])  # type: ignore[attr-defined]

    def reply() -> dict:
        citizen.pull(f"reply/{report_id}")
        return citizen.json(f"reply/{report_id}", "reply")

    dispatcher.append(name, "dispatch", {"id": entry_id(), "action": "dispatch", "unit": unit, "by": dp_id, "at": now_ms()})
    assert dispatcher.sync(name).status_code == 200
    wait_for(lambda: reply().get("status") == "in_progress", what="in progress")
    assert "stage" not in reply()  # dispatched: no unit on its way yet
    assert officer.pull(name).status_code == 200
    for step, status in (("en_route", "in_progress"), ("on_scene", "in_progress"), ("resolved", "done")):
        officer.append(name, "timeline", {"id": entry_id(), "type": step, "unit": unit, "by": of_id, "at": now_ms()})
        assert officer.sync(name).status_code == 200
        wait_for(lambda s=step: reply().get("stage") == s, what=step)
        assert reply()["status"] == status
    assert dispatcher.pull(name).status_code == 200
    dispatcher.append(name, "dispatch", {"id": entry_id(), "action": "close", "outcome": "handled", "by": dp_id, "at": now_ms()})
    assert dispatcher.sync(name).status_code == 200
    wait_for(lambda: reply().get("stage") == "closed", what="closed")
    assert reply()["status"] == "done"
