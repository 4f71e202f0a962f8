"""A whole hand at baseline: bones, soft tissue and joints placed in the image of a left or right hand."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial import ConvexHull

from jsnviewer.joints import kind_of

from .anatomy import (
    CARPALS,
    JOINT_SPACE_MM,
    RAYS,
    HandSize,
    JointPlacement,
    Material,
    bone_pose,
    cmc,
    joint_of,
    long_bone,
    make_bone,
    phalanx_angles,
    place_upper,
)
from .render import Blob, Bone, Capsule, Erosion, LongBone, Scene, Slab, Window, apply, bone_coverage, bone_window

# Radius and ulna stubs: length, base, shaft and head half-widths, head cap length (mm);
# where their distal ends sit in the hand frame; front-to-back depth / width (the distal radius is flat).
_FOREARM = {
    "radius": (LongBone(220.0, 7.0, 6.5, 15.0, 3.0, 0.0), (5.0, 2.0), 0.6),
    "ulna": (LongBone(220.0, 5.5, 5.0, 7.5, 5.0, 0.0), (-19.5, -2.0), 0.85),
}


@dataclass(frozen=True)
class JointSite:
    """A joint of the baseline hand: its bones, where it is, and its findings."""

    identity: str
    lower: str
    upper: str
    placement: JointPlacement
    findings: dict[str, bool]
    box_side_px: float
    bridge: str | None  # name of the bone bridging an ankylosed joint


@dataclass
class Hand:
    scene: Scene
    joints: dict[str, JointSite]
    capsule_owners: list[str | None]  # the bone each soft-tissue capsule moves with (None: the hand)
    bone_owners: dict[str, str | None]  # bones that move with another bone (bridges, sesamoids)
    ray_bases: dict[int, np.ndarray]  # image position of each metacarpal base (CMC joint)
    laterality: str
    width: int
    height: int


def _draw_findings(rng: np.random.Generator, findings_rate: float, erosion_rate: float) -> dict[str, bool]:
    r = rng.random()
    ankylosis = r < findings_rate / 2
    subluxation = findings_rate / 2 <= r < findings_rate
    return {"ankylosis": bool(ankylosis), "subluxation": bool(subluxation), "erosion": bool(rng.random() < erosion_rate)}


def build_hand(
    rng: np.random.Generator,
    laterality: str,
    pixel_size_mm: float,
    width: int,
    height: int,
    findings_rate: float,
    erosion_rate: float,
) -> Hand:
    """A hand whose fingers do not cross: layouts where bones of two rays overlap are drawn again."""
    for _ in range(50):
        hand = _layout(rng, laterality, pixel_size_mm, width, height, findings_rate, erosion_rate)
        if not _rays_overlap(hand):
            return hand
    return hand  # not reached in practice: a crossing is rare enough that 50 draws find a clear one


def _rays_overlap(hand: Hand) -> bool:
    """Do bones of neighbouring rays overlap? Metacarpal bases do touch at the carpus, so for two
    metacarpals only their heads count."""
    by_name = {b.name: b for b in hand.scene.bones}
    k = hand.scene.px_per_mm
    for d in range(1, 5):
        for a in RAYS[d]:
            for b in RAYS[d + 1]:
                if a.startswith("MC") and b.startswith("MC"):
                    sa, sb = by_name[a].shape, by_name[b].shape
                    ca = np.array(apply(by_name[a].pose, sa.length - sa.head_len, 0.0))
                    cb = np.array(apply(by_name[b].pose, sb.length - sb.head_len, 0.0))
                    if np.hypot(*(ca - cb)) < (sa.head_half + sb.head_half) * k:
                        return True
                    continue
                wa = bone_window(by_name[a], hand.width, hand.height)
                wb = bone_window(by_name[b], hand.width, hand.height)
                if wa is None or wb is None:
                    continue
                x0, y0 = max(wa.x0, wb.x0), max(wa.y0, wb.y0)
                x1, y1 = min(wa.x0 + wa.w, wb.x0 + wb.w), min(wa.y0 + wa.h, wb.y0 + wb.h)
                if x1 <= x0 or y1 <= y0:
                    continue
                win = Window(x0, y0, x1 - x0, y1 - y0)
                if (bone_coverage(by_name[a], win) & bone_coverage(by_name[b], win)).any():
                    return True
    return False


def _layout(
    rng: np.random.Generator,
    laterality: str,
    pixel_size_mm: float,
    width: int,
    height: int,
    findings_rate: float,
    erosion_rate: float,
) -> Hand:
    k = 1.0 / pixel_size_mm
    mirror = 1.0 if laterality == "L" else -1.0
    hand = HandSize.random(rng)
    material = Material.random(rng)
    size = hand.size
    # Wrist placed so the middle finger's tip lies 30–50 mm below the top edge; the hand's middle
    # (about 18 mm towards the thumb from the wrist centre) near the image's middle.
    wrist = np.array([width / 2.0 - mirror * (18.0 * size + rng.uniform(-8.0, 8.0)) * k, (rng.uniform(30.0, 50.0) + 200.0 * size) * k])
    tilt = np.deg2rad(rng.normal(0.0, 4.0))
    ct, st = np.cos(tilt), np.sin(tilt)

    def to_image(x: float, y: float) -> np.ndarray:
        dx, dy = mirror * x * k, -y * k
        return wrist + np.array([ct * dx - st * dy, st * dx + ct * dy])

    def image_angle(beta_deg: float) -> float:
        b = np.deg2rad(beta_deg)
        return float(np.arctan2(-np.cos(b), mirror * np.sin(b))) + tilt

    bones: list[Bone] = []
    capsules: list[Capsule] = []
    owners: list[str | None] = []
    bone_owners: dict[str, str | None] = {}
    joints: dict[str, JointSite] = {}
    ray_bases: dict[int, np.ndarray] = {}
    soft = float(rng.uniform(3.5, 5.0)) * size
    spread = float(rng.uniform(0.85, 1.15))

    for digit, names in RAYS.items():
        x, y, beta = cmc(digit)
        beta = beta * spread + rng.normal(0.0, 1.5)
        base = to_image(x * size, y * size)
        ray_bases[digit] = base
        shapes = [long_bone(names[0], hand, None, 0.0)]
        findings = [_draw_findings(rng, findings_rate, erosion_rate) for _ in names[1:]]
        for name in names[1:]:
            shapes.append(long_bone(name, hand, shapes[-1], float(rng.uniform(0.45, 0.7))))
        erosions: list[list[Erosion]] = [[] for _ in names]
        for i, f in enumerate(findings):
            if f["erosion"]:
                # A marginal erosion at the bare area of the proximal bone's head.
                s = shapes[i]
                side = rng.choice([-1.0, 1.0])
                erosions[i].append(Erosion(s.length - s.head_len * rng.uniform(0.4, 0.9), side * s.head_half * rng.uniform(0.85, 1.0), rng.uniform(0.8, 1.6)))
        lower = make_bone(names[0], shapes[0], bone_pose(base, image_angle(beta), k, 0.0), material, rng, erosions[0])
        bones.append(lower)
        if digit == 1:  # the thenar eminence
            capsules.append(Capsule(lower.pose, -5.0, shapes[0].length, 15.0 * size, shapes[0].head_half + 7.0))
            owners.append(lower.name)
            for side in (-1.0, 1.0):  # the two sesamoids over the thumb's MCP joint
                s0 = shapes[0]
                tip = np.array(apply(lower.pose, s0.length - 0.6 * s0.head_len, side * 0.5 * s0.head_half))
                ses = make_bone(f"sesamoid{'ab'[side > 0]}", Blob(2.6 * size, 2.1 * size), bone_pose(tip, image_angle(beta), k, 0.0), material, rng)
                bones.append(ses)
                bone_owners[ses.name] = lower.name
        angle_extra = phalanx_angles(digit)
        for i, name in enumerate(names[1:]):
            identity = joint_of(lower.name)
            f = findings[i]
            lo, hi = JOINT_SPACE_MM[kind_of(identity)]
            gap = float(rng.uniform(lo, hi)) * float(rng.uniform(0.65, 1.0))
            deviation = angle_extra[i] + rng.normal(0.0, 1.5)
            lateral = 0.0
            if f["ankylosis"]:
                gap = float(rng.uniform(0.2, 0.4))
            if f["subluxation"]:
                # The distal base slides sideways off the head, the finger deviated the same way:
                # ulnar (towards the little finger) as in rheumatoid hands; the thumb either way.
                side = float(rng.choice([-1.0, 1.0])) if digit == 1 else -1.0
                lateral = side * float(rng.uniform(0.3, 0.5)) * 2.0 * shapes[i + 1].base_half
                deviation += side * rng.uniform(2.0, 5.0)
            pose, placement = place_upper(lower, shapes[i + 1], gap, np.deg2rad(mirror * deviation), mirror * lateral)
            upper = make_bone(name, shapes[i + 1], pose, material, rng, erosions[i + 1])
            bones.append(upper)
            s_up = shapes[i + 1]
            pulp = 3.5 * size if name.startswith("DP") else 0.0
            capsules.append(Capsule(upper.pose, s_up.base_cup, s_up.length + pulp, s_up.base_half + soft, s_up.head_half + soft + 0.3 * pulp))
            owners.append(upper.name)
            bridge = None
            if f["ankylosis"]:
                half_v = float(rng.uniform(0.45, 0.7)) * min(shapes[i].head_half, s_up.base_half)
                half_u = gap / 2.0 + float(rng.uniform(1.5, 3.0))
                axis = placement.axis
                b = make_bone(f"{identity}_bridge", Blob(half_u, half_v), bone_pose(placement.centre, float(np.arctan2(axis[1], axis[0])), k, 0.0), material, rng)
                bones.append(b)
                bone_owners[b.name] = lower.name
                bridge = b.name
            side_px = 2.5 * 2.0 * max(shapes[i].head_half, s_up.base_half) * k
            joints[identity] = JointSite(identity, lower.name, upper.name, placement, f, side_px, bridge)
            lower = upper

    for name, (x, y, a, b, angle) in CARPALS.items():
        centre = to_image(x * size * 1.08, y * size)
        shape = Blob(a * size * rng.uniform(1.15, 1.3), b * size * rng.uniform(1.15, 1.3), power=3.0)
        bones.append(make_bone(name, shape, bone_pose(centre, image_angle(angle + rng.normal(0.0, 4.0)), k, 0.0), material, rng, depth=0.6))
    for name, (shape, (x, y), depth) in _FOREARM.items():
        shape = LongBone(shape.length, shape.base_half * size, shape.shaft_half * size, shape.head_half * size, shape.head_len * size, 0.0)
        pose = bone_pose(to_image(x * size, y * size), image_angle(rng.normal(0.0, 1.0)), k, shape.length)
        bones.append(make_bone(name, shape, pose, material, rng, depth=depth))
    forearm = bone_pose(to_image(-6.0 * size, 5.0 * size), image_angle(0.0), k, 0.0)
    capsules.append(Capsule(forearm, -260.0, 0.0, 29.0 * size, 28.0 * size, depth=0.55))
    owners.append(None)

    by_name = {b.name: b for b in bones}
    points = []
    for digit in (2, 3, 4, 5):
        mc = by_name[f"MC{digit}"]
        s = mc.shape
        side = 9.0 * size if digit in (2, 5) else 3.0  # thenar and hypothenar muscle beside the outer rays
        for u, v in ((s.length - s.head_len, s.head_half + side), (s.length - s.head_len, -s.head_half - side), (0.3 * s.length, s.base_half + side), (0.3 * s.length, -s.base_half - side)):
            points.append(apply(mc.pose, u, v))
        pp = by_name[f"PP{digit}"]
        points.append(apply(pp.pose, 0.3 * pp.shape.length, 0.0))  # the webs between the fingers
    for x, y in ((-29.0, -4.0), (25.0, -4.0)):
        points.append(tuple(to_image(x * size, y * size)))
    pts = np.array(points, dtype=float)
    hull = pts[ConvexHull(pts).vertices]
    slab = Slab(hull, float(rng.uniform(22.0, 30.0)) * size, 9.0 * size)

    scene = Scene(bones, capsules, [slab], k)
    return Hand(scene, joints, owners, bone_owners, ray_bases, laterality, width, height)
