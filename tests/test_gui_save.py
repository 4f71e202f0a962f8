"""Saving annotations: exact round trips, autosave, failed saves that keep the edits, COCO export, settings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings

from jsnviewer.dataset import JointAnnotation, image_id_of, open_dataset
from jsnviewer.gui.main_window import BASELINE, FOLLOWUP
from jsnviewer.detection.thresholds import Thresholds
from jsnviewer.gui.settings import AppSettings, load_settings, save_settings
from gui_support import make_window, open_and_wait, settings_store, study, wait_saved, write_radiograph  # noqa: F401

AWKWARD_BOXES = [(100.1234567890123, 57.3, 1 / 3, 21.700000000000003), (0.5, 0.5, 1.0, 1.0), (170.25, 230.125, 19.5, 19.75)]


def annotate(window, role=BASELINE):
    uids = [window.add_box(role, box) for box in AWKWARD_BOXES]
    window.documents[role].set_identity(uids[0], "MCP2")
    window.documents[role].set_finding(uids[0], "ankylosis", True)
    window.documents[role].set_finding(uids[2], "subluxation", True)
    return window.documents[role].joints()


def test_saved_annotations_reopen_identically_with_no_drift(qtbot, make_window, study, tmp_path):
    dataset = tmp_path / "dataset"
    window = make_window(dataset)
    baseline, followup = study
    open_and_wait(qtbot, window, baseline, followup)
    expected = annotate(window)
    assert window.documents[BASELINE].is_dirty and window.windowTitle().endswith("*")
    window.save_annotations()
    wait_saved(qtbot, window)
    assert not window.documents[BASELINE].is_dirty and not window.windowTitle().endswith("*")

    saved = open_dataset(dataset).annotation_for_file(baseline)  # what `jsnviewer train` will read
    assert [j.box for j in saved.joints] == AWKWARD_BOXES
    assert saved.width == 180 and saved.height == 240 and saved.pixel_size_mm == 0.15

    reopened = make_window(dataset)
    open_and_wait(qtbot, reopened, baseline, followup)
    assert reopened.documents[BASELINE].joints() == expected  # boxes, identities, findings, bit for bit
    for uid, box in zip(reopened.documents[BASELINE].uids(), AWKWARD_BOXES):
        item = reopened.layers[BASELINE].items[uid]
        assert item.pos().x() == box[0] - box[2] / 2 and item.size().y() == box[3]
    assert reopened.documents[FOLLOWUP].joints() == []


def test_naming_as_the_other_hand_says_which_boxes_it_left_without_a_name(qtbot, make_window, study, tmp_path):
    """Two boxes where one joint of the other hand lies: one of them lost its name while the status bar said only
    "7 boxes renamed"."""
    from test_detection_identity import UAB001_RH_BOXES

    from jsnviewer.detection.identity import name_as_hand

    window = make_window(tmp_path / "dataset")
    open_and_wait(qtbot, window, *study)
    centres = UAB001_RH_BOXES / 10
    for (x, y), name in zip(centres, name_as_hand(centres, "L")):  # the right hand's boxes named as a left hand's
        window.add_box(BASELINE, (float(x), float(y), 6.0, 6.0), identity=name)
    x, y = centres[0]
    window.add_box(BASELINE, (float(x) + 0.5, float(y) + 0.5, 6.0, 6.0), identity="DIP5")  # a second box on a joint
    before = [j.identity for j in window.documents[BASELINE].joints()]
    window.name_as_other_hand(BASELINE)
    after = [j.identity for j in window.documents[BASELINE].joints()]
    lost = sum(old is not None and new is None for old, new in zip(before, after))
    assert lost >= 1 and after[-1] is None  # the second box on that joint among them
    said = window.statusBar().currentMessage()
    assert f"{lost} box{'es' if lost > 1 else ''} left without a name" in said, said


def test_the_hand_a_reader_names_is_saved_and_holds_when_the_image_is_opened_again(qtbot, make_window, study, tmp_path):
    """A file that declares the wrong hand: the reader names the joints as the other hand's; opened again, the image
    is still that hand for the next analysis, though the file says otherwise."""
    from test_detection_identity import UAB001_RH_BOXES

    dataset = tmp_path / "dataset"
    window = make_window(dataset)
    baseline, followup = study  # declared left hands
    open_and_wait(qtbot, window, baseline, followup)
    for (x, y), name in zip(UAB001_RH_BOXES / 10, ["MCP4", "PIP3", "MCP2", "MCP3", "IP1", "PIP5"]):
        window.add_box(BASELINE, (float(x), float(y), 6.0, 6.0), identity=name)  # named as a left hand's
    window.name_as_other_hand(BASELINE)
    names = [j.identity for j in window.documents[BASELINE].joints()]
    assert names == ["MCP1", "PIP2", "MCP3", "MCP2", "MCP5", "IP1"]
    window.save_annotations()
    wait_saved(qtbot, window)
    assert open_dataset(dataset).annotation_for_file(baseline).laterality == "R"

    reopened = make_window(dataset)
    open_and_wait(qtbot, reopened, baseline, followup)
    assert [j.identity for j in reopened.documents[BASELINE].joints()] == names
    assert reopened.documents[BASELINE].hand_chosen == "R"
    assert reopened.analysed_radiograph(BASELINE).identity.laterality == "R"
    assert reopened.analysed_radiograph(FOLLOWUP).identity.laterality == "L"  # the other visit as its file says
    assert reopened.study_panel.value("Baseline", "Hand") == "right (named by the reader; the file: left)"
    assert reopened.study_panel.value("Follow-up", "Hand") == "left"


def test_the_both_hands_tick_alone_is_saved_and_holds_when_the_image_is_opened_again(qtbot, make_window, study,
                                                                                       tmp_path):
    """Ticked before any box was named, the tick was lost with the window: the annotator had to tick it again."""
    dataset = tmp_path / "dataset"
    window = make_window(dataset)
    baseline, followup = study  # declared left hands
    open_and_wait(qtbot, window, baseline, followup)
    window.add_box(BASELINE, (50.0, 60.0, 20.0, 30.0))
    window.joints_panel.both_hands.click()
    window.save_annotations()
    wait_saved(qtbot, window)
    assert open_dataset(dataset).annotation_for_file(baseline).laterality == "B"

    reopened = make_window(dataset)
    open_and_wait(qtbot, reopened, baseline, followup)
    assert reopened.documents[BASELINE].both_hands and reopened.joints_panel.both_hands.isChecked()
    assert not reopened.documents[FOLLOWUP].both_hands
    reopened.set_active_role(BASELINE)
    reopened.joints_panel.both_hands.click()  # one hand after all: the file's own hand is saved again
    reopened.save_annotations()
    wait_saved(qtbot, reopened)
    assert open_dataset(dataset).annotation_for_file(baseline).laterality == "L"
    again = make_window(dataset)
    open_and_wait(qtbot, again, baseline, followup)
    assert not again.documents[BASELINE].both_hands


def test_a_one_hand_film_paired_with_a_film_of_both_hands_is_saved_as_the_hand_it_shows(qtbot, make_window, tmp_path):
    """The analysis names a one-hand follow-up's joints with its hand ("R MCP2") to pair them with a film of both
    hands: its annotation was saved as laterality B, and opened again the film was ticked Both hands and said to
    show both."""
    dataset, folder = tmp_path / "dataset", tmp_path / "study"
    folder.mkdir()
    both = write_radiograph(folder / "both.dcm", seed=1, laterality="B")
    right = write_radiograph(folder / "right.dcm", seed=2, laterality="R")
    silent = write_radiograph(folder / "silent.dcm", seed=3, laterality=None)
    window = make_window(dataset)
    for followup, hand in ((right, "R"), (silent, "L")):
        open_and_wait(qtbot, window, both, followup)
        window.documents[FOLLOWUP].set_proposals([
            JointAnnotation(box=(40.0 + 40.0 * k, 60.0, 20.0, 20.0), identity=f"{hand} {name}", source="model")
            for k, name in enumerate(("MCP2", "MCP3", "PIP2"))])
        window.documents[FOLLOWUP].accept_proposals(window.documents[FOLLOWUP].uids())
        window.set_active_role(FOLLOWUP)
        assert not window.joints_panel.both_hands.isChecked()
        window.save_annotations()
        wait_saved(qtbot, window)
        saved = open_dataset(dataset).annotation_for_file(followup)
        assert saved.laterality == hand and {j.identity for j in saved.joints} == {f"{hand} MCP2", f"{hand} MCP3",
                                                                                   f"{hand} PIP2"}

    reopened = make_window(dataset)
    open_and_wait(qtbot, reopened, both, right)
    reopened.set_active_role(FOLLOWUP)
    assert reopened.study_panel.value(FOLLOWUP, "Hand") == "right"
    assert not reopened.documents[FOLLOWUP].shows_both_hands and not reopened.joints_panel.both_hands.isChecked()
    open_and_wait(qtbot, reopened, both, silent)
    assert reopened.study_panel.value(FOLLOWUP, "Hand") == "left (from the joints; the file does not say)"
    assert reopened.documents[FOLLOWUP].hand_chosen is None  # nobody named it: its joints say it


def test_autosave_coalesces_a_burst_of_edits_into_one_write_of_the_last_state(qtbot, make_window, study, tmp_path):
    dataset = tmp_path / "dataset"
    window = make_window(dataset, autosave_delay_s=0.3)
    open_and_wait(qtbot, window, *study)
    writes = []
    window.saver.saved.connect(lambda document, path: writes.append(path))
    uid = window.add_box(BASELINE, (50.0, 60.0, 20.0, 30.0))
    for step in range(10):
        window.documents[BASELINE].set_box(uid, (50.0 + step, 60.0, 20.0, 30.0), merge_key=None)
    qtbot.waitUntil(lambda: bool(writes) and not window.documents[BASELINE].is_dirty, timeout=10000)
    qtbot.wait(500)
    assert len(writes) == 1
    data = json.loads((dataset / "annotations" / f"{image_id_of(study[0])}.json").read_text())
    assert data["joints"][0]["box"] == [59.0, 60.0, 20.0, 30.0]
    assert "All saved" in window.save_state.text()


def test_a_failed_save_keeps_the_edits_and_says_why_in_the_window(qtbot, make_window, study, tmp_path):
    dataset = tmp_path / "dataset"
    window = make_window(dataset)
    open_and_wait(qtbot, window, *study)
    expected = annotate(window)
    open_dataset(dataset, create=True)
    (dataset / "annotations").write_text("a file where the annotations folder should be")
    failures = []
    window.saver.failed.connect(lambda document, reason: failures.append(reason))
    window.save_annotations()
    wait_saved(qtbot, window)
    qtbot.waitUntil(lambda: bool(failures), timeout=5000)
    document = window.documents[BASELINE]
    assert document.is_dirty and document.joints() == expected
    errors = [text for level, text in window.warnings.messages() if level == "error"]
    assert len(errors) == 1 and "baseline.dcm" in errors[0] and "not saved" in errors[0] and "edits are kept" in errors[0]
    assert "not saved" in window.save_state.text()
    window.documents[BASELINE].undo_stack.undo()  # still editable after the failure
    window.documents[BASELINE].undo_stack.redo()

    (dataset / "annotations").unlink()  # the user fixes the folder and saves again
    window.save_annotations()
    wait_saved(qtbot, window)
    qtbot.waitUntil(lambda: not document.is_dirty, timeout=5000)
    assert [j.box for j in open_dataset(dataset).annotation_for_file(study[0]).joints] == AWKWARD_BOXES
    assert not [text for level, text in window.warnings.messages() if level == "error"]


def test_a_folder_that_is_not_a_dataset_is_refused_with_a_message(qtbot, make_window, tmp_path):
    window = make_window()
    folder = tmp_path / "photos"
    folder.mkdir()
    (folder / "holiday.jpg").write_bytes(b"x")
    assert not window.set_dataset_folder(folder)
    assert window.saver.dataset_root is None
    errors = [text for level, text in window.warnings.messages() if level == "error"]
    assert errors and "not empty" in errors[0]


def test_unsaved_edits_survive_switching_to_another_image_and_back(qtbot, make_window, study, tmp_path):
    window = make_window()  # no dataset folder: nothing can be written yet
    baseline, followup = study
    other = write_radiograph(tmp_path / "other.dcm", seed=9)
    open_and_wait(qtbot, window, baseline, followup)
    expected = annotate(window)
    with qtbot.waitSignal(window.study_loaded, timeout=10000):
        window.open_paths([other], BASELINE)
    assert window.documents[BASELINE].joints() == []
    with qtbot.waitSignal(window.study_loaded, timeout=10000):
        window.open_paths([baseline], BASELINE)
    assert window.documents[BASELINE].joints() == expected and window.documents[BASELINE].is_dirty
    assert "no dataset folder" in window.save_state.text()


def test_edits_made_before_choosing_a_dataset_folder_are_autosaved_once_it_is_chosen(qtbot, make_window, study,
                                                                                    tmp_path):
    window = make_window(autosave_delay_s=0.2)
    open_and_wait(qtbot, window, *study)
    annotate(window)
    assert "no dataset folder" in window.save_state.text()
    assert window.set_dataset_folder(tmp_path / "new-dataset")
    qtbot.waitUntil(lambda: not window.documents[BASELINE].is_dirty, timeout=10000)
    saved = open_dataset(tmp_path / "new-dataset").annotation_for_file(study[0])
    assert [j.box for j in saved.joints] == AWKWARD_BOXES


def opened_beside_a_damaged_annotation(qtbot, make_window, study, tmp_path):
    """The study opened in a window whose dataset holds the baseline's annotation file cut short: (dataset, that
    file, the window)."""
    dataset = tmp_path / "dataset"
    open_dataset(dataset, create=True)
    damaged = dataset / "annotations" / f"{image_id_of(study[0])}.json"
    damaged.parent.mkdir()
    damaged.write_text('{"format": "jsnviewer-annotation", "version": 1, "image": {"fi')
    window = make_window(dataset, autosave_delay_s=0.1)
    open_and_wait(qtbot, window, *study)
    return dataset, damaged, window


def test_an_unreadable_saved_annotation_is_reported_and_not_overwritten_by_autosave(qtbot, make_window, study,
                                                                                     tmp_path):
    dataset, damaged, window = opened_beside_a_damaged_annotation(qtbot, make_window, study, tmp_path)
    errors = [text for level, text in window.warnings.messages() if level == "error"]
    assert len(errors) == 1 and damaged.name in errors[0]
    window.add_box(BASELINE, (50.0, 60.0, 20.0, 30.0))
    qtbot.wait(600)  # several autosave delays
    assert damaged.read_text().endswith('"fi')  # the user's old file is still there to repair
    assert "Ctrl+S needed" in window.save_state.text()  # not "autosave pending": autosave will not come
    window.save_annotations()  # an explicit save replaces it
    wait_saved(qtbot, window)
    qtbot.waitUntil(lambda: not window.documents[BASELINE].is_dirty, timeout=5000)
    assert "Ctrl+S" not in window.save_state.text()
    assert [j.box for j in open_dataset(dataset).annotation_for_file(study[0]).joints] == [(50.0, 60.0, 20.0, 30.0)]
    assert damaged.with_name(damaged.name + ".unreadable").read_text().endswith('"fi')  # set aside, not deleted


def test_ctrl_s_with_no_edits_leaves_an_unreadable_saved_annotation_as_it_is_and_the_message_says_so(
        qtbot, make_window, study, tmp_path):
    """The message said "Ctrl+S saves your boxes and keeps it as .json.unreadable", but Ctrl+S with no edits said
    "all edits are saved" and did nothing. Writing an empty annotation over the file would hide the damage (the
    image then reads as unreviewed, the Retrain dialog no longer names the file), so Ctrl+S waits for the user's
    boxes, and the message and the status bar say that."""
    dataset, damaged, window = opened_beside_a_damaged_annotation(qtbot, make_window, study, tmp_path)
    [error] = errors_of(window)
    assert "once you have drawn or corrected boxes on this image, Ctrl+S saves them" in error
    assert window.save_annotations()  # Ctrl+S, no edits
    wait_saved(qtbot, window)
    status = window.statusBar().currentMessage()
    assert "no edits of yours on baseline.dcm" in status and "left as it is" in status
    assert "all edits are saved" not in status
    assert damaged.read_text().endswith('"fi') and not damaged.with_name(damaged.name + ".unreadable").exists()
    assert errors_of(window) == [error]  # still true: the file is still unreadable
    window.add_box(BASELINE, (50.0, 60.0, 20.0, 30.0))  # now Ctrl+S does what the message says
    window.save_annotations()
    wait_saved(qtbot, window)
    qtbot.waitUntil(lambda: not window.documents[BASELINE].is_dirty, timeout=5000)
    assert damaged.with_name(damaged.name + ".unreadable").read_text().endswith('"fi')
    assert not errors_of(window)


def test_coco_export_has_every_saved_box_in_coco_geometry(qtbot, make_window, study, tmp_path):
    dataset = tmp_path / "dataset"
    window = make_window(dataset)
    open_and_wait(qtbot, window, *study)
    annotate(window)
    out = tmp_path / "export" / "coco.json"
    window.export_coco_to(out)
    qtbot.waitUntil(lambda: not window.workers, timeout=10000)  # (a waitSignal begun after the start can miss it)
    coco = json.loads(out.read_text())
    assert len(coco["images"]) == 1 and len(coco["annotations"]) == 3
    cx, cy, w, h = AWKWARD_BOXES[0]
    first = coco["annotations"][0]
    assert first["bbox"] == [cx - w / 2, cy - h / 2, w, h]
    assert {c["id"]: c["name"] for c in coco["categories"]}[first["category_id"]] == "MCP2"
    assert first["attributes"]["ankylosis"] is True
    assert "1 reviewed image, 3 boxes" in window.statusBar().currentMessage()


def test_the_coco_export_says_an_image_reviewed_in_part_is_marked_not_exhaustive(qtbot, make_window, tmp_path,
                                                                                 half_reviewed_dataset):
    window = make_window(half_reviewed_dataset.root)
    window.export_coco_to(tmp_path / "coco.json")
    qtbot.waitUntil(lambda: not window.workers, timeout=10000)
    (text,) = [text for level, text in window.warnings.messages() if level == "info"]
    assert text.endswith("waiting for review. 1 exported image is reviewed in part: 2 proposals waiting for review "
                         "on it are not in the file, which marks that image as not exhaustively annotated "
                         "(not_exhaustive_category_ids)."), text


def _annotated_and_exported(qtbot, window, study, tmp_path):
    """The window with the study's boxes annotated and exported: (window, the COCO file, its content)."""
    open_and_wait(qtbot, window, *study)
    annotate(window)
    out = tmp_path / "coco.json"
    window.export_coco_to(out)
    qtbot.waitUntil(lambda: not window.workers, timeout=10000)
    return window, out, json.loads(out.read_text())


def test_coco_import_shows_the_boxes_corrected_elsewhere_and_keeps_an_edit_made_just_before(qtbot, make_window, study,
                                                                                             tmp_path):
    dataset = tmp_path / "dataset"
    window, out, coco = _annotated_and_exported(qtbot, make_window(dataset), study, tmp_path)
    coco["annotations"][1]["bbox"] = [40.0, 50.0, 20.0, 24.0]  # corrected in CVAT: the second box, moved
    out.write_text(json.dumps(coco))
    document = window.documents[BASELINE]
    uid = window.add_box(BASELINE, (120.0, 150.0, 18.0, 16.0))  # an edit not saved yet (autosave 30 s away)
    assert document.is_dirty

    window.import_coco_from(out)
    qtbot.waitUntil(lambda: not window.workers and window.import_report is not None, timeout=10000)

    document = window.documents[BASELINE]
    shown = sorted(j.box for j in document.joints())
    # the moved box is shown beside the one it was (the dataset changed since the export: nothing deleted), and
    # the edit made just before the import is still there, saved
    assert shown == sorted([*AWKWARD_BOXES, (50.0, 62.0, 20.0, 24.0), (120.0, 150.0, 18.0, 16.0)])
    assert sorted(item.pos().x() for item in window.layers[BASELINE].items.values()) == sorted(
        box[0] - box[2] / 2 for box in shown)
    assert not document.is_dirty
    assert sorted(j.box for j in open_dataset(dataset).annotation_for_file(study[0]).joints) == shown
    assert "changed here since the export: imported boxes added beside yours, 1 of them" in window.import_report.text()


def test_coco_import_of_an_unchanged_dataset_replaces_the_shown_boxes(qtbot, make_window, study, tmp_path):
    window, out, coco = _annotated_and_exported(qtbot, make_window(tmp_path / "dataset"), study, tmp_path)
    coco["annotations"][1]["bbox"] = [40.0, 50.0, 20.0, 24.0]
    del coco["annotations"][2]  # deleted in CVAT
    out.write_text(json.dumps(coco))

    window.import_coco_from(out)
    qtbot.waitUntil(lambda: not window.workers and window.import_report is not None, timeout=10000)

    assert [j.box for j in window.documents[BASELINE].joints()] == [AWKWARD_BOXES[0], (50.0, 62.0, 20.0, 24.0)]
    assert len(window.layers[BASELINE].items) == 2
    assert "2 boxes of yours deleted because they were deleted in the file" in window.import_report.text()
    # the status bar said "1 box(es) added" only: a box deleted in CVAT was gone without a word there
    assert window.statusBar().currentMessage() == "COCO JSON imported: 1 image updated, 1 box added, 2 boxes deleted"


def test_a_coco_import_that_replaced_the_shown_boxes_is_one_undo_step_and_undo_saves_the_boxes_back(
        qtbot, make_window, study, tmp_path):
    """Undo and Redo were off after an import (the history cleared): the boxes it changed could not be had back."""
    dataset = tmp_path / "dataset"
    window, out, coco = _annotated_and_exported(qtbot, make_window(dataset, autosave_delay_s=0.1), study, tmp_path)
    before = window.documents[BASELINE].joints()
    coco["annotations"][0]["bbox"][0] += 10.0  # the MCP2 box moved by 10 px in another tool
    out.write_text(json.dumps(coco))

    window.import_coco_from(out)
    qtbot.waitUntil(lambda: not window.workers and window.import_report is not None, timeout=10000)
    document = window.documents[BASELINE]
    imported = document.joints()
    assert imported != before and not document.is_dirty
    assert "1 box of yours changed as in the file" in window.import_report.text()
    undo = window.actions_by_name["undo"]
    assert undo.isEnabled() and undo.text() == "&Undo COCO import"

    undo.trigger()
    assert sorted(j.box for j in document.joints()) == sorted(j.box for j in before)
    qtbot.waitUntil(lambda: not document.is_dirty and not window.saver.is_busy(), timeout=10000)
    saved = open_dataset(dataset).annotation_for_file(study[0]).joints
    assert sorted(j.box for j in saved) == sorted(j.box for j in before)  # undone in the dataset too

    window.actions_by_name["redo"].trigger()
    assert sorted(j.box for j in document.joints()) == sorted(j.box for j in imported)
    qtbot.waitUntil(lambda: not document.is_dirty and not window.saver.is_busy(), timeout=10000)
    assert sorted(j.box for j in open_dataset(dataset).annotation_for_file(study[0]).joints) == \
        sorted(j.box for j in imported)


def test_coco_import_without_a_dataset_folder_says_what_to_do(qtbot, make_window, tmp_path):
    window = make_window()
    window.actions_by_name["coco_import"].trigger()  # no file dialog: there is nothing to import into
    assert any("choose one first (File ▸ Choose dataset folder…)" in text for _, text in window.warnings.messages())


def test_a_damaged_coco_file_is_one_line_in_the_window(qtbot, make_window, tmp_path):
    window = make_window(tmp_path / "dataset")
    (tmp_path / "coco.json").write_text("[]")
    window.import_coco_from(tmp_path / "coco.json")
    qtbot.waitUntil(lambda: not window.workers, timeout=10000)
    assert ("error", "Importing COCO JSON failed: coco.json is not a COCO JSON file: it holds no JSON object") in \
        window.warnings.messages()
    assert window.import_report is None


def test_a_coco_import_that_succeeds_ends_the_message_of_the_one_that_failed(qtbot, make_window, study, tmp_path):
    """The red "failed" bar outlived a successful import, and the status bar's last success a later failure."""
    window, out, coco = _annotated_and_exported(qtbot, make_window(tmp_path / "dataset"), study, tmp_path)
    (tmp_path / "broken.json").write_text("[]")
    window.import_coco_from(tmp_path / "broken.json")
    qtbot.waitUntil(lambda: not window.workers, timeout=10000)
    assert any(level == "error" for level, _ in window.warnings.messages())
    window.import_coco_from(out)
    qtbot.waitUntil(lambda: not window.workers and window.import_report is not None, timeout=10000)
    assert not any(level == "error" for level, _ in window.warnings.messages())
    assert window.statusBar().currentMessage().startswith("COCO JSON imported")
    window.import_coco_from(tmp_path / "missing.json")
    qtbot.waitUntil(lambda: not window.workers, timeout=10000)
    assert window.statusBar().currentMessage() == ""
    assert any("Importing COCO JSON failed" in text for _, text in window.warnings.messages())


def test_settings_persist_through_qsettings_with_the_papers_defaults(tmp_path):
    store = QSettings(str(tmp_path / "s.ini"), QSettings.IniFormat)
    defaults = load_settings(store)
    assert defaults.thresholds == Thresholds(conf=0.9, iou1=0.15, m1=20, m2=18, iou2=0.45)
    assert defaults.device == "auto"
    changed = AppSettings(device="cpu", registration_method="poc", thresholds=Thresholds(0.8, 0.2, 25, 15, 0.5), dataset_folder=str(tmp_path),
                          weights={"detector_ankylosis": "/models/mine.pt", "detector_subluxation": "", "joint_findings": "",
                                   "segmenter": "", "registration": ""},
                          autosave_delay_s=5.0)
    save_settings(changed, store)
    assert load_settings(QSettings(str(tmp_path / "s.ini"), QSettings.IniFormat)) == changed


def test_thresholds_saved_by_earlier_versions_are_read_and_written_under_the_same_keys(tmp_path):
    ini = tmp_path / "s.ini"
    ini.write_text("[thresholds]\nt_conf=0.8\nt_iou1=0.2\nm1=25\nm2=15\nt_iou2=0.5\n")
    assert load_settings(QSettings(str(ini), QSettings.IniFormat)).thresholds == Thresholds(0.8, 0.2, 25, 15, 0.5)
    save_settings(AppSettings(thresholds=Thresholds(0.7, 0.1, 30, 10, 0.4)), QSettings(str(ini), QSettings.IniFormat))
    store = QSettings(str(ini), QSettings.IniFormat)
    saved = {key: store.value(key) for key in store.allKeys() if key.startswith("thresholds/")}
    assert {key: float(value) for key, value in saved.items()} == {
        "thresholds/t_conf": 0.7, "thresholds/t_iou1": 0.1, "thresholds/m1": 30, "thresholds/m2": 10, "thresholds/t_iou2": 0.4}


def test_settings_that_cannot_be_written_are_reported_in_the_window(qtbot, make_window, tmp_path, monkeypatch):
    (tmp_path / "config").write_text("a file where the settings folder should be (a read-only or full home)")
    unwritable = QSettings(str(tmp_path / "config" / "jsnviewer.conf"), QSettings.IniFormat)
    monkeypatch.setattr("jsnviewer.gui.main_window.qsettings", lambda: unwritable)
    window = make_window()
    assert window.set_dataset_folder(tmp_path / "dataset")
    assert any(level == "warning" and "settings could not be saved" in text and str(tmp_path / "config") in text
               for level, text in window.warnings.messages())


def test_settings_dialog_edits_device_thresholds_and_weights(qtbot):
    from jsnviewer.gui.settings import SettingsDialog

    dialog = SettingsDialog(AppSettings())
    qtbot.addWidget(dialog)
    assert dialog.device_note.text().startswith("Runs on:")
    dialog.device.setCurrentIndex(1)
    dialog.t_conf.setValue(0.75)
    dialog.m2.setValue(12)
    dialog.weights["segmenter"].setText("/tmp/seg.pt")
    values = dialog.values()
    assert values.device == "cpu" and values.thresholds.conf == 0.75 and values.thresholds.m2 == 12
    assert values.weights["segmenter"] == "/tmp/seg.pt"
    dialog._restore_defaults()
    assert dialog.values().thresholds == Thresholds()


def test_the_detection_thresholds_are_named_in_words_with_the_papers_symbols_in_brackets(qtbot):
    """A reader saw rows named "t_conf", "t_IoU1", "M1", "M2", "t_IoU2" and nothing else."""
    from PySide6.QtWidgets import QFormLayout

    from jsnviewer.gui.settings import SettingsDialog

    dialog = SettingsDialog(AppSettings())
    qtbot.addWidget(dialog)
    boxes = {"t_conf": dialog.t_conf, "t_IoU1": dialog.t_iou1, "M1": dialog.m1, "M2": dialog.m2, "t_IoU2": dialog.t_iou2}
    form = dialog.t_conf.parentWidget().layout()
    assert isinstance(form, QFormLayout)
    labels = {symbol: form.labelForField(box).text() for symbol, box in boxes.items()}
    assert labels["t_conf"] == "Detection confidence (t_conf)"
    assert labels["M1"] == "Most joints per hand, ankylosis detector and merged (M1)"
    assert labels["M2"] == "Most joints per hand, subluxation detector (M2)"
    for symbol, label in labels.items():
        words = label.removesuffix(f" ({symbol})")
        assert words != label and len(words.split()) >= 2, label  # words first, the symbol in brackets after them
        assert f"the paper's {symbol}" in boxes[symbol].toolTip()  # and what it does, in the tooltip


def test_each_settings_rows_label_shows_its_fields_tooltip_in_plain_words(qtbot):
    """The thresholds' tooltips showed only over the number boxes, not over the words beside them; Device had none;
    they spoke of "intersection over union" three times, and M1's said it also capped the joints once the two
    detectors' boxes were merged while its label said only "Boxes kept, ankylosis detector"."""
    from PySide6.QtWidgets import QFormLayout

    from jsnviewer.gui.settings import SettingsDialog

    dialog = SettingsDialog(AppSettings())
    qtbot.addWidget(dialog)
    fields = [dialog.device, dialog.method, dialog.t_conf, dialog.t_iou1, dialog.m1, dialog.m2, dialog.t_iou2,
              dialog.autosave]
    for field in fields:
        label = field.parentWidget().layout().labelForField(field)
        assert field.toolTip() and label.toolTip() == field.toolTip(), label.text()
    assert "processor" in dialog.device.toolTip() and "graphics card" in dialog.device.toolTip()
    tips = " ".join(field.toolTip() for field in fields).lower()
    assert tips.count("intersection over union") <= 1
    form = dialog.m1.parentWidget().layout()
    assert isinstance(form, QFormLayout)
    m1_label, m1_tip = form.labelForField(dialog.m1).text().lower(), dialog.m1.toolTip().lower()
    assert "joints per hand" in m1_label and "merged" in m1_label  # what the tooltip says it caps
    assert "ankylosis detector" in m1_tip and "merged" in m1_tip and "joints" in m1_tip


def test_settings_go_back_to_the_shipped_models_in_one_click_after_a_retraining(qtbot):
    from jsnviewer.gui.settings import SettingsDialog
    from jsnviewer.weights import MODEL_TITLES

    retrained = {name: f"/data/dataset/retrained/2024-05-02_101500/{name}.pt" for name in MODEL_TITLES}
    dialog = SettingsDialog(AppSettings(weights=retrained))
    qtbot.addWidget(dialog)
    dialog.shipped_button.click()
    assert dialog.values().weights == {name: "" for name in MODEL_TITLES}


def test_a_long_weights_path_shows_its_run_folder_and_file_name_and_whole_in_its_tooltip(qtbot):
    from jsnviewer.gui.settings import SettingsDialog

    path = "/srv/clinic/annotation-projects/hands-2024/dataset/retrained/2024-05-02_101500/segmenter.pt"
    dialog = SettingsDialog(AppSettings(weights={"segmenter": path}))
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    edit = dialog.weights["segmenter"]
    assert not edit.hasFocus() and edit.fontMetrics().horizontalAdvance(path) > edit.width()  # too long to show whole
    shown = edit.shown_text()
    assert shown.startswith("/srv/") and "…" in shown and shown.endswith("/2024-05-02_101500/segmenter.pt"), shown
    assert edit.toolTip() == path
    edit.setText("/tmp/seg.pt")
    assert edit.shown_text() == "/tmp/seg.pt" and edit.toolTip() == "/tmp/seg.pt"
    assert dialog.values().weights["segmenter"] == "/tmp/seg.pt"


def test_a_chosen_weights_file_gone_is_named_with_its_model_when_the_window_opens(qtbot, settings_store, tmp_path,
                                                                                  monkeypatch):
    from jsnviewer.gui.main_window import MainWindow
    from jsnviewer.gui.settings import SettingsDialog

    gone = tmp_path / "retrained" / "segmenter.pt"
    window = MainWindow(AppSettings(weights={"segmenter": str(gone)}))
    qtbot.addWidget(window)
    window.ask_before_discarding = False
    assert window.warnings.messages() == [("warning", f"Bone segmenter weights {gone}: file not found (choose another "
                                                      "file in Settings or clear it to use the shipped weights)")]
    monkeypatch.setattr(SettingsDialog, "exec", lambda dialog: dialog.shipped_button.click() or True)
    window.open_settings()  # "Use the shipped models", OK
    assert window.settings.weights["segmenter"] == "" and window.warnings.messages() == []


def test_a_damaged_weights_file_is_named_with_its_model_once_the_models_load_at_start(qtbot, settings_store, tmp_path):
    from jsnviewer.gui.main_window import MainWindow

    damaged = tmp_path / "seg.pt"
    damaged.write_bytes(b"\x00garbage" * 10)
    window = MainWindow(AppSettings(weights={"segmenter": str(damaged)}))
    qtbot.addWidget(window)
    window.ask_before_discarding = False
    window.warm_up()  # as the application does at start
    qtbot.waitUntil(lambda: bool(window.warnings.messages()), timeout=120000)
    assert window.warnings.messages() == [("warning", f"Bone segmenter weights {damaged}: cannot be read, the file is "
                                                      "damaged or not a weights file (choose another file in "
                                                      "Settings or clear it to use the shipped weights)")]


def errors_of(window) -> list[str]:
    return [text for level, text in window.warnings.messages() if level == "error"]


def test_a_remembered_dataset_folder_that_is_gone_is_not_made_again(qtbot, make_window, study, tmp_path):
    stick = tmp_path / "usb-stick"  # the dataset of the settings, on a stick that is not plugged in
    window = make_window(stick / "ds", autosave_delay_s=0.1, made=False)
    open_and_wait(qtbot, window, *study)
    assert window.panes[BASELINE].radiograph is not None
    assert "Dataset folder not available" in errors_of(window)[0] and "Autosave is off" in errors_of(window)[0]
    assert window.save_state.text() == "Autosave off: dataset folder not available"
    expected = annotate(window)
    qtbot.wait(500)  # several autosave delays
    assert not stick.exists()
    assert window.documents[BASELINE].is_dirty and window.documents[BASELINE].joints() == expected
    assert "dataset folder not available" in window.save_state.text()


def test_an_empty_mount_point_of_the_remembered_dataset_gets_no_new_dataset(qtbot, make_window, study, tmp_path):
    dataset = tmp_path / "share" / "ds"
    first = make_window(dataset)
    open_and_wait(qtbot, first, *study)
    expected = annotate(first)
    first.save_annotations()
    wait_saved(qtbot, first)
    qtbot.waitUntil(lambda: not first.documents[BASELINE].is_dirty, timeout=5000)
    (tmp_path / "share").rename(tmp_path / "unmounted")
    dataset.mkdir(parents=True)  # the empty mount point the next day
    window = make_window(dataset, autosave_delay_s=0.1, made=False)
    open_and_wait(qtbot, window, *study)
    assert window.documents[BASELINE].joints() == [] and "Dataset folder not available" in errors_of(window)[0]
    window.add_box(BASELINE, (20.0, 30.0, 10.0, 10.0))
    qtbot.wait(500)
    assert list(dataset.iterdir()) == [] and window.documents[BASELINE].is_dirty

    dataset.rmdir()
    (tmp_path / "unmounted").rename(tmp_path / "share")  # mounted again: the user chooses the folder again
    assert window.set_dataset_folder(dataset) and not errors_of(window)
    qtbot.waitUntil(lambda: not window.documents[BASELINE].is_dirty, timeout=10000)
    saved = open_dataset(dataset).annotation_for_file(study[0]).joints
    new_box = JointAnnotation(box=(20.0, 30.0, 10.0, 10.0))
    assert saved == expected + [new_box]  # the saved boxes stay, the new one joins them
    assert sorted(j.box for j in window.documents[BASELINE].joints()) == sorted(j.box for j in saved)
    assert not errors_of(window)


@pytest.mark.parametrize("content", ["[]", "null", '"x"', '{"format": "jsnviewer-dataset", "version": "two"}'])
def test_a_damaged_dataset_json_still_opens_the_radiographs_with_autosave_off(qtbot, make_window, study, tmp_path,
                                                                              content):
    dataset = tmp_path / "dataset"
    open_dataset(dataset, create=True)
    (dataset / "dataset.json").write_text(content)
    window = make_window(dataset, autosave_delay_s=0.1)
    open_and_wait(qtbot, window, *study)
    assert all(window.panes[role].radiograph is not None for role in (BASELINE, FOLLOWUP))
    assert len(errors_of(window)) == 1 and "dataset.json" in errors_of(window)[0]
    assert "Autosave is off" in errors_of(window)[0] and "Error" not in errors_of(window)[0]
    annotate(window)
    qtbot.wait(500)
    assert (dataset / "dataset.json").read_text() == content
    assert [p.name for p in dataset.iterdir()] == ["dataset.json"]
    assert window.documents[BASELINE].is_dirty


@pytest.mark.parametrize("content", ["[]", "null", "42"])
def test_an_annotation_file_of_the_wrong_json_type_is_handled_like_an_unreadable_one(qtbot, make_window, study,
                                                                                      tmp_path, content):
    dataset = tmp_path / "dataset"
    open_dataset(dataset, create=True)
    damaged = dataset / "annotations" / f"{image_id_of(study[0])}.json"
    damaged.parent.mkdir()
    damaged.write_text(content)
    window = make_window(dataset, autosave_delay_s=0.1)
    open_and_wait(qtbot, window, *study)
    assert all(window.panes[role].radiograph is not None for role in (BASELINE, FOLLOWUP))
    assert len(errors_of(window)) == 1 and "Saved annotations not loaded" in errors_of(window)[0]
    window.add_box(BASELINE, (50.0, 60.0, 20.0, 30.0))
    qtbot.wait(500)
    assert damaged.read_text() == content
    window.save_annotations()
    wait_saved(qtbot, window)
    qtbot.waitUntil(lambda: not window.documents[BASELINE].is_dirty, timeout=5000)
    assert damaged.with_name(damaged.name + ".unreadable").read_text() == content
    assert not errors_of(window)


def identities(joints) -> list[str | None]:
    return sorted(j.identity for j in joints)


def test_two_windows_on_one_image_merge_their_edits(qtbot, make_window, study, tmp_path):
    dataset = tmp_path / "shared-dataset"
    first, second = make_window(dataset, autosave_delay_s=0.1), make_window(dataset, autosave_delay_s=0.1)
    open_and_wait(qtbot, first, *study)
    open_and_wait(qtbot, second, *study)
    first.add_box(BASELINE, (50.0, 60.0, 20.0, 30.0), identity="MCP2")
    qtbot.waitUntil(lambda: not first.documents[BASELINE].is_dirty, timeout=10000)
    second.add_box(BASELINE, (90.0, 60.0, 20.0, 30.0), identity="MCP3")
    qtbot.waitUntil(lambda: not second.documents[BASELINE].is_dirty, timeout=10000)

    saved = open_dataset(dataset).annotation_for_file(study[0])
    assert identities(saved.joints) == ["MCP2", "MCP3"]  # the first window's box is not replaced
    assert identities(second.documents[BASELINE].joints()) == ["MCP2", "MCP3"]  # and shows in the second
    assert not errors_of(second) and not list((dataset / "annotations").glob("*.json.conflict-*"))
    assert any("merged with yours" in text for level, text in second.warnings.messages() if level == "info")

    first.add_box(BASELINE, (170.0, 60.0, 20.0, 30.0), identity="MCP4")  # the first window saves on
    qtbot.waitUntil(lambda: not first.documents[BASELINE].is_dirty, timeout=10000)
    assert identities(open_dataset(dataset).annotation_for_file(study[0]).joints) == ["MCP2", "MCP3", "MCP4"]
    assert identities(first.documents[BASELINE].joints()) == ["MCP2", "MCP3", "MCP4"]
    first.documents[BASELINE].undo_stack.undo()  # the merge is one undo step, after the user's own
    assert identities(first.documents[BASELINE].joints()) == ["MCP2", "MCP4"]


def two_windows_on_one_box(qtbot, make_window, study, tmp_path, box):
    """Two windows autosaving into one dataset folder, the study open in both: the first drew an MCP2 `box` and saved
    it before the second opened the study. Returns the folder, both windows and the box's uid in the first."""
    dataset = tmp_path / "shared-dataset"
    first, second = make_window(dataset, autosave_delay_s=0.1), make_window(dataset, autosave_delay_s=0.1)
    open_and_wait(qtbot, first, *study)
    uid = first.add_box(BASELINE, box, identity="MCP2")
    qtbot.waitUntil(lambda: not first.documents[BASELINE].is_dirty, timeout=10000)
    open_and_wait(qtbot, second, *study)
    return dataset, first, second, uid


def test_one_joint_changed_differently_in_two_windows_is_kept_twice_only_when_the_user_saves(
        qtbot, make_window, study, tmp_path):
    dataset, first, second, uid = two_windows_on_one_box(qtbot, make_window, study, tmp_path, (50.0, 60.0, 20.0, 30.0))
    first.documents[BASELINE].set_box(uid, (52.0, 60.0, 20.0, 30.0))
    qtbot.waitUntil(lambda: not first.documents[BASELINE].is_dirty, timeout=10000)
    theirs = (dataset / "annotations" / f"{image_id_of(study[0])}.json").read_bytes()
    second.documents[BASELINE].set_box(second.documents[BASELINE].uids()[0], (47.0, 60.0, 20.0, 30.0))
    mine = second.documents[BASELINE].joints()
    qtbot.waitUntil(lambda: bool(second.documents[BASELINE].save_error), timeout=10000)
    wait_saved(qtbot, second)

    assert (dataset / "annotations" / f"{image_id_of(study[0])}.json").read_bytes() == theirs
    assert second.documents[BASELINE].is_dirty and second.documents[BASELINE].joints() == mine
    message = errors_of(second)[0]
    assert "baseline.dcm not saved" in message and "both changed MCP2" in message and "Ctrl+S merges" in message
    copies = list((dataset / "annotations").glob("*.json.conflict-*"))
    assert len(copies) == 1 and copies[0].name in message
    assert [j["box"][0] for j in json.loads(copies[0].read_text())["joints"]] == [47.0]
    second.add_box(BASELINE, (130.0, 60.0, 20.0, 30.0))
    qtbot.wait(500)  # autosave leaves that file alone now: no copy per edit
    assert len(list((dataset / "annotations").glob("*.json.conflict-*"))) == 1

    second.save_annotations()  # the user's explicit save keeps both versions
    qtbot.waitUntil(lambda: not second.documents[BASELINE].is_dirty, timeout=10000)
    saved = open_dataset(dataset).annotation_for_file(study[0])
    assert sorted(j.box[0] for j in saved.joints) == [47.0, 52.0, 130.0]
    assert sorted(j.box[0] for j in second.documents[BASELINE].joints()) == [47.0, 52.0, 130.0]
    assert not errors_of(second)
    warning = next(text for level, text in second.warnings.messages() if level == "warning" and "merged" in text)
    assert "Both of you changed MCP2: both versions are kept" in warning


def test_a_box_moved_in_another_window_is_said_as_one_change_by_its_name(qtbot, make_window, study, tmp_path):
    dataset = tmp_path / "shared-dataset"
    first, second = make_window(dataset, autosave_delay_s=0.1), make_window(dataset, autosave_delay_s=0.1)
    open_and_wait(qtbot, first, *study)
    ip1 = first.add_box(BASELINE, (50.0, 60.0, 20.0, 30.0), identity="IP1")
    first.add_box(BASELINE, (90.0, 60.0, 20.0, 30.0), identity="MCP2")
    qtbot.waitUntil(lambda: not first.documents[BASELINE].is_dirty, timeout=10000)
    open_and_wait(qtbot, second, *study)
    first.documents[BASELINE].set_box(ip1, (53.0, 60.0, 20.0, 30.0))  # moved: one change
    qtbot.waitUntil(lambda: not first.documents[BASELINE].is_dirty, timeout=10000)
    document = second.documents[BASELINE]
    document.set_box(next(uid for uid in document.uids() if document.joint(uid).identity == "MCP2"),
                     (92.0, 60.0, 20.0, 30.0))
    qtbot.waitUntil(lambda: not document.is_dirty, timeout=10000)
    assert [text for level, text in second.warnings.messages() if "merged with yours" in text] == [
        "baseline.dcm: 1 box changed meanwhile by another window or annotator (IP1), merged with yours and shown here."]


def test_a_box_moved_far_in_another_window_is_kept_twice_and_the_message_says_to_delete_one(qtbot, make_window, study,
                                                                                             tmp_path):
    """Moved so far that old and new hardly overlap, the other window's MCP2 merged as a second MCP2, and the window
    said '2 boxes changed … (MCP2, MCP2)' without saying what to do."""
    _, first, second, mcp2 = two_windows_on_one_box(qtbot, make_window, study, tmp_path, (90.0, 60.0, 20.0, 30.0))
    first.documents[BASELINE].set_box(mcp2, (130.0, 60.0, 20.0, 30.0))  # far: no longer the same box
    qtbot.waitUntil(lambda: not first.documents[BASELINE].is_dirty, timeout=10000)
    document = second.documents[BASELINE]
    document.set_box(document.uids()[0], (70.0, 60.0, 20.0, 30.0))  # the other way, as far
    qtbot.waitUntil(lambda: not document.is_dirty, timeout=10000)
    assert sorted(j.box[0] for j in document.joints()) == [70.0, 130.0]
    said = [(level, text) for level, text in second.warnings.messages() if "merged with yours" in text]
    assert said and said[0][0] == "warning" and "MCP2 is now there twice: delete the box you do not want." in said[0][1]


def test_a_radiograph_replaced_on_disk_before_the_save_gets_no_boxes(qtbot, make_window, study, tmp_path):
    dataset = tmp_path / "dataset"
    window = make_window(dataset)
    baseline, followup = study
    opened_id = image_id_of(baseline)
    open_and_wait(qtbot, window, baseline, followup)
    expected = annotate(window)
    write_radiograph(baseline, seed=9)  # another image exported under the same name
    window.save_annotations()
    wait_saved(qtbot, window)
    qtbot.waitUntil(lambda: bool(window.documents[BASELINE].save_error), timeout=5000)
    assert window.documents[BASELINE].is_dirty and window.documents[BASELINE].joints() == expected
    [said] = errors_of(window)  # what to do: put the opened image back, nothing about the dataset folder
    assert "baseline.dcm not saved" in said and "replaced on disk" in said
    assert f"put the radiograph back at {baseline}, then save" in said and "folder" not in said.split("replaced")[1]
    for image_id in (opened_id, image_id_of(baseline)):
        assert not (dataset / "annotations" / f"{image_id}.json").exists()
        assert not list((dataset / "images").glob(f"{image_id}.*"))


def test_a_radiograph_moved_away_before_the_first_save_keeps_the_edits_and_says_to_put_it_back(qtbot, make_window, study,
                                                                                                  tmp_path):
    """The dataset folder is fine: the save waits for the radiograph (it copies it in), so the message says where to
    put it back, not to fix or choose another folder."""
    dataset = tmp_path / "dataset"
    window = make_window(dataset)
    baseline, followup = study
    open_and_wait(qtbot, window, baseline, followup)
    expected = annotate(window)
    moved = baseline.rename(tmp_path / "elsewhere.dcm")
    window.save_annotations()
    wait_saved(qtbot, window)
    qtbot.waitUntil(lambda: bool(window.documents[BASELINE].save_error), timeout=5000)
    assert window.documents[BASELINE].is_dirty and window.documents[BASELINE].joints() == expected
    [said] = errors_of(window)
    assert "baseline.dcm not saved" in said and f"put the radiograph back at {baseline}, then save (Ctrl+S)" in said
    assert "choose another" not in said and "fix the folder" not in said

    moved.rename(baseline)  # back where it was: Ctrl+S saves the edits
    window.save_annotations()
    wait_saved(qtbot, window)
    qtbot.waitUntil(lambda: not window.documents[BASELINE].is_dirty, timeout=5000)
    assert [j.box for j in open_dataset(dataset).annotation_for_file(baseline).joints] == AWKWARD_BOXES
    assert not errors_of(window)


def test_a_dataset_folder_that_goes_away_during_the_session_is_not_made_again(qtbot, make_window, study, tmp_path):
    dataset = tmp_path / "stick" / "ds"
    window = make_window(dataset, autosave_delay_s=0.1)
    open_and_wait(qtbot, window, *study)
    (tmp_path / "stick").rename(tmp_path / "unplugged")
    expected = annotate(window)
    qtbot.waitUntil(lambda: bool(window.documents[BASELINE].save_error), timeout=10000)
    wait_saved(qtbot, window)
    assert not (tmp_path / "stick").exists()
    assert window.documents[BASELINE].is_dirty and window.documents[BASELINE].joints() == expected
    assert "is not there" in errors_of(window)[0] and "edits are kept" in errors_of(window)[0]


def test_two_windows_changing_different_settings_keep_both_changes(qtbot, settings_store, tmp_path):
    from dataclasses import replace

    from jsnviewer.gui.main_window import MainWindow
    from jsnviewer.gui.settings import load_settings

    first, second = MainWindow(load_settings(settings_store)), MainWindow(load_settings(settings_store))
    for window in (first, second):
        qtbot.addWidget(window)
    assert first.set_dataset_folder(tmp_path / "dataset")  # remembered for the next start
    second.settings = replace(second.settings, registration_method="poc")
    second.use_weights({"segmenter": str(tmp_path / "retrained" / "segmenter.pt")})  # writes the settings
    reread = load_settings(settings_store)
    assert reread.dataset_folder == str(tmp_path / "dataset")  # the second window did not put its old value back
    assert reread.weights["segmenter"] == str(tmp_path / "retrained" / "segmenter.pt")
    assert reread.registration_method == "poc"


def test_an_edit_made_while_the_image_is_being_saved_is_saved_after_it(qtbot, make_window, study, tmp_path,
                                                                        monkeypatch):
    """The user moves a box again while the previous save of that image is still writing (a slow network
    share): once that write ends, the last state is written over it: no box twice, no conflict copy,
    nothing left unsaved."""
    import threading

    from jsnviewer.gui import autosave

    dataset = tmp_path / "dataset"
    window = make_window(dataset)
    open_and_wait(qtbot, window, *study)
    writing, release = threading.Event(), threading.Event()
    real_write = autosave.write_annotation

    def slow_write(*args, **kwargs):
        writing.set()
        release.wait(10)
        return real_write(*args, **kwargs)

    monkeypatch.setattr(autosave, "write_annotation", slow_write)
    document = window.documents[BASELINE]
    uid = window.add_box(BASELINE, (50.0, 60.0, 20.0, 30.0))
    assert window.saver.save_now(document) and writing.wait(5)
    document.set_box(uid, (80.0, 60.0, 20.0, 30.0), merge_key=None)
    window.saver.save_now(document)  # the autosave timer fires again while the first write runs
    release.set()
    qtbot.waitUntil(lambda: not window.saver.is_busy(), timeout=10000)
    window.saver.wait()
    qtbot.waitUntil(lambda: not window.saver.is_busy(), timeout=10000)
    assert not document.is_dirty and "All saved" in window.save_state.text()
    data = json.loads((dataset / "annotations" / f"{image_id_of(study[0])}.json").read_text())
    assert [joint["box"] for joint in data["joints"]] == [[80.0, 60.0, 20.0, 30.0]]
    assert not list((dataset / "annotations").glob("*.conflict-*"))


def test_choosing_another_dataset_folder_saves_the_reviewed_images_there_so_none_is_left_behind(qtbot, make_window,
                                                                                                 study, tmp_path):
    """The folder on a stick that was pulled out, the annotator chose a new one as the window advised: the visit
    saved before was left in the lost folder while the window said 'All saved', and reopened empty."""
    import shutil

    baseline, followup = study
    stick = tmp_path / "stick"
    window = make_window(stick, autosave_delay_s=0.1)
    open_and_wait(qtbot, window, baseline, followup)
    follow_boxes = annotate(window, FOLLOWUP)
    window.save_annotations()
    wait_saved(qtbot, window)
    assert open_dataset(stick).annotation_for_file(followup).joints == follow_boxes

    shutil.rmtree(stick)  # pulled out; the annotator goes on with the baseline
    base_boxes = annotate(window, BASELINE)
    qtbot.waitUntil(lambda: bool(window.documents[BASELINE].save_error), timeout=10000)
    wait_saved(qtbot, window)
    assert window.set_dataset_folder(tmp_path / "new")
    qtbot.waitUntil(lambda: not any(d.is_dirty for d in window.documents.values()), timeout=10000)
    wait_saved(qtbot, window)
    new = open_dataset(tmp_path / "new")
    assert new.annotation_for_file(baseline).joints == base_boxes
    assert new.annotation_for_file(followup).joints == follow_boxes  # the visit saved only to the lost folder
    assert "followup.dcm" in window.warnings.text() and str(tmp_path / "new") in window.warnings.text()

    reopened = make_window(tmp_path / "new")
    open_and_wait(qtbot, reopened, baseline, followup)
    assert reopened.documents[FOLLOWUP].joints() == follow_boxes and reopened.documents[BASELINE].joints() == base_boxes


def test_switching_to_another_dataset_takes_the_study_shown_and_leaves_the_earlier_ones(qtbot, make_window, study,
                                                                                          tmp_path):
    """A deliberate switch (the old folder still there): the study on screen goes to the folder chosen, earlier
    studies of the session stay where they were saved; nothing is removed from the old folder."""
    baseline, followup = study
    first = tmp_path / "first"
    window = make_window(first, autosave_delay_s=0.1)
    earlier = tmp_path / "earlier"
    earlier.mkdir()
    earlier_image = write_radiograph(earlier / "e.dcm", seed=5)
    open_and_wait(qtbot, window, earlier_image)
    annotate(window, BASELINE)
    window.save_annotations()
    wait_saved(qtbot, window)
    open_and_wait(qtbot, window, baseline, followup)
    shown = annotate(window, BASELINE)
    window.save_annotations()
    wait_saved(qtbot, window)

    assert window.set_dataset_folder(tmp_path / "second")
    qtbot.waitUntil(lambda: not window.documents[BASELINE].is_dirty, timeout=10000)
    wait_saved(qtbot, window)
    second, old = open_dataset(tmp_path / "second"), open_dataset(first)
    assert second.annotation_for_file(baseline).joints == shown
    assert second.annotation_for_file(earlier_image) is None and old.annotation_for_file(earlier_image) is not None
    assert second.annotation_for_file(followup) is None  # no box of the user's: nothing to carry
    assert old.annotation_for_file(baseline).joints == shown


def test_settings_about_and_shortcuts_closed_leave_nothing_behind(qtbot, make_window, monkeypatch):
    """Each Settings dialog opened stayed in memory with the window (31 after 31 opens, 2.6 MB each)."""
    from PySide6.QtCore import QCoreApplication, QEvent
    from PySide6.QtWidgets import QDialog, QMessageBox

    from jsnviewer.gui.settings import SettingsDialog

    window = make_window()
    monkeypatch.setattr(QDialog, "exec", lambda dialog: 0)  # each closed with Cancel
    monkeypatch.setattr(QMessageBox, "exec", lambda box: 0)
    for _ in range(3):
        window.open_settings()
        window.show_about()
        window.show_shortcuts()
    QCoreApplication.sendPostedEvents(None, QEvent.DeferredDelete)
    assert window.findChildren(SettingsDialog) == [] and window.findChildren(QMessageBox) == []
    assert window.findChildren(QDialog) == []


def test_the_study_on_screen_opened_again_shows_the_boxes_another_annotator_saved_meanwhile(qtbot, make_window, study,
                                                                                           tmp_path):
    """Opening the study already shown kept the window's old boxes: another annotator's moved MCP2 appeared only after
    opening some other study and coming back. Unsaved edits of this window are still kept (and merged when saved)."""
    dataset, first, second, mcp2 = two_windows_on_one_box(qtbot, make_window, study, tmp_path, (90.0, 60.0, 20.0, 30.0))
    first.documents[BASELINE].set_box(mcp2, (96.0, 60.0, 20.0, 30.0))
    first.add_box(FOLLOWUP, (40.0, 40.0, 20.0, 30.0), identity="PIP3")
    qtbot.waitUntil(lambda: not any(d.is_dirty for d in first.documents.values()), timeout=10000)

    open_and_wait(qtbot, second, *study)
    assert [j.box for j in second.documents[BASELINE].joints()] == [(96.0, 60.0, 20.0, 30.0)]
    assert [j.identity for j in second.documents[FOLLOWUP].joints()] == ["PIP3"]

    first.documents[BASELINE].set_box(mcp2, (100.0, 60.0, 20.0, 30.0))
    qtbot.waitUntil(lambda: not first.documents[BASELINE].is_dirty, timeout=10000)
    mine = second.add_box(FOLLOWUP, (80.0, 40.0, 20.0, 30.0), identity="PIP4")  # opened again before autosave
    open_and_wait(qtbot, second, *study)
    assert [j.box for j in second.documents[BASELINE].joints()] == [(100.0, 60.0, 20.0, 30.0)]
    assert mine in second.documents[FOLLOWUP].uids()
    wait_saved(qtbot, second)
    saved = open_dataset(dataset).load_annotation(image_id_of(study[1]))
    assert sorted(j.identity for j in saved.joints) == ["PIP3", "PIP4"]


def run_gui_in(monkeypatch, window, application, *args, data_folder: Path, **kwargs) -> int:
    """`jsnviewer gui ARGS` as `app.run_gui` runs it, on `window`, with `application` standing in for the event loop
    and `data_folder` for the user's own (where unsaved edits are kept)."""
    import sys

    from jsnviewer.gui import app

    monkeypatch.setattr("jsnviewer.gui.settings.user_data_folder", lambda: data_folder)

    monkeypatch.setattr(app, "make_application", application)
    monkeypatch.setattr(app, "start_log_file", lambda *args: None)
    monkeypatch.setattr("jsnviewer.gui.main_window.MainWindow", lambda: window)
    monkeypatch.setattr(window, "warm_up", lambda: None)
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # run_gui sets its own
    return app.run_gui(*args, **kwargs)


def test_a_dataset_folder_named_on_the_command_line_that_cannot_be_used_saves_nowhere_else(qtbot, make_window, study,
                                                                                          tmp_path, monkeypatch):
    """`jsnviewer gui --dataset DIR IMAGE` with DIR unusable: never the remembered dataset, which was not named."""
    remembered = tmp_path / "remembered"
    window = make_window(remembered, autosave_delay_s=0.1)
    named = tmp_path / "photos"  # not a dataset and not empty, as a read-only share refuses one too
    named.mkdir()
    (named / "holiday.jpg").write_bytes(b"x")
    before, seen = sorted(remembered.rglob("*")), {}

    class Application:  # the event loop: the user draws a box, waits past autosave and closes the window
        def exec(self) -> int:
            qtbot.waitUntil(lambda: window.documents[BASELINE] is not None and window.task is None, timeout=10000)
            seen["message"] = errors_of(window)
            seen["joints"] = [window.add_box(BASELINE, (50.0, 60.0, 20.0, 30.0))]
            qtbot.wait(500)  # several autosave delays
            seen["state"] = window.save_state.text()
            return 0

    assert run_gui_in(monkeypatch, window, Application, study[0], dataset=named,
                      data_folder=tmp_path / "data") == 0
    assert sorted(remembered.rglob("*")) == before  # neither the radiograph nor its box
    assert "Nothing is saved, not to the dataset folder of the settings" in seen["message"][0]
    assert seen["state"] == "Unsaved edits: no dataset folder (Ctrl+S)"
    assert window.documents[BASELINE].is_dirty and window.saver.dataset_root is None
    assert window.settings.dataset_folder == str(remembered)  # the next start without --dataset uses it again


def test_a_dataset_folder_named_on_the_command_line_is_this_sessions_only(qtbot, make_window, study, tmp_path,
                                                                          monkeypatch, settings_store):
    """`jsnviewer gui --dataset /tmp/x/ds IMAGE` once: the next plain start saves to, and shows the boxes of, the
    dataset of the settings again; the status bar tells the two folders (both named `ds`) apart."""
    from jsnviewer.gui.main_window import MainWindow

    remembered = tmp_path / "hands" / "ds"
    window = make_window(remembered, autosave_delay_s=0.1)
    save_settings(window.settings, settings_store)  # chosen in an earlier session
    named = tmp_path / "x" / "ds"
    seen = {}

    class Application:  # the event loop: the user draws a box, waits past autosave and closes the window
        def exec(self) -> int:
            qtbot.waitUntil(lambda: window.documents[BASELINE] is not None and window.task is None, timeout=10000)
            window.add_box(BASELINE, (50.0, 60.0, 20.0, 30.0))
            qtbot.waitUntil(lambda: not window.documents[BASELINE].is_dirty, timeout=10000)
            seen["state"], seen["tip"] = window.save_state.text(), window.save_state.toolTip()
            return 0

    assert run_gui_in(monkeypatch, window, Application, study[0], dataset=named,
                      data_folder=tmp_path / "data") == 0
    assert len(open_dataset(named).annotation_for_file(study[0]).joints) == 1  # saved where the command line said
    assert seen["state"] == f"All saved to {Path('x', 'ds')} (--dataset, this session only)"
    assert str(named) in seen["tip"] and str(remembered) in seen["tip"]

    assert load_settings(settings_store).dataset_folder == str(remembered)  # not the command line's
    later = MainWindow(load_settings(settings_store))  # `jsnviewer gui IMAGE`, with no --dataset
    qtbot.addWidget(later)
    assert later.saver.dataset_root == remembered
    assert later.save_state.text() == f"All saved to {Path('hands', 'ds')}"
    assert later.save_state.toolTip() == f"Dataset folder: {remembered}"


def test_an_unexpected_error_in_a_background_task_asks_for_the_log_file(qtbot, settings_store):
    """A fault of the program's showed its type and words, and nothing the user could do: the window now says to send
    the log file, which holds its traceback."""
    from jsnviewer.gui.main_window import MainWindow

    window = MainWindow(AppSettings())
    qtbot.addWidget(window)
    window.ask_before_discarding = False
    window._task_error("Analysis", RuntimeError("index 12 is out of bounds"))
    assert errors_of(window) == ["Analysis failed: unexpected RuntimeError: index 12 is out of bounds; please send the "
                                 "log file (Help ▸ About shows where it is) to whoever supports jsnviewer"]
