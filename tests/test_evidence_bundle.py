"""The signed case bundle (issue 27): GET /api/incidents/<id>/evidence.zip, GET /api/evidence/key,
and `sos evidence verify` — an intact bundle verifies with the CLI and with sha256sum and openssl;
any changed byte in any file, a changed or re-signed manifest, a missing or an extra file is found."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pycrdt import Map

from app.cli import main as sos
from app.settings import Settings

from .conftest import LiveServer
from .media import files
from .media.helpers import citizen_with_report, police, upload, wait_media

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.with_(triage_timeout_s=3600)


@pytest.fixture
def case(live_server: LiveServer, tmp_path: Path):
    """An incident whose report has a photo sent through tus and processed."""
    device, report_id = citizen_with_report(live_server)
    doc = device.doc(f"report/{report_id}")
    doc.get("report", type=Map)["messages"].append({"id": "m1-later", "text": "Họ chạy về phía cầu", "at": 1.0})
    assert device.sync(f"report/{report_id}").status_code == 200
    photo = files.jpeg(tmp_path / "scene.jpg")
    media_id, r = upload(device, report_id, photo)
    assert r.status_code == 204, r.text
    assert wait_media(device, media_id)["state"] == "ready"
    return report_id, media_id, photo.read_bytes()


def export(client, incident_id: str) -> bytes:
    r = client.http.get(f"/api/incidents/{incident_id}/evidence.zip", timeout=60)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/zip"
    assert r.headers["cache-control"] == "private, no-store"
    assert r.headers["content-disposition"] == f'attachment; filename="sos-evidence-{incident_id}.zip"'
    return r.content


def members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def rezip(files_: dict[str, bytes], path: Path) -> Path:
    """A bundle as someone who changed it would write it: a consistent zip (its CRCs fit)."""
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in files_.items():
            zf.writestr(name, data)
    return path


def verify(path: Path, key: Path | None = None):
    args = ["evidence", "verify", str(path), *(["--key", str(key)] if key else [])]
    return CliRunner().invoke(sos, args, catch_exceptions=False)


def flip(data: bytes) -> bytes:
    at = len(data) // 2
    return data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1:]


def test_a_bundle_verifies_and_any_change_is_found(live_server: LiveServer, case, tmp_path: Path) -> None:
    report_id, media_id, photo = case
    supervisor = police(live_server, "sv", "supervisor")
    r = httpx.get(f"{live_server.url}/api/evidence/key")  # public: no sign-in
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/x-pem-file")
    published = tmp_path / "published.pem"
    published.write_bytes(r.content)
    key_id = r.headers["x-evidence-key-id"]
    bundle = tmp_path / "bundle.zip"
    bundle.write_bytes(export(supervisor, report_id))
    inside = members(bundle.read_bytes())

    # What it holds: the original byte for byte, its derivatives beside it, the report, the timeline.
    assert inside[f"media/{media_id}/original.jpg"] == photo
    assert {f"media/{media_id}/thumb.webp", f"media/{media_id}/display.webp"} <= set(inside)
    assert {"report.json", "timeline.json", "custody.json", "evidence-key.pem", "README.txt",
            "SHA256SUMS", "manifest.json", "manifest.sig"} <= set(inside)
    manifest = json.loads(inside["manifest.json"])
    assert manifest["incident"] == report_id and manifest["key_id"] == key_id
    assert manifest["created_by"]["username"] == "sv"
    listed = {f["path"]: f for f in manifest["files"]}
    assert set(listed) == set(inside) - {"manifest.json", "manifest.sig"}
    assert all(f["sha256"] == hashlib.sha256(inside[p]).hexdigest() for p, f in listed.items())
    [item] = manifest["media"]
    assert item["id"] == media_id and item["server_sha256"] == hashlib.sha256(photo).hexdigest()
    assert item["capture"] == "none" and item["phone_sha256"] is None  # the test sent no hash
    report = json.loads(inside["report.json"])["reports"][0]
    assert report["id"] == report_id and report["category"] == "traffic" and report["channel"] == "app"
    assert report["lat"] is not None and report["description"] is not None
    assert [m["text"] for m in report["messages"]] == ["Họ chạy về phía cầu"] and report["police_messages"] == []
    assert json.loads(inside["timeline.json"])["incident"]["id"] == report_id
    assert len(inside["manifest.sig"]) == 64 and key_id in inside["README.txt"].decode()

    # The real CLI, in its own process, offline (no settings, no database in its environment).
    done = subprocess.run([sys.executable, "-m", "app.cli", "evidence", "verify", str(bundle), "--key", str(published)],
                          capture_output=True, text=True, cwd=tmp_path, env={"PYTHONPATH": str(ROOT)}, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "intact" in done.stdout
    # Without --key it checks with the bundle's own key, and says loudly what that does not prove.
    own = verify(bundle)
    assert own.exit_code == 0 and "WARNING" in own.output and key_id in own.output

    # The README's standard tools.
    folder = tmp_path / "unzipped"
    with zipfile.ZipFile(bundle) as zf:
        zf.extractall(folder)
    sums = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=folder, capture_output=True, text=True, timeout=30)
    assert sums.returncode == 0, sums.stdout + sums.stderr
    assert sums.stdout.count(": OK") == len(listed) - 1  # all but SHA256SUMS itself
    openssl = subprocess.run(
        ["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", "evidence-key.pem", "-rawin",
         "-in", "manifest.json", "-sigfile", "manifest.sig"], cwd=folder, capture_output=True, text=True, timeout=30)
    assert openssl.returncode == 0 and "Signature Verified Successfully" in openssl.stdout, openssl.stderr
    assert (folder / "evidence-key.pem").read_bytes() == published.read_bytes()

    # One changed byte, in any file at all, is found and the file named (also manifest and signature).
    for name, data in inside.items():
        changed = verify(rezip({**inside, name: flip(data)}, tmp_path / "changed.zip"), published)
        assert changed.exit_code != 0 and name in changed.output, (name, changed.output)
    # A changed manifest, re-signed with another key (and that key put in the bundle): whole by
    # its own key, which is why the published key is what counts.
    forged = json.loads(inside["manifest.json"])
    forged["created_by"]["username"] = "someone-else"
    other = Ed25519PrivateKey.generate()
    from app.evidence.keys import EvidenceKey

    other_pem = EvidenceKey(other).public_pem().encode()
    listed_key = next(f for f in forged["files"] if f["path"] == "evidence-key.pem")
    listed_key.update(size=len(other_pem), sha256=hashlib.sha256(other_pem).hexdigest())
    forged_bytes = json.dumps(forged).encode()
    resigned = rezip({**inside, "manifest.json": forged_bytes, "manifest.sig": other.sign(forged_bytes),
                      "evidence-key.pem": other_pem}, tmp_path / "resigned.zip")
    assert verify(resigned).exit_code == 0  # the bundle's own (forged) key: "whole", with the warning
    caught = verify(resigned, published)
    assert caught.exit_code != 0 and "manifest.json" in caught.output, caught.output
    # A missing file and an extra one.
    original = f"media/{media_id}/original.jpg"
    missing = verify(rezip({k: v for k, v in inside.items() if k != original}, tmp_path / "missing.zip"), published)
    assert missing.exit_code != 0 and original in missing.output and "missing" in missing.output
    extra = verify(rezip({**inside, "media/planted.jpg": photo}, tmp_path / "extra.zip"), published)
    assert extra.exit_code != 0 and "media/planted.jpg" in extra.output and "not listed" in extra.output


def custody_of(data: bytes) -> tuple[dict, list[dict]]:
    inside = members(data)
    return json.loads(inside["manifest.json"]), json.loads(inside["custody.json"])["entries"]


def test_only_supervisors_and_admins_export_and_every_export_is_in_the_custody_record(
    live_server: LiveServer, case, tmp_path: Path
) -> None:
    report_id, media_id, _ = case
    own_ward = police(live_server, "tp", "officer", "ward-27031")
    # The officers' own photos of the incident are evidence too.
    officer_photo = files.jpeg(tmp_path / "officer.jpg")
    scene, r = upload(own_ward, report_id, officer_photo,
                      sha256=hashlib.sha256(officer_photo.read_bytes()).hexdigest())  # hashed at capture
    assert r.status_code == 204, r.text
    assert wait_media(own_ward, scene)["state"] == "ready"
    for refused in (
        citizen_with_report(live_server)[0],
        police(live_server, "pm", "officer", "ward-26704"),  # another ward
        own_ward,  # the incident's own ward: still no
        police(live_server, "dp", "dispatcher"),
    ):
        r = refused.http.get(f"/api/incidents/{report_id}/evidence.zip")
        assert r.status_code == 403 and r.json()["error"] == "forbidden" and r.json()["message"], r.text
    assert httpx.get(f"{live_server.url}/api/incidents/{report_id}/evidence.zip").status_code == 401
    supervisor = police(live_server, "sv", "supervisor")
    admin = police(live_server, "ad", "admin")
    for unknown in ("NoSuchIncident1", "bad%20id", "x" * 65):
        r = supervisor.http.get(f"/api/incidents/{unknown}/evidence.zip")
        assert r.status_code == 404 and r.json()["error"] == "not_found", (unknown, r.text)

    head = supervisor.http.head(f"/api/incidents/{report_id}/evidence.zip")  # exports nothing
    assert head.status_code == 405 and head.headers["allow"] == "GET"

    # A view of the original by the supervisor is custody too.
    assert supervisor.http.get(f"/media/{media_id}/original").status_code == 200
    first_manifest, first = custody_of(export(supervisor, report_id))
    assert [m["id"] for m in first_manifest["media"]] == [media_id, scene]
    assert first_manifest["media"][1]["uploaded_by"].startswith("user:")
    assert first_manifest["media"][1]["capture"] == "verified"
    assert first_manifest["media"][1]["phone_sha256"] == first_manifest["media"][1]["server_sha256"]
    assert f"media/{scene}/original.jpg" in {f["path"] for f in first_manifest["files"]}
    second_manifest, second = custody_of(export(admin, report_id))
    exports = [e for e in first if e["action"] == "evidence.export"]
    assert [e["detail"]["bundle"] for e in exports] == [first_manifest["bundle"]]  # lists itself
    assert exports[0]["target"] == f"incident/{report_id}" and exports[0]["actor_role"] == "supervisor"
    later = [e for e in second if e["action"] == "evidence.export"]
    assert [e["detail"]["bundle"] for e in later] == [first_manifest["bundle"], second_manifest["bundle"]]
    assert later[1]["actor_role"] == "admin" and all(isinstance(e["id"], int) for e in second)
    actions = {e["action"] for e in second}
    assert {"report.create", "media.upload", "media.received", "media.original.download"} <= actions
    download = next(e for e in second if e["action"] == "media.original.download")
    assert download["detail"]["media"] == media_id
    # The refusals above exported nothing.
    assert len(later) == 2


def test_what_is_not_a_bundle_is_refused_by_name(tmp_path: Path) -> None:
    """No server, no settings: the check stands alone (also as `python -m app.evidence.verify`)."""
    garbage = tmp_path / "garbage.zip"
    garbage.write_bytes(b"not a zip at all")
    result = verify(garbage)
    assert result.exit_code == 1 and "garbage.zip" in result.output and "not a readable zip" in result.output
    empty = rezip({"README.txt": b"hello"}, tmp_path / "empty.zip")
    result = verify(empty)
    assert result.exit_code == 1 and "manifest.json: missing" in result.output
    sneaky = rezip({"manifest.json": b"{}", "manifest.sig": b"", "../evil": b""}, tmp_path / "sneaky.zip")
    done = subprocess.run([sys.executable, "-m", "app.evidence.verify", str(sneaky)], capture_output=True,
                          text=True, env={"PYTHONPATH": str(ROOT)}, timeout=60)
    assert done.returncode == 1 and "../evil" in done.stderr, done.stderr
