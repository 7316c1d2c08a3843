"""A real headless Chromium for browser tests: PyPI `playwright` driving Debian's `chromium`.

Never `playwright install`: the browser is the system package (`apt-get install chromium`).
Register the fixtures with `pytest_plugins = ["tests.browser"]` in tests/conftest.py (a test module
may name it too, but must then not import this module itself: pytest could no longer rewrite its
asserts and says so in a warning, which `-W error` turns into a failure). Then:

    @pytest.mark.browser
    def test_report(live_server, new_context, watch_console):
        page = new_context().new_page()               # a fresh, throwaway profile
        errors = watch_console(page)
        page.goto(live_server.url + "/")
        ...
        assert errors == []

    profile = tmp_path / "profile"
    context = new_context(user_data_dir=profile)     # persistent: close it, and open the same
    context.close()                                  # profile again to test what survives a
    context = new_context(user_data_dir=profile)     # browser restart (IndexedDB, the SW, ...)

The Playwright sync API keeps an asyncio loop marked as running in the main thread for as long
as it is started, and `asyncio.run()` then refuses to work. So Playwright lives for one test
module at a time (module scope), not for the whole session: tests elsewhere stay unaffected.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

CHROMIUM = Path(os.environ.get("SOS_CHROMIUM", "/usr/lib/chromium/chromium"))
# Quiet, deterministic, and runnable as root in a container: no sandbox, GPU, QUIC (a flaky
# transport to 127.0.0.1 is not what we test), sign-in, component or background downloads.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Every wait is on an event, bounded by this: a hang fails in seconds, not at the CI deadline.
TIMEOUT_MS = 10_000

NewContext = Callable[..., BrowserContext]


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    if not CHROMIUM.is_file():
        pytest.fail(f"no Chromium at {CHROMIUM}: apt-get install chromium (or set SOS_CHROMIUM)")
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(
        executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
    )
    yield browser
    browser.close()


@pytest.fixture
def new_context(playwright: Playwright, browser: Browser) -> Iterator[NewContext]:
    """Make browser contexts that are closed after the test.

    `new_context(**options)` is an ordinary incognito-like context of the shared browser;
    `new_context(user_data_dir=path, **options)` launches a persistent profile in `path`.
    Options are Playwright's (`viewport`, `locale`, `geolocation`, `permissions`, ...).
    """
    made: list[BrowserContext] = []

    def make(*, user_data_dir: Path | None = None, **options: Any) -> BrowserContext:
        if user_data_dir is None:
            context = browser.new_context(**options)
        else:
            context = playwright.chromium.launch_persistent_context(
                str(user_data_dir),
                executable_path=str(CHROMIUM),
                args=CHROMIUM_ARGS,
                headless=True,
                **options,
            )
        context.set_default_timeout(TIMEOUT_MS)
        context.set_default_navigation_timeout(TIMEOUT_MS)
        made.append(context)
        return context

    yield make
    for context in reversed(made):
        context.close()  # a no-op for one the test closed itself


@pytest.fixture
def watch_console() -> Callable[[Page], list[str]]:
    """`watch_console(page)` starts collecting that page's errors into the list it returns."""
    return console_errors


def console_errors(page: Page) -> list[str]:
    """Start collecting the page's uncaught exceptions and console errors (CSP violations land
    here). Chromium's own network lines are left out ("Failed to load resource", and "WebSocket
    connection to ... failed" when a live connection is attempted with no network): a 401 or an
    offline request is often exactly what a test provokes, and the app reports those on screen."""
    errors: list[str] = []

    def on_console(message: Any) -> None:
        text = message.text
        network = text.startswith("Failed to load resource") or (
            text.startswith("WebSocket connection to ") and " failed: " in text
        )
        if message.type == "error" and not network:
            errors.append(text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: errors.append(f"uncaught: {error}"))
    return errors
