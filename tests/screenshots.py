"""Render the pictures of docs/img/ from a real server and the Debian Chromium.

Run through ``nox -s screenshots`` (or ``python -m tests.screenshots OUT_DIR``); tests never
write into docs/. Each picture is made the way a user would see it: a fresh server, a
printed QR code scanned, an x-ray drawn and confirmed, the page opened on a phone-sized
screen.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import httpx
from playwright.sync_api import sync_playwright

from tests.e2e.test_owner_page_browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    PHONE,
    confirm_xray_for,
    scan_first_code,
)
from tests.serverproc import Server


def owner_page(out_dir: Path, workdir: Path) -> Path:
    """Save ``owner-page-phone.png``: a family's page on a 390x844 phone, top of the page."""
    server = Server(workdir / "data").start()
    try:
        with httpx.Client(base_url=server.url, timeout=60) as client:
            password = server.printed_password()
            token = client.post("/token", data={"password": password}).json()["access_token"]
            auth = {"Authorization": f"Bearer {token}"}
            client.get("/qr", headers=auth, params={"n": 3}).raise_for_status()
            deadline = time.monotonic() + 60
            while client.get("/qr/progress", headers=auth).json()["progress"] < 100:
                if time.monotonic() > deadline:
                    raise RuntimeError("the QR batch did not finish")
                time.sleep(0.05)
            pdf = client.get("/qr/download", headers=auth).content
            owner_url = scan_first_code(pdf, workdir)
            confirm_xray_for(client, auth, owner_url)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            try:
                page = browser.new_page(viewport=PHONE, device_scale_factor=2, is_mobile=True)
                page.goto(owner_url, wait_until="load")
                page.locator(".film img").wait_for(state="visible")
                page.wait_for_function("document.querySelector('.photo img').naturalWidth > 0")
                page.evaluate("window.scrollTo(0, 0)")
                target = out_dir / "owner-page-phone.png"
                page.screenshot(path=str(target), full_page=True)
            finally:
                browser.close()
    finally:
        server.stop()
    return target


PICTURES = {"owner-page-phone.png": owner_page}


def main(argv: list[str]) -> int:
    """Render every picture (or those named after the folder) into the folder given."""
    if not argv:
        print("usage: python -m tests.screenshots OUT_DIR [NAME.png ...]", file=sys.stderr)
        return 2
    out_dir = Path(argv[0])
    out_dir.mkdir(parents=True, exist_ok=True)
    for name in argv[1:] or list(PICTURES):
        with tempfile.TemporaryDirectory() as workdir:
            print(f"wrote {PICTURES[name](out_dir, Path(workdir))}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
