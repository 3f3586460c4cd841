"""Errors of the job feature."""

from __future__ import annotations

from xray_core.errors import ConflictError, InvalidInputError, NotFoundError


class JobNotFoundError(NotFoundError):
    """No pending job has this id."""

    def __init__(self, job_id: int) -> None:
        super().__init__(f"job {job_id} does not exist or was cancelled")


class JobAlreadyConfirmedError(ConflictError):
    """The job was confirmed already; it takes no more results or decisions."""

    def __init__(self, job_id: int) -> None:
        super().__init__(f"job {job_id} was already confirmed")


class JobCancelledError(ConflictError):
    """The job was cancelled; it takes no more results or decisions."""

    def __init__(self, job_id: int) -> None:
        super().__init__(f"job {job_id} was cancelled")


class JobCompleteError(ConflictError):
    """The job has all the results it wants."""

    def __init__(self, job_id: int) -> None:
        super().__init__(f"job {job_id} already has all its results")


class LeaseLostError(ConflictError):
    """The lease named by a result is not the current lease of any open slot."""

    def __init__(self, job_id: int, lease_id: str) -> None:
        super().__init__(
            f"lease {lease_id} of job {job_id} is no longer valid: "
            "its slot was handed to another worker or already filled"
        )


class ResultNotFoundError(NotFoundError):
    """The job has no result with this option index."""

    def __init__(self, job_id: int, option: int) -> None:
        super().__init__(f"job {job_id} has no result {option}")


class ResultNotReadyError(ConflictError):
    """The doctor chose a result that has not arrived yet."""

    def __init__(self, job_id: int, choice: int) -> None:
        super().__init__(f"result {choice} of job {job_id} has not arrived yet")


class InvalidFieldError(InvalidInputError):
    """A form or query field is missing, too long or malformed."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
