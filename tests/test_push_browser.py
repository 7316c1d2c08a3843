"""The service worker's side of web push, in headless Chromium.

A push is delivered to the real service worker through CDP (`ServiceWorker.deliverPushMessage`:
there is no push service here, so `pushManager.subscribe()` cannot work), with the payload the
server really planned for the report. A system notification cannot be clicked headless (no CDP
command, no WebDriver one either); the click path is run by a message that a real click in a page
sends to the worker, which calls the same `openNotice` as `notificationclick`. That covers
focusing and navigating an open window of the app; opening a new window needs the trusted click
(`clients.openWindow` refuses anything else) and is not covered here.

Needs a build: `make pwa`.
"""

from __future__ import annotations

import json
import subprocess
import time
from typing import TYPE_CHECKING, Any

import pytest
from playwright.sync_api import BrowserContext, CDPSession, Page

from app.settings import Settings

from .conftest import PASSWORD, LiveServer
from .push.flow import TAN_PHU, device, report_with_personal_data
from .server_checks import wait_for
from .sync_client import point_in_ward

if TYPE_CHECKING:
    from tests.browser import NewContext

pytestmark = pytest.mark.browser

# Playwright's polled `wait_for_function` needs eval, which the app's CSP forbids: these are
# evaluated once each (CDP evaluation is not subject to the page's CSP) and polled from Python.
# Controlled, and the worker past "activating": a push is only dispatched to an activated worker
# (Chromium drops it otherwise), and `clients.claim()` hands over control while still activating.
ACTIVATED = """new Promise((resolve, reject) => {
  setTimeout(() => reject(new Error('no activated service worker in control after 10 s')), 10000);
  const controlled = navigator.serviceWorker.controller ? Promise.resolve() : new Promise((r) =>
    navigator.serviceWorker.addEventListener('controllerchange', r, {once: true}));
  controlled.then(() => navigator.serviceWorker.ready).then((registration) => {
    const worker = registration.active;
    if (worker.state === 'activated') return resolve(true);
    worker.addEventListener('statechange', () => worker.state === 'activated' && resolve(true));
  });
})"""
SHOWN = "navigator.serviceWorker.ready.then((r) => r.getNotifications())"
FIELDS = (
    "ns.map((n) => ({title: n.title, body: n.body, tag: n.tag, data: n.data, "
    "requireInteraction: n.requireInteraction, renotify: n.renotify}))"
)
NOTIFICATIONS = f"{SHOWN}.then((ns) => {FIELDS})"
# Counts the worker's settled `showNotification` calls. The tests read the shown notices only
# after that: Chromium's `getNotifications()` drops from its list any notice that it has stored
# but not yet displayed when the call starts, so polling it during a push lost a notice for good
# (under load, about one run in six).
COUNT_SHOWN = """() => {
  if (self.shownCount !== undefined) return;
  self.shownCount = 0;
  const show = ServiceWorkerRegistration.prototype.showNotification;
  ServiceWorkerRegistration.prototype.showNotification = function (...args) {
    return show.apply(this, args).finally(() => { self.shownCount += 1; });
  };
}"""


@pytest.fixture(autouse=True)
def built() -> None:
    if not (Settings().pwa_dist / "sw.js").is_file():
        pytest.fail("PWA not built: run `make pwa`")


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.with_(triage_timeout_s=3600, ack_timeout_s=3600)


def planned_payload(server: LiveServer, key: str) -> dict[str, Any]:
    def read() -> str | None:
        row = server.svc.db.read_sync(
            lambda c: c.execute("SELECT payload FROM push_notifications WHERE key = ?", (key,)).fetchone()
        )
        return None if row is None else str(row[0])

    return dict(json.loads(wait_for(read, what=f"notification {key}")))


def open_app(context: BrowserContext, url: str) -> Page:
    page = context.new_page()
    page.goto(url)
    page.evaluate(ACTIVATED)
    return page


class Worker:
    """The page's service worker registration, reached through CDP."""

    def __init__(self, page: Page, origin: str) -> None:
        self.page, self.origin = page, origin
        self.registrations: list[dict[str, Any]] = []
        self.cdp: CDPSession = page.context.new_cdp_session(page)
        self.cdp.on("ServiceWorker.workerRegistrationUpdated", lambda e: self.registrations.extend(e["registrations"]))
        self.cdp.send("ServiceWorker.enable")
        (self.worker,) = [w for w in page.context.service_workers if w.url == origin + "/sw.js"]
        self.worker.evaluate(COUNT_SHOWN)

    def registration_id(self) -> str:
        deadline = time.monotonic() + 10
        while True:
            for reg in self.registrations:
                if reg["scopeURL"] == self.origin + "/" and not reg["isDeleted"]:
                    return str(reg["registrationId"])
            if time.monotonic() > deadline:
                raise AssertionError(f"no service worker registration for {self.origin}")
            self.page.evaluate("0")  # lets Playwright dispatch the CDP events it received

    def push(self, payload: dict[str, Any]) -> None:
        """Deliver `payload` and wait until the worker's `showNotification` has settled."""
        before = self.worker.evaluate("self.shownCount")
        self.cdp.send(
            "ServiceWorker.deliverPushMessage",
            {"origin": self.origin, "registrationId": self.registration_id(), "data": json.dumps(payload)},
        )
        wait_for(lambda: self.worker.evaluate("self.shownCount") > before, what="the push handled")

    def notifications(self, count: int) -> list[dict[str, Any]]:
        def shown() -> tuple[list[dict[str, Any]]] | None:
            notices = list(self.page.evaluate(NOTIFICATIONS))
            return (notices,) if len(notices) == count else None  # a tuple: true even when empty

        return wait_for(shown, what=f"{count} notification(s)")[0]  # type: ignore[no-any-return]

    def click(self, from_page: Page, tag: str) -> None:
        """A real click in `from_page` that runs the worker's click path for the notice `tag`."""
        from_page.evaluate(
            """(tag) => document.addEventListener('click', () =>
                 navigator.serviceWorker.controller.postMessage({type: 'open-notification', tag}), {once: true})""",
            tag,
        )
        from_page.mouse.click(2, 2)


def test_a_push_shows_the_notice_and_a_click_opens_the_incident_in_the_console(
    live_server: LiveServer, new_context: NewContext
) -> None:
    live_server.svc.accounts.create_sync("dp.browser", PASSWORD, "dispatcher")
    report_id = report_with_personal_data(device(live_server.url), "fire", point_in_ward(TAN_PHU))
    payload = planned_payload(live_server, f"new_report:{report_id}:center:vi")

    context = new_context(permissions=["notifications"])
    console = open_app(context, live_server.url + "/center/")
    officer = open_app(context, live_server.url + "/officer/")
    worker = Worker(console, live_server.url)
    worker.push(payload)
    (notice,) = worker.notifications(1)
    assert notice["title"] == "Tin báo mới: Cháy nổ — Phường Tân Phú"
    assert notice["body"] == "Mức ưu tiên 1. Bấm để mở sự vụ."
    assert notice["tag"] == payload["tag"]
    assert notice["requireInteraction"] is True and notice["renotify"] is True
    assert notice["data"]["url"] == f"{live_server.url}/center/#/incident/{report_id}"

    console.evaluate("window.sameDocument = true")
    worker.click(officer, payload["tag"])
    console.wait_for_url(f"{live_server.url}/center/#/incident/{report_id}")
    assert console.evaluate("window.sameDocument") is True  # shown in place, not reloaded
    assert officer.url == live_server.url + "/officer/"  # another app's window is left alone
    assert len(context.pages) == 2
    worker.notifications(0)  # the notice is gone once acted upon


def test_a_newer_notice_about_the_same_report_replaces_the_older(
    live_server: LiveServer, new_context: NewContext
) -> None:
    context = new_context(permissions=["notifications"])
    page = open_app(context, live_server.url + "/")
    worker = Worker(page, live_server.url)
    base = {"app": "citizen", "incident": "r1", "url": "/#/reports/r1", "tag": "citizen-r1", "at": 1_700_000_000_000}
    worker.push({**base, "title": "Tin báo của bạn: Đang xử lý", "status": "in_progress"})
    worker.notifications(1)
    worker.push({**base, "title": "Tin báo của bạn: Đã xử lý xong", "status": "done"})
    wait_for(lambda: [n["title"] for n in page.evaluate(NOTIFICATIONS)] == ["Tin báo của bạn: Đã xử lý xong"])
    (notice,) = worker.notifications(1)
    assert notice["requireInteraction"] is False and notice["renotify"] is False
    # A URL to another site in a payload is never followed.
    worker.push({**base, "tag": "other", "title": "x", "url": "https://evil.example/phish"})
    shown = {n["tag"]: n for n in worker.notifications(2)}
    assert shown["other"]["data"]["url"] == live_server.url + "/"


@pytest.fixture(scope="module")
def push_subscribe_js(tmp_path_factory: pytest.TempPathFactory) -> str:
    """core/push-subscribe.js bundled on its own (no app imports it yet), as a script that sets
    `window.sosPush`; evaluated over CDP, which the page's CSP does not cover."""
    pwa = Settings().pwa_dist.parent
    esbuild = pwa / "node_modules" / ".bin" / "esbuild"
    if not esbuild.is_file():
        pytest.fail("pwa/node_modules missing: run `make pwa`")
    out = tmp_path_factory.mktemp("push-subscribe") / "push-subscribe.js"
    subprocess.run(
        [str(esbuild), "src/core/push-subscribe.js", "--bundle", "--format=iife", "--global-name=sosPush",
         f"--outfile={out}", "--log-level=warning"],
        cwd=pwa, check=True, timeout=60,
    )
    return out.read_text()


def test_the_page_side_degrades_quietly_where_there_is_no_push_service(
    live_server: LiveServer, new_context: NewContext, push_subscribe_js: str
) -> None:
    context = new_context(permissions=["notifications"])
    page = open_app(context, live_server.url + "/")
    page.evaluate(push_subscribe_js)
    assert page.evaluate("sosPush.pushState()") == "off"  # allowed, not subscribed yet
    # No push service in this browser: subscribing fails, and says so without throwing.
    result = page.evaluate("sosPush.refreshPush({token: 'x'}).then((r) => ({state: r.state, error: String(r.error)}))")
    assert result["state"] == "off" and "AbortError" in result["error"]
    assert page.evaluate("sosPush.disablePush({token: 'x'}).then((r) => r.state)") == "off"
    # The worker may ask a window to open a URL of ours; never one of another site.
    sw = context.service_workers[0]
    post = "(url) => self.clients.matchAll().then((cs) => cs.forEach((c) => c.postMessage({type: 'open-url', url})))"
    sw.evaluate(post, "https://evil.example/x")
    sw.evaluate(post, "/#/reports/r42")
    page.wait_for_url(f"{live_server.url}/#/reports/r42")


def test_without_permission_nothing_is_asked_silently(
    live_server: LiveServer, new_context: NewContext, push_subscribe_js: str
) -> None:
    page = open_app(new_context(), live_server.url + "/")
    page.evaluate(push_subscribe_js)
    assert page.evaluate("sosPush.pushState()") in ("ask", "denied")
    assert page.evaluate("sosPush.refreshPush({}).then((r) => r.error === undefined && r.state)") in ("ask", "denied")
