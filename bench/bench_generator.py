"""Time SilhouetteXrayGenerator on the photos in tests/assets, on one CPU core.

For every asset: the median seconds per x-ray with the photo scaled to 1024 and to 2048 px on
its long side and at its own size (each option style in turn, a broken bone every other run),
as CPU time of the process (what one core spends, honest on a shared machine) and wall time,
then the SSIM of every pair of options (each scaled to 256 px on its long side).

Run: python bench/bench_generator.py
"""

from __future__ import annotations

import io
import itertools
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps
from skimage.metrics import structural_similarity

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from xray_core.adapters.xray_look import SilhouetteXrayGenerator
from xray_core.adapters.xray_look.styles import STYLES
from xray_core.generation.model import GenerationRequest

ASSETS = Path(__file__).resolve().parents[1] / "tests" / "assets"
PHOTOS = sorted(p.name for p in ASSETS.iterdir() if p.suffix != ".md")
RUNS = 5


def _scaled(data: bytes, side: int) -> bytes:
    image = ImageOps.exif_transpose(Image.open(io.BytesIO(data))).convert("RGB")
    scale = side / max(image.size)
    image = image.resize((round(image.width * scale), round(image.height * scale)))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=92)
    return out.getvalue()


def _median(generator: SilhouetteXrayGenerator, photo: bytes) -> tuple[float, float]:
    """Return the median CPU seconds and wall seconds per x-ray of ``photo``."""
    cpu, wall = [], []
    for run in range(RUNS):
        request = GenerationRequest(
            job_id=run,
            seed=run,
            option=run % len(STYLES),
            broken_bone=run % 2 == 1,
            animal_name="Мишка",
        )
        start, start_cpu = time.perf_counter(), time.process_time()
        generator.generate(photo, request)
        cpu.append(time.process_time() - start_cpu)
        wall.append(time.perf_counter() - start)
    return statistics.median(cpu), statistics.median(wall)


def _ssims(generator: SilhouetteXrayGenerator, photo: bytes) -> list[float]:
    pictures = []
    for option in range(len(STYLES)):
        out = generator.generate(photo, GenerationRequest(job_id=1, seed=option, option=option))
        image = Image.open(io.BytesIO(out)).convert("RGB")
        image.thumbnail((256, 256))
        pictures.append(np.asarray(image))
    return [
        float(structural_similarity(a, b, channel_axis=2, data_range=255))
        for a, b in itertools.combinations(pictures, 2)
    ]


def _pair(times: tuple[float, float]) -> str:
    return f"{times[0]:.2f} s ({times[1]:.2f})"


def main() -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core, as promised
    generator = SilhouetteXrayGenerator()
    generator.generate(_scaled((ASSETS / PHOTOS[0]).read_bytes(), 256), GenerationRequest(0, 0))
    print(f"median of {RUNS} runs, one core, CPU s (wall s); SSIM of all {len(STYLES)} options\n")
    print("| asset | 1024 px | 2048 px | own size | s | SSIM min | SSIM max |")
    print("|---|---:|---:|---|---:|---:|---:|")
    everything: list[float] = []
    for name in PHOTOS:
        data = (ASSETS / name).read_bytes()
        at_1024 = _median(generator, _scaled(data, 1024))
        at_2048 = _median(generator, _scaled(data, 2048))
        own = _median(generator, data)
        width, height = ImageOps.exif_transpose(Image.open(io.BytesIO(data))).size
        ssims = _ssims(generator, data)
        everything += ssims
        print(
            f"| {name} | {_pair(at_1024)} | {_pair(at_2048)} | {width}x{height} | {_pair(own)}"
            f" | {min(ssims):.3f} | {max(ssims):.3f} |",
            flush=True,
        )
    print(
        f"\nSSIM over all pairs of options of all assets: {min(everything):.3f} to "
        f"{max(everything):.3f} (distinct below 0.85)"
    )


if __name__ == "__main__":
    main()
