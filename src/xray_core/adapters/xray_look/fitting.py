"""Fitting a skeleton to a silhouette: the pose decides how the body plan is read."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from xray_core.adapters.xray_look.body import find_body
from xray_core.adapters.xray_look.bones import build_skeleton
from xray_core.adapters.xray_look.kinds import GENERIC, Kind
from xray_core.adapters.xray_look.pose import FRONT, Pose, recognise_pose
from xray_core.adapters.xray_look.skeleton import ANATOMICAL, Build, Skeleton, turned_back

BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float32]

# A profile this much wider than tall stands on four legs, its spine level.
_STANDING_ASPECT = 1.25


def fit_skeleton(
    mask: BoolArray,
    luminance: FloatArray,
    rng: np.random.Generator,
    build: Build = ANATOMICAL,
    kind: Kind = GENERIC,
    *,
    made_up: bool = False,
) -> tuple[Pose, Skeleton]:
    """Return the toy's pose and its skeleton, in the mask's pixels.

    Args:
        mask: the toy's silhouette at working resolution.
        luminance: the photo's brightness in [0, 1], the mask's size.
        rng: draws the seed's variations.
        build: the skeleton style's proportions.
        kind: the animal's anatomy.
        made_up: the silhouette is the stand-in for a photo without a toy (a front view).
    """
    pose = FRONT if made_up else recognise_pose(mask)
    rows, cols = np.nonzero(mask)
    standing = pose.view == "side" and np.ptp(cols) > _STANDING_ASPECT * np.ptp(rows)
    if pose.view != "lying" and not standing:
        plan = find_body(mask, luminance)
        if plan is None:
            return pose, Skeleton((), (), ())
        return pose, build_skeleton(plan, rng, build, kind, pose)
    # Turn the toy so that its head is at the top, fit the bones there, turn them back. A
    # toy standing on four legs in profile so gets its side view along a level spine.
    quarter = 1 if pose.facing > 0 else -1
    turned = np.ascontiguousarray(np.rot90(mask, quarter))
    plan = find_body(turned, np.ascontiguousarray(np.rot90(luminance, quarter)))
    if plan is None:
        return pose, Skeleton((), (), ())
    # In the turned frame the face points up and the belly to one side.
    facing = (np.array([0.0, -1.0]), np.array([float(quarter), 0.0]))
    view = pose if standing else FRONT
    skeleton = build_skeleton(plan, rng, build, kind, view, facing)
    return pose, turned_back(skeleton, quarter, (mask.shape[0], mask.shape[1]))
