"""The worker: polls ``GET /job``, runs a generator, posts the result with ``POST /job``.

It is an HTTP client of the API contract and nothing else. Empty queue: it backs off from
0.2 s up to 5 s, with jitter, so that many workers do not poll a restarted server in step.
Server down or restarting: it retries with backoff and never crashes. While generating it
extends its lease at half the lease time (``POST /job/lease``); a 409 there (the doctor
retried or cancelled, or the slot went to another worker) drops the work at once. Every
exception of the generator is reported with ``POST /job/failed`` and the thread carries on.
On stop (SIGINT/SIGTERM) each thread finishes the result in hand, posts it, and exits.
"""

from __future__ import annotations

import hashlib
import importlib
import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import entry_points

from xray_core.generation.model import GenerationRequest
from xray_core.generation.ports import Generator
from xray_http.client import RefusedError, ServerUnavailableError, WorkItem, XrayClient

log = logging.getLogger("teddy_xray.worker")
GENERATOR_GROUP = "teddy_xray.generators"


def load_generator(name: str) -> Generator:
    """Return a new instance of the generator plugin registered under ``name``.

    Raises:
        LookupError: no plugin of that name is installed.
    """
    if ":" in name:  # "package.module:factory", a generator that is not installed as a plugin
        module, _, attr = name.partition(":")
        try:
            factory: Callable[[], Generator] = getattr(importlib.import_module(module), attr)
        except (ImportError, AttributeError) as exc:
            raise LookupError(f"no generator {name!r} ({exc})") from exc
        return factory()
    found = {ep.name: ep for ep in entry_points(group=GENERATOR_GROUP)}
    if name not in found:
        known = ", ".join(sorted(found)) or "none"
        raise LookupError(f"no generator {name!r} (installed: {known})")
    plugin: Callable[[], Generator] = found[name].load()
    return plugin()


def seed_for(item: WorkItem) -> int:
    """Return a seed that differs between the options of one job and repeats for a slot."""
    variant = str(item.slot) if item.slot is not None else (item.lease_id or str(time.time_ns()))
    digest = hashlib.sha256(f"{item.job_id}:{variant}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


@dataclass
class Backoff:
    """Waits that grow while there is nothing to do (or the server is away), capped."""

    first: float = 0.2
    cap: float = 5.0
    factor: float = 1.6
    current: float = 0.0

    jitter: float = 0.5

    def next(self) -> float:
        """Return the next wait (randomly up to ``jitter`` shorter) and grow it."""
        self.current = (
            self.first if self.current == 0 else min(self.cap, self.current * self.factor)
        )
        return self.current * (1 - self.jitter * random.random())  # noqa: S311  (not crypto)

    def reset(self) -> None:
        """Start again from the shortest wait (work was found)."""
        self.current = 0.0


class Worker:
    """Runs ``concurrency`` polling threads against one server."""

    def __init__(
        self,
        client: XrayClient,
        generator: Generator,
        *,
        concurrency: int = 1,
        first_wait: float = 0.2,
        max_wait: float = 5.0,
        workflows: tuple[str, ...] = (),
        fallback_after: float | None = None,
    ) -> None:
        self._client = client
        self._generator = generator
        self._concurrency = max(1, concurrency)
        self._waits = (first_wait, max_wait)
        self._workflows = workflows
        self._fallback = Fallback(client, fallback_after) if fallback_after is not None else None
        self.stopping = threading.Event()
        self.done = 0
        self.failed = 0
        self.dropped = 0

    def stop(self) -> None:
        """Ask every thread to finish the result in hand and exit."""
        self.stopping.set()

    def run(self) -> None:
        """Run until :meth:`stop` is called."""
        threads = [
            threading.Thread(target=self._loop, name=f"worker-{i}", daemon=True)
            for i in range(self._concurrency)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            while thread.is_alive():
                thread.join(timeout=0.5)

    def _loop(self) -> None:
        backoff = Backoff(*self._waits)
        while not self.stopping.is_set():
            try:
                self._once(backoff)
            except Exception:
                # Nothing may end a worker thread silently: log it, wait, poll again.
                wait = backoff.next()
                log.exception("worker thread error; carrying on in %.1f s", wait)
                self.stopping.wait(wait)

    def _once(self, backoff: Backoff) -> None:
        """Poll once and work on what comes back."""
        min_age = self._fallback.min_age() if self._fallback else None
        try:
            item = self._client.claim(min_age=min_age, workflows=self._workflows)
        except ServerUnavailableError as exc:
            wait = backoff.next()
            log.warning("server unavailable (%s); retrying in %.1f s", exc, wait)
            self.stopping.wait(wait)
            return
        except RefusedError as exc:
            wait = backoff.next()
            log.error("server refused GET /job (%s); retrying in %.1f s", exc, wait)
            self.stopping.wait(wait)
            return
        if item is None:
            self.stopping.wait(backoff.next())
            return
        if self._work(item):
            backoff.reset()
        else:
            # After a failure, pause (growing) before the next claim: a worker whose GPU
            # died must not burn through every job's attempts within seconds.
            self.stopping.wait(backoff.next())

    def _work(self, item: WorkItem) -> bool:
        """Generate and post one result; return whether the generator succeeded."""
        started = time.perf_counter()
        request = GenerationRequest(
            job_id=item.job_id,
            seed=seed_for(item),
            broken_bone=item.broken_bone,
            animal_type=item.animal_type,
            animal_name=item.animal_name,
            option=item.slot,
            hospital_name=item.hospital_name,
            taken_on=datetime.now(UTC).date(),
        )
        outcome = self._generate(item, request)
        if isinstance(outcome, BaseException):
            self._report_failure(item, outcome)
            return False
        if outcome is None:
            self.dropped += 1
            return True
        self._post(item, outcome)
        log.info(
            "job %d slot %s: %s took %.2f s",
            item.job_id,
            item.slot,
            self._generator.name,
            time.perf_counter() - started,
        )
        return True

    def _generate(self, item: WorkItem, request: GenerationRequest) -> bytes | Exception | None:
        """Run the generator, keeping the lease alive; ``None`` when the lease was lost.

        The generator runs in its own thread so that this one can extend the lease at half
        the lease time and, when an extension is refused, drop the work at once (the
        abandoned generation finishes in the background and its result is thrown away).
        """
        box: list[bytes | Exception] = []
        finished = threading.Event()

        def run() -> None:
            try:
                box.append(self._generator.generate(item.photo, request))
            except Exception as exc:  # every failure is reported, none ends a thread
                box.append(exc)
            finally:
                finished.set()

        threading.Thread(target=run, name=f"generate-{item.job_id}", daemon=True).start()
        every = max(0.5, (item.lease_seconds or 0) / 2) if item.lease_id else None
        while not finished.wait(every):
            try:
                self._client.extend(item)
            except RefusedError as exc:
                log.warning("job %d: lease lost (%s); dropping the work", item.job_id, exc)
                return None
            except ServerUnavailableError as exc:
                log.warning("job %d: could not extend the lease (%s)", item.job_id, exc)
        return box[0]

    def _report_failure(self, item: WorkItem, exc: Exception) -> None:
        """Tell the server the generator failed, so the slot goes back to the queue at once."""
        self.failed += 1
        reason = f"{self._generator.name}: {type(exc).__name__}: {exc}"[:500]
        log.error("job %d: %s", item.job_id, reason)
        if not item.lease_id:
            return  # a server without leases has no /job/failed either
        try:
            self._client.fail(item, reason)
        except (RefusedError, ServerUnavailableError) as report_exc:
            log.warning("job %d: failure not reported (%s)", item.job_id, report_exc)

    def _post(self, item: WorkItem, result: bytes) -> None:
        """Post the result; keep trying while the server is away (even when stopping, briefly)."""
        backoff = Backoff(*self._waits)
        deadline = None
        while True:
            try:
                self._client.submit(item, result)
            except RefusedError as exc:
                # 409: the job was confirmed, cancelled or re-leased meanwhile; nothing to do.
                log.warning("job %d: result not taken (%s)", item.job_id, exc)
                return
            except ServerUnavailableError as exc:
                if self.stopping.is_set():
                    deadline = deadline or time.monotonic() + 10
                    if time.monotonic() > deadline:
                        log.error(
                            "job %d: giving up on the result, server away (%s)", item.job_id, exc
                        )
                        return
                wait = backoff.next()
                log.warning(
                    "job %d: server unavailable (%s); retrying in %.1f s", item.job_id, exc, wait
                )
                time.sleep(wait)
            else:
                self.done += 1
                return


class Fallback:
    """Leaves fresh jobs to other workers while one was seen in the last minute.

    The built-in CPU worker uses it, so a booth with a GPU worker gets GPU x-rays, and a
    booth whose GPU worker died still gets x-rays, ``after`` seconds late at most.
    """

    def __init__(self, client: XrayClient, after: float, *, check_every: float = 5.0) -> None:
        self._client = client
        self._after = after
        self._check_every = check_every
        self._checked = -check_every
        self._others = False
        self._lock = threading.Lock()

    def min_age(self) -> float | None:
        """Return the ``min_age`` to claim with: ``after`` while others are alive, else none."""
        with self._lock:
            if time.monotonic() - self._checked >= self._check_every:
                self._checked = time.monotonic()
                try:
                    fleet = self._client.workers()
                except (RefusedError, ServerUnavailableError):
                    fleet = []
                self._others = any(
                    w.get("state") != "gone" and w.get("name") != self._client.name for w in fleet
                )
            return self._after if self._others else None
