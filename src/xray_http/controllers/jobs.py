"""``POST /upload``, ``GET /job`` and ``POST /job``."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency

from xray_core.jobs.errors import InvalidFieldError
from xray_core.jobs.service import JobService
from xray_http.auth import requires_token
from xray_http.controllers._base import in_thread
from xray_http.forms import FormField, file, form_operation, read_form, text
from xray_http.headers import encode_names
from xray_http.schemas.api import Success, UploadAccepted

UPLOAD_FIELDS = (
    FormField("file", "file", True, "The animal image file (JPEG, PNG or WebP)."),
    FormField("first_name", "string", True, "Owner's first name."),
    FormField("last_name", "string", True, "Owner's last name."),
    FormField("animal_name", "string", True, "Name of the animal."),
    FormField("qr_content", "string", True, "QR code value associated with this owner."),
    FormField("animal_type", "string", False, "Type of animal (default 'other')."),
    FormField("broken_bone", "boolean", False, "Whether the animal has a broken bone."),
)
RESULT_FIELDS = (
    FormField("image_id", "integer", True, "ID of the job being completed."),
    FormField("result", "file", True, "The processed (result) image file."),
    FormField("lease_id", "string", False, "Extension: the lease id GET /job sent."),
)


class JobController(Controller):
    """The queue: photos in, leases out, results back."""

    guards = [requires_token]  # noqa: RUF012

    @post(
        "/upload",
        status_code=200,
        summary="Upload an animal photo and its owner's details",
        operation_class=form_operation(*UPLOAD_FIELDS, multipart=True),
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
        )
        return UploadAccepted(job_id=accepted.job_id, current_jobs=accepted.current_jobs)

    @get(
        "/job",
        summary="Lease the next result slot: the photo, with the job's metadata in headers",
        responses={},
    )
    async def claim(self, jobs: NamedDependency[JobService]) -> Response[bytes]:
        """Return the photo of the oldest job with an open slot, or 204 if there is none."""
        claim = await in_thread(jobs.claim)
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
        }
        return Response(claim.photo, media_type="image/png", headers=headers)

    @post(
        "/job",
        status_code=200,
        summary="Submit a result image for a job",
        operation_class=form_operation(*RESULT_FIELDS, multipart=True),
    )
    async def submit(
        self, request: Request[Any, Any, Any], jobs: NamedDependency[JobService]
    ) -> Success:
        """Store a worker's result in one of the job's slots."""
        form = await read_form(request)
        raw_id = (text(form, "image_id") or "").strip()
        if not (raw_id.isascii() and raw_id.isdigit()) or len(raw_id) > 12:
            raise InvalidFieldError("image_id", "is required and must be a job id (an integer)")
        result = await file(form, "result")
        lease_id = (text(form, "lease_id") or "").strip() or None
        await in_thread(jobs.submit, int(raw_id), result, lease_id)
        return Success()
