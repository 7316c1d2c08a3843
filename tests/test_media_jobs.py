"""The media jobs on the outbox: recovery of a check cut short, expiry of abandoned uploads,
retries with back-off and the dead letter."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from app.settings import Settings

from .conftest import LiveServer
from .media import files
from .media.helpers import TUS, citizen_with_report, create, patch, upload, wait_media


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.with_(triage_timeout_s=3600)


def outbox(server: LiveServer, key: str) -> dict:
    rows = server.svc.db.read_sync(lambda c: [dict(r) for r in c.execute("SELECT * FROM outbox WHERE key = ?", (key,))])
    return rows[0] if rows else {}


def expire_now(server: LiveServer, media_id: str) -> None:
    """Bring the upload's expiry job forward instead of waiting days (or racing a short expiry)."""
    server.svc.db.write_sync(
        lambda tx: tx.execute("UPDATE outbox SET run_at = 0 WHERE key = ?", (f"media.expire:{media_id}",))
    )
    server.svc.media.wake()


def test_a_finished_upload_the_server_never_checked_is_checked_on_head(live_server: LiveServer, tmp_path: Path) -> None:
    device, report_id = citizen_with_report(live_server)
    data = files.jpeg(tmp_path / "a.jpg").read_bytes()
    location = create(device, report_id, len(data)).headers["location"]
    media_id = location.rsplit("/", 1)[-1]
    # The bytes reached the disk, then the server died before it noted the upload complete.
    live_server.svc.media.store.part(media_id).write_bytes(data)
    r = device.http.head(location, headers=TUS)
    assert r.status_code == 200 and r.headers["upload-offset"] == str(len(data))
    assert wait_media(device, media_id)["state"] == "ready"


def test_an_abandoned_upload_expires_but_its_preview_stays(live_server: LiveServer, tmp_path: Path) -> None:
    device, report_id = citizen_with_report(live_server)
    location = create(device, report_id, 100_000).headers["location"]
    media_id = location.rsplit("/", 1)[-1]
    assert patch(device, location, 0, b"x" * 300).status_code == 204
    preview_id, r = upload(device, report_id, files.jpeg(tmp_path / "p.jpg"), kind="preview", preview_of=media_id)
    assert r.status_code == 204, r.text
    assert wait_media(device, preview_id)["state"] == "ready"
    expire_now(live_server, media_id)
    body = wait_media(device, media_id, until=("failed",), timeout=20)
    assert "not finished in time" in body["reason"]
    assert not live_server.svc.media.store.part(media_id).exists()
    assert device.http.head(location, headers=TUS).status_code == 410
    # What the phone's preview gave the police is kept.
    assert body["preview"] and device.http.get(body["urls"]["thumb"]).status_code == 200


def test_processing_is_retried_then_dead_lettered(live_server: LiveServer, tmp_path: Path, monkeypatch) -> None:
    from media import images

    attempts = []

    def broken(*args, **kwargs):
        attempts.append(1)
        raise OSError("disk trouble")

    monkeypatch.setattr(images, "derive_image", broken)
    live_server.svc.media.pipeline.max_attempts = 2
    for worker in live_server.svc.media_workers:
        worker.max_attempts = 2
    device, report_id = citizen_with_report(live_server)
    media_id, r = upload(device, report_id, files.jpeg(tmp_path / "a.jpg"))
    assert r.status_code == 204
    body = wait_media(device, media_id, timeout=20)
    assert body["state"] == "failed" and "disk trouble" in body["reason"] and "original is kept" in body["reason"]
    assert len(attempts) == 2
    # The media is marked failed inside the last attempt; the outbox marks the item dead after it.
    deadline = time.monotonic() + 10
    while outbox(live_server, f"media.process:{media_id}")["state"] != "dead" and time.monotonic() < deadline:
        time.sleep(0.02)
    item = outbox(live_server, f"media.process:{media_id}")
    assert item["state"] == "dead" and item["attempts"] == 2 and "disk trouble" in item["last_error"]
    # Evidence survives a processing failure: the original is still there and served.
    assert device.http.get(body["urls"]["original"]).status_code == 200


def test_a_check_cut_short_by_a_crash_is_redone_by_the_recovery_job(live_server: LiveServer, tmp_path: Path) -> None:
    from app.storage import outbox

    device, report_id = citizen_with_report(live_server)
    data = files.video(tmp_path / "v.mp4", seconds=1, size="640x360").read_bytes()
    location = create(device, report_id, len(data), filename="v.mp4", filetype="video/mp4").headers["location"]
    media_id = location.rsplit("/", 1)[-1]
    # The state the server leaves when it dies right after noting "all bytes are in": the
    # upload is complete and marked verifying, and only the safety-net job remains.
    live_server.svc.media.store.part(media_id).write_bytes(data)

    def crashed(tx) -> None:
        tx.execute("UPDATE media SET state = 'verifying' WHERE id = ?", (media_id,))
        outbox.enqueue(tx, "media.image", f"media.recover:{media_id}", {"media": media_id})

    live_server.svc.db.write_sync(crashed)
    live_server.svc.media.wake()
    body = wait_media(device, media_id, timeout=60)
    assert body["state"] == "ready" and body["type"] == "video", body
    assert body["derivatives"]["video"]["height"] == 360
    # The transcode ran on the video worker's job, not on the recovery job of the photo worker.
    assert outbox_row(live_server, f"media.process:{media_id}")["topic"] == "media.video"


def outbox_row(server: LiveServer, key: str) -> dict:
    return outbox(server, key)
