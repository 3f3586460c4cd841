"""Extensions for the booth pages: pending cases of a QR, carousel items, status, settings."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency
from litestar.params import PathParameter, QueryParameter

from xray_core.carousel.errors import CarouselJobError
from xray_core.carousel.service import CarouselService
from xray_core.jobs.service import JobService
from xray_core.jobs.validation import MAX_QR
from xray_http.auth import BEARER, requires_token
from xray_http.controllers._base import base_url, errors, in_thread
from xray_http.controllers.results import EXACT_MAX_ID, MAX_ID
from xray_http.deps import AppDeps
from xray_http.schemas.booth import CarouselItemRead, PendingCases, StatusRead

# Carousel images are keyed by job, so their URLs never change: a browser may keep them,
# but only in its own cache (they are photos of children's toys).
PRIVATE_CACHE = {"Cache-Control": "private, max-age=86400"}
# File name -> (image, size): the PNGs, and the web sizes the big screen shows.
KINDS = {
    "xray.png": ("xray", "full"),
    "original.png": ("original", "full"),
    "xray.webp": ("xray", "web"),
    "original.webp": ("original", "web"),
}


class BoothApiController(Controller):
    """What the booth pages need beyond the contract."""

    @get(
        "/cases/pending",
        guards=[requires_token],
        security=BEARER,
        summary="Pending cases of the owner a QR text (URL, token or short code) names",
        responses=errors(401, 422),
    )
    async def pending(
        self,
        # "qr" is the name of the QR service dependency, so the parameter is renamed.
        qr_text: Annotated[str, QueryParameter(name="qr", min_length=1, max_length=MAX_QR)],
        jobs: NamedDependency[JobService],
    ) -> PendingCases:
        """List the job ids still awaiting approval for this owner (warn before a second one)."""
        return PendingCases(qr=qr_text, job_ids=await in_thread(jobs.pending_for, qr_text))

    @get("/carousel/items", summary="The carousel with animal names and image URLs (public)")
    async def carousel_items(
        self,
        request: Request[Any, Any, Any],
        carousel: NamedDependency[CarouselService],
        deps: NamedDependency[AppDeps],
    ) -> list[CarouselItemRead]:
        """Return the items newest first, as ``/carousel`` orders them; no family names."""
        base = base_url(request, deps)
        return [
            CarouselItemRead(
                index=e.index,
                job_id=e.job_id,
                animal_name=e.animal_name,
                animal_type=e.animal_type,
                xray=f"{base}/carousel/items/{e.job_id}/xray.png",
                original=f"{base}/carousel/items/{e.job_id}/original.png",
                xray_web=f"{base}/carousel/items/{e.job_id}/xray.webp",
                original_web=f"{base}/carousel/items/{e.job_id}/original.webp",
            )
            for e in await in_thread(carousel.entries)
        ]

    @get(
        "/carousel/items/{job_id:int}/{name:str}",
        summary="The x-ray or photo of a carousel item: xray.png, original.png (PNG) or "
        "xray.webp, original.webp (web size) (public)",
        media_type="image/png",
        responses=errors(404),
    )
    async def carousel_image(
        self,
        job_id: Annotated[int, PathParameter(ge=0, le=MAX_ID, schema_extra=EXACT_MAX_ID)],
        name: Annotated[str, PathParameter(max_length=20)],
        carousel: NamedDependency[CarouselService],
    ) -> Response[bytes]:
        """Return the PNG while the item is on the screen; 404 once it left."""
        if name not in KINDS:
            raise CarouselJobError(job_id)
        kind, size = KINDS[name]
        image = await in_thread(carousel.image, job_id, kind, size)
        media = "image/webp" if image[8:12] == b"WEBP" else "image/png"
        return Response(image, media_type=media, headers=PRIVATE_CACHE)

    @get(
        "/status",
        guards=[requires_token],
        security=BEARER,
        summary="The booth at a glance: cases by state, queue depth, generation times",
        responses=errors(401),
    )
    async def status(
        self, jobs: NamedDependency[JobService], carousel: NamedDependency[CarouselService]
    ) -> StatusRead:
        """Count the pending cases and report the latest results' times from upload."""
        now = await in_thread(jobs.status)
        return StatusRead(
            pending=now.pending,
            waiting=now.waiting,
            ready=now.ready,
            queue_depth=now.queue_depth,
            being_made=now.being_made,
            recent_seconds=list(now.recent_seconds),
            carousel=await in_thread(carousel.count),
            results_per_image=jobs.results_per_image,
        )

    @get(
        "/settings",
        guards=[requires_token],
        security=BEARER,
        summary="The settings in force, secrets hidden",
        responses=errors(401),
    )
    async def settings(self, deps: NamedDependency[AppDeps]) -> dict[str, str]:
        """Return every setting as text; password hash and keys show only whether they are set."""
        return dict(deps.settings_view)
