"""Checks of a real server's state from a test: poll a cheap condition, read rows, read a document.

The server's outbox runs after COMMIT, in the background: tests poll what they can observe here
with a deadline; browser-side waits use Playwright's own events instead.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import httpx
from pycrdt import Map

from .conftest import PASSWORD, LiveServer


def wait_for(predicate: Callable[[], Any], timeout: float = 10.0, what: str = "condition") -> Any:
    """Poll `predicate` until it returns something true; AssertionError after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def rows(server: LiveServer, sql: str, *args: Any) -> list[dict[str, Any]]:
    return server.svc.db.read_sync(lambda c: [dict(r) for r in c.execute(sql, args)])


def doc_json(server: LiveServer, name: str, root: str) -> dict[str, Any]:
    """The plain data of one root of a document as the server holds it ({} if never written)."""
    future = asyncio.run_coroutine_threadsafe(server.svc.sync.read_doc(name), server.loop)
    doc = future.result(10)
    return {} if doc is None else (doc.get(root, type=Map).to_py() or {})


def bearer_for(server: LiveServer, username: str, role: str, unit: str | None = None) -> dict[str, str]:
    """A new account of `role` (in `unit`), signed in over HTTP: its Authorization header."""
    server.svc.accounts.create_sync(username, PASSWORD, role, unit)
    r = httpx.post(f"{server.url}/api/auth/login", json={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}
