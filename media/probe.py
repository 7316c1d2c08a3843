"""Is it really a photo or a video? Decided by decoding the bytes, never by the name or MIME type.

Photos: Pillow opens the file (only the formats phones make), and the whole image is decoded, so
a JPEG header glued onto junk fails here and not later. HEIC/HEIF comes through pillow-heif.
Videos: the first bytes say which container to try (MP4/QuickTime/3GP, Matroska/WebM, AVI), and
ffmpeg must then decode a second of its first video stream. Naming the container ourselves
matters: left to guess, ffmpeg would also read playlists and concat scripts, which can make it
open other files on this machine. `imageio-ffmpeg` ships ffmpeg without ffprobe, so the facts
(streams, codecs, size, duration) are read from what ffmpeg prints while decoding.

    facts = probe(Path("upload"), ffmpeg_exe())   # raises NotMedia("...") if it is neither
    facts.media_type, facts.content_type          # "image", "image/jpeg"
"""

from __future__ import annotations

import re
import subprocess
import warnings
from dataclasses import dataclass
from pathlib import Path

import ffmpeg
import pillow_heif
from PIL import Image

from .errors import NotMedia

pillow_heif.register_heif_opener()

IMAGE_FORMATS = ("JPEG", "PNG", "WEBP", "HEIF", "GIF", "AVIF")
IMAGE_TYPES = {
    "JPEG": ("image/jpeg", "jpg"),
    "PNG": ("image/png", "png"),
    "WEBP": ("image/webp", "webp"),
    "HEIF": ("image/heif", "heic"),
    "GIF": ("image/gif", "gif"),
    "AVIF": ("image/avif", "avif"),
}
VIDEO_TYPES = {
    "mov": ("video/mp4", "mp4"),  # refined to QuickTime below when the brand says so
    "matroska": ("video/webm", "webm"),
    "avi": ("video/x-msvideo", "avi"),
}
NOT_MEDIA = "This file is not a photo or a video that we can open"


@dataclass(frozen=True)
class Probe:
    """What decoding found. Width and height are as displayed (rotation applied)."""

    media_type: str  # image, video
    format: str  # JPEG, HEIF, ... for images; mov, matroska, avi for videos
    content_type: str
    extension: str
    width: int
    height: int
    duration_s: float | None = None
    video_codec: str | None = None
    audio_codec: str | None = None


def probe(path: Path, ffmpeg_exe: str, max_pixels: int = 80_000_000, timeout_s: float = 60) -> Probe:
    """Decode `path` as a photo, else as a video; NotMedia with a reason if it is neither."""
    try:
        return probe_image(path, max_pixels)
    except _NotAnImage:
        pass
    container = sniff_container(path)
    if container is None:
        raise NotMedia(f"{NOT_MEDIA} (its content is neither a known photo nor video format).")
    return probe_video(path, ffmpeg_exe, container, timeout_s)


class _NotAnImage(Exception):
    """Pillow does not recognise it at all: try it as a video."""


def probe_image(path: Path, max_pixels: int) -> Probe:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(path, formats=IMAGE_FORMATS)
    except Image.UnidentifiedImageError as exc:
        raise _NotAnImage() from exc
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise NotMedia("This photo has too many pixels to be a real photo.") from exc
    with image:
        fmt = image.format or ""
        width, height = image.size
        if width * height > max_pixels:
            raise NotMedia(
                f"This photo has {width * height / 1e6:.0f} megapixels; "
                f"the limit is {max_pixels / 1e6:.0f}."
            )
        try:
            image.load()  # the real check: every pixel decodes
        except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
            raise NotMedia(f"{NOT_MEDIA}: the {fmt} photo is damaged or incomplete.") from exc
        orientation = image.getexif().get(0x0112, 1)
    if orientation in (5, 6, 7, 8):  # EXIF orientations that turn the picture on its side
        width, height = height, width
    content_type, extension = IMAGE_TYPES[fmt]
    return Probe("image", fmt, content_type, extension, width, height)


def sniff_container(path: Path) -> str | None:
    """The container named by the first bytes; it only chooses which decoder gets to try."""
    with open(path, "rb") as fh:
        head = fh.read(16)
    if len(head) >= 12 and head[4:8] in (b"ftyp", b"moov", b"mdat", b"wide", b"free", b"skip"):
        return "mov"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "matroska"
    if head.startswith(b"RIFF") and head[8:12] == b"AVI ":
        return "avi"
    return None


_DURATION = re.compile(r"Duration: (\d+):(\d\d):(\d\d(?:\.\d+)?)")
_STREAM = re.compile(r"Stream #\d+:\d+\S*: (Video|Audio): (\w+)")
_SIZE = re.compile(r"\b(\d{2,5})x(\d{2,5})\b")
_FRAMES = re.compile(r"frame=\s*(\d+)")
_BRAND = re.compile(r"major_brand\s*: (\w+)")


def probe_video(path: Path, ffmpeg_exe: str, container: str, timeout_s: float = 60) -> Probe:
    args = (
        ffmpeg.input(str(path), f=container, protocol_whitelist="file")
        .output("-", f="null", map="0:v:0", t=1)
        .global_args("-hide_banner", "-nostdin")
        .compile(cmd=ffmpeg_exe)
    )
    try:
        done = subprocess.run(args, capture_output=True, timeout=timeout_s, check=False)
    except subprocess.TimeoutExpired as exc:
        raise NotMedia(f"{NOT_MEDIA}: decoding it took too long.") from exc
    log = done.stderr.decode("utf-8", "replace")
    frames = [int(n) for n in _FRAMES.findall(log)]
    if done.returncode != 0 or not frames or frames[-1] < 1:
        raise NotMedia(f"{NOT_MEDIA} (no video could be decoded from it).")
    return parse_video_log(log, container)


def parse_video_log(log: str, container: str) -> Probe:
    """Read the facts from ffmpeg's report of a decode to the null muxer."""
    head, _, output = log.partition("Output #0")
    streams = _STREAM.findall(head)
    video_codec = next((codec for kind, codec in streams if kind == "Video"), None)
    audio_codec = next((codec for kind, codec in streams if kind == "Audio"), None)
    # The output stream's size is after rotation (ffmpeg turns the frames as the phone asked).
    size = None
    for line in output.splitlines():
        if "Video:" in line:
            size = _SIZE.search(line)
            break
    if size is None:
        size = next((_SIZE.search(line) for line in head.splitlines() if ": Video:" in line), None)
    width, height = (int(size.group(1)), int(size.group(2))) if size else (0, 0)
    match = _DURATION.search(head)
    duration = (
        int(match.group(1)) * 3600 + int(match.group(2)) * 60 + float(match.group(3))
        if match
        else None
    )
    content_type, extension = VIDEO_TYPES[container]
    brand = _BRAND.search(head)
    if container == "mov" and brand and brand.group(1) == "qt":
        content_type, extension = "video/quicktime", "mov"
    elif container == "mov" and brand and brand.group(1).startswith("3g"):
        content_type, extension = "video/3gpp", "3gp"
    if container == "matroska" and video_codec not in ("vp8", "vp9", "av1"):
        content_type, extension = "video/x-matroska", "mkv"
    return Probe(
        "video", container, content_type, extension, width, height,
        duration_s=duration, video_codec=video_codec, audio_codec=audio_codec,
    )
