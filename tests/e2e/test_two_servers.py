"""Two real ``teddy-xray serve`` processes on one PostgreSQL database and one data dir.

Photos go in through both servers while six worker threads poll both of them in turn, each
claiming on one server and submitting to the other. When the queue is drained, every job
must hold exactly the results that were accepted for it, readable through either server.
"""

from __future__ import annotations

import hashlib
import io
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import bcrypt
import httpx
import pytest
from PIL import Image

from tests.images import asset, png
from tests.postgres import fresh_database
from tests.serverproc import Server

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]

PASSWORD = "two-servers"
PHOTOS = ["teddy.jpg", "eichhornchen.jpeg", "own.jpg", "bluemonkey_pre.png"]
UPLOADS = 24
WORKERS = 6
RESULTS_PER_IMAGE = 2
BUDGET_SECONDS = 60.0


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[tuple[Server, Server]]:
    """Two servers on a fresh PostgreSQL database, one data dir, one secret and password.

    They start at the same moment, so both create the schema on the empty database at once
    (see also test_engines_creating_the_schema_together_all_succeed).
    """
    password_hash = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(4)).decode()
    with fresh_database() as url:
        env = {
            "TEDDY_XRAY_DATABASE_URL": url,
            "TEDDY_XRAY_PASSWORD_HASH": password_hash,
            "TEDDY_XRAY_SECRET_KEY": "same-for-both",
            "TEDDY_XRAY_RESULTS_PER_IMAGE": str(RESULTS_PER_IMAGE),
        }
        data = tmp_path / "data"
        first = Server(data, env=env)
        second = Server(data, env=env)
        try:
            with ThreadPoolExecutor(2) as pool:
                list(pool.map(Server.start, (first, second)))
            yield first, second
        finally:
            first.stop()
            second.stop()


def login(client: httpx.Client) -> dict[str, str]:
    response = client.post("/token", data={"password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


@dataclass
class Tally:
    """What the workers saw, shared between their threads."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    accepted: dict[int, list[str]] = field(default_factory=dict)  # job -> result sha256
    leases: list[str] = field(default_factory=list)
    claim_status: Counter[int] = field(default_factory=Counter)
    submit_status: Counter[int] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    uploaded: list[int] = field(default_factory=list)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def all_results_in(client: httpx.Client, auth: dict[str, str], expected: int) -> bool:
    results = client.get("/results", headers=auth).json()["results"]
    counts = [len(urls) for urls in results.values()]
    return len(counts) == expected and all(c == RESULTS_PER_IMAGE for c in counts)


def test_two_servers_on_one_database_fill_every_slot_exactly_once(
    servers: tuple[Server, Server],
) -> None:
    """Workers alternating between two servers fill each job's slots exactly once, no errors."""
    urls = [s.url for s in servers]
    tally = Tally()
    uploads_done = threading.Event()
    drained = threading.Event()
    deadline = time.monotonic() + BUDGET_SECONDS

    def uploader(server: int) -> None:
        with httpx.Client(base_url=urls[server], timeout=30) as client:
            auth = login(client)
            for n in range(server, UPLOADS, 2):
                photo = PHOTOS[n % len(PHOTOS)]
                response = client.post(
                    "/upload",
                    headers=auth,
                    data={
                        "first_name": "Alice",
                        "last_name": "Smith",
                        "animal_name": f"Bear {n}",
                        "qr_content": f"QR-{n}",
                    },
                    files={"file": (photo, asset(photo))},
                )
                with tally.lock:
                    if response.status_code == 200:
                        tally.uploaded.append(int(response.json()["job_id"]))
                    else:
                        tally.errors.append(f"upload {n}: {response.status_code} {response.text}")

    def worker(number: int) -> None:
        clients = [httpx.Client(base_url=u, timeout=30) for u in urls]
        try:
            auths = [login(c) for c in clients]
            turn = number
            while not drained.is_set():
                if time.monotonic() > deadline:
                    with tally.lock:
                        tally.errors.append(f"worker {number}: queue not drained in time")
                    return
                here, there = turn % 2, (turn + 1) % 2
                turn += 1
                claim = clients[here].get("/job", headers=auths[here])
                with tally.lock:
                    tally.claim_status[claim.status_code] += 1
                if claim.status_code == 204:
                    if uploads_done.is_set() and all_results_in(
                        clients[here], auths[here], UPLOADS
                    ):
                        drained.set()
                    time.sleep(0.02)  # poll interval of an idle worker
                    continue
                if claim.status_code != 200:
                    with tally.lock:
                        tally.errors.append(f"GET /job: {claim.status_code} {claim.text}")
                    continue
                Image.open(io.BytesIO(claim.content)).verify()
                job_id = int(claim.headers["img_id"])
                lease_id = claim.headers["lease_id"]
                result = png(10 + number, 10 + turn % 50, (number * 40, turn % 256, 77))
                posted = clients[there].post(
                    "/job",
                    headers=auths[there],
                    data={"image_id": str(job_id), "lease_id": lease_id},
                    files={"result": ("x.png", result, "image/png")},
                )
                with tally.lock:
                    tally.leases.append(lease_id)
                    tally.submit_status[posted.status_code] += 1
                    if posted.status_code == 200:
                        tally.accepted.setdefault(job_id, []).append(sha(result))
                    elif posted.status_code != 409:
                        tally.errors.append(f"POST /job: {posted.status_code} {posted.text}")
        except Exception as exc:  # every exception is a finding
            with tally.lock:
                tally.errors.append(f"worker {number}: {exc!r}")
        finally:
            for client in clients:
                client.close()

    uploaders = [threading.Thread(target=uploader, args=(s,)) for s in (0, 1)]
    workers = [threading.Thread(target=worker, args=(w,)) for w in range(WORKERS)]
    for thread in (*uploaders, *workers):
        thread.start()
    for thread in uploaders:
        thread.join(timeout=BUDGET_SECONDS)
    uploads_done.set()
    for thread in workers:
        thread.join(timeout=BUDGET_SECONDS + 30)
    assert not any(t.is_alive() for t in (*uploaders, *workers)), "a thread hung"

    conflicts = tally.submit_status[409]
    print(f"\nGET /job: {dict(tally.claim_status)}; POST /job: {dict(tally.submit_status)}")
    assert tally.errors == []
    assert len(tally.uploaded) == len(set(tally.uploaded)) == UPLOADS
    # No lease can expire in this test (600 s), so a 409 would mean a slot given out twice.
    assert conflicts == 0, f"{conflicts} results refused with 409"
    assert len(tally.leases) == len(set(tally.leases)) == UPLOADS * RESULTS_PER_IMAGE
    assert sorted(tally.accepted) == sorted(tally.uploaded)

    for url in urls:  # either server shows the same, complete state
        with httpx.Client(base_url=url, timeout=30) as client:
            auth = login(client)
            listing = client.get("/results", headers=auth).json()
            assert listing["results_per_image"] == RESULTS_PER_IMAGE
            assert sorted(map(int, listing["results"])) == sorted(tally.uploaded)
            for job_id, result_urls in listing["results"].items():
                assert len(result_urls) == RESULTS_PER_IMAGE
                got = sorted(sha(client.get(u).content) for u in result_urls)
                assert got == sorted(tally.accepted[int(job_id)])
            assert client.get("/job", headers=auth).status_code == 204
