"""The statistics page filters by channel, and its GIS link downloads the filtered GeoJSON."""

from __future__ import annotations

import json
import re

import httpx
import pytest
from playwright.sync_api import expect
from shapely.geometry import shape

from .conftest import PASSWORD
from .sync_client import SyncClient, point_in_ward
from .test_stats_page import signed_in

pytestmark = pytest.mark.browser
TAN_PHU = 27031
PHU_MY = 26704


def test_the_channel_filter_and_the_geojson_link(live_server, new_context) -> None:
    live_server.svc.accounts.create_sync("tong.dai", PASSWORD, "dispatcher")
    token = httpx.post(f"{live_server.url}/api/auth/login", json={"username": "tong.dai", "password": PASSWORD}).json()["token"]
    lat, lon = point_in_ward(TAN_PHU)
    r = httpx.post(f"{live_server.url}/api/incidents/phone", headers={"Authorization": f"Bearer {token}"},
                   json={"category": "fire", "description": "Cháy nhà", "lat": lat, "lon": lon})
    phone_id = r.json()["id"]
    citizen = SyncClient(live_server.url, httpx.post(f"{live_server.url}/api/citizen/devices").json()["token"])
    app_id = citizen.new_report("crime", where=point_in_ward(PHU_MY))
    assert citizen.sync(f"report/{app_id}").status_code == 200

    page = signed_in(live_server, new_context, "lanh.dao", "supervisor", "/center/stats")
    link = page.locator("a.stats-geojson")
    expect(link).to_be_visible()
    page.get_by_label("Kênh", exact=True).select_option("phone")
    expect(page).to_have_url(re.compile(r"channel=phone"))
    expect(link).to_have_attribute("href", re.compile(r"channel=phone"))
    expect(page.locator(".stats")).to_contain_text("Kênh: Điện thoại")

    answer = page.request.get(live_server.url + link.get_attribute("href"))
    assert answer.status == 200 and answer.headers["content-type"].startswith("application/geo+json")
    features = json.loads(answer.body())["features"]
    assert [f["id"] for f in features] == [phone_id]
    assert shape(features[0]["geometry"]).geom_type == "Point"
