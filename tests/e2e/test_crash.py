"""``kill -9`` of a real server in the middle of uploads and submits, then a restart (SQLite).

Threads hammer ``POST /upload`` with the photos in tests/assets and run claim+submit loops;
the server is killed twice, at different moments, and started again on the same data dir.
Whatever got a 200 must be there afterwards with its image intact, no row may point at a
missing or truncated blob, and ``teddy-xray gc`` must remove exactly the orphans.
"""

from __future__ import annotations

import hashlib
import io
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

import bcrypt
import httpx
import pytest
from PIL import Image, ImageOps

from tests.images import ASSETS, asset, png
from tests.serverproc import Server

pytestmark = pytest.mark.e2e

PASSWORD = "crash-test"
PHOTOS = ["teddy.jpg", "eichhornchen.jpeg", "own.jpg", "bluemonkey_pre.png"]
UPLOADERS = 3
WORKERS = 2
ROUND_SECONDS = 30.0
GC = Path(sys.executable).parent / "teddy-xray"


@dataclass
class Ledger:
    """What the clients were told, across every round."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    uploads: dict[int, str] = field(default_factory=dict)  # job id -> photo, for each 200
    submits: dict[int, list[str]] = field(default_factory=dict)  # job id -> sha256 of 200s
    errors: list[str] = field(default_factory=list)  # answers a live server must not give

    def counts(self) -> tuple[int, int]:
        with self.lock:
            return len(self.uploads), sum(map(len, self.submits.values()))


def login(client: httpx.Client) -> dict[str, str]:
    response = client.post("/token", data={"password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def try_login(client: httpx.Client, ledger: Ledger) -> dict[str, str] | None:
    """Log in, or return ``None`` if the server is gone already."""
    try:
        response = client.post("/token", data={"password": PASSWORD})
    except httpx.TransportError:
        return None
    if response.status_code != 200:
        with ledger.lock:
            ledger.errors.append(f"login: {response.status_code} {response.text}")
        return None
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def uploader(url: str, number: int, ledger: Ledger, stop: threading.Event) -> None:
    """Upload photos until the server goes away."""
    with httpx.Client(base_url=url, timeout=30) as client:
        auth = try_login(client, ledger)
        n = number
        while auth is not None and not stop.is_set():
            photo = PHOTOS[n % len(PHOTOS)]
            n += UPLOADERS
            fields = {"first_name": "A", "last_name": "B", "animal_name": "C", "qr_content": "Q"}
            try:
                response = client.post(
                    "/upload", headers=auth, data=fields, files={"file": (photo, asset(photo))}
                )
            except httpx.TransportError:
                return
            with ledger.lock:
                if response.status_code == 200:
                    ledger.uploads[int(response.json()["job_id"])] = photo
                else:
                    ledger.errors.append(f"upload: {response.status_code} {response.text}")


def worker(url: str, number: int, ledger: Ledger, stop: threading.Event) -> None:
    """Claim and submit (with the lease id) until the server goes away."""
    with httpx.Client(base_url=url, timeout=30) as client:
        auth = try_login(client, ledger)
        n = 0
        while auth is not None and not stop.is_set():
            try:
                claim = client.get("/job", headers=auth)
                if claim.status_code == 204:
                    time.sleep(0.02)  # poll interval of an idle worker
                    continue
                if claim.status_code != 200:
                    with ledger.lock:
                        ledger.errors.append(f"GET /job: {claim.status_code} {claim.text}")
                    continue
                job_id = int(claim.headers["img_id"])
                n += 1
                result = png(20 + number, 20 + n % 40)
                posted = client.post(
                    "/job",
                    headers=auth,
                    data={"image_id": str(job_id), "lease_id": claim.headers["lease_id"]},
                    files={"result": ("x.png", result, "image/png")},
                )
            except httpx.TransportError:
                return
            with ledger.lock:
                if posted.status_code == 200:
                    ledger.submits.setdefault(job_id, []).append(sha(result))
                else:
                    ledger.errors.append(f"POST /job: {posted.status_code} {posted.text}")


def run_and_kill(server: Server, ledger: Ledger, ready: Callable[[int, int], bool]) -> None:
    """Start the load, ``kill -9`` the server once ``ready(uploads, submits)``, wait for clients.

    ``ready`` gets the uploads and submits answered 200 in this round.
    """
    before = ledger.counts()

    def in_round() -> tuple[int, int]:
        now = ledger.counts()
        return now[0] - before[0], now[1] - before[1]

    stop = threading.Event()
    threads = [
        threading.Thread(target=uploader, args=(server.url, n, ledger, stop))
        for n in range(UPLOADERS)
    ] + [
        threading.Thread(target=worker, args=(server.url, n, ledger, stop)) for n in range(WORKERS)
    ]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + ROUND_SECONDS
    while not ready(*in_round()) and time.monotonic() < deadline:
        time.sleep(0.01)
    server.stop(signal.SIGKILL)
    stop.set()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a client thread hung after the kill"
    assert ready(*in_round()), "the load did not get going before the deadline"


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def decoded(data: bytes) -> Image.Image:
    """Return the fully decoded PNG (a truncated file fails here)."""
    image = Image.open(io.BytesIO(data), formats=["PNG"])
    image.load()
    return image


def upright_pixels(photo: str) -> tuple[tuple[int, int], bytes]:
    """Return the size and RGB pixels of an asset photo turned upright by its EXIF tag."""
    image = ImageOps.exif_transpose(Image.open(ASSETS / photo))
    return image.size, image.convert("RGB").tobytes()


def stored_keys(data_dir: Path) -> set[str]:
    """Return every blob key a job or slot row points at, read from the SQLite file."""
    with closing(sqlite3.connect(f"file:{data_dir / 'xray.db'}?mode=ro", uri=True)) as db:
        originals = {k for (k,) in db.execute("SELECT original_key FROM jobs") if k}
        results = {k for (k,) in db.execute("SELECT result_key FROM slots") if k}
    return originals | results


def files_on_disk(data_dir: Path) -> set[str]:
    root = data_dir / "blobs"
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def check_listing(client: httpx.Client, auth: dict[str, str]) -> dict[str, list[str]]:
    """Every original and result URL in /results answers 200 with a whole PNG."""
    listing = client.get("/results", headers=auth).json()
    for job_id, url in listing["originals"].items():
        response = client.get(url)
        assert response.status_code == 200, f"original of job {job_id}: {response.status_code}"
        decoded(response.content)
    for job_id, urls in listing["results"].items():
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, f"result of job {job_id}: {response.status_code}"
            decoded(response.content)
    results: dict[str, list[str]] = listing["results"]
    return results


def test_killed_server_keeps_every_acknowledged_upload_and_result(tmp_path: Path) -> None:
    """After two kill -9 and a restart, all 200s are stored intact and gc removes only orphans."""
    data = tmp_path / "data"
    env = {"TEDDY_XRAY_PASSWORD_HASH": bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(4)).decode()}
    ledger = Ledger()
    # Two different moments: well into the load, then as soon as the restarted server has
    # answered its first upload (the other uploads and claims of that round are in flight).
    moments = [lambda u, s: u >= 6 and s >= 4, lambda u, _: u >= 1]
    for moment in moments:
        run_and_kill(Server(data, env=env).start(), ledger, moment)
    assert ledger.errors == []

    server = Server(data, env=env).start()
    try:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            auth = login(client)
            results = check_listing(client, auth)
            originals = client.get("/results", headers=auth).json()["originals"]
            assert set(ledger.uploads) <= set(map(int, results))
            expected = {photo: upright_pixels(photo) for photo in PHOTOS}
            for job_id, photo in ledger.uploads.items():
                image = decoded(client.get(originals[str(job_id)]).content)
                assert (image.size, image.convert("RGB").tobytes()) == expected[photo]
            for job_id, accepted in ledger.submits.items():
                stored = Counter(sha(client.get(url).content) for url in results[str(job_id)])
                assert len(results[str(job_id)]) >= len(accepted)
                assert Counter(accepted) <= stored, f"job {job_id} lost an acknowledged result"

            keys = stored_keys(data)
            assert not any(".tmp-" in k or k.endswith(".part") for k in keys)
            on_disk = files_on_disk(data)
            assert keys <= on_disk, "a row points at a missing blob"
            # Derived images (the PNG made when a JPEG photo was fetched above) live as long
            # as the blob they were made from: they are not orphans.
            derived = {k for k in on_disk - keys if k.split("--", 1)[0] in keys}
            orphans = on_disk - keys - derived
            acked = sum(map(len, ledger.submits.values()))
            print(f"\n{len(ledger.uploads)} uploads, {acked} results acknowledged;", end=" ")
            print(f"{len(results)} jobs stored; orphans before gc: {sorted(orphans)}")
            gc = subprocess.run(
                [str(GC), "gc", "--data-dir", str(data), "--min-age", "0"],
                capture_output=True,
                text=True,
                timeout=60,
                check=True,
            )
            removed = re.search(r"removed (\d+) orphaned", gc.stdout)
            assert removed is not None, gc.stdout + gc.stderr
            assert int(removed.group(1)) == len(orphans)
            assert files_on_disk(data) == keys | derived
            after = check_listing(client, auth)
            assert {k: len(v) for k, v in after.items()} == {k: len(v) for k, v in results.items()}
    finally:
        server.stop()
