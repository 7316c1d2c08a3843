"""The console's message form says who will read a message (issue 23, point 9); after a merge the
dispatcher picks one reporter or all of them, and what the citizens' replies then hold follows.

The server's rule alone is tested in tests/test_message_recipients.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import expect

from app.settings import Settings

from .center_helpers import NO_TILES, offset, open_console, reply_of, report, tan_phu, write
from .citizen_helpers import police
from .server_checks import wait_for

if TYPE_CHECKING:
    from tests.browser import NewContext

SHOTS = Path("/tmp/sos-shots")


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.with_(triage_timeout_s=3600, ack_timeout_s=3600, tile_url=NO_TILES)


def short(report_id: str) -> str:
    return report_id[:8].upper()


def texts(reply: dict) -> list[str]:
    return [m["text"] for m in reply.get("messages", [])]


@pytest.mark.browser
def test_the_message_form_says_who_reads_it_and_addresses_merged_reporters_explicitly(
    live_server, new_context: NewContext, watch_console
) -> None:
    here = tan_phu()
    first, main_id = report(live_server, "crime", "Cướp giật ở cổng chợ.", where=here)
    second, dup_id = report(live_server, "crime", "Có người bị giật túi ở chợ.", where=offset(here, 50, 0))
    _, alone_id = report(live_server, "fire", "Khói ở tầng hai.", where=offset(here, 900, 0))
    merger = police(live_server, "dp.merger", "dispatcher")
    assert write(merger, dup_id, "dispatch", action="merge", into=main_id).status_code == 200

    page = open_console(live_server, new_context, viewport={"width": 1440, "height": 900})
    SHOTS.mkdir(exist_ok=True)
    errors = watch_console(page)

    # One reporter: the form names them.
    page.evaluate("id => { location.hash = '#/incident/' + id; }", alone_id)
    expect(page.locator(f'.detail[data-incident="{alone_id}"] .detail__actions')).to_be_visible()
    page.keyboard.press("m")
    form = page.locator('[data-form="message"]')
    readers = form.locator(".message__readers")
    expect(readers).to_have_text(f"Chỉ người báo tin (báo cáo #{short(alone_id)}) sẽ đọc tin này.")
    expect(form.locator('input[name="to"]')).to_have_count(0)  # nobody else to choose
    page.keyboard.press("Escape")

    # With a merged duplicate: a choice, this incident's own reporter first and chosen.
    page.evaluate("id => { location.hash = '#/incident/' + id; }", main_id)
    expect(page.locator(f'.detail[data-incident="{main_id}"] .detail__actions')).to_be_visible()
    page.keyboard.press("m")
    choices = form.get_by_role("group", name="Gửi cho ai")
    expect(choices.get_by_role("radio")).to_have_count(3)
    expect(choices.get_by_label(f"Người báo tin của vụ này (báo cáo #{short(main_id)})")).to_be_checked()
    expect(choices.get_by_label(f"Người báo tin đã gộp vào (báo cáo #{short(dup_id)})")).not_to_be_checked()
    expect(readers).to_have_text(f"Chỉ người báo tin (báo cáo #{short(main_id)}) sẽ đọc tin này.")
    form.get_by_label("Nội dung").fill("Chị còn ở cổng chợ không?")
    page.screenshot(path=SHOTS / "console-message-after-merge-vi.png")
    form.get_by_role("button", name="Gửi cho người báo").click()
    expect(form).to_have_count(0)
    wait_for(lambda: texts(reply_of(first, main_id)) == ["Chị còn ở cổng chợ không?"], what="the first citizen's message")

    # To all of them, chosen explicitly.
    page.keyboard.press("m")
    choices.locator("label.choice", has_text="Tất cả 2 người báo tin").click()
    expect(readers).to_have_text("Cả 2 người báo tin của vụ việc sẽ đọc tin này.")
    form.get_by_label("Nội dung").fill("Công an đang đến chợ.")
    form.get_by_role("button", name="Gửi cho người báo").click()
    expect(form).to_have_count(0)
    wait_for(lambda: texts(reply_of(second, dup_id)) == ["Công an đang đến chợ."], what="the message to all")
    assert texts(reply_of(first, main_id)) == ["Chị còn ở cổng chợ không?", "Công an đang đến chợ."]

    page.get_by_role("button", name="English").click()
    page.keyboard.press("m")
    expect(form.get_by_role("group", name="Send to")).to_be_visible()
    expect(readers).to_have_text(f"Only the reporter (report #{short(main_id)}) will read this message.")
    page.screenshot(path=SHOTS / "console-message-after-merge-en.png")
    assert errors == []
