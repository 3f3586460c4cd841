"""Domain types of QR batches."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from xray_core.qr.sheet import SheetLayout

MAX_BATCH = 1000


class BatchStatus(StrEnum):
    """Where a batch is."""

    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class QRBatch:
    """One batch of QR codes and its PDF.

    ``layout`` is the sheet it is printed on, kept so that a batch drawn again after a restart
    looks the same; None for batches recorded before layouts were stored (the default layout).
    """

    id: int
    size: int
    status: BatchStatus
    progress: float
    header: str
    created_at: datetime
    pdf_key: str | None = None
    layout: SheetLayout | None = None
