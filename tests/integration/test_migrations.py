"""Migrations on real SQLite files and PostgreSQL: the schema they make, 0.1.0 data, replicas."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, text
from sqlmodel import SQLModel

from tests.postgres import fresh_database
from tests.serverproc import CLI
from xray_storage.sql import create_db_engine
from xray_storage.sql.migrate import SchemaTooNewError, check, head, offline_sql, revisions, upgrade

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
V010_SQLITE = FIXTURES / "v0.1.0" / "sqlite" / "xray.db"
TABLES_010 = ("jobs", "slots", "carousel", "owners", "owner_items", "qr_batches")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty database of each kind."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'xray.db'}"
        return
    with fresh_database() as url:
        yield url


def counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {
            t: int(connection.execute(text(f"SELECT count(*) FROM {t}")).scalar_one())
            for t in TABLES_010
        }


def test_the_migrations_make_exactly_the_tables_the_code_uses(empty_url: str) -> None:
    """Upgrading an empty database to head leaves no difference from the SQLModel tables."""
    engine = create_db_engine(empty_url)
    report = upgrade(engine)
    assert report.applied[0] == "0001" and report.after == head()
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    engine.dispose()
    assert diff == []


def test_a_second_upgrade_changes_nothing(empty_url: str) -> None:
    """Starting again on a current database applies no revision."""
    engine = create_db_engine(empty_url)
    upgrade(engine)
    again = upgrade(engine)
    engine.dispose()
    assert again.applied == () and again.before == head()


def test_a_0_1_0_data_dir_is_stamped_backed_up_and_upgraded_with_its_rows(
    tmp_path: Path,
) -> None:
    """The committed 0.1.0 database is recognised, backed up first, and keeps every row."""
    db = tmp_path / "xray.db"
    shutil.copyfile(V010_SQLITE, db)
    engine = create_db_engine(f"sqlite:///{db}")
    before = counts(engine)
    seen: list[str | None] = []

    def backup(revision: str | None) -> Path:
        seen.append(revision)
        target = tmp_path / "before.db"
        shutil.copyfile(db, target)
        return target

    report = upgrade(engine, before_change=backup)
    assert report.legacy and report.before == "0001" and report.after == head()
    assert seen == ["0001"] and report.backup == tmp_path / "before.db"
    assert counts(engine) == before
    assert before["jobs"] == 5 and before["carousel"] == 3 and before["owners"] == 4
    with engine.connect() as connection:
        history = connection.execute(text("SELECT revision FROM schema_history")).scalars()
        assert sorted(history) == list(report.applied)
    engine.dispose()


def test_a_database_from_a_newer_release_is_refused_with_the_version_it_needs(
    empty_url: str,
) -> None:
    """A revision this code does not know stops the upgrade and names the release to install."""
    engine = create_db_engine(empty_url)
    upgrade(engine)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0999'"))
        connection.execute(
            text(
                "INSERT INTO schema_history (revision, version, applied_at) "
                "VALUES ('0999', '9.1.0', CURRENT_TIMESTAMP)"
            )
        )
    with pytest.raises(SchemaTooNewError, match=r"0999.*teddy-xray 9\.1\.0 or newer"):
        upgrade(engine)
    with pytest.raises(SchemaTooNewError):
        check(engine)
    engine.dispose()


@pytest.mark.postgres
def test_replicas_starting_at_once_on_postgresql_apply_each_revision_exactly_once() -> None:
    """Six engines upgrading one empty PostgreSQL database together all succeed, once each."""
    with fresh_database() as url:
        engines = [create_db_engine(url) for _ in range(6)]
        with ThreadPoolExecutor(6) as pool:
            reports = list(pool.map(upgrade, engines))
        applied = [r for report in reports for r in report.applied]
        with engines[0].connect() as connection:
            history = list(
                connection.execute(text("SELECT revision FROM schema_history")).scalars()
            )
        for engine in engines:
            engine.dispose()
    assert sorted(applied) == sorted(history) == sorted(set(history))
    assert tuple(sorted(history)) == revisions()


@pytest.mark.slow  # seconds of subprocesses or pixels: the full suite runs it
def test_processes_starting_at_once_on_one_sqlite_file_apply_each_revision_once(
    tmp_path: Path,
) -> None:
    """Four `teddy-xray migrate` processes on one new data dir leave one history per revision."""
    procs = [
        subprocess.Popen(
            [str(CLI), "migrate", "--data-dir", str(tmp_path / "data")],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        for _ in range(4)
    ]
    outputs = [p.communicate(timeout=120)[0].decode() for p in procs]
    assert all(p.returncode == 0 for p in procs), outputs
    with sqlite3.connect(tmp_path / "data" / "xray.db") as db:
        history = [r[0] for r in db.execute("SELECT revision FROM schema_history")]
    assert tuple(sorted(history)) == revisions()
    assert sum("upgraded the database" in o for o in outputs) == 1


def test_migrate_sql_prints_the_whole_upgrade_for_a_dba() -> None:
    """The offline SQL creates the 0.1.0 tables and records every revision it applies."""
    sql = offline_sql("postgresql+psycopg://dba@db/teddy")
    assert "CREATE TABLE jobs" in sql and "CREATE TABLE schema_history" in sql
    assert "INSERT INTO alembic_version (version_num) VALUES ('0001')" in sql
    assert f"VALUES ('{head()}'" in sql
    later = offline_sql("postgresql+psycopg://dba@db/teddy", start="0001")
    assert "CREATE TABLE jobs" not in later and "CREATE TABLE schema_history" in later


@pytest.mark.slow  # seconds of subprocesses or pixels: the full suite runs it
def test_the_migrate_command_prints_sql_without_touching_the_database(tmp_path: Path) -> None:
    """`teddy-xray migrate --sql` prints SQL and creates no database file."""
    out = subprocess.run(
        [str(CLI), "migrate", "--sql", "--data-dir", str(tmp_path / "data")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "CREATE TABLE jobs" in out
    assert not (tmp_path / "data" / "xray.db").exists()
