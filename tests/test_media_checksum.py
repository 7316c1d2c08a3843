"""Hash at capture (issue 27): the phone's SHA-256 of the original, sent at creation, against the
server's of the assembled file; and the tus checksum extension, a SHA-256 per PATCH body, so that
bytes damaged in transit are refused (460) before anything of them is stored."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import httpx
import pytest

from app.settings import Settings
from media.tus import encode_metadata

from .conftest import LiveServer
from .media.files import jpeg
from .media.helpers import (
    TUS,
    citizen_with_report,
    create,
    cut_patch,
    patch,
    police,
    sha256,
    wait_media,
)
from .sync_client import SyncClient
from .test_media_access import audit_rows


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.with_(triage_timeout_s=3600)


def test_a_file_that_differs_from_the_phones_hash_is_kept_and_marked(live_server: LiveServer, tmp_path: Path) -> None:
    device, report_id = citizen_with_report(live_server)
    data = jpeg(tmp_path / "a.jpg").read_bytes()
    location = create(device, report_id, len(data), sha256=sha256(data + b"!")).headers["location"]
    r = patch(device, location, 0, data)
    assert r.status_code == 204, r.text
    media_id = location.rsplit("/", 1)[-1]
    body = wait_media(device, media_id)
    assert body["state"] == "ready" and body["sha256"] == sha256(data)
    assert body["capture"] == "mismatch" and body["client_sha256"] == sha256(data + b"!")
    assert live_server.svc.media.store.original(media_id).read_bytes() == data

    dispatcher = police(live_server, "dp", "dispatcher")
    listing = dispatcher.http.get(f"/api/reports/{report_id}/media").json()["media"]
    assert [(m["id"], m["capture"]) for m in listing] == [(media_id, "mismatch")]
    assert dispatcher.http.get(f"/media/{media_id}").json()["capture"] == "mismatch"
    [received] = [r for r in audit_rows(live_server, "media.received") if r["detail"]["media"] == media_id]
    assert received["detail"]["capture"] == "mismatch"


def test_capture_is_verified_or_none(live_server: LiveServer, tmp_path: Path) -> None:
    device, report_id = citizen_with_report(live_server)
    data = jpeg(tmp_path / "a.jpg").read_bytes()
    ids = []
    for extra in ({"sha256": sha256(data)}, {}):
        location = create(device, report_id, len(data), **extra).headers["location"]
        assert patch(device, location, 0, data).status_code == 204
        ids.append(location.rsplit("/", 1)[-1])
    captures = [wait_media(device, media_id)["capture"] for media_id in ids]
    assert captures == ["verified", "none"]


def checksum(data: bytes) -> str:
    return "sha256 " + base64.b64encode(hashlib.sha256(data).digest()).decode()


def checked_patch(device: SyncClient, location: str, offset: int, data: bytes, sent: str) -> httpx.Response:
    headers = {
        **TUS, "Upload-Offset": str(offset), "Content-Type": "application/offset+octet-stream",
        "Upload-Checksum": sent,
    }
    return device.http.patch(location, content=data, headers=headers, timeout=60)


def offset_of(device: SyncClient, location: str) -> int:
    r = device.http.head(location, headers=TUS)
    assert r.status_code == 200
    return int(r.headers["upload-offset"])


def test_discovery_names_the_checksum_extension(live_server: LiveServer) -> None:
    r = httpx.options(f"{live_server.url}/media/uploads/")
    assert "checksum" in r.headers["tus-extension"].split(",")
    assert r.headers["tus-checksum-algorithm"] == "sha256"


def test_a_damaged_chunk_is_refused_and_nothing_of_it_stored(live_server: LiveServer, tmp_path: Path) -> None:
    device, report_id = citizen_with_report(live_server)
    data = jpeg(tmp_path / "a.jpg", size=(1600, 1200), quality=95).read_bytes()
    half = len(data) // 2
    location = create(device, report_id, len(data), sha256=sha256(data)).headers["location"]
    media_id = location.rsplit("/", 1)[-1]
    part = live_server.svc.media.store.part(media_id)
    assert checked_patch(device, location, 0, data[:half], checksum(data[:half])).status_code == 204

    damaged = data[half:-1] + bytes([data[-1] ^ 1])  # one bit flipped on the way
    r = checked_patch(device, location, half, damaged, checksum(data[half:]))
    assert r.status_code == 460, r.text
    assert r.json()["error"] == "checksum_mismatch" and r.headers["upload-offset"] == str(half)
    assert offset_of(device, location) == half and part.stat().st_size == half
    assert sorted(p.name for p in part.parent.iterdir()) == ["upload.part"]  # no staged leftovers

    # The same chunk, undamaged, at the same offset: accepted, and the whole file verifies.
    r = checked_patch(device, location, half, data[half:], checksum(data[half:]))
    assert r.status_code == 204 and r.headers["upload-offset"] == str(len(data))
    body = wait_media(device, media_id)
    assert (body["state"], body["capture"], body["sha256"]) == ("ready", "verified", sha256(data))
    assert live_server.svc.media.store.original(media_id).read_bytes() == data


def test_a_resumed_upload_with_checksums_is_verified_end_to_end(live_server: LiveServer, tmp_path: Path) -> None:
    device, report_id = citizen_with_report(live_server)
    path = jpeg(tmp_path / "a.jpg", size=(1600, 1200), quality=95)
    data = path.read_bytes()
    cut = len(data) // 3
    location = create(device, report_id, len(data), sha256=sha256(data)).headers["location"]
    assert checked_patch(device, location, 0, data[:cut], checksum(data[:cut])).status_code == 204
    offset = offset_of(device, location)  # as a phone does after losing its connection
    assert offset == cut
    r = checked_patch(device, location, offset, data[offset:], checksum(data[offset:]))
    assert r.status_code == 204, r.text
    body = wait_media(device, location.rsplit("/", 1)[-1])
    assert body["capture"] == "verified"
    assert body["sha256"] == body["client_sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()


def test_creation_with_upload_checks_the_body_too(live_server: LiveServer, tmp_path: Path) -> None:
    device, report_id = citizen_with_report(live_server)
    data = jpeg(tmp_path / "a.jpg").read_bytes()
    meta = encode_metadata({"report": report_id, "filename": "a.jpg", "sha256": sha256(data)})
    headers = {
        **TUS, "Upload-Length": str(len(data)), "Upload-Metadata": meta,
        "Content-Type": "application/offset+octet-stream", "Upload-Checksum": checksum(data + b"x"),
    }
    r = device.http.post("/media/uploads/", content=data, headers=headers)
    assert r.status_code == 460 and r.headers["upload-offset"] == "0", r.text
    location = r.headers["location"]  # the upload exists; its first bytes were not kept
    assert offset_of(device, location) == 0
    r = device.http.post("/media/uploads/", content=data, headers={**headers, "Upload-Checksum": checksum(data)})
    assert r.status_code == 201 and r.headers["upload-offset"] == str(len(data))
    assert wait_media(device, r.headers["location"].rsplit("/", 1)[-1])["capture"] == "verified"


@pytest.mark.parametrize(
    ("sent", "code"),
    [
        ("md5 " + base64.b64encode(hashlib.md5(b"x").digest()).decode(), "checksum_algorithm"),
        ("sha1 " + base64.b64encode(hashlib.sha1(b"x").digest()).decode(), "checksum_algorithm"),
        ("sha256", "bad_checksum"),
        ("sha256 not*base64", "bad_checksum"),
        ("sha256 " + base64.b64encode(b"short").decode(), "bad_checksum"),
        ("sha256 " + hashlib.sha256(b"x").hexdigest(), "bad_checksum"),  # hex, not base64
    ],
)
def test_bad_checksum_headers_are_400(live_server: LiveServer, sent: str, code: str) -> None:
    device, report_id = citizen_with_report(live_server)
    location = create(device, report_id, 10).headers["location"]
    r = checked_patch(device, location, 0, b"0123456789", sent)
    assert r.status_code == 400 and r.json()["error"] == code, r.text
    assert offset_of(device, location) == 0


def test_a_checksummed_patch_cut_off_keeps_nothing(live_server: LiveServer, tmp_path: Path) -> None:
    """A phone that loses its signal mid-PATCH: the part that came cannot be checked, so it is not
    kept; the same chunk sent again from offset 0 is accepted and the file verifies."""
    device, report_id = citizen_with_report(live_server)
    data = jpeg(tmp_path / "a.jpg", size=(1600, 1200), quality=95).read_bytes()
    location = create(device, report_id, len(data), sha256=sha256(data)).headers["location"]
    cut_patch(live_server, device.token, location, 0, data, len(data) // 2, checksum=checksum(data))
    assert offset_of(device, location) == 0
    r = checked_patch(device, location, 0, data, checksum(data))
    assert r.status_code == 204, r.text
    assert wait_media(device, location.rsplit("/", 1)[-1])["capture"] == "verified"
    media_id = location.rsplit("/", 1)[-1]
    assert live_server.svc.media.store.original(media_id).read_bytes() == data


def test_once_the_servers_hash_is_recorded_neither_hash_can_be_rewritten(live_server: LiveServer, tmp_path: Path) -> None:
    """The database itself refuses (a trigger), whatever code or person issues the UPDATE."""
    device, report_id = citizen_with_report(live_server)
    data = jpeg(tmp_path / "a.jpg").read_bytes()
    location = create(device, report_id, len(data), sha256=sha256(data)).headers["location"]
    assert checked_patch(device, location, 0, data, checksum(data)).status_code == 204
    media_id = location.rsplit("/", 1)[-1]
    assert wait_media(device, media_id)["capture"] == "verified"
    for column in ("sha256", "client_sha256"):
        with pytest.raises(Exception, match="media evidence fields are fixed"):
            live_server.svc.db.write_sync(
                lambda tx, column=column: tx.execute(f"UPDATE media SET {column} = ? WHERE id = ?", ("0" * 64, media_id))
            )
    assert wait_media(device, media_id)["client_sha256"] == sha256(data)
