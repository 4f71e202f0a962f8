"""Joint crops and crop pairs: shapes, masks on the bright bone, exact transforms and JSN sign."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.ndimage import binary_erosion

from jsnviewer.joints import JOINT_IDENTITIES
from jsnviewer.phantom import make_joint_crop, make_joint_pair


def test_crop_shapes_types_and_determinism():
    a = make_joint_crop(5)
    b = make_joint_crop(5)
    assert np.array_equal(a.image, b.image) and np.array_equal(a.upper, b.upper)
    assert not np.array_equal(make_joint_crop(6).image, a.image)
    assert a.image.shape == (256, 256) and a.image.dtype == np.float32
    assert a.upper.shape == a.lower.shape == (256, 256) and a.upper.dtype == bool
    assert 0.0 <= a.image.min() and a.image.max() <= 1.0
    assert a.identity in JOINT_IDENTITIES and a.pixel_size_mm == 0.175
    small = make_joint_crop(5, identity="PIP3", size=128, pixel_size_mm=0.15)
    assert small.image.shape == (128, 128) and small.identity == "PIP3" and small.pixel_size_mm == 0.15


@pytest.mark.parametrize("seed", range(6))
def test_crop_is_upright_with_masks_on_the_bright_bones(seed):
    c = make_joint_crop(seed)
    assert not (c.upper & c.lower).any()
    ys_u, _ = np.nonzero(c.upper)
    ys_l, _ = np.nonzero(c.lower)
    # Distal bone on top, proximal below, the joint near the middle, bones running off the edges.
    assert ys_u.mean() < 128 < ys_l.mean()
    assert c.upper[0].any() and c.lower[-1].any()
    assert 100 < ys_u.max() < 170 and 90 < ys_l.min() < 156
    bone = c.upper | c.lower
    assert 0.2 < bone.mean() < 0.8
    assert np.median(c.image[binary_erosion(bone, iterations=3)]) > np.median(c.image[~bone]) + 0.1


def _carried(mask_from, transform, mask_to):
    ys, xs = np.nonzero(binary_erosion(mask_from))
    x, y = xs + 0.5, ys + 0.5
    tx = transform[0, 0] * x + transform[0, 1] * y + transform[0, 2]
    ty = transform[1, 0] * x + transform[1, 1] * y + transform[1, 2]
    h, w = mask_to.shape
    ok = (tx >= 1) & (tx < w - 1) & (ty >= 1) & (ty < h - 1)
    return mask_to[ty[ok].astype(int), tx[ok].astype(int)].mean()


@pytest.mark.parametrize("seed", range(6))
def test_pair_transforms_carry_fixed_masks_onto_moving_masks(seed):
    p = make_joint_pair(seed)
    assert p.fixed.shape == p.moving.shape == (256, 256) and p.moving.dtype == np.float32
    assert p.upper_transform.shape == p.lower_transform.shape == (3, 3)
    assert -0.5 <= p.jsn_mm <= 0.3
    assert _carried(p.fixed_upper, p.upper_transform, p.moving_upper) >= 0.99
    assert _carried(p.fixed_lower, p.lower_transform, p.moving_lower) >= 0.99
    # The moving image is not the fixed one: the global motion alone must be recovered.
    assert not np.allclose(p.lower_transform, np.eye(3))


def test_pair_is_deterministic_and_honours_the_requested_jsn():
    a = make_joint_pair(11, jsn_mm=-0.35)
    b = make_joint_pair(11, jsn_mm=-0.35)
    assert np.array_equal(a.moving, b.moving) and np.array_equal(a.upper_transform, b.upper_transform)
    assert a.jsn_mm == -0.35
    zero = [make_joint_pair(s).jsn_mm for s in range(25)]
    assert 0.0 in zero and any(z > 0 for z in zero) and any(z < 0 for z in zero)


def test_narrowing_moves_the_upper_bone_down_in_an_upright_pair():
    # No global motion: a follow-up narrowed by 0.35 mm has its upper bone 2 px lower (+y), the
    # lower bone where it was; so dy0 = -2, dy1 = 0 and JSN = dy0 - dy1 < 0 as in conventions.md.
    p = make_joint_pair(3, max_rotation_deg=0.0, max_scale=0.0, max_shift_px=0.0, noise=False, jsn_mm=-0.35)
    assert np.allclose(p.lower_transform, np.eye(3))
    from jsnviewer.registration.transform import joint_centre

    jx, jy = joint_centre(p.fixed_upper, p.fixed_lower)  # the joint-space centre, where JSN is read
    c = np.array([128.0 + jx, 128.0 + jy, 1.0])
    moved = p.upper_transform @ c - c
    assert moved[1] == pytest.approx(0.35 / 0.175, abs=0.25)
    # The masks show it: the joint space in the middle columns is 2 px narrower.
    def gap(upper, lower):
        cols = range(118, 139)
        return np.mean([np.nonzero(lower[:, j])[0].min() - np.nonzero(upper[:, j])[0].max() for j in cols])

    assert gap(p.moving_upper, p.moving_lower) - gap(p.fixed_upper, p.fixed_lower) == pytest.approx(-2.0, abs=0.6)


def test_split_masks_share_the_joint_space_like_the_real_annotations():
    exact = make_joint_crop(4, identity="MCP3")
    split = make_joint_crop(4, identity="MCP3", joint_space="split")
    assert np.array_equal(exact.image, split.image)
    assert (split.upper >= exact.upper).all() and (split.lower >= exact.lower).all()
    assert not (split.upper & split.lower).any()
    # In the middle columns the bone masks leave the joint space open; the split masks meet.
    for j in range(118, 139):
        gap_exact = np.nonzero(exact.lower[:, j])[0].min() - np.nonzero(exact.upper[:, j])[0].max() - 1
        gap_split = np.nonzero(split.lower[:, j])[0].min() - np.nonzero(split.upper[:, j])[0].max() - 1
        assert gap_exact >= 3 and gap_split == 0
    with pytest.raises(ValueError):
        make_joint_crop(4, joint_space="nearest")


@pytest.mark.parametrize("seed", range(4))
def test_pair_jsn_is_what_its_transforms_imply_at_the_joint_space_centre(seed):
    from jsnviewer.phantom import jsn_from_transforms
    from jsnviewer.registration.transform import joint_centre

    p = make_joint_pair(seed, noise=False)
    jx, jy = joint_centre(p.fixed_upper, p.fixed_lower)
    c = (p.fixed.shape[1] / 2.0 + jx, p.fixed.shape[0] / 2.0 + jy)
    assert jsn_from_transforms(p.upper_transform, p.lower_transform, c, (0.0, -1.0), p.pixel_size_mm) == pytest.approx(p.jsn_mm, abs=1e-9)
