"""Owner pages: a family sees and downloads its own x-rays, and nothing else, over HTTP."""

from __future__ import annotations

import io
import os
import secrets
import subprocess
import sys
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest

from tests.images import jpeg, png
from tests.integration.conftest import Api
from xray_core.owners.model import short_code

PRIVATE = {
    "cache-control": "private, max-age=0",
    "referrer-policy": "no-referrer",
    "x-robots-tag": "noindex, nofollow",
}
CSP_PARTS = ("default-src 'self'", "img-src 'self'", "style-src 'self'", "script-src 'none'")


@dataclass
class Delivery:
    """One confirmed x-ray: its job, the bytes the worker posted and the stored original."""

    job_id: int
    xray: bytes
    original: bytes


class Links(HTMLParser):
    """Collects the image sources and link targets of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.images: list[str] = []
        self.links: list[str] = []
        self.scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "img":
            self.images.append(str(values["src"]))
        elif tag == "a" and not str(values["href"]).startswith("?lang="):  # the language switch
            self.links.append(str(values["href"]))
        elif tag == "script":
            self.scripts += 1


def new_owners(api: Api, n: int) -> list[str]:
    """Make a QR batch of ``n`` through the API and return its tokens in print order."""
    assert api.client.get("/qr", params={"n": n}, headers=api.auth).status_code == 200
    with api.container.storage.uow()() as uow:
        batch = uow.batches.latest()
        assert batch is not None
        return [owner.token for owner in uow.owners.for_batch(batch.id)]


def owner_url(api: Api, token: str) -> str:
    return f"{api.settings.qr_base_url}/p/{token}"


def deliver(api: Api, qr_content: str, animal_name: str, colour: tuple[int, int, int]) -> Delivery:
    """Upload a photo for ``qr_content``, have a worker post an x-ray, and confirm it."""
    data = {
        "first_name": "Alice",
        "last_name": "Smith",
        "animal_name": animal_name,
        "qr_content": qr_content,
    }
    files = {"file": ("photo.jpg", jpeg(40, 30, colour), "image/jpeg")}
    response = api.client.post("/upload", headers=api.auth, data=data, files=files)
    assert response.status_code == 200, response.text
    job_id = int(response.json()["job_id"])
    claim = api.client.get("/job", headers=api.auth)
    assert claim.headers["img_id"] == str(job_id)
    xray = png(36, 28, colour[::-1])
    posted = api.client.post(
        "/job",
        headers=api.auth,
        data={"image_id": str(job_id)},
        files={"result": ("x.png", xray, "image/png")},
    )
    assert posted.json() == {"status": "success"}
    original = api.client.get(f"/results/{job_id}/original", headers=api.auth).content
    params: dict[str, str | int] = {"image_id": job_id, "choice": 0, "confirm": "confirm"}
    assert api.client.get("/confirm", headers=api.auth, params=params).status_code == 200
    return Delivery(job_id, xray, original)


def page(api: Api, token: str) -> tuple[str, Links]:
    response = api.client.get(f"/p/{token}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    parsed = Links()
    parsed.feed(response.text)
    return response.text, parsed


def absolute(token: str, link: str) -> str:
    """Resolve a link of the page at ``/p/{token}`` to a path."""
    return urlsplit(urljoin(f"http://testserver.local/p/{token}", link)).path


def item_paths(token: str, item_id: int) -> set[str]:
    return {f"/p/{token}/{item_id}/xray.png", f"/p/{token}/{item_id}/original.png"}


def assert_private(headers: Mapping[str, str]) -> None:
    assert {k: headers[k] for k in PRIVATE} == PRIVATE
    assert all(part in headers["content-security-policy"] for part in CSP_PARTS)


def owner_item_id(api: Api, token: str) -> int:
    (item,) = api.container.owners().items(token)
    return item.id


def test_page_shows_the_owners_xray_and_no_other_familys(api: Api) -> None:
    """After a confirm, a token's page shows its animal and image links, and not another's."""
    mine, theirs, _ = new_owners(api, 3)
    deliver(api, owner_url(api, mine), "Buddy", (200, 120, 40))
    deliver(api, owner_url(api, theirs), "Fluffy", (40, 160, 90))
    my_item, their_item = owner_item_id(api, mine), owner_item_id(api, theirs)

    text, links = page(api, mine)
    assert "Buddy" in text and "Fluffy" not in text
    assert links.scripts == 0
    # The page shows the web size of the x-ray and a thumbnail of the photo (WebP).
    shown = {absolute(mine, src) for src in links.images}
    assert len(shown) == 2 and all(path.startswith("/media/") for path in shown)
    for src in links.images:
        image = api.client.get(urljoin(f"http://testserver.local/p/{mine}", src))
        assert image.status_code == 200 and image.headers["content-type"] == "image/webp"
    _, their_links = page(api, theirs)
    assert not shown & {absolute(theirs, src) for src in their_links.images}
    targets = {absolute(mine, href) for href in links.links}
    assert targets == item_paths(mine, my_item) | {f"/p/{mine}/all.zip", f"/p/{mine}/delete"}
    assert theirs not in text and f"/{their_item}/" not in text

    other_text, _ = page(api, theirs)
    assert "Fluffy" in other_text and "Buddy" not in other_text
    # Another family's item under my token is simply not there.
    assert api.client.get(f"/p/{mine}/{their_item}/xray.png").status_code == 404


def test_downloads_return_the_exact_stored_bytes(api: Api) -> None:
    """The x-ray is the PNG the worker posted, the photo the stored original, byte for byte."""
    (token,) = new_owners(api, 1)
    delivered = deliver(api, owner_url(api, token), "Buddy", (180, 90, 200))
    item = owner_item_id(api, token)
    xray = api.client.get(f"/p/{token}/{item}/xray.png")
    original = api.client.get(f"/p/{token}/{item}/original.png")
    assert (xray.status_code, original.status_code) == (200, 200)
    assert xray.content == delivered.xray
    assert original.content == delivered.original
    assert xray.headers["content-type"] == original.headers["content-type"] == "image/png"
    assert 'filename="01-buddy-xray.png"' in xray.headers["content-disposition"]
    assert 'filename="01-buddy-original.png"' in original.headers["content-disposition"]


def test_zip_holds_both_files_of_every_item_under_safe_ascii_names(api: Api) -> None:
    """all.zip has the x-ray and the photo of each item, numbered, with ASCII-only names."""
    (token,) = new_owners(api, 1)
    first = deliver(api, owner_url(api, token), "Buddy", (200, 60, 60))
    second = deliver(api, owner_url(api, token), "Bärli/..\\🧸 <b>", (60, 60, 200))
    response = api.client.get(f"/p/{token}/all.zip")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/zip"
    assert_private(response.headers)
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        contents = {name: archive.read(name) for name in archive.namelist()}
        modes = {info.external_attr >> 16 for info in archive.infolist()}
    assert modes == {0o644}  # readable once unzipped
    assert contents == {
        "01-buddy-xray.png": first.xray,
        "01-buddy-original.png": first.original,
        "02-barli-b-xray.png": second.xray,
        "02-barli-b-original.png": second.original,
    }


def test_downloads_are_sent_from_the_files_with_their_length(api: Api) -> None:
    """PNGs and all.zip are sent in pieces from disk: lengths known, zip entries self-describing.

    Each zip entry carries its sizes and checksum in its own header (no data descriptor), as
    when the zip was made in memory; any unzip tool reads it.
    """
    (token,) = new_owners(api, 1)
    delivered = [deliver(api, owner_url(api, token), f"Bear {n}", (n, 90, 20)) for n in (1, 2)]
    item = api.container.owners().items(token)[0].id
    xray = api.client.get(f"/p/{token}/{item}/xray.png")
    archive = api.client.get(f"/p/{token}/all.zip")
    for response in (xray, archive):
        assert int(response.headers["content-length"]) == len(response.content)
    with zipfile.ZipFile(io.BytesIO(archive.content)) as opened:
        assert opened.testzip() is None
        assert all(info.flag_bits & 0x08 == 0 for info in opened.infolist())
        assert [opened.read(n) for n in opened.namelist()] == [
            data for d in delivered for data in (d.xray, d.original)
        ]


def test_unknown_and_malformed_tokens_get_one_404_page_that_names_nothing(api: Api) -> None:
    """Unknown tokens, bad item ids and odd paths all get the same HTML 404, never a 500."""
    (token,) = new_owners(api, 1)
    deliver(api, owner_url(api, token), "Buddy", (10, 200, 200))
    item = owner_item_id(api, token)
    unknown = [secrets.token_urlsafe(18), secrets.token_urlsafe(18)]
    paths = [
        *(f"/p/{u}" for u in unknown),
        f"/p/{unknown[0]}/all.zip",
        f"/p/{unknown[1]}/{item}/xray.png",
        f"/p/{'a' * 5000}",
        "/p/short",
        "/p/%00%0d%0aX-Evil:%201",
        "/p/%2E%2E",
        f"/p/{token}/abc/xray.png",
        f"/p/{token}/{'9' * 40}/xray.png",
        f"/p/{token}/-1/original.png",
        f"/p/{token}/{item + 1000}/original.png",
    ]
    bodies = set()
    for path in paths:
        response = api.client.get(path)
        assert response.status_code == 404, path
        assert response.headers["content-type"].startswith("text/html")
        assert_private(response.headers)
        assert "Buddy" not in response.text and token not in response.text
        assert not any(u in response.text for u in unknown)
        bodies.add(response.text)
    # Paths no /p route matches at all get the very same page.
    for path in ["/p", "/p/", "/p/..%2F..%2Fetc%2Fpasswd", f"/p/{token}/{item}/xray.png/x"]:
        response = api.client.get(path)
        assert response.status_code == 404, path
        assert response.headers["content-type"].startswith("text/html")
        assert_private(response.headers)
        bodies.add(response.text)
    assert len(bodies) == 1


def test_fresh_token_shows_a_come_back_later_page(api: Api) -> None:
    """A token with nothing confirmed yet answers 200 with a friendly page and no image."""
    (token,) = new_owners(api, 1)
    text, links = page(api, token)
    assert "come back later" in text.lower()
    assert links.images == []
    unknown = api.client.get(f"/p/{secrets.token_urlsafe(18)}")
    assert unknown.status_code == 404 and unknown.text != text


def test_every_owner_response_sends_the_privacy_headers(api: Api) -> None:
    """Pages, images, the zip and the 404 page all send the private, no-referrer headers."""
    fresh, used = new_owners(api, 2)
    deliver(api, owner_url(api, used), "Buddy", (90, 90, 90))
    item = owner_item_id(api, used)
    for path in [
        f"/p/{fresh}",
        f"/p/{used}",
        f"/p/{used}/{item}/xray.png",
        f"/p/{used}/{item}/original.png",
        f"/p/{used}/all.zip",
        f"/p/{secrets.token_urlsafe(18)}",
    ]:
        assert_private(api.client.get(path).headers)


def test_names_are_escaped_on_the_page(api: Api) -> None:
    """An animal name with markup shows as text: no tag of it reaches the page."""
    (token,) = new_owners(api, 1)
    deliver(api, owner_url(api, token), '<script>alert("x")</script><img src=x>', (1, 2, 3))
    text, links = page(api, token)
    assert "<script>alert" not in text and "&lt;script&gt;alert" in text
    assert links.scripts == 0
    assert links.images and all(src.startswith("../media/") for src in links.images)


def test_links_also_work_from_the_page_with_a_trailing_slash(api: Api) -> None:
    """Opening ``/p/{token}/`` gives links that resolve to the owner's own files."""
    (token,) = new_owners(api, 1)
    deliver(api, owner_url(api, token), "Buddy", (20, 40, 60))
    response = api.client.get(f"/p/{token}/")
    assert response.status_code == 200
    links = Links()
    links.feed(response.text)
    for src in links.images:
        resolved = urljoin(f"http://testserver.local/p/{token}/", src)
        assert api.client.get(resolved).status_code == 200


@pytest.mark.slow  # seconds of subprocesses or pixels: the full suite runs it
def test_external_qr_content_is_kept_and_listed_by_the_cli(api: Api) -> None:
    """A QR text that is not ours still confirms and shows in ``teddy-xray owners`` as external."""
    foreign = "https://elsewhere.example/abc"
    deliver(api, foreign, "Wanderer", (70, 30, 110))
    env = {k: v for k, v in os.environ.items() if not k.startswith("TEDDY_XRAY_")}
    if api.settings.database_url:
        env["TEDDY_XRAY_DATABASE_URL"] = api.settings.database_url
    listing = subprocess.run(
        [
            str(Path(sys.executable).parent / "teddy-xray"),
            "owners",
            "--data-dir",
            str(api.settings.data_dir),
        ],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        timeout=60,
    ).stdout
    (line,) = [ln for ln in listing.splitlines() if repr(foreign) in ln]
    assert "external" in line and "Wanderer" in line
    # It has no page of its own: the external text is not a token.
    assert api.client.get("/p/abc").status_code == 404


@pytest.mark.parametrize("typed", ["code", "lower-spaced", "bare-token"])
def test_a_typed_short_code_or_bare_token_lands_on_the_right_owner_page(
    api: Api, typed: str
) -> None:
    """The code printed under a QR (typed by hand) or the bare token files the x-ray right."""
    other, token = new_owners(api, 2)
    code = short_code(token)
    qr_content = {
        "code": code,
        "lower-spaced": code.lower().replace("-", " "),
        "bare-token": token,
    }[typed]
    deliver(api, qr_content, "Patches", (120, 200, 40))
    text, links = page(api, token)
    assert "Patches" in text and len(links.images) == 2
    assert "come back later" in page(api, other)[0].lower()
