"""The one radiograph loader and saver: DICOM by content, other images through Pillow."""

from __future__ import annotations

import errno
import logging
from pathlib import Path

from jsnviewer.atomic import atomic_write
from jsnviewer.errors import RadiographError
from jsnviewer.radiograph.dicom import has_dicom_prefix, parses_as_dicom, read_dicom, write_dicom
from jsnviewer.radiograph.model import Radiograph
from jsnviewer.radiograph.picture import is_picture, read_picture, write_png

log = logging.getLogger(__name__)

_SAVE_FORMATS = {"dcm": write_dicom, "dicom": write_dicom, "png": write_png}
# The file names a radiograph usually has (the loader itself goes by content; a DICOM file may have none)
RADIOGRAPH_SUFFIXES = (".dcm", ".dicom", ".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp")


def load_radiograph(path: str | Path) -> Radiograph:
    """Read a DICOM, PNG, JPEG, BMP or TIFF radiograph.

    Raises RadiographError naming the file and the reason for anything that is not one readable,
    single-frame grey radiograph (missing, empty, truncated, corrupt, undecodable, colour...).
    """
    path = Path(path)
    try:
        _check_file(path)
        if has_dicom_prefix(path):
            return read_dicom(path)
        if is_picture(path):
            return read_picture(path)
        if parses_as_dicom(path):
            return read_dicom(path)
        kind = _image_signature(path)
        if kind:
            raise RadiographError(path, f"corrupt {kind} file (starts like one but cannot be decoded)")
        raise RadiographError(path, "not a DICOM file or an image jsnviewer can read (unrecognised content)")
    except RadiographError as exc:
        log.info("cannot load a radiograph (%s): %s", path.suffix or "file without ending", exc.reason)  # no name: it may be the patient's
        raise
    except OSError as exc:
        log.info("cannot load a radiograph (%s): %s", path.suffix or "file without ending", exc.strerror or exc)
        raise RadiographError(path, f"cannot read the file ({exc.strerror or exc})") from exc


def save_radiograph(path: str | Path, radiograph: Radiograph, format: str | None = None) -> Path:
    """Write `radiograph` atomically as DICOM ("dcm") or 16-bit grey PNG ("png"); by default from the suffix.

    Integer pixels in 0..65535 (and any integer data spanning at most 65535 levels) round-trip exactly,
    as do pixel size, display levels and the study identity fields.
    """
    path = Path(path)
    fmt = (format or path.suffix.lstrip(".")).lower()
    writer = _SAVE_FORMATS.get(fmt)
    if writer is None:
        raise RadiographError(path, f"cannot save a radiograph as '{fmt or 'no extension'}'; use .dcm or .png")
    try:
        return atomic_write(path, lambda tmp: writer(tmp, radiograph))
    except OSError as exc:
        # pydicom re-raises a failed write (a full disk) as a bare OSError whose message is the DICOM tag and
        # a traceback: give back the system's reason and this file's name instead.
        cause = exc
        while cause.errno is None and isinstance(cause.__cause__, OSError):
            cause = cause.__cause__
        raise OSError(cause.errno, cause.strerror or str(cause), str(path)) from exc


_SIGNATURES = {b"\x89PNG": "PNG", b"\xff\xd8\xff": "JPEG", b"II*\x00": "TIFF", b"MM\x00*": "TIFF", b"BM": "BMP"}


def _image_signature(path: Path) -> str | None:
    with open(path, "rb") as fh:
        head = fh.read(8)
    return next((kind for magic, kind in _SIGNATURES.items() if head.startswith(magic)), None)


def _check_file(path: Path) -> None:
    if not path.exists():
        if path.is_symlink():  # a link, not the file: "file not found" would send the user looking for the wrong thing
            try:
                path.stat()
            except OSError as exc:
                if exc.errno == errno.ELOOP:
                    raise RadiographError(path, "symbolic link loop (the link leads back to itself, not to a file)",
                                          whole_path=True) from exc
            raise RadiographError(path, "broken link (the file it points to is not there)", whole_path=True)
        raise RadiographError(path, "file not found", whole_path=True)  # the folder may be what is wrong
    if path.is_dir():
        raise RadiographError(path, "is a folder, not a radiograph file")
    if path.stat().st_size == 0:
        raise RadiographError(path, "empty file (0 bytes)")
