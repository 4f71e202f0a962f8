"""The analysis in the window: background run with progress and cancel, results table, overlays,
proposals, joint detail and exports.

The fast tests show a StudyResult measured on phantom joint pairs with the phase-only
correlation registration (no trained weights needed), or run a stand-in analysis to exercise
the worker plumbing. The slow tests run the real analysis with the shipped weights in models/
and skip, saying so, where a checkout has none.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import time
from pathlib import Path

import numpy as np
import pytest
import pyqtgraph as pg
from PIL import Image
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QFrame

from jsnviewer.dataset import JointAnnotation
from jsnviewer.errors import WeightsError
from jsnviewer.gui.analysis import ModelCache, analysis_settings, missing_weights, transformed_crop
from jsnviewer.gui.analysis_actions import FolderDialog
from jsnviewer.gui.main_window import BASELINE, FOLLOWUP
from jsnviewer.gui.box_layer import view_rect
from jsnviewer.gui.overlays import jsn_text
from jsnviewer.pipeline.placement import overlap
from jsnviewer.detection.thresholds import Thresholds
from jsnviewer.gui.settings import AppSettings
from jsnviewer.pipeline.analyze import AnalysisError
from jsnviewer.pipeline.geometry import CropFrame
from jsnviewer.radiograph import Radiograph, save_radiograph
from jsnviewer.pipeline.result import JointCrops, JointDetectionInfo, JointResult, StudyResult, UnpairedJoint, VisitInfo
from gui_support import make_window, open_and_wait, settings_store, study, wait_drawn, write_radiograph  # noqa: F401 (fixtures)

# (identity, baseline box, shift of the follow-up box, baseline findings, follow-up findings)
JOINTS = [("MCP2", (60.0, 150.0, 40.0, 40.0), (6.0, -4.0), {}, {}),
          ("PIP3", (95.0, 80.0, 36.0, 36.0), (5.0, -3.0), {"ankylosis": True}, {"ankylosis": True}),
          ("DIP4", (130.0, 50.0, 30.0, 30.0), (4.0, -5.0), {}, {"subluxation": True})]


def measured_result(baseline, followup) -> StudyResult:
    """A StudyResult of three phantom joint pairs registered by phase-only correlation (no weights)."""
    from jsnviewer.phantom import make_joint_pair
    from jsnviewer.registration.register import Registrator

    registrator = Registrator(method="poc")
    joints = []
    for seed, (identity, box, (dx, dy), fb, ff) in enumerate(JOINTS):
        pair = make_joint_pair(seed, size=96, identity=identity, max_rotation_deg=0.0, max_scale=0.0, max_shift_px=3.0)
        registration = registrator.register(pair.fixed, pair.moving, pair.fixed_upper, pair.fixed_lower,
                                            pair.moving_upper, pair.moving_lower, pixel_size_mm=pair.pixel_size_mm)
        follow_box = (box[0] + dx, box[1] + dy, box[2], box[3])
        crops = JointCrops(CropFrame(box[:2], (0.0, -1.0), 0.5, 96), CropFrame(follow_box[:2], (0.0, -1.0), 0.5, 96),
                           pair.fixed, pair.moving, pair.fixed_upper, pair.fixed_lower, pair.moving_upper,
                           pair.moving_lower, pair.pixel_size_mm)
        joints.append(JointResult(identity, JointDetectionInfo(box, dict(fb), {"ankylosis": 0.8}, 0.95),
                                  JointDetectionInfo(follow_box, dict(ff), {"subluxation": 0.7}, 0.93), crops, registration))
    unpaired = [UnpairedJoint("MCP5", "followup", (40.0, 200.0, 30.0, 30.0), "not found on the baseline radiograph")]
    return StudyResult(VisitInfo.of(baseline), VisitInfo.of(followup), joints, unpaired, [],
                       {"device": "cpu", "registration_method": "poc"}, {"total": 1.0})


# What the export dialogs propose for the `study` pair (patient P001, 2019-05-02 and 2021-06-07)
PROPOSED_REPORT, PROPOSED_RESULTS = "jsn-report_P001_2019-05-02_2021-06-07", "jsn-results_P001_2019-05-02_2021-06-07"


@pytest.fixture
def analysed(qtbot, make_window, study):
    window = make_window()
    window.resize(1400, 900)
    window.show()
    open_and_wait(qtbot, window, *study)
    result = measured_result(window.panes[BASELINE].radiograph, window.panes[FOLLOWUP].radiograph)
    assert not window.detail_dock.isVisible()  # nothing to detail yet
    assert window.show_results(result, (window.image_ids[BASELINE], window.image_ids[FOLLOWUP]))
    assert window.detail_dock.isVisible()
    wait_drawn(qtbot, window)
    return window, result


def run_and_wait(qtbot, window, timeout_ms: int, start=None) -> str:
    """Start the analysis (or `start()`) and wait for its outcome: "done", "cancelled", "error"."""
    outcomes: list[str] = []
    window.analysis_finished.connect(outcomes.append)
    (start or window.start_analysis)()
    qtbot.waitUntil(lambda: bool(outcomes), timeout=timeout_ms)
    window.analysis_finished.disconnect(outcomes.append)
    return outcomes[0]


def view_centre(window, role):
    centre = window.panes[role].view_box.viewRect().center()
    return centre.x(), centre.y()


def test_each_results_header_says_what_its_column_holds(qtbot):
    from jsnviewer.gui.results_panel import ResultsPanel

    panel = ResultsPanel()
    qtbot.addWidget(panel)
    tips = {panel.table.horizontalHeaderItem(c).text(): panel.table.horizontalHeaderItem(c).toolTip()
            for c in range(panel.table.columnCount())}
    assert all(tips.values()), tips
    assert "follow-up minus baseline joint space width" in tips["JSN"] and "narrowing is negative" in tips["JSN"]
    assert "mm" in tips["JSN"] and "do not use the value" in tips["Reliable"]
    assert "baseline radiograph" in tips["Baseline"] and "follow-up radiograph" in tips["Follow-up"]
    assert all("ank = ankylosis" in tips[c] and "sub = subluxation" in tips[c] for c in ("Baseline", "Follow-up"))


def test_results_table_sorts_and_a_row_centres_each_view_on_its_own_joint(qtbot, analysed):
    window, result = analysed
    table = window.results_panel.table
    assert window.results_panel.row_identities() == ["DIP4", "PIP3", "MCP2"]  # the joints' own order (IP1, DIP…, PIP…, MCP…)
    table.sortByColumn(1, Qt.AscendingOrder)
    by_jsn = [j.identity for j in sorted(result.joints, key=lambda j: j.jsn_mm)]
    assert window.results_panel.row_identities() == by_jsn
    assert [window.results_panel.unpaired.item(i).text() for i in range(window.results_panel.unpaired.count())] == \
        ["MCP5 (follow-up): not found on the baseline radiograph"]

    window.results_panel.select_identity("PIP3")
    joint = result.joint("PIP3")
    assert view_centre(window, BASELINE) == pytest.approx(joint.baseline.box[:2], abs=0.5)
    assert view_centre(window, FOLLOWUP) == pytest.approx(joint.followup.box[:2], abs=0.5)  # its own joint, 5 px away
    # pan and zoom stay linked, keeping the two joints aligned
    window.panes[BASELINE].view_box.translateBy((10.0, 0.0))
    bx, _ = view_centre(window, BASELINE)
    fx, _ = view_centre(window, FOLLOWUP)
    assert fx - bx == pytest.approx(joint.followup.box[0] - joint.baseline.box[0], abs=0.5)
    window.fit()
    assert view_centre(window, FOLLOWUP) == pytest.approx(view_centre(window, BASELINE), abs=0.5)


def test_n_and_shift_n_go_to_a_joint_zoomed_in_as_a_results_row_does(qtbot, analysed):
    """N kept the zoom of the whole hand and only centred the joint: at 200 % its box and JSN tag were small (tags
    "hidden for room: zoom in"), while a Results row zoomed in on the joint. Both now show it alike."""
    window, result = analysed
    joint = result.joint("PIP3")
    window.fit()
    whole = window.panes[BASELINE].view_box.viewRect()
    window.results_panel.select_identity("PIP3")
    by_row = window.panes[BASELINE].view_box.viewRect()
    assert by_row.width() < 0.7 * whole.width() and by_row.height() < 0.7 * whole.height()  # zoomed in on the joint

    window.fit()
    window.set_active_role(BASELINE)
    document, layer = window.documents[BASELINE], window.layers[BASELINE]
    uids = window.joints_panel.row_uids()
    layer.select(uids[uids.index(next(u for u in uids if document.joint(u).identity == "PIP3")) - 1])
    window.actions_by_name["next"].trigger()  # N
    assert document.joint(layer.selected).identity == "PIP3"
    by_n = window.panes[BASELINE].view_box.viewRect()
    assert (by_n.center().x(), by_n.center().y()) == pytest.approx(joint.baseline.box[:2], abs=0.5)
    assert (by_n.width(), by_n.height()) == pytest.approx((by_row.width(), by_row.height()), rel=0.01)
    window.fit()
    window.actions_by_name["previous"].trigger()  # Shift+N, back a box
    window.actions_by_name["next"].trigger()
    assert window.panes[BASELINE].view_box.viewRect().width() == pytest.approx(by_row.width(), rel=0.01)


def test_n_goes_on_from_the_joint_a_results_row_or_a_jsn_tag_went_to_without_choosing_its_box(qtbot, analysed):
    """N went on from the box chosen before: after N, N (PIP3) and a click on the DIP4 row, N went to MCP2, not to
    the joint after DIP4; the box of PIP3, out of sight, stayed chosen for Del and the arrows."""
    window, result = analysed
    window.set_active_role(BASELINE)

    def chosen(role):
        document, layer = window.documents[role], window.layers[role]
        return document.joint(layer.selected).identity if layer.selected is not None else None

    def press(role, key, modifier=Qt.NoModifier):
        qtbot.keyClick(window.panes[role].graphics, key, modifier)

    press(BASELINE, Qt.Key_N)
    press(BASELINE, Qt.Key_N)
    assert chosen(BASELINE) == "PIP3"
    table = window.results_panel.table
    row = window.results_panel.row_identities().index("DIP4")
    qtbot.mouseClick(table.viewport(), Qt.LeftButton, pos=table.visualRect(table.model().index(row, 0)).center())
    assert window.detail_panel.joint.identity == "DIP4"
    assert chosen(BASELINE) is None  # looked at, not chosen: Del and the arrows act on no box
    press(BASELINE, Qt.Key_N)
    assert chosen(BASELINE) == "PIP3"  # the joint after DIP4

    window.fit()  # the whole hands, MCP2's tag among the others
    wait_drawn(qtbot, window)
    pane, tag = window.panes[FOLLOWUP], window.overlays[FOLLOWUP].items["MCP2"]
    at = pane.graphics.mapFromScene(tag.sceneBoundingRect().center())
    qtbot.mouseMove(pane.graphics.viewport(), at)
    qtbot.mouseClick(pane.graphics.viewport(), Qt.LeftButton, pos=at)
    qtbot.waitUntil(lambda: window.detail_panel.joint.identity == "MCP2", timeout=2000)
    window.set_active_role(FOLLOWUP)
    assert chosen(FOLLOWUP) is None
    press(FOLLOWUP, Qt.Key_N, Qt.ShiftModifier)
    assert chosen(FOLLOWUP) == "PIP3"  # the joint before MCP2
    window.set_active_role(BASELINE)
    press(BASELINE, Qt.Key_N)  # the baseline too goes on from the joint of the tag
    assert chosen(BASELINE) == "DIP4"  # after MCP2, the last, the first again


def test_selecting_a_joint_fills_the_detail_panel(qtbot, analysed):
    window, result = analysed
    window.results_panel.select_identity("DIP4")
    joint, detail = result.joint("DIP4"), window.detail_panel
    assert detail.joint is joint
    for name, tile in detail.tiles.items():
        assert tile.image.pixmap() is not None and not tile.image.pixmap().isNull(), name
    from jsnviewer.pipeline.result import signed

    text = detail.numbers.text()
    reg = joint.registration
    assert f"<b>{signed(reg.upper.dy, 2, 'px')}</b>" in text and f"<b>{signed(reg.lower.dy, 2, 'px')}</b>" in text
    assert f"{joint.jsn_mm:+.3f} mm" in detail.heading.text()
    assert ("Not reliable" in text) == (not joint.reliable)
    # the registered crop moves the follow-up bones back onto the baseline: closer than before
    from jsnviewer.segmentation.data import normalise_crop

    bones = (joint.crops.fixed_upper > 0) | (joint.crops.fixed_lower > 0)
    fixed, moving = normalise_crop(joint.crops.fixed), normalise_crop(joint.crops.moving)
    before = np.abs(fixed - moving)[bones].mean()
    after = np.abs(fixed - transformed_crop(joint))[bones].mean()
    assert after < before
    # the registered crop shown is the G′ the loss and its spectrum E_FG′ measured
    np.testing.assert_allclose(np.abs(fixed - transformed_crop(joint)) * bones, joint.registration.spectrum_transformed,
                               atol=1e-5)
    window.results_panel.select_identity(None)
    assert detail.joint is None


def test_analysing_again_details_the_chosen_joint_from_the_new_result_or_nothing(qtbot, analysed):
    """After a box was changed and the pair analysed again, the table showed the new JSN but the joint detail still
    showed the last analysis's numbers and crops, and the views its dotted frame, until another row was chosen."""
    from jsnviewer.gui.overlays import rect_from_box

    window, result = analysed
    window.results_panel.select_identity("PIP3")
    old = result.joint("PIP3")
    assert window.detail_panel.joint is old
    upper = dataclasses.replace(old.registration.upper, dy=old.registration.upper.dy + 4.0)
    moved = (old.followup.box[0] + 9.0, old.followup.box[1] + 7.0, *old.followup.box[2:])
    pip3 = dataclasses.replace(old, registration=dataclasses.replace(old.registration, upper=upper),
                               followup=dataclasses.replace(old.followup, box=moved))
    again = dataclasses.replace(result, joints=[pip3 if j is old else j for j in result.joints])
    assert f"{pip3.jsn_mm:+.3f} mm" != f"{old.jsn_mm:+.3f} mm"
    assert window.show_results(again, (window.image_ids[BASELINE], window.image_ids[FOLLOWUP]))
    detail = window.detail_panel
    assert detail.joint is pip3 and f"{pip3.jsn_mm:+.3f} mm" in detail.heading.text()
    assert f"{old.jsn_mm:+.3f} mm" not in detail.heading.text()
    assert window.results_panel.current_identity() == "PIP3"
    focus = window.overlays[FOLLOWUP].focus
    assert focus.isVisible() and focus.rect() == rect_from_box((*moved[:2], moved[2] * 1.25, moved[3] * 1.25))

    # analysed again without that joint measured: nothing of the last result stays in the detail or on the views
    fewer = dataclasses.replace(again, joints=[j for j in again.joints if j.identity != "PIP3"])
    assert window.show_results(fewer, (window.image_ids[BASELINE], window.image_ids[FOLLOWUP]))
    assert detail.joint is None and "PIP3" not in detail.heading.text()
    assert window.results_panel.current_identity() is None
    assert not any(overlay.focus.isVisible() for overlay in window.overlays.values())


def test_the_detail_tables_grey_rows_carry_the_name_the_reasons_give_the_first_match(qtbot, analysed):
    """A reason says "the quick first match and the fine match put it 0.5 mm apart": the reader looks for the
    quick first match in the bones' movement table and finds it by that name, not by a word of the code."""
    from jsnviewer.registration.result import ReliabilityRule, verdict
    from jsnviewer.registration.transform import BoneTransform

    window, result = analysed
    joint = result.joint("DIP4")
    fine = BoneTransform(1.0, 0.0, 1.0, 4.0)
    registration = dataclasses.replace(joint.registration, upper=fine, lower=fine, method="refined",
                                       network_upper=BoneTransform(1.0, 0.0, 1.0, -6.0), network_lower=fine)
    registration.reasons = verdict(registration, ReliabilityRule())
    assert any("the quick first match and the fine match put it" in reason for reason in registration.reasons)
    window.detail_panel.show_joint(dataclasses.replace(joint, registration=registration))
    text = window.detail_panel.numbers.text()
    assert "Quick first match, upper bone" in text and "Quick first match, lower bone" in text
    assert "grey rows: the quick first match, before the fine match" in text
    assert "Network" not in text and "before refinement" not in text
    assert "Network" not in window.detail_panel.numbers.toolTip()


def test_the_detail_panel_names_the_bones_movement_in_a_radiologists_words_with_units(qtbot, analysed):
    """Scale, turn and shifts with their units, the upper and lower bone by name; the paper's symbols
    (P0, P1, dz, dθ, dx, dy, F, G, G′) stay beside them for a reader of the paper."""
    import math

    from jsnviewer.gui.joint_detail import PARAM_COLUMNS, PARAM_ROWS
    from jsnviewer.registration.transform import BoneTransform

    window, result = analysed
    detail = window.detail_panel
    joint = result.joint("DIP4")
    upper = BoneTransform(1.0123, math.radians(-1.5), 2.25, -0.75)  # 1.23 % larger, turned 1.5° anticlockwise
    lower = BoneTransform(0.99, 0.0, 1.0, 0.5)
    refined = dataclasses.replace(joint.registration, upper=upper, lower=lower, method="refined",
                                  network_upper=BoneTransform(1.0, 0.0, 2.0, -1.0), network_lower=lower)
    detail.show_joint(dataclasses.replace(joint, registration=refined))
    text = detail.numbers.text()
    for word, symbol in PARAM_COLUMNS:
        assert f"{word}</td>" in text and f">{symbol}</td>" in text
    assert [word for word, _ in PARAM_COLUMNS] == ["Scale", "Turn", "Shift x", "Shift y"]
    assert PARAM_ROWS["upper"] == "Upper bone (P0)" and PARAM_ROWS["lower"] == "Lower bone (P1)"
    row = text[text.index(PARAM_ROWS["upper"]):]
    row = row[:row.index("</tr>")]
    assert all(cell in row for cell in ("+1.23 %", "-1.50°", "+2.25 px", "<b>-0.75 px</b>"))  # units on every cell
    assert "-1.00 %" in text and "<b>+0.50 px</b>" in text  # the lower bone: 1 % smaller, 0.5 px down
    assert PARAM_ROWS["network_upper"] in text and "<b>-1.00 px</b>" in text  # the network's estimate, grey
    assert "crop px" in text and "clockwise" in text
    assert "JSN = shift y of the upper bone − shift y of the lower bone (dy0 − dy1)" in text
    assert "P0 upper" not in text and "network P0" not in text and "Loss L(F,G)" not in text  # the old words
    titles = [tile.title.text() for tile in detail.tiles.values()]
    assert titles == ["Baseline (F)", "Follow-up (G)", "Registered (G′)", "Mismatch before", "Mismatch after"]
    assert "|F − G|" in detail.tiles["spectrum_original"].title.toolTip()
    assert "|F − G′|" in detail.tiles["spectrum_transformed"].title.toolTip()
    assert "dz" in detail.numbers.toolTip() and "P0" in detail.numbers.toolTip()
    assert (detail.bar_top.text(), detail.bar_bottom.text()) == (f"{detail._top:.2f}", "0")  # the colour scale's ends
    detail.show_joint(None)
    assert detail.bar_top.text() == detail.bar_bottom.text() == ""  # no lone "0" under an empty scale


def test_a_flagged_value_is_marked_in_the_table_and_the_detail_and_copied_with_its_flag(qtbot, analysed):
    """A radiologist copying a JSN from the table (Ctrl+C) or reading the detail's heading gets the flag
    with it; the table's tooltips say what the flag means and why."""
    from PySide6.QtGui import QGuiApplication

    from jsnviewer.registration.result import ReliabilityRule, verdict

    window, result = analysed
    flagged = result.joint("PIP3")
    flagged.registration.reasons = verdict(dataclasses.replace(flagged.registration, turn_check_px=-1.5), ReliabilityRule())
    panel, table = window.results_panel, window.results_panel.table
    panel.set_result(result)
    row = panel.row_identities().index("PIP3")
    assert table.item(row, 1).text() == f"{flagged.jsn_text()} ?"
    assert all(not table.item(r, 1).text().endswith("?") for r in range(table.rowCount()) if r != row)
    for column in (1, 2):
        tip = table.item(row, column).toolTip()
        assert "Not reliable: do not use this value" in tip and "judge this joint by eye" in tip
    assert "network's moves" not in tip  # the old words for the turn check
    panel.select_identity("PIP3")
    table.setCurrentCell(row, 1)
    QGuiApplication.clipboard().clear()
    qtbot.keyClick(table, Qt.Key_C, Qt.ControlModifier)
    copied = QGuiApplication.clipboard().text()
    assert copied.startswith(f"PIP3\t{flagged.jsn_text()} ?\tno\t")
    assert "Not reliable: do not use this value" in copied and "judge this joint by eye" in copied
    detail = window.detail_panel
    assert detail.joint is flagged
    assert f"{flagged.jsn_text()}" in detail.heading.text() and "?" in detail.heading.text()
    assert "not reliable" in detail.heading.text()
    assert "Not reliable: do not use this value" in detail.numbers.text()


def test_the_joint_detail_gives_a_bullet_per_reason_and_its_advice_once_under_them_all(qtbot, analysed):
    """A radiologist read three reasons merged into one bullet as one: each reason is its own bullet, and what to
    do is said once, after them all (two kinds of advice in one line), in mm where the pixel size is known."""
    from html import escape

    from jsnviewer.registration.result import ReliabilityRule, verdict
    from jsnviewer.registration.transform import BoneTransform

    window, result = analysed
    joint = result.joint("PIP3")
    moved = BoneTransform(dx=joint.registration.upper.dx + 9.0, dy=joint.registration.upper.dy)
    failed = dataclasses.replace(joint.registration, original_loss=0.03, transformed_loss=0.04, turn_check_px=-1.5,
                                 network_upper=moved, network_lower=joint.registration.lower)
    joint.registration.reasons = verdict(failed, ReliabilityRule(), converged=False)
    assert len(joint.registration.reasons) == 4
    window.detail_panel.show_joint(joint)
    text = window.detail_panel.numbers.text()
    verdict_html = text[:text.index("Bone movement")]
    bullets = [item.split("</li>")[0] for item in verdict_html.split("<li>")[1:]]
    assert bullets == [escape(reason.rpartition(": ")[0]) for reason in joint.registration.reasons]
    todo = escape("What to do: check the joint's boxes and bone outlines, correct them and analyse again; "
                  "judge this joint by eye.")
    assert verdict_html.count(todo) == 1 and verdict_html.count("What to do") == 1
    assert verdict_html.index(bullets[3]) < verdict_html.index(todo)
    assert " mm apart" in bullets[1] and "crop px" not in verdict_html


def test_findings_of_a_visit_that_may_not_be_a_hand_show_as_not_assessed_in_the_table_detail_and_report(
        qtbot, analysed):
    """A page of text opened as the follow-up: its "ankylosis" stood in the table, the joint detail and the report's
    "Follow-up findings" as a finding of the joint. It is '?' in the table (the tooltip says why), "not assessed" and
    why in the detail and the report; the baseline's findings are still shown."""
    from jsnviewer.gui.report_export import _result_rows, result_columns
    from jsnviewer.pipeline.analyze import findings_not_assessed

    window, result = analysed
    joint = result.joint("PIP3")  # ankylosis on both visits
    joint.followup = dataclasses.replace(joint.followup, findings={}, confidences={},
                                         not_assessed=findings_not_assessed("follow-up"))
    panel, table = window.results_panel, window.results_panel.table
    panel.set_result(result)
    row = panel.row_identities().index("PIP3")
    assert table.item(row, 3).text() == "ank" and table.item(row, 4).text() == "?"
    assert "not assessed" in table.item(row, 4).toolTip() and "may not be a hand radiograph" in table.item(row, 4).toolTip()
    panel.select_identity("PIP3")
    detail = window.detail_panel.numbers.text()
    assert "Findings: baseline ank; follow-up not assessed: the follow-up may not be a hand radiograph" in detail
    columns = result_columns(result)
    titles = [title for title, _ in columns]
    rows = {r[0].text: [c.text for c in r] for r in _result_rows(result, columns)}
    assert rows["PIP3"][titles.index("Follow-up findings")] == "not assessed"
    assert rows["PIP3"][titles.index("Baseline findings")] == "ankylosis"
    assert rows["DIP4"][titles.index("Follow-up findings")] == "subluxation"


def test_overlays_show_jsn_and_reliability_on_the_follow_up_and_can_be_hidden(qtbot, analysed):
    window, result = analysed
    overlay = window.overlays[FOLLOWUP]
    assert {k: v.toPlainText() for k, v in overlay.items.items()} == {j.identity: jsn_text(j) for j in result.joints}
    assert all(("✓" in jsn_text(j)) == j.reliable for j in result.joints)
    assert window.overlays[BASELINE].items == {} and len(window.overlays[FOLLOWUP].unpaired) == 1
    window.actions_by_name["show_jsn"].trigger()
    assert not any(item.isVisible() for item in overlay.items.values())
    window.actions_by_name["show_jsn"].trigger()
    assert all(item.isVisible() for item in overlay.items.values())


def test_jsn_tags_read_at_wcag_aa_even_over_white_bone_reliable_or_not(qtbot, make_window, study):
    from colour_vision import contrast, over

    window = make_window()
    window.show()
    open_and_wait(qtbot, window, *study)
    result = measured_result(window.panes[BASELINE].radiograph, window.panes[FOLLOWUP].radiograph)
    doubtful = result.joints[0]
    result.joints[0] = dataclasses.replace(doubtful, registration=dataclasses.replace(doubtful.registration,
                                                                                      reasons=["refinement did not converge"]))
    assert window.show_results(result, (window.image_ids[BASELINE], window.image_ids[FOLLOWUP]))
    wait_drawn(qtbot, window)
    overlay = window.overlays[FOLLOWUP]
    tags = [*overlay.items.values(), *overlay.unpaired]
    assert overlay.items[doubtful.identity].toPlainText().endswith("?") and len(tags) == 4
    for tag in tags:
        fill, text = tag.fill.color(), tag.color
        bone = over((fill.red(), fill.green(), fill.blue(), fill.alpha()), (255, 255, 255))
        assert contrast((text.red(), text.green(), text.blue()), bone) >= 4.5, tag.toPlainText()


def test_a_joint_at_the_views_edge_keeps_its_name_and_jsn_tag_whole_on_screen(qtbot, analysed):
    """Panned so that the view's left edge cuts a joint's box, its name and tag go to the box's part on screen:
    a tag cut at the edge reads '28 mm' for '-0.28 mm'."""
    window, result = analysed
    view_box, overlay, layer = window.panes[FOLLOWUP].view_box, window.overlays[FOLLOWUP], window.layers[FOLLOWUP]
    first = result.joints[0]
    widths = [r[2] - r[0] for r in (view_rect(view_box, overlay.items[first.identity]),
                                    *(view_rect(view_box, i.label) for i in layer.items.values()))]
    cx, cy, _, _ = first.followup.box
    w = h = 4.0 * max(widths)
    for k, joint in enumerate(result.joints):  # apart, so that only the view's edge is in the way
        joint.followup.box = (cx + 2.0 * w * k, cy, w, h)
    assert window.show_results(result, (window.image_ids[BASELINE], window.image_ids[FOLLOWUP]))
    wait_drawn(qtbot, window)
    left = cx - 0.4 * w  # the view's left edge through the box's left part: a pan, the zoom unchanged
    view_box.translateBy(x=left - view_box.viewRect().left(), y=cy - view_box.viewRect().center().y())

    def on_screen(rect) -> bool:
        r = view_box.viewRect()
        return r.left() <= rect[0] and rect[2] <= r.right() and r.top() <= rect[1] and rect[3] <= r.bottom()

    name = next(i.label for i in layer.items.values() if i.label.toPlainText().startswith(first.identity))
    tag = overlay.items[first.identity]
    qtbot.waitUntil(lambda: on_screen(view_rect(view_box, tag)) and on_screen(view_rect(view_box, name)), timeout=3000)
    assert view_rect(view_box, tag)[0] >= left and tag.toPlainText().startswith(("+", "-"))


def test_jsn_tags_cover_no_joint_name_and_no_other_tag_where_boxes_overlap(qtbot, analysed):
    window, result = analysed
    view_box, overlay = window.panes[FOLLOWUP].view_box, window.overlays[FOLLOWUP]
    tag_h = view_rect(view_box, overlay.items["MCP2"])[3] - view_rect(view_box, overlay.items["MCP2"])[1]
    # crowd the follow-up: PIP3's box starts just inside MCP2's top left, so PIP3's name sits where
    # MCP2's tag would go, and DIP4's box overlaps PIP3's the same way
    cx, cy, _, _ = result.joints[0].followup.box
    w = h = 6.0 * tag_h
    for joint, k in zip(result.joints, range(3)):
        joint.followup.box = (cx + 4.0 * k, cy + 1.3 * k * tag_h, w, h)
    assert window.show_results(result, (window.image_ids[BASELINE], window.image_ids[FOLLOWUP]))
    wait_drawn(qtbot, window)

    def placed():
        names = [view_rect(view_box, i.label) for i in window.layers[FOLLOWUP].items.values()]
        shown = [(k, t) for k, t in [*overlay.items.items(), *enumerate(overlay.unpaired)] if t.isVisible()]
        return names, {k: view_rect(view_box, t) for k, t in shown}

    from jsnviewer.gui.overlays import jsn_text, named_tag

    names, tags = placed()
    assert len(names) == 4  # the three measured joints and MCP5, not measured
    assert len(tags) + overlay.noted == 4 and {"MCP2", "PIP3", "DIP4"} <= set(tags)  # the three values shown
    slack = 0.1 * tag_h
    assert not any(overlap(t, n, slack) for t in tags.values() for n in names)
    assert not any(overlap(a, b, slack) for a in tags.values() for b in tags.values() if a is not b)
    boxes = {joint.identity: joint.followup.box for joint in result.joints}
    for identity, (x0, y0, x1, y1) in tags.items():  # each by its own joint's box; on another only naming its joint
        for other, (bx, by, bw, bh) in boxes.items():
            apart = (x1 < bx - bw / 2 - slack or bx + bw / 2 + slack < x0
                     or y1 < by - bh / 2 - slack or by + bh / 2 + slack < y0)
            if identity == other:
                assert not apart, identity
            elif not apart:  # (MCP5's mark, not measured, lies on none of them)
                assert identity in overlay.items and overlay.items[identity].toPlainText() == named_tag(identity, jsn_text(result.joint(identity)))
    # every corner of PIP3's box lies on MCP2's or DIP4's: its tag says it is PIP3's
    assert overlay.items["PIP3"].toPlainText() == named_tag("PIP3", jsn_text(result.joint("PIP3")))
    assert "MCP2" in tags and "DIP4" in tags
    mcp2_top_left = (result.joints[0].followup.box[0] - w / 2, result.joints[0].followup.box[1] - h / 2)
    assert tags["MCP2"][:2] != pytest.approx(mcp2_top_left)  # moved off PIP3's name

    # text keeps its size on screen: zoomed in, MCP2's top left corner is free again and its tag goes back
    view_box.scaleBy((0.6, 0.6), center=pg.Point(*result.joints[0].followup.box[:2]))  # MCP2's box stays on screen
    qtbot.waitUntil(lambda: placed()[1]["MCP2"][:2] == pytest.approx(mcp2_top_left, abs=1e-3), timeout=3000)
    names, tags = placed()
    assert not any(overlap(t, n, 0.04 * tag_h) for t in tags.values() for n in names)

    window, result = analysed
    follow = window.documents[FOLLOWUP]
    assert sorted((j.identity, j.box, j.source) for j in follow.joints()) == sorted(
        [(j.identity, j.followup.box, "model") for j in result.joints] + [("MCP5", (40.0, 200.0, 30.0, 30.0), "model")])
    assert not follow.is_dirty  # proposals are not the user's work
    layer = window.layers[FOLLOWUP]
    assert all(item.pen.style() == Qt.DashLine for item in layer.items.values())
    window.set_active_role(FOLLOWUP)
    window.accept_all()
    assert {j.source for j in follow.joints()} == {"user"} and follow.is_dirty
    window.actions_by_name["undo"].trigger()
    assert {j.source for j in follow.joints()} == {"model"}


def test_accepting_all_proposals_leaves_the_boxes_without_a_joint_name(qtbot, make_window, study):
    window = make_window()
    open_and_wait(qtbot, window, *study)
    result = measured_result(window.panes[BASELINE].radiograph, window.panes[FOLLOWUP].radiograph)
    result.unpaired += [UnpairedJoint(None, "followup", (150.0, 230.0, 30.0, 30.0), "no joint identity could be given to this box"),
                        UnpairedJoint(None, "followup", (110.0, 235.0, 30.0, 30.0), "no joint identity could be given to this box")]
    window.show_results(result)
    panel = window.results_panel
    assert panel.heading.text() == "3 joints measured (3 reliable), 1 not measured"
    assert [panel.unpaired.item(i).text() for i in range(panel.unpaired.count())] == [
        "MCP5 (follow-up): not found on the baseline radiograph",
        "2 boxes on the follow-up fit no finger joint of the hand (grey; often the wrist)"]
    follow = window.documents[FOLLOWUP]
    window.set_active_role(FOLLOWUP)
    window.accept_all()
    # the wrist's boxes would enter the training data as finger joints: they wait to be named or deleted
    assert sorted((j.identity or "?", j.source) for j in follow.joints()) == [
        ("?", "model"), ("?", "model"), ("DIP4", "user"), ("MCP2", "user"), ("MCP5", "user"), ("PIP3", "user")]
    assert "2 without a joint name left as proposals" in window.statusBar().currentMessage()
    unnamed = next(uid for uid in follow.uids() if follow.joint(uid).identity is None)
    window.layers[FOLLOWUP].select(unnamed)
    window.accept_selected()  # one at a time, the user's decision
    assert follow.joint(unnamed).source == "user"


def test_a_users_own_box_of_a_joint_is_kept_instead_of_the_proposal(qtbot, make_window, study):
    from jsnviewer.dataset import JointAnnotation

    window = make_window()
    open_and_wait(qtbot, window, *study)
    base = window.documents[BASELINE]
    base.add(JointAnnotation(box=(61.0, 151.0, 42.0, 40.0), identity="MCP2", source="user"))
    result = measured_result(window.panes[BASELINE].radiograph, window.panes[FOLLOWUP].radiograph)
    window.show_results(result)
    mcp2 = [j for j in base.joints() if j.identity == "MCP2"]
    assert [(j.box, j.source) for j in mcp2] == [((61.0, 151.0, 42.0, 40.0), "user")]
    assert sorted(j.identity for j in base.joints() if j.source == "model") == ["DIP4", "PIP3"]
    window.show_results(result)  # a second analysis replaces its proposals, it does not pile them up
    assert len(base) == 3


def test_results_say_when_the_boxes_changed_and_analysing_again_measures_the_users_boxes(qtbot, analysed,
                                                                                            monkeypatch):
    """After moving a box the table went on showing the old numbers without a word, and Analyse measured the
    detector's box again, not the moved one."""
    window, result = analysed
    document = window.documents[BASELINE]

    def out_of_date() -> bool:
        return any("changed since the analysis" in text for _, text in window.warnings.messages())

    assert not out_of_date()
    document.accept_proposals(document.uids())  # accepting as they are changes no measured box
    assert not out_of_date()
    pip3 = next(uid for uid in document.uids() if document.joint(uid).identity == "PIP3")
    moved = (97.5, 78.0, 36.0, 36.0)
    document.set_box(pip3, moved)
    assert out_of_date()
    def notes() -> list[QFrame]:  # the bar's messages (a frame each, its words in `text`) that say so, on screen
        return [m for m in window.warnings.findChildren(QFrame) if isinstance(getattr(m, "text", None), str)
                and "changed since the analysis" in m.text and m.isVisible()]

    note = notes()
    for step in (1.0, 2.0, 3.0):  # each further edit says it again: the same note stays, not rebuilt at every edit
        document.set_box(pip3, (moved[0] + step, *moved[1:]))
    assert len(note) == 1 and notes() == note
    document.undo_stack.undo()
    document.undo_stack.undo()
    document.undo_stack.undo()
    document.undo_stack.undo()
    assert not out_of_date()
    document.undo_stack.redo()

    asked = {}

    def stand_in(baseline, followup, settings, cache, progress=None, corrections=None):
        asked["corrections"] = corrections
        return measured_result(baseline, followup)

    monkeypatch.setattr("jsnviewer.gui.analysis_actions.run_analysis", stand_in)
    assert run_and_wait(qtbot, window, 60000) == "done"
    baseline_boxes, followup_boxes = asked["corrections"]
    assert ("PIP3", moved) in [(j.identity, j.box) for j in baseline_boxes]
    assert followup_boxes == [] and not out_of_date()  # the follow-up's boxes are all proposals still


@pytest.fixture
def models_folder(tmp_path, monkeypatch) -> Path:
    """A folder of shipped weights files standing in for the program's (the results here only hash them)."""
    from jsnviewer.weights import MODEL_TITLES

    folder = tmp_path / "models"
    folder.mkdir()
    for name in MODEL_TITLES:
        (folder / f"{name}.pt").write_bytes(f"shipped {name}".encode())
    monkeypatch.setenv("JSNVIEWER_MODELS", str(folder))
    return folder


def retrained_weights(dataset: Path, name: str, run: str = "2024-05-02_140312") -> Path:
    """A weights file where a retraining in `dataset` writes it (`retraining.output_folder`)."""
    path = dataset / "retrained" / run / f"{name}.pt"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(f"retrained {name} {run}".encode())
    return path


def made_with(result: StudyResult, window) -> StudyResult:
    """`result` recording the weights files the window's settings now name, as an analysis with them records them."""
    from jsnviewer.dataset import file_sha256
    from jsnviewer.gui.analysis import weights_files

    models = {name: {"file": str(path.resolve()), "sha256": file_sha256(path)[:16]}
              for name, path in weights_files(window.settings).items()}
    return dataclasses.replace(result, settings={**result.settings, "models": models})


def other_weights_marked(window) -> bool:
    """Whether the window says, beside the results and in its warnings bar, that other weights made them."""
    bar = window.warnings.button("results-other-weights")
    panel = window.results_panel.weights.text()
    assert (bar is not None) == panel.startswith("⚠")  # the two say the same
    return bar is not None


def test_the_results_panel_says_which_weights_made_the_results_shown(qtbot, analysed, models_folder, tmp_path):
    """Once the status bar's line was gone, nothing in the window said which weights had made the results."""
    window, result = analysed
    assert window.show_results(made_with(result, window), propose=False)
    line = window.results_panel.weights
    assert line.isVisible() and line.text() == "Analysed with the shipped models."
    assert str(models_folder / "segmenter.pt") in line.toolTip() and "SHA-256" in line.toolTip()
    segmenter = retrained_weights(tmp_path / "clinic", "segmenter")
    window.settings.weights["segmenter"] = str(segmenter)
    assert window.show_results(made_with(result, window), propose=False)
    assert line.text() == ("Analysed with weights retrained on 2024-05-02 14:03 from the dataset folder “clinic” (bone segmenter)"
                           " and the shipped models for the rest.")
    assert f"Bone segmenter: {segmenter.resolve()}" in line.toolTip() and not other_weights_marked(window)


def test_results_made_with_other_weights_than_those_now_in_use_say_so_until_analysed_again(
        qtbot, analysed, models_folder, tmp_path, monkeypatch):
    """Retrained weights taken into use while results were shown left those results on screen without a sign that
    other weights had made them. Nothing is analysed again, nor dropped, until the reader asks."""
    window, result = analysed
    shown = made_with(result, window)
    assert window.show_results(shown, propose=False) and not other_weights_marked(window)
    segmenter = retrained_weights(tmp_path / "clinic", "segmenter")
    window.use_weights({"segmenter": str(segmenter)})  # the Retrain dialog's "use the new weights"
    assert other_weights_marked(window) and window.result is shown and window.results_panel.table.rowCount() == 3
    assert "Now in use: weights retrained on 2024-05-02 14:03 from the dataset folder “clinic” (bone segmenter) and the shipped " \
        "models for the rest." in window.warnings.text()
    assert window.results_panel.weights.text().startswith("⚠ Analysed with the shipped models, not with the weights now")

    analysed_with = []

    def stand_in(baseline, followup, settings, cache, progress=None, corrections=None):
        analysed_with.append(settings.weights["segmenter"])
        return made_with(measured_result(baseline, followup), window)

    monkeypatch.setattr("jsnviewer.gui.analysis_actions.run_analysis", stand_in)
    assert run_and_wait(qtbot, window, 60000, window.warnings.button("results-other-weights").click) == "done"
    assert analysed_with == [str(segmenter)] and not other_weights_marked(window)
    assert window.results_panel.weights.text().startswith("Analysed with weights retrained on 2024-05-02 14:03")


def test_going_back_to_the_weights_that_made_the_results_takes_the_mark_away(qtbot, analysed, models_folder,
                                                                            tmp_path):
    window, result = analysed
    segmenter = retrained_weights(tmp_path / "clinic", "segmenter")
    window.settings.weights["segmenter"] = str(segmenter)
    assert window.show_results(made_with(result, window), propose=False) and not other_weights_marked(window)

    def in_settings(change) -> None:  # Settings, changed and accepted as the reader would
        def answer() -> None:
            dialog = QApplication.activeModalWidget()
            change(dialog)
            dialog.accept()

        QTimer.singleShot(0, answer)
        window.open_settings()

    in_settings(lambda dialog: dialog.shipped_button.click())
    assert other_weights_marked(window)
    assert "Now in use: the shipped models." in window.warnings.text()
    in_settings(lambda dialog: dialog.weights["segmenter"].setText(str(segmenter)))
    assert not other_weights_marked(window)
    assert window.results_panel.weights.text().startswith("Analysed with weights retrained")


def test_ctrl_z_after_an_analysis_undoes_the_users_last_edit_never_the_analysis(qtbot, analysed):
    """Ctrl+Z right after an analysis took every proposal box of the image away ("Undo Analysis proposals"), and the
    results then said that the boxes had changed since."""
    window, result = analysed
    follow = window.documents[FOLLOWUP]
    window.set_active_role(FOLLOWUP)
    undo = window.actions_by_name["undo"]
    boxes = follow.joints()
    assert len(boxes) == 4 and not undo.isEnabled() and "proposal" not in undo.text()
    qtbot.keyClick(window, Qt.Key_Z, Qt.ControlModifier)
    assert follow.joints() == boxes and "changed since the analysis" not in window.warnings.text()

    # the user's edits stay undoable, across another analysis, which never comes back by undo or redo
    dip4 = next(uid for uid in follow.uids() if follow.joint(uid).identity == "DIP4")
    window.layers[FOLLOWUP].select(dip4)
    window.accept_selected()
    pip3 = next(uid for uid in follow.uids() if follow.joint(uid).identity == "PIP3")
    follow.remove(pip3)  # a proposal deleted
    assert window.show_results(measured_result(*(window.panes[r].radiograph for r in (BASELINE, FOLLOWUP))))
    names = sorted((j.identity, j.source) for j in follow.joints())
    assert names == [("DIP4", "user"), ("MCP2", "model"), ("MCP5", "model"), ("PIP3", "model")]
    assert undo.text().replace("&", "") == "Undo Delete PIP3"
    qtbot.keyClick(window, Qt.Key_Z, Qt.ControlModifier)  # the deletion: PIP3 is proposed anew, not there twice
    assert sorted((j.identity, j.source) for j in follow.joints()) == names
    qtbot.keyClick(window, Qt.Key_Z, Qt.ControlModifier)  # the accept: DIP4 is a proposal again
    assert sorted((j.identity, j.source) for j in follow.joints()) == \
        [("DIP4", "model"), ("MCP2", "model"), ("MCP5", "model"), ("PIP3", "model")]
    assert not undo.isEnabled()
    qtbot.keyClick(window, Qt.Key_Z, Qt.ControlModifier | Qt.ShiftModifier)
    qtbot.keyClick(window, Qt.Key_Z, Qt.ControlModifier | Qt.ShiftModifier)
    assert sorted((j.identity, j.source) for j in follow.joints()) == names


def test_a_box_moved_while_the_analysis_runs_makes_its_results_say_they_measured_the_boxes_as_they_were(
        qtbot, make_window, study, monkeypatch):
    """The results arrived after the user moved a box and said nothing: the note compared the boxes with themselves."""
    import threading

    window = make_window()
    open_and_wait(qtbot, window, *study)
    document = window.documents[BASELINE]
    window.add_box(BASELINE, (60.0, 60.0, 30.0, 30.0), identity="PIP3")
    pip3 = next(uid for uid in document.uids() if document.joint(uid).identity == "PIP3")
    running, release = threading.Event(), threading.Event()

    def stand_in(baseline, followup, settings, cache, progress=None, corrections=None):
        running.set()
        release.wait(30)
        return measured_result(baseline, followup)

    monkeypatch.setattr("jsnviewer.gui.analysis_actions.run_analysis", stand_in)
    outcomes: list[str] = []
    window.analysis_finished.connect(outcomes.append)
    window.start_analysis()
    qtbot.waitUntil(running.is_set, timeout=10000)
    document.set_box(pip3, (70.0, 65.0, 30.0, 30.0))  # while it runs
    release.set()
    qtbot.waitUntil(lambda: bool(outcomes), timeout=30000)
    assert outcomes == ["done"] and window.result is not None
    assert "The boxes changed since the analysis" in window.warnings.text()
    document.set_box(pip3, (60.0, 60.0, 30.0, 30.0))  # back where it was measured: the results are of these boxes
    assert "The boxes changed since the analysis" not in window.warnings.text()


def test_the_keyboard_walks_the_results_from_the_first_joint_and_a_measured_box_shows_its_measurement(qtbot, analysed):
    """Ctrl+2 selected no row, so the first ↓ went to the second joint; N through the boxes emptied the joint detail."""
    window, result = analysed
    window.results_panel.select_identity(None)
    window.detail_panel.show_joint(None)
    qtbot.keyClick(window, Qt.Key_2, Qt.ControlModifier)
    table = window.results_panel.table
    first = window.results_panel.row_identities()[0]
    assert table.hasFocus() and window.results_panel.current_identity() == first
    assert window.detail_panel.joint.identity == first
    qtbot.keyClick(table, Qt.Key_Down)
    assert window.results_panel.current_identity() == window.results_panel.row_identities()[1]

    window.joints_dock.raise_()  # the annotator's panel in front
    qtbot.keyClick(window, Qt.Key_0, Qt.ControlModifier)
    measured = {j.identity for j in result.joints}
    seen = set()
    for _ in range(len(window.documents[window.active_role])):
        qtbot.keyClick(window.panes[window.active_role].graphics, Qt.Key_N)
        document, uid = window.selected()
        identity = document.joint(uid).identity
        if identity in measured:
            seen.add(identity)
            assert window.results_panel.current_identity() == identity
            assert window.detail_panel.joint.identity == identity
        assert window.joints_panel.isVisible() and not window.joints_panel.visibleRegion().isEmpty()  # still in front
    assert seen == measured


def test_what_was_said_of_a_studys_analysis_and_exports_goes_when_another_study_opens(qtbot, analysed, tmp_path,
                                                                                       monkeypatch):
    """"Analysis failed: tiny.png …" stayed in red above the next, good pair."""
    window, result = analysed
    (tmp_path / "file").write_text("not a folder")
    window.export_csv(tmp_path / "file" / "out.csv")  # cannot be written there
    qtbot.waitUntil(lambda: not window.workers, timeout=30000)

    def fails(*args, **kwargs):
        raise AnalysisError("tiny.png: no hand to analyse")

    monkeypatch.setattr("jsnviewer.gui.analysis_actions.run_analysis", fails)
    assert run_and_wait(qtbot, window, 30000) == "error"
    errors = [t for level, t in window.warnings.messages() if level == "error"]
    assert len(errors) == 2 and errors[0].startswith("Exporting the results CSV failed")
    assert errors[1] == "Analysis failed: tiny.png: no hand to analyse"
    other = tmp_path / "other.dcm"
    write_radiograph(other, seed=7)
    open_and_wait(qtbot, window, other)
    assert not [t for level, t in window.warnings.messages() if level == "error"]


def test_exports_write_the_csv_report_and_results_folder(qtbot, analysed, tmp_path):
    from jsnviewer.pipeline.report import CSV_COLUMNS

    window, result = analysed
    window.export_csv(tmp_path / "out.csv")
    window.export_report(tmp_path / "report.pdf")
    window.export_report(tmp_path / "report.png")
    window.save_results(tmp_path / "folder")
    qtbot.waitUntil(lambda: not window.workers, timeout=60000)
    assert not [t for level, t in window.warnings.messages() if level == "error"]
    with open(tmp_path / "out.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == CSV_COLUMNS
    assert [r["identity"] for r in rows] == ["DIP4", "PIP3", "MCP2", "MCP5"]  # anatomical order, as in the table
    assert float(rows[2]["jsn_mm"]) == pytest.approx(result.joint("MCP2").jsn_mm, abs=1e-4)
    assert (tmp_path / "report.pdf").read_bytes()[:5] == b"%PDF-"
    with Image.open(tmp_path / "report.png") as picture:
        assert picture.width == 1800 and picture.height > 1000
    saved = json.loads((tmp_path / "folder" / "results.json").read_text())
    assert [j["identity"] for j in saved["joints"]] == [j.identity for j in result.joints]
    assert (tmp_path / "folder" / "overview.png").is_file()


def test_the_export_dialogs_propose_names_with_the_patient_id_and_both_study_dates(qtbot, analysed, tmp_path,
                                                                                   monkeypatch):
    """Every report was proposed as jsn-report.pdf and every CSV as results.csv: one study's saved over another's,
    or a folder of files nobody could tell apart. Never the patient's name."""
    from PySide6.QtWidgets import QFileDialog, QLineEdit

    window, _ = analysed
    proposed, folders = [], []
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        lambda parent, title, start, kinds: (proposed.append(Path(start)), ("", ""))[1])

    def look(dialog) -> int:
        folders.append((dialog.directory().absolutePath(), dialog.findChild(QLineEdit, "fileNameEdit").text()))
        return 0

    monkeypatch.setattr(FolderDialog, "exec", look)
    monkeypatch.setattr(window, "_export_start", lambda: str(tmp_path))
    window.export_report_dialog()
    window.export_csv_dialog()
    window.save_results_dialog()
    assert [p.name for p in proposed] == [f"{PROPOSED_REPORT}.pdf", f"{PROPOSED_RESULTS}.csv"]
    assert all(p.parent == tmp_path for p in proposed)
    assert folders == [(str(tmp_path), PROPOSED_RESULTS)]  # a new folder for this study
    assert not any(path.exists() for path in proposed) and sorted(p.name for p in tmp_path.iterdir()) == [
        "settings.ini", "study"]


def test_exporting_results_the_boxes_changed_since_asks_first_and_the_files_say_so(qtbot, analysed, tmp_path,
                                                                                      monkeypatch):
    """After a box was moved, the CSV, the report and the results folder wrote the old results without a word."""
    from PySide6.QtWidgets import QFileDialog, QMessageBox

    import jsnviewer.gui.report_export as report_export
    from jsnviewer.gui.analysis_actions import EXPORTED_OUT_OF_DATE

    window, result = analysed
    asked: list[list[str]] = []
    answer = {"button": "Cancel"}

    def click(box: QMessageBox) -> int:
        asked.append([button.text().replace("&", "") for button in box.buttons()])
        next(b for b in box.buttons() if b.text().replace("&", "") == answer["button"]).click()
        return 0

    reported = []

    def spy(path, result, *radiographs):
        reported.append(list(result.warnings))
        return real_report(path, result, *radiographs)

    real_report = report_export.write_report
    monkeypatch.setattr(QMessageBox, "exec", click)
    monkeypatch.setattr(report_export, "write_report", spy)
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda parent, title, start, kinds: (start, kinds))
    monkeypatch.setattr(FolderDialog, "get_folder", lambda parent, title, start: str(tmp_path / "folder"))
    monkeypatch.setattr(window, "_export_start", lambda: str(tmp_path))

    def study_warnings() -> list[str]:
        with open(tmp_path / f"{PROPOSED_RESULTS}.csv", newline="") as fh:
            return [row["study_warnings"] for row in csv.DictReader(fh)]

    window.export_csv_dialog()  # the boxes as analysed: written at once, no question, no note
    qtbot.waitUntil(lambda: not window.workers, timeout=30000)
    assert asked == [] and study_warnings() and not any(study_warnings())
    (tmp_path / f"{PROPOSED_RESULTS}.csv").unlink()

    document = window.documents[BASELINE]
    pip3 = next(uid for uid in document.uids() if document.joint(uid).identity == "PIP3")
    document.set_box(pip3, (99.0, 83.0, 36.0, 36.0))
    for export in (window.export_csv_dialog, window.export_report_dialog, window.save_results_dialog):
        export()  # cancelled: nothing written
    qtbot.waitUntil(lambda: not window.workers, timeout=30000)
    assert asked == [["Analyse again first", "Export these results anyway", "Cancel"]] * 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["settings.ini", "study"] and reported == []

    answer["button"] = "Export these results anyway"
    for export in (window.export_csv_dialog, window.export_report_dialog, window.save_results_dialog):
        export()
    qtbot.waitUntil(lambda: not window.workers, timeout=60000)
    assert not [t for level, t in window.warnings.messages() if level == "error"]
    assert study_warnings() and all(w == EXPORTED_OUT_OF_DATE for w in study_warnings())
    assert reported == [[EXPORTED_OUT_OF_DATE]] and (tmp_path / f"{PROPOSED_REPORT}.pdf").is_file()
    assert json.loads((tmp_path / "folder" / "results.json").read_text())["warnings"] == [EXPORTED_OUT_OF_DATE]
    assert result.warnings == []  # the result shown is left as it was

    answer["button"] = "Analyse again first"
    monkeypatch.setattr("jsnviewer.gui.analysis_actions.run_analysis",
                        lambda baseline, followup, *args, **kwargs: measured_result(baseline, followup))
    (tmp_path / f"{PROPOSED_RESULTS}.csv").unlink()
    assert run_and_wait(qtbot, window, 60000, window.export_csv_dialog) == "done"
    qtbot.waitUntil(lambda: not window.workers, timeout=30000)  # the export goes on: no question, no note
    assert window.result is not result and len(asked) == 7 and not any(study_warnings())


def test_analyse_again_first_goes_on_to_the_export_once_the_new_results_are_shown(qtbot, analysed, tmp_path,
                                                                                  monkeypatch):
    """"Analyse again first" analysed, but the user had to choose the export again; a failed or cancelled analysis
    exports nothing and leaves nothing waiting for the next one."""
    from PySide6.QtWidgets import QFileDialog, QMessageBox

    window, result = analysed
    dialogs: list[str] = []
    monkeypatch.setattr(QMessageBox, "exec", lambda box: next(
        b for b in box.buttons() if b.text().replace("&", "") == "Analyse again first").click())
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        lambda parent, title, start, kinds: (dialogs.append(title), (start, kinds))[1])
    monkeypatch.setattr(FolderDialog, "get_folder",
                        lambda parent, title, start: (dialogs.append(title), str(tmp_path / "folder"))[1])
    monkeypatch.setattr(window, "_export_start", lambda: str(tmp_path))
    document = window.documents[BASELINE]
    pip3 = next(uid for uid in document.uids() if document.joint(uid).identity == "PIP3")

    def fails(*args, **kwargs):
        raise AnalysisError("no joints found")

    document.set_box(pip3, (99.0, 83.0, 36.0, 36.0))
    monkeypatch.setattr("jsnviewer.gui.analysis_actions.run_analysis", fails)
    assert run_and_wait(qtbot, window, 30000, window.export_report_dialog) == "error"
    monkeypatch.setattr("jsnviewer.gui.analysis_actions.run_analysis", slow_stand_in(None, steps=10**9))

    def again_then_cancel() -> None:
        window.save_results_dialog()
        qtbot.waitUntil(lambda: "Analysis: Registering" in window.task_label.text(), timeout=30000)  # under way
        window.cancel_task()

    assert run_and_wait(qtbot, window, 30000, again_then_cancel) == "cancelled"
    assert window.result is result and dialogs == []

    def again_while_analysing_then_cancel() -> None:  # the analysis asked for waits for the running one: cancelled
        window.start_analysis()
        qtbot.waitUntil(lambda: "Analysis: Registering" in window.task_label.text(), timeout=30000)
        window.export_csv_dialog()
        window.cancel_task()

    assert run_and_wait(qtbot, window, 30000, again_while_analysing_then_cancel) == "cancelled"
    qtbot.waitUntil(lambda: window.task is None, timeout=30000)
    monkeypatch.setattr("jsnviewer.gui.analysis_actions.run_analysis",
                        lambda baseline, followup, *args, **kwargs: measured_result(baseline, followup))
    assert run_and_wait(qtbot, window, 30000) == "done"  # Ctrl+R later: only the analysis, no export
    assert dialogs == [] and sorted(p.name for p in tmp_path.iterdir()) == ["settings.ini", "study"]

    document.set_box(pip3, (101.0, 85.0, 36.0, 36.0))
    assert run_and_wait(qtbot, window, 30000, window.export_csv_dialog) == "done"
    qtbot.waitUntil(lambda: not window.workers, timeout=30000)
    assert dialogs == ["Export results as CSV"]  # the export chosen, its results measuring the boxes shown
    with open(tmp_path / f"{PROPOSED_RESULTS}.csv", newline="") as fh:
        assert not any(row["study_warnings"] for row in csv.DictReader(fh))


def slow_stand_in(result, steps=40):
    """An analysis stand-in: `steps` FFT passes of real numpy work, reporting progress, then `result`."""

    def work(baseline, followup, app_settings, cache, progress=None, corrections=None):
        image = np.random.default_rng(0).random((512, 512))
        for step in range(1, steps + 1):
            image = np.fft.ifft2(np.fft.fft2(image)).real
            progress(step / steps, "Registering MCP2")
        return result

    return work


def test_the_analysis_runs_in_the_background_and_its_results_appear(qtbot, make_window, study, monkeypatch):
    window = make_window()
    window.show()
    from jsnviewer.radiograph import load_radiograph

    result = measured_result(load_radiograph(study[0]), load_radiograph(study[1]))
    monkeypatch.setattr("jsnviewer.gui.analysis_actions.run_analysis", slow_stand_in(result))

    def open_then_analyse() -> None:
        window.open_study(*study)
        assert window.start_analysis() is None  # asked for while the study opens: it starts once it is shown

    assert run_and_wait(qtbot, window, 60000, open_then_analyse) == "done" and window.result is result
    window.clear_result()
    ticks = []
    timer = QTimer()
    timer.setInterval(5)
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start()

    def start() -> None:
        window.actions_by_name["analyse"].trigger()
        assert window.progress.isVisible() and window.cancel_button.isVisible()
        assert not window.actions_by_name["analyse"].isEnabled()

    assert run_and_wait(qtbot, window, 60000, start) == "done"
    timer.stop()
    assert len(ticks) >= 5, "the GUI stopped processing events while the analysis ran"
    assert window.result is result and window.results_panel.table.rowCount() == 3
    wait_drawn(qtbot, window)
    assert len(window.overlays[FOLLOWUP].items) == 3 and len(window.layers[FOLLOWUP].items) == 4
    assert window.actions_by_name["export_csv"].isEnabled() and window.actions_by_name["analyse"].isEnabled()


def test_cancel_stops_the_analysis_and_keeps_the_window_as_it_was(qtbot, make_window, study, monkeypatch):
    window = make_window()
    open_and_wait(qtbot, window, *study)
    window.add_box(BASELINE, (50.0, 50.0, 20.0, 20.0), "MCP3")
    monkeypatch.setattr("jsnviewer.gui.analysis_actions.run_analysis", slow_stand_in(None, steps=10**9))
    workers = []

    def start_then_cancel() -> None:
        workers.append(window.start_analysis())
        qtbot.waitUntil(lambda: "Analysis: Registering" in window.task_label.text(), timeout=30000)  # under way
        window.cancel_task()

    assert run_and_wait(qtbot, window, 30000, start_then_cancel) == "cancelled" and workers[0].is_cancelled()
    assert window.result is None and window.results_panel.table.rowCount() == 0
    assert [j.identity for j in window.documents[BASELINE].joints()] == ["MCP3"]


def test_missing_weights_are_named_in_the_warnings_bar_and_nothing_is_lost(qtbot, make_window, study, tmp_path):
    window = make_window()
    open_and_wait(qtbot, window, *study)
    window.add_box(BASELINE, (50.0, 50.0, 20.0, 20.0), "MCP3")
    missing = tmp_path / "retrained_ankylosis.pt"
    window.settings.weights["detector_ankylosis"] = str(missing)
    assert run_and_wait(qtbot, window, 120000) == "error"
    errors = [text for level, text in window.warnings.messages() if level == "error"]
    assert errors == [f"Analysis failed: Ankylosis detector weights {missing}: file not found (choose another file in "
                      "Settings or clear it to use the shipped weights)"]  # the model as Settings names its row
    assert [j.identity for j in window.documents[BASELINE].joints()] == ["MCP3"] and window.documents[BASELINE].is_dirty


def test_a_weights_file_named_at_start_is_named_once_when_the_analysis_then_fails_on_it(qtbot, make_window, study,
                                                                                      tmp_path):
    """A damaged models folder showed the same sentence twice, as the start's warning and as the analysis's error."""
    damaged, missing = tmp_path / "seg.pt", tmp_path / "retrained_ankylosis.pt"
    damaged.write_bytes(b"\x00garbage" * 10)
    window = make_window()
    open_and_wait(qtbot, window, *study)
    window.settings.weights["segmenter"] = str(damaged)
    window.warm_up()  # as the application does at start: it names the damaged file
    qtbot.waitUntil(lambda: any(str(damaged) in text for _, text in window.warnings.messages()), timeout=120000)
    assert run_and_wait(qtbot, window, 120000) == "error"
    assert [(level, text) for level, text in window.warnings.messages() if str(damaged) in text] == [
        ("error", f"Analysis failed: Bone segmenter weights {damaged}: cannot be read, the file is damaged or not a "
                  "weights file (choose another file in Settings or clear it to use the shipped weights)")]

    window.settings.weights = {"detector_ankylosis": str(missing)}
    window.show_missing_weights()  # as after Settings: it names the missing file
    assert run_and_wait(qtbot, window, 120000) == "error"
    assert [(level, text) for level, text in window.warnings.messages() if str(missing) in text] == [
        ("error", f"Analysis failed: Ankylosis detector weights {missing}: file not found (choose another file in "
                  "Settings or clear it to use the shipped weights)")]


def test_an_analysis_error_is_one_line_in_the_window(qtbot, make_window, study, monkeypatch):
    window = make_window()
    open_and_wait(qtbot, window, *study)

    def unreadable(baseline, followup, app_settings, cache, progress=None, corrections=None):
        progress(0.3, "Finding joints on the baseline")
        raise AnalysisError("baseline.dcm: the pixel data could not be decoded (JPEG 2000)")

    monkeypatch.setattr("jsnviewer.gui.analysis_actions.run_analysis", unreadable)
    assert run_and_wait(qtbot, window, 30000) == "error"
    assert [t for level, t in window.warnings.messages() if level == "error"] == [
        "Analysis failed: baseline.dcm: the pixel data could not be decoded (JPEG 2000)"]


def test_with_no_radiograph_the_analysis_says_what_to_open(qtbot, make_window):
    window = make_window()
    assert window.start_analysis() is None
    assert any("Open a radiograph first" in text for _, text in window.warnings.messages())


def test_with_one_radiograph_the_analysis_finds_its_joints_as_proposals(qtbot, make_window, study, monkeypatch):
    window = make_window()
    open_and_wait(qtbot, window, None, study[1])  # the follow-up alone
    document = window.documents[FOLLOWUP]
    document.add(JointAnnotation(box=(60.0, 60.0, 20.0, 20.0), identity="PIP3", source="user"))
    searched = []

    def joint_search(radiograph, app_settings, cache, progress=None):
        searched.append(radiograph)
        return [JointAnnotation(box=(90.0, 120.0, 24.0, 20.0), identity="MCP2", findings={"ankylosis": True},
                                source="model"),
                JointAnnotation(box=(61.0, 59.0, 20.0, 20.0), identity="PIP3", source="model")], []  # the user's stands

    monkeypatch.setattr("jsnviewer.gui.analysis_actions.run_joint_search", joint_search)
    assert run_and_wait(qtbot, window, 30000) == "done"
    assert searched == [window.panes[FOLLOWUP].radiograph]
    proposed = [j for j in document.joints() if j.source == "model"]
    assert [(j.identity, j.box, j.findings.get("ankylosis")) for j in proposed] == [("MCP2", (90.0, 120.0, 24.0, 20.0), True)]
    assert [j.identity for j in document.joints() if j.source == "user"] == ["PIP3"]
    assert window.result is None  # no JSN without the other visit
    assert "1 proposal to accept or correct" in window.statusBar().currentMessage()
    assert window.actions_by_name["analyse"].isEnabled()


def test_a_joint_search_that_guessed_the_hand_says_so_until_another_study_opens(qtbot, make_window, study,
                                                                                  monkeypatch, tmp_path):
    """A JPEG does not say which hand it shows; where the joints fit either hand almost alike, every proposed name may
    be its mirror's, and accepting them all would teach the models wrong names."""
    from jsnviewer.pipeline.analyze import visit_warnings
    from test_detection_identity import UAB001_RH_BOXES, found

    window = make_window()
    open_and_wait(qtbot, window, None, study[1])

    def joint_search(radiograph, app_settings, cache, progress=None):
        joints = found(UAB001_RH_BOXES)
        return ([JointAnnotation(box=d.box, identity=d.identity, source="model") for d in joints],
                visit_warnings(Radiograph(np.zeros((8, 8), np.float32)), joints, "radiograph"))

    monkeypatch.setattr("jsnviewer.gui.analysis_actions.run_joint_search", joint_search)
    assert run_and_wait(qtbot, window, 30000) == "done"
    assert any(level == "warning" and text.startswith("Which hand the radiograph shows is a guess")
               for level, text in window.warnings.messages())
    other = tmp_path / "other.dcm"
    write_radiograph(other, seed=7)
    open_and_wait(qtbot, window, other)
    assert "is a guess" not in window.warnings.text()


def test_the_guessed_hand_is_named_the_other_side_from_its_warning_in_one_undoable_step(qtbot, make_window, study,
                                                                                       monkeypatch, tmp_path):
    """The warning offers the remedy: one click names the boxes as the other hand's (the thumb's IP1 where PIP5 was),
    the proposals stay proposals to accept, Ctrl+Z undoes it, and the next analysis takes the image as that hand."""
    from jsnviewer.pipeline.analyze import visit_warnings
    from test_detection_identity import UAB001_RH_BOXES, found

    from jsnviewer.radiograph import load_radiograph

    picture = tmp_path / "hand.png"  # a picture: it does not say which hand it shows
    save_radiograph(picture, Radiograph(load_radiograph(study[1]).pixels, bits_stored=12))
    window = make_window()
    window.show()
    open_and_wait(qtbot, window, None, picture)
    searched = []

    def joint_search(radiograph, app_settings, cache, progress=None):
        searched.append(radiograph.identity.laterality)
        joints = found(UAB001_RH_BOXES)
        return ([JointAnnotation(box=d.box, identity=d.identity, source="model") for d in joints],
                visit_warnings(radiograph, joints, "radiograph"))

    monkeypatch.setattr("jsnviewer.gui.analysis_actions.run_joint_search", joint_search)
    assert run_and_wait(qtbot, window, 30000) == "done"
    document = window.documents[FOLLOWUP]
    thumb = min(document.uids(), key=lambda uid: abs(document.joint(uid).box[0] - 253))  # the box at the thumb's IP
    assert document.joint(thumb).identity == "PIP5"
    # the picture states no hand: the Study panel says the one its joints were named as (the report and CSV too)
    assert window.study_panel.value("Follow-up", "Hand") == "left (from the joints; the file does not say)"
    button = window.warnings.button(f"result-side-{FOLLOWUP}")
    assert button is not None and button.text() == "Name as a right hand"
    qtbot.mouseClick(button, Qt.LeftButton)
    assert document.joint(thumb).identity == "IP1"
    assert all(j.source == "model" for j in document.joints())  # still to be accepted
    assert "is a guess" not in window.warnings.text()
    assert "named as a right hand's" in window.statusBar().currentMessage()
    assert document.saved_laterality == "R"  # the annotation records the hand the reader said
    assert window.analysed_radiograph(FOLLOWUP).identity.laterality == "R"
    assert window.analysed_radiograph(FOLLOWUP).identity.laterality_by_reader  # reported as the reader's naming
    assert window.panes[FOLLOWUP].radiograph.identity.laterality is None  # the file's own facts untouched
    assert window.study_panel.value("Follow-up", "Hand") == "right (named by the reader; the file does not say)"

    assert run_and_wait(qtbot, window, 30000) == "done"  # a new joint search: the image is a right hand now
    assert searched == [None, "R"] and "is a guess" not in window.warnings.text()

    # the new search's proposals are no undo step: Ctrl+Z undoes the naming, the hand the reader said
    thumb = min(document.uids(), key=lambda uid: abs(document.joint(uid).box[0] - 253))
    given = [j.identity for j in document.joints()]
    assert document.joint(thumb).identity == "PIP5"  # as the stand-in search names it, whatever the hand
    window.actions_by_name["undo"].trigger()
    assert document.hand_chosen is None
    assert window.study_panel.value("Follow-up", "Hand") == "left (from the joints; the file does not say)"
    assert [j.identity for j in document.joints()] == given  # the search's proposals stay as it gave them
    window.actions_by_name["other_hand"].trigger()  # the Edit menu names the joints as the other hand's too
    assert document.joint(thumb).identity == "IP1" and document.hand_chosen == "R"
    window.actions_by_name["other_hand"].trigger()  # and back: it names them as the other hand again
    assert document.joint(thumb).identity == "PIP5" and document.hand_chosen == "L"


def test_a_joint_search_on_a_picture_without_a_hand_says_so(qtbot, make_window, tmp_path):
    """A picture refused as no radiograph is said as a refusal: "Analysis failed: …" read as a fault of the
    program."""
    blank = tmp_path / "blank.png"
    save_radiograph(blank, Radiograph(np.full((300, 200), 800.0, dtype=np.float32), bits_stored=12))
    window = make_window()
    open_and_wait(qtbot, window, blank)
    assert run_and_wait(qtbot, window, 60000) == "error"
    errors = [t for level, t in window.warnings.messages() if level == "error"]
    assert len(errors) == 1 and errors[0].startswith("Not analysed: blank.png: no hand to analyse")
    assert window.documents[BASELINE].joints() == []


def test_a_picture_in_which_no_joint_is_found_is_said_not_analysed(qtbot, make_window, tmp_path):
    """A smooth grey ramp passes the picture checks, and the joint search finds nothing in it: the program did not
    fail, so it is not "Analysis failed: …"."""
    ramp = tmp_path / "ramp.png"
    pixels = np.add.outer(np.arange(600), np.arange(400)).astype(np.float32) * 4
    save_radiograph(ramp, Radiograph(pixels, bits_stored=12))
    window = make_window()
    open_and_wait(qtbot, window, ramp)
    assert run_and_wait(qtbot, window, 120000) == "error"
    errors = [t for level, t in window.warnings.messages() if level == "error"]
    assert errors == ["Not analysed: ramp.png: no finger joints were found; is this a posteroanterior hand radiograph?"]


def test_a_joint_search_of_a_picture_that_may_not_be_a_hand_proposes_its_boxes_without_findings(monkeypatch):
    """The joint search of a page of text proposed its "joints" with "subluxation", to be accepted as findings."""
    from types import SimpleNamespace

    from test_detection_identity import TEXT_PAGE_BOXES, UAB001_RH_BOXES, found

    from jsnviewer.gui.analysis import run_joint_search

    page = SimpleNamespace(identity=SimpleNamespace(laterality=None))
    cache = SimpleNamespace(models=lambda settings, progress=None: None)
    for boxes, said_so in ((TEXT_PAGE_BOXES, False), (UAB001_RH_BOXES, True)):
        monkeypatch.setattr("jsnviewer.pipeline.analyze.find_joints", lambda *args, boxes=boxes: [
            dataclasses.replace(d, findings={"subluxation": True}) for d in found(boxes)])
        proposed, said = run_joint_search(page, AppSettings(), cache)
        assert proposed and all(j.findings.get("subluxation") is said_so for j in proposed)
    assert said and not said[0].startswith("The radiograph may not be")  # the hand is a hand
    monkeypatch.setattr("jsnviewer.pipeline.analyze.find_joints", lambda *args: found(TEXT_PAGE_BOXES))
    assert run_joint_search(page, AppSettings(), cache)[1][0].startswith("The radiograph may not be a hand radiograph")


def test_settings_reach_the_pipeline_and_models_reload_only_when_they_change(monkeypatch, tmp_path):
    loads = []
    monkeypatch.setattr("jsnviewer.pipeline.analyze.AnalysisModels.load",
                        classmethod(lambda cls, settings: loads.append(settings) or object()))
    files = {}
    for name in ("detector_ankylosis", "detector_subluxation", "joint_findings", "segmenter", "registration"):
        files[name] = tmp_path / f"{name}.pt"
        files[name].write_bytes(b"x")
    settings = AppSettings(device="cpu", registration_method="deep", thresholds=Thresholds(0.7, 0.2, 25, 15, 0.5),
                           weights={name: str(path) for name, path in files.items()})
    pipeline = analysis_settings(settings)
    t = pipeline.thresholds
    assert (pipeline.device, pipeline.registration_method, t.conf, t.iou1, t.m1, t.m2, t.iou2) == ("cpu", "deep", 0.7, 0.2, 25, 15, 0.5)
    assert pipeline.weights == {name: str(path) for name, path in files.items()}
    assert missing_weights(settings) == {}
    cache = ModelCache()
    first = cache.models(settings)
    assert cache.models(settings) is first and len(loads) == 1
    settings.device = "auto"
    cache.models(settings)
    assert len(loads) == 2
    files["segmenter"].write_bytes(b"retrained")  # a new weights file at the same path
    import os

    os.utime(files["segmenter"], ns=(time.time_ns() + 10**9, time.time_ns() + 10**9))
    cache.models(settings)
    assert len(loads) == 3
    files["segmenter"].unlink()
    assert missing_weights(settings) == {"segmenter": files["segmenter"]}


def test_a_model_that_fails_to_load_is_not_cached(monkeypatch):
    def fail(cls, settings):
        raise WeightsError("/m/segmenter.pt", "file is empty")

    monkeypatch.setattr("jsnviewer.pipeline.analyze.AnalysisModels.load", classmethod(fail))
    cache = ModelCache()
    with pytest.raises(WeightsError):
        cache.models(AppSettings())
    assert not cache.loaded



def test_an_analysis_waiting_for_the_warm_up_shows_it_and_can_be_cancelled(monkeypatch):
    import threading

    from jsnviewer.gui.worker import Cancelled

    release = threading.Event()

    def slow_load(cls, settings):
        release.wait(10)
        return "models"

    monkeypatch.setattr("jsnviewer.pipeline.analyze.AnalysisModels.load", classmethod(slow_load))
    monkeypatch.setattr("jsnviewer.gui.analysis.weights_files", lambda settings: {})
    cache = ModelCache()
    warm_up = threading.Thread(target=cache.models, args=(AppSettings(),))
    warm_up.start()  # the window's warm-up, still loading
    time.sleep(0.05)
    stages = []

    def progress(fraction, stage):
        stages.append(stage)
        if len(stages) == 3:
            raise Cancelled()  # the user pressed Esc

    started = time.perf_counter()
    with pytest.raises(Cancelled):
        cache.models(AppSettings(), progress)
    assert time.perf_counter() - started < 2 and set(stages) == {"Loading models"}
    release.set()
    warm_up.join()
    assert cache.models(AppSettings()) == "models"


# ---- the real analysis, with the shipped weights ------------------------------------------------

def shipped_weights_or_skip() -> None:
    missing = missing_weights(AppSettings())
    if missing:
        pytest.skip(f"shipped weights not in this checkout: {', '.join(p.name for p in missing.values())}")


@pytest.fixture(scope="module")
def phantom_study(tmp_path_factory):
    from jsnviewer.gui.demo import DEMO_SEED, prepare_demo

    folder = tmp_path_factory.mktemp("phantom")
    prepare_demo(folder, DEMO_SEED)
    return folder / "baseline.dcm", folder / "followup.dcm"


@pytest.mark.slow
def test_real_analysis_cancels_then_runs_in_the_background_with_results_on_screen(qtbot, make_window, phantom_study):
    shipped_weights_or_skip()
    window = make_window()
    window.show()
    open_and_wait(qtbot, window, *phantom_study, timeout=60000)
    stages = []

    def start_then_cancel() -> None:
        worker = window.start_analysis()
        worker.signals.progress.connect(lambda fraction, stage: stages.append(stage))
        qtbot.waitUntil(lambda: any(s.startswith("Finding joints") for s in stages), timeout=120000)
        window.cancel_task()

    assert run_and_wait(qtbot, window, 120000, start_then_cancel) == "cancelled"
    assert window.result is None and "Done" not in stages

    gaps, last = [], [time.perf_counter()]

    def tick() -> None:
        now = time.perf_counter()
        gaps.append(now - last[0])
        last[0] = now

    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(tick)
    timer.start()
    assert run_and_wait(qtbot, window, 600000) == "done"  # the models stay loaded from the first run
    timer.stop()
    result = window.result
    wait_drawn(qtbot, window)
    assert len(gaps) >= 50, f"the GUI processed only {len(gaps)} timer events during the analysis"
    print(f"analysis {result.timings_s['total']:.1f} s, {len(gaps)} ticks, worst event-loop gap {max(gaps) * 1000:.0f} ms")
    assert result.joints, "the shipped models measured no joint on the phantom hand"
    assert window.results_panel.table.rowCount() == len(result.joints)
    assert set(window.overlays[FOLLOWUP].items) == {j.identity for j in result.joints}
    proposals = [j for j in window.documents[FOLLOWUP].joints() if j.source == "model"]
    assert {j.identity for j in proposals} >= {j.identity for j in result.joints}
    joint = result.joints[0]
    window.results_panel.select_identity(joint.identity)
    assert window.detail_panel.joint is joint
    assert view_centre(window, FOLLOWUP) == pytest.approx(joint.followup.box[:2], abs=1.0)


def test_opening_another_image_takes_the_old_results_status_line_with_it(qtbot, analysed, tmp_path):
    window, _ = analysed
    assert window.statusBar().currentMessage().startswith("Analysis done")
    other = write_radiograph(tmp_path / "other.dcm", seed=9)
    with qtbot.waitSignal(window.study_loaded, timeout=10000):
        window.open_paths([other], FOLLOWUP)
    assert window.result is None
    assert not window.statusBar().currentMessage().startswith("Analysis done")  # it spoke of the result gone


def replaced_while_running(qtbot, window, role: str, tmp_path) -> list[str]:
    """Analyse, open another radiograph into `role` while it runs, and Analyse again at once (it waits for the first to
    stop, then runs on the images shown); how the two ended."""
    outcomes: list[str] = []
    window.analysis_finished.connect(outcomes.append)
    window.start_analysis()
    other = write_radiograph(tmp_path / "other.dcm", seed=9)
    with qtbot.waitSignal(window.study_loaded, timeout=10000):
        window.open_paths([other], role)
    window.start_analysis()
    qtbot.waitUntil(lambda: len(outcomes) == 2, timeout=30000)
    return outcomes


def test_an_analysis_of_images_no_longer_shown_stops_and_the_new_pair_can_be_analysed_at_once(
        qtbot, make_window, study, tmp_path, monkeypatch):
    from jsnviewer.radiograph import load_radiograph

    window = make_window()
    window.show()
    open_and_wait(qtbot, window, *study)
    result = measured_result(load_radiograph(study[0]), load_radiograph(study[1]))
    runs = iter([slow_stand_in(result, steps=4000), slow_stand_in(result, steps=2)])  # the first would take a minute

    def run(baseline, followup, app_settings, cache, progress=None, corrections=None):
        return next(runs)(baseline, followup, app_settings, cache, progress)

    monkeypatch.setattr("jsnviewer.gui.analysis_actions.run_analysis", run)
    outcomes = replaced_while_running(qtbot, window, FOLLOWUP, tmp_path)
    assert outcomes[0] == "cancelled"
    assert outcomes[1] == "done" and window.result is result  # the queued analysis ran on the images shown


def test_a_joint_search_of_an_image_replaced_stops_and_the_new_image_can_be_searched_at_once(
        qtbot, make_window, study, tmp_path, monkeypatch):
    """Next image during a one-image joint search: the search ran to its end, only to be dropped, and the search of
    the image shown waited behind it."""
    window = make_window()
    window.show()
    open_and_wait(qtbot, window, study[0])
    searches = iter([4000, 2])  # the first would take a minute

    def search(radiograph, app_settings, cache, progress=None):
        slow_stand_in(None, steps=next(searches))(radiograph, None, app_settings, cache, progress)
        return [], []

    monkeypatch.setattr("jsnviewer.gui.analysis_actions.run_joint_search", search)
    assert replaced_while_running(qtbot, window, BASELINE, tmp_path) == ["cancelled", "done"]


def test_hovering_a_jsn_tag_frames_its_joint_and_a_click_shows_that_joint_without_moving_the_view(qtbot, analysed):
    """Where boxes overlap, which tag is whose is not plain from the picture: the mouse tells."""
    window, result = analysed
    window.joints_dock.raise_()  # an annotator's tab in front: the click brings the results forward
    pane, overlay = window.panes[FOLLOWUP], window.overlays[FOLLOWUP]
    joint = result.joint("PIP3")
    tag = overlay.items["PIP3"]
    assert tag.isVisible() and tag.toolTip().startswith(f"PIP3: JSN {joint.jsn_text()}\n")
    view_before = pane.view_box.viewRect()
    viewport = pane.graphics.viewport()
    at = pane.graphics.mapFromScene(tag.sceneBoundingRect().center())

    qtbot.mouseMove(viewport, at)
    qtbot.waitUntil(overlay.hover.isVisible, timeout=2000)
    cx, cy, w, h = joint.followup.box
    frame = overlay.hover.rect()
    assert (frame.x(), frame.y(), frame.width(), frame.height()) == pytest.approx((cx - w / 2, cy - h / 2, w, h))

    qtbot.mouseClick(viewport, Qt.LeftButton, pos=at)
    qtbot.waitUntil(lambda: window.detail_panel.joint is joint, timeout=2000)
    assert window.results_panel.current_identity() == "PIP3" and window.results_dock.isVisible()
    assert overlay.focus.isVisible() and window.overlays[BASELINE].focus.isVisible()
    assert pane.view_box.viewRect() == view_before  # the view stays where the user was looking
    assert window.layers[FOLLOWUP].selected is None  # the box under the tag is not picked up

    qtbot.mouseMove(viewport, pane.graphics.mapFromScene(pane.view_box.mapViewToScene(pg.Point(cx + 3 * w, cy + 3 * h))))
    qtbot.waitUntil(lambda: not overlay.hover.isVisible(), timeout=2000)


def test_fitted_radiographs_stay_whole_and_large_as_the_views_change_size_until_the_user_zooms(qtbot, make_window, study):
    """The joint detail appearing after an analysis shrank the views; an aspect-locked view then kept its widened
    range, and the demo's hand filled a third of its view. Fitted views fit again until the user takes over."""
    window = make_window()
    window.resize(1400, 900)
    window.show()
    open_and_wait(qtbot, window, *study)
    window.pane_splitter.setSizes([600, 500])  # views of two shapes, as a dragged splitter leaves them
    window.fit()
    view_box = window.panes[BASELINE].view_box
    image = window.panes[BASELINE].image_rect()

    def whole_and_large() -> bool:
        view = view_box.viewRect()
        inside = view.adjusted(-1, -1, 1, 1).contains(image)
        return inside and min(view.width() / image.width(), view.height() / image.height()) <= 1.05

    assert whole_and_large()
    result = measured_result(window.panes[BASELINE].radiograph, window.panes[FOLLOWUP].radiograph)
    height = view_box.height()
    assert window.show_results(result, (window.image_ids[BASELINE], window.image_ids[FOLLOWUP]))
    qtbot.waitUntil(lambda: view_box.height() < 0.9 * height, timeout=3000)  # the joint detail took room
    qtbot.waitUntil(whole_and_large, timeout=3000)
    for size in ((900, 900), (1400, 600), (1400, 900)):  # narrower, then lower, then as it was
        window.resize(*size)
        qtbot.waitUntil(whole_and_large, timeout=3000)

    window.zoom(1 / 2)  # the user zooms in: a resize keeps what they chose, it does not fit again
    zoomed = view_box.targetRect()
    window.resize(1000, 700)
    qtbot.wait(100)
    kept = view_box.targetRect()  # (widened a little, as aspect-locked linked views do when their shapes change)
    assert (kept.center().x(), kept.center().y()) == pytest.approx((zoomed.center().x(), zoomed.center().y()))
    assert kept.contains(zoomed) and min(kept.width() / zoomed.width(), kept.height() / zoomed.height()) < 1.3
    assert not whole_and_large()  # still zoomed in, not fitted again
    window.fit()
    assert whole_and_large()


def test_a_pair_opened_again_shows_its_results_at_once_saying_when_and_whether_the_boxes_changed(qtbot, analysed,
                                                                                                  study, tmp_path):
    """Going to the next follow-up and back, or reopening a recent study, brings the session's analysis back
    (kept in memory only) instead of asking for another one; with other analysis settings it does not."""
    window, result = analysed
    other = tmp_path / "other"
    other.mkdir()
    other_pair = (write_radiograph(other / "b.dcm", seed=3, study_date=None), write_radiograph(other / "f.dcm", seed=4))
    open_and_wait(qtbot, window, *other_pair)
    assert window.result is None and window.results_panel.row_identities() == []

    open_and_wait(qtbot, window, *study)
    assert window.result is result and window.results_panel.row_identities() == ["DIP4", "PIP3", "MCP2"]
    assert "shown again" in window.statusBar().currentMessage()
    assert window.actions_by_name["export_csv"].isEnabled()
    # read again from its file, the follow-up gets the analysis' proposals back, as the analysis gave them
    assert sorted((j.identity, j.source) for j in window.documents[FOLLOWUP].joints()) == \
        [("DIP4", "model"), ("MCP2", "model"), ("MCP5", "model"), ("PIP3", "model")]
    assert "The boxes changed since the analysis" not in window.warnings.text()

    # a box deleted since (the edit is kept for the session): the results come back, saying they measured the old boxes
    follow = window.documents[FOLLOWUP]
    follow.remove(next(uid for uid in follow.uids() if follow.joint(uid).identity == "PIP3"))
    open_and_wait(qtbot, window, *other_pair)
    open_and_wait(qtbot, window, *study)
    assert window.result is result and "The boxes changed since the analysis" in window.warnings.text()
    assert "PIP3" not in [j.identity for j in window.documents[FOLLOWUP].joints()]  # deleted, it stays deleted

    window.settings = dataclasses.replace(window.settings, registration_method="deep")  # measured otherwise now
    open_and_wait(qtbot, window, *other_pair)
    open_and_wait(qtbot, window, *study)
    assert window.result is None and "shown again" not in window.statusBar().currentMessage()
    # said, where before "No analysis yet" left the user wondering where the results went
    assert window.statusBar().currentMessage().startswith("This pair was analysed earlier in this session with other "
                                                          "settings: Ctrl+R analyses it")


def test_on_a_laptop_screen_the_joint_detail_opens_when_a_joint_is_chosen_not_with_the_result(qtbot, make_window,
                                                                                              study):
    """At 1024 × 768 the empty detail ('Select a joint') took 225 of the window's 749 px as soon as a result came."""
    window = make_window()
    window.resize(1024, 740)
    window.show()
    open_and_wait(qtbot, window, *study)
    result = measured_result(window.panes[BASELINE].radiograph, window.panes[FOLLOWUP].radiograph)
    assert window.show_results(result, (window.image_ids[BASELINE], window.image_ids[FOLLOWUP]))
    assert not window.detail_dock.isVisible() and window.results_dock.isVisible()
    window.results_panel.select_identity("PIP3")
    qtbot.waitUntil(window.detail_dock.isVisible, timeout=2000)
    assert window.detail_panel.joint is result.joint("PIP3")


def test_the_warning_of_a_left_and_a_right_hand_names_a_menu_item_the_window_has(make_window):
    """The warning that the visits' joints lie as on a left and a right hand names the remedy for joints named as
    the other hand's: the Edit menu's item, by the name the menu gives it."""
    from jsnviewer.pipeline.analyze import SIDES_DIFFER_CAUSES

    window = make_window()
    edit = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Edit")
    item = next(a for a in edit.actions() if a.text().replace("&", "") == "Name joints as the other hand")
    assert f"Edit ▸ {item.text().replace('&', '')}" in SIDES_DIFFER_CAUSES


def test_analysing_again_shows_the_new_results_warnings_not_the_last_ones(qtbot, make_window, study, monkeypatch):
    """After Name joints as the other hand and Analyse, the warnings bar still said "the joints lie as on a left hand
    on the baseline": the new result no longer said so, but the last one's warnings stayed."""
    sides = ("The joints lie as on a left hand on the baseline and a right hand on the follow-up: another hand, one "
             "image mirrored, or the joints of one visit named as the other hand's? Check the joint names (Edit ▸ Name "
             "joints as the other hand renames a visit's). JSN compares the joints of the same name.")
    said = [[sides, "Which hand the baseline shows is a guess: …"], []]

    def stand_in(baseline, followup, settings, cache, progress=None, corrections=None):
        return dataclasses.replace(measured_result(baseline, followup), warnings=said.pop(0))

    monkeypatch.setattr("jsnviewer.gui.analysis_actions.run_analysis", stand_in)
    window = make_window()
    open_and_wait(qtbot, window, *study)
    assert run_and_wait(qtbot, window, 60000) == "done"
    assert sides in window.warnings.text() and "is a guess" in window.warnings.text()
    assert run_and_wait(qtbot, window, 60000) == "done"
    assert sides not in window.warnings.text() and "is a guess" not in window.warnings.text()


def test_a_results_folder_typed_as_a_new_name_is_made_and_the_export_dialogs_start_where_the_user_can_write(
        qtbot, analysed, tmp_path, monkeypatch):
    """Save results folder… started in the radiograph's folder (read-only shared data) and said "Directory not
    found" to a new folder's name typed in; every export dialog started there again after an export elsewhere."""
    import os

    from PySide6.QtWidgets import QFileDialog, QLineEdit

    from jsnviewer.gui.analysis_actions import documents_folder

    window, result = analysed
    shared = window.documents[BASELINE].path.parent
    access = os.access
    monkeypatch.setattr(os, "access", lambda path, mode, **kw: Path(path) != shared and access(path, mode, **kw))
    place = tmp_path / "exports"
    place.mkdir()
    starts = []

    def type_a_new_name(dialog) -> int:
        starts.append(dialog.directory().absolutePath())
        dialog.setDirectory(str(place))
        dialog.findChild(QLineEdit, "fileNameEdit").setText("patient 7 results")
        dialog.accept()
        return dialog.result()

    monkeypatch.setattr(FolderDialog, "exec", type_a_new_name)
    window.save_results_dialog()
    qtbot.waitUntil(lambda: not window.workers, timeout=30000)
    folder = place / "patient 7 results"
    assert (folder / "results.json").is_file() and (folder / "overview.png").is_file()
    assert starts == [str(documents_folder())] and Path(starts[0]) != shared  # not the read-only folder
    save_starts = []
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        lambda parent, title, start, kinds: (save_starts.append(Path(start).parent), ("", ""))[1])
    window.export_csv_dialog()
    window.export_report_dialog()
    assert save_starts == [folder, folder]  # where the user last exported to
    window.save_results_dialog()
    assert starts[-1] == str(folder)


def test_the_folder_dialog_makes_a_typed_new_folder_and_says_why_it_cannot(qtbot, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QLineEdit, QMessageBox

    dialog = FolderDialog(None, "Save the results into a folder", str(tmp_path))
    qtbot.addWidget(dialog)
    dialog.findChild(QLineEdit, "fileNameEdit").setText("new")
    dialog.accept()
    assert (tmp_path / "new").is_dir() and dialog.result() == FolderDialog.Accepted
    assert Path(dialog.selectedFiles()[0]) == tmp_path / "new"
    said = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text: said.append(text))
    monkeypatch.setattr(Path, "mkdir", lambda self, *a, **k: (_ for _ in ()).throw(PermissionError(13, "Permission denied")))
    refused = FolderDialog(None, "Save the results into a folder", str(tmp_path))
    qtbot.addWidget(refused)
    refused.findChild(QLineEdit, "fileNameEdit").setText("other")
    refused.accept()
    assert refused.result() != FolderDialog.Accepted and "Permission denied" in said[0]


def test_two_crops_without_difference_show_a_dark_mismatch_not_rounding_noise_at_full_colour(qtbot, analysed):
    """Baseline and follow-up the same image: "Mismatch before" was black and "Mismatch after", a millionth of the grey
    range from resampling, glowed orange on a colour scale that read 0.00."""
    window, result = analysed
    joint = result.joint("DIP4")
    noise = np.random.default_rng(0).uniform(0.0, 1e-6, joint.registration.spectrum_original.shape).astype(np.float32)
    same = dataclasses.replace(joint, registration=dataclasses.replace(
        joint.registration, spectrum_original=np.zeros_like(noise), spectrum_transformed=noise))
    detail = window.detail_panel
    detail.show_joint(same)
    assert np.max(detail._pictures["spectrum_transformed"]) <= np.max(detail._pictures["spectrum_original"]) + 8
    assert float(detail.bar_top.text()) > 0.0  # the scale says how small a difference would show bright
    detail.show_joint(joint)  # a real mismatch keeps its own scale
    assert float(detail.bar_top.text()) == pytest.approx(float(np.max(joint.registration.spectrum_original)), abs=0.006)


def test_the_detail_says_what_a_crop_px_is_with_or_without_the_pixel_size(qtbot, analysed):
    """Real JPEGs (no pixel size) read "a crop px = pixel size unknown, 0.429 radiograph px": as if a crop
    px were the unknown pixel size. A crop px is so many radiograph px; the mm only where the file says them."""
    window, result = analysed
    detail = window.detail_panel
    joint = result.joint("MCP2")
    scale = joint.crops.baseline_frame.scale
    detail.show_joint(joint)
    assert f"a crop px = {joint.crops.mm_per_px:.4f} mm, {scale:.3f} radiograph px" in detail.numbers.text()
    no_size = dataclasses.replace(joint, crops=dataclasses.replace(joint.crops, mm_per_px=None))
    detail.show_joint(no_size)
    assert f"a crop px = {scale:.3f} radiograph px (pixel size unknown)" in detail.numbers.text()
