"""What a skeleton is made of, the two builds of bones, and turning a skeleton round."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

import numpy as np

from xray_core.adapters.xray_look.shapes import Points, Shell, Stroke

Part = Literal["skull", "spine", "rib", "keel", "arm", "leg", "wing", "tail"]


@dataclass(frozen=True, slots=True)
class Build:
    """How a skeleton style sizes its bones.

    Attributes:
        spacing: vertebra spacing, as a share of the trunk's radius.
        ribs: the range the seed draws the most rib pairs from.
        rib: rib thickness, as a share of the vertebra spacing.
        bone: long-bone thickness, as a share of the trunk's radius.
        digits: the range the seed draws the number of fingers and toes from.
        phalanges: the bones of one finger, as (length, thickness) shares.
    """

    spacing: float
    ribs: tuple[int, int]
    rib: float
    bone: float
    digits: tuple[int, int]
    phalanges: tuple[tuple[float, float], ...]


ANATOMICAL = Build(0.12, (5, 10), 0.24, 0.16, (3, 6), ((0.45, 0.45), (0.3, 0.38), (0.22, 0.32)))
# Round and chunky: fewer, fatter ribs and vertebrae, stubby three-part fingers.
CARTOON = Build(0.2, (3, 5), 0.42, 0.26, (3, 4), ((0.55, 0.6), (0.4, 0.55)))


@dataclass(frozen=True, slots=True)
class Skeleton:
    """Everything to draw, in working-resolution pixels.

    Attributes:
        strokes: tube-shaped bones.
        shells: ellipsoid bones (skull, pelvis) and holes (eye sockets).
        breakable: groups of stroke indices that form one long bone each (a fracture
            breaks every stroke of a group at the same place).
        parts: for each stroke, the part of the body it belongs to.
    """

    strokes: tuple[Stroke, ...]
    shells: tuple[Shell, ...]
    breakable: tuple[tuple[int, ...], ...]
    parts: tuple[Part, ...] = ()


def turned_back(skeleton: Skeleton, quarter: int, shape: tuple[int, int]) -> Skeleton:
    """Return a skeleton fitted into ``np.rot90(mask, quarter)`` in the mask's own frame.

    Args:
        skeleton: the skeleton in the turned frame.
        quarter: 1 (the mask was turned anticlockwise) or -1 (clockwise).
        shape: the (height, width) of the mask before turning.
    """
    height, width = shape

    def place(points: Points) -> Points:
        x, y = points[..., 0], points[..., 1]
        if quarter == 1:
            return np.stack([width - 1 - y, x], axis=-1)
        return np.stack([y, height - 1 - x], axis=-1)

    turn = np.pi / 2 if quarter == 1 else -np.pi / 2
    strokes = tuple(replace(stroke, points=place(stroke.points)) for stroke in skeleton.strokes)
    shells = tuple(
        replace(shell, centre=place(shell.centre), angle=shell.angle + turn)
        for shell in skeleton.shells
    )
    return Skeleton(strokes, shells, skeleton.breakable, skeleton.parts)
