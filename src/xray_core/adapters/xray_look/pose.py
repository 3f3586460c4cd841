"""Recognising how a toy was photographed: from the front, from the side, or lying down."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from xray_core.adapters.xray_look.mask import distance_map

BoolArray = npt.NDArray[np.bool_]
View = Literal["front", "side", "lying"]

# Wider than this (bounding box, width / height) a toy is lying down.
_LYING_ASPECT = 1.6
# A front view is about as symmetric as this (overlap with its own mirror image, of the whole
# silhouette or of its thick core: a tail or a raised arm spoils the first, not the second).
_FRONT_SYMMETRY = 0.7


@dataclass(frozen=True, slots=True)
class Pose:
    """How the toy lies in the photo.

    Attributes:
        view: "front", "side" (profile) or "lying".
        facing: +1 if the head points to the picture's right (side view) or lies on the right
            (lying), -1 if to the left, 0 for a front view.
        symmetry: the silhouette's overlap with its mirror image, in [0, 1].
    """

    view: View
    facing: int
    symmetry: float


FRONT = Pose("front", 0, 1.0)


def recognise_pose(mask: BoolArray) -> Pose:
    """Return the pose of the toy whose silhouette is ``mask``."""
    rows, cols = np.nonzero(mask)
    if rows.size == 0:
        return Pose("front", 0, 1.0)
    box = mask[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]
    height, width = box.shape
    distance = distance_map(box)
    core = distance > 0.35 * float(distance.max())
    symmetry = max(_mirror_overlap(box), _mirror_overlap(core))
    # A toy lying on its back or belly is symmetric about a level line instead.
    level = max(_mirror_overlap(box.T), _mirror_overlap(core.T))
    wide = width >= _LYING_ASPECT * height and not _stands_on_legs(box)
    if wide or (level >= _FRONT_SYMMETRY and level > symmetry + 0.05):
        return Pose("lying", _heavier_end(box), max(symmetry, level))
    if symmetry >= _FRONT_SYMMETRY:
        return Pose("front", 0, symmetry)
    return Pose("side", _head_side(box), symmetry)


def _mirror_overlap(box: BoolArray) -> float:
    """Return how well ``box`` matches its mirror image about its centre of mass."""
    cols = np.nonzero(box)[1]
    if cols.size == 0:
        return 0.0
    centre = float(cols.mean())
    width = box.shape[1]
    # Mirror about the centre of mass: x -> 2c - x, on a canvas wide enough for both.
    shift = round(2 * centre - (width - 1))
    pad = abs(shift) + 1
    canvas = np.pad(box, ((0, 0), (pad, pad)))
    mirrored = np.roll(canvas[:, ::-1], shift, axis=1)
    union = np.logical_or(canvas, mirrored).sum()
    return float(np.logical_and(canvas, mirrored).sum() / max(union, 1))


def _stands_on_legs(box: BoolArray) -> bool:
    """Tell whether a wide silhouette stands on separate legs (a side view, not lying)."""
    band = box[-max(1, box.shape[0] // 5) :]
    runs = np.diff(np.pad(band.any(axis=0).astype(np.int8), 1))
    return int((runs == 1).sum()) >= 2 and float(band.mean()) < 0.55


def _heavier_end(box: BoolArray) -> int:
    """Return +1 if the thicker end of a lying toy (its head) is on the right, else -1."""
    distance = distance_map(box)
    third = max(1, box.shape[1] // 3)
    return 1 if distance[:, -third:].max() > distance[:, :third].max() else -1


def _head_side(box: BoolArray) -> int:
    """Return +1 if a side view's head (its top part) sits right of the body's middle."""
    height = box.shape[0]
    rows, cols = np.nonzero(box)
    top = cols[rows < rows.min() + 0.3 * height]
    return 1 if float(top.mean()) >= float(cols.mean()) else -1
