"""The deployment's evidence key: Ed25519, signs the audit log's checkpoints and case bundles.

    key = EvidenceKey.for_settings(settings)      # SOS_EVIDENCE_PRIVATE_KEY, else a file made once
    signature = key.sign(data)                     # 64 bytes
    EvidenceKey.verify(key.public_pem(), data, signature)   # True / False, with the public key only

The private key comes from `SOS_EVIDENCE_PRIVATE_KEY` (PEM, PKCS#8) when set; otherwise it is made
on first use and kept as `evidence_signing_key.pem` at the top of the data directory (mode 0600),
where `sos backup` picks it up with the other keys. Several processes of one deployment share the
data directory (as they share media), so they sign with the same key. `key_id` is the first 16 hex
digits of the SHA-256 of the raw public key: what a verifier compares when told which key to trust.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from app.settings import write_key_once

if TYPE_CHECKING:
    from app.settings import Settings

KEY_FILE = "evidence_signing_key.pem"


@dataclass(frozen=True)
class EvidenceKey:
    private: Ed25519PrivateKey

    @classmethod
    def for_settings(cls, settings: Settings) -> EvidenceKey:
        pem = getattr(settings, "evidence_private_key", None)
        if pem:
            return cls.from_pem(pem.encode() if isinstance(pem, str) else pem)
        return cls.load_or_create(settings.data_dir / KEY_FILE)

    @classmethod
    def from_pem(cls, pem: bytes) -> EvidenceKey:
        key = serialization.load_pem_private_key(pem, password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError("the evidence key must be an Ed25519 private key (PEM, PKCS#8)")
        return cls(key)

    @classmethod
    def load_or_create(cls, path: Path) -> EvidenceKey:
        if not path.exists():
            write_key_once(path, Ed25519PrivateKey.generate().private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            ))
        return cls.from_pem(path.read_bytes())

    # -- signing ---------------------------------------------------------------------------------
    def sign(self, data: bytes) -> bytes:
        return self.private.sign(data)

    @property
    def public(self) -> Ed25519PublicKey:
        return self.private.public_key()

    def public_raw(self) -> bytes:
        return self.public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)

    def public_pem(self) -> str:
        return self.public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode()

    @property
    def key_id(self) -> str:
        return key_id_of(self.public_raw())

    # -- verifying (public key only) -------------------------------------------------------------
    @staticmethod
    def verify(public_pem: str | bytes, data: bytes, signature: bytes) -> bool:
        key = load_public(public_pem)
        try:
            key.verify(signature, data)
        except InvalidSignature:
            return False
        return True


def load_public(public_pem: str | bytes) -> Ed25519PublicKey:
    raw = public_pem.encode() if isinstance(public_pem, str) else public_pem
    key = serialization.load_pem_public_key(raw)
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("not an Ed25519 public key")
    return key


def key_id_of(public_raw: bytes) -> str:
    return hashlib.sha256(public_raw).hexdigest()[:16]


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()
