"""Time SilhouetteXrayGenerator on the photos in tests/assets, on one CPU core.

For every asset: the median seconds per x-ray with the photo scaled to 1024 px on its long
side, and with the photo at its own size, plus the size of the PNG made.

Run: python bench/bench_generator.py
"""

from __future__ import annotations

import io
import os
import statistics
import sys
import time
from pathlib import Path

from PIL import Image, ImageOps

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from xray_core.adapters.xray_look import SilhouetteXrayGenerator
from xray_core.generation.model import GenerationRequest

ASSETS = Path(__file__).resolve().parents[1] / "tests" / "assets"
PHOTOS = ["teddy.jpg", "eichhornchen.jpeg", "own.jpg", "bluemonkey_pre.png"]
RUNS = 5


def _scaled(data: bytes, side: int) -> bytes:
    image = ImageOps.exif_transpose(Image.open(io.BytesIO(data))).convert("RGB")
    scale = side / max(image.size)
    image = image.resize((round(image.width * scale), round(image.height * scale)))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=92)
    return out.getvalue()


def _median(generator: SilhouetteXrayGenerator, photo: bytes) -> tuple[float, int]:
    times, size = [], 0
    for run in range(RUNS):
        request = GenerationRequest(job_id=run, seed=run, broken_bone=run % 2 == 1)
        start = time.perf_counter()
        size = len(generator.generate(photo, request))
        times.append(time.perf_counter() - start)
    return statistics.median(times), size


def main() -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core, as promised
    generator = SilhouetteXrayGenerator()
    generator.generate(_scaled((ASSETS / PHOTOS[0]).read_bytes(), 256), GenerationRequest(0, 0))
    print(f"median of {RUNS} runs, one core")
    print(f"{'asset':20} {'1024 px':>9} {'PNG':>8}   {'own size':>11} {'s':>7} {'PNG':>8}")
    for name in PHOTOS:
        data = (ASSETS / name).read_bytes()
        scaled, scaled_size = _median(generator, _scaled(data, 1024))
        own, own_size = _median(generator, data)
        width, height = ImageOps.exif_transpose(Image.open(io.BytesIO(data))).size
        print(
            f"{name:20} {scaled:7.3f} s {scaled_size / 1e6:5.2f} MB   {width:>5}x{height:<5}"
            f" {own:5.3f} s {own_size / 1e6:5.2f} MB"
        )


if __name__ == "__main__":
    main()
