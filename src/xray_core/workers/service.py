"""The worker registry service: records polls, results and failures; lists the fleet."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from xray_core.clock import Clock
from xray_core.jobs.status import WorkQueue
from xray_core.ports import UnitOfWork
from xray_core.workers.model import (
    GONE_AFTER,
    QUIET_AFTER,
    Identity,
    NoWorkerCheck,
    WorkerRecord,
    WorkerStatus,
)

if TYPE_CHECKING:
    from xray_core.jobs.model import Slot
    from xray_core.jobs.service import InTransaction

SEEN_WRITE_SECONDS = 5.0
Change = Callable[[WorkerRecord], WorkerRecord]
MAX_REMEMBERED = 10_000
log = logging.getLogger(__name__)


class WorkerRegistry:
    """Keeps the fleet in the database, writing a poll at most every ``write_every`` seconds.

    Polls are the hot path (16 idle workers poll several times a second), so a poll only
    writes when this process has not written that worker's row for ``write_every`` seconds;
    results and failures are rare and always written. Replicas each throttle on their own,
    so with ``n`` replicas a worker's row is written at most ``n`` times per interval.
    """

    def __init__(
        self,
        uow: Callable[[], UnitOfWork],
        clock: Clock,
        *,
        write_every: float = SEEN_WRITE_SECONDS,
        gone_after: float = GONE_AFTER.total_seconds(),
        quiet_after: float = QUIET_AFTER.total_seconds(),
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._write_every = write_every
        self.gone_after = gone_after
        self.quiet_after = quiet_after
        self._written: dict[str, datetime] = {}
        self._lock = threading.Lock()

    def due(self, name: str) -> bool:
        """Whether a poll by ``name`` is to be written now (and, if so, count it as written).

        Memory only, cheap enough for the event loop; write with :meth:`record_seen`.
        """
        now = self._clock.now()
        with self._lock:
            last = self._written.get(name)
            if last is not None and (now - last).total_seconds() < self._write_every:
                return False
            if len(self._written) >= MAX_REMEMBERED:
                self._written.clear()
            self._written[name] = now
            return True

    def record_seen(self, who: Identity) -> None:
        """Write that ``who`` was seen now."""
        now = self._clock.now()
        self._update(who, lambda r: r.seen(who, now))

    def seen(self, who: Identity) -> bool:
        """Record a poll by ``who``; return whether it was written (else it was throttled)."""
        if not self.due(who.name):
            return False
        self.record_seen(who)
        return True

    def delivered(self, who: Identity, claimed_at: datetime | None) -> None:
        """Record a result by ``who`` for a slot it claimed at ``claimed_at``."""
        self._update(who, self._delivered(who, claimed_at))

    def failed(self, who: Identity) -> None:
        """Record a failure report by ``who``."""
        self._update(who, self._failed(who))

    def delivery(self, who: Identity) -> InTransaction:
        """Return :meth:`delivered` as a step of the transaction that stores the result."""
        return self._step(who, lambda slot: self._delivered(who, slot.claimed_at))

    def failure(self, who: Identity) -> InTransaction:
        """Return :meth:`failed` as a step of the transaction that gives the slot back."""
        return self._step(who, lambda _slot: self._failed(who))

    def _step(self, who: Identity, change: Callable[[Slot], Change]) -> InTransaction:
        def step(uow: UnitOfWork, slot: Slot) -> None:
            try:
                self._change(uow, who, change(slot))
            except Exception:
                # As in _update. A database error there fails the commit, and with it the
                # request: the worker posts again, as after any database error.
                log.exception("could not update the registry row of a worker")

        return step

    def _delivered(self, who: Identity, claimed_at: datetime | None) -> Change:
        now = self._clock.now()
        seconds = None if claimed_at is None else (now - claimed_at).total_seconds()
        return lambda r: r.seen(who, now).delivered(seconds, now)

    def _failed(self, who: Identity) -> Change:
        now = self._clock.now()
        return lambda r: r.seen(who, now).failed(now)

    def fleet(self) -> list[WorkerStatus]:
        """Return every known worker with the slots it holds now, most recently seen first.

        A worker is gone when it was not seen for ``gone_after`` and holds no live lease: one
        drawing a picture for minutes need not poll, and its lease dies with it.
        """
        now = self._clock.now()
        after = timedelta(seconds=self.gone_after)
        with self._uow() as uow:
            records = uow.workers.all()
            held = uow.workers.held_slots(now)
        return [
            WorkerStatus(
                r,
                held.get(r.name, 0),
                r.gone(now, after) and not held.get(r.name, 0),
                max(0.0, (now - r.last_seen).total_seconds()),
            )
            for r in records
        ]

    def no_worker(self, fleet: list[WorkerStatus], queue: WorkQueue) -> NoWorkerCheck:
        """Return whether the doctor is to be warned that no worker makes x-rays."""
        quiet = min((s.seconds_since_seen for s in fleet), default=None)
        return NoWorkerCheck(queue.waiting_cases, queue.being_made, quiet, self.quiet_after)

    def others_alive(self, name: str) -> bool:
        """Whether a worker other than ``name`` was seen within ``gone_after``."""
        return any(not s.gone and s.record.name != name for s in self.fleet())

    def _update(self, who: Identity, change: Change) -> None:
        try:
            with self._uow() as uow:
                self._change(uow, who, change)
                uow.commit()
        except Exception:
            # The registry only observes: a result already stored must not answer 500
            # because its statistics could not be written.
            log.exception("could not update the registry row of a worker")

    def _change(self, uow: UnitOfWork, who: Identity, change: Change) -> None:
        # Known workers (nearly every call) need no insert: look for the row first.
        record = uow.workers.get(who.name, lock=True)
        if record is None:
            uow.workers.add_if_missing(WorkerRecord.new(who, self._clock.now()))
            record = uow.workers.get(who.name, lock=True)
        if record is not None:
            uow.workers.save(change(record))
