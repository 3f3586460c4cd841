"""The job service: upload, claim, submit, review and decide."""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from xray_core.carousel.model import CarouselItem
from xray_core.clock import Clock
from xray_core.images.model import photo_key, source_of
from xray_core.images.ports import ImageSanitizer
from xray_core.images.previews import ImageLibrary
from xray_core.jobs.edits import unedited_key
from xray_core.jobs.errors import (
    InvalidFieldError,
    JobNotFoundError,
    ResultNotFoundError,
    ResultNotReadyError,
)
from xray_core.jobs.model import (
    Claim,
    ConfirmAction,
    Job,
    JobCounts,
    JobStatus,
    NewJob,
    Slot,
    Upload,
)
from xray_core.jobs.status import (
    BoothStatus,
    SlotView,
    WorkQueue,
    booth_status,
    slot_views,
    work_queue,
)
from xray_core.jobs.validation import job_info, normalise_types
from xray_core.metrics import JobMetrics, NoMetrics
from xray_core.owners.model import OwnerItem
from xray_core.owners.ports import OwnerStorage
from xray_core.owners.service import DatabaseOwnerStorage, resolve_owner
from xray_core.ports import BlobStore, UnitOfWork
from xray_core.publishing.model import EntryKind, NewEntry, owner_hash

ORIGINAL = "original"
MAX_CLAIM_TRIES = 64
MAX_REASON = 500
InTransaction = Callable[[UnitOfWork, Slot], None]
"""Work done inside the transaction that changes a slot (given the slot as it was)."""
log = logging.getLogger(__name__)


class JobService:
    """Holds every rule of the job queue; storage and images come in through ports."""

    def __init__(
        self,
        uow: Callable[[], UnitOfWork],
        blobs: BlobStore,
        images: ImageSanitizer,
        clock: Clock,
        *,
        results_per_image: int = 2,
        lease: timedelta = timedelta(minutes=10),
        animal_types: Sequence[str] = ("bear", "dog", "cat", "rabbit", "horse"),
        owner_storage: OwnerStorage | None = None,
        metrics: JobMetrics | None = None,
        max_photo_edge: int = 2048,
        library: ImageLibrary | None = None,
        max_attempts: int = 3,
        workflows: Sequence[str] = (),
        retry_elsewhere: timedelta = timedelta(seconds=30),
        publishing: bool = False,
    ) -> None:
        """With ``publishing``, confirm, retry and cancel record outbox entries for the portal."""
        if results_per_image < 1:
            raise ValueError("results_per_image must be at least 1")
        if max_photo_edge < 64:
            raise ValueError("max_photo_edge must be at least 64 pixels")
        self._uow = uow
        self._blobs = blobs
        self._images = images
        self._clock = clock
        self.results_per_image = results_per_image
        self._lease = lease
        self.animal_types = normalise_types(animal_types)
        self._owner_storage = owner_storage or DatabaseOwnerStorage()
        self._metrics: JobMetrics = metrics or NoMetrics()
        self.max_photo_edge = max_photo_edge
        self.library = library or ImageLibrary(blobs, images)
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self.max_attempts = max_attempts
        self.workflows = tuple(workflows)
        self._retry_elsewhere = retry_elsewhere
        self.publishing = publishing

    def upload(
        self,
        photo: bytes,
        *,
        first_name: str | None,
        last_name: str | None,
        animal_name: str | None,
        qr_content: str | None,
        animal_type: str | None = None,
        broken_bone: str | bool | None = None,
        workflow: str | None = None,
    ) -> Upload:
        """Check and store a photo with its owner's details as a new job.

        ``workflow`` (optional) is one of :attr:`workflows`; workers may choose by it.

        Raises:
            InvalidFieldError: a text field is wrong.
            UnsupportedMediaError, TooLargeError: the photo is not an acceptable image.
        """
        info = job_info(
            first_name=first_name,
            last_name=last_name,
            animal_name=animal_name,
            qr_content=qr_content,
            animal_type=animal_type,
            broken_bone=broken_bone,
            allowed_types=self.animal_types,
        )
        chosen = (workflow or "").strip()
        if chosen and chosen not in self.workflows:
            allowed = ", ".join(self.workflows) or "none are configured"
            raise InvalidFieldError("workflow", f"must be one of: {allowed}")
        kept = self._images.prepare_photo(photo, self.max_photo_edge)
        key = photo_key(uuid.uuid4().hex, kept)
        self._blobs.put(key, kept.data)
        with self._cleanup_on_error(key), self._uow() as uow:
            job_id = uow.jobs.add(
                NewJob(info, key, self.results_per_image, self._clock.now(), chosen)
            )
            current = uow.jobs.count_active()
            uow.commit()
        self._metrics.job_uploaded()
        return Upload(job_id=job_id, current_jobs=current)

    def claim(
        self,
        worker: str | None = None,
        *,
        min_age: float | None = None,
        workflows: Collection[str] | None = None,
    ) -> Claim | None:
        """Lease the next open result slot (oldest job first), or return ``None``.

        A job that ``worker`` reported failed within the last ``retry_elsewhere`` is left
        to other workers meanwhile: one broken worker must not use up the attempts of every
        job while the others are idle. Alone, it gets the job again once that time is over.

        Args:
            worker: who claims (kept with the slot, for the registry).
            min_age: only jobs that waited at least this many seconds.
            workflows: only jobs of one of these workflows.
        """
        now = self._clock.now()
        before = None if min_age is None else now - timedelta(seconds=max(0.0, min_age))
        shunned = None if worker is None else (worker, now - self._retry_elsewhere)
        with self._uow() as uow:
            job = slot = None
            # A job found open may turn out full once locked: a concurrent claim took its
            # last slot between our snapshot and our lock. Look again (each query sees the
            # latest commits). Every retry means another claim won a job, so the queue moves
            # on; the bound is generous (8 proved too few for 8 claimers on PostgreSQL) and
            # only guards against a job the query and the model disagree about.
            for _ in range(MAX_CLAIM_TRIES):
                job = uow.jobs.next_claimable(
                    now,
                    max_attempts=self.max_attempts,
                    created_before=before,
                    workflows=workflows,
                    shunned_by=shunned,
                )
                slot = job.claimable_slot(now, self.max_attempts) if job else None
                if job is None or slot is not None:
                    break
            if job is None or slot is None:
                return None
            lease_id = uuid.uuid4().hex
            leased = slot.lease(lease_id, now + self._lease, worker=worker, now=now)
            job = job.with_slot(leased)
            uow.jobs.save(job)
            uow.commit()
        photo = self.library.worker_photo(job.original_key)
        return Claim(
            job=job,
            slot=leased,
            lease_id=lease_id,
            photo=self._blobs.get(photo),
            photo_type=self.library.media_type(photo),
        )

    @property
    def lease_seconds(self) -> float:
        """How long a lease (and each extension of it) lasts."""
        return self._lease.total_seconds()

    def submit(
        self,
        job_id: int,
        result: bytes,
        lease_id: str | None = None,
        *,
        also: InTransaction | None = None,
    ) -> Slot:
        """Store a worker's result in a slot of the job; return the slot as it was leased.

        ``also`` runs in the same transaction once the result is in (the worker registry's
        statistics: one commit per result instead of two).

        Raises:
            JobNotFoundError: no such job.
            JobAlreadyConfirmedError, JobCancelledError, JobCompleteError, LeaseLostError:
                the result is late or its lease was handed to someone else.
            UnsupportedMediaError, TooLargeError: the result is not an acceptable image.
        """
        # No separate read to refuse a late result before the work: results are seldom
        # late, and that read was a third of a result's database round trips (issue 11).
        png = self._images.clean_result(result)
        key = f"results/{uuid.uuid4().hex}.png"
        self._blobs.put(key, png)
        with self._cleanup_on_error(key), self._uow() as uow:
            job = self._job(job_id, uow, lock=True)
            slot = job.slot_for_result(lease_id)
            now = self._clock.now()
            uow.jobs.save(job.with_result(slot, key, now))
            if also is not None:
                also(uow, slot)
            uow.commit()
        if not job.results():
            self._metrics.first_result((now - job.created_at).total_seconds())
        return slot

    def extend(self, job_id: int, lease_id: str) -> datetime:
        """Extend a live lease by the lease time; return its new expiry.

        Raises:
            JobNotFoundError: no such job.
            JobAlreadyConfirmedError, JobCancelledError, LeaseLostError: the lease expired,
                went to another worker, or its job was retried, confirmed or cancelled.
        """
        now = self._clock.now()
        until = now + self._lease
        with self._uow() as uow:
            job = self._job(job_id, uow, lock=True)
            uow.jobs.save(job.with_lease_extended(lease_id, until, now))
            uow.commit()
        return until

    def fail(
        self, job_id: int, lease_id: str, reason: str, *, also: InTransaction | None = None
    ) -> Slot:
        """Give a slot back at once because generation failed; count the failed attempt.

        After :attr:`max_attempts` failures the job is handed out no more (until a retry).
        Returns the slot as it was leased; ``also`` runs in the same transaction.

        Raises:
            JobNotFoundError: no such job.
            InvalidFieldError: ``reason`` is longer than 500 characters.
            JobAlreadyConfirmedError, JobCancelledError, JobCompleteError, LeaseLostError:
                the lease is no longer this worker's.
        """
        if len(reason) > MAX_REASON:
            raise InvalidFieldError("reason", f"must be at most {MAX_REASON} characters")
        with self._uow() as uow:
            job = self._job(job_id, uow, lock=True)
            slot = job.slot_for_result(lease_id)
            reason = reason.strip() or "no reason given"
            failed = job.with_failure(slot, reason, self._clock.now())
            uow.jobs.save(failed)
            if also is not None:
                also(uow, slot)
            uow.commit()
        if failed.failed(self.max_attempts):
            log.warning("job %d failed %d times; it waits for a retry", job_id, failed.attempts)
        return slot

    def failed(self, job: Job) -> bool:
        """Whether ``job`` failed too often to be handed out."""
        return job.failed(self.max_attempts)

    def pending(self) -> list[Job]:
        """Return every job not yet confirmed or cancelled, oldest first."""
        with self._uow() as uow:
            return uow.jobs.active()

    def counts(self) -> JobCounts:
        """Return how many cases are in each status and how many slots wait (cheap counts)."""
        with self._uow() as uow:
            by_status = uow.jobs.count_by_status()
            waiting = uow.jobs.count_waiting_slots(self._clock.now())
        return JobCounts(
            by_status={s: by_status.get(s, 0) for s in JobStatus}, waiting_slots=waiting
        )

    def status(self) -> BoothStatus:
        """Return the counts of the pending cases and their latest generation times."""
        return booth_status(self.pending(), self._clock.now())

    def slot_views(self, job: Job) -> list[SlotView]:
        """Return what each result slot of ``job`` shows now (filled, being made, ...)."""
        return slot_views(job, self._clock.now(), self.max_attempts)

    def work_queue(self) -> WorkQueue:
        """Return how many cases wait for a worker and how many slots are being made."""
        return work_queue(self.pending(), self._clock.now(), self.max_attempts)

    def pending_for(self, qr_content: str) -> list[int]:
        """Return the ids of pending jobs for the owner ``qr_content`` names, oldest first.

        A URL, its bare token and its short code all name the same owner.
        """
        with self._uow() as uow:
            wanted = resolve_owner(uow, qr_content)
            return [
                job.id
                for job in uow.jobs.active()
                if resolve_owner(uow, job.info.qr_content) == wanted
            ]

    def image(self, job_id: int, option: str) -> bytes:
        """Return a pending job's original (``"original"``) or result ``option`` as PNG."""
        return self._blobs.get(self.image_key(job_id, option))

    def image_key(self, job_id: int, option: str) -> str:
        """Return the blob key of the PNG of :meth:`image` (to stream it from the store).

        Raises:
            JobNotFoundError, ResultNotFoundError: nothing there.
            InvalidFieldError: ``option`` is neither ``original`` nor a number.
        """
        job = self._job(job_id)
        if job.status is not JobStatus.ACTIVE:
            raise JobNotFoundError(job_id)
        if option == ORIGINAL:
            return self.library.png_key(job.original_key)
        if not (option.isascii() and option.isdigit()) or len(option) > 6:
            raise InvalidFieldError("option", "must be 'original' or a result number")
        results = job.results()
        index = int(option)
        if index >= len(results) or results[index].result_key is None:
            raise ResultNotFoundError(job_id, index)
        return str(results[index].result_key)

    def decide(self, job_id: int, choice: int, action: ConfirmAction) -> None:
        """Confirm result ``choice``, retry the job, or cancel it.

        Confirm keeps the original and the chosen x-ray for the owner named by the job's
        ``qr_content`` and puts the pair at the front of the carousel; retry discards the
        results and queues the job again; cancel drops it with its images.

        Raises:
            JobNotFoundError: no such job.
            JobAlreadyConfirmedError, JobCancelledError: decided before (no side effect).
            InvalidFieldError, ResultNotReadyError: ``choice`` names no result received.
        """
        now = self._clock.now()
        with self._uow() as uow:
            job = self._job(job_id, uow, lock=True)
            job.ensure_active()
            results = [str(s.result_key) for s in job.results()]
            # Fracture edits keep the unedited image beside them; it goes whatever is decided.
            doomed = list(results)
            unedited = [unedited_key(k) for k in results if unedited_key(k) != k]
            kept: OwnerItem | None = None
            if action is ConfirmAction.CONFIRM:
                if not 0 <= choice < self.results_per_image:
                    raise InvalidFieldError(
                        "choice", f"must be between 0 and {self.results_per_image - 1}"
                    )
                if choice >= len(results):
                    raise ResultNotReadyError(job_id, choice)
                xray = doomed.pop(choice)
                owner = resolve_owner(uow, job.info.qr_content)
                uow.carousel.add(CarouselItem(job.id, xray, job.original_key, now))
                kept = self._owner_storage.keep(
                    uow.owners,
                    OwnerItem(
                        id=0,
                        owner_ref=owner.ref,
                        external=owner.external,
                        job_id=job.id,
                        first_name=job.info.first_name,
                        last_name=job.info.last_name,
                        animal_name=job.info.animal_name,
                        animal_type=job.info.animal_type,
                        xray_key=xray,
                        original_key=job.original_key,
                        created_at=now,
                    ),
                )
                uow.jobs.save(replace(job.without_results(), status=JobStatus.CONFIRMED))
                if self.publishing and not owner.external:
                    # The outbox entry commits with the confirm, or neither does.
                    entry = NewEntry(EntryKind.PUBLISH, owner_hash(owner.ref), job.id, kept.id, now)
                    uow.outbox.add(entry)
            else:
                if action is ConfirmAction.RETRY:
                    uow.jobs.save(replace(job.without_results(), attempts=0, failures=()))
                else:
                    doomed.append(job.original_key)
                    cancelled = replace(job.without_results(), status=JobStatus.CANCELLED)
                    uow.jobs.save(replace(cancelled, original_key=""))
                whose = resolve_owner(uow, job.info.qr_content) if self.publishing else None
                if whose is not None and not whose.external:
                    hashed = owner_hash(whose.ref)
                    uow.outbox.add(NewEntry(EntryKind.WITHDRAW, hashed, job.id, 0, now))
            uow.commit()
        for key in doomed + unedited:
            self.library.delete(key)
        if action is ConfirmAction.CONFIRM:
            self._metrics.confirmed((now - job.created_at).total_seconds())
        if kept is not None:
            try:
                self._owner_storage.publish(kept)
            except Exception:  # the confirm stands; the owner storage can catch up later
                log.exception("job %d: owner storage could not publish item %d", job_id, kept.id)

    def collect_garbage(self, min_age_seconds: float) -> int:
        """Delete blobs no row points at and older than ``min_age_seconds``; return how many.

        Blobs are written before the row that points at them commits, so a crash between the
        two leaves an orphan; the age threshold spares uploads that are in flight right now.
        """
        with self._uow() as uow:
            used = (
                uow.jobs.referenced_keys()
                | uow.carousel.referenced_keys()
                | uow.owners.referenced_keys()
                | {b.pdf_key for b in uow.batches.all() if b.pdf_key}
            )
        used |= {unedited_key(k) for k in used}  # an edited result keeps its unedited one
        removed = 0
        for key, age in list(self._blobs.keys()):
            # A derived image (a PNG, a web size) lives as long as the image it was made of.
            if source_of(key) not in used and age >= min_age_seconds:
                self._blobs.delete(key)
                removed += 1
        return removed

    def _job(self, job_id: int, uow: UnitOfWork | None = None, *, lock: bool = False) -> Job:
        if uow is None:
            with self._uow() as own:
                return self._job(job_id, own)
        job = uow.jobs.get(job_id, lock=lock)
        if job is None:
            raise JobNotFoundError(job_id)
        return job

    @contextlib.contextmanager
    def _cleanup_on_error(self, key: str) -> Iterator[None]:
        """Delete a just-written blob if its row could not be stored."""
        try:
            yield
        except BaseException:
            self._blobs.delete(key)
            raise
