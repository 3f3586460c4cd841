"""The booth's HTTP client of the portal's publish API: the adapter of the Publisher port."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime

import httpx

from xray_core.images.model import media_type_of
from xray_core.publishing.errors import PublishError
from xray_core.publishing.model import Deletion, Delivery

log = logging.getLogger("xray_http.publisher")
# A proxy in front of a stopped portal answers these: the portal is not reachable.
_UNREACHABLE = {502, 503, 504}


class PortalPublisher:
    """Delivers outbox entries to ``{portal_url}/publish/...`` with the publish key."""

    def __init__(
        self,
        portal_url: str,
        key: str,
        *,
        timeout: float = 30.0,
        client: httpx.Client | None = None,
    ) -> None:
        """``client`` (tests: an in-process portal) replaces the pool made for ``portal_url``."""
        self._base = portal_url.rstrip("/")
        self._auth = {"Authorization": f"Bearer {key}"}
        self._client = client or httpx.Client(base_url=self._base, timeout=timeout)

    @property
    def target(self) -> str:
        """The portal's URL."""
        return self._base

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()

    def put(self, delivery: Delivery) -> None:
        """PUT the x-ray and the photo with their details (idempotent on the portal)."""
        photo_name = f"photo{delivery.photo_suffix}"
        data = {
            "first_name": delivery.first_name,
            "animal_name": delivery.animal_name,
            "animal_type": delivery.animal_type,
            "created_at": delivery.created_at.isoformat(),
            "photo_suffix": delivery.photo_suffix,
        }
        files = {
            "xray": ("xray.png", delivery.xray, "image/png"),
            "photo": (photo_name, delivery.photo, media_type_of(photo_name)),
        }
        path = f"/owners/{delivery.owner}/items/{delivery.job_id}"
        self._send("PUT", path, data=data, files=files)

    def withdraw(self, owner: str, job_id: int) -> None:
        """DELETE one job's item."""
        self._send("DELETE", f"/owners/{owner}/items/{job_id}")

    def delete_owner(self, owner: str) -> None:
        """DELETE every item of an owner."""
        self._send("DELETE", f"/owners/{owner}")

    def deletions(self, after: int) -> list[Deletion]:
        """GET the families' deletions after ``after``."""
        answer = self._send("GET", "/deletions", params={"after": after})
        try:
            return [
                Deletion(int(d["id"]), str(d["owner"]), datetime.fromisoformat(d["deleted_at"]))
                for d in answer.json()["deletions"]
            ]
        except (ValueError, KeyError, TypeError) as exc:
            raise PublishError(f"the portal sent an unreadable answer: {exc}") from exc

    def _send(self, method: str, path: str, **kwargs: object) -> httpx.Response:
        try:
            answer = self._client.request(
                method,
                f"/publish{path}",
                headers=self._auth,
                **kwargs,  # type: ignore[arg-type]
            )
        except httpx.HTTPError as exc:
            raise PublishError(
                f"the portal {self._base} cannot be reached: {exc}", reachable=False
            ) from exc
        if answer.status_code in _UNREACHABLE:
            raise PublishError(f"the portal answered {answer.status_code}", reachable=False)
        if answer.status_code == 401:  # nothing can go until the key is fixed
            raise PublishError(
                "the portal refused the publish key (401): check PUBLISH_KEY", reachable=False
            )
        if answer.status_code >= 400:
            raise PublishError(f"the portal answered {answer.status_code}: {answer.text[:200]}")
        return answer


class PublishLoop:
    """Runs the publisher in a thread of the booth process: every ``interval`` s, or when woken."""

    def __init__(self, run_once: Callable[[], int], interval: float = 0.25) -> None:
        self._run_once = run_once
        self._interval = interval
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the thread (once)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="publisher", daemon=True)
            self._thread.start()

    def wake(self) -> None:
        """Run a round now (after a confirm, or "publish now")."""
        self._wake.set()

    def stop(self) -> None:
        """Stop after the round in hand."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self._run_once()
            except Exception:  # a busy database, a bug: log it and keep publishing
                log.exception("publishing round failed")
            self._wake.wait(self._interval)
            self._wake.clear()
