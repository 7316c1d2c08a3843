"""Issue 3 acceptance against the real app, with real Node Yjs clients (`yjs`, stock `y-websocket`
WebsocketProvider over `ws`, and `y-protocols` encoders over HTTP).

A citizen device creates one report over WebSocket and one over HTTP; a dispatcher subscribed to
`inbox/center` before either was sent sees both appear live; an officer of the routed ward sees
them in `inbox/ward-27031`; an officer of another ward and a second citizen device are refused.
The Node scripts live in `tests/interop/` and wait on events with deadlines, never on sleeps.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.settings import Settings

from .conftest import PASSWORD, LiveServer
from .server_checks import rows
from .sync_client import entry_id, now_ms, point_in_ward

pytestmark = pytest.mark.node

INTEROP = Path(__file__).resolve().parent / "interop"
TAN_PHU = 27031  # the routed ward of every report here
PHU_MY = 26704  # another ward


@pytest.fixture(scope="session")
def interop() -> Path:
    """tests/interop with its pinned packages installed (`npm ci` once, if missing)."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("node and npm are needed for the interop tests")
    if not (INTEROP / "node_modules" / "y-websocket").is_dir():
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund"],
            cwd=INTEROP, check=True, capture_output=True, timeout=300,
        )
    return INTEROP


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.with_(triage_timeout_s=3600, ack_timeout_s=3600)


# -- clients ---------------------------------------------------------------------------------------
def device_token(server: LiveServer) -> str:
    r = httpx.post(f"{server.url}/api/citizen/devices")
    assert r.status_code in (200, 201), r.text
    return str(r.json()["token"])


def police(server: LiveServer, role: str, unit: str | None = None) -> tuple[str, str]:
    """A new account of `role`; returns (bearer token, user id)."""
    username = f"{role[:2]}-{uuid.uuid4().hex[:8]}"
    server.svc.accounts.create_sync(username, PASSWORD, role, unit)
    r = httpx.post(f"{server.url}/api/auth/login", json={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return str(r.json()["token"]), str(r.json()["user"]["id"])


def last_json(stdout: str) -> dict[str, Any]:
    lines = [line for line in stdout.strip().splitlines() if line.strip()]
    assert lines, "the script printed nothing"
    return dict(json.loads(lines[-1]))


def node(interop: Path, script: str, args: dict[str, Any], timeout: float = 40) -> dict[str, Any]:
    proc = subprocess.run(
        ["node", script, json.dumps(args)],
        cwd=interop, capture_output=True, text=True, timeout=timeout, check=False,
    )
    assert proc.returncode == 0, f"{script} failed:\n{proc.stdout}\n{proc.stderr}"
    return last_json(proc.stdout)


def node_all(interop: Path, runs: list[tuple[str, dict[str, Any]]], timeout: float = 40) -> list[dict[str, Any]]:
    """Run several scripts at once (each has its own deadline); results in order."""
    procs = [
        subprocess.Popen(
            ["node", script, json.dumps(args)],
            cwd=interop, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        for script, args in runs
    ]
    results = []
    try:
        for (script, _), proc in zip(runs, procs, strict=True):
            out, err = proc.communicate(timeout=timeout)
            assert proc.returncode == 0, f"{script} failed:\n{out}\n{err}"
            results.append(last_json(out))
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    return results


class Watcher:
    """A stock provider subscribed to a map (watch_map.mjs), read line by line as it reports."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.proc = proc
        self.lines: list[dict[str, Any]] = []

    def next(self) -> dict[str, Any]:
        # The script has its own deadline: on a timeout it prints {"error"} and exits.
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        assert line, f"watcher ended early: {self.proc.stderr.read() if self.proc.stderr else ''}"
        message = dict(json.loads(line))
        assert "error" not in message, message
        self.lines.append(message)
        return message

    def finish(self, timeout: float = 30) -> dict[str, Any]:
        out, err = self.proc.communicate(timeout=timeout)
        assert self.proc.returncode == 0, f"watcher failed:\n{out}\n{err}"
        for line in out.strip().splitlines():
            if line.strip():
                self.lines.append(dict(json.loads(line)))
        return self.lines[-1]

    @property
    def appeared(self) -> list[str]:
        return [m["appeared"] for m in self.lines if "appeared" in m]


@contextmanager
def watching(interop: Path, server: LiveServer, room: str, token: str, keys: list[str]) -> Iterator[Watcher]:
    args = {"server": f"{server.ws_url}/sync", "room": room, "token": token, "root": "incidents", "keys": keys}
    proc = subprocess.Popen(
        ["node", "watch_map.mjs", json.dumps(args)],
        cwd=interop, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        yield Watcher(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()



def report_fields(description: str) -> dict[str, Any]:
    lat, lon = point_in_ward(TAN_PHU)
    return {"category": "crime", "description": description, "lat": lat, "lon": lon, "accuracy": 12.5}


def ws(server: LiveServer) -> str:
    return f"{server.ws_url}/sync"


# -- the acceptance ---------------------------------------------------------------------------------
def test_citizen_reports_reach_the_center_live_and_the_routed_ward_only(
    interop: Path, live_server: LiveServer
) -> None:
    citizen = device_token(live_server)
    stranger = device_token(live_server)
    dispatcher, _ = police(live_server, "dispatcher")
    routed, _ = police(live_server, "officer", f"ward-{TAN_PHU}")
    other_ward, _ = police(live_server, "officer", f"ward-{PHU_MY}")
    by_ws, by_http = str(uuid.uuid4()), str(uuid.uuid4())

    with (
        watching(interop, live_server, "inbox/center", dispatcher, [by_ws, by_http]) as center,
        watching(interop, live_server, f"inbox/ward-{TAN_PHU}", routed, [by_ws, by_http]) as ward,
    ):
        # Both subscribed and synced before anything is sent.
        assert center.next() == {"ready": True, "present": []}
        assert ward.next() == {"ready": True, "present": []}

        sent_ws = node(interop, "report_ws.mjs", {
            "server": ws(live_server), "id": by_ws, "token": citizen,
            "report": report_fields("Cướp giật điện thoại (WebSocket)"), "replyStatus": "delivered",
        })
        assert center.next()["appeared"] == by_ws  # live, before the second report exists
        sent_http = node(interop, "report_post.mjs", {
            "url": f"{live_server.url}/sync/report/{by_http}", "token": citizen,
            "report": report_fields("Cướp giật điện thoại (HTTP)"),
        })
        center.finish()
        ward.finish()

    # What the citizen's clients saw: the report served back, the reply, the idempotent retry.
    assert sent_ws["report"]["description"] == "Cướp giật điện thoại (WebSocket)"
    assert sent_ws["reply"]["status"] == "delivered"
    assert sent_http["statuses"] == [200, 200]
    assert sent_http["report"]["description"] == "Cướp giật điện thoại (HTTP)"
    assert sent_http["report"]["media"] == [] and sent_http["report"]["messages"] == []

    # The dispatcher saw each report appear live, and so did the routed ward's officer.
    assert center.appeared == [by_ws, by_http]
    assert sorted(ward.appeared) == sorted([by_ws, by_http])
    for watcher in (center, ward):
        seen = watcher.lines[-1]["seen"]
        for report_id, how in ((by_ws, "WebSocket"), (by_http, "HTTP")):
            entry = seen[report_id]
            assert entry["id"] == report_id and entry["status"] == "new"
            assert entry["ward_code"] == TAN_PHU and entry["category"] == "crime"
            assert entry["summary"] == f"Cướp giật điện thoại ({how})"

    # Rows: each report once, routed to the ward, owned by the device, stored once (retry = no-op).
    for report_id in (by_ws, by_http):
        report = rows(live_server, "SELECT * FROM reports WHERE id = ?", report_id)
        assert len(report) == 1 and report[0]["ward_code"] == TAN_PHU
        assert rows(live_server, "SELECT last_seq FROM sync_documents WHERE name = ?", f"report/{report_id}") == [{"last_seq": 1}]
    assert len({r["device_id"] for r in rows(live_server, "SELECT device_id FROM reports")}) == 1
    assert not rows(live_server, "SELECT 1 FROM inbox_entries WHERE unit = ?", f"ward-{PHU_MY}")

    # Refusals: the other ward's officer and the second device, over WebSocket and HTTP.
    refusals = [
        (stranger, f"report/{by_ws}"),
        (stranger, f"report/{by_http}"),
        (stranger, f"reply/{by_ws}"),
        (other_ward, f"report/{by_ws}"),
        (other_ward, f"incident/{by_ws}"),
        (other_ward, f"reply/{by_ws}"),
        (other_ward, f"inbox/ward-{TAN_PHU}"),
    ]
    runs: list[tuple[str, dict[str, Any]]] = []
    for token, room in refusals:
        runs.append(("denied.mjs", {"server": ws(live_server), "room": room, "token": token}))
        runs.append(("post.mjs", {"url": f"{live_server.url}/sync/{room}", "token": token}))
    results = node_all(interop, runs)
    for (_, room), over_ws, over_http in zip(refusals, results[::2], results[1::2], strict=True):
        assert over_ws["code"] == 4403, (room, over_ws)
        assert any("Permission denied" in w and room in w for w in over_ws["warnings"]), (room, over_ws)
        assert over_ws["shouldConnect"] is False  # a stock client stops retrying a 44xx close
        assert over_http["status"] == 403, (room, over_http)
        assert over_http["error"]["error"] == "forbidden" and room in over_http["error"]["message"]

    # ...while those with access read the same documents.
    allowed = [
        (citizen, f"report/{by_http}"),
        (routed, f"report/{by_ws}"),
        (routed, f"incident/{by_ws}"),
        (dispatcher, f"incident/{by_http}"),
        (other_ward, f"inbox/ward-{PHU_MY}"),
    ]
    for (_, room), answer in zip(allowed, node_all(interop, [
        ("post.mjs", {"url": f"{live_server.url}/sync/{room}", "token": token}) for token, room in allowed
    ]), strict=True):
        assert answer["status"] == 200, (room, answer)


def test_police_write_the_incident_with_stock_providers_and_the_server_holds_the_rules(
    interop: Path, live_server: LiveServer
) -> None:
    citizen = device_token(live_server)
    dispatcher, dispatcher_id = police(live_server, "dispatcher")
    officer, officer_id = police(live_server, "officer", f"ward-{TAN_PHU}")
    report_id = str(uuid.uuid4())
    sent = node(interop, "report_post.mjs", {
        "url": f"{live_server.url}/sync/report/{report_id}", "token": citizen,
        "report": report_fields("Cháy nhà"),
    })
    assert sent["status"] == 200
    room = f"incident/{report_id}"
    common = {"server": ws(live_server), "room": room}

    # The dispatcher dispatches the routed ward; its officer acknowledges (both kept).
    dispatch = {"id": entry_id(), "action": "dispatch", "unit": f"ward-{TAN_PHU}", "by": dispatcher_id, "at": now_ms()}
    kept = node(interop, "log_append.mjs", {**common, "token": dispatcher, "log": "dispatch", "entry": dispatch, "expect": "kept"})
    assert [e["action"] for e in kept["log"]] == ["created", "dispatch"]
    ack = {"id": entry_id(), "type": "acknowledged", "unit": f"ward-{TAN_PHU}", "by": officer_id, "at": now_ms()}
    kept = node(interop, "log_append.mjs", {**common, "token": officer, "log": "timeline", "entry": ack, "expect": "kept"})
    assert [e["type"] for e in kept["log"]] == ["created", "acknowledged"]
    assignment = rows(live_server, "SELECT * FROM assignments WHERE incident_id = ?", report_id)
    assert len(assignment) == 1 and assignment[0]["acknowledged_at"] is not None
    assert rows(live_server, "SELECT status FROM incidents WHERE id = ?", report_id) == [{"status": "acknowledged"}]
    seq = rows(live_server, "SELECT last_seq FROM sync_documents WHERE name = ?", room)

    # The officer tries to triage: the stock client gets the permission-denied reason and a 4422.
    triage = {"id": entry_id(), "action": "verify", "category": "fire", "priority": 1, "by": officer_id, "at": now_ms()}
    refused = node(interop, "log_append.mjs", {**common, "token": officer, "log": "dispatch", "entry": triage, "expect": "refused"})
    assert refused["code"] == 4422 and refused["shouldConnect"] is False
    assert any("only a dispatcher triages" in w for w in refused["warnings"]), refused
    # Nothing of it was kept.
    assert rows(live_server, "SELECT last_seq FROM sync_documents WHERE name = ?", room) == seq
    assert not rows(live_server, "SELECT 1 FROM timeline_events WHERE entry_id = ?", triage["id"])
    assert rows(live_server, "SELECT status FROM incidents WHERE id = ?", report_id) == [{"status": "acknowledged"}]

    # A report whose description is 4,001 characters is refused over HTTP, whole.
    too_long = str(uuid.uuid4())
    answer = node(interop, "report_post.mjs", {
        "url": f"{live_server.url}/sync/report/{too_long}", "token": citizen,
        "report": report_fields("x" * 4001),
    })
    assert answer["status"] == 422 and "4001" in answer["error"]["message"]
    assert not rows(live_server, "SELECT 1 FROM sync_documents WHERE name = ?", f"report/{too_long}")
    assert not rows(live_server, "SELECT 1 FROM reports WHERE id = ?", too_long)
