"""Real Node Yjs clients (stock `y-websocket`, `y-protocols` encoders) against the server."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from pycrdt import Map

from sync import store

from .conftest import SyncServer

pytestmark = pytest.mark.node


def node(interop: Path, script: str, args: dict[str, Any], timeout: float = 30) -> dict[str, Any]:
    proc = subprocess.run(
        ["node", script, json.dumps(args)],
        cwd=interop,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert proc.returncode == 0, f"{script} failed:\n{proc.stdout}\n{proc.stderr}"
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def ws_args(server: SyncServer, room: str, who: str | None, **extra: Any) -> dict[str, Any]:
    return {
        "server": f"{server.ws_url}/sync",
        "room": room,
        "token": f"token-{who}" if who else "",
        **extra,
    }


def test_a_stock_provider_writes_and_the_server_keeps_it(
    node_modules: Path, server: SyncServer
) -> None:
    fields = {"text": "Cướp giật ở Phú Mỹ", "author": "alice"}
    result = node(node_modules, "write.mjs", ws_args(server, "note/i1", "alice", fields=fields))
    assert result["seen"] == fields
    doc = server.call(server.engine.read_doc("note/i1"))
    assert doc is not None and doc.get("note", type=Map).to_py() == fields
    assert server.hooks.commits == [("i1", True)]
    row = server.db.read_sync(lambda c: c.execute("SELECT text, author FROM toy_notes").fetchone())
    assert tuple(row) == (fields["text"], "alice")
    writers = server.db.read_sync(
        lambda c: c.execute("SELECT client, writer FROM sync_writers").fetchall()
    )
    assert [tuple(w) for w in writers] == [(result["clientID"], "user:alice")]


def test_a_stock_subscriber_sees_a_change_live(node_modules: Path, server: SyncServer) -> None:
    watch = subprocess.Popen(
        [
            "node",
            "subscribe.mjs",
            json.dumps(ws_args(server, "note/i2", "bob", key="text", value="live!")),
        ],
        cwd=node_modules,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert watch.stdout is not None
        assert json.loads(watch.stdout.readline()) == {"ready": True}  # the script times out itself
        node(
            node_modules,
            "write.mjs",
            ws_args(server, "note/i2", "alice", fields={"text": "live!", "author": "alice"}),
        )
        out, err = watch.communicate(timeout=30)
    finally:
        watch.kill()
    assert watch.returncode == 0, err
    assert json.loads(out.strip().splitlines()[-1])["seen"] == {"text": "live!", "author": "alice"}


def test_y_protocols_messages_over_http(node_modules: Path, server: SyncServer) -> None:
    fields = {"text": "sent by Background Sync", "author": "alice"}
    result = node(
        node_modules,
        "post.mjs",
        {
            "url": f"{server.url}/sync/note/i3",
            "token": "token-alice",
            "fields": fields,
        },
    )
    assert result == {"status": 200, "note": fields}
    stats = server.db.read_sync(lambda c: store.stats(c, "note/i3"))
    assert stats is not None and stats["last_seq"] == 1  # the retry stored nothing
    refused = node(
        node_modules,
        "post.mjs",
        {
            "url": f"{server.url}/sync/note/i4",
            "token": "token-alice",
            "fields": {"text": "x" * 300, "author": "alice"},
        },
    )
    assert refused["status"] == 422 and refused["error"]["error"] == "invalid"


@pytest.mark.parametrize("who, code", [("eve", 4403), (None, 4401)])
def test_a_stock_provider_is_denied_read_and_stops_reconnecting(
    node_modules: Path, server: SyncServer, who: str | None, code: int
) -> None:
    result = node(node_modules, "denied.mjs", ws_args(server, "note/i5", who))
    assert result["code"] == code
    assert any("Permission denied" in w for w in result["warnings"])
    assert result["shouldConnect"] is False


@pytest.mark.parametrize(
    "who, fields, code",
    [
        ("bob", {"text": "a viewer writes"}, 4403),
        ("alice", {"text": "x" * 300, "author": "alice"}, 4422),
    ],
)
def test_a_stock_provider_with_a_refused_update_is_closed_and_nothing_is_kept(
    node_modules: Path, server: SyncServer, who: str, fields: dict[str, str], code: int
) -> None:
    result = node(node_modules, "denied.mjs", ws_args(server, "note/i6", who, fields=fields))
    assert result["code"] == code
    assert server.db.read_sync(lambda c: store.stats(c, "note/i6")) is None
