"""Bones fitted into a body plan: skull, spine, ribs, pelvis and limbs, varied by seed."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from xray_core.adapters.xray_look.appendages import (
    cartilage,
    forward_of,
    keel,
    limb_roles,
    tail_bones,
    wing_tip,
)
from xray_core.adapters.xray_look.body import BodyPlan, Limb, Points
from xray_core.adapters.xray_look.kinds import GENERIC, Kind
from xray_core.adapters.xray_look.pose import FRONT, Pose
from xray_core.adapters.xray_look.shapes import (
    Shell,
    Stroke,
    arc_length,
    cross,
    point_along,
    profile_skull,
    skull,
    unit,
)
from xray_core.adapters.xray_look.skeleton import ANATOMICAL, Build, Part, Skeleton

Rng = np.random.Generator


def build_skeleton(
    plan: BodyPlan,
    rng: Rng,
    build: Build = ANATOMICAL,
    kind: Kind = GENERIC,
    pose: Pose = FRONT,
    facing: tuple[Points, Points] | None = None,
) -> Skeleton:
    """Fit bones into ``plan``; ``rng`` draws the seed's variations (ribs, joints, sizes).

    A side view gets a profile skull, ribs on the belly side only, a side-on pelvis and the
    near pair of limbs; tails get a chain of vertebrae, ears soft cartilage, a bird's arms
    wing bones and its chest a keel.

    ``facing`` gives a side view's (forward, belly) directions when they are not across the
    spine (a standing four-legged toy, turned upright: its face points along the spine).
    """
    strokes: list[Stroke] = []
    shells: list[Shell] = []
    parts: list[Part] = []
    breakable: list[tuple[int, ...]] = []

    def mark(part: Part) -> None:
        parts.extend([part] * (len(strokes) - len(parts)))

    down = unit(plan.spine[-1] - plan.spine[0])
    side_view = pose.view == "side"
    bow = np.sin(np.linspace(0.0, np.pi, len(plan.spine))) * rng.uniform(-0.12, 0.12)
    sideways = np.array([-down[1], down[0]]) * plan.trunk_radius
    plan = replace(plan, spine=plan.spine + np.outer(bow, sideways))
    forward = forward_of(down, pose.facing or 1)
    belly_way = forward
    if facing is not None:
        forward, belly_way = facing
    head = _head(plan, rng, kind, down, forward if side_view else None)
    strokes += head[0]
    shells += head[1]
    mark("skull")
    spacing = _spine(plan, rng, strokes, build)
    mark("spine")
    first_rib = len(strokes)
    belly = (1.0 if cross(down, belly_way) > 0 else -1.0,) if side_view else (-1.0, 1.0)
    shoulders = _ribs(plan, rng, strokes, spacing, build, belly)
    mark("rib")
    ribs = [(i,) for i in range(first_rib, len(strokes))]
    if kind.beak:
        keel(plan, spacing, strokes, belly_way if side_view else None)
        mark("keel")
    shells += _side_pelvis(plan, down, belly_way) if side_view else _pelvis(plan, down)
    bone = kind.bone * build.bone * plan.trunk_radius * rng.uniform(0.8, 1.2)
    bone = float(np.clip(bone, 1.0, None))
    roles = limb_roles(plan, pose, down, forward)
    for limb, role in zip(plan.limbs, roles, strict=True):
        if role == "ear":
            shells.append(cartilage(limb))
        elif role == "tail":
            tail_bones(limb, spacing, strokes, build)
            mark("tail")
        elif role != "hidden":
            wing = kind.wings and role == "arm"
            groups = _limb(limb, bone, rng, strokes, build, wing=wing)
            breakable += groups
            if role == "arm":
                near = (
                    shoulders[0] if cross(down, limb.path[0] - plan.spine[0]) < 0 else shoulders[1]
                )
                strokes.append(Stroke.line(near, limb.path[0], 0.3 * spacing, 0.45, knobs=True))
            mark("wing" if wing else role)
    # Without limbs a rib breaks instead.
    return Skeleton(tuple(strokes), tuple(shells), tuple(breakable or ribs), tuple(parts))


def _head(
    plan: BodyPlan, rng: Rng, kind: Kind, down: Points, forward: Points | None
) -> tuple[list[Stroke], list[Shell]]:
    """Return the skull: in profile facing ``forward``, or from the front if that is None."""
    if forward is None:
        return skull(plan.head, plan.head_radius, down, rng, plan.eyes, plan.eye_radius, kind)
    reach = _reach(plan, plan.head, forward)
    return profile_skull(plan.head, plan.head_radius, down, forward, reach, rng, kind)


def _reach(plan: BodyPlan, start: Points, direction: Points) -> float:
    """Return how far the silhouette goes on from ``start`` along ``direction``."""
    h, w = plan.distance.shape
    step = 0.0
    while True:
        x, y = start + direction * (step + 1.0)
        if not (0 <= x < w and 0 <= y < h) or plan.distance[int(y), int(x)] < 1.0:
            return step
        step += 1.0


def _spine(plan: BodyPlan, rng: Rng, strokes: list[Stroke], build: Build) -> float:
    """Stack vertebrae along the spine; return their spacing."""
    spine = plan.spine
    arc = arc_length(spine)
    spacing = float(np.clip(build.spacing * plan.trunk_radius * rng.uniform(0.85, 1.15), 2.5, None))
    strokes.append(Stroke(spine, np.full(len(spine), 0.16 * spacing), 0.25))
    count = max(2, int(arc[-1] / spacing))
    for k in range(count):
        s = (k + 0.5) * arc[-1] / count
        centre, tangent = point_along(spine, arc, s)
        normal = np.array([-tangent[1], tangent[0]])
        half = spacing * (0.5 + 0.35 * k / count)
        strokes.append(
            Stroke.line(
                centre - normal * half, centre + normal * half, 0.34 * spacing, 0.8, solid=True
            )
        )
        strokes.append(
            Stroke.line(
                centre - normal * half * 1.8,
                centre + normal * half * 1.8,
                0.12 * spacing,
                0.35,
                solid=True,
            )
        )
    return spacing


def _ribs(
    plan: BodyPlan,
    rng: Rng,
    strokes: list[Stroke],
    spacing: float,
    build: Build,
    sides: tuple[float, ...] = (-1.0, 1.0),
) -> tuple[Points, Points]:
    """Hang a seeded number of curved rib pairs off the chest; return the shoulder points."""
    spine = plan.spine
    arc = arc_length(spine)
    top = 0.7 * spacing
    chest = (arc[-1] - top) * rng.uniform(0.5, 0.62)
    # Ribs need room between them, or a short chest becomes a coil spring.
    count = int(np.clip(chest / (1.3 * spacing) + 1, 2, rng.integers(*build.ribs)))
    sweep = rng.uniform(1.5, 2.0)  # how far each rib curls back towards the middle
    drop = rng.uniform(0.45, 0.8)
    lift = rng.uniform(0.05, 0.25)
    radius = float(np.clip(build.rib * spacing, 0.7, None))
    theta = np.linspace(0.0, sweep, 12)
    for i in range(count):
        s = top + chest * i / max(count - 1, 1)
        centre, tangent = point_along(spine, arc, s)
        normal = np.array([-tangent[1], tangent[0]])
        width = float(np.interp(s, arc, plan.spine_widths))
        reach = 0.85 * width * (0.72 + 0.28 * np.sin(np.pi * (i + 0.5) / count))
        # In a short, wide trunk (an owl) the ribs must not hang down past the hips.
        tall = min(reach, 0.6 * arc[-1])
        for side in sides:
            rib = (
                centre
                + np.outer(np.sin(theta), normal * side * reach)
                + np.outer(drop * (1 - np.cos(theta)) - lift * np.sin(theta), tangent * tall)
            )
            rib = _inside(rib, plan, 0.12 * width)
            if len(rib) > 2:
                radii = radius * np.linspace(1.0, 0.65, len(rib))
                strokes.append(Stroke(rib, radii, 0.55))
    centre, tangent = point_along(spine, arc, top)
    normal = np.array([-tangent[1], tangent[0]])
    width = float(np.interp(top, arc, plan.spine_widths))
    return centre - normal * 0.7 * width, centre + normal * 0.7 * width


def _pelvis(plan: BodyPlan, down: Points) -> list[Shell]:
    """Two hip wings, the sacrum between them and two rings below: a butterfly."""
    end = plan.spine[-1]
    width = min(float(plan.spine_widths[-1]) + 0.2 * plan.trunk_radius, plan.trunk_radius)
    side = np.array([-down[1], down[0]])
    angle = float(np.arctan2(down[1], down[0])) - np.pi / 2
    shells = [Shell(end, (0.16 * width, 0.26 * width), angle, 1.0, 0.5)]
    for sign in (-1.0, 1.0):
        wing = end + side * sign * 0.5 * width - down * 0.12 * width
        shells.append(Shell(wing, (0.48 * width, 0.36 * width), angle + sign * 0.5, 0.28, 0.6))
        ring = end + side * sign * 0.24 * width + down * 0.38 * width
        shells.append(Shell(ring, (0.17 * width, 0.14 * width), angle, 0.35, 0.5))
    return shells


def _side_pelvis(plan: BodyPlan, down: Points, forward: Points) -> list[Shell]:
    """A pelvis seen from the side: the hip blade tilted back and the ring of the hip joint."""
    end = plan.spine[-1]
    width = min(float(plan.spine_widths[-1]) + 0.2 * plan.trunk_radius, plan.trunk_radius)
    angle = float(np.arctan2(down[1], down[0]))
    tilt = 0.5 if cross(down, forward) > 0 else -0.5
    blade = end - down * 0.1 * width + forward * 0.1 * width
    ring = end + down * 0.3 * width + forward * 0.15 * width
    return [
        Shell(blade, (0.5 * width, 0.26 * width), angle + tilt, 0.3, 0.6),
        Shell(ring, (0.18 * width, 0.15 * width), angle, 0.35, 0.5),
    ]


def _limb(
    limb: Limb, bone: float, rng: Rng, strokes: list[Stroke], build: Build, *, wing: bool = False
) -> list[tuple[int, ...]]:
    """Draw a limb's long bones and digits (a wing's long, thin ones); return the long bones."""
    path = limb.path
    arc = arc_length(path)
    length = float(arc[-1])
    radius = float(np.clip(bone, 1.0, 0.3 * limb.width * build.bone / ANATOMICAL.bone))
    hand = min(0.3 * length, 1.5 * limb.width)
    start, (end, _) = path[0], point_along(path, arc, length - hand)
    joints = [start]
    if length - hand > 3.0 * limb.width:
        chord = unit(end - start)
        bend = np.abs(cross(chord, path - start))
        bend[arc > length - hand] = 0.0
        knee = int(np.argmax(bend))
        if bend[knee] < 0.12 * (length - hand):
            knee = int(np.searchsorted(arc, (length - hand) * rng.uniform(0.45, 0.55)))
        joints.append(path[knee])
    joints.append(end)
    groups: list[tuple[int, ...]] = []
    for i in range(len(joints) - 1):
        a, b = joints[i], joints[i + 1]
        along = unit(b - a)
        a, b = a + along * 0.6 * radius, b - along * 0.6 * radius
        side = np.array([-along[1], along[0]]) * radius
        first = len(strokes)
        if i == 0:
            strokes.append(Stroke.line(a, b, radius, 0.9, knobs=True))
        else:
            # Forearm and shin: two bones side by side, one thinner.
            strokes.append(
                Stroke.line(a - 0.4 * side, b - 0.4 * side, 0.6 * radius, 0.85, knobs=True)
            )
            strokes.append(
                Stroke.line(a + 0.6 * side, b + 0.6 * side, 0.4 * radius, 0.8, knobs=True)
            )
        groups.append(tuple(range(first, len(strokes))))
    if wing:
        wing_tip(path, arc, hand, radius, strokes)
    else:
        _digits(path, arc, (hand, radius, limb.width), rng, strokes, build)
    return groups


def _digits(
    path: Points,
    arc: Points,
    sizes: tuple[float, float, float],
    rng: Rng,
    strokes: list[Stroke],
    build: Build,
) -> None:
    """Fan out a seeded number of fingers or toes from the end of a limb.

    ``sizes`` are the hand's length, the limb bone's radius and the limb's half-width.
    """
    hand, radius, width = sizes
    base, along = point_along(path, arc, arc[-1] - hand)
    across = np.array([-along[1], along[0]])
    count = int(rng.integers(*build.digits))
    spread = rng.uniform(0.4, 0.8)
    for k in range(count):
        offset = k / (count - 1) - 0.5
        direction = unit(along + across * np.tan(spread * offset))
        point = base + across * offset * 0.9 * width
        for size, thick in build.phalanges:
            nxt = point + direction * size * hand
            strokes.append(
                Stroke.line(point, nxt - direction * 0.3 * radius, thick * radius, 0.75, knobs=True)
            )
            point = nxt


def _inside(points: Points, plan: BodyPlan, margin: float) -> Points:
    """Keep a curve's points up to the first one closer than ``margin`` to the outline."""
    h, w = plan.distance.shape
    xs = np.clip(np.round(points[:, 0]).astype(int), 0, w - 1)
    ys = np.clip(np.round(points[:, 1]).astype(int), 0, h - 1)
    inside = plan.distance[ys, xs] > margin
    stop = int(np.argmin(inside)) if not inside.all() else len(points)
    return points[:stop]
