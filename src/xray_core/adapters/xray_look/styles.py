"""The styles an option is drawn in: skeleton, film and framing, one per slot of a job."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from xray_core.adapters.xray_look.film import AMBER, CLASSIC, HIGH_CONTRAST, OLD_GREEN, Film

BoneStyle = Literal["anatomical", "cartoon"]


@dataclass(frozen=True, slots=True)
class Style:
    """One take on an x-ray.

    Attributes:
        name: short name, for the docs and the contact sheet.
        film: the film stock.
        bones: "anatomical" (thin walled bones, many ribs) or "cartoon" (round, chunky).
        zoom: 1 shows the whole photo; above 1 frames the toy closer.
    """

    name: str
    film: Film
    bones: BoneStyle
    zoom: float


# In slot order: every two options differ in their film, and most in bones or framing too.
STYLES = (
    Style("classic", CLASSIC, "anatomical", 1.0),
    Style("cartoon on old film", OLD_GREEN, "cartoon", 1.0),
    Style("high contrast, close", HIGH_CONTRAST, "anatomical", 1.18),
    Style("cartoon on amber film, close", AMBER, "cartoon", 1.18),
)


def style_for(option: int | None, seed: int) -> Style:
    """Return the style of a job's ``option`` (slot), or the seed's if the slot is unknown."""
    index = seed if option is None else option
    return STYLES[index % len(STYLES)]
