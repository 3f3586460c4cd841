"""PillowImageSanitizer on real photos and on hostile input."""

from __future__ import annotations

import functools
import struct
import time
import warnings
import zlib
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from PIL import ExifTags, Image, ImageChops, ImageCms, ImageFile, ImageStat

from xray_core.adapters.pillow_images import PillowImageSanitizer
from xray_core.errors import TooLargeError, UnsupportedMediaError

if TYPE_CHECKING:
    from collections.abc import Callable

ASSETS = Path(__file__).parents[1] / "assets"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
BOTH = pytest.mark.parametrize("method", ["clean_photo", "clean_result"])


@pytest.fixture
def sanitizer() -> PillowImageSanitizer:
    """Return the adapter with its default limit."""
    return PillowImageSanitizer()


def _asset(name: str) -> bytes:
    return (ASSETS / name).read_bytes()


def _open(data: bytes) -> Image.Image:
    image = Image.open(BytesIO(data))
    image.load()
    return image


def _encode(image: Image.Image, fmt: str, **params: object) -> bytes:
    out = BytesIO()
    image.save(out, format=fmt, **params)
    return out.getvalue()


def _mean_difference(a: Image.Image, b: Image.Image) -> float:
    diff = ImageChops.difference(a.convert("RGB"), b.convert("RGB"))
    return sum(ImageStat.Stat(diff).mean) / 3


def _png_chunk_types(data: bytes) -> set[bytes]:
    kinds, pos = set(), len(PNG_MAGIC)
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kinds.add(data[pos + 4 : pos + 8])
        pos += 12 + length
    return kinds


def _chunk(kind: bytes, body: bytes) -> bytes:
    crc = zlib.crc32(kind + body)
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)


@functools.cache
def _png_declaring(width: int, height: int) -> bytes:
    """Return a valid all-black 1-bit PNG of that size, tiny on disk."""
    row = b"\x00" + bytes((width + 7) // 8)
    packer = zlib.compressobj(9)
    idat = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return PNG_MAGIC + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")


def _jpeg_declaring(width: int, height: int) -> bytes:
    """Return own.jpg with its frame header rewritten to claim another size."""
    data = bytearray(_asset("own.jpg"))
    pos = 2
    while data[pos + 1] not in (0xC0, 0xC1, 0xC2):
        pos += 2 + int.from_bytes(data[pos + 2 : pos + 4], "big")
    data[pos + 5 : pos + 9] = struct.pack(">HH", height, width)
    return bytes(data)


@pytest.mark.parametrize("name", ["teddy.jpg", "eichhornchen.jpeg", "own.jpg"])
def test_jpeg_photo_becomes_png_with_the_same_pixels(
    sanitizer: PillowImageSanitizer, name: str
) -> None:
    """A JPEG photo comes out as a PNG of the same size with the decoded pixels."""
    data = _asset(name)

    out = sanitizer.clean_photo(data)

    assert out.startswith(PNG_MAGIC)
    cleaned, original = _open(out), _open(data)
    assert cleaned.format == "PNG"
    assert cleaned.size == original.size
    assert cleaned.tobytes() == original.convert("RGB").tobytes()


@pytest.mark.parametrize(
    ("orientation", "as_stored"),
    [
        (3, Image.Transpose.ROTATE_180),
        (6, Image.Transpose.ROTATE_90),
        (8, Image.Transpose.ROTATE_270),
    ],
    ids=["180", "90 clockwise", "90 counter-clockwise"],
)
def test_photo_with_exif_orientation_comes_out_upright(
    sanitizer: PillowImageSanitizer, orientation: int, as_stored: Image.Transpose
) -> None:
    """A camera JPEG stored sideways with an orientation tag comes out upright."""
    upright = _open(_asset("teddy.jpg")).crop((0, 0, 1600, 1200))
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    data = _encode(upright.transpose(as_stored), "JPEG", quality=95, exif=exif)

    cleaned = _open(sanitizer.clean_photo(data))

    assert cleaned.size == (1600, 1200)
    assert _mean_difference(cleaned, upright) < 2
    assert _mean_difference(cleaned, upright.transpose(Image.Transpose.ROTATE_180)) > 10


def test_png_with_orientation_tag_is_turned_by_it(
    sanitizer: PillowImageSanitizer,
) -> None:
    """bluemonkey_pre.png keeps its pixels at orientation 1 and turns at orientation 8."""
    data = _asset("bluemonkey_pre.png")
    monkey = _open(data)
    assert monkey.getexif()[ExifTags.Base.Orientation] == 1
    exif = monkey.getexif()
    exif[ExifTags.Base.Orientation] = 8
    turned = _encode(monkey, "PNG", exif=exif)

    as_is = _open(sanitizer.clean_photo(data))
    upright = _open(sanitizer.clean_photo(turned))

    assert as_is.tobytes() == monkey.tobytes()
    assert upright.tobytes() == monkey.transpose(Image.Transpose.ROTATE_90).tobytes()


def test_photo_loses_exif_gps_and_all_other_metadata(
    sanitizer: PillowImageSanitizer,
) -> None:
    """EXIF with a GPS position, a comment and an ICC profile are all gone from the PNG."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "TeddyCam"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (48.0, 8.0, 30.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (11.0, 34.0, 10.0)
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    data = _encode(
        _open(_asset("own.jpg")),
        "JPEG",
        exif=exif,
        comment="taken at the fair",
        icc_profile=icc,
    )
    assert _open(data).getexif().get_ifd(ExifTags.IFD.GPSInfo)

    out = sanitizer.clean_photo(data)

    cleaned = _open(out)
    assert not cleaned.getexif()
    assert "exif" not in cleaned.info
    assert cleaned.info == {}
    assert _png_chunk_types(out) == {b"IHDR", b"IDAT", b"IEND"}
    assert b"TeddyCam" not in out


def test_png_result_is_kept_byte_for_byte(sanitizer: PillowImageSanitizer) -> None:
    """A valid PNG result is returned unchanged."""
    data = _asset("bluemonkey_post.png")

    assert sanitizer.clean_result(data) == data


@pytest.mark.parametrize(
    ("fmt", "params"),
    [("JPEG", {"quality": 90}), ("WEBP", {"lossless": True})],
)
def test_other_result_is_converted_to_png(
    sanitizer: PillowImageSanitizer, fmt: str, params: dict[str, object]
) -> None:
    """A JPEG or WebP result comes out as a PNG with the decoded pixels."""
    data = _encode(_open(_asset("eichhornchen.jpeg")), fmt, **params)

    out = sanitizer.clean_result(data)

    assert out.startswith(PNG_MAGIC)
    cleaned = _open(out)
    assert cleaned.format == "PNG"
    assert cleaned.tobytes() == _open(data).convert("RGB").tobytes()


def test_animated_png_result_is_reduced_to_its_first_frame(
    sanitizer: PillowImageSanitizer,
) -> None:
    """An animated PNG result is not passed on; its first frame is."""
    first = _open(_asset("own.jpg"))
    second = first.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    data = _encode(first, "PNG", save_all=True, append_images=[second])
    assert getattr(_open(data), "is_animated", False)

    out = sanitizer.clean_result(data)

    cleaned = _open(out)
    assert out != data
    assert not getattr(cleaned, "is_animated", False)
    assert cleaned.tobytes() == first.tobytes()


@pytest.mark.parametrize(
    ("mode", "fmt", "params", "expected_mode", "expected_pixel"),
    [
        ("CMYK", "JPEG", {}, "RGB", (255, 255, 255)),
        ("P", "PNG", {"transparency": 0}, "RGBA", (0, 0, 0, 0)),
        ("LA", "PNG", {}, "RGBA", (0, 0, 0, 0)),
        ("1", "PNG", {}, "RGB", (0, 0, 0)),
        ("I;16", "PNG", {}, "RGB", (0, 0, 0)),
    ],
)
def test_unusual_modes_become_rgb_or_rgba(
    sanitizer: PillowImageSanitizer,
    mode: str,
    fmt: str,
    params: dict[str, object],
    expected_mode: str,
    expected_pixel: tuple[int, ...],
) -> None:
    """CMYK, palette, grey+alpha, 1-bit and 16-bit images become RGB or RGBA."""
    data = _encode(Image.new(mode, (16, 16)), fmt, **params)

    cleaned = _open(sanitizer.clean_photo(data))

    assert cleaned.mode == expected_mode
    assert cleaned.getpixel((0, 0)) == expected_pixel


def test_sixteen_bit_grey_is_scaled_not_clipped(
    sanitizer: PillowImageSanitizer,
) -> None:
    """A 16-bit grey level keeps its brightness instead of turning white."""
    data = _encode(Image.new("I;16", (16, 16), 0x8000), "PNG")

    cleaned = _open(sanitizer.clean_photo(data))

    assert cleaned.getpixel((0, 0)) == (128, 128, 128)


def _gif() -> bytes:
    return _encode(Image.new("RGB", (8, 8), "red"), "GIF")


def _bmp() -> bytes:
    return _encode(Image.new("RGB", (8, 8), "red"), "BMP")


def _truncated_jpeg() -> bytes:
    data = _asset("teddy.jpg")
    return data[: len(data) // 2]


def _truncated_png() -> bytes:
    data = _asset("bluemonkey_post.png")
    return data[: len(data) // 2]


def _corrupt_png() -> bytes:
    data = bytearray(_asset("bluemonkey_pre.png"))
    data[len(data) // 2 : len(data) // 2 + 64] = bytes(64)
    return bytes(data)


NOT_IMAGES: dict[str, Callable[[], bytes]] = {
    "plain text": lambda: b"hello teddy, this is not a picture\n",
    "pdf": lambda: b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\n%%EOF\n",
    "svg": lambda: b'<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9"/>',
    "gif": _gif,
    "bmp": _bmp,
    "empty": lambda: b"",
    "png magic only": lambda: PNG_MAGIC,
    "truncated jpeg": _truncated_jpeg,
    "truncated png": _truncated_png,
    "corrupt png": _corrupt_png,
}


@BOTH
@pytest.mark.parametrize("kind", NOT_IMAGES)
def test_non_images_are_refused(sanitizer: PillowImageSanitizer, method: str, kind: str) -> None:
    """Anything but a complete JPEG, PNG or WebP raises UnsupportedMediaError."""
    clean: Callable[[bytes], bytes] = getattr(sanitizer, method)

    with pytest.raises(UnsupportedMediaError, match="not a JPEG, PNG or WebP"):
        clean(NOT_IMAGES[kind]())


@BOTH
@pytest.mark.parametrize(
    "data",
    [
        _png_declaring(30_000, 30_000),
        _jpeg_declaring(50_000, 50_000),
        # Above our limit but below Pillow's own: only the adapter's check stops these.
        _png_declaring(8_000, 8_000),
        _jpeg_declaring(9_000, 9_000),
    ],
    ids=["png 30000x30000", "jpeg 50000x50000", "png 8000x8000", "jpeg 9000x9000"],
)
def test_bomb_is_refused_quickly_without_decoding(
    sanitizer: PillowImageSanitizer,
    monkeypatch: pytest.MonkeyPatch,
    method: str,
    data: bytes,
) -> None:
    """A small file declaring a huge size raises TooLargeError before any decode."""
    decodes: list[object] = []
    load = ImageFile.ImageFile.load

    def spy(image: ImageFile.ImageFile) -> object:
        decodes.append(image)
        return load(image)

    monkeypatch.setattr(ImageFile.ImageFile, "load", spy)
    clean: Callable[[bytes], bytes] = getattr(sanitizer, method)
    started = time.perf_counter()

    with pytest.raises(TooLargeError, match="too many pixels"):
        clean(data)

    assert time.perf_counter() - started < 0.5
    assert decodes == []


def test_crafted_png_is_a_real_png_apart_from_its_size(
    sanitizer: PillowImageSanitizer,
) -> None:
    """The bomb builder makes valid PNGs, so the refusal above is due to size alone."""
    cleaned = _open(sanitizer.clean_photo(_png_declaring(300, 200)))

    assert cleaned.size == (300, 200)


@pytest.mark.parametrize("side", [10_000, 20_000], ids=["warns", "raises"])
def test_pillow_bomb_guard_becomes_too_large_error(side: int) -> None:
    """Above Pillow's own limit its warning or error becomes TooLargeError."""
    sanitizer = PillowImageSanitizer(max_pixels=10**10)

    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        with pytest.raises(TooLargeError):
            sanitizer.clean_photo(_png_declaring(side, side))

    assert not [w for w in seen if w.category is Image.DecompressionBombWarning]


def test_limit_is_configurable() -> None:
    """A lower limit refuses a 1600x1600 photo and accepts an 800x800 one."""
    sanitizer = PillowImageSanitizer(max_pixels=1_000_000)

    with pytest.raises(TooLargeError, match="1600x1600"):
        sanitizer.clean_photo(_asset("teddy.jpg"))
    assert sanitizer.clean_photo(_asset("own.jpg")).startswith(PNG_MAGIC)


def test_limit_must_be_positive() -> None:
    """A limit of zero pixels is a programming error."""
    with pytest.raises(ValueError, match="positive"):
        PillowImageSanitizer(max_pixels=0)


def test_global_pillow_settings_are_left_alone(
    sanitizer: PillowImageSanitizer,
) -> None:
    """Refusing bombs and truncated files changes no process-wide Pillow setting."""
    limit, filters = Image.MAX_IMAGE_PIXELS, list(warnings.filters)

    for data in (_png_declaring(30_000, 30_000), _truncated_jpeg()):
        with pytest.raises((TooLargeError, UnsupportedMediaError)):
            sanitizer.clean_photo(data)

    assert limit == Image.MAX_IMAGE_PIXELS
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False
    assert warnings.filters == filters
