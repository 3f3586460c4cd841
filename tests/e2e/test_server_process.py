"""``teddy-xray serve`` as a real process on a real port, driven over real HTTP."""

from __future__ import annotations

import io
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote

import httpx
import pytest
from PIL import Image

from tests.images import asset
from tests.serverproc import Server

pytestmark = pytest.mark.e2e
PHOTOS = ["teddy.jpg", "eichhornchen.jpeg", "own.jpg", "bluemonkey_pre.png"]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    """A server on a fresh data dir, first start (it makes and prints a password)."""
    running = Server(tmp_path / "data").start()
    yield running
    running.stop()


def login(client: httpx.Client, password: str) -> dict[str, str]:
    token = client.post("/token", data={"password": password}).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


def upload(client: httpx.Client, auth: dict[str, str], photo: str, **names: str) -> int:
    data = {
        "first_name": "Alice",
        "last_name": "Smith",
        "animal_name": "Buddy",
        "qr_content": "q",
        **names,
    }
    response = client.post(
        "/upload", headers=auth, data=data, files={"file": (photo, asset(photo))}
    )
    assert response.status_code == 200, response.text
    return int(response.json()["job_id"])


def wait_for_pdf(client: httpx.Client, auth: dict[str, str], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while client.get("/qr/progress", headers=auth).json()["progress"] < 100:
        assert time.monotonic() < deadline, "QR batch did not finish"
        time.sleep(0.05)


def test_first_start_makes_data_dir_secret_and_password(server: Server) -> None:
    """A first start creates the data dir, a 0600 secret key and prints a working password."""
    password = server.printed_password()
    assert password
    secret = server.data_dir / "secret.key"
    assert secret.stat().st_mode & 0o777 == 0o600
    assert (server.data_dir / "xray.db").exists()
    # A new data dir is no upgrade: no warning to alarm whoever starts the booth (the
    # server runs at --log-level warning here; the info line says it created the schema).
    assert "WARNING" not in server.output
    with httpx.Client(base_url=server.url) as client:
        assert client.post("/token", data={"password": password}).status_code == 200
        assert client.post("/token", data={"password": "nope"}).status_code == 401


def test_whole_booth_flow_with_real_photos(server: Server) -> None:
    """Real photos go through upload, claim, submit, results, confirm and the carousel zip."""
    xray = asset("bluemonkey_post.png")
    with httpx.Client(base_url=server.url, timeout=30) as client:
        auth = login(client, str(server.printed_password()))
        jobs = [upload(client, auth, p) for p in PHOTOS]
        for _ in range(2 * len(jobs)):
            claim = client.get("/job", headers=auth)
            assert claim.status_code == 200
            kind = Image.open(io.BytesIO(claim.content)).format  # the photo as stored
            assert claim.headers["content-type"] == {"JPEG": "image/jpeg", "PNG": "image/png"}[kind]
            posted = client.post(
                "/job",
                headers=auth,
                data={"image_id": claim.headers["img_id"], "lease_id": claim.headers["lease_id"]},
                files={"result": ("x.png", xray, "image/png")},
            )
            assert posted.json() == {"status": "success"}
        assert client.get("/job", headers=auth).status_code == 204

        listing = client.get("/results", headers=auth).json()
        assert sorted(map(int, listing["results"])) == jobs
        image = httpx.get(listing["results"][str(jobs[0])][1])  # signed URL, no header
        assert image.status_code == 200 and image.content == xray

        for job_id in jobs:
            params = {"image_id": job_id, "choice": 1, "confirm": "confirm"}
            assert client.get("/confirm", headers=auth, params=params).status_code == 200
        carousel = client.get("/carousel").json()
        assert carousel == [f"{server.url}/carousel/{i}" for i in range(len(jobs))]
        newest = client.get("/carousel/0")
        with zipfile.ZipFile(io.BytesIO(newest.content)) as archive:
            assert archive.read("xray.png") == xray
            original = Image.open(io.BytesIO(archive.read("original.png")))
        assert original.size == Image.open(io.BytesIO(asset(PHOTOS[-1]))).size


@pytest.mark.parametrize(
    "names",
    [
        {"first_name": "Jürgen", "last_name": "Müller", "animal_name": "Bärli"},
        {"first_name": "Анна", "last_name": "Иванова", "animal_name": "Мишка"},
        {"first_name": "Zoë", "last_name": "🦄", "animal_name": "Teddy 🧸"},
    ],
)
def test_names_reach_a_real_worker_through_headers(server: Server, names: dict[str, str]) -> None:
    """Over a real uvicorn, any Unicode name arrives intact in GET /job headers, no 500."""
    with httpx.Client(base_url=server.url) as client:
        auth = login(client, str(server.printed_password()))
        upload(client, auth, "own.jpg", **names)
        claim = client.get("/job", headers=auth)
        assert claim.status_code == 200
        encoded = claim.headers.get("name_encoding") == "utf-8-percent"
        got = {
            k: unquote(claim.headers[f"{k}_utf8"]) if encoded else claim.headers[k] for k in names
        }
        assert got == names
        # A latin-1 reader (as Python's http.client or a browser) sees Western names as is.
        if all(ord(c) < 256 for v in names.values() for c in v):
            assert not encoded


def test_header_injection_is_refused(server: Server) -> None:
    """A name with CR/LF is refused at upload, so it can never reach a header."""
    with httpx.Client(base_url=server.url) as client:
        auth = login(client, str(server.printed_password()))
        response = client.post(
            "/upload",
            headers=auth,
            data={
                "first_name": "Eve\r\nSet-Cookie: x=1",
                "last_name": "S",
                "animal_name": "A",
                "qr_content": "q",
            },
            files={"file": ("own.jpg", asset("own.jpg"))},
        )
        assert response.status_code == 422
        assert client.get("/job", headers=auth).status_code == 204


def test_everything_survives_a_restart(tmp_path: Path) -> None:
    """Stop and start on the same data dir: jobs, results, carousel, QR batch and password stay."""
    data = tmp_path / "data"
    first = Server(data).start()
    password = str(first.printed_password())
    xray = asset("bluemonkey_post.png")
    try:
        with httpx.Client(base_url=first.url, timeout=30) as client:
            auth = login(client, password)
            done, pending, queued = (upload(client, auth, p) for p in PHOTOS[:3])
            for _ in range(3):  # two results for `done`, one for `pending`
                claim = client.get("/job", headers=auth)
                client.post(
                    "/job",
                    headers=auth,
                    data={"image_id": claim.headers["img_id"]},
                    files={"result": ("x.png", xray)},
                )
            client.get(
                "/confirm",
                headers=auth,
                params={"image_id": done, "choice": 0, "confirm": "confirm"},
            )
            assert client.get("/qr", headers=auth, params={"n": 5}).status_code == 200
            wait_for_pdf(client, auth)
            pdf = client.get("/qr/download", headers=auth).content
            assert pdf.startswith(b"%PDF")
            before = client.get("/results", headers=auth).json()
    finally:
        first.stop()

    second = Server(data, port=first.port).start()
    try:
        assert second.printed_password() is None  # the password was kept, not made anew
        with httpx.Client(base_url=second.url, timeout=30) as client:
            auth = login(client, password)
            after = client.get("/results", headers=auth).json()
            assert after["metadata"] == before["metadata"]
            assert {k: len(v) for k, v in after["results"].items()} == {
                str(pending): 1,
                str(queued): 0,
            }
            assert client.get(after["results"][str(pending)][0]).content == xray
            assert len(client.get("/carousel").json()) == 1
            with zipfile.ZipFile(io.BytesIO(client.get("/carousel/0").content)) as archive:
                assert archive.read("xray.png") == xray
            assert client.get("/qr/progress", headers=auth).json() == {"progress": 100.0}
            assert client.get("/qr/download", headers=auth).content == pdf
            # The half-done job carries on where it was: one slot left to hand out.
            claim = client.get("/job", headers=auth)
            assert claim.headers["img_id"] == str(pending)
    finally:
        second.stop()
