"""The citizen's first paint on a slow link (issue 23): 50 kbit/s each way and 500 ms latency
(Chromium's network emulation over CDP), a fresh profile each run, a 360x640 phone.

    python -m bench lite [--runs 5] [--dist PATH]

Per run, from the start of the navigation: when `tel:113` is visible (Playwright's check, polled),
the first contentful paint (the page's own `paint` entry), when the script-less form's send button
is in the page, and when the app's own send button is usable (the app has taken over). `--dist` serves
another build (e.g. one from before the script-less form) for a before/after. Also the bytes of
the first-paint HTML as served (gzip, made per answer) and of its inlined CSS.

The server is in this process (uvicorn in a thread, as the browser tests run it): on an emulated
50 kbit/s link the server's own time is lost in the noise.
"""

from __future__ import annotations

import argparse
import gzip
import re
import statistics
import tempfile
import time
from pathlib import Path

import httpx
from playwright.sync_api import expect, sync_playwright

from app.directory.routing import official_wards
from app.settings import Settings
from app.web.lite_pages import LitePages, Typed
from tests.browser import CHROMIUM, CHROMIUM_ARGS
from tests.conftest import LiveServer

SLOW_LINK = {"offline": False, "latency": 500, "downloadThroughput": 50_000 / 8, "uploadThroughput": 50_000 / 8}
PHONE = {"width": 360, "height": 640}
TIMEOUT_MS = 60_000


def one_run(browser, url: str) -> dict[str, float]:
    context = browser.new_context(viewport=PHONE, locale="vi-VN")
    try:
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.emulateNetworkConditions", SLOW_LINK)
        started = time.monotonic()
        page.goto(url, wait_until="commit", timeout=TIMEOUT_MS)
        expect(page.locator('a[href="tel:113"]').first).to_be_visible(timeout=TIMEOUT_MS)
        tel = time.monotonic() - started
        lite = page.locator("button.lite-send")
        lite_s = float("nan")
        if lite.count():
            lite_s = time.monotonic() - started
        app_send = page.locator("button:not(.lite-send)", has_text="Gửi tin báo")
        expect(app_send).to_be_enabled(timeout=TIMEOUT_MS)
        app = time.monotonic() - started
        fcp = page.evaluate(
            "() => (performance.getEntriesByName('first-contentful-paint')[0] || {}).startTime || NaN"
        )
        return {"tel": tel, "fcp": fcp / 1000, "lite_send": lite_s, "app_send": app}
    finally:
        context.close()


def html_bytes(url: str, dist: Path) -> dict[str, int]:
    r = httpx.get(url + "/", headers={"Accept-Encoding": "gzip"})
    plain = httpx.get(url + "/", headers={"Accept-Encoding": "identity"}).content
    css = re.search(rb"<style>(.*?)</style>", plain, re.S)
    pages = LitePages(dist)
    every_ward = pages.form(tuple(w.code for w in official_wards()), Typed()).encode()
    br = dist / "index.html.br"
    return {
        "html": len(plain),
        "html_gz": int(r.headers.get("content-length", len(r.content))),
        "html_br_built": br.stat().st_size if br.is_file() else 0,
        "html_168_wards_gz": len(gzip.compress(every_ward, 9, mtime=0)),
        "css": len(css.group(1)) if css else 0,
        "css_gz": len(gzip.compress(css.group(1), 9)) if css else 0,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.lite", description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--dist", type=Path, default=None, help="the PWA build to serve")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-lite-") as tmp:
        settings = Settings(data_dir=Path(tmp) / "data", secret_key="bench-lite", inprocess_worker=True)
        if args.dist:
            settings = settings.with_(pwa_dist=args.dist.resolve())
        server = LiveServer(settings).start()
        try:
            sizes = html_bytes(server.url, settings.pwa_dist)
            runs = []
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
                for i in range(args.runs):
                    runs.append(one_run(browser, server.url + "/"))
                    print(f"run {i + 1}: " + ", ".join(f"{k} {v:.2f} s" for k, v in runs[-1].items()), flush=True)
                browser.close()
        finally:
            server.stop()
    print(f"\nserved from {settings.pwa_dist}; {args.runs} runs, 50 kbit/s down/up, 500 ms latency, 360x640\n")
    print("| from navigation start | median | min | max |\n|---|---|---|---|")
    labels = {"tel": "`tel:113` visible", "fcp": "first contentful paint",
              "lite_send": "script-less form's send button in the page",
              "app_send": "the app's send button usable"}
    for key, label in labels.items():
        values = [r[key] for r in runs if r[key] == r[key]]
        if values:
            print(f"| {label} | {statistics.median(values):.2f} s | {min(values):.2f} s | {max(values):.2f} s |")
    print("\n| bytes of `/` | |\n|---|---|")
    for key, value in sizes.items():
        print(f"| {key} | {value:,} |")
    return 0


def run(quick: bool = False, only: list[str] | None = None) -> list:
    """The `python -m bench lite` entry: prints its own tables (no Sections to collect)."""
    main(["--runs", "1"] if quick else [])
    return []


if __name__ == "__main__":
    raise SystemExit(main())
