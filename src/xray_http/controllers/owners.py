"""``GET /p/{token}``: a family's own page, its PNGs and one zip (public; the token is the key)."""

from __future__ import annotations

import functools
import re
import unicodedata
import zipfile
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, BinaryIO

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import PathParameter
from litestar.response import Stream

from xray_core.auth.service import UrlSigner
from xray_core.errors import NotFoundError
from xray_core.owners.errors import OwnerNotFoundError
from xray_core.owners.model import OwnerItem
from xray_core.owners.service import OwnerService
from xray_http.controllers._base import in_thread
from xray_http.controllers.media import media_path
from xray_http.controllers.pages.render import language_of, render
from xray_http.deps import AppDeps
from xray_http.i18n import catalogue
from xray_http.streaming import stored_zip, stream_blob

_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")
_ITEM_ID = re.compile(r"[0-9]{1,12}")
_NOT_SLUG = re.compile(r"[^a-z0-9]+")
KINDS = ("xray", "original")

# Sent with every /p response, the 404 page included: the URL is a secret, keep it out of
# shared caches, Referer headers and search engines; the page runs no script at all.
# The language switch is a plain link (?lang=de) so the page needs no script for it either.
PRIVATE_HEADERS = {
    "Cache-Control": "private, max-age=0",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self'; style-src 'self'; script-src 'none'; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
}
TOKEN_PARAM = PathParameter(description="The secret token printed in the family's QR code.")
ITEM_PARAM = PathParameter(description="The id of one confirmed x-ray of this owner.")

MONTHS_KEY = "owner.months"


def _date(when: datetime, texts: dict[str, str]) -> str:
    month = texts[MONTHS_KEY].split(",")[when.month - 1]
    return texts["owner.date"].format(day=when.day, month=month, year=when.year)


def _slug(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return _NOT_SLUG.sub("-", ascii_name.lower()).strip("-")[:40].strip("-") or "teddy"


def file_name(number: int, item: OwnerItem, kind: str) -> str:
    """Return the safe ASCII download name of one image, e.g. ``01-buddy-xray.png``."""
    return f"{number:02d}-{_slug(item.animal_name)}-{kind}.png"


# Where a page shows an image: the signed URL of its web size or thumbnail (key, size).
MediaUrl = Callable[[str, str], str]


def _card(
    number: int, item: OwnerItem, base: str, texts: dict[str, str], media: MediaUrl | None
) -> dict[str, str]:
    kind = item.animal_type
    links = {k: f"{base}{item.id}/{k}.png" for k in KINDS}
    # The page shows light web sizes; the buttons still download the full PNGs.
    shown = dict(links)
    if media is not None:
        shown = {"xray": media(item.xray_key, "web"), "original": media(item.original_key, "thumb")}
    return {
        "name": item.animal_name,
        "date": _date(item.created_at, texts),
        "kind": "" if kind == "other" else texts.get(f"animal.{kind}", kind),
        **links,
        **{f"{k}_shown": shown[k] for k in KINDS},
        **{f"{k}_file": file_name(number, item, k) for k in KINDS},
    }


def owner_page(
    request: Request[Any, Any, Any],
    items: list[OwnerItem],
    base: str,
    media: MediaUrl | None = None,
    kept_until: datetime | None = None,
) -> Response[str]:
    """Return the family's page; ``base`` is the relative link prefix of the owner's files.

    With ``media``, the page shows the web sizes it names instead of the full PNGs; with
    ``kept_until`` (on the portal), it says until when the pictures stay.
    """
    texts = catalogue(language_of(request))
    names = list(dict.fromkeys(item.animal_name for item in items))
    title = " & ".join(names) if len(names) <= 3 else texts["owner.many_title"]
    context = {
        "title": title,
        "lead": texts["owner.lead_many" if len(items) > 1 else "owner.lead_one"],
        "note": texts["owner.private_note"],
        "named": len(names) > 1,
        "cards": [_card(n, item, base, texts, media) for n, item in enumerate(items, 1)],
        "everything": f"{base}all.zip",
        "delete": f"{base}delete",
        "kept_until": _date(kept_until, texts) if kept_until else "",
    }
    return render(request, "owner.html", context, headers=PRIVATE_HEADERS)


def _message(request: Request[Any, Any, Any], name: str, status_code: int = 200) -> Response[str]:
    texts = catalogue(language_of(request))
    context = {
        "title": texts[f"owner.{name}.title"],
        "lead": texts[f"owner.{name}.lead"],
        "note": texts[f"owner.{name}.note"],
    }
    return render(
        request, "owner_message.html", context, headers=PRIVATE_HEADERS, status_code=status_code
    )


# The deletion page posts its form to itself: the only page under /p that may send a form.
FORM_HEADERS = {
    **PRIVATE_HEADERS,
    "Content-Security-Policy": PRIVATE_HEADERS["Content-Security-Policy"].replace(
        "form-action 'none'", "form-action 'self'"
    ),
}


def _checked(token: str, item_id: str | None = None) -> tuple[str, int]:
    """Return the token and item id if they are well formed; anything else is not found."""
    if not _TOKEN.fullmatch(token) or (item_id is not None and not _ITEM_ID.fullmatch(item_id)):
        raise OwnerNotFoundError
    return token, int(item_id or 0)


def _image(owners: OwnerService, token: str, item_id: int, kind: str) -> tuple[str, BinaryIO]:
    for number, item in enumerate(owners.items(token), 1):
        if item.id == item_id:
            key = item.xray_key if kind == "xray" else item.original_key
            return file_name(number, item, kind), owners.open_png(key)
    raise OwnerNotFoundError


def _zip(owners: OwnerService, token: str) -> BinaryIO:
    """Return all.zip in a temporary file, the PNGs copied into it piece by piece."""
    items = owners.items(token)
    if not items:
        raise OwnerNotFoundError
    entries = []
    for number, item in enumerate(items, 1):
        stamp = max(item.created_at.timetuple()[:6], (1980, 1, 1, 0, 0, 0))  # zip's epoch
        for kind, key in (("xray", item.xray_key), ("original", item.original_key)):
            entry = zipfile.ZipInfo(file_name(number, item, kind), stamp)
            entry.external_attr = 0o644 << 16  # else unzip makes files nobody can read
            entries.append((entry, functools.partial(owners.open_png, key)))
    return stored_zip(entries)  # stored: PNGs are compressed already


async def _png(found: tuple[str, BinaryIO]) -> Stream:
    name, stream = found
    headers = {**PRIVATE_HEADERS, "Content-Disposition": f'attachment; filename="{name}"'}
    return await stream_blob(stream, "image/png", headers)


def not_found_page(request: Request[Any, Any, Any], _: NotFoundError) -> Response[str]:
    """Answer any miss under /p with the same page, which names nothing."""
    return _message(request, "missing", status_code=404)


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
        deps: NamedDependency[AppDeps],
    ) -> Response[str]:
        """Show every confirmed x-ray of the owner, or a come-back-later page."""
        items = await in_thread(owners.items, _checked(token)[0])
        portal = deps.portal
        kept = min((portal.kept_until(i) for i in items), default=None) if portal else None
        # Links relative to the page, so they work behind a proxy path prefix too; Litestar
        # drops a trailing slash from the path it routes, so look at the raw one.
        raw_path = request.scope.get("raw_path") or request.url.path.encode()
        base = "" if raw_path.endswith(b"/") else f"{token}/"
        up = "../.." if raw_path.endswith(b"/") else ".."  # from /p/<token>[/] to /

        def media(key: str, size: str) -> str:
            path = media_path(key, size)
            expires, sig = signer.sign(path)
            return f"{up}{path}?expires={expires}&sig={sig}"

        if not items:
            deleted = portal is not None and await in_thread(portal.was_deleted, token)
            return _message(request, "deleted" if deleted else "later")
        return owner_page(request, items, base, media, kept)

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
    ) -> Stream:
        """Return the stored x-ray PNG, byte for byte (sent from the file, in pieces)."""
        return await _png(await in_thread(_image, owners, *_checked(token, item_id), "xray"))

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
    ) -> Stream:
        """Return the photo's PNG (sent from the file, in pieces)."""
        return await _png(await in_thread(_image, owners, *_checked(token, item_id), "original"))

    @get(
        "/{token:str}/all.zip",
        responses=NOT_FOUND_DOC,
        summary="Every x-ray and photo",
        media_type="application/zip",
    )
    async def everything(
        self, token: Annotated[str, TOKEN_PARAM], owners: NamedDependency[OwnerService]
    ) -> Stream:
        """Return a zip of both PNGs of every item (``01-buddy-xray.png``...)."""
        archive = await in_thread(_zip, owners, _checked(token)[0])
        headers = {**PRIVATE_HEADERS, "Content-Disposition": 'attachment; filename="x-rays.zip"'}
        return await stream_blob(archive, "application/zip", headers)

    @get(
        "/{token:str}/delete",
        responses=NOT_FOUND_DOC,
        summary="Asks the family to confirm deleting its pictures (HTML)",
        media_type="text/html",
    )
    async def ask_delete(
        self,
        request: Request[Any, Any, Any],
        token: Annotated[str, TOKEN_PARAM],
        owners: NamedDependency[OwnerService],
    ) -> Response[str]:
        """Show what goes and a button that deletes it."""
        items = await in_thread(owners.items, _checked(token)[0])
        if not items:
            return _message(request, "later")
        texts = catalogue(language_of(request))
        names = ", ".join(dict.fromkeys(i.animal_name for i in items))
        context = {
            "title": texts["owner.delete.title"],
            "lead": texts["owner.delete.lead"].format(count=len(items), names=names),
            "note": texts["owner.private_note"],
            "confirm": True,
        }
        return render(request, "owner_message.html", context, headers=FORM_HEADERS)

    @post(
        "/{token:str}/delete",
        responses=NOT_FOUND_DOC,
        summary="Deletes every picture of the family now (here and on the other side)",
        media_type="text/html",
        status_code=200,
    )
    async def delete(
        self,
        request: Request[Any, Any, Any],
        token: Annotated[str, TOKEN_PARAM],
        owners: NamedDependency[OwnerService],
        deps: NamedDependency[AppDeps],
    ) -> Response[str]:
        """Delete the rows and files now; the booth or the portal learns of it too."""
        checked = _checked(token)[0]
        if deps.portal is not None:
            await in_thread(deps.portal.delete_token, checked)
        else:
            await in_thread(owners.delete, checked)
        return _message(request, "deleted")
