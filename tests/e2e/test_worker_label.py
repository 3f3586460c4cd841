"""A real worker draws distinct options labelled with the server's hospital name."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont
from skimage.feature import match_template
from skimage.metrics import structural_similarity

from tests.e2e.test_workers import WorkerProcess, login, wait_for_results
from tests.images import asset
from tests.serverproc import Server
from xray_core.adapters.xray_look.label import font_size

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
HOSPITAL = "Клиника Zoë"
BOLD = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    """A server of a hospital whose name is not latin-1."""
    running = Server(tmp_path / "data", env={"TEDDY_XRAY_HOSPITAL_NAME": HOSPITAL}).start()
    yield running
    running.stop()


def _shows(xray: Image.Image, text: str) -> float:
    """Return how well a reference rendering of ``text`` (bold) matches somewhere on the film."""
    font = ImageFont.truetype(BOLD, font_size(*xray.size), layout_engine=ImageFont.Layout.BASIC)
    reference = Image.new("L", (int(font.getlength(text)) + 4, font_size(*xray.size) + 8))
    ImageDraw.Draw(reference).text((2, 2), text, font=font, fill=255)
    grey = np.asarray(xray.convert("L"), dtype=np.float64)
    return float(match_template(grey, np.asarray(reference, dtype=np.float64)).max())


def test_worker_options_differ_and_carry_the_hospital_name(server: Server, tmp_path: Path) -> None:
    """Both options of a job look different and their labels name the hospital."""
    password = str(server.printed_password())
    worker = WorkerProcess(server, password, tmp_path / "worker.log")
    try:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            auth = login(client, password)
            data = {"first_name": "A", "last_name": "B", "animal_name": "Bello", "qr_content": "q"}
            files = {"file": ("own.jpg", asset("own.jpg"))}
            job = client.post("/upload", headers=auth, data=data, files=files).json()["job_id"]
            urls = wait_for_results(client, auth, [job])[str(job)]
            first, second = (Image.open(io.BytesIO(client.get(u).content)) for u in urls)
    finally:
        assert worker.stop() == 0
    small = []
    for image in (first, second):
        copy = image.convert("RGB")
        copy.thumbnail((256, 256))
        small.append(np.asarray(copy))
    assert structural_similarity(*small, channel_axis=2, data_range=255) < 0.85
    assert _shows(first, HOSPITAL) > 0.9
    assert _shows(second, HOSPITAL) > 0.9
