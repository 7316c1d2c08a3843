"""The console's warnings screen (issue 24), in a real headless Chromium against the real server and
the real mock push service (`web-push-testing`): a dispatcher drafts in the UI, cannot approve
their own draft, a supervisor in a second browser approves it in the UI, and the list then shows
it published with its delivery; an update and a cancel through the UI reach the phone; a refusal
is said at its field. Screenshots (1440×900, vi and en) go to /tmp/sos-shots/wconsole-*.png.

Needs a build (`make pwa`) and `make push-testing`."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from app.settings import Settings

from .center_helpers import NO_TILES, open_console, report, tan_phu
from .conftest import LiveServer
from .push.mock_service import MockPushService, subscription_json
from .server_checks import bearer_for
from .warnings_helpers import PHU_MY, TAN_PHU, body

if TYPE_CHECKING:
    from tests.browser import NewContext

pytestmark = [pytest.mark.browser, pytest.mark.node]

DESK = {"width": 1440, "height": 900}
SHOTS = Path("/tmp/sos-shots")
POLLED = 15_000  # ms: the list is polled every 5 s; a loose guard, not a timing claim


@pytest.fixture(scope="module")
def mock_push() -> Iterator[MockPushService]:
    with MockPushService.start() as service:
        yield service


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.with_(push_allow_loopback=True, tile_url=NO_TILES)


def phone(server: LiveServer, push: MockPushService, wards: list[int]) -> str:
    """A citizen device subscribed at the mock push service, following `wards`: its client hash."""
    token = httpx.post(f"{server.url}/api/citizen/devices").json()["token"]
    with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"}) as http:
        sub = push.subscribe(http.get("/api/push/key").json()["public_key"])
        assert http.post("/api/push/subscriptions", json={**subscription_json(sub), "lang": "vi"}).status_code == 201
        assert http.put("/api/citizen/devices/me/areas", json={"wards": wards}).status_code == 200
    return str(sub["clientHash"])


def open_warnings(page: Page) -> None:
    page.get_by_role("link", name="Cảnh báo").click()
    expect(page.get_by_role("heading", name="Cảnh báo công cộng")).to_be_visible()


def card(page: Page, headline: str):
    """The card of a warning (not of the Cancel message sent for it, which has its headline too)."""
    return page.locator('.w-card:not([data-kind="cancel"])', has=page.get_by_role("heading", name=headline, exact=True))


def fill_draft(page: Page, headline: str) -> None:
    form = page.locator(".w-form")
    form.get_by_label("Loại", exact=True).select_option("fire")
    form.get_by_text("Severe", exact=True).click()
    form.get_by_text("Immediate", exact=True).click()
    form.get_by_text("Observed", exact=True).click()
    form.get_by_label("Tiêu đề (hiện trên thông báo)").fill(headline)
    form.get_by_label("Nội dung", exact=True).fill("Đám cháy đang lan sang các dãy nhà lân cận.")
    form.get_by_label("Hướng dẫn người dân").fill("Tránh xa khu vực chợ, nhường đường cho xe chữa cháy.")


def test_draft_approve_update_and_cancel_with_two_accounts(
    live_server: LiveServer, new_context: NewContext, watch_console, mock_push: MockPushService
) -> None:
    tan_phu_phone = phone(live_server, mock_push, [TAN_PHU])
    dispatcher = open_console(live_server, new_context, viewport=DESK)
    errors = watch_console(dispatcher)
    open_warnings(dispatcher)
    dispatcher.get_by_role("button", name="+ Soạn cảnh báo mới").click()
    form = dispatcher.locator(".w-form")

    # No area yet: the server's refusal is said at the area, in Vietnamese, and nothing was drafted.
    fill_draft(dispatcher, "Cháy lớn tại chợ Tân Phú")
    expect(form.locator(".w-phone__headline")).to_have_text("Cháy lớn tại chợ Tân Phú")
    # The expiry, 6 hours from now by default, said plainly beside the browser's own date input.
    expect(form.locator("#w-expires-in")).to_contain_text(re.compile(r"sau (5 giờ 59 phút|6 giờ) nữa"))
    form.get_by_role("button", name="Lưu nháp, chờ duyệt").click()
    area = form.locator("fieldset.w-area")
    expect(area.locator(".field-error")).to_have_text("Chọn khu vực: ít nhất một phường, xã, hoặc toàn thành phố.")
    expect(area).to_have_attribute("aria-invalid", "true")
    expect(dispatcher.locator(".w-card")).to_have_count(0)

    # Tân Phú from the searchable list (without accents), Phú Mỹ on the map (no tiles: the shapes).
    form.get_by_label("Tìm phường, xã").fill("tan phu")
    form.get_by_role("checkbox", name="Phường Tân Phú", exact=True).check()
    expect(area.locator(".field-error")).to_have_count(0)
    form.locator(f".w-ward-{PHU_MY}").dispatch_event("click")
    expect(form.locator(".w-chip")).to_have_count(2)
    expect(form.locator(f"path.w-ward-{PHU_MY}")).to_have_attribute("fill", "#ff5c5c")
    # A headline over 160 characters (pasted): the counter turns red and the server says why at it.
    headline = form.get_by_label("Tiêu đề (hiện trên thông báo)")
    headline.fill("x" * 161)
    expect(form.locator("#headline-count")).to_have_text("161/160 ký tự")
    form.get_by_role("button", name="Lưu nháp, chờ duyệt").click()
    expect(form.locator("#headline-error")).to_contain_text("tối đa 160 ký tự")
    expect(headline).to_be_focused()
    headline.fill("Cháy lớn tại chợ Tân Phú")
    form.get_by_role("button", name="Lưu nháp, chờ duyệt").click()

    draft = card(dispatcher, "Cháy lớn tại chợ Tân Phú")
    expect(draft).to_have_attribute("data-status", "draft")
    expect(draft).to_contain_text("Chờ duyệt")
    expect(draft).to_contain_text("Phường Phú Mỹ")
    expect(draft).to_contain_text("Phường Tân Phú")
    # The author sees why they cannot approve.
    expect(draft.get_by_role("button", name="Duyệt và phát")).to_be_disabled()
    expect(draft.locator(".w-why")).to_have_text("Bạn soạn cảnh báo này: một chỉ huy khác phải duyệt.")
    warning_id = draft.get_attribute("data-warning")
    assert warning_id and mock_push.messages(tan_phu_phone) == []  # a draft pushes nothing

    # A supervisor, in another browser, opens the push's link and approves.
    supervisor = open_console(live_server, new_context, username="chi.huy", role="supervisor", viewport=DESK)
    watch_console(supervisor)
    supervisor.goto(f"{live_server.url}/center/#/warnings/{warning_id}")
    theirs = supervisor.locator(f'.w-card[data-warning="{warning_id}"]')
    expect(theirs).to_have_class(re.compile("w-card--focused"))
    theirs.get_by_role("button", name="Duyệt và phát").click()
    expect(theirs).to_have_attribute("data-status", "published")

    # The dispatcher's list follows by itself; the phone of the area got it, and the count says so.
    expect(draft).to_have_attribute("data-status", "published", timeout=POLLED)
    expect(draft).to_contain_text(re.compile("Người duyệt\\s*chi.huy"))
    assert mock_push.wait_for_messages(tan_phu_phone, 1)[0]["kind"] == "warning"
    expect(draft.locator('[data-count="delivered"] dd')).to_have_text("1", timeout=POLLED)
    expect(draft.locator('[data-count="failed"] dd')).to_have_text("0")
    SHOTS.mkdir(exist_ok=True)
    dispatcher.screenshot(path=SHOTS / "wconsole-published-vi.png")

    # Update: the form comes prefilled; the new version waits for approval, then replaces the old.
    draft.get_by_role("button", name="Cập nhật").click()
    expect(headline).to_have_value("Cháy lớn tại chợ Tân Phú")
    expect(form.locator(".w-chip")).to_have_count(2)
    headline.fill("Cháy lan rộng quanh chợ Tân Phú")
    form.get_by_role("button", name="Lưu bản cập nhật, chờ duyệt").click()
    update = card(dispatcher, "Cháy lan rộng quanh chợ Tân Phú")
    expect(update).to_have_attribute("data-status", "draft")
    expect(update).to_contain_text("Bản cập nhật")
    card(supervisor, "Cháy lan rộng quanh chợ Tân Phú").get_by_role("button", name="Duyệt và phát").click(timeout=POLLED)
    expect(update).to_have_attribute("data-status", "published", timeout=POLLED)
    expect(draft).to_have_attribute("data-status", "superseded")
    assert mock_push.wait_for_messages(tan_phu_phone, 2)[1]["kind"] == "update"

    # Cancel: a confirmation first, that says it goes to every phone at once; "no" keeps it.
    update.get_by_role("button", name="Hủy cảnh báo").click()
    dialog = dispatcher.get_by_role("alertdialog")
    expect(dialog).to_contain_text("NGAY tới mọi điện thoại")
    dialog.get_by_role("button", name="Không, giữ nguyên").click()
    expect(dialog).to_have_count(0)
    expect(update).to_have_attribute("data-status", "published")
    update.get_by_role("button", name="Hủy cảnh báo").click()
    dialog.get_by_role("button", name="Hủy cảnh báo trên mọi điện thoại").click()
    expect(update).to_have_attribute("data-status", "cancelled")
    expect(dispatcher.locator('.w-card[data-kind="cancel"] .w-badge--cancel_message')).to_have_count(1)
    assert mock_push.wait_for_messages(tan_phu_phone, 3)[2]["kind"] == "cancel"
    assert errors == []


def fits(page: Page) -> None:
    """Nothing spills sideways and the top bar stays one line (with the screen's link in it)."""
    assert page.evaluate("document.documentElement.scrollWidth") <= DESK["width"]
    assert page.evaluate("document.querySelector('.w-screen__side').scrollWidth") <= page.evaluate(
        "document.querySelector('.w-screen__side').clientWidth")
    assert page.locator(".topbar").bounding_box()["height"] < 70


def published(server: LiveServer, dispatcher: dict[str, str], **changes: Any) -> str:
    """A warning drafted by `dispatcher` and approved by a new supervisor, over HTTP."""
    wid = httpx.post(f"{server.url}/api/warnings", json=body(**changes), headers=dispatcher).json()["id"]
    r = httpx.post(f"{server.url}/api/warnings/{wid}/approve", headers=bearer_for(server, "warn.sv", "supervisor"))
    assert r.status_code == 200, r.text
    return str(wid)


def test_a_supervisor_approves_from_the_list_and_exercises_are_marked(
    live_server: LiveServer, new_context: NewContext, watch_console
) -> None:
    """A supervisor who did not draft sees an enabled Approve; an exercise is badged in the list,
    in the form and in the preview; the screens in vi and en, photographed."""
    dispatcher = bearer_for(live_server, "warn.dp", "dispatcher")
    published(live_server, dispatcher, wards=[TAN_PHU, PHU_MY], headline_en="Big fire at Tan Phu market")
    drill = body(wards="all", exercise=True, category="Met", severity="Moderate", urgency="Expected",
                 certainty="Likely", headline="Diễn tập: ngập sâu đường Lũy Bán Bích",
                 description="Diễn tập phối hợp ứng phó ngập.", instruction="Không đi vào đường ngập.")
    assert httpx.post(f"{live_server.url}/api/warnings", json=drill, headers=dispatcher).status_code == 201

    page = open_console(live_server, new_context, username="chi.huy", role="supervisor", viewport=DESK)
    errors = watch_console(page)
    open_warnings(page)
    exercise = card(page, "Diễn tập: ngập sâu đường Lũy Bán Bích")
    expect(exercise.locator(".w-badge--exercise")).to_have_text("DIỄN TẬP / EXERCISE")
    expect(exercise).to_contain_text("Toàn thành phố")
    expect(exercise.get_by_role("button", name="Duyệt và phát")).to_be_enabled()
    expect(exercise.locator(".w-why")).to_have_count(0)
    live = card(page, "Cháy lớn tại chợ Tân Phú")
    expect(live.locator('[data-count="queued"] dd')).to_have_text("0")
    expect(live.locator(".w-badge--exercise")).to_have_count(0)

    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=SHOTS / "wconsole-list-vi.png")
    fits(page)
    page.get_by_role("button", name="+ Soạn cảnh báo mới").click()
    form = page.locator(".w-form")
    form.get_by_role("checkbox", name=re.compile("Diễn tập: chỉ gửi")).check()
    fill_draft(page, "Cháy lớn tại chợ Tân Phú")
    form.get_by_role("checkbox", name="Phường Tân Phú", exact=True).check()
    expect(form.locator(".w-phone__headline")).to_have_text("[DIỄN TẬP] Cháy lớn tại chợ Tân Phú")
    expect(form.locator(f"path.w-ward-{TAN_PHU}")).to_have_attribute("fill", "#ff5c5c")
    page.screenshot(path=SHOTS / "wconsole-form-vi.png")
    fits(page)
    form.locator(".w-preview").scroll_into_view_if_needed()
    page.screenshot(path=SHOTS / "wconsole-form-preview-vi.png")
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", name="Public warnings")).to_be_visible()
    expect(form.get_by_role("button", name="Save draft for approval")).to_be_visible()
    page.screenshot(path=SHOTS / "wconsole-form-en.png")
    fits(page)
    form.get_by_role("button", name="Cancel", exact=True).click()
    expect(page.locator(".w-intro")).to_be_visible()
    page.screenshot(path=SHOTS / "wconsole-list-en.png")
    # A report arriving meanwhile is announced on this screen too; "Open" leads to it on the queue's.
    _, incident = report(live_server, "fire", "Cháy nhà dân, khói đen", where=tan_phu())
    strip = page.locator('[data-alert="new"]')
    strip.get_by_role("button", name="Open").click()
    expect(page.locator(f'.detail[data-incident="{incident}"]')).to_be_visible()
    expect(page.locator(".w-screen")).to_have_count(0)
    assert page.evaluate("location.hash") == f"#/incident/{incident}"
    # And back to the warnings with the browser's Back; then to the queue from the top bar.
    page.go_back()
    expect(page.get_by_role("heading", name="Public warnings")).to_be_visible()
    page.get_by_role("link", name="Back to reports").click()
    expect(page.locator(".queue")).to_be_visible()
    assert errors == []
