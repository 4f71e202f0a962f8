"""Radiograph I/O, study identity and baseline/follow-up pair checks (no Qt).

`load_radiograph` is the one loader for DICOM, PNG, JPEG, BMP and TIFF; `save_radiograph` writes
DICOM or 16-bit PNG that read back to the same pixels, pixel size and identity.
"""

from jsnviewer.radiograph.io import RADIOGRAPH_SUFFIXES, load_radiograph, save_radiograph
from jsnviewer.radiograph.model import Radiograph, StudyIdentity, percentile_window
from jsnviewer.radiograph.pair import PairWarning, check_pair

__all__ = [
    "RADIOGRAPH_SUFFIXES",
    "PairWarning",
    "Radiograph",
    "StudyIdentity",
    "check_pair",
    "load_radiograph",
    "percentile_window",
    "save_radiograph",
]
