"""Colour-stored grey images (RGB JPEGs of radiographs are common) become one grey channel."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from jsnviewer.errors import RadiographError

# Lossy compression leaves grey images with small channel differences; coloured marks (a burned-in ruler, label
# or arrow of a PACS export: a 180 × 60 px label on a hand radiograph is 0.4 % of it) are read as grey, a colour
# photograph (most of its pixels) is not.
_CHANNEL_TOLERANCE = 0.03  # of full scale
_COLOURED_FRACTION = 0.05


def grey_from_colour(path: Path, rgb: np.ndarray, full_scale: float) -> np.ndarray:
    """(rows, cols, 3) with equal channels -> (rows, cols) float32 mean; colour raises RadiographError."""
    red, green, blue = (rgb[..., i] for i in range(3))
    if np.array_equal(red, green) and np.array_equal(green, blue):
        return red.astype(np.float32)
    spread = np.maximum(np.maximum(red, green), blue) - np.minimum(np.minimum(red, green), blue)
    coloured = float(np.count_nonzero(spread > _CHANNEL_TOLERANCE * full_scale)) / spread.size
    if coloured > _COLOURED_FRACTION:
        raise RadiographError(
            path, f"colour image, not a grey radiograph ({coloured:.1%} of pixels differ between colour channels); "
            "if it is a radiograph, export it from the PACS in grey (or as DICOM) and open that"
        )
    return (red.astype(np.float32) + green + blue) / np.float32(3)
