"""Helpers for the officer app's browser tests: accounts, a citizen's report, a dispatcher's
triage and dispatch (Python sync clients), signing in on a phone, and raw sync requests made from
the officer's own page."""

from __future__ import annotations

import asyncio
import base64
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Page, expect
from pycrdt import Doc, Map

from sync import batch, protocol

from .citizen_helpers import PHONE, police
from .conftest import PASSWORD, LiveServer
from .server_checks import wait_for
from .sync_client import SyncClient, entry_id, now_ms, point_in_ward

PHU_MY = 26704
TAN_PHU = 27031
PHU_MY_UNIT = f"ward-{PHU_MY}"
TAN_PHU_UNIT = f"ward-{TAN_PHU}"
SCREENSHOTS = Path("/tmp/sos-officer")
__all__ = ["PHONE", "police", "wait_for"]


def officer_account(
    server: LiveServer, username: str, unit: str, display_name: str | None = None
) -> str:
    """Make an officer; returns the user id as the documents write it (a string)."""
    return str(server.svc.accounts.create_sync(username, PASSWORD, "officer", unit, display_name))


def sign_in(page: Page, server: LiveServer, username: str, path: str = "/officer/") -> None:
    page.goto(server.url + path)
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.locator(".o-sync")).to_be_visible()


def citizen_report(
    server: LiveServer,
    ward: int = PHU_MY,
    category: str = "crime",
    description: str = "Hai đối tượng đi xe máy giật túi xách trước cổng chợ.",
    contact: dict[str, str] | None = None,
) -> str:
    token = httpx.post(f"{server.url}/api/citizen/devices").json()["token"]
    citizen = SyncClient(server.url, token)
    report_id = citizen.new_report(category, description, where=point_in_ward(ward))
    if contact:
        citizen.doc(f"report/{report_id}").get("report", type=Map)["contact"] = contact
    r = citizen.sync(f"report/{report_id}")
    assert r.status_code == 200, r.text
    return report_id


def dispatch(
    server: LiveServer,
    dispatcher: SyncClient,
    report_id: str,
    unit: str = PHU_MY_UNIT,
    instructions: str = "",
    priority: int = 1,
) -> None:
    """The command center verifies the report and sends `unit`."""
    name = f"incident/{report_id}"
    wait_for(
        lambda: (
            dispatcher.pull(name).status_code == 200
            and dispatcher.json(name, "incident").get("info")
        ),
        what="the incident document",
    )
    by = str(dispatcher.user["id"])  # type: ignore[attr-defined]
    dispatcher.append(
        name,
        "dispatch",
        {
            "id": entry_id(),
            "action": "verify",
            "category": "crime",
            "priority": priority,
            "by": by,
            "at": now_ms(),
        },
    )
    entry: dict[str, Any] = {
        "id": entry_id(),
        "action": "dispatch",
        "unit": unit,
        "by": by,
        "by_name": "Trực ban TTCH",
        "at": now_ms(),
    }
    if instructions:
        entry["instructions"] = instructions
    dispatcher.append(name, "dispatch", entry)
    r = dispatcher.sync(name)
    assert r.status_code == 200, r.text



def session_token(page: Page) -> str:
    return str(page.evaluate("JSON.parse(localStorage.getItem('sos.session')).token"))


def incident_change(server_state: bytes, log: str, entry: dict[str, Any]) -> bytes:
    """The y-protocols body that appends `entry` to `log` of an incident whose server state is
    `server_state`: a client's step 1 and the one update, as the PWA sends it."""
    doc: Doc = Doc()
    doc.apply_update(server_state)
    before = doc.get_state()
    doc.get("incident", type=Map)[log].append(entry)
    return protocol.sync_step1(before) + protocol.sync_update(doc.get_update(before))


def batch_from_page(page: Page, items: list[tuple[str, bytes]]) -> list[tuple[str, int, bytes]]:
    """POST /sync (the batch call) from the officer's page with its own session token."""
    body = base64.b64encode(batch.encode_request(items)).decode()
    answer = page.evaluate(
        """async (body) => {
            const token = JSON.parse(localStorage.getItem('sos.session')).token;
            const bytes = Uint8Array.from(atob(body), (c) => c.charCodeAt(0));
            const response = await fetch('/sync', {
                method: 'POST',
                headers: { 'Content-Type': 'application/octet-stream', Authorization: `Bearer ${token}` },
                body: bytes,
            });
            const out = new Uint8Array(await response.arrayBuffer());
            return { status: response.status, body: btoa(String.fromCharCode(...out)) };
        }""",
        body,
    )
    assert answer["status"] == 200, answer
    return batch.decode_response(base64.b64decode(answer["body"]))


class CoverageGate:
    """Pure ASGI, in front of the app: while closed, sync requests (POST /sync...) are held, as if
    the phone had no coverage, and go on when it opens; every one is recorded.

    Needed because Playwright takes the pages of a restarted browser offline but not its service
    worker, which would otherwise send the queue at once (Background Sync) with "no network"."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.opened = asyncio.Event()
        self.opened.set()
        self.loop: asyncio.AbstractEventLoop | None = None
        self.requests: list[tuple[str, bytes, str]] = []  # path, body, Authorization

    def close(self) -> None:
        assert self.loop is not None
        self.loop.call_soon_threadsafe(self.opened.clear)

    def open(self) -> None:
        assert self.loop is not None
        self.loop.call_soon_threadsafe(self.opened.set)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.loop = asyncio.get_running_loop()
        if (
            scope["type"] != "http"
            or scope["method"] != "POST"
            or not scope["path"].startswith("/sync")
        ):
            await self.app(scope, receive, send)
            return
        await self.opened.wait()
        body = bytearray()

        async def recording() -> Any:
            message = await receive()
            body.extend(message.get("body", b""))
            return message

        await self.app(scope, recording, send)
        auth = dict(scope["headers"]).get(b"authorization", b"").decode()
        self.requests.append((scope["path"], bytes(body), auth))


def shoot(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=path, full_page=True)
    return path
