"""The API docs at /schema render in real Chromium, with every other host blocked (offline)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Route, sync_playwright

from tests.serverproc import Server

pytestmark = [pytest.mark.e2e, pytest.mark.browser]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    """A server on a fresh data dir."""
    running = Server(tmp_path / "data").start()
    yield running
    running.stop()


@pytest.mark.parametrize("path", ["/schema", "/schema/swagger"])
def test_swagger_ui_lists_the_operations_offline(server: Server, path: str) -> None:
    """Swagger UI renders the OpenAPI 3.1 document: /upload and /job are listed, no CDN used."""
    assert CHROMIUM.exists(), "Chromium is needed: apt-get install chromium"
    blocked: list[str] = []

    def only_our_server(route: Route) -> None:
        if route.request.url.startswith(server.url):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.route("**/*", only_our_server)
            response = page.goto(f"{server.url}{path}", wait_until="load")
            assert response is not None and response.status == 200
            page.locator(".opblock-summary-path", has_text="/upload").first.wait_for(timeout=20_000)
            listed = page.locator(".opblock-summary-path").all_inner_texts()
            assert {"/upload", "/job", "/results", "/health/ready", "/metrics"} <= {
                p.strip() for p in listed
            }
            assert "Unable to render this definition" not in page.content()
            assert blocked == []
        finally:
            browser.close()
