"""The big screen runs all day: many slides, new items, a server restart, no growth."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, sync_playwright

from tests.e2e.booth import DESKTOP, launch
from tests.images import jpeg, png
from tests.serverproc import Server

pytestmark = [pytest.mark.e2e, pytest.mark.browser, pytest.mark.slow]
SETTINGS = {"TEDDY_XRAY_SCREEN_SECONDS": "2", "TEDDY_XRAY_CAROUSEL_SIZE": "3"}


def approve_one(server: Server, password: str, animal: str, colour: tuple[int, int, int]) -> int:
    """Upload a photo, post an x-ray for it like a worker, and approve it; return the job id."""
    with httpx.Client(base_url=server.url, timeout=60) as client:
        token = client.post("/token", data={"password": password}).json()["access_token"]
        auth = {"Authorization": f"Bearer {token}"}
        data = {
            "first_name": "Ida",
            "last_name": "Secret",
            "animal_name": animal,
            "qr_content": "x",
        }
        files = {"file": ("p.jpg", jpeg(64, 48, colour), "image/jpeg")}
        job_id = int(client.post("/upload", headers=auth, data=data, files=files).json()["job_id"])
        claim = client.get("/job", headers=auth)
        assert claim.headers["img_id"] == str(job_id)
        result = {"result": ("x.png", png(64, 48, colour[::-1]), "image/png")}
        client.post("/job", headers=auth, data={"image_id": str(job_id)}, files=result)
        params: dict[str, str | int] = {"image_id": job_id, "choice": 0, "confirm": "confirm"}
        client.get("/confirm", headers=auth, params=params).raise_for_status()
    return job_id


def shown(page: Page) -> str:
    return str(page.evaluate("document.body.dataset.shown || ''"))


def nodes(page: Page) -> int:
    return int(page.evaluate("document.getElementsByTagName('*').length"))


def object_urls(page: Page) -> int:
    return int(page.evaluate("Number(document.body.dataset.objectUrls || 0)"))


def wait_until(condition: object, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.1)
    return False


def test_the_big_screen_survives_many_slides_new_items_and_a_restart(tmp_path: Path) -> None:
    """Over 30 slides, 6 new items and a restart: new x-rays within 5 s, no node or URL growth."""
    server = Server(tmp_path / "data", env=SETTINGS).start()
    password = server.printed_password()
    assert password
    try:
        approve_one(server, password, "Erster", (200, 40, 40))
        with sync_playwright() as playwright:
            browser = launch(playwright)
            page = browser.new_page(viewport=DESKTOP)
            session = page.context.new_cdp_session(page)
            session.send("Performance.enable")
            page.goto(f"{server.url}/screen")
            assert wait_until(lambda: shown(page), 10)
            baseline = nodes(page)
            for round_number in range(6):
                if round_number == 3:
                    server.stop()
                    time.sleep(4)  # the screen keeps its pictures while the server is away
                    assert page.evaluate("document.body.dataset.online") == "false"
                    assert page.locator(".slide.shown .slide-xray").evaluate(
                        "img => img.complete && img.naturalWidth > 0"
                    )
                    server = Server(server.data_dir, port=server.port, env=SETTINGS).start()
                colour = (40 * round_number % 255, 120, 200)
                job_id = approve_one(server, password, f"Tier{round_number}", colour)
                approved = time.monotonic()
                assert wait_until(lambda job=job_id: shown(page) == str(job), 5), round_number
                print(f"\nround {round_number}: on screen {time.monotonic() - approved:.1f} s")
                seen: set[str] = set()
                for _ in range(5):  # a few slide changes of 2 s each
                    before = shown(page)
                    assert wait_until(lambda old=before: shown(page) != old, 5)
                    seen.add(shown(page))
                with httpx.Client(base_url=server.url) as client:
                    on_carousel = {str(i["job_id"]) for i in client.get("/carousel/items").json()}
                assert seen <= on_carousel and len(seen) == min(3, round_number + 2)
                assert nodes(page) == baseline
                assert object_urls(page) <= 6
            heap = {
                m["name"]: m["value"] for m in session.send("Performance.getMetrics")["metrics"]
            }
            print(f"JS heap used after the run: {heap['JSHeapUsedSize'] / 1e6:.1f} MB")
            assert page.locator(".slide-name").all_inner_texts().count("Secret") == 0
            browser.close()
    finally:
        server.stop()
