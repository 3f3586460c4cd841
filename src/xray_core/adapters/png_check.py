"""Checking that a PNG's image data is complete without decoding it into pixels."""

from __future__ import annotations

import struct
import zlib

_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}
# Adam7: (first column, first row, column step, row step) of each of the seven passes.
_ADAM7: tuple[tuple[int, int, int, int], ...] = (
    (0, 0, 8, 8),
    (4, 0, 8, 8),
    (0, 4, 4, 8),
    (2, 0, 4, 4),
    (0, 2, 2, 4),
    (1, 0, 2, 2),
    (0, 1, 1, 2),
)
_MAX_FILTER = 4


class PngStructureError(ValueError):
    """The data is not a complete, well-formed PNG."""


def check_png(data: bytes) -> None:
    """Raise ``PngStructureError`` unless ``data`` holds every row of its image.

    What a decoder needs is checked: the chunk layout up to IEND, the header, and the
    compressed image data, inflated (zlib checks its own stream) to at least the size the
    rows need, each row with a known filter type. Unfiltering the rows into pixels, which
    cannot fail, is skipped: for a worker's 450x450 result this costs half of a decode.
    """
    header, idat = _chunks(data)
    rows = _rows(header)
    needed = sum(size * count for size, count in rows)
    try:
        raw = zlib.decompressobj().decompress(b"".join(idat), needed)
    except zlib.error as exc:
        raise PngStructureError("PNG image data is corrupt") from exc
    if len(raw) < needed:
        raise PngStructureError("PNG image data is truncated")
    start = 0
    for size, count in rows:
        if max(raw[start : start + size * count : size]) > _MAX_FILTER:
            raise PngStructureError("PNG row with an unknown filter type")
        start += size * count


def _chunks(data: bytes) -> tuple[bytes, list[bytes]]:
    """Return the IHDR body and the IDAT bodies, walking every chunk up to IEND."""
    if not data.startswith(_SIGNATURE):
        raise PngStructureError("no PNG signature")
    pos, end, header, idat = len(_SIGNATURE), len(data), b"", []
    while True:
        if pos + 8 > end:
            raise PngStructureError("truncated PNG")
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        body = pos + 8
        if body + length + 4 > end:
            raise PngStructureError("truncated PNG chunk")
        if not header and kind != b"IHDR":
            raise PngStructureError("PNG does not start with IHDR")
        if kind == b"IHDR":
            header = data[body : body + length]
        elif kind == b"IDAT":
            idat.append(data[body : body + length])
        elif kind == b"IEND":
            break
        pos = body + length + 4
    if len(header) != 13 or not idat:
        raise PngStructureError("PNG without a header or image data")
    return header, idat


def _rows(header: bytes) -> list[tuple[int, int]]:
    """Return (bytes per row with its filter byte, rows) of each pass the header implies."""
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header)
    if colour not in _CHANNELS or not width or not height:
        raise PngStructureError("PNG header out of range")
    bits = depth * _CHANNELS[colour]
    rows = []
    for x0, y0, dx, dy in _ADAM7 if interlace else ((0, 0, 1, 1),):
        columns, lines = (width - x0 + dx - 1) // dx, (height - y0 + dy - 1) // dy
        if columns > 0 and lines > 0:
            rows.append((1 + (columns * bits + 7) // 8, lines))
    return rows
