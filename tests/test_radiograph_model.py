"""The Radiograph type: one grey channel, display levels always set, mm never without a source."""

from __future__ import annotations

import numpy as np
import pytest

from jsnviewer.radiograph import Radiograph, StudyIdentity


def test_colour_or_stacked_arrays_are_not_radiographs():
    with pytest.raises(ValueError, match="one grey channel"):
        Radiograph(pixels=np.zeros((4, 4, 3)))


def test_display_levels_default_to_a_robust_window():
    pixels = np.full((100, 100), 500.0, np.float32)
    pixels[20:80, 20:80] = 1500.0
    pixels[0, 0] = 60000.0  # one hot pixel must not stretch the window
    r = Radiograph(pixels=pixels.astype(np.uint16), bits_stored=16)
    assert r.pixels.dtype == np.float32
    assert r.window_center - r.window_width / 2 <= 500 and r.window_center + r.window_width / 2 >= 1500
    assert r.window_width < 2000


def test_a_float_radiograph_in_0_to_1_gets_the_levels_of_its_integer_version():
    """A window at least one grey level wide showed a 0..1 float image (a 32-bit TIFF) at half its contrast or
    less, and the detector saw it so."""
    from jsnviewer.detection.scan import normalise

    stored = np.random.default_rng(3).integers(400, 3000, size=(200, 150)).astype(np.float32)
    integer, scaled = Radiograph(pixels=stored), Radiograph(pixels=stored / 4095)
    assert scaled.window_width == pytest.approx(integer.window_width / 4095, rel=1e-4)
    assert scaled.window_center == pytest.approx(integer.window_center / 4095, rel=1e-4)
    np.testing.assert_allclose(normalise(scaled.pixels), normalise(integer.pixels), atol=1e-4)


def test_pixel_size_source_follows_the_pixel_size():
    assert Radiograph(pixels=np.zeros((2, 2)), pixel_size_source="PixelSpacing").pixel_size_source == "unknown"
    given = Radiograph(pixels=np.zeros((2, 2)), pixel_size_mm=0.2)
    assert given.pixel_size_source != "unknown"


@pytest.mark.parametrize("size", [1.0, 50.0, 1e300, 0.001, float("nan"), float("inf")])
def test_an_implausible_pixel_size_is_ignored_and_says_so(size):
    r = Radiograph(pixels=np.zeros((2, 2)), pixel_size_mm=size, pixel_size_source="PNG metadata")
    assert r.pixel_size_mm is None
    assert r.pixel_size_source.startswith("ignored:") and "(PNG metadata)" in r.pixel_size_source
    assert Radiograph(pixels=np.zeros((2, 2)), pixel_size_mm=0.05, pixel_size_source="PNG metadata").pixel_size_mm == 0.05


def test_patient_name_stays_out_of_reprs():
    r = Radiograph(pixels=np.zeros((2, 2)), identity=StudyIdentity(patient_id="X1", patient_name="Smith^Anna"))
    assert "Smith" not in repr(r) and "X1" in repr(r)


def test_pixels_that_are_not_numbers_become_the_darkest_or_brightest_value(caplog):
    pixels = np.array([[1.0, np.nan], [5.0, np.inf], [-np.inf, 3.0]], dtype=np.float32)
    r = Radiograph(pixels=pixels)
    np.testing.assert_array_equal(r.pixels, [[1.0, 1.0], [5.0, 5.0], [1.0, 3.0]])
    assert np.isfinite([r.window_center, r.window_width]).all()
    assert "3 pixels are not numbers" in caplog.text
    assert (Radiograph(pixels=np.full((2, 2), np.nan)).pixels == 0).all()


@pytest.mark.parametrize("bits, value, shade", [(8, 0, 0.0), (8, 255, 1.0), (12, 4095, 1.0), (12, 0, 0.0)])
def test_a_flat_image_is_shown_where_its_value_lies_in_the_files_range(bits, value, shade):
    r = Radiograph(pixels=np.full((30, 20), value, np.uint16), bits_stored=bits)
    low = r.window_center - r.window_width / 2
    assert (value - low) / r.window_width == pytest.approx(shade)


def test_a_flat_float_image_in_0_to_1_is_shown_in_that_range():
    r = Radiograph(pixels=np.full((30, 20), 0.25, np.float32), bits_stored=32)
    assert (r.window_center, r.window_width) == (0.5, 1.0)
