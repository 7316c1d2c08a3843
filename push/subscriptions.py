"""Reading a browser's `PushSubscription` JSON, and deciding which endpoints the server will call.

    policy = EndpointPolicy(hosts=DEFAULT_PUSH_HOSTS)
    sub = parse_subscription(body, policy)   # raises InvalidSubscription with a reason

The endpoint is a URL the server will POST to on behalf of whoever registered it, and a citizen
identity costs nothing: so the host must belong to a known push service (server-side request
forgery otherwise), and plain http is allowed only to loopback, only when a setting says so (tests).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric import ec

from .vapid import b64url_decode

# The push services of the browsers in use: Chrome/Edge/Samsung (FCM), Firefox (Mozilla autopush),
# Safari 16+ (Apple), legacy Edge (WNS). A host matches itself and its subdomains.
DEFAULT_PUSH_HOSTS = (
    "fcm.googleapis.com",
    "android.googleapis.com",
    "push.services.mozilla.com",
    "push.apple.com",
    "notify.windows.com",
)
MAX_ENDPOINT_CHARS = 2048
LOOPBACK_NAMES = ("localhost",)


class InvalidSubscription(ValueError):
    """The subscription JSON cannot be used; the message says why, for the caller."""


@dataclass(frozen=True)
class EndpointPolicy:
    hosts: tuple[str, ...] = DEFAULT_PUSH_HOSTS  # "*" allows any https host
    allow_loopback: bool = False  # http(s)://localhost, 127.0.0.1, [::1]: tests only

    def check(self, endpoint: str) -> None:
        if len(endpoint) > MAX_ENDPOINT_CHARS:
            raise InvalidSubscription(f"The endpoint is longer than {MAX_ENDPOINT_CHARS} characters.")
        try:
            parts = urlsplit(endpoint)
            host = (parts.hostname or "").lower()
            parts.port  # noqa: B018 - raises ValueError on a bad port
        except ValueError as exc:
            raise InvalidSubscription("The endpoint is not a valid URL.") from exc
        if not host or parts.username or parts.password:
            raise InvalidSubscription("The endpoint is not a valid push service URL.")
        if _is_loopback(host):
            if self.allow_loopback and parts.scheme in ("http", "https"):
                return
            raise InvalidSubscription("Push endpoints on this machine are not allowed.")
        if parts.scheme != "https":
            raise InvalidSubscription("A push endpoint must be an https URL.")
        if _is_ip(host):
            raise InvalidSubscription("A push endpoint must name a push service, not an address.")
        if "*" in self.hosts:
            return
        if not any(host == h or host.endswith("." + h) for h in self.hosts):
            raise InvalidSubscription(f"{host} is not a known push service.")


@dataclass(frozen=True)
class Subscription:
    endpoint: str
    p256dh: str  # base64url, as the browser gave it
    auth: str


def parse_subscription(data: Any, policy: EndpointPolicy) -> Subscription:
    """A `PushSubscription.toJSON()` value: `{endpoint, expirationTime?, keys: {p256dh, auth}}`."""
    if not isinstance(data, dict):
        raise InvalidSubscription("A subscription is a JSON object.")
    endpoint, keys = data.get("endpoint"), data.get("keys")
    if not isinstance(endpoint, str) or not endpoint:
        raise InvalidSubscription("The subscription has no endpoint.")
    policy.check(endpoint)
    if not isinstance(keys, dict):
        raise InvalidSubscription("The subscription has no keys.")
    p256dh, auth = keys.get("p256dh"), keys.get("auth")
    point = _decode(p256dh, "keys.p256dh")
    if len(point) != 65 or point[0] != 4:
        raise InvalidSubscription("keys.p256dh must be an uncompressed P-256 point (65 bytes).")
    try:
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
    except ValueError as exc:
        raise InvalidSubscription("keys.p256dh is not a point on P-256.") from exc
    if len(_decode(auth, "keys.auth")) != 16:
        raise InvalidSubscription("keys.auth must be 16 bytes.")
    return Subscription(endpoint=endpoint, p256dh=str(p256dh), auth=str(auth))


def _decode(value: Any, name: str) -> bytes:
    if not isinstance(value, str) or not value or len(value) > 200:
        raise InvalidSubscription(f"{name} is missing.")
    try:
        return b64url_decode(value.replace("+", "-").replace("/", "_").rstrip("="))
    except ValueError as exc:
        raise InvalidSubscription(f"{name} is not base64url.") from exc


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def _is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
