"""QR sticker sheets: what goes on a label and where labels sit on an A4 page.

Pure geometry in millimetres, measured from the top-left corner of the page; renderers turn
it into their own units.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

from xray_core.errors import InvalidInputError

SheetKind = Literal["avery-l7160", "avery-l7159", "a4-3x8-70x37", "avery-l7163", "grid"]

MAX_OFFSET_MM = 20.0
MAX_CODE_TEXT = 24


class LayoutError(InvalidInputError):
    """A sheet layout value is out of range; ``field`` names it as ``GET /qr`` does."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field


@dataclass(frozen=True, slots=True)
class QRLabel:
    """One sticker: the owner URL its QR code encodes and the short code printed under it.

    Attributes:
        url: the owner page URL, ``{public_url}/p/{token}``.
        code: a short human-readable code (e.g. ``"K7QF-2M9X"``) for when no camera can read
            the QR code; printable ASCII, at most 24 characters.

    """

    url: str
    code: str

    def __post_init__(self) -> None:
        if not self.url or not self.url.isprintable() or any(c.isspace() for c in self.url):
            raise InvalidInputError("a label URL must be non-empty, without spaces")
        if len(self.code) > MAX_CODE_TEXT or not all(" " <= c <= "~" for c in self.code):
            raise InvalidInputError(
                f"a label code must be printable ASCII of at most {MAX_CODE_TEXT} characters"
            )


@dataclass(frozen=True, slots=True)
class SheetSpec:
    """The fixed geometry of one kind of sheet, in millimetres and points.

    Attributes:
        page_width_mm: page width.
        page_height_mm: page height.
        columns: labels per row.
        rows: labels per column.
        label_width_mm: width of one label.
        label_height_mm: height of one label.
        pitch_x_mm: distance between the left edges of neighbouring labels.
        pitch_y_mm: distance between the top edges of neighbouring labels.
        left_mm: left edge of the first label.
        top_mm: top edge of the first label.
        code_mm: side of the square holding the QR symbol with its quiet zone.
        code_top_mm: top of that square, from the top of the label.
        text_pt: font size of the short code.
        text_baseline_mm: baseline of the short code, from the top of the label.
        header_baseline_mm: baseline of the page header, from the top of the page; None for
            sheets whose labels reach the top edge (no header, no page number).
        cut_lines: whether to draw cut lines between labels (plain paper).

    """

    page_width_mm: float
    page_height_mm: float
    columns: int
    rows: int
    label_width_mm: float
    label_height_mm: float
    pitch_x_mm: float
    pitch_y_mm: float
    left_mm: float
    top_mm: float
    code_mm: float
    code_top_mm: float
    text_pt: float
    text_baseline_mm: float
    header_baseline_mm: float | None
    cut_lines: bool

    @property
    def labels_per_page(self) -> int:
        """Number of labels on one page."""
        return self.columns * self.rows


# The quiet zone stays inside the label: a peeled sticker keeps nothing of its neighbours.
SHEETS: MappingProxyType[str, SheetSpec] = MappingProxyType(
    {
        "avery-l7160": SheetSpec(
            page_width_mm=210.0,
            page_height_mm=297.0,
            columns=3,
            rows=7,
            label_width_mm=63.5,
            label_height_mm=38.1,
            pitch_x_mm=66.04,
            pitch_y_mm=38.1,
            left_mm=7.21,
            top_mm=15.15,
            code_mm=34.5,
            code_top_mm=0.2,
            text_pt=9.0,
            text_baseline_mm=37.3,
            header_baseline_mm=9.0,
            cut_lines=False,
        ),
        # 3 x 8 labels of 63.5 x 33.9 mm (Avery L7159 and compatible sheets).
        "avery-l7159": SheetSpec(
            page_width_mm=210.0,
            page_height_mm=297.0,
            columns=3,
            rows=8,
            label_width_mm=63.5,
            label_height_mm=33.9,
            pitch_x_mm=66.04,
            pitch_y_mm=33.9,
            left_mm=7.21,
            top_mm=12.9,
            code_mm=30.0,
            code_top_mm=0.2,
            text_pt=8.0,
            text_baseline_mm=33.0,
            header_baseline_mm=8.0,
            cut_lines=False,
        ),
        # 3 x 8 labels of 70 x 37 mm edge to edge (the common "70x37" sheets of many brands).
        "a4-3x8-70x37": SheetSpec(
            page_width_mm=210.0,
            page_height_mm=297.0,
            columns=3,
            rows=8,
            label_width_mm=70.0,
            label_height_mm=37.0,
            pitch_x_mm=70.0,
            pitch_y_mm=37.0,
            left_mm=0.0,
            top_mm=0.5,
            # Kept 4 mm and more from the paper's edges, which few printers reach.
            code_mm=29.0,
            code_top_mm=1.5,
            text_pt=8.0,
            text_baseline_mm=33.2,
            header_baseline_mm=None,
            cut_lines=False,
        ),
        # 2 x 7 labels of 99.1 x 38.1 mm (Avery L7163 and compatible sheets).
        "avery-l7163": SheetSpec(
            page_width_mm=210.0,
            page_height_mm=297.0,
            columns=2,
            rows=7,
            label_width_mm=99.1,
            label_height_mm=38.1,
            pitch_x_mm=101.6,
            pitch_y_mm=38.1,
            left_mm=4.65,
            top_mm=15.15,
            code_mm=34.5,
            code_top_mm=0.2,
            text_pt=9.0,
            text_baseline_mm=37.3,
            header_baseline_mm=9.0,
            cut_lines=False,
        ),
        "grid": SheetSpec(
            page_width_mm=210.0,
            page_height_mm=297.0,
            columns=4,
            rows=6,
            label_width_mm=48.0,
            label_height_mm=46.0,
            pitch_x_mm=48.0,
            pitch_y_mm=46.0,
            left_mm=9.0,
            top_mm=14.0,
            code_mm=40.0,
            code_top_mm=1.2,
            text_pt=10.0,
            text_baseline_mm=44.1,
            header_baseline_mm=8.0,
            cut_lines=True,
        ),
    }
)


@dataclass(frozen=True, slots=True)
class SheetLayout:
    """How to print on a sheet: its kind, calibration offsets and where to start.

    Attributes:
        kind: a key of ``SHEETS``: ``"avery-l7160"`` (A4, 3x7 labels of 63.5x38.1 mm),
            ``"avery-l7159"`` (3x8, 63.5x33.9 mm), ``"a4-3x8-70x37"`` (3x8, 70x37 mm edge to
            edge), ``"avery-l7163"`` (2x7, 99.1x38.1 mm) or ``"grid"`` (plain A4, 4x6 codes
            with cut lines).
        offset_x_mm: shifts every label right (negative: left), to calibrate a printer.
        offset_y_mm: shifts every label down (negative: up).
        start_at: 1-based position of the first label on the first page, to use up a
            part-used sheet; positions count left to right, then top to bottom.

    Raises:
        LayoutError: for an unknown kind, an offset beyond +-20 mm or a start position that
            is not on the page.

    """

    kind: SheetKind = "avery-l7160"
    offset_x_mm: float = 0.0
    offset_y_mm: float = 0.0
    start_at: int = 1

    def __post_init__(self) -> None:
        if self.kind not in SHEETS:
            raise LayoutError("layout", f"unknown sheet layout, use one of {', '.join(SHEETS)}")
        for name, value in (("offset_x_mm", self.offset_x_mm), ("offset_y_mm", self.offset_y_mm)):
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not math.isfinite(value)
                or abs(value) > MAX_OFFSET_MM
            ):
                raise LayoutError(name, f"must be within +-{MAX_OFFSET_MM:g} mm")
        per_page = SHEETS[self.kind].labels_per_page
        if (
            isinstance(self.start_at, bool)
            or not isinstance(self.start_at, int)
            or not 1 <= self.start_at <= per_page
        ):
            raise LayoutError("start_at", f"must be between 1 and {per_page} on {self.kind}")

    @property
    def spec(self) -> SheetSpec:
        """The geometry of this layout's kind of sheet."""
        return SHEETS[self.kind]


@dataclass(frozen=True, slots=True)
class Box:
    """A rectangle in millimetres, from the top-left corner of the page."""

    x_mm: float
    y_mm: float
    width_mm: float
    height_mm: float


@dataclass(frozen=True, slots=True)
class Placement:
    """Where one label goes.

    Attributes:
        page: 0-based page number.
        slot: 0-based position on the page, left to right, then top to bottom.
        label: the label's outline.
        code: the square holding the QR symbol and its quiet zone.
        text_x_mm: horizontal centre of the short code.
        text_baseline_mm: baseline of the short code, from the top of the page.

    """

    page: int
    slot: int
    label: Box
    code: Box
    text_x_mm: float
    text_baseline_mm: float


def page_count(count: int, layout: SheetLayout) -> int:
    """Return how many pages ``count`` labels need, starting at ``layout.start_at``."""
    if count <= 0:
        return 0
    per_page = layout.spec.labels_per_page
    return (layout.start_at - 1 + count + per_page - 1) // per_page


def slot_placement(page: int, slot: int, layout: SheetLayout) -> Placement:
    """Return the geometry of position ``slot`` (0-based) on page ``page``."""
    spec = layout.spec
    row, column = divmod(slot, spec.columns)
    x = spec.left_mm + column * spec.pitch_x_mm + layout.offset_x_mm
    y = spec.top_mm + row * spec.pitch_y_mm + layout.offset_y_mm
    code_x = x + (spec.label_width_mm - spec.code_mm) / 2
    return Placement(
        page=page,
        slot=slot,
        label=Box(x, y, spec.label_width_mm, spec.label_height_mm),
        code=Box(code_x, y + spec.code_top_mm, spec.code_mm, spec.code_mm),
        text_x_mm=x + spec.label_width_mm / 2,
        text_baseline_mm=y + spec.text_baseline_mm,
    )


def place_labels(count: int, layout: SheetLayout) -> tuple[Placement, ...]:
    """Return the placement of each of ``count`` labels, in order, page after page."""
    per_page = layout.spec.labels_per_page
    first = layout.start_at - 1
    return tuple(slot_placement(*divmod(first + i, per_page), layout) for i in range(max(count, 0)))


def cut_lines(layout: SheetLayout) -> tuple[tuple[float, float, float, float], ...]:
    """Return the cut lines of a page as ``(x1, y1, x2, y2)`` in mm (none on label sheets)."""
    spec = layout.spec
    if not spec.cut_lines:
        return ()
    left = spec.left_mm + layout.offset_x_mm
    top = spec.top_mm + layout.offset_y_mm
    right = left + (spec.columns - 1) * spec.pitch_x_mm + spec.label_width_mm
    bottom = top + (spec.rows - 1) * spec.pitch_y_mm + spec.label_height_mm
    vertical = tuple(
        (x, top, x, bottom) for x in (left + c * spec.pitch_x_mm for c in range(spec.columns + 1))
    )
    horizontal = tuple(
        (left, y, right, y) for y in (top + r * spec.pitch_y_mm for r in range(spec.rows + 1))
    )
    return vertical + horizontal
