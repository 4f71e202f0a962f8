"""Sub-pixel refinement of each bone's transform at full crop resolution.

Each bone's similarity (or rigid) transform is optimised on the masked intensity loss by Gauss–Newton
with the efficient second-order Jacobian (ESM: the mean of the fixed crop's gradient and the warped
moving crop's gradient) and compositional updates; each iteration resamples the moving crop G and its
gradients (bilinear, after the same light Gaussian smoothing of both crops) at the region's pixels
only, and fits G's brightness to F's per bone (gain and offset). The region of a bone is its fixed
mask dilated by `margin_px` into the surrounding soft tissue and joint space, where the bone margin
carries the position, less every pixel within `gap_px` of the other bone's mask (that bone's edge,
blurred and sharpened by the imaging, moves with that bone). Pixels whose sample falls outside G
drop out.

Coarse to fine: at half resolution every bone is refined from the network's transform and, when
that does not converge or fits poorly, also from no motion at all (repeat visits are often close
already while the network can be far off, e.g. when a mask is wrong); the converged result with the
lowest loss goes on to full resolution.

The turn check: the lower bone (a round head, whose turn the intensities hold weakly and which looks
different at each visit) is refined once more, at the coarsest level from the network's transform,
with its turn held towards the network's (`turn_check`). Where that moves the JSN by more than a
pixel, the measurement rests on a turn the image does not pin down, and the reliability verdict says
so (docs/registration.md, "Reliability").
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
from scipy import ndimage

from jsnviewer.registration.transform import BoneTransform

COARSE_TOLERANCE_PX = 0.05  # at the coarser levels, in their pixels
MIN_COVERAGE = 0.75  # of the region's pixels must sample inside the moving crop
GIVE_UP = 2.0  # a start that wanders this many times max_move_px from where it began is abandoned
STARTS = {  # where the coarsest level starts a bone from, given the network's transform
    "network": lambda net: net,
    "identity": lambda net: BoneTransform(),
}


@dataclass(frozen=True)
class RefineSettings:
    model: str = "similarity"  # "similarity" (dz, dθ, dx, dy), "rigid" (dz kept) or "translation" (dz, dθ kept)
    max_turn_deg: float = 6.0  # a similarity/rigid result further than this from the start ...
    max_scale_change: float = 0.06  # ... or this: that bone is measured again by translation only
    max_move_px: float = 8.0  # a bone that ends further than this from its start (or does not converge) keeps the start
    margin_px: int = 6
    gap_px: int = 8  # region pixels closer than this to the other bone's mask are left out
    smooth_sigma: float = 1.0
    max_iterations: int = 30
    tolerance_px: float = 0.01  # stop when no region pixel moves more than this in an update
    gain_bias: bool = True  # fit the moving crop's brightness/contrast to the fixed one per bone
    levels: int = 2  # 2: first at half resolution (twice the capture range), then at full resolution
    stride: int = 4  # at full resolution use every `stride`-th region pixel (diagonal lattice: (row + col) % stride == 0)
    coarse_stride: int = 2  # the same at the coarser levels
    starts: tuple[str, ...] = ("network", "identity")  # coarsest-level starts per bone; the lowest final loss wins
    good_fit_loss: float = 0.10  # the later starts are tried only when the first did not converge or its loss is above this
    # weight of the pull on the lower bone's turn towards the network's in the turn check, relative to the
    # data's hold on a shift at the region's edge (0: no check)
    turn_check: float = 0.1


@dataclass(frozen=True)
class RefinedBone:
    transform: BoneTransform
    iterations: int
    converged: bool
    loss: float = math.inf  # mean squared residual after the brightness fit, over the variance of F on the region
    turn_held: BoneTransform | None = None  # the lower bone with its turn held towards the network's (the turn check)


def bone_regions(upper: np.ndarray, lower: np.ndarray, margin_px: int, gap_px: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The fixed crop's two bone regions: each mask dilated by `margin_px`, kept `gap_px` off the other bone
    (dilation by k steps of the 4-neighbourhood: every pixel within a city-block distance k of the mask)."""
    up, lo = _city_block_distance(upper), _city_block_distance(lower)
    return (up <= margin_px) & (lo > gap_px), (lo <= margin_px) & (up > gap_px)


def _city_block_distance(mask: np.ndarray) -> np.ndarray:
    """Every pixel's city-block distance to the mask (infinite for an empty mask)."""
    mask = np.asarray(mask, bool)
    if not mask.any():
        return np.full(mask.shape, np.inf)
    return ndimage.distance_transform_cdt(~mask, metric="taxicab")


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
        self.variance = float(np.var(self.values)) if self.x.size else 0.0


def corner_stack(images: list[np.ndarray]) -> np.ndarray:
    """(H·W, 4·C) rows holding each pixel's value and those of its right, lower and lower-right
    neighbours (the edge repeated past the last row and column) for every image: one gather per
    bilinear sample instead of four."""
    h, w = images[0].shape
    out = np.empty((h, w, 4, len(images)), np.float32)
    for k, image in enumerate(images):
        out[:, :, 0, k] = image
        out[:, :-1, 1, k], out[:, -1, 1, k] = image[:, 1:], image[:, -1]
        out[:-1, :, 2, k], out[-1, :, 2, k] = image[1:], image[-1]
        out[:-1, :, 3, k] = out[1:, :, 1, k]
        out[-1, :, 3, k] = out[-1, :, 1, k]
    return out.reshape(h * w, 4 * len(images))


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


def _refine_one(t: _Region, corners: np.ndarray, shape: tuple[int, int], init: BoneTransform, settings: RefineSettings,
                hold_turn: tuple[float, float] | None = None) -> RefinedBone:
    def turned_or_scaled(r: RefinedBone) -> bool:
        return (abs(r.transform.dtheta - init.dtheta) > math.radians(settings.max_turn_deg)
                or abs(r.transform.dz / init.dz - 1) > settings.max_scale_change)

    def implausible(r: RefinedBone) -> bool:
        return not r.converged or turned_or_scaled(r) or _moved(t, init, r.transform) > settings.max_move_px

    def worth_translation_only(r: RefinedBone) -> bool:
        # a round bone end can turn freely in the intensity loss: keep the start's turn and scale;
        # a start that did not converge and wandered off is not tried again (it would be dropped, as a rule)
        return turned_or_scaled(r) if r.converged else _moved(t, init, r.transform) <= settings.max_move_px

    r = _gauss_newton(t, corners, shape, init, settings.model, settings, hold_turn)
    if settings.model != "translation" and worth_translation_only(r):
        r = _gauss_newton(t, corners, shape, init, "translation", settings)
    if implausible(r):  # slid off along a featureless bone or left the crop: keep the start, unconverged
        r = RefinedBone(init, r.iterations, False)
    return r


def _best_start(t: _Region, corners: np.ndarray, shape: tuple[int, int], starts: list[BoneTransform], settings: RefineSettings,
                hold_turn: tuple[float, float] | None = None) -> RefinedBone:
    """Refine from every start: the converged result with the lowest loss, else the first start's. A
    first start that converged to a good fit leaves the others untried (they would rarely win)."""
    first = _refine_one(t, corners, shape, starts[0], settings, hold_turn)
    results = [first]
    if not (first.converged and first.loss <= settings.good_fit_loss):
        results += [_refine_one(t, corners, shape, s, settings, hold_turn) for s in starts[1:]]
    converged = [r for r in results if r.converged]
    best = min(converged, key=lambda r: r.loss) if converged else results[0]
    return RefinedBone(best.transform, sum(r.iterations for r in results), best.converged, best.loss)


def _moved(t: _Region, a: BoneTransform, b: BoneTransform) -> float:
    """How far apart two transforms put the region's centroid in the moving crop (pixels)."""
    return _moved_sampling(t, a.sampling_matrix(), b.sampling_matrix())


def _moved_sampling(t: _Region, a: np.ndarray, b: np.ndarray) -> float:
    p = np.array([t.centroid[0], t.centroid[1], 1.0])
    return float(np.hypot(*(a @ p - b @ p)[:2]))


def _brightness(t: _Region, g: np.ndarray, valid: np.ndarray, all_valid: bool, gain_bias: bool) -> tuple[np.ndarray, float]:
    """G's samples mapped onto F's brightness by a gain and an offset (least squares on the valid pixels)."""
    if not gain_bias:
        return g, 1.0
    gv, fv = (g, t.values) if all_valid else (g[valid], t.values[valid])
    gm, fm = float(gv.mean()), float(fv.mean())
    gain = float(np.dot(gv - gm, fv - fm)) / max(float(np.dot(gv - gm, gv - gm)), 1e-12)
    return np.float32(gain) * (g - np.float32(gm)) + np.float32(fm), gain


def _gauss_newton(t: _Region, corners: np.ndarray, shape: tuple[int, int], init: BoneTransform, model: str,
                  settings: RefineSettings, hold_turn: tuple[float, float] | None = None) -> RefinedBone:
    """Efficient second-order minimisation (the mean of F's and the warped G's gradients) with
    compositional updates of the sampling matrix. `hold_turn` = (turn, weight) adds a pull of the
    content turn towards `turn` (Tikhonov), weighted relative to the data's hold on a shift at the
    region's edge."""
    if t.values.size < 16:
        return RefinedBone(init, 0, False)
    sampling = start = init.sampling_matrix()
    converged = False
    it = 0
    loss = math.inf
    n = t.values.size
    for it in range(1, settings.max_iterations + 1):
        s00, s01, s02, s10, s11, s12 = (float(v) for v in sampling[:2].ravel())
        s, valid = sample(corners, shape, s00 * t.x + s01 * t.y + s02, s10 * t.x + s11 * t.y + s12)
        count = int(valid.sum())
        if count < MIN_COVERAGE * n:
            break  # the bone has left the moving crop: no measurement
        all_valid = count == n
        g, ggx, ggy = s[:, 0], s[:, 1], s[:, 2]
        fitted, gain = _brightness(t, g, valid, all_valid, settings.gain_bias)
        err = fitted - t.values
        if not all_valid:
            err *= valid
        variance = t.variance if all_valid else float(np.var(t.values[valid]))
        loss = float(np.dot(err, err)) / max(count * variance, 1e-12)
        # gradient of G∘S at p, scaled by the gain, averaged with F's
        jx = 0.5 * (ggx * (gain * s00) + ggy * (gain * s10) + t.gx)
        jy = 0.5 * (ggx * (gain * s01) + ggy * (gain * s11) + t.gy)
        if model == "similarity":
            sd = np.stack([jx * t.xr + jy * t.yr, jy * t.xr - jx * t.yr, jx, jy], 1)
        elif model == "rigid":
            sd = np.stack([jy * t.xr - jx * t.yr, jx, jy], 1)
        else:
            sd = np.stack([jx, jy], 1)
        sdv = sd if all_valid else sd * valid[:, None]
        hessian, gradient = (sdv.T @ sd).astype(np.float64), (sdv.T @ err).astype(np.float64)
        if hold_turn is not None and model != "translation":
            k = 1 if model == "similarity" else 0  # the turn's parameter
            w = hold_turn[1] * 0.5 * (hessian[-1, -1] + hessian[-2, -2]) * t.radius**2
            hessian[k, k] += w
            gradient[k] += w * (hold_turn[0] + math.atan2(sampling[1, 0], sampling[0, 0]))  # held − content turn (content = −sampling's)
        try:
            delta = -np.linalg.solve(hessian, gradient)
        except np.linalg.LinAlgError:
            break
        sampling = sampling @ _delta_matrix(delta, model, t.centroid)
        rot = 0.0 if model == "translation" else abs(delta[0]) + (abs(delta[1]) if model == "similarity" else 0.0)
        if rot * t.radius + math.hypot(delta[-2], delta[-1]) < settings.tolerance_px:
            converged = True
            break
        if _moved_sampling(t, start, sampling) > GIVE_UP * settings.max_move_px:
            break  # this start is heading for a result that would be dropped (max_move_px): stop early
    result = BoneTransform.from_content_matrix(np.linalg.inv(sampling))
    if model != "similarity":
        result = BoneTransform(init.dz, init.dtheta if model == "translation" else result.dtheta, result.dx, result.dy)
    return RefinedBone(result, it, converged, loss)


def refine(
    fixed: np.ndarray,
    moving: np.ndarray,
    fixed_upper: np.ndarray,
    fixed_lower: np.ndarray,
    init_upper: BoneTransform,
    init_lower: BoneTransform,
    settings: RefineSettings = RefineSettings(),
) -> tuple[RefinedBone, RefinedBone]:
    """Refine both bones' transforms from the network's; `fixed`, `moving` are normalised crops of the same size."""
    if settings.model not in ("similarity", "rigid", "translation"):
        raise ValueError(f"unknown refinement model {settings.model!r}: use similarity, rigid or translation")
    if not settings.starts or set(settings.starts) - set(STARTS):
        raise ValueError(f"unknown refinement starts {settings.starts!r}: use some of {', '.join(STARTS)}")
    sig = settings.smooth_sigma
    fixed_s = np.ascontiguousarray(ndimage.gaussian_filter(fixed, sig) if sig > 0 else fixed, dtype=np.float32)
    moving_s = np.ascontiguousarray(ndimage.gaussian_filter(moving, sig) if sig > 0 else moving, dtype=np.float32)
    levels, regions = [], bone_regions(fixed_upper, fixed_lower, settings.margin_px, settings.gap_px)
    bones: tuple[list[_Region], list[_Region]] = ([], [])
    for level in range(max(settings.levels, 1) - 1, -1, -1):
        f, m = _half(fixed_s, level), _half(moving_s, level)
        gy, gx = np.gradient(f)
        levels.append((level, f.shape, corner_stack([m, *np.gradient(m)[::-1]])))
        stride = settings.stride if level == 0 else settings.coarse_stride
        for region, per_level in zip(regions, bones):
            per_level.append(_Region(f, gy, gx, _half(region, level) > 0.5, stride))
    upper, lower = (_refine_bone(levels, per_level, [STARTS[name](init) for name in settings.starts], settings)
                    for per_level, init in zip(bones, (init_upper, init_lower)))
    if settings.turn_check > 0 and lower.converged and settings.model != "translation":
        # the coarsest level is enough to see a pixel's difference (1.7 ms per pair; on to full resolution 6.5 ms)
        held = _refine_bone(levels[:1], bones[1][:1], [init_lower], settings, (init_lower.dtheta, settings.turn_check))
        lower = replace(lower, turn_held=held.transform if held.converged else None)
    return upper, lower


def _refine_bone(levels: list, regions: list[_Region], starts: list[BoneTransform], settings: RefineSettings,
                 hold_turn: tuple[float, float] | None = None) -> RefinedBone:
    """Coarse to fine: every start at the coarsest level, the best result on to the finer ones."""
    coarse = replace(settings, tolerance_px=COARSE_TOLERANCE_PX)
    result = RefinedBone(starts[0], 0, False)
    for n, ((level, shape, corners), t) in enumerate(zip(levels, regions)):
        k = 2**level
        level_starts = starts if n == 0 else [result.transform]
        r = _best_start(t, corners, shape, [_downscale(s, k) for s in level_starts], settings if level == 0 else coarse, hold_turn)
        result = RefinedBone(_upscale(r.transform, k), result.iterations + r.iterations, r.converged, r.loss)
    return result


def _half(image: np.ndarray, times: int) -> np.ndarray:
    out = image.astype(np.float32)
    for _ in range(times):
        h, w = out.shape[0] // 2 * 2, out.shape[1] // 2 * 2
        out = out[:h, :w].reshape(h // 2, 2, w // 2, 2).mean(axis=(1, 3))
    return np.ascontiguousarray(out)


def _downscale(t: BoneTransform, k: int) -> BoneTransform:
    return BoneTransform(t.dz, t.dtheta, t.dx / k, t.dy / k)


def _upscale(t: BoneTransform, k: int) -> BoneTransform:
    return BoneTransform(t.dz, t.dtheta, t.dx * k, t.dy * k)
