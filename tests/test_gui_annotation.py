"""Editing joint boxes: add, move, resize, delete, identity and findings, with undo and redo for each."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QApplication, QLabel

from jsnviewer.dataset import JointAnnotation
from jsnviewer.gui.annotation import UNDO_LIMIT, AnnotationDocument
from jsnviewer.gui.box_layer import FINDING_COLOURS, UNNAMED_COLOUR, view_rect
from jsnviewer.gui.image_view import Tool
from jsnviewer.gui.main_window import BASELINE, FOLLOWUP
from jsnviewer.joints import anatomical_rank
from jsnviewer.pipeline.placement import overlap
from gui_support import drag, make_window, mouse_drag, settings_store, shown_study, study  # noqa: F401


@pytest.fixture
def window(shown_study):
    return shown_study


def boxes(window, role=BASELINE):
    return [j.box for j in window.documents[role].joints()]


def item_rect(window, uid, role=BASELINE):
    item = window.layers[role].items[uid]
    return (item.pos().x(), item.pos().y(), item.size().x(), item.size().y())


def test_box_tool_drag_adds_a_float_box_and_undo_redo_removes_and_restores_it(qtbot, window):
    window.set_tool(Tool.BOX)
    view = window.panes[BASELINE].view_box
    drag(view, QPointF(40.25, 50.5), QPointF(70.75, 90.125))
    assert boxes(window) == [pytest.approx((55.5, 70.3125, 30.5, 39.625))]
    uid = window.documents[BASELINE].uids()[0]
    assert item_rect(window, uid) == pytest.approx((40.25, 50.5, 30.5, 39.625))
    assert window.joints_panel.table.rowCount() == 1
    window.actions_by_name["undo"].trigger()
    assert boxes(window) == [] and window.layers[BASELINE].items == {}
    window.actions_by_name["redo"].trigger()
    assert boxes(window) == [pytest.approx((55.5, 70.3125, 30.5, 39.625))]
    assert len(window.layers[BASELINE].items) == 1
    drag(view, QPointF(10, 10), QPointF(10.5, 30))  # too thin to be a joint box: ignored
    assert len(boxes(window)) == 1


def test_moving_and_resizing_a_box_with_the_mouse_is_one_undoable_step_each(qtbot, window):
    uid = window.add_box(BASELINE, (50.0, 60.0, 20.0, 30.0))
    item = window.layers[BASELINE].items[uid]
    item.setPos(QPointF(45.5, 52.25))  # what a drag of the box body does, then the drag ends
    item.sigRegionChangeFinished.emit(item)
    assert boxes(window) == [(55.5, 67.25, 20.0, 30.0)]
    item.setSize(QPointF(24.0, 33.5))  # a corner handle drag
    item.sigRegionChangeFinished.emit(item)
    assert boxes(window) == [(57.5, 69.0, 24.0, 33.5)]
    stack = window.documents[BASELINE].undo_stack
    assert [stack.text(i) for i in range(stack.count())] == ["Add box", "Move box", "Resize box"]
    stack.undo()
    assert boxes(window) == [(55.5, 67.25, 20.0, 30.0)]
    assert item_rect(window, uid) == (45.5, 52.25, 20.0, 30.0)
    stack.undo()
    assert boxes(window) == [(50.0, 60.0, 20.0, 30.0)]
    assert item_rect(window, uid) == (40.0, 45.0, 20.0, 30.0)
    stack.redo()
    stack.redo()
    assert boxes(window) == [(57.5, 69.0, 24.0, 33.5)]


def test_real_mouse_drags_draw_move_and_resize_boxes_and_set_window_level(qtbot, window):
    qtbot.waitExposed(window)
    pane = window.panes[BASELINE]
    window.set_tool(Tool.BOX)
    mouse_drag(qtbot, pane, QPointF(40, 50), QPointF(80, 100))
    document = window.documents[BASELINE]
    (box,) = boxes(window)
    assert box == pytest.approx((60.0, 75.0, 40.0, 50.0), abs=1.0)  # within a screen pixel of the drag
    window.set_tool(Tool.PAN)  # dragging a box body moves it with the pan and W/L tools
    mouse_drag(qtbot, pane, QPointF(60, 75), QPointF(70, 85))
    (moved,) = boxes(window)
    assert moved[2:] == box[2:]  # a move keeps the size bit for bit
    assert 5 < moved[0] - box[0] <= 10.5 and 5 < moved[1] - box[1] <= 10.5  # pyqtgraph starts the drag after a few px
    corner = QPointF(moved[0] + moved[2] / 2, moved[1] + moved[3] / 2)  # the selected box's bottom-right handle
    mouse_drag(qtbot, pane, corner, corner + QPointF(12, 6))
    (resized,) = boxes(window)
    assert 6 < resized[2] - moved[2] <= 12.5 and 3 < resized[3] - moved[3] <= 6.5
    stack = document.undo_stack
    assert [stack.text(i) for i in range(stack.count())] == ["Add box", "Move box", "Resize box"]
    width = pane.window_width
    mouse_drag(qtbot, pane, QPointF(100, 150), QPointF(140, 150), Qt.RightButton)  # W/L, not a box edit
    assert pane.window_width > width and stack.count() == 3
    window.set_tool(Tool.BOX)  # over a wrong box, the box tool draws the right one instead of moving it
    mouse_drag(qtbot, pane, QPointF(resized[0] - 8, resized[1] - 8), QPointF(resized[0] + 20, resized[1] + 30))
    assert boxes(window)[0] == resized and len(boxes(window)) == 2
    assert boxes(window)[1] == pytest.approx((resized[0] + 6, resized[1] + 11, 28.0, 38.0), abs=1.0)


def test_a_click_without_moving_changes_nothing(qtbot, window):
    uid = window.add_box(BASELINE, (50.1, 60.3, 20.7, 30.9))
    item = window.layers[BASELINE].items[uid]
    item.sigRegionChangeFinished.emit(item)
    assert boxes(window) == [(50.1, 60.3, 20.7, 30.9)]  # bit for bit, no re-derivation from the item
    assert window.documents[BASELINE].undo_stack.count() == 1


def test_delete_with_the_key_then_undo_brings_the_same_box_back(qtbot, window):
    first = window.add_box(BASELINE, (50.0, 60.0, 20.0, 30.0), identity="MCP2")
    window.add_box(BASELINE, (90.0, 60.0, 20.0, 30.0), identity="MCP3")
    window.layers[BASELINE].select(first)
    qtbot.keyClick(window, Qt.Key_Delete)
    assert [j.identity for j in window.documents[BASELINE].joints()] == ["MCP3"]
    qtbot.keyClick(window, Qt.Key_Z, Qt.ControlModifier)
    assert [j.identity for j in window.documents[BASELINE].joints()] == ["MCP2", "MCP3"]
    qtbot.keyClick(window, Qt.Key_Z, Qt.ControlModifier | Qt.ShiftModifier)
    assert [j.identity for j in window.documents[BASELINE].joints()] == ["MCP3"]
    qtbot.keyClick(window, Qt.Key_Z, Qt.ControlModifier)
    qtbot.keyClick(window, Qt.Key_K)  # the box that came back is selected: the next key acts on it
    assert [j.findings["ankylosis"] for j in window.documents[BASELINE].joints()] == [True, False]


def test_a_box_with_no_joint_name_is_grey_as_in_the_report_its_name_too_until_it_is_named(qtbot, window):
    """A box that fits no finger joint (often the wrist) is grey in the results' words, overview.png and the report:
    the window drew it in the blue of "no finding"."""
    from jsnviewer.pipeline.overview import UNPAIRED_COLOUR

    grey, blue = QColor(*UNPAIRED_COLOUR), QColor(FINDING_COLOURS[()])
    document, layer = window.documents[BASELINE], window.layers[BASELINE]
    document.set_proposals([JointAnnotation(box=(60.0, 200.0, 30.0, 20.0), source="model"),
                            JointAnnotation(box=(60.0, 60.0, 20.0, 20.0), identity="MCP2", source="model")])
    qtbot.waitUntil(lambda: layer.settled, timeout=3000)
    layer.select(None)
    wrist, mcp2 = (next(i for i in layer.items.values() if i.joint.identity == name) for name in (None, "MCP2"))
    assert wrist.pen.color() == grey and wrist.pen.style() == Qt.DashLine  # still a proposal, dashed
    assert wrist.label.toPlainText() == "?" and wrist.label.color == grey
    assert _text_contrast_over_bone(wrist.label) >= 4.5
    assert mcp2.pen.color() == blue and mcp2.label.color == blue
    table = window.joints_panel.table
    assert next(table.item(r, 0) for r in range(table.rowCount()) if table.item(r, 0).text() == "?").foreground().color() == grey
    legend = [label for label in window.joints_panel.findChildren(QLabel) if label.text() == "■ no joint name"]
    assert len(legend) == 1 and grey.name() in legend[0].styleSheet()
    # the legend gives the boxes' own words for their findings, as overview.png's and the report's do
    keys = {label.text() for label in window.joints_panel.findChildren(QLabel) if label.text().startswith("■")}
    assert {"■ ank = ankylosis", "■ sub = subluxation", "■ ank sub = both", "■ no finding"} <= keys

    document.set_identity(wrist.uid, "MCP3")  # named: the colour of its findings
    assert wrist.pen.color() == blue and wrist.label.color == blue


def test_identity_and_findings_set_the_box_colour_and_label_and_undo(qtbot, window):
    uid = window.add_box(BASELINE, (50.0, 60.0, 20.0, 30.0))
    item = window.layers[BASELINE].items[uid]
    assert item.pen.color() == QColor(UNNAMED_COLOUR)
    panel = window.joints_panel
    panel.identity.setCurrentText("PIP3")
    panel.identity.activated.emit(panel.identity.currentIndex())
    qtbot.keyClick(window, Qt.Key_K)  # ankylosis
    assert window.documents[BASELINE].joint(uid).identity == "PIP3"
    assert window.documents[BASELINE].joint(uid).findings == {"ankylosis": True, "subluxation": False}
    assert item.pen.color() == QColor(FINDING_COLOURS[("ankylosis",)])
    assert item.label.toPlainText() == "PIP3 ank"
    panel.findings["subluxation"].click()
    assert item.pen.color() == QColor(FINDING_COLOURS[("ankylosis", "subluxation")])
    assert panel.table.item(0, 0).text() == "PIP3" and panel.table.item(0, 1).text() == "ank sub"
    for _ in range(3):
        window.actions_by_name["undo"].trigger()
    joint = window.documents[BASELINE].joint(uid)
    assert joint.identity is None and not any(joint.findings.values())
    assert item.label.toPlainText() == "?"


def test_arrow_keys_nudge_the_selected_box_and_a_run_of_nudges_is_one_undo_step(qtbot, window):
    uid = window.add_box(BASELINE, (50.0, 60.0, 20.0, 30.0))
    window.layers[BASELINE].select(uid)
    for key in (Qt.Key_Right, Qt.Key_Right, Qt.Key_Down):
        qtbot.keyClick(window, key)
    qtbot.keyClick(window, Qt.Key_Left, Qt.ShiftModifier)
    assert boxes(window) == [(42.0, 61.0, 20.0, 30.0)]
    window.actions_by_name["undo"].trigger()
    assert boxes(window) == [(50.0, 60.0, 20.0, 30.0)]



def test_arrow_keys_in_the_joints_table_or_identity_list_never_move_a_box(qtbot, window):
    first = window.add_box(BASELINE, (50.0, 60.0, 20.0, 30.0), identity="MCP2")
    second = window.add_box(BASELINE, (90.0, 60.0, 20.0, 30.0), identity="MCP3")
    window.layers[BASELINE].select(first)
    table = window.joints_panel.table
    table.setFocus()
    qtbot.keyClick(table, Qt.Key_Down)  # the annotator scrolls the list
    assert boxes(window) == [(50.0, 60.0, 20.0, 30.0), (90.0, 60.0, 20.0, 30.0)]
    assert table.currentRow() == 1
    identity = window.joints_panel.identity
    identity.setFocus()
    qtbot.keyClick(identity, Qt.Key_Left)
    assert boxes(window) == [(50.0, 60.0, 20.0, 30.0), (90.0, 60.0, 20.0, 30.0)]
    assert window.selected()[1] == second  # the list's row selects its box
    table.setFocus()
    qtbot.keyClick(table, Qt.Key_N)  # the window's letter shortcuts still work from the table
    assert window.selected()[1] == first
    window.panes[BASELINE].setFocus()
    qtbot.keyClick(window.panes[BASELINE], Qt.Key_Right)  # in the image, arrows nudge
    assert boxes(window) == [(51.0, 60.0, 20.0, 30.0), (90.0, 60.0, 20.0, 30.0)]


def test_set_identity_shows_the_joints_panel_behind_the_results(qtbot, window):
    uid = window.add_box(BASELINE, (50.0, 60.0, 20.0, 30.0))
    window.layers[BASELINE].select(uid)
    window.results_dock.raise_()
    assert window.joints_panel.identity.visibleRegion().isEmpty()
    window.actions_by_name["identity"].trigger()
    assert not window.joints_panel.identity.visibleRegion().isEmpty()
    window.joints_panel.identity.hidePopup()


def test_after_naming_a_box_with_i_the_arrows_nudge_it_again(qtbot, window):
    uid = window.add_box(BASELINE, (50.0, 60.0, 20.0, 30.0))
    window.activateWindow()
    window.panes[BASELINE].graphics.setFocus()
    qtbot.waitUntil(lambda: window.panes[BASELINE].graphics.hasFocus())
    qtbot.keyClick(window.panes[BASELINE].graphics, Qt.Key_I)
    names = window.joints_panel.identity.view()
    qtbot.waitUntil(names.isVisible)
    qtbot.keyClick(names, Qt.Key_Down)
    qtbot.keyClick(names, Qt.Key_Return)
    qtbot.waitUntil(lambda: not names.isVisible())
    named = window.documents[BASELINE].joint(uid).identity
    assert named is not None
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key_Down)  # a nudge, not the next joint name
    assert window.documents[BASELINE].joint(uid).identity == named
    assert boxes(window) == [(50.0, 61.0, 20.0, 30.0)]


def test_proposals_alone_do_not_mark_the_window_unsaved(qtbot, window):
    proposal = JointAnnotation(box=(50.0, 60.0, 20.0, 30.0), identity="MCP2", source="model")
    window.documents[BASELINE].set_proposals([proposal])
    assert not window.documents[BASELINE].is_dirty and not window.windowTitle().endswith("*")
    window.documents[BASELINE].accept_proposals(window.documents[BASELINE].uids())
    assert window.windowTitle().endswith("*")



def test_one_joint_name_on_two_boxes_is_pointed_out_until_one_is_renamed(qtbot, window):
    panel = window.joints_panel
    first = window.add_box(BASELINE, (50.0, 60.0, 20.0, 30.0), identity="MCP3")
    second = window.add_box(BASELINE, (90.0, 60.0, 20.0, 30.0), identity="MCP2")
    assert panel.repeated.isHidden()
    window.documents[BASELINE].set_identity(second, "MCP3")  # a slip in the identity list
    assert not panel.repeated.isHidden() and "MCP3 is on 2 boxes" in panel.repeated.text()
    assert all("2 boxes of this image are MCP3" in panel.table.item(row, 0).toolTip() for row in range(2))
    window.documents[BASELINE].set_identity(first, "MCP4")
    assert panel.repeated.isHidden() and not panel.table.item(0, 0).toolTip()


def repeated_warnings(window) -> list[str]:
    return [text for level, text in window.warnings.messages() if level == "warning" and "One joint has one box" in text]


def test_a_rename_that_puts_one_joint_name_on_two_boxes_is_said_at_once_in_the_warnings_bar_until_resolved(
        qtbot, window):
    """Renaming DIP2 to DIP3 on a hand that had a DIP3 showed two "DIP3" labels and nothing in the warnings bar (the
    Results tab was up, hiding the Joints panel's note); the duplicate went into the dataset."""
    document = window.documents[BASELINE]
    dip2 = window.add_box(BASELINE, (50.0, 60.0, 20.0, 30.0), identity="DIP2")
    window.add_box(BASELINE, (90.0, 60.0, 20.0, 30.0), identity="DIP3")
    assert not repeated_warnings(window)
    document.set_identity(dip2, "DIP3")  # not blocked
    assert [j.identity for j in document.joints()] == ["DIP3", "DIP3"]
    [text] = repeated_warnings(window)
    assert "DIP3 is on 2 boxes" in text and "rename or delete" in text and document.path.name in text
    document.undo_stack.undo()  # resolved: the message goes
    assert not repeated_warnings(window)
    document.undo_stack.redo()
    assert len(repeated_warnings(window)) == 1
    document.remove(dip2)
    assert not repeated_warnings(window)
    window.add_box(FOLLOWUP, (50.0, 60.0, 20.0, 30.0), identity="MCP2")
    window.add_box(FOLLOWUP, (90.0, 60.0, 20.0, 30.0), identity="MCP2")  # a new box given a name already there
    [text] = repeated_warnings(window)
    assert "MCP2 is on 2 boxes" in text and "follow-up" in text


def test_the_joints_table_speaks_an_annotators_words_and_sorts_its_numbers_by_value(qtbot):
    """No bare programmer's word ("cx", "Source", "user") in the table: its headers say what a column holds,
    in tooltips too (the abbreviated findings by name, the geometry's unit and origin)."""
    from jsnviewer.gui.joints_panel import JointsPanel

    panel = JointsPanel()
    qtbot.addWidget(panel)
    document = AnnotationDocument("x.dcm", 3000, 3000, joints=[
        JointAnnotation(box=(1234.5, 600.25, 120.0, 130.0), identity="MCP2", source="user",
                        findings={"ankylosis": True, "subluxation": True}),
        JointAnnotation(box=(250.0, 60.0, 20.0, 30.0), identity="PIP3", source="model"),
        JointAnnotation(box=(99.0, 2000.0, 200.0, 300.0), identity="PIP2", source="model")])
    panel.set_document(document, "x.dcm")
    table = panel.table
    headers = [table.horizontalHeaderItem(c) for c in range(table.columnCount())]
    assert [h.text() for h in headers] == ["Joint", "Findings", "Status", "Centre (px)", "Size (px)"]
    assert not {h.text().lower() for h in headers} & {"cx", "cy", "w", "h", "source"}
    assert all(h.toolTip() for h in headers)
    assert "ankylosis" in headers[1].toolTip() and "subluxation" in headers[1].toolTip()
    assert all("pixels of the radiograph" in h.toolTip() for h in headers[3:])
    assert "centre x, y" in headers[3].toolTip() and "width × height" in headers[4].toolTip()
    rows = {table.item(r, 0).text(): [table.item(r, c).text() for c in range(1, table.columnCount())]
            for r in range(table.rowCount())}
    assert rows["MCP2"] == ["ank sub", "reviewed", "1234.5, 600.2", "120 × 130"]  # as the box's label says them
    assert rows["PIP3"] == ["", "proposal", "250.0, 60.0", "20 × 30"]
    assert "Enter accepts" in next(table.item(r, 2).toolTip() for r in range(3) if table.item(r, 2).text() == "proposal")
    table.sortItems(3)  # by x (then y), as numbers: 99 before 250 before 1234.5
    assert [table.item(r, 0).text() for r in range(3)] == ["PIP2", "PIP3", "MCP2"]
    table.sortItems(4, Qt.DescendingOrder)  # by area
    assert [table.item(r, 0).text() for r in range(3)] == ["PIP2", "MCP2", "PIP3"]
    assert panel.row_uids() == [table.item(r, 0).data(Qt.UserRole + 1) for r in range(3)]


def test_accepting_model_proposals_makes_them_user_boxes_in_one_step(qtbot):
    document = AnnotationDocument("x.dcm", 100, 100, joints=[
        JointAnnotation(box=(10, 10, 5, 5), identity="MCP2", source="model"),
        JointAnnotation(box=(30, 10, 5, 5), identity="MCP3", source="model"),
        JointAnnotation(box=(50, 10, 5, 5), identity="MCP4", source="user")])
    assert document.accept_proposals(document.uids()) == 2
    assert [j.source for j in document.joints()] == ["user", "user", "user"]
    assert document.undo_stack.count() == 1
    document.undo_stack.undo()
    assert [j.source for j in document.joints()] == ["model", "model", "user"]


def test_the_last_500_steps_can_be_undone_and_undoing_them_all_keeps_the_earlier_edits(qtbot):
    document = AnnotationDocument("x.dcm", 1000, 1000, joints=[])
    for k in range(UNDO_LIMIT + 20):
        document.add(JointAnnotation(box=(10 + k, 10, 5, 5), identity="MCP2", source="user"))
    while document.undo_stack.canUndo():
        document.undo_stack.undo()
    assert len(document.joints()) == 20  # the 20 oldest adds are no longer steps, not lost
    assert document.is_dirty
    document.undo_stack.redo()
    assert len(document.joints()) == 21


def test_n_then_enter_goes_through_the_finger_joints_before_the_unnamed_boxes(qtbot, window):
    """The list sorted '?' first, so an annotator's first N, Enter accepted a wrist box as a training joint."""
    document = window.documents[BASELINE]
    document.set_proposals([JointAnnotation(box=(30, 200, 20, 20), source="model"),
                            JointAnnotation(box=(60, 40, 20, 20), identity="PIP3", source="model"),
                            JointAnnotation(box=(30, 40, 20, 20), identity="DIP2", source="model")])
    names = [document.joint(uid).identity for uid in window.joints_panel.row_uids()]
    assert names[-1] is None and names[:-1] == sorted(names[:-1], key=anatomical_rank)  # anatomical, unnamed last
    window.select_next(1)
    window.accept_selected()
    first = window.joints_panel.row_uids()[0]
    assert document.joint(first).identity is not None and document.joint(first).source == "user"
    unnamed = window.joints_panel.row_uids()[-1]
    window.layers[BASELINE].select(unnamed)
    window.accept_selected()  # still possible, but said
    assert document.joint(unnamed).source == "user"
    assert "without a joint name" in window.statusBar().currentMessage()


def test_n_after_naming_a_box_goes_on_to_the_box_after_it_not_from_its_new_row(qtbot, window):
    """The table sorts a box renamed by I to its new name's row: N then went on from there and skipped boxes."""
    document = window.documents[BASELINE]
    boxes = [window.add_box(BASELINE, (30.0 + 30 * k, 200.0, 20.0, 20.0)) for k in range(3)]  # unnamed, last rows
    named = window.add_box(BASELINE, (60.0, 40.0, 20.0, 20.0), identity="PIP3")
    order = window.joints_panel.row_uids()
    assert order[0] == named and order[1:] == boxes
    walked = []
    for name in ("DIP2", "PIP2", "IP1"):  # each sorts before PIP3
        window.select_next(1)
        uid = window.selected()[1]
        walked.append(uid)
        document.set_identity(uid, name)  # as I does: its row moves up among the named
    # from the box just added (selected) on, each N the box after the last one, in the table's order as it was
    assert walked == boxes
    window.select_next(1)
    assert window.selected()[1] == named  # round again
    window.joints_panel.table.sortItems(1)  # a click on a header begins a new walk, in the order shown
    rows = window.joints_panel.row_uids()
    window.select_next(1)
    assert window.selected()[1] == rows[(rows.index(named) + 1) % len(rows)]


def test_selecting_a_table_row_selects_the_box_and_centres_the_view_on_it(qtbot, window):
    window.add_box(BASELINE, (30.0, 40.0, 10.0, 10.0), identity="MCP5")
    far = window.add_box(BASELINE, (150.0, 200.0, 10.0, 10.0), identity="MCP2")
    view = window.panes[BASELINE].view_box
    view.setRange(xRange=(0, 50), yRange=(0, 50), padding=0)
    window.layers[BASELINE].select(None)
    table = window.joints_panel.table
    table.sortItems(0)  # sorted by joint name: MCP2 first
    table.selectRow(0)
    assert window.layers[BASELINE].selected == far
    centre = view.viewRect().center()
    assert (centre.x(), centre.y()) == pytest.approx((150.0, 200.0), abs=0.5)
    assert window.panes[FOLLOWUP].view_box.viewRect().center().x() == pytest.approx(150.0, abs=0.5)  # linked


def test_boxes_and_labels_layers_can_be_hidden(qtbot, window):
    uid = window.add_box(BASELINE, (50.0, 60.0, 20.0, 30.0))
    item = window.layers[BASELINE].items[uid]
    window.actions_by_name["show_labels"].trigger()
    assert item.isVisible() and not item.label.isVisible()
    window.actions_by_name["show_boxes"].trigger()
    assert not item.isVisible()
    window.actions_by_name["show_boxes"].trigger()
    window.actions_by_name["show_labels"].trigger()
    assert item.isVisible() and item.label.isVisible()


def test_edits_go_to_the_image_that_was_clicked_and_undo_follows_it(qtbot, window):
    window.add_box(BASELINE, (50.0, 60.0, 20.0, 30.0))
    window.set_tool(Tool.BOX)
    drag(window.panes[FOLLOWUP].view_box, QPointF(10, 10), QPointF(30, 40))
    assert window.active_role == FOLLOWUP
    assert len(window.documents[FOLLOWUP]) == 1 and len(window.documents[BASELINE]) == 1
    window.actions_by_name["undo"].trigger()
    assert len(window.documents[FOLLOWUP]) == 0 and len(window.documents[BASELINE]) == 1


def _label_rect(window, uid, role=BASELINE):
    return view_rect(window.panes[role].view_box, window.layers[role].items[uid].label)


def _crossing(a, b):
    return overlap(a, b, 0.5) > 0


def test_names_of_boxes_side_by_side_do_not_cover_each_other(qtbot, window):
    document, layer = window.documents[BASELINE], window.layers[BASELINE]
    first = window.add_box(BASELINE, (60.0, 60.0, 40.0, 30.0))
    second = window.add_box(BASELINE, (64.0, 62.0, 40.0, 30.0))  # 4 px right of the first: the names would overlap
    document.set_identity(first, "MCP2")
    document.set_identity(second, "MCP3")
    qtbot.waitUntil(lambda: layer.settled, timeout=3000)
    a, b = _label_rect(window, first), _label_rect(window, second)
    assert not _crossing(a, b)
    assert a[0] == pytest.approx(40.0, abs=1e-3)  # the first name stays above its box's left end
    assert b[2] == pytest.approx(84.0, abs=1e-3)  # the second moved to above its right end

    # zoomed in, names are smaller in image pixels: both fit above their left ends again
    view_box = window.panes[BASELINE].view_box
    view_box.scaleBy((0.2, 0.2), center=QPointF(62.0, 60.0))
    view_box.translateBy(x=36.0 - view_box.viewRect().left())  # both boxes' left ends on screen
    qtbot.waitUntil(lambda: layer.settled and _label_rect(window, second)[0] == pytest.approx(44.0, abs=1e-3), timeout=3000)
    assert not _crossing(_label_rect(window, first), _label_rect(window, second))


def _text_contrast_over_bone(item) -> float:
    """A label's text against its fill where it lies over white bone (the worst place for it)."""
    from colour_vision import contrast, over

    fill = item.fill.color()
    text = item.color
    return contrast((text.red(), text.green(), text.blue()),
                    over((fill.red(), fill.green(), fill.blue(), fill.alpha()), (255, 255, 255)))


def test_every_box_name_reads_at_wcag_aa_even_over_white_bone(qtbot, window):
    for n, findings in enumerate([{}, {"ankylosis": True}, {"subluxation": True}, {"ankylosis": True, "subluxation": True}]):
        uid = window.add_box(BASELINE, (50.0 + 40 * n, 60.0, 20.0, 30.0), "PIP3")
        for name, value in findings.items():
            window.documents[BASELINE].set_finding(uid, name, value)
    window.layers[BASELINE].select(None)  # a selected box's name is white: the others keep their finding's colour
    for item in window.layers[BASELINE].items.values():
        assert item.label.color != QColor("white")
        assert _text_contrast_over_bone(item.label) >= 4.5, item.label.toPlainText()


def test_a_joints_name_is_drawn_over_the_outline_of_a_box_made_after_it(qtbot, window):
    """In a crowded hand a later box's dashed outline crossed the earlier box's name (the name was drawn
    with its own box, under every box drawn after it)."""
    document, layer = window.documents[BASELINE], window.layers[BASELINE]
    first = window.add_box(BASELINE, (60.0, 60.0, 40.0, 30.0))
    document.set_identity(first, "MCP2")
    qtbot.waitUntil(lambda: layer.settled, timeout=3000)
    x0, y0, x1, y1 = _label_rect(window, first)
    later = window.add_box(BASELINE, (x0 + 20.0, (y0 + y1) / 2.0, 40.0, 60.0))  # its left side crosses the name
    qtbot.waitUntil(lambda: layer.settled, timeout=3000)
    view_box = window.panes[BASELINE].view_box
    crossing = view_box.mapViewToScene(QPointF(x0 + 2.0, (y0 + y1) / 2.0))  # on the name, inside the later box
    on_top = [i for i in view_box.scene().items(crossing) if i in (layer.items[first].label, layer.items[later])]
    assert on_top[0] is layer.items[first].label
    layer.items[first].setPos(QPointF(70.0, 50.0))  # dragged: the name goes with its box
    assert _label_rect(window, first)[0] == pytest.approx(x0 + 30.0, abs=1e-3)


def test_in_a_crowded_row_a_name_with_no_room_above_its_box_goes_inside_it_not_over_another_name(qtbot, window):
    """The follow-up's MCP row: "MCP3 sub" covered the end of "MCP2 ank" (both places above MCP2 were taken)."""
    document, layer = window.documents[BASELINE], window.layers[BASELINE]
    uids = [window.add_box(BASELINE, (cx, 62.0, 40.0, 30.0)) for cx in (40.0, 52.0, 64.0)]  # overlapping, 12 px apart
    for uid, name in zip(uids, ("MCP2", "MCP3", "MCP4")):
        document.set_identity(uid, name)
    qtbot.waitUntil(lambda: layer.settled, timeout=3000)
    rects = [_label_rect(window, uid) for uid in uids]
    assert rects[2][2] - rects[2][0] > 12.0  # a name is wider than the boxes' spacing: no room above for the third
    assert not any(_crossing(a, b) for i, a in enumerate(rects) for b in rects[i + 1:])
    third, box = rects[2], (44.0, 47.0, 84.0, 77.0)
    assert box[0] - 1e-3 <= third[0] and third[2] <= box[2] + 1e-3 and third[1] >= box[1] - 1e-3  # on its own box


def test_on_a_radiograph_of_both_hands_a_box_is_named_with_its_hand(qtbot, window):
    document = window.documents[BASELINE]
    named = window.add_box(BASELINE, (50.0, 60.0, 20.0, 30.0))
    document.set_identity(named, "R MCP2")  # as the analysis names the joints of a radiograph of both hands
    uid = window.add_box(BASELINE, (150.0, 60.0, 20.0, 30.0))
    panel = window.joints_panel
    panel.select(named)
    assert panel.identity.currentText() == "R MCP2"
    panel.select(uid)
    names = [panel.identity.itemText(k) for k in range(panel.identity.count())]
    assert "L PIP3" in names and "PIP3" not in names  # this radiograph's joints carry their hand
    panel.identity.setCurrentText("L PIP3")
    panel.identity.activated.emit(panel.identity.currentIndex())
    assert document.joint(uid).identity == "L PIP3"
    assert window.layers[BASELINE].items[uid].label.toPlainText() == "L PIP3"


def test_ticking_both_hands_names_a_plainly_named_hand_with_its_side_and_offers_the_other_hands_names(qtbot, window):
    """A radiograph of both hands whose search found one hand: the annotator could not give a box a hand."""
    document, panel = window.documents[BASELINE], window.joints_panel
    width = document.width
    named = window.add_box(BASELINE, (0.2 * width, 60.0, 20.0, 30.0))
    document.set_identity(named, "MCP2")
    other = window.add_box(BASELINE, (0.8 * width, 60.0, 20.0, 30.0))
    panel.select(other)
    assert not panel.both_hands.isChecked()
    assert "L PIP3" not in [panel.identity.itemText(k) for k in range(panel.identity.count())]
    assert document.laterality == "L"  # the file declares one hand, wrongly for a film of both
    panel.both_hands.click()
    assert document.joint(named).identity == "R MCP2"  # one joint shows no side: on the image's left, the right hand
    assert panel.both_hands.isChecked()
    # the tick renames boxes: the status bar says so, as Name joints as the other hand does
    assert window.statusBar().currentMessage() == "Both hands: 1 box named with their hand, e.g. R MCP2 (Ctrl+Z undoes)"
    panel.identity.setCurrentText("L PIP3")
    panel.identity.activated.emit(panel.identity.currentIndex())
    assert document.joint(other).identity == "L PIP3"
    assert window.layers[BASELINE].items[named].label.toPlainText() == "R MCP2"

    panel.both_hands.click()  # one hand after all: one hand keeps its names, plainly; the other loses them
    assert [document.joint(uid).identity for uid in (named, other)] == ["MCP2", None]  # a tie: the right hand's
    assert window.statusBar().currentMessage() == ("One hand: 2 boxes renamed, 1 of the other hand left without a name "
                                                   "(Ctrl+Z undoes)")
    assert not panel.both_hands.isChecked()
    stack = document.undo_stack
    stack.undo()
    assert [document.joint(uid).identity for uid in (named, other)] == ["R MCP2", "L PIP3"]
    assert panel.both_hands.isChecked()
    stack.undo()
    stack.undo()
    assert document.joint(named).identity == "MCP2" and not panel.both_hands.isChecked()


def test_both_hands_can_be_ticked_before_any_box_is_named_and_untick_by_undo(qtbot, window):
    document, panel = window.documents[BASELINE], window.joints_panel
    uid = window.add_box(BASELINE, (50.0, 60.0, 20.0, 30.0))
    panel.select(uid)
    document.mark_saved(document.revision)
    panel.both_hands.click()
    assert panel.both_hands.isChecked() and document.is_dirty  # the tick alone is saved (test_gui_save)
    assert "R MCP2" in [panel.identity.itemText(k) for k in range(panel.identity.count())]
    document.undo_stack.undo()
    assert not panel.both_hands.isChecked()
    assert "MCP2" in [panel.identity.itemText(k) for k in range(panel.identity.count())]


def test_a_proposal_the_user_corrects_is_theirs_and_a_new_analysis_keeps_it(qtbot, window):
    """A renamed, moved or flagged proposal was replaced by the next analysis (and left out of training)."""
    document = window.documents[BASELINE]
    proposals = [JointAnnotation(box=(50.0 + 40.0 * k, 60.0, 20.0, 30.0), identity=None, source="model")
                 for k in range(4)]
    document.set_proposals(proposals)
    renamed, moved, flagged, untouched = document.uids()
    document.set_identity(renamed, "MCP1")
    document.set_box(moved, (95.0, 64.0, 20.0, 30.0))
    document.set_finding(flagged, "ankylosis", True)
    assert [document.joint(uid).source for uid in (renamed, moved, flagged, untouched)] == ["user"] * 3 + ["model"]
    assert window.joints_panel.table.rowCount() == 4
    kept = [document.joint(uid) for uid in (renamed, moved, flagged)]
    document.set_proposals([JointAnnotation(box=(400.0, 60.0, 20.0, 30.0), identity="PIP2", source="model")])
    assert [j for j in document.joints() if j.source == "user"] == kept
    assert [j.identity for j in document.joints() if j.source == "model"] == ["PIP2"]
    document.undo_stack.undo()  # the finding (the analysis is no undo step)
    assert document.joint(flagged).source == "model" and not document.joint(flagged).findings["ankylosis"]


def test_proposals_named_with_their_hand_give_the_users_plainly_named_boxes_their_hand(qtbot, window):
    """A box named "MCP2" before an analysis that found both hands read "— unknown —" in the identity list."""
    document, panel = window.documents[BASELINE], window.joints_panel
    width = document.width
    mine = window.add_box(BASELINE, (0.8 * width, 60.0, 20.0, 30.0), identity="MCP2")
    document.set_proposals([JointAnnotation(box=(0.2 * width, 60.0, 20.0, 30.0), identity="R MCP2", source="model"),
                            JointAnnotation(box=(0.75 * width, 90.0, 20.0, 30.0), identity="L PIP2", source="model")])
    assert document.joint(mine).identity == "L MCP2"  # on the image's right: the left hand
    panel.select(mine)
    assert panel.identity.currentText() == "L MCP2" and panel.both_hands.isChecked()
    assert document.is_dirty  # the user's box was renamed: that is saved
    assert document.undo_stack.undoText() == "Name your boxes with their hand"  # the renaming alone is undone
    document.undo_stack.undo()
    assert document.joint(mine).identity == "MCP2" and len(document) == 3


def test_proposals_of_one_hand_take_a_hand_on_a_radiograph_said_to_show_both(qtbot, window):
    document = window.documents[BASELINE]
    window.add_box(BASELINE, (50.0, 60.0, 20.0, 30.0), identity="R MCP2")
    document.set_proposals([JointAnnotation(box=(document.width - 50.0, 60.0, 20.0, 30.0), identity="PIP3",
                                            source="model")])
    assert sorted(j.identity for j in document.joints()) == ["L PIP3", "R MCP2"]


def test_insert_adds_a_box_at_the_centre_of_the_view_selected_for_the_keys_in_one_undo_step(qtbot, window):
    """Keyboard-only annotation had no way to add a box: the Box tool needs a left-drag."""
    from jsnviewer.gui.annotation import JOINT_BOX_MM

    document, view = window.documents[BASELINE], window.panes[BASELINE].view_box
    view.setRange(xRange=(60, 120), yRange=(100, 160), padding=0)
    qtbot.keyClick(window, Qt.Key_Insert)
    assert len(document) == 1
    uid = document.uids()[0]
    cx, cy, w, h = document.joint(uid).box
    centre = view.viewRect().center()
    assert (cx, cy) == pytest.approx((centre.x(), centre.y()), abs=0.5)
    assert (w, h) == pytest.approx((JOINT_BOX_MM / 0.15, JOINT_BOX_MM / 0.15))  # no other box: a joint's 12 mm
    assert window.layers[BASELINE].selected == uid and document.joint(uid).source == "user"
    qtbot.keyClick(window, Qt.Key_K)
    qtbot.keyClick(window, Qt.Key_Right)
    assert document.joint(uid).findings["ankylosis"] and document.joint(uid).box[0] == pytest.approx(cx + 1)
    for _ in range(3):
        qtbot.keyClick(window, Qt.Key_Z, Qt.ControlModifier)
    assert len(document) == 0  # the box was one step
    window.add_box(BASELINE, (30.0, 40.0, 10.0, 16.0), identity="MCP5")
    window.add_box(BASELINE, (60.0, 40.0, 14.0, 20.0), identity="MCP4")
    window.add_box(BASELINE, (90.0, 40.0, 30.0, 18.0), identity="MCP3")
    window.actions_by_name["add_box"].trigger()
    assert document.joints()[-1].box[2:] == pytest.approx((14.0, 18.0))  # sized like the image's other boxes (median)


def test_after_deleting_a_box_the_next_one_in_the_joints_list_is_selected(qtbot, window):
    """After Del nothing was selected and N went back to the first box."""
    document = window.documents[BASELINE]
    for x, name in ((30.0, "MCP2"), (60.0, "MCP3"), (90.0, "MCP4")):
        window.add_box(BASELINE, (x, 60.0, 20.0, 20.0), identity=name)
    order = window.joints_panel.row_uids()
    window.layers[BASELINE].select(order[1])
    qtbot.keyClick(window, Qt.Key_Delete)
    assert window.layers[BASELINE].selected == order[2]
    assert window.joints_panel.row_uids()[window.joints_panel.table.currentRow()] == order[2]
    qtbot.keyClick(window, Qt.Key_Delete)  # the last one: the previous is selected
    assert window.layers[BASELINE].selected == order[0]
    qtbot.keyClick(window, Qt.Key_Delete)
    assert len(document) == 0 and window.layers[BASELINE].selected is None


def test_redo_of_add_box_selects_the_box_again_for_the_next_key(qtbot, window):
    """After Ins, Ctrl+Z, Ctrl+Shift+Z the box was back but not selected: K or Del then acted on nothing."""
    document = window.documents[BASELINE]
    other = window.add_box(BASELINE, (30.0, 40.0, 20.0, 20.0), identity="MCP2")
    qtbot.keyClick(window, Qt.Key_Insert)
    added = document.uids()[-1]
    qtbot.keyClick(window, Qt.Key_Z, Qt.ControlModifier)
    assert document.uids() == [other]
    window.layers[BASELINE].select(other)
    qtbot.keyClick(window, Qt.Key_Z, Qt.ControlModifier | Qt.ShiftModifier)
    assert window.layers[BASELINE].selected == added
    assert window.joints_panel.row_uids()[window.joints_panel.table.currentRow()] == added
    qtbot.keyClick(window, Qt.Key_K)
    assert document.joint(added).findings["ankylosis"] and not document.joint(other).findings.get("ankylosis")
    qtbot.keyClick(window, Qt.Key_Z, Qt.ControlModifier)
    qtbot.keyClick(window, Qt.Key_Z, Qt.ControlModifier)
    window.layers[BASELINE].select(None)
    qtbot.keyClick(window, Qt.Key_Y, Qt.ControlModifier)
    assert window.layers[BASELINE].selected == added


def test_insert_twice_without_moving_the_view_sets_the_second_box_aside_not_on_the_first(qtbot, window):
    """Two presses of Ins put two boxes exactly on top of each other: one hid the other."""
    from jsnviewer.pipeline.placement import box_rect, overlap

    document, view = window.documents[BASELINE], window.panes[BASELINE].view_box
    window.add_box(BASELINE, (90.0, 120.0, 20.0, 20.0), identity="MCP3")  # the image's boxes are 20 px
    view.setRange(xRange=(30, 150), yRange=(60, 180), padding=0)
    for _ in range(5):
        qtbot.keyClick(window, Qt.Key_Insert)
    added = [document.joint(uid).box for uid in document.uids()]
    shown = view.viewRect()
    for k, box in enumerate(added):
        x0, y0, x1, y1 = box_rect(box)
        assert shown.left() <= x0 and x1 <= shown.right() and shown.top() <= y0 and y1 <= shown.bottom()
        for other in added[:k]:  # each one in sight beside the others: at most a quarter of it covered
            assert overlap(box_rect(box), box_rect(other)) <= 0.25 * box[2] * box[3] + 1e-6
    assert added[1][:2] == pytest.approx((100.0, 130.0))  # half a box down and right of the one at the centre
    assert window.layers[BASELINE].selected == document.uids()[-1]


def test_insert_by_the_edge_of_the_radiograph_sets_the_second_box_aside_within_it(qtbot, window):
    document, view = window.documents[BASELINE], window.panes[BASELINE].view_box
    window.add_box(BASELINE, (20.0, 20.0, 20.0, 20.0), identity="MCP3")
    view.setRange(xRange=(140, 200), yRange=(200, 260), padding=0)  # the radiograph's bottom right corner
    qtbot.keyClick(window, Qt.Key_Insert)
    qtbot.keyClick(window, Qt.Key_Insert)
    first, second = (document.joint(uid).box for uid in document.uids()[1:])
    assert first[:2] == pytest.approx((170.0, 230.0))  # within the radiograph (180 × 240)
    assert second[:2] == pytest.approx((160.0, 220.0))  # aside up and left: down and right is off the radiograph
