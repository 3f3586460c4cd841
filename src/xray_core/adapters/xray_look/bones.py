"""Bones fitted into a body plan: skull, spine, ribs, pelvis and limbs, varied by seed."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

import numpy as np

from xray_core.adapters.xray_look.body import BodyPlan, Limb, Points
from xray_core.adapters.xray_look.kinds import GENERIC, Kind
from xray_core.adapters.xray_look.pose import FRONT, Pose
from xray_core.adapters.xray_look.shapes import Shell, Stroke, cross, profile_skull, skull, unit

Rng = np.random.Generator
Part = Literal["skull", "spine", "rib", "keel", "arm", "leg", "wing", "tail"]
Role = Literal["arm", "leg", "ear", "tail", "hidden"]


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
    forward = _forward(down, pose.facing or 1)
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
        _keel(plan, spacing, strokes, belly_way if side_view else None)
        mark("keel")
    shells += _side_pelvis(plan, down, belly_way) if side_view else _pelvis(plan, down)
    bone = kind.bone * build.bone * plan.trunk_radius * rng.uniform(0.8, 1.2)
    bone = float(np.clip(bone, 1.0, None))
    roles = _roles(plan, pose, down, forward)
    for limb, role in zip(plan.limbs, roles, strict=True):
        if role == "ear":
            shells.append(_cartilage(limb))
        elif role == "tail":
            _tail(limb, spacing, strokes, build)
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


def _forward(down: Points, facing: int) -> Points:
    """Return the direction across the body that points the way the toy faces."""
    across = np.array([-down[1], down[0]])
    return across if across[0] * facing >= 0 else -across


def _reach(plan: BodyPlan, start: Points, direction: Points) -> float:
    """Return how far the silhouette goes on from ``start`` along ``direction``."""
    h, w = plan.distance.shape
    step = 0.0
    while True:
        x, y = start + direction * (step + 1.0)
        if not (0 <= x < w and 0 <= y < h) or plan.distance[int(y), int(x)] < 1.0:
            return step
        step += 1.0


def _roles(plan: BodyPlan, pose: Pose, down: Points, forward: Points) -> list[Role]:
    """Tell each limb's role: arm, leg, ear, tail, or hidden (a side view's far limbs)."""
    roles: list[Role] = []
    widths = [limb.width for limb in plan.limbs if limb.kind != "ear"]
    typical = float(np.median(widths)) if widths else 1.0
    for limb in plan.limbs:
        if limb.kind == "ear":
            roles.append("ear")
            continue
        root, tip = limb.path[0], limb.path[-1]
        heading = unit(tip - root)
        behind = float(np.dot(root - plan.spine[-1], forward)) < 0.3 * plan.trunk_radius
        low = float(np.dot(root - plan.spine[0], down)) > 0.45 * _arc(plan.spine)[-1]
        if pose.view == "side" and behind and low and float(np.dot(heading, forward)) < -0.3:
            # Out of the lower back and pointing backwards: a tail, whatever its width.
            roles.append("tail")
        elif (
            limb.kind == "leg"
            and limb.width < 0.55 * typical
            and float(np.dot(heading, down)) < 0.8
        ):
            # Thin and not pointing down: a tail seen from the front.
            roles.append("tail")
        else:
            roles.append(limb.kind)
    if pose.view == "side":
        # Only the near pair shows: the longest arm and the longest leg (limbs come longest
        # first); the far pair hides behind the body.
        for wanted in ("arm", "leg"):
            seen = False
            for i, role in enumerate(roles):
                if role == wanted:
                    roles[i] = "hidden" if seen else role
                    seen = True
    return roles


def _cartilage(limb: Limb) -> Shell:
    """Return an ear's soft cartilage: a faint, solid, rounded leaf along the ear."""
    root, tip = limb.path[0], limb.path[-1]
    along = tip - root
    length = float(np.hypot(*along))
    centre = root + along * 0.55
    angle = float(np.arctan2(along[1], along[0]))
    return Shell(centre, (0.45 * length, 0.6 * limb.width), angle, 1.0, 0.16)


def _tail(limb: Limb, spacing: float, strokes: list[Stroke], build: Build) -> None:
    """Draw a chain of tail vertebrae, getting smaller towards the tip."""
    path = limb.path
    arc = _arc(path)
    length = float(arc[-1])
    size = float(np.clip(1.1 * limb.width, 2.0, 2.5 * spacing))
    s = 0.0
    while s < 0.92 * length:
        share = 1.0 - 0.65 * s / max(length, 1.0)
        piece = size * share
        centre, along = _along(path, arc, s + 0.5 * piece)
        half = along * 0.32 * piece
        solid = build is not ANATOMICAL
        strokes.append(Stroke.line(centre - half, centre + half, 0.3 * piece, 0.75, solid=solid))
        s += 1.3 * piece


def _keel(plan: BodyPlan, spacing: float, strokes: list[Stroke], forward: Points | None) -> None:
    """Draw a bird's keel: a blade down the chest (front view) or along the breast (side)."""
    spine = plan.spine
    arc = _arc(spine)
    points = []
    for t in np.linspace(0.1, 0.6, 8):
        centre, _ = _along(spine, arc, t * arc[-1])
        width = float(np.interp(t * arc[-1], arc, plan.spine_widths))
        if forward is None:
            points.append(centre)
        else:
            points.append(centre + forward * width * (0.45 + 0.35 * np.sin(np.pi * t)))
    radii = np.linspace(0.5, 0.25, 8) * spacing
    strokes.append(Stroke(np.stack(points), radii, 0.5))


def _spine(plan: BodyPlan, rng: Rng, strokes: list[Stroke], build: Build) -> float:
    """Stack vertebrae along the spine; return their spacing."""
    spine = plan.spine
    arc = _arc(spine)
    spacing = float(np.clip(build.spacing * plan.trunk_radius * rng.uniform(0.85, 1.15), 2.5, None))
    strokes.append(Stroke(spine, np.full(len(spine), 0.16 * spacing), 0.25))
    count = max(2, int(arc[-1] / spacing))
    for k in range(count):
        s = (k + 0.5) * arc[-1] / count
        centre, tangent = _along(spine, arc, s)
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
    arc = _arc(spine)
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
        centre, tangent = _along(spine, arc, s)
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
    centre, tangent = _along(spine, arc, top)
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
    arc = _arc(path)
    length = float(arc[-1])
    radius = float(np.clip(bone, 1.0, 0.3 * limb.width * build.bone / ANATOMICAL.bone))
    hand = min(0.3 * length, 1.5 * limb.width)
    start, (end, _) = path[0], _along(path, arc, length - hand)
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
        _wing_tip(path, arc, hand, radius, strokes)
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
    base, along = _along(path, arc, arc[-1] - hand)
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


def _wing_tip(path: Points, arc: Points, hand: float, radius: float, strokes: list[Stroke]) -> None:
    """Draw a wing's hand: two long, thin fused finger bones running out to the tip."""
    base, along = _along(path, arc, arc[-1] - hand)
    across = np.array([-along[1], along[0]])
    tip = path[-1]
    for offset, thick in ((-0.3, 0.5), (0.3, 0.35)):
        start = base + across * offset * radius
        strokes.append(
            Stroke.line(
                start, tip + across * offset * 0.5 * radius, thick * radius, 0.8, knobs=True
            )
        )


def _along(path: Points, arc: Points, s: float) -> tuple[Points, Points]:
    """Return the point at arc length ``s`` of a polyline and its direction there."""
    x = float(np.interp(s, arc, path[:, 0]))
    y = float(np.interp(s, arc, path[:, 1]))
    i = int(np.clip(np.searchsorted(arc, s), 1, len(path) - 1))
    return np.array([x, y]), unit(path[i] - path[i - 1])


def _inside(points: Points, plan: BodyPlan, margin: float) -> Points:
    """Keep a curve's points up to the first one closer than ``margin`` to the outline."""
    h, w = plan.distance.shape
    xs = np.clip(np.round(points[:, 0]).astype(int), 0, w - 1)
    ys = np.clip(np.round(points[:, 1]).astype(int), 0, h - 1)
    inside = plan.distance[ys, xs] > margin
    stop = int(np.argmin(inside)) if not inside.all() else len(points)
    return points[:stop]


def with_fracture(skeleton: Skeleton, rng: Rng) -> Skeleton:
    """Return ``skeleton`` with one breakable bone, chosen by ``rng``, snapped in two."""
    if not skeleton.breakable:
        return skeleton
    # Long bones break more often: their fractures have room to show.
    lengths = np.array([_arc(skeleton.strokes[g[0]].points)[-1] for g in skeleton.breakable])
    weights = lengths**2 / max(float(np.sum(lengths**2)), 1e-9)
    pick = rng.choice(len(lengths), p=weights) if weights.sum() > 0.5 else 0
    group = skeleton.breakable[int(pick)]
    at = rng.uniform(0.35, 0.65)
    # Sized by the whole bundle, so a break through two thin forearm bones still shows.
    thick = sum(float(skeleton.strokes[i].radii.max()) for i in group)
    shift = rng.choice([-1.0, 1.0]) * rng.uniform(0.4, 0.7) * thick
    tilt = rng.choice([-1.0, 1.0]) * rng.uniform(0.1, 0.22)
    jag = rng.uniform(0.8, 1.2) * thick
    gap = rng.uniform(0.5, 0.8) * thick
    period = rng.uniform(0.7, 1.0) * thick
    strokes = list(skeleton.strokes)
    extra: list[Stroke] = []
    centre = skeleton.strokes[group[0]].points[0]
    for index in group:
        stroke = skeleton.strokes[index]
        arc = _arc(stroke.points)
        cut = at * arc[-1]
        half = min(gap, 0.2 * arc[-1])
        centre, along = _along(stroke.points, arc, cut)
        side = np.array([-along[1], along[0]])
        near = arc < cut - half
        far = arc > cut + half
        start, end = (
            _along(stroke.points, arc, cut - half)[0],
            _along(stroke.points, arc, cut + half)[0],
        )
        radius = float(np.interp(cut, arc, stroke.radii))
        strokes[index] = replace(
            stroke,
            points=np.vstack([stroke.points[near], start]),
            radii=np.append(stroke.radii[near], radius),
            knob_end=False,
            jag_end=jag,
            jag_period=period,
        )
        # The far piece is knocked sideways and turned a little about the break.
        turn = np.array([[np.cos(tilt), -np.sin(tilt)], [np.sin(tilt), np.cos(tilt)]])
        moved = (np.vstack([end, stroke.points[far]]) - end) @ turn.T + end + side * shift
        extra.append(
            replace(
                stroke,
                points=moved,
                radii=np.insert(stroke.radii[far], 0, radius),
                knob_start=False,
                jag_start=jag,
                jag_period=period,
            )
        )
        chip = centre + side * 0.9 * radius - along * 0.3 * half
        splinter = chip + along * 0.6 * half + side * 0.4 * half
        extra.append(Stroke.line(chip, splinter, 0.18 * thick, 0.7, solid=True))
    # Swollen soft tissue around the break: a faint haze that draws the eye.
    swelling = Shell(centre, (3.0 * thick, 3.0 * thick), 0.0, 1.0, 0.15)
    return Skeleton(
        tuple(strokes + extra), (*skeleton.shells, swelling), skeleton.breakable, skeleton.parts
    )


def _arc(points: Points) -> Points:
    """Return the arc length of a polyline at each of its points."""
    return np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(points, axis=0).T))])


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
