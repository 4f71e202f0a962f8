"""Damaged files of every kind end in a RadiographError (one line for the user), never another exception
or a stray library warning."""

from __future__ import annotations

import io

import numpy as np
import pytest
from dicom_support import compress
from PIL import Image
from pydicom.uid import JPEGLosslessSV1

from jsnviewer.errors import RadiographError
from jsnviewer.radiograph import Radiograph, StudyIdentity, load_radiograph, save_radiograph


def originals(tmp_path) -> dict[str, bytes]:
    pixels = np.random.default_rng(0).integers(0, 4096, size=(24, 20)).astype(np.float32)
    r = Radiograph(pixels, bits_stored=12, pixel_size_mm=0.1, identity=StudyIdentity(patient_id="P"))
    jpeg = io.BytesIO()
    Image.fromarray(np.stack([(pixels / 16).astype(np.uint8)] * 3, axis=-1)).save(jpeg, format="JPEG")
    tiff = io.BytesIO()
    Image.fromarray(pixels.astype(np.uint16)).save(tiff, format="TIFF")
    plain = save_radiograph(tmp_path / "a.dcm", r)
    return {
        "tif": tiff.getvalue(),
        "dcm": plain.read_bytes(),
        "ljpeg.dcm": compress(plain, tmp_path / "a.ljpeg.dcm", JPEGLosslessSV1).read_bytes(),  # a native decoder
        "png": save_radiograph(tmp_path / "a.png", r).read_bytes(),
        "jpg": jpeg.getvalue(),
    }


@pytest.mark.filterwarnings("error")  # no library warning may reach the user either
@pytest.mark.parametrize("kind", ["dcm", "ljpeg.dcm", "png", "jpg", "tif"])
def test_cut_flipped_deleted_or_inserted_bytes(tmp_path, kind):
    data = originals(tmp_path)[kind]
    rng = np.random.default_rng(42)
    failures = 0
    for attempt in range(60):
        damaged = bytearray(data)
        where = int(rng.integers(len(damaged)))
        match attempt % 4:
            case 0:
                damaged = damaged[: max(where, 1)]
            case 1:
                for spot in rng.integers(len(damaged), size=8):
                    damaged[spot] = int(rng.integers(256))
            case 2:
                del damaged[where : where + int(rng.integers(1, 40))]
            case 3:
                damaged[where:where] = rng.integers(0, 256, size=int(rng.integers(1, 40)), dtype=np.uint8).tobytes()
        path = tmp_path / f"damaged.{kind}"
        path.write_bytes(bytes(damaged))
        try:
            load_radiograph(path)
        except RadiographError as exc:
            failures += 1
            assert str(exc).startswith(f"damaged.{kind}: ") and "\n" not in str(exc)
    assert failures >= 15  # every cut file is refused (the other kinds of damage may still decode)


def test_the_log_never_names_a_radiograph_that_cannot_be_read(tmp_path, caplog):
    """A DICOM file is often named after the patient, with no ending: the log (sent to IT) must not carry it."""
    import logging

    damaged = tmp_path / "DOE^JOHN"
    damaged.write_bytes(b"\x00" * 128 + b"DICM" + b"\x02\x00\x10\x00UI" + b"\xff" * 40)
    caplog.set_level(logging.DEBUG, logger="jsnviewer")
    with pytest.raises(RadiographError) as error:
        load_radiograph(damaged)
    assert "DOE^JOHN" in str(error.value)  # the user is told which file
    assert caplog.records and "DOE" not in caplog.text


def test_a_link_to_a_file_that_is_gone_is_called_a_broken_link_not_a_missing_file(tmp_path):
    link = tmp_path / "hand.dcm"
    link.symlink_to(tmp_path / "moved" / "hand.dcm")  # the file is named in the folder: "file not found" misleads
    with pytest.raises(RadiographError) as caught:
        load_radiograph(link)
    assert str(caught.value) == f"{link}: broken link (the file it points to is not there)"


def grey_dicom(path, rows: int, columns: int, pixel_data: bytes | None, **elements):
    """An 8-bit grey Secondary Capture file whose header says `rows` × `columns`, holding `pixel_data` as it is."""
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, SecondaryCaptureImageStorage, generate_uid

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID, meta.MediaStorageSOPInstanceUID = SecondaryCaptureImageStorage, generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta, ds.preamble = meta, b"\0" * 128
    ds.SOPClassUID, ds.SOPInstanceUID = SecondaryCaptureImageStorage, meta.MediaStorageSOPInstanceUID
    ds.Rows, ds.Columns = rows, columns
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated = ds.BitsStored = 8
    ds.HighBit, ds.PixelRepresentation = 7, 0
    for name, value in elements.items():
        setattr(ds, name, value)
    if pixel_data is not None:
        ds.PixelData = pixel_data
    ds.save_as(path, enforce_file_format=True)
    return path


def test_a_dicom_image_over_the_pixel_limit_is_refused_with_its_size_before_its_pixels_are_read(tmp_path, monkeypatch):
    import tracemalloc

    side = 9460  # 89.5 million pixels and a few: one row more than Pillow takes in a PNG
    huge = grey_dicom(tmp_path / "huge.dcm", side, side, bytes(side * side))
    decoded = []
    monkeypatch.setattr("pydicom.dataset.Dataset.pixel_array", property(lambda self: decoded.append(1)))
    tracemalloc.start()
    try:
        with pytest.raises(RadiographError) as caught:  # before: opened, 0.4 GB of grey levels and as much to show them
            load_radiograph(huge)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert str(caught.value) == ("huge.dcm: image too large to be a radiograph (9460 x 9460 = 89,491,600 pixels; "
                                 "jsnviewer opens at most 89,478,485)")
    assert decoded == []
    # Refused from its header: its 89 MB of pixel data were read into memory just to be refused (a 12000 × 15000
    # 16-bit file: 360 MB, a scanner's raw export: gigabytes and seconds before the message).
    assert peak < huge.stat().st_size / 20


def cut_inside_pixel_data(path):
    """`path` cut a few bytes into its pixel values, its PixelData element still saying how long it should be."""
    data = path.read_bytes()
    start = data.index(b"\xe0\x7f\x10\x00") + 12  # the tag, VR OB/OW, 2 reserved bytes, 4-byte length
    path.write_bytes(data[: start + 10])
    return path


@pytest.mark.parametrize("rows, columns, frames, expected", [
    (10000, 10000, 1, "image too large to be a radiograph (10000 x 10000 = 100,000,000 pixels; jsnviewer opens at most "
                      "89,478,485)"),
    (20, 20, 3, "multi-frame DICOM (3 frames); jsnviewer reads one radiograph per file"),
])
@pytest.mark.parametrize("pixel_data", ["cut", "absent"])
def test_a_dicom_too_large_or_multi_frame_by_its_header_is_refused_as_such_whatever_its_pixel_data(
        tmp_path, rows, columns, frames, expected, pixel_data):
    """The header is read first: the pixel data of such a file is never read (before, a file cut inside it said
    "truncated DICOM file (ends inside PixelData)", one without it "… holds no pixel data", each only after the
    whole file had been read)."""
    path = grey_dicom(tmp_path / "scan.dcm", rows, columns, bytes(1000) if pixel_data == "cut" else None,
                      NumberOfFrames=frames)
    if pixel_data == "cut":
        cut_inside_pixel_data(path)
    with pytest.raises(RadiographError) as caught:
        load_radiograph(path)
    assert str(caught.value) == f"scan.dcm: {expected}"
