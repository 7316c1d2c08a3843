"""`sos audit verify`: walk the audit log's hash chain and check its signed checkpoints.

The chain (app/identity/audit.py) is walked in id order, a page at a time: each entry's hash is
computed again from its fields and its `prev_hash` compared with the hash of the entry before
it. Then every checkpoint, from the database and from the checkpoint files, is checked: its
signature with the deployment's key, and that the entry it names is there with the hash and the
count it recorded. What is found is a list of `Problem`s, the first (lowest entry id) first:
- changed: an entry's hash does not match its fields;
- deleted: an entry's `prev_hash` is not the hash of the entry now before it (or a checkpoint
  counted more entries than there are);
- truncated: a checkpoint names an entry past the end of the log;
- rewritten: the entry a checkpoint names has another hash now (entries rewritten with their
  hashes computed again: the chain alone holds, the signature over the old head does not).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.evidence import checkpoints
from app.identity.audit import GENESIS, entry_hash
from app.storage.base import Database

PAGE = 2000


@dataclass(order=True)
class Problem:
    entry_id: int  # the first entry concerned (0: none; a checkpoint itself)
    message: str = field(compare=False)


@dataclass
class Report:
    entries: int = 0
    head_id: int = 0
    checkpoints: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def whole(self) -> bool:
        return not self.problems


def describe(row: dict[str, Any]) -> str:
    return f"entry #{row['id']} ({checkpoints.when(float(row['at']))}, {row['action']})"


def verify(
    db: Database,
    public_pem: str,
    key_id: str,
    checkpoint_dir: Path | None,
    progress: Callable[[int], None] | None = None,
) -> Report:
    report = Report()
    found = db.read_sync(checkpoints.from_table)
    unreadable: list[str] = []
    if checkpoint_dir is not None:
        files, unreadable = checkpoints.from_files(checkpoint_dir)
        found += files
    report.problems += [Problem(0, sentence) for sentence in unreadable]
    # The facts a checkpoint is checked against, gathered on the one walk: per named entry id,
    # the entry (or None) and the number of entries up to it.
    named: dict[int, tuple[dict[str, Any], int] | None] = {r["head_id"]: None for _, r in found}
    chain_problem: Problem | None = None
    prev: dict[str, Any] | None = None
    last_id = 0
    while True:
        page = db.read_sync(lambda c, after=last_id: [dict(r) for r in c.execute(
            "SELECT * FROM audit_log WHERE id > ? ORDER BY id LIMIT ?", (after, PAGE))])
        if not page:
            break
        for row in page:
            report.entries += 1
            if chain_problem is None:
                chain_problem = _check_link(row, prev)
            if row["id"] in named:
                named[row["id"]] = (row, report.entries)
            prev = row
        last_id = page[-1]["id"]
        if progress is not None:
            progress(len(page))
    report.head_id = last_id
    if chain_problem is not None:
        report.problems.append(chain_problem)
    seen: set[str] = set()
    for name, record in sorted(found, key=lambda f: (f[1]["head_id"], f[1]["at"])):
        if record["signature"] in seen:
            continue  # the same checkpoint, in the database and as a file
        seen.add(record["signature"])
        report.checkpoints += 1
        problem = _check_checkpoint(name, record, named, prev, public_pem, key_id)
        if problem is not None:
            report.problems.append(problem)
    report.problems.sort()
    return report


def _check_link(row: dict[str, Any], prev: dict[str, Any] | None) -> Problem | None:
    if not row.get("hash"):
        return Problem(row["id"], f"{describe(row)} has no hash: it was written around the chain")
    if entry_hash(row) != row["hash"]:
        return Problem(row["id"], f"{describe(row)} was changed: its hash does not match its contents")
    if prev is None:
        if row["prev_hash"] != GENESIS:
            return Problem(row["id"], f"{describe(row)}: the entries before it were deleted "
                                      "(it is the first entry, but its prev_hash is not 64 zeros)")
    elif row["prev_hash"] != prev["hash"]:
        return Problem(row["id"], f"{describe(row)}: an entry before it was deleted (or the entry "
                                  f"before it rewritten): its prev_hash is not the hash of #{prev['id']}, "
                                  "the entry now before it")
    return None


def _check_checkpoint(
    name: str,
    record: dict[str, Any],
    named: dict[int, tuple[dict[str, Any], int] | None],
    last: dict[str, Any] | None,
    public_pem: str,
    key_id: str,
) -> Problem | None:
    made = f"{name} (made {checkpoints.when(float(record['at']))})"
    if not checkpoints.signature_holds(record, public_pem, key_id):
        return Problem(0, f"{made} is refused: its signature does not verify with the deployment's "
                          f"key {key_id}")
    head_id = int(record["head_id"])
    if head_id == 0:
        return None  # made when the log was empty
    seen = named.get(head_id)
    if seen is None:
        if last is None or head_id > last["id"]:
            end = f"ends at {describe(last)}" if last else "is empty"
            return Problem((last["id"] if last else 0) + 1,
                           f"the log was truncated: {made} names entry #{head_id}, but the log {end}")
        return Problem(head_id, f"entry #{head_id}, named by {made}, was deleted")
    row, count = seen
    if row["hash"] != record["head_hash"]:
        return Problem(head_id, f"{describe(row)} was rewritten: {made} recorded its hash as "
                                f"{record['head_hash'][:16]}…, the log has {str(row['hash'])[:16]}…")
    if count != int(record["entries"]):
        return Problem(head_id, f"entries up to {describe(row)} were deleted: {made} counted "
                                f"{record['entries']}, the log has {count}")
    return None
