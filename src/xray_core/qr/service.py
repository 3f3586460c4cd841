"""The QR batch service."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import replace

from xray_core.clock import Clock
from xray_core.owners.model import Owner, short_code
from xray_core.ports import BlobStore, UnitOfWork
from xray_core.qr.errors import BatchNotReadyError, BatchSizeError, NoBatchError
from xray_core.qr.model import MAX_BATCH, BatchStatus, QRBatch
from xray_core.qr.ports import QRSheetRenderer
from xray_core.qr.sheet import QRLabel, SheetKind, SheetLayout

TOKEN_BYTES = 18  # 144 bits: unguessable, and 24 URL-safe characters in the QR code
_PROGRESS_STEP = 5.0  # percent between two progress writes, to spare the database


class QRService:
    """Makes batches of owner QR codes and their printable PDF."""

    def __init__(
        self,
        uow: Callable[[], UnitOfWork],
        blobs: BlobStore,
        renderer: QRSheetRenderer,
        clock: Clock,
        public_url: str,
        keep_batches: int = 10,
        layout: SheetLayout | None = None,
    ) -> None:
        """``layout`` is the sheet of batches that name none (the settings' ``qr_*``)."""
        self._layout = layout or SheetLayout()
        self._uow = uow
        self._blobs = blobs
        self._renderer = renderer
        self._clock = clock
        self._public_url = public_url.rstrip("/")
        self._keep = max(1, keep_batches)

    def owner_url(self, token: str) -> str:
        """Return the URL a family's QR code encodes."""
        return f"{self._public_url}/p/{token}"

    @property
    def default_layout(self) -> SheetLayout:
        """The sheet a batch is printed on when it names none."""
        return self._layout

    def layout(
        self,
        kind: SheetKind | None = None,
        *,
        offset_x_mm: float | None = None,
        offset_y_mm: float | None = None,
        start_at: int | None = None,
    ) -> SheetLayout:
        """Return the default layout with the values given here in place of its own.

        Raises:
            LayoutError: a value is out of range (its ``field`` names it).
        """
        default = self._layout
        return SheetLayout(
            kind=default.kind if kind is None else kind,
            offset_x_mm=default.offset_x_mm if offset_x_mm is None else offset_x_mm,
            offset_y_mm=default.offset_y_mm if offset_y_mm is None else offset_y_mm,
            start_at=default.start_at if start_at is None else start_at,
        )

    def start(self, n: int, layout: SheetLayout | None = None) -> QRBatch:
        """Record a new batch of ``n`` fresh owners on ``layout`` (default: the default layout).

        The PDF is made by :meth:`render`.

        Raises:
            BatchSizeError: ``n`` is not in 1..1000.
        """
        if not 1 <= n <= MAX_BATCH:
            raise BatchSizeError(n)
        now = self._clock.now()
        header = f"Teddy X-Ray · {self._public_url} · {now:%Y-%m-%d}"
        with self._uow() as uow:
            batch = uow.batches.add(n, header, now, layout or self._layout)
            tokens = [secrets.token_urlsafe(TOKEN_BYTES) for _ in range(n)]
            uow.owners.add_many(
                [Owner(t, short_code(t), batch.id, i, now) for i, t in enumerate(tokens)]
            )
            uow.commit()
        return batch

    def render(self, batch_id: int) -> None:
        """Draw the PDF of a batch, report progress on the way, and keep the PDF.

        Progress reaches 100 only once the PDF is stored. A failure marks the batch failed.
        """
        with self._uow() as uow:
            batch = uow.batches.get(batch_id)
            owners = uow.owners.for_batch(batch_id)
        if batch is None:
            return
        labels = [QRLabel(url=self.owner_url(o.token), code=o.code) for o in owners]
        last = [0.0]

        def on_progress(fraction: float) -> None:
            percent = min(99.0, round(fraction * 100, 1))
            if percent - last[0] >= _PROGRESS_STEP:
                last[0] = percent
                self._save(replace(batch, progress=percent))

        try:
            layout = batch.layout or self._layout
            pdf = self._renderer.render(labels, batch.header, on_progress, layout)
            key = f"qr/batch-{batch_id}-{secrets.token_hex(8)}.pdf"
            self._blobs.put(key, pdf)
        except Exception:
            self._save(replace(batch, status=BatchStatus.FAILED, progress=last[0]))
            raise
        self._save(replace(batch, status=BatchStatus.DONE, progress=100.0, pdf_key=key))
        self._prune()

    def latest(self) -> QRBatch | None:
        """Return the latest batch (the one ``progress`` and ``download`` are about)."""
        with self._uow() as uow:
            return uow.batches.latest()

    def progress(self) -> float:
        """Return the latest batch's progress in percent (0 if there is none)."""
        with self._uow() as uow:
            batch = uow.batches.latest()
        return batch.progress if batch else 0.0

    def download(self) -> bytes:
        """Return the latest batch's PDF.

        Raises:
            NoBatchError: no batch was made yet.
            BatchNotReadyError: the latest batch is still running or failed.
        """
        with self._uow() as uow:
            batch = uow.batches.latest()
        if batch is None:
            raise NoBatchError
        if batch.status is not BatchStatus.DONE or batch.pdf_key is None:
            raise BatchNotReadyError(batch.id, batch.progress, batch.status is BatchStatus.FAILED)
        return self._blobs.get(batch.pdf_key)

    def unfinished(self) -> list[int]:
        """Return the ids of batches left running (e.g. by a restart), to render again."""
        with self._uow() as uow:
            return [b.id for b in uow.batches.all() if b.status is BatchStatus.RUNNING]

    def _save(self, batch: QRBatch) -> None:
        with self._uow() as uow:
            uow.batches.update(batch)
            uow.commit()

    def _prune(self) -> None:
        """Forget the PDFs of batches beyond the newest ``keep``; their owners stay."""
        with self._uow() as uow:
            old = [
                b for b in uow.batches.all()[self._keep :] if b.status is not BatchStatus.RUNNING
            ]
            for batch in old:
                uow.batches.delete(batch.id)
            uow.commit()
        for batch in old:
            if batch.pdf_key:
                self._blobs.delete(batch.pdf_key)
