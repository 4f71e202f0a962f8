import numpy as np
import pytest

from jsnviewer.pipeline.geometry import CropFrame, joint_axes


def test_upright_frame_maps_crop_centre_to_joint_and_back():
    frame = CropFrame(centre=(100.25, 50.5), up=(0.6, -0.8), scale=0.7)
    assert np.allclose(frame.to_radiograph(np.array([128.0, 128.0])), [100.25, 50.5])
    pts = np.array([[3.0, 4.0], [250.5, 17.25], [128.0, 0.0]])
    assert np.allclose(frame.to_crop(frame.to_radiograph(pts)), pts)
    # crop "up" (towards row 0) is the finger's distal direction in the radiograph
    top = frame.to_radiograph(np.array([128.0, 0.0]))
    direction = (top - np.array([100.25, 50.5])) / np.hypot(*(top - np.array([100.25, 50.5])))
    assert np.allclose(direction, [0.6, -0.8])


def test_sampled_crop_puts_a_distal_mark_at_the_top_whatever_the_finger_direction():
    image = np.zeros((200, 200), np.float32)
    centre = np.array([100.0, 100.0])
    for up in [(0.0, -1.0), (1.0, 0.0), (-np.sqrt(0.5), np.sqrt(0.5))]:
        image[:] = 0
        mark = centre + 30 * np.asarray(up)  # a bright spot 30 px distal of the joint
        image[int(mark[1]) - 2:int(mark[1]) + 2, int(mark[0]) - 2:int(mark[0]) + 2] = 1000
        crop = CropFrame(centre=tuple(centre), up=up, scale=0.5, size=256).sample(image)
        row, col = np.unravel_index(np.argmax(crop), crop.shape)
        assert row < 128 - 40 and abs(col - 128) < 6, (up, row, col)


def test_subpixel_position_is_kept_by_sampling():
    yy, xx = np.mgrid[0:64, 0:64] + 0.5
    image = np.exp(-((xx - 30.3) ** 2 + (yy - 31.7) ** 2) / 20).astype(np.float32)
    crop = CropFrame(centre=(32.0, 32.0), up=(0.0, -1.0), scale=0.25, size=256).sample(image)
    cy, cx = (np.array(np.nonzero(crop > -1)) * crop.ravel()).sum(axis=1) / crop.sum() + 0.5
    x, y = CropFrame(centre=(32.0, 32.0), up=(0.0, -1.0), scale=0.25).to_radiograph(np.array([cx, cy]))
    assert x == pytest.approx(30.3, abs=0.02) and y == pytest.approx(31.7, abs=0.02)


def test_joint_axes_follow_each_digit_and_fill_gaps():
    centres = {"MCP2": (100, 300), "PIP2": (100, 200), "DIP2": (120, 120),
               "MCP3": (200, 300), "PIP3": (230, 220), "MCP5": (400, 300)}
    axes = joint_axes(centres)
    assert np.allclose(axes["MCP2"], [0, -1])
    bisector = np.array([0, -1]) + np.array([20, -80]) / np.hypot(20, 80)
    assert np.allclose(axes["PIP2"], bisector / np.hypot(*bisector))
    assert np.allclose(axes["MCP3"], np.array([30, -80]) / np.hypot(30, 80))
    # MCP5 has no neighbour found: it takes the hand's mean direction, which points up
    assert axes["MCP5"][1] < -0.9
    assert joint_axes({"PIP4": (5, 5)}) == {"PIP4": (0.0, -1.0)}


def test_window_sampling_equals_sampling_the_whole_radiograph():
    from scipy import ndimage

    rng = np.random.default_rng(0)
    image = ndimage.gaussian_filter(rng.normal(size=(300, 400)), 2).astype(np.float32) * 1000
    frame = CropFrame(centre=(200.3, 140.8), up=(0.28, -0.96), scale=0.45, size=64)
    crop = frame.sample(image)
    centres = np.arange(64) + 0.5
    xy = frame.to_radiograph(np.stack(np.meshgrid(centres, centres, indexing="xy"), axis=-1))
    whole = ndimage.map_coordinates(image.astype(np.float64), [xy[..., 1] - 0.5, xy[..., 0] - 0.5], order=3, mode="nearest")
    assert np.max(np.abs(crop - whole)) < 1e-3 * np.abs(whole).max()
