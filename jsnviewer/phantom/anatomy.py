"""Hand anatomy: bone sizes, the rays and joints of a left or right hand, in mm.

The hand frame is that of a left hand seen posteroanteriorly as displayed: x towards the thumb
(image right), y distal (image up), origin at the middle of the distal radius. A right hand is
the mirror image. Sizes are those of an adult hand; every hand draws its own size and proportions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from jsnviewer.joints import kind_of

from .render import Blob, Bone, LongBone, Texture, apply, scale_of, similarity

# Full widths (mm) of base, shaft and head, length (mm), head cap length as a fraction of the head
# half-width (round metacarpal heads, flatter phalangeal trochleae).
_BONES: dict[str, tuple[float, float, float, float, float]] = {
    #        length base shaft head  cap
    "MC1": (46.0, 13.0, 8.5, 13.5, 0.85),
    "MC2": (68.0, 12.5, 7.5, 15.0, 0.9),
    "MC3": (65.0, 12.5, 7.5, 15.0, 0.9),
    "MC4": (57.0, 11.0, 6.5, 13.5, 0.9),
    "MC5": (53.0, 11.0, 6.5, 13.0, 0.9),
    "PP1": (32.0, 15.5, 9.5, 12.5, 0.45),
    "PP2": (42.0, 15.0, 8.5, 12.5, 0.45),
    "PP3": (46.0, 15.5, 9.0, 13.0, 0.45),
    "PP4": (43.0, 14.5, 8.5, 12.0, 0.45),
    "PP5": (35.0, 13.0, 7.5, 11.0, 0.45),
    "MP2": (25.0, 13.0, 7.5, 9.5, 0.45),
    "MP3": (29.0, 13.5, 8.0, 10.0, 0.45),
    "MP4": (28.0, 13.0, 7.5, 9.5, 0.45),
    "MP5": (20.0, 11.5, 6.5, 8.5, 0.45),
    "DP1": (24.0, 13.0, 6.5, 8.5, 0.7),
    "DP2": (18.0, 10.0, 5.0, 6.5, 0.7),
    "DP3": (19.0, 10.5, 5.2, 7.0, 0.7),
    "DP4": (19.0, 10.0, 5.0, 6.5, 0.7),
    "DP5": (17.0, 9.0, 4.5, 6.0, 0.7),
}

# Joint space width at the joint centre (mm) of a healthy adult: (low, high).
JOINT_SPACE_MM: dict[str, tuple[float, float]] = {
    "MCP": (1.5, 2.0),
    "PIP": (1.0, 1.5),
    "DIP": (0.8, 1.2),
    "IP": (0.9, 1.3),
}

RAYS: dict[int, tuple[str, ...]] = {
    1: ("MC1", "PP1", "DP1"),
    2: ("MC2", "PP2", "MP2", "DP2"),
    3: ("MC3", "PP3", "MP3", "DP3"),
    4: ("MC4", "PP4", "MP4", "DP4"),
    5: ("MC5", "PP5", "MP5", "DP5"),
}


def joint_bones(identity: str) -> tuple[str, str]:
    """(lower, upper) = (proximal, distal) bone names of a joint."""
    digit = int(identity[-1])
    bones = RAYS[digit]
    kind = kind_of(identity)
    index = {"MCP": 0, "PIP": 1, "DIP": 2, "IP": 1}[kind]
    return bones[index], bones[index + 1]


def joint_of(lower: str) -> str:
    """The identity of the joint at the distal end of a bone."""
    digit = int(lower[-1])
    kind = {"MC": "MCP", "PP": "IP" if digit == 1 else "PIP", "MP": "DIP"}[lower[:2]]
    return f"{kind}{digit}"


# Where each ray's metacarpal base sits (hand frame, mm) and its angle from the long axis of the
# hand (degrees, positive towards the thumb); then the extra angle of each further bone of the ray.
_CMC: dict[int, tuple[float, float, float]] = {1: (21.0, 23.0, 34.0), 2: (12.0, 34.0, 9.0), 3: (1.0, 33.0, 1.0), 4: (-10.5, 30.0, -8.0), 5: (-21.0, 26.0, -16.0)}
_PHALANX_ANGLE: dict[int, tuple[float, ...]] = {1: (-10.0, -4.0), 2: (2.0, 0.0, 0.0), 3: (0.0, 0.0, 0.0), 4: (-1.5, 0.0, 0.0), 5: (-3.0, 1.0, 0.0)}

# Carpal bones: centre (x, y), half-length along their long axis, half-width, angle of that axis
# from the hand's long axis (degrees).
CARPALS: dict[str, tuple[float, float, float, float, float]] = {
    "scaphoid": (13.5, 10.0, 8.5, 5.0, 50.0),
    "lunate": (1.5, 9.0, 6.5, 6.0, 0.0),
    "triquetrum": (-10.5, 11.5, 5.5, 5.0, -25.0),
    "pisiform": (-13.0, 14.0, 4.2, 3.8, 0.0),
    "trapezium": (18.5, 19.5, 6.0, 5.5, 35.0),
    "trapezoid": (10.5, 24.0, 5.5, 4.8, 10.0),
    "capitate": (1.0, 20.5, 9.0, 6.0, 0.0),
    "hamate": (-11.0, 20.5, 8.0, 6.0, -10.0),
}


@dataclass(frozen=True)
class HandSize:
    """One hand's proportions: a global size and a small per-bone variation."""

    size: float
    jitter: dict[str, np.ndarray]

    @staticmethod
    def random(rng: np.random.Generator) -> "HandSize":
        size = float(rng.uniform(0.9, 1.1))
        return HandSize(size, {name: rng.uniform(0.94, 1.06, 4) for name in _BONES})


def long_bone(name: str, hand: HandSize, proximal_head: LongBone | None, congruence: float) -> LongBone:
    """The shape of one bone; its base is cupped to receive the head of `proximal_head`."""
    length, base, shaft, head, cap = _BONES[name]
    j = hand.jitter[name] * hand.size
    base_half, shaft_half, head_half = base / 2 * j[1], 1.08 * shaft / 2 * j[2], head / 2 * j[3]
    if proximal_head is None:
        cup, socket = -1.5 * hand.size, base_half  # metacarpal bases: a gently rounded end at the carpus
    else:
        # A socket as wide as the head it receives, curved `congruence` times as much as the head.
        socket = min(1.05 * proximal_head.head_half, base_half)
        head_curvature = proximal_head.head_len / proximal_head.head_half**2
        cup = congruence * socket**2 * head_curvature / 2.0
    return LongBone(
        length=length * j[0],
        base_half=base_half,
        shaft_half=shaft_half,
        head_half=head_half,
        head_len=head_half * cap,
        base_cup=cup,
        cup_half=socket,
    )


def cmc(digit: int) -> tuple[float, float, float]:
    return _CMC[digit]


def phalanx_angles(digit: int) -> tuple[float, ...]:
    return _PHALANX_ANGLE[digit]


@dataclass(frozen=True)
class Material:
    """Radiographic density of one hand's bones (RA thins the bone near joints, so it varies)."""

    trabecular: float  # attenuation per mm
    cortical: float
    cortex_fraction: float  # mid-shaft cortical thickness / shaft half-width
    texture: float  # trabecular texture contrast
    zoom: float  # how much larger than life the bones are drawn (joint crops)

    @staticmethod
    def random(rng: np.random.Generator, zoom: float = 1.0) -> "Material":
        # Attenuation per mm falls with `zoom` so a bone drawn larger is not drawn denser.
        return Material(
            trabecular=float(rng.uniform(0.018, 0.034)) / zoom,
            cortical=float(rng.uniform(0.10, 0.16)) / zoom,
            cortex_fraction=float(rng.uniform(0.2, 0.32)),
            texture=float(rng.uniform(0.6, 1.0)),
            zoom=zoom,
        )


def make_bone(name: str, shape: LongBone | Blob, pose: np.ndarray, material: Material, rng: np.random.Generator, erosions=(), depth: float = 1.0) -> Bone:
    cortex = material.cortex_fraction * (shape.shaft_half if isinstance(shape, LongBone) else 0.25 * min(shape.half_u, shape.half_v))
    return Bone(
        name=name,
        shape=shape,
        pose=pose,
        density=material.trabecular * float(rng.uniform(0.9, 1.1)),
        cortex_density=material.cortical,
        cortex_mm=cortex,
        texture=Texture.random(rng, material.texture, material.zoom),
        erosions=tuple(erosions),
        depth=depth,
    )


def bone_pose(origin_xy, angle_rad: float, px_per_mm: float, u_ref: float) -> np.ndarray:
    """Pose putting local point (u_ref, 0) at `origin_xy` with the bone's axis at `angle_rad`."""
    return similarity(origin_xy[0], origin_xy[1], angle_rad, px_per_mm) @ similarity(-u_ref, 0.0, 0.0, 1.0)


def axis_of(pose: np.ndarray) -> np.ndarray:
    """Unit vector (image) of a bone's u axis, pointing distally."""
    a = pose[:2, 0]
    return a / np.hypot(*a)


@dataclass(frozen=True)
class JointPlacement:
    """Where a joint is: centre and distal-pointing axis (image px), its space width (mm)."""

    centre: np.ndarray
    axis: np.ndarray
    gap_mm: float
    lateral_mm: float


def place_upper(lower: Bone, upper_shape: LongBone, gap_mm: float, deviation_rad: float, lateral_mm: float = 0.0) -> tuple[np.ndarray, JointPlacement]:
    """Pose of the distal bone of a joint: its base centre `gap_mm` beyond the proximal head's tip
    along the proximal bone's axis (offset sideways by `lateral_mm` for a subluxation), turned by
    `deviation_rad` about that point."""
    k = scale_of(lower.pose)
    tip = np.array(apply(lower.pose, lower.shape.length, 0.0))
    a = axis_of(lower.pose)
    n = np.array([-a[1], a[0]])
    base = tip + k * gap_mm * a + k * lateral_mm * n
    angle = float(np.arctan2(a[1], a[0])) + deviation_rad
    pose = bone_pose(base, angle, k, upper_shape.base_cup)
    return pose, JointPlacement(centre=(tip + base) / 2.0, axis=a, gap_mm=gap_mm, lateral_mm=lateral_mm)
