"""The floor: the least a durable CRDT report ingest can do on this stack (`python -m bench.floor`).

Per request it does only what no implementation of `POST /sync/report/<id>` can leave out: check
the signed bearer token (itsdangerous), decode the y-protocol messages, apply the update to a fresh
pycrdt document and read the report out of it (the least validation there is), store the update
and a report row in SQLite (WAL, synchronous=NORMAL, as the app) and COMMIT before answering with
the server's sync step 2. It does it the cheapest way: on the event loop, no thread hop, the
requests of one loop turn sharing one transaction. No access rules, routing, projection, outbox,
audit or rooms: whatever the app costs beyond the floor is the app's own.

The ingest benchmark runs it beside the echo and the app in the same minutes; the gap between
echo and floor is what the stack itself costs. `--without db,crdt,token` leaves parts out, to see
what each costs (then it is no longer a floor of anything; for decomposition only).
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import time
from pathlib import Path

from itsdangerous import BadSignature, URLSafeTimedSerializer
from pycrdt import Doc, Map
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sync import protocol

SIGNER = URLSafeTimedSerializer("bench-floor-secret-not-for-production", salt="device")
PARTS = ("db", "crdt", "token")


def token_for(device: str) -> str:
    return SIGNER.dumps(device)


def create_app(path: Path, without: frozenset[str] = frozenset()) -> Starlette:
    conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute(
        "CREATE TABLE IF NOT EXISTS updates (name TEXT, seq INTEGER, data BLOB, PRIMARY KEY (name, seq))"
    )
    conn.execute(
        "CREATE TABLE IF NOT EXISTS reports (id TEXT PRIMARY KEY, device TEXT, category TEXT, at REAL)"
    )
    waiting: list[asyncio.Future[None]] = []

    def commit() -> None:
        conn.execute("COMMIT")
        for future in waiting:
            future.set_result(None)
        waiting.clear()

    async def store(report_id: str, device: str, category: str, update: bytes) -> None:
        loop = asyncio.get_running_loop()
        if not waiting:  # the first write of this loop turn opens the shared transaction
            conn.execute("BEGIN IMMEDIATE")
            loop.call_soon(commit)
        conn.execute("INSERT INTO updates VALUES (?, 1, ?)", (f"report/{report_id}", update))
        conn.execute(
            "INSERT INTO reports VALUES (?, ?, ?, ?)", (report_id, device, category, time.time())
        )
        future = loop.create_future()
        waiting.append(future)
        await future  # answered only after COMMIT

    async def report(request: Request) -> Response:
        device = "-"
        if "token" not in without:
            try:
                device = SIGNER.loads(request.headers.get("authorization", "")[7:], max_age=86400)
            except BadSignature:
                return JSONResponse({"error": "unauthenticated"}, 401)
        state_vector, update = None, b""
        try:
            for message in protocol.decode_messages(await request.body()):
                if isinstance(message, protocol.SyncStep1):
                    state_vector = message.state_vector
                elif isinstance(message, protocol.SyncStep2 | protocol.SyncUpdate):
                    update = message.update
        except protocol.ProtocolError:
            return JSONResponse({"error": "malformed"}, 400)
        doc: Doc = Doc()
        data = {"category": "crime"}
        if "crdt" not in without:
            doc.apply_update(update)
            data = doc.get("report", type=Map).to_py() or {}
        if not isinstance(data.get("category"), str):
            return JSONResponse({"error": "invalid"}, 422)
        if "db" not in without:
            await store(request.path_params["id"], device, data["category"], update)
        return Response(
            protocol.sync_step2(doc.get_update(state_vector)), media_type="application/octet-stream"
        )

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    return Starlette(
        routes=[
            Route("/sync/report/{id}", report, methods=["POST"]),
            Route("/healthz", healthz),
        ]
    )


def main() -> None:
    import uvicorn

    from .servers import uvicorn_options

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--without", default="", help=f"leave out some of {','.join(PARTS)}")
    args = parser.parse_args()
    without = frozenset(p for p in args.without.split(",") if p)
    if without - set(PARTS):
        parser.error(f"--without takes {', '.join(PARTS)}")
    args.data.mkdir(parents=True, exist_ok=True)
    uvicorn.run(create_app(args.data / "floor.db", without), **uvicorn_options(args.port))


if __name__ == "__main__":
    main()
