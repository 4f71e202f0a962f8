"""Eq. 1, the warp's direction and sub-pixel accuracy, pivots and JSN at the joint."""

import math

import numpy as np
import pytest
import torch

from jsnviewer.registration.transform import BoneTransform, at_joint, eq1_matrix, jsn_px, joint_centre, warp


def test_eq1_matches_hand_computed_matrix():
    # dz = 1.1, dθ = 30°, dx = 2, dy = −3: cos = 0.8660254, sin = 0.5
    expected = np.array([
        [0.95262794, -0.55, 2 * 1.1 * 0.8660254 + 3 * 1.1 * 0.5],
        [0.55, 0.95262794, 2 * 1.1 * 0.5 - 3 * 1.1 * 0.8660254],
        [0.0, 0.0, 1.0],
    ])
    np.testing.assert_allclose(eq1_matrix(1.1, math.radians(30), 2.0, -3.0), expected, atol=1e-7)


def test_sampling_matrix_is_eq1_of_the_inverse_parameters_and_inverts_the_content_motion():
    t = BoneTransform(1.07, math.radians(-8), 4.5, -2.25)
    np.testing.assert_allclose(t.sampling_matrix(), eq1_matrix(1 / 1.07, math.radians(8), -4.5, 2.25), atol=1e-12)
    np.testing.assert_allclose(t.sampling_matrix() @ t.content_matrix(), np.eye(3), atol=1e-12)


def _blob(cx: float, cy: float, size: int = 128, sigma: float = 3.0) -> np.ndarray:
    y, x = np.mgrid[0:size, 0:size] + 0.5  # pixel centres
    return np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * sigma**2)).astype(np.float32)


def _centroid(img: np.ndarray) -> tuple[float, float]:
    y, x = np.mgrid[0 : img.shape[0], 0 : img.shape[1]] + 0.5
    return float((img * x).sum() / img.sum()), float((img * y).sum() / img.sum())


def test_warp_moves_content_by_a_known_subpixel_shift():
    img = _blob(50.3, 70.8)
    out = warp(torch.from_numpy(img)[None, None], torch.tensor([[1.0, 0.0, 0.4, -1.3]]))[0, 0].numpy()
    cx, cy = _centroid(out)
    assert cx == pytest.approx(50.7, abs=0.02)
    assert cy == pytest.approx(69.5, abs=0.02)  # dy < 0: the content moves up


def test_positive_rotation_turns_clockwise_on_screen_about_the_crop_centre():
    img = _blob(64 + 30, 64)  # 30 px right of the centre of a 128 crop
    out = warp(torch.from_numpy(img)[None, None], torch.tensor([[1.0, math.pi / 2, 0.0, 0.0]]))[0, 0].numpy()
    cx, cy = _centroid(out)
    assert (cx, cy) == (pytest.approx(64, abs=0.05), pytest.approx(94, abs=0.05))  # now below the centre (+y down)


def test_changing_the_pivot_keeps_the_motion():
    t = BoneTransform(0.97, math.radians(5), 3.0, -1.0)
    moved = t.about((12.0, -40.0))
    np.testing.assert_allclose(moved.content_matrix(), t.content_matrix(), atol=1e-12)
    p = t.content_matrix() @ np.array([12.0, -40.0, 1.0])
    assert (moved.dx, moved.dy) == (pytest.approx(p[0] - 12.0), pytest.approx(p[1] + 40.0))


def test_jsn_at_the_joint_is_not_changed_by_flexion_or_a_global_motion():
    """Follow-up narrowed by 2 px (its upper bone sits 2 px lower), that bone then flexed 4° about the
    joint centre, and the whole follow-up turned, scaled and shifted: JSN = −2 px (narrowing negative)."""
    j = np.array([5.0, -3.0])
    flex = BoneTransform(1.0, math.radians(4), 0.0, 0.0, (5.0, -3.0)).content_matrix()
    narrowing = BoneTransform(1.0, 0.0, 0.0, 2.0).content_matrix()
    glob = BoneTransform(1.08, math.radians(12), 9.0, -6.0).content_matrix()  # baseline → follow-up
    upper_fg = glob @ flex @ narrowing  # where the baseline's upper bone content lands in the follow-up
    upper = BoneTransform.from_content_matrix(np.linalg.inv(upper_fg))  # follow-up → baseline
    lower = BoneTransform.from_content_matrix(np.linalg.inv(glob))
    u, l = at_joint(upper, lower, tuple(j))
    assert jsn_px(u, l) == pytest.approx(-2.0, abs=1e-9)
    assert u.centre == l.centre


def test_jsn_needs_one_pivot():
    with pytest.raises(ValueError):
        jsn_px(BoneTransform(centre=(1.0, 0.0)), BoneTransform())


def test_joint_centre_is_in_the_middle_of_the_joint_space():
    upper = np.zeros((100, 100), bool)
    lower = np.zeros((100, 100), bool)
    upper[:40, 30:70] = True
    lower[50:, 30:70] = True
    x, y = joint_centre(upper, lower)
    assert (x, y) == (pytest.approx(0.0), pytest.approx(-5.0))  # row 45 of 100 = 5 px above the centre


@pytest.mark.parametrize("seed, joint_space", [(0, "bone"), (1, "bone"), (2, "split"), (3, "bone"), (4, "split")])
def test_true_transforms_read_at_the_registrations_joint_centre_give_the_phantoms_jsn(seed, joint_space):
    # The phantom's truth and the registration read JSN at one point (the baseline's joint-space
    # centre from its masks): a perfect registration then measures the true JSN, flexion and all.
    from jsnviewer.phantom import make_joint_pair

    p = make_joint_pair(seed, joint_space=joint_space, noise=False)
    shape = p.fixed.shape
    upper = BoneTransform.from_crop_matrix(p.upper_transform, shape)
    lower = BoneTransform.from_crop_matrix(p.lower_transform, shape)
    measured = jsn_px(*at_joint(upper, lower, joint_centre(p.fixed_upper, p.fixed_lower))) * p.pixel_size_mm
    assert measured == pytest.approx(p.jsn_mm, abs=1e-3)
