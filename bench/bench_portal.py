"""The family portal (issue 13): publish latency, its memory with 10 000 owners, page weight.

A real booth (``serve``) publishes to a real portal (``portal``), each with its own data dir
(SQLite). Measured: the time from confirm to the x-ray on the family's page with the portal
up (10 cases); the time from the portal's start to an empty outbox after 3 cases approved
while it was down; the portal's resident memory with 0 and with 10 000 owners (rows put in
its database directly, sharing one pair of images) after 200 page visits; and the bytes of
one owner page visit on the portal: HTML plus the web-size images it shows, against the
full PNGs the page loaded before web sizes.

Run: python bench/bench_portal.py [--owners N]
"""

from __future__ import annotations

import argparse
import hashlib
import re
import secrets
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import bcrypt
import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from photos import noisy_jpeg, result_png  # noqa: E402
from tests.serverproc import Server, free_port  # noqa: E402

PASSWORD = "bench"
KEY = secrets.token_urlsafe(32)


def rss_mib(server: Server) -> float:
    assert server.process is not None
    status = Path(f"/proc/{server.process.pid}/status").read_text()
    line = next(x for x in status.splitlines() if x.startswith("VmRSS:"))
    return int(line.split()[1]) / 1024


class Booth:
    def __init__(self, server: Server, portal: Server) -> None:
        self.server, self.portal = server, portal
        self.client = httpx.Client(base_url=server.url, timeout=60)
        token = self.client.post("/token", data={"password": PASSWORD}).json()["access_token"]
        self.client.headers["Authorization"] = f"Bearer {token}"
        self.photo, self.xray = noisy_jpeg(2000, 1500), result_png()

    def tokens(self, n: int) -> list[str]:
        self.client.get("/qr", params={"n": n}).raise_for_status()
        with sqlite3.connect(self.server.data_dir / "xray.db") as db:
            rows = db.execute("SELECT token FROM owners ORDER BY created_at, position").fetchall()
        return [r[0] for r in rows][-n:]

    def approve(self, token: str) -> None:
        data = {"first_name": "A", "last_name": "B", "animal_name": "Buddy", "qr_content": token}
        answer = self.client.post(
            "/upload", data=data, files={"file": ("p.jpg", self.photo, "image/jpeg")}
        )
        job_id = answer.json()["job_id"]
        for _ in range(2):
            claim = self.client.get("/job")
            self.client.post(
                "/job",
                data={"image_id": job_id, "lease_id": claim.headers["lease_id"]},
                files={"result": ("x.png", self.xray, "image/png")},
            ).raise_for_status()
        params = {"image_id": job_id, "choice": 0, "confirm": "confirm"}
        self.client.get("/confirm", params=params).raise_for_status()

    def outbox(self) -> int:
        with sqlite3.connect(self.server.data_dir / "xray.db", timeout=10) as db:
            return int(db.execute("SELECT count(*) FROM outbox").fetchone()[0])


def on_portal(portal: Server, token: str) -> bool:
    return "xray.png" in httpx.get(f"{portal.url}/p/{token}", timeout=10).text


def page_weight(portal: Server, token: str) -> tuple[int, int]:
    """Return the bytes of a visit now (web sizes) and as before (the full PNGs shown)."""
    with httpx.Client(base_url=f"{portal.url}/p/", timeout=60) as client:
        page = client.get(token)
        html = len(page.content)
        shown = sum(
            len(client.get(src.replace("&amp;", "&")).content)
            for src in re.findall(r'<img src="([^"]+)"', page.text)
        )
        full = sum(
            len(client.get(href).content)
            for href in re.findall(r'href="([^"]+/(?:xray|original)\.png)"', page.text)
        )
    return html + shown, html + full


def fill(portal_dir: Path, owners: int) -> list[str]:
    """Put ``owners`` owners with one x-ray each into the portal's database; return tokens."""
    db = sqlite3.connect(portal_dir / "xray.db")
    xray_key, photo_key = db.execute(
        "SELECT xray_key, original_key FROM owner_items LIMIT 1"
    ).fetchone()
    now = datetime.now(UTC).isoformat(sep=" ")
    tokens = [secrets.token_urlsafe(18) for _ in range(owners)]
    hashes = [hashlib.sha256(t.encode()).hexdigest() for t in tokens]
    db.executemany(
        "INSERT INTO owners (token, code, batch_id, position, created_at)"
        " VALUES (?, '', NULL, 0, ?)",
        [(h, now) for h in hashes],
    )
    db.executemany(
        "INSERT INTO owner_items (owner_ref, external, job_id, first_name, last_name, animal_name,"
        " animal_type, xray_key, original_key, created_at) VALUES (?, 0, ?, '', '', 'Buddy',"
        " 'bear', ?, ?, ?)",
        [(h, 100000 + i, xray_key, photo_key, now) for i, h in enumerate(hashes)],
    )
    db.commit()
    db.close()
    return tokens


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--owners", type=int, default=10_000)
    args = parser.parse_args()
    password_hash = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(4)).decode()
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        portal = Server(
            Path(tmp) / "portal", port=port, env={"TEDDY_XRAY_PUBLISH_KEY": KEY}, command="portal"
        )
        env = {
            "TEDDY_XRAY_PASSWORD_HASH": password_hash,
            "TEDDY_XRAY_PORTAL_URL": portal.url,
            "TEDDY_XRAY_PUBLISH_KEY": KEY,
        }
        server = Server(Path(tmp) / "booth", env=env).start()
        booth = Booth(server, portal)
        try:
            figures: dict[str, str] = {}
            # Down while three cases are approved; then the portal starts.
            waiting = booth.tokens(3)
            for token in waiting:
                booth.approve(token)
            portal.start()
            started = time.monotonic()
            while booth.outbox():
                time.sleep(0.05)
            figures["portal down, 3 cases: portal start to empty outbox"] = (
                f"{time.monotonic() - started:.2f} s (the retry pause is capped by "
                "PUBLISH_RETRY_MAX_SECONDS, 60 s by default; this is after the first failure only)"
            )
            latencies = []
            for token in booth.tokens(10):
                booth.approve(token)
                confirmed = time.monotonic()
                while not on_portal(portal, token):
                    time.sleep(0.02)
                latencies.append(time.monotonic() - confirmed)
            figures["confirm to the family's page (portal up, 10 cases): median / max"] = (
                f"{statistics.median(latencies):.2f} / {max(latencies):.2f} s"
            )
            now, before = page_weight(portal, waiting[0])
            figures["owner page visit on the portal: web sizes / full PNGs as before"] = (
                f"{now / 1000:.0f} KB / {before / 1000:.0f} KB"
            )
            for token in waiting:
                on_portal(portal, token)
            figures["portal RSS with 13 owners"] = f"{rss_mib(portal):.1f} MiB"
            portal.stop()
            tokens = fill(portal.data_dir, args.owners)
            portal.start()
            for token in tokens[:: max(1, len(tokens) // 200)]:
                assert on_portal(portal, token)
            figures[f"portal RSS with {args.owners} more owners, after 200 page visits"] = (
                f"{rss_mib(portal):.1f} MiB"
            )
            size = (portal.data_dir / "xray.db").stat().st_size
            figures["portal database with them"] = f"{size / 1e6:.1f} MB"
        finally:
            server.stop()
            portal.stop()
    print("| figure | value |\n|---|---|")
    for name, value in figures.items():
        print(f"| {name} | {value} |")


if __name__ == "__main__":
    main()
