"""Photos of real cameras through a real ``teddy-xray serve`` (issue 11), SQLite and PostgreSQL.

For each photo (tests/assets/teddy.jpg, and noisy 2000x1500 and 4000x3000 JPEGs made here):
uploads/s at concurrency 8, p50/p95 upload latency at concurrency 1 and 8, server CPU per
upload, bytes stored per case (photo plus two results, and with the derived PNG and web
sizes once pages were shown), bytes a worker gets per slot. For the 2000x1500 photo: full
worker cycles/s at concurrency 4 (two ~230 KB result PNGs, then confirm), server memory growth
over 200 uploads, and what a browser downloads: the review page with 10 cases (first load,
each poll after), one big-screen slide, one owner page visit.

Run: python bench/bench_images.py [--db sqlite|postgresql|both] [--runs N] [--json PATH]
Set BENCH_PYTHONPATH to run another checkout's src (e.g. the code before this change).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
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
sys.path.insert(0, str(ROOT / "bench"))

from photos import noisy_jpeg, result_png  # noqa: E402
from tests.postgres import fresh_database  # noqa: E402
from tests.serverproc import Server  # noqa: E402

PASSWORD = "bench"
FIELDS = {"first_name": "Alice", "last_name": "Smith", "animal_name": "Buddy"}
CLK_TCK = os.sysconf("SC_CLK_TCK")
UPLOADS = {"teddy.jpg": 80, "noisy 2000x1500": 80, "noisy 4000x3000": 24}
SERIAL = {"teddy.jpg": 15, "noisy 2000x1500": 15, "noisy 4000x3000": 8}
CASES = 3  # per photo, taken through both results and a confirm, for the bytes stored
CYCLE_JOBS = 40
MEMORY_UPLOADS = 200
REVIEW_CASES = 10


def photos() -> dict[str, bytes]:
    return {
        "teddy.jpg": (ROOT / "tests" / "assets" / "teddy.jpg").read_bytes(),
        "noisy 2000x1500": noisy_jpeg(2000, 1500),
        "noisy 4000x3000": noisy_jpeg(4000, 3000),
    }


class Bench:
    """A server and thread-local clients."""

    def __init__(self, server: Server) -> None:
        self.server = server
        with httpx.Client(base_url=server.url) as client:
            token = client.post("/token", data={"password": PASSWORD}).json()["access_token"]
        self.auth = {"Authorization": f"Bearer {token}"}
        self._local = threading.local()

    def client(self) -> httpx.Client:
        if not hasattr(self._local, "client"):
            self._local.client = httpx.Client(base_url=self.server.url, timeout=300)
        client: httpx.Client = self._local.client
        return client

    def upload(self, photo: bytes, qr: str = "Q") -> tuple[int, float]:
        """Upload ``photo``; return the job id and the latency in ms."""
        started = time.perf_counter()
        response = self.client().post(
            "/upload",
            headers=self.auth,
            data={**FIELDS, "qr_content": qr},
            files={"file": ("photo.jpg", photo, "image/jpeg")},
        )
        response.raise_for_status()
        return int(response.json()["job_id"]), (time.perf_counter() - started) * 1000

    def cpu_seconds(self) -> float:
        assert self.server.process is not None
        fields = Path(f"/proc/{self.server.process.pid}/stat").read_text().rsplit(")", 1)[1]
        utime, stime = fields.split()[11:13]
        return (int(utime) + int(stime)) / CLK_TCK

    def rss_mib(self) -> float:
        assert self.server.process is not None
        status = Path(f"/proc/{self.server.process.pid}/status").read_text()
        line = next(x for x in status.splitlines() if x.startswith("VmRSS:"))
        return int(line.split()[1]) / 1024

    def blob_bytes(self) -> int:
        root = self.server.data_dir / "blobs"
        return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())

    def work(self, per_image: int, jobs: int, result: bytes) -> tuple[float, list[int]]:
        """Four workers take ``jobs`` jobs through every slot and a confirm; cycles/s, sizes."""
        submitted: dict[int, int] = {}
        confirmed: set[int] = set()
        sizes: list[int] = []
        lock = threading.Lock()
        done = threading.Event()

        def worker(_: int) -> None:
            client = self.client()
            while not done.is_set():
                claim = client.get("/job", headers=self.auth)
                if claim.status_code == 204:
                    time.sleep(0.005)
                    continue
                claim.raise_for_status()
                job_id = int(claim.headers["img_id"])
                client.post(
                    "/job",
                    headers=self.auth,
                    data={"image_id": str(job_id), "lease_id": claim.headers["lease_id"]},
                    files={"result": ("x.png", result, "image/png")},
                ).raise_for_status()
                with lock:
                    sizes.append(len(claim.content))
                    submitted[job_id] = submitted.get(job_id, 0) + 1
                    last = submitted[job_id] == per_image
                if last:
                    params = {"image_id": str(job_id), "choice": "0", "confirm": "confirm"}
                    client.get("/confirm", headers=self.auth, params=params).raise_for_status()
                    with lock:
                        confirmed.add(job_id)
                        if len(confirmed) >= jobs:
                            done.set()

        elapsed = timed(4, 4, worker)
        return len(confirmed) / elapsed, sizes


def timed(threads: int, count: int, task: Callable[[int], Any]) -> float:
    with ThreadPoolExecutor(threads) as pool:
        started = time.perf_counter()
        list(pool.map(task, range(count)))
        return time.perf_counter() - started


def pct(values: list[float], p: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


def photo_figures(bench: Bench, name: str, photo: bytes, per_image: int) -> dict[str, float]:
    """Upload rates, latencies, CPU, bytes stored and sent, for one photo."""
    result = result_png()
    figures: dict[str, float] = {}
    serial = [bench.upload(photo)[1] for _ in range(SERIAL[name])]
    figures["c1_p50_ms"], figures["c1_p95_ms"] = pct(serial, 50), pct(serial, 95)
    count, latencies = UPLOADS[name], []
    cpu = bench.cpu_seconds()
    elapsed = timed(8, count, lambda _: latencies.append(bench.upload(photo)[1]))
    figures["cpu_ms_per_upload"] = (bench.cpu_seconds() - cpu) / count * 1000
    figures["uploads_per_s"] = count / elapsed
    figures["c8_p50_ms"], figures["c8_p95_ms"] = pct(latencies, 50), pct(latencies, 95)
    # Clear the queue, then take a few cases of this photo through the whole flow.
    bench.work(per_image, SERIAL[name] + count, result)
    before = bench.blob_bytes()
    for _ in range(CASES):
        bench.upload(photo)
    _, sizes = bench.work(per_image, CASES, result)
    figures["stored_kb_per_case"] = (bench.blob_bytes() - before) / CASES / 1000
    figures["worker_kb_per_slot"] = statistics.median(sizes) / 1000
    return figures


def browser_figures(bench: Bench, photo: bytes, per_image: int) -> dict[str, float]:
    """Bytes a browser fetches: review page of 10 cases, a big-screen slide, an owner page."""
    client, result = bench.client(), result_png()
    for _ in range(REVIEW_CASES):
        bench.upload(photo)
    for _ in range(REVIEW_CASES * per_image):  # fill every slot, confirm nothing yet
        claim = client.get("/job", headers=bench.auth)
        client.post(
            "/job",
            headers=bench.auth,
            data={"image_id": claim.headers["img_id"], "lease_id": claim.headers["lease_id"]},
            files={"result": ("x.png", result, "image/png")},
        ).raise_for_status()
    listing = client.get("/results", headers=bench.auth)
    body = listing.json()
    previews = body.get("previews") or {}
    if previews:  # web sizes: the photo and every result, as a review page shows them
        urls = [u for p in previews.values() for u in [p["original"], *p["results"]] if u]
    else:  # before: the full PNGs were all there was
        urls = [*body["originals"].values(), *(u for r in body["results"].values() for u in r)]
    images = {u: client.get(u) for u in urls}
    first = len(listing.content) + sum(len(r.content) for r in images.values())
    # A poll: the listing again; unchanged images are reused (immutable) or revalidated (304).
    again = client.get("/results", headers=bench.auth)
    poll = len(again.content)
    for url, old in images.items():
        if again.text.count(url) == 0 or "immutable" in old.headers.get("cache-control", ""):
            continue
        poll += len(client.get(url, headers={"If-None-Match": old.headers.get("etag", "")}).content)
    # Confirm one for a fresh owner, then the slide and the owner page.
    owner_url = owner_link(bench, client.get("/qr", headers=bench.auth, params={"n": 1}))
    job_id, _ = bench.upload(photo, qr=owner_url)
    for _ in range(per_image):
        claim = client.get("/job", headers=bench.auth)
        client.post(
            "/job",
            headers=bench.auth,
            data={"image_id": claim.headers["img_id"], "lease_id": claim.headers["lease_id"]},
            files={"result": ("x.png", result, "image/png")},
        ).raise_for_status()
    params = {"image_id": str(job_id), "choice": "0", "confirm": "confirm"}
    client.get("/confirm", headers=bench.auth, params=params).raise_for_status()
    # A big-screen slide: what screen.js fetches for a new item (web sizes when offered).
    listed = client.get("/carousel/items")
    item = listed.json()[0]
    slide = len(listed.content) + sum(
        len(client.get(httpx.URL(item.get(f"{k}_web") or item[k]).path).content)
        for k in ("xray", "original")
    )
    carousel_zip = len(client.get("/carousel/0").content)  # the contract's download
    page = client.get(owner_url)
    owner = len(page.content)
    for src in re.findall(r'<img src="([^"]+)"', page.text):
        owner += len(client.get(httpx.URL(owner_url).join(src.replace("&amp;", "&"))).content)
    return {
        "review_first_kb": first / 1000,
        "review_poll_kb": poll / 1000,
        "slide_kb": slide / 1000,
        "carousel_zip_kb": carousel_zip / 1000,
        "owner_page_kb": owner / 1000,
    }


def owner_link(bench: Bench, started: httpx.Response) -> str:
    """Return the owner URL of a fresh one-code QR batch, read from the server's database."""
    from xray_http.container import make_container  # noqa: PLC0415
    from xray_http.settings import load_settings  # noqa: PLC0415

    started.raise_for_status()
    url = bench.server.env.get("TEDDY_XRAY_DATABASE_URL", "")
    container = make_container(
        load_settings(environ={}, data_dir=bench.server.data_dir, database_url=url or None)
    )
    with container.storage.uow()() as uow:
        batch = uow.batches.latest()
        assert batch is not None
        token = uow.owners.for_batch(batch.id)[0].token
    container.storage.engine().dispose()
    return f"{bench.server.url}/p/{token}"


def measure(server: Server) -> dict[str, float]:
    bench = Bench(server)
    per_image = int(bench.client().get("/results", headers=bench.auth).json()["results_per_image"])
    figures: dict[str, float] = {}
    noisy = photos()["noisy 2000x1500"]
    for _ in range(20):  # warm up, then memory over 200 uploads
        bench.upload(noisy)
    rss = bench.rss_mib()
    timed(8, MEMORY_UPLOADS, lambda _: bench.upload(noisy))
    figures["memory_growth_mib"] = bench.rss_mib() - rss
    bench.work(per_image, 20 + MEMORY_UPLOADS, result_png())  # empty the queue
    for _ in range(CYCLE_JOBS):
        bench.upload(noisy)
    figures["worker_cycles_per_s"], _ = bench.work(per_image, CYCLE_JOBS, result_png())
    for name, photo in photos().items():
        for key, value in photo_figures(bench, name, photo, per_image).items():
            figures[f"{name}: {key}"] = value
    figures.update(browser_figures(bench, noisy, per_image))
    return figures


@contextlib.contextmanager
def running(database: str) -> Iterator[Server]:
    password_hash = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(4)).decode()
    with contextlib.ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        env = {"TEDDY_XRAY_PASSWORD_HASH": password_hash}
        if os.environ.get("BENCH_PYTHONPATH"):
            env["PYTHONPATH"] = os.environ["BENCH_PYTHONPATH"]
        if database == "postgresql":
            env["TEDDY_XRAY_DATABASE_URL"] = stack.enter_context(fresh_database())
        server = Server(tmp / "data", env=env).start()
        stack.callback(server.stop)
        yield server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--runs", type=int, default=1, help="report the median of N runs")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    databases = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    sizes = {name: len(data) for name, data in photos().items()}
    results: dict[str, dict[str, float]] = {}
    for database in databases:
        runs = []
        for run in range(args.runs):
            print(f"measuring {database}, run {run + 1} ...", file=sys.stderr, flush=True)
            with running(database) as server:
                runs.append(measure(server))
        results[database] = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    print(f"{os.cpu_count()} CPUs (shared, loaded); medians of {args.runs} run(s)")
    print("photos: " + ", ".join(f"{n} {s / 1e6:.2f} MB" for n, s in sizes.items()) + "\n")
    print("| figure | " + " | ".join(results) + " |")
    print("|---|" + "---:|" * len(results))
    for key in next(iter(results.values())):
        print(f"| {key} | " + " | ".join(f"{r[key]:.1f}" for r in results.values()) + " |")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
