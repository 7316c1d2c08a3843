"""Deep nesting and oversized integers in what a client sends to sync (issue 18): a refusal,
never a crash. pycrdt decodes nested values recursively in Rust, where a 60 KB update of
`[[[…]]]` overflowed the native stack and killed the process; `sync.structure` reads the shape
first. Oversized varints in the y-protocols framing are refused by the codec."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pycrdt import Array, Doc, Map, Text

from sync import batch, protocol, structure
from sync.protocol import ProtocolError

# An update of one item in root map "m" under key "x" holding one `Any` (what pycrdt writes
# for `doc.get("m", type=Map)["x"] = value`), with the value's bytes spliced in.
ANY_ITEM = bytes.fromhex("010101002801016d017801")
ARRAY_OF_ONE, OBJECT_OF_ONE, NULL = b"\x75\x01", b"\x76\x01\x01k", b"\x7e"


def nested_value(levels: list[bytes]) -> bytes:
    return ANY_ITEM + b"".join(levels) + NULL + b"\x00"


def nested_types(depth: int) -> bytes:
    doc: Doc = Doc(client_id=7)
    level = doc.get("m", type=Map)
    with doc.transaction():
        for _ in range(depth):
            child: Map = Map()
            level["a"] = child
            level = child
    return doc.get_update()


def raw_varuint(n: int) -> bytes:
    """lib0's encoding without its range check: what a hostile client can write."""
    out = bytearray()
    while n > 0x7F:
        out.append(0x80 | (n & 0x7F))
        n >>= 7
    out.append(n)
    return bytes(out)


@settings(max_examples=60, deadline=None)
@given(
    st.one_of(st.integers(1, 2 * structure.MAX_VALUE_DEPTH), st.integers(1, 30_000)),
    st.lists(st.sampled_from([ARRAY_OF_ONE, OBJECT_OF_ONE]), min_size=1, max_size=8),
)
def test_nested_values_pass_up_to_the_limit_and_are_refused_past_it(
    depth: int, pattern: list[bytes]
) -> None:
    update = nested_value([pattern[k % len(pattern)] for k in range(depth)])
    if depth <= structure.MAX_VALUE_DEPTH:
        structure.check_update(update)
        doc: Doc = Doc()
        doc.apply_update(update)  # and pycrdt takes what was let through
        assert doc.get("m", type=Map)["x"] is not None
    else:
        with pytest.raises(ProtocolError, match="nested"):
            structure.check_update(update)


@pytest.mark.parametrize("depth", [structure.MAX_TYPE_DEPTH + 1, 8000])
def test_nested_shared_types_are_refused(depth: int) -> None:
    with pytest.raises(ProtocolError, match="shared types nested"):
        structure.check_update(nested_types(depth))
    structure.check_update(nested_types(structure.MAX_TYPE_DEPTH - 1))


def test_every_kind_of_content_pycrdt_writes_passes_unchanged() -> None:
    doc: Doc = Doc(client_id=5)
    root = doc.get("m", type=Map)
    root["s"], root["n"], root["f"], root["big"], root["neg"] = "héllo 😀", 3, 1.5, 2**40, -7
    root["flag"], root["none"], root["bytes"] = True, None, b"\x00\x01"
    root["list"] = [1, [2, {"a": [3]}], {"k": "v"}]
    root["arr"] = Array([1, Map({"q": Array(["z"])})])
    text = Text("hello")
    root["t"] = text
    text.insert(2, "XX")
    text.format(0, 3, {"bold": True})
    text.insert_embed(1, {"img": "x"})
    root["sub"] = Doc()
    del root["s"]
    first = doc.get_update()
    other: Doc = Doc(client_id=6)
    other.apply_update(first)
    other.get("m", type=Map)["more"] = "x"
    for update in (first, other.get_update(), other.get_update(doc.get_state())):
        structure.check_update(update)


@settings(max_examples=200, deadline=None)
@given(
    st.integers(min_value=protocol.MAX_SAFE_INTEGER + 1, max_value=2**80),
    st.sampled_from(["type", "length", "sub", "state_vector", "update_client", "batch"]),
)
def test_oversized_varints_anywhere_are_a_protocol_error(n: int, where: str) -> None:
    big = raw_varuint(n)
    data, decode = {
        "type": (big + b"\x00", protocol.decode_messages),
        "length": (b"\x00\x00" + big, protocol.decode_messages),
        "sub": (b"\x00" + big + b"\x00", protocol.decode_messages),
        "state_vector": (b"\x01" + big + b"\x01", protocol.decode_state_vector),
        "update_client": (b"\x01\x01" + big + b"\x00\x28\x01\x01m\x01x\x01\x7e\x00",
                          structure.check_update),
        "batch": (b"\x01" + big, batch.decode_request),
    }[where]
    with pytest.raises(ProtocolError):
        decode(data)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_random_bytes_are_checked_or_refused_never_an_error(data: bytes) -> None:
    with contextlib.suppress(ProtocolError):
        structure.check_update(data)
