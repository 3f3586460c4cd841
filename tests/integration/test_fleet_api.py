"""The fleet extensions over HTTP: /job/lease, /job/failed, /workers, min_age and workflows."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import wipe
from tests.images import jpeg, png
from tests.integration.conftest import Api, start_api

GPU = {"worker_name": "gpu-1", "worker_info": "sdxl-turbo 1.0"}


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def fleet_api(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Api]:
    """The app with two workflows and three attempts, on SQLite or an emptied PostgreSQL."""
    extra: dict[str, Any] = {"workflows": "sd15,lcm", "max_attempts": 3}
    if request.param == "sqlite":
        yield from start_api(tmp_path / "data", request.getfixturevalue("migrated_sqlite"), **extra)
        return
    url = request.getfixturevalue("postgres_url")
    for api in start_api(tmp_path / "data", database_url=url, **extra):
        wipe(api.container.storage.engine())
        yield api


def upload(api: Api, **fields: str) -> int:
    data = {"first_name": "A", "last_name": "B", "animal_name": "C", "qr_content": "q", **fields}
    response = api.client.post(
        "/upload", headers=api.auth, data=data, files={"file": ("p.jpg", jpeg(), "image/jpeg")}
    )
    assert response.status_code == 200, response.text
    return int(response.json()["job_id"])


def claim(api: Api, params: dict[str, str] | None = None, **headers: str) -> Any:
    return api.client.get("/job", headers={**api.auth, **headers}, params=params)


def post(api: Api, path: str, who: dict[str, str] = GPU, **data: str) -> Any:
    return api.client.post(path, headers={**api.auth, **who}, data=data)


def test_a_lease_is_extended_and_answers_its_new_expiry(fleet_api: Api) -> None:
    """POST /job/lease answers 200 with the new expiry; an unknown lease gets 409."""
    job = upload(fleet_api)
    got = claim(fleet_api, **GPU)
    assert got.headers["lease_seconds"] == "120"
    lease = got.headers["lease_id"]
    response = post(fleet_api, "/job/lease", image_id=str(job), lease_id=lease)
    assert response.status_code == 200
    assert response.json()["status"] == "success" and response.json()["lease_seconds"] == 120
    wrong = post(fleet_api, "/job/lease", image_id=str(job), lease_id="not-mine")
    assert wrong.status_code == 409 and "lease" in wrong.json()["detail"]


def test_a_retry_makes_the_next_extension_409(fleet_api: Api) -> None:
    """After the doctor's Retry the old lease cannot be extended any more."""
    job = upload(fleet_api)
    lease = claim(fleet_api, **GPU).headers["lease_id"]
    params = {"image_id": str(job), "confirm": "retry"}
    assert (
        fleet_api.client.get("/confirm", headers=fleet_api.auth, params=params).status_code == 200
    )
    assert post(fleet_api, "/job/lease", image_id=str(job), lease_id=lease).status_code == 409


def test_three_failure_reports_mark_the_job_failed_in_results(fleet_api: Api) -> None:
    """Each report returns the slot at once; after three the job shows as failed in /results.

    Three workers fail it in turn: a worker is not handed a job it failed itself for a while.
    """
    job = upload(fleet_api)
    for n in range(3):
        who = {**GPU, "worker_name": f"gpu-{n + 1}"}
        got = claim(fleet_api, **who)
        assert got.status_code == 200
        response = post(
            fleet_api,
            "/job/failed",
            who,
            image_id=got.headers["img_id"],
            lease_id=got.headers["lease_id"],
            reason=f"RuntimeError: CUDA out of memory ({n})",
        )
        assert response.status_code == 200 and response.json() == {"status": "success"}
    assert claim(fleet_api).status_code == 204  # a failed job is handed out no more
    results = fleet_api.client.get("/results", headers=fleet_api.auth).json()
    failures = results["failures"][str(job)]
    assert failures["failed"] is True and failures["attempts"] == 3
    assert failures["reasons"][2] == "RuntimeError: CUDA out of memory (2)"
    workers = fleet_api.client.get("/workers", headers=fleet_api.auth).json()["workers"]
    assert sorted(w["failures"] for w in workers if w["name"].startswith("gpu-")) == [1, 1, 1]
    assert {w["info"] for w in workers if w["name"].startswith("gpu-")} == {"sdxl-turbo 1.0"}


def test_failure_reports_are_checked(fleet_api: Api) -> None:
    """Missing or bad fields get a 422 that names them; a reason over 500 characters too."""
    job = upload(fleet_api)
    lease = claim(fleet_api).headers["lease_id"]
    cases = [
        ({"lease_id": lease, "reason": "x"}, "image_id"),
        ({"image_id": str(job), "reason": "x"}, "lease_id"),
        ({"image_id": str(job), "lease_id": lease}, "reason"),
        ({"image_id": str(job), "lease_id": lease, "reason": "x" * 501}, "reason"),
    ]
    for data, field in cases:
        response = post(fleet_api, "/job/failed", **data)
        assert response.status_code == 422, response.text
        assert response.json()["detail"].startswith(field)
    assert (
        post(fleet_api, "/job/failed", image_id="999", lease_id=lease, reason="x").status_code
        == 404
    )


def test_workers_lists_named_and_anonymous_workers(fleet_api: Api) -> None:
    """A named worker is listed by name with its info; one without headers by its User-Agent."""
    assert fleet_api.client.get("/workers").status_code == 401
    claim(fleet_api, **GPU)
    claim(fleet_api, **{"user-agent": "old-gpu-worker/1.0"})
    body = fleet_api.client.get("/workers", headers=fleet_api.auth).json()
    names = {w["name"]: w for w in body["workers"]}
    assert names["gpu-1"]["state"] == "idle" and body["alive"] == 2
    anonymous = next(w for n, w in names.items() if n != "gpu-1")
    assert anonymous["user_agent"] == "old-gpu-worker/1.0"
    assert anonymous["name"].endswith("old-gpu-worker/1.0")


def test_a_result_is_counted_and_timed_for_its_worker(fleet_api: Api) -> None:
    """POST /job by a named worker counts one result with its claim-to-result time."""
    job = upload(fleet_api)
    lease = claim(fleet_api, **GPU).headers["lease_id"]
    files = {"result": ("x.png", png(20, 20), "image/png")}
    response = fleet_api.client.post(
        "/job",
        headers={**fleet_api.auth, **GPU},
        data={"image_id": str(job), "lease_id": lease},
        files=files,
    )
    assert response.status_code == 200
    [gpu] = fleet_api.client.get("/workers", headers=fleet_api.auth).json()["workers"]
    assert gpu["results"] == 1 and gpu["mean_seconds"] is not None and gpu["slots_held"] == 0


def test_min_age_and_workflow_choose_what_get_job_hands_out(fleet_api: Api) -> None:
    """A fresh job is left alone by min_age; workflows filter; the header names the workflow."""
    upload(fleet_api, workflow="lcm")
    assert claim(fleet_api, {"min_age": "30"}).status_code == 204
    assert claim(fleet_api, {"workflow": "sd15"}).status_code == 204
    got = claim(fleet_api, {"workflow": "sd15,lcm"})
    assert got.status_code == 200 and got.headers["workflow"] == "lcm"
    assert claim(fleet_api, {"min_age": "-1"}).status_code == 400


def test_an_unknown_workflow_is_refused_at_upload(fleet_api: Api) -> None:
    """An upload naming a workflow that is not configured gets a 422 naming the field."""
    data = {"first_name": "A", "last_name": "B", "animal_name": "C", "qr_content": "q"}
    response = fleet_api.client.post(
        "/upload",
        headers=fleet_api.auth,
        data={**data, "workflow": "nope"},
        files={"file": ("p.jpg", jpeg(), "image/jpeg")},
    )
    assert response.status_code == 422 and response.json()["detail"].startswith("workflow")


def test_results_say_which_slot_is_being_made_by_whom_and_which_waits(fleet_api: Api) -> None:
    """/results `slots`: a claimed slot is being made by gpu-1, the other waits for a worker."""
    job = upload(fleet_api)
    lease = claim(fleet_api, **GPU).headers["lease_id"]
    slots = fleet_api.client.get("/results", headers=fleet_api.auth).json()["slots"][str(job)]
    assert [(s["state"], s["worker"]) for s in slots] == [
        ("being_made", "gpu-1"),
        ("waiting", None),
    ]
    assert slots[0]["since"] is not None and slots[1]["since"] is None
    files = {"result": ("x.png", png(20, 20), "image/png")}
    fleet_api.client.post(
        "/job",
        headers={**fleet_api.auth, **GPU},
        data={"image_id": str(job), "lease_id": lease},
        files=files,
    )
    slots = fleet_api.client.get("/results", headers=fleet_api.auth).json()["slots"][str(job)]
    assert [(s["state"], s["worker"]) for s in slots] == [("filled", "gpu-1"), ("waiting", None)]


def test_the_slots_of_a_failed_job_say_failed(fleet_api: Api) -> None:
    """After three failure reports both slots of the job show `failed` until a Retry."""
    job = upload(fleet_api)
    for n in range(3):
        who = {**GPU, "worker_name": f"gpu-{n + 1}"}  # each worker fails it once (ADR 13)
        got = claim(fleet_api, **who)
        post(
            fleet_api,
            "/job/failed",
            who,
            image_id=str(job),
            lease_id=got.headers["lease_id"],
            reason="x",
        )
    slots = fleet_api.client.get("/results", headers=fleet_api.auth).json()["slots"][str(job)]
    assert [s["state"] for s in slots] == ["failed", "failed"]


def test_workers_warns_while_a_case_waits_and_no_worker_polled(fleet_api: Api) -> None:
    """`no_worker` is true while a case waits and no worker polled, false after a poll."""
    body = fleet_api.client.get("/workers", headers=fleet_api.auth).json()
    assert body["no_worker"] is False and body["quiet_seconds"] is None
    assert body["no_worker_after"] == 30 and body["gone_after"] == 60
    upload(fleet_api)
    body = fleet_api.client.get("/workers", headers=fleet_api.auth).json()
    assert body["no_worker"] is True and body["waiting_cases"] == 1
    assert claim(fleet_api, {"min_age": "30"}, **GPU).status_code == 204  # polls, gets none
    body = fleet_api.client.get("/workers", headers=fleet_api.auth).json()
    assert body["no_worker"] is False and body["quiet_seconds"] < 30
