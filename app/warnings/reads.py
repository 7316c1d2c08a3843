"""Reading warnings: the public view (what is in force, no names), and the police view (drafts,
who drafted and approved, delivery counts and answers)."""

from __future__ import annotations

from typing import Any

from app.warnings import answers, delivery
from app.warnings.fields import CAP_CATEGORY

PUBLIC_FIELDS = (
    "id", "chain", "msg_type", "exercise", "category", "severity", "urgency", "certainty", "headline",
    "description", "instruction", "headline_en", "description_en", "instruction_en",
)
ACTIVE = "status = 'published' AND msg_type != 'Cancel' AND expires_at > ?"


def _ms(at: float | None) -> int | None:
    return None if at is None else round(at * 1000)


def _wards(conn: Any, ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {i: [] for i in ids}
    if ids:
        marks = ",".join("?" * len(ids))
        for r in conn.execute(
            f"""SELECT ww.warning_id, w.code, w.name FROM warning_wards ww JOIN wards w ON w.code = ww.ward_code
                WHERE ww.warning_id IN ({marks}) ORDER BY w.name""",
            ids,
        ):
            found[r[0]].append({"code": int(r[1]), "name": r[2]})
    return found


def public(row: dict[str, Any], wards: list[dict[str, Any]], now: float) -> dict[str, Any]:
    data = {name: row[name] for name in PUBLIC_FIELDS}
    status = row["status"]
    if status == "published" and row["msg_type"] != "Cancel" and row["expires_at"] <= now:
        status = "expired"
    data.update(
        kind=delivery.KIND[row["msg_type"]],
        references=row["refs"],
        exercise=bool(row["exercise"]),
        cap_category=CAP_CATEGORY.get(row["category"], row["category"]),
        status=status,
        all_city=bool(row["all_city"]),
        wards=wards,
        sent=_ms(row["published_at"]),
        expires=_ms(row["expires_at"]),
        replaced_by=row["ended_by"],
        cap=f"/warnings/{row['id']}.cap.xml",
    )
    return data


def active(conn: Any, now: float, exercise: bool = False) -> list[dict[str, Any]]:
    sql = f"SELECT * FROM warnings WHERE {ACTIVE}" + ("" if exercise else " AND exercise = 0")
    rows = [dict(r) for r in conn.execute(sql + " ORDER BY published_at DESC, id", (now,))]
    wards = _wards(conn, [r["id"] for r in rows])
    return [public(r, wards[r["id"]], now) for r in rows]


def feed_messages(conn: Any, now: float) -> list[dict[str, Any]]:
    """For CAP relays: the messages in force and the cancels of those that would still be, so a
    relay that carried a warning also hears it was withdrawn. Exercises included: CAP's `status`
    says Exercise, and relays filter on it."""
    rows = conn.execute(
        f"""SELECT * FROM warnings WHERE ({ACTIVE}) OR (msg_type = 'Cancel' AND expires_at > ?)
            ORDER BY published_at DESC, id""",
        (now, now),
    )
    return [dict(r) for r in rows]


def one(conn: Any, warning_id: str) -> dict[str, Any] | None:
    row = conn.execute("SELECT * FROM warnings WHERE id = ?", (warning_id,)).fetchone()
    return None if row is None else dict(row)


def public_one(conn: Any, warning_id: str, now: float) -> dict[str, Any] | None:
    """A message that was ever published (a draft is nobody's business but the police's)."""
    row = one(conn, warning_id)
    if row is None or row["published_at"] is None:
        return None
    return public(row, _wards(conn, [warning_id])[warning_id], now)


def for_police(conn: Any, now: float, limit: int = 100) -> list[dict[str, Any]]:
    rows = [dict(r) for r in conn.execute(
        "SELECT * FROM warnings ORDER BY created_at DESC, id LIMIT ?", (limit,))]
    return _with_details(conn, rows, now)


def for_police_ids(conn: Any, now: float, ids: list[str]) -> list[dict[str, Any]]:
    marks = ",".join("?" * len(ids))
    rows = [dict(r) for r in conn.execute(f"SELECT * FROM warnings WHERE id IN ({marks})", ids)]
    return _with_details(conn, rows, now)


def _with_details(conn: Any, rows: list[dict[str, Any]], now: float) -> list[dict[str, Any]]:
    ids = [r["id"] for r in rows]
    wards = _wards(conn, ids)
    sent = delivery.counts(conn, ids)
    answered = answers.counts(conn, sorted({r["chain"] for r in rows}))
    linked = _reports(conn, sorted({r["chain"] for r in rows}))
    people = _people(conn, {r[k] for r in rows for k in ("author_id", "approver_id") if r[k]})
    found = []
    for r in rows:
        data = public(r, wards[r["id"]], now)
        data.update(
            author=people.get(r["author_id"]),
            approver=people.get(r["approver_id"]) if r["approver_id"] else None,
            created=_ms(r["created_at"]),
            ended=_ms(r["ended_at"]),
            delivery=sent[r["id"]],
            answers=answered[r["chain"]],
            reports=linked.get(r["chain"], []),
        )
        found.append(data)
    return found


def _reports(conn: Any, chains: list[str]) -> dict[str, list[str]]:
    """The incidents made by "need help" on any message of each chain (newest first, at most
    100 each): a phone may still hold an older version's id."""
    found: dict[str, list[str]] = {}
    if not chains:
        return found
    marks = ",".join("?" * len(chains))
    for r in conn.execute(
        f"""SELECT w.chain, i.id FROM incidents i JOIN warnings w ON w.id = i.warning
            WHERE w.chain IN ({marks}) ORDER BY i.arrived_at DESC, i.id""",
        chains,
    ):
        if len(found.setdefault(r[0], [])) < 100:
            found[r[0]].append(r[1])
    return found


def _people(conn: Any, ids: set[str]) -> dict[str, dict[str, Any]]:
    wanted = sorted(int(i) for i in ids if i.isdigit())
    if not wanted:
        return {}
    marks = ",".join("?" * len(wanted))
    return {
        str(r[0]): {"id": int(r[0]), "username": r[1], "display_name": r[2]}
        for r in conn.execute(f"SELECT id, username, display_name FROM users WHERE id IN ({marks})", wanted)
    }


def cap_parts(conn: Any, message: dict[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """What a CAP document of `message` needs besides the row: the earlier published messages of
    its chain (its `references`, oldest first) and its wards with their boundaries."""
    # Followed back through `refs` (the message each one updated or cancelled) to the Alert: the
    # order of the versions, whatever the clock said.
    chain: list[dict[str, Any]] = []
    refs = message["refs"]
    while refs is not None and len(chain) < 100:
        earlier = one(conn, refs)
        if earlier is None:
            break
        chain.insert(0, earlier)
        refs = earlier["refs"]
    areas = [
        {"code": int(r[0]), "name": r[1], "boundary": r[2]}
        for r in conn.execute(
            """SELECT w.code, w.name, w.boundary FROM warning_wards ww JOIN wards w ON w.code = ww.ward_code
               WHERE ww.warning_id = ? ORDER BY w.code""",
            (message["id"],),
        )
    ]
    return chain, areas
