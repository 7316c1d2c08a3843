"""The console queue's order as a dispatcher reads it (issue 23, point 5): overdue first, then
priority, then the OLDEST first — and the legend that says so, in both languages.

The reports are made the ordinary way (a citizen's phone over HTTP sync); their age, priority and
escalation are then set in the rows as the passing of time and the server's timers would, and the
server's own fan-out rewrites the inbox summaries the console sorts.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from playwright.sync_api import expect

from app.incidents import projection
from app.incidents.timers import escalate
from app.settings import Settings

from .center_helpers import NO_TILES, offset, open_console, report, tan_phu
from .server_checks import doc_json, wait_for

if TYPE_CHECKING:
    from tests.browser import NewContext

SHOTS = Path("/tmp/sos-shots")
ORDER_JS = Path(__file__).resolve().parent.parent / "pwa" / "src" / "center" / "console" / "queue" / "order.js"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # The server's triage timer does not fire during the test: one report is overdue only by the
    # console's own clock (arrived two hours ago, limit one hour), the others by escalations set here.
    return settings.with_(triage_timeout_s=3600, ack_timeout_s=3600, tile_url=NO_TILES)


# name: (minutes since arrival, priority, escalated by the server)
QUEUE = {
    "knife-11min-overdue": (11, 1, True),
    "fight-1min-overdue": (1, 1, True),
    "robbery-5min-overdue": (5, 1, True),
    "smoke-20min-overdue-p3": (20, 3, True),
    "late-by-clock-p2": (120, 2, False),  # untriaged past the limit; the server has not acted yet
    "crash-30min-p1": (30, 1, False),
    "lost-2min-p2": (2, 2, False),
    "noise-40min-p2": (40, 2, False),
}
EXPECTED = [
    "knife-11min-overdue", "robbery-5min-overdue", "fight-1min-overdue",  # overdue P1, oldest first
    "late-by-clock-p2", "smoke-20min-overdue-p3",  # overdue P2, P3
    "crash-30min-p1", "noise-40min-p2", "lost-2min-p2",  # then by priority, oldest first
]


@pytest.mark.browser
def test_the_queue_puts_overdue_first_then_priority_then_the_oldest(
    live_server, new_context: NewContext, watch_console
) -> None:
    here = tan_phu()
    ids: dict[str, str] = {}
    for n, name in enumerate(QUEUE):
        _, ids[name] = report(live_server, "crime", f"Tin báo {name}", where=offset(here, 30 * n, 0))
    wait_for(lambda: set(ids.values()) <= set(doc_json(live_server, "inbox/center", "incidents")),
             what="every report in the center's inbox")

    def age_and_escalate(tx: Any) -> None:
        for name, (minutes, priority, escalated) in QUEUE.items():
            incident = ids[name]
            tx.execute("UPDATE incidents SET arrived_at = arrived_at - ?, priority = ? WHERE id = ?",
                       (minutes * 60, priority, incident))
            if escalated:
                escalate(tx, incident, "not_triaged", "test: past the triage limit")
            else:
                projection.enqueue_fanout(tx, incident, reply=False)

    live_server.svc.db.write_sync(age_and_escalate)
    live_server.loop.call_soon_threadsafe(live_server.svc.worker.wake)

    def summaries() -> dict[str, Any]:
        return doc_json(live_server, "inbox/center", "incidents")

    wait_for(lambda: all(
        (summaries().get(ids[name]) or {}).get("priority") == priority for name, (_, priority, _e) in QUEUE.items()
    ), what="the inbox summaries rewritten")

    page = open_console(live_server, new_context)
    SHOTS.mkdir(exist_ok=True)
    errors = watch_console(page)
    rows = page.locator(".queue__list .q-item")
    expect(rows).to_have_count(len(QUEUE))
    by_id = {v: k for k, v in ids.items()}
    wait_for(lambda: [by_id[i] for i in rows.evaluate_all("els => els.map((e) => e.dataset.incident)")] == EXPECTED,
             what="the queue in dispatcher order")
    # The one overdue by the clock says so, like the escalated ones.
    expect(page.locator(f'.q-item[data-incident="{ids["late-by-clock-p2"]}"] .flag--late')).to_be_visible()

    legend = page.locator(".queue__order")
    expect(legend).to_have_text("Thứ tự: quá hạn lên đầu, rồi mức ưu tiên (P1 trước), rồi tin chờ lâu nhất trước.")
    assert page.locator(".queue__list").get_attribute("aria-describedby") == "queue-order"
    page.set_viewport_size({"width": 1440, "height": 900})
    page.screenshot(path=SHOTS / "console-queue-order-vi.png")
    page.get_by_role("button", name="English").click()
    expect(legend).to_have_text("Order: overdue first, then priority (P1 first), then the longest waiting first.")
    page.screenshot(path=SHOTS / "console-queue-order-en.png")
    assert errors == []


@pytest.mark.node
def test_a_report_crossing_the_triage_limit_rises_with_the_overdue() -> None:
    now = 10_000_000
    items = [
        {"id": "p1-fresh", "status": "new", "priority": 1, "arrived_at": now - 10_000},
        {"id": "p3-untriaged-61s", "status": "new", "priority": 3, "arrived_at": now - 61_000},
        {"id": "p3-triaged-61s", "status": "triaged", "priority": 3, "arrived_at": now - 61_000},
        {"id": "p2-support", "status": "on_scene", "priority": 2, "arrived_at": now - 5_000, "need_support": True},
    ]
    script = (
        "const { queueOrder } = await import(process.argv[1]);"
        "const items = JSON.parse(require('node:fs').readFileSync(0, 'utf8'));"
        f"const order = queueOrder({now}, {{ triage_timeout_s: 60 }});"
        "process.stdout.write(JSON.stringify(items.sort(order).map((i) => i.id)));"
    )
    done = subprocess.run(
        ["node", "--input-type=commonjs", "-e", f"(async () => {{ {script} }})()", str(ORDER_JS)],
        input=json.dumps(items), capture_output=True, text=True, timeout=60, check=True,
    )
    assert json.loads(done.stdout) == ["p2-support", "p3-untriaged-61s", "p1-fresh", "p3-triaged-61s"]
