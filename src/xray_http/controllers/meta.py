"""``GET /health``."""

from __future__ import annotations

from litestar import Controller, get
from litestar.di import NamedDependency

from xray_core.jobs.service import JobService
from xray_http.controllers._base import in_thread
from xray_http.deps import AppDeps
from xray_http.schemas.api import Health


class MetaController(Controller):
    """Health checks for the operator and load balancers (public)."""

    @get("/health", summary="Whether the server and its database answer")
    async def health(
        self, jobs: NamedDependency[JobService], deps: NamedDependency[AppDeps]
    ) -> Health:
        """Touch the database and report the pending job count."""
        await in_thread(deps.health)
        pending = await in_thread(jobs.pending)
        return Health(status="ok", pending_jobs=len(pending))
