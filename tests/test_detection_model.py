"""The SSD300 network, its weights files, the MultiBox loss and Grad-CAM."""

import numpy as np
import pytest
import torch

from jsnviewer.detection.detector import JointDetector, load_ssd, save_ssd
from jsnviewer.detection.gradcam import grad_cam
from jsnviewer.detection.loss import match, multibox_loss
from jsnviewer.detection.model import SSD300, SSDConfig
from jsnviewer.errors import WeightsError


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return SSD300(SSDConfig()).eval()


def test_one_prediction_per_default_box(model):
    with torch.no_grad():
        loc, conf = model(torch.zeros(2, 1, 300, 300))
    assert loc.shape == (2, 8732, 4) and conf.shape == (2, 8732, 3)


def test_the_paper_width_builds_vgg16_channels():
    paper = SSD300(SSDConfig(width=1.0, in_channels=3))
    assert paper.conv4_3[0].in_channels == 3 and paper.conv4_3[-2].out_channels == 512
    assert paper.conv7[-2].out_channels == 1024


def test_weights_round_trip_and_bad_files_name_the_file(model, tmp_path):
    path = save_ssd(tmp_path / "detector_ankylosis.pt", model, "ankylosis", {"note": "test"})
    again = load_ssd(path, "ankylosis")
    x = torch.rand(1, 1, 300, 300)
    with torch.no_grad():
        assert torch.equal(model(x)[1], again(x)[1])
    with pytest.raises(WeightsError, match="expected 'detector_subluxation'"):
        load_ssd(path, "subluxation")
    bad = tmp_path / "broken.pt"
    bad.write_bytes(path.read_bytes()[:1000])
    with pytest.raises(WeightsError, match="broken.pt"):
        load_ssd(bad, "ankylosis")
    with pytest.raises(WeightsError, match="not found"):
        JointDetector.load(tmp_path / "missing.pt", path)


def test_every_truth_box_gets_a_default_box(model):
    truth = torch.tensor([[150.0, 150.0, 30.0, 30.0], [40.0, 260.0, 20.0, 44.0]])
    boxes, labels = match(truth, torch.tensor([1, 2]), model.priors)
    assert (labels == 1).any() and (labels == 2).any()
    assert torch.allclose(boxes[labels == 2][0], truth[1])


@pytest.mark.slow
def test_training_on_a_window_lowers_the_multibox_loss():
    torch.manual_seed(0)
    net = SSD300(SSDConfig())
    x = torch.zeros(1, 1, 300, 300)
    x[0, 0, 130:170, 130:170] = 1.0
    target = [(torch.tensor([[150.0, 150.0, 40.0, 40.0]]), torch.tensor([2]))]
    opt = torch.optim.Adam(net.parameters(), 1e-3)
    losses = []
    for _ in range(6):
        loss, _ = multibox_loss(*net(x), target, net.priors, net.config.variances)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
    assert losses[-1] < 0.7 * losses[0]


def test_a_joint_of_unknown_finding_is_learnt_as_a_joint_without_taking_sides(model):
    """A landmarked real joint trains "joint, not background" but leaves absent vs present alone."""
    from jsnviewer.detection.loss import FINDING_UNKNOWN

    truth = torch.tensor([[150.0, 150.0, 40.0, 40.0]])
    x = torch.zeros(1, 1, 300, 300)
    loc, conf = model(x)
    conf = conf.detach().clone().requires_grad_(True)
    loss, _ = multibox_loss(loc.detach(), conf, [(truth, torch.tensor([FINDING_UNKNOWN]))], model.priors,
                            model.config.variances)
    loss.backward()
    _, labels = match(truth, torch.tensor([FINDING_UNKNOWN]), model.priors)
    g = conf.grad[0, labels == FINDING_UNKNOWN]
    assert len(g) and (g[:, 0] > 0).all()  # background pushed down
    # The joint classes are pushed up in proportion to their own probabilities: their ratio is kept.
    p = conf.detach()[0, labels == FINDING_UNKNOWN].softmax(-1)
    assert torch.allclose(g[:, 1] / p[:, 1], g[:, 2] / p[:, 2], rtol=1e-4, atol=1e-6)


def test_a_landmarked_real_window_teaches_the_finding_only(model):
    """Its boxes come from points: no box regression, no background, only absent vs present."""
    truth = torch.tensor([[150.0, 150.0, 40.0, 40.0]])
    loc, conf = model(torch.zeros(1, 1, 300, 300))
    loc, conf = loc.detach().requires_grad_(True), conf.detach().clone().requires_grad_(True)
    loss, _ = multibox_loss(loc, conf, [(truth, torch.tensor([1]), True)], model.priors, model.config.variances)
    loss.backward()
    _, labels = match(truth, torch.tensor([1]), model.priors)
    joint = labels == 1
    assert float(loc.grad.abs().sum()) == 0.0
    assert float(conf.grad[0, ~joint].abs().sum()) == 0.0  # no background pushed anywhere
    g = conf.grad[0, joint]
    assert (g[:, 0] == 0).all() and (g[:, 1] < 0).all() and (g[:, 2] > 0).all()  # towards "absent"


def test_grad_cam_covers_the_window_of_the_detection(model):
    pixels = np.zeros((700, 600), dtype=np.float32)
    pixels[300:360, 250:310] = 1000.0
    pixels[0, 0] = 1.0
    cam = grad_cam(model, pixels, (280.0, 330.0, 60.0, 60.0), layer="conv7", target_class=1)
    x0, y0, x1, y1 = cam.extent
    assert x0 <= 250 and x1 >= 310 and y0 <= 300 and y1 >= 360
    assert cam.heatmap.shape == (300, 300) and 0.0 <= cam.heatmap.min() and cam.heatmap.max() <= 1.0
    with pytest.raises(ValueError, match="unknown layer"):
        grad_cam(model, pixels, (280.0, 330.0, 60.0, 60.0), layer="conv99")


@pytest.mark.parametrize("size, kernel, stride, padding, ceil_mode", [
    ((300, 300), 2, 2, 0, False), ((75, 75), 2, 2, 0, True), ((19, 19), 3, 1, 1, False),
    ((38, 37), 3, 2, 1, False), ((7, 9), 2, 2, 0, False), ((7, 9), 3, 2, 1, True)])
def test_the_fast_max_pool_gives_torchs_values(size, kernel, stride, padding, ceil_mode):
    from jsnviewer.detection.pooling import max_pool

    x = torch.randn(2, 3, *size)
    expected = torch.nn.functional.max_pool2d(x, kernel, stride, padding, ceil_mode=ceil_mode)
    assert torch.equal(max_pool(x, kernel, stride, padding, ceil_mode), expected)


def test_a_scan_without_gradients_finds_what_the_trained_network_does(model):
    # Without gradients (a scan) the network pools with jsnviewer.detection.pooling and runs its first layers one
    # window at a time; with them (training) it pools with torch and runs the whole batch (a scan's 8 windows) through
    # each layer.
    x = torch.rand(8, 1, 300, 300)
    with torch.no_grad():
        fast = model(x)
    slow = model(x.requires_grad_())
    # bitwise equal on the machine the change was measured on; another CPU's kernels may sum in another order
    for a, b in zip(fast, slow):
        torch.testing.assert_close(a, b.detach(), rtol=1e-5, atol=1e-5)
