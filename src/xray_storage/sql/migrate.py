"""Schema migrations with Alembic: upgrade on start, refuse a newer database, print SQL.

Every upgrade runs in one transaction that first takes the schema lock (``BEGIN IMMEDIATE``
on SQLite, a transaction-level advisory lock on PostgreSQL), so replicas starting at once run
each revision exactly once: the first applies it, the others wait and find the schema current.
A database made by 0.1.0 (``create_all``, no ``alembic_version``) is stamped with the baseline
revision first. Each applied revision is recorded in ``schema_history`` with the version of
the code that applied it, which is how an older release can say which version a newer
database needs.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from importlib import metadata
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, inspect, text

log = logging.getLogger("xray_storage.migrate")

MIGRATIONS = Path(__file__).with_name("migrations")
SCHEMA_LOCK = 0x7E_DD_1E  # any constant; names the advisory lock of schema changes
BASELINE = "0001"
LEGACY_TABLE = "jobs"  # a database with this table and no alembic_version is from 0.1.0


def code_version() -> str:
    """Return the installed version of teddy-xray (``0+unknown`` when not installed)."""
    try:
        return metadata.version("teddy-xray")
    except metadata.PackageNotFoundError:
        return "0+unknown"


class SchemaTooNewError(RuntimeError):
    """The database was upgraded by a newer release than this code."""


@dataclass(frozen=True, slots=True)
class MigrationReport:
    """What an upgrade found and did."""

    before: str | None
    after: str
    applied: tuple[str, ...] = ()
    legacy: bool = False
    backup: Path | None = None
    history: tuple[tuple[str, str], ...] = field(default=())

    @property
    def changed(self) -> bool:
        """Whether any revision was applied."""
        return bool(self.applied)


@cache
def _script() -> ScriptDirectory:
    return ScriptDirectory.from_config(_config())


def _config(url: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if url is not None:
        config.set_main_option("sqlalchemy.url", url)
    return config


def head() -> str:
    """Return the newest revision this code knows."""
    revision = _script().get_current_head()
    assert revision is not None
    return revision


def revisions() -> tuple[str, ...]:
    """Return every revision this code knows, oldest first."""
    return _pending(None)


def _pending(current: str | None) -> tuple[str, ...]:
    """Return the revisions from ``current`` (exclusive) to head, oldest first."""
    revisions = _script().iterate_revisions(head(), current)
    return tuple(reversed([r.revision for r in revisions]))


def _lock(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SCHEMA_LOCK})


def _current(connection: Connection) -> tuple[str | None, bool]:
    """Return the database's revision and whether it is an unstamped 0.1.0 database."""
    revision = MigrationContext.configure(connection).get_current_revision()
    if revision is not None:
        return revision, False
    legacy = inspect(connection).has_table(LEGACY_TABLE)
    return (BASELINE if legacy else None), legacy


def _newer_message(connection: Connection, revision: str) -> str:
    needed = "a newer release"
    if inspect(connection).has_table("schema_history"):
        row = connection.execute(
            text("SELECT version FROM schema_history WHERE revision = :r"), {"r": revision}
        ).first()
        if row is not None:
            needed = f"teddy-xray {row[0]} or newer"
    return (
        f"the database is at schema revision {revision}, which this teddy-xray "
        f"({code_version()}, schema {head()}) does not know: it was upgraded by a newer "
        f"release. Install {needed}, or restore the backup taken before that upgrade."
    )


def check(engine: Engine) -> str | None:
    """Return the database's revision; raise :class:`SchemaTooNewError` if it is newer."""
    with engine.connect() as connection:
        revision, _legacy = _current(connection)
        if revision is not None and not _known(revision):
            raise SchemaTooNewError(_newer_message(connection, revision))
        return revision


def _known(revision: str) -> bool:
    try:
        return _script().get_revision(revision) is not None
    except Exception:
        return False


def upgrade(
    engine: Engine,
    *,
    before_change: Callable[[str | None], Path | None] | None = None,
) -> MigrationReport:
    """Bring the schema to head and return what was done.

    Args:
        engine: the database.
        before_change: called (inside the schema lock, before any change, only when an
            existing database needs an upgrade) with its current revision; may return the
            path of a backup it made.

    Raises:
        SchemaTooNewError: the database is at a revision this code does not know.
    """
    with engine.begin() as connection:
        _lock(connection)
        current, legacy = _current(connection)
        if current is not None and not _known(current):
            raise SchemaTooNewError(_newer_message(connection, current))
        pending = _pending(current)
        if not pending:
            return MigrationReport(before=current, after=current or head(), legacy=legacy)
        backup = before_change(current) if (before_change and current is not None) else None
        config = _config()
        config.attributes["connection"] = connection
        if legacy:
            command.stamp(config, BASELINE)
        command.upgrade(config, "head")
        now = datetime.now(UTC)
        for revision in pending:
            connection.execute(
                text(
                    "INSERT INTO schema_history (revision, version, applied_at) VALUES (:r, :v, :t)"
                ),
                {"r": revision, "v": code_version(), "t": now},
            )
    return MigrationReport(
        before=current, after=head(), applied=pending, legacy=legacy, backup=backup
    )


def offline_sql(url: str, start: str | None = None) -> str:
    """Return the SQL that upgrades a database at ``start`` (``None``: empty) to head."""
    out = io.StringIO()
    config = _config(url)
    config.output_buffer = out
    command.upgrade(config, f"{start}:head" if start else "head", sql=True)
    version = code_version().replace("'", "''")
    for revision in _pending(start):
        values = f"VALUES ('{revision}', '{version}', CURRENT_TIMESTAMP);\n"
        out.write("INSERT INTO schema_history (revision, version, applied_at) " + values)
    return out.getvalue()
