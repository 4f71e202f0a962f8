"""Saving the annotations of an analysed study also saves its joint crops and bone masks: the
training data of `jsnviewer train segmenter|registration --data DATASET`."""

from __future__ import annotations

import numpy as np
from PIL import Image

from jsnviewer.dataset import image_id_of, open_dataset
from jsnviewer.gui.main_window import BASELINE, FOLLOWUP
from gui_support import make_window, open_and_wait, settings_store, study, wait_saved  # noqa: F401 (fixtures)
from test_gui_analysis import measured_result


def analysed_window(qtbot, make_window, study, dataset):
    window = make_window(dataset)
    open_and_wait(qtbot, window, *study)
    result = measured_result(window.panes[BASELINE].radiograph, window.panes[FOLLOWUP].radiograph)
    assert window.show_results(result, (window.image_ids[BASELINE], window.image_ids[FOLLOWUP]))
    for role in (BASELINE, FOLLOWUP):  # the user accepts the model's boxes of both radiographs
        window.set_active_role(role)
        window.accept_all()
    return window, result


def saved_crop_folders(qtbot, window, dataset, count: int) -> list[str]:
    """Save, wait for the joint crops and return their folders' joint names."""
    window.save_annotations()
    wait_saved(qtbot, window)
    qtbot.waitUntil(lambda: len(list((dataset / "joint_crops").glob("*/*_lower.png"))) >= 2 * count, timeout=10000)
    qtbot.waitUntil(lambda: not window.workers, timeout=10000)
    return sorted(folder.name.split("_", 2)[2] for folder in (dataset / "joint_crops").iterdir())


def test_saving_an_analysed_study_writes_each_joints_crops_and_masks(qtbot, make_window, study, tmp_path):
    dataset = tmp_path / "dataset"
    window, result = analysed_window(qtbot, make_window, study, dataset)
    assert saved_crop_folders(qtbot, window, dataset, len(result.joints)) == sorted(j.identity for j in result.joints)

    ids = [image_id_of(path) for path in study]
    for joint in result.joints:
        folder = next((dataset / "joint_crops").glob(f"*_{joint.identity}"))
        assert "P001" not in folder.name  # the patient ID only as a hash
        upper = np.asarray(Image.open(folder / f"{ids[1]}_upper.png"))
        assert np.array_equal(upper > 0, joint.crops.moving_upper > 0)  # the masks the analysis computed
        crop = np.asarray(Image.open(folder / f"{ids[0]}.png"), dtype=np.float64)
        assert np.abs(crop - np.clip(joint.crops.fixed, 0, 65535)).max() <= 0.5
    assert not [text for level, text in window.warnings.messages() if level == "error"]


def test_the_joint_crops_follow_the_users_corrections_of_the_boxes(qtbot, make_window, study, tmp_path):
    dataset = tmp_path / "dataset"
    window, result = analysed_window(qtbot, make_window, study, dataset)
    uids = {role: {window.documents[role].joint(uid).identity: uid for uid in window.documents[role].uids()}
            for role in (BASELINE, FOLLOWUP)}
    for role in (BASELINE, FOLLOWUP):
        window.documents[role].set_identity(uids[role]["MCP2"], "MCP3")  # the program misnamed it
    window.documents[FOLLOWUP].remove(uids[FOLLOWUP]["DIP4"])  # not a joint the user stands behind
    assert sorted(j.identity for j in result.joints) == ["DIP4", "MCP2", "PIP3"]

    assert saved_crop_folders(qtbot, window, dataset, 2) == ["MCP3", "PIP3"]
    assert not [text for level, text in window.warnings.messages() if level == "error"]


def test_a_failed_joint_crop_save_keeps_the_annotations_and_says_why(qtbot, make_window, study, tmp_path):
    dataset = tmp_path / "dataset"
    window, _ = analysed_window(qtbot, make_window, study, dataset)
    open_dataset(dataset, create=True)
    (dataset / "joint_crops").write_text("a file where the joint crops folder should be")
    window.save_annotations()
    wait_saved(qtbot, window)
    qtbot.waitUntil(lambda: any(level == "error" for level, _ in window.warnings.messages()), timeout=10000)
    errors = [text for level, text in window.warnings.messages() if level == "error"]
    assert len(errors) == 1 and "Joint crops for retraining not saved" in errors[0] and "annotations are saved" in errors[0]
    assert not window.documents[BASELINE].is_dirty
    assert (dataset / "annotations" / f"{image_id_of(study[0])}.json").is_file()


def test_joint_crops_are_written_once_the_second_visit_is_reviewed_after_the_first_save(qtbot, make_window, study,
                                                                                      tmp_path):
    dataset = tmp_path / "dataset"
    window = make_window(dataset, autosave_delay_s=0.1)
    open_and_wait(qtbot, window, *study)
    result = measured_result(window.panes[BASELINE].radiograph, window.panes[FOLLOWUP].radiograph)
    assert window.show_results(result, (window.image_ids[BASELINE], window.image_ids[FOLLOWUP]))
    window.set_active_role(BASELINE)
    window.accept_all()  # the baseline reviewed; autosave writes it while the follow-up waits
    qtbot.waitUntil(lambda: not window.documents[BASELINE].is_dirty, timeout=10000)
    qtbot.waitUntil(lambda: not window.workers, timeout=10000)
    assert not list((dataset / "joint_crops").glob("*/*.png"))
    window.set_active_role(FOLLOWUP)
    window.accept_all()  # then the follow-up: autosave again, and now the joints are confirmed on both
    qtbot.waitUntil(lambda: len(list((dataset / "joint_crops").glob("*/*_lower.png"))) == 2 * len(result.joints),
                    timeout=10000)
