"""Media benchmarks (issue 7): a 12-megapixel photo's preview over a 1 Mbit/s link, and
transcoding one minute of 1080p phone-like video to 720p on this machine's cores.

    python -m bench.media [--quick] [--only preview,transcode] [--rate-kbit 1000] [--rtt-ms 300]

(a) preview: the real app (`python -m app.cli serve`, in-process worker) on loopback. The client
    plays the phone: it makes the ~1280 px preview itself (not timed: the phone's work), then
    creates the original's upload, creates and sends the preview, and sends the original. The
    link is shaped in the client, not with `tc` (which would slow loopback for everyone on the
    machine): request bodies go out in 8 KB slices paced to the rate, and each request first
    waits one round trip (`--rtt-ms`, 3G-like). A second, unshaped client plays the command
    center and polls the media's metadata every 100 ms. Timed from the first byte the phone
    sends to the moment the center can fetch a thumbnail; then to the original being ready.
(b) transcode: a 60 s 1080p30 H.264 source at a phone's bit rate (camera-like noise on a moving
    test pattern, AAC audio), made first and not timed; then `media.video.transcode` as the job
    runs it (niced ffmpeg, `-threads 2`), plus the poster. Wall and CPU time vs real time.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

BENCHMARKS = ("preview", "transcode")


def _section(title: str, header: list[str]) -> Any:
    from .report import Section

    return Section(title, header)


# -- (a) preview over a slow link ----------------------------------------------------------------
def phone_photo(path: Path, size: tuple[int, int] = (4000, 3000)) -> Path:
    """A 12-megapixel JPEG with a phone photo's texture: gradients, shapes and sensor noise."""
    from PIL import Image, ImageDraw, ImageFilter

    w, h = size
    base = Image.linear_gradient("L").resize(size)
    image = Image.merge("RGB", (base, base.rotate(90).resize(size), Image.new("L", size, 120)))
    draw = ImageDraw.Draw(image)
    for i in range(400):  # a street's worth of edges: what makes a real photo's preview ~150 KB
        x, y = (i * 7919) % w, (i * 104729) % h
        colour = ((i * 40) % 255, (i * 90) % 255, (i * 20) % 255)
        draw.rectangle((x, y, x + 40 + i % 300, y + 30 + (i * 7) % 200), fill=colour, outline=(0, 0, 0), width=3)
    image = image.filter(ImageFilter.GaussianBlur(1))
    # Texture at several scales: coarse (surfaces) survives the 1280 px preview, fine is sensor noise.
    coarse = Image.effect_noise((w // 6, h // 6), 60).resize(size, Image.Resampling.BICUBIC).convert("RGB")
    fine = Image.effect_noise(size, 25).convert("RGB")
    Image.blend(Image.blend(image, coarse, 0.15), fine, 0.12).save(path, "JPEG", quality=92)
    return path


def phone_preview(original: Path, budget: int = 160_000) -> bytes:
    """What the PWA sends first: 1280 px on the long side, JPEG at the best quality up to 0.7
    that fits about 150 KB (canvas.toBlob with a falling quality does the same on the phone)."""
    from PIL import Image, ImageOps

    with Image.open(original) as image:
        small = ImageOps.exif_transpose(image)
        small.thumbnail((1280, 1280))
    for quality in (70, 60, 50, 40):
        out = io.BytesIO()
        small.save(out, "JPEG", quality=quality)
        if out.tell() <= budget:
            break
    return out.getvalue()


class Link:
    """A client-side shaped link: a round trip before each request, bodies paced to a rate."""

    def __init__(self, rate_bytes_s: float, rtt_s: float) -> None:
        self.rate = rate_bytes_s
        self.rtt = rtt_s

    def body(self, data: bytes, piece: int = 8192) -> Iterator[bytes]:
        started = time.monotonic()
        for sent in range(0, len(data), piece):
            due = started + sent / self.rate
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            yield data[sent : sent + piece]
        # The last piece must not arrive before the link could have carried it.
        rest = started + len(data) / self.rate - time.monotonic()
        if rest > 0:
            time.sleep(rest)

    def wait_round_trip(self) -> None:
        time.sleep(self.rtt)


def _metadata(values: dict[str, str]) -> str:
    from media.tus import encode_metadata

    return encode_metadata(values)


def _send_report(url: str, token: str) -> str:
    from pycrdt import Array, Doc, Map

    from sync import protocol

    report_id = str(uuid.uuid4())
    doc = Doc()
    report = doc.get("report", type=Map)
    with doc.transaction():
        report["category"] = "traffic"
        report["description"] = "bench"
        report["created_at"] = time.time() * 1000
        report["media"] = Array()
        report["messages"] = Array()
    body = protocol.sync_step1(doc.get_state()) + protocol.sync_update(doc.get_update())
    r = httpx.post(f"{url}/sync/report/{report_id}", content=body,
                   headers={"Authorization": f"Bearer {token}", "Content-Type": "application/octet-stream"})
    r.raise_for_status()
    return report_id


def preview(work: Path, rate_kbit: float, rtt_ms: float, runs: int) -> Any:
    from .servers import ServerProcess

    section = _section(
        f"12-megapixel photo over {rate_kbit:.0f} kbit/s (RTT {rtt_ms:.0f} ms, shaped in the client)",
        ["run", "original", "preview", "preview on the server (thumbnail fetchable)",
         "server work after the preview's last byte", "original ready"],
    )
    original = phone_photo(work / "IMG_12MP.jpg")
    data, small = original.read_bytes(), phone_preview(original)
    link = Link(rate_kbit * 1000 / 8, rtt_ms / 1000)
    tus = {"Tus-Resumable": "1.0.0"}
    results = []
    with ServerProcess.app(work / "server") as server:
        token = httpx.post(f"{server.url}/api/citizen/devices").json()["token"]
        auth = {"Authorization": f"Bearer {token}", **tus}
        for run in range(1, runs + 1):
            report_id = _send_report(server.url, token)
            with httpx.Client(base_url=server.url, headers=auth, timeout=600) as phone, \
                    httpx.Client(base_url=server.url, headers=auth, timeout=30) as center:
                started = time.monotonic()
                link.wait_round_trip()
                r = phone.post("/media/uploads/", headers={"Upload-Length": str(len(data)), "Upload-Metadata": _metadata(
                    {"report": report_id, "filename": original.name, "filetype": "image/jpeg"})})
                r.raise_for_status()
                location = r.headers["location"]
                media_id = location.rsplit("/", 1)[-1]
                # The preview with creation-with-upload (tus-js-client: uploadDataDuringCreation).
                link.wait_round_trip()
                r = phone.post("/media/uploads/", content=link.body(small), headers={
                    "Upload-Length": str(len(small)), "Content-Type": "application/offset+octet-stream",
                    "Upload-Metadata": _metadata({"report": report_id, "filename": "preview.jpg",
                                                  "kind": "preview", "preview_of": media_id})})
                r.raise_for_status()
                sent_at = time.time()
                preview_id = r.headers["location"].rsplit("/", 1)[-1]
                preview_at = _wait(center, media_id, lambda m: "thumb" in m["urls"], started)
                server_s = center.get(f"/media/{preview_id}").json()["processed_at"] - sent_at
                link.wait_round_trip()
                phone.patch(location, content=link.body(data), headers={
                    "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"}).raise_for_status()
                ready_at = _wait(center, media_id, lambda m: m["state"] == "ready", started)
            results.append((preview_at, ready_at))
            section.rows.append([str(run), f"{len(data) / 1e6:.2f} MB", f"{len(small) / 1e3:.0f} KB",
                                 f"{preview_at:.2f} s", f"{max(server_s, 0) * 1000:.0f} ms",
                                 f"{ready_at:.1f} s"])
    worst = max(p for p, _ in results)
    section.targets.append(("preview on the server within 3 s over 1 Mbit/s", worst <= 3.0))
    section.notes.append(f"the preview alone takes {len(small) * 8 / (rate_kbit * 1000):.2f} s on the wire at "
                         f"{rate_kbit:.0f} kbit/s; the rest is round trips and server work")
    section.data = {"preview_s": [p for p, _ in results], "ready_s": [r for _, r in results],
                    "original_bytes": len(data), "preview_bytes": len(small)}
    return section


def _wait(center: httpx.Client, media_id: str, done: Any, started: float, timeout: float = 600) -> float:
    while time.monotonic() - started < timeout:
        r = center.get(f"/media/{media_id}")
        if r.status_code == 200 and done(r.json()):
            return time.monotonic() - started
        time.sleep(0.1)
    raise RuntimeError(f"media {media_id} did not get there within {timeout} s")


# -- (b) transcoding -----------------------------------------------------------------------------
def phone_video(path: Path, seconds: int) -> Path:
    import imageio_ffmpeg

    subprocess.run([
        imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y",
        "-f", "lavfi", "-i", f"testsrc2=size=1920x1080:rate=30:duration={seconds}",
        "-f", "lavfi", "-i", f"sine=frequency=300:duration={seconds}",
        "-vf", "noise=alls=12:allf=t", "-c:v", "libx264", "-preset", "ultrafast", "-b:v", "16M",
        "-maxrate", "16M", "-bufsize", "32M", "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "128k",
        str(path),
    ], check=True)
    return path


def transcode(work: Path, seconds: int) -> Any:
    from media.config import MediaConfig
    from media.images import derive_poster
    from media.probe import probe
    from media.store import MediaStore
    from media.video import extract_frame, has_faststart
    from media.video import transcode as run_transcode

    section = _section(f"Transcoding {seconds} s of 1080p30 to 720p H.264/AAC (2 threads)",
                       ["step", "wall", "CPU (user+sys)", "× real time (wall)"])
    config = MediaConfig(root=work / "media")
    source = phone_video(work / "VID_1080p.mp4", seconds)
    facts = probe(source, config.ffmpeg())
    out = work / "out.mp4"
    cpu0 = _children_cpu()
    started = time.monotonic()
    run_transcode(source, out, facts.format, facts, config.ffmpeg(), config.x264_preset, config.threads)
    wall, cpu = time.monotonic() - started, _children_cpu() - cpu0
    store = MediaStore(config.root)
    store.folder("benchmark01").mkdir(parents=True)
    started = time.monotonic()
    frame = work / "frame.png"
    extract_frame(out, frame, 1.0, config.ffmpeg())
    derive_poster(frame, lambda name, produce: store.write_atomic("benchmark01", name, produce))
    poster_wall = time.monotonic() - started
    made = probe(out, config.ffmpeg())
    section.rows += [
        ["transcode", f"{wall:.1f} s", f"{cpu:.1f} s", f"{seconds / wall:.2f}×"],
        ["poster + thumb", f"{poster_wall:.2f} s", "", ""],
    ]
    section.targets.append(("one minute of 1080p transcoded faster than real time on 2 cores",
                            wall < seconds))
    section.notes.append(
        f"source {source.stat().st_size / 1e6:.0f} MB ({facts.video_codec}/{facts.audio_codec} "
        f"{facts.width}x{facts.height}); output {out.stat().st_size / 1e6:.1f} MB "
        f"{made.width}x{made.height} {made.video_codec}/{made.audio_codec}, faststart {has_faststart(out)}, "
        f"preset {config.x264_preset}; load average {os.getloadavg()[0]:.2f} after"
    )
    section.data = {"wall_s": wall, "cpu_s": cpu, "seconds": seconds, "poster_s": poster_wall}
    return section


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


# -- entry points --------------------------------------------------------------------------------
def run(quick: bool = False, only: list[str] | None = None, rate_kbit: float = 1000,
        rtt_ms: float = 300) -> list[Any]:
    """For `python -m bench media`: the sections, each printed as it finishes."""
    sections = []
    with tempfile.TemporaryDirectory(prefix="sos-bench-media-") as tmp:
        work = Path(tmp)
        for name in only or list(BENCHMARKS):
            started = time.monotonic()
            if name == "preview":
                section = preview(work, rate_kbit, rtt_ms, runs=1 if quick else 3)
            else:
                section = transcode(work, seconds=10 if quick else 60)
            if quick:
                section.targets = [(what, None) for what, _ in section.targets]
            section.notes.append(f"took {time.monotonic() - started:.0f} s")
            print(section.render(), flush=True)
            sections.append(section)
    return sections


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.media", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="one photo run, 10 s of video")
    parser.add_argument("--only", default="", help="preview,transcode")
    parser.add_argument("--rate-kbit", type=float, default=1000)
    parser.add_argument("--rtt-ms", type=float, default=300)
    parser.add_argument("--json", type=Path, help="also write the raw figures to this file")
    args = parser.parse_args(argv)
    only = [p for p in args.only.split(",") if p] or None
    if only and set(only) - set(BENCHMARKS):
        parser.error(f"--only takes {', '.join(BENCHMARKS)}")
    sections = run(args.quick, only, args.rate_kbit, args.rtt_ms)
    if args.json:
        args.json.write_text(json.dumps({s.title: {"rows": s.rows, "data": s.data} for s in sections}, indent=1))
    return 0 if all(met is not False for s in sections for _, met in s.targets) else 1


if __name__ == "__main__":
    raise SystemExit(main())
