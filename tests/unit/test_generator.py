"""SilhouetteXrayGenerator on the real photos in tests/assets (shrunk, to stay fast)."""

from __future__ import annotations

import functools
from io import BytesIO

import numpy as np
import pytest
from PIL import Image, ImageFilter

from tests.images import asset
from xray_core.adapters.xray_look import SilhouetteXrayGenerator
from xray_core.errors import UnsupportedMediaError
from xray_core.generation.model import GenerationRequest
from xray_core.generation.ports import Generator

PHOTOS = ["teddy.jpg", "eichhornchen.jpeg", "own.jpg", "bluemonkey_pre.png"]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
GENERATOR = SilhouetteXrayGenerator()


def _encode(image: Image.Image, fmt: str = "PNG", **params: object) -> bytes:
    out = BytesIO()
    image.save(out, format=fmt, **params)
    return out.getvalue()


@functools.cache
def _photo(name: str, width: int = 320, height: int = 288) -> bytes:
    """Return an asset shrunk and cropped to ``width`` x ``height`` (not square, on purpose)."""
    image = Image.open(BytesIO(asset(name))).convert("RGB")
    image.thumbnail((width, width))
    top = (image.height - height) // 2
    return _encode(image.crop((0, top, width, top + height)))


@functools.cache
def _xray(photo: bytes, seed: int = 7, *, broken: bool = False, option: int = 0) -> bytes:
    """Return the x-ray of ``photo``, by default in the first (classic, full-frame) style."""
    request = GenerationRequest(job_id=1, seed=seed, broken_bone=broken, option=option)
    return GENERATOR.generate(photo, request)


def _grey(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(BytesIO(data)).convert("L"), dtype=np.float64)


def _toy(photo: bytes) -> np.ndarray:
    """Return where the photo shows the toy: clearly not white, a little blurred."""
    image = Image.open(BytesIO(photo)).convert("RGB").filter(ImageFilter.GaussianBlur(2))
    return 255 - np.asarray(image).min(axis=-1) > 40


def test_generator_is_called_silhouette_and_fits_the_port() -> None:
    """The generator names itself "silhouette" and satisfies the Generator protocol."""
    generator: Generator = SilhouetteXrayGenerator()
    assert generator.name == "silhouette"


@pytest.mark.parametrize("name", PHOTOS)
def test_output_is_a_png_of_the_input_size(name: str) -> None:
    """Each photo gives a PNG with exactly the photo's width and height."""
    out = _xray(_photo(name))
    assert out.startswith(PNG_MAGIC)
    image = Image.open(BytesIO(out))
    image.load()
    assert (image.format, image.size) == ("PNG", (320, 288))


def test_jpeg_input_gives_a_png_of_its_size() -> None:
    """A JPEG photo is accepted too and gives a PNG of its size."""
    image = Image.open(BytesIO(_photo("own.jpg", 200, 150)))
    out = _xray(_encode(image, "JPEG", quality=90))
    assert Image.open(BytesIO(out)).size == (200, 150)


def test_exif_orientation_is_applied() -> None:
    """A photo tagged as turned by 90 degrees is x-rayed upright (width and height swap)."""
    image = Image.open(BytesIO(_photo("teddy.jpg", 200, 120)))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to show
    out = _xray(_encode(image, "JPEG", exif=exif.tobytes()))
    assert Image.open(BytesIO(out)).size == (120, 200)


def test_different_seeds_give_visibly_different_xrays() -> None:
    """Different seeds give different x-rays, and not only in the grain."""
    photo = _photo("bluemonkey_pre.png")
    blurred = [
        np.asarray(
            Image.open(BytesIO(_xray(photo, seed)))
            .convert("L")
            .filter(ImageFilter.GaussianBlur(3)),
            dtype=np.float64,
        )
        for seed in (1, 2, 3)
    ]
    for i, a in enumerate(blurred):
        for b in blurred[i + 1 :]:
            assert np.abs(a - b).mean() > 1.0


def test_same_seed_and_photo_give_identical_bytes() -> None:
    """The same photo and seed give byte-identical output, also from a new generator."""
    photo = _photo("eichhornchen.jpeg")
    request = GenerationRequest(job_id=2, seed=123456789, broken_bone=True)
    assert SilhouetteXrayGenerator().generate(photo, request) == GENERATOR.generate(photo, request)


@pytest.mark.parametrize("name", PHOTOS)
def test_background_comes_out_dark(name: str) -> None:
    """Where the photo shows the bright backdrop (its corners), the x-ray is dark (label aside)."""
    photo, grey = _photo(name), _grey(_xray(_photo(name)))
    corners = [
        (slice(0, 24), slice(0, 24)),
        (slice(0, 24), slice(-24, None)),
        (slice(-24, None), slice(0, 24)),
        (slice(-24, None), slice(-24, None)),
    ]
    for rows, cols in corners:
        assert _grey(photo)[rows, cols].mean() > 200
        assert np.median(grey[rows, cols]) < 40


@pytest.mark.parametrize("name", PHOTOS)
def test_silhouette_is_brighter_than_background(name: str) -> None:
    """The toy glows: the x-ray is far brighter inside the toy than on the backdrop."""
    photo = _photo(name)
    grey, toy = _grey(_xray(photo)), _toy(photo)
    backdrop = ~np.asarray(Image.fromarray(toy).filter(ImageFilter.MaxFilter(15)))
    assert grey[toy].mean() > 70
    assert grey[toy].mean() > 3 * grey[backdrop].mean()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_fracture_is_drawn_when_asked(seed: int) -> None:
    """With broken_bone the x-ray changes in one small spot inside the toy, not elsewhere."""
    photo = _photo("bluemonkey_pre.png")
    changed = np.abs(_grey(_xray(photo, seed, broken=True)) - _grey(_xray(photo, seed))) > 25
    assert changed.sum() > 40
    rows, cols = np.nonzero(changed)
    box = (np.ptp(rows) + 1) * (np.ptp(cols) + 1)
    assert box < 0.06 * changed.size
    inside = np.asarray(Image.fromarray(_toy(photo)).filter(ImageFilter.MaxFilter(5)))
    assert inside[changed].mean() > 0.95


def test_fracture_moves_with_the_seed() -> None:
    """Different seeds break different places, so the doctor has a choice."""
    photo = _photo("bluemonkey_pre.png")
    centres = set()
    for seed in (1, 2, 3, 4, 5):
        changed = np.abs(_grey(_xray(photo, seed, broken=True)) - _grey(_xray(photo, seed))) > 25
        rows, cols = np.nonzero(changed)
        centres.add((int(rows.mean()) // 20, int(cols.mean()) // 20))
    assert len(centres) >= 3


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"hello, I am not a photo",
        PNG_MAGIC + b"\x00" * 64,
        _encode(Image.new("RGB", (8, 8)), "GIF"),
    ],
    ids=["empty", "text", "truncated-png", "gif"],
)
def test_non_image_input_raises_unsupported_media(data: bytes) -> None:
    """Bytes that are not a PNG, JPEG or WebP image raise UnsupportedMediaError."""
    with pytest.raises(UnsupportedMediaError):
        GENERATOR.generate(data, GenerationRequest(job_id=3, seed=1))


def test_blank_white_image_still_gives_a_dark_xray() -> None:
    """A photo without a toy gives a dark x-ray with a faint made-up body, not an error."""
    out = _xray(_encode(Image.new("RGB", (300, 220), "white")), 5, broken=True)
    grey = _grey(out)
    assert grey.shape == (220, 300)
    assert grey.mean() < 60
    assert grey[:20, -20:].mean() < 40  # the top-right corner: no label, no marker
    assert grey[90:130, 130:170].mean() > 2 * grey[:20, -20:].mean()


@pytest.mark.parametrize("size", [(1, 1), (5, 3), (3, 60)])
def test_tiny_images_give_an_xray_of_their_size(size: tuple[int, int]) -> None:
    """Even a photo of a few pixels gives a PNG of its size."""
    out = _xray(_encode(Image.new("RGB", size, "white")))
    assert Image.open(BytesIO(out)).size == size


def test_transparent_backdrop_counts_as_light() -> None:
    """A cut-out toy on a transparent background gets a dark backdrop, not a black toy."""
    toy = Image.open(BytesIO(_photo("own.jpg"))).convert("RGBA")
    pixels = np.asarray(toy).copy()
    pixels[..., 3] = np.where(_toy(_photo("own.jpg")), 255, 0)
    out = _xray(_encode(Image.fromarray(pixels)))
    grey = _grey(out)
    assert grey[:24, -24:].mean() < 40
    assert grey[_toy(_photo("own.jpg"))].mean() > 70


@pytest.mark.slow
def test_a_large_phone_photo_gives_an_xray_of_its_full_size() -> None:
    """A photo bigger than the film limit (drawn smaller, scaled up) keeps its pixel size."""
    photo = _photo("teddy.jpg", 2600, 2100)
    out = Image.open(BytesIO(_xray(photo)))
    assert out.format == "PNG" and out.size == (2600, 2100)
    corners = np.asarray(out.convert("L"))[:40, :40]
    assert corners.mean() < 40  # still dark where the photo is backdrop
