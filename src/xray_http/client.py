"""A typed HTTP client of our own User API, used by the worker.

It speaks only the API contract (plus the optional extensions ``lease_id``, ``slot`` and
``broken_bone`` headers when a server sends them), so it works against any server that
speaks the contract.
"""

from __future__ import annotations

import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import unquote

import httpx

from xray_core.generation.model import DEFAULT_HOSPITAL_NAME
from xray_http.headers import ENCODING_HEADER, EXACT_SUFFIX, PERCENT, decode_extra

TokenSource = Callable[[httpx.Client], str]


class ServerUnavailableError(Exception):
    """The server could not be reached or answered 5xx: try again later."""


class RefusedError(Exception):
    """The server refused the request (4xx other than 401); retrying will not help."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(f"{status}: {detail}")
        self.status = status
        self.detail = detail


@dataclass(frozen=True, slots=True)
class WorkItem:
    """One leased result slot: the photo and the job's metadata."""

    job_id: int
    photo: bytes
    first_name: str
    last_name: str
    animal_name: str
    animal_type: str
    broken_bone: bool
    lease_id: str | None
    slot: int | None
    hospital_name: str = DEFAULT_HOSPITAL_NAME
    workflow: str = ""
    lease_seconds: float | None = None


def password_login(password: str) -> TokenSource:
    """Return a token source that logs in with the booth password via ``POST /token``."""

    def login(http: httpx.Client) -> str:
        response = http.post("/token", data={"password": password})
        if response.status_code == 401:
            raise RefusedError(401, "wrong password")
        _raise_for(response)
        return str(response.json()["access_token"])

    return login


def _raise_for(response: httpx.Response) -> None:
    if response.status_code >= 500:
        raise ServerUnavailableError(f"server answered {response.status_code}")
    if response.status_code >= 400:
        try:
            detail = str(response.json().get("detail", response.text))
        except ValueError:
            detail = response.text
        raise RefusedError(response.status_code, detail[:300])


class XrayClient:
    """Claims work and posts results; logs in again when the token is refused."""

    def __init__(
        self,
        base_url: str,
        token_source: TokenSource,
        *,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
        verify: ssl.SSLContext | bool = True,
        name: str = "",
        info: str = "",
    ) -> None:
        self._http = httpx.Client(
            base_url=base_url.rstrip("/"), timeout=timeout, transport=transport, verify=verify
        )
        self.name = name
        if name:
            self._http.headers["worker_name"] = name
        if info:
            self._http.headers["worker_info"] = info
        self._token_source = token_source
        self._token: str | None = None
        self._lock = threading.Lock()

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def claim(
        self, *, min_age: float | None = None, workflows: tuple[str, ...] = ()
    ) -> WorkItem | None:
        """Lease the next result slot, or return ``None`` when the queue is empty (204).

        ``min_age`` and ``workflows`` (extensions) leave younger jobs and other workflows.
        """
        params: dict[str, str] = {}
        if min_age is not None:
            params["min_age"] = f"{min_age:g}"
        if workflows:
            params["workflow"] = ",".join(workflows)
        response = self._request("GET", "/job", params=params or None)
        if response.status_code == 204:
            return None
        _raise_for(response)
        h = response.headers

        def name(key: str) -> str:
            if h.get(ENCODING_HEADER) != PERCENT:
                return str(h.get(key, ""))
            # The exact name; servers before the *_utf8 headers percent-encoded the name itself.
            return unquote(str(h.get(key + EXACT_SUFFIX, h.get(key, ""))))

        slot = h.get("slot", "")
        lease = h.get("lease_seconds", "")
        return WorkItem(
            job_id=int(h["img_id"]),
            photo=response.content,
            first_name=name("first_name"),
            last_name=name("last_name"),
            animal_name=name("animal_name"),
            animal_type=h.get("animal_type", "other"),
            broken_bone=h.get("broken_bone", "").lower() in {"true", "1", "yes"},
            lease_id=h.get("lease_id") or None,
            slot=int(slot) if slot.isascii() and slot.isdigit() else None,
            hospital_name=decode_extra(h, "hospital_name", DEFAULT_HOSPITAL_NAME),
            workflow=h.get("workflow", ""),
            lease_seconds=float(lease) if lease.isascii() and lease.isdigit() else None,
        )

    def submit(self, item: WorkItem, result_png: bytes) -> None:
        """Post a result for ``item`` (with its lease id when the server gave one)."""
        data = {"image_id": str(item.job_id)}
        if item.lease_id:
            data["lease_id"] = item.lease_id
        files = {"result": ("result.png", result_png, "image/png")}
        _raise_for(self._request("POST", "/job", data=data, files=files))

    def extend(self, item: WorkItem) -> None:
        """Extend the lease of ``item`` (``POST /job/lease``); 409 means: drop the work."""
        data = {"image_id": str(item.job_id), "lease_id": item.lease_id or ""}
        _raise_for(self._request("POST", "/job/lease", data=data))

    def fail(self, item: WorkItem, reason: str) -> None:
        """Report that generation failed (``POST /job/failed``): the slot returns at once."""
        data = {"image_id": str(item.job_id), "lease_id": item.lease_id or "", "reason": reason}
        _raise_for(self._request("POST", "/job/failed", data=data))

    def workers(self) -> list[dict[str, object]]:
        """Return the fleet as ``GET /workers`` lists it."""
        response = self._request("GET", "/workers")
        _raise_for(response)
        listed: list[dict[str, object]] = response.json()["workers"]
        return listed

    def _request(
        self,
        method: str,
        path: str,
        data: dict[str, str] | None = None,
        files: dict[str, tuple[str, bytes, str]] | None = None,
        params: dict[str, str] | None = None,
    ) -> httpx.Response:
        for attempt in range(2):
            token = self._current_token(renew=attempt > 0)
            try:
                response = self._http.request(
                    method,
                    path,
                    headers={"Authorization": f"Bearer {token}"},
                    data=data,
                    files=files,
                    params=params,
                )
            except httpx.TransportError as exc:
                raise ServerUnavailableError(str(exc) or type(exc).__name__) from exc
            if response.status_code != 401:
                return response
        return response

    def _current_token(self, *, renew: bool) -> str:
        with self._lock:
            if self._token is None or renew:
                if self._token is not None:
                    # Renewing: the old token marks us as a device that logged in before.
                    self._http.headers["Authorization"] = f"Bearer {self._token}"
                try:
                    self._token = self._token_source(self._http)
                except httpx.TransportError as exc:
                    raise ServerUnavailableError(str(exc) or type(exc).__name__) from exc
            return self._token
