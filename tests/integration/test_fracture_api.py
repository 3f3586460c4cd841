"""The fracture routes over HTTP on SQLite (and PostgreSQL): edit, undo, the original's form."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fracture_kit import STROKE, WIDTH, assert_changed_only_along, overlay_png
from tests.images import asset, png
from tests.integration.conftest import Api, start_api

XRAY = asset("bluemonkey_post.png")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def app(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Api]:
    """The app on SQLite in a temp dir, or on an emptied PostgreSQL database."""
    if request.param == "sqlite":
        yield from start_api(tmp_path / "data", request.getfixturevalue("migrated_sqlite"))
        return
    from tests.conftest import wipe

    for api in start_api(tmp_path / "data", database_url=request.getfixturevalue("postgres_url")):
        wipe(api.container.storage.engine())
        yield api


def pending_job(api: Api) -> int:
    """Upload a photo and have both results arrive: option 0 is the real x-ray."""
    files = {"file": ("p.png", asset("bluemonkey_pre.png"), "image/png")}
    data = {"first_name": "A", "last_name": "B", "animal_name": "C", "qr_content": "Q"}
    job_id = int(
        api.client.post("/upload", headers=api.auth, data=data, files=files).json()["job_id"]
    )
    for result in (XRAY, png(64, 48)):
        files = {"result": ("x.png", result, "image/png")}
        answer = api.client.post(
            "/job", headers=api.auth, data={"image_id": str(job_id)}, files=files
        )
        assert answer.status_code == 200
    return job_id


def result_urls(api: Api, job_id: int) -> list[str]:
    return list(api.client.get("/results", headers=api.auth).json()["results"][str(job_id)])


def get(api: Api, url: str) -> bytes:
    answer = api.client.get(url.replace("http://testserver.local", ""))
    assert answer.status_code == 200
    return bytes(answer.content)


def fracture(api: Api, job_id: int, option: int, body: Any) -> Any:
    return api.client.post(f"/results/{job_id}/{option}/fracture", headers=api.auth, json=body)


def edits(api: Api, job_id: int) -> list[int]:
    """The ``edits`` of each slot of ``job_id`` in ``/results``."""
    slots = api.client.get("/results", headers=api.auth).json()["slots"][str(job_id)]
    return [slot["edits"] for slot in slots]


def approved_xray(api: Api) -> bytes:
    with zipfile.ZipFile(io.BytesIO(api.client.get("/carousel/0").content)) as archive:
        return archive.read("xray.png")


def test_fracture_changes_the_url_and_the_approved_image(app: Api) -> None:
    """After a fracture the option's URL is new; the approved x-ray differs only along it."""
    job_id = pending_job(app)
    before = result_urls(app, job_id)
    answer = fracture(app, job_id, 0, {"points": STROKE, "width": WIDTH})
    assert answer.status_code == 200 and answer.json() == {"status": "success"}
    after = result_urls(app, job_id)
    assert after[0] != before[0] and after[1] == before[1]
    edited = get(app, after[0])
    assert_changed_only_along(XRAY, edited, STROKE, WIDTH)
    confirm = {"image_id": job_id, "choice": 0, "confirm": "confirm"}
    assert app.client.get("/confirm", headers=app.auth, params=confirm).status_code == 200
    assert approved_xray(app) == edited


def test_undo_restores_byte_for_byte_then_409(app: Api) -> None:
    """Undo after stacked fractures serves the worker's PNG again; a second undo is 409."""
    job_id = pending_job(app)
    original_url = result_urls(app, job_id)[0]
    assert fracture(app, job_id, 0, {"points": STROKE, "width": WIDTH}).status_code == 200
    assert fracture(app, job_id, 0, {"points": [[10, 10], [90, 60]], "width": 6}).status_code == 200
    assert edits(app, job_id) == [2, 0]  # what the review page shows Undo for
    undo = app.client.post(f"/results/{job_id}/0/undo", headers=app.auth)
    assert undo.status_code == 200
    assert edits(app, job_id) == [0, 0]
    urls = result_urls(app, job_id)
    assert urls[0] == original_url
    assert get(app, urls[0]) == XRAY
    again = app.client.post(f"/results/{job_id}/0/undo", headers=app.auth)
    assert again.status_code == 409 and "undo" in again.json()["detail"]


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"points": [], "width": 10}, 422),
        ({"points": [[1, 1], [5000, 1]], "width": 10}, 422),
        ({"points": [[1, 1, 1], [50, 1]], "width": 10}, 422),
        ({"points": [[i % 900, 1] for i in range(2001)], "width": 10}, 422),
        ({"points": [[1, 1], [50, 1]], "width": 0}, 422),
        ({"points": "nonsense"}, 400),
        ({"width": 10}, 400),
    ],
)
def test_bad_strokes_are_4xx_json_and_change_nothing(app: Api, body: Any, status: int) -> None:
    """Empty, out-of-image, too many or malformed points give a JSON 4xx; the result stays."""
    job_id = pending_job(app)
    urls = result_urls(app, job_id)
    answer = fracture(app, job_id, 0, body)
    assert answer.status_code == status
    assert "detail" in answer.json()
    assert result_urls(app, job_id) == urls and get(app, urls[0]) == XRAY


def test_unknown_job_missing_option_and_decided_job(app: Api) -> None:
    """404 for an unknown job or an option without a result; 409 once the job is decided."""
    job_id = pending_job(app)
    stroke = {"points": STROKE, "width": WIDTH}
    assert fracture(app, job_id + 50, 0, stroke).status_code == 404
    assert fracture(app, job_id, 5, stroke).status_code == 404
    assert app.client.post(f"/results/{job_id}/5/undo", headers=app.auth).status_code == 404
    cancel = {"image_id": job_id, "choice": 0, "confirm": "cancel"}
    assert app.client.get("/confirm", headers=app.auth, params=cancel).status_code == 200
    assert fracture(app, job_id, 0, stroke).status_code == 409


def test_fracture_routes_need_the_token(app: Api) -> None:
    """Without a bearer token every fracture route is 401."""
    job_id = pending_job(app)
    assert (
        app.client.post(f"/results/{job_id}/0/fracture", json={"points": STROKE}).status_code == 401
    )
    assert app.client.post(f"/results/{job_id}/0/undo").status_code == 401
    assert app.client.post("/apply_fracture_queue", data={"job_id": "1"}).status_code == 401


def overlay_form(job_id: int, option: int, **changes: str) -> dict[str, str]:
    return {
        "job_id": str(job_id),
        "choice": str(option),
        "x": "100",
        "y": "200",
        "scale": "2.0",
        "noise": "1",
        **changes,
    }


def test_apply_fracture_queue_fractures_where_the_overlay_sits(app: Api) -> None:
    """The original front end's overlay form replaces result ``choice`` by the fractured image."""
    job_id = pending_job(app)
    overlay = overlay_png((260, 160), [(50, 100), (200, 110)], 8)
    files = {"overlay_file": ("overlay.png", overlay, "image/png")}
    answer = app.client.post(
        "/apply_fracture_queue", headers=app.auth, data=overlay_form(job_id, 0), files=files
    )
    assert answer.status_code == 200 and answer.json() == {"status": "success"}
    edited = get(app, result_urls(app, job_id)[0])
    assert_changed_only_along(XRAY, edited, [[200.0, 400.0], [500.0, 420.0]], 16.0)


@pytest.mark.parametrize(
    ("changes", "overlay", "status", "names"),
    [
        ({"scale": "abc"}, None, 422, "scale"),
        ({"scale": "0"}, None, 422, "scale"),
        ({"x": ""}, None, 422, "x"),
        ({"choice": "7"}, None, 404, "result 7"),
        ({}, b"not a png", 415, "PNG"),
        ({}, "empty", 422, "overlay_file"),
    ],
)
def test_apply_fracture_queue_bad_input(
    app: Api, changes: dict[str, str], overlay: bytes | str | None, status: int, names: str
) -> None:
    """Bad fields or overlays get a JSON 4xx naming the problem."""
    job_id = pending_job(app)
    data = overlay_png((50, 50), [(5, 5), (40, 40)], 4) if overlay is None else overlay
    if data == "empty":
        data = overlay_png((50, 50), [], 4)
    files = {"overlay_file": ("overlay.png", data, "image/png")}
    answer = app.client.post(
        "/apply_fracture_queue",
        headers=app.auth,
        data=overlay_form(job_id, 0, **changes),
        files=files,
    )
    assert answer.status_code == status
    assert names in answer.json()["detail"]
