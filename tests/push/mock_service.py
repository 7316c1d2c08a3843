"""`web-push-testing` as a child process: a real push service on loopback that checks the VAPID
token, decrypts what it receives (aes128gcm) and keeps it for the test to read back.

    with MockPushService.start() as service:
        sub = service.subscribe(server_public_key)     # {endpoint, keys, clientHash}
        ...
        service.wait_for_messages(sub["clientHash"], 1)  # the decrypted payloads, as dicts

Its HTTP API: POST /subscribe {applicationServerKey}, POST /expire-subscription/<hash> (the
endpoint then answers 410), POST /get-notifications {clientHash}. It answers 201 to a push, 410
for an expired subscription and 400 for anything it cannot verify or decrypt.
"""

from __future__ import annotations

import json
import queue
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).resolve().parent
SERVER_JS = HERE / "node_modules" / "web-push-testing" / "src" / "bin" / "server.js"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class MockPushService:
    def __init__(self, proc: subprocess.Popen[str], port: int, pump: threading.Thread) -> None:
        self.proc = proc
        self.pump = pump
        self.port = port
        self.url = f"http://localhost:{port}"
        self.http = httpx.Client(base_url=self.url, timeout=10)

    @classmethod
    def start(cls, timeout: float = 20.0) -> MockPushService:
        if not SERVER_JS.is_file():
            raise RuntimeError("web-push-testing missing: run `make push-testing` (cd tests/push && npm ci)")
        node = shutil.which("node")
        if node is None:
            raise RuntimeError("node is not installed")
        port = free_port()
        proc = subprocess.Popen(
            [node, str(SERVER_JS), str(port)], cwd=HERE, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True,
        )
        lines: queue.Queue[str | None] = queue.Queue()

        def pump() -> None:  # also keeps the pipe drained for the life of the process
            for line in proc.stdout or ():
                lines.put(line)
            lines.put(None)

        pumping = threading.Thread(target=pump, daemon=True)
        pumping.start()
        # Its own "listening" line is the event to wait on.
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                proc.kill()
                raise RuntimeError("web-push-testing did not start in time") from None
            if line is None:
                raise RuntimeError(f"web-push-testing exited with {proc.wait()} (port taken?)")
            if "Server running on port" in line:
                return cls(proc, port, pumping)

    def stop(self) -> None:
        self.http.close()
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
        self.pump.join(10)  # it reads to the end of the pipe, then the pipe can be closed
        if self.proc.stdout is not None:
            self.proc.stdout.close()

    def __enter__(self) -> MockPushService:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def subscribe(self, application_server_key: str) -> dict[str, Any]:
        r = self.http.post("/subscribe", json={"applicationServerKey": application_server_key})
        if r.status_code != 200:
            raise RuntimeError(f"subscribe failed: {r.status_code} {r.text}")
        return dict(r.json()["data"])

    def expire(self, client_hash: str) -> None:
        r = self.http.post(f"/expire-subscription/{client_hash}")
        if r.status_code != 200:
            raise RuntimeError(f"expire failed: {r.status_code} {r.text}")

    def raw_messages(self, client_hash: str) -> list[str]:
        r = self.http.post("/get-notifications", json={"clientHash": client_hash})
        if r.status_code != 200:
            raise RuntimeError(f"get-notifications failed: {r.status_code} {r.text}")
        return list(r.json()["data"]["messages"])

    def messages(self, client_hash: str) -> list[dict[str, Any]]:
        return [json.loads(m) for m in self.raw_messages(client_hash)]

    def wait_for_messages(self, client_hash: str, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        """Poll the service (it has no push channel to us) until `count` messages arrived."""
        deadline = time.monotonic() + timeout
        while True:
            got = self.messages(client_hash)
            if len(got) >= count:
                return got
            if time.monotonic() > deadline:
                raise AssertionError(f"{client_hash[:8]}… received {len(got)} of {count} pushes in {timeout} s")
            time.sleep(0.02)


def subscription_json(sub: dict[str, Any]) -> dict[str, Any]:
    """What a browser's `PushSubscription.toJSON()` gives, from web-push-testing's answer."""
    return {"endpoint": sub["endpoint"], "expirationTime": None, "keys": dict(sub["keys"])}
