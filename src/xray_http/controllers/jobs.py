"""``POST /upload``, ``GET /job`` and ``POST /job``."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import ResponseHeader
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Link, Operation
from litestar.params import QueryParameter

from xray_core.jobs.errors import InvalidFieldError
from xray_core.jobs.service import JobService
from xray_core.jobs.validation import MAX_NAME, MAX_QR
from xray_core.workers.service import WorkerRegistry
from xray_http.auth import BEARER, requires_token
from xray_http.controllers._base import errors, in_thread, with_links
from xray_http.deps import AppDeps
from xray_http.forms import FormField, file, form_operation, read_form, text
from xray_http.headers import encode_extra, encode_names
from xray_http.identity import identity
from xray_http.schemas.api import Success, UploadAccepted

UPLOAD_FIELDS = (
    FormField("file", "file", True, "The animal image file (JPEG, PNG or WebP)."),
    FormField("first_name", "string", True, "Owner's first name.", MAX_NAME),
    FormField("last_name", "string", True, "Owner's last name.", MAX_NAME),
    FormField("animal_name", "string", True, "Name of the animal.", MAX_NAME),
    FormField("qr_content", "string", True, "QR code value associated with this owner.", MAX_QR),
    FormField("animal_type", "string", False, "One of GET /animal_types (default 'other')."),
    FormField("broken_bone", "boolean", False, "Whether the animal has a broken bone."),
    FormField("workflow", "string", False, "Extension: one of the WORKFLOWS setting.", 100),
)
RESULT_FIELDS = (
    FormField("image_id", "integer", True, "ID of the job being completed.", 10**12 - 1),
    FormField("result", "file", True, "The processed (result) image file."),
    FormField("lease_id", "string", False, "Extension: the lease id GET /job sent."),
)

# Documentation only: GET /job sets these itself. Names are latin-1, or percent-encoded UTF-8
# when name_encoding says "utf-8-percent" (see xray_http.headers).
CLAIM_HEADERS = [
    ResponseHeader(name=name, value=None, documentation_only=True, description=text)
    for name, text in (
        ("img_id", "The job ID."),
        ("first_name", "Owner's first name."),
        ("last_name", "Owner's last name."),
        ("animal_name", "Name of the animal."),
        ("animal_type", "Type of animal."),
        ("broken_bone", "Extension: 'true' or 'false'."),
        ("lease_id", "Extension: send it back with POST /job."),
        ("slot", "Extension: which of the job's result slots this lease is for."),
        ("results_per_image", "Extension: how many results the job wants."),
        ("name_encoding", "Extension: 'utf-8-percent' when the name headers are encoded."),
        ("hospital_name", "Extension: the hospital's name, for the film's label."),
        ("hospital_name_encoding", "Extension: 'utf-8-percent' when hospital_name is."),
        ("name_encoding", "Extension: 'utf-8-percent' when *_utf8 headers hold the exact names."),
        ("first_name_utf8", "Extension: the exact first name, percent-encoded UTF-8."),
        ("last_name_utf8", "Extension: the exact last name, percent-encoded UTF-8."),
        ("animal_name_utf8", "Extension: the exact animal name, percent-encoded UTF-8."),
        ("workflow", "Extension: the job's workflow (absent: the default)."),
        ("lease_seconds", "Extension: the lease time; extend with POST /job/lease."),
    )
]

# How a job moves on from an upload and from a lease (schemathesis' stateful phase uses these).
_CONFIRM = "#/paths/~1confirm/get"
_IMAGE = "#/paths/~1results~1{job_id}~1{option}/get"
UPLOAD_LINKS = {
    "claim": Link(operation_ref="#/paths/~1job/get", description="A worker leases the job."),
    "original": Link(
        operation_ref=_IMAGE, parameters={"job_id": "$response.body#/job_id", "option": "original"}
    ),
    "decide": Link(operation_ref=_CONFIRM, parameters={"image_id": "$response.body#/job_id"}),
}
CLAIM_LINKS = {
    "submit": Link(
        operation_ref="#/paths/~1job/post",
        request_body={
            "image_id": "$response.header.img_id",
            "lease_id": "$response.header.lease_id",
        },
    ),
    "extend": Link(
        operation_ref="#/paths/~1job~1lease/post",
        request_body={
            "image_id": "$response.header.img_id",
            "lease_id": "$response.header.lease_id",
        },
    ),
    "original": Link(
        operation_ref=_IMAGE, parameters={"job_id": "$response.header.img_id", "option": "original"}
    ),
    "decide": Link(operation_ref=_CONFIRM, parameters={"image_id": "$response.header.img_id"}),
}


class JobController(Controller):
    """The queue: photos in, leases out, results back."""

    guards = [requires_token]  # noqa: RUF012
    security = BEARER

    @post(
        "/upload",
        status_code=200,
        summary="Upload an animal photo and its owner's details",
        operation_class=with_links(form_operation(*UPLOAD_FIELDS, multipart=True), UPLOAD_LINKS),
        responses=errors(401, 413, 415, 422),
    )
    async def upload(
        self, request: Request[Any, Any, Any], jobs: NamedDependency[JobService]
    ) -> UploadAccepted:
        """Check the photo and fields and queue a new job."""
        form = await read_form(request)
        photo = await file(form, "file")
        accepted = await in_thread(
            jobs.upload,
            photo,
            first_name=text(form, "first_name"),
            last_name=text(form, "last_name"),
            animal_name=text(form, "animal_name"),
            qr_content=text(form, "qr_content"),
            animal_type=text(form, "animal_type"),
            broken_bone=text(form, "broken_bone"),
            workflow=text(form, "workflow"),
        )
        return UploadAccepted(job_id=accepted.job_id, current_jobs=accepted.current_jobs)

    @get(
        "/job",
        summary="Lease the next result slot: the photo, with the job's metadata in headers",
        media_type="image/*",  # the photo as stored: image/jpeg or image/png
        response_headers=CLAIM_HEADERS,
        operation_class=with_links(Operation, CLAIM_LINKS),
        responses={204: ResponseSpec(None, description="No job is waiting."), **errors(401)},
    )
    async def claim(
        self,
        request: Request[Any, Any, Any],
        jobs: NamedDependency[JobService],
        workers: NamedDependency[WorkerRegistry],
        deps: NamedDependency[AppDeps],
        min_age: Annotated[
            float | None,
            QueryParameter(ge=0, le=86400, description="Extension: only jobs this many s old."),
        ] = None,
        workflow: Annotated[
            str | None,
            QueryParameter(max_length=1000, description="Extension: comma-separated workflows."),
        ] = None,
    ) -> Response[bytes]:
        """Return the photo of the oldest job with an open slot, or 204 if there is none."""
        who = identity(request)
        wanted = None if workflow is None else {w.strip() for w in workflow.split(",")}
        if workers.due(who.name):  # in memory; the row is written every few seconds only
            await in_thread(workers.record_seen, who)
        claim = await in_thread(jobs.claim, who.name, min_age=min_age, workflows=wanted)
        if claim is None:
            return Response(b"", status_code=204)
        info = claim.job.info
        headers = encode_names(
            {
                "first_name": info.first_name,
                "last_name": info.last_name,
                "animal_name": info.animal_name,
            }
        )
        headers |= {
            "img_id": str(claim.job.id),
            "animal_type": info.animal_type,
            "broken_bone": "true" if info.broken_bone else "false",
            "lease_id": claim.lease_id,
            "slot": str(claim.slot.index),
            "results_per_image": str(jobs.results_per_image),
            "lease_seconds": str(int(jobs.lease_seconds)),
        }
        if claim.job.workflow:  # absent otherwise: the GPU worker then uses its default
            headers["workflow"] = claim.job.workflow
        headers |= encode_extra("hospital_name", deps.hospital_name)
        return Response(claim.photo, media_type=claim.photo_type, headers=headers)

    @post(
        "/job",
        status_code=200,
        summary="Submit a result image for a job",
        operation_class=form_operation(*RESULT_FIELDS, multipart=True),
        responses=errors(401, 404, 409, 413, 415, 422),
    )
    async def submit(
        self,
        request: Request[Any, Any, Any],
        jobs: NamedDependency[JobService],
        workers: NamedDependency[WorkerRegistry],
    ) -> Success:
        """Store a worker's result in one of the job's slots."""
        form = await read_form(request)
        raw_id = (text(form, "image_id") or "").strip()
        if not (raw_id.isascii() and raw_id.isdigit()) or len(raw_id) > 12:
            raise InvalidFieldError("image_id", "is required and must be a job id (an integer)")
        result = await file(form, "result")
        lease_id = (text(form, "lease_id") or "").strip() or None
        also = workers.delivery(identity(request))
        await in_thread(jobs.submit, int(raw_id), result, lease_id, also=also)
        return Success()
