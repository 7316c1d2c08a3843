"""The tus upload resource: create it, tell its offset, append to it, end it.

Bytes go straight from the socket to `upload.part` (write-through: an interrupted PATCH keeps
every byte that arrived) and into a running SHA-256. A PATCH with `Upload-Checksum` (tus checksum)
is the exception: its body waits in a file of its own until its hash is checked, and is appended
only if it matches (460 otherwise, nothing kept). The file's size on disk is the offset HEAD
reports; nothing is written to the database per chunk. Each PATCH ends with an fsync, so an
offset the server has answered with is on disk (the same promise the database makes).

One writer per upload: a new PATCH for an upload supersedes one still open (a phone that lost
its signal often leaves a half-open connection behind; making it wait for that one to time out
would stall the resume). Within this process that is exact, because the check and the write run
with no `await` between them.

    uploads = Uploads(db, store, config, enqueue, finish)
    record = await uploads.create("device:abc", report_id, 123_456, {"filename": "a.jpg"})
    offset = await uploads.append("device:abc", record.id, 0, request_body_chunks)
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import re
import secrets
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from . import records
from .config import MediaConfig, megabytes
from .errors import MediaError
from .records import Record
from .store import BLOCK, MediaStore, sha256_file
from .tus import CHECKSUM_MISMATCH

REPORT_ID = re.compile(r"^[A-Za-z0-9_-]{6,64}$")
MEDIA_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")
IMAGE_HINT = re.compile(r"\.(jpe?g|png|webp|heic|heif|gif|avif)$", re.IGNORECASE)
MAX_FILENAME = 255

Enqueue = Callable[..., Any]  # outbox.enqueue(tx, topic, key, payload, run_at=None)
Finish = Callable[[str, str | None], Awaitable[Record]]  # (media_id, streamed sha256) -> record


@dataclass
class _Session:
    """What this process knows about an upload between PATCHes."""

    generation: int = 0
    digest: Any = field(default_factory=hashlib.sha256)
    hashed: int = 0  # bytes the digest covers; equal to the file size unless a restart intervened


class Uploads:
    """Creation, HEAD, PATCH and DELETE of tus uploads (see the module docstring)."""

    def __init__(
        self,
        db: Any,
        store: MediaStore,
        config: MediaConfig,
        enqueue: Enqueue,
        finish: Finish,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.db = db
        self.store = store
        self.config = config
        self.enqueue = enqueue
        self.finish = finish
        self.clock = clock
        self._sessions: OrderedDict[str, _Session] = OrderedDict()

    # -- creation ------------------------------------------------------------------------------
    async def create(
        self, uploader: str, report_id: str, length: int, meta: dict[str, str]
    ) -> Record:
        role = meta.get("kind") or "original"
        if role not in ("original", "preview"):
            raise MediaError(400, "bad_metadata", "Upload-Metadata kind is original or preview.")
        filename = meta.get("filename", "")[:MAX_FILENAME]
        declared = (meta.get("filetype") or "")[:100] or None
        client_sha = (meta.get("sha256") or "").lower() or None
        if client_sha is not None and not SHA256_HEX.match(client_sha):
            raise MediaError(400, "bad_metadata", "Upload-Metadata sha256 must be 64 hex digits.")
        preview_of = meta.get("preview_of") or None
        if role == "preview" and (preview_of is None or not MEDIA_ID.match(preview_of)):
            raise MediaError(400, "bad_metadata", "A preview names its original in preview_of.")
        if length == 0:
            raise MediaError(422, "empty", "The file is empty.")
        self._check_length(role, length, declared, filename)
        media_id = secrets.token_urlsafe(16)  # 22 URL-safe characters: the id in Location
        now = self.clock()
        row = {
            "id": media_id, "report_id": report_id, "role": role, "uploader": uploader,
            "preview_of": preview_of if role == "preview" else None, "filename": filename,
            "declared_type": declared, "client_sha256": client_sha, "length": length,
            "state": "uploading", "created_at": now,
        }
        config = self.config

        def insert(tx: Any) -> None:
            if preview_of is not None and role == "preview":
                target = records.get(tx, preview_of)
                if target is None or target.role != "original" or target.report_id != report_id:
                    raise MediaError(
                        422, "bad_preview", "preview_of must be an original of the same report."
                    )
                if target.uploader != uploader:
                    raise MediaError(403, "forbidden", "Only the sender of a file sends its preview.")
            held, originals = records.totals(tx, report_id)
            if held + length > config.report_max_bytes:
                raise MediaError(
                    413, "report_too_large",
                    f"This report already holds {megabytes(held)} of photos and videos; "
                    f"the limit is {megabytes(config.report_max_bytes)} per report.",
                )
            if role == "original" and originals >= config.report_max_items:
                raise MediaError(
                    413, "too_many_media",
                    f"A report holds at most {config.report_max_items} photos and videos.",
                )
            columns = ", ".join(row)
            tx.execute(
                f"INSERT INTO media ({columns}) VALUES ({', '.join('?' * len(row))})",
                tuple(row.values()),
            )
            self.enqueue(
                tx, "media.expire", f"media.expire:{media_id}", {"media": media_id},
                run_at=now + config.upload_expiry_s,
            )

        self.store.create(media_id)
        try:
            await self.db.write(insert)
        except BaseException:
            self.store.remove(media_id)
            raise
        return Record(**row)  # type: ignore[arg-type]

    def _check_length(self, role: str, length: int, declared: str | None, filename: str) -> None:
        """Refuse up front what cannot fit. The client's hint only picks which limit applies;
        the decoded kind is checked against its own limit once the bytes are in."""
        config = self.config
        if role == "preview":
            limit, what = config.preview_max_bytes, "A preview"
        elif (declared or "").startswith("image/") or (not declared and IMAGE_HINT.search(filename)):
            limit, what = config.photo_max_bytes, "A photo"
        else:
            limit, what = config.video_max_bytes, "A video"
        if length > limit:
            raise MediaError(
                413, "too_large",
                f"{what} may be at most {megabytes(limit)}; this one is {megabytes(length)}.",
            )

    # -- the resource ----------------------------------------------------------------------------
    async def record(self, uploader: str, media_id: str) -> Record:
        record = await self.db.read(lambda conn: records.get(conn, media_id))
        if record is None or record.uploader != uploader:
            # Someone else's upload is as good as absent: do not confirm it exists.
            raise MediaError(404, "not_found", "There is no such upload.")
        return record

    async def offset(self, uploader: str, media_id: str) -> tuple[int, Record]:
        record = await self.record(uploader, media_id)
        _gone_if_failed(record)
        received = self.store.received(media_id)
        if record.state == "uploading" and received == record.length:
            # Every byte arrived but the server stopped before checking them: check now, or
            # the client (which sees a complete upload) would never ask again.
            record = await self._complete(record, None)
            _gone_if_failed(record)
        return received, record

    async def append(
        self, uploader: str, media_id: str, offset: int, chunks: AsyncIterator[bytes],
        checksum: bytes | None = None,
    ) -> tuple[int, Record]:
        """Append the body at `offset`; with `checksum` (the SHA-256 the client sent in
        Upload-Checksum) the body is staged aside and appended only if it matches (460 if not)."""
        record = await self.record(uploader, media_id)
        _gone_if_failed(record)
        session = self._session(media_id)
        session.generation += 1  # from here on an older PATCH of this upload writes nothing
        mine = session.generation
        current = self.store.received(media_id)
        if offset != current:
            raise MediaError(
                409, "offset_mismatch",
                f"Upload-Offset is {offset} but the server has {current} bytes; ask with HEAD.",
                {"Upload-Offset": str(current)},
            )
        if record.state != "uploading":
            return current, record  # already complete: nothing to append (offset == length)
        if session.hashed != current:
            session.digest = await asyncio.to_thread(sha256_file, self.store.part(media_id), current)
            session.hashed = current
        remaining = record.length - current
        if checksum is not None:
            return await self._append_checked(record, session, mine, current, chunks, checksum)
        fd = self.store.open_for_append(media_id)
        try:
            # Cut off midway, the digest and `hashed` disagree with the file: the next PATCH's
            # `hashed != current` check above hashes the file again.
            size, too_much = await _write_body(chunks, fd, remaining, session, mine, session.digest)
            session.hashed += size
        finally:
            await asyncio.to_thread(_fsync_close, fd)
        received = self.store.received(media_id)
        if too_much:
            raise MediaError(
                413, "over_length", f"The upload is longer than its Upload-Length {record.length}.",
                {"Upload-Offset": str(received)},
            )
        if received == record.length and session.generation == mine:
            record = await self._complete(record, session.digest.hexdigest())
        return received, record

    async def _append_checked(
        self, record: Record, session: _Session, mine: int, current: int,
        chunks: AsyncIterator[bytes], checksum: bytes,
    ) -> tuple[int, Record]:
        """tus checksum: the body goes to a file of its own beside upload.part while it is
        hashed, and is appended only once its SHA-256 equals the client's. A mismatch, a cut
        connection or a newer PATCH leaves upload.part, the offset and the running digest as
        they were, so the client sends the same chunk again at the same offset. The append
        itself runs with no `await` after the generation check: a newer PATCH cannot slip in."""
        media_id = record.id
        staged = self.store.staging(media_id, mine)
        body, whole = hashlib.sha256(), session.digest.copy()
        try:
            fd = os.open(staged, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
            try:
                size, too_much = await _write_body(
                    chunks, fd, record.length - current, session, mine, body, whole
                )
                if too_much:
                    raise MediaError(
                        413, "over_length",
                        f"The upload is longer than its Upload-Length {record.length}.",
                        {"Upload-Offset": str(current)},
                    )
                if session.generation != mine:
                    return self.store.received(media_id), record  # superseded: it stored nothing
                if body.digest() != checksum:
                    raise MediaError(
                        CHECKSUM_MISMATCH, "checksum_mismatch",
                        "The bytes that arrived differ from their Upload-Checksum (damaged on the "
                        "way, or cut off); nothing of them was stored: send them again.",
                        {"Upload-Offset": str(current)},
                    )
                _append_file(fd, self.store.part(media_id), size)
                session.digest, session.hashed = whole, current + size
            finally:
                os.close(fd)
        finally:
            with contextlib.suppress(FileNotFoundError):
                staged.unlink()
        await asyncio.to_thread(_fsync_close, self.store.open_for_append(media_id))
        received = self.store.received(media_id)
        if received == record.length and session.generation == mine:
            record = await self._complete(record, session.digest.hexdigest())
        return received, record

    async def _complete(self, record: Record, streamed_sha: str | None) -> Record:
        """All bytes are in: note it (with a safety-net job) and check them now."""
        media_id, now = record.id, self.clock()
        self._sessions.pop(media_id, None)

        def verifying(tx: Any) -> None:
            tx.execute(
                "UPDATE media SET state = 'verifying' WHERE id = ? AND state = 'uploading'",
                (media_id,),
            )
            # If this process dies before the check below finishes, the job does it instead.
            self.enqueue(
                tx, "media.image", f"media.recover:{media_id}", {"media": media_id},
                run_at=now + self.config.recover_after_s,
            )

        await self.db.write(verifying)
        return await self.finish(media_id, streamed_sha)

    async def terminate(self, uploader: str, media_id: str) -> None:
        record = await self.record(uploader, media_id)
        if record.state not in ("uploading", "failed"):
            raise MediaError(
                403, "evidence",
                "A finished upload is kept as evidence and cannot be deleted.",
            )
        self._session(media_id).generation += 1
        self._sessions.pop(media_id, None)
        self.store.remove(media_id)
        await self.db.write(
            lambda tx: tx.execute(
                """UPDATE media SET state = 'failed', reason = ?, processed_at = ?
                   WHERE id = ? AND state IN ('uploading', 'failed')""",
                ("Cancelled by the sender.", self.clock(), media_id),
            )
        )

    def _session(self, media_id: str) -> _Session:
        session = self._sessions.get(media_id)
        if session is None:
            session = self._sessions[media_id] = _Session()
            while len(self._sessions) > 1024:  # abandoned uploads: forget the oldest
                self._sessions.popitem(last=False)
        self._sessions.move_to_end(media_id)
        return session


def _gone_if_failed(record: Record) -> None:
    if record.state == "failed":
        raise MediaError(410, "upload_failed", record.reason or "This upload failed.")



async def _write_body(
    chunks: AsyncIterator[bytes], fd: int, remaining: int, session: _Session, mine: int, *digests: Any
) -> tuple[int, bool]:
    """A PATCH body into `fd`, each chunk fed to `digests`, up to `remaining` bytes; it stops when
    a newer PATCH of the same upload took over. Returns the bytes written and whether the body
    ran past the upload's length."""
    size = 0
    async for chunk in chunks:
        if session.generation != mine:
            break
        too_much = len(chunk) > remaining - size
        if too_much:
            chunk = chunk[: remaining - size]
        _write_all(fd, chunk)  # page cache: microseconds for the ≤64 KB uvicorn hands us
        for digest in digests:
            digest.update(chunk)
        size += len(chunk)
        if too_much:
            return size, True
    return size, False

def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _append_file(source_fd: int, part: Any, size: int) -> None:
    """Append the first `size` bytes of `source_fd` to `part`. Runs inline: a 2 MB chunk from
    the page cache takes about a millisecond, and no other PATCH runs meanwhile."""
    out = os.open(part, os.O_WRONLY | os.O_APPEND)
    try:
        done = 0
        while done < size:
            block = os.pread(source_fd, min(BLOCK, size - done), done)
            if not block:
                raise OSError("the staged chunk is shorter than what was hashed")
            _write_all(out, block)
            done += len(block)
    finally:
        os.close(out)


def _fsync_close(fd: int) -> None:
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
