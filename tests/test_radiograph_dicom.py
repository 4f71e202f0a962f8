"""DICOM loading: grey levels, MONOCHROME1, display levels, pixel size sources, identity, bad files.

Every file is built here with pydicom and written to tmp_path."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pydicom
import pydicom.filebase
import pydicom.filewriter
import pytest
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.encaps import encapsulate
from pydicom.uid import (
    BasicTextSRStorage,
    DigitalXRayImageStorageForPresentation,
    ExplicitVRLittleEndian,
    HTJ2KLossless,
    JPEG2000Lossless,
    JPEGLossless,
    JPEGLosslessSV1,
    JPEGLSLossless,
    RLELossless,
    generate_uid,
)
from dicom_support import compress

from jsnviewer.errors import RadiographError
from jsnviewer.radiograph import load_radiograph

RNG = np.random.default_rng(7)


def dicom(path: Path, pixels: np.ndarray | None, *, bits: int = 12, photometric: str = "MONOCHROME2",
          preamble: bool = True, **elements) -> Path:
    """A DX object with `pixels` (uint16, or None for no pixel data) and any extra elements."""
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = DigitalXRayImageStorageForPresentation
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.PatientName = "Doe^Jane"
    ds.PatientID = "RA-0042"
    ds.StudyDate = "20210314"
    ds.Modality = "DX"
    ds.StudyInstanceUID = generate_uid()
    ds.SeriesInstanceUID = generate_uid()
    if pixels is not None:
        ds.set_pixel_data(pixels, photometric, bits)
    for name, value in elements.items():
        setattr(ds, name, value)
    if preamble:
        ds.preamble = b"\0" * 128
        ds.save_as(path, enforce_file_format=True)
    else:
        ds.save_as(path, implicit_vr=False, little_endian=True)
    return path


def ramp12() -> np.ndarray:
    """A 12-bit image that uses the whole 0..4095 range."""
    values = RNG.integers(0, 4096, size=(40, 30), dtype=np.uint16)
    values[0, 0], values[-1, -1] = 0, 4095
    return values


def test_12bit_with_rescale_and_window_keeps_range_and_levels(tmp_path):
    stored = ramp12()
    path = dicom(tmp_path / "hand.dcm", stored, RescaleSlope=2, RescaleIntercept=-1000,
                 WindowCenter=[1500, 800], WindowWidth=[3000, 400], ImageLaterality="L")
    r = load_radiograph(path)
    assert r.pixels.dtype == np.float32 and r.shape == (40, 30) and (r.height, r.width) == (40, 30)
    np.testing.assert_array_equal(r.pixels, stored.astype(np.float32) * 2 - 1000)
    assert r.pixels.max() == 4095 * 2 - 1000  # 12-bit range kept, not squashed to 8 bits
    assert r.bits_stored == 12
    assert (r.window_center, r.window_width) == (1500, 3000)  # first of several windows
    assert r.path == path
    ident = r.identity
    assert (ident.patient_id, ident.study_date, ident.laterality, ident.modality) == ("RA-0042", date(2021, 3, 14), "L", "DX")
    assert ident.patient_name == "Doe^Jane"
    assert "Doe" not in repr(r) and "Doe" not in repr(ident)


def test_monochrome1_is_inverted_so_bone_is_bright(tmp_path):
    stored = ramp12()
    path = dicom(tmp_path / "mono1.dcm", stored, photometric="MONOCHROME1", WindowCenter=1000, WindowWidth=500)
    r = load_radiograph(path)
    np.testing.assert_array_equal(r.pixels, 4095 - stored.astype(np.float32))
    assert r.pixels[0, 0] == 4095 and r.pixels[-1, -1] == 0  # stored 0 (white in MONOCHROME1) is brightest
    assert (r.window_center, r.window_width) == (4095 - 1000, 500)


def test_monochrome1_with_a_rescale_or_signed_pixels_is_mirrored_within_the_files_range(tmp_path):
    """Bone becomes bright and the grey levels stay in the range the file can hold: the darkest value
    becomes the brightest and no value moves outside it (a rescale or signed pixels shift that range)."""
    stored = ramp12()
    path = dicom(tmp_path / "rescaled.dcm", stored, photometric="MONOCHROME1", RescaleSlope=1, RescaleIntercept=-1000)
    r = load_radiograph(path)
    np.testing.assert_array_equal(r.pixels, (4095 - 1000) - stored.astype(np.float32))  # -1000 ↔ 3095
    assert (r.pixels.min(), r.pixels.max()) == (-1000, 3095)

    signed = RNG.integers(-2048, 2048, size=(40, 30), dtype=np.int16)
    signed[0, 0], signed[-1, -1] = -2048, 2047
    r = load_radiograph(dicom(tmp_path / "signed.dcm", signed, photometric="MONOCHROME1", WindowCenter=-300,
                              WindowWidth=800))
    np.testing.assert_array_equal(r.pixels, -1 - signed.astype(np.float32))  # -2048 ↔ 2047
    assert r.window_center == -1 - (-300)


def test_without_window_the_levels_come_from_the_pixels(tmp_path):
    stored = np.full((50, 50), 1000, np.uint16)
    stored[10:40, 10:40] = 3000
    r = load_radiograph(dicom(tmp_path / "nowin.dcm", stored))
    low, high = r.window_center - r.window_width / 2, r.window_center + r.window_width / 2
    assert low <= 1000 + 1 and high >= 3000 - 1 and r.window_width < 2100


@pytest.mark.parametrize(
    ("elements", "size", "source"),
    [
        ({"PixelSpacing": [0.1, 0.1], "ImagerPixelSpacing": [0.15, 0.15]}, 0.1, "PixelSpacing"),
        ({"ImagerPixelSpacing": [0.15, 0.15]}, 0.15, "ImagerPixelSpacing (at detector)"),
        ({"ImagerPixelSpacing": [0.15, 0.15], "EstimatedRadiographicMagnificationFactor": 1.2},
         0.125, "ImagerPixelSpacing corrected by magnification factor 1.2"),
        ({}, None, "unknown"),
        ({"PixelSpacing": [0, 0]}, None, "unknown"),  # a zero spacing is no spacing
        # centimetres written as millimetres: believed, it would shrink the hand a hundredfold
        ({"PixelSpacing": [17.5, 17.5]}, None, "ignored: 17.5 mm (PixelSpacing) is not a hand radiograph's (0.02–0.5 mm)"),
        # non-square pixels: a mean size put a vertical JSN 25 % off in mm
        ({"PixelSpacing": [0.175, 0.35]}, None, "ignored: pixels of 0.175 × 0.35 mm (PixelSpacing) are not square"),
        ({"PixelSpacing": [0.1, 0.1004]}, 0.1002, "PixelSpacing"),  # rounding: one size
    ],
)
def test_pixel_size_only_where_the_file_says_so(tmp_path, elements, size, source):
    r = load_radiograph(dicom(tmp_path / "px.dcm", ramp12(), **elements))
    assert r.pixel_size_source == source
    if size is None:
        assert r.pixel_size_mm is None
    else:
        assert r.pixel_size_mm == pytest.approx(size, rel=1e-9)


def test_dicom_is_recognised_by_content_not_extension(tmp_path):
    stored = ramp12()
    renamed = dicom(tmp_path / "scan.jpg", stored)
    no_preamble = dicom(tmp_path / "IM0001", stored, preamble=False)
    for path in (renamed, no_preamble):
        np.testing.assert_array_equal(load_radiograph(path).pixels, stored)


def test_laterality_falls_back_to_series_laterality_and_keeps_both_hands(tmp_path):
    """ImageLaterality "B" (both hands) was dropped: a two-hand film was "hand not stated" everywhere."""
    from jsnviewer.radiograph import Radiograph, StudyIdentity, save_radiograph

    assert load_radiograph(dicom(tmp_path / "a.dcm", ramp12(), Laterality="R")).identity.laterality == "R"
    assert load_radiograph(dicom(tmp_path / "b.dcm", ramp12(), ImageLaterality="B")).identity.laterality == "B"
    assert load_radiograph(dicom(tmp_path / "c.dcm", ramp12(), ImageLaterality="X")).identity.laterality is None
    written = save_radiograph(tmp_path / "both.dcm", Radiograph(ramp12().astype(np.float32), bits_stored=12,
                                                                identity=StudyIdentity(laterality="B")))
    assert pydicom.dcmread(written).ImageLaterality == "B"
    assert load_radiograph(written).identity.laterality == "B"


def test_rgb_dicom_holding_grey_becomes_one_channel(tmp_path):
    grey = RNG.integers(0, 256, size=(20, 25), dtype=np.uint8)
    r = load_radiograph(dicom(tmp_path / "rgb.dcm", np.stack([grey] * 3, axis=-1), bits=8, photometric="RGB"))
    assert r.shape == (20, 25)
    np.testing.assert_array_equal(r.pixels, grey)


@pytest.mark.parametrize("syntax", [RLELossless, JPEGLosslessSV1, JPEGLossless, JPEGLSLossless, JPEG2000Lossless],
                         ids=["rle", "jpeg-lossless-sv1", "jpeg-lossless", "jpeg-ls", "jpeg-2000"])
def test_compressed_dicom_as_archives_export_it_opens_exactly(tmp_path, syntax):
    """Hospital archives and CR/DX modalities send compressed DICOM, most often JPEG Lossless: before
    GDCM was a dependency, every JPEG Lossless and JPEG-LS file was refused."""
    from pydicom import dcmread

    stored = ramp12()
    plain = dicom(tmp_path / "plain.dcm", stored, PixelSpacing=[0.1, 0.1], ImageLaterality="R")
    packed = tmp_path / "packed.dcm"
    if syntax == RLELossless:
        ds = dcmread(plain)
        ds.compress(RLELossless)  # pydicom's own encoder
        ds.save_as(packed)
    else:
        compress(plain, packed, syntax)
    assert dcmread(packed).file_meta.TransferSyntaxUID == syntax
    r = load_radiograph(packed)
    np.testing.assert_array_equal(r.pixels, stored)
    assert (r.bits_stored, r.pixel_size_mm, r.identity.laterality, r.identity.patient_id) == (12, 0.1, "R", "RA-0042")


def test_jpeg_ls_written_by_another_encoder_opens_as_its_uncompressed_original():
    """pydicom's own sample pair (encoded elsewhere, not by GDCM): the decoded pixels equal the original's."""
    from pydicom.data import get_testdata_file

    original = load_radiograph(Path(get_testdata_file("MR_small.dcm")))
    compressed = load_radiograph(Path(get_testdata_file("MR_small_jpeg_ls_lossless.dcm")))
    assert original.pixels.std() > 100  # a real image, not a blank
    np.testing.assert_array_equal(compressed.pixels, original.pixels)


# --- bad input: each gives RadiographError naming the file and the reason ---------------------------


def expect_error(path: Path, *words: str) -> RadiographError:
    with pytest.raises(RadiographError) as caught:
        load_radiograph(path)
    message = str(caught.value)
    assert message.startswith(f"{path.name}: "), message
    for word in words:
        assert word.lower() in message.lower(), message
    return caught.value


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(RadiographError) as caught:
        load_radiograph(tmp_path / "absent.dcm")
    assert str(caught.value) == f"{tmp_path / 'absent.dcm'}: file not found"  # the whole path: which folder was looked in
    (tmp_path / "study.dcm").mkdir()
    expect_error(tmp_path / "study.dcm", "folder")


def test_empty_file(tmp_path):
    (tmp_path / "empty.dcm").write_bytes(b"")
    expect_error(tmp_path / "empty.dcm", "empty")


def test_garbage_with_dcm_extension(tmp_path):
    path = tmp_path / "garbage.dcm"
    path.write_bytes(np.random.default_rng(1).integers(0, 256, 4000, dtype=np.uint8).tobytes())
    expect_error(path, "not a DICOM file")


@pytest.mark.parametrize("where", ["pixel data", "an element value", "an element header", "the file meta header",
                                   "the pixel data header"])
def test_truncated_dicom(tmp_path, where):
    full = dicom(tmp_path / "full.dcm", ramp12(), PixelSpacing=[0.1, 0.1]).read_bytes()
    pixel_data = len(full) - 40 * 30 * 2  # where the pixel values start
    cut_at = {"pixel data": len(full) - 200, "an element value": pixel_data // 3, "an element header": pixel_data - 3,
              "the file meta header": 140,
              "the pixel data header": pixel_data - 6}[where]  # was "DICOM file without pixel data …, not an image"
    cut = tmp_path / "cut.dcm"
    cut.write_bytes(full[:cut_at])
    expect_error(cut, "truncated")


def test_multi_frame_dicom(tmp_path):
    frames = RNG.integers(0, 4096, size=(3, 20, 20), dtype=np.uint16)
    expect_error(dicom(tmp_path / "cine.dcm", frames), "multi-frame", "3 frames")


def test_frames_beyond_what_number_of_frames_says_are_a_multi_frame_dicom(tmp_path):
    frames = RNG.integers(0, 4096, size=(3, 20, 20), dtype=np.uint16)
    path = dicom(tmp_path / "cine.dcm", frames)
    ds = pydicom.dcmread(path)
    del ds.NumberOfFrames  # it used to open as a 3-pixel-high image
    ds.save_as(path)
    expect_error(path, "multi-frame", "3 frames")


def test_a_bare_data_set_without_file_meta_opens(tmp_path):
    """Older archives write the data set alone (no preamble, no file meta), implicit VR little endian."""
    stored = ramp12()
    ds = pydicom.dcmread(dicom(tmp_path / "full.dcm", stored, PixelSpacing=[0.1, 0.1]))
    del ds.file_meta
    bare = tmp_path / "IM0002"
    with open(bare, "wb") as out:
        pydicom.filewriter.write_dataset(pydicom.filebase.DicomFileLike(out), ds)
    assert not bare.read_bytes()[128:132] == b"DICM"
    r = load_radiograph(bare)
    np.testing.assert_array_equal(r.pixels, stored)
    assert r.pixel_size_mm == pytest.approx(0.1)


def test_dicom_without_pixel_data(tmp_path):
    path = dicom(tmp_path / "report.dcm", None, SOPClassUID=BasicTextSRStorage)
    expect_error(path, "without pixel data", "Basic Text SR")


def test_a_dicomdir_is_named_as_such(tmp_path):
    """A DICOMDIR (the index of a CD) said "DICOM file without pixel data (no SOP class)"."""
    from pydicom.uid import MediaStorageDirectoryStorage

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = MediaStorageDirectoryStorage
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    index = Dataset()
    index.file_meta = meta
    index.preamble = b"\0" * 128
    index.FileSetID = "CD"
    index.DirectoryRecordSequence = []
    index.save_as(tmp_path / "DICOMDIR", enforce_file_format=True)
    expect_error(tmp_path / "DICOMDIR", "without pixel data", "Media Storage Directory", "not an image")


def test_an_image_dicom_cut_just_before_its_pixel_data_says_it_is_damaged(tmp_path):
    """It said "DICOM file without pixel data (SOP class Digital X-Ray …), not an image", as for a report."""
    full = dicom(tmp_path / "full.dcm", ramp12()).read_bytes()
    pixel_data = len(full) - 40 * 30 * 2
    for cut_at in (pixel_data - 12, pixel_data - 10):  # at the PixelData element, inside its tag
        cut = tmp_path / "cut.dcm"
        cut.write_bytes(full[:cut_at])
        expect_error(cut, "30 x 40 image", "no pixel data", "truncated or damaged")


def test_a_compressed_dicom_cut_short_says_it_is_truncated(tmp_path):
    """An RLE file cut inside its pixel data said "DICOM file without pixel data (…), not an image", as for a
    report: pydicom keeps nothing of a data set that ends before an encapsulated element's delimiter."""
    from pydicom import dcmread

    ds = dcmread(dicom(tmp_path / "plain.dcm", ramp12()))
    ds.compress(RLELossless)
    ds.save_as(tmp_path / "rle.dcm")
    full = (tmp_path / "rle.dcm").read_bytes()
    for cut_at in (len(full) - 20, len(full) - 1000, len(full) // 2):
        cut = tmp_path / "cut.dcm"
        cut.write_bytes(full[:cut_at])
        expect_error(cut, "truncated DICOM file")


@pytest.mark.parametrize(("syntax", "name", "reason"), [
    (JPEG2000Lossless, "JPEG 2000", "could not be decoded (corrupt or truncated)"),
    (JPEGLSLossless, "JPEG-LS", "could not be decoded (corrupt or truncated)"),
    (JPEGLosslessSV1, "JPEG Lossless", "could not be decoded (corrupt or truncated)"),
    (HTJ2KLossless, "High-Throughput JPEG 2000", "this installation cannot decode it"),  # no decoder bundled
])
def test_compressed_pixel_data_that_cannot_be_decoded(tmp_path, syntax, name, reason):
    path = dicom(tmp_path / "compressed.dcm", ramp12())
    from pydicom import dcmread

    ds = dcmread(path)
    ds.file_meta.TransferSyntaxUID = syntax
    ds.PixelData = encapsulate([b"\xff\x4f not a codestream " * 8])
    ds["PixelData"].VR = "OB"
    ds.save_as(path, enforce_file_format=True)
    expect_error(path, name, reason)


def test_unsupported_photometric_interpretation(tmp_path):
    palette = RNG.integers(0, 256, size=(10, 10), dtype=np.uint8)
    path = dicom(tmp_path / "palette.dcm", palette, bits=8)
    from pydicom import dcmread

    ds = dcmread(path)
    ds.PhotometricInterpretation = "PALETTE COLOR"
    ds.save_as(path, enforce_file_format=True)
    expect_error(path, "photometric interpretation", "PALETTE COLOR")


@pytest.mark.parametrize(("slope", "words"), [("0", ["RescaleSlope 0", "cannot be worked out"]),
                                              ("abc", ["RescaleSlope abc", "cannot be worked out"]),
                                              ("1e300", ["RescaleSlope 1e300", "overflow"])])
def test_an_unusable_rescale_slope_is_refused_not_shown_as_a_blank_image(tmp_path, slope, words):
    """A slope of 0 or 1e300 used to open as an image of one grey (all 0) without a word; one that is no
    number failed with numpy's 'ufunc ... did not contain a loop with signature matching types'."""
    path = dicom(tmp_path / "hand.dcm", ramp12(), RescaleSlope="7.7777", RescaleIntercept=0)
    path.write_bytes(path.read_bytes().replace(b"7.7777", slope.encode().ljust(6)))  # as the file has it, unchecked
    expect_error(path, *words)


def test_control_characters_in_the_header_are_not_shown(tmp_path):
    """A damaged export put a bell and escape codes into the patient ID: the pair warning printed them raw."""
    from jsnviewer.radiograph import check_pair

    baseline = load_radiograph(dicom(tmp_path / "a.dcm", ramp12(), PatientID="RA\x07-00\x1b42"))
    followup = load_radiograph(dicom(tmp_path / "b.dcm", ramp12(), PatientID="RA-0043\x00"))
    assert baseline.identity.patient_id == "RA-0042" and followup.identity.patient_id == "RA-0043"
    warning = next(w.message for w in check_pair(baseline, followup) if "patient" in w.message)
    assert warning.isprintable() and "RA-0042" in warning
