"""Phone intake: a dispatcher's report from a call takes the app's path (routing, inboxes, timers)
with channel "phone" and the dispatcher as author; statistics and the GIS export filter by channel."""

from __future__ import annotations

import httpx
import pytest
from shapely.geometry import Point, shape

from app.settings import Settings

from .conftest import LiveServer
from .server_checks import bearer_for, doc_json, rows, wait_for
from .sync_client import SyncClient, point_in_ward

TAN_PHU = 27031
PHU_MY = 26704


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.with_(triage_timeout_s=3600, ack_timeout_s=3600)


def call(server: LiveServer, auth: dict[str, str], **body: object) -> httpx.Response:
    payload = {"category": "fire", "description": "Người gọi báo cháy nhà kho",
               "caller": {"name": "Chị Hoa", "phone": "0912 345 678"}, **body}
    return httpx.post(f"{server.url}/api/incidents/phone", json=payload, headers=auth)


def test_a_call_becomes_an_incident_routed_like_an_app_report(live_server: LiveServer) -> None:
    auth = bearer_for(live_server, "dp1", "dispatcher")
    lat, lon = point_in_ward(TAN_PHU)
    r = call(live_server, auth, lat=lat, lon=lon)
    assert r.status_code == 201, r.text
    incident_id = r.json()["id"]
    assert r.json() == {"id": incident_id, "ward_code": TAN_PHU, "approximate": False}

    incident = rows(live_server, "SELECT * FROM incidents WHERE id = ?", incident_id)[0]
    assert incident["channel"] == "phone" and incident["status"] == "new" and incident["priority"] == 1
    report = rows(live_server, "SELECT * FROM reports WHERE id = ?", incident_id)[0]
    assert report["author"] == "dp1" and report["contact_name"] == "Chị Hoa"
    assert report["contact_phone"] == "0912 345 678" and report["location_approximate"] == 0
    units = {r["unit"] for r in rows(live_server, "SELECT unit FROM incident_units WHERE incident_id = ?", incident_id)}
    assert {"center", f"ward-{TAN_PHU}", "dept-fire"} <= units
    for inbox in ("inbox/center", f"inbox/ward-{TAN_PHU}", "inbox/dept-fire"):
        listed = wait_for(lambda inbox=inbox: doc_json(live_server, inbox, "incidents").get(incident_id), what=inbox)
        assert listed["channel"] == "phone" and listed["status"] == "new"
    info = wait_for(lambda: doc_json(live_server, f"incident/{incident_id}", "incident").get("info"))
    assert info["channel"] == "phone" and info["author"] == "dp1"
    assert rows(live_server, "SELECT topic FROM outbox WHERE key = ?", f"timer.triage:{incident_id}")
    audit = rows(live_server, "SELECT actor_kind, actor_role FROM audit_log WHERE action = 'report.intake'")
    assert audit == [{"actor_kind": "user", "actor_role": "dispatcher"}]

    # Police read it as any report; no citizen can.
    police = SyncClient(live_server.url, auth["Authorization"].split()[1])
    assert police.sync(f"report/{incident_id}").status_code == 200
    assert police.json(f"report/{incident_id}", "report")["description"] == "Người gọi báo cháy nhà kho"
    citizen = SyncClient(live_server.url, httpx.post(f"{live_server.url}/api/citizen/devices").json()["token"])
    assert citizen.sync(f"report/{incident_id}").status_code == 403


def test_a_ward_pick_places_it_at_the_ward_and_flags_it_approximate(live_server: LiveServer) -> None:
    auth = bearer_for(live_server, "dp2", "dispatcher")
    r = call(live_server, auth, ward=PHU_MY, category="crime")
    assert r.status_code == 201, r.text
    assert r.json()["ward_code"] == PHU_MY and r.json()["approximate"] is True
    incident_id = r.json()["id"]
    report = rows(live_server, "SELECT lat, lon, accuracy, location_approximate FROM reports WHERE id = ?", incident_id)[0]
    assert report["location_approximate"] == 1 and report["accuracy"] > 100
    ward = live_server.svc.db.read_sync(lambda c: c.execute("SELECT boundary FROM wards WHERE code = ?", (PHU_MY,)).fetchone()[0])
    import json

    assert shape(json.loads(ward)).contains(Point(report["lon"], report["lat"]))
    info = wait_for(lambda: doc_json(live_server, f"incident/{incident_id}", "incident").get("info"))
    assert info["approximate"] is True


def test_only_dispatchers_take_calls_and_bad_input_is_422(live_server: LiveServer) -> None:
    lat, lon = point_in_ward(TAN_PHU)
    for role, unit in (("officer", f"ward-{TAN_PHU}"), ("supervisor", None), ("admin", None)):
        r = call(live_server, bearer_for(live_server, f"u-{role}", role, unit), lat=lat, lon=lon)
        assert r.status_code == 403, r.text
        assert r.json()["error"] == "forbidden"
    assert httpx.post(f"{live_server.url}/api/incidents/phone", json={}).status_code == 401
    auth = bearer_for(live_server, "dp3", "dispatcher")
    bad = [
        {"lat": 95, "lon": lon},
        {"lat": "north", "lon": lon},
        {},
        {"ward": 99999},
        {"lat": lat, "lon": lon, "category": "noise"},
        {"lat": lat, "lon": lon, "description": "  "},
        {"lat": lat, "lon": lon, "caller": {"phone": "call me"}},
        {"lat": lat, "lon": lon, "description": "x" * 4001},
    ]
    for body in bad:
        r = call(live_server, auth, **body)
        assert r.status_code == 422, (body, r.text)
        assert r.json()["error"] == "invalid" and r.json()["message"]
    assert rows(live_server, "SELECT count(*) AS n FROM incidents")[0]["n"] == 0


def test_statistics_and_the_gis_export_filter_by_channel(live_server: LiveServer) -> None:
    auth = bearer_for(live_server, "dp4", "dispatcher")
    lat, lon = point_in_ward(TAN_PHU)
    phone_id = call(live_server, auth, lat=lat, lon=lon).json()["id"]
    citizen = SyncClient(live_server.url, httpx.post(f"{live_server.url}/api/citizen/devices").json()["token"])
    app_id = citizen.new_report("traffic", where=point_in_ward(PHU_MY))
    assert citizen.sync(f"report/{app_id}").status_code == 200

    def overview_total(channel: str | None) -> int:
        params = {"channel": channel} if channel else {}
        r = httpx.get(f"{live_server.url}/api/stats/series", params=params, headers=auth)
        assert r.status_code == 200, r.text
        return sum(row["total"] for row in r.json()["rows"])

    assert (overview_total(None), overview_total("phone"), overview_total("app"), overview_total("partner")) == (2, 1, 1, 0)
    csv = httpx.get(f"{live_server.url}/api/stats/wards.csv", params={"channel": "phone"}, headers=auth)
    assert csv.status_code == 200 and "Tân Phú" in csv.text and "Phú Mỹ" not in csv.text
    r = httpx.get(f"{live_server.url}/api/stats/series", params={"channel": "fax"}, headers=auth)
    assert r.status_code == 422 and "channel" in r.json()["message"]

    geo = httpx.get(f"{live_server.url}/api/stats/incidents.geojson", params={"channel": "phone"}, headers=auth)
    assert geo.status_code == 200, geo.text
    assert [f["id"] for f in geo.json()["features"]] == [phone_id]
    assert geo.json()["features"][0]["properties"]["channel"] == "phone"
