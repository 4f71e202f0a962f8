"""Synthetic hands and crops look like the real ones in ../shared/data/real (the figures of docs/phantom.md:
run `pytest -s tests/test_phantom_realism.py` to print them)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image
from scipy.ndimage import binary_erosion, gaussian_filter

from jsnviewer.phantom import generate_study, make_joint_crop

pytestmark = pytest.mark.real_data

CROP_MEASURES = ("widest upper bone row (px)", "widest lower bone row (px)", "bone fraction", "masks' gap, middle columns (px)", "bone - soft tissue / grey range", "texture: high-pass SD / grey range")


def _crop_measures(image: np.ndarray, upper: np.ndarray, lower: np.ndarray) -> list[float]:
    bone = upper | lower
    cols = np.nonzero(upper.any(0) & lower.any(0))[0]
    gaps = [np.nonzero(lower[:, c])[0].min() - np.nonzero(upper[:, c])[0].max() - 1 for c in cols]
    middle = gaps[len(gaps) // 3 : 2 * len(gaps) // 3]
    inner = binary_erosion(bone, iterations=4)
    lo, hi = np.percentile(image, [1, 99])
    contrast = (np.median(image[inner]) - np.median(image[~bone])) / (hi - lo)
    texture = (image - gaussian_filter(image, 3))[inner].std() / (hi - lo)
    return [upper.sum(1).max(), lower.sum(1).max(), bone.mean(), np.median(middle), contrast, texture]


def _table(title: str, names, real: np.ndarray, synthetic: np.ndarray) -> None:
    print(f"\n{title}: median [quartiles]")
    for i, name in enumerate(names):
        r, s = np.percentile(real[:, i], [25, 50, 75]), np.percentile(synthetic[:, i], [25, 50, 75])
        print(f"  {name:36s} real {r[1]:7.3f} [{r[0]:.3f}-{r[2]:.3f}]   synthetic {s[1]:7.3f} [{s[0]:.3f}-{s[2]:.3f}]")


def test_synthetic_crops_look_like_the_real_crops(real_data):
    images = sorted((real_data / "joint_crops").glob("*/*.jpg"))[::16]
    assert len(images) >= 30
    real = []
    for path in images:
        image = np.asarray(Image.open(path).convert("L"), dtype=float) / 255.0
        upper = np.asarray(Image.open(path.with_name(path.stem + "_upper.png"))) > 0
        lower = np.asarray(Image.open(path.with_name(path.stem + "_lower.png"))) > 0
        real.append(_crop_measures(image, upper, lower))
    joints = ("MCP2", "MCP3", "MCP4", "MCP5", "PIP2", "PIP3", "PIP4", "PIP5")  # the real crops' joints
    crops = (make_joint_crop(s, identity=joints[s % 8], joint_space="split") for s in range(len(real)))
    synthetic = [_crop_measures(c.image.astype(float), c.upper, c.lower) for c in crops]
    real, synthetic = np.array(real), np.array(synthetic)
    _table(f"{len(real)} real joint crops vs as many synthetic MCP/PIP crops (split masks)", CROP_MEASURES, real, synthetic)
    r, s = np.median(real, axis=0), np.median(synthetic, axis=0)
    assert np.all(np.abs(s[:3] - r[:3]) <= 0.15 * r[:3])  # bone sizes and layout
    assert abs(s[3] - r[3]) <= 3  # split masks meet inside the joint space, as the real ones do
    assert abs(s[4] - r[4]) <= 0.15 and 0.5 < s[5] / r[5] < 2.0  # contrast and texture


def _landmarks(path) -> dict[str, tuple[float, float]]:
    """Joint points of a hands_ra2 labelme file, by our joint names."""
    points = {}
    for shape in json.loads(path.read_text())["shapes"]:
        label, point = shape["label"], tuple(shape["points"][0])
        if label == "0_mcp_ip":  # the thumb's IP joint
            points["IP1"] = point
        elif "_pip_" in label or "_mcp_" in label:
            points[label.split("_")[1].upper() + label[-1]] = point
    return points


def _proportions(points) -> list[float]:
    def dist(a, b):
        return float(np.hypot(points[a][0] - points[b][0], points[a][1] - points[b][1]))

    unit = dist("MCP3", "PIP3")
    return [dist("MCP2", "MCP5") / unit, dist("MCP1", "MCP2") / unit, dist("IP1", "MCP1") / unit, dist("PIP2", "PIP5") / unit]


@pytest.mark.slow
def test_synthetic_hands_have_the_proportions_of_the_real_hands(real_data):
    real = np.array([_proportions(_landmarks(p)) for p in sorted((real_data / "hands_ra2").glob("*.landmarks.json"))])
    assert len(real) == 4
    synthetic = np.array([_proportions({j.identity: j.centre for j in generate_study(seed).truth.baseline.joints}) for seed in range(6)])
    names = ("MCP2-MCP5 / MCP3-PIP3", "MCP1-MCP2 / MCP3-PIP3", "IP1-MCP1 / MCP3-PIP3", "PIP2-PIP5 / MCP3-PIP3")
    _table("joint distances, 4 RA2 hands (landmarks) vs 6 synthetic hands", names, real, synthetic)
    assert np.all(np.abs(np.median(synthetic, axis=0) - np.median(real, axis=0)) <= 0.15 * np.median(real, axis=0))
