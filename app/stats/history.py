"""A generated history of incidents with known timestamps, written straight into the rows.

The statistics tests compare the API with figures they compute themselves from the same history,
and the benchmark needs 100,000 incidents in seconds: neither can go through the documents. So
this writes the projected rows (`reports`, `incidents`, `assignments`, `incident_units`) exactly
as `app/incidents/projection.py` would have left them, and returns the same facts as plain Python.

    history = generate(5000, days=90, end=time.time(), seed=1)
    insert(svc.db, history)
"""

from __future__ import annotations

import itertools
import math
import random
from dataclasses import dataclass, field
from typing import Any

from app.incidents.documents import DEFAULT_PRIORITY
from app.incidents.state import STAGES
from app.storage.base import Database

CATEGORY_WEIGHTS = {"crime": 35, "traffic": 35, "fire": 8, "other": 22}
DEPARTMENT = {"crime": "dept-crime", "traffic": "dept-traffic", "fire": "dept-fire"}
DEVICE_ID = "stats-history-device"
# Where the incident ends up, and how often (per mille). Open ones are spread over the whole
# period: unrealistic, but it gives every status a share for the overview to count.
OUTCOMES = (
    ("rejected", 60), ("merged", 30), ("new", 25), ("triaged", 25), ("dispatched", 25),
    ("acknowledged", 25), ("en_route", 20), ("on_scene", 30), ("resolved", 300), ("closed", 440),
)
STAMPS = ("dispatched_at", "acknowledged_at", "en_route_at", "on_scene_at", "cleared_at")
# Hour-of-day weights: quiet at night, busy in the evening rush.
HOURLY = (2, 1, 1, 1, 1, 2, 4, 6, 6, 5, 5, 5, 6, 5, 5, 5, 6, 8, 9, 9, 8, 6, 4, 3)
LOCAL_OFFSET_S = 7 * 3600


@dataclass
class History:
    incidents: list[dict[str, Any]] = field(default_factory=list)
    assignments: list[dict[str, Any]] = field(default_factory=list)


def _ward_centres(codes: list[int], rng: random.Random) -> dict[int, tuple[float, float]]:
    """A made-up centre per ward inside the city's box; the map only needs points that cluster."""
    return {c: (rng.uniform(10.70, 10.90), rng.uniform(106.58, 106.82)) for c in codes}


def _delay(rng: random.Random, median_s: float, spread: float = 0.8) -> float:
    return median_s * math.exp(rng.gauss(0, spread))


def generate(
    n: int,
    *,
    days: int = 90,
    end: float,
    seed: int = 1,
    wards: list[int] | None = None,
) -> History:
    """`n` incidents arrived in the `days` before `end` (epoch seconds), in `wards` (codes)."""
    from app.directory.routing import official_wards

    rng = random.Random(seed)
    codes = wards or [w.code for w in official_wards()]
    centres = _ward_centres(codes, rng)
    # Uneven wards, so that the bars by ward differ: weight 1/rank. Cumulative weights, because
    # `choices` would sum them again on every call.
    ward_cum = list(itertools.accumulate(1 / (i + 1) for i in range(len(codes))))
    categories, cat_weights = zip(*CATEGORY_WEIGHTS.items(), strict=True)
    cat_cum = list(itertools.accumulate(cat_weights))
    outcomes, out_weights = zip(*OUTCOMES, strict=True)
    out_cum = list(itertools.accumulate(out_weights))
    hour_cum = list(itertools.accumulate(HOURLY))
    start_day = math.floor((end + LOCAL_OFFSET_S) / 86400) - days + 1
    history = History()
    for i in range(n):
        while True:
            day = start_day + rng.randrange(days)
            hour = rng.choices(range(24), cum_weights=hour_cum)[0]
            arrived = round(day * 86400 - LOCAL_OFFSET_S + hour * 3600 + rng.uniform(0, 3600), 3)
            if arrived < end - 3600:  # an hour before `end`: every stage had time to happen
                break
        category = rng.choices(categories, cum_weights=cat_cum)[0]
        no_location = rng.random() < 0.03
        ward = None if no_location else rng.choices(codes, cum_weights=ward_cum)[0]
        lat = lon = None
        if ward is not None:
            lat = round(centres[ward][0] + rng.gauss(0, 0.006), 6)
            lon = round(centres[ward][1] + rng.gauss(0, 0.006), 6)
        outcome = rng.choices(outcomes, cum_weights=out_cum)[0]
        incident: dict[str, Any] = {
            "id": f"h{seed}-{i:07d}", "status": outcome, "category": category,
            "priority": DEFAULT_PRIORITY[category], "ward_code": ward,
            "ward_unit": None if ward is None else f"ward-{ward}", "lat": lat, "lon": lon,
            "arrived_at": arrived, "triaged_at": None, "dispatched_at": None,
            "resolved_at": None, "closed_at": None,
            "rejected_reason": "spam" if outcome == "rejected" else None,
            "merged_into": None,
        }
        history.incidents.append(incident)
        if outcome == "new":
            continue
        # A dispatcher's clock may run behind the server's: a few triages "before" the arrival.
        if rng.random() < 0.01:
            triaged = arrived - rng.uniform(0.1, 3)
        else:
            triaged = arrived + _delay(rng, 25)
        incident["triaged_at"] = round(triaged, 3)
        if outcome == "merged" and i:
            incident["merged_into"] = history.incidents[rng.randrange(i)]["id"]
        if outcome in ("rejected", "merged", "triaged"):
            continue
        reached = STAGES.index(outcome) if outcome in STAGES else len(STAGES) - 1
        units = [u for u in ([] if ward is None else [f"ward-{ward}"]) + [DEPARTMENT.get(category)] if u]
        units = units or ["ward-" + str(codes[0])]
        if len(units) > 1 and rng.random() < 0.4:
            units = units[:1]
        first = triaged + _delay(rng, 20)
        rows = []
        for k, unit in enumerate(units):
            # The first unit is the lead and reaches the incident's stage; the others may lag.
            stage = reached if k == 0 else rng.randint(0, reached)
            t = first + (0 if k == 0 else _delay(rng, 90))
            row: dict[str, Any] = {"incident_id": incident["id"], "unit": unit, "withdrawn_at": None}
            gaps = (0, _delay(rng, 45), _delay(rng, 20), _delay(rng, 420, 0.5), _delay(rng, 1800, 0.6))
            for s, stamp in enumerate(STAMPS):
                t += gaps[s]
                row[stamp] = round(t, 3) if s <= stage else None
            rows.append(row)
        if rng.random() < 0.1:  # a unit sent by mistake and withdrawn: it still counts as dispatched
            extra = "dept-order" if "dept-order" not in units else "center"
            t = first + _delay(rng, 10)
            ack = t + _delay(rng, 30) if rng.random() < 0.5 else None
            rows.append({
                "incident_id": incident["id"], "unit": extra, "dispatched_at": round(t, 3),
                "acknowledged_at": None if ack is None else round(ack, 3), "en_route_at": None,
                "on_scene_at": None, "cleared_at": None, "withdrawn_at": round(t + 120, 3),
            })
        history.assignments.extend(rows)
        incident["dispatched_at"] = min(r["dispatched_at"] for r in rows)
        cleared = [r["cleared_at"] for r in rows if r["cleared_at"] and r["withdrawn_at"] is None]
        incident["resolved_at"] = min(cleared) if cleared else None
        if outcome == "closed":
            incident["closed_at"] = round(max(cleared) + _delay(rng, 600), 3)
    return history


INCIDENT_COLUMNS = (
    "id", "status", "category", "priority", "ward_code", "ward_unit", "lat", "lon", "arrived_at",
    "triaged_at", "dispatched_at", "resolved_at", "closed_at", "rejected_reason", "merged_into",
)
ASSIGNMENT_COLUMNS = ("incident_id", "unit", *STAMPS, "withdrawn_at")


def insert(db: Database, history: History, chunk: int = 20_000) -> None:
    """Write the rows in transactions of `chunk` incidents (the writer's usual path)."""
    db.write_sync(
        lambda tx: tx.execute(
            "INSERT INTO devices (id, created_at) VALUES (?, 0) ON CONFLICT DO NOTHING", (DEVICE_ID,)
        )
    )
    by_incident: dict[str, list[dict[str, Any]]] = {}
    for a in history.assignments:
        by_incident.setdefault(a["incident_id"], []).append(a)
    for start in range(0, len(history.incidents), chunk):
        part = history.incidents[start : start + chunk]
        assignments = [a for i in part for a in by_incident.get(i["id"], [])]
        db.write_sync(lambda tx, part=part, assignments=assignments: _write(tx, part, assignments))


def _write(tx: Any, incidents: list[dict[str, Any]], assignments: list[dict[str, Any]]) -> None:
    c = tx
    c.executemany(
        """INSERT INTO reports (id, device_id, category, lat, lon, arrived_at, ward_code,
           no_location, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        [
            (i["id"], DEVICE_ID, i["category"], i["lat"], i["lon"], i["arrived_at"], i["ward_code"],
             int(i["lat"] is None), i["arrived_at"])
            for i in incidents
        ],
    )
    c.executemany(
        f"INSERT INTO incidents ({', '.join(INCIDENT_COLUMNS)}, updated_at)"
        f" VALUES ({', '.join('?' * (len(INCIDENT_COLUMNS) + 1))})",
        [(*(i[k] for k in INCIDENT_COLUMNS), i["arrived_at"]) for i in incidents],
    )
    c.executemany(
        f"INSERT INTO assignments ({', '.join(ASSIGNMENT_COLUMNS)})"
        f" VALUES ({', '.join('?' * len(ASSIGNMENT_COLUMNS))})",
        [tuple(a[k] for k in ASSIGNMENT_COLUMNS) for a in assignments],
    )
    routed = {(i["id"], "center", "routed") for i in incidents}
    routed |= {(i["id"], i["ward_unit"], "routed") for i in incidents if i["ward_unit"]}
    routed |= {
        (a["incident_id"], a["unit"], "dispatched") for a in assignments if a["withdrawn_at"] is None
    }
    c.executemany(
        "INSERT INTO incident_units (incident_id, unit, why) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
        sorted(routed),
    )
