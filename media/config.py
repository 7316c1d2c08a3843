"""What the media library can be told: where files go, the limits, how hard to work on videos."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

MB = 1024 * 1024


@dataclass(frozen=True)
class MediaConfig:
    """Limits and knobs, filled from the app's settings.

        MediaConfig(root=Path("data/media"), photo_max_bytes=20 * MB, video_max_bytes=200 * MB)
    """

    root: Path
    photo_max_bytes: int = 20 * MB
    video_max_bytes: int = 200 * MB
    preview_max_bytes: int = 2 * MB
    report_max_bytes: int = 500 * MB  # everything one report holds, previews included
    report_max_items: int = 40  # originals per report: the citizen's and the officers'
    upload_expiry_s: int = 7 * 86400  # an unfinished upload is discarded after this
    recover_after_s: int = 120  # a finished upload whose check was cut short is checked again
    max_pixels: int = 80_000_000
    x264_preset: str = "veryfast"
    threads: int = 2
    ffmpeg_exe: str | None = None  # default: the binary that imageio-ffmpeg ships

    @property
    def max_upload_bytes(self) -> int:
        return max(self.photo_max_bytes, self.video_max_bytes)

    def ffmpeg(self) -> str:
        if self.ffmpeg_exe:
            return self.ffmpeg_exe
        import imageio_ffmpeg

        return str(imageio_ffmpeg.get_ffmpeg_exe())


def megabytes(n: int) -> str:
    return f"{n / MB:.0f} MB" if n >= MB else f"{n / 1024:.0f} KB"
