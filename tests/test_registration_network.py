"""The registration network's sizes, its output, the Eq. 6 loss and its weights file."""

import numpy as np
import pytest
import torch

from jsnviewer.errors import WeightsError
from jsnviewer.registration.loss import joint_loss, joint_loss_torch, loss_spectrum
from jsnviewer.registration.model import load_model, save_model
from jsnviewer.registration.network import build, count_parameters


def test_small_network_outputs_two_parameter_sets_starting_at_identity():
    model = build("small").eval()
    assert 300_000 < count_parameters(model) < 2_000_000
    x = torch.rand(2, 1, model.input_size, model.input_size)
    out = model(x, x, x, x)
    assert out.shape == (2, 2, 4)
    torch.testing.assert_close(out, torch.tensor([1.0, 0.0, 0.0, 0.0]).expand(2, 2, 4))


def test_paper_network_has_about_47_million_parameters_and_runs():
    model = build("paper").eval()
    assert count_parameters(model) == pytest.approx(47_000_224, rel=0.02)
    x = torch.rand(1, 1, 224, 224)
    with torch.no_grad():
        assert model(x, x, x, x).shape == (1, 2, 4)


def test_eq6_loss_by_hand():
    f = np.ones((4, 4), np.float32)
    g = np.zeros((4, 4), np.float32)
    up = np.zeros((4, 4), np.float32)
    lo = np.zeros((4, 4), np.float32)
    up[:1] = 1  # 4 of 16 pixels
    lo[3:] = 1
    # each bone: sqrt(4/16) = 0.5; α = β = 0.5
    assert joint_loss(f, g, g, up, lo) == pytest.approx(0.5)
    t = lambda a: torch.from_numpy(a)[None, None]  # noqa: E731
    assert float(joint_loss_torch(t(f), t(g), t(g), t(up), t(lo))[0]) == pytest.approx(0.5, abs=1e-5)
    spectrum = loss_spectrum(f, g, g, up, lo)
    assert spectrum.sum() == 8 and spectrum[1:3].sum() == 0  # only on the bones


def test_weights_round_trip_and_damaged_file(tmp_path):
    model = build("small").eval()
    path = save_model(tmp_path / "r.pt", model, {"note": "test"})
    again = load_model(path)
    x = torch.rand(1, 1, model.input_size, model.input_size)
    with torch.no_grad():
        torch.testing.assert_close(again(x, x, x, x), model(x, x, x, x))
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a weights file")
    with pytest.raises(WeightsError):
        load_model(bad)
    with pytest.raises(WeightsError):
        load_model(tmp_path / "missing.pt")


def test_the_same_crop_twice_shows_no_mismatch_where_the_bone_masks_overlap():
    """A real joint's bone ends overlap in projection, so its upper and lower masks share pixels (29 to 3,024 of a
    256² crop on the RA2 hands). The same crop twice must show a dark mismatch picture and G′ equal to the crop on
    the bones: adding the two bones' pixels there showed a bright patch (up to 1.3) on every such joint of the same
    image twice, and set the window's mismatch scale to it, darkening any true mismatch."""
    from scipy.ndimage import binary_dilation

    from jsnviewer.phantom import make_joint_pair
    from jsnviewer.registration.loss import composite
    from jsnviewer.registration.register import Registrator
    from jsnviewer.segmentation.data import normalise_crop

    pair = make_joint_pair(3, size=128, max_rotation_deg=0.0, max_scale=0.0, max_shift_px=0.0)
    upper = binary_dilation(pair.fixed_upper > 0, iterations=6)
    lower = binary_dilation(pair.fixed_lower > 0, iterations=6)
    assert (upper & lower).sum() > 50  # the masks overlap, as on a real joint
    f = normalise_crop(pair.fixed)
    np.testing.assert_allclose(composite(f, f, upper, lower), f * (upper | lower), atol=1e-6)
    registration = Registrator(method="poc").register(pair.fixed, pair.fixed, upper, lower, upper, lower)
    assert float(registration.spectrum_original.max()) == 0.0
    assert float(registration.spectrum_transformed.max()) < 0.05  # the window's least mismatch scale: all dark
