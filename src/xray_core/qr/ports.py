"""Ports of the QR feature."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Protocol

from xray_core.qr.model import QRBatch
from xray_core.qr.sheet import QRLabel, SheetLayout


class QRBatchRepository(Protocol):
    """Keeps QR batches and their progress."""

    def add(self, size: int, header: str, created_at: datetime, layout: SheetLayout) -> QRBatch:
        """Store a new running batch at progress 0, with its sheet layout, and return it."""
        ...

    def get(self, batch_id: int) -> QRBatch | None:
        """Return one batch."""
        ...

    def latest(self) -> QRBatch | None:
        """Return the newest batch, if any."""
        ...

    def update(self, batch: QRBatch) -> None:
        """Store the status, progress and PDF key of ``batch``."""
        ...

    def all(self) -> list[QRBatch]:
        """Return every batch, newest first."""
        ...

    def delete(self, batch_id: int) -> None:
        """Forget a batch (its owners stay)."""
        ...


class QRSheetRenderer(Protocol):
    """Draws QR labels onto printable PDF sheets."""

    def render(
        self,
        labels: Sequence[QRLabel],
        header: str,
        on_progress: Callable[[float], None],
        layout: SheetLayout | None = None,
    ) -> bytes:
        """Return a PDF with one QR label per entry, in order.

        Args:
            labels: what each label encodes and the short code printed under it.
            header: a line printed at the top of every page.
            on_progress: called with a fraction in [0, 1] as pages are done; 1.0 only when
                the returned bytes are complete.
            layout: the sheet, calibration and first label; None: the renderer's default.
        """
        ...


class QRDecoder(Protocol):
    """Finds and reads a QR code in a camera frame (a JPEG, PNG or WebP image)."""

    def decode(self, frame: bytes) -> str | None:
        """Return the text of the QR code in ``frame``, or ``None`` if it shows none.

        Raises:
            xray_core.errors.UnsupportedMediaError: ``frame`` is not a decodable image.
            xray_core.errors.TooLargeError: ``frame`` has more pixels than the decoder takes.
        """
        ...
