"""The facts of the tus 1.0 protocol this server speaks: core, creation (with upload),
termination, expiration and checksum (SHA-256 only).

Pure functions over header values, so the protocol is tested without a server and the HTTP layer
stays thin. See https://tus.io/protocols/resumable-upload (1.0.x).

    meta = parse_metadata("report NGE3Yg==,filename cGhvdG8uanBn")  # {"report": "4a7b", ...}
    length = parse_length(headers.get("upload-length"))
"""

from __future__ import annotations

import base64
import binascii
import email.utils
import re

from .errors import MediaError

VERSION = "1.0.0"
EXTENSIONS = "creation,creation-with-upload,termination,expiration,checksum"
CHECKSUM_ALGORITHMS = ("sha256",)  # the one the phone computes anyway (hash at capture)
CHECKSUM_MISMATCH = 460  # tus's own status: the body's checksum differs, nothing of it was stored
OFFSET_CONTENT_TYPE = "application/offset+octet-stream"
MAX_METADATA_HEADER = 4096
_DIGITS = re.compile(r"[0-9]{1,15}", re.ASCII)


def base_headers() -> dict[str, str]:
    return {"Tus-Resumable": VERSION}


def options_headers(max_size: int) -> dict[str, str]:
    return {
        **base_headers(),
        "Tus-Version": VERSION,
        "Tus-Extension": EXTENSIONS,
        "Tus-Max-Size": str(max_size),
        "Tus-Checksum-Algorithm": ",".join(CHECKSUM_ALGORITHMS),
    }


def check_version(value: str | None) -> None:
    """Every request but OPTIONS names the protocol version; another version gets 412."""
    if value != VERSION:
        raise MediaError(
            412,
            "tus_version",
            f"This server speaks tus {VERSION}; send the header Tus-Resumable: {VERSION}.",
            {"Tus-Version": VERSION},
        )


def parse_length(value: str | None, name: str = "Upload-Length") -> int:
    if value is None:
        if name == "Upload-Length":
            raise MediaError(
                400, "upload_length", "Send Upload-Length: the server needs the size up front."
            )
        raise MediaError(400, "upload_offset", f"Send {name}.")
    # ASCII digits only: str.isdigit() is also true for '²', which int() then refuses.
    if not _DIGITS.fullmatch(value):
        raise MediaError(
            400, "bad_header", f"{name} must be a non-negative whole number of at most 15 digits."
        )
    return int(value)


def parse_checksum(value: str | None) -> bytes | None:
    """Upload-Checksum: `sha256 <base64 of the 32-byte digest>` -> the digest; None if absent.
    An algorithm this server does not speak, or a malformed value, is a 400 (tus checksum)."""
    if value is None:
        return None
    algorithm, _, encoded = value.strip().partition(" ")
    if algorithm.lower() not in CHECKSUM_ALGORITHMS:
        raise MediaError(
            400, "checksum_algorithm",
            f"Upload-Checksum algorithm must be one of: {', '.join(CHECKSUM_ALGORITHMS)}.",
            {"Tus-Checksum-Algorithm": ",".join(CHECKSUM_ALGORITHMS)},
        )
    try:
        digest = base64.b64decode(encoded.strip(), validate=True)
    except (binascii.Error, ValueError):
        digest = b""
    if len(digest) != 32:
        raise MediaError(
            400, "bad_checksum", "Upload-Checksum must be 'sha256 ' and the base64 of 32 bytes."
        )
    return digest


def parse_metadata(value: str | None) -> dict[str, str]:
    """Upload-Metadata: comma-separated `key base64value` pairs; a key may stand alone."""
    if not value:
        return {}
    if len(value) > MAX_METADATA_HEADER:
        raise MediaError(400, "bad_metadata", "Upload-Metadata is too long.")
    result: dict[str, str] = {}
    for pair in value.split(","):
        parts = pair.strip().split(" ")
        key = parts[0]
        if not key or len(parts) > 2 or not key.isascii() or key in result:
            raise MediaError(400, "bad_metadata", f"Upload-Metadata has a malformed pair {pair!r}.")
        if len(parts) == 1:
            result[key] = ""
            continue
        try:
            result[key] = base64.b64decode(parts[1], validate=True).decode("utf-8")
        # binascii.Error and UnicodeDecodeError are ValueErrors, and so is what b64decode raises
        # for a non-ASCII character (a header byte past 0x7f: it was a 500, issue 25).
        except ValueError as exc:
            raise MediaError(
                400, "bad_metadata", f"Upload-Metadata value of {key!r} is not base64 UTF-8."
            ) from exc
        if "\x00" in result[key]:  # stored as text, which PostgreSQL refuses to hold a NUL
            raise MediaError(400, "bad_metadata", f"Upload-Metadata value of {key!r} holds a NUL.")
    return result


def encode_metadata(values: dict[str, str]) -> str:
    """The client side of `parse_metadata` (used by tests and the benchmark)."""
    return ",".join(
        f"{key} {base64.b64encode(value.encode()).decode()}" for key, value in values.items()
    )


def expires_header(at: float) -> dict[str, str]:
    return {"Upload-Expires": email.utils.formatdate(at, usegmt=True)}
