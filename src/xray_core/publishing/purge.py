"""The end of an event: delete every photo, result, name and QR batch from the booth."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from xray_core.errors import ConflictError
from xray_core.ports import BlobStore, UnitOfWork


@dataclass(frozen=True, slots=True)
class PurgeReport:
    """What a purge removed."""

    jobs: int
    items: int
    batches: int
    outbox: int
    blobs: int


class UnpublishedError(ConflictError):
    """The purge would delete what the portal has not received yet."""

    def __init__(self, what: str) -> None:
        super().__init__(f"not everything is published yet: {what}")
        self.what = what


class EventPurge:
    """Deletes the booth's event data (the portal keeps its copies until its retention)."""

    def __init__(
        self, uow: Callable[[], UnitOfWork], blobs: BlobStore, *, publishing: bool
    ) -> None:
        self._uow = uow
        self._blobs = blobs
        self._publishing = publishing

    def unpublished(self) -> str:
        """Return what the portal has not received yet, in words ("" when nothing)."""
        if not self._publishing:
            return "publishing is off (no PORTAL_URL): the families' pages live on this booth"
        with self._uow() as uow:
            kinds = Counter(e.kind.value for e in uow.outbox.pending())
        return ", ".join(f"{n} {kind} entr{'y' if n == 1 else 'ies'}" for kind, n in kinds.items())

    def summary(self) -> dict[str, int]:
        """Return how much a purge would delete (for the confirmation)."""
        with self._uow() as uow:
            return {
                "cases": sum(uow.jobs.count_by_status().values()),
                "owner_items": len(uow.owners.items()),
                "qr_batches": len(uow.batches.all()),
                "waiting": len(uow.outbox.pending()),
            }

    def purge(self, *, force: bool = False) -> PurgeReport:
        """Delete every row of the event, then every blob; refuse while unpublished.

        Raises:
            UnpublishedError: something has not reached the portal (unless ``force``).
        """
        waiting = self.unpublished()
        if waiting and not force:
            raise UnpublishedError(waiting)
        with self._uow() as uow:
            outbox = uow.outbox.pending()
            for entry in outbox:
                uow.outbox.remove(entry.id)
            batches = uow.batches.all()
            for batch in batches:
                uow.batches.delete(batch.id)
            report = PurgeReport(
                jobs=uow.jobs.delete_all(),
                items=uow.owners.delete_all(),
                batches=len(batches),
                outbox=len(outbox),
                blobs=0,
            )
            uow.carousel.delete_all()
            uow.commit()
        removed = 0
        for key, _age in list(self._blobs.keys()):
            self._blobs.delete(key)
            removed += 1
        return PurgeReport(report.jobs, report.items, report.batches, report.outbox, removed)
