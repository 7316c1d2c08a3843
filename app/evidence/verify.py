"""Check a case bundle offline: `sos evidence verify FILE.zip [--key PEM]`.

Only the standard library and `cryptography`: no settings, no database, nothing else of the app,
so an investigator can run it (or `python -m app.evidence.verify`) on a machine that never saw the
server. What it checks, in order, stopping at the first bad file:

1. the signature `manifest.sig` over `manifest.json`'s exact bytes, with `--key` (the key published
   at /api/evidence/key) or else the bundle's own `evidence-key.pem` — which proves only that the
   bundle is whole, not who made it: it says so loudly and prints the key_id to compare;
2. every file the manifest lists: present, of its size, of its SHA-256;
3. no file in the zip that the manifest does not list.
"""

from __future__ import annotations

import hashlib
import json
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

MANIFEST, SIGNATURE, KEY = "manifest.json", "manifest.sig", "evidence-key.pem"
BLOCK = 1024 * 1024


class Bad(Exception):
    """The bundle is not intact; `name` is the first bad file."""

    def __init__(self, name: str, why: str) -> None:
        super().__init__(f"{name}: {why}")
        self.name = name


@dataclass
class Outcome:
    ok: bool
    lines: list[str] = field(default_factory=list)
    bad: str | None = None


def key_id_of(key: Ed25519PublicKey) -> str:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def load_key(pem: bytes, name: str) -> Ed25519PublicKey:
    try:
        key = serialization.load_pem_public_key(pem)
    except ValueError as exc:
        raise Bad(name, f"not a public key in PEM ({exc})") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise Bad(name, "not an Ed25519 public key")
    return key


def _read(zf: zipfile.ZipFile, name: str) -> bytes:
    try:
        return zf.read(name)
    except KeyError as exc:
        raise Bad(name, "missing from the bundle") from exc
    except (zipfile.BadZipFile, OSError) as exc:  # a CRC error: changed inside the zip itself
        raise Bad(name, f"damaged in the zip ({exc})") from exc


def _digest(zf: zipfile.ZipFile, name: str) -> tuple[int, str]:
    digest, size = hashlib.sha256(), 0
    try:
        with zf.open(name) as fh:
            while block := fh.read(BLOCK):
                digest.update(block)
                size += len(block)
    except (zipfile.BadZipFile, OSError) as exc:
        raise Bad(name, f"damaged in the zip ({exc})") from exc
    return size, digest.hexdigest()


def _check(zf: zipfile.ZipFile, key_pem: bytes | None, say: list[str]) -> dict[str, Any]:
    names = zf.namelist()
    for name in names:
        if name.startswith("/") or ".." in name.split("/") or names.count(name) > 1:
            raise Bad(name, "a path a bundle never holds (absolute, '..' or twice)")
    manifest_bytes, signature = _read(zf, MANIFEST), _read(zf, SIGNATURE)
    if key_pem is None:
        key = load_key(_read(zf, KEY), KEY)
        say.append(f"WARNING: checked with the bundle's own key {KEY} (key_id {key_id_of(key)}).")
        say.append("WARNING: that proves the bundle is whole, NOT who made it: compare this key_id with")
        say.append("WARNING: the one published at /api/evidence/key, or run again with --key PUBLISHED.pem")
    else:
        key = load_key(key_pem, "--key")
        say.append(f"key: the given key, key_id {key_id_of(key)}")
    try:
        key.verify(signature, manifest_bytes)
    except InvalidSignature as exc:
        hint = ""
        if key_pem is None:
            hint = f" (or {KEY} was replaced)"
        raise Bad(MANIFEST, f"the signature {SIGNATURE} does not match it with key {key_id_of(key)}{hint}") from exc
    say.append(f"signature: {SIGNATURE} verifies {MANIFEST} (Ed25519)")
    manifest = json.loads(manifest_bytes)
    listed: set[str] = set()
    for entry in manifest.get("files", []):
        name = entry["path"]
        listed.add(name)
        if name not in names:
            raise Bad(name, "listed in the manifest but missing from the bundle")
        size, sha = _digest(zf, name)
        if size != entry["size"]:
            raise Bad(name, f"{size} bytes; the manifest says {entry['size']}")
        if sha != entry["sha256"]:
            raise Bad(name, f"SHA-256 {sha}; the manifest says {entry['sha256']}")
    for name in names:
        if name not in listed and name not in (MANIFEST, SIGNATURE) and not name.endswith("/"):
            raise Bad(name, "in the bundle but not listed in the manifest")
    say.append(f"files: {len(listed)} listed, every one present with its size and SHA-256; none unlisted")
    if key_pem is not None and manifest.get("key_id") != key_id_of(key):
        say.append(f"note: the manifest names key_id {manifest.get('key_id')}")
    return manifest


def verify_bundle(path: Path, key_pem: bytes | None = None) -> Outcome:
    say: list[str] = []
    try:
        with zipfile.ZipFile(path) as zf:
            manifest = _check(zf, key_pem, say)
    except Bad as exc:
        return Outcome(False, [*say, f"NOT INTACT: {exc}"], exc.name)
    except (zipfile.BadZipFile, OSError) as exc:
        return Outcome(False, [*say, f"NOT INTACT: {path.name}: not a readable zip ({exc})"], path.name)
    except (ValueError, KeyError, TypeError) as exc:  # a signed manifest we cannot read: not ours
        return Outcome(False, [*say, f"NOT INTACT: {MANIFEST}: unreadable ({exc})"], MANIFEST)
    media = manifest.get("media", [])
    for item in media:
        say.append(f"media {item.get('id')}: capture {item.get('capture')}, phone {item.get('phone_sha256')}, "
                   f"server {item.get('server_sha256')}")
    say.append(f"intact: incident {manifest.get('incident')}, made {manifest.get('created_at')} by "
               f"{json.dumps(manifest.get('created_by'), ensure_ascii=False)}")
    return Outcome(True, say)


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description="Check an SOS ANTT evidence bundle offline.")
    parser.add_argument("bundle", type=Path)
    parser.add_argument("--key", type=Path, help="the public key published at /api/evidence/key (PEM)")
    args = parser.parse_args(argv)
    return say(verify_bundle(args.bundle, args.key.read_bytes() if args.key else None))


def say(outcome: Outcome) -> int:
    """Print the outcome (warnings and the verdict of a bad bundle on stderr); the exit status."""
    for line in outcome.lines:
        print(line, file=sys.stderr if line.startswith(("WARNING", "NOT")) else sys.stdout)
    return 0 if outcome.ok else 1


if __name__ == "__main__":
    sys.exit(main())
