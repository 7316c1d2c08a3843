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


# PostgreSQL runs writers side by side: the number is taken under a lock held until commit, so
# that numbers still follow the commit order (a reader that saw N has seen everything below N).
# And incidents get a row number of their own, what SQLite's rowid is to app/stats/facts.py.
POSTGRES = """
ALTER TABLE incidents ADD COLUMN row_no BIGINT GENERATED ALWAYS AS IDENTITY;
CREATE UNIQUE INDEX incidents_row_no ON incidents(row_no);
CREATE FUNCTION stats_bump() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE ref TEXT;
BEGIN
    IF TG_TABLE_NAME = 'incidents' THEN ref := NEW.id;
    ELSIF TG_OP = 'DELETE' THEN ref := OLD.incident_id;
    ELSE ref := NEW.incident_id;
    END IF;
    PERFORM pg_advisory_xact_lock(7420002);
    INSERT INTO stats_changes (incident_id, seq)
        VALUES (ref, (SELECT coalesce(max(seq), 0) + 1 FROM stats_changes))
        ON CONFLICT (incident_id) DO UPDATE SET seq = excluded.seq;
    RETURN NULL;
END $$;
CREATE TRIGGER incidents_stats AFTER INSERT OR UPDATE ON incidents
    FOR EACH ROW EXECUTE FUNCTION stats_bump();
CREATE TRIGGER assignments_stats AFTER INSERT OR UPDATE OR DELETE ON assignments
    FOR EACH ROW EXECUTE FUNCTION stats_bump();
"""


# Why the lock above had to go (bench/RESULTS.md, "Scale-out"): held from a report's incidents
# INSERT until its commit, it let one report at a time through, from every process, and was what
# kept a second web process from adding anything to ingest. Instead each change is stamped with the
# id of the transaction that made it, and a reader remembers the oldest transaction still running
# when it read (its snapshot's xmin): whatever commits later has an id at least that large, so
# asking next time for everything stamped at or above it misses nothing. It may hand back a few
# incidents already read; reading an incident again is harmless. 64-bit ids (xid8) never wrap.
# The old numbers are set to 0: every reader loads them at start anyway.
POSTGRES_WITHOUT_LOCK = """
CREATE OR REPLACE FUNCTION stats_bump() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE ref TEXT;
BEGIN
    IF TG_TABLE_NAME = 'incidents' THEN ref := NEW.id;
    ELSIF TG_OP = 'DELETE' THEN ref := OLD.incident_id;
    ELSE ref := NEW.incident_id;
    END IF;
    INSERT INTO stats_changes (incident_id, seq)
        VALUES (ref, pg_current_xact_id()::text::bigint)
        ON CONFLICT (incident_id) DO UPDATE SET seq = excluded.seq;
    RETURN NULL;
END $$;
UPDATE stats_changes SET seq = 0;
"""

# What a reader remembers: every change stamped above it is one it has not read yet.
WATERMARK = {
    "sqlite": "SELECT coalesce(max(seq), 0) FROM stats_changes",
    "postgresql": "SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint - 1",
}


def facts(tx: Connection) -> None:
    if tx.dialect == "postgresql":
        tx.script(SCHEMA + POSTGRES)
        return
    triggers = "".join(
        f"CREATE TRIGGER {table}_{event.lower()}_stats AFTER {event} ON {table} "
        f"BEGIN {_BUMP.format(ref=ref)} END;\n"
        for table, event, ref in TRIGGERS
    )
    tx.script(SCHEMA + triggers)


def changes_without_a_global_lock(tx: Connection) -> None:
    """PostgreSQL: stamp changes with the writing transaction's id instead of a counter under one
    lock (see POSTGRES_WITHOUT_LOCK). SQLite keeps its counter: it has one writer anyway."""
    if tx.dialect == "postgresql":
        tx.script(POSTGRES_WITHOUT_LOCK)
