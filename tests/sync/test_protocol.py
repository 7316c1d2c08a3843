"""The y-protocols codec: round trips, strictness, and 'only ProtocolError' on any input."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pycrdt import Doc, Map

from sync import batch, protocol
from sync.protocol import (
    AuthDenied,
    Awareness,
    AwarenessEntry,
    ProtocolError,
    QueryAwareness,
    SyncStep1,
    SyncStep2,
    SyncUpdate,
)

messages = st.one_of(
    st.binary(max_size=64).map(SyncStep1),
    st.binary(max_size=64).map(SyncStep2),
    st.binary(max_size=64).map(SyncUpdate),
    st.binary(max_size=64).map(Awareness),
    st.text(max_size=40).map(AuthDenied),
    st.just(QueryAwareness()),
)


@given(st.lists(messages, min_size=1, max_size=8))
def test_messages_round_trip(items: list[protocol.Message]) -> None:
    data = b"".join(protocol.encode_message(m) for m in items)
    assert protocol.decode_messages(data) == items


@given(st.integers(min_value=0, max_value=protocol.MAX_SAFE_INTEGER))
def test_varuint_round_trip(n: int) -> None:
    dec = protocol.Decoder(protocol.encode_varuint(n))
    assert dec.varuint() == n
    assert dec.done


@given(st.binary(max_size=256))
def test_random_bytes_raise_nothing_but_protocol_error(data: bytes) -> None:
    for decode in (
        protocol.decode_messages,
        protocol.decode_state_vector,
        protocol.decode_awareness,
        protocol.structless_delete_set,
        batch.decode_request,
        batch.decode_response,
    ):
        with contextlib.suppress(ProtocolError):
            decode(data)


def test_matches_the_bytes_y_protocols_writes() -> None:
    # Written by lib0/y-protocols: [messageSync, messageYjsSyncStep1, varUint8Array(sv)] etc.
    assert protocol.sync_step1(b"\x00") == bytes([0, 0, 1, 0])
    assert protocol.sync_step2(b"\x00\x00") == bytes([0, 1, 2, 0, 0])
    assert protocol.sync_update(b"\x01") == bytes([0, 2, 1, 1])
    assert protocol.permission_denied("no") == bytes([2, 0, 2]) + b"no"
    assert protocol.query_awareness() == bytes([3])
    assert protocol.encode_varuint(300) == bytes([0xAC, 0x02])


@pytest.mark.parametrize(
    "data",
    [
        b"",  # nothing
        bytes([0]),  # sync without a subtype
        bytes([0, 0, 5, 1]),  # length past the end
        bytes([0, 9, 0]),  # unknown sync subtype
        bytes([7, 1, 2]),  # unknown message type
        bytes([2, 0, 2, 0xFF, 0xFE]),  # reason that is not UTF-8
        bytes([0, 0]) + b"\xff" * 9,  # integer encoding too long
        bytes([0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F]),  # past 2**53
    ],
)
def test_malformed_messages_are_refused(data: bytes) -> None:
    with pytest.raises(ProtocolError):
        protocol.decode_messages(data)


def test_state_vectors_and_delete_sets_match_pycrdt() -> None:
    doc: Doc = Doc(client_id=42)
    doc.get("m", type=Map)["a"] = 1
    doc.get("m", type=Map)["b"] = 2
    del doc.get("m", type=Map)["a"]
    assert protocol.decode_state_vector(doc.get_state()) == {42: 2}
    assert protocol.encode_state_vector({42: 2}) == doc.get_state()
    # What is left of the whole document against its own state: no structs, its deletions.
    from pycrdt import get_update

    assert protocol.structless_delete_set(get_update(doc.get_update(), doc.get_state())) == {
        42: [(0, 1)]
    }
    assert protocol.structless_delete_set(doc.get_update()) is None
    assert protocol.is_empty_update(protocol.EMPTY_UPDATE)
    assert not protocol.is_empty_update(doc.get_update())


def test_awareness_entries_must_be_json_as_javascript_reads_it() -> None:
    good = [AwarenessEntry(1, 3, '{"user":"a"}'), AwarenessEntry(2, 1, "null")]
    assert protocol.decode_awareness(protocol.encode_awareness(good)) == good
    for state in ("{not json", "NaN", '{"x": Infinity}', "[" * 5000 + "]" * 5000):
        with pytest.raises(ProtocolError):
            protocol.decode_awareness(protocol.encode_awareness([AwarenessEntry(1, 1, state)]))


def test_batch_round_trip_and_rules() -> None:
    items = [("note/a", protocol.sync_step1(b"\x00")), ("feed/b", b"")]
    assert batch.decode_request(batch.encode_request(items)) == items
    answer = [("note/a", 200, b"\x00"), ("feed/b", 403, batch.error_body("forbidden", "no"))]
    assert batch.decode_response(batch.encode_response(answer)) == answer
    with pytest.raises(ProtocolError, match="twice"):
        batch.decode_request(batch.encode_request([("note/a", b""), ("note/a", b"")]))
    with pytest.raises(ProtocolError, match="at most"):
        batch.decode_request(protocol.encode_varuint(batch.MAX_DOCUMENTS + 1))
    with pytest.raises(ProtocolError, match="trailing"):
        batch.decode_request(batch.encode_request(items) + b"\x00")
