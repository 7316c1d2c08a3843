"""Projections: the rows that documents turn into, written in the same transaction as the update.

The CRDT documents are the source of truth for what people wrote; these rows are what queries,
access checks, timers and statistics read. Each function here runs inside the sync engine's write
transaction (plain data in, no pycrdt objects), so a row exists exactly when its update does.
"""

from __future__ import annotations

import json
import time
from typing import Any

from app.directory.routing import Route
from app.incidents.state import OPEN_STATUSES, IncidentState
from app.storage import outbox
from app.storage.base import Connection


def new_report(
    tx: Connection,
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
    tx.execute(
        """INSERT INTO reports (id, device_id, category, description, lat, lon, accuracy,
               created_at_phone, arrived_at, ward_code, outside, no_location, media_count,
               message_count, contact_name, contact_phone, updated_at, track_count,
               boundary_approximate)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        (
            report_id, device_id, data["category"], data.get("description") or "",
            data.get("lat"), data.get("lon"), data.get("accuracy"), data.get("created_at"),
            arrived_at, route.ward_code, int(route.outside and not route.no_location),
            int(route.no_location), len(data.get("media") or []), len(data.get("messages") or []),
            contact.get("name"), contact.get("phone"), arrived_at, len(data.get("track") or []),
            int(route.approximate_boundary),
        ),
    )
    tx.execute(
        """INSERT INTO incidents (id, status, category, priority, ward_code, ward_unit, lat, lon,
               arrived_at, updated_at, warning, silent) VALUES (?, 'new', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        (
            report_id, data["category"], priority, route.ward_code, route.ward_unit,
            data.get("lat"), data.get("lon"), arrived_at, arrived_at, data.get("warning"),
            int(data.get("silent") is True),
        ),
    )
    for unit in route.units():
        tx.execute(
            "INSERT INTO incident_units (incident_id, unit, why) VALUES (?, ?, 'routed')"
            " ON CONFLICT DO NOTHING",
            (report_id, unit),
        )


def report_changed(tx: Connection, report_id: str, data: dict[str, Any]) -> None:
    contact = data.get("contact") or {}
    tx.execute(
        """UPDATE reports SET media_count = ?, message_count = ?, contact_name = ?,
           contact_phone = ?, updated_at = ?, track_count = ? WHERE id = ?""",
        (
            len(data.get("media") or []),
            len(data.get("messages") or []),
            contact.get("name"),
            contact.get("phone"),
            time.time(),
            len(data.get("track") or []),
            report_id,
        ),
    )


def track_may_grow(tx: Connection, report_id: str, count: int) -> bool:
    """A silent report's live location is taken while its incident is open, never after (issue 29):
    fixes beyond those already kept are refused once it is resolved, closed, rejected or merged.
    Only the count is kept in the rows: the statistics and exports know the first location alone."""
    row = tx.execute(
        "SELECT r.track_count, i.status FROM reports r JOIN incidents i ON i.id = r.id WHERE r.id = ?",
        (report_id,),
    ).fetchone()
    if row is None or count <= row[0]:
        return True
    return row[1] in OPEN_STATUSES and row[1] != "resolved"


def incident_changed(
    tx: Connection,
    incident_id: str,
    state: IncidentState,
    added: dict[str, list[dict[str, Any]]],
    received_at: float,
) -> list[str]:
    """Project the folded state; returns the units that lost access (withdrawn, not routed)."""
    lost: list[str] = []
    tx.execute(
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
        tx.execute(
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
            tx.execute(
                "INSERT INTO incident_units (incident_id, unit, why) VALUES (?, ?, 'dispatched')"
                " ON CONFLICT DO NOTHING",
                (incident_id, unit),
            )
        else:  # a withdrawn unit sees the incident no more, unless it was routed to it
            gone = tx.execute(
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
            tx.execute(
                """INSERT INTO timeline_events
                   (incident_id, entry_id, log, kind, user_id, unit, at, received_at, detail)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING""",
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


def enqueue_fanout(tx: Connection, incident_id: str, reply: bool = True) -> None:
    """Queue the server writes that follow any change of an incident: inboxes and the reply."""
    stamp = time.time_ns()
    outbox.enqueue(tx, "inbox.sync", f"inbox.sync:{incident_id}:{stamp}", {"incident": incident_id})
    if reply:
        outbox.enqueue(tx, "reply.sync", f"reply.sync:{incident_id}:{stamp}", {"incident": incident_id})
