"""A family's phone: scan a printed code, open the page in real Chromium, see the x-ray."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import sync_playwright

from tests.images import asset
from tests.serverproc import Server
from xray_core.adapters.xray_look import SilhouetteXrayGenerator
from xray_core.generation.model import GenerationRequest

pytestmark = [pytest.mark.e2e, pytest.mark.browser]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {"width": 390, "height": 844}
SCREENSHOT_NAME = "owner-page-phone.png"  # docs/img gets it from `nox -s screenshots`


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    """A server on a fresh data dir (first start: it prints a password)."""
    running = Server(tmp_path / "data").start()
    yield running
    running.stop()


def scan_first_code(pdf: bytes, workdir: Path) -> str:
    """Print the sheet to pixels and read its first QR code, as a phone camera would."""
    (workdir / "sheet.pdf").write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", "150", "-gray", "-png", "-l", "1", "sheet.pdf", "page"],
        cwd=workdir,
        check=True,
    )
    (page,) = workdir.glob("page-*.png")
    with Image.open(page) as image:
        codes = zxingcpp.read_barcodes(image)
    return sorted(code.text for code in codes)[0]


def confirm_xray_for(client: httpx.Client, auth: dict[str, str], owner_url: str) -> None:
    """Upload the teddy photo for ``owner_url``, draw its x-ray like a worker, and confirm it."""
    data = {
        "first_name": "Mia",
        "last_name": "Keller",
        "animal_name": "Bärli",
        "qr_content": owner_url,
    }
    files = {"file": ("teddy.jpg", asset("teddy.jpg"), "image/jpeg")}
    job_id = client.post("/upload", headers=auth, data=data, files=files).json()["job_id"]
    claim = client.get("/job", headers=auth)
    xray = SilhouetteXrayGenerator().generate(claim.content, GenerationRequest(job_id, seed=7))
    client.post(
        "/job",
        headers=auth,
        data={"image_id": str(job_id)},
        files={"result": ("x.png", xray, "image/png")},
    ).raise_for_status()
    params: dict[str, str | int] = {"image_id": job_id, "choice": 0, "confirm": "confirm"}
    client.get("/confirm", headers=auth, params=params).raise_for_status()


def test_owner_page_shows_the_xray_on_a_phone(server: Server, tmp_path: Path) -> None:
    """On a 390x844 Chromium, the scanned URL loads, the x-ray is decoded and fills the width."""
    assert CHROMIUM.exists(), "Chromium is needed: apt-get install chromium"
    with httpx.Client(base_url=server.url, timeout=60) as client:
        password = server.printed_password()
        token = client.post("/token", data={"password": password}).json()["access_token"]
        auth = {"Authorization": f"Bearer {token}"}
        assert client.get("/qr", headers=auth, params={"n": 3}).status_code == 200
        deadline = time.monotonic() + 30
        while client.get("/qr/progress", headers=auth).json()["progress"] < 100:
            assert time.monotonic() < deadline, "QR batch did not finish"
            time.sleep(0.05)
        owner_url = scan_first_code(client.get("/qr/download", headers=auth).content, tmp_path)
        assert owner_url.startswith(f"{server.url}/p/")
        confirm_xray_for(client, auth, owner_url)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport=PHONE, device_scale_factor=2, is_mobile=True)
            requested: list[str] = []
            page.on("request", lambda request: requested.append(request.url))
            response = page.goto(owner_url, wait_until="load")
            assert response is not None and response.status == 200
            assert page.locator("h1").inner_text() == "Bärli"
            xray = page.locator(".film img")
            xray.wait_for(state="visible")
            assert xray.evaluate("img => img.complete && img.naturalWidth") > 0
            box = xray.bounding_box()
            assert box is not None and box["width"] >= 0.8 * PHONE["width"]
            photo = page.locator(".photo img")
            photo.scroll_into_view_if_needed()
            page.wait_for_function("document.querySelector('.photo img').naturalWidth > 0")
            assert page.get_by_text("Download the x-ray").is_visible()
            assert all(url.startswith(server.url) for url in requested)  # works offline
            page.evaluate("window.scrollTo(0, 0)")
            shot_path = tmp_path / SCREENSHOT_NAME  # tests write only into temporary dirs
            page.screenshot(path=str(shot_path), full_page=True)
        finally:
            browser.close()
    with Image.open(shot_path) as shot:
        assert shot.width == 2 * PHONE["width"]
