"""Screenshots of every booth page, desktop and phone, into docs/img (``nox -s screenshots``).

Starts a real ``teddy-xray serve --with-worker`` in a temporary directory, runs a small
event through the pages in Chromium (fake webcam showing the teddy photo) and photographs
each page in English (desktop and phone) and in German (desktop).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import httpx
from playwright.sync_api import Browser, Page, sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.e2e.booth import DESKTOP, PHONE, camera_frame, launch, write_y4m
from tests.e2e.test_owner_page_browser import scan_first_code
from tests.serverproc import Server

OUT = Path(__file__).resolve().parents[1] / "docs" / "img"


def shoot(page: Page, name: str, *, full: bool = True) -> None:
    time.sleep(1.6)  # let fades (1.2 s) and the polling settle
    page.screenshot(path=str(OUT / f"{name}.jpg"), type="jpeg", quality=80, full_page=full)
    print("wrote", OUT / f"{name}.jpg")


def logged_in(browser: Browser, url: str, password: str, lang: str, **options: object) -> Page:
    context = browser.new_context(locale="de-DE" if lang == "de" else "en-GB", **options)
    page = context.new_page()
    page.goto(f"{url}/login")
    page.locator("#password").fill(password)
    page.locator("#login button[type=submit]").click()
    page.wait_for_url(f"{url}/intake")
    return page


def intake(page: Page, url: str, qr: str, animal: str) -> None:
    page.goto(f"{url}/intake")
    page.locator("#qr_content").fill(qr)
    page.locator("#first_name").fill("Mia")
    page.locator("#last_name").fill("Keller")
    page.locator("#animal_name").fill(animal)
    page.locator("#photo-camera").click()
    page.locator("#photo-take").click()
    page.locator("#photo-canvas").wait_for(state="visible")


def run(url: str, password: str, work: Path) -> None:
    with httpx.Client(base_url=url, timeout=60) as client:
        token = client.post("/token", data={"password": password}).json()["access_token"]
        auth = {"Authorization": f"Bearer {token}"}
        client.get("/qr", params={"n": 3}, headers=auth).raise_for_status()
        while client.get("/qr/progress", headers=auth).json()["progress"] < 100:
            time.sleep(0.1)
        owner = scan_first_code(client.get("/qr/download", headers=auth).content, work)
    webcam = write_y4m(camera_frame(None), work / "teddy.y4m")
    with sync_playwright() as playwright:
        browser = launch(playwright, webcam)
        runs = (("en", {"desktop": DESKTOP, "phone": PHONE}), ("de", {"desktop": DESKTOP}))
        for lang, sizes in runs:
            for size_name, viewport in sizes.items():
                suffix = f"{size_name}" + ("-de" if lang == "de" else "")
                phone = {"is_mobile": True, "has_touch": True} if size_name == "phone" else {}
                anonymous = browser.new_context(
                    locale="de-DE" if lang == "de" else "en-GB", viewport=viewport, **phone
                ).new_page()
                anonymous.goto(f"{url}/")
                shoot(anonymous, f"ui-home-{suffix}")
                anonymous.goto(f"{url}/login")
                shoot(anonymous, f"ui-login-{suffix}")
                page = logged_in(browser, url, password, lang, viewport=viewport, **phone)
                intake(page, url, owner, "Bärli")
                shoot(page, f"ui-intake-{suffix}")
                page.locator("#upload").click()
                page.locator("#done").wait_for(state="visible")
                shoot(page, f"ui-intake-done-{suffix}", full=False)
                page.goto(f"{url}/review")
                page.locator(".slot.filled img").first.wait_for(state="visible", timeout=90_000)
                page.wait_for_function(
                    "() => document.querySelectorAll('.slot.filled img').length >= 2"
                )
                shoot(page, f"ui-review-{suffix}")
                page.locator(".slot.filled button[data-action=approve]").first.click()
                page.goto(f"{url}/admin")
                page.locator("#state dd").first.wait_for()
                shoot(page, f"ui-admin-{suffix}")
                anonymous.goto(f"{url}/screen")
                anonymous.wait_for_function("() => document.body.dataset.shown")
                shoot(anonymous, f"ui-screen-{suffix}", full=False)
                anonymous.goto(owner)
                shoot(anonymous, f"ui-owner-{suffix}")
        browser.close()


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        server = Server(Path(tmp) / "data", extra_args=("--with-worker",)).start()
        try:
            password = server.printed_password()
            assert password
            run(server.url, password, Path(tmp))
        finally:
            server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
