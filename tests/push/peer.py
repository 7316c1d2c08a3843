"""A small real HTTP push endpoint for what `web-push-testing` cannot do: answer 429 or 503 first,
hold a request open (a slow push service, a crash mid-delivery), and show the request headers.

    with RecordingPeer() as peer:
        sub = peer.subscription("a", script=[(429, {"Retry-After": "1"}), (201, {})])
        ...                                     # register `sub` with the app, cause a push
        first, second = peer.wait_for_requests("a", 2)
        peer.decrypt("a", second.body)          # the JSON the browser would get

It holds a subscription's private key and auth secret like a browser does, so it decrypts the
aes128gcm body for real. After its script runs out it answers 201.
"""

from __future__ import annotations

import base64
import json
import os
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import http_ece
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

HANG = "hang"  # a script step: keep the request open until `release()`


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float


@dataclass
class Device:
    key: ec.EllipticCurvePrivateKey
    auth: bytes
    script: list[Any] = field(default_factory=list)


class RecordingPeer:
    def __init__(self) -> None:
        self.devices: dict[str, Device] = {}
        self.requests: list[Received] = []
        self.changed = threading.Condition()
        self.released = threading.Event()
        peer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as push services do

            def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                name = self.path.rsplit("/", 1)[-1]
                with peer.changed:
                    peer.requests.append(Received(self.path, dict(self.headers.items()), body, time.time()))
                    device = peer.devices.get(name)
                    step = device.script.pop(0) if device and device.script else (201, {})
                    peer.changed.notify_all()
                if step == HANG:
                    peer.released.wait(60)
                    step = (201, {})
                status, headers = step
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            request_queue_size = 256  # the default 5 drops SYNs of a burst: 1 s client retries

            def handle_error(self, request: Any, client_address: Any) -> None:
                pass  # a held request whose client died (the crash test) has nobody to answer

        self.server = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.released.set()
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> RecordingPeer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def release(self) -> None:
        self.released.set()

    def subscription(self, name: str, script: list[Any] | None = None) -> dict[str, Any]:
        """A new device: its PushSubscription JSON, as a browser would give it."""
        key = ec.generate_private_key(ec.SECP256R1())
        device = Device(key, os.urandom(16), list(script or []))
        self.devices[name] = device
        point = key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return {
            "endpoint": f"{self.url}/push/{name}",
            "expirationTime": None,
            "keys": {"p256dh": b64url(point), "auth": b64url(device.auth)},
        }

    def requests_for(self, name: str) -> list[Received]:
        with self.changed:
            return [r for r in self.requests if r.path.endswith("/" + name)]

    def wait_for_requests(self, name: str, count: int, timeout: float = 10.0) -> list[Received]:
        with self.changed:
            done = self.changed.wait_for(lambda: len(self.requests_for_locked(name)) >= count, timeout)
            got = self.requests_for_locked(name)
        if not done:
            raise AssertionError(f"peer {name}: {len(got)} of {count} requests in {timeout} s")
        return got

    def requests_for_locked(self, name: str) -> list[Received]:
        return [r for r in self.requests if r.path.endswith("/" + name)]

    def decrypt(self, name: str, body: bytes) -> dict[str, Any]:
        device = self.devices[name]
        plain = http_ece.decrypt(body, private_key=device.key, auth_secret=device.auth, version="aes128gcm")
        return dict(json.loads(plain))
