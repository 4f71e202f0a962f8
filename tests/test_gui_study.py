"""Opening studies and looking at them: identity, pair warnings, bad files, window/level, readout, linked views."""

from __future__ import annotations

import gc
import weakref

from datetime import date
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent

from jsnviewer.gui.image_view import FILE_WINDOW, HAND_WINDOW, Tool
from jsnviewer.gui.main_window import BASELINE, FOLLOWUP
from jsnviewer.dataset import open_dataset
from jsnviewer.gui.settings import add_recent_study, recent_studies
from jsnviewer.radiograph import load_radiograph
from gui_support import (drag, make_window, open_and_wait, settings_store, study, wait_saved,  # noqa: F401
                         write_radiograph)


def test_opening_a_study_pair_shows_both_radiographs_in_true_grey_levels_with_identity(qtbot, make_window, study):
    window = make_window()
    baseline, followup = study
    open_and_wait(qtbot, window, baseline, followup)
    for role, path in ((BASELINE, baseline), (FOLLOWUP, followup)):
        pane = window.panes[role]
        expected = load_radiograph(path)
        shown = pane.image_item.image
        assert shown.dtype == np.float32 and np.array_equal(shown, expected.pixels)  # 12-bit values, not 8-bit
        assert shown.max() > 255
        low, high = pane.image_item.levels
        assert (low + high) / 2 == pytest.approx(expected.window_center)
        assert high - low == pytest.approx(expected.window_width)
    panel = window.study_panel
    assert panel.value(BASELINE, "Patient ID") == "P001"
    assert panel.value(BASELINE, "Study date") == "2019-05-02"
    assert panel.value(FOLLOWUP, "Study date") == "2021-06-07"
    assert panel.value(FOLLOWUP, "Hand") == "left"
    assert panel.value(FOLLOWUP, "Pixel size").startswith("0.15\u00a0mm")  # number and unit on one line
    assert "P001" in window.windowTitle()
    shown_text = window.windowTitle() + " ".join(
        label.text() for labels in panel.values.values() for label in labels.values())
    assert "Doe" not in shown_text  # the patient's name is never shown
    assert window.warnings.messages() == []


def test_pair_checks_appear_as_a_warning_bar_not_dialogs(qtbot, make_window, tmp_path):
    window = make_window()
    baseline = write_radiograph(tmp_path / "a.dcm", seed=1, patient_id="P001", study_date=date(2022, 1, 5))
    followup = write_radiograph(tmp_path / "b.dcm", seed=2, patient_id="P999", study_date=date(2020, 1, 5),
                                laterality="R")
    open_and_wait(qtbot, window, baseline, followup)
    texts = [text for level, text in window.warnings.messages() if level == "warning"]
    assert any("different patient IDs" in t for t in texts)
    assert any("dated before the baseline" in t for t in texts)
    assert any("right hand" in t for t in texts)
    assert window.warnings.isVisibleTo(window)
    # both images are shown anyway: the warnings inform, they do not block
    assert window.panes[BASELINE].radiograph is not None and window.panes[FOLLOWUP].radiograph is not None


@pytest.mark.parametrize("content", [b"", b"DICM" * 10, b"\x00" * 128 + b"DICM" + b"\x02\x00\x10\x00garbage" * 20],
                         ids=["empty", "marker-only", "garbage-after-preamble"])
def test_a_corrupt_file_gives_a_message_in_the_window_and_keeps_what_was_shown(qtbot, make_window, study, tmp_path,
                                                                               content):
    window = make_window()
    baseline, followup = study
    open_and_wait(qtbot, window, baseline, followup)
    bad = tmp_path / "broken.dcm"
    bad.write_bytes(content)
    with qtbot.waitSignal(window.study_loaded, timeout=10000):
        window.open_paths([bad], FOLLOWUP)
    errors = [text for level, text in window.warnings.messages() if level == "error"]
    assert len(errors) == 1 and "broken.dcm" in errors[0]
    assert window.panes[FOLLOWUP].radiograph.path == followup  # the good image stays on screen


def test_a_new_study_that_fills_one_view_empties_the_other_instead_of_leaving_the_last_patients_image(
        qtbot, make_window, study, tmp_path):
    """A folder with one readable radiograph, or two files of which one cannot be read: the new patient's image was
    shown beside the previous study's, to be analysed, exported and recorded in Open recent as one study."""
    window = make_window()
    open_and_wait(qtbot, window, *study)
    folder = tmp_path / "next patient"
    folder.mkdir()
    alone = write_radiograph(folder / "hand.dcm", seed=7)
    with qtbot.waitSignal(window.study_loaded, timeout=10000):
        window.open_folder(folder)
    assert window.panes[BASELINE].radiograph.path == alone
    assert window.panes[FOLLOWUP].radiograph is None and window.documents[FOLLOWUP] is None

    open_and_wait(qtbot, window, *study)
    bad = tmp_path / "broken.dcm"
    bad.write_bytes(b"not a radiograph")
    with qtbot.waitSignal(window.study_loaded, timeout=10000):
        window.open_paths([alone, bad])  # two files: a new pair
    assert [pane.radiograph.path if pane.radiograph else None for pane in window.panes.values()] == [alone, None]
    assert any("broken.dcm" in text for level, text in window.warnings.messages() if level == "error")

    open_and_wait(qtbot, window, *study)
    with qtbot.waitSignal(window.study_loaded, timeout=10000):
        window.open_paths([alone], FOLLOWUP)  # one file into one view: the other view stays, as asked
    assert [pane.radiograph.path for pane in window.panes.values()] == [study[0], alone]


def test_a_missing_file_gives_a_message(qtbot, make_window, tmp_path):
    window = make_window()
    with qtbot.waitSignal(window.study_loaded, timeout=10000):
        window.open_study(tmp_path / "nowhere.dcm")
    errors = [text for level, text in window.warnings.messages() if level == "error"]
    assert errors == [f"Cannot open {tmp_path / 'nowhere.dcm'}: file not found"]  # which folder was looked in
    assert window.panes[BASELINE].radiograph is None


def test_a_symbolic_link_loop_says_so_in_the_window_and_keeps_what_was_shown(qtbot, make_window, study, tmp_path):
    window = make_window()
    baseline, followup = study
    open_and_wait(qtbot, window, baseline, followup)
    loop = tmp_path / "hand.dcm"
    loop.symlink_to(tmp_path / "other.dcm")
    (tmp_path / "other.dcm").symlink_to(loop)
    with qtbot.waitSignal(window.study_loaded, timeout=10000):
        window.open_paths([loop], FOLLOWUP)  # before: RuntimeError ("Symlink loop") out of the open, no message
    errors = [text for level, text in window.warnings.messages() if level == "error"]
    assert errors == [f"Cannot open {loop}: symbolic link loop (the link leads back to itself, not to a file)"]
    assert window.panes[FOLLOWUP].radiograph.path == followup


def test_an_error_about_a_file_that_did_not_open_goes_once_a_study_opens(qtbot, make_window, study, tmp_path):
    window = make_window()
    (tmp_path / "empty.jpg").write_bytes(b"")
    with qtbot.waitSignal(window.study_loaded, timeout=10000):
        window.open_study(tmp_path / "empty.jpg")
    assert any("empty.jpg" in text for level, text in window.warnings.messages() if level == "error")
    open_and_wait(qtbot, window, *study)
    assert not [text for level, text in window.warnings.messages() if level == "error"]


def test_bad_files_opened_one_after_another_leave_one_message_not_a_stack(qtbot, make_window, study, tmp_path):
    """Five bad files in a row stacked five red bars over a quarter of the images."""
    window = make_window()
    open_and_wait(qtbot, window, *study)
    for number in range(3):
        bad = tmp_path / f"bad{number}.dcm"
        bad.write_bytes(b"")
        with qtbot.waitSignal(window.study_loaded, timeout=10000):
            window.open_paths([bad], FOLLOWUP)
    errors = [text for level, text in window.warnings.messages() if level == "error"]
    assert len(errors) == 1 and "bad2.dcm" in errors[0]


def test_a_folder_of_dicom_opens_earliest_as_baseline_and_latest_as_followup(qtbot, make_window, tmp_path):
    folder = tmp_path / "exam"
    folder.mkdir()
    write_radiograph(folder / "z_first.dcm", seed=1, study_date=date(2018, 1, 1))
    write_radiograph(folder / "a_last.dcm", seed=2, study_date=date(2023, 1, 1))
    (folder / "notes.txt").write_text("not an image")
    window = make_window()
    with qtbot.waitSignal(window.study_loaded, timeout=10000):
        window.open_paths([folder])
    assert window.panes[BASELINE].radiograph.path.name == "z_first.dcm"
    assert window.panes[FOLLOWUP].radiograph.path.name == "a_last.dcm"


def test_a_folder_keeps_only_its_earliest_and_latest_study_in_memory(tmp_path, monkeypatch):
    from jsnviewer.gui import study_loading

    folder = tmp_path / "exam"
    folder.mkdir()
    for seed, when in enumerate([date(2020, 1, 1), None, date(2017, 5, 1), date(2022, 3, 1), date(2019, 1, 1)]):
        write_radiograph(folder / f"s{seed}.dcm", seed=seed, study_date=when)
    (folder / "broken.dcm").write_bytes(b"\x00" * 128 + b"DICM")
    alive, most_held = [], []
    real_load = study_loading.load_image

    def counting_load(path, root):
        gc.collect()
        most_held.append(sum(ref() is not None for ref in alive))  # radiographs still held when the next is read
        loaded = real_load(path, root)
        alive.append(weakref.ref(loaded))
        return loaded

    monkeypatch.setattr(study_loading, "load_image", counting_load)
    study = study_loading.load_folder(folder, None)
    assert study.images[BASELINE].radiograph.path.name == "s2.dcm"  # 2017
    assert study.images[FOLLOWUP].radiograph.path.name == "s1.dcm"  # undated: after every dated study
    assert study.notes == ["5 radiographs in exam: showing the earliest and the latest.",
                           "1 of the 5 radiographs in exam carries no study date: put after the dated ones, by file name. "
                           "Check which is the baseline."]
    assert len(study.errors) == 1 and "broken.dcm" in study.errors[0]
    assert max(most_held) <= 3  # the earliest and latest so far and the one just read; the others were let go


def test_a_folder_of_undated_pictures_opens_in_name_order_and_says_so(tmp_path):
    from jsnviewer.gui import study_loading

    folder = tmp_path / "scans"
    folder.mkdir()
    write_radiograph(folder / "hand10.png", seed=1, study_date=None)
    write_radiograph(folder / "hand2.png", seed=2, study_date=None)
    write_radiograph(folder / "hand2_upper.png", seed=3, study_date=None)  # a joint crop's bone mask, not a radiograph
    (folder / "notes.txt").write_text("not an image")
    study = study_loading.load_folder(folder, None)
    assert not study.errors
    assert study.images[BASELINE].radiograph.path.name == "hand2.png"  # 2 before 10
    assert study.images[FOLLOWUP].radiograph.path.name == "hand10.png"
    assert study.notes == ["None of the 2 radiographs in scans carries a study date: they were ordered by file name. "
                           "Check which is the baseline."]


def test_a_folder_with_dicom_files_opens_those_not_the_pictures_beside_them(tmp_path):
    from jsnviewer.gui import study_loading

    folder = tmp_path / "exam"
    folder.mkdir()
    write_radiograph(folder / "visit_b.dcm", seed=1, study_date=date(2023, 1, 1))
    write_radiograph(folder / "visit_a.dcm", seed=2, study_date=date(2018, 1, 1))
    write_radiograph(folder / "aaa_preview.png", seed=3, study_date=None)
    study = study_loading.load_folder(folder, None)
    assert [study.images[r].radiograph.path.name for r in (BASELINE, FOLLOWUP)] == ["visit_a.dcm", "visit_b.dcm"]
    assert study.notes == [] and study.errors == []


def _damaged_dicoms(folder, count):
    folder.mkdir()
    for number in range(count):
        whole = write_radiograph(folder / f"visit{number}.dcm", seed=number).read_bytes()
        (folder / f"visit{number}.dcm").write_bytes(whole[:len(whole) // 2])  # cut off mid-copy


def test_a_folder_whose_dicom_files_are_all_damaged_opens_its_pictures_and_says_how_many_were_damaged(tmp_path):
    from jsnviewer.gui import study_loading

    folder = tmp_path / "exam"
    _damaged_dicoms(folder, 3)
    write_radiograph(folder / "export.png", seed=5, study_date=None)
    study = study_loading.load_folder(folder, None)
    assert study.images[BASELINE].radiograph.path.name == "export.png"
    assert study.errors == ["the 3 damaged DICOM files in exam (visit0.dcm: truncated DICOM file (ends inside "
                            "PixelData)); its pictures were opened instead"]


@pytest.mark.parametrize("pictures", [[], ["text.png"]])
def test_a_folder_with_nothing_readable_says_its_dicom_files_could_not_be_read_and_why(tmp_path, pictures):
    from jsnviewer.gui import study_loading

    folder = tmp_path / "exam"
    _damaged_dicoms(folder, 2)
    for name in pictures:
        (folder / name).write_text("not a picture")
    study = study_loading.load_folder(folder, None)
    assert not study.images
    assert study.errors[-1] == (f"{folder}: no readable radiograph in this folder: could not read any of its 2 DICOM "
                                "files (visit0.dcm: truncated DICOM file (ends inside PixelData))")
    assert len(study.errors) == 1 + len(pictures)  # each unreadable picture is named too


def test_a_folder_of_many_unreadable_files_beside_its_radiographs_says_so_in_one_line_not_one_each(tmp_path):
    from jsnviewer.gui import study_loading

    folder = tmp_path / "exam"
    folder.mkdir()
    write_radiograph(folder / "a_hand.dcm", seed=1, study_date=date(2019, 5, 2))
    for number in range(40):  # damaged copies: named as DICOM, so tried as DICOM
        (folder / f"note{number:02d}.dcm").write_text("not an image")
    study = study_loading.load_folder(folder, None)
    assert list(study.images) == [BASELINE]
    assert study.errors == ["40 files in exam (the first: note00.dcm: not a DICOM file or an image "
                            "jsnviewer can read (unrecognised content))"]  # before: 40 messages, one under another
    write_radiograph(folder / "z_hand.dcm", seed=2, study_date=date(2021, 6, 7))
    study = study_loading.load_neighbour(folder / "a_hand.dcm", 1, FOLLOWUP, None)
    assert study.images[FOLLOWUP].radiograph.path == folder / "z_hand.dcm"
    assert study.errors == ["40 files in exam, passed over (the first: note00.dcm: not a DICOM file or an "
                            "image jsnviewer can read (unrecognised content))"]


def test_a_folder_of_notes_without_a_suffix_does_not_hide_its_radiographs_without_a_suffix(tmp_path):
    """A DICOM CD's or an archive's files carry no suffix (IM00001); notes or logs without one beside them were each
    tried as DICOM and took up the files examined, so that the radiographs named after them were never found."""
    import pydicom

    from jsnviewer.gui.study_loading import MAX_FOLDER_FILES, load_folder

    folder = tmp_path / "exam"
    folder.mkdir()
    for n in range(MAX_FOLDER_FILES + 50):
        (folder / f"note{n:03d}").write_text("seen by the ward, no change\n")
    marked = write_radiograph(folder / "x.dcm", seed=3, study_date=date(2020, 1, 2)).rename(folder / "zz1")
    raw = pydicom.dcmread(write_radiograph(tmp_path / "raw.dcm", seed=4, study_date=date(2022, 3, 4)))
    raw.preamble = None
    del raw.file_meta
    raw.save_as(folder / "zz2", implicit_vr=False, little_endian=True)  # no preamble, no 'DICM': older archives

    study = load_folder(folder, None)
    assert {role: loaded.radiograph.path for role, loaded in study.images.items()} == {
        BASELINE: marked, FOLLOWUP: folder / "zz2"}
    assert not study.errors and not any("were examined" in note for note in study.notes)


def test_a_folder_without_radiographs_says_what_it_looks_for(tmp_path):
    from jsnviewer.gui import study_loading

    (tmp_path / "readme.txt").write_text("nothing here")
    study = study_loading.load_folder(tmp_path, None)
    assert not study.images
    assert study.errors == [f"{tmp_path}: no readable radiograph in this folder (DICOM, PNG, JPEG, TIFF or BMP)"]


def test_dropping_two_files_opens_them_ordered_by_date_and_records_a_recent_study(qtbot, make_window, study,
                                                                                   settings_store):
    window = make_window()
    window.show()
    baseline, followup = study
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(followup)), QUrl.fromLocalFile(str(baseline))])  # dropped in the wrong order
    event = QDropEvent(QPointF(5, 5), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    with qtbot.waitSignal(window.study_loaded, timeout=10000):
        window.dropEvent(event)
    assert window.panes[BASELINE].radiograph.path == baseline
    assert window.panes[FOLLOWUP].radiograph.path == followup
    assert recent_studies(settings_store)[0] == (str(baseline), str(followup))
    window.fill_recent_menu()
    assert [a.text() for a in window.recent_menu.actions()] == ["study/baseline.dcm  +  study/followup.dcm"]


def test_the_open_dialogs_start_where_the_last_study_was_opened_not_in_the_home_folder(qtbot, make_window, study,
                                                                                        settings_store, tmp_path,
                                                                                        monkeypatch):
    """A reader opens one patient's study after another from one archive folder: at each start the dialogs went back
    to the home folder, to be walked down to the archive again."""
    asked = []
    monkeypatch.setattr("jsnviewer.gui.study_actions.QFileDialog.getOpenFileNames",
                        lambda parent, title, start, *args: (asked.append(start), ([], ""))[1])
    monkeypatch.setattr("jsnviewer.gui.study_actions.QFileDialog.getExistingDirectory",
                        lambda parent, title, start, *args: (asked.append(start), "")[1])
    add_recent_study(str(study[0]), str(study[1]), settings_store)  # opened at an earlier start
    window = make_window()
    window.open_dialog()
    window.open_folder_dialog()  # beside that study's folder: the next patient's folder is one of its siblings
    assert asked == [str(study[0].parent), str(study[0].parent.parent)]

    add_recent_study(str(tmp_path / "unplugged" / "a.dcm"), "", settings_store)  # its folder is gone now
    window.open_dialog()
    assert asked[-1] == str(Path.home())


def test_open_recent_lists_only_the_studies_the_user_opened_not_each_next_image_nor_the_half_opened_one(
        qtbot, make_window, tmp_path, settings_store):
    """PgDown through a folder, or Open baseline then Open follow-up, recorded every intermediate pair ("a1.dcm (as
    baseline and follow-up)", "a1.dcm (baseline only)", …) and pushed the real studies out of the 10 entries."""
    folder = tmp_path / "hands"
    folder.mkdir()
    a1, a2, a3, a4 = (write_radiograph(folder / f"a{n}.dcm", seed=n) for n in range(1, 5))
    window = make_window()
    with qtbot.waitSignal(window.study_loaded, timeout=10000):
        window.open_paths([a1], BASELINE)
    with qtbot.waitSignal(window.study_loaded, timeout=10000):
        window.open_paths([a2], FOLLOWUP)  # the other view: the half-opened study is completed, not kept beside it
    assert recent_studies(settings_store) == [(str(a1), str(a2))]
    window.set_active_role(FOLLOWUP)
    for _ in range(2):  # a3, a4
        with qtbot.waitSignal(window.study_loaded, timeout=10000):
            window.open_neighbour(1)
    assert window.panes[FOLLOWUP].radiograph.path == a4
    assert recent_studies(settings_store) == [(str(a1), str(a2))]
    with qtbot.waitSignal(window.study_loaded, timeout=10000):
        window.open_paths([a3], FOLLOWUP)  # opened by the user beside a whole study: a study of its own
    assert recent_studies(settings_store) == [(str(a1), str(a3)), (str(a1), str(a2))]


def test_next_image_to_a_film_the_reader_named_the_other_hand_is_flagged_as_it_is_shown(qtbot, make_window, tmp_path):
    """A film whose hand the reader named (saved with its joints) beside a film of the other hand: the pair check at
    opening and at Next image took the file's hand only, so nothing was said until an analysis ran and said it."""
    from test_detection_identity import UAB001_RH_BOXES

    folder = tmp_path / "hands"
    folder.mkdir()
    a1, a2, a3 = (write_radiograph(folder / f"a{n}.dcm", seed=n, study_date=date(2018 + n, 1, 1)) for n in (1, 2, 3))
    other_hand = "Baseline is a left hand, follow-up a right hand (named by the reader)."

    def pair_warnings(window):
        return [text for _, text in window.warnings.messages() if "hand" in text]

    dataset = tmp_path / "dataset"
    window = make_window(dataset)
    open_and_wait(qtbot, window, a1, a3)  # every file says: a left hand
    for (x, y), name in zip(UAB001_RH_BOXES / 10, ["MCP4", "PIP3", "MCP2", "MCP3", "IP1", "PIP5"]):
        window.add_box(FOLLOWUP, (float(x), float(y), 6.0, 6.0), identity=name)  # a right hand, named as a left's
    window.name_as_other_hand(FOLLOWUP)
    assert pair_warnings(window) == [other_hand]  # said as the hand is named, not at the next analysis
    window.save_annotations()
    wait_saved(qtbot, window)

    again = make_window(dataset)
    open_and_wait(qtbot, again, a1, a2)
    assert pair_warnings(again) == []
    again.set_active_role(FOLLOWUP)
    with qtbot.waitSignal(again.study_loaded, timeout=10000):
        again.open_neighbour(1)  # a3
    assert pair_warnings(again) == [other_hand]


def test_replacing_both_views_of_a_study_one_by_one_lists_the_new_study_not_the_pair_in_between(
        qtbot, make_window, tmp_path, settings_store):
    """Open baseline then Open follow-up over an open study left the new baseline with the old follow-up in Open
    recent, a pair nobody meant to look at, beside the study opened."""
    folder = tmp_path / "hands"
    folder.mkdir()
    a1, a2, b1, b2, c1 = (write_radiograph(folder / f"{name}.dcm", seed=n)
                          for n, name in enumerate(("a1", "a2", "b1", "b2", "c1")))
    window = make_window()
    for paths, role in (([a1, a2], None), ([b1], BASELINE), ([b2], FOLLOWUP)):
        with qtbot.waitSignal(window.study_loaded, timeout=10000):
            window.open_paths(paths, role)
        if paths == [b1]:  # the pair in between is listed while it is what the window shows
            assert recent_studies(settings_store)[0] == (str(b1), str(a2))
    assert recent_studies(settings_store) == [(str(b1), str(b2)), (str(a1), str(a2))]
    with qtbot.waitSignal(window.study_loaded, timeout=10000):
        window.open_paths([c1], BASELINE)  # beside the whole study opened: a study of its own, the whole one kept
    assert recent_studies(settings_store) == [(str(c1), str(b2)), (str(b1), str(b2)), (str(a1), str(a2))]


def test_the_demo_is_never_recorded_in_open_recent(qtbot, make_window, tmp_path, settings_store):
    demo = tmp_path / "demo"
    demo.mkdir()
    pair = (write_radiograph(demo / "baseline.dcm", seed=1), write_radiograph(demo / "followup.dcm", seed=2))
    window = make_window()
    window.sandbox_folders.add(demo)  # as `open_demo` makes its folder
    open_and_wait(qtbot, window, *pair)
    assert window.documents[BASELINE].sandbox and recent_studies(settings_store) == []


def test_open_recent_says_as_which_visit_a_file_was_opened_and_never_lists_two_entries_alike(make_window, study,
                                                                                            settings_store, tmp_path):
    """A file opened once as the baseline and once as the follow-up was listed twice as "study/baseline.dcm", and two
    clinics' "study/baseline.dcm" too: which entry opens which?"""
    baseline, followup = (str(path) for path in study)
    elsewhere = str(tmp_path / "archive" / "study" / "baseline.dcm")  # the same folder and file name, elsewhere
    for pair in ((baseline, ""), ("", baseline), (baseline, baseline), (elsewhere, followup), (baseline, followup)):
        add_recent_study(*pair, settings_store)
    window = make_window()
    window.fill_recent_menu()
    texts = [a.text() for a in window.recent_menu.actions()]
    assert texts == [f"{tmp_path.name}/study/baseline.dcm  +  {tmp_path.name}/study/followup.dcm",
                     f"archive/study/baseline.dcm  +  {tmp_path.name}/study/followup.dcm",
                     "study/baseline.dcm (as baseline and follow-up)",
                     "study/baseline.dcm (follow-up only)",
                     "study/baseline.dcm (baseline only)"]
    assert window.recent_menu.actions()[3].toolTip() == f"Baseline: —\nFollow-up: {baseline}"


def test_window_level_by_drag_presets_reset_and_auto(qtbot, make_window, study):
    window = make_window()
    open_and_wait(qtbot, window, *study)
    pane = window.panes[BASELINE]
    file_window = (pane.window_center, pane.window_width)
    assert window.preset_box.currentIndex() == -1 and window.preset_box.placeholderText() == FILE_WINDOW
    drag(pane.view_box, QPointF(50, 50), QPointF(90, 70), Qt.RightButton)  # right-drag: wider, higher level
    assert pane.window_width > file_window[1] and pane.window_center > file_window[0]
    assert window.preset_box.currentIndex() == -1 and window.preset_box.placeholderText() == HAND_WINDOW
    low, high = pane.image_item.levels
    assert high - low == pytest.approx(pane.window_width)
    window.set_tool(Tool.WINDOW)  # left-drag follows the tool
    before = pane.window_width
    drag(pane.view_box, QPointF(50, 50), QPointF(20, 50), Qt.LeftButton)
    assert pane.window_width < before
    window.reset_window()
    assert (pane.window_center, pane.window_width) == pytest.approx(file_window)
    assert window.preset_box.placeholderText() == FILE_WINDOW
    window.apply_preset("Full range")  # key 4
    assert window.preset_box.currentText() == "Full range"  # the box says what the key applied, not the last pick
    pixels = pane.radiograph.pixels
    assert pane.window_width == pytest.approx(pixels.max() - pixels.min(), rel=0.02)
    window.auto_window()
    assert window.preset_box.currentText() == "Auto (0.5–99.5 %)"
    low, high = np.percentile(pixels, [0.5, 99.5])
    assert pane.window_center == pytest.approx((low + high) / 2, rel=0.05)
    assert window.panes[FOLLOWUP].window_width != pytest.approx(window.panes[BASELINE].window_width, rel=1e-9)  # per image


def test_readout_gives_grey_value_and_mm_or_px_when_spacing_is_unknown(qtbot, make_window, tmp_path):
    window = make_window()
    baseline = write_radiograph(tmp_path / "mm.dcm", seed=3)
    followup = write_radiograph(tmp_path / "px.png", seed=4, pixel_size_mm=None)
    open_and_wait(qtbot, window, baseline, followup)
    mm_pane, px_pane = window.panes[BASELINE], window.panes[FOLLOWUP]
    # where first (mm, with the radiograph's px), then the grey value there: row 20, column 10
    value = mm_pane.radiograph.pixels[20, 10]
    assert mm_pane.readout(10.6, 20.4) == f"Baseline: x 1.59, y 3.06 mm (x 10.6, y 20.4 px) · grey value {value:g}"
    value = px_pane.radiograph.pixels[20, 10]
    assert px_pane.readout(10.6, 20.4) == f"Follow-up: x 10.6, y 20.4 px · grey value {value:g}"
    assert mm_pane.readout(-1, 5) == "" and mm_pane.readout(5, 10_000) == ""
    assert any("unknown" in text for _, text in window.warnings.messages())  # the pair check says JSN is in px


def test_views_are_linked_and_fit_shows_the_whole_image(qtbot, make_window, study):
    window = make_window()
    window.show()
    open_and_wait(qtbot, window, *study)
    base, follow = window.panes[BASELINE].view_box, window.panes[FOLLOWUP].view_box
    window.fit()
    rect = base.viewRect()
    assert rect.left() <= 0 and rect.top() <= 0 and rect.right() >= 180 and rect.bottom() >= 240
    base.setRange(xRange=(20, 60), yRange=(30, 70), padding=0)
    qtbot.waitUntil(lambda: abs(follow.viewRect().center().x() - base.viewRect().center().x()) < 1e-6)
    assert follow.viewPixelSize()[0] == pytest.approx(base.viewPixelSize()[0])  # one zoom (views may differ by a px)
    window.fit()
    assert base.viewRect().contains(window.panes[BASELINE].image_rect())


def test_a_followup_opened_alone_is_fitted_to_its_view(qtbot, make_window, study):
    window = make_window()
    window.show()
    qtbot.waitExposed(window)
    open_and_wait(qtbot, window, None, study[1])
    assert window.panes[BASELINE].radiograph is None
    follow, image = window.panes[FOLLOWUP].view_box, window.panes[FOLLOWUP].image_rect()
    follow.setRange(xRange=(20, 60), yRange=(30, 70), padding=0)  # zoomed in: F fits it again
    window.fit()
    qtbot.wait(100)  # the views' layout settles
    shown = follow.viewRect()
    assert shown.contains(image)
    assert max(image.width() / shown.width(), image.height() / shown.height()) > 0.9  # fills its view


def test_the_same_image_as_baseline_and_followup_is_flagged_and_shares_one_set_of_boxes(qtbot, make_window, study,
                                                                                         tmp_path):
    window = make_window()
    copy = tmp_path / "copy.dcm"
    copy.write_bytes(study[0].read_bytes())
    open_and_wait(qtbot, window, study[0], copy)
    assert any("same image" in text for level, text in window.warnings.messages() if level == "warning")
    window.add_box(BASELINE, (50.0, 60.0, 20.0, 30.0))
    assert window.documents[FOLLOWUP] is window.documents[BASELINE]
    assert len(window.layers[FOLLOWUP].items) == 1  # one file, one annotation, shown in both views


def test_a_file_dropped_on_the_followup_view_opens_there(qtbot, make_window, study):
    window = make_window()
    window.show()
    qtbot.waitExposed(window)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(study[1]))])
    pane = window.panes[FOLLOWUP]
    where = QPointF(pane.mapTo(window, pane.rect().center()))
    with qtbot.waitSignal(window.study_loaded, timeout=10000):
        window.dropEvent(QDropEvent(where, Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier))
    assert window.panes[FOLLOWUP].radiograph.path == study[1]
    assert window.panes[BASELINE].radiograph is None


def test_the_window_fits_a_1280_by_720_screen_after_being_large(qtbot, make_window, study):
    window = make_window()
    window.show()
    open_and_wait(qtbot, window, *study)
    window.resize(1900, 1150)  # the joint detail's pictures grow with the window…
    qtbot.wait(50)
    window.resize(1280, 720)  # …and shrink again on a laptop's screen
    qtbot.wait(50)
    assert window.width() <= 1280 and window.height() <= 720
    assert all(pane.width() > 200 for pane in window.panes.values())


def test_the_next_and_previous_radiograph_of_a_folder_come_in_name_order_numbers_counted(tmp_path):
    from jsnviewer.gui.study_loading import folder_radiographs

    folder = tmp_path / "clinic"
    folder.mkdir()
    for name in ("hand10.png", "hand2.png", "hand1.dcm", "notes.txt", ".hidden.png", "hand3_upper.png", "hand3.jpg"):
        (folder / name).write_bytes(b"x")
    (folder / "scan").write_bytes(b"\x00" * 128 + b"DICM")  # a DICOM file without a suffix
    (folder / "DICOMDIR").write_bytes(b"\x00" * 128 + b"DICM")  # a CD's index of its files: DICOM, but no image
    order = ["hand1.dcm", "hand2.png", "hand3.jpg", "hand10.png", "scan"]
    assert [p.name for p in folder_radiographs(folder / "hand1.dcm")] == order  # Next / Previous image's order


def test_page_down_opens_the_next_radiograph_of_the_folder_in_the_active_view_after_saving_its_edits(
        qtbot, make_window, tmp_path):
    dataset = tmp_path / "dataset"
    folder = tmp_path / "worklist"
    folder.mkdir()
    files = [write_radiograph(folder / f"hand{n}.dcm", seed=n) for n in (1, 2, 10)]
    window = make_window(dataset)
    window.show()
    open_and_wait(qtbot, window, files[0], files[1])
    window.set_active_role(FOLLOWUP)
    window.add_box(FOLLOWUP, (60.0, 70.0, 30.0, 30.0))
    with qtbot.waitSignal(window.study_loaded, timeout=10000):
        qtbot.keyClick(window, Qt.Key_PageDown)
    assert window.documents[FOLLOWUP].path == files[2]  # hand10 after hand2
    assert window.documents[BASELINE].path == files[0]  # the other view keeps its image
    qtbot.waitUntil(lambda: not window.saver.is_busy(), timeout=10000)
    saved = open_dataset(dataset).annotation_for_file(files[1])
    assert [j.box for j in saved.joints] == [(60.0, 70.0, 30.0, 30.0)]
    qtbot.keyClick(window, Qt.Key_PageDown)  # the last one: stays, and says so (once the folder is listed)
    qtbot.waitUntil(lambda: "last radiograph" in window.statusBar().currentMessage(), timeout=10000)
    assert window.documents[FOLLOWUP].path == files[2]
    with qtbot.waitSignal(window.study_loaded, timeout=10000):
        qtbot.keyClick(window, Qt.Key_PageUp)
    assert window.documents[FOLLOWUP].path == files[1]
    assert [j.box for j in window.documents[FOLLOWUP].joints()] == [(60.0, 70.0, 30.0, 30.0)]


def _worklist(tmp_path, names):
    folder = tmp_path / "worklist"
    folder.mkdir()
    return [write_radiograph(folder / name, seed=n) for n, name in enumerate(names)]


def test_page_down_passes_over_a_file_that_cannot_be_read_and_says_which(qtbot, make_window, tmp_path):
    first, broken, third = _worklist(tmp_path, ("hand1.dcm", "hand2.dcm", "hand3.dcm"))
    broken.write_bytes(broken.read_bytes()[:4000])  # cut off inside its pixels: an interrupted copy
    window = make_window(tmp_path / "dataset")
    window.show()
    open_and_wait(qtbot, window, first)
    with qtbot.waitSignal(window.study_loaded, timeout=10000):
        qtbot.keyClick(window, Qt.Key_PageDown)
    assert window.documents[BASELINE].path == third  # not stuck in front of the broken file
    assert any("hand2.dcm" in text and "passed over" in text for _, text in window.warnings.messages())
    with qtbot.waitSignal(window.study_loaded, timeout=10000):
        qtbot.keyClick(window, Qt.Key_PageUp)
    assert window.documents[BASELINE].path == first


def test_page_down_at_the_end_of_the_readable_files_stays_and_says_so(qtbot, make_window, tmp_path):
    first, last = _worklist(tmp_path, ("hand1.dcm", "hand2.dcm"))
    (last.parent / "notes.dcm").write_text("todo: hand2 again")  # named as DICOM: tried as a DICOM file
    window = make_window(tmp_path / "dataset")
    window.show()
    open_and_wait(qtbot, window, last)
    with qtbot.waitSignal(window.study_loaded, timeout=10000):
        qtbot.keyClick(window, Qt.Key_PageDown)
    assert window.documents[BASELINE].path == last
    assert "last readable radiograph" in window.statusBar().currentMessage()


def test_previous_image_after_next_at_the_end_ends_the_message_that_it_was_the_last(qtbot, make_window, tmp_path):
    """After Next image at the folder's last file, Previous image (PgUp) opened the one before it while the status bar
    still said "hand2.dcm is the last radiograph in worklist"."""
    first, last = _worklist(tmp_path, ("hand1.dcm", "hand2.dcm"))
    window = make_window(tmp_path / "dataset")
    window.show()
    open_and_wait(qtbot, window, last)
    qtbot.keyClick(window, Qt.Key_PageDown)
    qtbot.waitUntil(lambda: window.statusBar().currentMessage() == "hand2.dcm is the last radiograph in worklist",
                    timeout=10000)
    with qtbot.waitSignal(window.study_loaded, timeout=10000):
        qtbot.keyClick(window, Qt.Key_PageUp)
    assert window.documents[BASELINE].path == first
    assert "is the last radiograph" not in window.statusBar().currentMessage()
    qtbot.keyClick(window, Qt.Key_PageUp)  # and at the other end it says so of the image shown
    qtbot.waitUntil(lambda: window.statusBar().currentMessage() == "hand1.dcm is the first radiograph in worklist",
                    timeout=10000)


def test_the_view_title_says_which_radiograph_of_its_folder_it_shows(qtbot, make_window, tmp_path):
    files = _worklist(tmp_path, ("hand1.dcm", "hand2.dcm", "hand3.dcm"))
    window = make_window(tmp_path / "dataset")
    window.show()
    open_and_wait(qtbot, window, files[1])
    assert "hand2.dcm (2 of 3)" in window.panes[BASELINE].title_text
    with qtbot.waitSignal(window.study_loaded, timeout=10000):
        qtbot.keyClick(window, Qt.Key_PageDown)
    assert "hand3.dcm (3 of 3)" in window.panes[BASELINE].title_text
    tip = window.panes[BASELINE].title.toolTip()
    assert "radiograph 3 of 3 in its folder" in tip and "W " in tip  # what a narrow view cuts off


def test_page_down_goes_on_after_the_shown_file_was_moved_away_meanwhile(qtbot, make_window, tmp_path):
    files = _worklist(tmp_path, ("hand1.dcm", "hand2.dcm", "hand3.dcm"))
    window = make_window(tmp_path / "dataset")
    window.show()
    open_and_wait(qtbot, window, files[1])
    files[1].rename(tmp_path / "hand2.dcm")  # a colleague moved it to the done folder
    with qtbot.waitSignal(window.study_loaded, timeout=10000):
        qtbot.keyClick(window, Qt.Key_PageDown)
    assert window.documents[BASELINE].path == files[2]


def test_page_down_pressed_again_before_the_view_shows_the_next_goes_on_from_there(qtbot, make_window, tmp_path):
    files = _worklist(tmp_path, ("hand1.dcm", "hand2.dcm", "hand3.dcm", "hand4.dcm", "hand5.dcm"))
    window = make_window(tmp_path / "dataset")
    window.show()
    open_and_wait(qtbot, window, files[0])
    for _ in range(3):  # faster than the files open
        qtbot.keyClick(window, Qt.Key_PageDown)
    qtbot.waitUntil(lambda: window.panes[BASELINE].radiograph.path == files[3] and window.task is None, timeout=10000)
    qtbot.keyClick(window, Qt.Key_PageUp)
    qtbot.waitUntil(lambda: window.panes[BASELINE].radiograph.path == files[2], timeout=10000)


@pytest.fixture
def listing_held(monkeypatch):
    """Listing a folder of radiographs, held in background threads until the gate is set (thousands of files on a
    clinic's share), with the threads every look at a file ran in; the gate is set at the end whatever happened."""
    import threading

    from jsnviewer.gui import study_loading

    gate, threads = threading.Event(), []
    real_listing, real_look = study_loading.folder_radiographs, study_loading.is_radiograph_file

    def folder_radiographs(path):
        if threading.current_thread() is not threading.main_thread():  # on the GUI thread it would freeze the test
            gate.wait(30)
        return real_listing(path)

    def is_radiograph_file(path):
        threads.append(threading.current_thread())
        return real_look(path)

    monkeypatch.setattr(study_loading, "folder_radiographs", folder_radiographs)
    monkeypatch.setattr(study_loading, "is_radiograph_file", is_radiograph_file)
    gate.set()  # open until the test holds it
    yield gate, threads
    gate.set()


def test_next_image_lists_the_folder_off_the_gui_thread_and_presses_made_meanwhile_add_up(
        qtbot, make_window, tmp_path, listing_held):
    """PgDown listed the folder, and read the first bytes of its files without a suffix, on the GUI thread: a folder
    of 2,000 files on a share froze the window at every press. Presses made while it lists go on from where the
    earlier ones lead, none past the folder's end, and only the radiograph the last one leads to is shown."""
    import threading

    from PySide6.QtCore import QTimer

    gate, threads = listing_held
    files = _worklist(tmp_path, ("hand1.dcm", "hand2.dcm", "hand3.dcm", "hand4.dcm"))
    window = make_window(tmp_path / "dataset")
    window.show()
    open_and_wait(qtbot, window, files[0])
    shown = []
    window.study_loaded.connect(lambda: shown.append(window.panes[BASELINE].radiograph.path))
    threads.clear()
    gate.clear()  # the share is slow from now on
    for key in (Qt.Key_PageDown,) * 4 + (Qt.Key_PageUp,):  # hand2, hand3, hand4, past the end: stays, back to hand3
        qtbot.keyClick(window, key)
    ticks = []
    QTimer.singleShot(0, lambda: ticks.append(1))
    qtbot.waitUntil(lambda: len(ticks) > 0, timeout=10000)  # the window goes on with its events meanwhile
    assert shown == [] and window.panes[BASELINE].radiograph.path == files[0]
    gate.set()
    qtbot.waitUntil(lambda: not window.workers, timeout=10000)
    assert shown == [files[2]]  # once, the radiograph the five presses lead to
    assert "radiograph in" not in window.statusBar().currentMessage()  # the last press did not ask past the end
    assert threads and all(thread is not threading.main_thread() for thread in threads)

    gate.clear()
    for _ in range(3):  # hand4, then twice past the end
        qtbot.keyClick(window, Qt.Key_PageDown)
    gate.set()
    qtbot.waitUntil(lambda: not window.workers, timeout=10000)
    assert shown == [files[2], files[3]]
    assert window.statusBar().currentMessage() == "hand4.dcm is the last radiograph in worklist"


def test_presses_made_before_the_next_image_arrived_lead_where_they_would_have_one_by_one(tmp_path):
    from jsnviewer.gui.study_loading import load_neighbour

    first, broken, third = _worklist(tmp_path, ("hand1.dcm", "hand2.dcm", "hand3.dcm"))
    broken.write_bytes(broken.read_bytes()[:4000])
    # hand2, hand3, past the end (stays), back to hand2: unreadable, passed over on the way back
    study = load_neighbour(first, (1, 1, 1, -1), BASELINE, None)
    assert study.images[BASELINE].radiograph.path == first and not study.said
    assert len(study.errors) == 1 and "hand2.dcm" in study.errors[0] and "passed over" in study.errors[0]
    study = load_neighbour(first, (1, 1, 1), BASELINE, None)
    assert study.images[BASELINE].radiograph.path == third
    assert study.said == "hand3.dcm is the last radiograph in worklist"
    study = load_neighbour(first, (-1, -1), BASELINE, None)  # nothing before it: nothing read
    assert not study.images and not study.errors and study.said == "hand1.dcm is the first radiograph in worklist"


def test_page_down_moves_on_past_a_second_copy_of_the_same_radiograph(qtbot, make_window, tmp_path):
    first, second = _worklist(tmp_path, ("hand1.dcm", "hand2.dcm"))
    copy = first.with_name("hand1_again.dcm")
    copy.write_bytes(first.read_bytes())  # exported twice: one radiograph, one annotation
    window = make_window(tmp_path / "dataset")
    window.show()
    open_and_wait(qtbot, window, first)
    for expected in (copy, second):
        with qtbot.waitSignal(window.study_loaded, timeout=10000):
            qtbot.keyClick(window, Qt.Key_PageDown)
        assert window.panes[BASELINE].radiograph.path == expected


def test_undo_goes_on_where_it_was_after_coming_back_to_an_image_with_previous_image(qtbot, make_window, tmp_path):
    first, second = _worklist(tmp_path, ("hand1.dcm", "hand2.dcm"))
    dataset = tmp_path / "dataset"
    window = make_window(dataset)
    window.show()
    open_and_wait(qtbot, window, first)
    window.add_box(BASELINE, (60.0, 70.0, 30.0, 30.0), "PIP2")
    window.add_box(BASELINE, (100.0, 70.0, 30.0, 30.0), "PIP3")
    with qtbot.waitSignal(window.study_loaded, timeout=10000):
        qtbot.keyClick(window, Qt.Key_PageDown)  # hand1's boxes are saved on the way
    qtbot.waitUntil(lambda: not window.saver.is_busy() and not window.documents[BASELINE].is_dirty, timeout=10000)
    with qtbot.waitSignal(window.study_loaded, timeout=10000):
        qtbot.keyClick(window, Qt.Key_PageUp)  # back: the PIP3 box was a mistake
    qtbot.keyClick(window, Qt.Key_Z, Qt.ControlModifier)
    assert [j.identity for j in window.documents[BASELINE].joints()] == ["PIP2"]
    window.save_annotations()
    qtbot.waitUntil(lambda: not window.saver.is_busy() and not window.documents[BASELINE].is_dirty, timeout=10000)
    assert [j.identity for j in open_dataset(dataset).annotation_for_file(first).joints] == ["PIP2"]


def test_a_float_radiograph_says_its_window_in_its_own_grey_levels(qtbot, make_window, tmp_path):
    """A 0..1 float TIFF's window was titled "W 1  L 0" whatever it was."""
    from PIL import Image

    ramp = np.linspace(0.0, 1.0, 64 * 48, dtype=np.float32).reshape(64, 48)
    Image.fromarray(ramp, mode="F").save(tmp_path / "float.tif")
    window = make_window()
    open_and_wait(qtbot, window, tmp_path / "float.tif", None)
    pane = window.panes[BASELINE]
    assert 0.5 < pane.window_width < 1.01
    assert f"W {pane.window_width:.3g}  L {pane.window_center:.3g}" in pane.title_text


def test_a_narrow_view_shortens_the_file_name_and_keeps_the_window_level_in_its_title(qtbot, make_window, study):
    """At the default window size W/L was cut off the end of the title on real DICOM pairs."""
    window = make_window()
    open_and_wait(qtbot, window, *study)
    pane = window.panes[BASELINE]
    pane.title.setFixedWidth(330)
    pane._fit_title()
    shown = pane.title.text()
    assert pane.title.fontMetrics().horizontalAdvance(shown) <= pane.title.contentsRect().width()
    assert shown.startswith("Baseline") and shown.endswith(f"L {pane.window_center:.0f}")
    assert pane.radiograph.path.name in shown and pane.radiograph.identity.study_date.isoformat() not in shown
    assert pane.radiograph.path.name in pane.title_text and str(pane.radiograph.path) in pane.title.toolTip()
    from jsnviewer.gui.image_view import TITLE_SEPARATOR

    date = pane.radiograph.identity.study_date.isoformat()
    levels = f"W {pane.window_width:.0f}  L {pane.window_center:.0f}"
    dated = pane.title.fontMetrics().horizontalAdvance(TITLE_SEPARATOR.join(("Baseline", date, levels)))
    # a laptop's views: the file name in place of the date (the tooltip keeps it), the W/L the user drags under it
    for width in (dated + 12, dated - 20):
        pane.title.setFixedWidth(width)
        pane._fit_title()
        lines = pane.title.text().split("\n")
        assert all(pane.title.fontMetrics().horizontalAdvance(line) <= pane.title.contentsRect().width()
                   for line in lines)
        assert lines == [f"Baseline{TITLE_SEPARATOR}{pane.radiograph.path.name}", levels]
    assert date in pane.title.toolTip()


def test_a_black_and_a_white_picture_show_black_and_white(qtbot, make_window, tmp_path):
    """A blank exposure looked the same mid-grey whatever its value (a window of width 1 about it)."""
    from PIL import Image

    for name, value in (("black.png", 0), ("white.png", 255)):
        Image.fromarray(np.full((60, 40), value, np.uint8)).save(tmp_path / name)
    window = make_window()
    open_and_wait(qtbot, window, tmp_path / "black.png", tmp_path / "white.png")
    for role, value, shade in ((BASELINE, 0.0, 0.0), (FOLLOWUP, 255.0, 1.0)):
        pane = window.panes[role]
        low, high = pane.image_item.levels
        assert (value - low) / (high - low) == pytest.approx(shade)


def test_one_radiograph_gets_most_of_the_room_and_two_share_it_and_the_joint_detail_waits_for_a_result(
        qtbot, make_window, study):
    """An annotator labelling single radiographs saw the hand in half the width above an empty joint detail."""
    window = make_window()
    window.resize(1400, 900)
    window.show()
    qtbot.waitExposed(window)
    open_and_wait(qtbot, window, study[0])
    one, empty = (window.panes[role].width() for role in (BASELINE, FOLLOWUP))
    assert one > 2 * empty and not window.detail_dock.isVisible()
    open_and_wait(qtbot, window, *study)
    baseline, followup = (window.panes[role].width() for role in (BASELINE, FOLLOWUP))
    assert abs(baseline - followup) <= 2 and not window.detail_dock.isVisible()


def _slow_for(monkeypatch, name: str, slow: str, seconds: float = 1.0) -> None:
    """The window's `name` loader (load_study, load_neighbour) takes `seconds` more for files named `slow`: a large
    radiograph on a network share."""
    import time

    import jsnviewer.gui.study_actions as study_actions

    real = getattr(study_actions, name)

    def loader(*args, **kwargs):
        if slow in str(args[0]):
            time.sleep(seconds)
        return real(*args, **kwargs)

    monkeypatch.setattr(study_actions, name, loader)


def test_a_study_opened_while_another_still_loads_is_the_one_shown_whatever_arrives_last(qtbot, make_window, study,
                                                                                         tmp_path, monkeypatch,
                                                                                         settings_store):
    """The first study, slow to read, arrived after the one the user opened next and replaced it, with no word;
    it also went to the top of the recent studies."""
    window = make_window()
    large = tmp_path / "large"
    large.mkdir()
    first = (write_radiograph(large / "b.dcm", seed=5, patient_id="P-FIRST"),
             write_radiograph(large / "f.dcm", seed=6, patient_id="P-FIRST"))
    _slow_for(monkeypatch, "load_study", "large")
    window.open_study(*first)
    open_and_wait(qtbot, window, *study)
    qtbot.waitUntil(lambda: not window.workers, timeout=10000)  # the first one has arrived too, by now
    qtbot.wait(50)
    assert [window.panes[role].radiograph.path for role in (BASELINE, FOLLOWUP)] == list(study)
    assert window.panes[BASELINE].radiograph.identity.patient_id == "P001"
    assert recent_studies(settings_store)[0] == (str(study[0]), str(study[1]))


def test_a_study_opened_while_the_next_image_still_loads_is_not_joined_by_it(qtbot, make_window, study, tmp_path,
                                                                            monkeypatch):
    """Next image, then at once another patient's study: the next image, slow to read, arrived last and replaced the
    new study's follow-up, showing two patients side by side."""
    window = make_window()
    folder = tmp_path / "slow-folder"
    folder.mkdir()
    first = (write_radiograph(folder / "a1.dcm", seed=5, patient_id="P-OTHER"),
             write_radiograph(folder / "a2.dcm", seed=6, patient_id="P-OTHER"))
    write_radiograph(folder / "a3.dcm", seed=7, patient_id="P-OTHER")
    open_and_wait(qtbot, window, *first)
    _slow_for(monkeypatch, "load_neighbour", "slow-folder")
    window.set_active_role(FOLLOWUP)
    assert window.open_neighbour(1) is not None  # a3, slowly
    open_and_wait(qtbot, window, *study)
    qtbot.waitUntil(lambda: not window.workers, timeout=10000)
    qtbot.wait(50)
    assert {window.panes[role].radiograph.identity.patient_id for role in (BASELINE, FOLLOWUP)} == {"P001"}
    assert window.panes[FOLLOWUP].radiograph.path == study[1]
    window.set_active_role(FOLLOWUP)  # and Next goes on from the image shown, not from the overtaken one
    window.open_neighbour(1)
    qtbot.waitUntil(lambda: window.statusBar().currentMessage() == "followup.dcm is the last radiograph in study",
                    timeout=10000)
    assert window.panes[FOLLOWUP].radiograph.path == study[1]


def test_a_narrow_views_title_shortens_the_file_name_readably_or_leaves_it_out_never_a_lone_ellipsis(
        qtbot, make_window, tmp_path):
    """At 1024 × 768 a baseline opened alone was titled "Baseline · … · W 168 L 102": the file name cut to nothing
    but the "…". The name keeps its start and end, or goes (the tooltip names it)."""
    from jsnviewer.gui.image_view import TITLE_SEPARATOR

    ELLIPSIS = "\u2026"
    path = write_radiograph(tmp_path / "UAB001-LH.png", study_date=None)
    window = make_window()
    open_and_wait(qtbot, window, path)
    pane = window.panes[BASELINE]
    metrics = pane.title.fontMetrics()
    shortened = dropped = 0
    for width in range(100, metrics.horizontalAdvance(pane.title_text) + 40, 3):
        pane.title.setFixedWidth(width)
        pane._fit_title()
        shown = pane.title.text()
        parts = [p for line in shown.split("\n") for p in line.split(TITLE_SEPARATOR)]
        assert ELLIPSIS not in parts, (width, shown)
        named = [p for p in parts if ELLIPSIS in p]
        for part in named:  # the start and the end of the name
            start, end = part.split(ELLIPSIS)
            assert start and end and len(start + end) >= 4, shown
            assert path.name.startswith(start) and path.name.endswith(end), shown
        shortened += bool(named)
        dropped += not named and path.name not in shown
    assert shortened and dropped  # both happen between the narrowest view and a wide one
    assert path.name in pane.title.text()


def test_the_window_title_names_both_patients_of_a_pair_of_two(qtbot, make_window, tmp_path):
    """A pair of two patients' radiographs was titled with the baseline's patient alone ("patient P001 — …")."""
    folder = tmp_path / "two"
    folder.mkdir()
    first = write_radiograph(folder / "a.dcm", seed=1, patient_id="P001", study_date=date(2019, 5, 2))
    second = write_radiograph(folder / "b.dcm", seed=2, patient_id="P777", study_date=date(2021, 6, 7))
    window = make_window()
    open_and_wait(qtbot, window, first, second)
    assert window.windowTitle().startswith("jsnviewer — patients P001 and P777 — 2019-05-02 → 2021-06-07")
    open_and_wait(qtbot, window, first, write_radiograph(folder / "c.dcm", seed=3, study_date=date(2021, 6, 7)))
    assert window.windowTitle().startswith("jsnviewer — patient P001 — ")


def test_the_study_panel_says_both_hands_for_a_file_of_both_hands_or_joints_named_with_their_hand(qtbot, make_window,
                                                                                                  tmp_path):
    """A two-hand film's Hand was "—": the file's ImageLaterality "B" was dropped, and joints named "R MCP2" / "L MCP2"
    said nothing of it."""
    declared = write_radiograph(tmp_path / "both.dcm", seed=1, laterality="B")
    silent = write_radiograph(tmp_path / "silent.dcm", seed=2, laterality=None)
    window = make_window()
    open_and_wait(qtbot, window, declared, silent)
    assert window.study_panel.value(BASELINE, "Hand") == "both hands"
    assert window.documents[BASELINE].both_hands  # opened as both hands: boxes are named with their hand
    assert not [text for level, text in window.warnings.messages() if "hand" in text]  # no "a B hand" pair warning
    assert window.study_panel.value(FOLLOWUP, "Hand") == "—"
    window.add_box(FOLLOWUP, (40.0, 60.0, 20.0, 20.0), identity="R MCP2")
    window.add_box(FOLLOWUP, (90.0, 60.0, 20.0, 20.0), identity="L MCP2")
    assert window.study_panel.value(FOLLOWUP, "Hand") == "both hands (from the joints; the file does not say)"
    window.actions_by_name["undo"].trigger()
    # one hand's joints named with it: that hand, no second one
    assert window.study_panel.value(FOLLOWUP, "Hand") == "right (from the joints; the file does not say)"


def test_a_one_hand_film_whose_joints_are_named_with_its_hand_is_not_said_to_show_both(qtbot, make_window, tmp_path):
    """A left-hand follow-up paired with a film of both hands gets its joints named "L MCP2" to pair them: the Study
    panel then said "both hands (from the joints; the file: left)" while the report said left hand."""
    both = write_radiograph(tmp_path / "both.dcm", seed=1, laterality="B")
    left = write_radiograph(tmp_path / "left.dcm", seed=2, laterality="L")
    window = make_window()
    open_and_wait(qtbot, window, both, left)
    said = window.study_panel.value(FOLLOWUP, "Hand")
    window.add_box(FOLLOWUP, (40.0, 60.0, 20.0, 20.0), identity="L MCP2")
    window.add_box(FOLLOWUP, (80.0, 60.0, 20.0, 20.0), identity="L PIP2")
    assert window.study_panel.value(FOLLOWUP, "Hand") == said and "both" not in said
    window.add_box(FOLLOWUP, (120.0, 60.0, 20.0, 20.0), identity="R MCP2")  # joints of both hands named: both
    assert window.study_panel.value(FOLLOWUP, "Hand").startswith("both hands (from the joints")


@pytest.fixture
def styled(qapp):
    """The program's style sheet (its bold view titles, as shown) for one test."""
    from jsnviewer.gui.resources import style_sheet

    qapp.setStyleSheet(style_sheet())
    yield
    qapp.setStyleSheet("")


@pytest.mark.parametrize("width, height", [(1024, 744), (1280, 776)])  # maximized, under a task bar
def test_on_a_laptop_screen_both_views_titles_keep_the_whole_file_name(qtbot, make_window, tmp_path, styled, width,
                                                                      height):
    """At 1024 × 768 a real pair's views were titled "Baseline · 2019-05-02 · UA…pg · W … L …", then, with the date
    dropped, still "Follow-up · UAB002….dcm · W … L …": the W/L of a 12-bit image left no room for the file name.
    The date goes first, then W/L goes on a line of its own; the name shows whole, both titles alike."""
    from jsnviewer.gui.image_view import TITLE_SEPARATOR

    pair = [write_radiograph(tmp_path / name, seed=n, study_date=date(2019 + 2 * n, 5, 2))
            for n, name in enumerate(("UAB001-RH.dcm", "UAB002-RH.dcm"))]
    window = make_window()
    window.resize(width, height)
    window.show()
    open_and_wait(qtbot, window, *pair)
    panes = [window.panes[role] for role in (BASELINE, FOLLOWUP)]
    for pane, path in zip(panes, pair):
        qtbot.waitUntil(lambda: path.name in pane.title.text(), timeout=3000)
        lines = pane.title.text().split("\n")
        assert all(pane.title.fontMetrics().horizontalAdvance(line) <= pane.title.contentsRect().width()
                   for line in lines)
        assert lines[0] == f"{pane.role}{TITLE_SEPARATOR}{path.name}" + (
            "" if len(lines) == 2 else f"{TITLE_SEPARATOR}W {pane.window_width:.0f}  L {pane.window_center:.0f}")
        assert lines[1:] in ([], [f"W {pane.window_width:.0f}  L {pane.window_center:.0f}"])
        assert str(path) in pane.title.toolTip() and pane.radiograph.identity.study_date.isoformat() in pane.title.toolTip()
    assert len({pane.title.text().count("\n") for pane in panes}) == 1
    assert (panes[0].title.text().count("\n") == 1) == (width == 1024)  # one line where it all fits


def test_where_one_views_title_needs_two_lines_both_images_start_level(qtbot, make_window, tmp_path, styled):
    """A long follow-up file name put its W/L on a second line: the follow-up image started a line lower than the
    baseline's, beside it."""
    from PySide6.QtCore import QPoint

    pair = [write_radiograph(tmp_path / name, seed=n)
            for n, name in enumerate(("a.dcm", "UAB002-RH-hand-followup.dcm"))]
    window = make_window()
    window.resize(1280, 776)
    window.show()
    open_and_wait(qtbot, window, *pair)
    baseline, followup = window.panes[BASELINE], window.panes[FOLLOWUP]
    qtbot.waitUntil(lambda: "\n" in followup.title.text() and "\n" not in baseline.title.text(), timeout=3000)
    qtbot.waitUntil(lambda: followup.title.height() >= followup.title.sizeHint().height())  # both lines shown
    assert baseline.graphics.mapTo(window, QPoint(0, 0)).y() == followup.graphics.mapTo(window, QPoint(0, 0)).y()
    assert baseline.graphics.height() == followup.graphics.height()
