"""Hash at capture from the citizen app (real headless Chromium, tus-js-client, the real server):
the PWA's SHA-256 of the original as picked equals the server's, for a photo and a 20 MB video;
every PATCH carries Upload-Checksum; a chunk damaged on the way (460) is sent again.

Needs a build: `make pwa`.
"""

from __future__ import annotations

import hashlib
import subprocess
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import TYPE_CHECKING

import imageio_ffmpeg
import pytest
from playwright.sync_api import Page, expect
from pycrdt import Map

from app.settings import Settings
from media.records import capture_status

from .center_helpers import NO_TILES, open_console, report, tan_phu
from .citizen_helpers import PHONE, report_id_of
from .citizen_helpers import tan_phu as phone_place
from .conftest import LiveServer
from .media.files import jpeg
from .media.helpers import upload, wait_media
from .server_checks import rows, wait_for
from .test_a11y import serious
from .test_citizen_media import noise_jpeg

if TYPE_CHECKING:
    from tests.browser import NewContext

WatchConsole = Callable[[Page], list[str]]
pytestmark = pytest.mark.browser
MB = 1024 * 1024
SHOTS = Path("/tmp/sos-shots")


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.with_(triage_timeout_s=3600, ack_timeout_s=3600, tile_url=NO_TILES)


def noise_video(path: Path, frames: int = 38) -> bytes:
    """An H.264 MP4 of random frames, losslessly coded: about 20 MB in a second or two."""
    subprocess.run(
        [
            imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y",
            "-f", "rawvideo", "-pix_fmt", "yuv420p", "-s", "640x360", "-r", "25", "-i", "/dev/urandom",
            "-frames:v", str(frames), "-c:v", "libx264", "-preset", "ultrafast", "-qp", "0", str(path),
        ],
        check=True, timeout=60,
    )
    data = path.read_bytes()
    assert 18 * MB < len(data) < 30 * MB, len(data)
    return data


def originals(server, report_id: str, count: int) -> list[dict]:
    """The report's originals once all `count` are past uploading (their hash is known then)."""
    return wait_for(
        lambda: (
            found := rows(server, "SELECT * FROM media WHERE report_id = ? AND role = 'original'", report_id)
        ) and len(found) == count and all(m["sha256"] for m in found) and found,
        timeout=40, what=f"{count} originals received",
    )


def record_appends(server: LiveServer, damage_once: bool = False) -> list[tuple[str, int, bytes | None]]:
    """(media id, offset, Upload-Checksum digest) of every PATCH body the server receives, seen
    on the server (the page's requests are not all reported to Playwright). `damage_once`: the
    first body of 1 MB or more gets one bit flipped on its way in, as by a bad link."""
    seen: list[tuple[str, int, bytes | None]] = []
    uploads = server.svc.media.uploads
    append = uploads.append

    async def flipped(chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
        held = b""
        async for chunk in chunks:
            if held:
                yield held
            held = chunk
        yield held[:-1] + bytes([held[-1] ^ 1])

    async def recording(uploader, media_id, offset, chunks, checksum=None):  # noqa: ANN001, ANN202
        size = int(server.svc.media.store.received(media_id))
        record = await uploads.record(uploader, media_id)
        if damage_once and not any(s[0] == "damaged" for s in seen) and record.length - size >= MB:
            seen.append(("damaged", offset, None))
            chunks = flipped(chunks)
        seen.append((media_id, offset, checksum))
        return await append(uploader, media_id, offset, chunks, checksum)

    uploads.append = recording
    return seen


def test_the_pwa_sends_the_right_hash_for_a_photo_and_a_20_mb_video(
    live_server, new_context: NewContext, watch_console: WatchConsole, tmp_path: Path
) -> None:
    photo, clip = tmp_path / "anh.jpg", tmp_path / "clip.mp4"
    local = {"anh.jpg": hashlib.sha256(noise_jpeg(photo)).hexdigest(),
             "clip.mp4": hashlib.sha256(noise_video(clip)).hexdigest()}
    context = new_context(viewport=PHONE, geolocation=phone_place(), permissions=["geolocation"])
    page = context.new_page()
    errors = watch_console(page)
    appends = record_appends(live_server)
    page.goto(live_server.url + "/")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    page.locator("input[type=file][multiple]").set_input_files([photo, clip])
    expect(page.locator(".media-item")).to_have_count(2)
    page.get_by_text("An ninh trật tự", exact=True).click()
    page.get_by_role("button", name="Gửi tin báo").click()
    report_id = report_id_of(page)

    media = {m["filename"]: m for m in originals(live_server, report_id, 2)}
    for name, digest in local.items():
        assert media[name]["client_sha256"] == digest, name
        assert media[name]["sha256"] == digest, name
        assert capture_status(media[name]["client_sha256"], media[name]["sha256"]) == "verified"
    # Every PATCH (the video's 2 MB chunks, the photo, its preview) carried the body's SHA-256:
    # the server checked each (a wrong one would have been a 460 and a resend).
    assert len(appends) >= 10 + 2
    assert all(digest is not None and len(digest) == 32 for _, _, digest in appends)
    video_offsets = [offset for media_id, offset, _ in appends if media_id == media["clip.mp4"]["id"]]
    assert video_offsets == list(range(0, len(video_offsets) * 2 * MB, 2 * MB))
    assert errors == []


def test_a_chunk_damaged_on_the_way_is_sent_again(
    live_server, new_context: NewContext, watch_console: WatchConsole, tmp_path: Path
) -> None:
    photo = tmp_path / "anh.jpg"
    digest = hashlib.sha256(noise_jpeg(photo, (2000, 1500))).hexdigest()  # > 2 MB: two chunks
    page = new_context(viewport=PHONE, geolocation=phone_place(), permissions=["geolocation"]).new_page()
    appends = record_appends(live_server, damage_once=True)
    page.goto(live_server.url + "/")
    page.locator("input[type=file][multiple]").set_input_files(photo)
    page.get_by_text("An ninh trật tự", exact=True).click()
    page.get_by_role("button", name="Gửi tin báo").click()
    report_id = report_id_of(page)

    [media] = originals(live_server, report_id, 1)
    damaged = [i for i, (what, _, _) in enumerate(appends) if what == "damaged"]
    assert damaged, "a chunk was damaged on its way"
    # The damaged body (refused with 460, nothing kept) was sent again at the same offset.
    assert appends[damaged[0] + 1][:2] == appends[damaged[0] + 2][:2] == (media["id"], appends[damaged[0]][1])
    assert media["sha256"] == media["client_sha256"] == digest


def test_the_console_marks_each_item_by_its_capture_hash(
    live_server, new_context: NewContext, watch_console: WatchConsole, tmp_path: Path
) -> None:
    citizen, report_id = report(live_server, "crime", "Xe máy chạy mất, có ảnh biển số.", where=tan_phu())
    ids = {}
    for status, size in (("verified", (800, 600)), ("mismatch", (640, 480)), ("none", (1024, 768))):
        path = jpeg(tmp_path / f"{status}.jpg", size=size)
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        extra = {"verified": {"sha256": digest}, "mismatch": {"sha256": digest[::-1]}, "none": {}}[status]
        ids[status], r = upload(citizen, report_id, path, **extra)
        assert r.status_code == 204, r.text
        assert wait_media(citizen, ids[status])["capture"] == status
        citizen.doc(f"report/{report_id}").get("report", type=Map)["media"].append(ids[status])
    assert citizen.sync(f"report/{report_id}").status_code == 200

    # bypass_csp: only so that axe-core can be injected, as tests/test_a11y.py does
    page = open_console(live_server, new_context, viewport={"width": 1440, "height": 900}, bypass_csp=True)
    errors = watch_console(page)
    page.evaluate("id => { location.hash = '#/incident/' + id; }", report_id)
    detail = page.locator(f'.detail[data-incident="{report_id}"]')
    marks = {status: detail.locator(f'.thumbs__item[data-item="{media_id}"]') for status, media_id in ids.items()}
    words = {
        "vi": {"verified": "✓ Đã xác minh khi chụp", "mismatch": "⚠ Khác bản trên điện thoại",
               "none": "– Điện thoại không gửi mã băm"},
        "en": {"verified": "✓ Verified at capture", "mismatch": "⚠ Differs from the phone's copy",
               "none": "– No hash from the phone"},
    }
    SHOTS.mkdir(exist_ok=True)
    for lang in ("vi", "en"):
        if lang == "en":
            page.get_by_role("button", name="English").click()
        for status, item in marks.items():
            expect(item.locator(f'.capture[data-capture="{status}"]')).to_have_text(words[lang][status])
        expect(detail.locator(".thumbs img")).to_have_count(3)
        page.screenshot(path=SHOTS / f"capture-console-{lang}.png")
        assert serious(page) == [], lang  # axe-core, as tests/test_a11y.py runs it
    assert errors == []
