"""GET /job with 16 named pollers on an empty queue, and the registry's database writes.

Reports, per database: p50/p99 of ``GET /job`` with 16 concurrent pollers, each with its own
``worker_name`` (so the registry tracks 16 workers), on an empty queue; with ``--db
postgresql`` also the rows written to ``workers`` per minute per idle worker (from
``pg_stat_user_tables`` over a timed idle spell of one worker polling every 0.2 s).

Before/after: ``--src DIR`` runs the server from another checkout's ``src`` (e.g. ``git
archive <base> src | tar -x -C /tmp/before``), so the same bench measures the code before
the registry. Run several rounds (``--rounds``) and read the medians: the machine is shared.

Run: python bench/bench_fleet.py [--db sqlite|postgresql|both] [--src DIR] [--rounds N]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import bcrypt
import httpx
import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.postgres import fresh_database  # noqa: E402
from tests.serverproc import Server  # noqa: E402

PASSWORD = "bench"
POLLERS = 16
POLLS = 150  # per poller
IDLE_SECONDS = 30.0


@contextlib.contextmanager
def running(database: str, src: str | None) -> Iterator[tuple[Server, str | None]]:
    """A server on a temp data dir, with SQLite in it or on a fresh PostgreSQL database."""
    password_hash = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(4)).decode()
    with contextlib.ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        env = {"TEDDY_XRAY_PASSWORD_HASH": password_hash}
        if src:
            env["PYTHONPATH"] = src
        url = None
        if database == "postgresql":
            url = stack.enter_context(fresh_database())
            env["TEDDY_XRAY_DATABASE_URL"] = url
        server = Server(tmp / "data", env=env).start()
        stack.callback(server.stop)
        yield server, url


def token(server: Server) -> dict[str, str]:
    with httpx.Client(base_url=server.url) as client:
        got = client.post("/token", data={"password": PASSWORD}).json()["access_token"]
    return {"Authorization": f"Bearer {got}"}


def poll_latencies(server: Server, auth: dict[str, str]) -> list[float]:
    """Each of 16 named pollers polls the empty queue POLLS times; return the latencies (ms)."""
    out: list[float] = []
    lock = threading.Lock()

    def poller(n: int) -> None:
        headers = {**auth, "worker_name": f"bench-{n}"}
        mine = []
        with httpx.Client(base_url=server.url, timeout=60) as client:
            client.get("/job", headers=headers)  # warm the connection
            for _ in range(POLLS):
                started = time.perf_counter()
                response = client.get("/job", headers=headers)
                mine.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 204, response.status_code
        with lock:
            out.extend(mine)

    with ThreadPoolExecutor(POLLERS) as pool:
        list(pool.map(poller, range(POLLERS)))
    return out


def writes_per_minute(server: Server, auth: dict[str, str], url: str) -> float:
    """Rows inserted or updated in ``workers`` per minute by one worker polling every 0.2 s."""
    dsn = url.replace("postgresql+psycopg://", "postgresql://", 1)

    def written() -> int:
        with psycopg.connect(dsn, autocommit=True) as db:
            db.execute("SELECT pg_stat_force_next_flush()")
            row = db.execute(
                "SELECT coalesce(sum(n_tup_ins + n_tup_upd), 0) FROM pg_stat_user_tables"
                " WHERE relname = 'workers'"
            ).fetchone()
        return int(row[0]) if row else 0

    headers = {**auth, "worker_name": "idle-worker"}
    with httpx.Client(base_url=server.url, timeout=60) as client:
        client.get("/job", headers=headers)
        time.sleep(1.5)  # the server's stats reach the view after its transactions end
        before = written()
        deadline = time.monotonic() + IDLE_SECONDS
        while time.monotonic() < deadline:
            client.get("/job", headers=headers)
            time.sleep(0.2)
    time.sleep(1.5)
    return (written() - before) * 60.0 / IDLE_SECONDS


def percentile(values: list[float], p: int) -> float:
    return statistics.quantiles(values, n=100)[p - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--src", default=None, help="run the server from this src directory")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--idle", action="store_true", help="also count idle writes (PG)")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    databases = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    report: dict[str, dict[str, float]] = {}
    for database in databases:
        p50s, p99s = [], []
        with running(database, args.src) as (server, url):
            auth = token(server)
            for _ in range(args.rounds):
                latencies = poll_latencies(server, auth)
                p50s.append(percentile(latencies, 50))
                p99s.append(percentile(latencies, 99))
            report[database] = {
                "get_job_empty_p50_ms": statistics.median(p50s),
                "get_job_empty_p99_ms": statistics.median(p99s),
            }
            if args.idle and url:
                report[database]["workers_rows_written_per_min_idle"] = writes_per_minute(
                    server, auth, url
                )
        print(database, json.dumps(report[database]), flush=True)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
