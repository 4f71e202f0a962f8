"""DICOM radiographs: read with pydicom (rescale, MONOCHROME1, window, pixel size, identity), write
a Secondary Capture object that reads back to the same pixels, pixel size and identity."""

from __future__ import annotations

import logging
import re
import struct
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import numpy as np
import pydicom
from pydicom.dataelem import RawDataElement
from pydicom.datadict import keyword_for_tag
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.pixels import apply_modality_lut, get_decoder
from pydicom.uid import (JPEG2000, UID, ExplicitVRBigEndian, ExplicitVRLittleEndian, ImplicitVRLittleEndian, JPEG2000Lossless,
                         JPEGBaseline8Bit, JPEGExtended12Bit, JPEGLossless, JPEGLosslessSV1, JPEGLSLossless,
                         JPEGLSNearLossless, RLELossless, SecondaryCaptureImageStorage, generate_uid)
from pydicom.valuerep import DS

from jsnviewer.errors import RadiographError
from jsnviewer.radiograph.color import grey_from_colour
from jsnviewer.radiograph.model import (IGNORED_PIXEL_SIZE, UNKNOWN_PIXEL_SIZE, Radiograph, StudyIdentity, to_stored_pixels,
                                        too_large)

log = logging.getLogger(__name__)

_GREY = ("MONOCHROME1", "MONOCHROME2")
_COLOUR = ("RGB", "YBR_FULL", "YBR_FULL_422", "YBR_ICT", "YBR_RCT", "YBR_PARTIAL_420")
_PIXEL_TAGS = ("PixelData", "FloatPixelData", "DoubleFloatPixelData")

# What hospital archives and CR/DX modalities export; an installation must decode every one of them.
CLINICAL_SYNTAXES = (RLELossless, JPEGBaseline8Bit, JPEGExtended12Bit, JPEGLossless, JPEGLosslessSV1, JPEGLSLossless,
                     JPEGLSNearLossless, JPEG2000Lossless, JPEG2000)


@contextmanager
def _quiet_pydicom() -> Iterator[None]:
    """pydicom logs decoder tracebacks and warns on odd headers; our RadiographError says it in one line."""
    logger = logging.getLogger("pydicom")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(level)


def has_dicom_prefix(path: Path) -> bool:
    """The 128-byte preamble followed by 'DICM' (DICOM Part 10 files)."""
    with open(path, "rb") as fh:
        return fh.read(132)[128:132] == b"DICM"


def parses_as_dicom(path: Path) -> bool:
    """A DICOM data set without the Part 10 preamble (older modalities and archives write these)."""
    try:
        with _quiet_pydicom():
            ds = pydicom.dcmread(path, force=True, stop_before_pixels=True)
    except Exception:
        return False
    # A forced parse of any bytes yields *something*; only trust it when it has real image/study tags.
    return any(tag in ds for tag in ("SOPClassUID", "Modality", "Rows", "StudyInstanceUID"))


def read_identity(path: Path) -> StudyIdentity | None:
    """The study identity in a DICOM file's header, its pixels not read; None for a file that is no DICOM Part 10
    file or cannot be read."""
    try:
        if not has_dicom_prefix(path):
            return None
        with _quiet_pydicom():
            return _identity(pydicom.dcmread(path, stop_before_pixels=True))
    except Exception:  # a damaged header is no identity; reading the radiograph says what is wrong with it
        return None


def read_dicom(path: Path) -> Radiograph:
    with _quiet_pydicom():
        try:
            return _read_dicom(path)
        except RadiographError:
            raise
        except Exception as exc:  # pydicom converts values lazily: a damaged element fails wherever it is read
            raise RadiographError(path, f"corrupt DICOM file ({_short(exc)})") from exc


def _read_dicom(path: Path) -> Radiograph:
    _refuse_from_header(path)
    try:
        with warnings.catch_warnings(record=True) as warned:
            warnings.simplefilter("always")
            ds = pydicom.dcmread(path, force=True)
    except (EOFError, struct.error) as exc:  # the file ends inside an element header
        raise RadiographError(path, "truncated DICOM file (ends inside an element header)") from exc
    except Exception as exc:
        raise RadiographError(path, f"corrupt DICOM file ({_short(exc)})") from exc
    _check_complete(path, ds)
    _name_bare_encoding(ds)
    if not any(tag in ds for tag in _PIXEL_TAGS):
        # Cut inside an element of undefined length (compressed pixel data: RLE, JPEG …), pydicom warns and
        # keeps none of the data set.
        if any("End of file reached before delimiter" in str(w.message) for w in warned):
            raise RadiographError(path, "truncated DICOM file (it ends before its data is complete)")
        if _ends_in_pixel_data_header(path):
            raise RadiographError(path, "truncated DICOM file (ends inside PixelData)")
        if _int(ds.get("Rows")) and _int(ds.get("Columns")):  # cut just before its pixel data, or stripped of it
            raise RadiographError(path, f"DICOM file describes a {_int(ds.Columns)} x {_int(ds.Rows)} image but holds no "
                                        "pixel data (truncated or damaged)")
        raise RadiographError(path, f"DICOM file without pixel data ({_sop_class_name(ds)}), not an image")
    if "PixelData" not in ds:
        raise RadiographError(path, "DICOM float pixel data (parametric map) is not a radiograph")
    # Refused from the header already, unless an element there could not be read: then it fails here, in the order
    # of the checks a damaged file has always gone through.
    frames = _int(ds.get("NumberOfFrames")) or 1
    if frames > 1:
        raise RadiographError(path, _multi_frame(frames))
    photometric = str(ds.get("PhotometricInterpretation", "")).strip().upper()
    if photometric not in _GREY + _COLOUR:
        raise RadiographError(path, f"unsupported photometric interpretation {photometric or '(missing)'}")

    large = too_large(_int(ds.get("Columns")) or 0, _int(ds.get("Rows")) or 0)
    if large:
        raise RadiographError(path, large)
    stored = _decode(path, ds)
    colour = (_int(ds.get("SamplesPerPixel")) or 1) > 1
    if stored.ndim > (3 if colour else 2):
        # pydicom returns every frame the pixel data holds, whatever NumberOfFrames says
        raise RadiographError(path, f"multi-frame DICOM ({stored.shape[0]} frames in its pixel data); jsnviewer reads one radiograph per file")
    if stored.ndim == 3:
        stored = grey_from_colour(path, stored, full_scale=2 ** int(ds.get("BitsStored", 8)) - 1)
    elif stored.ndim != 2:
        raise RadiographError(path, f"unexpected pixel array shape {stored.shape}")

    bits = int(ds.get("BitsStored") or ds.get("BitsAllocated") or 16)
    _check_rescale(path, ds)
    pixels = np.asarray(apply_modality_lut(stored, ds), dtype=np.float32)
    if not np.isfinite(pixels).all():
        raise RadiographError(path, f"unusable rescale ({_rescale_text(ds)}): the grey levels overflow")
    center, width = _window(ds)
    if photometric == "MONOCHROME1":
        # Mirror within the range the file can hold, so bone becomes bright and the grey levels keep their span.
        signed = int(ds.get("PixelRepresentation", 0)) == 1
        lo, hi = (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1) if signed else (0, 2**bits - 1)
        ends = np.asarray(apply_modality_lut(np.array([lo, hi]), ds), dtype=np.float64)
        pivot = float(ends.min() + ends.max())
        pixels = (pivot - pixels).astype(np.float32)
        if center is not None:
            center = pivot - center
    size, source = _pixel_size(ds)
    return Radiograph(
        pixels=pixels,
        path=path,
        bits_stored=bits,
        pixel_size_mm=size,
        pixel_size_source=source,
        window_center=center,
        window_width=width,
        identity=_identity(ds),
    )


def _refuse_from_header(path: Path) -> None:
    """Refuse a multi-frame or too large image from its header, before its pixel data is read into memory (a
    12000 × 15000 file is 360 MB of bytes read just to be refused). A header that cannot be read is left to the
    whole file's read, which says what is wrong with it."""
    try:
        header = pydicom.dcmread(path, force=True, stop_before_pixels=True)
        frames, width, height = (_int(header.get(name)) for name in ("NumberOfFrames", "Columns", "Rows"))
    except Exception:
        return
    if (frames or 1) > 1:
        raise RadiographError(path, _multi_frame(frames))
    large = too_large(width or 0, height or 0)
    if large:
        raise RadiographError(path, large)


def _multi_frame(frames: int) -> str:
    return f"multi-frame DICOM ({frames} frames); jsnviewer reads one radiograph per file"


def write_dicom(path: Path, radiograph: Radiograph) -> None:
    """Write `radiograph` to `path` (a temporary file: the caller makes it atomic)."""
    stored = to_stored_pixels(radiograph)
    ident = radiograph.identity
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = SecondaryCaptureImageStorage
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.preamble = b"\0" * 128
    ds.SpecificCharacterSet = "ISO_IR 192"  # UTF-8
    ds.SOPClassUID = SecondaryCaptureImageStorage
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID = ident.study_uid or generate_uid()
    ds.SeriesInstanceUID = generate_uid()
    ds.PatientName = ident.patient_name or ""
    ds.PatientID = ident.patient_id or ""
    ds.PatientBirthDate = ""
    ds.PatientSex = ""
    ds.StudyDate = ident.study_date.strftime("%Y%m%d") if ident.study_date else ""
    ds.StudyTime = ""
    ds.ReferringPhysicianName = ""
    ds.StudyID = ""
    ds.AccessionNumber = ""
    ds.Modality = ident.modality or "OT"
    ds.SeriesNumber = 1
    ds.InstanceNumber = 1
    ds.ConversionType = "WSD"
    ds.PatientOrientation = ""
    if ident.laterality in ("L", "R", "B"):  # "B": both hands
        ds.ImageLaterality = ident.laterality
    if ident.body_part:
        ds.BodyPartExamined = ident.body_part
    ds.set_pixel_data(stored.values, "MONOCHROME2", stored.bits_stored, generate_instance_uid=False)
    if not stored.is_identity:
        ds.RescaleIntercept = _ds(stored.intercept)
        ds.RescaleSlope = _ds(stored.slope)
        ds.RescaleType = "US"
    ds.WindowCenter = _ds(radiograph.window_center)
    ds.WindowWidth = _ds(radiograph.window_width)
    if radiograph.pixel_size_mm is not None:
        spacing = [_ds(radiograph.pixel_size_mm)] * 2
        ds.PixelSpacing = spacing
        ds.ImagerPixelSpacing = spacing
    ds.save_as(path, enforce_file_format=True)


def can_decode(syntax: UID) -> bool:
    """Whether this installation has a decoder for pixel data compressed with `syntax`."""
    try:
        return get_decoder(syntax).is_available
    except NotImplementedError:
        return False


def missing_decoders() -> list[str]:
    """The clinical transfer syntaxes this installation cannot decode (empty when it is complete)."""
    return list(dict.fromkeys(_syntax_name(syntax) for syntax in CLINICAL_SYNTAXES if not can_decode(syntax)))


def _decode(path: Path, ds: Dataset) -> np.ndarray:
    syntax = getattr(getattr(ds, "file_meta", None), "TransferSyntaxUID", None)
    if syntax is not None and syntax.is_compressed:
        name = _syntax_name(syntax)
        if not can_decode(syntax):
            raise RadiographError(path, f"pixel data compressed as {name}; this installation cannot decode it")
        try:
            return ds.pixel_array
        except Exception as exc:
            raise RadiographError(path, f"pixel data compressed as {name} could not be decoded (corrupt or truncated)") from exc
    try:
        return ds.pixel_array
    except Exception as exc:
        text = str(exc)
        if "less than expected" in text or "truncated" in text:
            raise RadiographError(path, "truncated DICOM file (pixel data is shorter than the image size)") from exc
        raise RadiographError(path, f"corrupt DICOM pixel data ({_short(exc)})") from exc


def _ends_in_pixel_data_header(path: Path) -> bool:
    """pydicom stops without a word at a file cut inside the PixelData element's 12-byte header."""
    with open(path, "rb") as fh:
        fh.seek(max(path.stat().st_size - 11, 0))
        tail = fh.read()
    return b"\xe0\x7f\x10\x00" in tail or b"\x7f\xe0\x00\x10" in tail


def _check_rescale(path: Path, ds: Dataset) -> None:
    """pydicom applies RescaleSlope/RescaleIntercept as they are: a slope of 0 made every pixel one grey (a blank
    image shown as if it were the radiograph), a value that is no number failed deep in numpy."""
    if ds.get("ModalityLUTSequence") or "RescaleSlope" not in ds or "RescaleIntercept" not in ds:
        return  # a modality LUT is used instead, or no rescale at all
    slope, intercept = _first(ds.get("RescaleSlope")), _first(ds.get("RescaleIntercept"))
    if slope is None or slope == 0 or intercept is None:
        raise RadiographError(path, f"unusable rescale ({_rescale_text(ds)}): the grey levels cannot be worked out")


def _rescale_text(ds: Dataset) -> str:
    return ", ".join(f"{name} {str(ds.get(name))[:24] or '(empty)'}" for name in ("RescaleSlope", "RescaleIntercept"))


def _check_complete(path: Path, ds: Dataset) -> None:
    """pydicom reads a cut-off file without complaint; an element shorter than its stated length gives it away."""
    for dataset in (getattr(ds, "file_meta", None), ds):
        if dataset is None:
            continue
        for tag in list(dataset.keys()):
            elem = dataset.get_item(tag)
            if (
                isinstance(elem, RawDataElement)
                and elem.value is not None
                and elem.length != 0xFFFFFFFF
                and len(elem.value) < elem.length
            ):
                name = keyword_for_tag(elem.tag)
                if name:
                    raise RadiographError(path, f"truncated DICOM file (ends inside {name})")
                raise RadiographError(path, "corrupt or truncated DICOM file (an element runs past the end of the file)")
    meta = getattr(ds, "file_meta", None)
    if meta is not None and "TransferSyntaxUID" not in meta and getattr(ds, "preamble", None) is not None:
        raise RadiographError(path, "truncated or corrupt DICOM file (its file meta header is incomplete)")


def _name_bare_encoding(ds: Dataset) -> None:
    """A bare data set (no preamble, no file meta: older archives write them) is uncompressed, in the
    encoding pydicom found while reading it; the pixel decoder needs that named."""
    if getattr(ds, "preamble", None) is not None or "TransferSyntaxUID" in (getattr(ds, "file_meta", None) or {}):
        return
    implicit, little = ds.original_encoding
    if little is None:
        return
    if not hasattr(ds, "file_meta") or ds.file_meta is None:
        ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = (ImplicitVRLittleEndian if implicit else ExplicitVRLittleEndian) if little else ExplicitVRBigEndian


def _window(ds: Dataset) -> tuple[float | None, float | None]:
    """The file's first VOI window; a VOI LUT table is approximated by the window of its input range."""
    center, width = _first(ds.get("WindowCenter")), _first(ds.get("WindowWidth"))
    if center is not None and width is not None and width > 0:
        return center, width
    for item in ds.get("VOILUTSequence", []) or []:
        descriptor = item.get("LUTDescriptor")
        if descriptor and len(descriptor) >= 2:
            entries = int(descriptor[0]) or 65536
            first = float(descriptor[1])
            return first + entries / 2.0, float(entries)
    return None, None


NON_SQUARE_TOLERANCE = 0.01  # spacings that differ by less (rounding) are one pixel size, their mean


def _pixel_size(ds: Dataset) -> tuple[float | None, str]:
    """Millimetres only where the file says so (design notes); never invented. Non-square pixels give no
    pixel size: a JSN runs along the finger, whatever its direction, so one size would be wrong in mm."""
    for tag in ("PixelSpacing", "ImagerPixelSpacing"):
        values = _spacings(ds.get(tag))
        if values is None:
            continue
        if max(values) - min(values) > NON_SQUARE_TOLERANCE * max(values):
            log.warning("non-square pixels (%g x %g mm): lengths in px", values[0], values[1])
            return None, f"{IGNORED_PIXEL_SIZE} pixels of {values[0]:g} × {values[1]:g} mm ({tag}) are not square"
        spacing = float(np.mean(values))
        if tag == "PixelSpacing":
            return spacing, "PixelSpacing"
        factor = _first(ds.get("EstimatedRadiographicMagnificationFactor"))
        if factor is not None and factor > 0 and factor != 1.0:
            return spacing / factor, f"ImagerPixelSpacing corrected by magnification factor {factor:g}"
        return spacing, "ImagerPixelSpacing (at detector)"
    return None, UNKNOWN_PIXEL_SIZE


def _spacings(value) -> list[float] | None:
    """The (row, column) spacing of a DICOM spacing value (one number: both); None unless positive numbers."""
    if value is None:
        return None
    try:
        values = [float(v) for v in (value if isinstance(value, (list, tuple, pydicom.multival.MultiValue)) else [value])]
    except (TypeError, ValueError):
        return None
    if not values or not all(np.isfinite(v) and v > 0 for v in values):
        return None
    return values[:2] if len(values) >= 2 else values * 2


def _identity(ds: Dataset) -> StudyIdentity:
    laterality = _text(ds.get("ImageLaterality")) or _text(ds.get("Laterality"))
    return StudyIdentity(
        patient_id=_text(ds.get("PatientID")),
        study_date=_date(ds.get("StudyDate")),
        laterality=laterality.upper() if laterality and laterality.upper() in ("L", "R", "B") else None,
        modality=_text(ds.get("Modality")),
        body_part=_text(ds.get("BodyPartExamined")),
        study_uid=_text(ds.get("StudyInstanceUID")),
        series_uid=_text(ds.get("SeriesInstanceUID")),
        patient_name=_text(ds.get("PatientName")),
    )


def _date(value) -> date | None:
    digits = "".join(ch for ch in str(value or "") if ch.isdigit())
    if len(digits) != 8:
        return None
    try:
        return date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        return None


def _text(value) -> str | None:
    # control characters (a damaged or badly exported header) would be shown raw in titles and warnings
    text = "".join(c for c in str(value) if c.isprintable()).strip() if value is not None else ""
    return text or None


def _first(value) -> float | None:
    if value is None or value == "":
        return None
    if isinstance(value, (list, tuple, pydicom.multival.MultiValue)):
        if not value:
            return None
        value = value[0]
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if np.isfinite(number) else None


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _ds(value: float) -> DS:
    return DS(float(value), auto_format=True)


def _syntax_name(syntax) -> str:
    """'JPEG 2000 Image Compression (Lossless Only)' -> 'JPEG 2000 Image Compression'."""
    return syntax.name.split(",")[0].split(" (")[0]


def _sop_class_name(ds: Dataset) -> str:
    # a DICOMDIR (the index of a CD or USB stick) names its class in the file meta only
    uid = ds.get("SOPClassUID") or (getattr(ds, "file_meta", None) or {}).get("MediaStorageSOPClassUID")
    return f"SOP class {uid.name}" if uid is not None else "no SOP class"


def _short(exc: Exception) -> str:
    """First line of an exception, with quoted values blanked: a damaged element may hold a patient's name. One
    without words (pydicom's decoders raise bare ones) is logged, its type being all it says."""
    if not str(exc):
        log.info("a DICOM file cannot be decoded", exc_info=exc)
        return "it cannot be decoded"
    text = str(exc).splitlines()[0]
    return re.sub(r"'[^']*'|\"[^\"]*\"", "'…'", text)[:160]
