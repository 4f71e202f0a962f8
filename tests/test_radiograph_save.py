"""save_radiograph -> load_radiograph round trips (the phantom generator writes studies this way)."""

from __future__ import annotations

from datetime import date

import numpy as np
import pydicom
import pytest

from jsnviewer.errors import RadiographError
from jsnviewer.radiograph import Radiograph, StudyIdentity, load_radiograph, save_radiograph

IDENTITY = StudyIdentity(patient_id="PH-007", study_date=date(2023, 5, 17), laterality="R", modality="DX",
                         patient_name="Phantom^Hand")


def radiograph(pixels: np.ndarray, bits: int = 16, size: float | None = 0.175) -> Radiograph:
    return Radiograph(pixels=pixels, bits_stored=bits, pixel_size_mm=size, pixel_size_source="phantom",
                      window_center=2100.5, window_width=3900.25, identity=IDENTITY)


def full_range16() -> np.ndarray:
    values = np.random.default_rng(3).integers(0, 65536, size=(33, 47)).astype(np.float32)
    values[0, 0], values[-1, -1] = 0, 65535
    return values


@pytest.mark.parametrize(("suffix", "source"), [("dcm", "PixelSpacing"), ("png", "PNG metadata")])
def test_round_trip_is_exact_for_16bit_integers(tmp_path, suffix, source):
    original = radiograph(full_range16())
    back = load_radiograph(save_radiograph(tmp_path / f"study.{suffix}", original))
    np.testing.assert_array_equal(back.pixels, original.pixels)
    assert back.bits_stored == 16
    assert back.pixel_size_mm == pytest.approx(0.175, rel=1e-12) and back.pixel_size_source == source
    assert (back.window_center, back.window_width) == pytest.approx((2100.5, 3900.25))
    for name in ("patient_id", "study_date", "laterality", "modality"):
        assert getattr(back.identity, name) == getattr(IDENTITY, name), name


@pytest.mark.parametrize("suffix", ["dcm", "png"])
def test_round_trip_keeps_12bit_depth_and_negative_integers(tmp_path, suffix):
    pixels = np.random.default_rng(4).integers(-1024, 3072, size=(20, 20)).astype(np.float32)
    back = load_radiograph(save_radiograph(tmp_path / f"ct.{suffix}", radiograph(pixels, bits=12)))
    np.testing.assert_array_equal(back.pixels, pixels)
    assert back.bits_stored == 12


@pytest.mark.parametrize("suffix", ["dcm", "png"])
def test_non_integer_pixels_are_quantised_to_16_bits(tmp_path, suffix):
    pixels = np.random.default_rng(5).uniform(-3.0, 7.0, size=(25, 25)).astype(np.float32)
    back = load_radiograph(save_radiograph(tmp_path / f"float.{suffix}", radiograph(pixels)))
    assert np.abs(back.pixels - pixels).max() <= 10.0 / 65535  # half a step of 10/65535, with float32 slack


def test_dicom_is_a_valid_monochrome2_object_with_both_spacings(tmp_path):
    original = radiograph(np.arange(12 * 10, dtype=np.float32).reshape(12, 10) * 30, bits=12)
    first = pydicom.dcmread(save_radiograph(tmp_path / "a.dcm", original))
    second = pydicom.dcmread(save_radiograph(tmp_path / "b.dcm", original))
    assert first.file_meta.TransferSyntaxUID == pydicom.uid.ExplicitVRLittleEndian
    assert first.PhotometricInterpretation == "MONOCHROME2"
    assert (first.BitsAllocated, first.BitsStored, first.HighBit) == (16, 12, 11)
    assert [float(v) for v in first.PixelSpacing] == [0.175, 0.175] == [float(v) for v in first.ImagerPixelSpacing]
    assert (first.PatientID, first.StudyDate, first.ImageLaterality, first.Modality) == ("PH-007", "20230517", "R", "DX")
    assert str(first.PatientName) == "Phantom^Hand"  # DICOM keeps the name ...
    assert first.SOPInstanceUID != second.SOPInstanceUID and first.SeriesInstanceUID != second.SeriesInstanceUID
    assert first.file_meta.MediaStorageSOPInstanceUID == first.SOPInstanceUID


def test_png_does_not_carry_the_patient_name(tmp_path):
    path = save_radiograph(tmp_path / "a.png", radiograph(full_range16()))
    assert b"Phantom" not in path.read_bytes()  # ... a PNG does not


def test_unknown_pixel_size_stays_unknown(tmp_path):
    for suffix in ("dcm", "png"):
        back = load_radiograph(save_radiograph(tmp_path / f"nomm.{suffix}", radiograph(full_range16(), size=None)))
        assert back.pixel_size_mm is None and back.pixel_size_source == "unknown"
    assert "PixelSpacing" not in pydicom.dcmread(tmp_path / "nomm.dcm")


def test_unsupported_format_and_failed_save_leave_existing_file(tmp_path):
    with pytest.raises(RadiographError, match=r"^study\.jpg: .*\.dcm or \.png"):
        save_radiograph(tmp_path / "study.jpg", radiograph(full_range16()))
    target = save_radiograph(tmp_path / "study.dcm", radiograph(full_range16()))
    before = target.read_bytes()
    broken = radiograph(full_range16())
    broken.pixels[3, 3] = np.nan
    with pytest.raises(ValueError):
        save_radiograph(target, broken)
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["study.dcm"]  # no temporary left behind
