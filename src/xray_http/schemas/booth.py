"""Bodies of the extensions the booth pages use (not in the contract)."""

from __future__ import annotations

import msgspec


class PendingCases(msgspec.Struct):
    """``GET /cases/pending?qr=...``: the pending jobs of the owner a QR text names."""

    qr: str
    job_ids: list[int]


class CarouselItemRead(msgspec.Struct):
    """One item of ``GET /carousel/items`` (never a family name)."""

    index: int
    job_id: int
    animal_name: str
    animal_type: str
    xray: str
    original: str
    # The light web sizes (long side WEB_IMAGE_EDGE) that the big screen shows.
    xray_web: str = ""
    original_web: str = ""


class StatusRead(msgspec.Struct):
    """``GET /status``: the booth at a glance."""

    pending: int
    waiting: int
    ready: int
    queue_depth: int
    being_made: int
    recent_seconds: list[float]
    carousel: int
    results_per_image: int


class SheetLayoutRead(msgspec.Struct):
    """A QR sheet layout: the ``GET /qr`` parameters that chose it."""

    layout: str
    start_at: int
    offset_x_mm: float
    offset_y_mm: float


class QRBatchStatusRead(msgspec.Struct):
    """``GET /qr/status``: the latest QR batch (what ``/qr/progress`` and ``/qr/download`` mean)."""

    batch_id: int | None
    status: str | None  # running, done or failed; None before any batch
    progress: float
    size: int
    layout: SheetLayoutRead | None
