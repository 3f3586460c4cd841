"""Developing the film at full size: glowing body, bones, tone, grain and vignette."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageFilter
from scipy import ndimage

FloatArray = npt.NDArray[np.float32]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True, slots=True)
class Film:
    """A kind of film stock: its colours and how it responds to density.

    Attributes:
        name: short name ("classic", "old-green", "high-contrast", "amber").
        black: the unexposed colour (r, g, b in [0, 1]).
        tint: colour of the brightest parts.
        gammas: per channel, how slowly it rises (above 1: slower, so mid-tones lean away).
        speed: how fast density brightens the film.
        tissue: how strongly the soft body shows (bones always show fully).
        bone: how bright bones show.
        grain: the grain's strength range.
        vignette: how much darker the corners get, range.
    """

    name: str
    black: tuple[float, float, float]
    tint: tuple[float, float, float]
    gammas: tuple[float, float, float]
    speed: float = 1.7
    tissue: float = 1.0
    bone: float = 1.0
    grain: tuple[float, float] = (0.02, 0.035)
    vignette: tuple[float, float] = (0.25, 0.4)


CLASSIC = Film("classic", (0.035, 0.05, 0.06), (0.87, 0.96, 1.0), (1.6, 1.2, 0.9))
# An old film gone greenish and grainy, darker at the edges.
OLD_GREEN = Film(
    "old-green",
    (0.03, 0.055, 0.035),
    (0.8, 0.98, 0.7),
    (1.35, 0.95, 1.5),
    speed=1.5,
    grain=(0.05, 0.07),
    vignette=(0.65, 0.8),
)
# Soft tissue faint, bones bright and crisp: the bones stand out.
HIGH_CONTRAST = Film(
    "high-contrast",
    (0.0, 0.0, 0.01),
    (0.97, 0.98, 1.0),
    (1.25, 1.15, 1.05),
    speed=2.2,
    tissue=0.45,
    bone=1.2,
    grain=(0.01, 0.018),
    vignette=(0.1, 0.2),
)

# An old film aged to amber, as prints of radiographs go with the years.
AMBER = Film(
    "amber",
    (0.06, 0.035, 0.02),
    (1.0, 0.86, 0.62),
    (0.95, 1.2, 1.7),
    speed=1.6,
    grain=(0.03, 0.045),
    vignette=(0.4, 0.55),
)


@dataclass(frozen=True, slots=True)
class Look:
    """The seed's take on a film: glow, exposure, tint and grain.

    Attributes:
        film: the film stock.
        glow: width of the soft halo around the silhouette, as a share of the picture.
        rim: width of the bright inner rim, in working pixels.
        exposure: overall brightness of the body.
        tint: colour of the brightest parts (r, g, b in [0, 1]).
        grain: strength of the film grain.
        vignette: how much darker the corners get.
    """

    film: Film
    glow: float
    rim: float
    exposure: float
    tint: tuple[float, float, float]
    grain: float
    vignette: float

    @classmethod
    def draw(cls, rng: np.random.Generator, film: Film = CLASSIC) -> Look:
        """Draw a look on ``film`` from ``rng``."""
        r, g, b = film.tint
        return cls(
            film=film,
            glow=rng.uniform(0.012, 0.025),
            rim=rng.uniform(2.0, 4.0),
            exposure=rng.uniform(0.9, 1.1),
            tint=(
                min(1.0, r + rng.uniform(-0.03, 0.03)),
                min(1.0, g + rng.uniform(-0.02, 0.02)),
                b,
            ),
            grain=rng.uniform(*film.grain),
            vignette=rng.uniform(*film.vignette),
        )


def develop(
    photo: Image.Image,
    mask: BoolArray,
    distance: FloatArray,
    bones: FloatArray,
    look: Look,
    rng: np.random.Generator,
    *,
    faint: bool = False,
) -> npt.NDArray[np.uint8]:
    """Return the finished x-ray as an (h, w, 3) RGB array of the photo's full size.

    Args:
        photo: the upright photo (RGB) at full size.
        mask: the toy's silhouette at working resolution.
        distance: each working pixel's distance to the silhouette's edge.
        bones: the bones' density at full size.
        look: the seed's film.
        rng: draws the film grain.
        faint: draw the body faintly (no toy was found: the silhouette is made up).
    """
    size = photo.size
    small = mask.astype(np.float32)
    alpha_small = np.asarray(ndimage.gaussian_filter(small, 0.7), dtype=np.float32)
    halo = np.asarray(ndimage.gaussian_filter(small, look.glow * max(mask.shape)), np.float32)
    depth = np.sqrt(np.clip(distance / max(float(distance.max()), 1.0), 0.0, 1.0))
    rim = alpha_small * np.exp(-distance / look.rim)
    # Thin at the edge, thicker inside, with a bright rim and a halo: a glowing plush body.
    body = alpha_small * (0.06 + 0.16 * depth) + 0.6 * rim + 0.5 * halo * (1 - alpha_small)
    density = _resize(body, size) + _resize(alpha_small, size) * _texture(photo, mask)
    density *= look.exposure * look.film.tissue * (0.5 if faint else 1.0)
    density += look.film.bone * (1.5 * bones + _bloom(bones, 0.8))
    return _expose(density, look, rng)


def _texture(photo: Image.Image, mask: BoolArray) -> FloatArray:
    """Return the toy's own shading: light fabric shows bright, dark buttons dark."""
    grey = photo.convert("L")
    luminance = np.asarray(grey, dtype=np.float32) / 255.0
    blurred = grey.filter(ImageFilter.GaussianBlur(max(1.0, photo.size[0] / 600)))
    detail = luminance - np.asarray(blurred, dtype=np.float32) / 255.0
    inside = np.asarray(grey.resize(mask.shape[::-1], Image.Resampling.BOX))[mask] / 255.0
    low, high = (float(q) for q in np.percentile(inside, [3, 97])) if inside.size else (0, 1)
    shade = np.clip((luminance - low) / max(high - low, 0.05), 0.0, 1.0)
    return np.asarray(0.6 * shade**1.4 + detail, dtype=np.float32)


def _expose(density: FloatArray, look: Look, rng: np.random.Generator) -> npt.NDArray[np.uint8]:
    """Turn density into film: saturating response, vignette, grain and a cold tint."""
    height, width = density.shape
    film = 1.0 - np.exp(-look.film.speed * density)
    ys = np.linspace(-1.0, 1.0, height, dtype=np.float32)[:, None]
    xs = np.linspace(-1.0, 1.0, width, dtype=np.float32)[None, :]
    film *= 1.0 - look.vignette * 0.5 * (xs * xs + ys * ys)
    # Grain in clumps of about two pixels, like film (and kinder to the PNG encoder).
    grain = rng.standard_normal(((height + 1) // 2, (width + 1) // 2), dtype=np.float32)
    film += look.grain * 1.4 * _resize(grain, (width, height)) * (0.25 + 2 * film * (1 - film))
    film = np.clip(film, 0.0, 1.0)
    # Red rises slowest and blue fastest: mid-tones come out steel blue, highlights white.
    out = np.empty((height, width, 3), dtype=np.uint8)
    stock = look.film
    for c, (base, tint, gamma) in enumerate(zip(stock.black, look.tint, stock.gammas, strict=True)):
        channel = film**gamma
        channel *= (tint - base) * 255.0
        channel += base * 255.0 + 0.5
        out[..., c] = channel  # truncates: with the 0.5 above, rounds
    return out


def _bloom(bones: FloatArray, strength: float) -> FloatArray:
    """Return a soft glow around bright bones, computed at a quarter size for speed."""
    height, width = bones.shape
    small = _resize(bones, (max(1, width // 4), max(1, height // 4)))
    soft = np.asarray(ndimage.gaussian_filter(small, 2.0), dtype=np.float32)
    return strength * _resize(soft, (width, height))


def _resize(image: FloatArray, size: tuple[int, int]) -> FloatArray:
    """Return a float image resized bilinearly to ``size`` (width, height)."""
    picture = Image.fromarray(np.ascontiguousarray(image, dtype=np.float32))
    return np.asarray(picture.resize(size, Image.Resampling.BILINEAR), dtype=np.float32)
