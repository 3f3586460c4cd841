"""The big screen for an hour (or ``--minutes``): JS heap, DOM nodes and object URLs over time.

``.venv/bin/python -m bench.screen_soak --minutes 60`` (or ``nox -s screen_soak -- --minutes 60``)
starts a real ``teddy-xray serve`` with a few approved cases, opens ``/screen`` in the Debian
Chromium with a short slide interval, approves a new case every ``--add-every`` seconds,
restarts the server ``--restarts`` times in between, and every ``--sample-every`` seconds
records the JS heap (CDP ``Performance.getMetrics``, before and after a forced garbage
collection), the live DOM nodes, the elements in the document and the screen's object URLs.
It prints a markdown table; not a test, it asserts nothing.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
from PIL import Image, ImageOps
from playwright.sync_api import CDPSession, Page, sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.e2e.booth import DESKTOP, launch
from tests.images import asset
from tests.serverproc import Server


@dataclass
class Sample:
    """One reading of the open big screen."""

    minute: float
    slides: int
    items_added: int
    restarts: int
    heap_mb: float
    heap_after_gc_mb: float
    heap_total_mb: float
    nodes: int
    nodes_after_gc: int
    elements: int
    object_urls: int
    listeners: int
    online: str


def photo_and_xray(number: int) -> tuple[bytes, bytes]:
    """A camera-sized photo (the teddy asset, tinted per case) and an x-ray-like PNG of it."""
    with Image.open(io.BytesIO(asset("teddy.jpg"))) as source:
        rgb = source.convert("RGB")
    tint = Image.new("RGB", rgb.size, ((number * 47) % 255, (number * 91) % 255, 128))
    photo = Image.blend(rgb, tint, 0.25)
    xray = ImageOps.invert(ImageOps.grayscale(photo)).convert("RGB")
    out_photo, out_xray = io.BytesIO(), io.BytesIO()
    photo.save(out_photo, "JPEG", quality=90)
    xray.save(out_xray, "PNG")
    return out_photo.getvalue(), out_xray.getvalue()


def approve_case(server: Server, password: str, number: int) -> int:
    """Upload a case, post its x-ray like a worker, approve it; return the job id."""
    photo, xray = photo_and_xray(number)
    with httpx.Client(base_url=server.url, timeout=120) as client:
        token = client.post("/token", data={"password": password}).json()["access_token"]
        auth = {"Authorization": f"Bearer {token}"}
        data = {
            "first_name": "Ida",
            "last_name": "Secret",
            "animal_name": f"Teddy {number}",
            "qr_content": f"soak-{number}",
        }
        files = {"file": ("p.jpg", photo, "image/jpeg")}
        upload = client.post("/upload", headers=auth, data=data, files=files)
        upload.raise_for_status()
        job_id = int(upload.json()["job_id"])
        claim = client.get("/job", headers=auth)
        claim.raise_for_status()
        claimed = claim.headers["img_id"]
        result = {"result": ("x.png", xray, "image/png")}
        client.post("/job", headers=auth, data={"image_id": claimed}, files=result)
        params: dict[str, str | int] = {"image_id": job_id, "choice": 0, "confirm": "confirm"}
        client.get("/confirm", headers=auth, params=params).raise_for_status()
    return job_id


def metrics(cdp: CDPSession) -> dict[str, float]:
    return {m["name"]: float(m["value"]) for m in cdp.send("Performance.getMetrics")["metrics"]}


def read(page: Page, expression: str) -> str:
    try:
        return str(page.evaluate(expression))
    except Exception as error:  # a reading must never end the run
        return f"? ({type(error).__name__})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--slide-seconds", type=int, default=3)
    parser.add_argument("--carousel-size", type=int, default=5)
    parser.add_argument("--initial", type=int, default=3, help="approved cases at the start")
    parser.add_argument("--add-every", type=float, default=90.0, help="seconds between new cases")
    parser.add_argument("--restarts", type=int, default=2)
    parser.add_argument("--sample-every", type=float, default=300.0)
    args = parser.parse_args(argv)

    env = {
        "TEDDY_XRAY_SCREEN_SECONDS": str(args.slide_seconds),
        "TEDDY_XRAY_CAROUSEL_SIZE": str(args.carousel_size),
    }
    total = args.minutes * 60
    restart_at = [total * (i + 1) / (args.restarts + 1) for i in range(args.restarts)]
    samples: list[Sample] = []
    delays: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        server = Server(Path(tmp) / "data", env=env).start()
        password = server.printed_password()
        assert password, server.output
        number = 0
        try:
            for _ in range(args.initial):
                number += 1
                approve_case(server, password, number)
            with sync_playwright() as playwright:
                browser = launch(playwright)
                page = browser.new_page(viewport=DESKTOP)
                cdp = page.context.new_cdp_session(page)
                cdp.send("Performance.enable")
                page.goto(f"{server.url}/screen")
                page.wait_for_function("() => document.body.dataset.shown", timeout=60_000)
                started = time.monotonic()
                slides, restarts, added = 0, 0, 0
                last_shown = read(page, "document.body.dataset.shown || ''")
                next_add = started + args.add_every
                next_sample = started
                waiting: tuple[str, float] | None = None  # job id approved, when
                while True:
                    now = time.monotonic()
                    elapsed = now - started
                    shown = read(page, "document.body.dataset.shown || ''")
                    if shown != last_shown:
                        slides += 1
                        last_shown = shown
                    if waiting and shown == waiting[0]:
                        delays.append(now - waiting[1])
                        waiting = None
                    if now >= next_sample or elapsed >= total:
                        before = metrics(cdp)
                        cdp.send("HeapProfiler.collectGarbage")
                        after = metrics(cdp)
                        sample = Sample(
                            minute=elapsed / 60,
                            slides=slides,
                            items_added=added,
                            restarts=restarts,
                            heap_mb=before["JSHeapUsedSize"] / 1e6,
                            heap_after_gc_mb=after["JSHeapUsedSize"] / 1e6,
                            heap_total_mb=after["JSHeapTotalSize"] / 1e6,
                            nodes=int(before["Nodes"]),
                            nodes_after_gc=int(after["Nodes"]),
                            elements=int(read(page, "document.getElementsByTagName('*').length")),
                            object_urls=int(read(page, "Number(document.body.dataset.objectUrls)")),
                            listeners=int(cdp.send("Memory.getDOMCounters")["jsEventListeners"]),
                            online=read(page, "document.body.dataset.online"),
                        )
                        samples.append(sample)
                        print(sample, flush=True)
                        next_sample += args.sample_every
                        if elapsed >= total:
                            break
                    if restart_at and elapsed >= restart_at[0]:
                        restart_at.pop(0)
                        server.stop()
                        time.sleep(15)  # the screen keeps its pictures while the server is away
                        offline = read(page, "document.body.dataset.online")
                        print(f"server away 15 s, screen online={offline}", flush=True)
                        server = Server(server.data_dir, port=server.port, env=env).start()
                        restarts += 1
                    if now >= next_add:
                        number += 1
                        job = approve_case(server, password, number)
                        waiting = (str(job), time.monotonic())
                        added += 1
                        next_add += args.add_every
                    time.sleep(0.2)
                browser.close()
        finally:
            server.stop()

    load = os.getloadavg()
    print(
        f"\nThe big screen for {args.minutes:g} min at {args.slide_seconds} s a slide, "
        f"carousel of {args.carousel_size}, {args.initial} cases at the start, a new one every "
        f"{args.add_every:g} s, {args.restarts} server restart(s); load average at the end "
        f"{load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}\n"
    )
    print(
        "| minute | slides | cases added | restarts | JS heap used (MB) | after GC (MB) "
        "| heap total (MB) | DOM nodes (after GC) | elements | object URLs | listeners | online |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for s in samples:
        print(
            f"| {s.minute:.1f} | {s.slides} | {s.items_added} | {s.restarts} | {s.heap_mb:.2f} "
            f"| {s.heap_after_gc_mb:.2f} | {s.heap_total_mb:.2f} | {s.nodes} ({s.nodes_after_gc}) "
            f"| {s.elements} | {s.object_urls} | {s.listeners} | {s.online} |"
        )
    if delays:
        late = sum(delay > 5 for delay in delays)
        print(
            f"\nnew x-ray on screen after approval: {len(delays)} of {added}, "
            f"{min(delays):.1f}-{max(delays):.1f} s, median {statistics.median(delays):.1f} s, "
            f"{late} later than 5 s"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
