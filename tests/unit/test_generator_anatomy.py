"""The silhouette generator's reading of drawn toys: pose, limbs, tails, wings."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from PIL import Image, ImageDraw

from xray_core.adapters.xray_look.fitting import fit_skeleton
from xray_core.adapters.xray_look.kinds import kind_of
from xray_core.adapters.xray_look.mask import segment_toy
from xray_core.adapters.xray_look.pose import recognise_pose
from xray_core.adapters.xray_look.raster import draw_bones


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


def _standing_toy() -> Image.Image:
    """A toy standing on four legs in profile, facing right, its tail up behind."""
    image, draw = _canvas()
    fill = (120, 80, 40)
    draw.ellipse((70, 105, 250, 195), fill=fill)  # body
    draw.ellipse((225, 40, 305, 120), fill=fill)  # head
    draw.polygon([(215, 120), (240, 80), (270, 110), (245, 150)], fill=fill)  # neck
    for x in LEGS:
        draw.rounded_rectangle((x, 160, x + 18, 262), radius=8, fill=fill)
    draw.line([(85, 135), (55, 110), (30, 70)], fill=fill, width=14, joint="curve")  # tail
    return image


LEGS = (92, 122, 192, 222)  # two hind legs, two front legs


def _lying_toy() -> Image.Image:
    return _front_toy().rotate(90, expand=True)


def _mask(image: Image.Image) -> np.ndarray:
    mask = segment_toy(np.asarray(image, dtype=np.float32) / 255.0)
    assert mask is not None
    return mask


@pytest.mark.parametrize(
    ("toy", "view"),
    [(_front_toy, "front"), (_side_toy, "side"), (_standing_toy, "side"), (_lying_toy, "lying")],
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
    luminance = np.asarray(image.convert("L"), dtype=np.float32) / 255.0
    rng = np.random.default_rng(1)
    _, skeleton = fit_skeleton(mask, luminance, rng, kind=kind_of(animal_type))
    strokes = tuple(s for s, p in zip(skeleton.strokes, skeleton.parts, strict=False) if p in parts)
    return draw_bones(strokes, (), mask.shape, (1.0, 1.0))


def test_a_sitting_profile_shows_one_pair_of_limbs() -> None:
    """Of a sitting profile's four limbs only the near pair, one front paw and one foot, get bones."""
    bones = _bones_of(_side_toy(), {"arm", "leg"})
    ends = [end for _, end in FRONT_PAWS + HIND_FEET]
    with_bones = [bones[y - 6 : y + 6, x - 16 : x - 4].max() > 0.2 for x, y in ends]
    assert sum(with_bones[:2]) == 1  # one front paw
    assert sum(with_bones[2:]) == 1  # one hind foot


def test_a_standing_profile_shows_one_pair_of_legs() -> None:
    """Of a standing profile's four legs one front and one hind leg get bones."""
    assert recognise_pose(_mask(_standing_toy())).view == "side"
    bones = _bones_of(_standing_toy(), {"arm", "leg"})
    with_bones = [bones[215:262, x : x + 18].max() > 0.2 for x in LEGS]
    assert sum(with_bones[:2]) == 1
    assert sum(with_bones[2:]) == 1


@pytest.mark.parametrize(
    ("toy", "tail"),
    [
        (_side_toy, (slice(95, 150), slice(35, 75))),
        (_standing_toy, (slice(65, 115), slice(28, 62))),
    ],
    ids=["sitting", "standing"],
)
def test_a_tail_gets_vertebrae_and_no_limb_bone(toy: object, tail: tuple[slice, slice]) -> None:
    """The tail gets a chain of tail vertebrae, and no arm or leg bone runs into it."""
    assert callable(toy)
    assert _bones_of(toy(), {"arm", "leg"})[tail].max() < 0.05
    assert _bones_of(toy(), {"tail"})[tail].max() > 0.2


def test_a_bird_gets_wings_and_a_keel() -> None:
    """A bird seen from the front gets wing bones in its arms and a keel down its chest."""
    bones = _bones_of(_front_toy(), {"wing", "keel"}, "bird")
    assert bones[110:140, 60:110].max() > 0.2  # the left wing
    assert bones[100:180, 150:170].max() > 0.2  # the keel


def _rabbit() -> Image.Image:
    """A rabbit from the front with two long ears standing up."""
    image, draw = _canvas()
    fill = (150, 150, 150)
    draw.ellipse((125, 20, 150, 110), fill=fill)  # ears
    draw.ellipse((170, 20, 195, 110), fill=fill)
    draw.ellipse((115, 80, 205, 160), fill=fill)  # head
    draw.ellipse((105, 145, 215, 260), fill=fill)  # body
    draw.ellipse((75, 165, 125, 190), fill=fill)  # arms
    draw.ellipse((195, 165, 245, 190), fill=fill)
    return image


def test_ears_get_soft_cartilage_and_no_bones() -> None:
    """Long ears get no bone at all, only a faint layer of cartilage."""
    image = _rabbit()
    mask = _mask(image)
    luminance = np.asarray(image.convert("L"), dtype=np.float32) / 255.0
    _, skeleton = fit_skeleton(mask, luminance, np.random.default_rng(2), kind=kind_of("rabbit"))
    ears = (slice(25, 60), slice(125, 195))
    strokes = draw_bones(skeleton.strokes, (), mask.shape, (1.0, 1.0))
    everything = draw_bones(skeleton.strokes, skeleton.shells, mask.shape, (1.0, 1.0))
    assert strokes[ears].max() < 0.05
    assert 0.05 < everything[ears].max() < 0.3


def test_the_animal_type_changes_the_skull() -> None:
    """Bear, dog, horse, bird and an unknown type each get a skull of their own."""
    image = _front_toy()
    mask = _mask(image)
    luminance = np.asarray(image.convert("L"), dtype=np.float32) / 255.0
    heads = []
    for animal in ("spaceship", "bear", "dog", "horse", "bird"):
        _, skeleton = fit_skeleton(mask, luminance, np.random.default_rng(3), kind=kind_of(animal))
        bones = draw_bones(skeleton.strokes, skeleton.shells, mask.shape, (1.0, 1.0))
        heads.append(bones[20:100, 120:200])
    for a, b in itertools.combinations(heads, 2):
        assert np.abs(a - b).mean() > 0.005
