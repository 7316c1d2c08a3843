"""What `sos audit verify` and `sos audit checkpoint` do (app/cli.py only registers them)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from app.evidence import chain, checkpoints
from app.evidence.keys import EvidenceKey
from app.settings import Settings
from app.storage.base import Database


def verify(settings: Settings, db: Database, checkpoint_dir: Path | None,
           bar: Callable[[str, int], Any]) -> None:
    """`db`: opened by the caller, closed here."""
    key = EvidenceKey.for_settings(settings)
    directory = checkpoint_dir if checkpoint_dir is not None else checkpoints.directory_of(settings)
    try:
        total = db.read_sync(lambda c: int(c.execute("SELECT count(*) FROM audit_log").fetchone()[0]))
        with bar("audit log", total) as progress:
            report = chain.verify(db, key.public_pem(), key.key_id, directory, progress.update)
    finally:
        db.close()
    summary = (f"{report.entries} entries up to #{report.head_id}, "
               f"{report.checkpoints} checkpoint(s) (key {key.key_id})")
    if report.whole:
        click.echo(f"audit log whole: {summary}")
        return
    click.echo(f"audit log BROKEN: {report.problems[0].message}", err=True)
    for problem in report.problems[1:6]:
        click.echo(f"  also: {problem.message}", err=True)
    click.echo(f"checked {summary}", err=True)
    raise SystemExit(1)


def checkpoint(settings: Settings, db: Database) -> None:
    """`db`: opened by the caller, closed here."""
    key = EvidenceKey.for_settings(settings)
    try:
        record = checkpoints.make(db, key, checkpoints.directory_of(settings))
    finally:
        db.close()
    click.echo(f"checkpoint of entry #{record['head_id']} ({record['entries']} entries, hash "
               f"{record['head_hash']}) signed with key {record['key_id']} at "
               f"{checkpoints.when(record['at'])}")
