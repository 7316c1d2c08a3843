"""The media table: one row per upload, an original or a phone-made preview of one.

The app decides when this runs (its migration list); the library owns the shape. The row is the
record of evidence for an original: who uploaded it, when, how big, and its SHA-256, which the
database refuses to change once set.
"""

from __future__ import annotations

from typing import Any

STATES = ("uploading", "verifying", "processing", "ready", "failed")

STATEMENTS = [
    """CREATE TABLE media (
        id TEXT PRIMARY KEY,                 -- URL-safe, 22 characters; the last segment of Location
        report_id TEXT NOT NULL,             -- the report (and incident) it belongs to
        role TEXT NOT NULL CHECK (role IN ('original', 'preview')),
        preview_of TEXT REFERENCES media(id),-- for a preview: the original it stands in for
        uploader TEXT NOT NULL,              -- 'device:<id>' or 'user:<id>'
        filename TEXT NOT NULL DEFAULT '',   -- as the phone named it; never used to decide anything
        declared_type TEXT,                  -- the client's MIME hint; picks the limit up front only
        client_sha256 TEXT,                  -- the phone's own hash of the file, when it sent one
        length INTEGER NOT NULL,             -- Upload-Length
        state TEXT NOT NULL CHECK (state IN
            ('uploading', 'verifying', 'processing', 'ready', 'failed')),
        reason TEXT,                         -- why it failed, in words for the person who sent it
        sha256 TEXT,                         -- of the stored original, checked again from disk
        media_type TEXT CHECK (media_type IN ('image', 'video')),
        format TEXT,                         -- what decoded it: JPEG, HEIF, mov, matroska ...
        content_type TEXT,                   -- of the original, from what decoded it
        width INTEGER, height INTEGER,       -- as displayed (orientation applied)
        duration_s REAL, video_codec TEXT, audio_codec TEXT,
        derivatives TEXT,                    -- JSON: name -> {content_type, width, height, bytes, ...}
        created_at REAL NOT NULL,
        completed_at REAL,                   -- all bytes on disk
        processed_at REAL                    -- ready or failed
    )""",
    "CREATE INDEX media_report ON media(report_id, created_at)",
    "CREATE INDEX media_preview_of ON media(preview_of)",
]
# Evidence: once an original's hash is recorded, nothing rewrites it (nor who sent it, nor when).
EVIDENCE_FIXED = {
    "sqlite": """CREATE TRIGGER media_evidence_fixed BEFORE UPDATE OF sha256, uploader, length, created_at, report_id
        ON media WHEN OLD.sha256 IS NOT NULL
        BEGIN SELECT RAISE(ABORT, 'media evidence fields are fixed once the hash is recorded'); END;""",
    "postgresql": """CREATE FUNCTION media_evidence_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'media evidence fields are fixed once the hash is recorded'; END $$;
        CREATE TRIGGER media_evidence_fixed BEFORE UPDATE OF sha256, uploader, length, created_at, report_id
        ON media FOR EACH ROW WHEN (OLD.sha256 IS NOT NULL) EXECUTE FUNCTION media_evidence_fixed();""",
}


def create_tables(tx: Any) -> None:
    """Create the table inside the caller's transaction (`tx`: a connection of the app's storage,
    whose `script()` runs shared DDL on either dialect)."""
    tx.script(";\n".join(STATEMENTS) + ";\n" + EVIDENCE_FIXED[getattr(tx, "dialect", "sqlite")])


# Issue 27: the phone's own hash (sent at creation) is evidence too: fixed with the others.
_FIXED_COLUMNS = "sha256, client_sha256, uploader, length, created_at, report_id"
CAPTURE_HASH_FIXED = {
    "sqlite": f"""DROP TRIGGER media_evidence_fixed;
        CREATE TRIGGER media_evidence_fixed BEFORE UPDATE OF {_FIXED_COLUMNS}
        ON media WHEN OLD.sha256 IS NOT NULL
        BEGIN SELECT RAISE(ABORT, 'media evidence fields are fixed once the hash is recorded'); END;""",
    "postgresql": f"""DROP TRIGGER media_evidence_fixed ON media;
        CREATE TRIGGER media_evidence_fixed BEFORE UPDATE OF {_FIXED_COLUMNS}
        ON media FOR EACH ROW WHEN (OLD.sha256 IS NOT NULL) EXECUTE FUNCTION media_evidence_fixed();""",
}


def capture_hash_fixed(tx: Any) -> None:
    """The evidence trigger again, with `client_sha256` among the fixed columns (a migration)."""
    tx.script(CAPTURE_HASH_FIXED[getattr(tx, "dialect", "sqlite")])
