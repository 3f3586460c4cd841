"""Sheet layout, start label and printer offsets of a QR batch, chosen through GET /qr."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.conftest import Api, start_api
from tests.integration.test_qr_batches_api import batch_urls, latest_batch_id
from tests.integration.test_qr_sheet import Decoded, _decode
from xray_core.qr.sheet import SheetLayout, place_labels


def make(api: Api, **params: object) -> dict[str, object]:
    """Make a batch with ``params``; return /qr/status after it (drawn by then)."""
    response = api.client.get("/qr", params=params, headers=api.auth)
    assert response.status_code == 200, response.text
    status: dict[str, object] = api.client.get("/qr/status", headers=api.auth).json()
    return status


def decoded(api: Api, workdir: Path) -> dict[str, Decoded]:
    """The latest batch's PDF through /qr/download, decoded: URL -> where it was found."""
    pdf = api.client.get("/qr/download", headers=api.auth)
    assert pdf.status_code == 200
    workdir.mkdir()
    return {d.text: d for d in _decode(pdf.content, workdir)}


def assert_where_layout_puts_them(found: dict[str, Decoded], urls: list[str], layout: SheetLayout):
    """Each URL decodes on the page and at the spot ``layout`` gives its label (within 1 mm)."""
    assert found.keys() == set(urls)
    for url, place in zip(urls, place_labels(len(urls), layout), strict=True):
        centre = (
            place.code.x_mm + place.code.width_mm / 2,
            place.code.y_mm + place.code.height_mm / 2,
        )
        assert found[url].page == place.page
        assert (found[url].x_mm, found[url].y_mm) == pytest.approx(centre, abs=1.0)


def test_start_label_and_offsets_move_the_printed_codes(api: Api, tmp_path: Path) -> None:
    """start_at leaves the first labels free; the offsets move every code by that many mm."""
    plain = make(api, n=4)
    assert plain["layout"] == {
        "layout": "avery-l7160",
        "start_at": 1,
        "offset_x_mm": 0.0,
        "offset_y_mm": 0.0,
    }
    before = decoded(api, tmp_path / "plain")
    first_before = before[batch_urls(api, latest_batch_id(api))[0]]

    status = make(api, n=4, layout="avery-l7160", start_at=5, offset_x_mm="3.5", offset_y_mm=-2)
    assert status["status"] == "done" and status["progress"] == 100.0 and status["size"] == 4
    layout = SheetLayout("avery-l7160", offset_x_mm=3.5, offset_y_mm=-2.0, start_at=5)
    assert status["layout"] == {
        "layout": "avery-l7160",
        "start_at": 5,
        "offset_x_mm": 3.5,
        "offset_y_mm": -2.0,
    }
    urls = batch_urls(api, latest_batch_id(api))
    after = decoded(api, tmp_path / "moved")
    assert_where_layout_puts_them(after, urls, layout)
    # Label 5 is the second of the second row: one pitch right, one down, plus the offsets.
    first = after[urls[0]]
    assert first.x_mm - first_before.x_mm == pytest.approx(66.04 + 3.5, abs=0.5)
    assert first.y_mm - first_before.y_mm == pytest.approx(38.1 - 2.0, abs=0.5)
    assert all(d.y_mm > first_before.y_mm + 20 for d in after.values())  # row 1 left free


@pytest.mark.parametrize("kind", ["avery-l7159", "a4-3x8-70x37", "avery-l7163", "grid"])
def test_every_layout_prints_codes_that_decode_where_its_labels_are(
    api: Api, tmp_path: Path, kind: str
) -> None:
    """Each offered sheet: the last label of the first page and the next page decode in place."""
    per_page = SheetLayout(kind).spec.labels_per_page  # type: ignore[arg-type]
    status = make(api, n=3, layout=kind, start_at=per_page - 1)
    assert status["layout"]["layout"] == kind  # type: ignore[index]
    layout = SheetLayout(kind, start_at=per_page - 1)  # type: ignore[arg-type]
    found = decoded(api, tmp_path / kind)
    assert_where_layout_puts_them(found, batch_urls(api, latest_batch_id(api)), layout)
    assert sorted(d.page for d in found.values()) == [0, 0, 1]


def test_without_sheet_parameters_the_settings_layout_is_used(tmp_path: Path) -> None:
    """GET /qr?n= prints on the QR_* settings, as before the parameters existed."""
    settings = {"qr_layout": "grid", "qr_start_at": 3, "qr_offset_x_mm": 1.5}
    for api in start_api(tmp_path / "data", **settings):
        status = make(api, n=2)
        assert status["layout"] == {
            "layout": "grid",
            "start_at": 3,
            "offset_x_mm": 1.5,
            "offset_y_mm": 0.0,
        }
        found = decoded(api, tmp_path / "pdf")
        layout = SheetLayout("grid", offset_x_mm=1.5, start_at=3)
        assert_where_layout_puts_them(found, batch_urls(api, latest_batch_id(api)), layout)
        # A value given replaces only its own setting.
        assert make(api, n=1, start_at=24)["layout"] == {
            "layout": "grid",
            "start_at": 24,
            "offset_x_mm": 1.5,
            "offset_y_mm": 0.0,
        }


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"layout": "avery-l9999"}, "layout"),
        ({"layout": ""}, "layout"),
        ({"start_at": "0"}, "start_at"),
        ({"start_at": "22"}, "start_at"),
        ({"layout": "avery-l7163", "start_at": "15"}, "start_at"),
        ({"start_at": "2.5"}, "start_at"),
        ({"start_at": ""}, "start_at"),
        ({"start_at": "99999999999999999999"}, "start_at"),
        ({"offset_x_mm": "20.5"}, "offset_x_mm"),
        ({"offset_x_mm": "abc"}, "offset_x_mm"),
        ({"offset_x_mm": "1,5"}, "offset_x_mm"),
        ({"offset_y_mm": "nan"}, "offset_y_mm"),
        ({"offset_y_mm": "1e3"}, "offset_y_mm"),
        ({"offset_y_mm": "-25"}, "offset_y_mm"),
        ({"offset_y_mm": ""}, "offset_y_mm"),
    ],
)
def test_a_bad_sheet_value_is_422_naming_the_field_and_starts_nothing(
    api: Api, params: dict[str, str], field: str
) -> None:
    """Bad layout values answer JSON 422 with ``field``; no batch is recorded."""
    response = api.client.get("/qr", params={"n": 3, **params}, headers=api.auth)
    assert response.status_code == 422
    body = response.json()
    assert body["field"] == field and body["detail"].startswith(f"{field}: ")
    assert api.client.get("/qr/status", headers=api.auth).json() == {
        "batch_id": None,
        "status": None,
        "progress": 0.0,
        "size": 0,
        "layout": None,
    }


def test_a_bad_count_names_n(api: Api) -> None:
    """A count outside 1..1000 is 422 with field "n" (the page shows it under that field)."""
    response = api.client.get("/qr", params={"n": 0}, headers=api.auth)
    assert response.status_code == 422 and response.json()["field"] == "n"
