"""Video derivatives through ffmpeg-python and the ffmpeg binary that `imageio-ffmpeg` ships.

- 720p H.264 (yuv420p, High profile) and AAC in MP4: what every browser plays. "720p" is the short
  side, so an upright phone video comes out 720x1280 (ffmpeg turns the frames as the phone's
  rotation tag says before scaling). Smaller videos are not enlarged. At most 30 frames/s.
- `+faststart` puts the index (moov) before the data (mdat), so a browser starts playing after
  the first bytes instead of fetching the end of the file first; `has_faststart` checks it.
- No metadata is carried over (`-map_metadata -1`): a phone's MP4 holds the place it was filmed.
- ffmpeg runs niced (the web process may be next to it) with a time limit, and is killed at it.

    transcode(src, dst, "mov", facts, ffmpeg_exe())   # facts: the Probe of src
"""

from __future__ import annotations

import shutil
import struct
import subprocess
from pathlib import Path
from typing import Any

import ffmpeg

from .probe import Probe

SHORT_SIDE = 720
MAX_FPS = 30
_running: set[subprocess.Popen[bytes]] = set()  # so that a shutdown can end them (`stop_all`)


class TranscodeFailed(Exception):
    """ffmpeg gave up on a file that had decoded at upload time; `permanent` if retrying is futile."""

    def __init__(self, message: str, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


def target_size(width: int, height: int, short: int = SHORT_SIDE) -> tuple[int, int]:
    """Scale so the short side is at most `short`; both sides even (H.264 4:2:0 needs it)."""
    if width <= 0 or height <= 0:
        return -2, short
    ratio = min(1.0, short / min(width, height))
    return max(2, round(width * ratio / 2) * 2), max(2, round(height * ratio / 2) * 2)


def transcode(
    src: Path,
    dst: Path,
    container: str,
    facts: Probe,
    ffmpeg_exe: str,
    preset: str = "veryfast",
    threads: int = 2,
    timeout_s: float | None = None,
) -> None:
    width, height = target_size(facts.width, facts.height)
    source = ffmpeg.input(str(src), f=container, protocol_whitelist="file")
    video = source["v:0"].filter("scale", width, height)
    streams = [video, source["a:0"]] if facts.audio_codec else [video]
    options: dict[str, Any] = {
        "f": "mp4",
        "c:v": "libx264",
        "preset": preset,
        "crf": 23,
        "profile:v": "high",
        "pix_fmt": "yuv420p",
        "fpsmax": MAX_FPS,
        "movflags": "+faststart",
        "map_metadata": -1,
        "map_chapters": -1,
        "threads": threads,
    }
    if facts.audio_codec:
        options.update({"c:a": "aac", "b:a": "128k"})
    args = (
        ffmpeg.output(*streams, str(dst), **options)
        .global_args("-hide_banner", "-nostdin", "-y", "-loglevel", "error")
        .compile(cmd=ffmpeg_exe)
    )
    limit = timeout_s or max(120.0, 10 * (facts.duration_s or 60))
    _run(args, limit)
    if not has_faststart(dst):
        raise TranscodeFailed("the MP4 came out without its index first (faststart)")


def extract_frame(video: Path, dst: Path, at_s: float, ffmpeg_exe: str) -> None:
    """One frame as PNG (lossless; it is re-encoded once, as the poster JPEG)."""
    args = (
        ffmpeg.input(str(video), ss=f"{at_s:.3f}", f="mp4", protocol_whitelist="file")
        .output(str(dst), f="image2", vcodec="png", frames=1)
        .global_args("-hide_banner", "-nostdin", "-y", "-loglevel", "error")
        .compile(cmd=ffmpeg_exe)
    )
    _run(args, 60)
    if not dst.exists() or dst.stat().st_size == 0:
        raise TranscodeFailed("no frame could be taken for the poster")


def _run(args: list[str], timeout_s: float) -> None:
    nice = shutil.which("nice")
    command = [nice, "-n", "10", *args] if nice else args
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _running.add(process)
    try:
        _, stderr = process.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired as exc:
        process.kill()
        process.communicate()
        raise TranscodeFailed(f"ffmpeg took longer than {timeout_s:.0f} s") from exc
    finally:
        _running.discard(process)
    if process.returncode != 0:
        tail = stderr.decode("utf-8", "replace").strip().splitlines()[-3:]
        # A decoder error on bytes that decoded at upload time will fail the same way again.
        permanent = any("Invalid data" in line or "corrupt" in line.lower() for line in tail)
        raise TranscodeFailed("ffmpeg failed: " + " | ".join(tail)[:400], permanent=permanent)


def stop_all() -> None:
    """Kill the ffmpeg processes still running: a shutdown must not wait minutes for a transcode.
    Their jobs fail this attempt and run again later (the outbox retries them)."""
    for process in list(_running):
        process.kill()


def atoms(path: Path) -> list[str]:
    """The top-level MP4 boxes in file order, e.g. ['ftyp', 'moov', 'free', 'mdat']."""
    names = []
    with open(path, "rb") as fh:
        size_total = fh.seek(0, 2)
        position = 0
        while position + 8 <= size_total:
            fh.seek(position)
            size, kind = struct.unpack(">I4s", fh.read(8))
            if size == 1:
                size = struct.unpack(">Q", fh.read(8))[0]
            elif size == 0:
                size = size_total - position
            names.append(kind.decode("latin-1"))
            if size < 8:
                break
            position += size
    return names


def has_faststart(path: Path) -> bool:
    order = atoms(path)
    return "moov" in order and "mdat" in order and order.index("moov") < order.index("mdat")
