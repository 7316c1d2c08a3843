"""Who may see what: the one place that answers access questions about reports and incidents.

Police see an incident (and its report, reply and media) when their role covers the whole city
(dispatcher, supervisor, admin) or their unit was routed to it or is dispatched to it (a
withdrawn unit loses it). A citizen device sees only the reports it made. Every other file asks
here rather than writing its own SQL.
"""

from __future__ import annotations

from typing import Any

from app.identity.auth import Principal
from app.storage.base import Database

CITY_WIDE_ROLES = ("dispatcher", "supervisor", "admin")


def _units_of(conn: Any, incident_id: str) -> set[str]:
    rows = conn.execute("SELECT unit FROM incident_units WHERE incident_id = ?", (incident_id,))
    return {r[0] for r in rows}


def incident_exists(conn: Any, incident_id: str) -> bool:
    return conn.execute("SELECT 1 FROM incidents WHERE id = ?", (incident_id,)).fetchone() is not None


def police_may_see(conn: Any, principal: Principal, incident_id: str) -> bool:
    if not principal.is_police or not incident_exists(conn, incident_id):
        return False
    if principal.role in CITY_WIDE_ROLES:
        return True
    return principal.unit in _units_of(conn, incident_id)


def report_owner(conn: Any, report_id: str) -> str | None:
    row = conn.execute("SELECT device_id FROM reports WHERE id = ?", (report_id,)).fetchone()
    return None if row is None else str(row[0])


def may_read_report(conn: Any, principal: Principal | None, report_id: str) -> bool:
    """Reports, replies and their media: the device that made it, and police with access."""
    if principal is None:
        return False
    if principal.is_citizen:
        owner = report_owner(conn, report_id)
        return owner is None or owner == principal.id  # nothing to read before it exists
    return police_may_see(conn, principal, report_id)


def may_read_media(
    conn: Any, principal: Principal | None, report_id: str, uploader: str | None = None
) -> bool:
    """A report's photos and videos (`uploader`: who sent the one asked for, if one is): police
    with access see them all; the citizen device sees those it sent to its own report, not the
    officers' photos for the incident's timeline, which are police records."""
    if principal is None:
        return False
    if principal.is_citizen:
        own = uploader is None or uploader == f"device:{principal.id}"
        return own and report_owner(conn, report_id) == principal.id
    return police_may_see(conn, principal, report_id)


def media_upload_refusal(conn: Any, principal: Principal | None, report_id: str) -> str | None:
    """Why `principal` may not upload to this report, or None if it may: the device that made
    the report, or police with access to its incident (officer photos for the timeline)."""
    if principal is None:
        return "unauthenticated"
    owner = report_owner(conn, report_id)
    if owner is None:
        return "no_report"  # an offline-made report uploads its media once the report is sent
    if principal.is_citizen:
        return None if owner == principal.id else "forbidden"
    return None if police_may_see(conn, principal, report_id) else "forbidden"


def inbox_readers(principal: Principal | None, unit: str) -> bool:
    if principal is None or not principal.is_police:
        return False
    if principal.role in ("supervisor", "admin"):
        return True
    if principal.role == "dispatcher":
        return unit == "center"
    return principal.unit == unit


async def check(db: Database, fn: Any, *args: Any) -> bool:
    return bool(await db.read(lambda conn: fn(conn, *args)))
