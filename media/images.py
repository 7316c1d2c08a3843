"""Photo derivatives: upright, stripped of every piece of metadata, sized for the screens that
show them. The original is never touched; these are made from it (or from a phone's preview).

- EXIF orientation is applied to the pixels (a phone held sideways stores the picture sideways
  and only a tag says so; the tag is dropped with the rest, so the pixels must be turned).
- Nothing of the original's metadata survives: no EXIF (GPS, camera serial, times), no XMP, no
  ICC. Colours in a wide-gamut profile are first converted to sRGB so they still look right.
- display: at most 1600 px on the long side; thumb: at most 320 px; WebP (smaller than JPEG on a
  3G link, shown by every browser the apps support). A video's poster is a JPEG.

    out = derive_image(Path("original"), writer)  # {"display": {...}, "thumb": {...}}
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PIL import Image, ImageCms, ImageOps

from .probe import IMAGE_FORMATS

DISPLAY_PX = 1600
THUMB_PX = 320
DISPLAY_QUALITY = 80
THUMB_QUALITY = 72
POSTER_QUALITY = 85

# write(name, produce) -> final path; `produce(tmp_path)` writes the file (MediaStore.write_atomic).
Writer = Callable[[str, Callable[[Path], None]], Path]


def upright(path: Path, longest: int | None = None) -> Image.Image:
    """The first frame of the image, turned as its EXIF says, in sRGB, with no metadata attached.

    `longest`: the long side the caller will shrink to; lets JPEG decode at a reduced scale
    (a 12-megapixel photo decodes four times faster at half size, with no visible loss).
    """
    with Image.open(path, formats=IMAGE_FORMATS) as opened:
        if longest and opened.format == "JPEG" and opened.mode in ("RGB", "L"):
            w, h = opened.size
            ratio = longest / max(w, h)
            if ratio < 1:
                opened.draft(opened.mode, (max(1, int(w * ratio)), max(1, int(h * ratio))))
        opened.seek(0)
        turned = ImageOps.exif_transpose(opened)  # a new image even when no turn is needed
    image = _to_srgb(turned)
    image.info.clear()
    return image


def _to_srgb(image: Image.Image) -> Image.Image:
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (
        image.mode == "P" and "transparency" in image.info
    )
    mode = "RGBA" if has_alpha else "RGB"
    icc = image.info.get("icc_profile")
    if icc and image.mode in ("RGB", "RGBA", "CMYK"):
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            converted = ImageCms.profileToProfile(
                image, source, ImageCms.createProfile("sRGB"), outputMode=mode
            )
            if converted is not None:
                return converted
        except (ImageCms.PyCMSError, OSError, ValueError):
            pass  # a broken profile: the pixels as they are beat no picture at all
    return image.convert(mode) if image.mode != mode else image.copy()


def fit(image: Image.Image, longest: int) -> Image.Image:
    """A copy no larger than `longest` on its long side (never enlarged), without metadata."""
    copy = image.copy()
    copy.thumbnail((longest, longest), Image.Resampling.LANCZOS)
    copy.info.clear()
    return copy


def save(image: Image.Image, path: Path, fmt: str, quality: int) -> None:
    # No exif=, xmp=, icc_profile= arguments: Pillow then writes none (checked by the tests).
    if fmt == "JPEG":
        image.convert("RGB").save(path, "JPEG", quality=quality, optimize=True, progressive=True)
    else:
        image.save(path, "WEBP", quality=quality, method=4)


def describe(image: Image.Image, path: Path, content_type: str) -> dict[str, Any]:
    return {
        "content_type": content_type,
        "width": image.width,
        "height": image.height,
        "bytes": path.stat().st_size,
        "file": path.name,
    }


def write_image(
    write: Writer, name: str, image: Image.Image, fmt: str = "WEBP", quality: int = DISPLAY_QUALITY
) -> dict[str, Any]:
    path = write(name, lambda tmp: save(image, tmp, fmt, quality))
    return describe(image, path, "image/jpeg" if fmt == "JPEG" else "image/webp")


def derive_image(source: Path, write: Writer, prefix: str = "") -> dict[str, dict[str, Any]]:
    """display + thumb from a photo; `prefix` "preview-" for the ones made from a phone preview."""
    image = upright(source, DISPLAY_PX)
    display = fit(image, DISPLAY_PX)
    thumb = fit(display, THUMB_PX)
    return {
        f"{prefix}display": write_image(write, f"{prefix}display.webp", display),
        f"{prefix}thumb": write_image(write, f"{prefix}thumb.webp", thumb, quality=THUMB_QUALITY),
    }


def derive_poster(frame: Path, write: Writer) -> dict[str, dict[str, Any]]:
    """A video's poster (JPEG, as big as the 720p frame) and its thumb, from one decoded frame."""
    image = upright(frame)
    thumb = fit(image, THUMB_PX)
    return {
        "poster": write_image(write, "poster.jpg", image, "JPEG", POSTER_QUALITY),
        "thumb": write_image(write, "thumb.webp", thumb, quality=THUMB_QUALITY),
    }
