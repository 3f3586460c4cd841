"""The WebDAV publisher against a real WebDAV server (wsgidav) on a free port, down and up again."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import bcrypt
import httpx
import pytest

from tests.e2e.test_portal import Pair, wait_for
from tests.serverproc import Server, free_port
from xray_core.publishing.model import owner_hash
from xray_http.webdav import folder_of

pytestmark = [pytest.mark.e2e]

PASSWORD = "portal-booth"
WSGIDAV = Path(sys.executable).parent / "wsgidav"


class Dav:
    """A wsgidav process sharing ``root`` read-write, anonymously."""

    def __init__(self, root: Path, port: int) -> None:
        self.root, self.port = root, port
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Dav:
        self.root.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [str(WSGIDAV), "--host", "127.0.0.1", "--port", str(self.port), "--root",
             str(self.root), "--auth", "anonymous", "--server", "cheroot", "--no-config", "-q"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                httpx.request("PROPFIND", f"http://127.0.0.1:{self.port}/", headers={"Depth": "0"})
            except httpx.HTTPError:
                time.sleep(0.1)
            else:
                return self
        raise RuntimeError("wsgidav did not start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)


@pytest.fixture
def dav_pair(tmp_path: Path) -> Iterator[tuple[Pair, Dav]]:
    dav = Dav(tmp_path / "dav", free_port()).start()
    password_hash = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(4)).decode()
    env = {
        "TEDDY_XRAY_PASSWORD_HASH": password_hash,
        "TEDDY_XRAY_WEBDAV_URL": f"http://127.0.0.1:{dav.port}/",
        "TEDDY_XRAY_PUBLISH_RETRY_MAX_SECONDS": "1",
    }
    booth = Server(tmp_path / "booth", env=env).start()
    with httpx.Client(base_url=booth.url) as client:
        token = client.post("/token", data={"password": PASSWORD}).json()["access_token"]
    unused = Server(tmp_path / "none", command="portal")  # only its URL is used, for QR texts
    try:
        yield Pair(booth, unused, {"Authorization": f"Bearer {token}"}), dav
    finally:
        booth.stop()
        dav.stop()


def test_an_approved_case_appears_as_its_folder_and_an_outage_is_survived(
    dav_pair: tuple[Pair, Dav],
) -> None:
    pair, dav = dav_pair
    first, second = pair.tokens(2)
    xray = pair.approve(first, (200, 60, 20))
    folder = dav.root / folder_of(owner_hash(first))
    wait_for(lambda: pair.outbox() == 0, "the case is published")
    files = {p.name: p.read_bytes() for p in folder.iterdir()}
    (name,) = [n for n in files if n.endswith("-xray.png")]
    assert files[name] == xray
    assert name in files["index.html"].decode() and "Brumm" in files["index.html"].decode()
    assert not any(b"Secretname" in data for data in files.values())

    dav.stop()
    later = pair.approve(second, (20, 60, 200))
    time.sleep(1.5)
    assert pair.outbox() == 1  # waiting while the server is down
    dav.start()
    wait_for(lambda: pair.outbox() == 0, "the waiting case is published after the outage")
    again = dav.root / folder_of(owner_hash(second))
    assert [p.read_bytes() for p in again.glob("*-xray.png")] == [later]
