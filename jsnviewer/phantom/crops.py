"""Joint crops and baseline/follow-up crop pairs for segmentation and registration training.

A crop is upright (the finger points up, the distal = upper bone on top) and centred on the joint,
like ../shared/data/real/joint_crops. The real crops show bones about twice their anatomical size
for 0.175 mm pixels, so bones here are drawn 1.7–2.8× enlarged (`zoom`) while the joint space and
its change are drawn at their true width in mm for `pixel_size_mm`. Both images of a pair are
rendered analytically from the same bones, never resampled from one another.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from scipy.ndimage import gaussian_filter

from jsnviewer.joints import JOINT_IDENTITIES, kind_of
from jsnviewer.registration.transform import joint_centre

from .anatomy import (
    JOINT_SPACE_MM,
    HandSize,
    Material,
    bone_pose,
    joint_bones,
    long_bone,
    make_bone,
    place_upper,
)
from .render import Capsule, Exposure, Scene, Slab, Window, bone_distance_px, render, rotation_about, similarity, translation

# Real crops are MCP and PIP joints; the others are drawn less often.
_CROP_WEIGHTS = {ident: (3.0 if kind_of(ident) in ("MCP", "PIP") else 1.0) for ident in JOINT_IDENTITIES}


@dataclass(frozen=True)
class JointCrop:
    image: np.ndarray  # (size, size) float32 in 0..1, bone bright
    upper: np.ndarray  # bool, distal bone
    lower: np.ndarray  # bool, proximal bone
    identity: str
    pixel_size_mm: float


@dataclass(frozen=True)
class JointPair:
    """fixed = baseline crop, moving = follow-up crop; transforms map fixed px → moving px (3×3)."""

    fixed: np.ndarray
    moving: np.ndarray
    fixed_upper: np.ndarray
    fixed_lower: np.ndarray
    moving_upper: np.ndarray
    moving_lower: np.ndarray
    upper_transform: np.ndarray
    lower_transform: np.ndarray
    jsn_mm: float  # follow-up − baseline joint space width, negative = narrowing
    pixel_size_mm: float
    identity: str


@dataclass
class _JointScene:
    scene: Scene
    lower: str
    upper: str
    gap_mm: float
    size: int
    exposure: Exposure
    display: tuple[float, float, float, float, float, float]  # see _joint_scene


def _pick_identity(rng: np.random.Generator) -> str:
    names = list(_CROP_WEIGHTS)
    w = np.array([_CROP_WEIGHTS[n] for n in names])
    return names[int(rng.choice(len(names), p=w / w.sum()))]


def _joint_scene(rng: np.random.Generator, identity: str, size: int, pixel_size_mm: float, min_gap_mm: float = 0.0) -> _JointScene:
    k = 1.0 / pixel_size_mm
    zoom = float(rng.uniform(1.7, 2.8)) * (size / 256.0) * (pixel_size_mm / 0.175)
    hand = HandSize.random(rng)
    hand = HandSize(hand.size * zoom, hand.jitter)
    material = Material.random(rng, zoom)
    # The real crops show bone about as far above the soft tissue and as textured as this.
    material = replace(material, trabecular=0.5 * material.trabecular, cortical=0.9 * material.cortical, texture=0.75 * material.texture)
    lower_name, upper_name = joint_bones(identity)
    lower_shape = long_bone(lower_name, hand, None, 0.0)
    upper_shape = long_bone(upper_name, hand, lower_shape, float(rng.uniform(0.4, 0.75)))
    lo, hi = JOINT_SPACE_MM[kind_of(identity)]
    # Early RA narrows some joints: spaces from about half the healthy width up to healthy.
    gap = max(float(rng.uniform(0.5 * lo, hi)), min_gap_mm)
    centre = np.array([size / 2.0, size / 2.0]) + rng.uniform(-0.03, 0.03, 2) * size
    angle = -np.pi / 2 + np.deg2rad(rng.normal(0.0, 4.0))
    a = np.array([np.cos(angle), np.sin(angle)])
    tip = centre - k * (gap / 2.0) * a
    lower = make_bone(lower_name, lower_shape, bone_pose(tip, angle, k, lower_shape.length), material, rng)
    upper_pose, _ = place_upper(lower, upper_shape, gap, np.deg2rad(rng.normal(0.0, 3.0)))
    upper = make_bone(upper_name, upper_shape, upper_pose, material, rng)
    bones = [lower, upper]
    soft = float(rng.uniform(3.0, 5.5)) * zoom
    capsules = [
        Capsule(lower.pose, 0.0, lower_shape.length, lower_shape.base_half + soft, lower_shape.head_half + soft),
        Capsule(upper.pose, upper_shape.base_cup, upper_shape.length + soft * 0.6, upper_shape.base_half + soft, upper_shape.head_half + soft),
    ]
    if rng.random() < 0.5:  # part of the next finger at the side, as in many real crops
        side = rng.choice([-1.0, 1.0])
        offset = side * (lower_shape.head_half + upper_shape.base_half + float(rng.uniform(3.0, 9.0)) * zoom)
        n = np.array([-a[1], a[0]])
        shift = k * (offset * n + float(rng.uniform(-6.0, 6.0)) * zoom * a)
        tilt = rotation_about(centre[0], centre[1], np.deg2rad(rng.normal(0.0, 4.0)))
        motion = translation(*shift) @ tilt
        for b, c in ((lower, capsules[0]), (upper, capsules[1])):
            nb = make_bone(b.name + "_neighbour", b.shape, motion @ b.pose, material, rng)
            bones.append(nb)
            capsules.append(c.moved(motion))
    slabs = []
    if kind_of(identity) in ("MCP",):  # MCP joints lie within the palm's soft tissue
        half = size * 2.0
        square = np.array([[-half, -half], [half, -half], [half, half], [-half, half]]) + centre
        slabs.append(Slab(square, float(rng.uniform(18.0, 30.0)) * zoom, 10.0 * zoom))
    exposure = Exposure(
        soft_density=float(rng.uniform(0.03, 0.05)) / zoom,
        heel=0.0,
        blur_px=float(rng.uniform(0.4, 1.4)),
        photons=float(rng.uniform(800.0, 6000.0)),
        saturation=float(rng.uniform(1.4, 2.4)),
        sharpen=float(rng.uniform(0.0, 1.0)),
        sharpen_px=float(rng.uniform(6.0, 16.0)),
    )
    display = (
        float(rng.uniform(0.5, 5.0)),  # percentile mapped to `floor`
        float(rng.uniform(99.0, 99.9)),  # percentile mapped to `top`
        float(np.exp(rng.normal(0.0, 0.15))),  # gamma
        float(rng.uniform(0.0, 0.2)),  # floor
        float(rng.uniform(0.7, 1.0)),  # top
        float(rng.uniform(0.0, 1.5)),  # blur (px) after the noise: the real crops are resampled
    )
    return _JointScene(Scene(bones, capsules, slabs, k), lower_name, upper_name, gap, size, exposure, display)


def _image(js: _JointScene, scene: Scene, rng: np.random.Generator, noise: bool) -> np.ndarray:
    exposure = Exposure(**{**js.exposure.__dict__, "noise": noise})
    raw = render(scene, js.size, js.size, exposure, rng)
    p_lo, p_hi, gamma, floor, top, blur = js.display
    if blur > 0:
        raw = gaussian_filter(raw, blur, mode="nearest")
    lo, hi = np.percentile(raw, [p_lo, p_hi])
    img = np.clip((raw - lo) / max(hi - lo, 1e-6), 0.0, 1.0) ** gamma
    return (floor + (top - floor) * img).astype(np.float32)


JOINT_SPACE_MASKS = ("bone", "split")


def _masks(scene: Scene, js: _JointScene, joint_space: str) -> tuple[np.ndarray, np.ndarray]:
    """The two bones' masks. "bone": exactly the bones. "split": the joint space between them is
    shared out to the nearer bone, as the annotators of the real crops drew their masks."""
    if joint_space not in JOINT_SPACE_MASKS:
        raise ValueError(f"joint_space must be one of {JOINT_SPACE_MASKS}, not {joint_space!r}")
    win = Window(0, 0, js.size, js.size)
    by_name = {b.name: b for b in scene.bones}
    du = bone_distance_px(by_name[js.upper], win)
    dl = bone_distance_px(by_name[js.lower], win)
    upper, lower = du < 0, dl < 0
    if joint_space == "split":
        # Close to both bones = inside the joint space; its wide lateral recesses stay out.
        widest = 1.3 * (js.gap_mm + 0.5) * scene.px_per_mm + 3.0
        between = ~upper & ~lower & (du + dl < widest)
        upper |= between & (du <= dl)
        lower |= between & (dl < du)
    return upper, lower


def make_joint_crop(seed: int, identity: str | None = None, size: int = 256, pixel_size_mm: float = 0.175, joint_space: str = "bone") -> JointCrop:
    """One upright synthetic joint crop with its two bone masks; same seed, same crop.

    `joint_space="split"` gives masks drawn like those of the real crops (see `_masks`)."""
    rng = np.random.default_rng([seed, 0x_C209])
    identity = identity or _pick_identity(rng)
    js = _joint_scene(rng, identity, size, pixel_size_mm)
    upper, lower = _masks(js.scene, js, joint_space)
    return JointCrop(_image(js, js.scene, rng, True), upper, lower, identity, pixel_size_mm)


def make_joint_pair(
    seed: int,
    size: int = 256,
    pixel_size_mm: float = 0.175,
    max_rotation_deg: float = 15.0,
    max_scale: float = 0.10,
    max_shift_px: float = 12.0,
    noise: bool = True,
    jsn_mm: float | None = None,
    identity: str | None = None,
    joint_space: str = "bone",
) -> JointPair:
    """A baseline (fixed) and follow-up (moving) crop of one joint with known per-bone motion.

    The follow-up applies a global similarity about the crop centre (rotation, scale, shift) and,
    to the distal bone, a shift up the crop by the JSN change (drawn from −0.5..+0.3 mm, exactly 0
    in one pair of five, unless `jsn_mm` is given) followed by a flexion about the baseline's
    joint-space centre c = `joint_centre` of the fixed masks (the point the registration reads JSN
    at). So `jsn_mm` is exactly the JSN that truth.py's definition reads at c along the crop's up
    (0, −1) from the two transforms. With `joint_space="bone"` (default) the masks
    are exactly the bones, so the transforms carry the fixed masks onto the moving ones.
    """
    rng = np.random.default_rng([seed, 0x_9A1B])
    identity = identity or _pick_identity(rng)
    if jsn_mm is None:
        jsn_mm = 0.0 if rng.random() < 0.2 else float(rng.uniform(-0.5, 0.3))
    js = _joint_scene(rng, identity, size, pixel_size_mm, min_gap_mm=0.3 - min(jsn_mm, 0.0))
    k = js.scene.px_per_mm
    c = size / 2.0
    theta = np.deg2rad(rng.uniform(-max_rotation_deg, max_rotation_deg))
    scale = 1.0 + float(rng.uniform(-max_scale, max_scale))
    shift = rng.uniform(-max_shift_px, max_shift_px, 2)
    glob = translation(c + shift[0], c + shift[1]) @ similarity(0.0, 0.0, theta, scale) @ translation(-c, -c)
    fu, fl = _masks(js.scene, js, joint_space)
    jc = joint_centre(fu, fl)
    flex = rotation_about(c + jc[0], c + jc[1], np.deg2rad(rng.uniform(-4.0, 4.0)))
    joint = flex @ translation(0.0, -k * jsn_mm)
    upper_t, lower_t = glob @ joint, glob
    motions = {b.name: glob for b in js.scene.bones}
    motions[js.upper] = upper_t
    caps = [upper_t if i == 1 else glob for i in range(len(js.scene.capsules))]
    moving_scene = js.scene.moved(motions, caps, glob)
    fixed = _image(js, js.scene, rng, noise)
    moving = _image(js, moving_scene, rng, noise)
    mu, ml = _masks(moving_scene, js, joint_space)
    return JointPair(fixed, moving, fu, fl, mu, ml, upper_t, lower_t, float(jsn_mm), pixel_size_mm, identity)
