"""tus 1.0 against a real server: discovery, creation, offsets, resumption after a cut
connection (with the Python tus client, tuspy), termination, and the size limits."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest
from tusclient import client as tus_client

from app.settings import Settings
from media.tus import encode_metadata

from .conftest import LiveServer
from .media.helpers import (
    TUS,
    citizen,
    citizen_with_report,
    create,
    cut_patch,
    patch,
    police,
    sha256,
    wait_media,
    wait_offset,
)

MB = 1024 * 1024


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.with_(
        triage_timeout_s=3600,
        media_photo_max_bytes=3 * MB,
        media_video_max_bytes=8 * MB,
        media_report_max_bytes=10 * MB,
    )


def big_photo(tmp_path: Path) -> bytes:
    """A real JPEG of about 2 MB (noise does not compress), so it is checked as a photo."""
    from PIL import Image

    image = Image.frombytes("RGB", (1400, 1000), os.urandom(4_200_000))
    path = tmp_path / "noise.jpg"
    image.save(path, "JPEG", quality=95)
    data = path.read_bytes()
    assert 1 * MB < len(data) < 3 * MB
    return data


def test_discovery_and_creation_headers(live_server: LiveServer) -> None:
    r = httpx.options(f"{live_server.url}/media/uploads/")
    assert r.status_code == 204
    assert r.headers["tus-version"] == "1.0.0" and r.headers["tus-resumable"] == "1.0.0"
    assert set(r.headers["tus-extension"].split(",")) >= {"creation", "termination"}
    assert int(r.headers["tus-max-size"]) == 8 * MB

    device, report_id = citizen_with_report(live_server)
    r = create(device, report_id, 1234)
    assert r.status_code == 201, r.text
    media_id = r.headers["location"].rsplit("/", 1)[-1]
    assert r.headers["location"] == f"/media/uploads/{media_id}"
    assert len(media_id) >= 8 and media_id.replace("-", "").replace("_", "").isalnum()
    assert "upload-expires" in r.headers
    head = device.http.head(f"/media/uploads/{media_id}", headers=TUS)
    assert (head.status_code, head.headers["upload-offset"], head.headers["upload-length"]) == (200, "0", "1234")
    assert head.headers["cache-control"] == "no-store"
    state = device.http.get(f"/media/{media_id}").json()
    assert (state["state"], state["received"], state["size"]) == ("uploading", 0, 1234)


def test_protocol_refusals(live_server: LiveServer) -> None:
    device, report_id = citizen_with_report(live_server)
    headers = {"Upload-Length": "10", "Upload-Metadata": encode_metadata({"report": report_id})}
    r = device.http.post("/media/uploads/", headers=headers)  # no Tus-Resumable
    assert r.status_code == 412 and r.headers["tus-version"] == "1.0.0"
    r = device.http.post("/media/uploads/", headers={**TUS, "Upload-Metadata": encode_metadata({"report": report_id})})
    assert r.status_code == 400 and "Upload-Length" in r.json()["message"]
    r = device.http.post("/media/uploads/", headers={**TUS, "Upload-Length": "10", "Upload-Metadata": "report !!!"})
    assert r.status_code == 400 and r.json()["error"] == "bad_metadata"
    assert httpx.post(f"{live_server.url}/media/uploads/", headers={**TUS, "Upload-Length": "10"}).status_code == 401

    location = create(device, report_id, 10).headers["location"]
    r = device.http.patch(location, content=b"0123456789", headers={**TUS, "Upload-Offset": "0", "Content-Type": "image/jpeg"})
    assert r.status_code == 415
    r = patch(device, location, 5, b"56789")
    assert r.status_code == 409 and r.headers["upload-offset"] == "0" and "HEAD" in r.json()["message"]
    assert patch(device, location, 0, b"01234").headers["upload-offset"] == "5"
    r = patch(device, location, 5, b"56789-and-more")
    assert r.status_code == 413 and r.json()["error"] == "over_length"
    # Someone else's upload does not exist for them.
    stranger = citizen(live_server)
    assert stranger.http.head(location, headers=TUS).status_code == 404
    assert patch(stranger, location, 10, b"x").status_code == 404


def test_only_the_reports_device_or_police_with_access_may_upload(live_server: LiveServer) -> None:
    device, report_id = citizen_with_report(live_server)
    stranger = citizen(live_server)
    r = create(stranger, report_id, 100)
    assert r.status_code == 403 and r.json()["error"] == "forbidden"
    # A report that has not arrived yet (made offline): 409, which tus clients retry.
    r = create(device, "not-sent-yet-0001", 100)
    assert r.status_code == 409 and r.json()["error"] == "report_not_sent"
    other_ward = police(live_server, "pm", "officer", "ward-26704")
    assert create(other_ward, report_id, 100).status_code == 403
    own_ward = police(live_server, "tp", "officer", "ward-27031")
    assert create(own_ward, report_id, 100, filename="scene.jpg").status_code == 201


def test_size_limits_are_refused_up_front(live_server: LiveServer) -> None:
    device, report_id = citizen_with_report(live_server)
    r = create(device, report_id, 4 * MB, filename="big.jpg", filetype="image/jpeg")
    assert r.status_code == 413 and "3 MB" in r.json()["message"]
    r = create(device, report_id, 9 * MB, filename="clip.mp4", filetype="video/mp4")
    assert r.status_code == 413 and "8 MB" in r.json()["message"]
    r = create(device, report_id, 500 * 1024, filename="p.jpg", kind="preview", preview_of="x" * 22)
    assert r.status_code == 422  # a preview must name an original of this report
    assert create(device, report_id, 7 * MB, filename="a.mp4", filetype="video/mp4").status_code == 201
    r = create(device, report_id, 4 * MB, filename="b.mp4", filetype="video/mp4")
    assert r.status_code == 413 and r.json()["error"] == "report_too_large"
    assert "10 MB" in r.json()["message"]


def test_termination(live_server: LiveServer) -> None:
    device, report_id = citizen_with_report(live_server)
    location = create(device, report_id, 100).headers["location"]
    assert patch(device, location, 0, b"x" * 40).status_code == 204
    assert device.http.delete(location, headers=TUS).status_code == 204
    assert device.http.head(location, headers=TUS).status_code == 410
    media_id = location.rsplit("/", 1)[-1]
    assert not live_server.svc.media.store.folder(media_id).exists()
    body = device.http.get(f"/media/{media_id}").json()
    assert body["state"] == "failed" and "Cancelled" in body["reason"]


def test_tuspy_uploads_in_chunks_and_resumes_after_stopping(live_server: LiveServer, tmp_path: Path) -> None:
    device, report_id = citizen_with_report(live_server)
    data = big_photo(tmp_path)
    path = tmp_path / "photo.jpg"
    path.write_bytes(data)
    tus = tus_client.TusClient(f"{live_server.url}/media/uploads/", headers={"Authorization": f"Bearer {device.token}"})
    metadata = {"report": report_id, "filename": "photo.jpg", "filetype": "image/jpeg"}
    # Streams we open and close: given a path, tuspy leaves its files open.
    with open(path, "rb") as stream:
        first = tus.uploader(file_stream=stream, chunk_size=256 * 1024, metadata=metadata)
        first.upload(stop_at=700 * 1024)  # the app is closed after three chunks
    assert first.url is not None
    assert 700 * 1024 <= first.get_offset() < len(data)

    # A new uploader (the app restarted) knows only the URL: it asks HEAD and carries on.
    with open(path, "rb") as stream:
        second = tus.uploader(file_stream=stream, chunk_size=256 * 1024, url=first.url, metadata=metadata)
        assert second.offset == first.get_offset()
        second.upload()
    media_id = first.url.rsplit("/", 1)[-1]
    body = wait_media(device, media_id)
    assert body["state"] == "ready", body
    assert body["sha256"] == sha256(data)
    stored = live_server.svc.media.store.original(media_id).read_bytes()
    assert sha256(stored) == sha256(data)


def test_a_cut_connection_keeps_what_arrived_and_resumes(live_server: LiveServer, tmp_path: Path) -> None:
    device, report_id = citizen_with_report(live_server)
    data = big_photo(tmp_path)
    location = create(device, report_id, len(data), filetype="image/jpeg", sha256=sha256(data)).headers["location"]
    # 1: half the file, then the signal is lost in the middle of the request body.
    cut_patch(live_server, device.token, location, 0, data, send=len(data) // 2)
    offset = wait_offset(device, location, len(data) // 2)
    assert offset == len(data) // 2  # everything that arrived was kept (write-through)
    # 2: a second cut, further on.
    cut_patch(live_server, device.token, location, offset, data[offset:], send=100_000)
    offset = wait_offset(device, location, offset + 100_000)
    # 3: the resume, from the offset HEAD gave.
    r = patch(device, location, offset, data[offset:])
    assert r.status_code == 204 and r.headers["upload-offset"] == str(len(data))
    media_id = location.rsplit("/", 1)[-1]
    body = wait_media(device, media_id)
    assert body["state"] == "ready" and body["sha256"] == sha256(data)
    assert sha256(live_server.svc.media.store.original(media_id).read_bytes()) == sha256(data)


def test_creation_with_upload_and_method_override(live_server: LiveServer, tmp_path: Path) -> None:
    from .media.files import jpeg

    device, report_id = citizen_with_report(live_server)
    data = jpeg(tmp_path / "small.jpg", size=(640, 480)).read_bytes()
    headers = {
        **TUS, "Upload-Length": str(len(data)), "Content-Type": "application/offset+octet-stream",
        "Upload-Metadata": encode_metadata({"report": report_id, "filename": "small.jpg"}),
    }
    r = device.http.post("/media/uploads/", content=data[:1000], headers=headers)
    assert r.status_code == 201 and r.headers["upload-offset"] == "1000"
    location = r.headers["location"]
    # Through a proxy that only lets GET and POST by: POST + X-HTTP-Method-Override.
    override = {**TUS, "Upload-Offset": "1000", "Content-Type": "application/offset+octet-stream", "X-HTTP-Method-Override": "PATCH"}
    r = device.http.post(location, content=data[1000:], headers=override)
    assert r.status_code == 204 and r.headers["upload-offset"] == str(len(data))
    assert wait_media(device, location.rsplit("/", 1)[-1])["state"] == "ready"
