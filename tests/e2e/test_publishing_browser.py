"""The admin page's publishing panel in real Chromium: the private-address warning, purge."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Dialog, expect, sync_playwright

from tests.e2e.booth import DESKTOP, collect_errors, launch, log_in
from tests.serverproc import Server

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


@pytest.fixture(scope="module")
def booth(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A booth whose QR codes would point at its LAN address (no portal)."""
    env = {"TEDDY_XRAY_PUBLIC_URL": "http://192.168.1.20:8000"}
    running = Server(tmp_path_factory.mktemp("booth") / "data", env=env).start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One Playwright and Chromium for the module."""
    with sync_playwright() as playwright:
        started = launch(playwright)
        yield started
        started.close()


def test_the_panel_warns_of_a_private_owner_url_and_purges_after_confirming(
    booth: Server, browser: Browser, tmp_path: Path
) -> None:
    password = booth.printed_password()
    assert password
    page = browser.new_context(viewport=DESKTOP).new_page()  # type: ignore[arg-type]
    errors = collect_errors(page)
    log_in(page, booth.url, password, "/admin")
    warning = page.locator("#publish-private")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text("http://192.168.1.20:8000")
    expect(page.locator("#publish-facts")).to_contain_text("nothing is published")
    asked: list[str] = []

    def answer(dialog: Dialog) -> None:
        asked.append(dialog.message)
        dialog.accept()

    page.on("dialog", answer)
    page.locator("#purge-event").click()
    expect(page.locator("#announce, [role=status]").first).to_contain_text(
        "Deleted", timeout=20_000
    )
    assert asked and "0 case(s)" in asked[0] and "publishing is off" in asked[0]
    assert errors == []
