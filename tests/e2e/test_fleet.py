"""The worker fleet with real processes on real ports: slow, failing, killed and fallback workers.

The server runs with a 3 s lease; the workers are real ``teddy-xray worker`` processes with
the test generators of ``tests.fakes.generators`` (the photo back as the "x-ray").
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.fakes.generators import CURSED
from tests.images import asset, png
from tests.serverproc import CLI, Server
from xray_http.client import XrayClient, password_login

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]
FLEET_ENV = {"TEDDY_XRAY_LEASE_SECONDS": "3", "TEDDY_XRAY_MAX_ATTEMPTS": "3"}


class FleetWorker:
    """One ``teddy-xray worker`` process running a test generator under a name."""

    def __init__(
        self, server: Server, password: str, name: str, generator: str, log: Path, **env: str
    ) -> None:
        self.name = name
        self.log = log
        with log.open("wb") as out:
            self.process = subprocess.Popen(
                [
                    str(CLI),
                    "worker",
                    "--server",
                    server.url,
                    "--name",
                    name,
                    "--generator",
                    f"tests.fakes.generators:{generator}",
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=ROOT,
                env={
                    **os.environ,
                    "TEDDY_XRAY_PASSWORD": password,
                    "PYTHONPATH": str(ROOT),
                    **env,
                },
            )

    @property
    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    """A server with a 3 s lease and three attempts per job."""
    running = Server(tmp_path / "data", env=FLEET_ENV).start()
    yield running
    running.stop()


def login(client: httpx.Client, password: str) -> dict[str, str]:
    token = client.post("/token", data={"password": password}).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


def upload(client: httpx.Client, auth: dict[str, str], animal: str, **names: str) -> int:
    data = {"first_name": "Alice", "last_name": "Smith", "qr_content": "q", **names}
    response = client.post(
        "/upload",
        headers=auth,
        data={**data, "animal_name": animal},
        files={"file": ("teddy.jpg", asset("teddy.jpg"))},
    )
    assert response.status_code == 200, response.text
    return int(response.json()["job_id"])


def wait_until(check: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.3)


def fleet(client: httpx.Client, auth: dict[str, str]) -> dict[str, dict[str, Any]]:
    return {w["name"]: w for w in client.get("/workers", headers=auth).json()["workers"]}


def test_slow_failing_and_normal_workers_finish_every_job(server: Server, tmp_path: Path) -> None:
    """A 10 s worker keeps its slot by extending; failures go elsewhere; a cursed job fails."""
    password = str(server.printed_password())
    with httpx.Client(base_url=server.url, timeout=30) as client:
        auth = login(client, password)
        jobs = [upload(client, auth, f"Bear {n}") for n in range(3)]
        slow = FleetWorker(server, password, "slow", "Slow", tmp_path / "slow.log")
        workers = [slow]
        try:
            wait_until(lambda: fleet(client, auth).get("slow", {}).get("slots_held"), 30, "slow")
            cursed = upload(client, auth, CURSED)
            workers += [
                FleetWorker(server, password, "failing", "Failing", tmp_path / "failing.log"),
                FleetWorker(server, password, "quick", "Quick", tmp_path / "quick.log"),
            ]

            def done() -> dict[str, Any] | None:
                body = client.get("/results", headers=auth).json()
                finished = all(len(body["results"].get(str(j), [])) == 2 for j in jobs)
                failed = body.get("failures", {}).get(str(cursed), {}).get("failed")
                return body if finished and failed else None

            body = wait_until(done, 120, "every job finished and the cursed one failed")
            seen = wait_until(
                lambda: (f := fleet(client, auth))["slow"]["results"] >= 1 and f, 30, "slow result"
            )
        finally:
            for worker in workers:
                worker.stop()
    failures = body["failures"][str(cursed)]
    # Three or four: a report for the job's other slot may land after the third.
    assert failures["attempts"] in {3, 4} and len(failures["reasons"]) == failures["attempts"]
    assert all("cursed" in r or "CUDA" in r for r in failures["reasons"])
    assert seen["slow"]["mean_seconds"] >= 9  # longer than the 3 s lease, and still accepted
    assert "lease lost" not in slow.output
    assert seen["failing"]["failures"] >= 1 and seen["failing"]["results"] == 0
    assert seen["quick"]["results"] >= 1
    assert all("Traceback" not in w.output for w in workers)


def test_a_killed_workers_slot_returns_after_the_lease(server: Server, tmp_path: Path) -> None:
    """A `kill -9` of a worker mid-job: its slot comes back after the lease; another finishes it."""
    password = str(server.printed_password())
    with httpx.Client(base_url=server.url, timeout=30) as client:
        auth = login(client, password)
        job = upload(client, auth, "Bear")
        victim = FleetWorker(
            server, password, "victim", "Slow", tmp_path / "victim.log", TEST_GENERATOR_SECONDS="60"
        )
        wait_until(lambda: fleet(client, auth).get("victim", {}).get("slots_held"), 30, "claim")
        victim.stop(signal.SIGKILL)
        rescuer = FleetWorker(server, password, "rescuer", "Quick", tmp_path / "rescuer.log")
        try:
            wait_until(
                lambda: len(client.get("/results", headers=auth).json()["results"][str(job)]) == 2,
                60,
                "both results",
            )
            listed = fleet(client, auth)
        finally:
            rescuer.stop()
    assert listed["rescuer"]["results"] == 2
    assert listed["victim"]["results"] == 0 and listed["victim"]["slots_held"] == 0


def test_a_retry_interrupts_the_slow_worker(server: Server, tmp_path: Path) -> None:
    """The doctor's Retry while the slow worker generates: its next extension gets 409, it stops."""
    password = str(server.printed_password())
    with httpx.Client(base_url=server.url, timeout=30) as client:
        auth = login(client, password)
        job = upload(client, auth, "Bear")
        slow = FleetWorker(
            server, password, "slow", "Slow", tmp_path / "slow.log", TEST_GENERATOR_SECONDS="20"
        )
        try:
            wait_until(lambda: fleet(client, auth).get("slow", {}).get("slots_held"), 30, "claim")
            params = {"image_id": str(job), "confirm": "retry"}
            assert client.get("/confirm", headers=auth, params=params).status_code == 200
            retried = time.monotonic()
            wait_until(lambda: "dropping the work" in slow.output, 15, "the worker to drop it")
            dropped_after = time.monotonic() - retried
        finally:
            slow.stop()
    assert dropped_after < 5  # extensions come every 1.5 s with a 3 s lease
    assert "409" in slow.output


def test_the_built_in_worker_leaves_fresh_jobs_to_a_gpu_worker(tmp_path: Path) -> None:
    """With a GPU worker polling, the built-in worker waits; with it gone, it takes jobs at once."""
    booth = Server(
        tmp_path / "data",
        env={"TEDDY_XRAY_FALLBACK_AFTER_SECONDS": "8", "PYTHONPATH": str(ROOT)},
        extra_args=("--with-worker", "--generator", "tests.fakes.generators:Quick"),
    ).start()
    stop_gpu = threading.Event()
    try:
        with httpx.Client(base_url=booth.url, timeout=30) as client:
            auth = login(client, str(booth.printed_password()))

            def gpu() -> None:
                with httpx.Client(base_url=booth.url, timeout=30) as own:
                    while not stop_gpu.is_set():
                        got = own.get("/job", headers={**auth, "worker_name": "fake-gpu"})
                        if got.status_code == 200:
                            own.post(
                                "/job",
                                headers={**auth, "worker_name": "fake-gpu"},
                                data={
                                    "image_id": got.headers["img_id"],
                                    "lease_id": got.headers["lease_id"],
                                },
                                files={"result": ("x.png", png(30, 30), "image/png")},
                            )
                        stop_gpu.wait(0.3)

            poller = threading.Thread(target=gpu, daemon=True)
            poller.start()
            wait_until(lambda: "fake-gpu" in fleet(client, auth), 20, "the GPU worker to be seen")
            time.sleep(6)  # the built-in worker checks /workers every 5 s
            first = upload(client, auth, "Bear")
            wait_until(
                lambda: (
                    len(client.get("/results", headers=auth).json()["results"][str(first)]) == 2
                ),
                30,
                "the GPU results",
            )
            listed = fleet(client, auth)
            builtin = next(n for n in listed if n.startswith("builtin-"))
            assert listed["fake-gpu"]["results"] == 2 and listed[builtin]["results"] == 0

            stop_gpu.set()
            poller.join()
            unplugged = time.monotonic()
            second = upload(client, auth, "Bear 2")
            wait_until(
                lambda: (
                    len(client.get("/results", headers=auth).json()["results"][str(second)]) == 2
                ),
                30,
                "the fallback results",
            )
            fallback_took = time.monotonic() - unplugged
            assert fleet(client, auth)["fake-gpu"]["results"] == 2

            wait_until(lambda: fleet(client, auth)["fake-gpu"]["state"] == "gone", 90, "gone")
            time.sleep(6)  # the built-in worker's next look at /workers
            gone = time.monotonic()
            third = upload(client, auth, "Bear 3")
            wait_until(
                lambda: (
                    len(client.get("/results", headers=auth).json()["results"][str(third)]) == 2
                ),
                30,
                "results at once",
            )
            at_once = time.monotonic() - gone
    finally:
        stop_gpu.set()
        booth.stop()
    assert 7 <= fallback_took < 25  # FALLBACK_AFTER_SECONDS plus a generation
    assert at_once < 7
    assert "Traceback" not in booth.output


def test_a_failing_built_in_generator_never_ends_the_worker_thread(tmp_path: Path) -> None:
    """Every exception of the built-in worker's generator is reported; the worker keeps polling."""
    booth = Server(
        tmp_path / "data",
        # Alone, the worker retries a job it failed after RETRY_ELSEWHERE_SECONDS (30 s).
        env={"PYTHONPATH": str(ROOT), "TEDDY_XRAY_RETRY_ELSEWHERE_SECONDS": "1"},
        extra_args=("--with-worker", "--generator", "tests.fakes.generators:Failing"),
    ).start()
    try:
        with httpx.Client(base_url=booth.url, timeout=30) as client:
            auth = login(client, str(booth.printed_password()))
            job = upload(client, auth, "Bear")
            wait_until(
                lambda: (
                    client.get("/results", headers=auth)
                    .json()["failures"]
                    .get(str(job), {})
                    .get("failed")
                ),
                60,
                "three failed attempts",
            )
            before = next(iter(fleet(client, auth).values()))["last_seen"]
            time.sleep(7)
            after = next(iter(fleet(client, auth).values()))
    finally:
        booth.stop()
    assert after["last_seen"] > before and after["failures"] == 3  # still polling


@pytest.mark.parametrize(
    ("names", "printed"),
    [
        ({"first_name": "Анна", "last_name": "Иванова"}, ("Anna", "Ivanova")),
        ({"first_name": "Ελένη", "last_name": "Παπαδοπούλου"}, ("Eleni", "Papadopoyloy")),
        ({"first_name": "Zoë 🦄", "last_name": "🧸"}, ("Zoe", "")),
    ],
)
def test_an_old_gpu_worker_still_works_and_prints_readable_names(
    server: Server, names: dict[str, str], printed: tuple[str, str]
) -> None:
    """A worker sending no new headers claims and posts; it reads printable names, ours exact."""
    password = str(server.printed_password())
    with httpx.Client(base_url=server.url, timeout=30) as client:
        auth = login(client, password)
        job = upload(client, auth, "Мишка 🧸", **names)
        old = client.get("/job", headers=auth)  # the old worker: GET /job, headers, POST /job
        assert old.status_code == 200
        raw = {k.decode("latin-1"): v.decode("latin-1") for k, v in old.headers.raw}
        assert (raw["first_name"], raw["last_name"], raw["animal_name"]) == (*printed, "Mishka")
        posted = client.post(
            "/job",
            headers=auth,
            data={"image_id": raw["img_id"]},
            files={"result": ("x.png", png(30, 30), "image/png")},
        )
        assert posted.status_code == 200
        ours = XrayClient(server.url, password_login(password), name="ours")
        try:
            item = ours.claim()
        finally:
            ours.close()
        assert item is not None
        assert (item.first_name, item.last_name, item.animal_name) == (
            names["first_name"],
            names["last_name"],
            "Мишка 🧸",
        )
        metadata = client.get("/results", headers=auth).json()["metadata"][str(job)]
    assert metadata["first_name"] == names["first_name"]
    assert metadata["animal_name"] == "Мишка 🧸"
