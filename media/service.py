"""The media library's one entry point for the app: uploads, reads, files, and job registration.

The app supplies what the library must not know: its database (`write(fn)`/`read(fn)`, `fn` gets
a transaction with `execute`), the outbox's `enqueue(tx, topic, key, payload, run_at=None)`, and
who may do what (the library trusts its caller on that). It never imports the app.

    service = MediaService(db, MediaConfig(root=data_dir / "media"), outbox.enqueue)
    service.attach(fast_worker, slow_worker)         # registers media.image/.expire and media.video
    record = await service.uploads.create("device:d1", report_id, size, {"filename": "a.jpg"})
    await service.uploads.append("device:d1", record.id, 0, body_chunks)
    service.describe(await service.get(record.id))   # {"state": "processing", "urls": {...}, ...}
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import records, video
from .config import MediaConfig
from .errors import MediaError
from .pipeline import Pipeline
from .records import Record
from .store import MediaStore
from .uploads import Uploads

VARIANTS = ("thumb", "display", "poster", "video", "original")
# What each variant may be served from, best first: the media's own derivative, else the one
# made from the phone's preview (shown until the original is processed).
SOURCES = {
    "thumb": ("thumb", "preview-thumb"),
    "display": ("display", "poster", "preview-display"),
    "poster": ("poster", "preview-display"),
    "video": ("video",),
}


class MediaService:
    """Uploads, processing and serving of report photos and videos (see the module docstring)."""

    def __init__(
        self,
        db: Any,
        config: MediaConfig,
        enqueue: Callable[..., Any],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.db = db
        self.config = config
        self.store = MediaStore(config.root)
        self._workers: list[Any] = []
        self.pipeline = Pipeline(db, self.store, config, enqueue, self.wake, clock)
        self.uploads = Uploads(db, self.store, config, enqueue, self.pipeline.finalize, clock)

    def attach(self, fast: Any, slow: Any) -> None:
        """Register the job handlers: photos and previews on `fast`, video transcodes on `slow`
        (two outbox workers, so a preview is never stuck behind a minute-long transcode)."""
        fast.register("media.image", self.pipeline.handle)
        fast.register("media.expire", self.pipeline.handle_expire)
        slow.register("media.video", self.pipeline.handle)
        self.pipeline.max_attempts = min(fast.max_attempts, slow.max_attempts)
        self._workers = [fast, slow]

    def wake(self) -> None:
        for worker in self._workers:
            worker.wake()

    async def start(self) -> None:
        """Start the workers given to `attach` (none: another process runs the media jobs)."""
        for worker in self._workers:
            await worker.start()

    async def stop(self) -> None:
        """Stop the media workers; ffmpeg still running is killed (its job is retried later)."""
        video.stop_all()
        for worker in self._workers:
            await worker.stop()

    # -- reads -----------------------------------------------------------------------------------
    async def get(self, media_id: str) -> Record | None:
        return await self.db.read(lambda conn: records.get(conn, media_id))  # type: ignore[no-any-return]

    async def of_report(self, report_id: str) -> list[Record]:
        return await self.db.read(lambda conn: records.of_report(conn, report_id))  # type: ignore[no-any-return]

    foreign_ids = staticmethod(records.foreign_ids)

    def describe(self, record: Record, base: str = "/media") -> dict[str, Any]:
        """The public view the apps poll: state, facts, and the URLs that work now."""
        urls = {}
        for variant in VARIANTS:
            found = self._source(record, variant)
            if found is not None:
                urls[variant] = f"{base}/{record.id}/{variant}?v={found[1]}"
        kind, _, who = record.uploader.partition(":")
        received = record.length if record.completed_at else self.store.received(record.id)
        return {
            "id": record.id,
            "report": record.report_id,
            "role": record.role,
            "preview_of": record.preview_of,
            "state": record.public_state,
            "reason": record.reason,
            "reason_code": records.reason_code(record.reason) if record.state == "failed" else None,
            "type": record.media_type,
            "filename": record.filename,
            "size": record.length,
            "received": received,
            "sha256": record.sha256,
            "client_sha256": record.client_sha256,
            # null until the server has hashed the whole original (uploading, or refused)
            "capture": record.capture if record.sha256 else None,
            "content_type": record.content_type,
            "uploaded_by": {"kind": kind, "id": who},
            "created_at": record.created_at,
            "completed_at": record.completed_at,
            "processed_at": record.processed_at,
            "width": record.width,
            "height": record.height,
            "duration_s": record.duration_s,
            "video_codec": record.video_codec,
            "audio_codec": record.audio_codec,
            "preview": "preview-thumb" in record.derivatives,
            "derivatives": {
                name: {k: v for k, v in facts.items() if k != "file"}
                for name, facts in record.derivatives.items()
            },
            "urls": urls,
        }

    def file(self, record: Record, variant: str) -> tuple[Path, str]:
        """The file and its Content-Type for one variant, or a MediaError saying why not."""
        if variant not in VARIANTS:
            raise MediaError(404, "not_found", f"No such variant; use one of {', '.join(VARIANTS)}.")
        found = self._source(record, variant)
        if found is None:
            if record.state == "failed":
                raise MediaError(410, "media_failed", record.reason or "This upload failed.")
            raise MediaError(
                404, "not_ready", f"The {variant} is not ready (state: {record.public_state})."
            )
        path, _, content_type = found
        return path, content_type

    def _source(self, record: Record, variant: str) -> tuple[Path, str, str] | None:
        """(path, version token, content type) of what serves `variant` now, if anything."""
        if variant == "original":
            if record.sha256 is None or record.role != "original":
                return None
            path = self.store.original(record.id)
            return (path, record.sha256[:12], record.content_type or "") if path.exists() else None
        for name in SOURCES[variant]:
            facts = record.derivatives.get(name)
            path = self.store.file(record.id, facts["file"]) if facts else None
            if path is not None and path.exists():  # gone when the original was refused
                token = "p" if name.startswith("preview-") else (record.sha256 or "")[:12]
                return path, token, facts["content_type"]
        return None
