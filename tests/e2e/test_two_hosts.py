"""Two servers with separate data dirs share one PostgreSQL database, blobs included.

``BLOB_STORE=database`` is what lets replicas on different hosts need nothing but the
database URL (and the same secret and password): what goes in on one comes out of the other.
"""

from __future__ import annotations

import io
import time
import zipfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import bcrypt
import httpx
import pytest

from tests.images import asset, png
from tests.postgres import fresh_database
from tests.serverproc import Server

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]

PASSWORD = "two-hosts"


@pytest.fixture
def hosts(tmp_path: Path) -> Iterator[tuple[Server, Server]]:
    """Two servers, data dirs of their own, one database with the blobs in it."""
    with fresh_database() as url:
        env = {
            "TEDDY_XRAY_DATABASE_URL": url,
            "TEDDY_XRAY_BLOB_STORE": "database",
            "TEDDY_XRAY_SECRET_KEY": "shared-between-hosts",
            "TEDDY_XRAY_PASSWORD_HASH": bcrypt.hashpw(
                PASSWORD.encode(), bcrypt.gensalt(4)
            ).decode(),
        }
        first = Server(tmp_path / "host-a", env=env)
        second = Server(tmp_path / "host-b", env=env)
        try:
            with ThreadPoolExecutor(2) as pool:
                list(pool.map(Server.start, (first, second)))
            yield first, second
        finally:
            first.stop()
            second.stop()


def client(server: Server) -> httpx.Client:
    http = httpx.Client(base_url=server.url, timeout=30)
    token = http.post("/token", data={"password": PASSWORD}).json()["access_token"]
    http.headers["Authorization"] = f"Bearer {token}"
    return http


def test_an_upload_on_one_host_is_worked_and_confirmed_through_the_other(
    hosts: tuple[Server, Server],
) -> None:
    """Upload on A; claim, results, images, confirm and carousel through B (and back)."""
    a, b = (client(h) for h in hosts)
    try:
        worked_across(a, b)
    finally:
        a.close()
        b.close()
    for host in hosts:
        blob_dir = host.data_dir / "blobs"
        files = [p for p in blob_dir.rglob("*") if p.is_file()] if blob_dir.exists() else []
        assert files == [], "with BLOB_STORE=database no image is kept on a host's disk"


def worked_across(a: httpx.Client, b: httpx.Client) -> None:
    job = a.post(
        "/upload",
        data={"first_name": "Ida", "last_name": "Host", "animal_name": "Pip", "qr_content": "H-1"},
        files={"file": ("teddy.jpg", asset("teddy.jpg"))},
    ).json()["job_id"]
    results = [png(50, 40, (10, 20, 30)), png(50, 40, (200, 20, 30))]
    for n, (claimer, submitter) in enumerate(((b, a), (a, b))):
        claim = claimer.get("/job")
        assert claim.status_code == 200 and int(claim.headers["img_id"]) == job
        assert claim.content[:4] in (b"\x89PNG", b"\xff\xd8\xff\xe0", b"\xff\xd8\xff\xdb")
        sent = submitter.post(
            "/job",
            data={"image_id": str(job), "lease_id": claim.headers["lease_id"]},
            files={"result": ("x.png", results[n], "image/png")},
        )
        assert sent.status_code == 200, sent.text
    listing = b.get("/results").json()
    urls = listing["results"][str(job)]
    assert [b.get(u).content for u in urls] == results
    assert a.get(listing["originals"][str(job)]).status_code == 200
    assert b.get(
        "/confirm", params={"image_id": job, "choice": 1, "confirm": "confirm"}
    ).json() == {"status": "success"}
    [item] = a.get("/carousel").json()
    with zipfile.ZipFile(io.BytesIO(a.get(item).content)) as archive:
        assert archive.read("xray.png") == results[1]

    assert a.get("/qr", params={"n": 2}).status_code == 200
    deadline = time.monotonic() + 60
    while b.get("/qr/progress").json()["progress"] < 100 and time.monotonic() < deadline:
        time.sleep(0.2)
    pdf = b.get("/qr/download")
    assert pdf.status_code == 200 and pdf.content[:5] == b"%PDF-"
