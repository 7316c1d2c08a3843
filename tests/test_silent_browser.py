"""Issue 29 in a real Chromium: the press-and-hold silent report (no vibration, no sound, a dim
screen), cancelled when released early; the live location shared with consent, sent in one batch
in order after being offline, and stopped once the dispatcher closes the incident or the server
refuses a fix.

Needs a build: `make pwa`. Screenshots go to /tmp/sos-shots/silent-*.png.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Page, expect

from app.settings import Settings

from .center_helpers import open_console
from .citizen_helpers import TAN_PHU, police, stored_updates
from .server_checks import doc_json, rows, wait_for
from .sync_client import entry_id, now_ms, point_in_ward

if TYPE_CHECKING:
    from tests.browser import NewContext

WatchConsole = Callable[[Page], list[str]]
pytestmark = pytest.mark.browser
SHOTS = Path("/tmp/sos-shots")
SMALL_PHONE = {"width": 360, "height": 640}

# Every way a page makes a sound or a buzz, recorded before the app's own scripts run.
NOISE = """
window.__noise = [];
if (navigator.vibrate) {
  const vibrate = navigator.vibrate.bind(navigator);
  navigator.vibrate = (...a) => { window.__noise.push('vibrate'); return vibrate(...a); };
}
const play = HTMLMediaElement.prototype.play;
HTMLMediaElement.prototype.play = function (...a) { window.__noise.push('play'); return play.apply(this, a); };
for (const name of ['AudioContext', 'webkitAudioContext']) {
  const Real = window[name];
  if (Real) window[name] = class extends Real { constructor(...a) { super(...a); window.__noise.push(name); } };
}
"""


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.with_(triage_timeout_s=3600, ack_timeout_s=3600, tile_url="")


def here(north_m: float = 0.0) -> dict[str, float]:
    lat, lon = point_in_ward(TAN_PHU)
    return {"latitude": lat + north_m / 111_000, "longitude": lon, "accuracy": 8}


def phone(new_context: NewContext) -> Page:
    context = new_context(viewport=SMALL_PHONE, geolocation=here(), permissions=["geolocation"])
    context.add_init_script(NOISE)
    return context.new_page()


def hold_to_send(page: Page) -> str:
    button = page.locator("[data-silent-hold]")
    button.hover()
    page.mouse.down()
    expect(button).to_have_text("Giữ tiếp… 3")
    page.wait_for_url("**/#/quiet/*", timeout=8_000)
    page.mouse.up()
    return page.url.rsplit("/", 1)[1]


def sent_and_sharing(live_server, new_context: NewContext, watch_console: WatchConsole):
    """A silent report sent by the gesture, and live location agreed to on the dim screen."""
    page = phone(new_context)
    errors = watch_console(page)
    page.goto(live_server.url + "/")
    report_id = hold_to_send(page)
    quiet = page.locator(".quiet")
    expect(quiet.locator("[data-sent]")).to_have_attribute("data-sent", "yes")
    quiet.locator("[data-consent=yes]").click()
    return page, errors, report_id, quiet


def fixes_on_server(server, report_id: str) -> list[dict]:
    return doc_json(server, f"report/{report_id}", "report").get("track") or []


def close(server, report_id: str, message: str | None = None) -> None:
    dispatcher = police(server, f"dp{entry_id()[:5]}", "dispatcher")
    name = f"incident/{report_id}"
    wait_for(lambda: dispatcher.pull(name).status_code == 200 and dispatcher.json(name, "incident").get("info"),
             what="the incident document")
    if message:  # the police's message to the person, read on the dim screen
        dispatcher.append(name, "dispatch", {"id": entry_id(), "action": "message", "text": message,
                                             "by": str(dispatcher.user["id"]), "at": now_ms()})  # type: ignore[attr-defined]
    dispatcher.append(name, "dispatch", {"id": entry_id(), "action": "close", "outcome": "handled",
                                         "by": str(dispatcher.user["id"]), "at": now_ms()})  # type: ignore[attr-defined]
    assert dispatcher.sync(name).status_code == 200


def test_the_hold_sends_a_silent_report_without_sound_or_vibration(
    live_server, new_context: NewContext, watch_console: WatchConsole
) -> None:
    page = phone(new_context)
    errors = watch_console(page)
    page.goto(live_server.url + "/")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SHOTS / "silent-home-vi.png")
    report_id = hold_to_send(page)
    quiet = page.locator(".quiet")
    expect(quiet.locator("[data-sent]")).to_have_attribute("data-sent", "yes")
    incident = rows(live_server, "SELECT category, priority, silent, lat FROM incidents WHERE id = ?", report_id)[0]
    assert incident["category"] == "crime" and incident["priority"] == 1 and incident["silent"] == 1
    assert incident["lat"] == pytest.approx(here()["latitude"])
    # Nothing on the dim screen says what app this is: no bar, no tabs.
    expect(page.locator(".tabs")).to_have_count(0)
    expect(page.locator("header")).to_have_count(0)
    expect(page).to_have_title("Ghi chú")
    page.screenshot(path=SHOTS / "silent-quiet-vi.png")
    # Quick replies are messages of the report's thread.
    quiet.locator("[data-quick=cannot_speak]").click()
    expect(quiet.locator("[data-said]")).to_be_visible()
    wait_for(lambda: [m["text"] for m in doc_json(live_server, f"report/{report_id}", "report").get("messages", [])]
             == ["Tôi không nói được"], what="the quick reply on the server")
    assert page.evaluate("window.__noise") == []
    # The quick replies reach the console, live, in the report's thread.
    console = open_console(live_server, new_context)
    console.evaluate("id => { location.hash = '#/incident/' + id; }", report_id)
    detail = console.locator(f'.detail[data-incident="{report_id}"]')
    expect(detail).to_contain_text("Tôi không nói được")
    quiet.locator("[data-quick=still_here]").click()
    expect(detail).to_contain_text("Người đó vẫn ở đây")
    assert errors == []


def test_released_early_nothing_is_sent(live_server, new_context: NewContext, watch_console: WatchConsole) -> None:
    page = phone(new_context)
    errors = watch_console(page)
    page.clock.install()
    page.goto(live_server.url + "/")
    button = page.locator("[data-silent-hold]")
    button.hover()
    page.mouse.down()
    expect(button).to_have_text("Giữ tiếp… 3")
    page.clock.run_for(1_500)
    expect(button).to_have_text("Giữ tiếp… 2")
    page.mouse.up()
    expect(button).to_have_text("Nhấn giữ 3 giây để báo im lặng")
    page.clock.run_for(5_000)  # well past the three seconds: the countdown was cancelled
    expect(button).to_have_text("Nhấn giữ 3 giây để báo im lặng")
    assert "#/quiet" not in page.url
    assert rows(live_server, "SELECT id FROM reports") == []
    assert page.evaluate("window.__noise") == []
    assert errors == []


def test_live_location_goes_in_one_batch_after_offline_and_stops_when_closed(
    live_server, new_context: NewContext, watch_console: WatchConsole
) -> None:
    page, errors, report_id, quiet = sent_and_sharing(live_server, new_context, watch_console)
    expect(quiet.locator("[data-sharing=on]")).to_be_visible()
    wait_for(lambda: len(fixes_on_server(live_server, report_id)) == 1, what="the first fix")
    page.screenshot(path=SHOTS / "silent-sharing-vi.png")

    name = f"report/{report_id}"
    before = stored_updates(live_server, name)
    page.context.set_offline(True)
    for step in (1, 2, 3):
        page.context.set_geolocation(here(north_m=40 * step))
        expect(quiet).to_have_attribute("data-fixes", str(1 + step), timeout=5_000)
    assert stored_updates(live_server, name) == before
    page.context.set_offline(False)
    page.evaluate("dispatchEvent(new Event('online'))")
    track = wait_for(lambda: (t := fixes_on_server(live_server, report_id)) and len(t) == 4 and t, what="the batch")
    assert [round((f["lat"] - here()["latitude"]) * 111_000) for f in track] == [0, 40, 80, 120]
    assert stored_updates(live_server, name) == before + 1  # one request, one update

    close(live_server, report_id, message="Tổ công tác đã đến nơi.")
    expect(quiet.locator("[data-sharing=off]")).to_have_text("Vụ việc đã xong: ngừng chia sẻ vị trí.")
    expect(quiet.locator("[data-police-message]")).to_have_text("Tổ công tác đã đến nơi.")
    page.context.set_geolocation(here(north_m=500))
    quiet.locator("[data-quick=safe]").click()  # a later change still goes, with no new fix in it
    wait_for(lambda: len(doc_json(live_server, name, "report").get("messages", [])) == 1, what="the message")
    assert len(fixes_on_server(live_server, report_id)) == 4
    expect(quiet).to_have_attribute("data-fixes", "4")
    assert page.evaluate("window.__noise") == []
    assert errors == []


def test_a_refused_fix_stops_the_sharing_and_is_dropped(
    live_server, new_context: NewContext, watch_console: WatchConsole
) -> None:
    page, errors, report_id, quiet = sent_and_sharing(live_server, new_context, watch_console)
    wait_for(lambda: len(fixes_on_server(live_server, report_id)) == 1, what="the first fix")
    # Closed while the phone is offline: it does not know yet, and keeps a fix.
    page.context.set_offline(True)
    close(live_server, report_id)
    page.context.set_geolocation(here(north_m=60))
    expect(quiet).to_have_attribute("data-fixes", "2", timeout=5_000)
    page.context.set_offline(False)
    page.evaluate("dispatchEvent(new Event('online'))")
    expect(quiet.locator("[data-sharing=off]")).to_be_visible()
    expect(quiet).to_have_attribute("data-fixes", "1")  # the refused fix is gone from the phone
    assert len(fixes_on_server(live_server, report_id)) == 1
    page.screenshot(path=SHOTS / "silent-stopped-vi.png")
    page.get_by_role("link", name="Quay lại").click()
    expect(page.locator(".status-card")).to_be_visible()
    assert errors == []


def test_sharing_goes_on_after_the_app_is_closed_and_opened_again_until_stopped(
    live_server, new_context: NewContext, watch_console: WatchConsole
) -> None:
    page = phone(new_context)
    errors = watch_console(page)
    page.goto(live_server.url + "/")
    report_id = hold_to_send(page)
    quiet = page.locator(".quiet")
    quiet.locator("[data-consent=yes]").click()
    wait_for(lambda: len(fixes_on_server(live_server, report_id)) == 1, what="the first fix")
    page.goto(live_server.url + "/?fresh")  # the app opened again, on its home screen
    expect(page.locator("[data-silent-hold]")).to_be_visible()
    page.context.set_geolocation(here(north_m=50))
    wait_for(lambda: len(fixes_on_server(live_server, report_id)) == 2, what="a fix after the restart")
    # Stopped by the person: it stays stopped at the next start.
    page.goto(live_server.url + f"/#/quiet/{report_id}")
    page.locator("[data-stop-sharing]").click()
    expect(quiet.locator("[data-sharing=off]")).to_have_text("Đã dừng chia sẻ vị trí.")
    page.goto(live_server.url + "/?again")
    expect(page.locator("[data-silent-hold]")).to_be_visible()
    page.goto(live_server.url + f"/?again#/quiet/{report_id}")
    expect(quiet.locator("[data-sharing=off]")).to_have_text("Đã dừng chia sẻ vị trí.")
    expect(quiet.locator("[data-sharing=on]")).to_have_count(0)
    assert errors == []
