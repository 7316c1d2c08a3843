"""Reports received by this process, by channel: a plain count that /metrics reads when scraped
(app/web/metrics.py). Counted once the report's first write has committed, so a refused or
rolled-back report is not counted, and a double tap (the same report again) is not either.

The channel is `app` for the citizen app's own sync, else the intake's channel kind (`phone`,
`partner`, `web-lite`: app/incidents/intake.py), which `through(channel)` names for the write.
"""

from __future__ import annotations

import collections
import contextlib
import contextvars
from collections.abc import Iterator

RECEIVED: collections.Counter[str] = collections.Counter()

_channel: contextvars.ContextVar[str] = contextvars.ContextVar("report_channel", default="app")


@contextlib.contextmanager
def through(channel: str) -> Iterator[None]:
    """Reports created inside (this task and those it starts) arrived by `channel`."""
    token = _channel.set(channel)
    try:
        yield
    finally:
        _channel.reset(token)


def count() -> None:
    RECEIVED[_channel.get()] += 1
