"""ReportLab QR sticker sheets: vector QR codes (one path each) encoded with qrcode."""

from __future__ import annotations

import io
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import reduce
from operator import itemgetter, xor

import qrcode
from qrcode import util as qr_util
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas

from xray_core.errors import InvalidInputError
from xray_core.qr.sheet import (
    Box,
    QRLabel,
    SheetLayout,
    cut_lines,
    page_count,
    place_labels,
)

# Choosing among the 8 masks is most of qrcode's encoding time; any mask decodes.
MASK_PATTERN = 0
ERROR_CORRECTION = qrcode.constants.ERROR_CORRECT_M
# Beyond version 10 (57 modules, 213 bytes at level M) modules get too small for a sticker.
MAX_VERSION = 10
QUIET_ZONE = 4
TEXT_FONT = "Helvetica-Bold"
HEADER_FONT = "Helvetica"
HEADER_PT = 8.0

_DEFAULT_LAYOUT = SheetLayout()
_RUN = re.compile("1+")


def fit_version(payloads: Sequence[bytes]) -> int:
    """Return the smallest QR version holding the longest payload in byte mode at level M.

    Raises:
        InvalidInputError: if a payload needs more than version ``MAX_VERSION``.

    """
    longest = max(map(len, payloads), default=0)
    for version in range(1, MAX_VERSION + 1):
        needed = 4 + qr_util.length_in_bits(qr_util.MODE_8BIT_BYTE, version) + 8 * longest
        if needed <= qr_util.BIT_LIMIT_TABLE[ERROR_CORRECTION][version]:
            return version
    raise InvalidInputError(f"a URL of {longest} bytes is too long for a printable QR code")


def qrcode_bitmap(payload: bytes, version: int) -> str:
    """Encode ``payload`` with qrcode; return its modules row by row, each row ending in "0".

    "1" is a dark module. The extra light column keeps runs of dark modules within a row.
    """
    code = qrcode.QRCode(
        version=version, error_correction=ERROR_CORRECTION, mask_pattern=MASK_PATTERN, border=0
    )
    code.add_data(qr_util.QRData(payload, mode=qr_util.MODE_8BIT_BYTE))
    code.make(fit=False)
    return "".join(["".join(["1" if m else "0" for m in row]) + "0" for row in code.modules])


@dataclass(slots=True)
class _LinearModel:
    """The QR codes of all payloads of one length, as a function of their bytes.

    With version, mode, length, level and mask fixed, QR encoding is affine over GF(2): the
    modules are those of a reference payload, XOR one term per byte that differs from it.
    Each term is measured once with qrcode itself (8 one-bit probes per byte position).
    """

    version: int
    reference: bytes
    base: int
    terms: dict[int, list[int]]  # byte position -> XOR term, indexed by the byte's value

    def add_position(self, position: int) -> None:
        """Measure the terms of one byte position with qrcode."""
        ref_byte = self.reference[position]
        single_bits = []
        for bit in range(8):
            probe = bytearray(self.reference)
            probe[position] ^= 1 << bit
            single_bits.append(int(qrcode_bitmap(bytes(probe), self.version), 2) ^ self.base)
        by_delta = [0] * 256
        for delta in range(1, 256):
            lowest = delta & -delta
            by_delta[delta] = by_delta[delta ^ lowest] ^ single_bits[lowest.bit_length() - 1]
        self.terms[position] = [by_delta[value ^ ref_byte] for value in range(256)]


class BatchQREncoder:
    """Encodes many URLs into QR bitmaps, module for module as qrcode does, but fast.

    Large batches reuse a linear model per payload length (see ``_LinearModel``), built with
    qrcode on first use and kept for later batches; small batches go straight to qrcode.
    Thread-safe.
    """

    def __init__(self, max_models: int = 8) -> None:
        """Keep at most ``max_models`` linear models (a few MB at most)."""
        self._max_models = max_models
        self._models: OrderedDict[tuple[int, int], _LinearModel] = OrderedDict()
        self._lock = threading.Lock()

    def encode(self, urls: Sequence[str]) -> tuple[int, list[str]]:
        """Return the common QR version and each URL's bitmap (see ``qrcode_bitmap``).

        Raises:
            InvalidInputError: if a URL is too long for a printable QR code.

        """
        payloads = [url.encode() for url in urls]
        version = fit_version(payloads)
        groups: dict[int, list[int]] = {}
        for index, payload in enumerate(payloads):
            groups.setdefault(len(payload), []).append(index)
        bitmaps = [""] * len(payloads)
        for indices in groups.values():
            group = [payloads[i] for i in indices]
            for index, bitmap in zip(indices, self._encode_group(version, group), strict=True):
                bitmaps[index] = bitmap
        return version, bitmaps

    def _encode_group(self, version: int, payloads: list[bytes]) -> list[str]:
        """Encode payloads of equal length, with the linear model if that is cheaper."""
        model = self._model_for(version, payloads)
        if model is None:
            return [qrcode_bitmap(p, version) for p in payloads]
        base, positions, terms = model
        size = 4 * version + 17
        width = f"0{size * (size + 1)}b"
        if not positions:
            return [format(base, width)] * len(payloads)
        pick = itemgetter(*positions)
        if len(positions) == 1:
            return [format(base ^ terms[0][pick(p)], width) for p in payloads]
        return [
            format(reduce(xor, map(list.__getitem__, terms, pick(p)), base), width)
            for p in payloads
        ]

    def _model_for(
        self, version: int, payloads: list[bytes]
    ) -> tuple[int, list[int], list[list[int]]] | None:
        """Return base, varying byte positions and their terms; None if qrcode is cheaper."""
        key = (version, len(payloads[0]))
        with self._lock:
            model = self._models.get(key)
            reference = payloads[0] if model is None else model.reference
            ref_int = int.from_bytes(reference)
            differing = reduce(lambda acc, p: acc | (int.from_bytes(p) ^ ref_int), payloads, 0)
            last = len(reference) - 1
            positions = [k for k in range(last + 1) if differing >> (8 * (last - k)) & 255]
            missing = [k for k in positions if model is None or k not in model.terms]
            if 8 * len(missing) + (model is None) >= len(payloads):
                return None
            if model is None:
                base = int(qrcode_bitmap(reference, version), 2)
                model = self._models[key] = _LinearModel(version, reference, base, {})
                while len(self._models) > self._max_models:
                    self._models.popitem(last=False)
            self._models.move_to_end(key)
            for position in missing:
                model.add_position(position)
            return model.base, positions, [model.terms[k] for k in positions]


def _num(value: float) -> str:
    """Format a PDF number compactly."""
    return f"{value:.3f}".rstrip("0").rstrip(".")


class ReportLabQRSheetRenderer:
    """Renders QR sticker sheets as PDF with ReportLab, each code one vector path."""

    def __init__(self, layout: SheetLayout = _DEFAULT_LAYOUT, *, invariant: bool = False) -> None:
        """Print on ``layout``; ``invariant`` makes byte-identical PDFs (no dates, fixed id)."""
        self.layout = layout
        self.invariant = invariant
        self._encoder = BatchQREncoder()
        for font in (TEXT_FONT, HEADER_FONT):
            pdfmetrics.getFont(font)  # loads the metrics once, not in two threads at a time

    def render(
        self,
        labels: Sequence[QRLabel],
        header: str,
        on_progress: Callable[[float], None],
        layout: SheetLayout | None = None,
    ) -> bytes:
        """Return a PDF of ``labels`` on ``layout`` (default: the renderer's own layout).

        ``header`` and "page i/n" go on top of each page, unless the sheet has no room there.
        """
        if not labels:
            raise InvalidInputError("there are no labels to print")
        layout = layout or self.layout
        on_progress(0.0)
        version, bitmaps = self._encoder.encode([label.url for label in labels])
        on_progress(0.25)
        spec = layout.spec
        pages = page_count(len(labels), layout)
        placements = place_labels(len(labels), layout)
        paths = _PathWriter(4 * version + 17, spec.page_height_mm * mm)
        buffer = io.BytesIO()
        canvas = Canvas(
            buffer,
            pagesize=(spec.page_width_mm * mm, spec.page_height_mm * mm),
            invariant=int(self.invariant),
            pageCompression=1,
        )
        canvas.setTitle("Teddy X-Ray QR labels")
        canvas.setCreator("Teddy X-Ray")
        first = 0
        for page in range(pages):
            last = first
            while last < len(placements) and placements[last].page == page:
                last += 1
            self._draw_furniture(canvas, layout, header, f"page {page + 1}/{pages}")
            canvas.addLiteral(
                "".join(paths.code(placements[i].code, bitmaps[i]) for i in range(first, last))
            )
            canvas.setFont(TEXT_FONT, spec.text_pt)
            for i in range(first, last):
                x, y = placements[i].text_x_mm * mm, placements[i].text_baseline_mm * mm
                canvas.drawCentredString(x, paths.page_height - y, labels[i].code)
            canvas.showPage()
            first = last
            on_progress(0.25 + 0.5 * (page + 1) / pages)
        canvas.save()
        pdf = buffer.getvalue()
        on_progress(1.0)
        return pdf

    def _draw_furniture(
        self, canvas: Canvas, layout: SheetLayout, header: str, page_label: str
    ) -> None:
        """Draw the header line, the page number and any cut lines."""
        spec = layout.spec
        height = spec.page_height_mm * mm
        if spec.header_baseline_mm is not None:
            canvas.setFont(HEADER_FONT, HEADER_PT)
            baseline = height - spec.header_baseline_mm * mm
            canvas.drawString(spec.left_mm * mm, baseline, header)
            canvas.drawRightString((spec.page_width_mm - spec.left_mm) * mm, baseline, page_label)
        if spec.cut_lines:
            canvas.setStrokeGray(0.6)
            canvas.setLineWidth(0.3)
            canvas.setDash(3, 3)
            for x1, y1, x2, y2 in cut_lines(layout):
                canvas.line(x1 * mm, height - y1 * mm, x2 * mm, height - y2 * mm)


class _PathWriter:
    """Writes QR bitmaps as PDF paths in module units, one rectangle per run of dark modules."""

    def __init__(self, size: int, page_height: float) -> None:
        self.size = size
        self.page_height = page_height
        stride = size + 1
        self._starts = [f"{i % stride} {i // stride} " for i in range(size * stride)]
        self._widths = [f"{w} 1 re\n" for w in range(stride + 1)]

    def code(self, box: Box, bitmap: str) -> str:
        """Return the operators that fill ``bitmap`` centred in ``box`` with its quiet zone."""
        module = box.width_mm * mm / (self.size + 2 * QUIET_ZONE)
        x0 = box.x_mm * mm + QUIET_ZONE * module
        y0 = self.page_height - box.y_mm * mm - QUIET_ZONE * module
        starts, widths = self._starts, self._widths
        runs = [starts[a] + widths[b - a] for a, b in map(re.Match.span, _RUN.finditer(bitmap))]
        # y grows downwards in module units, so row r, column c is the unit square at (c, r).
        return (
            f"q 0 g {_num(module)} 0 0 {_num(-module)} {_num(x0)} {_num(y0)} cm\n"
            f"{''.join(runs)}f Q\n"
        )
