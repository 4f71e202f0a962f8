"""Is there a picture in the pixels at all? An image of one grey level, of a few (a silhouette, a drawing, a
black-and-white scan) or of noise holds no hand, yet the joint detectors, shown one, answer with confident boxes
(eight "joints" with subluxation on a noise image, eight named joints on a horse's silhouette)."""

from __future__ import annotations

import numpy as np

from jsnviewer.words import counted

WORKING_SIDE_PX = 1024  # the image is looked at with its longer side at most this long (area averaging)
MIN_NEIGHBOUR_CORRELATION = 0.3  # hand radiographs: 0.98 and more (real and synthetic); noise: about 0
# An X-ray's greys run continuously: beside its background, 95 % of a radiograph's pixels take at least 92 levels
# (the 1,291 real joint crops), 121 (the 16 real hands, 8-bit; one 70 % black border) or 988 (12-bit phantoms).
# A silhouette's take 1, a checkerboard's 3, a silhouette or a black-and-white page saved as JPEG 8 and 14.
MOST_PIXELS = 0.95
FEWEST_GREY_LEVELS = 16  # 4 bits' worth: no radiograph is stored in fewer than 8


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


def grey_levels_beside_background(pixels: np.ndarray) -> int:
    """The fewest grey levels (exact pixel values) that hold MOST_PIXELS of the pixels not of the commonest level
    (a background: black air, a border), at most WORKING_SIDE_PX on the longer side (every step-th pixel:
    averaging would make new levels); 0 when there are none."""
    img = np.asarray(pixels)
    step = max(1, int(np.ceil(max(img.shape) / WORKING_SIDE_PX)))
    counts = np.sort(np.unique(img[::step, ::step], return_counts=True)[1])[-2::-1]  # the commonest left out
    return int(np.searchsorted(np.cumsum(counts), MOST_PIXELS * counts.sum()) + 1) if counts.size else 0


def no_picture(pixels: np.ndarray) -> str | None:
    """Why these pixels cannot show a hand (one flat grey, a few, a strip, or noise), or None when they may."""
    shape = np.shape(pixels)
    if len(shape) == 2 and min(shape) < 2:
        return f"the image is a strip of {shape[0]} × {shape[1]} pixels, not a radiograph"
    correlation = neighbour_correlation(pixels)
    if correlation is None:
        return "the image is one flat grey level"
    levels = grey_levels_beside_background(pixels)
    if levels < FEWEST_GREY_LEVELS:
        return (f"the image is nearly all of {counted(levels + 1, 'grey level')} (a silhouette, a drawing or a "
                "black-and-white scan), not the continuous greys of a radiograph")
    if correlation < MIN_NEIGHBOUR_CORRELATION:
        return f"the image is noise, not a radiograph (neighbouring pixels correlate {correlation:.2f})"
    return None
