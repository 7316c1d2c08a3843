"""The HTTP steps of a report's life, for the push tests: devices, police, subscriptions, triage."""

from __future__ import annotations

from typing import Any

import httpx

from tests.sync_client import SyncClient, entry_id, now_ms

from ..server_checks import wait_for

PASSWORD = "correct horse battery"
TAN_PHU = 27031
PHU_MY = 26704
# Personal data a citizen gives with a report: it must never be in a push payload.
DESCRIPTION = "Khói đen bốc lên từ tầng hai nhà số 12, có người mắc kẹt"
NAME = "Nguyễn Thị Hoa"
PHONE = "0903123456"



def device(base_url: str) -> SyncClient:
    token = httpx.post(f"{base_url}/api/citizen/devices").json()["token"]
    return SyncClient(base_url, token)


def login(base_url: str, username: str) -> SyncClient:
    r = httpx.post(f"{base_url}/api/auth/login", json={"username": username, "password": PASSWORD})
    if r.status_code != 200:
        raise RuntimeError(f"login {username}: {r.status_code} {r.text}")
    client = SyncClient(base_url, r.json()["token"])
    client.user = r.json()["user"]  # type: ignore[attr-defined]
    return client


def subscribe(client: SyncClient, subscription: dict[str, Any], **extra: Any) -> httpx.Response:
    return client.http.post("/api/push/subscriptions", json={**subscription, **extra})


def report_with_personal_data(citizen: SyncClient, category: str, where: tuple[float, float]) -> str:
    report_id = citizen.new_report(category, DESCRIPTION, where)
    report = citizen.doc(f"report/{report_id}").get("report", type=__import__("pycrdt").Map)
    report["contact"] = {"name": NAME, "phone": PHONE}
    r = citizen.sync(f"report/{report_id}")
    if r.status_code != 200:
        raise RuntimeError(f"report refused: {r.status_code} {r.text}")
    return report_id


def triage_and_dispatch(dispatcher: SyncClient, report_id: str, unit: str, message: str | None) -> None:
    name = f"incident/{report_id}"
    wait_for(
        lambda: dispatcher.pull(name).status_code == 200 and dispatcher.json(name, "incident").get("info"),
        what="the incident document",
    )
    by = str(dispatcher.user["id"])  # type: ignore[attr-defined]
    incident = dispatcher.json(name, "incident")["info"]
    dispatcher.append(name, "dispatch", {"id": entry_id(), "action": "verify", "category": incident["category"],
                                         "priority": incident["priority"], "by": by, "at": now_ms()})
    dispatcher.append(name, "dispatch", {"id": entry_id(), "action": "dispatch", "unit": unit, "by": by, "at": now_ms()})
    if message:
        dispatcher.append(name, "dispatch", {"id": entry_id(), "action": "message", "text": message, "by": by, "at": now_ms()})
    r = dispatcher.sync(name)
    if r.status_code != 200:
        raise RuntimeError(f"dispatch refused: {r.status_code} {r.text}")
