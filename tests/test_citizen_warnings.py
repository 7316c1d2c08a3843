"""Public warnings in the citizen app (issue 24), in a real headless Chromium against the real
server: the list kept offline, the area on the map, the two answers ("Tôi an toàn" counted, queued
while offline; "Cần giúp đỡ" making a report linked to the warning), choosing where (the ward of
where I am found on the phone, chosen wards), and a pushed warning shown as a notice.

Needs a build: `make pwa`. Screenshots (360x640, vi and en) go to /tmp/sos-shots/wcitizen-*.png.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Page, expect

from app.settings import Settings

from .citizen_helpers import tan_phu
from .citizen_warnings_helpers import PHONE, Police, shot
from .conftest import LiveServer
from .server_checks import wait_for
from .test_push_browser import ACTIVATED, NOTIFICATIONS, Worker
from .warnings_helpers import PHU_MY, TAN_PHU

if TYPE_CHECKING:
    from tests.browser import NewContext

pytestmark = pytest.mark.browser
HEADLINE = "Cháy lớn tại chợ Tân Phú"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # No map tiles from the internet (there is none here): the shapes are drawn on a plain grid.
    return settings.with_(triage_timeout_s=3600, ack_timeout_s=3600, tile_url="")


@pytest.fixture
def police(live_server: LiveServer) -> Police:
    return Police(live_server)


def open_warnings(context, url: str, path: str = "/#/warnings") -> Page:
    page = context.new_page()
    page.goto(url + path)
    return page


def test_the_list_shows_offline_and_a_warning_its_area_on_the_map(
    live_server: LiveServer, new_context: NewContext, police: Police, watch_console
) -> None:
    wid = police.publish(headline_en="Big fire at Tan Phu market", instruction_en="Keep away from the market.")
    police.publish(wards="all", category="crime", severity="Moderate", headline="Cảnh giác cuộc gọi giả danh công an",
                   description="Nhiều người nhận cuộc gọi giả danh.", instruction="Không chuyển tiền; gọi 113.")
    context = new_context(viewport=PHONE)
    page = open_warnings(context, live_server.url)
    errors = watch_console(page)
    page.evaluate(ACTIVATED)  # the shell and this chunk are cached: a reload offline works
    item = page.locator(f'[data-warning="{wid}"]')
    expect(item).to_contain_text(HEADLINE)
    expect(item).to_contain_text("Nguy hiểm")  # the level in words, not only a colour
    expect(page.get_by_text("Toàn thành phố")).to_be_visible()
    expect(page.locator(".w-fresh")).to_contain_text("Cập nhật lúc")
    shot(page, "list-vi")

    context.set_offline(True)
    page.reload()
    expect(page.locator(f'[data-warning="{wid}"]')).to_contain_text(HEADLINE)
    expect(page.locator('[data-fresh="offline"]')).to_contain_text("Đang mất mạng")
    context.set_offline(False)

    page.locator(f'[data-warning="{wid}"]').click()
    page.wait_for_url(f"**/#/warnings/{wid}")
    expect(page.locator(".w-instruction")).to_contain_text("Tránh xa khu vực chợ")
    # The ward's shape is drawn from the public boundaries (no tiles configured).
    expect(page.locator('.w-map-box[data-map="ready"] svg path')).to_have_count(1)
    expect(page.get_by_role("img", name=re.compile("Phường Tân Phú"))).to_be_visible()
    shot(page, "warning-vi")
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", name="Big fire at Tan Phu market")).to_be_visible()
    shot(page, "warning-en")
    page.get_by_role("link", name="All warnings").click()
    expect(page.locator(f'[data-warning="{wid}"]')).to_contain_text("Big fire at Tan Phu market")
    shot(page, "list-en")
    assert errors == []


def test_i_am_safe_is_counted_also_when_given_offline(
    live_server: LiveServer, new_context: NewContext, police: Police
) -> None:
    wid = police.publish()
    context = new_context(viewport=PHONE)
    page = open_warnings(context, live_server.url, f"/#/warnings/{wid}")
    expect(page.get_by_role("heading", name=HEADLINE)).to_be_visible()
    context.set_offline(True)
    page.get_by_role("button", name="Tôi an toàn").click()
    expect(page.locator("[data-answer-state]").first).to_have_text("Tôi an toàn: đã lưu, sẽ gửi khi có mạng")
    assert police.seen(wid)["answers"] == {"safe": 0, "need_help": 0}
    context.set_offline(False)
    expect(page.locator("[data-answer-state]").first).to_have_text("Tôi an toàn: đã gửi")
    expect(page.get_by_role("button", name="Tôi an toàn")).to_have_attribute("aria-pressed", "true")
    assert police.seen(wid)["answers"] == {"safe": 1, "need_help": 0}


def test_need_help_opens_a_report_linked_to_the_warning(
    live_server: LiveServer, new_context: NewContext, police: Police
) -> None:
    wid = police.publish()
    context = new_context(viewport=PHONE, geolocation=tan_phu(), permissions=["geolocation"])
    page = open_warnings(context, live_server.url, f"/#/warnings/{wid}")
    page.get_by_role("button", name="Cần giúp đỡ").click()
    page.wait_for_url(re.compile(r"/#/$"))
    expect(page.locator(f'[data-linked-warning="{wid}"]')).to_contain_text(HEADLINE)
    expect(page.get_by_role("radio", name=re.compile("Cháy nổ"))).to_be_checked()  # the warning's category
    expect(page.locator(".location__state")).to_contain_text("±12 m")
    shot(page, "need-help-report-vi")
    page.get_by_role("button", name="Gửi tin báo").click()
    page.wait_for_url("**/#/reports/*")
    report_id = page.url.rsplit("/", 1)[1]

    def linked() -> object:
        return live_server.svc.db.read_sync(
            lambda c: c.execute("SELECT warning, category FROM incidents WHERE id = ?", (report_id,)).fetchone())

    row = wait_for(linked, what="the report on the server")
    assert tuple(row) == (wid, "fire")
    seen = wait_for(lambda: (s := police.seen(wid))["answers"]["need_help"] == 1 and s, what="the answer")
    assert [r["id"] if isinstance(r, dict) else r for r in seen["reports"]][0] == report_id


def test_choosing_where_the_ward_of_where_i_am_found_on_the_phone(
    live_server: LiveServer, new_context: NewContext
) -> None:
    context = new_context(viewport=PHONE, geolocation=tan_phu(), permissions=["geolocation"])
    page = open_warnings(context, live_server.url, "/#/warnings/areas")
    positions: list[str] = []
    page.on("request", lambda r: positions.append(r.url + (r.post_data or "")) if "/api/" in r.url else None)
    expect(page.get_by_text("Vị trí không bao giờ rời khỏi điện thoại", exact=False)).to_be_visible()
    page.get_by_label("Cảnh báo nơi tôi đang ở").check()
    expect(page.locator('[data-where="found"]')).to_have_text("Phường Tân Phú (nơi bạn đang ở)")
    page.get_by_label("Tìm phường để thêm").fill("phu my")  # without the accents
    page.get_by_role("button", name="+ Phường Phú Mỹ").click()
    expect(page.get_by_role("button", name="Bỏ Phường Phú Mỹ")).to_be_visible()
    page.get_by_label("Nhận cả tin diễn tập").check()
    expect(page.locator('[data-areas-state="saved"]')).to_be_visible()

    def stored() -> object:
        wards = live_server.svc.db.read_sync(lambda c: sorted(r[0] for r in c.execute("SELECT ward_code FROM device_areas")))
        prefs = live_server.svc.db.read_sync(lambda c: [r[0] for r in c.execute("SELECT exercises FROM device_warning_prefs")])
        return (wards, prefs) if wards == sorted([TAN_PHU, PHU_MY]) and prefs == [1] else None

    wait_for(stored, what="the wards and the exercise choice on the server")
    lat, lon = tan_phu()["latitude"], tan_phu()["longitude"]
    assert not [u for u in positions if f"{lat}"[:7] in u or f"{lon}"[:7] in u]  # the position never left
    shot(page, "areas-vi")
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", name="Where to be warned")).to_be_visible()
    shot(page, "areas-en")


def test_an_exercise_shows_only_when_opted_in_marked_as_such(
    live_server: LiveServer, new_context: NewContext, police: Police
) -> None:
    wid = police.publish(exercise=True, headline="Diễn tập sơ tán khu chợ")
    page = open_warnings(new_context(viewport=PHONE), live_server.url)
    expect(page.locator("[data-empty]")).to_be_visible()
    expect(page.locator(f'[data-warning="{wid}"]')).to_have_count(0)
    page.goto(live_server.url + "/#/warnings/areas")
    page.get_by_label("Nhận cả tin diễn tập").check()
    page.get_by_role("link", name="Tất cả cảnh báo").click()
    # The list is fetched again with the new choice: slow on a loaded machine, hence the margin.
    expect(page.locator(f'[data-warning="{wid}"]')).to_contain_text("DIỄN TẬP", timeout=15_000)


def test_a_pushed_warning_is_a_notice_the_open_page_shows_and_a_cancel_replaces(
    live_server: LiveServer, new_context: NewContext, police: Police
) -> None:
    context = new_context(viewport=PHONE, permissions=["notifications"])
    page = open_warnings(context, live_server.url)
    page.evaluate(ACTIVATED)
    expect(page.locator("[data-empty]")).to_be_visible()
    wid = police.publish(severity="Extreme")
    worker = Worker(page, live_server.url)
    from app.warnings.delivery import topic_for
    tag = topic_for(wid)
    base = {"v": 1, "app": "citizen", "chain": wid, "severity": "Extreme", "exercise": False,
            "headline": HEADLINE, "tag": tag, "at": 1_700_000_000_000}
    worker.push({**base, "kind": "warning", "warning": wid, "references": [], "title": HEADLINE,
                 "body": "Tránh xa khu vực chợ.", "url": f"/#/warnings/{wid}", "renotify": True,
                 "require_interaction": True})
    (notice,) = worker.notifications(1)
    assert notice["title"] == HEADLINE and notice["tag"] == tag and notice["requireInteraction"] is True
    assert notice["data"]["url"] == f"{live_server.url}/#/warnings/{wid}" and notice["data"]["warning"] == wid
    # The open page was told: the warning is listed without a reload.
    expect(page.locator(f'[data-warning="{wid}"]')).to_contain_text(HEADLINE)

    cancel_id = police.cancel(wid)
    worker.push({**base, "kind": "cancel", "warning": cancel_id, "references": [wid],
                 "title": f"Đã hủy cảnh báo: {HEADLINE}", "body": "Cảnh báo này không còn hiệu lực.",
                 "url": f"/#/warnings/{wid}", "renotify": False, "require_interaction": False})
    wait_for(lambda: [n["title"] for n in page.evaluate(NOTIFICATIONS)] == [f"Đã hủy cảnh báo: {HEADLINE}"])
    expect(page.locator(f'[data-warning="{wid}"]')).to_have_count(0)
    worker.click(page, tag)
    page.wait_for_url(f"{live_server.url}/#/warnings/{wid}")
    expect(page.locator('[data-ended="cancelled"]')).to_contain_text("đã hủy")
    expect(page.get_by_role("button", name="Tôi an toàn")).to_have_count(0)
