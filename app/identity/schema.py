"""The identity tables: accounts, sessions, login failures, citizen devices, the audit log, and
the officers' availability.

Steps of `app/schema.py`'s migrations; each runs inside its migration's transaction.
"""

from __future__ import annotations

from app.storage.base import Connection

FOUNDATION = """
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
"""
# Append-only: the log is evidence, so the database itself refuses to rewrite it.
APPEND_ONLY = {
    "sqlite": """
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
""",
    "postgresql": """
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$;
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
""",
}


def foundation(tx: Connection) -> None:
    tx.script(FOUNDATION + APPEND_ONLY[tx.dialect])


def availability(tx: Connection) -> None:
    # A table of its own rather than columns on `users`: it changes many times a shift, and each
    # change is audited; accounts change rarely (app/web/officers.py).
    tx.script(
        """
        CREATE TABLE officer_availability (
            user_id INTEGER PRIMARY KEY REFERENCES users(id),
            status TEXT NOT NULL CHECK (status IN ('available', 'busy', 'off_duty')),
            at REAL NOT NULL                   -- s since epoch: when the officer chose it
        );
        """,
    )


def rate_limits(tx: Connection) -> None:
    # Shared rate limits (app/identity/ratelimit.py, SharedRateLimiter): used by the processes of
    # a PostgreSQL deployment; created on SQLite too, so that both schemas are the same.
    tx.script(
        """
        CREATE TABLE rate_limits (
            key TEXT PRIMARY KEY,              -- e.g. login|203.0.113.7
            tat REAL NOT NULL                  -- s since epoch: the key's theoretical arrival time
        );
        """,
    )


def partners(tx: Connection) -> None:
    # Partner systems (Open311): only the SHA-256 of a key is kept; a revoked key stays as a row
    # so that the audit log's names keep meaning something.
    tx.script(
        """CREATE TABLE partners (
            name TEXT PRIMARY KEY,
            key_hash TEXT NOT NULL UNIQUE,
            created_at REAL NOT NULL,
            revoked_at REAL
        );"""
    )


def accounts(tx: Connection) -> None:
    # Issue 25: account lifecycle and sessions. `must_change_password`: the next sign-in may only
    # choose a new password (imported accounts, admin resets). `disabled_at`/`disabled_by`: why
    # `active` is 0. A session remembers the device it was opened on, when it was last used, and
    # its `scope`: NULL for a full session, 'password' or 'enrol' for one that may only change the
    # password or enrol a second factor; `second_factor` names the method that opened it.
    # `script`, not `execute`: it says REAL and INTEGER as PostgreSQL's 8-byte types (DDL_TYPES).
    tx.script("".join(f"{statement};\n" for statement in (
        "ALTER TABLE users ADD COLUMN must_change_password INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE users ADD COLUMN disabled_at REAL",
        "ALTER TABLE users ADD COLUMN disabled_by TEXT",
        "ALTER TABLE users ADD COLUMN phone TEXT",
        "ALTER TABLE sessions ADD COLUMN device TEXT",
        "ALTER TABLE sessions ADD COLUMN ip TEXT",
        "ALTER TABLE sessions ADD COLUMN last_seen_at REAL",
        "ALTER TABLE sessions ADD COLUMN scope TEXT",
        "ALTER TABLE sessions ADD COLUMN second_factor TEXT",
    )))


def second_factor(tx: Connection) -> None:
    # Issue 25: the second factor of police sign-in and the sign-in throttles
    # (app/identity/second_factor.py, app/identity/signin.py, docs/security.md). A TOTP secret is
    # kept sealed (AES-GCM under a key derived from the deployment secret); recovery codes and
    # sign-in challenges only as hashes; a passkey as its public key.
    tx.script(
        """
        CREATE TABLE totp_secrets (
            user_id INTEGER PRIMARY KEY REFERENCES users(id),
            secret TEXT NOT NULL,              -- sealed: AES-GCM, see Sealer
            confirmed_at REAL,                 -- NULL: enrolment begun, no code seen yet
            last_step INTEGER NOT NULL DEFAULT 0,  -- the last time step accepted: used once
            created_at REAL NOT NULL
        );
        CREATE TABLE recovery_codes (
            id INTEGER PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users(id),
            salt TEXT NOT NULL,
            code_hash TEXT NOT NULL,           -- SHA-256(salt || code)
            created_at REAL NOT NULL,
            used_at REAL
        );
        CREATE INDEX recovery_codes_user ON recovery_codes(user_id);
        CREATE TABLE webauthn_credentials (
            id TEXT PRIMARY KEY,               -- the credential id, base64url
            user_id INTEGER NOT NULL REFERENCES users(id),
            public_key TEXT NOT NULL,          -- COSE key, base64url
            sign_count INTEGER NOT NULL,
            name TEXT NOT NULL,
            created_at REAL NOT NULL,
            last_used_at REAL
        );
        CREATE INDEX webauthn_credentials_user ON webauthn_credentials(user_id);
        CREATE TABLE webauthn_registrations (
            user_id INTEGER PRIMARY KEY REFERENCES users(id),
            challenge TEXT NOT NULL,           -- base64url; one pending registration a user
            expires_at REAL NOT NULL
        );
        CREATE TABLE login_challenges (
            id TEXT PRIMARY KEY,               -- SHA-256 of the challenge handed out
            user_id INTEGER NOT NULL REFERENCES users(id),
            created_at REAL NOT NULL,
            expires_at REAL NOT NULL,
            used_at REAL,
            attempts INTEGER NOT NULL DEFAULT 0,
            ip TEXT,
            device TEXT
        );
        CREATE INDEX login_challenges_user ON login_challenges(user_id);
        CREATE TABLE second_factor_failures (
            user_id INTEGER PRIMARY KEY REFERENCES users(id),
            failures INTEGER NOT NULL,
            first_failure_at REAL NOT NULL,
            locked_until REAL
        );
        CREATE TABLE login_address_failures (
            address TEXT PRIMARY KEY,
            failures INTEGER NOT NULL,
            first_failure_at REAL NOT NULL,
            blocked_until REAL
        );
        """
    )


def setup_links(tx: Connection) -> None:
    # Issue 25: one-time set-up links of imported accounts (app/identity/importing.py). Only the
    # SHA-256 of a link's token is kept: the database never holds a usable link. `used_at` makes
    # it single use; the row stays for the audit trail.
    tx.script(
        """
        CREATE TABLE setup_links (
            token_hash TEXT PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users(id),
            created_at REAL NOT NULL,
            expires_at REAL NOT NULL,
            used_at REAL
        );
        CREATE INDEX setup_links_user ON setup_links(user_id);
        CREATE INDEX sessions_revoked ON sessions(revoked_at);
        """,
    )


# Issue 27: the audit log's hash chain (app/identity/audit.py) and the signed checkpoints of its
# head (app/evidence/checkpoints.py). The append-only triggers refuse the UPDATE that chains the
# rows already there, so they are dropped for it and made again in the same transaction.
DROP_APPEND_ONLY = {
    "sqlite": "DROP TRIGGER audit_log_no_update;\nDROP TRIGGER audit_log_no_delete;\n",
    "postgresql": "DROP TRIGGER audit_log_no_change ON audit_log;\n"
                  "DROP TRIGGER audit_log_no_truncate ON audit_log;\n"
                  "DROP FUNCTION audit_log_append_only();\n",
}

CHECKPOINTS_APPEND_ONLY = {
    "sqlite": """
CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints
    BEGIN SELECT RAISE(ABORT, 'audit_checkpoints is append-only'); END;
CREATE TRIGGER audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints
    BEGIN SELECT RAISE(ABORT, 'audit_checkpoints is append-only'); END;
""",
    "postgresql": """
CREATE TRIGGER audit_checkpoints_no_change BEFORE UPDATE OR DELETE ON audit_checkpoints
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_checkpoints_no_truncate BEFORE TRUNCATE ON audit_checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
""",
}


def audit_chain(tx: Connection) -> None:
    from app.identity.audit import GENESIS, entry_hash

    tx.script(
        DROP_APPEND_ONLY[tx.dialect]
        + """
        ALTER TABLE audit_log ADD COLUMN prev_hash TEXT;
        ALTER TABLE audit_log ADD COLUMN hash TEXT;
        """
    )
    prev, rows = GENESIS, []
    for row in tx.execute("SELECT * FROM audit_log ORDER BY id").fetchall():
        entry = {**dict(row), "prev_hash": prev}
        prev = entry_hash(entry)
        rows.append((entry["prev_hash"], prev, entry["id"]))
    tx.executemany("UPDATE audit_log SET prev_hash = ?, hash = ? WHERE id = ?", rows)
    tx.script(
        APPEND_ONLY[tx.dialect]
        + """
        -- Two entries can never claim the same predecessor: the chain cannot fork.
        CREATE UNIQUE INDEX audit_log_prev_hash ON audit_log(prev_hash);
        CREATE TABLE audit_checkpoints (
            id INTEGER PRIMARY KEY,
            at REAL NOT NULL,
            head_id INTEGER NOT NULL,
            head_hash TEXT NOT NULL,
            entries INTEGER NOT NULL,
            key_id TEXT NOT NULL,
            signature TEXT NOT NULL
        );
        """
        + CHECKPOINTS_APPEND_ONLY[tx.dialect]
    )
