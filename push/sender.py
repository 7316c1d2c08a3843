"""One HTTP request to a push service: encrypt (aes128gcm, RFC 8291), sign (VAPID), POST, classify.

    sender = Sender(keys, subject="mailto:ops@police.gov.vn", timeout_s=10)
    result = await sender.send(subscription, b'{"title": "..."}', ttl_s=3600, urgency="high", topic="abc")
    result.outcome   # delivered, retry, gone, failed
    await sender.aclose()

Requests run on the event loop through one pooled aiohttp session, so any number of them are in
flight at once and a slow push service holds up nobody but its own subscribers.
"""

from __future__ import annotations

import asyncio
import email.utils
import time
from collections.abc import AsyncGenerator
from dataclasses import dataclass

import aiohttp
import http_ece
from cryptography.hazmat.primitives.asymmetric import ec

from .subscriptions import Subscription
from .vapid import VapidKeys, b64url_decode

# The longest wait a push service may ask for before we try again (Retry-After); past that the
# message is usually stale anyway, and its TTL decides.
MAX_RETRY_AFTER_S = 3600.0


@dataclass(frozen=True)
class Result:
    outcome: str  # delivered, retry, gone, failed
    status: int | None  # the HTTP status; None when no answer came
    retry_after_s: float | None
    duration_ms: float
    detail: str


class Sender:
    def __init__(self, keys: VapidKeys, subject: str, timeout_s: float = 10.0) -> None:
        self.keys = keys
        self.subject = subject
        self.timeout = aiohttp.ClientTimeout(total=timeout_s, connect=min(5.0, timeout_s))
        self._session: aiohttp.ClientSession | None = None
        self._owner: AsyncGenerator[aiohttp.ClientSession, None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def _session_for_loop(self) -> aiohttp.ClientSession:
        # A session belongs to the loop it was made on; the sender may outlive a loop (tests,
        # the CLI), so it is made on first use and remade if that loop is gone.
        loop = asyncio.get_running_loop()
        if self._session is None or self._session.closed or self._loop is not loop:
            self._owner = _own_session()
            self._session = await anext(self._owner)
            self._loop = loop
        return self._session

    async def aclose(self) -> None:
        owner, self._owner, self._session = self._owner, None, None
        if owner is not None:
            await owner.aclose()

    async def send(
        self, sub: Subscription, payload: bytes, ttl_s: int, urgency: str, topic: str | None
    ) -> Result:
        # aes128gcm (RFC 8291) with a fresh ECDH key pair per message, as pywebpush's WebPusher
        # does, without its per-message copies and header dictionaries (a third of the sending
        # CPU in `python -m bench warnings`).
        try:
            body = encrypt(sub, payload)
        except ValueError as exc:  # a p256dh that is not a curve point: sending again will not help
            return Result("failed", None, None, 0.0, f"cannot encrypt: {exc}"[:300])
        headers = {
            "Authorization": self.keys.authorization(sub.endpoint, self.subject),
            "Content-Encoding": "aes128gcm",
            "TTL": str(max(1, int(ttl_s))),
            "Urgency": urgency,
        }
        if topic:
            headers["Topic"] = topic
        started = time.perf_counter()
        try:
            session = await self._session_for_loop()
            async with session.post(sub.endpoint, data=body, headers=headers, timeout=self.timeout) as response:
                status = response.status
                retry_after = parse_retry_after(response.headers.get("Retry-After"))
                detail = (await response.text())[:300]
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            return Result("retry", None, None, _ms(started), f"no answer: {exc!r}"[:300])
        return Result(classify(status), status, retry_after, _ms(started), detail)


def encrypt(sub: Subscription, payload: bytes) -> bytes:
    receiver = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b64url_decode(sub.p256dh))
    return bytes(http_ece.encrypt(
        payload, private_key=ec.generate_private_key(ec.SECP256R1()), dh=receiver,
        auth_secret=b64url_decode(sub.auth), version="aes128gcm",
    ))


async def _own_session() -> AsyncGenerator[aiohttp.ClientSession, None]:
    """The pooled session, owned by an async generator: the event loop finalizes live async
    generators when it shuts down (`asyncio.run` calls `shutdown_asyncgens`), so the session is
    closed even in a process that never calls `aclose()` (the `sos worker` command)."""
    session = aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=0, limit_per_host=64),
        headers={"User-Agent": "sos-antt-push"},
    )
    try:
        yield session
    finally:
        await session.close()


def classify(status: int) -> str:
    if 200 <= status < 300:
        return "delivered"
    if status in (404, 410):  # the browser unsubscribed or the subscription expired
        return "gone"
    if status == 429 or status >= 500:
        return "retry"
    # 400 (malformed), 401/403 (VAPID refused), 413 (too large): sending again will not help.
    return "failed"


def parse_retry_after(value: str | None) -> float | None:
    """Retry-After as seconds from now: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():  # '²' is a digit to isdigit(), not to float()
        return min(float(value), MAX_RETRY_AFTER_S)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return min(max(0.0, when.timestamp() - time.time()), MAX_RETRY_AFTER_S)


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000
