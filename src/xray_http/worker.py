"""The worker: polls ``GET /job``, runs a generator, posts the result with ``POST /job``.

It is an HTTP client of the API contract and nothing else. Empty queue: it backs off from
0.2 s up to 5 s. Server down or restarting: it retries with backoff and never crashes. On
stop (SIGINT/SIGTERM) each thread finishes the result in hand, posts it, and exits.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import entry_points

from xray_core.errors import XrayError
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
    found = {ep.name: ep for ep in entry_points(group=GENERATOR_GROUP)}
    if name not in found:
        known = ", ".join(sorted(found)) or "none"
        raise LookupError(f"no generator {name!r} (installed: {known})")
    factory: Callable[[], Generator] = found[name].load()
    return factory()


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

    def next(self) -> float:
        """Return the next wait and grow it."""
        self.current = (
            self.first if self.current == 0 else min(self.cap, self.current * self.factor)
        )
        return self.current

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
    ) -> None:
        self._client = client
        self._generator = generator
        self._concurrency = max(1, concurrency)
        self._waits = (first_wait, max_wait)
        self.stopping = threading.Event()
        self.done = 0

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
                item = self._client.claim()
            except ServerUnavailableError as exc:
                wait = backoff.next()
                log.warning("server unavailable (%s); retrying in %.1f s", exc, wait)
                self.stopping.wait(wait)
                continue
            except RefusedError as exc:
                wait = backoff.next()
                log.error("server refused GET /job (%s); retrying in %.1f s", exc, wait)
                self.stopping.wait(wait)
                continue
            if item is None:
                self.stopping.wait(backoff.next())
                continue
            backoff.reset()
            self._work(item)

    def _work(self, item: WorkItem) -> None:
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
        try:
            result = self._generator.generate(item.photo, request)
        except XrayError as exc:
            log.error("job %d: %s could not draw it: %s", item.job_id, self._generator.name, exc)
            return
        self._post(item, result)
        log.info(
            "job %d slot %s: %s took %.2f s",
            item.job_id,
            item.slot,
            self._generator.name,
            time.perf_counter() - started,
        )

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
