"""Reading a body plan (head, spine, limbs) off a toy's silhouette."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
from scipy import ndimage
from skimage.graph import MCP_Geometric

from xray_core.adapters.xray_look.mask import distance_map
from xray_core.adapters.xray_look.shapes import cross, unit

BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float32]
Points = npt.NDArray[np.float64]
LimbKind = Literal["arm", "leg", "ear"]

_MAX_LIMBS = 8


@dataclass(frozen=True, slots=True)
class Limb:
    """A part sticking out of the head or trunk.

    Attributes:
        path: (n, 2) points as (x, y) along its middle, from inside the body to the tip.
        width: its typical half-width in pixels.
        kind: "arm" or "leg" (from the trunk's upper or lower half) or "ear" (from the head).
    """

    path: Points
    width: float
    kind: LimbKind


@dataclass(frozen=True, slots=True)
class BodyPlan:
    """Where the bones go, in working-resolution pixels.

    Attributes:
        head: centre (x, y) of the head.
        head_radius: radius of the largest disc in the head.
        spine: (n, 2) points (x, y) from the skull's base to the pelvis.
        spine_widths: the body's half-width at each spine point.
        trunk_radius: radius of the largest disc in the trunk.
        limbs: the parts sticking out, longest first.
        distance: each pixel's distance to the silhouette's edge.
        eyes: (2, 2) centres (x, y) of the toy's eyes, left one first, if found.
        eye_radius: the eyes' typical radius (0 if not found).
    """

    head: Points
    head_radius: float
    spine: Points
    spine_widths: Points
    trunk_radius: float
    limbs: tuple[Limb, ...]
    distance: FloatArray
    eyes: Points | None
    eye_radius: float


def find_body(mask: BoolArray, luminance: FloatArray) -> BodyPlan | None:
    """Return the body plan of a silhouette, or None if it is too small to hold bones.

    Args:
        mask: the toy's silhouette.
        luminance: the photo's brightness in [0, 1], the mask's size (to find the eyes).
    """
    distance = distance_map(mask)
    biggest = float(distance.max())
    if biggest < 4.0:
        return None
    ys, xs = np.mgrid[0 : mask.shape[0], 0 : mask.shape[1]]
    head, head_radius, trunk, trunk_radius = _head_and_trunk(distance, xs, ys)
    down = unit(trunk - head)
    neck = head + down * head_radius * 0.8
    pelvis = trunk + down * trunk_radius * 0.7
    while _at(distance, pelvis) < 0.3 * trunk_radius and np.dot(pelvis - trunk, down) > 0:
        pelvis = pelvis - down
    t = np.linspace(0.0, 1.0, 40)[:, None]
    spine = (1 - t) ** 2 * neck + 2 * t * (1 - t) * trunk + t**2 * pelvis
    widths = np.array([_at(distance, p) for p in spine])
    core = (xs - head[0]) ** 2 + (ys - head[1]) ** 2 <= (1.05 * head_radius) ** 2
    for point, width in zip(spine, widths, strict=True):
        core |= (xs - point[0]) ** 2 + (ys - point[1]) ** 2 <= (1.05 * width) ** 2
    limbs = _limbs(mask, distance, core, (head, head_radius), (trunk, trunk_radius), (neck, pelvis))
    eyes, eye_radius = _eyes(luminance, mask, head, head_radius)
    return BodyPlan(
        head, head_radius, spine, widths, trunk_radius, limbs, distance, eyes, eye_radius
    )


def _eyes(
    luminance: FloatArray, mask: BoolArray, head: Points, radius: float
) -> tuple[Points | None, float]:
    """Find two dark, similar, side-by-side spots in the head: a plush toy's button eyes."""
    ys, xs = np.mgrid[0 : mask.shape[0], 0 : mask.shape[1]]
    face = mask & ((xs - head[0]) ** 2 + (ys - head[1]) ** 2 < (0.8 * radius) ** 2)
    if face.sum() < 50:
        return None, 0.0
    labels, count = ndimage.label(face & (luminance < 0.22))
    index = np.arange(1, count + 1)
    sizes = np.bincount(labels.ravel(), minlength=count + 1)[1:]
    darkness = np.asarray(ndimage.mean(luminance, labels, index), dtype=np.float64)
    fits = (sizes >= 3) & (sizes <= 0.06 * np.pi * radius**2)
    spots = index[fits][np.argsort(darkness[fits])][:5]
    if len(spots) < 2:
        return None, 0.0
    centres = np.array(ndimage.center_of_mass(face, labels, spots), dtype=np.float64)[:, ::-1]
    best, choice = np.inf, (0, 0)
    for i in range(len(spots)):
        for j in range(i + 1, len(spots)):
            dx, dy = np.abs(centres[j] - centres[i]) / radius
            if not 0.25 < dx < 1.3 or dy > 0.4:
                continue
            # Eyes are a level, equally big, very dark pair: weigh tilt, mismatch, greyness.
            ratio = abs(float(np.log(sizes[spots[i] - 1] / sizes[spots[j] - 1])))
            score = dy + 0.3 * ratio + darkness[spots[i] - 1] + darkness[spots[j] - 1]
            if score < best:
                best, choice = score, (i, j)
    if not np.isfinite(best):
        return None, 0.0
    pair = centres[list(choice)]
    pair = pair[np.argsort(pair[:, 0])]
    area = float(sizes[spots[list(choice)] - 1].mean())
    return pair, float(np.sqrt(area / np.pi))


def _head_and_trunk(
    distance: FloatArray, xs: npt.NDArray[np.int_], ys: npt.NDArray[np.int_]
) -> tuple[Points, float, Points, float]:
    """Find the head (a big disc high up) and the trunk (the biggest disc below it)."""
    biggest = float(distance.max())
    thick = distance > 0.35 * biggest
    top = float(ys[thick].min())
    # Trading size for height: the head is the biggest disc near the top, not the belly.
    score = np.where(thick, distance - 0.5 * (ys - top), -np.inf)
    hy, hx = np.unravel_index(int(np.argmax(score)), distance.shape)
    head = np.array([hx, hy], dtype=np.float64)
    head_radius = float(distance[hy, hx])
    below = ((xs - hx) ** 2 + (ys - hy) ** 2 > head_radius**2) & (ys > hy)
    score = np.where(below, distance - 0.3 * np.abs(xs - hx), -np.inf)
    ty, tx = np.unravel_index(int(np.argmax(score)), distance.shape)
    if not below.any() or distance[ty, tx] < 0.35 * head_radius:
        # One round blob: split it into a head on top of a belly.
        up = np.array([0.0, -head_radius])
        return head + 0.45 * up, 0.55 * head_radius, head - 0.35 * up, head_radius
    return head, head_radius, np.array([tx, ty], dtype=np.float64), float(distance[ty, tx])


def _limbs(
    mask: BoolArray,
    distance: FloatArray,
    core: BoolArray,
    head_disc: tuple[Points, float],
    trunk_disc: tuple[Points, float],
    spine_ends: tuple[Points, Points],
) -> tuple[Limb, ...]:
    """Find the parts outside head and trunk: tips are the geodesically farthest points."""
    (head, head_radius), (trunk, trunk_radius) = head_disc, trunk_disc
    neck, pelvis = spine_ends
    down = unit(pelvis - neck)
    sticking_out = mask & ~core
    if not sticking_out.any():
        return ()
    start = [(round(trunk[1]), round(trunk[0]))]
    reach, _ = MCP_Geometric(np.where(mask, 1.0, np.inf)).find_costs(start)
    reach = np.where(sticking_out & np.isfinite(reach), reach, 0.0)
    # Tips of limbs: the points farthest from the trunk within their neighbourhood.
    size = 2 * max(2, round(0.2 * trunk_radius)) + 1
    tips = np.argwhere((reach > 0) & (reach == ndimage.maximum_filter(reach, size=size)))
    # Paths prefer the middle of a limb, where the distance to the edge is largest.
    medial = MCP_Geometric(np.where(mask, 1.0 / (distance + 0.5), np.inf))
    medial.find_costs(start)
    spine_length = max(float(np.hypot(*(pelvis - neck))), 1.0)
    found: list[tuple[float, Points, Points, float]] = []
    for tip in tips.tolist():
        path = np.array(medial.traceback(tuple(tip)), dtype=np.float64)[:, ::-1]
        limb = _limb_path(path, distance, core, trunk, trunk_radius)
        if limb is not None:
            found.append(limb)
    limbs: list[Limb] = []
    exits: list[Points] = []
    # Straight, long limbs first: of two tips sharing an exit (foot and toe, leg and tail
    # touching it) the straighter one is the limb.
    for _, exit_point, limb_path, width in sorted(found, key=lambda item: -item[0]):
        if any(np.hypot(*(exit_point - other)) < 2.0 * width for other in exits):
            continue
        exits.append(exit_point)
        root = limb_path[0]
        height = float(np.dot(root - neck, down)) / spine_length
        side = abs(float(cross(down, root - neck))) / trunk_radius
        if np.hypot(*(root - head)) < head_radius and height < 0.0:
            kind: LimbKind = "ear"
        else:
            # Shoulders sit high and wide, hips low and close to the spine.
            kind = "arm" if height - 0.35 * side < 0.45 else "leg"
        limbs.append(Limb(limb_path, width, kind))
        if len(limbs) == _MAX_LIMBS:
            break
    return tuple(limbs)


def _limb_path(
    path: Points, distance: FloatArray, core: BoolArray, trunk: Points, trunk_radius: float
) -> tuple[float, Points, Points, float] | None:
    """Cut a trunk-to-tip path down to a limb: from its root in the body to near the tip.

    Returns:
        A score (long and straight is high), the point where the limb leaves the body, the
        limb's smoothed middle line and its half-width; or None if it is too short.
    """
    inside = np.array([core[round(y), round(x)] for x, y in path])
    if inside.all() or not inside.any():
        return None
    exit_index = int(np.nonzero(inside)[0].max())
    arc = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(path, axis=0).T))])
    widths = np.array([_at(distance, p) for p in path[exit_index:]])
    width = float(np.median(widths))
    length = float(arc[-1] - arc[exit_index])
    if length < max(0.3 * trunk_radius, 1.2 * width) or width < 1.0:
        return None
    # A limb's root hides inside the body: shoulders and hips sit well within the outline.
    first = exit_index
    from_trunk = np.hypot(*(path - trunk).T)
    while (
        first > 0
        and arc[exit_index] - arc[first - 1] < 2.2 * width
        and from_trunk[first - 1] > 0.5 * trunk_radius
    ):
        first -= 1
    last = len(path)
    while last - exit_index > 3 and widths[last - exit_index - 1] < 0.45 * width:
        last -= 1
    straightness = float(np.hypot(*(path[-1] - path[exit_index]))) / max(length, 1.0)
    return length * width * straightness**2, path[exit_index], _smooth(path[first:last]), width


def _smooth(path: Points, step: float = 2.0) -> Points:
    """Resample a pixel path evenly and smooth away its staircase."""
    arc = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(path, axis=0).T))])
    if arc[-1] < step:
        return path[[0, -1]]
    samples = np.linspace(0.0, arc[-1], max(3, int(arc[-1] / step) + 1))
    even = np.stack([np.interp(samples, arc, path[:, 0]), np.interp(samples, arc, path[:, 1])], 1)
    kernel = np.ones(5) / 5
    padded = np.pad(even, ((2, 2), (0, 0)), mode="edge")
    return np.stack([np.convolve(padded[:, i], kernel, mode="valid") for i in (0, 1)], 1)


def _at(distance: FloatArray, point: Points) -> float:
    """Return the distance map's value at the pixel nearest ``point`` (clamped to the picture)."""
    y = min(max(round(float(point[1])), 0), distance.shape[0] - 1)
    x = min(max(round(float(point[0])), 0), distance.shape[1] - 1)
    return float(distance[y, x])
