"""The baseline: a bare Starlette JSON echo, served exactly like the app (`python -m bench.echo`).

It parses the JSON body and sends it back, which is the least a JSON API does per request; the
ingest benchmark compares the app against it in the same run, on the same machine.
"""

from __future__ import annotations

import argparse

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route


async def echo(request: Request) -> Response:
    return JSONResponse(await request.json())


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


def create_app() -> Starlette:
    return Starlette(routes=[Route("/echo", echo, methods=["POST"]), Route("/healthz", healthz)])


def main() -> None:
    import uvicorn

    from .servers import uvicorn_options

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    uvicorn.run("bench.echo:create_app", factory=True, **uvicorn_options(args.port))


if __name__ == "__main__":
    main()
