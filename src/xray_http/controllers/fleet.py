"""The worker fleet: ``GET /workers``, ``POST /job/lease`` and ``POST /job/failed`` (extensions)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency

from xray_core.jobs.errors import InvalidFieldError
from xray_core.jobs.service import MAX_REASON, JobService
from xray_core.workers.service import WorkerRegistry
from xray_http.auth import BEARER, requires_token
from xray_http.controllers._base import errors, in_thread
from xray_http.forms import FormField, form_operation, read_form, text
from xray_http.identity import identity
from xray_http.schemas.api import LeaseExtended, Success, WorkerRead, WorkersRead

LEASE_FIELDS = (
    FormField("image_id", "integer", True, "ID of the job (img_id of GET /job).", 10**12 - 1),
    FormField("lease_id", "string", True, "The lease id GET /job sent.", 64),
)
FAILED_FIELDS = (
    *LEASE_FIELDS,
    FormField("reason", "string", True, "Why generation failed.", MAX_REASON),
)


def job_id(raw: str | None) -> int:
    """Return the ``image_id`` form field as a job id, or raise a clear 422."""
    value = (raw or "").strip()
    if not (value.isascii() and value.isdigit()) or len(value) > 12:
        raise InvalidFieldError("image_id", "is required and must be a job id (an integer)")
    return int(value)


def lease_id(raw: str | None) -> str:
    """Return the ``lease_id`` form field, or raise a clear 422."""
    value = (raw or "").strip()
    if not value or len(value) > 64:
        raise InvalidFieldError("lease_id", "is required: the lease_id header of GET /job")
    return value


class FleetController(Controller):
    """Leases kept alive, failures reported, and the fleet listed."""

    guards = [requires_token]  # noqa: RUF012
    security = BEARER

    @post(
        "/job/lease",
        status_code=200,
        summary="Extend a lease while the worker is still generating (extension)",
        operation_class=form_operation(*LEASE_FIELDS, multipart=False),
        responses=errors(401, 404, 409, 422),
    )
    async def extend(
        self,
        request: Request[Any, Any, Any],
        jobs: NamedDependency[JobService],
        workers: NamedDependency[WorkerRegistry],
    ) -> LeaseExtended:
        """Extend the lease by the lease time; 409 if it expired, moved on or was retried."""
        form = await read_form(request)
        until = await in_thread(
            jobs.extend, job_id(text(form, "image_id")), lease_id(text(form, "lease_id"))
        )
        await in_thread(workers.seen, identity(request))
        return LeaseExtended(leased_until=until.isoformat(), lease_seconds=jobs.lease_seconds)

    @post(
        "/job/failed",
        status_code=200,
        summary="Report that generation failed: the slot goes back to the queue now (extension)",
        operation_class=form_operation(*FAILED_FIELDS, multipart=False),
        responses=errors(401, 404, 409, 422),
    )
    async def failed(
        self,
        request: Request[Any, Any, Any],
        jobs: NamedDependency[JobService],
        workers: NamedDependency[WorkerRegistry],
    ) -> Success:
        """Give the slot back and count the failed attempt."""
        form = await read_form(request)
        reason = text(form, "reason")
        if reason is None:
            raise InvalidFieldError("reason", "is required: say why generation failed")
        await in_thread(
            jobs.fail,
            job_id(text(form, "image_id")),
            lease_id(text(form, "lease_id")),
            reason,
            also=workers.failure(identity(request)),
        )
        return Success()

    @get(
        "/workers",
        summary="List the workers seen, with their state and speed (extension)",
        responses=errors(401),
    )
    async def fleet(
        self, workers: NamedDependency[WorkerRegistry], jobs: NamedDependency[JobService]
    ) -> WorkersRead:
        """Every worker seen, most recently seen first, and whether the doctor is to be warned."""
        fleet = await in_thread(workers.fleet)
        check = workers.no_worker(fleet, await in_thread(jobs.work_queue))
        listed = [
            WorkerRead(
                name=w.record.name,
                state="gone" if w.gone else ("working" if w.slots_held else "idle"),
                first_seen=w.record.first_seen.isoformat(),
                last_seen=w.record.last_seen.isoformat(),
                seconds_since_seen=round(w.seconds_since_seen, 1),
                address=w.record.address,
                user_agent=w.record.user_agent,
                info=w.record.info,
                slots_held=w.slots_held,
                results=w.record.results,
                failures=w.record.failures,
                mean_seconds=_round(w.record.mean_seconds),
                p95_seconds=_round(w.record.p95_seconds),
            )
            for w in fleet
        ]
        return WorkersRead(
            workers=listed,
            alive=sum(1 for w in fleet if not w.gone),
            no_worker=check.warn,
            waiting_cases=check.waiting_cases,
            being_made=check.being_made,
            quiet_seconds=_round(check.quiet_seconds),
            no_worker_after=check.quiet_after,
            gone_after=workers.gone_after,
        )


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)
