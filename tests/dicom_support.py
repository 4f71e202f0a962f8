"""Compressed DICOM for the tests (and for packaging/ci-package.sh): an uncompressed file re-encoded by
GDCM in a transfer syntax that hospital archives export and pydicom cannot encode itself.

    python tests/dicom_support.py OUT.dcm     writes a 12-bit JPEG Lossless DX radiograph (a ramp)
"""

from __future__ import annotations

import sys
from pathlib import Path

import gdcm
from pydicom.uid import JPEG2000Lossless, JPEGLossless, JPEGLosslessSV1, JPEGLSLossless

GDCM_SYNTAX = {
    JPEGLosslessSV1: gdcm.TransferSyntax.JPEGLosslessProcess14_1,
    JPEGLossless: gdcm.TransferSyntax.JPEGLosslessProcess14,
    JPEGLSLossless: gdcm.TransferSyntax.JPEGLSLossless,
    JPEG2000Lossless: gdcm.TransferSyntax.JPEG2000Lossless,
}


def compress(source: Path, target: Path, syntax: str) -> Path:
    """`source` (any DICOM GDCM reads) written to `target` with its pixel data compressed as `syntax`."""
    reader = gdcm.ImageReader()
    reader.SetFileName(str(source))
    if not reader.Read():
        raise ValueError(f"GDCM cannot read {source}")
    change = gdcm.ImageChangeTransferSyntax()
    change.SetTransferSyntax(gdcm.TransferSyntax(GDCM_SYNTAX[syntax]))
    change.SetInput(reader.GetImage())
    if not change.Change():
        raise ValueError(f"GDCM cannot compress {source} as {syntax}")
    writer = gdcm.ImageWriter()
    writer.SetFileName(str(target))
    writer.SetFile(reader.GetFile())
    writer.SetImage(change.GetOutput())
    if not writer.Write():
        raise OSError(f"GDCM cannot write {target}")
    return target


def main(out: str) -> None:
    import numpy as np

    from jsnviewer.radiograph import Radiograph, StudyIdentity, save_radiograph

    ramp = (np.arange(64 * 48, dtype=np.float32).reshape(64, 48) * 4) % 4096
    plain = Path(out).with_suffix(".plain.dcm")
    save_radiograph(plain, Radiograph(ramp, bits_stored=12, pixel_size_mm=0.1,
                                      identity=StudyIdentity(patient_id="P", modality="DX")))
    compress(plain, Path(out), JPEGLosslessSV1)
    plain.unlink()


if __name__ == "__main__":
    main(sys.argv[1])
