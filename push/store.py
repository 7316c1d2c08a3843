"""The push tables: subscriptions, the notifications planned, one delivery per (notification,
subscription), and every attempt with its result.

A notification is planned once (its `key` is unique) with the deliveries it fans out to; each
delivery is then sent on its own (the app runs one background job per delivery). A delivery that
reached a final state (`delivered`, `gone`, `failed`, `expired`) is never sent again, which is
what lets a job that runs twice after a crash skip what was already delivered.
"""

from __future__ import annotations

from typing import Any

SCHEMA = """
CREATE TABLE push_subscriptions (
    id INTEGER PRIMARY KEY,
    endpoint TEXT NOT NULL UNIQUE,         -- the push service's URL for one browser profile
    p256dh TEXT NOT NULL,                  -- base64url, the browser's ECDH public key
    auth TEXT NOT NULL,                    -- base64url, the 16-byte auth secret
    owner_kind TEXT NOT NULL CHECK (owner_kind IN ('user', 'device')),
    owner_id TEXT NOT NULL,                -- users.id or devices.id
    role TEXT,                             -- the user's role and unit when they subscribed
    unit TEXT,
    lang TEXT NOT NULL DEFAULT 'vi',
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    last_delivered_at REAL
);
CREATE INDEX push_subscriptions_owner ON push_subscriptions(owner_kind, owner_id);
CREATE TABLE push_notifications (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,              -- what caused it, e.g. new_report:<incident>:center:vi
    payload TEXT NOT NULL,                 -- JSON, encrypted separately for each subscription
    ttl_s INTEGER NOT NULL,
    urgency TEXT NOT NULL CHECK (urgency IN ('very-low', 'low', 'normal', 'high')),
    topic TEXT,                            -- Topic header: a newer one replaces an undelivered older
    created_at REAL NOT NULL
);
CREATE TABLE push_deliveries (
    id INTEGER PRIMARY KEY,
    notification_id INTEGER NOT NULL REFERENCES push_notifications(id),
    subscription_id INTEGER NOT NULL,      -- no foreign key: the record outlives a 410
    endpoint TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending'
        CHECK (state IN ('pending', 'delivered', 'gone', 'failed', 'expired')),
    attempts INTEGER NOT NULL DEFAULT 0,
    updated_at REAL NOT NULL,
    UNIQUE (notification_id, subscription_id)
);
CREATE INDEX push_deliveries_state ON push_deliveries(state, updated_at);
CREATE TABLE push_attempts (
    id INTEGER PRIMARY KEY,
    delivery_id INTEGER NOT NULL REFERENCES push_deliveries(id),
    at REAL NOT NULL,
    duration_ms REAL NOT NULL,
    status INTEGER,                        -- the push service's HTTP status; NULL: no answer
    outcome TEXT NOT NULL,                 -- delivered, retry, gone, failed, expired
    retry_after_s REAL,
    detail TEXT
);
CREATE INDEX push_attempts_delivery ON push_attempts(delivery_id);
"""

FINAL_STATES = ("delivered", "gone", "failed", "expired")




def create_tables(tx: Any) -> None:
    """Create the push tables; call from a migration (a connection with `script()`, in its transaction)."""
    tx.script(SCHEMA)
