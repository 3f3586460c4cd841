"""Helpers of the booth browser tests: Chromium with a fake webcam, a logged-in page."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import qrcode
from PIL import Image
from playwright.sync_api import Browser, Page, Playwright

from tests.images import asset

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 860}


def camera_frame(qr_text: str | None, size: tuple[int, int] = (640, 480)) -> Image.Image:
    """Return what the fake webcam sees: the teddy photo, with a QR code on the right if given."""
    with Image.open(io.BytesIO(asset("teddy.jpg"))) as photo:
        frame = photo.convert("RGB").resize(size)
    if qr_text:
        code = qrcode.make(qr_text, border=2).get_image().convert("RGB").resize((300, 300))
        frame.paste(code, (size[0] - 320, (size[1] - 300) // 2))
    return frame


def write_y4m(frame: Image.Image, path: Path, frames: int = 5) -> Path:
    """Write ``frame`` as a YUV4MPEG2 (4:2:0) file that Chromium plays as its webcam."""
    width, height = frame.size
    ycbcr = np.asarray(frame.convert("YCbCr"), dtype=np.uint8)
    y = ycbcr[:, :, 0]
    u = ycbcr[::2, ::2, 1]
    v = ycbcr[::2, ::2, 2]
    planes = y.tobytes() + u.tobytes() + v.tobytes()
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            out.write(b"FRAME\n" + planes)
    return path


def launch(playwright: Playwright, webcam: Path | None = None) -> Browser:
    """Start the Debian Chromium, with ``webcam`` (a .y4m) as its camera if given."""
    args = list(ARGS)
    if webcam is not None:
        args += [
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-video-capture={webcam}",
        ]
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=args)


def log_in(page: Page, base_url: str, password: str, path: str = "/intake") -> None:
    """Open ``path``, get sent to the login page, log in and land back on ``path``."""
    page.goto(f"{base_url}{path}")
    page.wait_for_url(f"{base_url}/login?**")
    page.get_by_label("Booth password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base_url}{path}")


def collect_errors(page: Page) -> list[str]:
    """Return a list that fills with the page's script errors and CSP violations."""
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "console",
        lambda message: (
            errors.append(f"{message.text} {message.location.get('url', '')}")
            if message.type == "error"
            else None
        ),
    )
    return errors
