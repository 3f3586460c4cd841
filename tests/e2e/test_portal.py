"""A booth and a family portal as real processes on two ports with separate data dirs.

The portal is down while cases are approved; the booth keeps working; once the portal
starts, every approved x-ray reaches its family's page byte for byte and the booth's outbox
empties. A booth killed with SIGKILL while publishing loses nothing and shows nothing twice.
A request without the publish key is refused (401), logged, and stores nothing.
"""

from __future__ import annotations

import re
import signal
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import bcrypt
import httpx
import pytest

from tests.images import png
from tests.serverproc import CLI, Server, free_port
from xray_core.owners.model import short_code

pytestmark = [pytest.mark.e2e]

PASSWORD = "portal-booth"
KEY = "k" * 20 + "publish-key-for-tests"
DEADLINE = 30.0


@dataclass
class Pair:
    """A booth publishing to a portal that is not started yet."""

    booth: Server
    portal: Server
    headers: dict[str, str]

    def booth_db(self) -> sqlite3.Connection:
        return sqlite3.connect(self.booth.data_dir / "xray.db", timeout=10)

    def outbox(self) -> int:
        with self.booth_db() as db:
            return int(db.execute("SELECT count(*) FROM outbox").fetchone()[0])

    def tokens(self, n: int) -> list[str]:
        with httpx.Client(base_url=self.booth.url, headers=self.headers) as client:
            assert client.get("/qr", params={"n": n}).status_code == 200
        with self.booth_db() as db:
            rows = db.execute("SELECT token FROM owners ORDER BY created_at, position").fetchall()
        return [r[0] for r in rows][-n:]

    def approve(self, token: str, colour: tuple[int, int, int]) -> bytes:
        """Upload, generate (a worker's result) and confirm one case; return the x-ray."""
        xray = png(64, 48, colour)
        with httpx.Client(base_url=self.booth.url, headers=self.headers, timeout=30) as client:
            owner_url = f"{self.portal.url}/p/{token}"
            form = {"first_name": "Mia", "last_name": "Secretname", "animal_name": "Brumm"}
            answer = client.post(
                "/upload",
                data={**form, "qr_content": owner_url, "animal_type": "bear"},
                files={"file": ("p.png", png(40, 30, (90, 60, 30)), "image/png")},
            )
            assert answer.status_code == 200, answer.text
            job_id = answer.json()["job_id"]
            for _ in range(2):
                claim = client.get("/job")
                assert claim.status_code == 200
                posted = client.post(
                    "/job",
                    data={"image_id": job_id, "lease_id": claim.headers["lease_id"]},
                    files={"result": ("x.png", xray, "image/png")},
                )
                assert posted.status_code == 200, posted.text
            confirm = {"image_id": job_id, "choice": 0, "confirm": "confirm"}
            assert client.get("/confirm", params=confirm).status_code == 200
        return xray


def page_images(portal: Server, token: str) -> list[bytes]:
    """Return the x-ray downloads linked from the family's page on the portal."""
    with httpx.Client(base_url=portal.url, timeout=10) as client:
        page = client.get(f"/p/{token}")
        assert page.status_code == 200
        links = re.findall(r'href="([^"]+/xray\.png)"', page.text)
        return [client.get(f"/p/{link}").content for link in links]


def wait_for(check: object, what: str, timeout: float = DEADLINE) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return
        time.sleep(0.2)
    raise AssertionError(f"not within {timeout}s: {what}")


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[Pair]:
    """A started booth whose PORTAL_URL points at a portal that is not running yet."""
    port = free_port()
    password_hash = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(4)).decode()
    booth_env = {
        "TEDDY_XRAY_PASSWORD_HASH": password_hash,
        "TEDDY_XRAY_PORTAL_URL": f"http://127.0.0.1:{port}",
        "TEDDY_XRAY_PUBLISH_KEY": KEY,
        "TEDDY_XRAY_PUBLISH_RETRY_MAX_SECONDS": "1",
    }
    booth = Server(tmp_path / "booth", env=booth_env).start()
    portal = Server(
        tmp_path / "portal", port=port, env={"TEDDY_XRAY_PUBLISH_KEY": KEY}, command="portal"
    )
    with httpx.Client(base_url=booth.url) as client:
        token = client.post("/token", data={"password": PASSWORD}).json()["access_token"]
    try:
        yield Pair(booth, portal, {"Authorization": f"Bearer {token}"})
    finally:
        booth.stop()
        portal.stop()


def test_cases_approved_while_the_portal_is_down_arrive_byte_for_byte_once_it_starts(
    pair: Pair,
) -> None:
    tokens = pair.tokens(3)
    sent = {t: pair.approve(t, (40 * i + 20, 200, 90)) for i, t in enumerate(tokens)}
    time.sleep(1.5)  # the publisher tries and fails meanwhile
    assert pair.outbox() == 3
    with httpx.Client(base_url=pair.booth.url, headers=pair.headers) as client:
        assert client.get("/health").status_code == 200  # the booth keeps working
    pair.portal.start()
    started = time.monotonic()
    wait_for(lambda: pair.outbox() == 0, "the outbox empties")
    latency = time.monotonic() - started
    for token, xray in sent.items():
        assert page_images(pair.portal, token) == [xray]
    page = httpx.get(f"{pair.portal.url}/p/{tokens[0]}").text
    assert "Secretname" not in page and "Mia" not in page
    print(f"publish latency once the portal answered: {latency:.2f} s for 3 cases")


def test_a_booth_killed_while_publishing_loses_nothing_and_shows_nothing_twice(
    pair: Pair,
) -> None:
    tokens = pair.tokens(2)
    sent: dict[str, list[bytes]] = {t: [] for t in tokens}
    for i in range(8):
        token = tokens[i % 2]
        sent[token].append(pair.approve(token, (20 * i, 30, 200)))
    pair.portal.start()
    wait_for(lambda: pair.outbox() < 8, "publishing begins", timeout=DEADLINE)
    pair.booth.stop(signal.SIGKILL)
    pair.booth.start()
    wait_for(lambda: pair.outbox() == 0, "the outbox empties after the restart")
    for token, xrays in sent.items():
        assert page_images(pair.portal, token) == xrays  # all, once, in order


def test_a_wrong_publish_key_is_refused_logged_and_stores_nothing(pair: Pair) -> None:
    pair.portal.start()
    owner = "a" * 64
    with httpx.Client(base_url=pair.portal.url) as client:
        for headers in ({"Authorization": "Bearer wrong-key"}, {}):
            answer = client.put(
                f"/publish/owners/{owner}/items/1",
                headers=headers,
                data={
                    "animal_name": "X",
                    "animal_type": "bear",
                    "photo_suffix": ".png",
                    "created_at": "2026-12-01T10:00:00+00:00",
                },
                files={
                    "xray": ("x.png", png(8, 8), "image/png"),
                    "photo": ("p.png", png(8, 8), "image/png"),
                },
            )
            assert answer.status_code == 401
            assert answer.headers["content-type"].startswith("application/json")
        assert (
            client.get("/publish/deletions", headers={"Authorization": "Bearer x"}).status_code
            == 401
        )
    assert "refused a publish request" in pair.portal.output
    blobs = pair.portal.data_dir / "blobs"
    assert not blobs.exists() or not any(p.is_file() for p in blobs.rglob("*"))


def test_the_portal_serves_only_the_owner_pages_and_the_publish_api(pair: Pair) -> None:
    pair.portal.start()
    with httpx.Client(base_url=pair.portal.url) as client:
        for path in ("/login", "/carousel", "/upload", "/job", "/schema", "/admin"):
            assert client.get(path).status_code == 404, path
        assert client.get(f"/p/{'z' * 24}").status_code == 200  # nothing yet: come back later


def test_deletions_on_request_reach_the_other_side(pair: Pair) -> None:
    """The family's button on the portal empties the booth; `owners --delete` the portal."""
    pair.portal.start()
    on_portal, on_booth = pair.tokens(2)
    pair.approve(on_portal, (200, 0, 0))
    pair.approve(on_booth, (0, 200, 0))
    wait_for(lambda: pair.outbox() == 0, "both are published")
    done = httpx.post(f"{pair.portal.url}/p/{on_portal}/delete", timeout=10)
    assert done.status_code == 200
    assert page_images(pair.portal, on_portal) == []
    with httpx.Client(base_url=pair.booth.url, headers=pair.headers) as client:
        assert client.post("/publishing/now").status_code == 200  # else within 30 s

    def gone_from_booth() -> bool:
        with pair.booth_db() as db:
            rows = db.execute("SELECT count(*) FROM owner_items WHERE owner_ref = ?", (on_portal,))
            return int(rows.fetchone()[0]) == 0

    wait_for(gone_from_booth, "the portal's deletion reaches the booth")
    code = short_code(on_booth)
    deleted = subprocess.run(
        [str(CLI), "owners", "--delete", code, "--data-dir", str(pair.booth.data_dir)],
        env=pair.booth.env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert deleted.returncode == 0, deleted.stderr
    wait_for(lambda: page_images(pair.portal, on_booth) == [], "the booth's deletion reaches it")
    assert pair.outbox() == 0
