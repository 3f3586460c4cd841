"""``GET /media/{size}/{key}``: web sizes and thumbnails of the booth's images (extension)."""

from __future__ import annotations

import hashlib
import re
from typing import Annotated, Any

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency
from litestar.params import PathParameter
from litestar.response import Stream

from xray_core.auth.service import UrlSigner
from xray_core.errors import NotFoundError
from xray_core.jobs.service import JobService
from xray_http.auth import BEARER, requires_token_or_signature
from xray_http.controllers._base import errors, in_thread
from xray_http.streaming import stream_blob

# Only the images of jobs: never a QR sheet or anything else a key could name (an edited
# result carries ``.fx<n>-<random>``).
_KEY = re.compile(
    r"(originals|results)/[0-9a-f]{32}(\.o[2-8])?\.(jpg|png)(\.fx[0-9]+-[0-9a-f]{12})?"
)
# The image under a URL never changes (keys are never reused), so the browser may keep it;
# ``private``: children's photos must never sit in a shared cache.
CACHED = {"Cache-Control": "private, max-age=31536000, immutable", "Referrer-Policy": "no-referrer"}


def media_path(key: str, size: str) -> str:
    """Return the path of the ``size`` (``web`` or ``thumb``) image of blob ``key``."""
    return f"/media/{size}/{key}"


def signed_url(signer: UrlSigner, base: str, key: str, size: str) -> str:
    """Return the signed URL of ``media_path(key, size)`` under ``base``."""
    path = media_path(key, size)
    expires, sig = signer.sign(path)
    return f"{base}{path}?expires={expires}&sig={sig}"


def etag(key: str, size: str) -> str:
    """Return the entity tag of an image: it depends on nothing but what it was made from."""
    return '"' + hashlib.sha256(f"{size}:{key}".encode()).hexdigest()[:24] + '"'


class MediaController(Controller):
    """Derived images for pages: made once, then kept by the browser."""

    @get(
        "/media/{size:str}/{key:path}",
        guards=[requires_token_or_signature],
        security=[*BEARER, {}],
        summary="A web-size (web) or thumbnail (thumb) WebP of a job's photo or result",
        media_type="image/webp",
        responses=errors(401, 404, 422),
    )
    async def media(
        self,
        request: Request[Any, Any, Any],
        size: Annotated[str, PathParameter(max_length=10)],
        key: Annotated[str, PathParameter(max_length=80)],
        jobs: NamedDependency[JobService],
    ) -> Response[bytes] | Stream:
        """Return the image, or 304 when the browser has it already (``If-None-Match``)."""
        key = key.lstrip("/")
        if not _KEY.fullmatch(key):
            raise NotFoundError("no such image")
        tag = etag(key, size)
        headers = {**CACHED, "ETag": tag}
        if size in ("web", "thumb") and tag in request.headers.get("if-none-match", ""):
            return Response(b"", status_code=304, headers=headers)
        library = jobs.library
        derived = await in_thread(library.preview_key, key, size)
        stream = await in_thread(library.open, derived)
        return await stream_blob(stream, library.media_type(derived), headers)
