"""Box geometry of the SSD: default boxes, Eq. 4–5 round trip, IoU, NMS."""

import pytest
import torch

from jsnviewer.detection.boxes import PriorConfig, decode, default_boxes, encode, iou, nms


def test_ssd300_has_8732_default_boxes_on_its_six_grids():
    priors = default_boxes(PriorConfig())
    assert priors.shape == (8732, 4)
    # Conv4_3: 38×38 cells of 8 px, 4 boxes each, the first a 24 px square at the cell centre.
    assert priors[0].tolist() == [4.0, 4.0, 24.0, 24.0]
    assert priors[4 * 38 * 38 - 4].tolist() == [300.0, 300.0, 24.0, 24.0]
    assert priors[-1, :2].tolist() == [150.0, 150.0]


@pytest.mark.parametrize("variances", [(1.0, 1.0), (0.1, 0.2)])
def test_encoding_of_eq_4_5_round_trips(variances):
    g = torch.Generator().manual_seed(0)
    priors = torch.cat([torch.rand(500, 2, generator=g) * 300, 10 + torch.rand(500, 2, generator=g) * 100], 1)
    boxes = torch.cat([torch.rand(500, 2, generator=g) * 300, 5 + torch.rand(500, 2, generator=g) * 150], 1)
    offsets = encode(boxes, priors, variances)
    assert torch.allclose(decode(offsets, priors, variances), boxes, atol=1e-3)


def test_encoding_matches_the_paper_formula():
    prior = torch.tensor([[100.0, 50.0, 20.0, 40.0]])
    box = torch.tensor([[110.0, 40.0, 40.0, 20.0]])
    g = encode(box, prior)[0]
    assert torch.allclose(g, torch.tensor([10 / 20, -10 / 40, torch.log(torch.tensor(2.0)), torch.log(torch.tensor(0.5))]))


def test_iou_of_known_boxes():
    a = torch.tensor([[5.0, 5.0, 10.0, 10.0]])
    b = torch.tensor([[10.0, 5.0, 10.0, 10.0], [5.0, 5.0, 10.0, 10.0], [50.0, 50.0, 4.0, 4.0]])
    assert torch.allclose(iou(a, b)[0], torch.tensor([50 / 150, 1.0, 0.0]))


def test_nms_removes_the_weaker_of_overlapping_boxes_and_keeps_separate_ones():
    boxes = torch.tensor([[10.0, 10.0, 10.0, 10.0],   # best
                          [11.0, 10.0, 10.0, 10.0],   # IoU 0.82 with the best: removed
                          [40.0, 40.0, 10.0, 10.0],   # separate: kept
                          [15.0, 10.0, 10.0, 10.0]])  # IoU 1/3 with the best
    scores = torch.tensor([0.99, 0.98, 0.95, 0.97])
    assert nms(boxes, scores, 0.15).tolist() == [0, 2]
    assert nms(boxes, scores, 0.5).tolist() == [0, 3, 2]
    assert nms(boxes, scores, 0.5, top_k=2).tolist() == [0, 3]


def test_nms_removes_a_box_at_exactly_the_threshold():
    boxes = torch.tensor([[5.0, 5.0, 10.0, 10.0], [10.0, 5.0, 10.0, 10.0]])  # IoU exactly 1/3
    assert nms(boxes, torch.tensor([0.9, 0.8]), 1 / 3).tolist() == [0]
    assert nms(boxes, torch.tensor([0.9, 0.8]), 0.34).tolist() == [0, 1]
