"""``GET /carousel``, ``GET /carousel/{index}`` and ``GET /animal_types`` (public)."""

from __future__ import annotations

import functools
from typing import Annotated, Any, BinaryIO

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.params import PathParameter
from litestar.response import Stream

from xray_core.carousel.errors import CarouselIndexFormatError
from xray_core.carousel.service import CarouselService
from xray_core.jobs.service import JobService
from xray_http.controllers._base import base_url, errors, in_thread
from xray_http.deps import AppDeps
from xray_http.schemas.api import AnimalTypes
from xray_http.streaming import stored_zip, stream_blob


def zip_pair(carousel: CarouselService, index: int) -> BinaryIO:
    """Return a zip of ``xray.png`` and ``original.png`` of item ``index``, in a temporary file."""
    xray, original = carousel.png_keys(index)
    return stored_zip(
        [
            ("xray.png", functools.partial(carousel.open_blob, xray)),
            ("original.png", functools.partial(carousel.open_blob, original)),
        ]
    )


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
    ) -> Stream:
        """Return ``carousel_<index>.zip``; 404 for an index that is not on the screen."""
        if not (index.isascii() and index.isdigit()):
            raise CarouselIndexFormatError(index)
        archive = await in_thread(zip_pair, carousel, int(index))
        headers = {"Content-Disposition": f'attachment; filename="carousel_{int(index)}.zip"'}
        return await stream_blob(archive, "application/zip", headers)

    @get("/animal_types", summary="The animal types the booth offers")
    async def animal_types(self, jobs: NamedDependency[JobService]) -> AnimalTypes:
        """Return the configured types; ``other`` is always there."""
        return AnimalTypes(types=list(jobs.animal_types))
