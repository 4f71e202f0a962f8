"""`jsnviewer info FILE`: what the loader made of a file, one line on error."""

from __future__ import annotations

import json
from datetime import date

import numpy as np
import pytest
from PIL import Image

from jsnviewer.cli.main import main
from jsnviewer.radiograph import Radiograph, StudyIdentity, save_radiograph


def saved_study(tmp_path):
    pixels = np.arange(12 * 10, dtype=np.float32).reshape(12, 10) * 30
    identity = StudyIdentity(patient_id="RA-0042", study_date=date(2022, 2, 1), laterality="L", modality="DX",
                             patient_name="Secret^Name")
    return save_radiograph(tmp_path / "hand.dcm", Radiograph(pixels, bits_stored=12, pixel_size_mm=0.15,
                                                             window_center=1800, window_width=3600, identity=identity))


def test_info_prints_size_depth_mm_identity_and_levels(tmp_path, capsys):
    assert main(["info", str(saved_study(tmp_path))]) == 0
    out = capsys.readouterr().out
    for expected in ("10 x 12 px", "bits stored:    12", "0 .. 3570", "0.15 mm (PixelSpacing)", "RA-0042",
                     "2022-02-01", "laterality:     L", "DX", "centre 1800, width 3600"):
        assert expected in out, expected
    assert "Secret" not in out


def test_info_says_both_hands_for_imagelaterality_b(tmp_path, capsys):
    identity = StudyIdentity(patient_id="RA-0042", laterality="B")
    path = save_radiograph(tmp_path / "both.dcm", Radiograph(np.zeros((12, 20), np.float32), bits_stored=12,
                                                             identity=identity))
    assert main(["info", str(path)]) == 0
    assert "laterality:     B (both hands)" in capsys.readouterr().out
    assert main(["info", "--json", str(path)]) == 0
    assert json.loads(capsys.readouterr().out)["laterality"] == "B"


def test_info_json(tmp_path, capsys):
    assert main(["info", "--json", str(saved_study(tmp_path))]) == 0
    fields = json.loads(capsys.readouterr().out)
    assert fields["pixel_size_mm"] == 0.15 and fields["pixel_size_source"] == "PixelSpacing"
    assert (fields["width_px"], fields["height_px"], fields["bits_stored"]) == (10, 12, 12)
    assert fields["patient_id"] == "RA-0042" and "Secret" not in json.dumps(fields)


def test_info_says_px_when_mm_unknown(tmp_path, capsys):
    Image.fromarray(np.zeros((5, 7), np.uint8)).save(tmp_path / "plain.png")
    assert main(["info", str(tmp_path / "plain.png")]) == 0
    assert "unknown (sizes shown in px)" in capsys.readouterr().out


def test_bad_file_prints_one_line_and_fails(tmp_path, capsys):
    (tmp_path / "broken.dcm").write_bytes(b"DICM" * 10)
    assert main(["info", str(tmp_path / "broken.dcm")]) != 0
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and "broken.dcm" in lines[0] and "Traceback" not in captured.err
    assert captured.out == ""


def test_debug_after_the_command_shows_the_traceback_instead_of_a_usage_error(tmp_path, capsys):
    (tmp_path / "broken.dcm").write_bytes(b"DICM" * 10)
    assert main(["info", str(tmp_path / "broken.dcm"), "--debug"]) != 0
    captured = capsys.readouterr()
    assert "unrecognized arguments" not in captured.err and "broken.dcm" in captured.err


@pytest.mark.parametrize("command", ["info", "analyze"])
def test_a_file_that_is_not_there_is_named_by_its_whole_path(tmp_path, capsys, command):
    missing = tmp_path / "moved" / "hand.dcm"  # where it was looked for tells IT which folder is wrong
    files = [str(missing)] * (1 if command == "info" else 2)
    assert main([command, *files, *(["--out", str(tmp_path / "out"), "--quiet"] if command == "analyze" else [])]) == 2
    assert capsys.readouterr().err.strip().splitlines() == [f"jsnviewer: error: {missing}: file not found"]
