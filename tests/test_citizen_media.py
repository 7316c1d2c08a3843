"""Photos from the citizen app over tus (tus-js-client in a real headless Chromium) against the
real server — issue 7's last acceptance point: a citizen attaches a photo to a report made
offline; it uploads when the connection returns; the command center's incident detail shows its
thumbnail.

Needs a build: `make pwa`. Screenshots go to /tmp/sos-citizen/.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest
from playwright.sync_api import Page, Request, expect

from app.settings import Settings

from .center_helpers import open_console, queue_item
from .citizen_helpers import PHONE, police, report_id_of, shoot, tan_phu
from .server_checks import doc_json, rows, wait_for

if TYPE_CHECKING:
    from tests.browser import NewContext

WatchConsole = Callable[[Page], list[str]]
pytestmark = pytest.mark.browser


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.with_(triage_timeout_s=3600, ack_timeout_s=3600, tile_url="")


def noise_jpeg(path: Path, size: tuple[int, int] = (1600, 1200)) -> bytes:
    """A real JPEG of about 1–2 MB (noise does not compress): large enough to get a preview."""
    from PIL import Image

    Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3)).save(path, "JPEG", quality=90)
    data = path.read_bytes()
    assert len(data) > 500_000
    return data


def test_a_photo_of_an_offline_report_uploads_when_the_network_returns(
    live_server, new_context: NewContext, watch_console: WatchConsole, tmp_path: Path
) -> None:
    photo = tmp_path / "bien-so.jpg"
    data = noise_jpeg(photo)
    context = new_context(viewport=PHONE, geolocation=tan_phu(), permissions=["geolocation"])
    page = context.new_page()
    errors = watch_console(page)
    uploads: list[Request] = []
    page.on("request", lambda r: uploads.append(r) if "/media/uploads/" in r.url else None)
    page.goto(live_server.url + "/")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")

    context.set_offline(True)
    expect(page.get_by_role("status").filter(has_text="Mất mạng")).to_be_visible()
    page.locator("input[type=file][multiple]").set_input_files(photo)
    expect(page.locator(".media-item")).to_contain_text("bien-so.jpg")
    page.get_by_text("An ninh trật tự", exact=True).click()
    page.get_by_label("Mô tả sự việc và nơi xảy ra").fill("Ảnh chụp biển số xe máy bỏ chạy.")
    page.get_by_role("button", name="Gửi tin báo").click()
    report_id = report_id_of(page)
    expect(page.locator(".status-card .badge")).to_have_text(re.compile("Đã lưu trên điện thoại"))
    expect(page.locator(".media-item")).to_contain_text("Chờ tải lên")
    assert uploads == [] and rows(live_server, "SELECT id FROM media") == []

    context.set_offline(False)
    expect(page.locator(".status-card .badge")).to_have_text(re.compile("Đã đến trung tâm"))
    expect(page.locator(".media-item")).to_contain_text("Đã tải lên", timeout=30_000)
    shoot(page, "10-photo-uploaded")

    originals = rows(
        live_server, "SELECT * FROM media WHERE report_id = ? AND role = 'original'", report_id
    )
    assert len(originals) == 1
    media = originals[0]
    media_id = media["id"]
    assert media["sha256"] == hashlib.sha256(data).hexdigest()
    assert media["client_sha256"] == media["sha256"]
    assert media["length"] == len(data) and media["filename"] == "bien-so.jpg"
    assert media["state"] in ("processing", "ready")

    # The preview: sent after the original's creation and before its bytes, as the README says.
    previews = rows(live_server, "SELECT * FROM media WHERE preview_of = ?", media_id)
    assert len(previews) == 1 and previews[0]["role"] == "preview"
    assert previews[0]["length"] <= 150 * 1024
    creations = [r for r in uploads if r.method == "POST" and r.url.endswith("/media/uploads/")]
    patches = [r for r in uploads if r.method == "PATCH"]
    assert len(creations) == 2
    first_patch = next(i for i, r in enumerate(uploads) if r.method == "PATCH")
    assert uploads.index(creations[0]) < uploads.index(creations[1]) < first_patch
    assert patches[0].url.endswith(previews[0]["id"]), "the preview's bytes go first"

    # The id is in the report document (sent like any change), and the police can fetch it.
    wait_for(
        lambda: media_id in doc_json(live_server, f"report/{report_id}", "report").get("media", []),
        what="the media id in report.media",
    )
    dispatcher = police(live_server, "dieu.phoi.anh", "dispatcher")
    auth = {"Authorization": f"Bearer {dispatcher.token}"}
    meta = httpx.get(f"{live_server.url}/media/{media_id}", headers=auth)
    assert meta.status_code == 200 and meta.json()["report"] == report_id
    thumb = wait_for(
        lambda: (r := httpx.get(f"{live_server.url}/media/{media_id}/thumb", headers=auth)).status_code
        == 200
        and r,
        timeout=30,
        what="the thumbnail",
    )
    assert thumb.headers["content-type"].startswith("image/")
    from io import BytesIO

    from PIL import Image

    with Image.open(BytesIO(thumb.content)) as image:
        assert max(image.size) <= 320
    assert errors == []

    # The command center: the incident detail shows the thumbnail.
    console = open_console(live_server, new_context, username="dieu.phoi.console")
    console_errors = watch_console(console)
    queue_item(console, report_id).click()
    detail = console.locator(f'.detail[data-incident="{report_id}"]')
    expect(detail).to_contain_text("Ảnh chụp biển số xe máy bỏ chạy.")
    img = detail.locator(".thumbs img")
    expect(img).to_have_count(1, timeout=30_000)
    expect(img).to_have_attribute("src", re.compile("^blob:"))
    wait_for(
        lambda: console.evaluate(
            "(el) => el.complete && el.naturalWidth > 0", img.element_handle()
        ),
        what="the thumbnail decoded in the console",
    )
    shoot(console, "11-center-thumbnail")
    assert console_errors == []


def test_a_file_the_server_refuses_is_marked_and_not_sent_again(
    live_server, new_context: NewContext, watch_console: WatchConsole, tmp_path: Path
) -> None:
    """A file that starts like a JPEG but is none (so the phone's check at pick lets it by): 422
    media_refused on the last PATCH; the phone shows the reason and never retries it; the
    report's media stays empty."""
    fake = tmp_path / "khong-phai-anh.jpg"
    fake.write_bytes(b"\xff\xd8\xff\xe0" + b"not a photo at all\n" * 20_000)
    page = new_context(viewport=PHONE, geolocation=tan_phu(), permissions=["geolocation"]).new_page()
    errors = watch_console(page)
    uploads: list[Request] = []
    page.on("request", lambda r: uploads.append(r) if "/media/uploads/" in r.url else None)
    page.goto(live_server.url + "/")
    page.locator("input[type=file][multiple]").set_input_files(fake)
    page.get_by_text("An ninh trật tự", exact=True).click()
    page.get_by_role("button", name="Gửi tin báo").click()
    report_id = report_id_of(page)
    expect(page.locator(".status-card .badge")).to_have_text(re.compile("Đã đến trung tâm"))
    refused = page.locator('[data-media-refused]')
    expect(refused).to_be_visible(timeout=30_000)
    expect(refused).to_contain_text("khong-phai-anh.jpg")
    media = wait_for(
        lambda: rows(live_server, "SELECT * FROM media WHERE report_id = ?", report_id),
        what="the media row",
    )
    assert [m["state"] for m in media] == ["failed"]
    sent = len(uploads)
    page.reload()
    expect(page.locator('[data-media-refused]')).to_be_visible()
    page.wait_for_timeout(1000)
    assert len(uploads) == sent, "a refused file is not sent again"
    assert doc_json(live_server, f"report/{report_id}", "report")["media"] == []
    assert errors == []


def test_a_text_file_or_a_pdf_is_refused_at_pick_with_a_translated_message(
    live_server, new_context: NewContext, watch_console: WatchConsole, tmp_path: Path
) -> None:
    """Issue 23, point 6: only photos and videos are kept, judged by their first bytes; a
    HEIC that the phone calls application/octet-stream is still taken."""
    text = tmp_path / "ghi-chu.txt"
    text.write_text("Biển số 59X1-123.45\n")
    pdf = tmp_path / "don-trinh-bao.pdf"
    pdf.write_bytes(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n")
    page = new_context(viewport=PHONE).new_page()
    errors = watch_console(page)
    page.goto(live_server.url + "/")
    picker = page.locator("input[type=file][multiple]")
    picker.set_input_files([text, pdf])
    error = page.locator(".media .form-error")
    expect(error).to_have_text("Không thêm ghi-chu.txt, don-trinh-bao.pdf: chỉ nhận ảnh hoặc video.")
    expect(page.locator(".media-item")).to_have_count(0)
    shoot(page, "23-not-media-vi")
    page.get_by_role("button", name="English").click()
    picker.set_input_files(pdf)
    expect(error).to_have_text("don-trinh-bao.pdf not added: only photos and videos can be sent.")
    expect(page.locator(".media-item")).to_have_count(0)
    # A real photo next to a text file: the photo is kept, the text is not.
    photo = tmp_path / "anh.jpg"
    noise_jpeg(photo)
    heic = {"name": "IMG_0001.HEIC", "mimeType": "application/octet-stream",
            "buffer": b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + bytes(64)}
    picker.set_input_files([photo, text])
    expect(page.locator(".media-item")).to_have_count(1)
    expect(error).to_contain_text("ghi-chu.txt")
    picker.set_input_files([heic])
    expect(page.locator(".media-item")).to_have_count(2)
    expect(page.locator(".media-item").nth(1)).to_contain_text("IMG_0001.HEIC")
    assert errors == []
