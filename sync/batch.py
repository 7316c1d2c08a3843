"""The batch sync format: many documents in one round trip (`POST /sync`).

Built from the same lib0 primitives as y-protocols, so a client that already has lib0 needs
nothing new:

    request  = varuint count, then per document: varstring name, varuint8array messages
    response = varuint count, then per document, in request order:
               varstring name, varuint status, varuint8array body
               (status 200: y-protocols messages, the server's step 2;
                otherwise: UTF-8 JSON {"error": code, "message": reason})

    body = encode_request([("report/a", sync_step1(sv) + sync_update(u))])
    for name, messages in decode_request(body): ...
"""

from __future__ import annotations

import json
from typing import Any

from .protocol import Decoder, ProtocolError, encode_varstring, encode_varuint, encode_varuint8array

MAX_DOCUMENTS = 256


def encode_request(items: list[tuple[str, bytes]]) -> bytes:
    out = bytearray(encode_varuint(len(items)))
    for name, messages in items:
        out += encode_varstring(name) + encode_varuint8array(messages)
    return bytes(out)


def decode_request(data: bytes, max_documents: int = MAX_DOCUMENTS) -> list[tuple[str, bytes]]:
    """The (name, messages) pairs of a batch; ProtocolError if malformed, too long or repeated."""
    dec = Decoder(data)
    count = dec.varuint()
    if count > max_documents:
        raise ProtocolError(f"a batch holds at most {max_documents} documents, not {count}")
    items: list[tuple[str, bytes]] = []
    seen: set[str] = set()
    for _ in range(count):
        name = dec.varstring()
        if name in seen:
            # Two entries for one document would race each other: say it, do not guess an order.
            raise ProtocolError(f"{name!r} appears twice in the batch")
        seen.add(name)
        items.append((name, dec.varuint8array()))
    dec.finish()
    return items


def encode_response(items: list[tuple[str, int, bytes]]) -> bytes:
    out = bytearray(encode_varuint(len(items)))
    for name, status, body in items:
        out += encode_varstring(name) + encode_varuint(status) + encode_varuint8array(body)
    return bytes(out)


def decode_response(data: bytes) -> list[tuple[str, int, bytes]]:
    dec = Decoder(data)
    items = []
    for _ in range(dec.varuint()):
        name = dec.varstring()
        status = dec.varuint()
        items.append((name, status, dec.varuint8array()))
    dec.finish()
    return items


def error_body(code: str, message: str, precise: str | None = None, params: dict[str, Any] | None = None) -> bytes:
    body = {"error": code, "code": precise or code, "params": params or {}, "message": message}
    return json.dumps(body, ensure_ascii=False).encode("utf-8")
