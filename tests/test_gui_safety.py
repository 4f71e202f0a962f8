"""What keeps a radiologist from misreading a study: every warning in sight, the right files reopened."""

from __future__ import annotations

import dataclasses

from jsnviewer.gui.main_window import BASELINE, FOLLOWUP
from jsnviewer.gui.settings import add_recent_study, recent_studies
from gui_support import make_window, open_and_wait, settings_store, study  # noqa: F401
from test_gui_analysis import measured_result

HAND_SCALED = "The hand measures 80 % of its baseline size on the follow-up (made to match before measuring)"


def test_a_warning_the_analysis_found_is_shown_in_the_window(qtbot, make_window, study):
    window = make_window()
    open_and_wait(qtbot, window, *study)
    result = measured_result(window.panes[BASELINE].radiograph, window.panes[FOLLOWUP].radiograph)
    result = dataclasses.replace(result, warnings=[HAND_SCALED])
    assert window.show_results(result, (window.image_ids[BASELINE], window.image_ids[FOLLOWUP]))
    assert ("warning", HAND_SCALED) in window.warnings.messages()
    window.clear_result()  # a new study or analysis: the old result's warnings go with it
    assert ("warning", HAND_SCALED) not in window.warnings.messages()


def test_a_recent_study_is_remembered_by_absolute_paths(settings_store, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # `jsnviewer gui baseline.dcm followup.dcm` started in the patient's folder
    add_recent_study("baseline.dcm", "followup.dcm", settings_store)
    assert recent_studies(settings_store) == [(str(tmp_path / "baseline.dcm"), str(tmp_path / "followup.dcm"))]
    settings_store.setValue("recent_studies", ["baseline.dcm\nfollowup.dcm"])  # as an older version kept it
    assert recent_studies(settings_store) == []  # it would open whichever folder the program starts in


def test_boxes_that_fit_no_finger_joint_get_no_tag_over_the_measured_joints(qtbot, make_window, study):
    from jsnviewer.pipeline.result import UnpairedJoint

    window = make_window()
    window.show()
    open_and_wait(qtbot, window, *study)
    result = measured_result(window.panes[BASELINE].radiograph, window.panes[FOLLOWUP].radiograph)
    wrist = [UnpairedJoint(None, "followup", (90.0 + 10 * k, 150.0, 40.0, 40.0), "no joint identity could be given to "
                           "this box") for k in range(3)]
    result = dataclasses.replace(result, unpaired=result.unpaired + wrist)
    assert window.show_results(result, (window.image_ids[BASELINE], window.image_ids[FOLLOWUP]))
    overlay = window.overlays[FOLLOWUP]
    qtbot.waitUntil(lambda: overlay.settled, timeout=5000)
    tags = [item.toPlainText() for item in [*overlay.items.values(), *overlay.unpaired]]
    assert len(tags) == 4 and tags.count("not measured") == 1  # the three measured joints and MCP5 alone
