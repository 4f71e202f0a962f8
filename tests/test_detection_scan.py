"""Whole-radiograph scanning: window layout, zero padding, and boxes mapped back to the full image."""

import numpy as np
import pytest
import torch
from torch import nn

from jsnviewer.detection.boxes import PriorConfig, default_boxes, encode
from jsnviewer.detection.model import SSDConfig
from jsnviewer.detection.scan import cut_windows, scan, window_origins, window_starts, working_image


def test_windows_every_150_px_cover_a_halved_hand():
    # A 2010×1490 radiograph halved is 1005×745: 4 rows × 6 columns of windows.
    assert window_starts(1005) == [0, 150, 300, 450, 600, 750]
    assert window_starts(745) == [0, 150, 300, 450]
    assert window_starts(300) == [0]
    assert len(window_origins(1005, 745)) == 24  # (height, width)


def test_windows_beyond_the_image_are_zero_padded():
    img = torch.ones(400, 350)
    crops = cut_windows(img, window_origins(400, 350))
    last = crops[-1, 0]  # origin (150, 150): 200 columns and 250 rows of image
    assert last[:250, :200].eq(1).all() and last[250:, :].eq(0).all() and last[:, 200:].eq(0).all()


class SquareFinder(nn.Module):
    """A stand-in SSD that reports the bright square of each window exactly (through its default
    boxes and the Eq. 4–5 offsets), so the scan's bookkeeping can be checked against the truth."""

    def __init__(self):
        super().__init__()
        self.config = SSDConfig()
        self.register_buffer("priors", default_boxes(PriorConfig()))

    def forward(self, x):
        n = x.shape[0]
        loc = torch.zeros(n, len(self.priors), 4)
        conf = torch.zeros(n, len(self.priors), 3)
        conf[..., 0] = 10.0  # background everywhere …
        for k in range(n):
            ys, xs = torch.nonzero(x[k, 0] > 0.5, as_tuple=True)
            if len(xs) == 0 or xs.min() == 0 or ys.min() == 0 or xs.max() == 299 or ys.max() == 299:
                continue  # … unless the window holds the whole square
            box = torch.tensor([[(xs.min() + xs.max() + 1) / 2, (ys.min() + ys.max() + 1) / 2,
                                 float(xs.max() - xs.min() + 1), float(ys.max() - ys.min() + 1)]])
            i = int(torch.argmin(((self.priors[:, :2] - box[:, :2]) ** 2).sum(1)))
            loc[k, i] = encode(box, self.priors[i:i + 1], self.config.variances)[0]
            conf[k, i] = torch.tensor([0.0, 10.0, 0.0])
        return loc, conf


def test_a_box_found_in_a_window_maps_back_to_the_full_radiograph():
    pixels = np.zeros((2010, 1490), dtype=np.float32)
    pixels[900:960, 1100:1180] = 1000.0  # a bright 80×60 px square; its box is (1140, 930, 80, 60)
    pixels[0, 0] = 1.0  # some grey levels below the square so the percentile window is not flat
    result = scan(SquareFinder(), pixels, t_conf=0.9, t_iou1=0.15, top_m=20)
    assert len(result.boxes) == 1
    assert np.allclose(result.boxes[0].box, (1140.0, 930.0, 80.0, 60.0), atol=0.05)
    x0, y0 = result.origins[result.boxes[0].window]
    assert x0 <= 1100 / 2 and x0 + 300 >= 1180 / 2 and y0 <= 900 / 2 and y0 + 300 >= 960 / 2


def test_halving_keeps_the_continuous_frame():
    pixels = np.zeros((10, 8), dtype=np.float32)
    pixels[4:6, 2:4] = 1.0  # pixels covering x in [2, 4), y in [4, 6)
    img, (fx, fy) = working_image(pixels, 0.5)
    assert (fx, fy) == (0.5, 0.5)
    ys, xs = torch.nonzero(img > 0.9, as_tuple=True)
    assert xs.tolist() == [1] and ys.tolist() == [2]  # x in [1, 2), y in [2, 3): the same place


@pytest.mark.slow
@pytest.mark.parametrize("size", [0.7, 2.0])
def test_a_radiograph_without_a_pixel_size_is_scanned_at_the_size_of_the_training_hands(size):
    """A coarser (0.7 of the phantom's pixels) or finer (2×) export without a pixel size is found at
    the scale where its hand has the training hands' size, although no probe scale is
    that scale."""
    from skimage.transform import rescale

    from jsnviewer.detection.bench import TruthImage, match
    from jsnviewer.detection.detector import JointDetector
    from jsnviewer.phantom.study import generate_study

    study = generate_study(1_000_003)
    joints = study.truth.baseline.joints
    pixels = rescale(study.baseline.pixels.astype(np.float32), size, anti_aliasing=size < 1, preserve_range=True)
    truth = TruthImage("export", pixels, None, study.truth.laterality, np.array([j.box for j in joints]) * size,
                       [j.identity for j in joints], None, False)
    detections = JointDetector.load().detect_pixels(pixels, study.truth.laterality, scale=None)
    pairs = match(truth, detections)
    assert len(pairs) >= len(joints) - 1
    assert sum(detections[d].identity == truth.identities[t] for t, d in pairs) >= len(joints) - 1


class FixedLogits(SquareFinder):
    """A stand-in SSD whose every window gives the same class logits: joints on both findings (background 0) at
    logits from well below to just above t_conf = 0.9 (1.504: P(background) = 1 / (1 + 2·4.5) = 0.1)."""

    def forward(self, x):
        conf = torch.full((len(self.priors), 3), -10.0)
        conf[:, 0] = 0.0
        conf[:200, 1] = conf[:200, 2] = torch.linspace(1.0, 2.0, 200)
        return torch.zeros(x.shape[0], len(self.priors), 4), conf.expand(x.shape[0], -1, -1)


def test_every_box_above_t_conf_is_kept_with_its_probabilities():
    # The scan takes the softmax of the boxes that may pass t_conf only; none above it may be lost on the way.
    model = FixedLogits()
    pixels = np.random.default_rng(0).random((300, 300)).astype(np.float32)
    probs = model(torch.zeros(1, 1, 300, 300))[1][0].softmax(-1)
    above = (1.0 - probs[:, 0] > 0.9).nonzero()[:, 0].tolist()
    result = scan(model, pixels, t_conf=0.9, t_iou1=1.01, top_m=10_000, scale=1.0)
    assert 0 < len(above) < 200 and sorted(b.prior for b in result.boxes) == above
    for box in result.boxes:
        assert box.probs == tuple(probs[box.prior].tolist()) and box.score == float(1.0 - probs[box.prior, 0])
