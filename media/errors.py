"""What the media library says when it refuses something; the app turns it into its own JSON error."""

from __future__ import annotations


class MediaError(Exception):
    """A refusal with an HTTP status, a machine code and a sentence a person can act on.

        raise MediaError(413, "too_large", "A photo may be at most 20 MB; this one is 31 MB.")
    """

    def __init__(
        self, status: int, code: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


class NotMedia(Exception):
    """The bytes did not decode as a photo or video we accept; the message says why."""
