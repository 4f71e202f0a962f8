"""Analytic rendering: a bone moved by a fraction of a pixel is drawn that far, with no resampling."""

from __future__ import annotations

import numpy as np
import pytest

from jsnviewer.phantom.anatomy import HandSize, Material, bone_pose, long_bone, make_bone
from jsnviewer.phantom.render import Exposure, Scene, render, translation


def _centroid(image: np.ndarray, background: float) -> np.ndarray:
    weight = image - background  # the direct exposure around the bone weighs nothing
    ys, xs = np.indices(image.shape)
    return np.array([(weight * xs).sum(), (weight * ys).sum()]) / weight.sum()


@pytest.mark.parametrize("seed", range(3))
def test_subpixel_motion_of_a_bone_is_drawn_exactly(seed):
    rng = np.random.default_rng(seed)
    shape = long_bone("PP3", HandSize.random(rng), None, 0.0)
    bone = make_bone("PP3", shape, bone_pose((100.0, 300.0), -np.pi / 2 + 0.1, 1 / 0.175, 0.0), Material.random(rng), rng)
    scene = Scene([bone], [], [], 1 / 0.175)
    exposure = Exposure(noise=False, heel=0.0, sharpen=0.5)
    before = render(scene, 200, 360, exposure, rng)
    for shift in ((0.3, 0.0), (0.0, -0.25), (0.5, 0.45), (0.1, 0.1)):
        after = render(scene.moved({"PP3": translation(*shift)}, [], np.eye(3)), 200, 360, exposure, rng)
        moved = _centroid(after, exposure.background) - _centroid(before, exposure.background)
        # The whole bone, texture and all, moves by the shift to within a fiftieth of a pixel.
        assert moved == pytest.approx(shift, abs=0.02)
