"""Issue 27: the audit log's hash chain, its signed checkpoints and `sos audit verify`.

Every test runs on the suite's backend (SQLite, then PostgreSQL). The log is tampered with as the
database's owner would: SQLite drops the append-only triggers, PostgreSQL disables them.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from click.testing import CliRunner

from app.cli import main
from app.evidence.keys import EvidenceKey
from app.identity import audit
from app.identity.auth import SERVER, Principal
from app.schema import MIGRATIONS
from app.services import open_database
from app.settings import Settings
from app.storage.base import Database

from .pg import PostgresServer

OFFICER = Principal(kind="user", id="7", role="officer", unit="ward-27031")


@pytest.fixture
def db(settings: Settings) -> Iterator[Database]:
    database = open_database(settings).open()
    try:
        yield database
    finally:
        database.close()


def sos(settings: Settings, *args: str) -> Any:
    """The real `sos` command, on the test's data directory and database."""
    env = {"SOS_DATA_DIR": str(settings.data_dir), "SOS_SECRET_KEY": "audit-chain-test",
           "SOS_DATABASE_URL": settings.database_url, "SOS_EVIDENCE_PRIVATE_KEY": None}
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def verify(settings: Settings, *args: str) -> Any:
    return sos(settings, "audit", "verify", *args)


def mixed_writes(db: Database, n: int = 12) -> None:
    """Entries written every way the app writes them: alone, with other work, several in one
    transaction, concurrently (one group commit on SQLite), and in a write that fails."""
    db.write_sync(lambda tx: audit.append(tx, None, "user.login_failed", "username/lan", failures=1))
    for i in range(n):
        db.write_sync(lambda tx, i=i: audit.append(tx, OFFICER, "report.read", f"report/r{i}", n=i))

    def two(tx: Any) -> None:
        tx.execute("INSERT INTO rate_limits (key, tat) VALUES (?, ?)", ("audit-test", 1.0))
        audit.append(tx, SERVER, "incident.escalated", "incident/i1", reason="triage")
        audit.append(tx, OFFICER, "incident.update", "incident/i1", status="assigned")

    db.write_sync(two)

    def fails(tx: Any) -> None:
        audit.append(tx, OFFICER, "never.written", "report/x")
        raise RuntimeError("refused after appending")

    futures = [db.submit(lambda tx, i=i: audit.append(tx, None, "device.contact", f"device/d{i}", é="ư"))
               for i in range(20)]
    failing = db.submit(fails)
    futures += [db.submit(lambda tx, i=i: audit.append(tx, OFFICER, "media.view", f"media/m{i}"))
                for i in range(20)]
    for future in futures:
        future.result()
    with pytest.raises(RuntimeError):
        failing.result()


@contextlib.contextmanager
def tampering(settings: Settings) -> Iterator[Any]:
    """A connection of the database's owner with the append-only triggers out of the way."""
    if settings.database_url:
        with psycopg.connect(settings.database_url, autocommit=True) as conn:
            for table in ("audit_log", "audit_checkpoints"):
                conn.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
            yield conn
            for table in ("audit_log", "audit_checkpoints"):
                conn.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
    else:
        conn = sqlite3.connect(settings.db_path, isolation_level=None)
        for table in ("audit_log", "audit_checkpoints"):
            conn.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
            conn.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")
        try:
            yield conn
        finally:
            conn.close()


def sql(settings: Settings, statement: str) -> str:
    return statement.replace("?", "%s") if settings.database_url else statement


def rows(db: Database) -> list[dict[str, Any]]:
    return db.read_sync(lambda c: [dict(r) for r in c.execute("SELECT * FROM audit_log ORDER BY id")])


def test_a_chain_after_mixed_writes_verifies(settings: Settings, db: Database) -> None:
    mixed_writes(db)
    log = rows(db)
    assert len(log) == 1 + 12 + 2 + 40 and "never.written" not in {r["action"] for r in log}
    assert log[0]["prev_hash"] == "0" * 64
    assert [r["prev_hash"] for r in log[1:]] == [r["hash"] for r in log[:-1]]
    assert [r["id"] for r in log] == list(range(1, len(log) + 1))
    assert all(audit.entry_hash(r) == r["hash"] for r in log)
    assert audit.entries(db.read_sync(lambda c: c), limit=1)[0]["hash"] == log[-1]["hash"]
    result = verify(settings)
    assert result.exit_code == 0, result.output
    assert f"audit log whole: {len(log)} entries up to #{len(log)}, 0 checkpoint(s)" in result.output

    made = sos(settings, "audit", "checkpoint")
    assert made.exit_code == 0 and f"checkpoint of entry #{len(log)}" in made.output, made.output
    result = verify(settings)
    assert result.exit_code == 0 and "1 checkpoint(s)" in result.output, result.output


def test_the_hash_is_what_docs_evidence_md_says(db: Database) -> None:
    # The rule an outsider follows, written out here without the app's helper.
    import hashlib

    db.write_sync(lambda tx: audit.append(tx, OFFICER, "report.read", "report/r1", at=1765152000.25, ghi="chú"))
    row = rows(db)[0]
    fields = [row["id"], row["at"], row["actor_kind"], row["actor_id"], row["actor_role"], row["action"],
              row["target"], row["detail"], row["prev_hash"]]
    text = json.dumps(fields, ensure_ascii=False, separators=(",", ":"))
    assert text == ('[1,1765152000.25,"user","7","officer","report.read","report/r1",'
                    '"{\\"ghi\\": \\"chú\\"}","' + "0" * 64 + '"]')
    assert row["hash"] == hashlib.sha256(text.encode()).hexdigest()


def test_a_changed_entry_is_found_and_named(settings: Settings, db: Database) -> None:
    mixed_writes(db)
    victim = rows(db)[5]
    with tampering(settings) as conn:
        conn.execute(sql(settings, "UPDATE audit_log SET target = ? WHERE id = ?"), ("report/other", victim["id"]))
    result = verify(settings)
    assert result.exit_code == 1, result.output
    assert f"audit log BROKEN: entry #{victim['id']} (" in result.output
    assert f", {victim['action']}) was changed" in result.output


def test_a_deleted_entry_is_found_and_named(settings: Settings, db: Database) -> None:
    mixed_writes(db)
    log = rows(db)
    with tampering(settings) as conn:
        conn.execute(sql(settings, "DELETE FROM audit_log WHERE id = ?"), (log[7]["id"],))
    result = verify(settings)
    assert result.exit_code == 1, result.output
    after = log[8]
    assert f"audit log BROKEN: entry #{after['id']} (" in result.output
    assert f"{after['action']}): an entry before it was deleted" in result.output
    assert f"the hash of #{log[6]['id']}, the entry now before it" in result.output


def test_a_truncated_tail_after_a_checkpoint_is_found(settings: Settings, db: Database) -> None:
    mixed_writes(db)
    assert sos(settings, "audit", "checkpoint").exit_code == 0
    log = rows(db)
    with tampering(settings) as conn:
        conn.execute(sql(settings, "DELETE FROM audit_log WHERE id > ?"), (log[-4]["id"],))
    result = verify(settings)
    assert result.exit_code == 1, result.output
    assert "audit log BROKEN: the log was truncated:" in result.output
    assert f"names entry #{log[-1]['id']}, but the log ends at entry #{log[-4]['id']}" in result.output


def rewrite_tail(settings: Settings, db: Database, start: int) -> None:
    """Rewrite every entry from index `start` on, with hashes computed again: the chain holds."""
    log = rows(db)
    prev = log[start - 1]["hash"]
    with tampering(settings) as conn:
        for row in log[start:]:
            row = {**row, "actor_id": "someone-else", "prev_hash": prev}
            prev = audit.entry_hash(row)
            conn.execute(sql(settings, "UPDATE audit_log SET actor_id = ?, prev_hash = ?, hash = ? WHERE id = ?"),
                         (row["actor_id"], row["prev_hash"], prev, row["id"]))


def test_a_tail_rewritten_with_its_hashes_is_caught_by_the_checkpoint_file(settings: Settings, db: Database) -> None:
    mixed_writes(db)
    assert sos(settings, "audit", "checkpoint").exit_code == 0
    head = rows(db)[-1]
    rewrite_tail(settings, db, 10)
    with tampering(settings) as conn:  # the database's own copy of the checkpoints goes too
        conn.execute("DELETE FROM audit_checkpoints")
    empty = settings.data_dir / "no-checkpoints"
    empty.mkdir()
    chain_only = verify(settings, "--checkpoints", str(empty))
    assert chain_only.exit_code == 0, chain_only.output  # the chain alone cannot see it
    result = verify(settings)
    assert result.exit_code == 1, result.output
    assert f"audit log BROKEN: entry #{head['id']} (" in result.output
    assert "was rewritten: checkpoint file " in result.output and "recorded its hash as" in result.output


def test_a_checkpoint_with_a_bad_signature_is_refused(settings: Settings, db: Database, tmp_path: Path) -> None:
    mixed_writes(db)
    assert sos(settings, "audit", "checkpoint").exit_code == 0
    rewrite_tail(settings, db, 10)
    # The forger fixes the checkpoint file to the rewritten head, but cannot sign it.
    [path] = (settings.data_dir / "audit" / "checkpoints").iterdir()
    forged = {**json.loads(path.read_text()), "head_hash": rows(db)[-1]["hash"]}
    elsewhere = tmp_path / "forged"
    elsewhere.mkdir()
    (elsewhere / path.name).write_text(json.dumps(forged))
    # ... or signs it with a key of their own.
    other = EvidenceKey.load_or_create(tmp_path / "other.pem")
    from app.evidence.checkpoints import signed_bytes

    own = {**forged, "key_id": other.key_id}
    own["signature"] = __import__("base64").b64encode(other.sign(signed_bytes(own))).decode()
    (elsewhere / "own-key.json").write_text(json.dumps(own))
    with tampering(settings) as conn:
        conn.execute("DELETE FROM audit_checkpoints")
    result = verify(settings, "--checkpoints", str(elsewhere))
    assert result.exit_code == 1, result.output
    assert f"audit log BROKEN: checkpoint file {path.name}" in result.output
    assert "is refused: its signature does not verify with the deployment's key" in result.output
    assert "also: checkpoint file own-key.json" in result.output


def test_the_migration_chains_the_entries_already_there(settings: Settings, request: pytest.FixtureRequest) -> None:
    # A database made at the previous schema version, with entries written the old way.
    old = MIGRATIONS[: [m.name for m in MIGRATIONS].index("audit_chain")]
    if settings.database_url:  # the fixture's database is migrated already: an empty one
        settings = dataclasses.replace(settings, database_url=request.getfixturevalue("postgres").create_database())
        from app.storage.postgres import PostgresDatabase

        before: Database = PostgresDatabase(settings.database_url, old)
    else:
        from app.storage.sqlite import SQLiteDatabase

        before = SQLiteDatabase(settings.db_path, old)
    before.open()
    for i in range(30):
        before.write_sync(lambda tx, i=i: tx.execute(
            "INSERT INTO audit_log (at, actor_kind, actor_id, actor_role, action, target, detail)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (1765152000.0 + i / 7, "user", "7", "officer", "report.read", f"report/r{i}",
             json.dumps({"n": i}) if i % 2 else None)))
    before.close()
    db = open_database(settings).open()  # migrates
    try:
        log = rows(db)
        assert len(log) == 30 and all(r["hash"] == audit.entry_hash(r) for r in log)
        db.write_sync(lambda tx: audit.append(tx, OFFICER, "report.read", "report/new"))
        assert rows(db)[-1]["prev_hash"] == log[-1]["hash"]
        with pytest.raises(Exception, match="append-only"):  # the triggers are back
            db.write_sync(lambda tx: tx.execute("DELETE FROM audit_log"))
    finally:
        db.close()
    result = verify(settings)
    assert result.exit_code == 0 and "31 entries up to #31" in result.output, result.output


def test_the_worker_signs_a_checkpoint_each_period_once_for_all_processes(svc: Any) -> None:
    import asyncio

    svc.start()
    try:
        db = svc.db
        mixed_writes(db, n=2)

        def pending() -> list[str]:
            return db.read_sync(lambda c: [r[0] for r in c.execute(
                "SELECT key FROM outbox WHERE topic = 'timer.audit_checkpoint' AND state = 'pending'")])

        [key] = pending()
        svc.checkpoints.schedule_current()  # another process starting: still one item
        assert pending() == [key]
        period = int(key.rsplit(":", 1)[1])
        db.write_sync(lambda tx: tx.execute("UPDATE outbox SET run_at = 0 WHERE key = ?", (key,)))  # due now
        asyncio.run(svc.worker.run_due())
        head = rows(db)[-1]
        [made] = db.read_sync(lambda c: [dict(r) for r in c.execute("SELECT * FROM audit_checkpoints")])
        assert (made["head_id"], made["head_hash"]) == (head["id"], head["hash"])
        [path] = (svc.settings.data_dir / "audit" / "checkpoints").iterdir()
        assert json.loads(path.read_text())["signature"] == made["signature"]
        assert pending() == [f"timer.audit_checkpoint:86400:{period + 1}"]  # the next period's
    finally:
        svc.stop()


# -- several processes writing at once -----------------------------------------------------------
WRITER = """
import os, sys, time
from app.identity import audit

name, count, where = sys.argv[1], int(sys.argv[2]), sys.argv[3]
if where.startswith("postgresql:"):  # migrated already: no migration list, fewer imports
    from app.storage.postgres import PostgresDatabase
    db = PostgresDatabase(where).open()
else:
    from app.storage.sqlite import SQLiteDatabase
    db = SQLiteDatabase(where).open()
print("ready", flush=True)
sys.stdin.readline()  # go: both processes write at once
started = time.monotonic()

def write(tx, i):
    audit.append(tx, None, "test.write", "proc/" + name, n=i)
    if i % 10 == 0:  # some transactions carry two entries
        audit.append(tx, None, "test.write_second", "proc/" + name, n=i)

for future in [db.submit(lambda tx, i=i: write(tx, i)) for i in range(count)]:
    future.result()
print(f"{time.monotonic() - started:.3f}", flush=True)
db.close()
"""


def write_from_two_processes(settings: Settings, count: int) -> list[float]:
    """Returns each process's time to write its entries (s)."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    open_database(settings).open().close()  # migrated once, before both start
    where = settings.database_url or str(settings.db_path)
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, name, str(count), where], env=env, text=True,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE) for name in ("a", "b")]
    try:
        for proc in procs:
            assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        for proc in procs:
            assert proc.stdin is not None
            proc.stdin.write("go\n")
            proc.stdin.flush()
        for proc in procs:
            assert proc.wait(timeout=120) == 0
        return [float(proc.stdout.read().strip()) for proc in procs if proc.stdout is not None]
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            for pipe in (proc.stdin, proc.stdout):
                if pipe is not None:
                    pipe.close()


def check_every_entry_once(settings: Settings, count: int) -> list[dict[str, Any]]:
    db = open_database(settings).open()
    try:
        log = rows(db)
    finally:
        db.close()
    seen = sorted((r["action"], r["target"], json.loads(r["detail"])["n"]) for r in log)
    wanted = sorted([("test.write", f"proc/{p}", i) for p in "ab" for i in range(count)]
                    + [("test.write_second", f"proc/{p}", i) for p in "ab" for i in range(0, count, 10)])
    assert seen == wanted
    result = verify(settings)
    assert result.exit_code == 0, result.output
    return log


def test_two_processes_on_one_sqlite_file_make_one_chain(settings: Settings) -> None:
    if settings.database_url:
        pytest.skip("the PostgreSQL variant is the multiprocess test below")
    write_from_two_processes(settings, 300)
    check_every_entry_once(settings, 300)


@pytest.mark.multiprocess
def test_two_processes_on_postgresql_make_one_chain(postgres: PostgresServer, tmp_path: Path) -> None:
    url = postgres.create_database()
    try:
        settings = Settings(data_dir=tmp_path / "data", database_url=url, secret_key="audit-chain-test")
        took = write_from_two_processes(settings, 500)
        log = check_every_entry_once(settings, 500)
        print(f"two processes x 500 audited writes on PostgreSQL: {max(took):.2f} s")
        # They did write at once: the two processes' entries are interleaved in the chain.
        switches = sum(1 for a, b in zip(log, log[1:], strict=False) if a["target"] != b["target"])
        assert switches > 10, switches
    finally:
        postgres.drop_database(url)
