"""Breaking one long bone of a skeleton: the fracture the doctor asked for."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from xray_core.adapters.xray_look.shapes import Shell, Stroke, arc_length, point_along
from xray_core.adapters.xray_look.skeleton import Skeleton

Rng = np.random.Generator


def with_fracture(skeleton: Skeleton, rng: Rng) -> Skeleton:
    """Return ``skeleton`` with one breakable bone, chosen by ``rng``, snapped in two."""
    if not skeleton.breakable:
        return skeleton
    # Long bones break more often: their fractures have room to show.
    lengths = np.array([arc_length(skeleton.strokes[g[0]].points)[-1] for g in skeleton.breakable])
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
        arc = arc_length(stroke.points)
        cut = at * arc[-1]
        half = min(gap, 0.2 * arc[-1])
        centre, along = point_along(stroke.points, arc, cut)
        side = np.array([-along[1], along[0]])
        near = arc < cut - half
        far = arc > cut + half
        start, end = (
            point_along(stroke.points, arc, cut - half)[0],
            point_along(stroke.points, arc, cut + half)[0],
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
