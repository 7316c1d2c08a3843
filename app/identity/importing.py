"""Many accounts at once from a CSV file (a ward's or the whole city's staff), and the one-time
set-up links that let each person choose a password.

    plan = importing.parse(data)                  # bytes of the CSV: header row, UTF-8 (BOM or not)
    problems = db.read_sync(lambda c: importing.check(c, plan))   # every bad row, or []
    links = db.write_sync(lambda tx: importing.write(tx, plan, actor, now, unusable_hash))

The file is checked whole before anything is written: a file with one bad row creates nobody,
and the answer names every bad row (line, field, message). Then one transaction creates all the
accounts. An imported account has no usable password: its hash is of a random secret thrown
away at once (one argon2 hash for the whole file; 3,000 would take minutes), and
`must_change_password` is set. Each account gets a set-up link whose token is random and kept
only as its SHA-256: the server cannot hand it out again, only the file or screen it was shown on.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from app.identity import audit
from app.identity.accounts import valid_username
from app.identity.auth import ROLES, Principal
from app.identity.devices import PHONE
from app.storage.base import Connection

COLUMNS = ("username", "display_name", "role", "unit", "phone")
REQUIRED = ("username", "role")
MAX_ROWS = 20_000
SETUP_LINK_TTL_S = 7 * 86400
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{20,100}")  # what secrets.token_urlsafe makes


@dataclass(frozen=True)
class Row:
    line: int
    username: str
    display_name: str | None
    role: str
    unit: str | None
    phone: str | None


@dataclass(frozen=True)
class Problem:
    line: int
    field: str
    message: str

    def public(self) -> dict[str, Any]:
        return {"line": self.line, "field": self.field, "message": self.message}


class ImportRefused(ValueError):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{len(problems)} problem(s) in the file; nothing was imported.")
        self.problems = problems


def parse(data: bytes) -> list[Row]:
    """The rows of the file, or ImportRefused for a file that is not a CSV of these columns."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ImportRefused([Problem(line, "file", "The file is not UTF-8 text (save it as CSV UTF-8).")]) from exc
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        raise ImportRefused([Problem(1, "file", "The file is empty.")]) from None
    except csv.Error as exc:
        raise ImportRefused([Problem(1, "file", f"Not a CSV file: {exc}.")]) from None
    missing = [c for c in REQUIRED if c not in header]
    unknown = [h for h in header if h not in COLUMNS]
    if missing or unknown:
        wanted = ", ".join(COLUMNS)
        what = f"missing column(s) {', '.join(missing)}" if missing else f"unknown column(s) {', '.join(unknown)}"
        raise ImportRefused([Problem(1, "header", f"The first row must name the columns {wanted}: {what}.")])
    rows: list[Row] = []
    try:
        for values in reader:
            if not any(v.strip() for v in values):
                continue  # a blank line, e.g. at the end
            if len(rows) >= MAX_ROWS:
                raise ImportRefused([Problem(reader.line_num, "file", f"At most {MAX_ROWS} accounts per file.")])
            cells = dict(zip(header, (v.strip() for v in values), strict=False))
            rows.append(Row(
                line=reader.line_num,
                username=cells.get("username", ""),
                display_name=cells.get("display_name") or None,
                role=cells.get("role", "").lower(),
                unit=cells.get("unit") or None,
                phone=cells.get("phone") or None,
            ))
    except csv.Error as exc:
        raise ImportRefused([Problem(reader.line_num, "file", f"Not a CSV file: {exc}.")]) from None
    if not rows:
        raise ImportRefused([Problem(1, "file", "The file has a header but no accounts.")])
    return rows


def check(conn: Any, rows: list[Row]) -> list[Problem]:
    """Every problem of every row, against the database as it is now (units, usernames)."""
    units = {str(r[0]) for r in conn.execute("SELECT code FROM units WHERE active = 1")}
    taken = {str(r[0]).casefold() for r in conn.execute("SELECT username FROM users")}
    first_line: dict[str, int] = {}
    problems: list[Problem] = []
    for row in rows:
        def bad(field: str, message: str, line: int = row.line) -> None:
            problems.append(Problem(line, field, message))

        if not valid_username(row.username):
            bad("username", "1-64 letters, digits, '.', '_' or '-'.")
        else:
            key = row.username.casefold()
            if key in taken:
                bad("username", f"{row.username!r} already exists.")
            elif key in first_line:
                bad("username", f"{row.username!r} is also on line {first_line[key]}.")
            else:
                first_line[key] = row.line
        if row.role not in ROLES:
            bad("role", f"Must be one of {', '.join(ROLES)}; got {row.role[:40]!r}.")
        if row.unit is not None and row.unit not in units:
            bad("unit", f"Unknown unit {row.unit[:64]!r} (e.g. ward-26704, dept-traffic).")
        if row.role == "officer" and row.unit is None:
            bad("unit", "An officer belongs to a unit.")
        if row.phone is not None and not PHONE.match(row.phone):
            bad("phone", "Digits, e.g. 0901 234 567.")
        if row.display_name is not None and len(row.display_name) > 200:
            bad("display_name", "At most 200 characters.")
    return problems


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Credential:
    username: str
    role: str
    token: str
    expires: float


def write(
    tx: Connection, rows: list[Row], actor: Principal, now: float, unusable_hash: str,
    progress: Callable[[int, int], None] | None = None,
) -> list[Credential]:
    """Create every account and its set-up link. The caller checked the rows (`check`) in a
    read just before; a username taken meanwhile makes the insert fail and nothing is written."""
    expires = now + SETUP_LINK_TTL_S
    credentials: list[Credential] = []
    links: list[tuple[str, int, float, float]] = []
    for row in rows:
        user_id = int(tx.execute(
            """INSERT INTO users (username, password_hash, role, unit, display_name, phone, active,
               created_at, must_change_password) VALUES (?, ?, ?, ?, ?, ?, 1, ?, 1) RETURNING id""",
            (row.username, unusable_hash, row.role, row.unit, row.display_name, row.phone, now),
        ).fetchone()[0])
        token = secrets.token_urlsafe(32)
        links.append((token_hash(token), user_id, now, expires))
        credentials.append(Credential(row.username, row.role, token, expires))
        audit.append(tx, actor, "user.create", f"user/{user_id}", at=now, role=row.role, unit=row.unit,
                     via="import")
        if progress is not None and (len(credentials) % 100 == 0 or len(credentials) == len(rows)):
            progress(len(credentials), len(rows))
    tx.executemany(
        "INSERT INTO setup_links (token_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
        links,
    )
    audit.append(tx, actor, "user.import", None, at=now, created=len(rows))
    return credentials


def setup_url(origin: str, role: str, token: str) -> str:
    app = "officer" if role == "officer" else "center"
    return f"{origin.rstrip('/')}/{app}/#/setup/{token}"
