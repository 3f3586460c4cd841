"""Figures of the booth pages: weight, upload -> first x-ray on /review, big-screen heap.

``python bench/bench_pages.py [screen_minutes]`` against a fresh ``serve --with-worker``.
"""

from __future__ import annotations

import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.e2e.booth import DESKTOP, launch
from tests.images import asset
from tests.serverproc import Server

PAGES = ["/", "/login", "/intake", "/review", "/screen", "/admin"]
IMPORT = re.compile(r"""from\s+["'](\./[\w.]+)["']""")


def weight(client: httpx.Client, path: str) -> tuple[int, int, int]:
    """Return the uncompressed bytes of a page's HTML, CSS and JS (ES imports followed)."""
    html = client.get(path).text
    css = sum(len(client.get(h).content) for h in re.findall(r'href="(/static/[^"]+\.css)"', html))
    todo = re.findall(r'src="(/static/[^"]+\.js)"', html)
    seen: set[str] = set()
    js = 0
    while todo:
        script = todo.pop()
        if script in seen:
            continue
        seen.add(script)
        body = client.get(script).text
        js += len(body.encode())
        base = script.rsplit("/", 1)[0]
        todo += [f"{base}/{name[2:]}" for name in IMPORT.findall(body)]
    return len(html.encode()), css, js


def main(screen_minutes: float = 2.0) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        server = Server(Path(tmp) / "data", extra_args=("--with-worker",)).start()
        try:
            password = server.printed_password()
            with httpx.Client(base_url=server.url, timeout=60) as client:
                print("| page | HTML | CSS | JS | total (bytes, uncompressed) |")
                print("|---|---|---|---|---|")
                for path in PAGES:
                    h, c, j = weight(client, path)
                    print(f"| `{path}` | {h} | {c} | {j} | {h + c + j} |")
                token = client.post("/token", data={"password": password}).json()["access_token"]
                auth = {"Authorization": f"Bearer {token}"}
                with sync_playwright() as playwright:
                    browser = launch(playwright)
                    page = browser.new_page(viewport=DESKTOP)
                    page.goto(f"{server.url}/")
                    page.evaluate(f"localStorage.setItem('teddy-xray-token', '{token}')")
                    page.goto(f"{server.url}/review")
                    times = []
                    for run in range(5):
                        data = {
                            "first_name": "A",
                            "last_name": "B",
                            "animal_name": f"Run{run}",
                            "qr_content": "bench",
                        }
                        files = {"file": ("t.jpg", asset("teddy.jpg"), "image/jpeg")}
                        started = time.monotonic()
                        job = client.post("/upload", headers=auth, data=data, files=files).json()
                        page.wait_for_function(
                            """id => [...document.querySelectorAll(
                                   `.case[data-job='${id}'] .slot.filled img`)]
                                   .some(i => i.complete && i.naturalWidth > 0)""",
                            arg=job["job_id"],
                            timeout=120_000,
                        )
                        times.append(time.monotonic() - started)
                        params = {"image_id": job["job_id"], "choice": 0, "confirm": "confirm"}
                        time.sleep(3)  # let the second result finish before the next run
                        client.get("/confirm", headers=auth, params=params)
                    print(
                        f"\nupload -> first x-ray visible on /review: median "
                        f"{statistics.median(times):.2f} s of {len(times)} "
                        f"({', '.join(f'{t:.2f}' for t in times)})"
                    )
                    screen = browser.new_page(viewport=DESKTOP)
                    cdp = screen.context.new_cdp_session(screen)
                    cdp.send("Performance.enable")
                    screen.goto(f"{server.url}/screen")
                    end = time.monotonic() + screen_minutes * 60
                    samples = []
                    while time.monotonic() < end:
                        time.sleep(min(30, max(1, end - time.monotonic())))
                        metrics = {
                            m["name"]: m["value"]
                            for m in cdp.send("Performance.getMetrics")["metrics"]
                        }
                        samples.append(
                            (
                                metrics["JSHeapUsedSize"] / 1e6,
                                int(metrics["Nodes"]),
                                screen.evaluate("document.body.dataset.objectUrls"),
                            )
                        )
                    print(f"\nbig screen, {screen_minutes} min at 8 s per slide, 5 items:")
                    for heap, nodes, urls in samples:
                        print(f"  heap {heap:.1f} MB, DOM nodes {nodes}, object URLs {urls}")
                    browser.close()
        finally:
            server.stop()


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 2.0)
