"""Real photo and video files made by the tests: a test pattern whose layout shows orientation,
EXIF with orientation and GPS, HEIC via pillow-heif, and video via the bundled ffmpeg."""

from __future__ import annotations

import subprocess
from pathlib import Path

import imageio_ffmpeg
import pillow_heif
from PIL import ExifTags, Image

RED, BLUE, GREEN = (220, 20, 20), (20, 20, 220), (20, 200, 20)


def pattern(width: int = 800, height: int = 400) -> Image.Image:
    """Left half red, right half blue, a green square in the top-left corner."""
    image = Image.new("RGB", (width, height), BLUE)
    image.paste(RED, (0, 0, width // 2, height))
    image.paste(GREEN, (0, 0, width // 8, height // 4))
    return image


def gps_exif(orientation: int) -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.Base.Make] = "TestPhone"
    exif[ExifTags.IFD.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: "N",
        ExifTags.GPS.GPSLatitude: (10.0, 45.0, 30.5),
        ExifTags.GPS.GPSLongitudeRef: "E",
        ExifTags.GPS.GPSLongitude: (106.0, 40.0, 12.25),
    }
    return exif


def sideways_jpeg(path: Path) -> Path:
    """The pattern stored turned 90° anticlockwise, with Orientation=6 ("turn 90° clockwise to
    show") and GPS: shown right, it is the plain pattern again (landscape, red on the left)."""
    stored = pattern().transpose(Image.Transpose.ROTATE_90)  # 400 x 800, as a phone stores it
    stored.save(path, "JPEG", quality=92, exif=gps_exif(6))
    return path


def heic(path: Path, size: tuple[int, int] = (640, 480)) -> Path:
    """A HEIC of the pattern stored sideways with Orientation=6 and GPS, as an iPhone would."""
    stored = pattern(*size).transpose(Image.Transpose.ROTATE_90)
    pillow_heif.from_pillow(stored).save(path, quality=80, exif=gps_exif(6).tobytes())
    return path


def jpeg(path: Path, size: tuple[int, int] = (1280, 960), quality: int = 85) -> Path:
    pattern(*size).save(path, "JPEG", quality=quality)
    return path


def video(path: Path, seconds: float = 2, size: str = "1920x1080", faststart: bool = False) -> Path:
    """H.264/AAC MP4 from ffmpeg's test sources; by default moov after mdat, as phones write."""
    args = [
        imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y",
        "-f", "lavfi", "-i", f"testsrc=size={size}:rate=30:duration={seconds}",
        "-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}",
        "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
        "-c:a", "aac", "-shortest", "-metadata", "location=+10.7626+106.6601/",
    ]
    if faststart:
        args += ["-movflags", "+faststart"]
    subprocess.run([*args, str(path)], check=True, timeout=120)
    return path


def text_as_jpg(path: Path) -> Path:
    path.write_text("This is not a photo at all, just text with a .jpg name.\n" * 50)
    return path
