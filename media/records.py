"""The media row as a Python value, and the few queries everything else shares."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

PUBLIC_STATE = {"verifying": "processing"}  # the apps know four states; checking is processing

# Why an upload failed, as a stable code the apps translate (the `reason` sentence stays English
# and for logs). Derived from the stored sentence, so rows that failed before codes existed get
# one too; the first match wins, and a sentence nobody listed is plain "failed".
REASON_CODES = (
    ("neither a known photo nor video", "not_media"),
    ("no video could be decoded", "not_media"),
    ("decoding it took too long", "not_media"),
    ("A preview must be a photo", "not_media"),
    ("megapixels", "too_large"),
    ("too many pixels", "too_large"),
    ("may be at most", "too_large"),
    ("damaged", "damaged"),
    ("not finished in time", "expired"),
    ("could not be converted", "not_converted"),
    ("Cancelled by the sender", "cancelled"),
)


def reason_code(reason: str | None) -> str:
    """The code of a failure's `reason` sentence: not_media, too_large, damaged, expired,
    not_converted, cancelled, or failed."""
    for words, code in REASON_CODES:
        if reason and words in reason:
            return code
    return "failed"


def capture_status(client_sha256: str | None, sha256: str | None) -> str:
    """Whether the server's hash of the original equals the one the phone computed at capture:
    "none" (the phone sent no hash), "verified" (equal) or "mismatch" (different). Meaningful
    once `sha256` is known (the whole original received); the API shows null before that. A
    mismatch is kept and shown, not refused: the dispatcher sees it (docs/evidence.md).
    """
    if not client_sha256:
        return "none"
    return "verified" if sha256 == client_sha256 else "mismatch"


@dataclass(frozen=True)
class Record:
    """One upload: an original, or a phone's preview of one (`role`, `preview_of`)."""

    id: str
    report_id: str
    role: str
    uploader: str
    length: int
    state: str
    created_at: float
    preview_of: str | None = None
    filename: str = ""
    declared_type: str | None = None
    client_sha256: str | None = None
    reason: str | None = None
    sha256: str | None = None
    media_type: str | None = None
    format: str | None = None
    content_type: str | None = None
    width: int | None = None
    height: int | None = None
    duration_s: float | None = None
    video_codec: str | None = None
    audio_codec: str | None = None
    derivatives: dict[str, Any] = field(default_factory=dict)
    completed_at: float | None = None
    processed_at: float | None = None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Record:
        values = dict(row)
        values["derivatives"] = json.loads(values.get("derivatives") or "{}")
        return cls(**values)

    @property
    def public_state(self) -> str:
        return PUBLIC_STATE.get(self.state, self.state)

    @property
    def capture(self) -> str:
        """See `capture_status`."""
        return capture_status(self.client_sha256, self.sha256)


def _dicts(cursor: Any) -> list[dict[str, Any]]:
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def get(conn: Any, media_id: str) -> Record | None:
    rows = _dicts(conn.execute("SELECT * FROM media WHERE id = ?", (media_id,)))
    return Record.from_row(rows[0]) if rows else None


def of_report(conn: Any, report_id: str, role: str | None = "original") -> list[Record]:
    sql, args = "SELECT * FROM media WHERE report_id = ?", [report_id]
    if role:
        sql += " AND role = ?"
        args.append(role)
    return [Record.from_row(r) for r in _dicts(conn.execute(sql + " ORDER BY created_at", args))]


def foreign_ids(conn: Any, report_id: str, media_ids: list[str]) -> list[str]:
    """The ids among `media_ids` that are not an original uploaded to `report_id` (in order).

    For the report validator: a document may only name media that were uploaded to it.
    """
    if not media_ids:
        return []
    marks = ",".join("?" * len(media_ids))
    rows = conn.execute(
        f"SELECT id FROM media WHERE report_id = ? AND role = 'original' AND id IN ({marks})",
        (report_id, *media_ids),
    ).fetchall()
    known = {row[0] for row in rows}
    return [media_id for media_id in media_ids if media_id not in known]


def totals(conn: Any, report_id: str) -> tuple[int, int]:
    """(bytes, originals) the report holds or is receiving; failed uploads no longer count."""
    row = conn.execute(
        """SELECT COALESCE(SUM(length), 0), COALESCE(SUM(CASE WHEN role = 'original' THEN 1 ELSE 0 END), 0) FROM media
           WHERE report_id = ? AND state != 'failed'""",
        (report_id,),
    ).fetchone()
    return int(row[0]), int(row[1])
