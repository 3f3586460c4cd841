"""A QR batch interrupted by a restart is finished when the server starts again."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from tests.integration.conftest import start_api
from tests.integration.test_qr_layout_api import assert_where_layout_puts_them
from tests.integration.test_qr_sheet import _decode
from xray_core.qr.sheet import SheetLayout


def test_a_batch_cut_off_by_a_restart_is_drawn_at_the_next_start(tmp_path: Path) -> None:
    """A batch recorded but never drawn (the server died) is drawn at start-up and downloadable."""
    data = tmp_path / "data"
    for api in start_api(data):
        batch = api.container.qr().start(7)  # recorded, then the "server dies" before drawing
        assert api.client.get("/qr/progress", headers=api.auth).json() == {"progress": 0.0}
        assert api.client.get("/qr/download", headers=api.auth).status_code == 409
    for api in start_api(data):
        assert api.client.get("/qr/progress", headers=api.auth).json() == {"progress": 100.0}
        pdf = api.client.get("/qr/download", headers=api.auth)
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
        with api.container.storage.uow()() as uow:
            assert len(uow.owners.for_batch(batch.id)) == 7


def test_a_batch_cut_off_by_a_restart_is_drawn_again_on_its_own_layout(tmp_path: Path) -> None:
    """The layout a batch was started with survives the restart, whatever the settings say."""
    data = tmp_path / "data"
    layout = SheetLayout("grid", offset_x_mm=2.0, offset_y_mm=-1.5, start_at=6)
    for api in start_api(data):
        qr = api.container.qr()
        batch = qr.start(5, layout)  # the server "dies" before drawing
        with api.container.storage.uow()() as uow:
            urls = [qr.owner_url(o.token) for o in uow.owners.for_batch(batch.id)]
    for api in start_api(data, qr_layout="avery-l7163"):
        status = api.client.get("/qr/status", headers=api.auth).json()
        assert status["status"] == "done"
        assert status["layout"] == {
            "layout": "grid",
            "start_at": 6,
            "offset_x_mm": 2.0,
            "offset_y_mm": -1.5,
        }
        pdf = api.client.get("/qr/download", headers=api.auth).content
        (tmp_path / "pdf").mkdir()
        found = {d.text: d for d in _decode(pdf, tmp_path / "pdf")}
        assert_where_layout_puts_them(found, urls, layout)


def test_a_batch_recorded_before_layouts_were_stored_uses_the_settings_layout(
    tmp_path: Path,
) -> None:
    """A running batch without stored layout (an older release recorded it) prints as before."""
    data = tmp_path / "data"
    for api in start_api(data):
        batch = api.container.qr().start(2)
        with api.container.storage.engine().begin() as connection:
            connection.execute(
                text(
                    "UPDATE qr_batches SET layout = NULL, offset_x_mm = NULL,"
                    " offset_y_mm = NULL, start_at = NULL WHERE id = :id"
                ),
                {"id": batch.id},
            )
    for api in start_api(data, qr_layout="grid", qr_start_at=4):
        status = api.client.get("/qr/status", headers=api.auth).json()
        assert status["status"] == "done"
        assert status["layout"]["layout"] == "grid" and status["layout"]["start_at"] == 4
