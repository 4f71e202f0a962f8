"""The window's log file: a disk that fills up silences it after one note, never a traceback per line."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from jsnviewer.gui.log_file import start_log_file
from gui_support import make_window, settings_store  # noqa: F401


@pytest.fixture
def root_logger():
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield root
    for handler in root.handlers[:]:
        if handler not in handlers:
            root.removeHandler(handler)
            handler.close()
    root.setLevel(level)


def test_the_log_keeps_info_lines_and_rolls_over_when_large(tmp_path, root_logger):
    log = tmp_path / "logs" / "jsnviewer.log"
    log.parent.mkdir()
    log.write_text("x" * 1_200_000)
    assert start_log_file(log) == log
    logging.getLogger("jsnviewer.test").info("models loaded")
    assert log.read_text().endswith("INFO jsnviewer.test: models loaded\n")
    assert (tmp_path / "logs" / "jsnviewer.log.1").stat().st_size == 1_200_000


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full (a device that is always full)")
def test_a_full_disk_gives_one_note_instead_of_a_traceback_per_line(root_logger, capsys):
    assert start_log_file(Path("/dev/full")) is not None
    for n in range(3):
        logging.getLogger("jsnviewer.test").info("line %d", n)
    err = capsys.readouterr().err
    assert "Traceback" not in err and "Logging error" not in err
    assert err.count("the log file /dev/full cannot be written any more (No space left on device") == 1


def test_the_log_names_no_radiograph_and_no_folder_of_the_user_but_keeps_the_programs_own(tmp_path, root_logger):
    log = tmp_path / "data" / "jsnviewer.log"
    program = tmp_path / "opt" / "jsnviewer"
    assert start_log_file(log, (program,)) == log
    logging.getLogger("jsnviewer.test").info("Cannot open DOE_JANE.dcm: Permission denied (/data/Jane Doe/hand 1.png)")
    logging.getLogger("jsnviewer.test").info("models from %s", program / "models" / "segmenter.pt")
    logging.getLogger("jsnviewer.test").info("elsewhere %s", str(program) + "2/x")
    text = log.read_text()
    assert "Jane" not in text and "JANE" not in text and "/data" not in text
    assert "Cannot open <file>.dcm: Permission denied (<path> <file>.png)" in text
    assert str(program / "models" / "segmenter.pt") in text  # IT needs the program's own files
    assert "elsewhere <path>" in text  # a folder that only begins like the program's is the user's


def test_a_radiograph_without_a_file_ending_opened_in_the_window_is_not_named_in_the_log(
        tmp_path, root_logger, qtbot, make_window):
    """DICOM files often have no ending; one named after the patient reached the log in the window's error line."""
    log = tmp_path / "data" / "jsnviewer.log"
    assert start_log_file(log) == log
    window = make_window()
    (tmp_path / "DOE_JANE").write_bytes(b"DICM" + b"\x00" * 40)  # a damaged file: the window shows an error
    window.open_study(tmp_path / "DOE_JANE", None)
    qtbot.waitUntil(lambda: window.task is None and bool(window.warnings.messages()), timeout=10_000)
    assert any("DOE_JANE" in text for _, text in window.warnings.messages())  # the user is told which file
    for handler in logging.getLogger().handlers:
        handler.flush()
    text = log.read_text()
    assert "shows an error" in text and "DOE_JANE" not in text and "<file>" in text


def test_folders_named_with_commas_or_brackets_and_relative_paths_do_not_leak_a_patients_name(tmp_path, root_logger):
    """"/home/u/Doe, Jane/hand.dcm" reached the log as "<path>, Jane<path>"."""
    from jsnviewer.gui.log_file import keep_out_of_log

    log = tmp_path / "data" / "jsnviewer.log"
    program = tmp_path / "opt" / "jsnviewer"
    assert start_log_file(log, (program,)) == log
    keep_out_of_log("/elsewhere/jsnviewer/models/scan.dcm")  # folder names the program's own path shares
    logger = logging.getLogger("jsnviewer.test")
    logger.info("models from %s", program / "models" / "segmenter.pt")
    logger.info("/home/u/Doe, Jane/hand.dcm failed")
    logger.info(r"C:\Users\Smith (John)\x.dcm: bad")
    keep_out_of_log("/studies/Roe Richard/2019-01-28/IMG0001")  # opened in the window
    logger.info("cannot open Roe Richard/2019-01-28/IMG0001 again")
    text = log.read_text()
    assert "Jane" not in text and "John" not in text and "Richard" not in text and "IMG0001" not in text
    assert "<path> failed" in text and "<path>: bad" in text and "cannot open " in text
    assert str(program / "models" / "segmenter.pt") in text  # IT still sees the program's own files
