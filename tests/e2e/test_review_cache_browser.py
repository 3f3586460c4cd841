"""The review page in real Chromium: opened again, it fetches no image it has already."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import bcrypt
import httpx
import pytest
from playwright.sync_api import Browser, Page, Playwright, sync_playwright
from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.booth import launch, log_in
from tests.images import asset
from tests.serverproc import Server

pytestmark = [pytest.mark.e2e, pytest.mark.browser]
PASSWORD = "review-cache"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server without a worker: the test posts the results itself."""
    hashed = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(4)).decode()
    data_dir = tmp_path_factory.mktemp("review-cache") / "data"
    running = Server(data_dir, env={"TEDDY_XRAY_PASSWORD_HASH": hashed}).start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    """One Playwright for the module (a second one at the same time cannot start)."""
    with sync_playwright() as running:
        yield running


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    started = launch(playwright)
    yield started
    started.close()


def upload(client: httpx.Client, auth: dict[str, str], animal: str) -> int:
    data = {"first_name": "Lea", "last_name": "Berg", "animal_name": animal, "qr_content": "x"}
    files = {"file": ("teddy.jpg", asset("teddy.jpg"), "image/jpeg")}
    response = client.post("/upload", headers=auth, data=data, files=files)
    response.raise_for_status()
    return int(response.json()["job_id"])


def post_result(client: httpx.Client, auth: dict[str, str]) -> int:
    """Lease the next slot and post an x-ray into it, as a worker does; return the job id."""
    claim = client.get("/job", headers=auth)
    assert claim.status_code == 200
    data = {"image_id": claim.headers["img_id"], "lease_id": claim.headers["lease_id"]}
    files = {"result": ("x.png", asset("bluemonkey_post.png"), "image/png")}
    client.post("/job", headers=auth, data=data, files=files).raise_for_status()
    return int(claim.headers["img_id"])


def media_requests(client: httpx.Client) -> float:
    """How many /media requests the server has answered (any status), from /metrics."""
    total = 0.0
    for family in text_string_to_metric_families(client.get("/metrics").text):
        for sample in family.samples:
            if sample.name == "teddy_xray_http_requests_total" and "media" in sample.labels.get(
                "route", ""
            ):
                total += sample.value
    return total


class ImageTraffic:
    """Bytes Chromium received over the network for each image URL (0 when from its cache)."""

    def __init__(self, page: Page) -> None:
        self.received: dict[str, int] = {}
        self._urls: dict[str, str] = {}
        cdp = page.context.new_cdp_session(page)
        cdp.on("Network.requestWillBeSent", self._sent)
        cdp.on("Network.loadingFinished", self._finished)
        cdp.send("Network.enable")

    def _sent(self, event: dict[str, Any]) -> None:
        if event.get("type") == "Image":
            self._urls[event["requestId"]] = event["request"]["url"]

    def _finished(self, event: dict[str, Any]) -> None:
        url = self._urls.get(event["requestId"])
        if url is not None:
            self.received[url] = self.received.get(url, 0) + int(event["encodedDataLength"])


def shown_images(page: Page, count: int) -> list[str]:
    """Wait until the review page shows ``count`` loaded images; return their URLs."""
    page.wait_for_function(
        """(count) => {
            const images = [...document.querySelectorAll("#cases img[src]")];
            return images.length === count && images.every((i) => i.complete && i.naturalWidth);
        }""",
        arg=count,
        timeout=60_000,
    )
    urls: list[str] = page.eval_on_selector_all("#cases img[src]", "all => all.map(i => i.src)")
    return urls


def test_opening_the_review_page_again_fetches_only_the_new_image(
    server: Server, browser: Browser
) -> None:
    """Unchanged photos and x-rays come from the browser's cache: 0 bytes; a new x-ray loads."""
    with httpx.Client(base_url=server.url, timeout=60) as client:
        token = client.post("/token", data={"password": PASSWORD}).json()["access_token"]
        auth = {"Authorization": f"Bearer {token}"}
        first = upload(client, auth, "Bruno")
        second = upload(client, auth, "Flocke")
        assert {post_result(client, auth), post_result(client, auth)} == {first}

        context = browser.new_context()
        page = context.new_page()
        log_in(page, server.url, PASSWORD, "/review")
        before = shown_images(page, 4)  # two photos (thumbnails), the first case's two x-rays
        assert all("/media/" in url for url in before)

        page.goto("about:blank")
        assert post_result(client, auth) == second  # one new x-ray while the page is closed
        served = media_requests(client)
        traffic = ImageTraffic(page)
        page.goto(f"{server.url}/review")
        after = shown_images(page, 5)
        new = [url for url in after if url not in before]

        assert len(new) == 1
        assert {url: n for url, n in traffic.received.items() if url in before and n} == {}
        assert traffic.received.get(new[0], 0) > 0
        assert media_requests(client) - served == 1  # the server sent the new image only
        context.close()


def test_the_images_are_served_for_caching_by_the_browser_only(server: Server) -> None:
    """What lets the browser keep them: a long, private, immutable lifetime and an ETag."""
    with httpx.Client(base_url=server.url, timeout=60) as client:
        token = client.post("/token", data={"password": PASSWORD}).json()["access_token"]
        auth = {"Authorization": f"Bearer {token}"}
        job_id = upload(client, auth, "Pippa")
        url = client.get("/results", headers=auth).json()["previews"][str(job_id)]["thumb"]
        response = client.get(url)
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/webp"
    control = response.headers["cache-control"]
    assert "private" in control and "immutable" in control and "max-age=31536000" in control
    assert response.headers["etag"]
