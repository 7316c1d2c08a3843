"""The GIS export: the statistics' filters, a GeoJSON FeatureCollection a standard reader opens,
and nothing of what a citizen wrote or gave."""

from __future__ import annotations

import json
import time

import httpx
import pytest
from pycrdt import Map
from shapely.geometry import Point, shape

from app.settings import Settings

from .conftest import LiveServer
from .server_checks import bearer_for, rows
from .sync_client import SyncClient, point_in_ward

TAN_PHU = 27031
PHU_MY = 26704
SECRET_TEXT = "Nguyễn Văn A ở số 12 bị cướp"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.with_(triage_timeout_s=3600, ack_timeout_s=3600)


def report(server: LiveServer, category: str, ward: int) -> tuple[str, str]:
    token = httpx.post(f"{server.url}/api/citizen/devices").json()["token"]
    httpx.put(f"{server.url}/api/citizen/devices/me", json={"name": "Trần Thị B", "phone": "0987 654 321"},
              headers={"Authorization": f"Bearer {token}"})
    citizen = SyncClient(server.url, token)
    report_id = citizen.new_report(category, description=SECRET_TEXT, where=point_in_ward(ward))
    citizen.doc(f"report/{report_id}").get("report", type=Map)["contact"] = {"name": "Trần Thị B", "phone": "0987 654 321"}
    assert citizen.sync(f"report/{report_id}").status_code == 200
    device = rows(server, "SELECT device_id FROM reports WHERE id = ?", report_id)[0]["device_id"]
    return report_id, device


def test_the_export_opens_with_shapely_and_holds_no_personal_data(live_server: LiveServer) -> None:
    crime_id, device = report(live_server, "crime", TAN_PHU)
    traffic_id, _ = report(live_server, "traffic", PHU_MY)
    assert rows(live_server, "SELECT contact_phone FROM reports WHERE id = ?", crime_id)[0]["contact_phone"]
    headers = bearer_for(live_server, "sup", "supervisor")
    r = httpx.get(f"{live_server.url}/api/stats/incidents.geojson", headers=headers)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/geo+json")
    assert 'filename="sos-incidents-' in r.headers["content-disposition"]

    data = json.loads(r.content)
    assert data["type"] == "FeatureCollection" and data["total"] == 2
    by_id = {f["id"]: f for f in data["features"]}
    assert set(by_id) == {crime_id, traffic_id}
    for feature in data["features"]:
        geometry = shape(feature["geometry"])  # the standard reader of the stack
        assert geometry.geom_type == "Point" and geometry.is_valid
    lat, lon = point_in_ward(TAN_PHU)
    assert shape(by_id[crime_id]["geometry"]).distance(Point(lon, lat)) < 1e-5  # longitude first
    props = by_id[crime_id]["properties"]
    assert props["category"] == "crime" and props["priority"] == 1 and props["status"] == "new"
    assert props["ward_code"] == TAN_PHU and props["ward_name"] and props["channel"] == "app"
    assert props["arrived_at"] and props["dispatched_at"] is None and props["dispatch_s"] is None
    # No citizen's personal data anywhere in the file.
    for secret in (SECRET_TEXT, "Trần Thị B", "0987 654 321", device, "description", "contact"):
        assert secret not in r.text

    audit = rows(live_server, "SELECT actor_role, target FROM audit_log WHERE action = 'stats.export'")
    assert audit == [{"actor_role": "supervisor", "target": "stats/incidents.geojson"}]


def test_the_statistics_filters_apply(live_server: LiveServer) -> None:
    crime_id, _ = report(live_server, "crime", TAN_PHU)
    report(live_server, "traffic", PHU_MY)
    headers = bearer_for(live_server, "disp", "dispatcher")

    def ids(**params: str) -> list[str]:
        r = httpx.get(f"{live_server.url}/api/stats/incidents.geojson", params=params, headers=headers)
        assert r.status_code == 200, r.text
        return [f["id"] for f in r.json()["features"]]

    assert ids(ward=str(TAN_PHU)) == [crime_id]
    assert ids(category="crime") == [crime_id]
    assert ids(category="fire") == []
    assert ids(**{"from": "2020-01-01", "to": "2020-01-31"}) == []
    today = time.strftime("%Y-%m-%d", time.gmtime(time.time() + 7 * 3600))
    assert len(ids(**{"from": today})) == 2
    r = httpx.get(f"{live_server.url}/api/stats/incidents.geojson", params={"ward": "abc"}, headers=headers)
    assert r.status_code == 422 and r.json()["error"] == "invalid"


def test_officers_citizens_and_strangers_are_refused(live_server: LiveServer) -> None:
    url = f"{live_server.url}/api/stats/incidents.geojson"
    assert httpx.get(url).status_code == 401
    officer = httpx.get(url, headers=bearer_for(live_server, "off", "officer", f"ward-{TAN_PHU}"))
    assert officer.status_code == 403 and officer.json()["error"] == "forbidden"
    token = httpx.post(f"{live_server.url}/api/citizen/devices").json()["token"]
    assert httpx.get(url, headers={"Authorization": f"Bearer {token}"}).status_code == 403
    assert httpx.get(url, headers=bearer_for(live_server, "adm", "admin")).status_code == 200
