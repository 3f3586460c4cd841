"""QRService: batches of owner codes, their PDF, progress and download."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pytest

from tests.conftest import Backend
from tests.fakes.fakes import FakeClock
from tests.unit.service_kit import Services, blob_keys, build
from xray_core.adapters.qr_sheet import ReportLabQRSheetRenderer
from xray_core.qr.errors import BatchNotReadyError, BatchSizeError, NoBatchError
from xray_core.qr.service import QRService
from xray_core.qr.sheet import LayoutError, QRLabel, SheetLayout


@pytest.fixture
def services(backend: Backend, clock: FakeClock) -> Services:
    """The core services on the backend under test, keeping the newest two QR PDFs."""
    return build(backend, clock, keep_batches=2)


class WatchingRenderer:
    """The real ReportLab renderer, noting what progress() says while it works."""

    def __init__(self) -> None:
        self.real = ReportLabQRSheetRenderer()
        self.seen: list[float] = []
        self.labels: list[QRLabel] = []
        self.layouts: list[SheetLayout | None] = []
        self.service: QRService | None = None

    def render(
        self,
        labels: Sequence[QRLabel],
        header: str,
        on_progress: Callable[[float], None],
        layout: SheetLayout | None = None,
    ) -> bytes:
        """Render for real; after each progress report, record the service's progress()."""
        self.labels = list(labels)
        self.layouts.append(layout)

        def watch(fraction: float) -> None:
            on_progress(fraction)
            assert self.service is not None
            self.seen.append(self.service.progress())

        return self.real.render(labels, header, watch, layout)


def pdf_keys(services: Services) -> set[str]:
    """Return the blob keys holding QR PDFs."""
    return {k for k in blob_keys(services.backend) if k.endswith(".pdf")}


@pytest.mark.parametrize("n", [0, -1, 1001, 10**9])
def test_a_batch_of_a_wrong_size_is_refused(services: Services, n: int) -> None:
    """Batches must hold 1 to 1000 codes; other sizes raise BatchSizeError and record nothing."""
    with pytest.raises(BatchSizeError):
        services.qr.start(n)

    assert services.qr.unfinished() == []
    with pytest.raises(NoBatchError):
        services.qr.download()


def test_download_before_any_batch_says_there_is_none(services: Services) -> None:
    """Before the admin started a batch, download() raises NoBatchError and progress is 0."""
    assert services.qr.progress() == 0.0
    with pytest.raises(NoBatchError):
        services.qr.download()


def test_download_of_a_started_batch_is_not_ready(services: Services) -> None:
    """While a batch is started but not rendered, download() raises BatchNotReadyError."""
    batch = services.qr.start(3)

    with pytest.raises(BatchNotReadyError):
        services.qr.download()
    assert services.qr.progress() < 100.0
    assert services.qr.unfinished() == [batch.id]


def test_render_makes_a_pdf_for_download(services: Services) -> None:
    """After render() the latest batch downloads as a PDF and progress is 100."""
    batch = services.qr.start(5)

    services.qr.render(batch.id)

    pdf = services.qr.download()
    assert pdf.startswith(b"%PDF")
    assert services.qr.progress() == 100.0
    assert services.qr.unfinished() == []
    assert len(pdf_keys(services)) == 1


def test_progress_reaches_100_only_after_the_pdf_is_stored(
    backend: Backend, clock: FakeClock
) -> None:
    """While the renderer works progress() stays below 100; it reads 100 once render() returns."""
    renderer = WatchingRenderer()
    qr = QRService(backend.uow, backend.blobs, renderer, clock, public_url="http://booth.test")
    renderer.service = qr
    batch = qr.start(60)

    qr.render(batch.id)

    assert renderer.seen
    assert all(p < 100.0 for p in renderer.seen)
    assert renderer.seen == sorted(renderer.seen)
    assert qr.progress() == 100.0


def test_the_pdf_encodes_each_owner_url_with_its_short_code(
    backend: Backend, clock: FakeClock
) -> None:
    """Each label carries the owner's page URL and the short code printed under it."""
    renderer = WatchingRenderer()
    qr = QRService(backend.uow, backend.blobs, renderer, clock, public_url="http://booth.test/")
    renderer.service = qr
    batch = qr.start(4)

    qr.render(batch.id)

    with backend.uow() as uow:
        owners = uow.owners.for_batch(batch.id)
    assert renderer.labels == [
        QRLabel(url=f"http://booth.test/p/{o.token}", code=o.code) for o in owners
    ]


def test_unfinished_lists_batches_started_but_not_rendered(services: Services) -> None:
    """Batches left running (e.g. by a restart) are listed until they are rendered."""
    first = services.qr.start(1)
    second = services.qr.start(1)
    assert sorted(services.qr.unfinished()) == sorted([first.id, second.id])

    services.qr.render(first.id)

    assert services.qr.unfinished() == [second.id]


def test_download_returns_the_newest_batch(services: Services) -> None:
    """Two rendered batches: download() gives the second one's PDF."""
    first = services.qr.start(1)
    services.qr.render(first.id)
    old = services.qr.download()
    second = services.qr.start(2)
    services.qr.render(second.id)

    new = services.qr.download()

    assert new.startswith(b"%PDF")
    assert new != old


def test_only_the_newest_pdfs_are_kept(services: Services) -> None:
    """With qr_batches_kept=2, rendering a third batch deletes the oldest PDF; owners stay."""
    tokens, ids = [], []
    for _ in range(3):
        batch = services.qr.start(1)
        with services.backend.uow() as uow:
            tokens.extend(o.token for o in uow.owners.for_batch(batch.id))
        services.qr.render(batch.id)
        ids.append(batch.id)

    kept = pdf_keys(services)
    assert len(kept) == 2
    assert {k.split("-")[1] for k in kept} == {str(i) for i in ids[1:]}
    assert services.qr.download().startswith(b"%PDF")
    for token in tokens:
        assert services.owners.items(token) == []


def test_a_failing_renderer_marks_the_batch_failed(backend: Backend, clock: FakeClock) -> None:
    """If drawing the PDF fails, download() says the batch failed and no PDF is stored."""

    class BrokenRenderer:
        def render(
            self,
            labels: Sequence[QRLabel],
            header: str,
            on_progress: Callable[[float], None],
            layout: SheetLayout | None = None,
        ) -> bytes:
            on_progress(0.5)
            raise RuntimeError("printer on fire")

    qr = QRService(backend.uow, backend.blobs, BrokenRenderer(), clock, "http://booth.test")
    batch = qr.start(2)

    with pytest.raises(RuntimeError):
        qr.render(batch.id)

    with pytest.raises(BatchNotReadyError, match="failed"):
        qr.download()
    assert qr.unfinished() == []
    assert {k for k, _ in backend.blobs.keys()} == set()


def test_a_batch_keeps_its_layout_and_is_drawn_again_with_it_after_a_restart(
    any_backend: Backend, clock: FakeClock
) -> None:
    """The layout a batch was started with is stored; a new service (a restart) draws with it."""
    before = QRService(any_backend.uow, any_backend.blobs, WatchingRenderer(), clock, "http://b")
    chosen = before.layout("grid", start_at=5, offset_x_mm=2.5, offset_y_mm=-1.25)
    batch = before.start(3, chosen)
    with any_backend.uow() as uow:
        stored = uow.batches.get(batch.id)
    assert stored is not None and stored.layout == chosen

    renderer = WatchingRenderer()
    other_default = SheetLayout("avery-l7163", offset_y_mm=4.0)
    after = QRService(
        any_backend.uow, any_backend.blobs, renderer, clock, "http://b", layout=other_default
    )
    renderer.service = after
    for batch_id in after.unfinished():
        after.render(batch_id)
    assert renderer.layouts == [chosen]
    assert after.download().startswith(b"%PDF")


def test_a_batch_without_sheet_values_uses_the_default_layout(
    backend: Backend, clock: FakeClock
) -> None:
    """Values not given come from the service's default layout (the settings)."""
    default = SheetLayout("avery-l7159", offset_x_mm=1.0, start_at=2)
    renderer = WatchingRenderer()
    qr = QRService(backend.uow, backend.blobs, renderer, clock, "http://b", layout=default)
    renderer.service = qr
    assert qr.layout() == default
    assert qr.layout(start_at=7) == SheetLayout("avery-l7159", offset_x_mm=1.0, start_at=7)
    qr.render(qr.start(2).id)
    assert renderer.layouts == [default]


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"kind": "avery-l9999"}, "layout"),
        ({"start_at": 0}, "start_at"),
        ({"start_at": 22}, "start_at"),  # 21 labels on the default sheet
        ({"kind": "avery-l7163", "start_at": 15}, "start_at"),  # 14 on a 2x7 sheet
        ({"offset_x_mm": 20.5}, "offset_x_mm"),
        ({"offset_y_mm": -30.0}, "offset_y_mm"),
    ],
)
def test_a_layout_out_of_range_names_its_field_and_records_nothing(
    services: Services, values: dict[str, object], field: str
) -> None:
    """An unknown sheet, a start label off the sheet, an offset beyond 20 mm: LayoutError."""
    with pytest.raises(LayoutError) as raised:
        services.qr.start(1, services.qr.layout(**values))  # type: ignore[arg-type]
    assert raised.value.field == field
    assert services.qr.latest() is None
