"""Who may see media, the audit of evidence downloads, and Range requests for playback."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from app.settings import Settings

from .conftest import LiveServer
from .media import files
from .media.helpers import citizen, citizen_with_report, police, upload, wait_media


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.with_(triage_timeout_s=3600)


def audit_rows(server: LiveServer, action: str) -> list[dict]:
    import json

    rows = server.svc.db.read_sync(
        lambda c: [dict(r) for r in c.execute("SELECT * FROM audit_log WHERE action = ? ORDER BY id", (action,))]
    )
    for row in rows:
        row["detail"] = json.loads(row["detail"] or "{}")
    return rows


@pytest.fixture
def photo(live_server: LiveServer, tmp_path: Path):
    device, report_id = citizen_with_report(live_server)
    media_id, r = upload(device, report_id, files.jpeg(tmp_path / "a.jpg"))
    assert r.status_code == 204, r.text
    body = wait_media(device, media_id)
    assert body["state"] == "ready"
    return device, report_id, media_id, body


def test_media_is_served_only_to_those_who_may_read_the_report(live_server: LiveServer, photo) -> None:
    device, report_id, media_id, body = photo
    stranger = citizen(live_server)
    other_ward = police(live_server, "pm", "officer", "ward-26704")
    own_ward = police(live_server, "tp", "officer", "ward-27031")
    dispatcher = police(live_server, "dp", "dispatcher")
    paths = [f"/media/{media_id}", *(url.split("?")[0] for url in body["urls"].values()), f"/api/reports/{report_id}/media"]
    for path in paths:
        for outsider in (stranger, other_ward):
            r = outsider.http.get(path)
            assert r.status_code == 403, (path, r.status_code)
            assert r.json()["error"] == "forbidden" and r.json()["message"]
        assert httpx.get(f"{live_server.url}{path}").status_code == 401
        for reader in (device, own_ward, dispatcher):
            assert reader.http.get(path).status_code == 200, path
    assert device.http.get("/media/NoSuchMediaId123").status_code == 404
    assert device.http.get(f"/media/{media_id}/everything").status_code == 404


def test_officer_photos_are_police_records(live_server: LiveServer, tmp_path: Path) -> None:
    device, report_id = citizen_with_report(live_server)
    officer = police(live_server, "tp", "officer", "ward-27031")
    media_id, r = upload(officer, report_id, files.jpeg(tmp_path / "scene.jpg"))
    assert r.status_code == 204, r.text
    assert wait_media(officer, media_id)["uploaded_by"]["kind"] == "user"
    # The citizen made the report but does not see the police's own photos of the incident.
    assert device.http.get(f"/media/{media_id}").status_code == 403
    assert device.http.get(f"/api/reports/{report_id}/media").json()["media"] == []
    listing = police(live_server, "dp", "dispatcher").http.get(f"/api/reports/{report_id}/media").json()
    assert [m["id"] for m in listing["media"]] == [media_id]


def test_a_police_download_of_an_original_is_audited(live_server: LiveServer, photo) -> None:
    device, report_id, media_id, body = photo
    dispatcher = police(live_server, "dp", "dispatcher")
    before = len(audit_rows(live_server, "media.original.download"))
    dispatcher.http.get(body["urls"]["thumb"])  # derivatives are not evidence downloads
    r = dispatcher.http.get(body["urls"]["original"])
    assert r.status_code == 200 and r.headers["cache-control"] == "private, no-store"
    assert r.headers["content-disposition"].startswith("attachment;") and "a.jpg" in r.headers["content-disposition"]
    rows = audit_rows(live_server, "media.original.download")
    assert len(rows) == before + 1
    entry = rows[-1]
    assert (entry["actor_kind"], entry["actor_role"], entry["target"]) == ("user", "dispatcher", f"report/{report_id}")
    assert entry["detail"]["media"] == media_id and entry["detail"]["sha256"] == body["sha256"]
    # Who sent it and when is on record too.
    received = [row for row in audit_rows(live_server, "media.received") if row["detail"]["media"] == media_id]
    assert received and received[0]["actor_kind"] == "device" and received[0]["detail"]["sha256"] == body["sha256"]


def test_range_requests_work(live_server: LiveServer, photo) -> None:
    device, report_id, media_id, body = photo
    full = device.http.get(body["urls"]["original"]).content
    r = device.http.get(body["urls"]["original"], headers={"Range": "bytes=100-199"})
    assert r.status_code == 206 and r.content == full[100:200]
    assert r.headers["content-range"] == f"bytes 100-199/{len(full)}"
    r = device.http.get(body["urls"]["display"], headers={"Range": "bytes=-50"})
    assert r.status_code == 206 and len(r.content) == 50
    r = device.http.get(body["urls"]["display"], headers={"Range": "bytes=999999999-"})
    assert r.status_code == 416
    # A malformed Range (or one in other scripts' digits) is a JSON refusal, not Starlette's text.
    for bad in ("bytes=1-²".encode("latin-1"), b"items=0-1", b"bytes=" + b"9" * 40 + b"-"):
        r = device.http.get(body["urls"]["original"], headers=[("Range", bad)])
        assert r.status_code == 400 and r.json()["field"] == "Range", r.text


def test_range_refusals_are_json_errors(live_server: LiveServer, photo) -> None:
    """Starlette answered these itself in plain text (issue 25's probe): now the app's JSON, with
    the 416's Content-Range kept for players."""
    device, report_id, media_id, body = photo
    size = len(device.http.get(body["urls"]["display"]).content)
    for url in (body["urls"]["display"], body["urls"]["original"]):
        r = device.http.get(url, headers={"Range": "bytes=999999999-"})
        assert r.status_code == 416 and r.json()["error"] == "range_not_satisfiable", r.text
        assert r.json()["field"] == "Range" and r.json()["message"]
    r = device.http.get(body["urls"]["display"], headers={"Range": f"bytes={size}-"})
    assert r.status_code == 416 and r.headers["content-range"] == f"bytes */{size}", r.text
    for bad in ("bytes=50-10", "bytes=-", "bytes=,"):
        r = device.http.get(body["urls"]["display"], headers={"Range": bad})
        assert r.status_code == 400 and r.json()["field"] == "Range", (bad, r.text)


def test_an_officers_timeline_may_name_only_photos_uploaded_to_that_incident(
    live_server: LiveServer, tmp_path: Path
) -> None:
    from .officer_helpers import TAN_PHU_UNIT, dispatch
    from .officer_helpers import police as police_user
    from .server_checks import rows
    from .sync_client import entry_id, now_ms

    _, report_id = citizen_with_report(live_server)
    _, other_report = citizen_with_report(live_server)
    dispatch(live_server, police_user(live_server, "dp", "dispatcher"), report_id, unit=TAN_PHU_UNIT)
    officer = police_user(live_server, "tp", "officer", TAN_PHU_UNIT)
    mine, r = upload(officer, report_id, files.jpeg(tmp_path / "scene.jpg"))
    assert r.status_code == 204, r.text
    elsewhere, r = upload(officer, other_report, files.jpeg(tmp_path / "other.jpg"))
    assert r.status_code == 204, r.text
    name = f"incident/{report_id}"
    me = str(officer.user["id"])  # type: ignore[attr-defined]

    def note(media: list[str]) -> httpx.Response:
        assert officer.pull(name).status_code == 200
        entry = {"id": entry_id(), "type": "note", "unit": TAN_PHU_UNIT, "by": me, "at": now_ms(),
                 "note": "Ảnh hiện trường", "media": media}
        officer.append(name, "timeline", entry)
        return officer.sync(name)

    r = note([elsewhere])
    assert r.status_code == 422 and f"media {elsewhere} was not uploaded to this incident" in r.json()["message"]
    officer.docs.pop(name, None)  # its copy still holds the refused change
    assert rows(live_server, "SELECT * FROM timeline_events WHERE incident_id = ? AND kind = 'note'", report_id) == []
    assert note([mine]).status_code == 200
    (event,) = rows(live_server, "SELECT detail FROM timeline_events WHERE incident_id = ? AND kind = 'note'", report_id)
    assert mine in event["detail"]
