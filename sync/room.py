"""Rooms: the live readers of one document, fan-out to them, and the awareness they share.

The room knows connections only through the `Channel` protocol, so it runs and is tested without
a web server. A message to an idle subscriber is sent at once, in the broadcast's own step, when
its channel can take it without waiting (the usual case: a socket with room in its buffer); only
a subscriber whose send has to wait gets a task, which then drains its bounded queue. So a slow
reader delays nobody else, one that falls too far behind is dropped and closed (its client
reconnects and catches up with sync step 1 / step 2, so nothing is lost), and a broadcast to
1,000 readers costs 1,000 writes, not 1,000 tasks.

    room = Room("note/1")
    sub = Subscriber(channel, principal)
    room.join(sub)
    room.broadcast(protocol.sync_update(update), exclude=writer)
    room.leave(sub)          # and tells the others its awareness states are gone
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable, Coroutine
from typing import Any, Protocol

from . import protocol
from .protocol import AwarenessEntry

log = logging.getLogger(__name__)

CLOSE_GOING_AWAY = 1001
CLOSE_TRY_AGAIN_LATER = 1013  # transient: stock y-websocket clients reconnect and resync


class Shared(bytes):
    """A message the room sends to many channels. A channel that must encode what it sends (a
    WebSocket frame, sync.preframed) encodes it once here, for all of them: `encoded` keeps the
    result on the message, which lives as long as some subscriber still has it queued.

        frame = message.encoded(binary_frame) if isinstance(message, Shared) else ...
    """

    _encodings: dict[Callable[[bytes], bytes], bytes]

    def encoded(self, encode: Callable[[bytes], bytes]) -> bytes:
        try:
            cache = self._encodings
        except AttributeError:
            cache = self._encodings = {}
        result = cache.get(encode)
        if result is None:
            result = cache[encode] = encode(self)
        return result


class ChannelClosed(Exception):
    """The other end went away; raised by `Channel.recv`."""


class Channel(Protocol):
    """A message transport: one binary message per call, like a WebSocket."""

    async def send(self, message: bytes) -> None: ...

    async def recv(self) -> bytes: ...

    async def close(self, code: int, reason: str) -> None: ...


def start_eagerly(coro: Coroutine[Any, Any, None]) -> Coroutine[Any, Any, None] | None:
    """Run `coro` up to its first suspension, now, in the caller's step.

    None if it finished without suspending (its exception, if any, is raised here); otherwise a
    coroutine that finishes it, for the caller to await or wrap in a task. What Python 3.12's
    `asyncio.eager_task_factory` does for tasks, for one call on 3.11: an ASGI server's send
    only suspends when the transport is paused, so most sends never need a task.
    """
    try:
        waiting_on = coro.send(None)
    except StopIteration:
        return None
    return _resume(coro, waiting_on)


async def _resume(coro: Coroutine[Any, Any, None], waiting_on: Any) -> None:
    while True:
        try:
            # A coroutine suspended by asyncio yields the future it waits for, or None (sleep(0)).
            if waiting_on is None:
                await asyncio.sleep(0)
            else:
                # The future comes flagged "blocking", as a Future yields itself to its Task; a
                # Task clears the flag before waiting on it, and so must we: awaiting a future
                # still flagged raises "await wasn't used with future" (a slow reader, whose
                # send has to wait, was dropped by that until issue 28).
                waiting_on._asyncio_future_blocking = False
                await waiting_on
        except BaseException as exc:  # the future failed, or this task was cancelled
            try:
                waiting_on = coro.throw(exc)
            except StopIteration:
                return
            continue
        try:
            waiting_on = coro.send(None)
        except StopIteration:
            return


class _Close:
    __slots__ = ("code", "reason")

    def __init__(self, code: int, reason: str) -> None:
        self.code = code
        self.reason = reason


class Subscriber:
    """The sending side of one connection: a bounded queue, drained in order.

    sub = Subscriber(channel, principal, max_queued=256)
    sub.send(message)      # never blocks; False if the subscriber is gone
    sub.close(4403, "forbidden")   # after what is already queued
    await sub.wait_closed()
    """

    __slots__ = (
        "channel",
        "principal",
        "max_queued",
        "max_queued_bytes",
        "awareness_clients",
        "_queue",
        "_queued_bytes",
        "_task",
        "_closing",
        "_done",
        "_closed",
    )

    def __init__(
        self,
        channel: Channel,
        principal: Any = None,
        max_queued: int = 512,
        max_queued_bytes: int = 8 * 1024 * 1024,
    ) -> None:
        self.channel = channel
        self.principal = principal
        self.max_queued = max_queued
        self.max_queued_bytes = max_queued_bytes
        self.awareness_clients: set[int] = set()
        # Made when first needed and dropped once drained: an idle reader holds no queue, no
        # task and no event (issue 28: 10,000 idle readers).
        self._queue: deque[bytes | _Close] | None = None
        self._queued_bytes = 0
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self._done = False
        self._closed: asyncio.Event | None = None

    @property
    def open(self) -> bool:
        return not self._closing

    def send(self, message: bytes) -> bool:
        if self._closing:
            return False
        queued = len(self._queue) if self._queue else 0
        if queued >= self.max_queued or self._queued_bytes >= self.max_queued_bytes:
            log.info("dropping a subscriber %d messages behind", queued)
            self._queue = None
            self._queued_bytes = 0
            self.close(CLOSE_TRY_AGAIN_LATER, "too far behind; reconnect")
            return False
        if self._task is None and not self._queue:
            # Idle: send now; a task only if the channel has to wait (see the module's docstring).
            # A channel that can write without a coroutine says so (`try_send`, sync.asgi).
            try_send = getattr(self.channel, "try_send", None)
            try:
                if try_send is not None and try_send(message):
                    return True
                pending = start_eagerly(self.channel.send(message))
            except Exception as exc:
                self._failed(exc)
                return False
            if pending is not None:
                self._task = asyncio.get_running_loop().create_task(self._drain(pending))
            return True
        self._enqueue(message)
        self._queued_bytes += len(message)
        self._kick()
        return True

    def close(self, code: int, reason: str) -> None:
        """Close after the messages already queued (a denial must reach the client first)."""
        if self._closing:
            return
        self._closing = True
        self._enqueue(_Close(code, reason))
        self._kick()

    def refuse(self, reason: str, code: int, code_name: str) -> None:
        """Drop what is still queued, send the permission-denied message, then close."""
        if self._closing:
            return
        self._queue = None
        self._queued_bytes = 0
        self.send(protocol.permission_denied(reason))
        self.close(code, code_name)

    async def wait_closed(self) -> None:
        if self._done:
            return
        if self._closed is None:
            self._closed = asyncio.Event()
        await self._closed.wait()

    def _enqueue(self, item: bytes | _Close) -> None:
        if self._queue is None:
            self._queue = deque()
        self._queue.append(item)

    def _set_closed(self) -> None:
        self._done = True
        if self._closed is not None:
            self._closed.set()

    def _kick(self) -> None:
        # One drain task at a time, and none while idle: 10,000 quiet readers cost no tasks.
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._drain())

    def _failed(self, exc: Exception) -> None:
        # The peer is gone or broken: nothing left to tell it.
        log.debug("subscriber channel failed: %r", exc)
        self._closing = True
        self._queue = None
        self._queued_bytes = 0
        self._set_closed()

    async def _drain(self, in_flight: Coroutine[Any, Any, None] | None = None) -> None:
        try:
            if in_flight is not None:
                await in_flight
            while self._queue:
                item = self._queue.popleft()
                if isinstance(item, _Close):
                    self._queue = None
                    await self.channel.close(item.code, item.reason[:120])
                    self._set_closed()
                    return
                self._queued_bytes -= len(item)
                await self.channel.send(item)
        except Exception as exc:
            self._failed(exc)
        finally:
            self._task = None
            if not self._queue:
                self._queue = None  # drained: idle again


class Room:
    """The subscribers of one document and their awareness (presence) states.

    room = Room("inbox/center", relay_awareness=False)
    """

    def __init__(
        self, name: str, relay_awareness: bool = True, max_clients_per_subscriber: int = 8
    ) -> None:
        self.name = name
        self.relay_awareness = relay_awareness
        self.max_clients_per_subscriber = max_clients_per_subscriber
        self.subscribers: set[Subscriber] = set()
        # Awareness client id -> (entry, owner). Kept so that a newcomer sees who is present.
        self._states: dict[int, tuple[AwarenessEntry, Subscriber]] = {}

    def __len__(self) -> int:
        return len(self.subscribers)

    def join(self, sub: Subscriber) -> None:
        self.subscribers.add(sub)

    def leave(self, sub: Subscriber) -> None:
        self.subscribers.discard(sub)
        gone = []
        for client in sub.awareness_clients:
            held = self._states.pop(client, None)
            if held is not None and held[1] is sub:
                # What a y-websocket server does on close: tell the others this state is gone.
                gone.append(AwarenessEntry(client, held[0].clock + 1, "null"))
        sub.awareness_clients.clear()
        if gone and self.relay_awareness:
            self.broadcast(protocol.awareness(protocol.encode_awareness(gone)))

    def broadcast(self, message: bytes, exclude: Subscriber | None = None) -> int:
        """Queue `message` for every subscriber but `exclude`; returns how many got it."""
        if not isinstance(message, Shared):
            message = Shared(message)  # encoded once for all of them (see `Shared`)
        sent = 0
        for sub in list(self.subscribers):
            if sub is exclude:
                continue
            if sub.send(message):
                sent += 1
            else:
                self.leave(sub)
        return sent

    def awareness_snapshot(self) -> bytes | None:
        """An awareness message with every known state, for a newcomer; None if there is none."""
        if not self._states or not self.relay_awareness:
            return None
        entries = [entry for entry, _ in self._states.values()]
        return protocol.awareness(protocol.encode_awareness(entries))

    def awareness_update(self, sub: Subscriber, update: bytes) -> None:
        """Apply and relay an awareness update from `sub` (raises ProtocolError if malformed).

        A client id first announced by one subscriber belongs to it: others cannot overwrite or
        clear its state.
        """
        entries = protocol.decode_awareness(update)
        if not self.relay_awareness:
            # Only the echo (see below); nothing is kept, since nobody else will be told.
            if entries and not sub.send(protocol.awareness(update)):
                self.leave(sub)
            return
        accepted = []
        for entry in entries:
            held = self._states.get(entry.client)
            if held is not None and held[1] is not sub:
                continue
            claims_new = held is None and entry.client not in sub.awareness_clients
            if claims_new and len(sub.awareness_clients) >= self.max_clients_per_subscriber:
                continue
            if entry.state == "null":
                self._states.pop(entry.client, None)
                sub.awareness_clients.discard(entry.client)
            else:
                self._states[entry.client] = (entry, sub)
                sub.awareness_clients.add(entry.client)
            accepted.append(entry)
        if not accepted:
            return
        # Echoed to the sender too, as y-websocket servers do: a lone stock client relies on
        # seeing traffic every 30 s, and its own awareness renewal is that traffic.
        self.broadcast(protocol.awareness(protocol.encode_awareness(accepted)))

    def close_all(self, code: int = CLOSE_GOING_AWAY, reason: str = "server shutting down") -> None:
        for sub in list(self.subscribers):
            sub.close(code, reason)
