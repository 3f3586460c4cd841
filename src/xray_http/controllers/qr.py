"""``GET /qr``, ``GET /qr/progress`` and ``GET /qr/download``."""

from __future__ import annotations

import logging
from typing import Annotated

from litestar import Controller, Response, get
from litestar.background_tasks import BackgroundTask
from litestar.di import NamedDependency
from litestar.params import QueryParameter

from xray_core.qr.service import QRService
from xray_http.auth import BEARER, requires_token
from xray_http.controllers._base import errors, in_thread
from xray_http.schemas.api import Progress

log = logging.getLogger("xray_http.qr")


async def render_in_background(qr: NamedDependency[QRService], batch_id: int) -> None:
    """Draw a batch's PDF in a worker thread; a failure is logged and marks the batch failed."""
    try:
        await in_thread(qr.render, batch_id)
    except Exception:
        log.exception("QR batch %s failed", batch_id)


class QRController(Controller):
    """Printable QR sheets for owners."""

    path = "/qr"
    guards = [requires_token]  # noqa: RUF012
    security = BEARER

    @get(
        "/",
        summary="Start generating n QR codes in the background",
        media_type="text/plain",
        responses=errors(400, 401, 422),
    )
    async def start(
        self,
        # Validated by the service (422 outside 1..1000); the bounds here only stop overflow.
        n: Annotated[
            int,
            QueryParameter(ge=-(2**31), le=2**31, schema_extra={"minimum": 1, "maximum": 1000}),
        ],
        qr: NamedDependency[QRService],
    ) -> Response[str]:
        """Record the owners now; draw the PDF after the answer is sent."""
        batch = await in_thread(qr.start, n)
        return Response(
            f"Generating {n} QR codes, this may take a while. Check the progress at /qr/progress",
            media_type="text/plain",
            background=BackgroundTask(render_in_background, qr, batch.id),
        )

    @get("/progress", summary="Progress of the latest batch, in percent", responses=errors(401))
    async def progress(self, qr: NamedDependency[QRService]) -> Progress:
        """Return 0..100; 100 only once the PDF can be downloaded."""
        return Progress(progress=await in_thread(qr.progress))

    @get(
        "/download",
        summary="Download the latest batch's PDF",
        media_type="application/pdf",
        responses=errors(401, 404, 409),
    )
    async def download(self, qr: NamedDependency[QRService]) -> Response[bytes]:
        """Return ``qr.pdf``."""
        pdf = await in_thread(qr.download)
        return Response(
            pdf,
            media_type="application/pdf",
            headers={"Content-Disposition": 'attachment; filename="qr.pdf"'},
        )
