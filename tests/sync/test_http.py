"""POST /sync/<kind>/<id> and the batch POST /sync, on a real server."""

from __future__ import annotations

import json

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pycrdt import Doc, Map

from sync import batch, protocol, store

from .conftest import SyncServer

OCTET = {"content-type": "application/octet-stream"}


def auth(name: str | None) -> dict[str, str]:
    return {**OCTET, **({"authorization": f"Bearer token-{name}"} if name else {})}


def note(**fields: object) -> Doc:
    doc: Doc = Doc()
    with doc.transaction():
        for key, value in fields.items():
            doc.get("note", type=Map)[key] = value
    return doc


def body_for(doc: Doc, state_vector: bytes = protocol.EMPTY_STATE_VECTOR) -> bytes:
    return protocol.sync_step1(doc.get_state()) + protocol.sync_update(doc.get_update(state_vector))


def apply_answer(doc: Doc, answer: bytes) -> None:
    for message in protocol.decode_messages(answer):
        assert isinstance(message, protocol.SyncStep2)
        doc.apply_update(message.update)


def test_create_then_retry_is_idempotent(server: SyncServer) -> None:
    client = note(text="from a flaky link", author="alice")
    with httpx.Client(base_url=server.url) as http:
        first = http.post("/sync/note/h1", content=body_for(client), headers=auth("alice"))
        again = http.post("/sync/note/h1", content=body_for(client), headers=auth("alice"))
    assert first.status_code == again.status_code == 200
    assert first.headers["content-type"] == "application/octet-stream"
    apply_answer(client, again.content)
    assert client.get("note", type=Map).to_py() == {"text": "from a flaky link", "author": "alice"}
    stats = server.db.read_sync(lambda c: store.stats(c, "note/h1"))
    assert stats is not None and stats["last_seq"] == 1
    assert server.hooks.commits == [("h1", True)]


def test_a_reader_fetches_with_step1_only(server: SyncServer) -> None:
    writer = note(text="hello", author="alice")
    with httpx.Client(base_url=server.url) as http:
        assert http.post(
            "/sync/note/h2", content=body_for(writer), headers=auth("alice")
        ).is_success
        reader: Doc = Doc()
        answer = http.post(
            "/sync/note/h2", content=protocol.sync_step1(reader.get_state()), headers=auth("bob")
        )
        assert answer.status_code == 200
        apply_answer(reader, answer.content)
        assert reader.get("note", type=Map).to_py() == {"text": "hello", "author": "alice"}
        ack = http.post(
            "/sync/note/h2", content=protocol.sync_update(b"\x00\x00"), headers=auth("bob")
        )
        assert ack.status_code == 200 and ack.content == b""


@pytest.mark.parametrize(
    "path, who, body, headers, status, code",
    [
        ("/sync/note/r1", None, b"\x00\x00\x01\x00", None, 401, "unauthenticated"),
        ("/sync/note/r1", "eve", b"\x00\x00\x01\x00", None, 403, "forbidden"),
        ("/sync/nope/r1", "alice", b"\x00\x00\x01\x00", None, 404, "not_found"),
        (
            "/sync/note/r1",
            "alice",
            b"\x00\x00\x01\x00",
            {"content-type": "text/plain"},
            415,
            "unsupported_media_type",
        ),
        ("/sync/note/r1", "alice", b"\xff\xff\xff", None, 400, "malformed"),
        ("/sync/note/r1", "alice", protocol.sync_update(b"\x05\x05\x05"), None, 400, "malformed"),
        ("/sync/note/r1", "alice", b"\x00" * (1024 * 1024 + 1), None, 413, "too_large"),
        ("/sync/note/r1", "bob", None, None, 403, "forbidden"),
        ("/sync/note/r1", "alice", "too long", None, 422, "invalid"),
        ("/sync/feed/r1", "alice", None, None, 403, "forbidden"),
    ],
)
def test_refusals_are_json_with_the_right_status(
    server: SyncServer,
    path: str,
    who: str | None,
    body: bytes | str | None,
    headers: dict[str, str] | None,
    status: int,
    code: str,
) -> None:
    if body is None:
        body = body_for(note(text="x", author=who))
    elif body == "too long":
        body = body_for(note(text="x" * 500, author=who))
    assert isinstance(body, bytes)
    with httpx.Client(base_url=server.url) as http:
        response = http.post(path, content=body, headers={**auth(who), **(headers or {})})
    assert response.status_code == status, response.text
    assert response.json()["error"] == code and response.json()["message"]
    assert server.db.read_sync(lambda c: store.stats(c, path.removeprefix("/sync/"))) is None


def test_batch_syncs_many_documents_with_a_status_each(server: SyncServer) -> None:
    with httpx.Client(base_url=server.url) as http:
        existing = note(text="already there", author="alice")
        assert http.post(
            "/sync/note/b0", content=body_for(existing), headers=auth("alice")
        ).is_success
        fresh = note(text="made offline", author="alice")
        spam = Doc()
        spam.get("note", type=Map)["text"] = "x" * 500
        request = batch.encode_request(
            [
                ("note/b1", body_for(fresh)),  # created
                ("note/b0", protocol.sync_step1(protocol.EMPTY_STATE_VECTOR)),  # fetched
                ("note/b2", body_for(spam)),  # invalid
                ("feed/b3", protocol.sync_step1(b"\x00")),  # readable, empty
                ("nope/b4", protocol.sync_step1(b"\x00")),  # no such kind
                ("note/b5", b"\xff"),  # malformed
            ]
        )
        response = http.post("/sync", content=request, headers=auth("alice"))
    assert response.status_code == 200
    results = {
        name: (status, body) for name, status, body in batch.decode_response(response.content)
    }
    assert {name: status for name, (status, _) in results.items()} == {
        "note/b1": 200,
        "note/b0": 200,
        "note/b2": 422,
        "feed/b3": 200,
        "nope/b4": 404,
        "note/b5": 400,
    }
    fetched: Doc = Doc()
    apply_answer(fetched, results["note/b0"][1])
    assert fetched.get("note", type=Map).to_py() == {"text": "already there", "author": "alice"}
    assert json.loads(results["note/b2"][1])["error"] == "invalid"
    assert server.db.read_sync(lambda c: store.stats(c, "note/b1")) is not None
    assert server.db.read_sync(lambda c: store.stats(c, "note/b2")) is None


def test_a_malformed_batch_is_one_400(server: SyncServer) -> None:
    with httpx.Client(base_url=server.url) as http:
        response = http.post("/sync", content=b"\x02\x05ab", headers=auth("alice"))
        wrong_type = http.post("/sync", content=b"\x00", headers={"content-type": "text/plain"})
    assert response.status_code == 400 and response.json()["error"] == "malformed"
    assert wrong_type.status_code == 415


junk = st.one_of(
    st.binary(max_size=300),
    st.binary(max_size=200).map(protocol.sync_update),
    st.binary(max_size=200).map(protocol.sync_step1),
    st.binary(max_size=200).map(lambda b: protocol.sync_step1(b"\x00") + protocol.sync_step2(b)),
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=junk)
def test_random_bytes_get_a_4xx_never_a_5xx(shared_server: SyncServer, data: bytes) -> None:
    with httpx.Client(base_url=shared_server.url) as http:
        single = http.post("/sync/note/fuzz", content=data, headers=auth("alice"))
        many = http.post("/sync", content=data, headers=auth("alice"))
        assert single.status_code < 500 and many.status_code < 500
        if single.status_code != 200:
            assert single.json()["error"]
        if many.status_code == 200:
            assert all(status < 500 for _, status, _ in batch.decode_response(many.content))
        # ...and the server still works.
        ok = http.post(
            "/sync/note/alive", content=body_for(note(author="alice")), headers=auth("alice")
        )
        assert ok.status_code == 200


@pytest.mark.parametrize("levels", [100, 7_000])  # the toy kind takes updates up to 16 KB
def test_a_deeply_nested_update_is_a_400_and_the_server_lives_on(
    shared_server: SyncServer, levels: int
) -> None:
    # `[[[…]]]` as a lib0 value, 2 bytes a level: pycrdt's decoder overflows the native stack
    # (a segmentation fault, the whole process gone) from about 30,000 levels on; see
    # tests/test_bad_input.py for that on the app's 64 KB report updates.
    update = bytes.fromhex("010101002801016d017801") + b"\x75\x01" * levels + b"\x7e\x00"
    with httpx.Client(base_url=shared_server.url, timeout=30) as http:
        single = http.post(
            "/sync/note/deep", content=protocol.sync_update(update), headers=auth("alice")
        )
        many = http.post("/sync", content=batch.encode_request(
            [("note/deep2", protocol.sync_update(update))]), headers=auth("alice"))
        alive = http.post(
            "/sync/note/alive", content=body_for(note(author="alice")), headers=auth("alice")
        )
    assert single.status_code == 400 and "nested" in single.json()["message"]
    assert many.status_code == 200
    assert [status for _, status, _ in batch.decode_response(many.content)] == [400]
    assert alive.status_code == 200
