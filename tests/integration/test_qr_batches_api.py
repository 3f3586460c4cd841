"""QR batches through the API and the service: every printed code leads to its owner's page."""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

import pytest
import zxingcpp
from PIL import Image

from tests.integration.conftest import Api
from xray_core.qr.service import QRService

QR_ONLY = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)
T = TypeVar("T")


def decode_all(pdf: bytes, workdir: Path) -> list[str]:
    """Return the text of every QR code on every page of ``pdf`` (pdftoppm at 150 dpi)."""
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "sheet.pdf").write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", "150", "-gray", "-png", "sheet.pdf", "page"], cwd=workdir, check=True
    )
    texts = []
    for path in sorted(workdir.glob("page-*.png")):
        with Image.open(path) as image:
            texts += [code.text for code in zxingcpp.read_barcodes(image, formats=QR_ONLY)]
    return texts


def batch_urls(api: Api, batch_id: int) -> list[str]:
    """Return the owner URLs recorded for one batch, in print order."""
    qr: QRService = api.container.qr()
    with api.container.storage.uow()() as uow:
        return [qr.owner_url(owner.token) for owner in uow.owners.for_batch(batch_id)]


def latest_batch_id(api: Api) -> int:
    with api.container.storage.uow()() as uow:
        batch = uow.batches.latest()
    assert batch is not None
    return batch.id


def batch_pdf(api: Api, batch_id: int) -> bytes:
    with api.container.storage.uow()() as uow:
        batch = uow.batches.get(batch_id)
    assert batch is not None and batch.pdf_key is not None
    return api.container.storage.blobs().get(batch.pdf_key)


def progress(api: Api) -> float:
    return float(api.client.get("/qr/progress", headers=api.auth).json()["progress"])


@pytest.mark.slow
def test_every_code_of_a_100_code_batch_decodes_to_an_owner_page_of_that_batch(
    api: Api, tmp_path: Path
) -> None:
    """All 100 codes of a PDF made through the API decode to the batch's URLs, each page 200."""
    assert api.client.get("/qr", params={"n": 100}, headers=api.auth).status_code == 200
    assert progress(api) == 100
    response = api.client.get("/qr/download", headers=api.auth)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    decoded = decode_all(response.content, tmp_path)
    expected = batch_urls(api, latest_batch_id(api))
    assert len(expected) == 100
    assert sorted(decoded) == sorted(expected)
    for url in decoded:
        assert url.startswith(f"{api.settings.qr_base_url}/p/")
        assert api.client.get(urlsplit(url).path).status_code == 200


def _at_once(*calls: Callable[[], T]) -> list[T]:
    """Run ``calls`` in threads released together; return their results, re-raise failures."""
    barrier = threading.Barrier(len(calls))
    results: dict[int, T] = {}
    errors: list[BaseException] = []

    def run(index: int, call: Callable[[], T]) -> None:
        barrier.wait()
        try:
            results[index] = call()
        except BaseException as exc:  # handed over to the test's own thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=item) for item in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return [results[i] for i in range(len(calls))]


@pytest.mark.slow
def test_concurrent_batches_each_get_exactly_their_own_codes(api: Api, tmp_path: Path) -> None:
    """Two batches started and rendered at the same time each decode to their own owners only."""
    qr: QRService = api.container.qr()
    small, large = _at_once(lambda: qr.start(40), lambda: qr.start(60))
    ids = [small.id, large.id]
    _at_once(*(lambda batch_id=batch_id: qr.render(batch_id) for batch_id in ids))
    urls = {batch_id: batch_urls(api, batch_id) for batch_id in ids}
    assert [len(urls[i]) for i in ids] == [40, 60]
    assert not set(urls[ids[0]]) & set(urls[ids[1]])
    for batch_id in ids:
        decoded = decode_all(batch_pdf(api, batch_id), tmp_path / str(batch_id))
        assert sorted(decoded) == sorted(urls[batch_id])


def test_download_gives_the_latest_batch_and_only_once_progress_is_100(
    api: Api, tmp_path: Path
) -> None:
    """/qr/download serves the newest batch; while it is unrendered, progress < 100 and 409."""
    assert api.client.get("/qr", params={"n": 3}, headers=api.auth).status_code == 200
    first = api.client.get("/qr/download", headers=api.auth).content
    assert api.client.get("/qr", params={"n": 5}, headers=api.auth).status_code == 200
    second = api.client.get("/qr/download", headers=api.auth).content
    assert sorted(decode_all(second, tmp_path / "b")) == sorted(
        batch_urls(api, latest_batch_id(api))
    )
    assert first != second

    qr: QRService = api.container.qr()
    pending = qr.start(4)  # recorded, not drawn yet: as if the render were still running
    assert progress(api) < 100
    assert api.client.get("/qr/download", headers=api.auth).status_code == 409
    qr.render(pending.id)
    assert progress(api) == 100
    third = api.client.get("/qr/download", headers=api.auth)
    assert third.status_code == 200
    assert sorted(decode_all(third.content, tmp_path / "c")) == sorted(batch_urls(api, pending.id))
