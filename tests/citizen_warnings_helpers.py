"""Shared steps of the citizen app's warning tests (browser and a11y): a published warning, the
police's view of its answers, and the 360x640 screenshots."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Page

from .conftest import LiveServer
from .server_checks import bearer_for
from .warnings_helpers import body

PHONE = {"width": 360, "height": 640}
SHOTS = Path("/tmp/sos-shots")


class Police:
    """A dispatcher who drafts and a supervisor who approves (a second person), over HTTP."""

    def __init__(self, server: LiveServer) -> None:
        self.url = server.url
        self.dispatcher = bearer_for(server, "warn.dp", "dispatcher")
        self.supervisor = bearer_for(server, "warn.sv", "supervisor")

    def publish(self, **changes: Any) -> str:
        r = httpx.post(f"{self.url}/api/warnings", json=body(**changes), headers=self.dispatcher)
        assert r.status_code == 201, r.text
        wid = str(r.json()["id"])
        assert httpx.post(f"{self.url}/api/warnings/{wid}/approve", headers=self.supervisor).status_code == 200
        return wid

    def cancel(self, wid: str) -> str:
        r = httpx.post(f"{self.url}/api/warnings/{wid}/cancel", headers=self.dispatcher)
        assert r.status_code == 200, r.text
        return str(r.json()["cancel_id"])

    def seen(self, wid: str) -> dict[str, Any]:
        """The police list's entry of a message: its answers and linked reports."""
        found = httpx.get(f"{self.url}/api/warnings?all=1", headers=self.supervisor).json()["warnings"]
        return next(w for w in found if w["id"] == wid)


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SHOTS / f"wcitizen-{name}.png", full_page=True)
