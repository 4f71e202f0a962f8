"""The follow-up of a hand: known changes, and the motion of every bone they imply.

Every motion is a 3×3 similarity from baseline image px to follow-up image px:
    motion(bone) = G · R_ray · J_MCP · J_PIP · …   (the joints between the carpus and the bone)
G is the global repositioning (rotation, scale, shift about the image centre), R_ray turns a whole
finger with its metacarpal about the metacarpal base, and each joint J = Rot(c, α) · T(δ·k·a)
moves the distal part by the JSN change δ (mm; k px per mm) along the proximal bone's axis a (unit,
pointing distally) and then turns it about the joint-space centre c by the flexion α (which leaves
the joint space width at c unchanged). So between the two bones of a joint, only J differs, and
J⁻¹(c) = c − δ·k·a: the JSN read at c (truth.py) is exactly δ.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from jsnviewer.joints import kind_of

from .anatomy import RAYS, joint_of
from .hand import Hand
from .render import Scene, rotation_about, similarity, translation


@dataclass(frozen=True)
class FollowupChanges:
    rotation_deg: float
    scale: float
    shift_px: tuple[float, float]
    finger_rotation_deg: dict[int, float]
    flexion_deg: dict[str, float]
    jsn_mm: dict[str, float]  # follow-up − baseline joint space width; negative = narrowing

    @staticmethod
    def random(rng: np.random.Generator, hand: Hand) -> "FollowupChanges":
        flexion, jsn = {}, {}
        for identity, site in hand.joints.items():
            if site.findings["ankylosis"]:  # a fused joint neither bends nor narrows
                flexion[identity], jsn[identity] = 0.0, 0.0
                continue
            flexion[identity] = float(np.clip(rng.normal(0.0, 2.0 if kind_of(identity) == "MCP" else 2.5), -5.0, 5.0))
            change = 0.0 if rng.random() < 0.2 else float(rng.uniform(-0.5, 0.3))
            jsn[identity] = max(change, 0.2 - site.placement.gap_mm)  # never closes the space fully
        return FollowupChanges(
            rotation_deg=float(rng.uniform(-5.0, 5.0)),
            scale=float(rng.uniform(0.95, 1.05)),
            shift_px=(float(rng.uniform(-40.0, 40.0)), float(rng.uniform(-40.0, 40.0))),
            finger_rotation_deg={d: float(np.clip(rng.normal(0.0, 1.0), -2.5, 2.5)) for d in RAYS},
            flexion_deg=flexion,
            jsn_mm=jsn,
        )


def global_motion(changes: FollowupChanges, width: int, height: int) -> np.ndarray:
    cx, cy = width / 2.0, height / 2.0
    return translation(cx + changes.shift_px[0], cy + changes.shift_px[1]) @ similarity(0.0, 0.0, np.deg2rad(changes.rotation_deg), changes.scale) @ translation(-cx, -cy)


def bone_motions(hand: Hand, changes: FollowupChanges) -> dict[str, np.ndarray]:
    """Baseline px → follow-up px for every bone of the hand."""
    g = global_motion(changes, hand.width, hand.height)
    k = hand.scene.px_per_mm
    motions = {b.name: g for b in hand.scene.bones}
    for digit, names in RAYS.items():
        base = hand.ray_bases[digit]
        m = rotation_about(base[0], base[1], np.deg2rad(changes.finger_rotation_deg[digit]))
        motions[names[0]] = g @ m
        for lower in names[:-1]:
            site = hand.joints[joint_of(lower)]
            c, a = site.placement.centre, site.placement.axis
            joint = rotation_about(c[0], c[1], np.deg2rad(changes.flexion_deg[site.identity])) @ translation(*(k * changes.jsn_mm[site.identity] * a))
            m = m @ joint
            motions[site.upper] = g @ m
    for name, owner in hand.bone_owners.items():
        motions[name] = motions[owner]
    return motions


def followup_scene(hand: Hand, motions: dict[str, np.ndarray], changes: FollowupChanges) -> Scene:
    g = global_motion(changes, hand.width, hand.height)
    caps = [motions[o] if o is not None else g for o in hand.capsule_owners]
    return hand.scene.moved(motions, caps, g)
