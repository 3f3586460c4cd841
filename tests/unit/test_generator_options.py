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
from xray_core.adapters.xray_look.body import find_body
from xray_core.adapters.xray_look.bones import build_skeleton
from xray_core.adapters.xray_look.kinds import GENERIC, KINDS, kind_of
from xray_core.adapters.xray_look.label import font_size
from xray_core.adapters.xray_look.mask import segment_toy
from xray_core.adapters.xray_look.pose import recognise_pose
from xray_core.adapters.xray_look.raster import draw_bones
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


# Toys drawn by the test: dark shapes on a white backdrop, 320 x 288.
def _canvas() -> tuple[Image.Image, ImageDraw.ImageDraw]:
    image = Image.new("RGB", (320, 288), "white")
    return image, ImageDraw.Draw(image)


def _front_toy() -> Image.Image:
    image, draw = _canvas()
    fill = (120, 80, 40)
    for box in [
        (120, 20, 200, 100),  # head
        (108, 14, 136, 42),  # ears
        (184, 14, 212, 42),
        (110, 90, 210, 220),  # belly
        (60, 110, 120, 140),  # arms
        (200, 110, 260, 140),
        (120, 200, 155, 275),  # legs
        (165, 200, 200, 275),
    ]:
        draw.ellipse(box, fill=fill)
    return image


def _side_toy() -> Image.Image:
    """A toy sitting in profile, facing right: two front paws, two hind feet, a tail behind."""
    image, draw = _canvas()
    fill = (120, 80, 40)
    draw.ellipse((110, 100, 230, 250), fill=fill)  # body
    draw.ellipse((175, 20, 265, 110), fill=fill)  # head
    for start, end in FRONT_PAWS + HIND_FEET:
        draw.line([start, end], fill=fill, width=18)
        draw.ellipse((end[0] - 9, end[1] - 9, end[0] + 9, end[1] + 9), fill=fill)
    draw.line([(125, 200), (70, 160), (40, 95)], fill=fill, width=20, joint="curve")  # tail
    return image


FRONT_PAWS = [((205, 135), (290, 130)), ((210, 180), (292, 190))]
HIND_FEET = [((170, 235), (250, 268)), ((150, 240), (205, 278))]


def _lying_toy() -> Image.Image:
    return _front_toy().rotate(90, expand=True)


def _mask(image: Image.Image) -> np.ndarray:
    mask = segment_toy(np.asarray(image, dtype=np.float32) / 255.0)
    assert mask is not None
    return mask


@pytest.mark.parametrize(
    ("toy", "view"), [(_front_toy, "front"), (_side_toy, "side"), (_lying_toy, "lying")]
)
def test_drawn_toys_are_recognised_in_their_pose(toy: object, view: str) -> None:
    """A symmetric toy is seen from the front, a profile from the side, a turned one lying."""
    assert callable(toy)
    assert recognise_pose(_mask(toy())).view == view


def test_a_profile_faces_where_its_head_is() -> None:
    """A profile facing right is recognised as facing right, its mirror image as facing left."""
    image = _side_toy()
    assert recognise_pose(_mask(image)).facing == 1
    assert recognise_pose(_mask(image.transpose(Image.Transpose.FLIP_LEFT_RIGHT))).facing == -1


def _bones_of(image: Image.Image, parts: set[str], animal_type: str = "dog") -> np.ndarray:
    """Return the density of the bones of the given parts, at the drawing's size."""
    mask = _mask(image)
    plan = find_body(mask, np.asarray(image.convert("L"), dtype=np.float32) / 255.0)
    assert plan is not None
    pose = recognise_pose(mask)
    skeleton = build_skeleton(plan, np.random.default_rng(1), kind=kind_of(animal_type), pose=pose)
    strokes = tuple(s for s, p in zip(skeleton.strokes, skeleton.parts, strict=False) if p in parts)
    return draw_bones(strokes, (), mask.shape, (1.0, 1.0))


def test_a_side_view_shows_one_pair_of_limbs() -> None:
    """Of a profile's four limbs only the near pair, one front paw and one hind foot, get bones."""
    bones = _bones_of(_side_toy(), {"arm", "leg"})
    with_bones = [
        bones[y - 6 : y + 6, x - 16 : x - 4].max() > 0.2 for _, (x, y) in FRONT_PAWS + HIND_FEET
    ]
    assert sum(with_bones[:2]) == 1  # one front paw
    assert sum(with_bones[2:]) == 1  # one hind foot


def test_a_tail_gets_vertebrae_and_no_limb_bone() -> None:
    """The tail gets a chain of tail vertebrae, and no arm or leg bone runs into it."""
    tail = (slice(95, 150), slice(35, 75))
    assert _bones_of(_side_toy(), {"arm", "leg"})[tail].max() < 0.05
    assert _bones_of(_side_toy(), {"tail"})[tail].max() > 0.2


def test_a_bird_gets_wings_and_a_keel() -> None:
    """A bird seen from the front gets wing bones in its arms and a keel down its chest."""
    bones = _bones_of(_front_toy(), {"wing", "keel"}, "bird")
    assert bones[110:140, 60:110].max() > 0.2  # the left wing
    assert bones[100:180, 150:170].max() > 0.2  # the keel


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
    image = _front_toy().resize((80, 72))
    out = _decoded(GENERATOR.generate(_png(image), GenerationRequest(1, 1, animal_name="Мишка")))
    assert out.size == (80, 72)
