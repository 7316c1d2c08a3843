"""Helpers for the command center console's tests: a signed-in console in Chromium, citizens that
report from Python, and the screen sizes the screenshots are taken at."""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
from playwright.sync_api import Page, expect

from .conftest import PASSWORD, LiveServer
from .server_checks import wait_for
from .sync_client import SyncClient, entry_id, now_ms, point_in_ward

if TYPE_CHECKING:
    from tests.browser import NewContext

TAN_PHU = 27031
PHU_MY = 26704
LAPTOP = {"width": 1366, "height": 768}
WALL = {"width": 1920, "height": 1080}
SCREENSHOTS = Path("/tmp/sos-center")
# A tile server that is certainly not there: the map must still show boundaries and pins.
NO_TILES = "http://127.0.0.1:9/{z}/{x}/{y}.png"


def device(server: LiveServer) -> SyncClient:
    token = httpx.post(f"{server.url}/api/citizen/devices").json()["token"]
    return SyncClient(server.url, token)


def report(
    server: LiveServer,
    category: str = "crime",
    description: str = "Hai thanh niên giật túi xách trước cổng chợ.",
    where: tuple[float, float] | None = None,
    citizen: SyncClient | None = None,
) -> tuple[SyncClient, str]:
    """A citizen's phone sends a report (HTTP sync, as the PWA's queue does)."""
    citizen = citizen or device(server)
    report_id = citizen.new_report(category, description, where=where)
    r = citizen.sync(f"report/{report_id}")
    assert r.status_code == 200, r.text
    return citizen, report_id


def tan_phu() -> tuple[float, float]:
    return point_in_ward(TAN_PHU)


def offset(point: tuple[float, float], north_m: float, east_m: float) -> tuple[float, float]:
    """A point `north_m` metres north and `east_m` east of `point`."""
    lat, lon = point
    return lat + north_m / 111_195, lon + east_m / (111_195 * math.cos(math.radians(lat)))


def sign_in(page: Page, username: str) -> None:
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()


def open_console(
    server: LiveServer, new_context: NewContext, username: str = "dieu.phoi", role: str = "dispatcher",
    viewport: dict[str, int] | None = None, **options: Any,
) -> Page:
    """A console signed in as a new account, its live queue connected (`options`: the browser
    context's, e.g. `bypass_csp` for a test that injects a script)."""
    server.svc.accounts.create_sync(username, PASSWORD, role)
    page = new_context(viewport=viewport or LAPTOP, **options).new_page()
    page.goto(server.url + "/center/")
    sign_in(page, username)
    expect(page.locator(".console")).to_have_attribute("data-queue", "live")
    return page


def unlock_sound(page: Page) -> None:
    """Browsers start audio only after a gesture in the page: a dispatcher's first click."""
    page.locator(".queue__head").click()


def queue_item(page: Page, incident_id: str):
    return page.locator(f'.q-item[data-incident="{incident_id}"]')


def shoot(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=path)
    return path


def beeps(page: Page) -> int:
    return int(page.locator(".console").get_attribute("data-beeps") or 0)


def title_count(page: Page) -> int | None:
    found = re.match(r"^\((\d+)\) ", page.title())
    return int(found.group(1)) if found else None


def reply_of(citizen: SyncClient, incident_id: str) -> dict[str, Any]:
    """What the citizen's phone sees: its `reply/<id>`, fetched again."""
    citizen.pull(f"reply/{incident_id}")
    return citizen.json(f"reply/{incident_id}", "reply")


def write(client: SyncClient, incident_id: str, log: str, **entry: Any) -> httpx.Response:
    """Append one entry to an incident's log in the client's own name, from a fresh copy of the
    document (a refused earlier attempt leaves nothing behind), and send it."""
    name = f"incident/{incident_id}"
    client.docs.pop(name, None)
    wait_for(
        lambda: client.pull(name).status_code == 200 and client.json(name, "incident").get("info"),
        what=f"{name} on the server",
    )
    user = client.user  # type: ignore[attr-defined]
    client.append(name, log, {
        "id": entry_id(), "by": str(user["id"]), "by_name": user["username"], "at": now_ms(), **entry,
    })
    return client.sync(name)


def bearer(client: SyncClient) -> dict[str, str]:
    return {"Authorization": f"Bearer {client.token}"}
