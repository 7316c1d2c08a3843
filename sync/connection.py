"""One live connection speaking the y-websocket protocol, over any `Channel`.

    await serve(engine, channel, principal, "note/1")   # returns when the connection ends

On connect: a reader that may not read gets the permission-denied auth message and a close with
code 4000 + status (4401, 4403, 4404: stock y-websocket clients stop reconnecting on 4400-4499).
Otherwise the server sends its sync step 1 and the room's awareness, answers the client's step 1
with a step 2, and checks each update the client sends. A refused update ends the connection the
same way, with the reason; the client must resync. One protocol message per frame goes out, as
y-websocket clients read one message per frame.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

from . import protocol
from .documents import LoadedDoc
from .engine import SyncEngine
from .kinds import Refused
from .protocol import ProtocolError
from .room import Channel, ChannelClosed, Subscriber

log = logging.getLogger(__name__)

CLOSE_WAIT_S = 10.0


def close_code(refused: Refused) -> int:
    return 4000 + refused.status if 400 <= refused.status < 500 else 1011


async def deny(channel: Channel, refused: Refused) -> None:
    """Refuse before joining: the auth message, then the close."""
    try:
        await channel.send(protocol.permission_denied(refused.reason))
        await channel.close(close_code(refused), refused.code)
    except Exception as exc:  # the peer may be gone already
        log.debug("could not deliver a denial: %r", exc)


async def serve(
    engine: SyncEngine,
    channel: Channel,
    principal: Any,
    name: str,
    max_message_bytes: int = 1024 * 1024,
    max_queued: int = 512,
) -> None:
    """Run one connection to document `name` until either side closes it."""
    checked_at = time.monotonic()
    try:
        await engine.authorize_read(principal, name)  # before loading anything for a stranger
    except Refused as refused:
        await deny(channel, refused)
        return
    sub = Subscriber(channel, principal, max_queued=max_queued)
    async with engine.subscribe(name, sub) as loaded:
        if loaded.born_since(checked_at):
            # Created by someone else between the check and joining: access may have changed
            # and the creation's own re-check did not see us yet. From here on it would.
            try:
                await engine.authorize_read(principal, name)
            except Refused as refused:
                sub.refuse(refused.reason, close_code(refused), refused.code)
        sub.send(protocol.sync_step1(loaded.doc.get_state()))  # no-op once refused
        snapshot = loaded.room.awareness_snapshot()
        if snapshot is not None:
            sub.send(snapshot)
        while sub.open:
            try:
                data = await channel.recv()
                if not sub.open:  # evicted or dropped while we waited: ignore what came in
                    break
                if len(data) > max_message_bytes:
                    raise Refused(
                        413, "too_large", f"Messages are limited to {max_message_bytes} bytes."
                    )
                await _handle(engine, sub, loaded, data)
            except ChannelClosed:
                break
            except Refused as refused:
                log.info("refused on %s: %r", name, refused)
                sub.refuse(refused.reason, close_code(refused), refused.code)
            except Exception:
                # Nothing was acknowledged; 1011 is transient, so the client reconnects and
                # resends. The room and its other readers are unaffected.
                log.exception("sync connection to %s failed", name)
                sub.close(1011, "server error")
    # Leave the room first (above), then let the denial go out; a peer that never reads it
    # is given up on (the transport's own keepalive ends such a connection).
    if not sub.open:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(sub.wait_closed(), CLOSE_WAIT_S)


async def _handle(engine: SyncEngine, sub: Subscriber, loaded: LoadedDoc, data: bytes) -> None:
    try:
        messages = protocol.decode_messages(data)
    except ProtocolError as exc:
        raise Refused(400, "malformed", f"Malformed message: {exc}") from exc
    limit = loaded.kind.max_awareness_bytes
    for message in messages:
        if isinstance(message, protocol.SyncStep1):
            step2 = await engine.state_as_update(loaded.name, message.state_vector)
            sub.send(protocol.sync_step2(step2))
        elif isinstance(message, protocol.SyncStep2 | protocol.SyncUpdate):
            await engine.apply_update(sub.principal, loaded.name, message.update, origin=sub)
        elif isinstance(message, protocol.Awareness):
            if len(message.update) > limit:
                raise Refused(413, "too_large", f"Awareness is limited to {limit} bytes.")
            try:
                loaded.room.awareness_update(sub, message.update)
            except ProtocolError as exc:
                raise Refused(400, "malformed", f"Malformed awareness: {exc}") from exc
        elif isinstance(message, protocol.QueryAwareness):
            snapshot = loaded.room.awareness_snapshot()
            if snapshot is not None:
                sub.send(snapshot)
        # Auth messages from a client mean nothing to the server.
