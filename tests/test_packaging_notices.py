"""THIRD-PARTY-NOTICES.txt of the packaged program (packaging/notices.py): clinic IT must find every
bundled library's licence, and Qt's LGPL terms, beside the program."""

from __future__ import annotations

import sys
from pathlib import Path

import gdcm
import numpy
import PySide6.QtCore
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "packaging"))
from notices import bundled, licence_of, notices, write_notices  # noqa: E402


def test_bundled_files_are_traced_to_their_distributions_and_the_rest_listed_as_system_libraries(tmp_path):
    foreign = tmp_path / "libfromthebuildmachine.so.3"
    foreign.write_bytes(b"\x7fELF")
    import jsnviewer

    dists, system = bundled([torch.__file__, PySide6.QtCore.__file__, gdcm.__file__, numpy.__file__, foreign,
                             tmp_path / "not-a-library.txt", jsnviewer.__file__])  # the product is not third-party
    assert [d.metadata["Name"].lower().replace("_", "-") for d in dists] == [
        "numpy", "pyside6-essentials", "python-gdcm", "torch"]
    assert system == ["libfromthebuildmachine.so.3"]


def test_notices_give_each_licence_with_its_full_text_and_the_lgpl_terms(tmp_path):
    path = write_notices([torch.__file__, PySide6.QtCore.__file__, gdcm.__file__], tmp_path / "NOTICES.txt")
    text = path.read_text(encoding="utf-8")
    summary = text.split("\n\n")[1]
    assert "torch 2.13.0" in summary and "BSD-3-Clause" in summary
    assert "PySide6_Essentials" in summary and "LGPL-3.0-only" in summary
    assert "python-gdcm" in summary and "Python 3.11" in summary
    assert "you may replace them" in text and "code.qt.io" in text
    assert "From PyTorch:" in text  # torch's own LICENSE, in full
    assert text.count("=" * 78) >= 4


def test_a_distribution_with_only_a_long_licence_field_is_named_by_its_classifier():
    from importlib.metadata import distribution

    scipy = distribution("scipy")  # its License field is the whole BSD text
    assert licence_of(scipy) == "BSD License"
    assert notices([scipy], []).splitlines()[3].startswith("  scipy ")
