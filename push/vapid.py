"""The server's VAPID identity (RFC 8292): one ES256 key pair, and the `sub` contact it signs with.

    keys = VapidKeys.load_or_create(data_dir / "vapid_private_key.pem")
    keys.public_key        # base64url of the 65-byte uncompressed point: applicationServerKey
    keys.authorization("https://fcm.googleapis.com/fcm/send/x", "mailto:ops@police.gov.vn")

Every subscription is bound to the public key it was made with: a new key silently breaks every
existing subscription, so the key is made once, kept in the data directory (mode 0600), and never
replaced automatically.
"""

from __future__ import annotations

import base64
import os
import re
import time
from pathlib import Path
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid02

# A JWT is valid for at most 24 h (RFC 8292 §2); signing one per message is waste, so a token is
# reused for an hour per push service and signed for 12 h.
TOKEN_LIFETIME_S = 12 * 3600
TOKEN_REUSE_S = 3600

# Domains reserved for documentation and tests (RFC 2606, RFC 6761): a `sub` there is a
# placeholder, which Apple's push service refuses outright and the others may throttle.
PLACEHOLDER_DOMAINS = re.compile(
    r"(^|\.)(example|invalid|test|localhost)$|(^|\.)example\.(com|net|org)$", re.IGNORECASE
)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def subject_problem(subject: str) -> str | None:
    """Why `subject` will not do as the VAPID `sub` claim, or None when it is a real contact."""
    if subject.startswith("mailto:"):
        address = subject[len("mailto:"):]
        local, at, domain = address.rpartition("@")
        if not at or not local or "." not in domain:
            return f"{subject!r} is not a mailto: address"
        host = domain
    elif subject.startswith("https://"):
        host = urlsplit(subject).hostname or ""
        if "." not in host:
            return f"{subject!r} has no real host name"
    else:
        return f"{subject!r} must be a mailto: or https: URL"
    if PLACEHOLDER_DOMAINS.search(host.rstrip(".")):
        return f"{subject!r} is a placeholder ({host} is a reserved domain)"
    return None


class VapidKeys:
    """An ES256 key pair and the VAPID `Authorization` headers signed with it."""

    def __init__(self, private_key: ec.EllipticCurvePrivateKey) -> None:
        self._vapid = Vapid02(private_key)
        point = private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        self.public_key = b64url(point)
        self._tokens: dict[str, tuple[float, str]] = {}

    @classmethod
    def from_string(cls, text: str) -> VapidKeys:
        """A PEM private key, or the raw 32-byte key in base64url (what `web-push
        generate-vapid-keys` and most VAPID tools print)."""
        text = text.strip()
        if text.startswith("-----BEGIN"):
            key = serialization.load_pem_private_key(text.encode(), password=None)
        else:
            raw = b64url_decode(text)
            if len(raw) != 32:
                raise ValueError("a raw VAPID private key is 32 bytes in base64url")
            key = ec.derive_private_key(int.from_bytes(raw, "big"), ec.SECP256R1())
        if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
            raise ValueError("a VAPID key is an EC P-256 private key")
        return cls(key)

    @classmethod
    def load_or_create(cls, path: Path) -> VapidKeys:
        """The key kept at `path`, made now if there is none. Two processes starting at once
        agree: O_EXCL lets only one of them write it."""
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                pass
            else:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(pem)
        return cls.from_string(path.read_text())

    def authorization(self, endpoint: str, subject: str) -> str:
        """The `Authorization: vapid t=…,k=…` value for a push service (its origin is the `aud`)."""
        parts = urlsplit(endpoint)
        audience = f"{parts.scheme}://{parts.netloc}"
        now = time.time()
        cached = self._tokens.get(audience)
        if cached is not None and cached[0] > now:
            return cached[1]
        claims = {"aud": audience, "sub": subject, "exp": int(now) + TOKEN_LIFETIME_S}
        value = self._vapid.sign(claims)["Authorization"]
        self._tokens[audience] = (now + TOKEN_REUSE_S, value)
        return value
