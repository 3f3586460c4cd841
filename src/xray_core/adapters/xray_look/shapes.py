"""Bone shapes (tubes and ellipsoids) and the skulls (front and profile) made of them."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from xray_core.adapters.xray_look.kinds import GENERIC, Kind

Points = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Stroke:
    """A bone shaped as a tube along a polyline, in working-resolution pixels.

    Attributes:
        points: (n, 2) points (x, y) of its middle line.
        radii: (n,) radius at each point.
        density: how bright it shows (about 1 for a long bone).
        solid: a solid rod (vertebrae, digits) rather than a tube with bright walls.
        knob_start: a knobby joint head at the first point.
        knob_end: a knobby joint head at the last point.
        jag_start: if positive, the first end is broken off with teeth this deep.
        jag_end: if positive, the last end is broken off with teeth this deep.
        jag_period: the width of one tooth of a broken end.
    """

    points: Points
    radii: Points
    density: float
    solid: bool = False
    knob_start: bool = False
    knob_end: bool = False
    jag_start: float = 0.0
    jag_end: float = 0.0
    jag_period: float = 1.0

    @classmethod
    def line(
        cls,
        start: Points,
        end: Points,
        radius: float,
        density: float,
        *,
        knobs: bool = False,
        solid: bool = False,
    ) -> Stroke:
        """Return a straight bone of constant ``radius`` from ``start`` to ``end``."""
        return cls(np.stack([start, end]), np.array([radius, radius]), density, solid, knobs, knobs)


@dataclass(frozen=True, slots=True)
class Shell:
    """An ellipsoidal bone: a hollow shell with a bright rim, or solid.

    Attributes:
        centre: its centre (x, y).
        axes: its two half-axes.
        angle: rotation of the first axis from the x axis, in radians.
        rim: the shell's thickness as a share of the axes (1 is solid).
        density: how bright it shows; negative values darken (a hole, an eye socket).
    """

    centre: Points
    axes: tuple[float, float]
    angle: float
    rim: float
    density: float


def unit(vector: Points) -> Points:
    """Return ``vector`` scaled to length one (straight down if it has no length)."""
    length = float(np.hypot(vector[0], vector[1]))
    return vector / length if length > 1e-9 else np.array([0.0, 1.0])


def cross(a: Points, b: Points) -> Points:
    """Return the z component of the cross product of 2-d vectors (broadcasting)."""
    return np.asarray(a[..., 0] * b[..., 1] - a[..., 1] * b[..., 0], dtype=np.float64)


def skull(
    centre: Points,
    radius: float,
    down: Points,
    rng: np.random.Generator,
    eyes: Points | None = None,
    eye_radius: float = 0.0,
    kind: Kind = GENERIC,
) -> tuple[list[Stroke], list[Shell]]:
    """Return a friendly skull seen from the front: cranium, soft eye rings, snout, jaw.

    Friendly for small children: no teeth, no dark empty sockets, only soft round shapes.

    Args:
        centre: the head disc's centre.
        radius: the head disc's radius.
        down: direction from the head towards the body.
        rng: draws the seed's variations (proportions).
        eyes: (2, 2) centres of the toy's own eyes, to put the eye rings around them.
        eye_radius: the toy's eyes' radius.
        kind: the animal's anatomy (snout or beak, skull shape).
    """
    if radius < 6.0:
        return [], []
    side = np.array([-down[1], down[0]])
    angle = float(np.arctan2(side[1], side[0]))
    wide = kind.skull[0] * rng.uniform(0.95, 1.05)
    tall = kind.skull[1] * rng.uniform(0.95, 1.05)
    eye_gap, eye_size = rng.uniform(0.3, 0.38), rng.uniform(0.17, 0.23)
    sockets = [centre + side * sign * eye_gap * radius + down * 0.02 * radius for sign in (-1, 1)]
    face = centre
    if eyes is not None:
        # The rings go around the toy's eyes, and the face follows them (within reason).
        shift = (eyes[0] + eyes[1]) / 2 - (centre + down * 0.02 * radius)
        face = centre + shift * min(1.0, 0.3 * radius / max(float(np.hypot(*shift)), 1e-9))
        sockets = [eyes[0], eyes[1]]
        eye_size = float(np.clip(1.8 * eye_radius / radius, 0.14, 0.26)) * rng.uniform(0.9, 1.1)

    def at(x: float, y: float) -> Points:
        return face + side * x * radius + down * y * radius

    shells = [
        Shell(centre - down * 0.06 * radius, (wide * radius, tall * radius), angle, 0.14, 0.6)
    ]
    for eye in sockets:
        shells.append(Shell(eye, (eye_size * radius, eye_size * radius * 0.95), angle, 0.3, 0.4))
    thin = 0.03 * radius
    strokes: list[Stroke] = []
    if kind.beak:
        length = 0.2 + 0.3 * kind.snout
        beak = np.stack([at(-0.13, 0.2), at(0, 0.2 + length), at(0.13, 0.2), at(-0.13, 0.2)])
        strokes.append(Stroke(beak, np.full(4, 1.4 * thin), 0.55, knob_start=False))
        shells.append(
            Shell(
                at(0, 0.2 + 0.4 * length), (0.08 * radius, 0.3 * length * radius), angle, 1.0, 0.25
            )
        )
        return strokes, shells
    muzzle = 0.1 + 0.3 * kind.snout
    shells.append(
        Shell(
            at(0, 0.22 + 0.5 * muzzle),
            (kind.snout_width * radius, muzzle * radius),
            angle,
            0.28,
            0.3 + 0.2 * kind.snout,
        )
    )
    if kind.snout > 0.5:
        # A long snout seen from the front: the nose bones run down between the eyes.
        for x in (-0.06, 0.06):
            bridge = np.stack([at(x, -0.05), at(x * 1.3, 0.2 + muzzle)])
            strokes.append(Stroke(bridge, np.array([1.3 * thin, 1.0 * thin]), 0.4))
    strokes.append(
        Stroke(np.stack([at(-0.07, 0.2), at(0, 0.3), at(0.07, 0.2)]), np.full(3, 1.3 * thin), 0.5)
    )
    jaw = np.linspace(0.2 * np.pi, 0.8 * np.pi, 12)
    low = 0.3 + muzzle
    jaw_points = np.stack([at(0.42 * np.cos(a), low + 0.2 * np.sin(a)) for a in jaw[::-1]])
    strokes.append(
        Stroke(jaw_points, np.full(len(jaw), 1.6 * thin), 0.45, knob_start=True, knob_end=True)
    )
    return strokes, shells


def profile_skull(
    centre: Points,
    radius: float,
    down: Points,
    forward: Points,
    reach: float,
    rng: np.random.Generator,
    kind: Kind = GENERIC,
) -> tuple[list[Stroke], list[Shell]]:
    """Return a friendly skull seen from the side: cranium, snout or beak, one eye ring, jaw.

    Args:
        centre: the head disc's centre.
        radius: the head disc's radius.
        down: direction from the head towards the body.
        forward: the direction the face points in.
        reach: how far (pixels) the silhouette goes on from the centre towards ``forward``.
        rng: draws the seed's variations (proportions).
        kind: the animal's anatomy.
    """
    if radius < 6.0:
        return [], []
    up = -down
    # Down, but at right angles to the face's direction.
    down = unit(down - forward * float(np.dot(down, forward)))
    if np.dot(down, up) > 0:
        down = -down
    angle = float(np.arctan2(forward[1], forward[0]))
    wide, tall = kind.skull[0] * rng.uniform(0.95, 1.05), kind.skull[1] * rng.uniform(0.95, 1.05)
    back = centre - forward * 0.1 * radius
    shells = [Shell(back, (wide * radius, tall * radius), angle, 0.14, 0.6)]
    snout = float(
        np.clip(kind.snout * radius, 0.15 * radius, max(reach - 0.55 * radius, 0.15 * radius))
    )
    base = centre + forward * 0.45 * radius + down * 0.18 * radius
    tip = base + forward * snout
    eye = centre + forward * 0.3 * radius - down * 0.12 * radius
    shells.append(Shell(eye, (0.19 * radius, 0.17 * radius), angle, 0.3, 0.4))
    thin = 0.03 * radius
    if kind.beak:
        points = np.stack([base + t * (tip - base) for t in np.linspace(0, 1, 8)])
        radii = np.linspace(0.2 * radius, 0.04 * radius, 8)
        return [Stroke(points, radii, 0.55, solid=True)], shells
    middle = (base + tip) / 2
    shells.append(
        Shell(middle, (0.5 * snout + 0.2 * radius, kind.snout_width * radius), angle, 0.28, 0.45)
    )
    jaw = np.stack(
        [
            centre + down * 0.45 * radius - forward * 0.15 * radius,
            centre + down * 0.5 * radius + forward * 0.35 * radius,
            tip + down * 0.22 * radius - forward * 0.15 * radius,
        ]
    )
    strokes = [Stroke(jaw, np.full(3, 1.6 * thin), 0.45, knob_start=True)]
    return strokes, shells


def arc_length(points: Points) -> Points:
    """Return the arc length of a polyline at each of its points."""
    return np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(points, axis=0).T))])


def point_along(path: Points, arc: Points, s: float) -> tuple[Points, Points]:
    """Return the point at arc length ``s`` of a polyline and its direction there."""
    x = float(np.interp(s, arc, path[:, 0]))
    y = float(np.interp(s, arc, path[:, 1]))
    i = int(np.clip(np.searchsorted(arc, s), 1, len(path) - 1))
    return np.array([x, y]), unit(path[i] - path[i - 1])
