"""Helpers for the citizen app's browser tests: the server's view of a report, a second device,
police that change a report's incident, the phone sizes the screenshots are taken at, and the
service worker's Background Sync fired with no page of the app open (the officer app's too)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import BrowserContext, Page

from .conftest import PASSWORD, LiveServer
from .server_checks import wait_for
from .sync_client import SyncClient, point_in_ward

TAN_PHU = 27031
PHONE = {"width": 390, "height": 844}
# 200 % zoom on that phone: half the CSS pixels, each drawn twice as large.
PHONE_200 = {"viewport": {"width": 195, "height": 422}, "device_scale_factor": 4}
SCREENSHOTS = Path("/tmp/sos-citizen")


def tan_phu() -> dict[str, float]:
    """A geolocation inside Phường Tân Phú (sample boundaries), as Playwright takes it."""
    lat, lon = point_in_ward(TAN_PHU)
    return {"latitude": lat, "longitude": lon, "accuracy": 12}


def located_phone() -> dict[str, Any]:
    """Context options of a phone in Tân Phú that has granted its location."""
    return {"viewport": PHONE, "geolocation": tan_phu(), "permissions": ["geolocation"]}





def stored_updates(server: LiveServer, name: str) -> int:
    """How many updates the sync store has taken for a document (a resend must not add one):
    its last sequence number, which squashing into a snapshot does not reset."""
    found = server.svc.db.read_sync(
        lambda c: c.execute(
            "SELECT last_seq FROM sync_documents WHERE name = ?", (name,)
        ).fetchone()
    )
    return 0 if found is None else int(found[0])


def police(server: LiveServer, username: str, role: str, unit: str | None = None) -> SyncClient:
    server.svc.accounts.create_sync(username, PASSWORD, role, unit)
    r = httpx.post(
        f"{server.url}/api/auth/login", json={"username": username, "password": PASSWORD}
    )
    assert r.status_code == 200, r.text
    client = SyncClient(server.url, r.json()["token"])
    client.user = r.json()["user"]  # type: ignore[attr-defined]
    return client


def report_id_of(page: Page) -> str:
    """The id of the report on screen (the app is at /#/reports/<id> after Send)."""
    page.wait_for_url("**/#/reports/*")
    return page.url.rsplit("/", 1)[1]


def device_token(page: Page) -> str | None:
    """This browser profile's device token, read from IndexedDB as the service worker reads it."""
    return page.evaluate(
        """() => new Promise((resolve, reject) => {
            const open = indexedDB.open('sos-sync');
            // Not there yet: look without making it (an empty version 1 would stop the app,
            // which starts its queue after the first render, from making its stores).
            open.onupgradeneeded = () => open.transaction.abort();
            open.onerror = () => (open.error && open.error.name === 'AbortError' ? resolve(null) : reject(open.error));
            open.onsuccess = () => {
              const db = open.result;
              if (!db.objectStoreNames.contains('credentials')) return resolve(null);
              const get = db.transaction('credentials').objectStore('credentials').get('device');
              get.onsuccess = () => { resolve(get.result ? get.result.token : null); db.close(); };
              get.onerror = () => reject(get.error);
            };
        })"""
    )


def shoot(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=path, full_page=True)
    return path


def fire_background_sync(context: BrowserContext, server: LiveServer, tag: str = "sos-outbox") -> None:
    """What the browser does when coverage returns: a `sync` event to the app's service worker,
    here with no page of the app open (DevTools needs a page of the origin: /healthz runs none)."""
    probe = context.new_page()
    probe.goto(server.url + "/healthz")
    cdp = context.new_cdp_session(probe)
    registrations: list[dict[str, Any]] = []
    cdp.on("ServiceWorker.workerRegistrationUpdated", lambda e: registrations.extend(e["registrations"]))
    cdp.send("ServiceWorker.enable")
    # Playwright delivers events while it talks to the browser: the evaluate lets them in.
    wait_for(lambda: probe.evaluate("0") == 0 and registrations, what="the worker's registration")
    cdp.send(
        "ServiceWorker.dispatchSyncEvent",
        {"origin": server.url, "registrationId": registrations[0]["registrationId"], "tag": tag, "lastChance": False},
    )
