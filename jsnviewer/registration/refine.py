"""Sub-pixel refinement of each bone's transform at full crop resolution.

Starting from the network's parameters, each bone's similarity (or rigid) transform is optimised on
the masked intensity loss by Gauss–Newton with the efficient second-order Jacobian (ESM: the mean of
the fixed crop's gradient and the warped moving crop's gradient) and compositional updates; each
iteration resamples the moving crop G and its gradients (bilinear, after the same light Gaussian
smoothing of both crops) at the region's pixels only. The region of a bone is its fixed mask dilated by `margin_px` into the
surrounding soft tissue and joint space, where the bone margin carries the position, and never into
the other bone. Pixels whose sample falls outside G drop out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from jsnviewer.registration.transform import BoneTransform


COARSE_TOLERANCE_PX = 0.05
MIN_COVERAGE = 0.75  # of the region's pixels must sample inside the moving crop


@dataclass(frozen=True)
class RefineSettings:
    model: str = "similarity"  # "similarity" (dz, dθ, dx, dy), "rigid" (dz kept) or "translation" (dz, dθ kept)
    max_turn_deg: float = 6.0  # a similarity/rigid result further than this from the start ...
    max_scale_change: float = 0.06  # ... or this: that bone is measured again by translation only
    max_move_px: float = 8.0  # a bone that ends further than this from its start (or does not converge) keeps the start
    margin_px: int = 3
    smooth_sigma: float = 1.0
    max_iterations: int = 30
    tolerance_px: float = 0.01  # stop when no region pixel moves more than this in an update
    gain_bias: bool = True  # fit the moving crop's brightness/contrast to the fixed one per bone
    levels: int = 2  # 2: first at half resolution (twice the capture range), then at full resolution
    stride: int = 2  # at full resolution use every `stride`-th region pixel (checkerboard for 2)


@dataclass(frozen=True)
class RefinedBone:
    transform: BoneTransform
    iterations: int
    converged: bool


def bone_regions(upper: np.ndarray, lower: np.ndarray, margin_px: int) -> tuple[np.ndarray, np.ndarray]:
    """The fixed crop's two bone regions: each mask dilated by `margin_px`, kept off the other bone."""
    upper, lower = upper.astype(bool), lower.astype(bool)
    if margin_px <= 0:
        return upper & ~lower, lower & ~upper
    st = ndimage.generate_binary_structure(2, 1)
    up = ndimage.binary_dilation(upper, st, iterations=margin_px)
    lo = ndimage.binary_dilation(lower, st, iterations=margin_px)
    return up & ~lower, lo & ~upper


class _Region:
    """One bone region of F: pixel coordinates (centred), values and gradients of the smoothed F."""

    def __init__(self, fixed_s: np.ndarray, gy: np.ndarray, gx: np.ndarray, region: np.ndarray, stride: int = 1):
        h, w = fixed_s.shape
        rows, cols = np.nonzero(region)
        if stride > 1:
            keep = (rows + cols) % stride == 0
            rows, cols = rows[keep], cols[keep]
        self.x = (cols + 0.5 - w / 2.0).astype(np.float32)
        self.y = (rows + 0.5 - h / 2.0).astype(np.float32)
        self.values = fixed_s[rows, cols].astype(np.float32)
        self.gx, self.gy = gx[rows, cols], gy[rows, cols]
        # the Gauss–Newton update turns and scales about the region's centroid: well conditioned
        self.centroid = (float(self.x.mean()), float(self.y.mean())) if self.x.size else (0.0, 0.0)
        self.xr, self.yr = self.x - np.float32(self.centroid[0]), self.y - np.float32(self.centroid[1])
        self.radius = float(np.sqrt(np.max(self.xr**2 + self.yr**2))) if self.x.size else 0.0


def corner_stack(images: list[np.ndarray]) -> np.ndarray:
    """(H·W, 4·C) rows holding each pixel's value and those of its right, lower and lower-right
    neighbours for every image: one gather per bilinear sample instead of four."""
    st = np.stack(images, -1).astype(np.float32)
    h, w, c = st.shape
    pad = np.pad(st, ((0, 1), (0, 1), (0, 0)), mode="edge")
    corners = [pad[:h, :w], pad[:h, 1:], pad[1:, :w], pad[1:, 1:]]
    return np.ascontiguousarray(np.concatenate(corners, -1).reshape(h * w, 4 * c))


def sample(corners: np.ndarray, shape: tuple[int, int], qx: np.ndarray, qy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bilinear samples (N, C) at centred continuous coords from a `corner_stack`, and inside flags."""
    h, w = shape
    ch = corners.shape[1] // 4
    c = qx + np.float32(w / 2.0 - 0.5)
    r = qy + np.float32(h / 2.0 - 0.5)
    valid = (c >= 0) & (c <= w - 1) & (r >= 0) & (r <= h - 1)
    c = np.clip(c, 0, w - 1.001)
    r = np.clip(r, 0, h - 1.001)
    c0 = np.floor(c)
    r0 = np.floor(r)
    fc = (c - c0)[:, None]
    fr = (r - r0)[:, None]
    v = np.take(corners, r0.astype(np.int32) * w + c0.astype(np.int32), axis=0)
    top = v[:, :ch] + (v[:, ch : 2 * ch] - v[:, :ch]) * fc
    bottom = v[:, 2 * ch : 3 * ch] + (v[:, 3 * ch :] - v[:, 2 * ch : 3 * ch]) * fc
    return top + (bottom - top) * fr, valid


def _delta_matrix(delta: np.ndarray, model: str, centre: tuple[float, float]) -> np.ndarray:
    if model == "similarity":
        a, b, tx, ty = delta
        m = np.array([[1 + a, -b, tx], [b, 1 + a, ty], [0, 0, 1]])
    elif model == "translation":
        return np.array([[1, 0, delta[0]], [0, 1, delta[1]], [0, 0, 1]])
    else:
        th, tx, ty = delta
        c, s = math.cos(th), math.sin(th)
        m = np.array([[c, -s, tx], [s, c, ty], [0, 0, 1]])
    to = np.array([[1, 0, centre[0]], [0, 1, centre[1]], [0, 0, 1]])
    back = np.array([[1, 0, -centre[0]], [0, 1, -centre[1]], [0, 0, 1]])
    return to @ m @ back


def _refine_one(t: _Region, corners: np.ndarray, shape: tuple[int, int], init: BoneTransform, settings: RefineSettings, tolerance_px: float) -> RefinedBone:
    def implausible(r: RefinedBone) -> bool:
        turned = abs(r.transform.dtheta - init.dtheta) > math.radians(settings.max_turn_deg)
        scaled = abs(r.transform.dz / init.dz - 1) > settings.max_scale_change
        return not r.converged or turned or scaled or _moved(t, init, r.transform) > settings.max_move_px

    r = _gauss_newton(t, corners, shape, init, settings.model, settings, tolerance_px)
    if implausible(r) and settings.model != "translation":
        # a round bone end can turn freely in the intensity loss: keep the start's turn and scale
        r = _gauss_newton(t, corners, shape, init, "translation", settings, tolerance_px)
    if implausible(r):  # slid off along a featureless bone or left the crop: keep the start, unconverged
        r = RefinedBone(init, r.iterations, False)
    return r


def _moved(t: _Region, a: BoneTransform, b: BoneTransform) -> float:
    """How far apart two transforms put the region's centroid in the moving crop (pixels)."""
    p = np.array([t.centroid[0], t.centroid[1], 1.0])
    return float(np.hypot(*(a.sampling_matrix() @ p - b.sampling_matrix() @ p)[:2]))


def _gauss_newton(t: _Region, corners: np.ndarray, shape: tuple[int, int], init: BoneTransform, model: str, settings: RefineSettings, tolerance_px: float) -> RefinedBone:
    """Efficient second-order minimisation (the mean of F's and the warped G's gradients) with
    compositional updates of the sampling matrix."""
    if t.values.size < 16:
        return RefinedBone(init, 0, False)
    sampling = init.sampling_matrix()
    converged = False
    it = 0
    for it in range(1, settings.max_iterations + 1):
        qx = sampling[0, 0] * t.x + sampling[0, 1] * t.y + sampling[0, 2]
        qy = sampling[1, 0] * t.x + sampling[1, 1] * t.y + sampling[1, 2]
        s, valid = sample(corners, shape, qx.astype(np.float32), qy.astype(np.float32))
        if valid.sum() < MIN_COVERAGE * valid.size:
            break  # the bone has left the moving crop: no measurement
        g, ggx, ggy = (np.ascontiguousarray(s[:, i]) for i in range(3))
        if settings.gain_bias:
            f = t.values[valid]
            gm, fm = g[valid].mean(), f.mean()
            gain = float(np.dot(g[valid] - gm, f - fm) / max(float(np.dot(g[valid] - gm, g[valid] - gm)), 1e-12))
        else:
            gain, gm, fm = 1.0, 0.0, 0.0
        err = ((np.float32(gain) * (g - gm) + fm - t.values) * valid).astype(np.float32)
        # gradient of G∘S at p, scaled by the gain, averaged with F's
        s00, s01, s10, s11 = (np.float32(gain * v) for v in (sampling[0, 0], sampling[0, 1], sampling[1, 0], sampling[1, 1]))
        jx = 0.5 * (ggx * s00 + ggy * s10 + t.gx)
        jy = 0.5 * (ggx * s01 + ggy * s11 + t.gy)
        if model == "similarity":
            sd = np.stack([jx * t.xr + jy * t.yr, jy * t.xr - jx * t.yr, jx, jy], 1)
        elif model == "rigid":
            sd = np.stack([jy * t.xr - jx * t.yr, jx, jy], 1)
        else:
            sd = np.stack([jx, jy], 1)
        sdv = sd * valid[:, None]
        try:
            delta = -np.linalg.solve((sdv.T @ sd).astype(np.float64), (sdv.T @ err).astype(np.float64))
        except np.linalg.LinAlgError:
            break
        sampling = sampling @ _delta_matrix(delta, model, t.centroid)
        rot = 0.0 if model == "translation" else abs(delta[0]) + (abs(delta[1]) if model == "similarity" else 0.0)
        if rot * t.radius + math.hypot(delta[-2], delta[-1]) < tolerance_px:
            converged = True
            break
    result = BoneTransform.from_content_matrix(np.linalg.inv(sampling))
    if model != "similarity":
        result = BoneTransform(init.dz, init.dtheta if model == "translation" else result.dtheta, result.dx, result.dy)
    return RefinedBone(result, it, converged)


def refine(
    fixed: np.ndarray,
    moving: np.ndarray,
    fixed_upper: np.ndarray,
    fixed_lower: np.ndarray,
    init_upper: BoneTransform,
    init_lower: BoneTransform,
    settings: RefineSettings = RefineSettings(),
) -> tuple[RefinedBone, RefinedBone]:
    """Refine both bones' transforms; `fixed`, `moving` are normalised crops of the same size."""
    sig = settings.smooth_sigma
    fixed_s = ndimage.gaussian_filter(fixed, sig) if sig > 0 else fixed
    moving_s = ndimage.gaussian_filter(moving, sig) if sig > 0 else moving
    fixed_s = np.ascontiguousarray(fixed_s, dtype=np.float32)
    moving_s = np.ascontiguousarray(moving_s, dtype=np.float32)
    if settings.model not in ("similarity", "rigid", "translation"):
        raise ValueError(f"unknown refinement model {settings.model!r}: use similarity, rigid or translation")
    up, lo = bone_regions(fixed_upper, fixed_lower, settings.margin_px)
    result = (RefinedBone(init_upper, 0, False), RefinedBone(init_lower, 0, False))
    for level in range(max(settings.levels, 1) - 1, -1, -1):
        k = 2**level
        f, m, ru, rl = (_half(fixed_s, level), _half(moving_s, level), _half(up, level) > 0.5, _half(lo, level) > 0.5)
        tol = settings.tolerance_px if level == 0 else COARSE_TOLERANCE_PX
        gy, gx = np.gradient(f)
        corners = corner_stack([m, *np.gradient(m)[::-1]])
        result = tuple(
            _upscale(_refine_one(_Region(f, gy, gx, region, settings.stride if level == 0 else 1), corners, m.shape, _downscale(prev.transform, k), settings, tol), k, prev.iterations)
            for region, prev in zip((ru, rl), result)
        )
    return result


def _half(image: np.ndarray, times: int) -> np.ndarray:
    out = image.astype(np.float32)
    for _ in range(times):
        h, w = out.shape[0] // 2 * 2, out.shape[1] // 2 * 2
        out = out[:h, :w].reshape(h // 2, 2, w // 2, 2).mean(axis=(1, 3))
    return np.ascontiguousarray(out)


def _downscale(t: BoneTransform, k: int) -> BoneTransform:
    return BoneTransform(t.dz, t.dtheta, t.dx / k, t.dy / k)


def _upscale(r: RefinedBone, k: int, previous_iterations: int) -> RefinedBone:
    t = r.transform
    return RefinedBone(BoneTransform(t.dz, t.dtheta, t.dx * k, t.dy * k), r.iterations + previous_iterations, r.converged)
