"""The fracture service: edits replace a pending result, undo restores it, decisions clean up."""

from __future__ import annotations

import pytest

from tests.conftest import Backend
from tests.fakes.fakes import FakeClock
from tests.fracture_kit import STROKE, WIDTH, assert_changed_only_along, overlay_png
from tests.images import asset
from tests.unit.service_kit import CONFIRM, RETRY, Services, blob_keys, build, upload
from xray_core.adapters.fracture import PillowFracturePainter
from xray_core.errors import ConflictError, InvalidInputError, NotFoundError
from xray_core.fracture.errors import NothingToUndoError
from xray_core.fracture.service import FractureService
from xray_core.jobs.errors import JobAlreadyConfirmedError

XRAY = asset("bluemonkey_post.png")


@pytest.fixture
def services(backend: Backend, clock: FakeClock) -> Services:
    return build(backend, clock)


@pytest.fixture
def fracture(backend: Backend) -> FractureService:
    return FractureService(backend.uow, backend.blobs, PillowFracturePainter())


def job_with_results(services: Services) -> int:
    """Upload a job and fill both slots: option 0 the real x-ray, option 1 a small PNG."""
    job_id = upload(services).job_id
    services.jobs.submit(job_id, XRAY)
    services.jobs.submit(job_id, asset("bluemonkey_pre.png"))
    return job_id


def test_fracture_then_confirm_keeps_the_edited_image(
    services: Services, fracture: FractureService
) -> None:
    """The approved x-ray differs from the unedited one exactly along the stroke."""
    job_id = job_with_results(services)
    fracture.fracture(job_id, 0, STROKE, WIDTH)
    edited = services.jobs.image(job_id, "0")
    assert edited != XRAY
    services.jobs.decide(job_id, 0, CONFIRM)
    approved = services.carousel.pair(0).xray
    assert approved == edited
    assert_changed_only_along(XRAY, approved, STROKE, WIDTH)


def test_undo_restores_the_unedited_result_byte_for_byte(
    services: Services, fracture: FractureService
) -> None:
    """After two stacked fractures, one undo gives back the worker's PNG exactly."""
    job_id = job_with_results(services)
    fracture.fracture(job_id, 0, STROKE, WIDTH)
    once = services.jobs.image(job_id, "0")
    fracture.fracture(job_id, 0, [[100.0, 100.0], [200.0, 180.0]], 12.0)
    twice = services.jobs.image(job_id, "0")
    assert twice not in (once, XRAY)
    assert_changed_only_along(once, twice, [[100.0, 100.0], [200.0, 180.0]], 12.0)
    fracture.undo(job_id, 0)
    assert services.jobs.image(job_id, "0") == XRAY
    with pytest.raises(NothingToUndoError):
        fracture.undo(job_id, 0)


def test_edits_leave_no_stray_blobs(
    services: Services, fracture: FractureService, backend: Backend
) -> None:
    """Stacked edits keep only the unedited image and the newest edit; retry removes both."""
    job_id = job_with_results(services)
    before = blob_keys(backend)
    fracture.fracture(job_id, 0, STROKE, WIDTH)
    fracture.fracture(job_id, 0, STROKE, WIDTH / 2)
    assert len(blob_keys(backend)) == len(before) + 1
    assert services.jobs.collect_garbage(0) == 0
    assert services.jobs.image(job_id, "0") != XRAY
    services.jobs.decide(job_id, 0, RETRY)
    assert blob_keys(backend) == {k for k in before if k.startswith("originals/")}


def test_confirm_of_an_edit_drops_its_unedited_image(
    services: Services, fracture: FractureService, backend: Backend
) -> None:
    """Confirming an edited result keeps the edit and the photo, not the unedited image."""
    job_id = job_with_results(services)
    fracture.fracture(job_id, 1, [[10.0, 10.0], [400.0, 400.0]], 8.0)
    services.jobs.decide(job_id, 1, CONFIRM)
    item = services.carousel.pair(0)
    assert len(blob_keys(backend)) == 2
    assert services.jobs.collect_garbage(0) == 0
    assert item.xray != asset("bluemonkey_pre.png")


@pytest.mark.parametrize(
    ("points", "width", "problem"),
    [
        ([], WIDTH, "at least two"),
        ([[10.0, 10.0]], WIDTH, "at least two"),
        ([[10.0, 10.0], [10.0, 10.0]], WIDTH, "two different"),
        ([[10.0, 10.0], [5000.0, 10.0]], WIDTH, "outside"),
        ([[-1.0, 10.0], [50.0, 10.0]], WIDTH, "outside"),
        ([[10.0, 10.0, 3.0], [50.0, 10.0]], WIDTH, "pair"),
        ([[float(i % 900), 10.0] for i in range(2001)], WIDTH, "at most"),
        ([[10.0, 10.0], [50.0, 10.0]], 0.0, "width"),
        ([[10.0, 10.0], [50.0, 10.0]], float("nan"), "width"),
    ],
)
def test_bad_strokes_are_refused_and_change_nothing(
    services: Services,
    fracture: FractureService,
    points: list[list[float]],
    width: float,
    problem: str,
) -> None:
    """Unusable points or widths raise an input error naming the problem; the result stays."""
    job_id = job_with_results(services)
    with pytest.raises(InvalidInputError, match=problem):
        fracture.fracture(job_id, 0, points, width)
    assert services.jobs.image(job_id, "0") == XRAY


def test_unknown_job_or_missing_result_is_not_found(
    services: Services, fracture: FractureService
) -> None:
    """A job that does not exist, or an option without a result yet, is not found."""
    job_id = upload(services).job_id
    with pytest.raises(NotFoundError):
        fracture.fracture(job_id + 99, 0, STROKE, WIDTH)
    with pytest.raises(NotFoundError):
        fracture.fracture(job_id, 0, STROKE, WIDTH)
    with pytest.raises(NotFoundError):
        fracture.undo(job_id, 1)


def test_decided_job_is_a_conflict(services: Services, fracture: FractureService) -> None:
    """A confirmed job takes no more edits nor undos."""
    job_id = job_with_results(services)
    fracture.fracture(job_id, 0, STROKE, WIDTH)
    services.jobs.decide(job_id, 0, CONFIRM)
    with pytest.raises(JobAlreadyConfirmedError):
        fracture.fracture(job_id, 0, STROKE, WIDTH)
    with pytest.raises(ConflictError):
        fracture.undo(job_id, 0)


def test_overlay_marks_where_the_fracture_goes(
    services: Services, fracture: FractureService
) -> None:
    """A painted overlay PNG placed at x, y with a scale fractures the result right there."""
    job_id = job_with_results(services)
    # A 2x smaller canvas: a line from (50, 100) to (200, 110) in overlay pixels at (100, 200).
    overlay = overlay_png((260, 160), [(50, 100), (200, 110)], 8)
    fracture.fracture_overlay(job_id, 0, overlay, 100, 200, 2.0, 1)
    expected = [[200.0, 400.0], [500.0, 420.0]]
    assert_changed_only_along(XRAY, services.jobs.image(job_id, "0"), expected, 16.0)


def test_empty_overlay_is_refused(services: Services, fracture: FractureService) -> None:
    """An overlay with no painted pixel is an input error."""
    job_id = job_with_results(services)
    with pytest.raises(InvalidInputError, match="overlay_file"):
        fracture.fracture_overlay(job_id, 0, overlay_png((50, 50), [], 4), 0, 0, 1.0, 1)


def test_overlay_reaching_past_the_edge_is_clipped(
    services: Services, fracture: FractureService
) -> None:
    """An overlay placed partly outside the image fractures the part inside it."""
    job_id = job_with_results(services)
    overlay = overlay_png((200, 40), [(0, 20), (199, 20)], 6)
    fracture.fracture_overlay(job_id, 0, overlay, 900, 300, 1.0, 1)
    assert_changed_only_along(
        XRAY, services.jobs.image(job_id, "0"), [[900.0, 320.0], [1024.0, 320.0]], 6.0
    )
