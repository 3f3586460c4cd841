"""A QR batch interrupted by a restart is finished when the server starts again."""

from __future__ import annotations

from pathlib import Path

from tests.integration.conftest import start_api


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
