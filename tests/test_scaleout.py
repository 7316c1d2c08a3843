"""Issue 14: several `sos serve` processes on one PostgreSQL, none special.

Real processes (tests/cluster.py), a real PostgreSQL (tests/pg.py), real Node Yjs clients (stock
y-websocket providers, tests/interop/): a report created over HTTP on A reaches a subscriber of
`inbox/center` on B; an officer's entry written on B reaches a console subscribed on A; two
processes writing one incident at once both succeed and converge.
"""

from __future__ import annotations

import json
import subprocess
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from .cluster import Cluster, ServerProcess, running
from .pg import PostgresServer
from .server_checks import wait_for
from .sync_client import SyncClient, entry_id, now_ms, point_in_ward
from .test_domain_interop import interop, last_json, node, report_fields, watching

pytestmark = [pytest.mark.node, pytest.mark.multiprocess]

TAN_PHU = 27031
__all__ = ["interop"]  # the fixture, shared with test_domain_interop


@pytest.fixture
def cluster(postgres: PostgresServer, tmp_path: Path) -> Iterator[Cluster]:
    with running(postgres, tmp_path) as c:
        yield c


def device_token(server: ServerProcess) -> str:
    r = httpx.post(f"{server.url}/api/citizen/devices")
    assert r.status_code in (200, 201), r.text
    return str(r.json()["token"])


def new_incident(cluster: Cluster, via: ServerProcess) -> str:
    """A citizen's report sent to `via`; returns its id once its incident exists."""
    citizen = SyncClient(via.url, device_token(via))
    report_id = citizen.new_report("crime", where=point_in_ward(TAN_PHU))
    assert citizen.sync(f"report/{report_id}").status_code == 200
    wait_for(lambda: cluster.rows("SELECT id FROM incidents WHERE id = ?", report_id), what="incident")
    return report_id


def dispatch(cluster: Cluster, via: ServerProcess, report_id: str, unit: str) -> tuple[str, str]:
    """A dispatcher on `via` sends `unit`; returns the dispatcher's (token, user id)."""
    token, user_id = cluster.login("dispatcher", via=via)
    client, name = SyncClient(via.url, token), f"incident/{report_id}"
    wait_for(lambda: client.pull(name).status_code == 200 and client.json(name, "incident").get("info"), what="incident doc")
    client.append(name, "dispatch", {"id": entry_id(), "action": "dispatch", "unit": unit, "by": user_id, "at": now_ms()})
    r = client.sync(name)
    assert r.status_code == 200, r.text
    return token, user_id


def test_a_report_made_on_one_process_reaches_live_subscribers_on_another(
    interop: Path, cluster: Cluster
) -> None:
    a, b = cluster.start(2)
    dispatcher, _ = cluster.login("dispatcher", via=b)
    officer, _ = cluster.login("officer", f"ward-{TAN_PHU}", via=b)
    citizen = device_token(a)
    report_id = str(uuid.uuid4())

    with (
        watching(interop, b, "inbox/center", dispatcher, [report_id]) as center,
        watching(interop, b, f"inbox/ward-{TAN_PHU}", officer, [report_id]) as ward,
    ):
        assert center.next() == {"ready": True, "present": []}
        assert ward.next() == {"ready": True, "present": []}
        sent = node(interop, "report_post.mjs", {
            "url": f"{a.url}/sync/report/{report_id}", "token": citizen,
            "report": report_fields("Cướp giật trên đường (qua A)"),
        })
        assert sent["statuses"] == [200, 200]
        seen = center.finish()["seen"][report_id]
        assert ward.finish()["seen"][report_id]["category"] == "crime"
    assert seen["category"] == "crime"
    # The document rows were written once, through A; B only relayed what A committed.
    assert len(cluster.rows("SELECT id FROM incidents WHERE id = ?", report_id)) == 1
    assert cluster.rows("SELECT count(*) AS n FROM inbox_entries WHERE incident_id = ?", report_id)[0]["n"] >= 2


def test_an_officers_entry_written_on_b_reaches_a_console_on_a(interop: Path, cluster: Cluster) -> None:
    a, b = cluster.start(2)
    report_id = new_incident(cluster, a)
    name = f"incident/{report_id}"
    console, dp_id = dispatch(cluster, a, report_id, f"ward-{TAN_PHU}")
    officer_token, of_id = cluster.login("officer", f"ward-{TAN_PHU}", via=b)
    officer = SyncClient(b.url, officer_token)
    assert officer.pull(name).status_code == 200
    entry = entry_id()

    args = {"server": f"{a.ws_url}/sync", "room": name, "token": console, "log": "timeline", "ids": [entry]}
    proc = subprocess.Popen(
        ["node", "watch_log.mjs", json.dumps(args)], cwd=interop,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert proc.stdout is not None
        assert json.loads(proc.stdout.readline()) == {"ready": True}
        officer.append(name, "timeline", {
            "id": entry, "type": "note", "note": "Đã tới nơi, đang xác minh", "unit": f"ward-{TAN_PHU}",
            "by": of_id, "at": now_ms(),
        })
        r = officer.sync(name)
        assert r.status_code == 200, r.text
        out, err = proc.communicate(timeout=30)
        assert proc.returncode == 0, out + err
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert last_json(out) == {"seen": [entry]}
    assert dp_id


def test_two_processes_writing_one_incident_at_once_converge(cluster: Cluster) -> None:
    a, b = cluster.start(2)
    report_id = new_incident(cluster, a)
    name = f"incident/{report_id}"
    dispatch(cluster, b, report_id, f"ward-{TAN_PHU}")
    writers: list[tuple[SyncClient, str]] = []
    for server in (a, b):
        token, user_id = cluster.login("officer", f"ward-{TAN_PHU}", via=server)
        writers.append((SyncClient(server.url, token), user_id))
    for client, _ in writers:
        assert client.pull(name).status_code == 200
    statuses: list[int] = []
    ids: list[str] = []
    lock = threading.Lock()

    def write(client: SyncClient, user_id: str) -> None:
        for _ in range(8):
            entry = entry_id()
            client.append(name, "timeline", {
                "id": entry, "type": "note", "note": f"ghi chú {entry}", "unit": f"ward-{TAN_PHU}",
                "by": user_id, "at": now_ms(),
            })
            status = client.sync(name).status_code
            with lock:
                statuses.append(status)
                ids.append(entry)

    threads = [threading.Thread(target=write, args=w) for w in writers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert statuses == [200] * 16  # nothing refused: each was judged again on the newer state
    # Both processes hold the same document, with every entry, and the projection has each once.
    copies: list[list[Any]] = []
    for server in (a, b):
        reader = SyncClient(server.url, writers[0][0].token)
        assert reader.pull(name).status_code == 200
        copies.append(sorted(e["id"] for e in reader.json(name, "incident")["timeline"] if e["id"] in ids))
    assert copies[0] == copies[1] == sorted(ids)
    stored = cluster.rows("SELECT entry_id FROM timeline_events WHERE incident_id = ? AND log = 'timeline'", report_id)
    assert sorted(r["entry_id"] for r in stored if r["entry_id"] in ids) == sorted(ids)


def test_sessions_lockouts_and_rate_limits_hold_across_processes(cluster: Cluster) -> None:
    a, b = cluster.start(2)
    token, _ = cluster.login("dispatcher", via=a)
    me = {"Authorization": f"Bearer {token}"}
    assert httpx.get(f"{b.url}/api/auth/me", headers=me).status_code == 200  # signed in on A, known on B
    assert httpx.post(f"{b.url}/api/auth/logout", headers=me).status_code == 204
    assert httpx.get(f"{a.url}/api/auth/me", headers=me).status_code == 401  # signed out on B, gone on A

    # Failed sign-ins spread over both processes count against one account.
    cluster.sos("user", "add", "target", "--role", "dispatcher", "--password-stdin", stdin="right password\n")
    statuses = [
        httpx.post(f"{server.url}/api/auth/login", json={"username": "target", "password": "wrong"}).status_code
        for server in (a, b) * 4
    ]
    assert statuses[:6] == [401] * 6 and set(statuses[6:]) == {429}
    r = httpx.post(f"{a.url}/api/auth/login", json={"username": "target", "password": "right password"})
    assert r.status_code == 429, r.text  # locked everywhere, even with the right password

    # One device's hourly report budget is one budget, whichever process its reports reach.
    device = device_token(a)
    sent = []
    for i in range(12):
        server = (a, b)[i % 2]
        client = SyncClient(server.url, device)
        report_id = client.new_report("other", where=point_in_ward(TAN_PHU))
        sent.append(client.sync(f"report/{report_id}").status_code)
    assert sent[:10] == [200] * 10 and set(sent[10:]) == {429}


def test_an_upload_begun_on_one_process_finishes_on_another_and_is_served_by_both(
    cluster: Cluster, tmp_path: Path
) -> None:
    from .media.files import jpeg
    from .media.helpers import create, patch, wait_media

    a, b = cluster.start(2)
    device = device_token(a)
    on_a, on_b = SyncClient(a.url, device), SyncClient(b.url, device)
    report_id = on_a.new_report("traffic", where=point_in_ward(TAN_PHU))
    assert on_a.sync(f"report/{report_id}").status_code == 200
    data = jpeg(tmp_path / "photo.jpg").read_bytes()
    r = create(on_a, report_id, len(data))
    assert r.status_code == 201, r.text
    location = r.headers["location"]
    half = len(data) // 2
    assert patch(on_a, location, 0, data[:half]).status_code == 204
    r = patch(on_b, location, half, data[half:])  # the phone's next request reached B
    assert r.status_code == 204, r.text
    media_id = location.rsplit("/", 1)[-1]
    meta = wait_media(on_b, media_id)
    assert meta["state"] == "ready", meta
    dispatcher, _ = cluster.login("dispatcher", via=a)
    for server in (a, b):
        got = httpx.get(f"{server.url}/media/{media_id}/original", headers={"Authorization": f"Bearer {dispatcher}"})
        assert got.status_code == 200 and got.content == data, (server.name, got.status_code)
    assert (cluster.root / "shared-media").is_dir()
