"""The admin page's QR sheets in real Chromium: layout, start label, offsets, progress, PDF."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.e2e.booth import DESKTOP, collect_errors, launch, log_in
from tests.integration.test_qr_layout_api import assert_where_layout_puts_them
from tests.integration.test_qr_sheet import _decode
from tests.serverproc import Server
from xray_core.qr.sheet import SheetLayout

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


@pytest.fixture(scope="module")
def booth(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One server for the module (no worker: QR sheets need none)."""
    running = Server(tmp_path_factory.mktemp("admin") / "data").start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def password(booth: Server) -> str:
    printed = booth.printed_password()
    assert printed
    return printed


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One Playwright and Chromium for the module."""
    with sync_playwright() as playwright:
        started = launch(playwright)
        yield started
        started.close()


@pytest.fixture
def admin(booth: Server, password: str, browser: Browser) -> Iterator[Page]:
    """A logged-in admin page."""
    page = browser.new_context(viewport=DESKTOP, accept_downloads=True).new_page()
    log_in(page, booth.url, password, "/admin")
    yield page
    page.context.close()


def status(booth: Server, password: str) -> dict[str, object]:
    with httpx.Client(base_url=booth.url) as client:
        token = client.post("/token", data={"password": password}).json()["access_token"]
        answer = client.get("/qr/status", headers={"Authorization": f"Bearer {token}"})
        result: dict[str, object] = answer.json()
        return result


def test_qr_sheets_on_a_part_used_sheet_with_printer_offsets(
    admin: Page, booth: Server, password: str, tmp_path: Path
) -> None:
    """Sheet, start label 5 and offsets from the form: the PDF's codes sit exactly there."""
    errors = collect_errors(admin)
    admin.get_by_label("Number of codes").fill("4")
    sheet = admin.get_by_label("Sheet", exact=True)
    sheet.select_option("avery-l7159")
    assert "63.5" in sheet.locator("option:checked").inner_text()
    admin.get_by_label("Start at label").fill("5")
    expect(admin.locator("#qr-sheet-preview span")).to_have_count(24)
    expect(admin.locator("#qr-sheet-preview span.used")).to_have_count(4)
    admin.get_by_label("Move right (mm)").fill("2.5")
    admin.get_by_label("Move down (mm)").fill("-3")
    admin.get_by_role("button", name="Make QR sheets").click()
    download_link = admin.get_by_role("link", name="Download PDF")
    expect(download_link).to_be_visible(timeout=60_000)
    expect(admin.locator("#qr-progress")).to_have_attribute("value", "100")
    expect(admin.locator("#qr-progress-text")).to_have_text("100 % done")
    expect(admin.get_by_role("status")).to_contain_text("The QR sheets are ready.")
    assert status(booth, password)["layout"] == {
        "layout": "avery-l7159",
        "start_at": 5,
        "offset_x_mm": 2.5,
        "offset_y_mm": -3.0,
    }
    with admin.expect_download() as caught:
        download_link.click()
    pdf = Path(caught.value.path()).read_bytes()
    (tmp_path / "pdf").mkdir()
    found = {d.text: d for d in _decode(pdf, tmp_path / "pdf")}
    assert len(found) == 4
    urls = sorted(found, key=lambda url: (found[url].page, found[url].y_mm, found[url].x_mm))
    layout = SheetLayout("avery-l7159", offset_x_mm=2.5, offset_y_mm=-3.0, start_at=5)
    assert_where_layout_puts_them(found, urls, layout)
    assert errors == []


def test_a_bad_value_shows_its_message_next_to_its_field(
    admin: Page, booth: Server, password: str
) -> None:
    """A start label beyond the sheet, then an offset beyond 20 mm: each message at its field."""
    before = status(booth, password)["batch_id"]
    admin.get_by_label("Sheet", exact=True).select_option("avery-l7163")  # 2 x 7: 14 labels
    start = admin.get_by_label("Start at label")
    start.fill("15")
    admin.get_by_role("button", name="Make QR sheets").click()
    message = admin.locator("#qr-start_at-error")
    expect(message).to_have_text("Enter a label from 1 to 14 (the labels on one sheet).")
    assert start.get_attribute("aria-invalid") == "true"
    assert admin.evaluate("document.activeElement.id") == "qr-start"

    start.fill("14")
    admin.get_by_label("Move down (mm)").fill("25")
    admin.get_by_role("button", name="Make QR sheets").click()
    expect(admin.locator("#qr-offset_y_mm-error")).to_be_visible()
    expect(message).to_be_hidden()
    assert admin.evaluate("document.activeElement.id") == "qr-offset-y"
    assert status(booth, password)["batch_id"] == before  # nothing was started
