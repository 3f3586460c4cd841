"""The film's label: a small plate with hospital, patient and date, and an R/L side marker."""

from __future__ import annotations

import functools
import unicodedata
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Literal

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw, ImageFont

BoolArray = npt.NDArray[np.bool_]
Font = ImageFont.FreeTypeFont | ImageFont.ImageFont
Corner = Literal["top-left", "top-right", "bottom-left", "bottom-right"]

_FONT_DIRS = (
    Path("/usr/share/fonts/truetype/dejavu"),
    Path("/usr/share/fonts/truetype/liberation"),
)
# Tried in this order for each character; Pillow's own font is the last resort.
_REGULAR = ("DejaVuSans.ttf", "LiberationSans-Regular.ttf")
_BOLD = ("DejaVuSans-Bold.ttf", "LiberationSans-Bold.ttf", *_REGULAR)
_MISSING = "\U0010fffd"  # a code point no font draws: what a missing glyph looks like
_STAND_IN = "\u2605"  # a star for what no font has (most emoji)
_MIN_SIDE = 96  # below this the film is too small for a legible label

_PLATE = (14, 20, 24)
_INK = (226, 236, 240)
_RULE = (120, 140, 150)


@dataclass(frozen=True, slots=True)
class LabelText:
    """What the label says.

    Attributes:
        hospital: the hospital's name (first line, bold).
        patient: the toy's name.
        taken_on: the date, or None to leave it out.
        marker: the side marker, "R" or "L".
    """

    hospital: str
    patient: str
    taken_on: date | None
    marker: Literal["R", "L"]


def font_size(width: int, height: int) -> int:
    """Return the label's text size in pixels for a film of ``width`` x ``height``."""
    return max(9, round(0.026 * min(width, height)))


def draw_label(film: Image.Image, text: LabelText, toy: BoolArray, marker_left: bool) -> None:
    """Draw the plate into the emptiest bottom corner and the marker into a top corner.

    Args:
        film: the finished x-ray (RGB), drawn on in place.
        text: what the label says.
        toy: the toy's silhouette at any resolution (to keep the plate off the toy).
        marker_left: put the side marker in the top-left corner (else top-right).
    """
    width, height = film.size
    if min(width, height) < _MIN_SIDE:
        return
    size = font_size(width, height)
    pad = max(3, size // 3)
    margin = max(4, round(0.02 * min(width, height)))
    lines = [(text.hospital.strip(), True), (text.patient.strip(), False)]
    if text.taken_on is not None:
        lines.append((text.taken_on.isoformat(), False))
    lines = [(line, bold) for line, bold in lines if line]
    draw = ImageDraw.Draw(film)
    if lines:
        limit = round(0.46 * width) - 2 * pad
        runs = [_fit(_runs(_clean(line), size, bold=bold), limit) for line, bold in lines]
        plate_w = max(sum(font.getlength(run) for run, font in line) for line in runs) + 2 * pad
        step = round(1.25 * size)
        plate_h = step * len(runs) + 2 * pad - (step - size) + max(1, size // 6)
        plate_w = round(plate_w)
        left = _emptier(toy, ("bottom-left", "bottom-right")) == "bottom-left"
        x0 = margin if left else width - margin - plate_w
        y0 = height - margin - plate_h
        draw.rounded_rectangle(
            (x0, y0, x0 + plate_w, y0 + plate_h),
            radius=pad,
            fill=_PLATE,
            outline=_RULE,
            width=max(1, size // 12),
        )
        y = y0 + pad
        for line in runs:
            x = float(x0 + pad)
            for run, font in line:
                draw.text((x, y), run, font=font, fill=_INK)
                x += font.getlength(run)
            y += step
    _marker(draw, text.marker, size, (margin, width), marker_left)


def _marker(
    draw: ImageDraw.ImageDraw, letter: str, size: int, place: tuple[int, int], left: bool
) -> None:
    """Draw the side marker: a bold letter in a box, as lead markers show on film.

    ``place`` is the margin and the film's width.
    """
    margin, width = place
    font = _font(_BOLD[0], round(1.6 * size)) or _default(round(1.6 * size))
    box = round(2.2 * size)
    x0 = margin if left else width - margin - box
    y0 = margin
    draw.rectangle((x0, y0, x0 + box, y0 + box), outline=_INK, width=max(1, size // 7))
    draw.text((x0 + box / 2, y0 + box / 2), letter, font=font, fill=_INK, anchor="mm")


def _emptier(toy: BoolArray, corners: tuple[Corner, Corner]) -> Corner:
    """Return the corner of the two where the toy covers least of the picture."""
    height, width = toy.shape
    h, w = max(1, height // 4), max(1, width // 2)
    cover = {
        "top-left": toy[:h, :w].mean(),
        "top-right": toy[:h, -w:].mean(),
        "bottom-left": toy[-h:, :w].mean(),
        "bottom-right": toy[-h:, -w:].mean(),
    }
    # Ties (a centred toy) go to the right: where a radiograph's ID block usually is.
    return corners[0] if cover[corners[0]] < cover[corners[1]] - 1e-3 else corners[1]


def _clean(line: str) -> str:
    """Drop control and format characters (line breaks, joiners, variation selectors)."""
    return "".join(c for c in line if unicodedata.category(c)[0] != "C" and c not in "\ufe0f")


def _runs(line: str, size: int, *, bold: bool) -> list[tuple[str, Font]]:
    """Split ``line`` into runs of characters that one font of the fallback chain can draw."""
    found = [_font(name, size) for name in (_BOLD if bold else _REGULAR)]
    chain: list[Font] = [font for font in found if font is not None] or [_default(size)]
    runs: list[tuple[str, Font]] = []
    for wanted in line:
        font = next((f for f in chain if _has_glyph(f, wanted)), None)
        char = wanted if font is not None else _STAND_IN
        font = font or chain[0]
        if runs and runs[-1][1] is font:
            runs[-1] = (runs[-1][0] + char, font)
        else:
            runs.append((char, font))
    return runs


def _fit(runs: list[tuple[str, Font]], limit: float) -> list[tuple[str, Font]]:
    """Cut runs short with an ellipsis so that they fit in ``limit`` pixels."""
    if sum(font.getlength(run) for run, font in runs) <= limit:
        return runs
    fitted: list[tuple[str, Font]] = []
    used = runs[0][1].getlength("\u2026")
    for run, font in runs:
        kept = ""
        for char in run:
            if used + font.getlength(kept + char) > limit:
                fitted.append((kept + "\u2026", font))
                return fitted
            kept += char
        used += font.getlength(kept)
        fitted.append((kept, font))
    return fitted


@functools.cache
def _font(name: str, size: int) -> ImageFont.FreeTypeFont | None:
    """Return the system font ``name`` at ``size`` pixels, or None if it is not installed."""
    for folder in _FONT_DIRS:
        path = folder / name
        if path.is_file():
            # The basic layout needs no libraqm, so the label looks the same everywhere.
            return ImageFont.truetype(str(path), size, layout_engine=ImageFont.Layout.BASIC)
    return None


@functools.cache
def _default(size: int) -> Font:
    """Return Pillow's own font: always there, Latin only."""
    return ImageFont.load_default(size)


@functools.cache
def _has_glyph(font: Font, char: str) -> bool:
    """Tell whether ``font`` draws ``char`` (rather than the box of a missing glyph)."""
    if char.isspace():
        return True
    return _ink(font, char) != _ink(font, _MISSING)


def _ink(font: Font, char: str) -> tuple[tuple[float, float, float, float], bytes]:
    """Return the box and the pixels of ``char`` drawn in ``font``."""
    box = font.getbbox(char)
    picture = Image.new("L", (int(box[2]) + 2, int(box[3]) + 2))
    ImageDraw.Draw(picture).text((0, 0), char, font=font, fill=255)
    return box, picture.tobytes()
