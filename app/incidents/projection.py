"""Projections: the rows that documents turn into, written in the same transaction as the update.

The CRDT documents are the source of truth for what people wrote; these rows are what queries,
access checks, timers and statistics read. Each function here runs inside the sync engine's write
transaction (plain data in, no pycrdt objects), so a row exists exactly when its update does.
"""

from __future__ import annotations

import json
import time
from typing import Any

import sqlite_utils

from app.directory.routing import Route
from app.incidents.state import OPEN_STATUSES, IncidentState
from app.schema import run_script
from app.storage import outbox

SCHEMA = """
CREATE TABLE reports (
    id TEXT PRIMARY KEY,
    device_id TEXT NOT NULL REFERENCES devices(id),
    category TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    lat REAL, lon REAL, accuracy REAL,
    created_at_phone REAL,                 -- ms since epoch, the phone's clock
    arrived_at REAL NOT NULL,              -- s since epoch, the server's clock
    ward_code INTEGER,
    outside INTEGER NOT NULL DEFAULT 0,    -- outside every boundary: routed to the nearest ward
    no_location INTEGER NOT NULL DEFAULT 0,
    media_count INTEGER NOT NULL DEFAULT 0,
    message_count INTEGER NOT NULL DEFAULT 0,
    contact_name TEXT, contact_phone TEXT,
    updated_at REAL NOT NULL
);
CREATE INDEX reports_device ON reports(device_id, arrived_at);
CREATE TABLE incidents (
    id TEXT PRIMARY KEY REFERENCES reports(id),
    status TEXT NOT NULL,
    category TEXT NOT NULL,
    priority INTEGER NOT NULL,
    ward_code INTEGER,
    ward_unit TEXT,
    lat REAL, lon REAL,
    arrived_at REAL NOT NULL,
    triaged_at REAL, dispatched_at REAL, resolved_at REAL, closed_at REAL,
    rejected_reason TEXT, merged_into TEXT, outcome TEXT,
    need_support_at REAL,
    escalated_at REAL, escalation TEXT,
    updated_at REAL NOT NULL
);
CREATE INDEX incidents_status ON incidents(status, arrived_at);
CREATE INDEX incidents_ward ON incidents(ward_code, arrived_at);
CREATE INDEX incidents_merged ON incidents(merged_into);
-- Which units may see an incident: those routed at arrival and those dispatched since.
CREATE TABLE incident_units (
    incident_id TEXT NOT NULL REFERENCES incidents(id),
    unit TEXT NOT NULL,
    why TEXT NOT NULL,                     -- routed, dispatched
    PRIMARY KEY (incident_id, unit)
);
CREATE INDEX incident_units_unit ON incident_units(unit);
CREATE TABLE assignments (
    incident_id TEXT NOT NULL REFERENCES incidents(id),
    unit TEXT NOT NULL,
    dispatched_at REAL, dispatched_by TEXT, instructions TEXT,
    acknowledged_at REAL, en_route_at REAL, on_scene_at REAL, cleared_at REAL, withdrawn_at REAL,
    PRIMARY KEY (incident_id, unit)
);
CREATE TABLE timeline_events (
    incident_id TEXT NOT NULL REFERENCES incidents(id),
    entry_id TEXT NOT NULL,
    log TEXT NOT NULL,                     -- dispatch, timeline
    kind TEXT NOT NULL,                    -- the dispatch action or timeline type
    user_id TEXT, unit TEXT,
    at REAL,                               -- ms, the writer's device clock
    received_at REAL NOT NULL,             -- s, the server's clock
    detail TEXT,
    PRIMARY KEY (incident_id, entry_id)
);
-- What each unit's inbox document lists now, so the inbox writer can compute what to change.
CREATE TABLE inbox_entries (
    unit TEXT NOT NULL,
    incident_id TEXT NOT NULL,
    summary TEXT NOT NULL,
    PRIMARY KEY (unit, incident_id)
);
"""


def create_tables(db: sqlite_utils.Database) -> None:
    run_script(db, SCHEMA)


def new_report(
    tx: sqlite_utils.Database,
    report_id: str,
    device_id: str,
    data: dict[str, Any],
    route: Route,
    priority: int,
    arrived_at: float,
) -> None:
    contact = data.get("contact") or {}
    # Plain SQL: sqlite-utils' insert() introspects the table (sqlite_master, PRAGMA) on every
    # call, which cost ~10x the inserts themselves on this hot path.
    tx.conn.execute(
        """INSERT INTO reports (id, device_id, category, description, lat, lon, accuracy,
               created_at_phone, arrived_at, ward_code, outside, no_location, media_count,
               message_count, contact_name, contact_phone, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        (
            report_id, device_id, data["category"], data.get("description") or "",
            data.get("lat"), data.get("lon"), data.get("accuracy"), data.get("created_at"),
            arrived_at, route.ward_code, int(route.outside and not route.no_location),
            int(route.no_location), len(data.get("media") or []), len(data.get("messages") or []),
            contact.get("name"), contact.get("phone"), arrived_at,
        ),
    )
    tx.conn.execute(
        """INSERT INTO incidents (id, status, category, priority, ward_code, ward_unit, lat, lon,
               arrived_at, updated_at) VALUES (?, 'new', ?, ?, ?, ?, ?, ?, ?, ?)""",
        (
            report_id, data["category"], priority, route.ward_code, route.ward_unit,
            data.get("lat"), data.get("lon"), arrived_at, arrived_at,
        ),
    )
    for unit in route.units():
        tx.conn.execute(
            "INSERT OR IGNORE INTO incident_units (incident_id, unit, why) VALUES (?, ?, 'routed')",
            (report_id, unit),
        )


def report_changed(tx: sqlite_utils.Database, report_id: str, data: dict[str, Any]) -> None:
    contact = data.get("contact") or {}
    tx.conn.execute(
        """UPDATE reports SET media_count = ?, message_count = ?, contact_name = ?,
           contact_phone = ?, updated_at = ? WHERE id = ?""",
        (
            len(data.get("media") or []),
            len(data.get("messages") or []),
            contact.get("name"),
            contact.get("phone"),
            time.time(),
            report_id,
        ),
    )


def incident_changed(
    tx: sqlite_utils.Database,
    incident_id: str,
    state: IncidentState,
    added: dict[str, list[dict[str, Any]]],
    received_at: float,
) -> list[str]:
    """Project the folded state; returns the units that lost access (withdrawn, not routed)."""
    lost: list[str] = []
    tx.conn.execute(
        """UPDATE incidents SET status = ?, category = COALESCE(?, category),
           priority = COALESCE(?, priority), triaged_at = ?, dispatched_at = ?, resolved_at = ?,
           closed_at = ?, rejected_reason = ?, merged_into = ?, outcome = ?, need_support_at = ?,
           updated_at = ? WHERE id = ?""",
        (
            state.status, state.category, state.priority, _s(state.triaged_at),
            _s(state.first_dispatched_at), _s(state.resolved_at), _s(state.closed_at),
            state.rejected_reason, state.merged_into, state.outcome, _s(state.need_support_at),
            received_at, incident_id,
        ),
    )
    for unit, a in state.assignments.items():
        tx.conn.execute(
            """INSERT INTO assignments (incident_id, unit, dispatched_at, dispatched_by, instructions,
                   acknowledged_at, en_route_at, on_scene_at, cleared_at, withdrawn_at)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT(incident_id, unit) DO UPDATE SET dispatched_at = excluded.dispatched_at,
                   dispatched_by = excluded.dispatched_by, instructions = excluded.instructions,
                   acknowledged_at = excluded.acknowledged_at, en_route_at = excluded.en_route_at,
                   on_scene_at = excluded.on_scene_at, cleared_at = excluded.cleared_at,
                   withdrawn_at = excluded.withdrawn_at""",
            (
                incident_id, unit, _s(a.dispatched_at), a.dispatched_by, a.instructions,
                _s(a.acknowledged_at), _s(a.en_route_at), _s(a.on_scene_at), _s(a.cleared_at),
                _s(a.withdrawn_at),
            ),
        )
        if a.active:
            tx.conn.execute(
                "INSERT OR IGNORE INTO incident_units (incident_id, unit, why) VALUES (?, ?, 'dispatched')",
                (incident_id, unit),
            )
        else:  # a withdrawn unit sees the incident no more, unless it was routed to it
            gone = tx.conn.execute(
                "DELETE FROM incident_units WHERE incident_id = ? AND unit = ? AND why = 'dispatched'",
                (incident_id, unit),
            )
            if gone.rowcount:
                lost.append(unit)
    for log, entries in added.items():
        for entry in entries:
            kind = entry.get("action") if log == "dispatch" else entry.get("type")
            if kind == "created":  # the server's opening entry of each log
                continue
            tx.conn.execute(
                """INSERT OR IGNORE INTO timeline_events
                   (incident_id, entry_id, log, kind, user_id, unit, at, received_at, detail)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                (
                    incident_id, entry["id"], log, kind, str(entry.get("by")), entry.get("unit"),
                    entry.get("at"), received_at, json.dumps(entry, ensure_ascii=False),
                ),
            )
    return lost


def _s(ms: float | None) -> float | None:
    """Log entries carry device time in milliseconds; rows keep seconds like `arrived_at`."""
    return None if ms is None else ms / 1000.0


def is_open(status: str) -> bool:
    return status in OPEN_STATUSES


def enqueue_fanout(tx: sqlite_utils.Database, incident_id: str, reply: bool = True) -> None:
    """Queue the server writes that follow any change of an incident: inboxes and the reply."""
    stamp = time.time_ns()
    outbox.enqueue(tx, "inbox.sync", f"inbox.sync:{incident_id}:{stamp}", {"incident": incident_id})
    if reply:
        outbox.enqueue(tx, "reply.sync", f"reply.sync:{incident_id}:{stamp}", {"incident": incident_id})
