"""The tables of reports and incidents: what documents are projected into, and the inbox rows.

Steps of `app/schema.py`'s migrations; each runs inside its migration's transaction.
"""

from __future__ import annotations

from app.storage.base import Connection

PROJECTIONS = """
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


def projections(tx: Connection) -> None:
    tx.script(PROJECTIONS)


def inbox_entries_by_incident(tx: Connection) -> None:
    # The inbox writer looks up an incident's entries in every unit's inbox (fanout.py); the
    # primary key (unit, incident_id) cannot serve that, and a scan made each report's inbox
    # work grow with the number of open incidents.
    tx.script("CREATE INDEX inbox_entries_incident ON inbox_entries(incident_id);")


def channels(tx: Connection) -> None:
    # How a report came in: "app" (the citizen app), "phone" (a call taken at the center) or
    # "partner:<name>" (Open311). The author is who took it (a dispatcher's username, a partner's
    # name); a location picked as a ward's centre is approximate (app/incidents/intake.py).
    tx.script(
        """ALTER TABLE incidents ADD COLUMN channel TEXT NOT NULL DEFAULT 'app';
        ALTER TABLE reports ADD COLUMN author TEXT;
        ALTER TABLE reports ADD COLUMN location_approximate INTEGER NOT NULL DEFAULT 0;
        CREATE INDEX incidents_channel ON incidents(channel, arrived_at);"""
    )


def warning_link(tx: Connection) -> None:
    # issue 24: a report made from a public warning's "need help" names the warning; the incident
    # shows it, so the console can link the two.
    tx.script("ALTER TABLE incidents ADD COLUMN warning TEXT;")


def positions(tx: Connection) -> None:
    # Officers' fixes while on duty (app/incidents/positions.py): every fix for the track, and the
    # newest per officer for the console, both deleted after the retention setting. `at` is the
    # phone's clock in s; one fix per officer and instant, so a batch sent twice is kept once.
    tx.script(
        """
        CREATE TABLE officer_positions (
            user_id INTEGER NOT NULL REFERENCES users(id),
            lat REAL NOT NULL, lon REAL NOT NULL, accuracy REAL NOT NULL,
            at REAL NOT NULL,
            received_at REAL NOT NULL,
            PRIMARY KEY (user_id, at)
        );
        CREATE INDEX officer_positions_at ON officer_positions(at);
        CREATE TABLE officer_positions_latest (
            user_id INTEGER PRIMARY KEY REFERENCES users(id),
            lat REAL NOT NULL, lon REAL NOT NULL, accuracy REAL NOT NULL,
            at REAL NOT NULL,
            received_at REAL NOT NULL
        );
        """,
    )


def silent_reports(tx: Connection) -> None:
    # issue 29: a report made without a sound, and how many fixes of its live location the report
    # document holds (the fixes themselves stay in the document: docs/silent.md).
    tx.script(
        """ALTER TABLE incidents ADD COLUMN silent INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE reports ADD COLUMN track_count INTEGER NOT NULL DEFAULT 0;"""
    )
