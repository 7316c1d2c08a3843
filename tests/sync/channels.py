"""An in-memory `Channel` for testing rooms and connections without a server."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from pycrdt import Doc

from sync import protocol
from sync.room import ChannelClosed


class FakeChannel:
    """Records what the server sends; `feed()` plays the client; `gate` makes it a slow reader."""

    def __init__(self) -> None:
        self.sent: list[bytes] = []
        self.closed: tuple[int, str] | None = None
        self.gate: asyncio.Event | None = None
        self._inbox: asyncio.Queue[bytes | None] = asyncio.Queue()
        self._changed = asyncio.Event()

    # -- the Channel protocol (server side) --
    async def send(self, message: bytes) -> None:
        if self.gate is not None:
            await self.gate.wait()
        self.sent.append(message)
        self._changed.set()

    async def recv(self) -> bytes:
        item = await self._inbox.get()
        if item is None:
            raise ChannelClosed()
        return item

    async def close(self, code: int, reason: str) -> None:
        self.closed = (code, reason)
        self._inbox.put_nowait(None)
        self._changed.set()

    # -- the client side --
    def feed(self, data: bytes) -> None:
        self._inbox.put_nowait(data)

    def hang_up(self) -> None:
        self._inbox.put_nowait(None)

    def messages(self) -> list[protocol.Message]:
        return [m for data in self.sent for m in protocol.decode_messages(data)]

    def updates(self) -> list[bytes]:
        return [
            m.update
            for m in self.messages()
            if isinstance(m, protocol.SyncUpdate | protocol.SyncStep2)
        ]

    def denials(self) -> list[str]:
        return [m.reason for m in self.messages() if isinstance(m, protocol.AuthDenied)]

    def replay(self) -> Doc:
        """The document as this client would see it from everything it received."""
        doc: Doc = Doc()
        for update in self.updates():
            doc.apply_update(update)
        return doc

    async def wait_for(self, predicate: Callable[[FakeChannel], bool], within: float = 5) -> None:
        async with asyncio.timeout(within):
            while not predicate(self):
                self._changed.clear()
                await self._changed.wait()
