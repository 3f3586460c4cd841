"""Fixtures shared by every suite: storage backends, services on them, a fake clock."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine

from tests.fakes.fakes import FakeClock
from tests.postgres import fresh_database
from xray_core.ports import BlobStore, UnitOfWork
from xray_storage.blobs.filesystem import FilesystemBlobStore
from xray_storage.memory import InMemoryBlobStore, InMemoryStore
from xray_storage.sql import SqlModelUnitOfWorkFactory, create_db_engine, create_schema


@dataclass
class Backend:
    """One storage backend: a unit-of-work factory and a blob store."""

    name: str
    uow: Callable[[], UnitOfWork]
    blobs: BlobStore


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session."""
    with fresh_database() as url:
        yield url


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated once to head; tests get copies (migrating each is slower)."""
    path = tmp_path_factory.mktemp("template") / "xray.db"
    engine = create_db_engine(f"sqlite:///{path}")
    create_schema(engine)
    engine.dispose()  # the last connection to close checkpoints the WAL into the file
    assert not path.with_name("xray.db-wal").exists()
    return path


def _sql_backend(url: str, blob_dir: Path, template: Path | None = None) -> tuple[Backend, Engine]:
    if template is not None:
        shutil.copyfile(template, url.removeprefix("sqlite:///"))
    engine = create_db_engine(url)
    if template is None:
        create_schema(engine)
    return Backend(
        url.split(":", maxsplit=1)[0],
        SqlModelUnitOfWorkFactory(engine),
        FilesystemBlobStore(blob_dir),
    ), engine


def wipe(engine: Engine) -> None:
    """Empty every table (PostgreSQL databases are shared by the session's tests)."""
    from sqlmodel import SQLModel

    with engine.begin() as connection:
        for table in reversed(SQLModel.metadata.sorted_tables):
            if table.name != "schema_history":  # the schema stays migrated
                connection.execute(table.delete())


@pytest.fixture(params=["memory", "sqlite"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    """The same tests on the in-memory adapters and on SQLModel over a real SQLite file."""
    if request.param == "memory":
        yield Backend("memory", InMemoryStore(), InMemoryBlobStore())
        return
    chosen, engine = _sql_backend(
        f"sqlite:///{tmp_path / 'xray.db'}",
        tmp_path / "blobs",
        request.getfixturevalue("migrated_sqlite"),
    )
    yield chosen
    engine.dispose()


POSTGRES_PARAMS = {"postgres", "postgresql"}
ROOT = Path(__file__).resolve().parents[1]
KEPT_DIRS = ("docs/img", "tests/assets")  # generated pictures, not what developers edit


def _snapshot() -> dict[str, tuple[int, int]]:
    return {
        str(path.relative_to(ROOT)): (path.stat().st_mtime_ns, path.stat().st_size)
        for folder in KEPT_DIRS
        for path in (ROOT / folder).rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }


@pytest.fixture(scope="session", autouse=True)
def _checkout_stays_untouched() -> Iterator[None]:
    """Tests write only into temporary folders: docs/img/ and tests/assets/ stay as they were.

    Pictures for docs/img/ are made by ``nox -s screenshots``.
    """
    before = _snapshot()
    yield
    after = _snapshot()
    changed = sorted(
        name for name in before.keys() | after.keys() if before.get(name) != after.get(name)
    )
    assert not changed, f"tests wrote into the checkout: {changed}"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark ``postgres`` every test that reaches PostgreSQL, however its fixtures got there.

    Tests on the ``live`` server process are marked ``e2e`` the same way.

    The fast loop (``-m "not postgres"``) then never needs the server, even when a new
    fixture forgets its ``pytest.param(..., marks=pytest.mark.postgres)``.
    """
    for item in items:
        callspec = getattr(item, "callspec", None)
        params = callspec.params.values() if callspec is not None else ()
        fixtures = getattr(item, "fixturenames", ())
        if "postgres_url" in fixtures or any(
            isinstance(value, str) and value in POSTGRES_PARAMS for value in params
        ):
            item.add_marker(pytest.mark.postgres)
        if "live" in fixtures:  # tests/security's real server process on a real port
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def any_backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    """Every backend, PostgreSQL included (for the storage contract suites)."""
    if request.param == "memory":
        yield Backend("memory", InMemoryStore(), InMemoryBlobStore())
        return
    template = None
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'xray.db'}"
        template = request.getfixturevalue("migrated_sqlite")
    else:
        url = request.getfixturevalue("postgres_url")
    chosen, engine = _sql_backend(url, tmp_path / "blobs", template)
    if request.param == "postgresql":
        wipe(engine)
    yield chosen
    engine.dispose()


@pytest.fixture
def clock() -> FakeClock:
    """A clock that moves only when the test says so."""
    return FakeClock()
