"""The password rule: long enough and not guessable, judged by zxcvbn (a well-kept estimator with
its own lists of common passwords, names and words), never by a hand-written list.

    passwords.check(new, username="lan", display_name="Nguyễn Lan")          # a person's choice
    passwords.check(pw, username="lan", minimum=passwords.ADMIN_MINIMUM)     # `sos user add`
    one_time()                                                              # an admin reset

A password a person chooses (a change, a set-up link) needs 10 characters and a zxcvbn score of
3 or more ("safely unguessable"), with the username and display name counted as known words. A
password an admin types for someone (`sos user add`, POST /api/admin/users) keeps the old minimum
of 8 characters but must still not score 0-1 (a top-list password, "password1", "12345678").
"""

from __future__ import annotations

import secrets
import unicodedata
from dataclasses import dataclass

from zxcvbn import zxcvbn

from app.errors import ApiError

# zxcvbn's cost grows with the length; nobody types a longer password, and a longer one would be
# a cheap way to make the server work.
MAX_CHARS = 256


@dataclass(frozen=True)
class Minimum:
    chars: int
    score: int


PERSON_MINIMUM = Minimum(chars=10, score=3)
ADMIN_MINIMUM = Minimum(chars=8, score=2)
# Letters that are hard to mistake for one another when read aloud or copied from a screen.
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


class WeakPassword(ValueError):
    """The password breaks the rule; `warning` and `suggestions` are zxcvbn's, in English."""

    def __init__(self, message: str, warning: str = "", suggestions: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.warning = warning
        self.suggestions = suggestions

    def api_error(self) -> ApiError:
        return ApiError(
            422, "weak_password", str(self), field="new_password",
            warning=self.warning, suggestions=list(self.suggestions),
        )


def check(
    password: str,
    username: str | None = None,
    display_name: str | None = None,
    minimum: Minimum = PERSON_MINIMUM,
) -> None:
    """Raise WeakPassword with a reason a person can act on, or return."""
    if not is_text(password):
        raise WeakPassword("The password holds a character that is not text.")
    if len(password) < minimum.chars:
        raise WeakPassword(f"The password must have at least {minimum.chars} characters.")
    if len(password) > MAX_CHARS:
        raise WeakPassword(f"The password must have at most {MAX_CHARS} characters.")
    known = [w for w in (username, display_name) if w]
    # The parts of a name count as well, and without accents: "thi", "lan" in "Nguyễn Thị Lan".
    known += [part for w in list(known) for part in w.replace(".", " ").replace("_", " ").split()]
    if display_name:  # "tranthilan", "lanthitran": a name written as one word, either way round
        parts = display_name.split()
        known += ["".join(parts), "".join(reversed(parts))]
    known += [_unaccented(w) for w in known]
    result = zxcvbn(password, user_inputs=known)
    if result["score"] < minimum.score:
        feedback = result.get("feedback") or {}
        warning = feedback.get("warning") or ""
        suggestions = tuple(feedback.get("suggestions") or ())
        reason = warning or "This password is too easy to guess."
        hint = " ".join(suggestions) or "Use a few uncommon words together."
        raise WeakPassword(f"{reason.rstrip('.')}. {hint}", warning, suggestions)


def is_text(value: str) -> bool:
    """False for a string with a lone surrogate ("\\ud800" in JSON): it cannot be hashed or stored."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _unaccented(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text.casefold().replace("đ", "d"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def one_time() -> str:
    """An initial password an admin hands over once (reset): 4 groups of 4, ~78 bits."""
    groups = ("".join(secrets.choice(_ALPHABET) for _ in range(4)) for _ in range(4))
    return "-".join(groups)
