"""A media item that fails for good is shown to the dispatcher (issue 23, point 6): a file that is
not a photo or video, sent through tus like any upload, is listed on the incident with a
translated reason instead of a broken thumbnail, and the API gives a code to translate."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import expect
from pycrdt import Map

from app.settings import Settings

from .center_helpers import NO_TILES, bearer, open_console, report, tan_phu
from .media.helpers import police, upload, wait_media

if TYPE_CHECKING:
    from tests.browser import NewContext

SHOTS = Path("/tmp/sos-shots")


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.with_(triage_timeout_s=3600, ack_timeout_s=3600, tile_url=NO_TILES)


def notes_file(tmp_path: Path) -> Path:
    path = tmp_path / "ghi-chu.txt"
    path.write_text("Biển số xe 59-X1 123.45, màu đỏ.\n" * 40)
    return path


def test_the_api_says_why_an_upload_failed_as_a_code(live_server, tmp_path: Path) -> None:
    citizen, report_id = report(live_server, "crime", "Xe máy chạy mất.", where=tan_phu())
    media_id, r = upload(citizen, report_id, notes_file(tmp_path))
    assert r.status_code == 422, r.text  # refused on the last PATCH, as tus clients expect
    failed = wait_media(citizen, media_id)
    assert failed["state"] == "failed" and failed["reason_code"] == "not_media"

    dispatcher = police(live_server, "dp.media", "dispatcher")
    listed = dispatcher.http.get(f"/api/reports/{report_id}/media", headers=bearer(dispatcher))
    assert listed.status_code == 200, listed.text
    [item] = listed.json()["media"]
    assert (item["id"], item["state"], item["reason_code"], item["filename"]) == (
        media_id, "failed", "not_media", "ghi-chu.txt")
    assert "not a photo or a video" in item["reason"]  # the sentence stays, for logs and support


@pytest.mark.browser
def test_the_console_shows_a_failed_media_item_with_its_reason(
    live_server, new_context: NewContext, watch_console, tmp_path: Path
) -> None:
    citizen, report_id = report(live_server, "crime", "Xe máy chạy mất, có ảnh biển số.", where=tan_phu())
    media_id, _ = upload(citizen, report_id, notes_file(tmp_path))
    assert wait_media(citizen, media_id)["state"] == "failed"
    # The phone named it in its report before it knew (as a phone that sends at once does).
    citizen.doc(f"report/{report_id}").get("report", type=Map)["media"].append(media_id)
    assert citizen.sync(f"report/{report_id}").status_code == 200

    page = open_console(live_server, new_context, viewport={"width": 1440, "height": 900})
    SHOTS.mkdir(exist_ok=True)
    errors = watch_console(page)
    page.evaluate("id => { location.hash = '#/incident/' + id; }", report_id)
    detail = page.locator(f'.detail[data-incident="{report_id}"]')
    item = detail.locator(f'.media-failed__item[data-media="{media_id}"]')
    expect(item).to_have_text("⚠Không nhận được tệp “ghi-chu.txt”Tệp này không phải ảnh hay video.")
    expect(detail.locator(f'.thumb[data-media="{media_id}"]')).to_have_count(0)  # no broken thumbnail
    expect(detail.locator(".thumb")).to_have_count(0)
    page.screenshot(path=SHOTS / "console-media-failed-vi.png")
    page.get_by_role("button", name="English").click()
    expect(item).to_have_text("⚠File “ghi-chu.txt” not receivedThis file is not a photo or a video.")
    page.screenshot(path=SHOTS / "console-media-failed-en.png")
    assert errors == []
