"""The console's "Evidence bundle (.zip)" button (issue 27): there for a supervisor, absent for a
dispatcher; it downloads a bundle that verifies; axe finds nothing serious on the screen."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from app.evidence.verify import verify_bundle
from app.settings import Settings

from .center_helpers import open_console, queue_item, report, tan_phu
from .conftest import LiveServer
from .media import files
from .media.helpers import upload, wait_media
from .test_a11y import SHOTS, serious

pytestmark = pytest.mark.browser
CONSOLE = {"width": 1440, "height": 900}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.with_(triage_timeout_s=3600)


def test_supervisor_downloads_a_bundle_dispatcher_has_no_button(
    live_server: LiveServer, new_context, tmp_path: Path
) -> None:
    citizen, incident = report(live_server, "crime", where=tan_phu())
    media_id, r = upload(citizen, incident, files.jpeg(tmp_path / "scene.jpg"))
    assert r.status_code == 204, r.text
    assert wait_media(citizen, media_id)["state"] == "ready"

    page = open_console(live_server, new_context, "dieu.phoi", "dispatcher", viewport=CONSOLE)
    queue_item(page, incident).click()
    expect(page.locator(f'.detail[data-incident="{incident}"] .detail__actions')).to_be_visible()
    expect(page.locator('[data-action="evidence-bundle"]')).to_have_count(0)
    page.close()

    page = open_console(live_server, new_context, "lanh.dao", "supervisor", viewport=CONSOLE, bypass_csp=True)
    queue_item(page, incident).click()
    button = page.get_by_role("button", name="Gói chứng cứ (.zip)")
    expect(button).to_be_visible()
    found = {"detail (vi)": serious(page)}
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SHOTS / "bundle-detail-vi-1440.png")
    with page.expect_download() as download:
        button.click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.name == f"sos-evidence-{incident}.zip"
    expect(page.locator(".evidence__status")).to_contain_text("Đã tải gói chứng cứ")
    outcome = verify_bundle(saved)
    assert outcome.ok, outcome.lines
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("button", name="Evidence bundle (.zip)")).to_be_visible()
    found["detail (en)"] = serious(page)
    page.screenshot(path=SHOTS / "bundle-detail-en-1440.png")
    assert found == dict.fromkeys(found, [])
