"""The warnings' tables. A step of `app/schema.py`'s migrations, run inside its transaction.

Every CAP message is a row of `warnings`: an Alert, an Update (which `references` the message it
replaces) or a Cancel (which `references` the message it withdraws). `chain` is the first
message's id: the phone's notification tag and the push Topic, so each new message of a chain
replaces the last one on the phone and at the push service.
"""

from __future__ import annotations

from app.storage.base import Connection

TABLES = """
CREATE TABLE warnings (
    id TEXT PRIMARY KEY,
    chain TEXT NOT NULL,                   -- id of the chain's first message
    msg_type TEXT NOT NULL CHECK (msg_type IN ('Alert', 'Update', 'Cancel')),
    refs TEXT,                             -- id of the message this one updates or cancels
    status TEXT NOT NULL CHECK (status IN ('draft', 'published', 'cancelled', 'superseded')),
    exercise INTEGER NOT NULL DEFAULT 0,
    all_city INTEGER NOT NULL DEFAULT 0,
    category TEXT NOT NULL,
    severity TEXT NOT NULL,
    urgency TEXT NOT NULL,
    certainty TEXT NOT NULL,
    headline TEXT NOT NULL,
    description TEXT NOT NULL,
    instruction TEXT,
    headline_en TEXT,
    description_en TEXT,
    instruction_en TEXT,
    expires_at REAL NOT NULL,
    author_id TEXT NOT NULL,               -- users.id of who drafted it
    approver_id TEXT,                      -- users.id of the second person (NULL for a cancel)
    created_at REAL NOT NULL,
    published_at REAL,                     -- CAP `sent`
    ended_at REAL,                         -- cancelled or superseded
    ended_by TEXT                          -- the Cancel or Update message that ended it
);
CREATE INDEX warnings_status ON warnings(status, expires_at);
CREATE INDEX warnings_chain ON warnings(chain);
CREATE TABLE warning_wards (
    warning_id TEXT NOT NULL REFERENCES warnings(id),
    ward_code INTEGER NOT NULL,
    PRIMARY KEY (warning_id, ward_code)
);
-- The wards a citizen device follows: codes only, never a position.
CREATE TABLE device_areas (
    device_id TEXT NOT NULL,
    ward_code INTEGER NOT NULL,
    PRIMARY KEY (device_id, ward_code)
);
CREATE INDEX device_areas_ward ON device_areas(ward_code, device_id);
CREATE TABLE device_warning_prefs (
    device_id TEXT PRIMARY KEY,
    exercises INTEGER NOT NULL DEFAULT 0,  -- receives exercise (CAP status Exercise) warnings
    updated_at REAL NOT NULL
);
-- The push library's notifications planned for each message (one per language), for its counts.
CREATE TABLE warning_notifications (
    warning_id TEXT NOT NULL,
    notification_id INTEGER NOT NULL,
    PRIMARY KEY (warning_id, notification_id)
);
CREATE TABLE warning_answers (
    warning_id TEXT NOT NULL,              -- the chain: answers count across a warning's updates
    device_id TEXT NOT NULL,
    answer TEXT NOT NULL CHECK (answer IN ('safe', 'need_help')),
    at REAL NOT NULL,
    PRIMARY KEY (warning_id, device_id)
);
"""


def tables(tx: Connection) -> None:
    tx.script(TABLES)
