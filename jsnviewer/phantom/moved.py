"""A follow-up made from a real radiograph by moving it rigidly: a pair whose true JSN change is 0
everywhere, for checking the whole analysis on real anatomy (benchmarks/make_real_pair.py)."""

from __future__ import annotations

import dataclasses

import numpy as np
from scipy import ndimage


def rigidly_moved(radiograph, angle_deg: float = 4.0, shift: tuple[float, float] = (25.0, -18.0),
                  scale: float = 1.03, noise: float = 2.0, seed: int = 0):
    """`radiograph` turned by `angle_deg` (clockwise on screen: +y points down), scaled and shifted
    (x, y pixels) about the image centre, cubic interpolation, with Gaussian grey-level noise of standard
    deviation `noise`; outside the image is filled with its 1st-percentile grey. The copy has no
    file path; everything else (identity, pixel size, bit depth) is kept."""
    pixels = radiograph.pixels.astype(np.float64)
    h, w = pixels.shape
    a = np.deg2rad(angle_deg)
    rot = scale * np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])  # follow-up (x, y) = rot @ (x, y) + t
    centre = np.array([w / 2, h / 2])
    t = centre + np.asarray(shift, dtype=float) - rot @ centre
    inverse = np.linalg.inv(rot)
    yy, xx = np.mgrid[0:h, 0:w] + 0.5
    src = np.einsum("ij,jhw->ihw", inverse, np.stack([xx - t[0], yy - t[1]]))
    moved = ndimage.map_coordinates(pixels, [src[1] - 0.5, src[0] - 0.5], order=3, mode="constant",
                                    cval=float(np.percentile(pixels, 1)))
    moved += np.random.default_rng(seed).normal(0, noise, moved.shape)
    top = 255 if radiograph.bits_stored <= 8 else 2 ** radiograph.bits_stored - 1
    return dataclasses.replace(radiograph, pixels=np.clip(np.rint(moved), 0, top).astype(np.float32), path=None)
