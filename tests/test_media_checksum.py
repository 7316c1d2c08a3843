"""Hash at capture (issue 27): the phone's SHA-256 of the original, sent at creation, against the
server's of the assembled file; and the tus checksum extension, a SHA-256 per PATCH body, so that
bytes damaged in transit are refused (460) before anything of them is stored."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import pytest

from app.settings import Settings

from .conftest import LiveServer
from .media.files import jpeg
from .media.helpers import TUS, citizen_with_report, create, patch, police, sha256, wait_media

MB = 1024 * 1024


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
