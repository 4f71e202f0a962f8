"""Synthetic joint crops look like the real ones in ../shared/data/real/joint_crops (sizes, layout)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from jsnviewer.phantom import make_joint_crop

pytestmark = pytest.mark.real_data


def _layout(upper: np.ndarray, lower: np.ndarray) -> tuple[float, float, float]:
    """Widest row of each bone mask (px) and the fraction of the crop covered by bone."""
    return float(upper.sum(1).max()), float(lower.sum(1).max()), float((upper | lower).mean())


def test_synthetic_crops_have_the_bone_sizes_of_the_real_crops(real_data):
    images = sorted((real_data / "joint_crops").glob("*/*.jpg"))[::16]
    assert len(images) >= 20
    real = []
    for path in images:
        upper = np.asarray(Image.open(path.with_name(path.stem + "_upper.png"))) > 0
        lower = np.asarray(Image.open(path.with_name(path.stem + "_lower.png"))) > 0
        real.append(_layout(upper, lower))
    joints = ("MCP2", "MCP3", "MCP4", "MCP5", "PIP2", "PIP3", "PIP4", "PIP5")  # the real crops' joints
    synthetic = [_layout(c.upper, c.lower) for c in (make_joint_crop(s, identity=joints[s % 8], joint_space="split") for s in range(len(real)))]
    real_median, synthetic_median = np.median(real, axis=0), np.median(synthetic, axis=0)
    print("real widest upper/lower px, bone fraction:", np.round(real_median, 3))
    print("synthetic widest upper/lower px, bone fraction:", np.round(synthetic_median, 3))
    assert np.all(np.abs(synthetic_median - real_median) <= 0.15 * real_median)
