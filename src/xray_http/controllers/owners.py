"""``GET /p/{token}``: a family's own page, its PNGs and one zip (public; the token is the key)."""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from collections.abc import Callable
from datetime import datetime
from html import escape
from typing import Annotated, Any

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import PathParameter

from xray_core.auth.service import UrlSigner
from xray_core.errors import NotFoundError
from xray_core.owners.errors import OwnerNotFoundError
from xray_core.owners.model import OwnerItem
from xray_core.owners.service import OwnerService
from xray_http.controllers._base import in_thread
from xray_http.controllers.media import media_path

_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")
_ITEM_ID = re.compile(r"[0-9]{1,12}")
_NOT_SLUG = re.compile(r"[^a-z0-9]+")
KINDS = ("xray", "original")

# Sent with every /p response, the 404 page included: the URL is a secret, keep it out of
# shared caches, Referer headers and search engines; the page runs no script at all.
PRIVATE_HEADERS = {
    "Cache-Control": "private, max-age=0",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self'; style-src 'unsafe-inline'; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
}
TOKEN_PARAM = PathParameter(description="The secret token printed in the family's QR code.")
ITEM_PARAM = PathParameter(description="The id of one confirmed x-ray of this owner.")

_CSS = """
*{box-sizing:border-box}
body{margin:0;font:17px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;
background:#fdf3e6;color:#3b2f2a}
main{max-width:38rem;margin:0 auto;padding:1.1rem .8rem 2.5rem}
header{text-align:center}
.logo{width:72px;height:72px}
.brand{margin:.2rem 0 0;font-size:.85rem;letter-spacing:.08em;text-transform:uppercase;
color:#9a7559}
h1{margin:.1rem 0 .3rem;font-size:2.3rem;line-height:1.1;overflow-wrap:anywhere}
.lead{margin:0;color:#6b5446}
.card{background:#fff;border-radius:1.4rem;box-shadow:0 6px 22px rgba(90,55,20,.13);
padding:.8rem;margin:1.3rem 0}
.card h2{margin:0;font-size:1.55rem;overflow-wrap:anywhere}
.date{margin:0 0 .7rem;color:#9a7559}
.film{margin:0;background:#0b0f14;border-radius:1rem;padding:.3rem}
.film img{display:block;width:100%;height:auto;border-radius:.7rem}
.photo{display:flex;gap:.9rem;align-items:center;margin:1rem 0 0}
.photo img{width:6rem;height:6rem;object-fit:cover;border-radius:.9rem;flex:none}
.photo p{margin:0;color:#6b5446}
.buttons{display:grid;gap:.65rem;margin-top:1rem}
.button{display:block;text-align:center;text-decoration:none;font-weight:650;
font-size:1.05rem;padding:.9rem 1rem;border-radius:999px;background:#2d6cdf;color:#fff}
.button.light{background:#e6eefc;color:#1d4fae}
.button.all{background:#e0763a;margin-top:1.6rem}
footer{margin-top:2rem;text-align:center;font-size:.85rem;color:#9a7559}
"""

_BEAR = (
    '<svg class="logo" viewBox="0 0 64 64" aria-hidden="true">'
    '<circle cx="15" cy="16" r="10" fill="#b47a4c"/><circle cx="49" cy="16" r="10" fill="#b47a4c"/>'
    '<circle cx="15" cy="16" r="5" fill="#eac29a"/><circle cx="49" cy="16" r="5" fill="#eac29a"/>'
    '<circle cx="32" cy="36" r="23" fill="#c58a58"/>'
    '<ellipse cx="32" cy="45" rx="11" ry="8.5" fill="#f2d6b6"/>'
    '<circle cx="23.5" cy="31" r="3" fill="#3b2f2a"/>'
    '<circle cx="40.5" cy="31" r="3" fill="#3b2f2a"/>'
    '<ellipse cx="32" cy="41" rx="4.2" ry="3" fill="#3b2f2a"/>'
    '<path d="M27 47.5q5 4 10 0" stroke="#3b2f2a" stroke-width="2" fill="none"'
    ' stroke-linecap="round"/>'
    '<rect x="35" y="15" width="17" height="6.5" rx="3.2" fill="#fff" stroke="#dcc3a6"'
    ' transform="rotate(28 43.5 18.2)"/></svg>'
)


PRIVATE_NOTE = "This page is only for you: please keep its link to yourself."


def _page(title: str, body: str, note: str = PRIVATE_NOTE) -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="robots" content="noindex, nofollow">'
        '<meta name="referrer" content="no-referrer">'
        f"<title>{escape(title)} · Teddy X-Ray</title><style>{_CSS}</style></head>"
        f"<body><main>{body}<footer>Teddy Bear Hospital · {escape(note)}</footer></main>"
        "</body></html>"
    )


def _header(title: str, lead: str) -> str:
    return (
        f'<header>{_BEAR}<p class="brand">Teddy Bear Hospital</p>'
        f'<h1>{escape(title)}</h1><p class="lead">{escape(lead)}</p></header>'
    )


NOT_FOUND_PAGE = _page(
    "Page not found",
    _header(
        "Page not found",
        "We could not find this page. Please check the link or scan the QR code again.",
    ),
    note="Get well soon!",
)
COME_BACK_PAGE = _page(
    "Almost ready",
    _header(
        "Almost ready!",
        "Your cuddly friend's x-ray is not here yet. Please come back later, "
        "with the same QR code.",
    ),
)


def _date(when: datetime) -> str:
    return f"{when.day} {when:%B %Y}"


def _slug(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return _NOT_SLUG.sub("-", ascii_name.lower()).strip("-")[:40].strip("-") or "teddy"


def file_name(number: int, item: OwnerItem, kind: str) -> str:
    """Return the safe ASCII download name of one image, e.g. ``01-buddy-xray.png``."""
    return f"{number:02d}-{_slug(item.animal_name)}-{kind}.png"


# Where a page shows an image: the signed URL of its web size or thumbnail (key, size).
MediaUrl = Callable[[str, str], str]


def _card(number: int, item: OwnerItem, base: str, *, named: bool, media: MediaUrl | None) -> str:
    name = escape(item.animal_name)
    heading = f"<h2>{name}</h2>" if named else ""
    kind = "" if item.animal_type == "other" else f" · {escape(item.animal_type)}"
    links = {k: escape(f"{base}{item.id}/{k}.png") for k in KINDS}
    files = {k: escape(file_name(number, item, k)) for k in KINDS}
    # The page shows light web sizes; the buttons still download the full PNGs.
    shown = dict(links)
    if media is not None:
        shown = {
            "xray": escape(media(item.xray_key, "web")),
            "original": escape(media(item.original_key, "thumb")),
        }
    return (
        f'<article class="card">{heading}'
        f'<p class="date">Taken on {escape(_date(item.created_at))}{kind}</p>'
        f'<figure class="film"><img src="{shown["xray"]}" alt="The x-ray of {name}"></figure>'
        f'<div class="photo"><img src="{shown["original"]}" alt="The photo of {name}"'
        ' loading="lazy"><p>The photo taken at the booth.</p></div>'
        f'<div class="buttons"><a class="button" href="{links["xray"]}"'
        f' download="{files["xray"]}">Download the x-ray</a>'
        f'<a class="button light" href="{links["original"]}"'
        f' download="{files["original"]}">Download the photo</a></div></article>'
    )


def owner_page(items: list[OwnerItem], base: str, media: MediaUrl | None = None) -> str:
    """Return the family's page; ``base`` is the relative link prefix of the owner's files.

    With ``media``, the page shows the web sizes it names instead of the full PNGs.
    """
    names = list(dict.fromkeys(item.animal_name for item in items))
    title = " & ".join(names) if len(names) <= 3 else "Your cuddly friends"
    lead = (
        "The x-rays are ready! Keep them with the buttons below."
        if len(items) > 1
        else "The x-ray is ready! Keep it with the buttons below."
    )
    named = len(names) > 1
    cards = "".join(
        _card(n, item, base, named=named, media=media) for n, item in enumerate(items, 1)
    )
    everything = escape(f"{base}all.zip")
    return _page(
        title,
        f"{_header(title, lead)}{cards}"
        f'<a class="button all" href="{everything}" download>Download everything (zip)</a>',
    )


def _checked(token: str, item_id: str | None = None) -> tuple[str, int]:
    """Return the token and item id if they are well formed; anything else is not found."""
    if not _TOKEN.fullmatch(token) or (item_id is not None and not _ITEM_ID.fullmatch(item_id)):
        raise OwnerNotFoundError
    return token, int(item_id or 0)


def _image(owners: OwnerService, token: str, item_id: int, kind: str) -> tuple[str, bytes]:
    for number, item in enumerate(owners.items(token), 1):
        if item.id == item_id:
            return file_name(number, item, kind), owners.image(token, item_id, kind)
    raise OwnerNotFoundError


def _zip(owners: OwnerService, token: str) -> bytes:
    items = owners.items(token)
    if not items:
        raise OwnerNotFoundError
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:  # PNGs are compressed
        for number, item in enumerate(items, 1):
            stamp = max(item.created_at.timetuple()[:6], (1980, 1, 1, 0, 0, 0))  # zip's epoch
            for kind in KINDS:
                entry = zipfile.ZipInfo(file_name(number, item, kind), stamp)
                entry.external_attr = 0o644 << 16  # else unzip makes files nobody can read
                archive.writestr(entry, owners.image(token, item.id, kind))
    return buffer.getvalue()


def _png(name: str, data: bytes) -> Response[bytes]:
    headers = {**PRIVATE_HEADERS, "Content-Disposition": f'attachment; filename="{name}"'}
    return Response(data, media_type="image/png", headers=headers)


def not_found_page(_: Request[Any, Any, Any], __: NotFoundError) -> Response[str]:
    """Answer any miss under /p with the same page, which names nothing."""
    return Response(
        NOT_FOUND_PAGE, status_code=404, media_type="text/html", headers=PRIVATE_HEADERS
    )


NOT_FOUND_DOC = {
    404: ResponseSpec(
        str,
        media_type="text/html",
        generate_examples=False,
        description="Unknown token or item: the same page for every one",
    )
}


class OwnerController(Controller):
    """A family's own page and downloads; public, the unguessable token is the key."""

    path = "/p"
    exception_handlers = {NotFoundError: not_found_page}  # noqa: RUF012

    @get(
        "/{token:str}",
        responses=NOT_FOUND_DOC,
        summary="The family's page (HTML)",
        media_type="text/html",
    )
    async def page(
        self,
        request: Request[Any, Any, Any],
        token: Annotated[str, TOKEN_PARAM],
        owners: NamedDependency[OwnerService],
        signer: NamedDependency[UrlSigner],
    ) -> Response[str]:
        """Show every confirmed x-ray of the owner, or a come-back-later page."""
        items = await in_thread(owners.items, _checked(token)[0])
        # Links relative to the page, so they work behind a proxy path prefix too; Litestar
        # drops a trailing slash from the path it routes, so look at the raw one.
        raw_path = request.scope.get("raw_path") or request.url.path.encode()
        base = "" if raw_path.endswith(b"/") else f"{token}/"
        up = "../.." if raw_path.endswith(b"/") else ".."  # from /p/<token>[/] to /

        def media(key: str, size: str) -> str:
            path = media_path(key, size)
            expires, sig = signer.sign(path)
            return f"{up}{path}?expires={expires}&sig={sig}"

        html = owner_page(items, base, media) if items else COME_BACK_PAGE
        return Response(html, media_type="text/html", headers=PRIVATE_HEADERS)

    @get(
        "/{token:str}/{item_id:str}/xray.png",
        responses=NOT_FOUND_DOC,
        summary="One x-ray",
        media_type="image/png",
    )
    async def xray(
        self,
        token: Annotated[str, TOKEN_PARAM],
        item_id: Annotated[str, ITEM_PARAM],
        owners: NamedDependency[OwnerService],
    ) -> Response[bytes]:
        """Return the stored x-ray PNG, byte for byte."""
        return _png(*await in_thread(_image, owners, *_checked(token, item_id), "xray"))

    @get(
        "/{token:str}/{item_id:str}/original.png",
        responses=NOT_FOUND_DOC,
        summary="One photo",
        media_type="image/png",
    )
    async def original(
        self,
        token: Annotated[str, TOKEN_PARAM],
        item_id: Annotated[str, ITEM_PARAM],
        owners: NamedDependency[OwnerService],
    ) -> Response[bytes]:
        """Return the stored original photo PNG, byte for byte."""
        return _png(*await in_thread(_image, owners, *_checked(token, item_id), "original"))

    @get(
        "/{token:str}/all.zip",
        responses=NOT_FOUND_DOC,
        summary="Every x-ray and photo",
        media_type="application/zip",
    )
    async def everything(
        self, token: Annotated[str, TOKEN_PARAM], owners: NamedDependency[OwnerService]
    ) -> Response[bytes]:
        """Return a zip of both PNGs of every item (``01-buddy-xray.png``...)."""
        data = await in_thread(_zip, owners, _checked(token)[0])
        headers = {**PRIVATE_HEADERS, "Content-Disposition": 'attachment; filename="x-rays.zip"'}
        return Response(data, media_type="application/zip", headers=headers)
