"""``GET /carousel``, ``GET /carousel/{index}`` and ``GET /animal_types`` (public)."""

from __future__ import annotations

import io
import zipfile
from typing import Annotated, Any

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency
from litestar.params import PathParameter

from xray_core.carousel.errors import CarouselIndexFormatError
from xray_core.carousel.service import CarouselService
from xray_core.jobs.service import JobService
from xray_http.controllers._base import base_url, errors, in_thread
from xray_http.deps import AppDeps
from xray_http.schemas.api import AnimalTypes


def zip_pair(xray: bytes, original: bytes) -> bytes:
    """Return a zip of ``xray.png`` and ``original.png`` (stored: PNGs are compressed already)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("xray.png", xray)
        archive.writestr("original.png", original)
    return buffer.getvalue()


class CarouselController(Controller):
    """The big screen and the booth's pick lists; no login needed."""

    @get("/carousel", summary="URLs of the carousel items, newest first")
    async def carousel(
        self,
        request: Request[Any, Any, Any],
        carousel: NamedDependency[CarouselService],
        deps: NamedDependency[AppDeps],
    ) -> list[str]:
        """Return one absolute URL per carousel item."""
        count = await in_thread(carousel.count)
        base = base_url(request, deps)
        return [f"{base}/carousel/{i}" for i in range(count)]

    @get(
        "/carousel/{index:str}",
        summary="A zip of xray.png and original.png of one carousel item",
        media_type="application/zip",
        responses=errors(400, 404),
    )
    async def item(
        self,
        index: Annotated[str, PathParameter(max_length=20)],
        carousel: NamedDependency[CarouselService],
    ) -> Response[bytes]:
        """Return ``carousel_<index>.zip``; 404 for an index that is not on the screen."""
        if not (index.isascii() and index.isdigit()):
            raise CarouselIndexFormatError(index)
        pair = await in_thread(carousel.pair, int(index))
        return Response(
            zip_pair(pair.xray, pair.original),
            media_type="application/zip",
            headers={"Content-Disposition": f'attachment; filename="carousel_{int(index)}.zip"'},
        )

    @get("/animal_types", summary="The animal types the booth offers")
    async def animal_types(self, jobs: NamedDependency[JobService]) -> AnimalTypes:
        """Return the configured types; ``other`` is always there."""
        return AnimalTypes(types=list(jobs.animal_types))
