"""Backups of the embedded deployment (DESIGN §4 "Backups", docs/deploy.md): `sos backup` in the
middle of a stream of reports with photos, `sos restore` into an empty directory, a server on the
restored copy that has every report acknowledged before the backup with its incident, reply and
photo, and old tokens that still work; `sos backup verify` naming a changed, missing or extra
file; refusals; a second backup that copies no unchanged media file again."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from app.cli import main

from .conftest import PASSWORD, free_port
from .media.helpers import create, patch
from .pg import backend
from .sync_client import SyncClient, point_in_ward

pytestmark = pytest.mark.skipif(backend() == "postgresql", reason="the embedded (SQLite) deployment")

# The settings a deployment could have in its environment are left out: the keys must come from
# the data directory, as on a deployment that lets the server make them.
_OURS = ("SOS_SECRET_KEY", "SOS_DATABASE_URL", "SOS_DATA_DIR", "SOS_MEDIA_DIR", "SOS_VAPID_PRIVATE_KEY")
LIMITS = {"SOS_REPORTS_PER_DEVICE_PER_HOUR": "100000", "SOS_REPORTS_PER_IP_PER_HOUR": "100000",
          "SOS_DEVICES_PER_IP_PER_HOUR": "100000", "SOS_TRIAGE_TIMEOUT_S": "3600"}


def env_for(data_dir: Path, **extra: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if k not in _OURS}
    return {**base, **LIMITS, "SOS_DATA_DIR": str(data_dir), **extra}


def sos(args: list[str], data_dir: Path, stdin: str | None = None, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "app.cli", *args], env=env_for(data_dir, **extra),
                          input=stdin, capture_output=True, text=True, timeout=120)


def cli(args: list[str], data_dir: Path, stdin: str | None = None, **extra: str) -> Any:
    """The same command in this process (fast; for the tests that need no server)."""
    env: dict[str, str | None] = {k: None for k in _OURS}
    env.update({"SOS_DATA_DIR": str(data_dir), **extra})
    return CliRunner().invoke(main, args, input=stdin, env=env, catch_exceptions=False)


def start_server(data_dir: Path, logs: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    logs.mkdir(exist_ok=True)
    with open(logs / f"server-{port}.log", "wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "app.cli", "serve", "--port", str(port)],
                                env=env_for(data_dir), stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return proc, url
        except httpx.TransportError:
            pass
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}; see {logs}")
        time.sleep(0.1)
    proc.kill()
    raise RuntimeError("server did not start within 30 s")


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    proc.wait(15)


def photo(seed: int) -> bytes:
    """A small real JPEG, different for every report (noise), so each hash is its own."""
    import io

    from PIL import Image

    image = Image.frombytes("RGB", (96, 72), hashlib.shake_256(str(seed).encode()).digest(96 * 72 * 3))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.mark.slow
def test_a_backup_in_the_middle_of_a_stream_restores_every_acknowledged_report(tmp_path: Path) -> None:
    data, logs = tmp_path / "data", tmp_path / "logs"
    # A police account made before the server starts; the server makes the keys in `data`.
    made = sos(["user", "add", "disp", "--role", "dispatcher", "--password-stdin"], data, PASSWORD + "\n")
    assert made.returncode == 0, made.stderr
    server, url = start_server(data, logs)
    acked: list[tuple[str, str, str, float]] = []  # report id, media id, photo's SHA-256, when
    failures: list[str] = []
    stop_stream = threading.Event()
    try:
        police = httpx.post(f"{url}/api/auth/login", json={"username": "disp", "password": PASSWORD})
        assert police.status_code == 200, police.text
        police_token = police.json()["token"]
        device_token = httpx.post(f"{url}/api/citizen/devices").json()["token"]

        def stream(worker: int) -> None:
            client = SyncClient(url, device_token)
            try:
                n = 0
                while not stop_stream.is_set():
                    n += 1
                    report_id = client.new_report("crime", f"backup test {worker}-{n}", point_in_ward(27031))
                    if client.sync(f"report/{report_id}").status_code != 200:
                        failures.append(f"report {report_id} refused")
                        return
                    image = photo(worker * 100_000 + n)
                    r = create(client, report_id, len(image), filetype="image/jpeg", sha256=sha(image))
                    location = r.headers["location"]
                    if patch(client, location, 0, image).status_code != 204:
                        failures.append(f"photo of {report_id} refused")
                        return
                    acked.append((report_id, location.rsplit("/", 1)[-1], sha(image), time.monotonic()))
            finally:
                client.close()

        threads = [threading.Thread(target=stream, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 30
        while len(acked) < 10 and time.monotonic() < deadline and not failures:
            time.sleep(0.02)
        assert len(acked) >= 10 and not failures, failures or "the stream never got going"

        started = time.monotonic()
        backup = sos(["backup", str(tmp_path / "backups" / "one")], data)
        ended = time.monotonic()
        assert backup.returncode == 0, backup.stderr
        during = [a for a in acked if started <= a[3] <= ended]
        stop_stream.set()
        for t in threads:
            t.join(30)
        assert not failures, failures
        # The server kept answering while the backup ran: the copy was made of a live database.
        assert during, "no report was acknowledged while `sos backup` ran"
        # A second backup beside the first copies no unchanged media file again: every original
        # of the first is the same file (inode) in the second.
        second = sos(["backup", str(tmp_path / "backups" / "two")], data)
        assert second.returncode == 0, second.stderr
    finally:
        stop_stream.set()
        stop(server)
    before = [a for a in acked if a[3] < started]
    one, two = tmp_path / "backups" / "one", tmp_path / "backups" / "two"
    originals = sorted(one.glob("media/*/*/original"))
    assert len(originals) >= len(before)
    for path in originals:
        assert path.stat().st_ino == (two / path.relative_to(one)).stat().st_ino, path
    assert f"unchanged linked from {one}" in second.stdout
    assert "media (bytes)" in backup.stderr  # the progress bars go to stderr

    # `sos restore` into an empty directory; a server on it.
    restored = tmp_path / "restored"
    result = sos(["restore", str(tmp_path / "backups" / "one")], restored)
    assert result.returncode == 0, result.stderr
    assert (restored / "secret_key").read_bytes() == (data / "secret_key").read_bytes()
    server, url = start_server(restored, logs)
    try:
        db = sqlite3.connect(restored / "sos.db")

        def count(sql: str, *args: object) -> int:
            return int(db.execute(sql, args).fetchone()[0])

        pending = "SELECT count(*) FROM outbox WHERE state = 'pending' AND run_at <= ? AND topic != 'escalation'"
        deadline = time.monotonic() + 60
        while count(pending, time.time()) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert count(pending, time.time()) == 0, "the outbox did not catch up on the restored copy"

        citizen = SyncClient(url, device_token)  # tokens signed before the backup
        dispatcher = SyncClient(url, police_token)
        me = dispatcher.http.get("/api/auth/me")
        assert me.status_code == 200 and me.json()["user"]["username"] == "disp", me.text
        for report_id, media_id, digest, _ in before:
            for doc in ("report", "incident", "reply"):
                assert count("SELECT count(*) FROM sync_documents WHERE name = ?", f"{doc}/{report_id}") == 1
            assert count("SELECT count(*) FROM reports WHERE id = ?", report_id) == 1
            assert count("SELECT count(*) FROM incidents WHERE id = ?", report_id) == 1
            assert citizen.pull(f"reply/{report_id}").status_code == 200
            assert citizen.json(f"reply/{report_id}", "reply").get("status"), report_id
            assert dispatcher.pull(f"incident/{report_id}").status_code == 200
            assert dispatcher.json(f"incident/{report_id}", "incident"), report_id
            listed = citizen.http.get(f"/api/reports/{report_id}/media").json()["media"]
            assert [m["id"] for m in listed] == [media_id]
            original = dispatcher.http.get(f"/media/{media_id}/original")
            assert original.status_code == 200 and sha(original.content) == digest
        assert count("SELECT count(*) FROM reports") == count("SELECT count(DISTINCT id) FROM reports")
        db.close()
        citizen.close()
        dispatcher.close()
    finally:
        stop(server)
    # `sos backup verify` names a real original changed by one byte.
    assert sos(["backup", "verify", str(two)], data).returncode == 0
    victim = two / "media" / before[0][1][:2] / before[0][1] / "original"
    content = bytearray(victim.read_bytes())
    content[len(content) // 2] ^= 0x01
    victim.chmod(0o600)
    victim.write_bytes(bytes(content))
    bad = sos(["backup", "verify", str(two)], data)
    assert bad.returncode != 0 and f"changed: {victim.relative_to(two)}" in bad.stderr, bad.stderr


# -- the commands on a small data directory, without a server --------------------------------------
@pytest.fixture
def deployment(tmp_path: Path) -> Path:
    """A data directory as a server leaves it: database, keys, and a few media files."""
    data = tmp_path / "data"
    result = cli(["user", "add", "lan", "--role", "officer", "--unit", "ward-27031", "--password-stdin"],
                 data, "a long secret\n")
    assert result.exit_code == 0, result.output
    for media_id, content in (("abcd1", b"first photo"), ("abcd2", b"second photo"), ("xy999", b"a video")):
        folder = data / "media" / media_id[:2] / media_id
        folder.mkdir(parents=True)
        (folder / "original").write_bytes(content)
        (folder / "thumb.webp").write_bytes(content[:4])
    (data / "media" / "ab" / "abcd2" / "upload.part").write_bytes(b"half")  # unfinished: left out
    return data


def test_backup_holds_the_database_keys_and_media_with_their_sums(deployment: Path, tmp_path: Path) -> None:
    result = cli(["backup", str(tmp_path / "b")], deployment)
    assert result.exit_code == 0, result.output
    manifest = json.loads((tmp_path / "b" / "manifest.json").read_text())
    assert manifest["schema_version"] > 0 and manifest["app_version"]
    assert manifest["database_at"] <= manifest["created"]
    assert f"database as it was at {manifest['database_at']}" in result.output
    assert set(manifest["files"]) == {
        "sos.db", "keys/secret_key", "keys/vapid_private_key.pem",
        "media/ab/abcd1/original", "media/ab/abcd1/thumb.webp", "media/ab/abcd2/original",
        "media/ab/abcd2/thumb.webp", "media/xy/xy999/original", "media/xy/xy999/thumb.webp"}
    # The service's user only: the backup holds the keys and every account.
    assert (tmp_path / "b").stat().st_mode & 0o077 == 0
    assert (tmp_path / "b" / "keys" / "secret_key").stat().st_mode & 0o077 == 0
    assert (tmp_path / "b" / "sos.db").stat().st_mode & 0o077 == 0
    entry = manifest["files"]["media/ab/abcd1/original"]
    assert entry == {**entry, "size": 11, "sha256": sha(b"first photo")}
    # The database is a whole SQLite file with the account in it.
    db = sqlite3.connect(tmp_path / "b" / "sos.db")
    assert db.execute("SELECT username FROM users").fetchall() == [("lan",)]
    db.close()


def test_verify_names_a_changed_byte_a_missing_file_and_an_extra_one(deployment: Path, tmp_path: Path) -> None:
    backup = tmp_path / "b"
    assert cli(["backup", str(backup)], deployment).exit_code == 0
    ok = cli(["backup", "verify", str(backup)], deployment)
    assert ok.exit_code == 0, ok.output

    original = backup / "media" / "ab" / "abcd2" / "original"
    content = original.read_bytes()
    os.chmod(original, 0o600)
    original.write_bytes(content[:3] + bytes([content[3] ^ 1]) + content[4:])  # one byte, same size
    bad = cli(["backup", "verify", str(backup)], deployment)
    assert bad.exit_code != 0
    assert "changed: media/ab/abcd2/original" in bad.output
    original.write_bytes(content)
    assert cli(["backup", "verify", str(backup)], deployment).exit_code == 0

    (backup / "keys" / "vapid_private_key.pem").unlink()
    missing = cli(["backup", "verify", str(backup)], deployment)
    assert missing.exit_code != 0 and "missing: keys/vapid_private_key.pem" in missing.output

    copy(deployment / "vapid_private_key.pem", backup / "keys" / "vapid_private_key.pem")
    (backup / "media" / "ab" / "stray").write_bytes(b"?")
    extra = cli(["backup", "verify", str(backup)], deployment)
    assert extra.exit_code != 0 and "extra: media/ab/stray" in extra.output


def copy(source: Path, dest: Path) -> None:
    dest.write_bytes(source.read_bytes())


def test_refusals_touch_nothing(deployment: Path, tmp_path: Path) -> None:
    backup = tmp_path / "b"
    backup.mkdir()
    (backup / "notes.txt").write_text("mine")
    refused = cli(["backup", str(backup)], deployment)
    assert refused.exit_code != 0 and "not empty" in refused.output
    assert [p.name for p in backup.iterdir()] == ["notes.txt"]

    backup = tmp_path / "b2"
    assert cli(["backup", str(backup)], deployment).exit_code == 0
    # A restore only into an empty data directory: here, a live one.
    before = {p: p.read_bytes() for p in deployment.rglob("*") if p.is_file()}
    refused = cli(["restore", str(backup)], deployment)
    assert refused.exit_code != 0 and "not empty" in refused.output
    assert {p: p.read_bytes() for p in deployment.rglob("*") if p.is_file()} == before
    # A damaged backup is not restored at all.
    (backup / "keys" / "secret_key").chmod(0o600)
    (backup / "keys" / "secret_key").write_text("another key")
    target = tmp_path / "empty"
    refused = cli(["restore", str(backup)], target)
    assert refused.exit_code != 0 and "changed: keys/secret_key" in refused.output
    assert not target.exists()


def test_a_second_backup_copies_no_unchanged_media_file_again(deployment: Path, tmp_path: Path) -> None:
    first, second = tmp_path / "backups" / "1", tmp_path / "backups" / "2"
    assert cli(["backup", str(first)], deployment).exit_code == 0
    # One new derivative since the first backup (written the server's way: a new file renamed in).
    fresh = deployment / "media" / "ab" / "abcd1" / "display.webp"
    fresh.write_bytes(b"new")
    result = cli(["backup", str(second)], deployment)  # finds the first beside it by itself
    assert result.exit_code == 0, result.output
    # Database, two keys and the new file copied; the six unchanged media files linked.
    assert "10 file(s); 4 copied" in result.output and "6 unchanged linked" in result.output
    for rel in ("ab/abcd1/original", "ab/abcd2/thumb.webp", "xy/xy999/original"):
        assert (first / "media" / rel).stat().st_ino == (second / "media" / rel).stat().st_ino
    assert (second / "media" / "ab" / "abcd1" / "display.webp").read_bytes() == b"new"
    assert cli(["backup", "verify", str(second)], deployment).exit_code == 0
    # --since names the earlier backup explicitly (here from another directory).
    third = tmp_path / "elsewhere" / "3"
    result = cli(["backup", "--since", str(second), str(third)], deployment)
    assert result.exit_code == 0 and "7 unchanged linked" in result.output, result.output
    # Beside several, the newest is the one taken.
    result = cli(["backup", str(tmp_path / "backups" / "4")], deployment)
    assert f"7 unchanged linked from {second}" in result.output, result.output


def test_restore_brings_back_the_same_keys_and_database(deployment: Path, tmp_path: Path) -> None:
    backup, target = tmp_path / "b", tmp_path / "restored"
    assert cli(["backup", str(backup)], deployment).exit_code == 0
    result = cli(["restore", str(backup)], target)
    assert result.exit_code == 0, result.output
    for name in ("secret_key", "vapid_private_key.pem", "media/ab/abcd1/original", "media/xy/xy999/thumb.webp"):
        assert (target / name).read_bytes() == (deployment / name).read_bytes(), name
    assert not (target / "media" / "ab" / "abcd2" / "upload.part").exists()
    assert (target / "secret_key").stat().st_mode & 0o077 == 0
    db = sqlite3.connect(target / "sos.db")
    assert db.execute("SELECT username FROM users").fetchall() == [("lan",)]
    db.close()


def test_on_postgresql_the_backup_holds_media_and_keys_and_says_why_not_the_database(
    deployment: Path, tmp_path: Path
) -> None:
    # The backup never connects to PostgreSQL: an address nothing listens on shows it.
    url = "postgresql://sos@127.0.0.1:1/sos"
    result = cli(["backup", str(tmp_path / "b")], deployment, SOS_DATABASE_URL=url)
    assert result.exit_code == 0, result.output
    assert "PostgreSQL" in result.output and "media and the keys only" in result.output
    manifest = json.loads((tmp_path / "b" / "manifest.json").read_text())
    assert manifest["database"] is None and "sos.db" not in manifest["files"]
    assert "keys/secret_key" in manifest["files"] and "media/ab/abcd1/original" in manifest["files"]
    # Such a backup is not restored as an embedded deployment (it has no database).
    refused = cli(["restore", str(tmp_path / "b")], tmp_path / "empty")
    assert refused.exit_code != 0 and "no database" in refused.output


def test_the_database_copy_is_one_snapshot_never_restarted_by_writes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A stepped online backup restarts whenever another connection writes, unless it holds one
    read transaction for the whole copy (app/backup.py): under a steady stream of writes the
    copy must go forward only and be a whole database."""
    from app import backup

    monkeypatch.setattr(backup, "PAGES", 20)  # many steps, so writes land between them
    source = tmp_path / "live.db"
    conn = sqlite3.connect(source, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE t (x BLOB)")
    conn.executemany("INSERT INTO t VALUES (randomblob(4000))", [()] * 1500)
    conn.close()
    done = threading.Event()
    writes = [0]

    def write() -> None:
        w = sqlite3.connect(source, isolation_level=None, timeout=30)
        while not done.is_set():
            w.execute("INSERT INTO t VALUES (randomblob(4000))")
            writes[0] += 1
        w.close()

    writer = threading.Thread(target=write)
    writer.start()
    try:
        deadline = time.monotonic() + 10
        while writes[0] < 5 and time.monotonic() < deadline:
            time.sleep(0.001)
        steps: list[int] = []
        backup.copy_database(source, tmp_path / "copy.db", steps.append)
        writes_during = writes[0]
    finally:
        done.set()
        writer.join(10)
    assert writes_during > 5, "the writer never got going"
    assert len(steps) > 10 and min(steps) >= 0  # forward only: never restarted
    copy = sqlite3.connect(tmp_path / "copy.db")
    assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert 1500 < copy.execute("SELECT count(*) FROM t").fetchone()[0] < 1500 + writes[0]
    copy.close()


def test_a_media_directory_of_its_own_is_backed_up_and_restored_too(deployment: Path, tmp_path: Path) -> None:
    shared = tmp_path / "shared-media"
    (deployment / "media").rename(shared)  # SOS_MEDIA_DIR: media outside the data directory
    backup = tmp_path / "b"
    assert cli(["backup", str(backup)], deployment, SOS_MEDIA_DIR=str(shared)).exit_code == 0
    assert (backup / "media" / "xy" / "xy999" / "original").read_bytes() == b"a video"
    # The new media directory must be empty too: a restore never mixes two deployments' files.
    taken = tmp_path / "taken"
    (taken / "zz").mkdir(parents=True)
    refused = cli(["restore", str(backup)], tmp_path / "new", SOS_MEDIA_DIR=str(taken))
    assert refused.exit_code != 0 and "media directory" in refused.output
    assert not (tmp_path / "new").exists() and [p.name for p in taken.iterdir()] == ["zz"]
    result = cli(["restore", str(backup)], tmp_path / "new", SOS_MEDIA_DIR=str(tmp_path / "media2"))
    assert result.exit_code == 0, result.output
    assert (tmp_path / "media2" / "xy" / "xy999" / "original").read_bytes() == b"a video"
    assert not (tmp_path / "new" / "media").exists()


def test_the_audit_logs_checkpoint_files_are_backed_up_and_restored(deployment: Path, tmp_path: Path) -> None:
    # Issue 27: the signed checkpoints live outside the database too; a backup keeps that copy.
    made = cli(["audit", "checkpoint"], deployment)
    assert made.exit_code == 0, made.output
    [checkpoint] = (deployment / "audit" / "checkpoints").iterdir()
    backup, target = tmp_path / "b", tmp_path / "restored"
    assert cli(["backup", str(backup)], deployment).exit_code == 0
    manifest = json.loads((backup / "manifest.json").read_text())
    rel = f"audit/checkpoints/{checkpoint.name}"
    assert manifest["files"][rel]["sha256"] == sha(checkpoint.read_bytes())
    assert "keys/evidence_signing_key.pem" in manifest["files"]
    assert cli(["restore", str(backup)], target).exit_code == 0
    assert (target / rel).read_bytes() == checkpoint.read_bytes()
    checked = cli(["audit", "verify"], target)
    assert checked.exit_code == 0 and "1 checkpoint(s)" in checked.output, checked.output
