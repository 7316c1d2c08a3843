"""The GIS export: the incidents the statistics filters select, as a GeoJSON FeatureCollection.

One Point feature per incident with a location (RFC 7946: WGS84, longitude first), with what a
GIS analyst maps: category, priority, status, ward, channel, the times of each stage and the
response figures (seconds from arrival). Nothing a citizen wrote or gave leaves this way: no
description (free text often names people), no contact, no device. Incidents without a location
are counted in the collection's `no_location`, not drawn.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from app.directory.routing import CATEGORIES
from app.incidents.intake import channel_kind
from app.incidents.state import STATUSES
from app.stats.facts import Facts
from app.stats.query import Filters, Names, durations, invalid, local_iso, select

MAX_FEATURES = 50_000
CHUNK = 500  # ids per IN (...) query: well under SQLite's and PostgreSQL's parameter limits
STAMPS = ("triaged", "dispatched", "first_ack", "first_en_route", "first_on_scene", "resolved", "closed")
FIGURES = {"dispatch_s": "dispatched", "acknowledge_s": "first_ack", "on_scene_s": "first_on_scene",
           "resolve_s": "resolved"}


def _extra(conn: Any, ids: list[str]) -> dict[str, tuple[int, str]]:
    """Priority and channel (not among the in-memory facts), by id."""
    found: dict[str, tuple[int, str]] = {}
    for k in range(0, len(ids), CHUNK):
        part = ids[k : k + CHUNK]
        marks = ",".join("?" * len(part))
        for r in conn.execute(f"SELECT id, priority, channel FROM incidents WHERE id IN ({marks})", part):
            found[r[0]] = (int(r[1]), str(r[2]))
    return found


def _iso(t: float) -> str | None:
    return None if t != t else local_iso(t)  # NaN: the stage was not reached


def collection(conn: Any, facts: Facts, names: Names, f: Filters) -> dict[str, Any]:
    mask = select(facts, f)
    located = mask & ~np.isnan(facts.lat) & ~np.isnan(facts.lon)
    rows = np.flatnonzero(located)
    if len(rows) > MAX_FEATURES:
        raise invalid(f"More than {MAX_FEATURES:,} incidents: narrow the period or the filters.")
    ids = [facts.ids[k] for k in rows.tolist()]
    extra = _extra(conn, ids)
    arrived = facts.arrived[rows]
    stamps = {name: getattr(facts, name)[rows] for name in STAMPS}
    spans = {key: durations(stamps[stamp], arrived) for key, stamp in FIGURES.items()}
    features = []
    for j, k in enumerate(rows.tolist()):
        priority, channel = extra.get(ids[j], (None, "app"))
        ward = int(facts.ward[k])
        status = int(facts.status[k])
        props: dict[str, Any] = {
            "id": ids[j],
            "category": CATEGORIES[facts.category[k]],
            "priority": priority,
            "status": STATUSES[status] if status >= 0 else "unknown",
            "ward_code": ward if ward >= 0 else None,
            "ward_name": names.wards.get(ward) if ward >= 0 else None,
            "channel": channel_kind(channel),
            "arrived_at": local_iso(float(arrived[j])),
            **{f"{name}_at": _iso(float(stamps[name][j])) for name in STAMPS},
            **{key: None if v[j] != v[j] else round(float(v[j]), 1) for key, v in spans.items()},
        }
        props["dispatched_within_60s"] = None if props["dispatch_s"] is None else props["dispatch_s"] <= 60
        features.append({
            "type": "Feature",
            "id": ids[j],
            "geometry": {"type": "Point", "coordinates": [round(float(facts.lon[k]), 6), round(float(facts.lat[k]), 6)]},
            "properties": props,
        })
    return {
        "type": "FeatureCollection",
        "name": "sos-incidents",
        "filters": f.echo(),
        "total": int(mask.sum()),
        "no_location": int(mask.sum() - len(rows)),
        "features": features,
    }
