"""A local push service for `python -m bench warnings`: answers 201 Created like FCM/Mozilla do,
counts what it is handed, and proves a sample is right.

    sink = PushSink.start(expected=100_000)      # its own process (aiohttp, one event loop)
    sink.url                                     # endpoints are f"{sink.url}/push/{i}"
    sink.stats()                                 # {"requests", "distinct", "first_at", "at_1000", "all_at", ...}

Every subscription's keys are real: the ECDH key pair (p256dh) is one of `POOL` real P-256 key
pairs, chosen by the endpoint's number (reused across endpoints: generating 100,000 key pairs
costs more set-up time than the benchmark), and the auth secret is per subscription. Both are
derived from the endpoint's number, so this process and the benchmark agree without passing keys.
For a sample of requests (the first few, then every `SAMPLE_EVERY`th) it checks the VAPID
`Authorization` (the JWT's ES256 signature against the `k=` key, its `aud` and `exp`) and decrypts
the aes128gcm body (RFC 8291, with `http_ece`, what pywebpush uses) with the subscription's
private key, as the browser would.
"""

from __future__ import annotations

import base64
import hashlib
import json
import multiprocessing
import os
import time
import urllib.request
from functools import lru_cache
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

POOL = 256
SAMPLE_FIRST = 5
SAMPLE_EVERY = 997  # a prime: the sample walks across key pairs and pages


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@lru_cache(maxsize=POOL)
def private_key(i: int) -> ec.EllipticCurvePrivateKey:
    seed = hashlib.sha256(f"bench-warnings-key-{i % POOL}".encode()).digest()
    return ec.derive_private_key(int.from_bytes(seed, "big") % (2**255), ec.SECP256R1())


def auth_secret(i: int) -> bytes:
    return hashlib.sha256(f"bench-warnings-auth-{i}".encode()).digest()[:16]


@lru_cache(maxsize=POOL)
def _p256dh(i: int) -> str:
    point = private_key(i).public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return b64url(point)


def keys(i: int) -> tuple[str, str]:
    """(p256dh, auth) of subscription `i`, base64url as a browser gives them."""
    return _p256dh(i % POOL), b64url(auth_secret(i))


def check_vapid(header: str, audience: str) -> str | None:
    """Why the `Authorization: vapid t=…, k=…` header is wrong, or None."""
    if not header.startswith("vapid "):
        return f"not a vapid header: {header[:40]!r}"
    parts = dict(p.strip().split("=", 1) for p in header[6:].split(","))
    token, key = parts.get("t", ""), parts.get("k", "")
    head, claims, signature = token.split(".")
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b64url_decode(key))
    raw = b64url_decode(signature)
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    try:
        public.verify(der, f"{head}.{claims}".encode(), ec.ECDSA(hashes.SHA256()))
    except Exception:
        return "the JWT signature does not verify"
    body = json.loads(b64url_decode(claims))
    if json.loads(b64url_decode(head)).get("alg") != "ES256":
        return "alg is not ES256"
    if body.get("aud") != audience:
        return f"aud {body.get('aud')!r} is not {audience!r}"
    if not time.time() < body.get("exp", 0) <= time.time() + 24 * 3600:
        return "exp is not within 24 h"
    return None


def _serve(port: int, expected: int, ready: Any) -> None:
    import asyncio

    import http_ece
    from aiohttp import web

    audience = f"http://127.0.0.1:{port}"
    state: dict[str, Any] = {"requests": 0, "distinct": 0, "first_at": None, "at_1000": None, "all_at": None,
                             "verified": 0, "decrypted": 0, "errors": [], "vapid_keys": [], "sample": None}
    seen = bytearray(expected + 1)

    def verify(i: int, request: web.Request, body: bytes) -> None:
        problem = check_vapid(request.headers.get("Authorization", ""), audience)
        key = request.headers.get("Authorization", "").rpartition("k=")[2].strip()
        if key not in state["vapid_keys"]:
            state["vapid_keys"].append(key)
        if problem is None:
            state["verified"] += 1
        else:
            state["errors"].append(f"#{i} VAPID: {problem}")
        try:
            plain = http_ece.decrypt(body, private_key=private_key(i), auth_secret=auth_secret(i),
                                     version="aes128gcm")
            payload = json.loads(plain)
            assert payload["kind"] == "warning" and payload["headline"], payload
            assert request.headers.get("Content-Encoding") == "aes128gcm"
            assert int(request.headers.get("TTL", "0")) > 0
            state["decrypted"] += 1
            state["sample"] = {"payload": payload, "urgency": request.headers.get("Urgency"),
                               "topic": request.headers.get("Topic"), "ttl": request.headers.get("TTL")}
        except Exception as exc:  # noqa: BLE001 - recorded and reported, the run goes on
            state["errors"].append(f"#{i} payload: {exc!r}"[:300])

    async def push(request: web.Request) -> web.Response:
        body = await request.read()
        now = time.time()
        i = int(request.match_info["i"])
        state["requests"] += 1
        if state["first_at"] is None:
            state["first_at"] = now
        if 0 <= i <= expected and not seen[i]:
            seen[i] = 1
            state["distinct"] += 1
            if state["distinct"] == min(1000, expected):
                state["at_1000"] = now
            if state["distinct"] == expected:
                state["all_at"] = now
        if state["requests"] <= SAMPLE_FIRST or state["requests"] % SAMPLE_EVERY == 0:
            verify(i, request, body)
        return web.Response(status=201, headers={"Location": f"{audience}/message/{state['requests']}"})

    async def stats(_: web.Request) -> web.Response:
        return web.json_response({**state, "errors": state["errors"][:5], "error_count": len(state["errors"]),
                                  "cpu_s": sum(os.times()[:2])})

    app = web.Application()
    app.router.add_post("/push/{i}", push)
    app.router.add_get("/stats", stats)

    async def main() -> None:
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port, backlog=4096).start()
        ready.set()
        await asyncio.Event().wait()

    try:
        import uvloop

        uvloop.run(main())
    except ImportError:
        asyncio.run(main())


class PushSink:
    def __init__(self, port: int, process: multiprocessing.process.BaseProcess) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.process = process

    @classmethod
    def start(cls, expected: int) -> PushSink:
        from bench.servers import free_port

        port = free_port()
        ctx = multiprocessing.get_context("spawn")
        ready = ctx.Event()
        process = ctx.Process(target=_serve, args=(port, expected, ready), daemon=True)
        process.start()
        if not ready.wait(30):
            process.kill()
            raise RuntimeError("the push sink did not start")
        return cls(port, process)

    def endpoint(self, i: int) -> str:
        return f"{self.url}/push/{i}"

    def stats(self) -> dict[str, Any]:
        with urllib.request.urlopen(f"{self.url}/stats", timeout=10) as r:
            return dict(json.loads(r.read()))

    def stop(self) -> None:
        self.process.kill()
        self.process.join(10)

    def __enter__(self) -> PushSink:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
