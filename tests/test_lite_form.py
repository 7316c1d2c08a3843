"""The script-less first paint of `/` (issue 23, DESIGN.md "First paint without JavaScript"), over
plain HTTP: the page's HTML alone can call 113 and report; the report takes every channel's path
(channel web-lite); the status page is the sending phone's only; one form makes one report however
often it is sent; refusals are HTML pages in Vietnamese that keep what was typed, never a 500.
The browser side (no script at all, the app taking over, a slow link) is tests/test_lite_browser.py."""

from __future__ import annotations

import base64
import hashlib
import re
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from app.services import Services
from app.settings import Settings

from .conftest import LiveServer
from .server_checks import doc_json, rows, wait_for

TAN_PHU = 27031


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.with_(triage_timeout_s=3600, ack_timeout_s=3600)


def form_id(html: str) -> str:
    found = re.search(r'<input type="hidden" name="form_id" value="([A-Za-z0-9_-]+)">', html)
    assert found, "no form id in the page"
    return found.group(1)


def fields(html: str, **values: str) -> dict[str, str]:
    return {"category": "fire", "description": "Cháy nhà kho đầu hẻm 12", "ward": str(TAN_PHU),
            "form_id": form_id(html), **values}


def post(client: TestClient, data: dict[str, Any], **headers: str) -> httpx.Response:
    return client.post("/", data=data, headers=headers, follow_redirects=False)


def notice(html: str) -> str:
    found = re.search(r'<div class="lite-notice" role="alert"><h2>[^<]*</h2><p>([^<]*)</p>', html)
    return found.group(1) if found else ""


def test_the_html_of_slash_alone_calls_and_reports(client: TestClient) -> None:
    r = client.get("/")
    html = r.text
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
    for number in ("113", "114", "115"):
        assert f'<a href="tel:{number}">' in html
    assert html.count("<form ") == 1 and '<form method="post" action="/"' in html
    assert re.findall(r'<input type="radio" name="category" value="(\w+)"', html) == [
        "crime", "traffic", "fire", "other"]
    assert re.search(r'<label class="lite-choice"><input type="radio" name="category" value="fire" '
                     r'required>Cháy nổ</label>', html)
    assert '<textarea id="lite-description" name="description"' in html
    wards = dict(re.findall(r'<option value="(\d+)">([^<]+)</option>', html))
    assert wards[str(TAN_PHU)] == "Phường Tân Phú"
    assert '<option value="">Không biết</option>' in html
    assert '<button class="lite-send" type="submit">Gửi tin báo</button>' in html
    assert "__SOS_" not in html and "<!--sos:" not in html
    # Every answer its own form: a double tap is told apart from a second report.
    assert form_id(html) != form_id(client.get("/").text)
    # The one inline style is allowed by its hash, nothing else inline.
    style = re.search(r"<style>(.*?)</style>", html, re.S)
    assert style and html.count("<style>") == 1
    digest = base64.b64encode(hashlib.sha256(style.group(1).encode()).digest()).decode()
    assert f"style-src 'self' 'sha256-{digest}';" in r.headers["content-security-policy"]
    assert "unsafe-inline" not in r.headers["content-security-policy"]
    # The app's stylesheet comes after the content: it must not hold back the first paint.
    head = html.split("</head>")[0]
    assert 'rel="stylesheet"' not in head and re.search(r'<link rel="stylesheet" href="/assets/[^"]+\.css">\s*</body>', html)


def test_a_form_post_is_a_report_routed_like_any_other(live_server: LiveServer) -> None:
    with httpx.Client(base_url=live_server.url) as c:
        page = c.get("/").text
        r = c.post("/", data=fields(page), follow_redirects=False)
        assert r.status_code == 303, r.text
        location = r.headers["location"]
        report_id = location.rsplit("/", 1)[1]
        assert location == f"/lite/reports/{report_id}"
        cookie = r.headers["set-cookie"]
        assert cookie.startswith("sos_device=") and "HttpOnly" in cookie and "SameSite=lax" in cookie
        assert "Secure" not in cookie  # plain http here; see the https test below
        status = c.get(location)
        assert status.status_code == 200 and status.headers["cache-control"] == "no-store"
        assert "Tin báo đã đến Trung tâm chỉ huy" in status.text and "Cháy nổ" in status.text
        assert '<a href="tel:113">' in status.text and '<a href="/">Báo sự việc khác</a>' in status.text

    incident = rows(live_server, "SELECT * FROM incidents WHERE id = ?", report_id)[0]
    assert incident["channel"] == "web-lite" and incident["ward_code"] == TAN_PHU
    assert incident["status"] == "new" and incident["priority"] == 1
    report = rows(live_server, "SELECT * FROM reports WHERE id = ?", report_id)[0]
    assert report["description"] == "Cháy nhà kho đầu hẻm 12" and report["location_approximate"] == 1
    device = report["device_id"]
    assert rows(live_server, "SELECT id FROM devices WHERE id = ?", device)
    for inbox in ("inbox/center", f"inbox/ward-{TAN_PHU}", "inbox/dept-fire"):
        listed = wait_for(lambda inbox=inbox: doc_json(live_server, inbox, "incidents").get(report_id), what=inbox)
        assert listed["channel"] == "web-lite" and listed["status"] == "new"
    assert wait_for(lambda: doc_json(live_server, f"reply/{report_id}", "reply"), what="the reply document")
    assert rows(live_server, "SELECT topic FROM outbox WHERE key = ?", f"push.new_report:{report_id}")
    audit = rows(live_server, "SELECT actor_kind, actor_id FROM audit_log WHERE action = 'report.intake'")
    assert audit == [{"actor_kind": "device", "actor_id": device}]

    # Only the phone that sent it reads its status: another phone, or none, finds nothing.
    with httpx.Client(base_url=live_server.url) as other:
        assert other.get(location).status_code == 404
        other.post("/", data=fields(other.get("/").text, category="crime"))
        r = other.get(location)
        assert r.status_code == 404 and "Không tìm thấy tin báo này" in r.text


def test_a_double_tap_makes_one_report(client: TestClient) -> None:
    page = client.get("/").text
    first = post(client, fields(page))
    # The second tap: the same form, before or after the first answer.
    again = post(client, fields(page))
    assert first.status_code == again.status_code == 303
    assert first.headers["location"] == again.headers["location"]
    assert again.headers["set-cookie"].split(";")[0] == first.headers["set-cookie"].split(";")[0]
    count = client.app.state.services.db.read_sync(  # type: ignore[attr-defined]
        lambda c: c.execute("SELECT count(*) FROM incidents WHERE channel = 'web-lite'").fetchone()[0])
    assert count == 1
    # A new visit of "/" is a new form: a second report.
    assert post(client, fields(client.get("/").text)).headers["location"] != first.headers["location"]


def test_two_taps_at_once_make_one_report(live_server: LiveServer) -> None:
    page = httpx.get(live_server.url + "/").text
    data = fields(page)

    def tap(_: int) -> httpx.Response:
        return httpx.post(live_server.url + "/", data=data, follow_redirects=False)

    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(tap, range(4)))
    assert {a.status_code for a in answers} == {303}
    assert len({a.headers["location"] for a in answers}) == 1
    assert rows(live_server, "SELECT count(*) AS n FROM incidents WHERE channel = 'web-lite'") == [{"n": 1}]
    # Each answer's cookie is the device that owns the one report: every tap can read it.
    owner = rows(live_server, "SELECT device_id FROM reports")[0]["device_id"]
    for answer in answers:
        status = httpx.get(live_server.url + answer.headers["location"],
                           cookies={"sos_device": answer.cookies["sos_device"]})
        assert status.status_code == 200, owner


def test_the_same_phone_keeps_its_device(client: TestClient, svc: Services) -> None:
    first = post(client, fields(client.get("/").text))
    second = post(client, fields(client.get("/").text, category="traffic"))  # the cookie goes along
    devices = svc.db.read_sync(lambda c: [r[0] for r in c.execute("SELECT DISTINCT device_id FROM reports")])
    assert len(devices) == 1
    assert client.get(first.headers["location"]).status_code == 200
    assert client.get(second.headers["location"]).status_code == 200


@pytest.mark.parametrize(
    ("change", "status", "message"),
    [
        ({"category": "weather"}, 422, "Hãy chọn loại sự việc."),
        ({"description": "x" * 4001}, 422, "Mô tả dài 4001 ký tự, quá giới hạn 4000."),
        ({"ward": "99999999"}, 422, "Không tìm thấy phường, xã này."),
        ({"ward": "²"}, 422, "Không tìm thấy phường, xã này."),
    ],
)
def test_a_refusal_shows_the_form_again_with_what_was_typed(
    client: TestClient, change: dict[str, str], status: int, message: str
) -> None:
    page = client.get("/").text
    data = fields(page, **change)
    r = post(client, data)
    assert r.status_code == status and r.headers["content-type"] == "text/html; charset=utf-8"
    assert notice(r.text).startswith(message)
    assert form_id(r.text) == data["form_id"]  # nothing was made: the same form goes on
    if data["description"].strip():
        assert f">{data['description']}</textarea>" in r.text
    if data["category"] == "fire":
        assert 'value="fire" checked' in r.text
    assert "set-cookie" not in r.headers
    assert client.app.state.services.db.read_sync(  # type: ignore[attr-defined]
        lambda c: c.execute("SELECT count(*) FROM incidents").fetchone()[0]) == 0


def test_the_category_alone_is_a_report(client: TestClient, svc: Services) -> None:
    """As in the app: a person who can only tap "Cháy" and send has reported a fire."""
    r = post(client, fields(client.get("/").text, description="   "))
    assert r.status_code == 303
    assert svc.db.read_sync(lambda c: c.execute("SELECT category FROM incidents").fetchall()[0][0]) == "fire"


def test_typed_text_is_escaped_when_shown_again(client: TestClient) -> None:
    r = post(client, fields(client.get("/").text, category="", description='</textarea><b>"x"'))
    assert r.status_code == 422
    assert ">&lt;/textarea&gt;&lt;b&gt;&quot;x&quot;</textarea>" in r.text and '<b>"x"' not in r.text


def test_a_post_from_another_site_is_refused(client: TestClient) -> None:
    page = client.get("/").text
    r = post(client, fields(page), origin="https://evil.example")
    assert r.status_code == 403 and "không đến từ trang SOS ANTT" in notice(r.text)
    assert "Cháy nhà kho đầu hẻm 12</textarea>" in r.text
    assert post(client, fields(page), origin="null").status_code == 403
    assert post(client, fields(page), origin="http://testserver").status_code == 303
    # Behind a TLS proxy the page's origin is https while the server may see http: same host.
    assert post(client, fields(client.get("/").text), origin="https://testserver").status_code == 303


def test_not_a_form_is_refused_in_html(client: TestClient) -> None:
    r = client.post("/", content=b'{"category": "fire"}', headers={"content-type": "application/json"})
    assert r.status_code == 415 and "Không đọc được biểu mẫu" in notice(r.text)
    r = client.post("/", content=b"category=fire&description=%ff", headers={
        "content-type": "application/x-www-form-urlencoded"})
    assert r.status_code == 400
    r = client.post("/", content=b"category=fire&description=a%00b", headers={
        "content-type": "application/x-www-form-urlencoded"})
    assert r.status_code == 400


class TestRateLimit:
    @pytest.fixture
    def settings(self, settings: Settings) -> Settings:
        return settings.with_(reports_per_device_per_hour=1)

    def test_too_many_reports_is_a_429_page(self, client: TestClient) -> None:
        assert post(client, fields(client.get("/").text)).status_code == 303
        r = post(client, fields(client.get("/").text, description="Lại cháy"))
        assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
        assert "Có quá nhiều tin báo" in notice(r.text) and "Lại cháy</textarea>" in r.text


def test_the_cookie_is_secure_over_https(settings: Settings, svc: Services) -> None:
    from app.main import create_app

    with TestClient(create_app(settings, svc), base_url="https://sos.example") as c:
        r = c.post("/", data=fields(c.get("/").text), follow_redirects=False)
        assert r.status_code == 303 and "Secure" in r.headers["set-cookie"]


def test_the_status_page_follows_the_incident(client: TestClient, svc: Services) -> None:
    location = post(client, fields(client.get("/").text)).headers["location"]
    report_id = location.rsplit("/", 1)[1]
    for status, words in [("triaged", "Công an đã tiếp nhận"), ("on_scene", "Công an đang xử lý"),
                          ("resolved", "Sự việc đã được xử lý")]:
        svc.db.write_sync(lambda tx, s=status: tx.execute("UPDATE incidents SET status = ? WHERE id = ?", (s, report_id)))
        assert words in client.get(location).text
    svc.db.write_sync(lambda tx: tx.execute(
        "UPDATE incidents SET status = 'rejected', rejected_reason = 'spam' WHERE id = ?", (report_id,)))
    assert "Tin báo này không được xử lý. Lý do: tin báo rác hoặc quấy rối." in client.get(location).text


def test_statistics_count_web_lite_reports_as_their_own_channel(live_server: LiveServer) -> None:
    from .server_checks import bearer_for

    auth = bearer_for(live_server, "dp.lite", "dispatcher")
    with httpx.Client(base_url=live_server.url, follow_redirects=True) as phone:
        assert phone.post("/", data=fields(phone.get("/").text)).status_code == 200  # the status page
    incident = rows(live_server, "SELECT id FROM incidents WHERE channel = 'web-lite'")
    assert len(incident) == 1

    def total(channel: str) -> int:
        r = httpx.get(f"{live_server.url}/api/stats/series", params={"channel": channel}, headers=auth)
        assert r.status_code == 200, r.text
        return sum(row["total"] for row in r.json()["rows"])

    assert (total("web-lite"), total("app"), total("partner")) == (1, 0, 0)
    geo = httpx.get(f"{live_server.url}/api/stats/incidents.geojson", params={"channel": "web-lite"}, headers=auth)
    assert [f["properties"]["channel"] for f in geo.json()["features"]] == ["web-lite"]
