"""How uvicorn serves the app (issue 25's outside probe): no secret in its logs, and no connection
kept open by a client that never finishes its request line and headers.

- Logs: a WebSocket may carry its token as `?token=` (DESIGN.md: browsers cannot set headers on
  one), and uvicorn writes every URL with its query string: to its access log for HTTP, to
  `uvicorn.error` for WebSockets ("WebSocket /sync/...?token=..." [accepted]). `RedactSecrets`
  replaces the value of every credential-like query parameter in those records before any
  handler formats them; `create_app` installs it, so every launcher (`sos serve`, a bare
  `uvicorn`, the tests' servers) gets it.
- Slow headers (slowloris): uvicorn's `timeout_keep_alive` only runs between requests, and a
  byte of a request cancels it; it has no limit on the time a request's headers take. The
  protocol `with_header_deadline` makes gives each connection `seconds` from the moment it waits
  for a request (opened, or its last answer sent) to the end of that request's headers, then
  closes it. Once the headers are in, nothing is timed here (uploads and event streams run
  as long as they need).
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any

# Query parameters that carry a credential: a token (WebSockets), a partner's api_key (Open311).
_SECRET_PARAM = re.compile(
    r"(?:^|(?<=[?&;]))(?P<name>(?:access_)?token|api_?key|key|secret|password|auth|signature|sig)="
    r"[^&;\s\"']*",
    re.IGNORECASE,
)
REDACTED = "[redacted]"
_LOGGERS = ("uvicorn.access", "uvicorn.error", "uvicorn")


def redact(text: str) -> str:
    """`text` with the value of every credential-like query parameter replaced."""
    if "=" not in text:
        return text
    return _SECRET_PARAM.sub(lambda m: f"{m['name']}={REDACTED}", text)


class RedactSecrets(logging.Filter):
    """Rewrites a record's message and its string arguments (uvicorn's access formatter reads the
    arguments one by one, so they are changed in place rather than the message formatted here)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: redact(v) if isinstance(v, str) else v for k, v in record.args.items()}
        return True


def install_log_redaction() -> None:
    """Idempotent: on uvicorn's loggers (the records are made there; filters of a logger do not
    run for records of its children, hence each one), and on the root logger's handlers (`sos
    serve`'s basicConfig) for anything that reaches them."""
    targets: list[Any] = [logging.getLogger(name) for name in _LOGGERS]
    targets += logging.getLogger().handlers
    for target in targets:
        if not any(isinstance(f, RedactSecrets) for f in target.filters):
            target.addFilter(RedactSecrets())


# -- a deadline on request headers ----------------------------------------------------------------
class _HeaderDeadline:
    """Mixed into uvicorn's httptools or h11 protocol. The deadline is armed when the connection
    opens and whenever uvicorn arms its keep-alive timer (an answer sent, nothing pipelined), and
    disarmed when a request's headers are complete."""

    header_timeout_s: float = 10.0
    _deadline: asyncio.TimerHandle | None = None
    transport: asyncio.Transport
    loop: asyncio.AbstractEventLoop
    timeout_keep_alive_task: asyncio.TimerHandle | None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)  # type: ignore[misc]
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)  # type: ignore[misc]

    def on_response_complete(self) -> None:
        super().on_response_complete()  # type: ignore[misc]
        if self.timeout_keep_alive_task is not None:  # idle now: the next request is timed
            self._arm()

    def _arm(self) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(self.header_timeout_s, self._expired)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _expired(self) -> None:
        self._deadline = None
        if not self.transport.is_closing():
            self.transport.close()


def _httptools_base() -> type[asyncio.Protocol] | None:
    try:
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
    except ImportError:  # httptools is optional for uvicorn: h11 then, as uvicorn's "auto"
        return None
    return HttpToolsProtocol


def with_header_deadline(seconds: float, implementation: str = "auto") -> type[asyncio.Protocol]:
    """uvicorn's HTTP protocol ("auto": httptools when installed, else h11; or "h11"), with a
    deadline of `seconds` on each request's headers. Pass it as uvicorn's `http`."""
    base = _httptools_base() if implementation == "auto" else None
    if base is not None:

        class HttpTools(_HeaderDeadline, base):  # type: ignore[valid-type, misc]
            header_timeout_s = seconds

            def on_headers_complete(self) -> None:
                self._disarm()
                super().on_headers_complete()

        return HttpTools

    import h11
    from uvicorn.protocols.http.h11_impl import H11Protocol

    class H11(_HeaderDeadline, H11Protocol):
        header_timeout_s = seconds

        def handle_events(self) -> None:
            super().handle_events()
            # h11 leaves IDLE once a request's head is parsed (or the protocol switched).
            if self._deadline is not None and self.conn.their_state is not h11.IDLE:
                self._disarm()

    return H11
