"""A small Python sync client for tests: builds real Yjs updates with pycrdt and speaks the
HTTP sync endpoint (`POST /sync/<kind>/<id>`), the way the PWA's offline queue does."""

from __future__ import annotations

import time
import uuid
from typing import Any

import httpx
from pycrdt import Array, Doc, Map

from sync import protocol


def point_in_ward(code: int) -> tuple[float, float]:
    """A point inside a ward of the sample boundary set: (lat, lon)."""
    import json

    from shapely.geometry import shape

    from app.directory.routing import SAMPLE_BOUNDARIES

    for feature in json.loads(SAMPLE_BOUNDARIES.read_text())["features"]:
        if int(feature["properties"]["code"]) == code:
            p = shape(feature["geometry"]).representative_point()
            return p.y, p.x
    raise KeyError(code)


class SyncClient:
    """One device or user: a token and local copies of the documents it touched."""

    open_clients: list[SyncClient] = []  # closed after each test by the conftest fixture

    def __init__(self, base_url: str, token: str) -> None:
        self.token = token
        self.http = httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=10)
        self.docs: dict[str, Doc] = {}
        SyncClient.open_clients.append(self)

    def close(self) -> None:
        self.http.close()

    def doc(self, name: str) -> Doc:
        return self.docs.setdefault(name, Doc())

    def sync(self, name: str, since: bytes | None = None) -> httpx.Response:
        """Send our state (step 1 + everything the server may lack) and apply the answer."""
        doc = self.doc(name)
        body = protocol.sync_step1(doc.get_state()) + protocol.sync_update(doc.get_update(since))
        r = self.http.post(f"/sync/{name}", content=body, headers={"Content-Type": "application/octet-stream"})
        if r.status_code == 200 and r.content:
            for message in protocol.decode_messages(r.content):
                if isinstance(message, protocol.SyncStep2 | protocol.SyncUpdate):
                    doc.apply_update(message.update)
        return r

    def pull(self, name: str) -> httpx.Response:
        doc = self.doc(name)
        body = protocol.sync_step1(doc.get_state())
        r = self.http.post(f"/sync/{name}", content=body, headers={"Content-Type": "application/octet-stream"})
        if r.status_code == 200 and r.content:
            for message in protocol.decode_messages(r.content):
                if isinstance(message, protocol.SyncStep2 | protocol.SyncUpdate):
                    doc.apply_update(message.update)
        return r

    def json(self, name: str, root: str) -> dict[str, Any]:
        return self.doc(name).get(root, type=Map).to_py() or {}

    # -- domain helpers --------------------------------------------------------------------------
    def new_report(
        self, category: str = "crime", description: str = "Có người bị cướp giật điện thoại",
        where: tuple[float, float] | None = None, report_id: str | None = None,
    ) -> str:
        report_id = report_id or str(uuid.uuid4())
        doc = self.doc(f"report/{report_id}")
        report = doc.get("report", type=Map)
        with doc.transaction():
            report["category"] = category
            report["description"] = description
            report["created_at"] = time.time() * 1000
            if where is not None:
                report["lat"], report["lon"] = where
                report["accuracy"] = 15.0
            report["media"] = Array()
            report["messages"] = Array()
        return report_id

    def append(self, name: str, log: str, entry: dict[str, Any]) -> None:
        doc = self.doc(name)
        doc.get("incident", type=Map)[log].append(entry)


def entry_id() -> str:
    return uuid.uuid4().hex[:16]


def now_ms() -> float:
    return time.time() * 1000
