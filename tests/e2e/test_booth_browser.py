"""The booth in real Chromium against a real `teddy-xray serve --with-worker` process."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, Playwright, expect, sync_playwright

from tests.e2e.booth import (
    DESKTOP,
    PHONE,
    camera_frame,
    collect_errors,
    launch,
    log_in,
    write_y4m,
)
from tests.e2e.test_owner_page_browser import scan_first_code
from tests.images import ASSETS, asset
from tests.serverproc import Server

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


@pytest.fixture(scope="module")
def booth(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One server with the built-in worker for the module (first start prints a password)."""
    running = Server(tmp_path_factory.mktemp("booth") / "data", extra_args=("--with-worker",))
    running.start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def password(booth: Server) -> str:
    printed = booth.printed_password()
    assert printed
    return printed


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    """One Playwright for the module (a second one at the same time cannot start)."""
    with sync_playwright() as running:
        yield running


@pytest.fixture(scope="module")
def browser(playwright: Playwright, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    """Chromium whose webcam shows the teddy photo."""
    webcam = write_y4m(camera_frame(None), tmp_path_factory.mktemp("cam") / "teddy.y4m")
    started = launch(playwright, webcam)
    yield started
    started.close()


@pytest.fixture(scope="module")
def api(booth: Server, password: str) -> Iterator[tuple[httpx.Client, dict[str, str]]]:
    """An HTTP client of the booth and a valid auth header."""
    with httpx.Client(base_url=booth.url, timeout=60) as client:
        token = client.post("/token", data={"password": password}).json()["access_token"]
        yield client, {"Authorization": f"Bearer {token}"}


def upload(client: httpx.Client, auth: dict[str, str], animal: str, qr: str = "ext") -> int:
    data = {"first_name": "Lea", "last_name": "Berg", "animal_name": animal, "qr_content": qr}
    files = {"file": ("teddy.jpg", asset("teddy.jpg"), "image/jpeg")}
    response = client.post("/upload", headers=auth, data=data, files=files)
    response.raise_for_status()
    return int(response.json()["job_id"])


def wait_for_xray(page: Page, job_id: int | None = None, timeout: float = 90_000) -> None:
    """Wait until the review page shows a received x-ray (of ``job_id`` if given)."""
    scope = f".case[data-job='{job_id}'] " if job_id is not None else ""
    page.locator(f"{scope}.slot.filled img").first.wait_for(state="visible", timeout=timeout)
    page.wait_for_function(
        """scope => [...document.querySelectorAll(scope + '.slot.filled img')]
                    .some(img => img.complete && img.naturalWidth > 0)""",
        arg=scope,
        timeout=timeout,
    )


def test_an_event_from_qr_sheets_to_the_big_screen_and_the_family(
    booth: Server,
    password: str,
    browser: Browser,
    api: tuple[httpx.Client, dict[str, str]],
    tmp_path: Path,
) -> None:
    """QR sheets, intake by webcam, review, approve, big screen within 5 s, the family's page."""
    doctor = browser.new_context(viewport=DESKTOP)
    page = doctor.new_page()
    errors = collect_errors(page)
    log_in(page, booth.url, password, "/admin")
    page.locator("#qr-n").fill("3")
    page.get_by_role("button", name="Make QR sheets").click()
    expect(page.get_by_role("link", name="Download PDF")).to_be_visible(timeout=60_000)
    client, auth = api
    owner_url = scan_first_code(client.get("/qr/download", headers=auth).content, tmp_path)

    page.goto(f"{booth.url}/intake")
    qr = page.get_by_label("QR code or short code")
    qr.fill(owner_url)
    qr.press("Enter")  # what a hand scanner sends last: moves on, does not submit
    assert page.evaluate("document.activeElement.id") == "first_name"
    page.get_by_label("Child's first name").fill("Mia")
    page.get_by_label("Family name").fill("Keller")
    page.get_by_label("Animal's name").fill("Bärli")
    page.get_by_label("Kind of animal").select_option("bear")
    page.get_by_role("button", name="Take photo with camera").click()
    page.get_by_role("button", name="Take photo", exact=True).click()
    expect(page.locator("#photo-canvas")).to_be_visible()
    page.get_by_role("button", name="Upload").click()
    done = page.locator("#done-title")
    expect(done).to_have_text("Case 1 is in!")
    uploaded = time.monotonic()
    expect(page.locator("#done")).to_contain_text("The x-rays are being made.")

    page.get_by_role("button", name="Next child").click()
    assert page.evaluate("document.activeElement.id") == "qr_content"
    assert page.get_by_label("Animal's name").input_value() == ""
    page.get_by_label("QR code or short code").fill(owner_url)
    page.get_by_label("QR code or short code").press("Enter")
    expect(page.locator("#qr-warning")).to_contain_text("already has a case")

    page.goto(f"{booth.url}/review")
    wait_for_xray(page, 1)
    print(f"\nupload -> first x-ray on the review page: {time.monotonic() - uploaded:.1f} s")
    card = page.locator(".case[data-job='1']")
    expect(card.locator(".case-animal")).to_have_text("Bärli")

    screen = browser.new_context(viewport=DESKTOP).new_page()
    screen_errors = collect_errors(screen)
    screen.goto(f"{booth.url}/screen")
    card.locator(".slot.filled").first.get_by_role("button", name="Approve").click()
    approved = time.monotonic()
    expect(page.get_by_role("status")).to_contain_text("Approved: Bärli")
    expect(screen.locator(".slide.shown .slide-name")).to_have_text("Bärli", timeout=5_000)
    assert time.monotonic() - approved < 5
    assert "Keller" not in screen.content() and "Mia" not in screen.content()

    family = browser.new_context(viewport=PHONE, is_mobile=True).new_page()
    family.goto(owner_url)
    expect(family.locator("h1")).to_have_text("Bärli")
    assert family.locator(".film img").evaluate("img => img.naturalWidth") > 0
    assert errors == [] and screen_errors == []


def test_the_webcam_reads_the_flyers_qr_code(
    booth: Server, password: str, playwright: Playwright, tmp_path: Path
) -> None:
    """With a QR code in front of the webcam, the QR field fills itself within a few seconds."""
    webcam = write_y4m(
        camera_frame("https://booth.example/p/AbCdEfGhIjKlMnOpQrSt"), tmp_path / "qr.y4m"
    )
    chromium = launch(playwright, webcam)
    try:
        page = chromium.new_page(viewport=DESKTOP)
        log_in(page, booth.url, password)
        page.get_by_role("button", name="Scan with camera").click()
        expect(page.get_by_label("QR code or short code")).to_have_value(
            "https://booth.example/p/AbCdEfGhIjKlMnOpQrSt", timeout=10_000
        )
    finally:
        chromium.close()


def test_a_wrong_password_says_so_and_an_expired_session_comes_back(
    booth: Server, password: str, browser: Browser
) -> None:
    """A wrong password is named; a dead token sends the doctor to log in and back again."""
    page = browser.new_page(viewport=DESKTOP)
    page.goto(f"{booth.url}/login")
    page.get_by_label("Booth password").fill("not-the-password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_have_text("That password is not right. Please try again.")

    page.goto(f"{booth.url}/")
    page.evaluate("localStorage.setItem('teddy-xray-token', 'expired.token.value')")
    page.goto(f"{booth.url}/review")
    page.wait_for_url("**/login?**")
    expect(page.locator("#login-notice")).to_contain_text("Your session has ended")
    page.get_by_label("Booth password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{booth.url}/review")
    assert "token" not in page.url and password not in page.url
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/login?reason=logout")
    assert page.evaluate("localStorage.getItem('teddy-xray-token')") is None
    page.close()


def test_a_validation_error_shows_next_to_its_field(
    booth: Server, password: str, browser: Browser
) -> None:
    """An upload without a first name shows the server's 422 message under that field."""
    page = browser.new_page(viewport=DESKTOP)
    log_in(page, booth.url, password)
    page.get_by_label("QR code or short code").fill("ABCD-EFGH")
    page.get_by_label("Family name").fill("Keller")
    page.get_by_label("Animal's name").fill("Flecki")
    page.get_by_label("Choose a photo or use the device's camera").set_input_files(
        ASSETS / "teddy.jpg"
    )
    page.get_by_role("button", name="Upload").click()
    message = page.locator("#first_name-error")
    expect(message).to_be_visible()
    expect(message).to_contain_text("first_name")
    assert page.get_by_label("Child's first name").get_attribute("aria-invalid") == "true"
    assert page.evaluate("document.activeElement.id") == "first_name"
    page.close()


def test_retry_cancel_and_the_approve_shortcut(
    booth: Server, password: str, browser: Browser, api: tuple[httpx.Client, dict[str, str]]
) -> None:
    """Retry makes new x-rays, key 1 approves, Cancel asks first and removes the case."""
    client, auth = api
    kept = upload(client, auth, "Hoppel")
    dropped = upload(client, auth, "Wuschel")
    page = browser.new_page(viewport=DESKTOP)
    log_in(page, booth.url, password, "/review")
    wait_for_xray(page, kept)
    wait_for_xray(page, dropped)
    page.wait_for_function(  # both x-rays of both cases are in
        "() => document.querySelectorAll('.slot.filled img').length >= 4", timeout=90_000
    )
    fetched: list[str] = []
    page.on("request", lambda request: fetched.append(request.url))
    page.wait_for_timeout(3500)  # three polls of /results (events flow while Playwright waits)
    assert sum("/results?" in u or u.endswith("/results") for u in fetched) >= 2
    assert [u for u in fetched if "/results/" in u] == []  # unchanged pictures stay
    page.locator(f".case[data-job='{kept}']").get_by_role("button", name="Retry").click()
    expect(page.get_by_role("status")).to_contain_text("New x-rays are being made for Hoppel")
    wait_for_xray(page, kept)
    page.locator(f".case[data-job='{kept}']").focus()
    page.keyboard.press("1")
    expect(page.get_by_role("status")).to_contain_text("Approved: Hoppel")
    expect(page.locator(f".case[data-job='{kept}']")).to_have_count(0)

    asked: list[str] = []

    def answer(dialog: object) -> None:
        asked.append(dialog.message)  # type: ignore[attr-defined]
        dialog.accept()  # type: ignore[attr-defined]

    page.on("dialog", answer)
    page.locator(f".case[data-job='{dropped}']").get_by_role("button", name="Cancel").click()
    expect(page.get_by_role("status")).to_contain_text("Cancelled: Wuschel")
    assert asked and "Wuschel" in asked[0]
    pending = client.get("/results", headers=auth).json()["metadata"]
    assert str(kept) not in pending and str(dropped) not in pending
    assert client.get("/carousel/items").json()[0]["animal_name"] == "Hoppel"
    page.close()


def test_phone_sized_pages_fit_and_have_big_touch_targets(
    booth: Server, password: str, browser: Browser
) -> None:
    """On a 390 px phone no page scrolls sideways and every button is at least 44 px tall."""
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    log_in(page, booth.url, password)
    for path in ["/", "/intake", "/review", "/admin", "/login"]:
        page.goto(f"{booth.url}{path}")
        page.wait_for_load_state("load")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], path
        heights = page.eval_on_selector_all(
            "button:not([hidden]), a.button, .stations a",
            "els => els.filter(e => e.offsetParent).map(e => e.getBoundingClientRect().height)",
        )
        assert heights and min(heights) >= 44, (path, heights)
    context.close()


def test_the_pages_speak_german_to_a_german_browser(
    booth: Server, password: str, browser: Browser
) -> None:
    """With Accept-Language de the pages and their scripts use the German catalogue."""
    context = browser.new_context(viewport=DESKTOP, locale="de-DE")
    page = context.new_page()
    page.goto(f"{booth.url}/intake")
    page.wait_for_url("**/login?**")
    expect(page.get_by_role("heading", level=1)).to_have_text("Anmelden")
    page.get_by_label("Passwort des Stands").fill("falsch")
    page.get_by_role("button", name="Anmelden").click()
    expect(page.get_by_role("alert")).to_contain_text("Das Passwort stimmt nicht")
    page.get_by_label("Passwort des Stands").fill(password)
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_url(f"{booth.url}/intake")
    expect(page.get_by_role("button", name="Hochladen")).to_be_visible()
    page.goto(f"{booth.url}/admin")
    secret = page.locator("#settings tr", has=page.locator("th", has_text="password_hash"))
    expect(secret.locator("td")).to_have_text("(gesetzt)")
    page.goto(f"{booth.url}/intake")
    page.get_by_role("link", name="English").click()
    expect(page.get_by_role("button", name="Upload")).to_be_visible()
    context.close()


def test_the_fracture_tool_breaks_the_bone_exactly_where_the_doctor_painted(
    booth: Server, password: str, browser: Browser, api: tuple[httpx.Client, dict[str, str]]
) -> None:
    """A stroke painted across a result changes the approved x-ray along it and nowhere else."""
    import io
    import zipfile

    import numpy as np
    from PIL import Image

    client, auth = api
    job = upload(client, auth, "Knacks")
    page = browser.new_page(viewport=DESKTOP)
    log_in(page, booth.url, password, "/review")
    wait_for_xray(page, job)
    slot = page.locator(f".case[data-job='{job}'] .slot.filled").first
    option = int(slot.get_attribute("data-option") or 0)
    before_url = client.get("/results", headers=auth).json()["results"][str(job)][option]
    unedited = np.asarray(Image.open(io.BytesIO(client.get(before_url).content)).convert("RGB"))

    expect(slot.get_by_role("button", name="Undo")).to_be_hidden()  # nothing to take back
    slot.get_by_role("button", name="Paint fracture").click()
    canvas = slot.locator("canvas.paint")
    box = canvas.bounding_box()
    assert box is not None
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] * 0.3, y)
    page.mouse.down()
    for step in range(1, 11):
        page.mouse.move(box["x"] + box["width"] * (0.3 + 0.04 * step), y)
    page.mouse.up()
    expect(page.get_by_role("status")).to_contain_text("The fracture is drawn.", timeout=30_000)
    expect(slot.get_by_role("button", name="Undo")).to_be_visible()
    slot.get_by_role("button", name="Approve").click()
    expect(page.get_by_role("status")).to_contain_text("Approved: Knacks")
    page.close()

    items = client.get("/carousel").json()
    with zipfile.ZipFile(io.BytesIO(client.get(items[0]).content)) as archive:
        approved = np.asarray(Image.open(io.BytesIO(archive.read("xray.png"))).convert("RGB"))
    assert approved.shape == unedited.shape
    changed = np.abs(approved.astype(int) - unedited.astype(int)).sum(axis=2) > 0
    height, width = changed.shape
    middle = height // 2
    band = changed[middle - height // 8 : middle + height // 8, int(width * 0.3) : int(width * 0.7)]
    assert band.mean() > 0.01, "pixels along the stroke changed"
    assert not changed[: height // 4].any(), "nothing changed far above the stroke"
    assert not changed[-height // 4 :].any(), "nothing changed far below the stroke"
    assert not changed[:, : width // 5].any(), "nothing changed left of the stroke"
