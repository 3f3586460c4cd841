"""Response bodies, exactly as the API contract shows them."""

from __future__ import annotations

import msgspec


class TokenRead(msgspec.Struct):
    """``POST /token``."""

    access_token: str
    token_type: str = "bearer"  # noqa: S105


class UploadAccepted(msgspec.Struct):
    """``POST /upload``."""

    job_id: int
    current_jobs: int
    status: str = "success"


class Success(msgspec.Struct):
    """``POST /job`` and ``GET /confirm``."""

    status: str = "success"


class JobMetadata(msgspec.Struct):
    """One job's metadata in ``/results`` (``animal_type`` and ``broken_bone`` are extensions)."""

    first_name: str
    last_name: str
    animal_name: str
    animal_type: str
    broken_bone: bool


class JobPreviews(msgspec.Struct):
    """Extension: signed URLs of a job's web-size images (WebP), for pages."""

    original: str
    results: list[str | None]  # one per slot, in option order; null while a slot is empty
    thumb: str


class ResultsRead(msgspec.Struct):
    """``GET /results``: keys are job ids as strings."""

    metadata: dict[str, JobMetadata]
    results: dict[str, list[str]]
    originals: dict[str, str]
    results_per_image: int
    previews: dict[str, JobPreviews] = msgspec.field(default_factory=dict)
    # Extension: jobs whose generation failed at least once.
    failures: dict[str, JobFailures] = msgspec.field(default_factory=dict)
    # Extension: what each result slot shows, results first (in option order).
    slots: dict[str, list[SlotRead]] = msgspec.field(default_factory=dict)


class Progress(msgspec.Struct):
    """``GET /qr/progress``."""

    progress: float


class AnimalTypes(msgspec.Struct):
    """``GET /animal_types``."""

    types: list[str]


class ErrorRead(msgspec.Struct):
    """Every error answer."""

    status_code: int
    detail: str


class DecodedQR(msgspec.Struct):
    """Extension ``POST /qr/decode``: the QR code's text, ``None`` when none was found."""

    text: str | None


class FractureRequest(msgspec.Struct, forbid_unknown_fields=True):
    """Extension ``POST /results/{job_id}/{option}/fracture``: a stroke in image pixels."""

    points: list[list[float]]
    width: float = 16.0


class JobFailures(msgspec.Struct):
    """Extension of ``/results``: a job's failed generation attempts."""

    attempts: int
    reasons: list[str]
    failed: bool


class SlotRead(msgspec.Struct):
    """Extension of ``/results``: one result slot, as the review page shows it."""

    state: str  # filled, being_made, waiting or failed
    worker: str | None = None  # who made it or is making it, if known
    since: str | None = None  # when the result arrived, or when the worker took the slot
    edits: int = 0  # fractures painted on a result (undo takes them back)


class LeaseExtended(msgspec.Struct):
    """``POST /job/lease``: the lease's new expiry."""

    leased_until: str
    lease_seconds: float
    status: str = "success"


class WorkerRead(msgspec.Struct):
    """One worker in ``GET /workers``."""

    name: str
    state: str
    first_seen: str
    last_seen: str
    seconds_since_seen: float
    address: str
    user_agent: str
    info: str
    slots_held: int
    results: int
    failures: int
    mean_seconds: float | None
    p95_seconds: float | None


class WorkersRead(msgspec.Struct):
    """``GET /workers``."""

    workers: list[WorkerRead]
    alive: int
    # Whether the review page warns "no worker is making x-rays", and why.
    no_worker: bool = False
    waiting_cases: int = 0
    being_made: int = 0
    quiet_seconds: float | None = None
    no_worker_after: float = 30.0
    gone_after: float = 60.0
