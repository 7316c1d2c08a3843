"""Backups of the embedded deployment (`sos backup`, `sos backup verify`, `sos restore`; DESIGN §4).

A backup is a directory:

    manifest.json       written last (a backup without it is unfinished): when the database's
                        snapshot was taken and when the backup ended, the app's version, the
                        database's schema version, and every other file's size and SHA-256
    sos.db              the SQLite database, copied by SQLite's online backup API
    keys/<name>         the data directory's keys: secret_key (signs every token), the VAPID key,
                        any other *.pem / *.key / *key* file at its top level
    media/<id[:2]>/<id>/<file>   originals and derivatives (unfinished uploads are left out)
    audit/<path>        the audit log's signed checkpoints (issue 27): a copy outside the database

The database is copied first, in steps of `PAGES` pages, from a connection that holds one read
transaction for the whole copy: in WAL mode the server keeps writing (readers never block it) and
the copy is exactly the database as it was when that transaction began. Without the held
transaction SQLite restarts a stepped backup whenever another connection writes, which under a
steady stream of reports can be forever. Media is copied after the database, so every file the
copied database calls complete exists (originals are never rewritten; derivatives are renamed
into place whole). Files that appear later are copied too, which is harmless.

Incremental media: an earlier backup (`--since`, else the newest finished backup beside DIR)
is looked up by relative path. A file whose size and modification time (ns) are those recorded
in that backup's manifest is hard-linked from it instead of read again, and its SHA-256 is taken
from that manifest (the quick check rsync makes). Linked files are shared by both backups: they
are made read-only, and `sos backup verify` reads every byte of either. The database and keys
are always copied whole.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import shutil
import sqlite3
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.settings import Settings

MANIFEST = "manifest.json"
FORMAT = 1
PAGES = 1024  # SQLite pages per backup step (4 MiB with the default page size)
BLOCK = 1024 * 1024
DB_NAME = "sos.db"
# Never in a backup: the live database's side files, and media still being written.
_DB_FILES = {"sos.db", "sos.db-wal", "sos.db-shm", "sos.db-journal"}
_PARTIAL = "upload.part"

Progress = Callable[[int], None]  # called with the bytes just done
# Makes a progress bar: `bars(label, total)` is a context manager whose `update(n)` adds n done.
Bars = Callable[[str, int], Any]


class BackupError(Exception):
    """A refusal or a failed check: the message says what and where."""


@dataclass
class Summary:
    files: int = 0
    copied: int = 0
    linked: int = 0
    bytes_copied: int = 0
    since: Path | None = None
    database_at: str | None = None  # when the database's snapshot was taken
    notes: list[str] = field(default_factory=list)


def sha256_file(path: Path, progress: Progress | None = None) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(BLOCK):
            digest.update(chunk)
            if progress:
                progress(len(chunk))
    return digest.hexdigest()


def is_empty_dir(path: Path) -> bool:
    """Absent or an empty directory."""
    if not path.exists():
        return True
    return path.is_dir() and not any(path.iterdir())


def key_files(data_dir: Path) -> list[Path]:
    """The data directory's keys: the files at its top level named like a key."""
    if not data_dir.is_dir():
        return []
    found = []
    for path in sorted(data_dir.iterdir()):
        name = path.name
        if not path.is_file() or name in _DB_FILES:
            continue
        if name.endswith((".pem", ".key")) or "key" in name:
            found.append(path)
    return found


def media_files(root: Path) -> Iterator[Path]:
    """Originals and derivatives under the media root, in a stable order."""
    if not root.is_dir():
        return
    for folder, dirs, names in os.walk(root):
        dirs.sort()
        for name in sorted(names):
            if name == _PARTIAL or (name.startswith(".") and name.endswith(".tmp")):
                continue
            yield Path(folder) / name


def read_manifest(backup: Path) -> dict[str, Any]:
    path = backup / MANIFEST
    if not path.is_file():
        raise BackupError(f"{backup}: no {MANIFEST} (not a backup, or an unfinished one)")
    try:
        manifest: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BackupError(f"{path}: unreadable ({exc})") from exc
    if manifest.get("format") != FORMAT or not isinstance(manifest.get("files"), dict):
        raise BackupError(f"{path}: not a manifest this version understands")
    return manifest


def previous_backup(target: Path) -> Path | None:
    """The newest finished backup beside `target`: the one whose manifest (written last) is the
    newest file of its kind; only that manifest is read, however many backups are kept."""
    parent = target.resolve().parent
    found = []
    for sibling in parent.iterdir() if parent.is_dir() else ():
        manifest = sibling / MANIFEST
        if sibling.resolve() != target.resolve() and manifest.is_file():
            found.append((manifest.stat().st_mtime_ns, sibling))
    for _, sibling in sorted(found, reverse=True):
        try:
            read_manifest(sibling)
        except BackupError:
            continue  # not one of ours: try the next newest
        return sibling
    return None


# -- backup ----------------------------------------------------------------------------------------
def copy_database(source: Path, dest: Path, progress: Progress) -> int:
    """Online backup of the live database into `dest`; returns its schema version."""
    src = sqlite3.connect(str(source), isolation_level=None, timeout=30)
    dst = sqlite3.connect(str(dest))
    try:
        src.execute("PRAGMA busy_timeout=30000")
        # One read transaction for the whole copy: a fixed snapshot, never restarted by the
        # server's writes (see the module docstring).
        src.execute("BEGIN")
        src.execute("SELECT count(*) FROM sqlite_master").fetchone()  # the snapshot starts here
        version = int(src.execute("PRAGMA user_version").fetchone()[0])
        done = [0]

        def step(_status: int, remaining: int, total: int) -> None:
            progress(total - remaining - done[0])
            done[0] = total - remaining

        src.backup(dst, pages=PAGES, sleep=0, progress=step)
        src.execute("COMMIT")
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
    finally:
        dst.close()
        src.close()
    return version


def _app_version() -> str:
    from importlib import metadata

    try:
        return metadata.version("sos-antt")
    except metadata.PackageNotFoundError:
        return "unknown"


def make_backup(
    settings: Settings, target: Path, since: Path | None = None, bars: Bars | None = None
) -> Summary:
    """Write a backup of `settings`' deployment into `target` (absent or empty)."""
    if not is_empty_dir(target):
        raise BackupError(f"{target} is not empty: a backup goes into a new or empty directory")
    if since is not None:
        read_manifest(since)  # a named earlier backup must be one
    summary = Summary(since=since if since is not None else _auto_since(target))
    previous = read_manifest(summary.since)["files"] if summary.since else {}
    if not target.exists():
        target.mkdir(parents=True)
        os.chmod(target, 0o700)  # the keys and every account's data: the service's user only
    files: dict[str, dict[str, Any]] = {}
    schema_version: int | None = None
    bars = bars or _no_bar

    if settings.database_url:
        summary.notes.append(
            "the database is on PostgreSQL: back it up with PostgreSQL's own tools (docs/deploy.md, "
            "point-in-time recovery); this backup holds the media and the keys only")
    else:
        if not settings.db_path.is_file():
            raise BackupError(f"no database at {settings.db_path} (is SOS_DATA_DIR right?)")
        summary.database_at = _now()
        with bars("database (pages)", _pages(settings.db_path)) as bar:
            schema_version = copy_database(settings.db_path, target / DB_NAME, bar.update)
        os.chmod(target / DB_NAME, 0o600)
        files[DB_NAME] = _record(target / DB_NAME, target / DB_NAME)
        summary.copied += 1
        summary.bytes_copied += files[DB_NAME]["size"]

    for key in key_files(settings.data_dir):
        dest = target / "keys" / key.name
        dest.parent.mkdir(mode=0o700, exist_ok=True)
        shutil.copyfile(key, dest)
        os.chmod(dest, 0o600)
        files[f"keys/{key.name}"] = _record(dest, key)
        summary.copied += 1
    audit = settings.data_dir / "audit"
    for source in media_files(audit):  # the checkpoint files: small, always copied whole
        if source.suffix == ".part":
            continue
        rel = "audit/" + source.relative_to(audit).as_posix()
        (target / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target / rel)
        files[rel] = _record(target / rel, source)
        summary.copied += 1
    if settings.secret_key:
        summary.notes.append("the signing secret comes from SOS_SECRET_KEY, not a file: it is not "
                             "in this backup; keep it with your other secrets")
    if settings.vapid_private_key:
        summary.notes.append("the VAPID key comes from SOS_VAPID_PRIVATE_KEY: not in this backup")

    root = settings.media_root
    sources = list(media_files(root))
    with bars("media (bytes)", sum(_size(p) for p in sources)) as bar:
        for source in sources:
            rel = "media/" + source.relative_to(root).as_posix()
            old = summary.since / rel if summary.since else None
            try:
                entry = _copy_media(source, target / rel, previous.get(rel), old, bar.update)
            except FileNotFoundError:
                continue  # deleted since the listing (an expired upload): not in this backup
            if entry.pop("linked"):
                summary.linked += 1
            else:
                summary.copied += 1
                summary.bytes_copied += entry["size"]
            files[rel] = entry

    summary.files = len(files)
    manifest = {
        "format": FORMAT,
        "created": _now(),
        "database_at": summary.database_at,
        "app_version": _app_version(),
        "schema_version": schema_version,
        "database": None if settings.database_url else DB_NAME,
        "since": str(summary.since) if summary.since else None,
        "files": files,
    }
    # Everything on disk before the manifest says so (one sync for all files and directories
    # costs less than one fsync per small derivative).
    os.sync()
    tmp = target / (MANIFEST + ".tmp")
    tmp.write_text(json.dumps(manifest, indent=1, sort_keys=True), encoding="utf-8")
    _fsync(tmp)
    os.replace(tmp, target / MANIFEST)  # last: its presence says the backup is whole
    _fsync(target)
    return summary


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="microseconds")


def _auto_since(target: Path) -> Path | None:
    return previous_backup(target)


def _pages(db: Path) -> int:
    """The database's page count, for the bar (the WAL may add a few: the bar only guides)."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return int(conn.execute("PRAGMA page_count").fetchone()[0])
    finally:
        conn.close()


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def _record(path: Path, source: Path) -> dict[str, Any]:
    st = source.stat()
    return {"size": path.stat().st_size, "sha256": sha256_file(path), "mtime_ns": st.st_mtime_ns}


def _copy_media(
    source: Path, dest: Path, before: dict[str, Any] | None, old: Path | None, progress: Progress
) -> dict[str, Any]:
    """Copy one media file (or hard-link its unchanged copy `old` from the earlier backup)."""
    st = source.stat()
    dest.parent.mkdir(parents=True, exist_ok=True)
    unchanged = before and before["size"] == st.st_size and before.get("mtime_ns") == st.st_mtime_ns
    if unchanged and old is not None and before is not None:
        try:
            if old.stat().st_size == st.st_size:
                os.link(old, dest)
                progress(st.st_size)
                return {"size": st.st_size, "sha256": before["sha256"], "mtime_ns": st.st_mtime_ns,
                        "linked": True}
        except OSError:
            pass  # another file system, or the old copy is gone: copy it
    digest = hashlib.sha256()
    size = 0
    with open(source, "rb") as src, open(dest, "wb") as out:
        while chunk := src.read(BLOCK):
            digest.update(chunk)
            out.write(chunk)
            size += len(chunk)
            progress(len(chunk))
    os.chmod(dest, stat.S_IRUSR)  # read-only: shared with later backups by hard links
    return {"size": size, "sha256": digest.hexdigest(), "mtime_ns": st.st_mtime_ns, "linked": False}


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class _NoBar:
    def __enter__(self) -> _NoBar:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def update(self, n: int) -> None:
        pass


def _no_bar(label: str, total: int) -> _NoBar:
    return _NoBar()


# -- verify ----------------------------------------------------------------------------------------
def verify(backup: Path, bars: Bars | None = None) -> dict[str, Any]:
    """Check every file against the manifest; returns it, or raises naming the first that does
    not match (missing, extra, or changed). Names and sizes first (cheap), then every byte."""
    manifest = read_manifest(backup)
    files: dict[str, dict[str, Any]] = manifest["files"]
    bars = bars or _no_bar
    for rel, entry in files.items():
        path = _inside(backup, rel)
        if not path.is_file():
            raise BackupError(f"missing: {rel}")
        if path.stat().st_size != entry["size"]:
            raise BackupError(f"changed: {rel} ({path.stat().st_size} bytes, the manifest says "
                              f"{entry['size']})")
    for path in sorted(p for p in backup.rglob("*") if not p.is_dir()):
        rel = path.relative_to(backup).as_posix()
        if rel != MANIFEST and rel not in files:
            raise BackupError(f"extra: {rel} (not in the manifest)")
    with bars("verifying (bytes)", sum(int(e["size"]) for e in files.values())) as bar:
        for rel, entry in files.items():
            if sha256_file(backup / rel, bar.update) != entry["sha256"]:
                raise BackupError(f"changed: {rel} (its SHA-256 is not the manifest's)")
    return manifest


def _inside(base: Path, rel: str) -> Path:
    """`base/rel`, refusing a manifest entry that would point elsewhere (absolute, `..`)."""
    parts = Path(rel).parts
    if Path(rel).is_absolute() or ".." in parts or not parts:
        raise BackupError(f"manifest names a file outside the backup: {rel!r}")
    return base / rel


# -- restore ---------------------------------------------------------------------------------------
def restore(settings: Settings, backup: Path, bars: Bars | None = None) -> dict[str, Any]:
    """Fill an empty data directory (and media directory) from a verified backup."""
    data_dir, media_root = settings.data_dir, settings.media_root
    for where, what in ((data_dir, "SOS_DATA_DIR"), (media_root, "the media directory")):
        if not is_empty_dir(where):
            raise BackupError(f"{what} {where} is not empty: a restore goes only into an empty "
                              "or absent directory (nothing was changed)")
    manifest = read_manifest(backup)
    if manifest.get("database") and settings.database_url:
        raise BackupError("this backup holds a SQLite database, but SOS_DATABASE_URL names "
                          "PostgreSQL: unset it to restore the embedded deployment")
    if not manifest.get("database") and not settings.database_url:
        raise BackupError("this backup holds no database (it was made on PostgreSQL): restore "
                          "the database with PostgreSQL's tools and set SOS_DATABASE_URL")
    verify(backup, bars)
    bars = bars or _no_bar
    files: dict[str, dict[str, Any]] = manifest["files"]
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    with bars("restoring (bytes)", sum(int(e["size"]) for e in files.values())) as bar:
        for rel, entry in files.items():
            dest, mode = _restored_path(data_dir, media_root, rel)
            dest.parent.mkdir(parents=True, exist_ok=True)
            if _copy_hashing(backup / rel, dest, bar.update) != entry["sha256"]:
                raise BackupError(f"changed while restoring: {rel}")
            os.chmod(dest, mode)
    os.sync()  # every restored file on disk before the server is told to start
    if manifest.get("database"):
        conn = sqlite3.connect(str(data_dir / DB_NAME))
        try:
            check = conn.execute("PRAGMA quick_check").fetchone()[0]
        finally:
            conn.close()
        if check != "ok":
            raise BackupError(f"the restored database fails SQLite's quick_check: {check}")
    return manifest


def _restored_path(data_dir: Path, media_root: Path, rel: str) -> tuple[Path, int]:
    """Where a backup's file goes back to, and its mode (keys and originals stay private)."""
    _inside(data_dir, rel)
    head, _, rest = rel.partition("/")
    if rel == DB_NAME:
        return data_dir / DB_NAME, 0o600
    if head == "keys" and rest and "/" not in rest:
        return data_dir / rest, 0o600
    if head == "audit" and rest:
        return data_dir / rel, 0o600
    if head == "media" and rest:
        return media_root / rest, 0o400 if rest.endswith("/original") else 0o644
    raise BackupError(f"manifest names a file this version does not restore: {rel!r}")


def _copy_hashing(source: Path, dest: Path, progress: Progress) -> str:
    digest = hashlib.sha256()
    with open(source, "rb") as src, open(dest, "xb") as out:
        while chunk := src.read(BLOCK):
            digest.update(chunk)
            out.write(chunk)
            progress(len(chunk))
    return digest.hexdigest()
