"""The case bundle: one incident's evidence as a signed zip that anyone can check offline.

    case = collect(conn, incident_id)                 # in a database read: rows only, no files
    fh = build(case, media_root, key, created_by)     # off the event loop: a temporary file

Inside the zip (docs/evidence.md, "The case bundle"):

    media/<media id>/original.<ext>   every original uploaded to the incident's report(s): the
    media/<media id>/<derivative>     citizen's and the officers'; beside it what was made from it
    report.json                       each report as the police see it: text, category, place, time, channel
    timeline.json                     the incident's status, assignments, dispatch and officer entries
    custody.json                      every audit entry about the incident, its reports and their media
    evidence-key.pem                  the public key (compare its key_id with GET /api/evidence/key)
    README.txt                        how to check it with sha256sum and openssl, in Vietnamese and English
    SHA256SUMS                        `sha256sum -c` of every file but itself, the manifest and the signature
    manifest.json                     every other file's path, size and SHA-256, and each original's
                                      capture status (the phone's and the server's SHA-256)
    manifest.sig                      Ed25519 over manifest.json's exact bytes (64 raw bytes)

The export's own audit entry is written before `collect` reads the custody record, so a bundle lists
itself (its `bundle` nonce is in both the entry and the manifest).
"""

from __future__ import annotations

import datetime
import hashlib
import json
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from app.evidence.keys import EvidenceKey
from media.records import Record, of_report
from media.store import MediaStore

FORMAT = "sos-antt-evidence-bundle"
VERSION = 1
BLOCK = 1024 * 1024
SIGNED = ("manifest.json", "manifest.sig")  # the two files the manifest cannot list
EXTENSIONS = {"jpeg": "jpg", "png": "png", "webp": "webp", "heic": "heic", "mp4": "mp4", "mov": "mov"}


def _capture_status(client_sha256: str | None, sha256: str | None) -> str:
    """The phone's hash against the server's: none, verified or mismatch (the rule of I27_API)."""
    if client_sha256 is None:
        return "none"
    return "verified" if client_sha256 == sha256 else "mismatch"


try:  # the media library's own rule, where it has one (issue 27's capture work)
    from media.records import capture_status
except ImportError:  # pragma: no cover - until then, the same rule here
    capture_status = _capture_status


@dataclass
class Case:
    incident_id: str
    reports: list[dict[str, Any]]
    timeline: dict[str, Any]
    custody: list[dict[str, Any]]
    media: list[Record] = field(default_factory=list)


def _rows(conn: Any, sql: str, args: tuple[Any, ...] | list[Any]) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(sql, args)]


def _json(text: str | None) -> Any:
    try:
        return json.loads(text) if text else None
    except ValueError:
        return text


def collect(conn: Any, incident_id: str) -> Case | None:
    """Everything the bundle holds but the files' bytes, in one read. None: no such incident."""
    incident = _rows(conn, "SELECT * FROM incidents WHERE id = ?", (incident_id,))
    if not incident:
        return None
    # Its own report first, then the reports merged into it (each was an incident of its own).
    ids = [incident_id] + [
        r["id"] for r in _rows(
            conn, "SELECT id FROM incidents WHERE merged_into = ? AND id != ? ORDER BY arrived_at, id",
            (incident_id, incident_id),
        )
    ]
    marks = ",".join("?" * len(ids))
    reports = _rows(
        conn,
        f"""SELECT r.id, r.category, r.description, r.lat, r.lon, r.accuracy, r.location_approximate,
                   r.no_location, r.created_at_phone, r.arrived_at, r.ward_code, w.name AS ward_name,
                   r.contact_name, r.contact_phone, r.author, r.media_count, r.message_count,
                   i.channel, i.status, i.merged_into
            FROM reports r JOIN incidents i ON i.id = r.id LEFT JOIN wards w ON w.code = r.ward_code
            WHERE r.id IN ({marks})""",
        ids,
    )
    reports.sort(key=lambda r: ids.index(r["id"]))
    for report in reports:
        report["created_at_phone_ms"] = report.pop("created_at_phone")  # the phone's clock
        report["arrived_at_s"] = report.pop("arrived_at")  # the server's clock
    events = _rows(
        conn,
        """SELECT entry_id, log, kind, user_id, unit, at, received_at, detail FROM timeline_events
           WHERE incident_id = ? ORDER BY received_at, at, entry_id""",
        (incident_id,),
    )
    for event in events:
        event["at_ms"] = event.pop("at")  # the writer's device clock
        event["received_at_s"] = event.pop("received_at")
        event["detail"] = _json(event["detail"])
    timeline = {
        "incident": incident[0],
        "assignments": _rows(
            conn, "SELECT * FROM assignments WHERE incident_id = ? ORDER BY dispatched_at, unit", (incident_id,)
        ),
        "entries": events,
    }
    targets = [f"{kind}/{rid}" for rid in ids for kind in ("incident", "report", "reply")]
    custody = _rows(
        conn,
        f"SELECT * FROM audit_log WHERE target IN ({','.join('?' * len(targets))}) ORDER BY id",
        targets,
    )
    for entry in custody:
        entry["detail"] = _json(entry["detail"]) or {}
    media = [m for rid in ids for m in of_report(conn, rid)]
    return Case(incident_id, reports, timeline, custody, media)


# -- building ------------------------------------------------------------------------------------
class _Writer:
    """Adds files to the zip, hashing each as it goes (a video is read once, in blocks)."""

    def __init__(self, zf: zipfile.ZipFile, when: tuple[int, ...]) -> None:
        self.zf, self.when = zf, when
        self.files: list[dict[str, Any]] = []

    def _info(self, name: str, stored: bool) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(name, date_time=self.when[:6])  # type: ignore[arg-type]
        info.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        return info

    def add_bytes(self, name: str, data: bytes, listed: bool = True) -> None:
        self.zf.writestr(self._info(name, stored=False), data)
        if listed:
            self.files.append({"path": name, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()})

    def add_file(self, name: str, source: Path) -> dict[str, Any]:
        # Photos and videos are compressed already: stored, they cost no CPU and stay seekable.
        digest, size = hashlib.sha256(), 0
        with open(source, "rb") as src, self.zf.open(self._info(name, stored=True), "w", force_zip64=True) as dst:
            while block := src.read(BLOCK):
                digest.update(block)
                dst.write(block)
                size += len(block)
        entry = {"path": name, "size": size, "sha256": digest.hexdigest()}
        self.files.append(entry)
        return entry


def _extension(record: Record) -> str:
    name = record.filename.rsplit(".", 1)[-1].lower() if "." in record.filename else ""
    if name.isascii() and name.isalnum() and len(name) <= 8:
        return name
    return EXTENSIONS.get((record.format or "").lower(), "bin")


def _add_media(writer: _Writer, store: MediaStore, record: Record) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": record.id,
        "report": record.report_id,
        "filename": record.filename,
        "type": record.media_type,
        "content_type": record.content_type,
        "uploaded_by": record.uploader,
        "uploaded_at": record.created_at,
        "completed_at": record.completed_at,
        "state": record.public_state,
        "capture": capture_status(record.client_sha256, record.sha256),
        "phone_sha256": record.client_sha256,
        "server_sha256": record.sha256,
        "original": None,
        "derivatives": {},
    }
    original = store.original(record.id)
    if record.sha256 is not None and original.exists():
        added = writer.add_file(f"media/{record.id}/original.{_extension(record)}", original)
        entry["original"] = added["path"]
        # What the server holds now against what it hashed on arrival: differs only if the stored
        # file changed since (the bundle carries what is there, and says so).
        entry["matches_server_sha256"] = added["sha256"] == record.sha256
    for name, facts in sorted(record.derivatives.items()):
        path = store.file(record.id, facts.get("file", ""))
        if facts.get("file") and path.is_file():
            entry["derivatives"][name] = writer.add_file(f"media/{record.id}/{facts['file']}", path)["path"]
    return entry


def _dumps(value: Any) -> bytes:
    return (json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True, default=str) + "\n").encode()


def build(
    case: Case, store: MediaStore, key: EvidenceKey, created_by: dict[str, Any], bundle_id: str,
    now: float, tmp_dir: Path | None = None,
) -> IO[bytes]:
    """Write the zip to a temporary file (gone once closed) and return it, at its start."""
    created = datetime.datetime.fromtimestamp(now, datetime.UTC)
    out = tempfile.TemporaryFile(dir=tmp_dir)  # noqa: SIM115 - the caller streams it, then closes it
    try:
        with zipfile.ZipFile(out, "w", allowZip64=True) as zf:
            writer = _Writer(zf, created.timetuple()[:6])
            media = [_add_media(writer, store, record) for record in case.media]
            writer.add_bytes("report.json", _dumps({"incident": case.incident_id, "reports": case.reports}))
            writer.add_bytes("timeline.json", _dumps(case.timeline))
            writer.add_bytes("custody.json", _dumps({"incident": case.incident_id, "entries": case.custody}))
            writer.add_bytes("evidence-key.pem", key.public_pem().encode())
            writer.add_bytes("README.txt", readme(case.incident_id, key.key_id).encode())
            sums = "".join(f"{f['sha256']}  {f['path']}\n" for f in writer.files)
            writer.add_bytes("SHA256SUMS", sums.encode())
            manifest = _dumps({
                "format": FORMAT,
                "version": VERSION,
                "incident": case.incident_id,
                "bundle": bundle_id,
                "created_at": created.isoformat().replace("+00:00", "Z"),
                "created_by": created_by,
                "key_id": key.key_id,
                "algorithm": "Ed25519",
                "files": writer.files,
                "media": media,
            })
            writer.add_bytes("manifest.json", manifest, listed=False)
            writer.add_bytes("manifest.sig", key.sign(manifest), listed=False)
        out.seek(0)
    except BaseException:
        out.close()
        raise
    return out


def readme(incident_id: str, key_id: str) -> str:
    return f"""SOS ANTT - GÓI CHỨNG CỨ / EVIDENCE BUNDLE - {incident_id}

[Tiếng Việt]
Gói này chứa ảnh, video gốc, nội dung tin báo, diễn biến vụ việc và nhật ký truy cập.
Cách kiểm tra bằng công cụ tiêu chuẩn (giải nén vào một thư mục rồi chạy trong thư mục đó):
  1. sha256sum -c SHA256SUMS
     (mọi dòng phải là "OK"; manifest.json liệt kê cả SHA256SUMS và mọi tệp khác)
  2. openssl pkeyutl -verify -pubin -inkey evidence-key.pem -rawin -in manifest.json -sigfile manifest.sig
     (phải in "Signature Verified Successfully"; cần OpenSSL 3.0 trở lên)
  3. So khóa: key_id của gói là {key_id}. Khóa trong gói chỉ đáng tin khi trùng với khóa công bố
     tại /api/evidence/key của hệ thống (tiêu đề X-Evidence-Key-Id), lấy qua kênh khác.
  Hoặc: sos evidence verify GOI.zip --key khoa-cong-bo.pem

[English]
This bundle holds the original photos and videos, the report's text, the incident's timeline and
the custody record (every view, download and export in the audit log).
To check it with standard tools (unzip into a folder, then run in that folder):
  1. sha256sum -c SHA256SUMS
     (every line must say "OK"; manifest.json lists SHA256SUMS and every other file)
  2. openssl pkeyutl -verify -pubin -inkey evidence-key.pem -rawin -in manifest.json -sigfile manifest.sig
     (must print "Signature Verified Successfully"; needs OpenSSL 3.0 or later)
  3. Compare the key: this bundle's key_id is {key_id}. The key inside the bundle proves nothing
     by itself: compare it with the key published at /api/evidence/key (header X-Evidence-Key-Id),
     fetched another way.
  Or: sos evidence verify BUNDLE.zip --key published-key.pem
"""
