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
    window.accept_all()  # the user accepts the model's boxes of the active (baseline) radiograph
    return window, result


def test_saving_an_analysed_study_writes_each_joints_crops_and_masks(qtbot, make_window, study, tmp_path):
    dataset = tmp_path / "dataset"
    window, result = analysed_window(qtbot, make_window, study, dataset)
    window.save_annotations()
    wait_saved(qtbot, window)
    qtbot.waitUntil(lambda: len(list((dataset / "joint_crops").glob("*/*_lower.png"))) == 2 * len(result.joints),
                    timeout=10000)
    qtbot.waitUntil(lambda: not window.workers, timeout=10000)

    ids = [image_id_of(path) for path in study]
    for joint in result.joints:
        folder = next((dataset / "joint_crops").glob(f"*_{joint.identity}"))
        assert "P001" not in folder.name  # the patient ID only as a hash
        upper = np.asarray(Image.open(folder / f"{ids[1]}_upper.png"))
        assert np.array_equal(upper > 0, joint.crops.moving_upper > 0)  # the masks the analysis computed
        crop = np.asarray(Image.open(folder / f"{ids[0]}.png"), dtype=np.float64)
        assert np.abs(crop - np.clip(joint.crops.fixed, 0, 65535)).max() <= 0.5
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
