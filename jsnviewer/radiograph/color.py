"""Colour-stored grey images (RGB JPEGs of radiographs are common) become one grey channel."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from jsnviewer.errors import RadiographError

# Lossy compression leaves grey images with small channel differences; a few coloured marks
# (a burned-in ruler or label) are tolerated, a colour photograph is not.
_CHANNEL_TOLERANCE = 0.03  # of full scale
_COLOURED_FRACTION = 0.002


def grey_from_colour(path: Path, rgb: np.ndarray, full_scale: float) -> np.ndarray:
    """(rows, cols, 3) with equal channels -> (rows, cols) float32 mean; colour raises RadiographError."""
    channels = rgb[..., :3].astype(np.float32)
    spread = channels.max(axis=-1) - channels.min(axis=-1)
    coloured = float(np.mean(spread > _CHANNEL_TOLERANCE * full_scale))
    if coloured > _COLOURED_FRACTION:
        raise RadiographError(
            path, f"colour image, not a grey radiograph ({coloured:.1%} of pixels differ between colour channels)"
        )
    return channels.mean(axis=-1)
