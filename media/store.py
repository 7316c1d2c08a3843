"""Where media bytes live: one folder per upload under the data directory, never in memory whole.

    <root>/<first two characters of the id>/<id>/
        upload.part      while the upload is under way (appended to, resumable)
        original         the finished upload, byte for byte as the phone sent it, read-only
        display.webp, thumb.webp, video.mp4, poster.jpg     derivatives, written atomically
        preview-display.webp, preview-thumb.webp            made from a phone preview, shown
                                                            until the original's own are ready

The two-character level keeps any one directory small. Derivatives are written to a temporary name
and renamed, so a reader never sees half a file and a crash leaves no torn derivative.

    store = MediaStore(Path("data/media"))
    store.create("Jq3...")             # an empty upload.part
    fd = store.open_for_append("Jq3..."); os.write(fd, b"..."); os.close(fd)
    store.promote("Jq3...")            # upload.part -> original (read-only)
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
from collections.abc import Callable
from pathlib import Path

PART = "upload.part"
ORIGINAL = "original"
BLOCK = 1024 * 1024


class MediaStore:
    """The files of every upload under one root directory (see the module docstring)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def folder(self, media_id: str) -> Path:
        return self.root / media_id[:2] / media_id

    def part(self, media_id: str) -> Path:
        return self.folder(media_id) / PART

    def original(self, media_id: str) -> Path:
        return self.folder(media_id) / ORIGINAL

    def file(self, media_id: str, name: str) -> Path:
        return self.folder(media_id) / name

    def create(self, media_id: str) -> None:
        folder = self.folder(media_id)
        folder.mkdir(parents=True, exist_ok=True)
        # O_EXCL: an id is made once; a clash would mean two uploads sharing one file.
        fd = os.open(folder / PART, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.close(fd)

    def received(self, media_id: str) -> int:
        """Bytes on disk: the truth for HEAD's Upload-Offset (no database write per chunk)."""
        for path in (self.part(media_id), self.original(media_id)):
            with contextlib.suppress(FileNotFoundError):
                return path.stat().st_size
        return 0

    def staging(self, media_id: str, generation: int) -> Path:
        """Where a checksummed PATCH body waits until it is checked (never counted as received)."""
        return self.folder(media_id) / f"incoming.{os.getpid()}.{generation}"

    def open_for_append(self, media_id: str) -> int:
        return os.open(self.part(media_id), os.O_WRONLY | os.O_APPEND)

    def promote(self, media_id: str) -> Path:
        """upload.part -> original, read-only; idempotent (a second caller finds it done)."""
        part, original = self.part(media_id), self.original(media_id)
        try:
            os.replace(part, original)
        except FileNotFoundError:
            if not original.exists():
                raise
        os.chmod(original, 0o400)  # evidence: nothing in this process rewrites it by mistake
        _fsync_dir(original.parent)
        return original

    def write_atomic(self, media_id: str, name: str, produce: Callable[[Path], None]) -> Path:
        """Call `produce(tmp_path)` to write a derivative, then rename it into place."""
        final = self.file(media_id, name)
        tmp = final.with_name(f".{name}.{os.getpid()}.{id(produce):x}.tmp")
        try:
            produce(tmp)
            with open(tmp, "rb") as fh:
                os.fsync(fh.fileno())
            os.replace(tmp, final)
        finally:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
        return final

    def remove(self, media_id: str) -> None:
        shutil.rmtree(self.folder(media_id), ignore_errors=True)

    def remove_file(self, media_id: str, name: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.file(media_id, name).unlink()


def sha256_file(path: Path, length: int | None = None) -> hashlib._Hash:
    """The SHA-256 of a file (or of its first `length` bytes), read in blocks."""
    digest = hashlib.sha256()
    remaining = length
    with open(path, "rb") as fh:
        while remaining is None or remaining > 0:
            block = fh.read(BLOCK if remaining is None else min(BLOCK, remaining))
            if not block:
                break
            digest.update(block)
            if remaining is not None:
                remaining -= len(block)
    return digest


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
