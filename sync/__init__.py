"""A generic CRDT sync engine: y-protocols over WebSocket and HTTP, a durable document store in
the app's database (SQLite or PostgreSQL), access control, validation on a shadow copy,
transactional hooks, and peers: other processes on the same database, told of every commit.
It knows documents, principals, permissions and hooks; the app registers its document kinds.
See docs/sync.md.

This package never imports `app`.
"""

from .documents import Database
from .engine import Applied, SyncEngine
from .kinds import DocKind, Refused
from .protocol import ProtocolError
from .room import Channel, ChannelClosed, Room, Subscriber

__all__ = [
    "Applied",
    "Channel",
    "ChannelClosed",
    "Database",
    "DocKind",
    "ProtocolError",
    "Refused",
    "Room",
    "Subscriber",
    "SyncEngine",
]
