"""The directory's tables: wards and their boundaries, units, the category -> department rules.

Steps of `app/schema.py`'s migrations; each runs inside its migration's transaction.
"""

from __future__ import annotations

from app.storage.base import Connection

FOUNDATION = """
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
"""


def foundation(tx: Connection) -> None:
    tx.script(FOUNDATION)


def approximate_routing(tx: Connection) -> None:
    # issue 30: a report routed by an approximate boundary (app/directory/approximate.py) is
    # flagged on its incident, as one outside every boundary is.
    tx.script("ALTER TABLE reports ADD COLUMN boundary_approximate INTEGER NOT NULL DEFAULT 0;")


def version_counter(tx: Connection) -> None:
    # Every process keeps the ward boundaries and routing rules in memory; a counter bumped by
    # triggers on any change to them, however it was made (import, admin screen, plain SQL), lets
    # each process notice a change with one cheap read instead of reloading on a timer.
    bump = "UPDATE directory_meta SET value = value + 1 WHERE key = 'version';"
    tables = ("wards", "units", "category_departments")
    if tx.dialect == "postgresql":
        triggers = (
            "CREATE FUNCTION directory_bump() RETURNS trigger LANGUAGE plpgsql AS $$"
            f" BEGIN {bump} RETURN NULL; END $$;\n"
        ) + "".join(
            f"CREATE TRIGGER {table}_version AFTER INSERT OR UPDATE OR DELETE ON {table}"
            " FOR EACH ROW EXECUTE FUNCTION directory_bump();\n"
            for table in tables
        )
    else:
        triggers = "".join(
            f"CREATE TRIGGER {table}_{event.lower()}_version AFTER {event} ON {table} "
            f"BEGIN {bump} END;\n"
            for table in tables
            for event in ("INSERT", "UPDATE", "DELETE")
        )
    tx.script(
        """
        CREATE TABLE directory_meta (
            key TEXT PRIMARY KEY,              -- version; rules_seeded, samples_seeded (done once)
            value INTEGER NOT NULL
        );
        INSERT INTO directory_meta (key, value) VALUES ('version', 0);
        """
        + triggers,
    )
