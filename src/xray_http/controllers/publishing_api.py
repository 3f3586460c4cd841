"""``/publishing``: the booth's publishing status and "publish now" for the admin (extension)."""

from __future__ import annotations

import ipaddress
from datetime import datetime
from urllib.parse import urlsplit

import msgspec
from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody

from xray_core.errors import NotFoundError
from xray_core.publishing.model import PublishStatus
from xray_core.publishing.purge import EventPurge
from xray_http.auth import BEARER, requires_token
from xray_http.controllers._base import errors, in_thread
from xray_http.deps import AppDeps

_LOCAL_SUFFIXES = (".local", ".lan", ".home", ".internal", ".localdomain", ".home.arpa")


def private_url(url: str) -> bool:
    """Whether ``url`` points at a loopback or private address, unreachable from a family's home."""
    host = (urlsplit(url).hostname or "").lower().rstrip(".")
    if not host:
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host == "localhost" or "." not in host or host.endswith(_LOCAL_SUFFIXES)
    return address.is_private or address.is_loopback or address.is_link_local


class PublishingRead(msgspec.Struct):
    """Where owner links point and what has reached the family portal."""

    enabled: bool
    owner_url: str
    owner_url_private: bool
    target: str = ""
    published: int = 0
    waiting: int = 0
    failing: int = 0
    last_error: str = ""
    next_attempt: datetime | None = None


def _read(deps: AppDeps, status: PublishStatus | None) -> PublishingRead:
    read = PublishingRead(
        enabled=status is not None,
        owner_url=deps.owner_url,
        owner_url_private=private_url(deps.owner_url),
    )
    if status is None:
        return read
    return msgspec.structs.replace(
        read,
        target=status.target,
        published=status.published,
        waiting=status.waiting,
        failing=status.failing,
        last_error=status.last_error,
        next_attempt=status.next_attempt,
    )


class PublishingController(Controller):
    """Publishing as the admin page shows it."""

    path = "/publishing"
    guards = [requires_token]  # noqa: RUF012
    security = BEARER

    @get("/", summary="Owner links and publishing to the family portal", responses=errors(401))
    async def status(self, deps: NamedDependency[AppDeps]) -> PublishingRead:
        """Return where QR codes point (and whether that is private) and the outbox's state."""
        found = None if deps.publishing is None else await in_thread(deps.publishing.status)
        return _read(deps, found)

    @post(
        "/now",
        status_code=200,
        summary='"Publish now": retry what waits at once',
        responses=errors(401),
    )
    async def now(self, deps: NamedDependency[AppDeps]) -> PublishingRead:
        """Make every waiting entry due and wake the publisher."""
        if deps.publishing is not None:
            await in_thread(deps.publishing.retry_now)
            if deps.publish_now is not None:
                deps.publish_now()
        found = None if deps.publishing is None else await in_thread(deps.publishing.status)
        return _read(deps, found)


class PurgeRead(msgspec.Struct):
    """What the end-of-event purge deletes (before), or deleted (after)."""

    cases: int
    owner_items: int
    qr_batches: int
    waiting: int
    unpublished: str
    files: int = 0
    done: bool = False


class PurgeWrite(msgspec.Struct):
    """Purge even what is not published yet."""

    force: bool = False


class EventPurgeController(Controller):
    """The admin page's "the event is over" button."""

    path = "/publishing/purge"
    guards = [requires_token]  # noqa: RUF012
    security = BEARER

    @get("/", summary="What the end-of-event purge would delete", responses=errors(401, 404))
    async def preview(self, deps: NamedDependency[AppDeps]) -> PurgeRead:
        """Count the cases, family x-rays, QR batches and unsent entries."""
        purge = _purger(deps)
        counts = await in_thread(purge.summary)
        return PurgeRead(
            cases=counts["cases"],
            owner_items=counts["owner_items"],
            qr_batches=counts["qr_batches"],
            waiting=counts["waiting"],
            unpublished=await in_thread(purge.unpublished),
        )

    @post(
        "/",
        status_code=200,
        summary="Delete every photo, result, name and QR batch from the booth",
        responses=errors(401, 404, 409),
    )
    async def purge(self, deps: NamedDependency[AppDeps], data: JSONBody[PurgeWrite]) -> PurgeRead:
        """Purge (409 while anything is unpublished, unless ``force``); the portal keeps its own."""
        purge = _purger(deps)
        counts = await in_thread(purge.summary)
        report = await in_thread(purge.purge, force=data.force)
        files = report.blobs
        if deps.after_purge is not None:
            files += await in_thread(deps.after_purge)
        return PurgeRead(
            cases=counts["cases"],
            owner_items=counts["owner_items"],
            qr_batches=counts["qr_batches"],
            waiting=counts["waiting"],
            unpublished="",
            files=files,
            done=True,
        )


def _purger(deps: AppDeps) -> EventPurge:
    if deps.event_purge is None:
        raise NotFoundError("no purge on this server")
    return deps.event_purge
