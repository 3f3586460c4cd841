"""The fracture tool: ``POST /results/{job_id}/{option}/fracture`` and ``.../undo``.

Also the original front end's ``POST /apply_fracture_queue`` (a painted overlay PNG).
"""

from __future__ import annotations

import math
from typing import Annotated, Any

from litestar import Controller, Request, post
from litestar.di import NamedDependency
from litestar.params import JSONBody, PathParameter

from xray_core.fracture.service import FractureService
from xray_core.jobs.errors import InvalidFieldError
from xray_http.auth import BEARER, requires_token
from xray_http.controllers._base import errors, in_thread
from xray_http.controllers.results import EXACT_MAX_ID, MAX_ID
from xray_http.forms import FormField, file, form_operation, read_form, text
from xray_http.schemas.api import FractureRequest, Success

STROKE_BODY_MAX = 256 * 1024
OVERLAY_FIELDS = (
    FormField("job_id", "integer", True, "The job ID.", 10**12 - 1),
    FormField("choice", "integer", True, "The result option to edit (0, 1, ...).", 999),
    FormField("overlay_file", "file", True, "The painted overlay PNG; opaque pixels mark it."),
    FormField("x", "integer", True, "Left edge of the overlay on the result, in pixels."),
    FormField("y", "integer", True, "Top edge of the overlay on the result, in pixels."),
    FormField("scale", "string", True, "Result pixels per overlay pixel (a number > 0)."),
    FormField("noise", "integer", True, "How ragged the crack is (0 straight, 1 normal)."),
)
JobId = Annotated[int, PathParameter(ge=0, le=MAX_ID, schema_extra=EXACT_MAX_ID)]
Option = Annotated[int, PathParameter(ge=0, le=999)]


def _number(value: str | None, name: str, *, integer: bool = False) -> float:
    """Return a form field as a finite number, or raise naming the field."""
    raw = (value or "").strip()
    try:
        number = float(int(raw)) if integer else float(raw)
    except ValueError:
        kind = "an integer" if integer else "a number"
        raise InvalidFieldError(name, f"is required and must be {kind}") from None
    if not math.isfinite(number) or len(raw) > 32:
        raise InvalidFieldError(name, "must be a finite number")
    return number


class FractureController(Controller):
    """The doctor paints a stroke on a result; the server draws a fracture there."""

    guards = [requires_token]  # noqa: RUF012
    security = BEARER

    @post(
        "/results/{job_id:int}/{option:int}/fracture",
        status_code=200,
        summary="Extension: draw a fracture along a stroke into a pending result",
        request_max_body_size=STROKE_BODY_MAX,
        responses=errors(400, 401, 404, 409, 413, 422),
    )
    async def fracture(
        self,
        job_id: JobId,
        option: Option,
        data: JSONBody[FractureRequest],
        fracture: NamedDependency[FractureService],
    ) -> Success:
        """Replace the result by the fractured image; the unedited one is kept for undo."""
        await in_thread(fracture.fracture, job_id, option, data.points, data.width)
        return Success()

    @post(
        "/results/{job_id:int}/{option:int}/undo",
        status_code=200,
        summary="Extension: restore the unedited result (undo every fracture)",
        request_max_body_size=STROKE_BODY_MAX,
        responses=errors(400, 401, 404, 409),
    )
    async def undo(
        self, job_id: JobId, option: Option, fracture: NamedDependency[FractureService]
    ) -> Success:
        """Point the result back at its unedited image; 409 when it shows no edit."""
        await in_thread(fracture.undo, job_id, option)
        return Success()

    @post(
        "/apply_fracture_queue",
        status_code=200,
        summary="Extension: the original front end's break tool (a painted overlay PNG)",
        operation_class=form_operation(*OVERLAY_FIELDS, multipart=True),
        responses=errors(401, 404, 409, 413, 415, 422),
    )
    async def apply_overlay(
        self, request: Request[Any, Any, Any], fracture: NamedDependency[FractureService]
    ) -> Success:
        """Draw a fracture where the overlay's opaque pixels are, into result ``choice``."""
        form = await read_form(request)
        job_id = int(_number(text(form, "job_id"), "job_id", integer=True))
        choice = int(_number(text(form, "choice"), "choice", integer=True))
        if job_id < 0 or not 0 <= choice < 1000:
            raise InvalidFieldError("job_id, choice", "must not be negative")
        x = _number(text(form, "x"), "x")
        y = _number(text(form, "y"), "y")
        scale = _number(text(form, "scale"), "scale")
        raw_noise = text(form, "noise")
        noise = 1.0 if raw_noise in (None, "") else _number(raw_noise, "noise")
        overlay = await file(form, "overlay_file")
        await in_thread(fracture.fracture_overlay, job_id, choice, overlay, x, y, scale, noise)
        return Success()
