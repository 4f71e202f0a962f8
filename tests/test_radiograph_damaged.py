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


def test_a_dicom_image_over_the_pixel_limit_is_refused_with_its_size_before_its_pixels_are_decoded(tmp_path, monkeypatch):
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, SecondaryCaptureImageStorage, generate_uid

    side = 9460  # 89.5 million pixels and a few: one row more than Pillow takes in a PNG
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID, meta.MediaStorageSOPInstanceUID = SecondaryCaptureImageStorage, generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta, ds.preamble = meta, b"\0" * 128
    ds.SOPClassUID, ds.SOPInstanceUID = SecondaryCaptureImageStorage, meta.MediaStorageSOPInstanceUID
    ds.Rows = ds.Columns = side
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated = ds.BitsStored = 8
    ds.HighBit, ds.PixelRepresentation = 7, 0
    ds.PixelData = bytes(side * side)
    ds.save_as(tmp_path / "huge.dcm", enforce_file_format=True)
    del ds
    decoded = []
    monkeypatch.setattr("pydicom.dataset.Dataset.pixel_array", property(lambda self: decoded.append(1)))
    with pytest.raises(RadiographError) as caught:  # before: opened, 0.4 GB of grey levels and as much to show them
        load_radiograph(tmp_path / "huge.dcm")
    assert str(caught.value) == ("huge.dcm: image too large to be a radiograph (9460 x 9460 = 89,491,600 pixels; "
                                 "jsnviewer opens at most 89,478,485)")
    assert decoded == []
