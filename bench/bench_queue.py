"""The job queue through a real ``teddy-xray serve``, on SQLite and on PostgreSQL.

Reports, per database: uploads per second of tests/assets/teddy.jpg at concurrency 8; full
worker cycles per second at concurrency 4 (each job: results_per_image claims and submits of
a real PNG, then the doctor's confirm); p50/p99 latency of GET /job with 8 concurrent pollers
on an empty queue and on a full one (the pollers claim, so each answer carries the photo);
and the server's resident memory after 200 uploads.

Run: python bench/bench_queue.py [--db sqlite|postgresql|both] [--json PATH]
PostgreSQL is expected at 127.0.0.1:5432 with trust auth (a fresh database is made and dropped).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import bcrypt
import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.postgres import fresh_database  # noqa: E402
from tests.serverproc import Server  # noqa: E402

PASSWORD = "bench"
PHOTO = (ROOT / "tests" / "assets" / "teddy.jpg").read_bytes()
XRAY = (ROOT / "tests" / "assets" / "bluemonkey_post.png").read_bytes()
FIELDS = {"first_name": "Alice", "last_name": "Smith", "animal_name": "Buddy", "qr_content": "Q"}

UPLOADS = 80  # timed, at concurrency 8
RSS_AFTER = 200  # uploads in all before reading the server's memory
CYCLE_JOBS = 40  # jobs taken through claim, submit, confirm at concurrency 4
POLLERS = 8
EMPTY_POLLS = 100  # per poller
FULL_POLLS = 25  # per poller (claims: 8 x 25 = 200 slots, fewer than the 2 x 160 queued)


class Bench:
    """A server and helpers to drive it from many threads."""

    def __init__(self, server: Server) -> None:
        self.server = server
        with httpx.Client(base_url=server.url) as client:
            token = client.post("/token", data={"password": PASSWORD}).json()["access_token"]
        self.auth = {"Authorization": f"Bearer {token}"}
        self._local = threading.local()

    def client(self) -> httpx.Client:
        """This thread's own client (connections are kept alive per thread)."""
        if not hasattr(self._local, "client"):
            self._local.client = httpx.Client(base_url=self.server.url, timeout=120)
        client: httpx.Client = self._local.client
        return client

    def upload(self, _: int = 0) -> None:
        response = self.client().post(
            "/upload", headers=self.auth, data=FIELDS, files={"file": ("teddy.jpg", PHOTO)}
        )
        response.raise_for_status()

    def rss_kib(self) -> dict[str, int]:
        """VmRSS and VmHWM (peak) of the server process, in KiB."""
        assert self.server.process is not None
        status = Path(f"/proc/{self.server.process.pid}/status").read_text()
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        return {k: int(fields[k].split()[0]) for k in ("VmRSS", "VmHWM")}


def timed(threads: int, count: int, task: Callable[[int], Any]) -> float:
    """Run ``task`` ``count`` times on ``threads`` threads; return the wall time in seconds."""
    with ThreadPoolExecutor(threads) as pool:
        started = time.perf_counter()
        list(pool.map(task, range(count)))
        return time.perf_counter() - started


def poll_latencies(bench: Bench, per_poller: int, expect: int) -> list[float]:
    """``POLLERS`` threads each send ``per_poller`` GET /job; return every latency in ms."""
    latencies: list[float] = []
    lock = threading.Lock()

    def poller(_: int) -> None:
        client = bench.client()
        mine = []
        for _ in range(per_poller):
            started = time.perf_counter()
            response = client.get("/job", headers=bench.auth)
            mine.append((time.perf_counter() - started) * 1000)
            if response.status_code != expect:
                raise RuntimeError(f"GET /job answered {response.status_code}, not {expect}")
        with lock:
            latencies.extend(mine)

    timed(POLLERS, POLLERS, poller)
    return latencies


def cycles(bench: Bench, jobs: int, per_image: int) -> float:
    """Take ``jobs`` queued jobs through claims, submits and confirm; return cycles per second.

    Four workers claim and submit; whoever submits a job's last result confirms it.
    """
    submitted: dict[int, int] = {}
    confirmed: set[int] = set()
    lock = threading.Lock()
    done = threading.Event()

    def worker(_: int) -> None:
        client = bench.client()
        while not done.is_set():
            claim = client.get("/job", headers=bench.auth)
            if claim.status_code == 204:
                time.sleep(0.005)
                continue
            claim.raise_for_status()
            job_id = int(claim.headers["img_id"])
            client.post(
                "/job",
                headers=bench.auth,
                data={"image_id": str(job_id), "lease_id": claim.headers["lease_id"]},
                files={"result": ("x.png", XRAY, "image/png")},
            ).raise_for_status()
            with lock:
                submitted[job_id] = submitted.get(job_id, 0) + 1
                last = submitted[job_id] == per_image
            if last:
                params: dict[str, str | int] = {
                    "image_id": job_id,
                    "choice": 0,
                    "confirm": "confirm",
                }
                client.get("/confirm", headers=bench.auth, params=params).raise_for_status()
                with lock:
                    confirmed.add(job_id)
                    if len(confirmed) >= jobs:
                        done.set()

    elapsed = timed(4, 4, worker)
    return len(confirmed) / elapsed


def percentile(values: list[float], p: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


def measure(server: Server) -> dict[str, float]:
    """Every figure of one database, in the order that keeps the queue as each one needs."""
    bench = Bench(server)
    figures: dict[str, float] = {}
    per_image = int(bench.client().get("/results", headers=bench.auth).json()["results_per_image"])

    empty = poll_latencies(bench, EMPTY_POLLS, 204)
    figures["get_job_empty_p50_ms"] = percentile(empty, 50)
    figures["get_job_empty_p99_ms"] = percentile(empty, 99)

    figures["uploads_per_s"] = UPLOADS / timed(8, UPLOADS, bench.upload)
    # The timed uploads are the cycle test's jobs (oldest first): take CYCLE_JOBS of them.
    figures["worker_cycles_per_s"] = cycles(bench, CYCLE_JOBS, per_image)

    timed(8, RSS_AFTER - UPLOADS, bench.upload)
    rss = bench.rss_kib()
    figures["server_rss_mib_after_200_uploads"] = rss["VmRSS"] / 1024
    figures["server_peak_rss_mib"] = rss["VmHWM"] / 1024

    full = poll_latencies(bench, FULL_POLLS, 200)
    figures["get_job_full_p50_ms"] = percentile(full, 50)
    figures["get_job_full_p99_ms"] = percentile(full, 99)
    return figures


@contextlib.contextmanager
def running(database: str) -> Iterator[Server]:
    """A server on a temp data dir, with SQLite in it or on a fresh PostgreSQL database."""
    password_hash = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(4)).decode()
    with contextlib.ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        env = {"TEDDY_XRAY_PASSWORD_HASH": password_hash}
        if database == "postgresql":
            env["TEDDY_XRAY_DATABASE_URL"] = stack.enter_context(fresh_database())
        server = Server(tmp / "data", env=env).start()
        stack.callback(server.stop)
        yield server


ROWS = [
    ("uploads_per_s", "uploads/s of teddy.jpg, concurrency 8", "{:.1f}"),
    ("worker_cycles_per_s", "full worker cycles/s, concurrency 4", "{:.2f}"),
    ("get_job_empty_p50_ms", "GET /job p50, 8 pollers, empty queue", "{:.1f} ms"),
    ("get_job_empty_p99_ms", "GET /job p99, 8 pollers, empty queue", "{:.1f} ms"),
    ("get_job_full_p50_ms", "GET /job p50, 8 pollers claiming, full queue", "{:.1f} ms"),
    ("get_job_full_p99_ms", "GET /job p99, 8 pollers claiming, full queue", "{:.1f} ms"),
    ("server_rss_mib_after_200_uploads", "server RSS after 200 uploads", "{:.0f} MiB"),
    ("server_peak_rss_mib", "server peak RSS (VmHWM)", "{:.0f} MiB"),
]


def table(results: dict[str, dict[str, float]]) -> str:
    names = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
    lines = [
        "| measure | " + " | ".join(names[d] for d in results) + " |",
        "|---|" + "---:|" * len(results),
    ]
    for key, label, fmt in ROWS:
        lines.append(
            f"| {label} | " + " | ".join(fmt.format(r[key]) for r in results.values()) + " |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args()
    databases = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    results: dict[str, dict[str, float]] = {}
    for database in databases:
        print(f"measuring {database} ...", file=sys.stderr, flush=True)
        with running(database) as server:
            results[database] = measure(server)
    print(f"{os.cpu_count()} CPUs; photo {len(PHOTO)} bytes; result PNG {len(XRAY)} bytes\n")
    print(table(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
