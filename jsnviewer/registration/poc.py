"""Classical baseline: band-limited phase-only correlation per bone region (after PIPOC, Ou et al.).

For each bone, the fixed and the moving crop are cut out by their own bone mask (dilated by 4 px and
softened by a Gaussian of σ = 4 px so the window edge carries no sharp contour), the masked mean is
removed, and the phase-only correlation of the two is taken with a Gaussian spectral weight that keeps
the low, reliable frequencies. Its peak is Gaussian in shape, so a parabola through the logarithm of
the peak and its neighbours gives the sub-pixel position. The result is a translation only
(dz = 1, dθ = 0): the content displacement of the moving bone onto the fixed one.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from scipy import fft, ndimage

from jsnviewer.registration.transform import BoneTransform

WINDOW_MARGIN_PX = 4
WINDOW_SOFTNESS_PX = 4.0
SPECTRAL_SIGMA = 0.12  # of the sampling frequency


def _window(mask: np.ndarray) -> np.ndarray:
    m = ndimage.binary_dilation(mask > 0, iterations=WINDOW_MARGIN_PX)
    return ndimage.gaussian_filter(m.astype(np.float32), WINDOW_SOFTNESS_PX)


def _windowed(image: np.ndarray, mask: np.ndarray) -> np.ndarray:
    w = _window(mask)
    mean = float((image * w).sum() / max(float(w.sum()), 1e-6))
    return (image - mean) * w


@lru_cache(maxsize=8)
def _spectral_weight(shape: tuple[int, int]) -> np.ndarray:
    fy = np.fft.fftfreq(shape[0])[:, None]
    fx = np.fft.rfftfreq(shape[1])[None, :]
    return np.exp(-(fx**2 + fy**2) / (2 * SPECTRAL_SIGMA**2)).astype(np.float32)


def _subpixel(surface: np.ndarray, r: int, c: int) -> tuple[float, float]:
    h, w = surface.shape

    def offset(m1: float, m0: float, p1: float) -> float:
        vals = np.log(np.maximum([m1, m0, p1], 1e-12))
        den = vals[0] - 2 * vals[1] + vals[2]
        return 0.0 if den >= 0 else float(0.5 * (vals[0] - vals[2]) / den)

    dr = offset(surface[(r - 1) % h, c], surface[r, c], surface[(r + 1) % h, c])
    dc = offset(surface[r, (c - 1) % w], surface[r, c], surface[r, (c + 1) % w])
    return r + dr, c + dc


def poc_shift(fixed: np.ndarray, moving: np.ndarray, fixed_mask: np.ndarray, moving_mask: np.ndarray) -> tuple[float, float]:
    """(dx, dy) that moves the moving bone onto the fixed one, in pixels."""
    a = fft.rfft2(_windowed(fixed, fixed_mask).astype(np.float32))
    b = fft.rfft2(_windowed(moving, moving_mask).astype(np.float32))
    cross = a * np.conj(b)
    cross /= np.maximum(np.abs(cross), 1e-12)
    surface = fft.irfft2(cross * _spectral_weight(tuple(fixed.shape)), s=fixed.shape)
    r, c = np.unravel_index(int(np.argmax(surface)), surface.shape)
    rs, cs = _subpixel(surface, int(r), int(c))
    h, w = surface.shape
    dy = rs - h if rs > h / 2 else rs
    dx = cs - w if cs > w / 2 else cs
    return float(dx), float(dy)


def poc_register(fixed, moving, fixed_upper, fixed_lower, moving_upper, moving_lower) -> tuple[BoneTransform, BoneTransform]:
    """Translation-only transforms (P0, P1) of both bones by phase-only correlation."""
    up = poc_shift(fixed, moving, fixed_upper, moving_upper)
    lo = poc_shift(fixed, moving, fixed_lower, moving_lower)
    return BoneTransform(1.0, 0.0, *up), BoneTransform(1.0, 0.0, *lo)
