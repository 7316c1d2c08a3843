"""pycrdt-websocket's ASGI server under uvicorn with `sos serve`'s options, on `--port N`.

Run by `python -m bench peers` with its own virtual environment (.bench-peers/pyvenv), never the
project's: documents in memory, no store. `/healthz` answers for the benchmark's start check.
"""

import argparse
import json

import uvicorn
from pycrdt.websocket import ASGIServer, WebsocketServer

parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int, required=True)
parser.add_argument("--uvicorn", required=True, help="uvicorn.run's options as JSON (bench.servers.uvicorn_options)")
args = parser.parse_args()
websocket_server = WebsocketServer(auto_clean_rooms=False)
rooms = ASGIServer(websocket_server)


async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        async with websocket_server:  # runs the rooms' task group for the server's lifetime
            await rooms(scope, receive, send)
    elif scope["type"] == "http":
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})
    else:
        await rooms(scope, receive, send)


uvicorn.run(app, **json.loads(args.uvicorn))
