"""The PNG result check agrees with a full decode, for valid PNGs of every kind and damaged ones."""

from __future__ import annotations

import io
import random
import struct
import zlib

import pytest
from PIL import Image

from tests.images import asset
from xray_core.adapters.pillow_images import PillowImageSanitizer
from xray_core.adapters.png_check import PngStructureError, check_png
from xray_core.errors import UnsupportedMediaError


def png(mode: str, size: tuple[int, int] = (37, 23), **options: object) -> bytes:
    base = Image.open(io.BytesIO(asset("own.jpg"))).convert("RGB").resize(size)
    image = base.convert("P") if mode == "P" else base.convert(mode)
    out = io.BytesIO()
    image.save(out, "PNG", **options)
    return out.getvalue()


def decodes(data: bytes) -> bool:
    try:
        with Image.open(io.BytesIO(data), formats=["PNG"]) as image:
            image.load()
    except Exception:  # any refusal counts
        return False
    return True


def chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def with_idat(data: bytes, raw: bytes) -> bytes:
    """``data``'s header chunks around new image data ``raw`` (compressed here)."""
    start = data.index(b"IDAT") - 4
    return data[:start] + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


VALID = {
    "rgb": png("RGB"),
    "rgba": png("RGBA"),
    "grey": png("L"),
    "grey-alpha": png("LA"),
    "palette": png("P"),
    "one-bit": png("1", (33, 7)),
    "sixteen-bit": png("I;16"),
    "interlaced": png("RGB", (13, 11), interlace=1),
    "one-pixel": png("RGB", (1, 1)),
    "many-idat": png("RGB", (300, 200), optimize=False, compress_level=0),
    "asset": asset("bluemonkey_post.png"),
}


@pytest.mark.parametrize("name", sorted(VALID))
def test_every_kind_of_valid_png_passes(name: str) -> None:
    """Colour types, bit depths, interlacing and split image data all pass, as they decode."""
    assert decodes(VALID[name])
    check_png(VALID[name])
    assert PillowImageSanitizer().clean_result(VALID[name]) == VALID[name]


def test_damage_is_refused_whenever_a_full_decode_refuses_it() -> None:
    """Cut, overwritten or garbled PNGs: what a full decode refuses is refused too.

    The check is stricter in one way only: a chunk layout that runs past the end of the file
    (a damaged length, a cut IEND) is refused, where Pillow reads on as far as the data goes.
    """
    random.seed(11)
    sources = [VALID["rgb"], VALID["interlaced"], VALID["palette"], VALID["sixteen-bit"]]
    refused = 0
    for _ in range(400):
        data = bytearray(random.choice(sources))
        if random.random() < 0.3:
            data = data[: random.randrange(8, len(data))]
        else:
            for _ in range(random.choice([1, 3, 20])):
                data[random.randrange(8, len(data))] = random.randrange(256)
        damaged = bytes(data)
        reason = ""
        try:
            kept = PillowImageSanitizer().clean_result(damaged)
        except UnsupportedMediaError as exc:
            reason = str(exc.__cause__)
        if reason:
            refused += 1
            assert not decodes(damaged) or "truncated PNG" in reason
        else:
            assert decodes(damaged)
            assert kept == damaged
    assert refused > 100


@pytest.mark.parametrize(
    "raw",
    [b"\x00" * 10, b"\x05" + b"\x00" * 111 + b"\x00" * 113 * 22],
    ids=["too-little-data", "unknown-filter"],
)
def test_short_data_and_unknown_filters_are_refused(raw: bytes) -> None:
    """Image data too short for its rows, or a row filter beyond 4, is not a PNG we keep."""
    broken = with_idat(VALID["rgb"], raw)
    assert not decodes(broken)
    with pytest.raises(PngStructureError):
        check_png(broken)
    with pytest.raises(UnsupportedMediaError):
        PillowImageSanitizer().clean_result(broken)
