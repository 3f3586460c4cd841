"""The silhouette generator's options, poses, anatomy and film label, on real and drawn toys."""

from __future__ import annotations

import functools
import itertools
from datetime import date
from io import BytesIO
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont, ImageOps
from skimage.feature import match_template
from skimage.metrics import structural_similarity

from xray_core.adapters.xray_look import SilhouetteXrayGenerator
from xray_core.adapters.xray_look.kinds import GENERIC, KINDS, kind_of
from xray_core.adapters.xray_look.label import font_size
from xray_core.adapters.xray_look.styles import STYLES
from xray_core.generation.model import GenerationRequest

ASSETS = sorted(
    p.name for p in (Path(__file__).parents[1] / "assets").iterdir() if p.suffix != ".md"
)
ANIMAL_TYPES = sorted({*KINDS, "other", "Hund", "spaceship"})
GENERATOR = SilhouetteXrayGenerator()
DEJAVU = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


@functools.cache
def _asset(name: str, side: int) -> bytes:
    """Return an asset photo scaled to ``side`` pixels on its long side, as PNG."""
    image = Image.open(Path(__file__).parents[1] / "assets" / name).convert("RGB")
    image.thumbnail((side, side))
    out = BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _png(image: Image.Image) -> bytes:
    out = BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _decoded(data: bytes) -> Image.Image:
    image = Image.open(BytesIO(data))
    image.load()
    return image


@pytest.mark.parametrize(("name", "animal_type"), list(itertools.product(ASSETS, ANIMAL_TYPES)))
def test_every_photo_and_animal_type_gives_a_png_of_the_photo_size(
    name: str, animal_type: str
) -> None:
    """Each asset photo gives a valid PNG of its size for every animal type."""
    photo = _asset(name, 300)
    request = GenerationRequest(job_id=1, seed=5, animal_type=animal_type, animal_name="Brumm")
    out = _decoded(GENERATOR.generate(photo, request))
    assert (out.format, out.size) == ("PNG", Image.open(BytesIO(photo)).size)


@pytest.mark.slow
@pytest.mark.parametrize("name", ASSETS)
def test_every_photo_at_full_size_gives_a_png_of_its_size(name: str) -> None:
    """Each asset photo at its own size gives a valid PNG of exactly that size."""
    data = (Path(__file__).parents[1] / "assets" / name).read_bytes()
    out = _decoded(GENERATOR.generate(data, GenerationRequest(job_id=1, seed=1, option=2)))
    assert out.format == "PNG"
    assert out.size == ImageOps.exif_transpose(Image.open(BytesIO(data))).size


def _ssim_256(a: bytes, b: bytes) -> float:
    """SSIM of two RGB images, each scaled to 256 px on its long side."""
    pictures = []
    for data in (a, b):
        image = Image.open(BytesIO(data)).convert("RGB")
        image.thumbnail((256, 256))
        pictures.append(np.asarray(image))
    return float(structural_similarity(*pictures, channel_axis=2, data_range=255))


@pytest.mark.slow  # seconds of subprocesses or pixels: the full suite runs it
@pytest.mark.parametrize("name", ASSETS)
def test_options_of_one_photo_are_mutually_distinct(name: str) -> None:
    """Every two options of a job differ at a glance: SSIM below 0.85 at 256 px."""
    photo = _asset(name, 512)
    options = [
        GENERATOR.generate(photo, GenerationRequest(job_id=9, seed=100 + i, option=i))
        for i in range(len(STYLES))
    ]
    for a, b in itertools.combinations(options, 2):
        assert _ssim_256(a, b) < 0.85


@pytest.mark.parametrize("name", ASSETS)
def test_the_same_seed_and_option_give_the_same_image(name: str) -> None:
    """The same photo, seed and option give byte-identical x-rays."""
    photo = _asset(name, 256)
    request = GenerationRequest(
        job_id=3, seed=77, option=1, broken_bone=True, animal_type="bird", animal_name="Zoë"
    )
    assert SilhouetteXrayGenerator().generate(photo, request) == GENERATOR.generate(photo, request)


def test_unknown_animal_types_get_the_generic_anatomy() -> None:
    """A type the generator does not know gets the generic skull; German names are known."""
    assert kind_of("spaceship") is GENERIC
    assert kind_of("Hund") is KINDS["dog"]
    assert kind_of(" Horse ") is KINDS["horse"]


def _label_score(xray: Image.Image, text: str) -> float:
    """Return how well a reference rendering of ``text`` matches somewhere on the film."""
    size = font_size(*xray.size)
    font = ImageFont.truetype(DEJAVU, size, layout_engine=ImageFont.Layout.BASIC)
    _, _, right, bottom = font.getbbox(text)
    reference = Image.new("L", (int(right) + 4, int(bottom) + 4))
    ImageDraw.Draw(reference).text((2, 2), text, font=font, fill=255)
    grey = np.asarray(xray.convert("L"), dtype=np.float64)
    return float(match_template(grey, np.asarray(reference, dtype=np.float64)).max())


@pytest.mark.parametrize("name", ["Мишка", "Zoë", "Brumm 😀"])
def test_the_label_shows_the_animal_name(name: str) -> None:
    """The film's label shows the toy's name legibly: it matches a reference rendering."""
    photo = _asset("teddy.jpg", 640)
    request = GenerationRequest(
        job_id=1, seed=1, option=0, animal_name=name, taken_on=date(2026, 12, 1)
    )
    xray = _decoded(GENERATOR.generate(photo, request))
    other = _decoded(GENERATOR.generate(photo, GenerationRequest(1, 1, option=0, animal_name="Xy")))
    assert _label_score(xray, name) > 0.9
    assert _label_score(other, name) < 0.75
    assert _label_score(xray, "2026-12-01") > 0.9


def test_the_label_shows_the_hospital_and_survives_an_emoji() -> None:
    """The hospital's name is on the label; an emoji no font has does not break it."""
    photo = _asset("own.jpg", 640)
    request = GenerationRequest(job_id=1, seed=2, option=1, hospital_name="Zoë's Clinic 🧸")
    xray = _decoded(GENERATOR.generate(photo, request))
    font = DEJAVU.replace("Sans.ttf", "Sans-Bold.ttf")
    size = font_size(*xray.size)
    bold = ImageFont.truetype(font, size, layout_engine=ImageFont.Layout.BASIC)
    reference = Image.new("L", (int(bold.getlength("Zoë's Clinic")) + 4, size + 8))
    ImageDraw.Draw(reference).text((2, 2), "Zoë's Clinic", font=bold, fill=255)
    grey = np.asarray(xray.convert("L"), dtype=np.float64)
    assert match_template(grey, np.asarray(reference, dtype=np.float64)).max() > 0.9


def test_tiny_films_get_no_label_and_still_work() -> None:
    """A film too small for a legible label is drawn without one, at its size."""
    image = Image.open(BytesIO(_asset("own.jpg", 80)))
    out = _decoded(GENERATOR.generate(_png(image), GenerationRequest(1, 1, animal_name="Мишка")))
    assert out.size == image.size
