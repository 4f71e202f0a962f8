"""U-Net++ output shapes and the inference API's contract (masks at crop resolution)."""

import numpy as np
import pytest
import torch

from jsnviewer.errors import WeightsError
from jsnviewer.segmentation.infer import BoneSegmenter
from jsnviewer.segmentation.model import UNetPlusPlus
from jsnviewer.weights import Weights, save_weights


@pytest.mark.parametrize("width,depth,shape", [(4, 2, (32, 32)), (4, 3, (64, 96)), (8, 4, (128, 128)), (2, 5, (64, 64))])
def test_two_bone_logits_at_input_size(width, depth, shape):
    model = UNetPlusPlus(width=width, depth=depth).eval()
    with torch.no_grad():
        out = model(torch.randn(2, 1, *shape))
    assert out.shape == (2, 2, *shape)


def test_stem_is_the_papers_7x7_convolution():
    assert UNetPlusPlus(width=4, depth=2).stem[0].kernel_size == (7, 7)


def test_depth_below_two_is_refused():
    with pytest.raises(ValueError):
        UNetPlusPlus(width=4, depth=1)


def _segmenter(tmp_path):
    torch.manual_seed(0)
    path = tmp_path / "seg.pt"
    save_weights(path, Weights("segmenter", {"width": 4, "depth": 3}, UNetPlusPlus(width=4, depth=3).state_dict(), {"input_size": 64}))
    return BoneSegmenter.load(path), path


def test_masks_come_back_at_crop_resolution_for_any_size_and_bit_depth(tmp_path):
    segmenter, _ = _segmenter(tmp_path)
    rng = np.random.default_rng(0)
    crops = [rng.integers(0, 4096, (100, 130)).astype(np.uint16),  # 12-bit, not square
             rng.random((256, 256)).astype(np.float32),
             rng.integers(0, 256, (64, 64, 3)).astype(np.uint8)]  # grey stored as RGB
    for crop, (upper, lower) in zip(crops, segmenter.segment_batch(crops)):
        assert upper.shape == lower.shape == crop.shape[:2]
        assert upper.dtype == lower.dtype == bool
    upper, lower = segmenter.segment(crops[0])
    assert upper.shape == (100, 130)


def test_missing_weights_name_the_file(tmp_path):
    missing = tmp_path / "nowhere" / "segmenter.pt"
    with pytest.raises(WeightsError, match="segmenter.pt"):
        BoneSegmenter.load(missing)


def test_corrupt_weights_name_the_file(tmp_path):
    _, path = _segmenter(tmp_path)
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(WeightsError, match="seg.pt"):
        BoneSegmenter.load(path)


def test_weights_of_another_network_size_name_the_file(tmp_path):
    path = tmp_path / "odd.pt"
    save_weights(path, Weights("segmenter", {"width": 4, "depth": 3}, UNetPlusPlus(width=8, depth=3).state_dict()))
    with pytest.raises(WeightsError, match="odd.pt"):
        BoneSegmenter.load(path)
