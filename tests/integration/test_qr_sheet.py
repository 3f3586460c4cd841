"""ReportLabQRSheetRenderer: real PDFs, rendered by poppler and decoded by zxing-cpp."""

from __future__ import annotations

import base64
import math
import random
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image

from xray_core.adapters.qr_sheet import (
    BatchQREncoder,
    ReportLabQRSheetRenderer,
    fit_version,
    qrcode_bitmap,
)
from xray_core.errors import InvalidInputError
from xray_core.qr.sheet import (
    SHEETS,
    QRLabel,
    SheetLayout,
    page_count,
    place_labels,
    slot_placement,
)

DPI = 150
MM_PER_PX = 25.4 / DPI
PUBLIC_URL = "https://teddy.example.org"
QR_ONLY = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)
BOTH_KINDS = pytest.mark.parametrize("kind", ["avery-l7160", "grid"])


@dataclass(frozen=True)
class Decoded:
    """One QR code found on a rendered page, its centre in mm from the page's top left."""

    page: int
    text: str
    x_mm: float
    y_mm: float


def _labels(count: int, seed: int = 1) -> list[QRLabel]:
    rng = random.Random(seed)
    labels = []
    for _ in range(count):
        token = base64.urlsafe_b64encode(rng.randbytes(16)).rstrip(b"=").decode()
        code = "".join(rng.choice("ACDEFGHJKMNPQRTUVWXY34679") for _ in range(8))
        labels.append(QRLabel(f"{PUBLIC_URL}/p/{token}", f"{code[:4]}-{code[4:]}"))
    return labels


def _render(labels: list[QRLabel], layout: SheetLayout) -> bytes:
    return ReportLabQRSheetRenderer(layout, invariant=True).render(labels, "test", lambda _: None)


def _decode(pdf: bytes, tmp_path: Path) -> list[Decoded]:
    (tmp_path / "sheet.pdf").write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", str(DPI), "-gray", "-png", "sheet.pdf", "page"],
        cwd=tmp_path,
        check=True,
    )
    found = []
    for page, path in enumerate(sorted(tmp_path.glob("page-*.png"))):
        with Image.open(path) as image:
            codes = zxingcpp.read_barcodes(image, formats=QR_ONLY)
        for code in codes:
            corners = code.position
            points = (
                corners.top_left,
                corners.top_right,
                corners.bottom_left,
                corners.bottom_right,
            )
            x = sum(p.x for p in points) / 4 * MM_PER_PX
            y = sum(p.y for p in points) / 4 * MM_PER_PX
            found.append(Decoded(page, code.text, x, y))
    return found


@pytest.mark.slow
@BOTH_KINDS
def test_every_code_decodes_to_its_url_where_the_layout_puts_it(kind: str, tmp_path: Path) -> None:
    """Each of 100 codes decodes to exactly its own URL, at the position the geometry gives."""
    layout = SheetLayout(kind)  # type: ignore[arg-type]
    labels = _labels(100)
    decoded = _decode(_render(labels, layout), tmp_path)
    assert sorted(d.text for d in decoded) == sorted(label.url for label in labels)
    for label, place in zip(labels, place_labels(len(labels), layout), strict=True):
        (hit,) = [d for d in decoded if d.text == label.url]
        centre_x = place.code.x_mm + place.code.width_mm / 2
        centre_y = place.code.y_mm + place.code.height_mm / 2
        assert hit.page == place.page
        assert (hit.x_mm, hit.y_mm) == pytest.approx((centre_x, centre_y), abs=1.0)


@pytest.mark.slow
def test_start_at_leaves_the_first_positions_of_the_first_page_empty(tmp_path: Path) -> None:
    """30 labels from position 5 of an L7160 sheet put 17 on page 1, 13 on page 2, none before."""
    layout = SheetLayout("avery-l7160", start_at=5)
    labels = _labels(30)
    placements = place_labels(30, layout)
    assert page_count(30, layout) == 2
    assert [p.slot for p in placements[:2]] == [4, 5]
    decoded = _decode(_render(labels, layout), tmp_path)
    assert sum(d.page == 0 for d in decoded) == 17
    assert sum(d.page == 1 for d in decoded) == 13
    first_free = slot_placement(0, 4, layout).label
    first_page = [d for d in decoded if d.page == 0]
    # Nothing above the fifth label's row, nothing left of it in its row.
    assert all(d.y_mm > first_free.y_mm for d in first_page)
    assert all(
        d.x_mm > first_free.x_mm
        for d in first_page
        if d.y_mm < first_free.y_mm + first_free.height_mm
    )
    assert {d.text for d in first_page} == {label.url for label in labels[:17]}


def test_offsets_shift_every_code_by_that_many_millimetres(tmp_path: Path) -> None:
    """Calibration offsets move labels in the geometry and the codes on the printed page."""
    labels = _labels(6)
    plain = SheetLayout("avery-l7160")
    shifted = SheetLayout("avery-l7160", offset_x_mm=4.0, offset_y_mm=-3.0)
    for a, b in zip(place_labels(6, plain), place_labels(6, shifted), strict=True):
        assert math.isclose(b.code.x_mm - a.code.x_mm, 4.0)
        assert math.isclose(b.code.y_mm - a.code.y_mm, -3.0)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    before = {d.text: d for d in _decode(_render(labels, plain), tmp_path / "a")}
    after = {d.text: d for d in _decode(_render(labels, shifted), tmp_path / "b")}
    assert before.keys() == after.keys() == {label.url for label in labels}
    for url, old in before.items():
        assert after[url].x_mm - old.x_mm == pytest.approx(4.0, abs=0.3)
        assert after[url].y_mm - old.y_mm == pytest.approx(-3.0, abs=0.3)


def _render_at_once(
    renderer: ReportLabQRSheetRenderer,
    labels: list[QRLabel],
    header: str,
    barrier: threading.Barrier,
    results: list[bytes],
    index: int,
) -> None:
    barrier.wait()
    results[index] = renderer.render(labels, header, lambda _: None)


@pytest.mark.slow
def test_renders_in_several_threads_at_once_match_sequential_renders() -> None:
    """Renders racing in threads, two on one cold renderer, give the bytes of sequential ones."""
    batches = [(_labels(300, seed=2), "A"), (_labels(250, seed=3), "B"), (_labels(90, seed=4), "C")]
    grid = SheetLayout("grid", start_at=3)
    expected = [
        ReportLabQRSheetRenderer(invariant=True).render(*batches[0], lambda _: None),
        ReportLabQRSheetRenderer(invariant=True).render(*batches[1], lambda _: None),
        ReportLabQRSheetRenderer(grid, invariant=True).render(*batches[2], lambda _: None),
    ]
    assert len(set(expected)) == 3
    for _ in range(3):
        shared = ReportLabQRSheetRenderer(invariant=True)
        renderers = [shared, shared, ReportLabQRSheetRenderer(grid, invariant=True)]
        results: list[bytes] = [b""] * 3
        barrier = threading.Barrier(3)
        threads = [
            threading.Thread(target=_render_at_once, args=(r, *batch, barrier, results, i))
            for i, (r, batch) in enumerate(zip(renderers, batches, strict=True))
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert results == expected


def test_invariant_renders_are_byte_identical_and_fresh_renderers_agree() -> None:
    """With invariant=True, a cold and a warm renderer produce the same bytes."""
    labels = _labels(120, seed=4)
    warm = ReportLabQRSheetRenderer(invariant=True)
    first = warm.render(labels, "h", lambda _: None)
    assert warm.render(labels, "h", lambda _: None) == first
    assert ReportLabQRSheetRenderer(invariant=True).render(labels, "h", lambda _: None) == first


def test_progress_is_monotonic_reported_per_page_and_ends_at_one() -> None:
    """Progress values never go down, come at least once per page and end with one 1.0."""
    labels = _labels(100)
    seen: list[float] = []
    ReportLabQRSheetRenderer().render(labels, "h", seen.append)
    assert seen == sorted(seen)
    assert all(0.0 <= value <= 1.0 for value in seen)
    assert len(seen) >= page_count(100, SheetLayout())
    assert seen[-1] == 1.0
    assert seen.count(1.0) == 1


@pytest.mark.parametrize(
    "kwargs",
    [
        {"start_at": 0},
        {"start_at": 22},
        {"kind": "grid", "start_at": 25},
        {"offset_x_mm": 20.5},
        {"offset_y_mm": -21.0},
        {"offset_x_mm": float("nan")},
        {"offset_y_mm": float("inf")},
        {"kind": "avery-l7651"},
    ],
)
def test_invalid_layouts_are_rejected(kwargs: dict[str, object]) -> None:
    """Start positions off the page, offsets beyond 20 mm and unknown kinds raise."""
    with pytest.raises(InvalidInputError):
        SheetLayout(**kwargs)  # type: ignore[arg-type]


def test_last_positions_and_largest_offsets_are_accepted() -> None:
    """The last position of each sheet and offsets of exactly 20 mm are valid."""
    assert SheetLayout("avery-l7160", start_at=21, offset_x_mm=20.0).start_at == 21
    assert SheetLayout("grid", start_at=24, offset_y_mm=-20.0).start_at == 24


@pytest.mark.parametrize(
    ("url", "code"),
    [("", "AB"), ("https://x/p/a b", "AB"), ("https://x/p/a", "Ä"), ("u", "A" * 25)],
)
def test_invalid_labels_are_rejected(url: str, code: str) -> None:
    """Empty or spaced URLs and codes that are not short printable ASCII raise."""
    with pytest.raises(InvalidInputError):
        QRLabel(url, code)


def test_urls_too_long_for_a_sticker_and_empty_batches_are_rejected() -> None:
    """A URL beyond version 10 of a QR code, or no labels at all, raise InvalidInputError."""
    renderer = ReportLabQRSheetRenderer()
    with pytest.raises(InvalidInputError):
        renderer.render([QRLabel(PUBLIC_URL + "/p/" + "x" * 300, "AB")], "h", lambda _: None)
    with pytest.raises(InvalidInputError):
        renderer.render([], "h", lambda _: None)


@pytest.mark.slow
def test_fast_encoder_matches_qrcode_module_for_module() -> None:
    """The fast encoder gives exactly qrcode's modules, for any bytes and mixed lengths."""
    rng = random.Random(5)
    urls = [label.url for label in _labels(200, seed=6)]
    urls += [f"{PUBLIC_URL}/p/{''.join(rng.choices(['é', 'aa'], k=10))}" for _ in range(200)]
    urls += [f"{PUBLIC_URL}/p/{'é' * rng.randint(10, 13)}{rng.random()}" for _ in range(40)]
    encoder = BatchQREncoder()
    for batch in (urls, urls[::-1], urls[:5]):
        version, bitmaps = encoder.encode(batch)
        assert version == fit_version([url.encode() for url in batch])
        assert bitmaps == [qrcode_bitmap(url.encode(), version) for url in batch]


@pytest.mark.parametrize("kind", sorted(SHEETS))
def test_every_sheet_fits_its_labels_on_a4_and_its_codes_in_their_labels(kind: str) -> None:
    """Labels stay on the page, codes and short codes inside their labels, none overlap."""
    spec = SHEETS[kind]
    assert (spec.page_width_mm, spec.page_height_mm) == (210.0, 297.0)
    layout = SheetLayout(kind)  # type: ignore[arg-type]
    places = place_labels(spec.labels_per_page, layout)
    for place in places:
        label, code = place.label, place.code
        assert label.x_mm >= 0 and label.x_mm + label.width_mm <= spec.page_width_mm + 1e-9
        assert label.y_mm >= 0 and label.y_mm + label.height_mm <= spec.page_height_mm + 1e-9
        assert label.x_mm <= code.x_mm and code.x_mm + code.width_mm <= label.x_mm + label.width_mm
        assert label.y_mm <= code.y_mm < code.y_mm + code.height_mm < place.text_baseline_mm
        assert place.text_baseline_mm <= label.y_mm + label.height_mm
    assert spec.pitch_x_mm >= spec.label_width_mm and spec.pitch_y_mm >= spec.label_height_mm
    if spec.header_baseline_mm is not None:  # the header line sits above the first row
        assert spec.header_baseline_mm < spec.top_mm
