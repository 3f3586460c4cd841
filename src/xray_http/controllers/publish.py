"""The family portal's publish API: booths deliver x-rays and deletions (extension, portal only)."""

from __future__ import annotations

import hmac
import logging
from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, delete, get, put
from litestar.connection import ASGIConnection
from litestar.di import NamedDependency
from litestar.handlers.base import BaseRouteHandler
from litestar.openapi.spec import SecurityScheme
from litestar.params import PathParameter, QueryParameter

from xray_core.errors import InvalidInputError
from xray_core.publishing.errors import PublishKeyError
from xray_core.publishing.model import Delivery
from xray_core.publishing.portal import PortalService
from xray_http.auth import deps_of
from xray_http.controllers._base import errors, in_thread
from xray_http.forms import FormField, file, form_operation, read_form, text

log = logging.getLogger("xray_http.publish")
PUBLISH_SCHEME = "PublishKey"
PUBLISH_SECURITY = SecurityScheme(
    type="http",
    scheme="bearer",
    description="The PUBLISH_KEY setting shared by the portal and its booths",
)
OWNER = PathParameter(
    description="SHA-256 (hex) of the owner's token", pattern="^[0-9a-f]{64}$", max_length=64
)
JOB = PathParameter(description="The booth's job id of the confirmed x-ray", ge=0, le=10**12)
ITEM_FIELDS = (
    FormField("xray", "file", True, "The approved x-ray PNG (kept byte for byte)."),
    FormField("photo", "file", True, "The photo as the booth keeps it (JPEG or PNG)."),
    FormField("photo_suffix", "string", True, "The photo's kind: .jpg, .png or .o<2-8>.jpg", 8),
    FormField("animal_name", "string", True, "The animal's name.", 100),
    FormField("animal_type", "string", True, "The animal's type.", 100),
    FormField("created_at", "string", True, "When it was confirmed (ISO 8601 with offset).", 40),
    FormField(
        "first_name", "string", False, "The child's first name, if the booth shares it.", 100
    ),
)


class DeletionRead(msgspec.Struct):
    """An owner whose pictures a family deleted on the portal."""

    id: int
    owner: str
    deleted_at: datetime


class DeletionsRead(msgspec.Struct):
    """Deletions after the asked id, oldest first."""

    deletions: list[DeletionRead]


def requires_publish_key(
    connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler
) -> None:
    """Let only requests with the portal's publish key through; log every other one."""
    expected = deps_of(connection).publish_key
    header = connection.headers.get("authorization", "")
    scheme, _space, given = header.partition(" ")
    good = bool(expected) and scheme.lower() == "bearer"
    if not (good and hmac.compare_digest(given.strip().encode(), expected.encode())):
        client = connection.client.host if connection.client else "unknown"
        log.warning(
            "refused a publish request from %s: %s publish key",
            client,
            "a wrong" if given else "no",
        )
        raise PublishKeyError


def _when(value: str | None) -> datetime:
    try:
        when = datetime.fromisoformat(value or "")
    except ValueError:
        raise InvalidInputError("created_at must be an ISO 8601 date and time") from None
    if when.tzinfo is None:
        raise InvalidInputError("created_at must carry its UTC offset")
    return when


class PublishController(Controller):
    """What booths send to the portal; every route needs the publish key."""

    path = "/publish"
    guards = [requires_publish_key]  # noqa: RUF012
    security = [{PUBLISH_SCHEME: []}]  # noqa: RUF012
    tags = ["publish"]  # noqa: RUF012

    @put(
        "/owners/{owner:str}/items/{job_id:int}",
        summary="Keep one confirmed x-ray for an owner (idempotent)",
        operation_class=form_operation(*ITEM_FIELDS, multipart=True),
        responses=errors(401, 413, 415, 422),
        status_code=200,
    )
    async def put_item(
        self,
        request: Request[Any, Any, Any],
        owner: Annotated[str, OWNER],
        job_id: Annotated[int, JOB],
        portal: NamedDependency[PortalService],
    ) -> Response[dict[str, bool]]:
        """Store the x-ray and photo: 201 when new, 200 when it was there (or deleted) already."""
        form = await read_form(request)
        delivery = Delivery(
            owner=owner,
            job_id=job_id,
            first_name=text(form, "first_name") or "",
            animal_name=text(form, "animal_name") or "",
            animal_type=text(form, "animal_type") or "",
            created_at=_when(text(form, "created_at")),
            xray=await file(form, "xray"),
            photo=await file(form, "photo"),
            photo_suffix=text(form, "photo_suffix") or "",
        )
        fresh = await in_thread(portal.receive, delivery)
        return Response({"stored": fresh}, status_code=201 if fresh else 200)

    @delete(
        "/owners/{owner:str}/items/{job_id:int}",
        summary="Remove what a job published (it was retried or cancelled)",
        responses=errors(401, 422),
    )
    async def withdraw(
        self,
        owner: Annotated[str, OWNER],
        job_id: Annotated[int, JOB],
        portal: NamedDependency[PortalService],
    ) -> None:
        """Delete the job's x-ray of this owner, if there is one."""
        await in_thread(portal.withdraw, owner, job_id)

    @delete(
        "/owners/{owner:str}",
        summary="Delete every picture of an owner (deleted on the booth)",
        responses=errors(401, 422),
    )
    async def delete_owner(
        self, owner: Annotated[str, OWNER], portal: NamedDependency[PortalService]
    ) -> None:
        """Delete the owner's rows and files now."""
        await in_thread(portal.delete_owner, owner)

    @get(
        "/deletions",
        summary="Owners whose family deleted their pictures here, after a given id",
        responses=errors(401, 400),
    )
    async def deletions(
        self,
        portal: NamedDependency[PortalService],
        after: Annotated[int, QueryParameter(name="after", ge=0, le=2**62)] = 0,
    ) -> DeletionsRead:
        """Return up to 500 deletions after ``after``; booths repeat them."""
        found = await in_thread(portal.deletions, after)
        return DeletionsRead([DeletionRead(d.id, d.owner, d.deleted_at) for d in found])
