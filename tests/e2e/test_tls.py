"""``teddy-xray serve --tls``: HTTPS with a certificate made once, the built-in worker, a camera.

Real server processes on real ports; the browser test drives the Debian Chromium with a fake
camera on a non-localhost origin, where only HTTPS gives a page ``getUserMedia``.
"""

from __future__ import annotations

import io
import ssl
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from PIL import Image
from playwright.sync_api import sync_playwright

from tests.e2e.booth import log_in
from tests.images import asset
from tests.serverproc import Server
from xray_http.tls import Certificate

pytestmark = [pytest.mark.e2e]
CHROMIUM = Path("/usr/bin/chromium")
BOOTH_HOST = "teddy-booth.test"  # not localhost: the camera needs a secure context there


def certificate(server: Server) -> Certificate:
    tls = server.data_dir / "tls"
    return Certificate(tls / "cert.pem", tls / "key.pem")


def trusting(cert: Certificate) -> ssl.SSLContext:
    """A client context that trusts the booth's certificate and checks the host name."""
    return ssl.create_default_context(cafile=str(cert.certfile))


def served_fingerprint(server: Server) -> str:
    """The SHA-256 fingerprint of the certificate the running server presents."""
    import hashlib

    pem = ssl.get_server_certificate(("127.0.0.1", server.port))
    der = ssl.PEM_cert_to_DER_cert(pem)
    return ":".join(f"{b:02X}" for b in hashlib.sha256(der).digest())


@pytest.fixture
def booth(tmp_path: Path) -> Iterator[Server]:
    """``serve --tls --with-worker`` on a fresh data dir."""
    server = Server(tmp_path / "data", extra_args=("--tls", "--with-worker"), tls=True).start()
    yield server
    server.stop()


@pytest.mark.slow
def test_https_serves_and_the_builtin_worker_gets_through(booth: Server) -> None:
    """Over HTTPS with the certificate trusted, an upload gets the built-in worker's x-rays."""
    cert = certificate(booth)
    assert "https://127.0.0.1" in booth.output and cert.sha256 in booth.output
    with httpx.Client(base_url=booth.url, verify=trusting(cert), timeout=30) as client:
        token = client.post("/token", data={"password": booth.printed_password()}).json()
        auth = {"Authorization": f"Bearer {token['access_token']}"}
        files = {"file": ("teddy.jpg", asset("teddy.jpg"), "image/jpeg")}
        data = {"first_name": "A", "last_name": "B", "animal_name": "Brumm", "qr_content": "q"}
        job_id = client.post("/upload", headers=auth, data=data, files=files).json()["job_id"]
        deadline = time.monotonic() + 120
        urls: list[str] = []
        while time.monotonic() < deadline and len(urls) < 2:
            urls = client.get("/results", headers=auth).json()["results"].get(str(job_id), [])
            time.sleep(0.5)
        assert len(urls) == 2, booth.output
        assert all(u.startswith("https://") for u in urls)
        image = Image.open(io.BytesIO(client.get(urls[0]).content))
        assert image.format == "PNG"
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{booth.url}/health", timeout=5)  # the system store does not know it
    assert "Traceback" not in booth.output


def test_certificate_survives_a_restart(tmp_path: Path) -> None:
    """A restarted server presents the same certificate (same fingerprint) as before."""
    first = Server(tmp_path / "data", extra_args=("--tls",), tls=True).start()
    try:
        before = served_fingerprint(first)
        assert before == certificate(first).sha256
    finally:
        first.stop()
    second = Server(tmp_path / "data", port=first.port, extra_args=("--tls",), tls=True).start()
    try:
        assert served_fingerprint(second) == before
        health = httpx.get(f"{second.url}/health", verify=trusting(certificate(second)))
        assert health.status_code == 200
    finally:
        second.stop()


def test_given_certificate_is_served(tmp_path: Path) -> None:
    """``--certfile/--keyfile`` serve that certificate instead of making one."""
    from xray_http.tls import ensure_certificate

    own = ensure_certificate(tmp_path / "elsewhere")
    args = ("--certfile", str(own.certfile), "--keyfile", str(own.keyfile))
    server = Server(tmp_path / "data", extra_args=args, tls=True).start()
    try:
        assert served_fingerprint(server) == own.sha256
        assert not (tmp_path / "data" / "tls").exists()
    finally:
        server.stop()


@pytest.mark.browser
def test_camera_works_over_https_on_a_lan_name(tmp_path: Path) -> None:
    """Chromium on https://teddy-booth.test (not localhost) gets the fake webcam's video."""
    server = Server(tmp_path / "data", extra_args=("--tls",), tls=True).start()
    try:
        cert = certificate(server)
        args = [
            "--no-sandbox",
            "--headless",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            f"--host-resolver-rules=MAP {BOOTH_HOST} 127.0.0.1",
            # Trust exactly the booth's key, as a volunteer accepting it once would.
            f"--ignore-certificate-errors-spki-list={cert.spki_sha256}",
        ]
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=args)
            try:
                page = browser.new_page()
                page.goto(f"https://{BOOTH_HOST}:{server.port}/schema")
                assert page.evaluate("window.isSecureContext") is True
                size = page.evaluate(
                    """async () => {
                        const stream = await navigator.mediaDevices.getUserMedia({video: true});
                        const video = document.createElement('video');
                        video.muted = true;
                        video.srcObject = stream;
                        await video.play();
                        const size = [video.videoWidth, video.videoHeight];
                        stream.getTracks().forEach(t => t.stop());
                        return size;
                    }"""
                )
                assert size[0] > 0 and size[1] > 0
                # The doctor's intake page itself gets the camera over https.
                base = f"https://{BOOTH_HOST}:{server.port}"
                password = server.printed_password()
                assert password
                log_in(page, base, password, "/intake")
                page.get_by_role("button", name="Take photo with camera").click()
                page.wait_for_function(
                    "() => document.querySelector('#photo-video').videoWidth > 0", timeout=15_000
                )
            finally:
                browser.close()
    finally:
        server.stop()
