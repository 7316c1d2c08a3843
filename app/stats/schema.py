"""The statistics' tables: the change log that keeps the in-memory facts fresh, and its indexes.

A step of `app/schema.py`'s migrations, run inside its migration's transaction.
"""

from __future__ import annotations

from app.storage.base import Connection

SCHEMA = """
CREATE TABLE stats_changes (
    incident_id TEXT PRIMARY KEY,
    seq INTEGER NOT NULL                   -- grows with every commit that touched the incident
);
CREATE INDEX stats_changes_seq ON stats_changes(seq);
CREATE INDEX incidents_arrived ON incidents(arrived_at);
CREATE INDEX assignments_unit ON assignments(unit, incident_id);
CREATE INDEX audit_action ON audit_log(action);
CREATE INDEX audit_at ON audit_log(at);
"""
# Not `INSERT OR REPLACE`: a trigger takes the conflict policy of the statement that fired it, so
# under the projection's `INSERT ... ON CONFLICT DO UPDATE` a REPLACE in here becomes an ABORT.
# Two statements that can never conflict instead; the new number is taken before anything moves,
# so an incident never gets back the number it already had.
_BUMP = (
    "UPDATE stats_changes SET seq = (SELECT max(seq) + 1 FROM stats_changes)"
    " WHERE incident_id = {ref};"
    " INSERT INTO stats_changes (incident_id, seq)"
    " SELECT {ref}, (SELECT coalesce(max(seq), 0) + 1 FROM stats_changes)"
    " WHERE NOT EXISTS (SELECT 1 FROM stats_changes WHERE incident_id = {ref});"
)
TRIGGERS = [
    ("incidents", "INSERT", "NEW.id"),
    ("incidents", "UPDATE", "NEW.id"),
    ("assignments", "INSERT", "NEW.incident_id"),
    ("assignments", "UPDATE", "NEW.incident_id"),
    ("assignments", "DELETE", "OLD.incident_id"),
]


def facts(tx: Connection) -> None:
    triggers = "".join(
        f"CREATE TRIGGER {table}_{event.lower()}_stats AFTER {event} ON {table} "
        f"BEGIN {_BUMP.format(ref=ref)} END;\n"
        for table, event, ref in TRIGGERS
    )
    tx.script(SCHEMA + triggers)
