"""Errors of the fracture tool."""

from __future__ import annotations

from xray_core.errors import ConflictError, InvalidInputError


class InvalidStrokeError(InvalidInputError):
    """The stroke is empty, too long, too wide or leaves the image."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field


class NothingToUndoError(ConflictError):
    """The result shows no fracture edit that could be undone."""

    def __init__(self, job_id: int, option: int) -> None:
        super().__init__(f"result {option} of job {job_id} has no fracture edit to undo")


class ResultChangedError(ConflictError):
    """The result changed (edited, retried or decided) while the edit was being drawn."""

    def __init__(self, job_id: int, option: int) -> None:
        super().__init__(
            f"result {option} of job {job_id} changed meanwhile: reload /results and try again"
        )
