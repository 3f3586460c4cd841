"""``GET /health/live``, ``GET /health/ready`` and its alias ``GET /health`` (public)."""

from __future__ import annotations

from litestar import Controller, Response, get
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec

from xray_core.jobs.model import JobStatus
from xray_core.jobs.service import JobService
from xray_http.controllers._base import NO_CACHE, in_thread
from xray_http.deps import AppDeps
from xray_http.schemas.health import Live, Ready

UNAVAILABLE = {503: ResponseSpec(Ready, description="A dependency failed; `reason` says which.")}


async def _ready(deps: AppDeps, jobs: JobService | None = None) -> Response[Ready]:
    readiness = await in_thread(deps.health.ready)
    if not readiness.ok:
        body = Ready(status="unavailable", checks=readiness.checks, reason=readiness.reason)
        return Response(body, status_code=503, headers=NO_CACHE)
    pending = None
    if jobs is not None:
        pending = (await in_thread(jobs.counts)).by_status[JobStatus.ACTIVE]
    body = Ready(status="ok", checks=readiness.checks, pending_jobs=pending)
    return Response(body, status_code=200, headers=NO_CACHE)


class HealthController(Controller):
    """Health checks for the operator, load balancers and orchestrators."""

    @get("/health/live", summary="Whether the process answers (no I/O)")
    async def live(self) -> Response[Live]:
        """Answer at once: the process and its event loop are alive."""
        return Response(Live(), headers=NO_CACHE)

    @get(
        "/health/ready",
        summary="Whether the database answers and the data dir is writable with space left",
        responses=UNAVAILABLE,
    )
    async def ready(self, deps: NamedDependency[AppDeps]) -> Response[Ready]:
        """Run the probes (one second each at most): 200, or 503 with the failing one."""
        return await _ready(deps)

    @get(
        "/health",
        summary="Alias of /health/ready, with the pending job count (a cheap count)",
        responses=UNAVAILABLE,
    )
    async def health(
        self, deps: NamedDependency[AppDeps], jobs: NamedDependency[JobService]
    ) -> Response[Ready]:
        """Answer like /health/ready, adding ``pending_jobs`` when ready."""
        return await _ready(deps, jobs)
