"""The worker fleet on the pages, in real Chromium against a real `teddy-xray serve` process.

The server runs with the fleet times lowered to their floor (10 s) and one attempt per job;
the workers are a polling thread (a worker that never takes work) and real `teddy-xray
worker` processes with the test generators of ``tests.fakes.generators``.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType

import httpx
import pytest
from playwright.sync_api import Browser, Playwright, expect, sync_playwright

from tests.e2e.booth import DESKTOP, collect_errors, launch, log_in
from tests.e2e.test_booth_browser import upload, wait_for_xray
from tests.e2e.test_fleet import FleetWorker
from tests.serverproc import Server

pytestmark = [pytest.mark.e2e, pytest.mark.browser, pytest.mark.slow]
FLEET_ENV = {
    "TEDDY_XRAY_WORKER_GONE_SECONDS": "10",
    "TEDDY_XRAY_NO_WORKER_WARNING_SECONDS": "10",
    "TEDDY_XRAY_MAX_ATTEMPTS": "1",
}


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    """One Playwright for the module (a second one at the same time cannot start)."""
    with sync_playwright() as running:
        yield running


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    """The Debian Chromium."""
    started = launch(playwright)
    yield started
    started.close()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    """A fresh server (an empty fleet) without a built-in worker, with short fleet times."""
    running = Server(tmp_path / "data", env=FLEET_ENV).start()
    yield running
    running.stop()


@pytest.fixture
def password(server: Server) -> str:
    printed = server.printed_password()
    assert printed
    return printed


@pytest.fixture
def api(server: Server, password: str) -> Iterator[tuple[httpx.Client, dict[str, str]]]:
    """An HTTP client of the server and a valid auth header."""
    with httpx.Client(base_url=server.url, timeout=60) as client:
        token = client.post("/token", data={"password": password}).json()["access_token"]
        yield client, {"Authorization": f"Bearer {token}"}


class Poller:
    """A worker named ``name`` that polls ``GET /job`` twice a second and never takes work."""

    def __init__(self, server: Server, auth: dict[str, str], name: str) -> None:
        self._headers = {**auth, "worker_name": name}
        self._url = server.url
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with httpx.Client(base_url=self._url, timeout=10) as client:
            while not self._stop.is_set():
                # min_age of a day: it asks for work, and no fresh job is handed to it.
                client.get("/job", params={"min_age": "86400"}, headers=self._headers)
                self._stop.wait(0.5)

    def __enter__(self) -> Poller:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join(timeout=15)


def test_the_admin_page_shows_a_worker_live_and_says_when_it_goes_and_comes_back(
    server: Server,
    password: str,
    browser: Browser,
    api: tuple[httpx.Client, dict[str, str]],
) -> None:
    """A polling worker appears as ready, turns gone when it stops, and is announced back."""
    page = browser.new_page(viewport=DESKTOP)
    errors = collect_errors(page)
    log_in(page, server.url, password, "/admin")
    empty = page.locator("#fleet-empty")
    expect(empty).to_be_visible()  # the page's first answer came: an empty fleet
    expect(empty).to_contain_text("No worker has asked for work yet")
    news = page.locator("#fleet-news")
    expect(news).to_have_attribute("aria-live", "polite")
    row = page.locator("#fleet-table tr[data-worker='gpu-laptop']")
    with Poller(server, api[1], "gpu-laptop"):
        expect(row.locator("td").first).to_have_text("ready", timeout=15_000)
        expect(news).to_have_text("gpu-laptop has joined.")
        expect(page.locator("#fleet-summary")).to_have_text("1 of 1 workers alive.")
    expect(row.locator("td").first).to_have_text("gone", timeout=30_000)
    expect(news).to_contain_text("gpu-laptop has gone away")
    expect(page.locator("#fleet-summary")).to_have_text("0 of 1 workers alive.")
    with Poller(server, api[1], "gpu-laptop"):
        expect(news).to_have_text("gpu-laptop is back.", timeout=15_000)
        expect(row.locator("td").first).to_have_text("ready")
    assert errors == []


def test_the_review_page_warns_while_no_worker_polls_and_names_who_draws(
    server: Server,
    password: str,
    browser: Browser,
    api: tuple[httpx.Client, dict[str, str]],
    tmp_path: Path,
) -> None:
    """A silent fleet brings the banner; a worker's poll ends it and its slot says who draws."""
    client, auth = api
    page = browser.new_page(viewport=DESKTOP)
    errors = collect_errors(page)
    alert = page.get_by_role("alert")
    with Poller(server, auth, "idle-laptop"):
        job = upload(client, auth, "Brummi")
        log_in(page, server.url, password, "/review")
        card = page.locator(f".case[data-job='{job}']")
        captions = card.locator(".slot figcaption")
        expect(captions).to_have_text(["Waiting for a worker", "Waiting for a worker"])
        with page.expect_response(lambda r: r.url.endswith("/workers")):
            pass  # the page's next look at the fleet
        expect(alert).to_be_empty()  # a worker polls: the case will be taken
    expect(alert).to_contain_text("No worker is making x-rays", timeout=30_000)
    expect(alert).to_contain_text("no worker has asked for work for more than 10 seconds")
    expect(alert).to_contain_text("Start a worker, or check the GPU laptop")
    slow = FleetWorker(
        server, password, "gpu-laptop", "Slow", tmp_path / "slow.log", TEST_GENERATOR_SECONDS="60"
    )
    try:
        expect(alert).to_be_empty(timeout=30_000)
        expect(captions).to_have_text(["Being made by gpu-laptop…", "Waiting for a worker"])
    finally:
        slow.stop(signal.SIGKILL)  # SIGTERM would let it finish its minute-long picture
    assert errors == []


def test_a_failed_case_shows_the_workers_reason_and_retry_makes_new_x_rays(
    server: Server,
    password: str,
    browser: Browser,
    api: tuple[httpx.Client, dict[str, str]],
    tmp_path: Path,
) -> None:
    """A broken worker fails the case; the page shows why, and Retry gets it made elsewhere."""
    client, auth = api
    page = browser.new_page(viewport=DESKTOP)
    errors = collect_errors(page)
    failing = FleetWorker(server, password, "broken-gpu", "Failing", tmp_path / "failing.log")
    try:
        job = upload(client, auth, "Hoppel")
        log_in(page, server.url, password, "/review")
        card = page.locator(f".case[data-job='{job}']")
        failure = card.locator(".case-failure")
        expect(failure).to_contain_text("No x-ray could be made", timeout=60_000)
        expect(failure).to_contain_text("CUDA error: an illegal memory access was encountered")
        expect(failure).to_contain_text("Failed tries: 1")
        expect(card.locator(".slot figcaption")).to_have_text(
            ["Could not be made", "Could not be made"]
        )
        expect(page.get_by_role("status")).to_contain_text("No x-ray could be made for Hoppel")
        expect(card.get_by_role("button", name="Cancel")).to_be_visible()
    finally:
        failing.stop()
    quick = FleetWorker(server, password, "cpu", "Quick", tmp_path / "quick.log")
    try:
        card.get_by_role("button", name="Retry").click()
        expect(page.get_by_role("status")).to_contain_text("New x-rays are being made")
        expect(failure).to_be_hidden()
        wait_for_xray(page, job, timeout=60_000)
    finally:
        quick.stop()
    assert errors == []
