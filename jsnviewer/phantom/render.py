"""Analytic rendering of bones and soft tissue, sampled at pixel centres.

Every bone is a shape in its own local frame (u along the bone from its base towards its distal
end, v across it, both in mm) placed in the image by a 3×3 similarity `pose` (local mm → image
px). A pixel's value is a smooth function of where its centre falls in that local frame, so a
bone moved by 0.3 px is drawn 0.3 px further with no resampling. The projection models a tube of
cortical bone filled with trabecular bone whose texture (band-limited noise) is fixed to the bone
frame, so it moves rigidly with the bone. Only the bounding window of each shape is evaluated.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from scipy.ndimage import gaussian_filter

MAX_VALUE = 4095  # 12 bits stored
_EDGE_SHARPNESS = 3.0  # 1/px: width of the anti-aliased edge
_MARGIN_PX = 5  # shapes contribute nothing beyond this many px outside their edge


def similarity(tx: float, ty: float, angle_rad: float, scale: float) -> np.ndarray:
    """3×3 matrix of x' = scale·R(angle)·x + t (image frame: x right, y down)."""
    c, s = np.cos(angle_rad) * scale, np.sin(angle_rad) * scale
    return np.array([[c, -s, tx], [s, c, ty], [0.0, 0.0, 1.0]])


def rotation_about(cx: float, cy: float, angle_rad: float) -> np.ndarray:
    return similarity(cx, cy, angle_rad, 1.0) @ similarity(-cx, -cy, 0.0, 1.0)


def translation(dx: float, dy: float) -> np.ndarray:
    return similarity(dx, dy, 0.0, 1.0)


def apply(matrix: np.ndarray, x, y):
    """Apply a 3×3 affine matrix to point coordinates (arrays or floats)."""
    return (matrix[0, 0] * x + matrix[0, 1] * y + matrix[0, 2], matrix[1, 0] * x + matrix[1, 1] * y + matrix[1, 2])


def scale_of(matrix: np.ndarray) -> float:
    return float(np.sqrt(abs(np.linalg.det(matrix[:2, :2]))))


@dataclass(frozen=True)
class LongBone:
    """A tubular bone: base at u=0, distal end at u=length; widths are half-widths in mm.

    `base_cup` > 0 makes the base concave over |v| < `cup_half` (the socket of a phalanx, lips at
    the sides), < 0 convex.
    The distal end is an elliptic cap with semi-axes `head_len` (along the bone) and `head_half`.
    """

    length: float
    base_half: float
    shaft_half: float
    head_half: float
    head_len: float
    base_cup: float
    cup_half: float = 0.0  # half-width of the base's socket (0: the whole base)

    def _flares(self, u):
        # Full width over the base and over the head's cap, then a fall to the shaft width that
        # starts smoothly and ends exponentially: the concave flanks of the metaphyses.
        lb, lh = 0.09 * self.length, 0.1 * self.length
        xb = np.maximum(u - max(self.base_cup, 0.0) - 0.02 * self.length, 0.0)
        xh = np.maximum(self.length - self.head_len - u, 0.0)
        eb = np.exp(-(np.sqrt(xb**2 + lb**2) - lb) / lb)
        eh = np.exp(-(np.sqrt(xh**2 + lh**2) - lh) / lh)
        return eb, eh

    def half_width(self, u):
        eb, eh = self._flares(u)
        return self.shaft_half + (self.base_half - self.shaft_half) * eb + (self.head_half - self.shaft_half) * eh

    def end_weight(self, u):
        """1 at the bone ends (trabecular, thin cortex), towards 0 in mid-shaft."""
        eb, eh = self._flares(u)
        return np.clip(eb + eh, 0.0, 1.0)

    def sdf(self, u, v):
        av = np.abs(v)
        side = av - self.half_width(u)
        socket = self.cup_half or self.base_half
        # The socket, then lips whose ends curve back towards the shaft.
        lip = np.maximum(np.abs(v) - socket, 0.0) / max(self.base_half - socket, 0.5)
        rim = 0.3 * max(self.base_half - socket, 0.5) + 0.3
        base = self.base_cup * np.maximum(1.0 - (v / socket) ** 2, 0.0) + rim * lip**2 - u
        du = u - (self.length - self.head_len)
        head = (np.sqrt((du / self.head_len) ** 2 + (v / self.head_half) ** 2) - 1.0) * min(self.head_len, self.head_half)
        head = np.where(du > 0.0, head, -np.inf)  # the cap shapes the distal end only
        return np.maximum(np.maximum(side, base), head)

    def extent(self) -> tuple[float, float, float]:
        """(u_min, u_max, |v|_max) enclosing the shape."""
        vmax = max(self.base_half, self.shaft_half, self.head_half) * 1.05
        return min(0.0, self.base_cup) - 0.5, self.length + 0.5, vmax + 0.5


@dataclass(frozen=True)
class Blob:
    """An ellipse centred on the local origin: carpal bones, sesamoids, an ankylosis bridge."""

    half_u: float
    half_v: float
    power: float = 2.0  # 2: an ellipse; larger: a rounded box (carpal bones)

    def half_width(self, u):
        return np.full_like(np.asarray(u, dtype=float), min(self.half_u, self.half_v))

    def end_weight(self, u):
        return np.ones_like(np.asarray(u, dtype=float))

    def sdf(self, u, v):
        p = self.power
        r = (np.abs(u / self.half_u) ** p + np.abs(v / self.half_v) ** p) ** (1.0 / p)
        return (r - 1.0) * min(self.half_u, self.half_v)

    def extent(self) -> tuple[float, float, float]:
        return -self.half_u - 0.5, self.half_u + 0.5, self.half_v + 0.5


@dataclass(frozen=True)
class Texture:
    """Trabecular texture in the bone's local frame (mm): the zero lines of two band-limited
    noises, each a sum of random cosines, drawn as thin bright ridges, cross into a network."""

    freqs: np.ndarray  # (2, K, 2) cycles per mm along (u, v)
    phases: np.ndarray  # (2, K)
    strength: float

    @staticmethod
    def random(rng: np.random.Generator, strength: float, scale: float = 1.0, n: int = 12) -> "Texture":
        # Wavelengths 0.8–2.4 mm (times `scale` for enlarged bones). One noise favours lines along
        # the bone (the longitudinal trabeculae of the shaft), the other runs any way.
        wavelength = rng.uniform(0.8, 2.4, (2, n)) * scale
        angle = np.stack([rng.normal(0.0, 0.5, n) + np.pi / 2, rng.uniform(0.0, np.pi, n)])
        freqs = np.stack([np.cos(angle), np.sin(angle)], axis=-1) / wavelength[..., None]
        return Texture(freqs=freqs, phases=rng.uniform(0, 2 * np.pi, (2, n)), strength=float(strength))

    def __call__(self, u, v, offsets=((0.0, 0.0),)):
        """Texture at (u, v) (mm), averaged over the sample `offsets` (local mm) around each point:
        sampling a pixel at several points keeps the thin ridges from aliasing, so the texture
        moves by sub-pixel steps as smoothly as the bone does."""
        offsets = np.asarray(offsets, dtype=np.float64)
        u32, v32 = u.astype(np.float32), v.astype(np.float32)  # phases stay accurate to 1e-4 rad
        fields = []
        for freqs, phases in zip(self.freqs, self.phases):
            acc = np.zeros((len(offsets),) + u.shape, dtype=np.float32)
            for (fu, fv), ph in zip(freqs, phases):
                arg = np.float32(2 * np.pi * fu) * u32 + np.float32(2 * np.pi * fv) * v32 + np.float32(ph)
                shift = 2 * np.pi * (fu * offsets[:, 0] + fv * offsets[:, 1])
                # cos(arg + shift) for every sample point from one cosine and one sine.
                cs, sn = np.cos(shift).astype(np.float32), np.sin(shift).astype(np.float32)
                acc += np.cos(arg)[None] * cs.reshape(-1, *([1] * u.ndim)) - np.sin(arg)[None] * sn.reshape(-1, *([1] * u.ndim))
            fields.append(acc / np.float32(np.sqrt(len(phases) / 2.0)))
        ridge = np.maximum(np.exp(-4.0 * fields[0] ** 2), np.exp(-4.0 * fields[1] ** 2)).mean(axis=0)
        return 1.0 + self.strength * (ridge.astype(np.float64) - 0.4)


@dataclass(frozen=True)
class Erosion:
    """A round bite taken out of the bone (local mm)."""

    u: float
    v: float
    radius: float


@dataclass(frozen=True)
class Bone:
    name: str
    shape: LongBone | Blob
    pose: np.ndarray  # 3×3, local mm → image px
    density: float  # attenuation of trabecular bone per mm
    cortex_density: float  # attenuation of cortical bone per mm
    cortex_mm: float  # cortical thickness in mid-shaft
    texture: Texture
    erosions: tuple[Erosion, ...] = ()
    depth: float = 1.0  # front-to-back thickness / width of its cross-section

    def moved(self, motion: np.ndarray) -> "Bone":
        """The same bone after an image-space motion (3×3, px → px)."""
        return replace(self, pose=motion @ self.pose)


@dataclass(frozen=True)
class Capsule:
    """Soft tissue around a segment u0..u1 (v = 0) of a local frame, radius r0 → r1 (mm)."""

    pose: np.ndarray
    u0: float
    u1: float
    r0: float
    r1: float
    depth: float = 1.0  # thickness / width of its cross-section (a forearm is flatter than round)

    def moved(self, motion: np.ndarray) -> "Capsule":
        return Capsule(motion @ self.pose, self.u0, self.u1, self.r0, self.r1, self.depth)

    def extent(self) -> tuple[float, float, float]:
        r = max(self.r0, self.r1)
        return self.u0 - r, self.u1 + r, r


@dataclass(frozen=True)
class Slab:
    """Soft tissue of the palm: a convex polygon (image px) of the given thickness (mm), rounded edges."""

    polygon: np.ndarray  # (N, 2) counter- or clockwise, convex
    thickness_mm: float
    ramp_mm: float

    def moved(self, motion: np.ndarray) -> "Slab":
        x, y = apply(motion, self.polygon[:, 0], self.polygon[:, 1])
        return Slab(np.stack([x, y], axis=1), self.thickness_mm, self.ramp_mm)


@dataclass
class Window:
    """An integer-aligned block of pixels: columns x0..x0+w-1, rows y0..y0+h-1."""

    x0: int
    y0: int
    w: int
    h: int

    def centres(self):
        xs = np.arange(self.x0, self.x0 + self.w) + 0.5
        ys = np.arange(self.y0, self.y0 + self.h) + 0.5
        return np.meshgrid(xs, ys)

    def clip(self, width: int, height: int) -> "Window | None":
        x0, y0 = max(self.x0, 0), max(self.y0, 0)
        x1, y1 = min(self.x0 + self.w, width), min(self.y0 + self.h, height)
        if x1 <= x0 or y1 <= y0:
            return None
        return Window(x0, y0, x1 - x0, y1 - y0)

    def slices(self):
        return slice(self.y0, self.y0 + self.h), slice(self.x0, self.x0 + self.w)


def _window_of(pose: np.ndarray, extent: tuple[float, float, float], margin_px: float) -> Window:
    u0, u1, vm = extent
    us = np.array([u0, u1, u1, u0])
    vs = np.array([-vm, -vm, vm, vm])
    x, y = apply(pose, us, vs)
    x0, y0 = int(np.floor(x.min() - margin_px)), int(np.floor(y.min() - margin_px))
    x1, y1 = int(np.ceil(x.max() + margin_px)), int(np.ceil(y.max() + margin_px))
    return Window(x0, y0, x1 - x0, y1 - y0)


def _local(pose: np.ndarray, window: Window):
    """Local (u, v) in mm of the window's pixel centres, and px per mm."""
    inv = np.linalg.inv(pose)
    x, y = window.centres()
    u, v = apply(inv, x, y)
    return u, v, scale_of(pose)


def _edge_depth_px(sdf_px):
    """Depth inside the edge in px, smoothed over about a third of a pixel (anti-aliasing)."""
    g = -_EDGE_SHARPNESS * sdf_px
    return np.where(g > 30, g, np.log1p(np.exp(np.minimum(g, 30)))) / _EDGE_SHARPNESS


def _bone_sdf(bone: Bone, u, v):
    f = bone.shape.sdf(u, v)
    for e in bone.erosions:
        f = np.maximum(f, e.radius - np.hypot(u - e.u, v - e.v))
    return f


def bone_window(bone: Bone, width: int, height: int) -> Window | None:
    return _window_of(bone.pose, bone.shape.extent(), _MARGIN_PX).clip(width, height)


def bone_attenuation(bone: Bone, window: Window) -> np.ndarray:
    """Attenuation (dimensionless line integral) of one bone over a window."""
    u, v, k = _local(bone.pose, window)
    f = _bone_sdf(bone, u, v)
    out = np.zeros_like(u)
    inside = f * k < _MARGIN_PX - 1
    if not inside.any():
        return out
    u, v, f = u[inside], v[inside], f[inside]
    d = _edge_depth_px(f * k) / k  # mm
    radius = np.maximum(bone.shape.half_width(u), 0.5)
    d = np.minimum(d, radius)
    path = 2.0 * np.sqrt(np.maximum(2 * radius * d - d * d, 0.0))
    ends = bone.shape.end_weight(u)
    t = bone.cortex_mm * (1.0 - 0.8 * ends) + 0.3
    t = np.minimum(t, 0.8 * radius)
    di = np.clip(d - t, 0.0, None)
    ri = radius - t
    di = np.minimum(di, ri)
    inner = 2.0 * np.sqrt(np.maximum(2 * ri * di - di * di, 0.0))
    marrow = 0.4 + 0.6 * ends  # the mid-shaft holds marrow, the ends trabecular bone
    inv = np.linalg.inv(bone.pose)[:2, :2]
    offsets = [inv @ (dx, dy) for dx in (-0.25, 0.25) for dy in (-0.25, 0.25)]  # 2×2 points per pixel
    texture = bone.texture(u, v, offsets)
    out[inside] = bone.depth * (bone.density * marrow * texture * inner + bone.cortex_density * (path - inner))
    return out


def bone_distance_px(bone: Bone, window: Window) -> np.ndarray:
    """Signed distance (px, about) of each pixel centre to the bone's edge: negative inside."""
    u, v, k = _local(bone.pose, window)
    return _bone_sdf(bone, u, v) * k


def bone_coverage(bone: Bone, window: Window) -> np.ndarray:
    """True where the pixel centre lies inside the bone."""
    return bone_distance_px(bone, window) < 0.0


def capsule_thickness(c: Capsule, window: Window) -> np.ndarray:
    """Soft-tissue thickness (mm) of a rounded cylinder seen from the side."""
    u, v, k = _local(c.pose, window)
    uc = np.clip(u, c.u0, c.u1)
    r = c.r0 + (c.r1 - c.r0) * (uc - c.u0) / max(c.u1 - c.u0, 1e-9)
    dist = np.hypot(u - uc, v)
    depth = _edge_depth_px((dist - r) * k) / k
    depth = np.minimum(depth, r)
    return 2.0 * c.depth * np.sqrt(np.maximum(2 * r * depth - depth * depth, 0.0))


def slab_thickness(s: Slab, window: Window, px_per_mm: float) -> np.ndarray:
    x, y = window.centres()
    p = s.polygon
    area2 = np.sum(p[:, 0] * np.roll(p[:, 1], -1) - np.roll(p[:, 0], -1) * p[:, 1])
    sign = 1.0 if area2 > 0 else -1.0
    inside = np.full(x.shape, np.inf)
    for a, b in zip(p, np.roll(p, -1, axis=0)):
        ex, ey = b - a
        n = np.hypot(ex, ey)
        # Distance to the edge's line, positive on the polygon's side.
        dist = sign * (ex * (y - a[1]) - ey * (x - a[0])) / n
        inside = np.minimum(inside, dist)
    s_in = np.clip(inside / (s.ramp_mm * px_per_mm), 0.0, 1.0)
    return s.thickness_mm * np.sqrt(1.0 - (1.0 - s_in) ** 2)


@dataclass
class Exposure:
    """How attenuation becomes stored 12-bit values: heel effect, blur, detector noise, display curve."""

    soft_density: float = 0.03  # attenuation per mm of soft tissue
    heel: float = 0.08  # attenuation difference from top to bottom of the image
    blur_px: float = 0.7
    photons: float = 3000.0  # quanta per pixel unattenuated: sets the quantum noise
    electronic: float = 6.0  # Gaussian read noise in stored values
    background: float = 260.0  # stored value of direct exposure
    saturation: float = 1.9  # attenuation at which the display curve reaches 63 % of its range
    sharpen: float = 0.0  # unsharp-mask gain of the clinical processing (edges and texture crisper)
    sharpen_px: float = 12.0  # its radius
    noise: bool = True


def expose(attenuation: np.ndarray, exposure: Exposure, rng: np.random.Generator) -> np.ndarray:
    """Stored values (float, 0..4095, bone bright as in MONOCHROME2) from total attenuation."""
    h = attenuation.shape[0]
    heel = exposure.heel * (np.arange(h, dtype=np.float32)[:, None] / max(h - 1, 1) - 0.5)
    signal = np.exp(-(attenuation.astype(np.float32) + heel))
    if exposure.blur_px > 0:
        signal = gaussian_filter(signal, exposure.blur_px, mode="nearest")
    if exposure.noise:
        # Quantum noise: Poisson, in its Gaussian form (hundreds of quanta per pixel or more).
        signal = np.maximum(signal + rng.standard_normal(signal.shape, dtype=np.float32) * np.sqrt(signal / exposure.photons), 0.5 / exposure.photons)
    a = -np.log(signal)
    span = MAX_VALUE - exposure.background
    value = exposure.background + span * (1.0 - np.exp(-np.maximum(a, 0.0) / exposure.saturation))
    if exposure.sharpen > 0:
        value = value + exposure.sharpen * (value - gaussian_filter(value, exposure.sharpen_px, mode="nearest", truncate=3.0))
    if exposure.noise:
        value = value + exposure.electronic * rng.standard_normal(value.shape, dtype=np.float32)
    return np.clip(value, 0, MAX_VALUE)


@dataclass
class Scene:
    """Everything drawn in one image: bones and soft tissue, all placed in image px."""

    bones: list[Bone]
    capsules: list[Capsule]
    slabs: list[Slab]
    px_per_mm: float

    def moved(self, motions: dict[str, np.ndarray], capsule_motions: list[np.ndarray], slab_motion: np.ndarray) -> "Scene":
        return Scene(
            [b.moved(motions[b.name]) for b in self.bones],
            [c.moved(m) for c, m in zip(self.capsules, capsule_motions)],
            [s.moved(slab_motion) for s in self.slabs],
            self.px_per_mm,
        )


def attenuation_map(scene: Scene, width: int, height: int, soft_density: float) -> np.ndarray:
    soft = np.zeros((height, width))
    for c in scene.capsules:
        win = _window_of(c.pose, c.extent(), _MARGIN_PX).clip(width, height)
        if win is not None:
            sl = win.slices()
            soft[sl] = np.maximum(soft[sl], capsule_thickness(c, win))
    for s in scene.slabs:
        pad = _MARGIN_PX
        win = Window(
            int(np.floor(s.polygon[:, 0].min())) - pad,
            int(np.floor(s.polygon[:, 1].min())) - pad,
            int(np.ceil(np.ptp(s.polygon[:, 0]))) + 2 * pad,
            int(np.ceil(np.ptp(s.polygon[:, 1]))) + 2 * pad,
        ).clip(width, height)
        if win is not None:
            sl = win.slices()
            soft[sl] = np.maximum(soft[sl], slab_thickness(s, win, scene.px_per_mm))
    total = soft * soft_density
    for b in scene.bones:
        win = bone_window(b, width, height)
        if win is not None:
            total[win.slices()] += bone_attenuation(b, win)
    return total


def render(scene: Scene, width: int, height: int, exposure: Exposure, rng: np.random.Generator) -> np.ndarray:
    return expose(attenuation_map(scene, width, height, exposure.soft_density), exposure, rng)
