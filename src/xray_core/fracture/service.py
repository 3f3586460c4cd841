"""The fracture service: draw a fracture into a pending result, and undo it."""

from __future__ import annotations

import contextlib
import math
import struct
from collections.abc import Callable, Iterator, Sequence

from xray_core.errors import UnsupportedMediaError
from xray_core.fracture.errors import InvalidStrokeError, NothingToUndoError, ResultChangedError
from xray_core.fracture.model import MAX_NOISE, MAX_POINTS, MAX_SCALE, MAX_WIDTH, MIN_WIDTH
from xray_core.fracture.ports import FracturePainter
from xray_core.jobs.edits import next_edit_key, unedited_key
from xray_core.jobs.errors import InvalidFieldError, JobNotFoundError, ResultNotFoundError
from xray_core.jobs.model import Slot
from xray_core.ports import BlobStore, UnitOfWork

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


class FractureService:
    """Edits the results of pending jobs; the unedited result is kept until the job is decided.

    An edit stores a new image under a key derived from the unedited one and points the
    result's slot at it (see :mod:`xray_core.jobs.edits`); edits stack, and undo points the
    slot back at the unedited image.
    """

    def __init__(
        self, uow: Callable[[], UnitOfWork], blobs: BlobStore, painter: FracturePainter
    ) -> None:
        self._uow = uow
        self._blobs = blobs
        self._painter = painter

    def fracture(
        self,
        job_id: int,
        option: int,
        points: Sequence[Sequence[float]],
        width: float,
        *,
        jitter: float = 1.0,
    ) -> None:
        """Draw a fracture along ``points`` (result pixels) into result ``option`` of a job.

        Raises:
            JobNotFoundError, ResultNotFoundError: no such job, or no such result yet.
            JobAlreadyConfirmedError, JobCancelledError: the job was decided.
            InvalidStrokeError: the points or the width are unusable.
            ResultChangedError: the result changed while the fracture was drawn.
        """
        self._fracture(job_id, option, points, width, jitter, clip=False)

    def _fracture(
        self,
        job_id: int,
        option: int,
        points: Sequence[Sequence[float]],
        width: float,
        jitter: float,
        *,
        clip: bool,
    ) -> None:
        slot, current = self._result(job_id, option)
        image = self._blobs.get(current)
        stroke = _checked_points(points, _png_size(image), clip=clip)
        if not (math.isfinite(width) and MIN_WIDTH <= width <= MAX_WIDTH):
            raise InvalidStrokeError("width", f"must be between {MIN_WIDTH:g} and {MAX_WIDTH:g}")
        if not (math.isfinite(jitter) and 0.0 <= jitter <= MAX_NOISE):
            raise InvalidStrokeError("noise", f"must be between 0 and {MAX_NOISE:g}")
        edited = self._painter.paint(image, stroke, width, jitter=jitter)
        self._swap(job_id, option, slot, current, next_edit_key(current), edited)

    def fracture_overlay(
        self,
        job_id: int,
        option: int,
        overlay: bytes,
        x: float,
        y: float,
        scale: float,
        noise: float,
    ) -> None:
        """Draw a fracture where a painted overlay (the original front end's) marks it.

        The overlay PNG, scaled by ``scale``, sits at ``(x, y)`` on the result; its opaque
        pixels are the stroke. ``noise`` sets how ragged the crack is (0 to 100, 1 normal).

        Raises:
            the errors of :meth:`fracture`, and InvalidStrokeError for an empty overlay.
        """
        self._result(job_id, option)  # refuse unknown or decided jobs before any work
        if not (math.isfinite(scale) and 0.0 < scale <= MAX_SCALE):
            raise InvalidStrokeError("scale", f"must be above 0 and at most {MAX_SCALE:g}")
        if not all(math.isfinite(v) for v in (x, y, noise)):
            raise InvalidStrokeError("x, y, noise", "must be finite numbers")
        stroke = self._painter.trace(overlay, x, y, scale)
        if stroke is None:
            raise InvalidStrokeError("overlay_file", "has no painted (opaque) pixels")
        width = min(max(stroke.width, MIN_WIDTH), MAX_WIDTH)
        # A painted overlay may reach a pixel past the edge (rounding in the browser): clip it.
        self._fracture(job_id, option, stroke.points, width, max(noise, 0.0), clip=True)

    def undo(self, job_id: int, option: int) -> None:
        """Restore the unedited image of result ``option``.

        Raises:
            JobNotFoundError, ResultNotFoundError, JobAlreadyConfirmedError,
                JobCancelledError: as for :meth:`fracture`.
            NothingToUndoError: the result shows no edit.
            ResultChangedError: the result changed meanwhile.
        """
        slot, current = self._result(job_id, option)
        original = unedited_key(current)
        if original == current:
            raise NothingToUndoError(job_id, option)
        self._swap(job_id, option, slot, current, original, None)

    def _result(self, job_id: int, option: int) -> tuple[Slot, str]:
        if not 0 <= option < 1000:
            raise InvalidFieldError("option", "must be a result number (0, 1, ...)")
        with self._uow() as uow:
            job = uow.jobs.get(job_id)
        if job is None:
            raise JobNotFoundError(job_id)
        job.ensure_active()
        results = job.results()
        if option >= len(results) or results[option].result_key is None:
            raise ResultNotFoundError(job_id, option)
        return results[option], str(results[option].result_key)

    def _swap(
        self, job_id: int, option: int, slot: Slot, current: str, new: str, data: bytes | None
    ) -> None:
        """Point the slot from ``current`` to ``new`` (writing ``data`` there first, if any)."""
        if data is not None:
            self._blobs.put(new, data)
        with self._removed_on_error(new if data is not None else None), self._uow() as uow:
            if not uow.jobs.replace_result(job_id, slot.index, current, new):
                raise ResultChangedError(job_id, option)
            uow.commit()
        if current != unedited_key(current):
            self._blobs.delete(current)  # an older edit: undo goes back to the unedited one

    @contextlib.contextmanager
    def _removed_on_error(self, key: str | None) -> Iterator[None]:
        """Delete a just-written blob if the slot could not be pointed at it."""
        try:
            yield
        except BaseException:
            if key is not None:
                self._blobs.delete(key)
            raise


def _png_size(data: bytes) -> tuple[int, int]:
    """Return ``(width, height)`` from a PNG's header (results are always stored as PNG)."""
    if len(data) < 24 or not data.startswith(PNG_MAGIC):
        raise UnsupportedMediaError("the stored result is not a PNG")
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


def _checked_points(
    points: Sequence[Sequence[float]], size: tuple[int, int], *, clip: bool = False
) -> list[tuple[float, float]]:
    """Return the stroke as ``(x, y)`` pairs, or raise naming what is wrong with it."""
    if len(points) < 2:
        raise InvalidStrokeError("points", "give at least two [x, y] points of the stroke")
    if len(points) > MAX_POINTS:
        raise InvalidStrokeError("points", f"at most {MAX_POINTS} points, got {len(points)}")
    width, height = size
    stroke: list[tuple[float, float]] = []
    for i, point in enumerate(points):
        if len(point) != 2 or not all(math.isfinite(v) for v in point):
            raise InvalidStrokeError("points", f"point {i} is not a pair of numbers [x, y]")
        x, y = float(point[0]), float(point[1])
        if clip:
            x, y = min(max(x, 0.0), float(width)), min(max(y, 0.0), float(height))
        if not (0.0 <= x <= width and 0.0 <= y <= height):
            raise InvalidStrokeError(
                "points", f"point {i} ({x:g}, {y:g}) is outside the {width}x{height} image"
            )
        stroke.append((x, y))
    if len(set(stroke)) < 2:
        raise InvalidStrokeError("points", "the stroke needs two different points")
    return stroke
