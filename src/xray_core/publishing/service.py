"""The booth's publisher: delivers the outbox to the portal, in order, for as long as needed."""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta

from xray_core.clock import Clock
from xray_core.owners.model import OwnerItem
from xray_core.ports import BlobStore, UnitOfWork
from xray_core.publishing.errors import PublishError
from xray_core.publishing.model import (
    Delivery,
    EntryKind,
    OutboxEntry,
    PublishStatus,
    owner_hash,
)
from xray_core.publishing.ports import Publisher

log = logging.getLogger(__name__)
_PHOTO_PREFIX = "originals/"
_MAX_ERROR = 300


def photo_suffix(key: str) -> str:
    """Return what follows the random name in a photo key (``.jpg``, ``.o6.jpg``, ``.png``)."""
    name = key.removeprefix(_PHOTO_PREFIX)
    return name[name.index(".") :] if "." in name else ""


class PublishService:
    """Delivers outbox entries through a :class:`Publisher`; one booth process at a time.

    Entries go out oldest first; an owner's entry waits while an earlier one of the same
    owner has not gone through, so a deletion never overtakes the picture it deletes. A
    failed entry is tried again after a growing, jittered delay (capped at ``retry_max``);
    while the portal cannot be reached at all, the whole round pauses the same way. The
    portal makes deliveries idempotent, so a crash between delivery and removal only sends
    an entry twice, which shows once.
    """

    def __init__(
        self,
        uow: Callable[[], UnitOfWork],
        blobs: BlobStore,
        publisher: Publisher,
        clock: Clock,
        *,
        holder: str,
        forget_owner: Callable[[str], int],
        share_first_name: bool = False,
        lease: timedelta = timedelta(seconds=30),
        retry_base: float = 1.0,
        retry_max: float = 60.0,
        deletions_every: timedelta = timedelta(seconds=30),
        rng: random.Random | None = None,
    ) -> None:
        """``forget_owner(token)`` deletes an owner's pictures on the booth (a portal deletion)."""
        self._uow = uow
        self._blobs = blobs
        self._publisher = publisher
        self._clock = clock
        self._holder = holder
        self._forget = forget_owner
        self._share_first_name = share_first_name
        self._lease = lease
        self._base = max(0.01, retry_base)
        self._max = max(self._base, retry_max)
        self._rng = rng or random.Random()  # noqa: S311  (jitter, not secrets)
        self._deletions_every = deletions_every
        self._deletions_due: datetime | None = None  # None: at the first round
        self._paused_until: datetime | None = None
        self._outages = 0
        self.last_error = ""

    @property
    def target(self) -> str:
        """Where entries go."""
        return self._publisher.target

    def delay(self, attempts: int) -> timedelta:
        """Return the wait after ``attempts`` failures: doubling, capped, with jitter."""
        ceiling = min(self._max, self._base * 2 ** min(attempts - 1, 30))
        return timedelta(seconds=ceiling * self._rng.uniform(0.5, 1.0))

    def run_once(self, *, force: bool = False) -> int:
        """Deliver what is due (everything with ``force``); return how many entries went.

        Cheap when idle (one read, no write), so it may run several times a second; the
        portal's deletions are fetched every ``deletions_every``. Returns 0 at once if
        another process holds the publisher's lease.
        """
        now = self._clock.now()
        if not force and self._paused_until is not None and now < self._paused_until:
            return 0
        sync = force or self._deletions_due is None or now >= self._deletions_due
        if not sync:
            with self._uow() as uow:
                due = any(e.next_at <= now for e in uow.outbox.pending(limit=100))
            if not due:
                return 0
        if not self._hold_lease(now):
            return 0
        try:
            if sync:
                self._repeat_deletions()
                self._deletions_due = now + self._deletions_every
            delivered = self._deliver_due(now, force=force)
        except PublishError as exc:
            self._pause(now, str(exc))
            return 0
        self._outages = 0
        self._paused_until = None
        return delivered

    def retry_now(self) -> int:
        """Make every waiting entry due now ("publish now"), deletions too; return how many wait."""
        self._paused_until = None
        self._deletions_due = None
        with self._uow() as uow:
            count = uow.outbox.retry_all(self._clock.now())
            uow.commit()
        return count

    def status(self) -> PublishStatus:
        """Return what is published, waiting and failing (with the last error)."""
        with self._uow() as uow:
            entries = uow.outbox.pending()
            items = [i for i in uow.owners.items() if not i.external]
        waiting_items = {e.item_id for e in entries if e.kind is EntryKind.PUBLISH}
        failing = [e for e in entries if e.attempts > 0]
        last = max(failing, key=lambda e: e.id, default=None)
        return PublishStatus(
            enabled=True,
            target=self.target,
            published=sum(1 for i in items if i.id not in waiting_items),
            waiting=len(entries),
            failing=len(failing),
            last_error=self.last_error or (last.last_error if last else ""),
            next_attempt=min((e.next_at for e in entries), default=None),
        )

    def _hold_lease(self, now: datetime) -> bool:
        with self._uow() as uow:
            held = uow.outbox.take_lease(self._holder, now + self._lease, now)
            uow.commit()
        return held

    def _pause(self, now: datetime, error: str) -> None:
        self._outages += 1
        self._paused_until = now + self.delay(self._outages)
        self.last_error = error[:_MAX_ERROR]
        log.warning("publishing paused until %s: %s", self._paused_until, self.last_error)

    def _repeat_deletions(self) -> None:
        """Delete on the booth what families deleted on the portal."""
        with self._uow() as uow:
            cursor = uow.outbox.cursor()
            refs = {i.owner_ref for i in uow.owners.items() if not i.external}
        deletions = self._publisher.deletions(cursor)
        if not deletions:
            return
        tokens = {owner_hash(ref): ref for ref in refs}
        for deletion in deletions:
            token = tokens.get(deletion.owner)
            if token is not None:
                removed = self._forget(token)
                log.info("a family deleted its pictures on the portal: %d removed here", removed)
        with self._uow() as uow:
            uow.outbox.set_cursor(deletions[-1].id)
            uow.commit()

    def _deliver_due(self, now: datetime, *, force: bool) -> int:
        with self._uow() as uow:
            entries = uow.outbox.pending()
        blocked: set[str] = set()
        delivered = 0
        for entry in entries:
            if entry.owner in blocked:
                continue
            if entry.next_at > now and not force:
                blocked.add(entry.owner)  # later entries of this owner wait for it
                continue
            try:
                self._deliver(entry)
            except PublishError as exc:
                if not exc.reachable:
                    raise
                self._failed(entry, str(exc), now)
                blocked.add(entry.owner)
                continue
            with self._uow() as uow:
                uow.outbox.remove(entry.id)
                uow.outbox.take_lease(self._holder, self._clock.now() + self._lease, now)
                uow.commit()
            delivered += 1
        if delivered:
            self.last_error = ""
        return delivered

    def _failed(self, entry: OutboxEntry, error: str, now: datetime) -> None:
        attempts = entry.attempts + 1
        failed = replace(
            entry,
            attempts=attempts,
            next_at=now + self.delay(attempts),
            last_error=error[:_MAX_ERROR],
        )
        with self._uow() as uow:
            uow.outbox.save(failed)
            uow.commit()
        log.warning(
            "outbox entry %d (%s) failed %d time(s): %s", entry.id, entry.kind, attempts, error
        )

    def _deliver(self, entry: OutboxEntry) -> None:
        if entry.kind is EntryKind.WITHDRAW:
            self._publisher.withdraw(entry.owner, entry.job_id)
        elif entry.kind is EntryKind.DELETE_OWNER:
            self._publisher.delete_owner(entry.owner)
        else:
            with self._uow() as uow:
                item = uow.owners.item(entry.item_id)
            if item is None:  # deleted before it went out: nothing to send
                return
            self._publisher.put(self.delivery(item))

    def delivery(self, item: OwnerItem) -> Delivery:
        """Return what the portal receives of ``item``."""
        return Delivery(
            owner=owner_hash(item.owner_ref),
            job_id=item.job_id,
            first_name=item.first_name if self._share_first_name else "",
            animal_name=item.animal_name,
            animal_type=item.animal_type,
            created_at=item.created_at,
            xray=self._blobs.get(item.xray_key),
            photo=self._blobs.get(item.original_key),
            photo_suffix=photo_suffix(item.original_key),
        )
