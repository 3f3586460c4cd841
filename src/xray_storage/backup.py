"""Online backups of a data dir: a consistent SQLite snapshot plus the blobs its rows name.

A backup is one tar file: ``MANIFEST.json``, ``xray.db`` (SQLite's online backup API, so
the server may keep writing), ``blobs/...``, and the data dir's ``secret.key`` and settings
file when present. Blob files are hard-linked into a staging folder *before* the snapshot, so
a blob deleted while the backup runs is still there for a row the snapshot kept; a blob
written after that is taken from the live folder. If a row of the snapshot still names a
blob that is in neither place, the whole backup is taken again (no row in a backup ever
points at a missing blob).

For PostgreSQL the database is backed up by ``pg_dump``; ``blobs_only`` writes the blob
files (every one named by the database's rows) without any database.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import sqlite3
import tarfile
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Connection, Engine, text

DB_NAME = "xray.db"
KEEP_FILES = ("secret.key", "teddy-xray.toml")
_REFERENCES = (
    "SELECT original_key FROM jobs",
    "SELECT result_key FROM slots WHERE result_key IS NOT NULL",
    "SELECT xray_key FROM carousel",
    "SELECT original_key FROM carousel",
    "SELECT xray_key FROM owner_items",
    "SELECT original_key FROM owner_items",
    "SELECT pdf_key FROM qr_batches WHERE pdf_key IS NOT NULL",
)
ATTEMPTS = 3


class BackupError(RuntimeError):
    """A backup or restore could not be made; the message says why."""


@dataclass(frozen=True, slots=True)
class BackupReport:
    """What a backup holds."""

    path: Path
    blobs: int
    blob_bytes: int
    database_bytes: int
    size: int


def referenced_keys(connection: Connection) -> set[str]:
    """Return every blob key that a row of the database names."""
    keys: set[str] = set()
    for query in _REFERENCES:
        keys.update(str(row[0]) for row in connection.execute(text(query)))
    return keys


def _sqlite_referenced(db: Path) -> set[str]:
    with sqlite3.connect(db) as connection:
        keys: set[str] = set()
        for query in _REFERENCES:
            keys.update(str(row[0]) for row in connection.execute(query))
    return keys


def snapshot_sqlite(source: Path, target: Path) -> None:
    """Copy the SQLite database ``source`` to ``target`` consistently, while others write."""
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()


def _stage(blob_dir: Path, staging: Path) -> None:
    """Hard-link (or copy, across file systems) every finished blob file into ``staging``."""
    if not blob_dir.is_dir():
        return
    for path in blob_dir.rglob("*"):
        if not path.is_file() or path.name.startswith(".tmp-"):
            continue
        target = staging / path.relative_to(blob_dir)
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(path, target)
        except FileNotFoundError:
            continue  # deleted since the listing: no row of the coming snapshot needs it
        except OSError:
            try:
                shutil.copy2(path, target)
            except FileNotFoundError:
                continue


def _complete(keys: Iterable[str], staging: Path, blob_dir: Path) -> list[str]:
    """Fill ``staging`` with referenced blobs written after staging; return those missing."""
    missing = []
    for key in keys:
        staged = staging / key
        if staged.is_file():
            continue
        staged.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(blob_dir / key, staged)
        except FileNotFoundError:
            missing.append(key)
        except OSError:
            shutil.copy2(blob_dir / key, staged)
    return missing


def _write_tar(out: Path, work: Path, data_dir: Path, manifest: dict[str, object]) -> None:
    tmp = out.with_name(f".{out.name}.part")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w") as tar:
        info = tarfile.TarInfo("MANIFEST.json")
        payload = json.dumps(manifest, indent=2).encode()
        info.size = len(payload)
        info.mtime = int(datetime.now(UTC).timestamp())
        tar.addfile(info, fileobj=io.BytesIO(payload))
        if (work / DB_NAME).exists():
            tar.add(work / DB_NAME, arcname=DB_NAME)
        for name in KEEP_FILES:
            if (data_dir / name).is_file():
                tar.add(data_dir / name, arcname=name)
        if (work / "blobs").is_dir():
            tar.add(work / "blobs", arcname="blobs")
        raw.flush()
        os.fsync(raw.fileno())
    tmp.replace(out)


def _sizes(folder: Path) -> tuple[int, int]:
    files = [p for p in folder.rglob("*") if p.is_file()] if folder.is_dir() else []
    return len(files), sum(p.stat().st_size for p in files)


def backup_sqlite(
    data_dir: Path,
    out: Path,
    *,
    db: Path | None = None,
    version: str = "",
    revision: str | None = None,
) -> BackupReport:
    """Write a consistent backup of a SQLite data dir (database, blobs, secret) to ``out``."""
    source = db or data_dir / DB_NAME
    if not source.is_file():
        raise BackupError(f"no database at {source}: is this a Teddy X-Ray data dir?")
    blob_dir = data_dir / "blobs"
    out.parent.mkdir(parents=True, exist_ok=True)
    for _attempt in range(ATTEMPTS):
        with tempfile.TemporaryDirectory(dir=data_dir, prefix=".backup-") as tmp:
            work = Path(tmp)
            _stage(blob_dir, work / "blobs")
            snapshot_sqlite(source, work / DB_NAME)
            missing = _complete(_sqlite_referenced(work / DB_NAME), work / "blobs", blob_dir)
            if missing:
                continue
            blobs, blob_bytes = _sizes(work / "blobs")
            database_bytes = (work / DB_NAME).stat().st_size
            manifest = _manifest("sqlite", version, revision, blobs, blob_bytes)
            _write_tar(out, work, data_dir, manifest)
        return BackupReport(out, blobs, blob_bytes, database_bytes, out.stat().st_size)
    raise BackupError(f"blobs kept disappearing during the backup ({len(missing)} missing)")


def backup_blobs(data_dir: Path, engine: Engine, out: Path, *, version: str = "") -> BackupReport:
    """Write the blob files of a data dir whose database lives elsewhere (PostgreSQL)."""
    blob_dir = data_dir / "blobs"
    out.parent.mkdir(parents=True, exist_ok=True)
    data_dir.mkdir(parents=True, exist_ok=True)
    for _attempt in range(ATTEMPTS):
        with tempfile.TemporaryDirectory(dir=data_dir, prefix=".backup-") as tmp:
            work = Path(tmp)
            _stage(blob_dir, work / "blobs")
            with engine.connect() as connection:
                keys = referenced_keys(connection)
            missing = _complete(keys, work / "blobs", blob_dir)
            if missing:
                continue
            blobs, blob_bytes = _sizes(work / "blobs")
            _write_tar(out, work, data_dir, _manifest("blobs", version, None, blobs, blob_bytes))
        return BackupReport(out, blobs, blob_bytes, 0, out.stat().st_size)
    raise BackupError(f"blobs kept disappearing during the backup ({len(missing)} missing)")


def _manifest(
    kind: str, version: str, revision: str | None, blobs: int, blob_bytes: int
) -> dict[str, object]:
    return {
        "format": "teddy-xray-backup/1",
        "kind": kind,
        "version": version,
        "schema_revision": revision,
        "created_at": datetime.now(UTC).isoformat(),
        "blobs": blobs,
        "blob_bytes": blob_bytes,
    }


def restore(archive: Path, data_dir: Path, *, force: bool = False) -> dict[str, object]:
    """Unpack a backup into ``data_dir``; refuse to overwrite a database unless ``force``."""
    if not archive.is_file():
        raise BackupError(f"no backup file at {archive}")
    if (data_dir / DB_NAME).exists() and not force:
        raise BackupError(
            f"{data_dir} already holds a database; restore into an empty data dir "
            "(or pass --force to replace it)"
        )
    data_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=data_dir, prefix=".restore-") as tmp:
        work = Path(tmp)
        try:
            with tarfile.open(archive) as tar:
                tar.extractall(work, filter="data")
            manifest = json.loads((work / "MANIFEST.json").read_text(encoding="utf-8"))
        except (tarfile.TarError, OSError, ValueError) as exc:
            raise BackupError(f"{archive} is not a Teddy X-Ray backup ({exc})") from exc
        if not str(manifest.get("format", "")).startswith("teddy-xray-backup/"):
            raise BackupError(f"{archive} is not a Teddy X-Ray backup")
        if (work / "blobs").is_dir():
            for path in (work / "blobs").rglob("*"):
                if path.is_file():
                    target = data_dir / "blobs" / path.relative_to(work / "blobs")
                    target.parent.mkdir(parents=True, exist_ok=True)
                    path.replace(target)
        for name in KEEP_FILES:
            if (work / name).is_file() and (force or not (data_dir / name).exists()):
                (work / name).replace(data_dir / name)
        if (work / DB_NAME).is_file():
            for suffix in ("-wal", "-shm"):
                (data_dir / f"{DB_NAME}{suffix}").unlink(missing_ok=True)
            (work / DB_NAME).replace(data_dir / DB_NAME)
    return dict(manifest)
