"""``GET /results``, ``GET /results/{job_id}/{option}`` and ``GET /confirm``."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency
from litestar.params import PathParameter, QueryParameter

from xray_core.auth.service import UrlSigner
from xray_core.jobs.model import ConfirmAction
from xray_core.jobs.service import ORIGINAL, JobService
from xray_http.auth import BEARER, requires_token, requires_token_or_signature
from xray_http.controllers._base import NO_CACHE, base_url, errors, in_thread
from xray_http.deps import AppDeps
from xray_http.schemas.api import JobFailures, JobMetadata, ResultsRead, Success

MAX_ID = 2**62
# Litestar writes ``le`` into the schema as a float (4.611686018427388e18, a little more than
# 2**62), so schema-valid ids just above the bound got a 400: state the bound exactly.
EXACT_MAX_ID: dict[str, object] = {"maximum": MAX_ID}


class ResultsController(Controller):
    """What the doctor reviews and decides."""

    @get(
        "/results",
        guards=[requires_token],
        security=BEARER,
        summary="List jobs awaiting confirmation",
        responses=errors(401),
    )
    async def results(
        self,
        request: Request[Any, Any, Any],
        jobs: NamedDependency[JobService],
        signer: NamedDependency[UrlSigner],
        deps: NamedDependency[AppDeps],
    ) -> ResultsRead:
        """Every pending job with the signed URLs of its original and the results so far."""
        pending = await in_thread(jobs.pending)
        base = base_url(request, deps)

        def url(path: str) -> str:
            expires, sig = signer.sign(path)
            return f"{base}{path}?expires={expires}&sig={sig}"

        return ResultsRead(
            metadata={
                str(j.id): JobMetadata(
                    j.info.first_name,
                    j.info.last_name,
                    j.info.animal_name,
                    j.info.animal_type,
                    j.info.broken_bone,
                )
                for j in pending
            },
            results={
                str(j.id): [url(f"/results/{j.id}/{i}") for i in range(len(j.results()))]
                for j in pending
            },
            originals={str(j.id): url(f"/results/{j.id}/{ORIGINAL}") for j in pending},
            results_per_image=jobs.results_per_image,
            failures={
                str(j.id): JobFailures(j.attempts, list(j.failures), jobs.failed(j))
                for j in pending
                if j.attempts
            },
        )

    @get(
        "/results/{job_id:int}/{option:str}",
        guards=[requires_token_or_signature],
        security=[*BEARER, {}],
        summary="Fetch a result (0, 1, ...) or the original of a pending job",
        media_type="image/png",
        responses=errors(400, 401, 404, 422),
    )
    async def image(
        self,
        job_id: Annotated[int, PathParameter(ge=0, le=MAX_ID, schema_extra=EXACT_MAX_ID)],
        option: Annotated[str, PathParameter(max_length=20)],
        jobs: NamedDependency[JobService],
    ) -> Response[bytes]:
        """Return the PNG, never cached (a retried job reuses the URLs)."""
        png = await in_thread(jobs.image, job_id, option)
        return Response(png, media_type="image/png", headers=NO_CACHE)

    @get(
        "/confirm",
        guards=[requires_token],
        security=BEARER,
        summary="Confirm a result, retry or cancel a job",
        responses=errors(400, 401, 404, 409, 422),
    )
    async def confirm(
        self,
        image_id: Annotated[int, QueryParameter(ge=0, le=MAX_ID, schema_extra=EXACT_MAX_ID)],
        confirm: Annotated[ConfirmAction, QueryParameter()],
        jobs: NamedDependency[JobService],
        choice: Annotated[int, QueryParameter(ge=0, le=1000)] = 0,
    ) -> Success:
        """Apply the doctor's decision."""
        await in_thread(jobs.decide, image_id, choice, confirm)
        return Success()
