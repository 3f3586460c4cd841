"""The API extensions the booth pages use: pending cases of a QR, carousel items, status."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.images import jpeg, png
from tests.integration.conftest import Api, start_api
from tests.integration.test_owner_pages import new_owners, owner_url
from xray_core.owners.model import short_code


def upload(api: Api, qr_content: str, animal: str = "Buddy", last: str = "Smith") -> int:
    """Upload a photo for ``qr_content`` and return the job id."""
    data = {
        "first_name": "Alice",
        "last_name": last,
        "animal_name": animal,
        "qr_content": qr_content,
        "animal_type": "bear",
    }
    files = {"file": ("photo.jpg", jpeg(40, 30), "image/jpeg")}
    response = api.client.post("/upload", headers=api.auth, data=data, files=files)
    assert response.status_code == 200, response.text
    return int(response.json()["job_id"])


def work(api: Api, colour: tuple[int, int, int] = (10, 20, 30)) -> tuple[int, bytes]:
    """Claim the next slot like a worker and post a result; return the job id and its bytes."""
    claim = api.client.get("/job", headers=api.auth)
    job_id = int(claim.headers["img_id"])
    xray = png(36, 28, colour)
    posted = api.client.post(
        "/job",
        headers=api.auth,
        data={"image_id": str(job_id)},
        files={"result": ("x.png", xray, "image/png")},
    )
    assert posted.status_code == 200
    return job_id, xray


def confirm(api: Api, job_id: int) -> None:
    params: dict[str, str | int] = {"image_id": job_id, "choice": 0, "confirm": "confirm"}
    assert api.client.get("/confirm", headers=api.auth, params=params).status_code == 200


def pending_for(api: Api, qr: str) -> list[int]:
    response = api.client.get("/cases/pending", params={"qr": qr}, headers=api.auth)
    assert response.status_code == 200, response.text
    ids: list[int] = response.json()["job_ids"]
    return ids


def test_pending_cases_of_a_qr_are_found_by_url_token_and_short_code(api: Api) -> None:
    """A pending case is found whether the QR is given as URL, bare token or typed code."""
    mine, other = new_owners(api, 2)
    job = upload(api, owner_url(api, mine))
    upload(api, owner_url(api, other))
    for given in (owner_url(api, mine), mine, short_code(mine).lower()):
        assert pending_for(api, given) == [job]
    confirm_after = work(api)[0]
    assert confirm_after == job
    confirm(api, job)
    assert pending_for(api, mine) == []


def test_pending_cases_need_a_token_and_a_qr(api: Api) -> None:
    """Without a token the answer is 401; without a qr text it is a 4xx naming it, never 500."""
    assert api.client.get("/cases/pending", params={"qr": "x"}).status_code == 401
    missing = api.client.get("/cases/pending", headers=api.auth)
    assert missing.status_code == 400 and "qr" in missing.text
    too_long = api.client.get("/cases/pending", params={"qr": "x" * 501}, headers=api.auth)
    assert too_long.status_code == 400


def test_carousel_items_name_the_animal_never_the_family(api: Api) -> None:
    """/carousel/items lists newest first with animal names and working image URLs, public."""
    first = upload(api, "ext-1", animal="Мишка", last="Geheim")
    work(api, (1, 2, 3))
    work(api, (4, 5, 6))
    confirm(api, first)
    second = upload(api, "ext-2", animal="Hoppel", last="Verborgen")
    _, xray = work(api, (7, 8, 9))
    confirm(api, second)
    response = api.client.get("/carousel/items")
    assert response.status_code == 200
    items = response.json()
    assert [(i["index"], i["job_id"], i["animal_name"]) for i in items] == [
        (0, second, "Hoppel"),
        (1, first, "Мишка"),
    ]
    assert "Geheim" not in response.text and "Verborgen" not in response.text
    assert "Alice" not in response.text
    got = api.client.get(items[0]["xray"])
    assert got.status_code == 200 and got.content == xray
    assert got.headers["content-type"] == "image/png"
    assert got.headers["cache-control"].startswith("private")
    photo = api.client.get(items[0]["original"])
    assert photo.status_code == 200 and photo.content.startswith(b"\x89PNG")


def test_the_big_screen_gets_light_web_sizes_of_the_carousel(api: Api) -> None:
    """The web-size URLs of /carousel/items serve WebPs within the web edge, lighter than PNGs."""
    import io

    from PIL import Image

    job = upload(api, "ext-web", animal="Flocke")
    work(api)
    confirm(api, job)
    [item] = api.client.get("/carousel/items").json()
    for kind in ("xray", "original"):
        web = api.client.get(item[f"{kind}_web"])
        full = api.client.get(item[kind])
        assert web.status_code == 200 and web.headers["content-type"] == "image/webp"
        assert web.headers["cache-control"].startswith("private")
        with Image.open(io.BytesIO(web.content)) as image:
            assert image.format == "WEBP"
            assert max(image.size) <= api.settings.web_image_edge
        assert len(web.content) <= len(full.content)


@pytest.mark.parametrize("path", ["/carousel/items/999/xray.png", "/carousel/items/1/other.png"])
def test_carousel_item_images_not_on_screen_are_404(api: Api, path: str) -> None:
    """An image of a job not on the carousel, or of an unknown kind, is a JSON 404."""
    response = api.client.get(path)
    assert response.status_code == 404
    assert response.json()["status_code"] == 404


def test_status_counts_cases_by_state(api: Api) -> None:
    """/status counts waiting and ready cases, the queue, and the time of each result."""
    upload(api, "a")
    upload(api, "b")
    work(api)
    status = api.client.get("/status", headers=api.auth)
    assert status.status_code == 200
    body = status.json()
    assert (body["pending"], body["waiting"], body["ready"]) == (2, 1, 1)
    assert (body["queue_depth"], body["results_per_image"], body["carousel"]) == (3, 2, 0)
    assert len(body["recent_seconds"]) == 1 and body["recent_seconds"][0] >= 0
    assert api.client.get("/status").status_code == 401


def test_settings_hide_the_metrics_token(tmp_path: Path, migrated_sqlite: Path) -> None:
    """The token that guards /metrics is a secret like the keys: /settings only says 'set'."""
    for api in start_api(tmp_path / "data", migrated_sqlite, metrics_token="scrape-me-9f2"):
        response = api.client.get("/settings", headers=api.auth)
        assert response.json()["metrics_token"] == "(set)"
        assert "scrape-me-9f2" not in response.text


def test_settings_show_values_but_hide_secrets(api: Api) -> None:
    """/settings lists the settings in force; the password hash and keys only say 'set'."""
    response = api.client.get("/settings", headers=api.auth)
    assert response.status_code == 200
    body = response.json()
    assert body["password_hash"] == "(set)"
    assert body["results_per_image"] == "2"
    assert body["animal_types"].startswith("bear, dog")
    assert "booth-secret" not in response.text and "fake$" not in response.text
    assert api.client.get("/settings").status_code == 401


def test_a_422_names_the_field_it_is_about(api: Api) -> None:
    """An upload with an empty name answers 422 with the field in an extra ``field`` key."""
    data = {"first_name": "", "last_name": "S", "animal_name": "B", "qr_content": "q"}
    files = {"file": ("photo.jpg", jpeg(), "image/jpeg")}
    response = api.client.post("/upload", headers=api.auth, data=data, files=files)
    assert response.status_code == 422
    assert response.json()["field"] == "first_name"
