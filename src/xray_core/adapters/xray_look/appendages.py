"""The parts beside trunk and limbs: tails, ears, wings, a bird's keel, and who is which."""

from __future__ import annotations

from typing import Literal

import numpy as np

from xray_core.adapters.xray_look.body import BodyPlan, Limb
from xray_core.adapters.xray_look.pose import Pose
from xray_core.adapters.xray_look.shapes import Points, Shell, Stroke, arc_length, point_along, unit
from xray_core.adapters.xray_look.skeleton import ANATOMICAL, Build

Role = Literal["arm", "leg", "ear", "tail", "hidden"]


def forward_of(down: Points, facing: int) -> Points:
    """Return the direction across the body that points the way the toy faces."""
    across = np.array([-down[1], down[0]])
    return across if across[0] * facing >= 0 else -across


def limb_roles(plan: BodyPlan, pose: Pose, down: Points, forward: Points) -> list[Role]:
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
        low = float(np.dot(root - plan.spine[0], down)) > 0.45 * arc_length(plan.spine)[-1]
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


def cartilage(limb: Limb) -> Shell:
    """Return an ear's soft cartilage: a faint, solid, rounded leaf along the ear."""
    root, tip = limb.path[0], limb.path[-1]
    along = tip - root
    length = float(np.hypot(*along))
    centre = root + along * 0.55
    angle = float(np.arctan2(along[1], along[0]))
    return Shell(centre, (0.45 * length, 0.6 * limb.width), angle, 1.0, 0.16)


def tail_bones(limb: Limb, spacing: float, strokes: list[Stroke], build: Build) -> None:
    """Draw a chain of tail vertebrae, getting smaller towards the tip."""
    path = limb.path
    arc = arc_length(path)
    length = float(arc[-1])
    size = float(np.clip(1.1 * limb.width, 2.0, 2.5 * spacing))
    s = 0.0
    while s < 0.92 * length:
        share = 1.0 - 0.65 * s / max(length, 1.0)
        piece = size * share
        centre, along = point_along(path, arc, s + 0.5 * piece)
        half = along * 0.32 * piece
        solid = build is not ANATOMICAL
        strokes.append(Stroke.line(centre - half, centre + half, 0.3 * piece, 0.75, solid=solid))
        s += 1.3 * piece


def keel(plan: BodyPlan, spacing: float, strokes: list[Stroke], forward: Points | None) -> None:
    """Draw a bird's keel: a blade down the chest (front view) or along the breast (side)."""
    spine = plan.spine
    arc = arc_length(spine)
    points = []
    for t in np.linspace(0.1, 0.6, 8):
        centre, _ = point_along(spine, arc, t * arc[-1])
        width = float(np.interp(t * arc[-1], arc, plan.spine_widths))
        if forward is None:
            points.append(centre)
        else:
            points.append(centre + forward * width * (0.45 + 0.35 * np.sin(np.pi * t)))
    radii = np.linspace(0.5, 0.25, 8) * spacing
    strokes.append(Stroke(np.stack(points), radii, 0.5))


def wing_tip(path: Points, arc: Points, hand: float, radius: float, strokes: list[Stroke]) -> None:
    """Draw a wing's hand: two long, thin fused finger bones running out to the tip."""
    base, along = point_along(path, arc, arc[-1] - hand)
    across = np.array([-along[1], along[0]])
    tip = path[-1]
    for offset, thick in ((-0.3, 0.5), (0.3, 0.35)):
        start = base + across * offset * radius
        strokes.append(
            Stroke.line(
                start, tip + across * offset * 0.5 * radius, thick * radius, 0.8, knobs=True
            )
        )
