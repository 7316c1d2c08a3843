"""From finished upload to viewable media: check, then process, as outbox jobs off the request path.

    verifying ── hash again from disk, decode ──► processing ──► ready
        │                                            │
        └── not a photo/video: file deleted ──► failed ◄── could not convert (original kept)

`finalize` runs inline at the end of the last PATCH (so the sender hears at once that a file is
not a photo) and again from the `media.recover` safety-net job if the process died before it
finished. Processing runs from the outbox: `media.image` (photos and previews: fast, its own
worker so a preview never waits behind a video) and `media.video` (transcodes: slow). A job that
fails is retried with back-off by the outbox and, after the last attempt, the media is marked
failed and the item goes dead. Every step is idempotent: states move forward only, derivatives
are renamed into place, and the same media is never worked on twice at once in one process.

A preview is its own tus upload (`role='preview'`, `preview_of` the original) whose derivatives
are written into the *original's* folder as `preview-thumb.webp` / `preview-display.webp`; the
original's own thumb and display replace them for viewers once it is ready.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from . import images, records, video
from .config import MediaConfig, megabytes
from .errors import NotMedia
from .probe import Probe, probe
from .records import Record
from .store import PART, MediaStore, sha256_file

log = logging.getLogger(__name__)


class Pipeline:
    """The checks and the processing jobs; see the module docstring."""

    def __init__(
        self,
        db: Any,
        store: MediaStore,
        config: MediaConfig,
        enqueue: Callable[..., Any],
        wake: Callable[[], None],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.db = db
        self.store = store
        self.config = config
        self.enqueue = enqueue
        self.wake = wake
        self.clock = clock
        self.max_attempts = 8
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}
        self._decoders = asyncio.Semaphore(2)  # two cores: checks must not starve the web

    async def get(self, media_id: str) -> Record | None:
        return await self.db.read(lambda conn: records.get(conn, media_id))  # type: ignore[no-any-return]

    # -- check -----------------------------------------------------------------------------------
    async def finalize(self, media_id: str, streamed_sha: str | None = None) -> Record:
        """verifying -> processing (job queued) or failed (file deleted). Returns the record."""
        async with self._lock(media_id):
            record = await self.get(media_id)
            assert record is not None
            if record.state != "verifying":
                return record
            path = self.store.part(media_id)
            if not path.exists():
                path = self.store.original(media_id)
            digest = (await asyncio.to_thread(sha256_file, path)).hexdigest()
            if streamed_sha is not None and digest != streamed_sha:
                return await self.reject(record, "The file was damaged while being stored; send it again.")
            # A whole-file mismatch with the phone's hash is kept (capture "mismatch", shown to the
            # dispatcher): damage in transit is refused per PATCH by the tus checksum, so what
            # differs here was changed before or while the phone sent it, and is evidence too.
            if record.client_sha256 and digest != record.client_sha256:
                log.warning("media %s differs from the phone's hash", media_id)
            try:
                async with self._decoders:
                    facts = await asyncio.to_thread(
                        probe, path, self.config.ffmpeg(), self.config.max_pixels
                    )
            except NotMedia as exc:
                return await self.reject(record, str(exc))
            problem = self._refusal(record, facts)
            if problem:
                return await self.reject(record, problem)
            await asyncio.to_thread(self.store.promote, media_id)
            topic = "media.video" if facts.media_type == "video" else "media.image"
            now = self.clock()

            def accepted(tx: Any) -> None:
                tx.execute(
                    """UPDATE media SET state = 'processing', sha256 = ?, media_type = ?, format = ?,
                       content_type = ?, width = ?, height = ?, duration_s = ?, video_codec = ?,
                       audio_codec = ?, completed_at = ? WHERE id = ? AND state = 'verifying'""",
                    (digest, facts.media_type, facts.format, facts.content_type, facts.width,
                     facts.height, facts.duration_s, facts.video_codec, facts.audio_codec, now,
                     media_id),
                )
                self.enqueue(tx, topic, f"media.process:{media_id}", {"media": media_id})

            await self.db.write(accepted)
        self.wake()
        return await self.get(media_id)  # type: ignore[return-value]

    def _refusal(self, record: Record, facts: Probe) -> str | None:
        config = self.config
        if record.role == "preview" and facts.media_type != "image":
            return "A preview must be a photo."
        if record.role == "preview" and record.length > config.preview_max_bytes:
            return f"A preview may be at most {megabytes(config.preview_max_bytes)}."
        limit = config.photo_max_bytes if facts.media_type == "image" else config.video_max_bytes
        if record.length > limit:
            what = "A photo" if facts.media_type == "image" else "A video"
            return f"{what} may be at most {megabytes(limit)}; this one is {megabytes(record.length)}."
        return None

    async def reject(self, record: Record, reason: str, keep_preview: bool = False) -> Record:
        """Not acceptable: the bytes are deleted, the row says why (it stays, for the sender).
        `keep_preview`: only the upload goes; what was made from the phone's preview stays."""
        log.info("media %s refused: %s", record.id, reason)
        if keep_preview:
            await asyncio.to_thread(self.store.remove_file, record.id, PART)
        else:
            await asyncio.to_thread(self.store.remove, record.id)
        await self.db.write(
            lambda tx: tx.execute(
                """UPDATE media SET state = 'failed', reason = ?, processed_at = ?
                   WHERE id = ? AND state IN ('uploading', 'verifying')""",
                (reason, self.clock(), record.id),
            )
        )
        return await self.get(record.id)  # type: ignore[return-value]

    # -- jobs ------------------------------------------------------------------------------------
    async def handle(self, item: Any) -> None:
        """Outbox handler for media.image and media.video: move one media forward."""
        media_id = item.payload["media"]
        record = await self.get(media_id)
        if record is None:
            return
        if record.state == "verifying":
            record = await self.finalize(media_id)
        if record.state != "processing":
            return
        if (record.media_type == "video") != (item.topic == "media.video"):
            return  # a recovery job that found a video: finalize queued it for the video worker
        try:
            async with self._lock(media_id):
                await self._process(media_id)
        except (NotMedia, video.TranscodeFailed) as exc:
            permanent = isinstance(exc, NotMedia) or getattr(exc, "permanent", False)
            if permanent or item.attempts >= self.max_attempts:
                await self._give_up(media_id, exc)
                if not permanent:
                    raise
                return
            raise
        except Exception as exc:
            if item.attempts >= self.max_attempts:
                await self._give_up(media_id, exc)
            raise  # the outbox retries with back-off, or marks the item dead after the last

    async def handle_expire(self, item: Any) -> None:
        """media.expire: an upload never finished is discarded (one finished but unchecked is checked)."""
        record = await self.get(item.payload["media"])
        if record is None or record.state != "uploading":
            return
        if self.store.received(record.id) == record.length:
            await self.db.write(
                lambda tx: tx.execute(
                    "UPDATE media SET state = 'verifying' WHERE id = ? AND state = 'uploading'",
                    (record.id,),
                )
            )
            await self.finalize(record.id)
            return
        # The preview's thumbnail stays: it is all the police will have of that photo.
        reason = "The upload was not finished in time and was discarded."
        await self.reject(record, reason, keep_preview=True)

    async def _process(self, media_id: str) -> None:
        record = await self.get(media_id)
        if record is None or record.state != "processing":
            return
        source = self.store.original(media_id)
        if record.role == "preview":
            target = record.preview_of or ""
            original = await self.get(target)
            if original is None or original.state == "failed":
                await self._ready(media_id, {})  # nothing left to stand in for
                return
            made = await asyncio.to_thread(
                images.derive_image, source, self._writer(target), "preview-"
            )
            await self.db.write(lambda tx: _merge_derivatives(tx, target, made))
            await self._ready(media_id, {})
        elif record.media_type == "image":
            made = await asyncio.to_thread(images.derive_image, source, self._writer(media_id))
            await self._ready(media_id, made)
        else:
            made = await asyncio.to_thread(self._video, record, source)
            await self._ready(media_id, made)

    def _video(self, record: Record, source: Path) -> dict[str, Any]:
        config, write = self.config, self._writer(record.id)
        facts = Probe(
            "video", record.format or "mov", record.content_type or "", "", record.width or 0,
            record.height or 0, record.duration_s, record.video_codec, record.audio_codec,
        )
        exe = config.ffmpeg()
        path = write(
            "video.mp4",
            lambda tmp: video.transcode(
                source, tmp, facts.format, facts, exe, config.x264_preset, config.threads
            ),
        )
        out = probe(path, exe)
        made: dict[str, Any] = {
            "video": {
                "content_type": "video/mp4", "width": out.width, "height": out.height,
                "bytes": path.stat().st_size, "file": path.name, "duration_s": out.duration_s,
                "video_codec": out.video_codec, "audio_codec": out.audio_codec,
            }
        }
        at = min(1.0, (out.duration_s or 0) / 3)
        with tempfile.TemporaryDirectory(dir=self.store.folder(record.id)) as scratch:
            frame = Path(scratch) / "frame.png"
            video.extract_frame(path, frame, at, exe)
            made.update(images.derive_poster(frame, write))
        return made

    async def _ready(self, media_id: str, made: dict[str, Any]) -> None:
        def ready(tx: Any) -> None:
            _merge_derivatives(tx, media_id, made)
            tx.execute(
                """UPDATE media SET state = 'ready', processed_at = ?
                   WHERE id = ? AND state = 'processing'""",
                (self.clock(), media_id),
            )

        await self.db.write(ready)

    async def _give_up(self, media_id: str, exc: BaseException) -> None:
        log.warning("media %s could not be processed: %r", media_id, exc)
        reason = f"It could not be converted for viewing ({str(exc)[:200]}); the original is kept."
        await self.db.write(
            lambda tx: tx.execute(
                """UPDATE media SET state = 'failed', reason = ?, processed_at = ?
                   WHERE id = ? AND state = 'processing'""",
                (reason, self.clock(), media_id),
            )
        )

    def _writer(self, media_id: str) -> images.Writer:
        return lambda name, produce: self.store.write_atomic(media_id, name, produce)

    @contextlib.asynccontextmanager
    async def _lock(self, media_id: str) -> AsyncIterator[None]:
        """One step at a time per media in this process (the job and the inline check may meet)."""
        lock, users = self._locks.get(media_id, (asyncio.Lock(), 0))
        self._locks[media_id] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[media_id]
            if users == 1:
                del self._locks[media_id]
            else:
                self._locks[media_id] = (lock, users - 1)


# Merged in SQL, each dialect with its own JSON function: a preview and its original may finish
# at the same moment (in different processes, on PostgreSQL).
MERGE_DERIVATIVES = {
    "sqlite": "json_patch(COALESCE(derivatives, '{}'), ?)",
    "postgresql": "CAST(CAST(COALESCE(derivatives, '{}') AS jsonb) || CAST(? AS jsonb) AS TEXT)",
}


def _merge_derivatives(tx: Any, media_id: str, made: dict[str, Any]) -> None:
    merged = MERGE_DERIVATIVES[getattr(tx, "dialect", "sqlite")]
    tx.execute(f"UPDATE media SET derivatives = {merged} WHERE id = ?", (json.dumps(made), media_id))
