"""The built-in CPU x-ray generator: glowing silhouette plus bones fitted to its shape."""

from __future__ import annotations

import warnings
from io import BytesIO
from typing import Literal

import numpy as np
from PIL import Image, ImageOps

from xray_core.adapters.xray_look.film import Look, develop
from xray_core.adapters.xray_look.fitting import fit_skeleton
from xray_core.adapters.xray_look.fracture import with_fracture
from xray_core.adapters.xray_look.kinds import kind_of
from xray_core.adapters.xray_look.label import LabelText, draw_label
from xray_core.adapters.xray_look.mask import distance_map, fallback_mask, segment_toy
from xray_core.adapters.xray_look.raster import draw_bones
from xray_core.adapters.xray_look.skeleton import ANATOMICAL, CARTOON
from xray_core.adapters.xray_look.styles import style_for
from xray_core.errors import TooLargeError, UnsupportedMediaError
from xray_core.generation.model import GenerationRequest

_FORMATS = ("JPEG", "PNG", "WEBP")
MAX_FILM_SIDE = 2048


class SilhouetteXrayGenerator:
    """Draws a pretend x-ray from a photo of a toy on a light backdrop, on the CPU.

    The toy is cut out by its colour distance from the backdrop; its silhouette becomes a
    translucent glowing body (brightness from the toy's own shading), and a skeleton of the
    toy's pose (front, side, lying) and kind (``animal_type``) read off the silhouette's shape
    is drawn into it. Each option (``request.option``) gets its own style of film, bones and
    framing; a label names hospital, toy and date. The geometry is found on a small copy of
    the photo, the film drawn at full size. See docs/generators.md.
    """

    def __init__(self, working_size: int = 320) -> None:
        """Find the geometry on a copy at most ``working_size`` pixels wide and high."""
        if working_size < 32:
            msg = f"working_size must be at least 32, not {working_size}"
            raise ValueError(msg)
        self._working_size = working_size

    @property
    def name(self) -> str:
        """Short stable identifier of the generator."""
        return "silhouette"

    def generate(self, photo: bytes, request: GenerationRequest) -> bytes:
        """Return the x-ray of ``photo`` as PNG bytes of the (upright) photo's size.

        Raises:
            UnsupportedMediaError: ``photo`` is not a PNG, JPEG or WebP image.
            TooLargeError: ``photo`` has more pixels than Pillow's decompression-bomb limit.
        """
        image = _decode(photo)
        size = image.size
        if max(size) > MAX_FILM_SIDE:
            # Draw the film at most MAX_FILM_SIDE wide, then scale up: a 12 MP phone photo
            # took 3 s and 600 MB at full size, for detail no screen shows.
            image.thumbnail((MAX_FILM_SIDE, MAX_FILM_SIDE), Image.Resampling.BOX)
        style = style_for(request.option, request.seed)
        # Independent streams: a fracture must not change the ribs, the film or the grain.
        seeds = np.random.SeedSequence(request.seed % 2**64).spawn(3)
        shapes, film, fracture = (np.random.default_rng(seed) for seed in seeds)
        width, height = image.size
        shrink = min(1.0, self._working_size / max(width, height))
        small_size = (max(1, round(width * shrink)), max(1, round(height * shrink)))
        small = image.resize(small_size, Image.Resampling.BOX)
        mask = segment_toy(np.asarray(small, dtype=np.float32) / 255.0)
        faint = mask is None
        if mask is None:
            mask = fallback_mask(small_size[1], small_size[0])
        luminance = np.asarray(small.convert("L"), dtype=np.float32) / 255.0
        build = CARTOON if style.bones == "cartoon" else ANATOMICAL
        kind = kind_of(request.animal_type)
        pose, skeleton = fit_skeleton(mask, luminance, shapes, build, kind, made_up=faint)
        if request.broken_bone:
            skeleton = with_fracture(skeleton, fracture)
        scale = (width / small_size[0], height / small_size[1])
        bones = draw_bones(skeleton.strokes, skeleton.shells, (height, width), scale)
        distance = distance_map(mask)
        look = Look.draw(film, style.film)
        pixels = develop(image, mask, distance, bones, look, film, faint=faint)
        box = _framing(mask, style.zoom)
        film_image = Image.fromarray(pixels)
        toy = Image.fromarray(mask)
        if box != (0.0, 0.0, 1.0, 1.0):
            film_image = film_image.resize(
                size, Image.Resampling.BICUBIC, box=_scaled(box, width, height)
            )
            toy = toy.crop(_scaled(box, *small_size))
        elif film_image.size != size:
            film_image = film_image.resize(size, Image.Resampling.BICUBIC)
        # A side view shows the near side; the marker names the far one, nearest the film.
        marker: Literal["R", "L"] = "L" if pose.view == "side" and pose.facing > 0 else "R"
        text = LabelText(request.hospital_name, request.animal_name, request.taken_on, marker)
        draw_label(film_image, text, np.asarray(toy, dtype=np.bool_), marker_left=True)
        out = BytesIO()
        film_image.save(out, format="PNG", compress_level=1)
        return out.getvalue()


def _decode(data: bytes) -> Image.Image:
    """Return the photo upright as RGB, transparent parts on white (a light backdrop)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(BytesIO(data), formats=_FORMATS)
            image.load()
            upright = ImageOps.exif_transpose(image)
            if upright.has_transparency_data:
                backdrop = Image.new("RGBA", upright.size, (255, 255, 255, 255))
                return Image.alpha_composite(backdrop, upright.convert("RGBA")).convert("RGB")
            return upright.convert("RGB")
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise TooLargeError("image has too many pixels") from exc
        except Exception as exc:
            # Pillow fails on bad input with many exception types; all mean "not an image".
            raise UnsupportedMediaError("file is not a PNG, JPEG or WebP image") from exc


def _framing(mask: np.ndarray, zoom: float) -> tuple[float, float, float, float]:
    """Return the part of the picture to show, as shares (left, top, right, bottom).

    Zooms in by up to ``zoom`` on the toy's middle, never cutting the toy off.
    """
    if zoom <= 1.0 or not mask.any():
        return (0.0, 0.0, 1.0, 1.0)
    height, width = mask.shape
    rows, cols = np.nonzero(mask)
    top, bottom = rows.min() / height, (rows.max() + 1) / height
    left, right = cols.min() / width, (cols.max() + 1) / width
    zoom = min(zoom, 1.0 / max(1.06 * (right - left), 1.06 * (bottom - top), 1e-3))
    if zoom <= 1.01:
        return (0.0, 0.0, 1.0, 1.0)
    share = 1.0 / zoom
    x = float(np.clip((left + right) / 2 - share / 2, 0.0, 1.0 - share))
    y = float(np.clip((top + bottom) / 2 - share / 2, 0.0, 1.0 - share))
    return (x, y, x + share, y + share)


def _scaled(
    box: tuple[float, float, float, float], width: int, height: int
) -> tuple[int, int, int, int]:
    """Return a box of shares as whole pixels of a ``width`` x ``height`` picture."""
    left, top, right, bottom = box
    return (round(left * width), round(top * height), round(right * width), round(bottom * height))
