"""Shared steps of the public-warning tests: a valid draft body, police accounts, devices."""

from __future__ import annotations

import time
from typing import Any

from starlette.testclient import TestClient

TAN_PHU = 27031
PHU_MY = 26704


def body(**changes: Any) -> dict[str, Any]:
    base = {
        "wards": [TAN_PHU],
        "category": "fire",
        "severity": "Severe",
        "urgency": "Immediate",
        "certainty": "Observed",
        "headline": "Cháy lớn tại chợ Tân Phú",
        "description": "Đám cháy đang lan sang các dãy nhà lân cận.",
        "instruction": "Tránh xa khu vực chợ, nhường đường cho xe chữa cháy.",
        "expires": round((time.time() + 3 * 3600) * 1000),
    }
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def police(login: Any) -> dict[str, dict[str, str]]:
    """A dispatcher, two supervisors and an officer, signed in: their Authorization headers."""
    return {
        "dispatcher": bearer(login("dp", "dispatcher")),
        "supervisor": bearer(login("sv", "supervisor")),
        "supervisor2": bearer(login("sv2", "supervisor")),
        "officer": bearer(login("of", "officer", f"ward-{TAN_PHU}")),
    }


def device(client: TestClient) -> dict[str, str]:
    return bearer(client.post("/api/citizen/devices").json()["token"])


def publish(client: TestClient, people: dict[str, dict[str, str]], **changes: Any) -> str:
    wid = client.post("/api/warnings", json=body(**changes), headers=people["dispatcher"]).json()["id"]
    r = client.post(f"/api/warnings/{wid}/approve", headers=people["supervisor"])
    assert r.status_code == 200, r.text
    return str(wid)
