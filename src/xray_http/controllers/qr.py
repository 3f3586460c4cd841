"""``GET /qr``, ``GET /qr/progress``, ``GET /qr/download`` and the ``GET /qr/status`` extension."""

from __future__ import annotations

import logging
import re
from typing import Annotated, cast

from litestar import Controller, Response, get
from litestar.background_tasks import BackgroundTask
from litestar.di import NamedDependency
from litestar.params import QueryParameter

from xray_core.qr.service import QRService
from xray_core.qr.sheet import SHEETS, LayoutError, SheetKind, SheetLayout
from xray_http.auth import BEARER, requires_token
from xray_http.controllers._base import errors, in_thread
from xray_http.schemas.api import Progress
from xray_http.schemas.booth import QRBatchStatusRead, SheetLayoutRead

log = logging.getLogger("xray_http.qr")
_MM = re.compile(r"[+-]?[0-9]{1,3}(\.[0-9]{1,3})?")
_WHOLE = re.compile(r"[0-9]{1,4}")
# The sheet parameters are parsed here, not by Litestar, so that a bad value is a 422 naming
# its field like every other layout error (Litestar's own 400 names it only in "extra").
_LAYOUT_PARAM = QueryParameter(
    name="layout",
    description=f"sheet layout: {', '.join(SHEETS)} (default: the QR_LAYOUT setting)",
    schema_extra={"enum": list(SHEETS)},
)
_START_PARAM = QueryParameter(
    description="first label used on the first sheet, 1-based (default: QR_START_AT)",
    schema_extra={"pattern": f"^{_WHOLE.pattern}$"},
)
_OFFSET_X_PARAM = QueryParameter(
    description="moves every label right in mm, -20..20 (default: QR_OFFSET_X_MM)",
    schema_extra={"pattern": f"^{_MM.pattern}$"},
)
_OFFSET_Y_PARAM = QueryParameter(
    description="moves every label down in mm, -20..20 (default: QR_OFFSET_Y_MM)",
    schema_extra={"pattern": f"^{_MM.pattern}$"},
)


def _millimetres(field: str, raw: str | None) -> float | None:
    if raw is None:
        return None
    if not _MM.fullmatch(raw.strip()):
        raise LayoutError(field, "must be a number of millimetres, e.g. 1.5 or -2")
    return float(raw)


def sheet_layout(
    qr: QRService,
    kind: str | None,
    start_at: str | None,
    offset_x_mm: str | None,
    offset_y_mm: str | None,
) -> SheetLayout:
    """Return the layout the query asks for: the default layout with the given values in it.

    Raises:
        LayoutError: a value is malformed or out of range (422 naming the parameter).
    """
    if kind is not None and kind not in SHEETS:
        raise LayoutError("layout", f"unknown sheet layout, use one of {', '.join(SHEETS)}")
    if start_at is not None and not _WHOLE.fullmatch(start_at.strip()):
        raise LayoutError("start_at", "must be a whole number, the first label to use")
    return qr.layout(
        cast("SheetKind | None", kind),
        start_at=None if start_at is None else int(start_at),
        offset_x_mm=_millimetres("offset_x_mm", offset_x_mm),
        offset_y_mm=_millimetres("offset_y_mm", offset_y_mm),
    )


def layout_read(layout: SheetLayout) -> SheetLayoutRead:
    """Return the API form of a layout."""
    return SheetLayoutRead(
        layout=layout.kind,
        start_at=layout.start_at,
        offset_x_mm=float(layout.offset_x_mm),
        offset_y_mm=float(layout.offset_y_mm),
    )


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
        sheet: Annotated[str | None, _LAYOUT_PARAM] = None,
        start_at: Annotated[str | None, _START_PARAM] = None,
        offset_x_mm: Annotated[str | None, _OFFSET_X_PARAM] = None,
        offset_y_mm: Annotated[str | None, _OFFSET_Y_PARAM] = None,
    ) -> Response[str]:
        """Record the owners now; draw the PDF after the answer is sent.

        The sheet parameters are an extension; without them the settings' layout is used.
        """
        layout = sheet_layout(qr, sheet, start_at, offset_x_mm, offset_y_mm)
        batch = await in_thread(qr.start, n, layout)
        return Response(
            f"Generating {n} QR codes, this may take a while. Check the progress at /qr/progress",
            media_type="text/plain",
            background=BackgroundTask(render_in_background, qr, batch.id),
        )

    @get(
        "/status",
        summary="The latest batch: status, progress, size and sheet layout (extension)",
        responses=errors(401),
    )
    async def status(self, qr: NamedDependency[QRService]) -> QRBatchStatusRead:
        """Return the latest batch's state; all empty before any batch."""
        batch = await in_thread(qr.latest)
        if batch is None:
            return QRBatchStatusRead(None, None, 0.0, 0, None)
        return QRBatchStatusRead(
            batch_id=batch.id,
            status=batch.status.value,
            progress=batch.progress,
            size=batch.size,
            layout=layout_read(batch.layout or qr.default_layout),
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
