"""Real ``teddy-xray worker`` processes against a real server: the booth's whole pipeline."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from PIL import Image

from tests.images import asset
from tests.serverproc import CLI, Server

pytestmark = pytest.mark.e2e
PHOTOS = ["teddy.jpg", "eichhornchen.jpeg", "own.jpg", "bluemonkey_pre.png"]
LEASE_SECONDS = "3"


class WorkerProcess:
    """One ``teddy-xray worker`` process with its log."""

    def __init__(self, server: Server, password: str, log: Path) -> None:
        self.log = log
        with log.open("wb") as out:
            self.process = subprocess.Popen(
                [str(CLI), "worker", "--server", server.url],
                stdout=out,
                stderr=subprocess.STDOUT,
                env={**os.environ, "TEDDY_XRAY_PASSWORD": password},
            )

    @property
    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self, sig: int = signal.SIGTERM) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            return self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    """A server with a short lease, so that a dead worker's slot comes back quickly."""
    running = Server(tmp_path / "data", env={"TEDDY_XRAY_LEASE_SECONDS": LEASE_SECONDS}).start()
    yield running
    running.stop()


def login(client: httpx.Client, password: str) -> dict[str, str]:
    token = client.post("/token", data={"password": password}).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


def upload_all(client: httpx.Client, auth: dict[str, str], broken: bool = False) -> list[int]:
    ids = []
    for photo in PHOTOS:
        data = {
            "first_name": "Alice",
            "last_name": "Smith",
            "animal_name": photo.split(".")[0],
            "qr_content": "q",
            "broken_bone": "true" if broken else "false",
        }
        response = client.post(
            "/upload", headers=auth, data=data, files={"file": (photo, asset(photo))}
        )
        ids.append(int(response.json()["job_id"]))
    return ids


def wait_for_results(
    client: httpx.Client, auth: dict[str, str], jobs: list[int], timeout: float = 90
) -> dict[str, list[str]]:
    deadline = time.monotonic() + timeout
    while True:
        results = client.get("/results", headers=auth).json()["results"]
        if all(len(results.get(str(j), [])) == 2 for j in jobs):
            return dict(results)
        assert time.monotonic() < deadline, f"results did not arrive: {results}"
        time.sleep(0.2)


def test_two_workers_turn_every_photo_into_xrays(server: Server, tmp_path: Path) -> None:
    """Two workers give every uploaded photo its x-rays; confirmed ones reach the carousel."""
    password = str(server.printed_password())
    workers = [WorkerProcess(server, password, tmp_path / f"w{i}.log") for i in range(2)]
    try:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            auth = login(client, password)
            jobs = upload_all(client, auth, broken=True)
            results = wait_for_results(client, auth, jobs)
            for job_id in jobs:
                first, second = (client.get(u).content for u in results[str(job_id)])
                assert first != second  # a real choice for the doctor
                original = Image.open(
                    io.BytesIO(
                        client.get(
                            client.get("/results", headers=auth).json()["originals"][str(job_id)]
                        ).content
                    )
                )
                assert Image.open(io.BytesIO(first)).size == original.size
                params = {"image_id": job_id, "choice": 1, "confirm": "confirm"}
                assert client.get("/confirm", headers=auth, params=params).status_code == 200
                chosen = second
            with zipfile.ZipFile(io.BytesIO(client.get("/carousel/0").content)) as archive:
                assert archive.read("xray.png") == chosen
            assert len(client.get("/carousel").json()) == len(jobs)
    finally:
        codes = [w.stop() for w in workers]
    assert codes == [0, 0]  # SIGTERM: finished what they held and exited cleanly
    logs = "".join(w.output for w in workers)
    assert "silhouette took" in logs and "Traceback" not in logs


def test_a_dead_workers_slot_goes_to_the_other_worker(server: Server, tmp_path: Path) -> None:
    """A slot leased by a worker that died comes back after the lease and gets finished."""
    password = str(server.printed_password())
    with httpx.Client(base_url=server.url, timeout=30) as client:
        auth = login(client, password)
        jobs = upload_all(client, auth)[:1]
        # A worker claims a slot and dies before posting (the state kill -9 leaves behind).
        assert client.get("/job", headers=auth).status_code == 200
        victim = WorkerProcess(server, password, tmp_path / "victim.log")
        survivor = None
        try:
            time.sleep(0.3)
            victim.stop(signal.SIGKILL)  # and a real worker killed at a random moment
            survivor = WorkerProcess(server, password, tmp_path / "survivor.log")
            results = wait_for_results(client, auth, jobs + upload_all(client, auth)[1:])
        finally:
            if survivor:
                survivor.stop()
    assert all(len(v) == 2 for v in results.values())


def test_workers_ride_out_a_server_restart(server: Server, tmp_path: Path) -> None:
    """Workers keep polling while the server is down and carry on after it is back."""
    password = str(server.printed_password())
    worker = WorkerProcess(server, password, tmp_path / "w.log")
    try:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            auth = login(client, password)
            wait_for_results(client, auth, upload_all(client, auth))
        server.stop()
        # The server stays down until the worker has met the closed port.
        deadline = time.monotonic() + 30
        while "server unavailable" not in worker.output:
            assert time.monotonic() < deadline, "the worker never noticed the server was down"
            time.sleep(0.1)
        server.start()
        with httpx.Client(base_url=server.url, timeout=30) as client:
            auth = login(client, password)
            jobs = upload_all(client, auth)
            wait_for_results(client, auth, jobs)
    finally:
        code = worker.stop()
    assert code == 0
    assert "server unavailable" in worker.output
    assert "Traceback" not in worker.output


def test_the_booth_in_one_command_turns_uploads_into_xrays(tmp_path: Path) -> None:
    """`teddy-xray serve --with-worker` alone gives every upload its x-rays within seconds."""
    # --log-level applies to every logger: info, so that the worker's lines are printed.
    booth = Server(tmp_path / "data", extra_args=("--with-worker", "--log-level", "info")).start()
    try:
        with httpx.Client(base_url=booth.url, timeout=30) as client:
            auth = login(client, str(booth.printed_password()))
            jobs = upload_all(client, auth, broken=True)
            results = wait_for_results(client, auth, jobs, timeout=90)
            for job_id in jobs:
                images = [
                    Image.open(io.BytesIO(client.get(u).content)) for u in results[str(job_id)]
                ]
                assert all(i.format == "PNG" for i in images)
    finally:
        booth.stop()
    assert "silhouette took" in booth.output
    # The worker waited for the server to listen: no refused connection before its first job.
    assert "server unavailable" not in booth.output.split("silhouette took")[0]
    assert "Traceback" not in booth.output
