"""How long a 0.1.0 database of 10 000 cases takes to upgrade, and the size of backups.

The 0.1.0 fixture's schema is filled with 10 000 confirmed cases (two result slots each, a
carousel entry, an owner item, an owner) by plain SQL, then upgraded the way ``serve`` does
it on start (SQLite: snapshot first, then migrate). Also on PostgreSQL when it is reachable.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import psycopg

from xray_http.container import make_container, prepare_database
from xray_http.settings import load_settings
from xray_storage.sql import create_db_engine
from xray_storage.sql.migrate import upgrade

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script (bench/run.py): tests/ is not on the path

from tests.postgres import fresh_database  # noqa: E402

FIXTURE = ROOT / "tests" / "fixtures" / "v0.1.0"
CASES = 10_000


def rows(n: int) -> dict[str, list[tuple[object, ...]]]:
    now = datetime.now(UTC).isoformat(" ")
    jobs, slots, carousel, owners, items = [], [], [], [], []
    for i in range(1000, 1000 + n):
        token = f"tok{i:020d}"
        jobs.append(
            (
                i,
                "Anna",
                "Muster",
                f"Bear {i}",
                "dog",
                f"http://x/p/{token}",
                False,
                f"originals/{i}.png",
                "confirmed",
                now,
            )
        )
        slots += [(i, k, None, None, f"results/{i}-{k}.png", now) for k in range(2)]
        carousel.append((i, i, f"results/{i}-0.png", f"originals/{i}.png", now))
        owners.append((token, f"C{i}", 1, i, now))
        items.append(
            (
                i,
                token,
                False,
                i,
                "Anna",
                "Muster",
                f"Bear {i}",
                "dog",
                f"results/{i}-0.png",
                f"originals/{i}.png",
                now,
            )
        )
    return {
        "jobs": jobs,
        "slots": slots,
        "carousel": carousel,
        "owners": owners,
        "owner_items": items,
    }


def fill_sqlite(db: Path) -> None:
    with sqlite3.connect(db) as connection:
        for table, values in rows(CASES).items():
            marks = ",".join("?" * len(values[0]))
            connection.executemany(f"INSERT INTO {table} VALUES ({marks})", values)


def sqlite_figures() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        shutil.copytree(FIXTURE / "sqlite", data)
        fill_sqlite(data / "xray.db")
        size = (data / "xray.db").stat().st_size
        container = make_container(load_settings(environ={}, data_dir=data, password_hash="x"))
        start = time.perf_counter()
        report = prepare_database(container)
        took = time.perf_counter() - start
        assert report is not None
        assert report.changed
        print(
            f"| SQLite, {CASES} cases ({size / 1e6:.1f} MB) | upgrade incl. backup | "
            f"{took * 1000:.0f} ms |"
        )

    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        shutil.copytree(FIXTURE / "sqlite", data)
        out = Path(tmp) / "backup.tar"
        subprocess.run(
            [
                str(Path(sys.executable).parent / "teddy-xray"),
                "backup",
                str(out),
                "--data-dir",
                str(data),
            ],
            check=True,
            capture_output=True,
        )
        blobs = sum(p.stat().st_size for p in (data / "blobs").rglob("*") if p.is_file())
        print(
            f"| fixture data dir v0.1.0 | backup file | {out.stat().st_size / 1e6:.2f} MB "
            f"(database {(data / 'xray.db').stat().st_size / 1e3:.0f} KB, blobs "
            f"{blobs / 1e6:.2f} MB) |"
        )


def postgres_figures() -> None:

    try:
        with fresh_database() as url:
            plain = url.replace("postgresql+psycopg://", "postgresql://", 1)
            subprocess.run(
                ["psql", "-q", "-f", str(FIXTURE / "postgres" / "dump.sql"), plain],
                check=True,
                capture_output=True,
            )
            with psycopg.connect(plain) as connection, connection.cursor() as cursor:
                for table, values in rows(CASES).items():
                    marks = ",".join(["%s"] * len(values[0]))
                    cursor.executemany(f"INSERT INTO {table} VALUES ({marks})", values)
            engine = create_db_engine(url)
            start = time.perf_counter()
            report = upgrade(engine)
            took = time.perf_counter() - start
            engine.dispose()
            assert report.changed
            print(f"| PostgreSQL, {CASES} cases | upgrade | {took * 1000:.0f} ms |")
    except RuntimeError as exc:
        print(f"| PostgreSQL | skipped | {exc} |")


if __name__ == "__main__":
    print("| database | what | figure |\n|---|---|---|")
    sqlite_figures()
    postgres_figures()
