"""Clients for the media tests: a citizen with a sent report, police, a tus upload by hand, and
waiting on a media state by polling its metadata (never by sleeping a fixed time)."""

from __future__ import annotations

import hashlib
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from media.tus import encode_metadata

from ..conftest import PASSWORD, LiveServer
from ..sync_client import SyncClient, point_in_ward

TAN_PHU = 27031
TUS = {"Tus-Resumable": "1.0.0"}


def citizen(server: LiveServer) -> SyncClient:
    token = httpx.post(f"{server.url}/api/citizen/devices").json()["token"]
    return SyncClient(server.url, token)


def citizen_with_report(server: LiveServer) -> tuple[SyncClient, str]:
    client = citizen(server)
    report_id = client.new_report("traffic", where=point_in_ward(TAN_PHU))
    assert client.sync(f"report/{report_id}").status_code == 200
    return client, report_id


def police(server: LiveServer, username: str, role: str, unit: str | None = None) -> SyncClient:
    server.svc.accounts.create_sync(username, PASSWORD, role, unit)
    r = httpx.post(f"{server.url}/api/auth/login", json={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return SyncClient(server.url, r.json()["token"])


def create(
    client: SyncClient, report_id: str, length: int, filename: str = "photo.jpg", **extra: str
) -> httpx.Response:
    meta = {"report": report_id, "filename": filename, **extra}
    headers = {**TUS, "Upload-Length": str(length), "Upload-Metadata": encode_metadata(meta)}
    return client.http.post("/media/uploads/", headers=headers)


def patch(client: SyncClient, location: str, offset: int, data: bytes) -> httpx.Response:
    headers = {**TUS, "Upload-Offset": str(offset), "Content-Type": "application/offset+octet-stream"}
    return client.http.patch(location, content=data, headers=headers, timeout=60)


def upload(client: SyncClient, report_id: str, path: Path, **extra: str) -> tuple[str, httpx.Response]:
    """Create and send a whole file in one PATCH; returns (media id, the PATCH response)."""
    data = path.read_bytes()
    r = create(client, report_id, len(data), filename=path.name, **extra)
    assert r.status_code == 201, r.text
    location = r.headers["location"]
    return location.rsplit("/", 1)[-1], patch(client, location, 0, data)


def wait_media(
    client: SyncClient, media_id: str, until: tuple[str, ...] = ("ready", "failed"), timeout: float = 60,
    when: Callable[[dict[str, Any]], bool] | None = None,
) -> dict[str, Any]:
    """Poll the metadata until its state is one of `until` (or `when(metadata)` holds)."""
    deadline = time.monotonic() + timeout
    while True:
        r = client.http.get(f"/media/{media_id}")
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        if when(body) if when is not None else body["state"] in until:
            return body
        if time.monotonic() > deadline:
            raise AssertionError(f"media {media_id} still {body['state']} after {timeout} s")
        time.sleep(0.05)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def cut_patch(server: LiveServer, token: str, location: str, offset: int, data: bytes, send: int,
              checksum: str | None = None) -> None:
    """A PATCH announcing all of `data` (with its `Upload-Checksum`, if given) whose connection
    dies after `send` bytes of the body, as when a phone loses its signal mid-upload."""
    url = urlsplit(server.url)
    extra = f"Upload-Checksum: {checksum}\r\n" if checksum else ""
    head = (
        f"PATCH {location} HTTP/1.1\r\nHost: {url.netloc}\r\nAuthorization: Bearer {token}\r\n"
        f"Tus-Resumable: 1.0.0\r\nUpload-Offset: {offset}\r\n{extra}"
        f"Content-Type: application/offset+octet-stream\r\nContent-Length: {len(data)}\r\n\r\n"
    ).encode()
    with socket.create_connection((url.hostname, url.port), timeout=10) as sock:
        sock.sendall(head + data[:send])
        sock.shutdown(socket.SHUT_WR)  # the phone is gone: no more bytes will ever come


def wait_offset(client: SyncClient, location: str, at_least: int, timeout: float = 10) -> int:
    """HEAD until the server has written what a cut connection delivered (it sees the cut late)."""
    deadline = time.monotonic() + timeout
    while True:
        r = client.http.head(location, headers=TUS)
        assert r.status_code == 200, r.status_code
        offset = int(r.headers["upload-offset"])
        if offset >= at_least:
            return offset
        if time.monotonic() > deadline:
            raise AssertionError(f"offset stuck at {offset}, expected at least {at_least}")
        time.sleep(0.02)
