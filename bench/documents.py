"""The Yjs documents the benchmarks send, built with pycrdt the way the PWA builds them.

    body = report_body(report_id, where=(10.77, 106.70), category="crime")  # one POST body

Built before any timing starts; a benchmark never measures its own client's CRDT work.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from pycrdt import Array, Doc, Map

from sync import protocol

CATEGORIES = ("crime", "traffic", "fire", "other")
DESCRIPTION = "Có người bị cướp giật điện thoại trước cổng chợ, hai người đi xe máy màu đen, chạy về hướng cầu."
WRITE_MARK = b"@@bench-write:"  # + 6 digits; found in the raw update bytes by subscribers


def ward_points(count: int) -> list[tuple[float, float]]:
    """(lat, lon) inside `count` different wards of the sample boundaries: reports spread out."""
    from shapely.geometry import shape

    from app.directory.routing import SAMPLE_BOUNDARIES

    features = json.loads(SAMPLE_BOUNDARIES.read_text())["features"]
    points = []
    for feature in features[:: max(1, len(features) // count)][:count]:
        p = shape(feature["geometry"]).representative_point()
        points.append((p.y, p.x))
    return points


def report_update(category: str, where: tuple[float, float] | None) -> tuple[Doc, bytes]:
    """A citizen's new report document (layout of `app/incidents/documents.py`) and its whole update."""
    doc: Doc = Doc()
    report = doc.get("report", type=Map)
    with doc.transaction():
        report["category"] = category
        report["description"] = DESCRIPTION
        report["created_at"] = time.time() * 1000
        if where is not None:
            report["lat"], report["lon"] = where
            report["accuracy"] = 15.0
        report["media"] = Array()
        report["messages"] = Array()
    return doc, doc.get_update()


def report_body(category: str, where: tuple[float, float] | None) -> bytes:
    """What the PWA's sync queue posts for a new report: its step 1 and the whole update."""
    doc, update = report_update(category, where)
    return protocol.sync_step1(doc.get_state()) + protocol.sync_update(update)


def new_id() -> str:
    return str(uuid.uuid4())


def inbox_summary(incident_id: str, note: str = "") -> dict[str, Any]:
    """An entry of an inbox document, as `app/incidents/fanout.py` writes it (about 400 bytes)."""
    return {
        "id": incident_id,
        "category": "crime",
        "priority": 1.0,
        "status": "new",
        "arrived_at": time.time() * 1000,
        "ward_code": 27031.0,
        "ward_name": "Phường Tân Phú",
        "lat": 10.7912,
        "lon": 106.6271,
        "outside": False,
        "no_location": False,
        "summary": (note + " " + DESCRIPTION)[:140],
        "media_count": 0.0,
        "units": [],
        "escalation": None,
        "need_support": False,
        "assigned": False,
    }


class FeedWriter:
    """The one writer of the fan-out benchmark: a local Doc and the updates it makes."""

    def __init__(self) -> None:
        self.doc: Doc = Doc()
        self.entries = self.doc.get("incidents", type=Map)

    def seed(self, count: int) -> bytes:
        """`count` entries at once (an inbox that already lists open incidents)."""
        before = self.doc.get_state()
        with self.doc.transaction():
            for i in range(count):
                self.entries[f"seed-{i:05d}"] = inbox_summary(new_id(), f"seed {i}")
        return self.doc.get_update(before)

    def write(self, n: int) -> bytes:
        """One inbox entry changed; the update carries WRITE_MARK + n for the subscribers."""
        before = self.doc.get_state()
        mark = (WRITE_MARK + b"%06d" % n).decode()
        self.entries[f"live-{n % 16:02d}"] = inbox_summary(new_id(), mark)
        return self.doc.get_update(before)


def write_number(message: bytes) -> int | None:
    """The write a relayed update message carries, or None (cheap: no CRDT decoding)."""
    at = message.find(WRITE_MARK)
    if at < 0:
        return None
    start = at + len(WRITE_MARK)
    return int(message[start : start + 6])
