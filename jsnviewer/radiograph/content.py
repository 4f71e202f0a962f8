"""Is there a picture in the pixels at all? An image of one grey level or of noise holds no hand, yet the
joint detectors, shown one, answer with confident boxes (eight "joints" with subluxation on a noise image)."""

from __future__ import annotations

import numpy as np

WORKING_SIDE_PX = 1024  # the image is looked at with its longer side at most this long (area averaging)
MIN_NEIGHBOUR_CORRELATION = 0.3  # hand radiographs: 0.98 and more (real and synthetic); noise: about 0


def neighbour_correlation(pixels: np.ndarray) -> float | None:
    """How much each pixel resembles its right and lower neighbours (the smaller of the two normalised
    autocorrelations at one pixel), at most WORKING_SIDE_PX on the longer side; None for one flat grey."""
    img = np.asarray(pixels, dtype=np.float32)
    if img.ndim != 2 or min(img.shape) < 2:  # a line of pixels (a 1 × 3000 strip): no neighbours both ways
        return None
    step = max(1, int(np.ceil(max(img.shape) / WORKING_SIDE_PX)))
    step = min(step, min(img.shape) // 2)  # a narrow strip keeps two rows and columns
    if step > 1:
        h, w = (img.shape[0] // step) * step, (img.shape[1] // step) * step
        img = img[:h, :w].reshape(h // step, step, w // step, step).mean(axis=(1, 3))
    img = img.astype(np.float64) - img.mean()
    variance = float((img * img).mean())
    if img.shape[0] < 2 or img.shape[1] < 2 or not variance > 0 or not np.isfinite(variance):
        return None
    across = float((img[:, 1:] * img[:, :-1]).mean()) / variance
    down = float((img[1:, :] * img[:-1, :]).mean()) / variance
    return min(across, down)


def no_picture(pixels: np.ndarray) -> str | None:
    """Why these pixels cannot show a hand (one flat grey, a strip, or noise), or None when they may."""
    shape = np.shape(pixels)
    if len(shape) == 2 and min(shape) < 2:
        return f"the image is a strip of {shape[0]} × {shape[1]} pixels, not a radiograph"
    correlation = neighbour_correlation(pixels)
    if correlation is None:
        return "the image is one flat grey level"
    if correlation < MIN_NEIGHBOUR_CORRELATION:
        return f"the image is noise, not a radiograph (neighbouring pixels correlate {correlation:.2f})"
    return None
