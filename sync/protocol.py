"""The y-protocols wire format: lib0 integers and strings, and the y-websocket messages built on them.

A buffer holds one or several concatenated messages. Every decoding failure — truncation, an
unknown type, an integer past 2**53, invalid UTF-8, trailing garbage inside a nested field — raises
`ProtocolError` and nothing else, so callers can map "malformed" to a 4xx with one `except`.

    >>> data = sync_step1(b"\\x00") + sync_update(b"\\x00\\x00")
    >>> [type(m).__name__ for m in decode_messages(data)]
    ['SyncStep1', 'SyncUpdate']
"""

from __future__ import annotations

import json
from dataclasses import dataclass

MSG_SYNC = 0
MSG_AWARENESS = 1
MSG_AUTH = 2
MSG_QUERY_AWARENESS = 3

SYNC_STEP1 = 0
SYNC_STEP2 = 1
SYNC_UPDATE = 2

AUTH_PERMISSION_DENIED = 0

# lib0 refuses integers past Number.MAX_SAFE_INTEGER; so do we, which also keeps every client id
# and clock inside SQLite's signed 64-bit INTEGER.
MAX_SAFE_INTEGER = 2**53 - 1
_MAX_VARUINT_BYTES = 8  # 8 * 7 = 56 bits: enough for 2**53, and a bound on overlong encodings

EMPTY_UPDATE = b"\x00\x00"  # no structs, empty delete set
EMPTY_STATE_VECTOR = b"\x00"


class ProtocolError(ValueError):
    """The bytes are not a well-formed y-protocols message (or lib0 value)."""


# -- messages ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SyncStep1:
    state_vector: bytes


@dataclass(frozen=True)
class SyncStep2:
    update: bytes


@dataclass(frozen=True)
class SyncUpdate:
    update: bytes


@dataclass(frozen=True)
class Awareness:
    update: bytes


@dataclass(frozen=True)
class AuthDenied:
    reason: str


@dataclass(frozen=True)
class AuthOther:
    """An auth message of a kind we do not know; kept so that decoding stays total."""

    kind: int


@dataclass(frozen=True)
class QueryAwareness:
    pass


Message = SyncStep1 | SyncStep2 | SyncUpdate | Awareness | AuthDenied | AuthOther | QueryAwareness


# -- lib0 primitives -----------------------------------------------------------------------------
def encode_varuint(num: int) -> bytes:
    if num < 0 or num > MAX_SAFE_INTEGER:
        raise ValueError(f"varuint out of range: {num}")
    out = bytearray()
    while num > 0x7F:
        out.append(0x80 | (num & 0x7F))
        num >>= 7
    out.append(num)
    return bytes(out)


def encode_varuint8array(data: bytes) -> bytes:
    return encode_varuint(len(data)) + data


def encode_varstring(text: str) -> bytes:
    return encode_varuint8array(text.encode("utf-8"))


class Decoder:
    """A bounds-checked cursor over a buffer."""

    __slots__ = ("data", "pos")

    def __init__(self, data: bytes) -> None:
        self.data = bytes(data)
        self.pos = 0

    @property
    def done(self) -> bool:
        return self.pos >= len(self.data)

    def varuint(self) -> int:
        pos = self.pos
        if pos < len(self.data) and self.data[pos] < 0x80:  # one byte: most clocks and counts
            self.pos = pos + 1
            return self.data[pos]
        num = 0
        shift = 0
        for _ in range(_MAX_VARUINT_BYTES):
            if self.pos >= len(self.data):
                raise ProtocolError("unexpected end of data in an integer")
            byte = self.data[self.pos]
            self.pos += 1
            num |= (byte & 0x7F) << shift
            if num > MAX_SAFE_INTEGER:
                raise ProtocolError("integer out of range")
            if byte < 0x80:
                return num
            shift += 7
        raise ProtocolError("integer encoding too long")

    def raw(self, length: int) -> bytes:
        end = self.pos + length
        if end > len(self.data):
            raise ProtocolError(f"length {length} runs past the end of the data")
        chunk = self.data[self.pos : end]
        self.pos = end
        return chunk

    def byte(self) -> int:
        if self.pos >= len(self.data):
            raise ProtocolError("unexpected end of data")
        self.pos += 1
        return self.data[self.pos - 1]

    def varuint8array(self) -> bytes:
        return self.raw(self.varuint())

    def varstring(self) -> str:
        try:
            return self.varuint8array().decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ProtocolError("string is not valid UTF-8") from exc

    def finish(self) -> None:
        if not self.done:
            raise ProtocolError(f"{len(self.data) - self.pos} unexpected trailing bytes")


# -- y-protocols messages ------------------------------------------------------------------------
def sync_step1(state_vector: bytes) -> bytes:
    return bytes([MSG_SYNC, SYNC_STEP1]) + encode_varuint8array(state_vector)


def sync_step2(update: bytes) -> bytes:
    return bytes([MSG_SYNC, SYNC_STEP2]) + encode_varuint8array(update)


def sync_update(update: bytes) -> bytes:
    return bytes([MSG_SYNC, SYNC_UPDATE]) + encode_varuint8array(update)


def awareness(update: bytes) -> bytes:
    return bytes([MSG_AWARENESS]) + encode_varuint8array(update)


def permission_denied(reason: str) -> bytes:
    return bytes([MSG_AUTH, AUTH_PERMISSION_DENIED]) + encode_varstring(reason)


def query_awareness() -> bytes:
    return bytes([MSG_QUERY_AWARENESS])


def encode_message(message: Message) -> bytes:
    match message:
        case SyncStep1(sv):
            return sync_step1(sv)
        case SyncStep2(update):
            return sync_step2(update)
        case SyncUpdate(update):
            return sync_update(update)
        case Awareness(update):
            return awareness(update)
        case AuthDenied(reason):
            return permission_denied(reason)
        case AuthOther(kind):
            return bytes([MSG_AUTH]) + encode_varuint(kind)
        case QueryAwareness():
            return query_awareness()
    raise TypeError(f"not a message: {message!r}")


def _read_message(dec: Decoder) -> Message:
    kind = dec.varuint()
    if kind == MSG_SYNC:
        sub = dec.varuint()
        payload = dec.varuint8array()
        if sub == SYNC_STEP1:
            return SyncStep1(payload)
        if sub == SYNC_STEP2:
            return SyncStep2(payload)
        if sub == SYNC_UPDATE:
            return SyncUpdate(payload)
        raise ProtocolError(f"unknown sync message type {sub}")
    if kind == MSG_AWARENESS:
        return Awareness(dec.varuint8array())
    if kind == MSG_AUTH:
        sub = dec.varuint()
        if sub == AUTH_PERMISSION_DENIED:
            return AuthDenied(dec.varstring())
        # Unknown auth kinds have no defined body: only acceptable as the last thing in a buffer.
        if not dec.done:
            raise ProtocolError(f"unknown auth message type {sub}")
        return AuthOther(sub)
    if kind == MSG_QUERY_AWARENESS:
        return QueryAwareness()
    # The length of an unknown message is unknowable, so the rest of the buffer cannot be trusted.
    raise ProtocolError(f"unknown message type {kind}")


def decode_messages(data: bytes, max_messages: int = 1024) -> list[Message]:
    """All the messages in `data` (one or several, concatenated). Empty data is an error."""
    dec = Decoder(data)
    if dec.done:
        raise ProtocolError("empty message")
    messages: list[Message] = []
    while not dec.done:
        if len(messages) >= max_messages:
            raise ProtocolError(f"more than {max_messages} messages in one buffer")
        messages.append(_read_message(dec))
    return messages


# -- Yjs structures the engine must inspect ------------------------------------------------------
def decode_state_vector(data: bytes) -> dict[int, int]:
    """A Yjs state vector: client id -> next expected clock."""
    dec = Decoder(data)
    count = dec.varuint()
    result: dict[int, int] = {}
    for _ in range(count):
        client = dec.varuint()
        result[client] = dec.varuint()
    dec.finish()
    return result


def encode_state_vector(state: dict[int, int]) -> bytes:
    out = bytearray(encode_varuint(len(state)))
    for client, clock in sorted(state.items(), reverse=True):
        out += encode_varuint(client) + encode_varuint(clock)
    return bytes(out)


def decode_delete_set(dec: Decoder) -> dict[int, list[tuple[int, int]]]:
    """A v1 delete set: client id -> [(clock, length), ...]."""
    count = dec.varuint()
    result: dict[int, list[tuple[int, int]]] = {}
    for _ in range(count):
        client = dec.varuint()
        ranges = result.setdefault(client, [])
        for _ in range(dec.varuint()):
            clock = dec.varuint()
            ranges.append((clock, dec.varuint()))
    return result


def structless_delete_set(update: bytes) -> dict[int, list[tuple[int, int]]] | None:
    """The delete set of a v1 update that carries no structs; None if it carries some.

    The engine diffs an incoming update against the state it reached: what is left is either
    nothing (fully integrated) or structs and deletions that wait for missing changes.
    """
    dec = Decoder(update)
    if dec.varuint() != 0:
        return None
    result = decode_delete_set(dec)
    dec.finish()
    return result


def is_empty_update(update: bytes) -> bool:
    try:
        ds = structless_delete_set(update)
    except ProtocolError:
        return False
    return ds is not None and not any(ds.values())


# -- awareness -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class AwarenessEntry:
    client: int
    clock: int
    state: str  # JSON text; "null" means the client went away


def decode_awareness(update: bytes, max_entries: int = 64) -> list[AwarenessEntry]:
    """Entries of an awareness update; each state must be JSON (stock clients JSON.parse it)."""
    dec = Decoder(update)
    count = dec.varuint()
    if count > max_entries:
        raise ProtocolError(f"awareness update with {count} entries (limit {max_entries})")
    entries = []
    for _ in range(count):
        client = dec.varuint()
        clock = dec.varuint()
        state = dec.varstring()
        try:
            json.loads(state, parse_constant=_reject_constant)
        except (ValueError, RecursionError) as exc:
            raise ProtocolError("awareness state is not JSON") from exc
        entries.append(AwarenessEntry(client, clock, state))
    dec.finish()
    return entries


def _reject_constant(name: str) -> None:
    # Python accepts NaN and Infinity; JavaScript's JSON.parse, in every other client, does not.
    raise ValueError(f"{name} is not JSON")


def encode_awareness(entries: list[AwarenessEntry]) -> bytes:
    out = bytearray(encode_varuint(len(entries)))
    for entry in entries:
        out += encode_varuint(entry.client) + encode_varuint(entry.clock)
        out += encode_varstring(entry.state)
    return bytes(out)
