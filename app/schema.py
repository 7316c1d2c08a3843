"""The schema, as an ordered list of migrations; `PRAGMA user_version` counts those applied.

Append new migrations at the end; never edit one that has shipped. Libraries (`sync/`, `push/`,
`media/`) own their tables and expose a function that creates them; this list decides when it runs.
"""

from __future__ import annotations

import sqlite_utils

# One statement splitter for every schema: executescript would COMMIT mid-migration (see there).
from sync.store import run_script


def m001_foundation(db: sqlite_utils.Database) -> None:
    run_script(
        db,
        """
        CREATE TABLE wards (
            code INTEGER PRIMARY KEY,          -- official code (vietnam-provinces)
            name TEXT NOT NULL,
            division_type TEXT NOT NULL,       -- phường, xã, đặc khu
            boundary TEXT,                     -- GeoJSON geometry, NULL until imported
            boundary_source TEXT,              -- 'sample' or the imported file's name
            boundary_updated_at REAL
        );
        CREATE TABLE units (
            code TEXT PRIMARY KEY,             -- center, ward-<code>, dept-<name>
            kind TEXT NOT NULL CHECK (kind IN ('command_center', 'ward', 'department')),
            name TEXT NOT NULL,
            name_en TEXT,
            ward_code INTEGER REFERENCES wards(code),
            active INTEGER NOT NULL DEFAULT 1
        );
        -- Category -> department rules are data: the admin may change them without a release.
        CREATE TABLE category_departments (
            category TEXT NOT NULL CHECK (category IN ('crime', 'traffic', 'fire', 'other')),
            unit_code TEXT NOT NULL REFERENCES units(code),
            PRIMARY KEY (category, unit_code)
        );
        CREATE TABLE users (
            id INTEGER PRIMARY KEY,
            username TEXT NOT NULL UNIQUE COLLATE NOCASE,
            password_hash TEXT NOT NULL,
            role TEXT NOT NULL CHECK (role IN ('officer', 'dispatcher', 'supervisor', 'admin')),
            unit TEXT REFERENCES units(code),
            display_name TEXT,
            active INTEGER NOT NULL DEFAULT 1,
            created_at REAL NOT NULL,
            CHECK (role != 'officer' OR unit IS NOT NULL)
        );
        CREATE TABLE sessions (
            id TEXT PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users(id),
            created_at REAL NOT NULL,
            expires_at REAL NOT NULL,
            revoked_at REAL
        );
        CREATE INDEX sessions_user ON sessions(user_id);
        CREATE TABLE login_failures (
            username TEXT PRIMARY KEY COLLATE NOCASE,
            failures INTEGER NOT NULL,
            first_failure_at REAL NOT NULL,
            locked_until REAL
        );
        CREATE TABLE devices (
            id TEXT PRIMARY KEY,
            created_at REAL NOT NULL,
            contact_name TEXT,
            contact_phone TEXT,
            blocked_at REAL
        );
        CREATE TABLE audit_log (
            id INTEGER PRIMARY KEY,
            at REAL NOT NULL,
            actor_kind TEXT NOT NULL,          -- user, device, server
            actor_id TEXT NOT NULL,
            actor_role TEXT,
            action TEXT NOT NULL,              -- e.g. report.read, incident.update, user.login
            target TEXT,                       -- e.g. report/<id>
            detail TEXT                        -- JSON
        );
        CREATE INDEX audit_target ON audit_log(target, at);
        CREATE INDEX audit_actor ON audit_log(actor_kind, actor_id, at);
        -- Append-only: the log is evidence, so the database itself refuses to rewrite it.
        CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
            BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
        CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
            BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
        """
    )


def m002_outbox(db: sqlite_utils.Database) -> None:
    from app.storage import outbox

    outbox.create_tables(db)


def m003_directory_version(db: sqlite_utils.Database) -> None:
    # Every process keeps the ward boundaries and routing rules in memory; a counter bumped by
    # triggers on any change to them, however it was made (import, admin screen, plain SQL), lets
    # each process notice a change with one cheap read instead of reloading on a timer.
    bump = "UPDATE directory_meta SET value = value + 1 WHERE key = 'version';"
    triggers = "".join(
        f"CREATE TRIGGER {table}_{event.lower()}_version AFTER {event} ON {table} "
        f"BEGIN {bump} END;\n"
        for table in ("wards", "units", "category_departments")
        for event in ("INSERT", "UPDATE", "DELETE")
    )
    run_script(
        db,
        """
        CREATE TABLE directory_meta (
            key TEXT PRIMARY KEY,              -- version; rules_seeded, samples_seeded (done once)
            value INTEGER NOT NULL
        );
        INSERT INTO directory_meta (key, value) VALUES ('version', 0);
        """
        + triggers,
    )


def m004_documents(db: sqlite_utils.Database) -> None:
    import sync.store
    from app.incidents import projection

    sync.store.create_tables(db)
    projection.create_tables(db)


def m005_media(db: sqlite_utils.Database) -> None:
    import media

    media.create_tables(db)


def m006_push(db: sqlite_utils.Database) -> None:
    import push

    push.create_tables(db)


def m007_stats(db: sqlite_utils.Database) -> None:
    from app.stats import facts as stats_facts

    stats_facts.create_tables(db)


def m008_availability(db: sqlite_utils.Database) -> None:
    # A table of its own rather than columns on `users`: it changes many times a shift, and each
    # change is audited; accounts change rarely (app/endpoints/officers.py).
    run_script(
        db,
        """
        CREATE TABLE officer_availability (
            user_id INTEGER PRIMARY KEY REFERENCES users(id),
            status TEXT NOT NULL CHECK (status IN ('available', 'busy', 'off_duty')),
            at REAL NOT NULL                   -- s since epoch: when the officer chose it
        );
        """,
    )


def m009_inbox_entries_by_incident(db: sqlite_utils.Database) -> None:
    # The inbox writer looks up an incident's entries in every unit's inbox (app/fanout.py); the
    # primary key (unit, incident_id) cannot serve that, and a scan made each report's inbox
    # work grow with the number of open incidents.
    run_script(db, "CREATE INDEX inbox_entries_incident ON inbox_entries(incident_id);")


MIGRATIONS = [
    m001_foundation, m002_outbox, m003_directory_version, m004_documents, m005_media, m006_push,
    m007_stats, m008_availability, m009_inbox_entries_by_incident,
]
