"""``GET /results``, ``GET /results/{job_id}/{option}`` and ``GET /confirm``."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.params import PathParameter, QueryParameter
from litestar.response import Stream

from xray_core.auth.service import UrlSigner
from xray_core.jobs.edits import edit_version
from xray_core.jobs.model import ConfirmAction, Job
from xray_core.jobs.service import ORIGINAL, JobService
from xray_http.auth import BEARER, requires_token, requires_token_or_signature
from xray_http.controllers._base import NO_CACHE, base_url, errors, in_thread
from xray_http.controllers.media import signed_url
from xray_http.deps import AppDeps
from xray_http.schemas.api import (
    JobFailures,
    JobMetadata,
    JobPreviews,
    ResultsRead,
    SlotRead,
    Success,
)
from xray_http.streaming import stream_blob

MAX_ID = 2**62
# Litestar writes ``le`` into the schema as a float (4.611686018427388e18, a little more than
# 2**62), so schema-valid ids just above the bound got a 400: state the bound exactly.
EXACT_MAX_ID: dict[str, object] = {"maximum": MAX_ID}


def previews(job: Job, signer: UrlSigner, base: str, slots: int) -> JobPreviews:
    """Return the signed URLs of a job's web sizes: ``null`` for slots still empty."""
    results: list[str | None] = [
        signed_url(signer, base, str(s.result_key), "web") for s in job.results()
    ]
    return JobPreviews(
        original=signed_url(signer, base, job.original_key, "web"),
        results=results + [None] * (max(slots, len(job.slots)) - len(results)),
        thumb=signed_url(signer, base, job.original_key, "thumb"),
    )


def slot_states(jobs: JobService, job: Job) -> list[SlotRead]:
    """Return what each result slot of ``job`` shows: results first, then the empty ones."""
    return [
        SlotRead(v.state.value, v.worker, v.since.isoformat() if v.since else None, v.edits)
        for v in jobs.slot_views(job)
    ]


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

        def url(path: str, key: str | None = None) -> str:
            expires, sig = signer.sign(path)
            # A fracture edit changes the URL (v=...), so a browser fetches the new image.
            version = edit_version(key) if key else None
            tag = f"&v={version}" if version else ""
            return f"{base}{path}?expires={expires}&sig={sig}{tag}"

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
                str(j.id): [
                    url(f"/results/{j.id}/{i}", s.result_key) for i, s in enumerate(j.results())
                ]
                for j in pending
            },
            originals={str(j.id): url(f"/results/{j.id}/{ORIGINAL}") for j in pending},
            results_per_image=jobs.results_per_image,
            previews={
                str(j.id): previews(j, signer, base, jobs.results_per_image) for j in pending
            },
            failures={
                str(j.id): JobFailures(j.attempts, list(j.failures), jobs.failed(j))
                for j in pending
                if j.attempts
            },
            slots={str(j.id): slot_states(jobs, j) for j in pending},
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
    ) -> Stream:
        """Return the PNG, never cached (a retried job reuses the URLs)."""
        key = await in_thread(jobs.image_key, job_id, option)
        stream = await in_thread(jobs.library.open, key)
        return await stream_blob(stream, "image/png", NO_CACHE)

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
