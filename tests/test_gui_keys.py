"""The keyboard as an annotator uses it all day: every frequent action on a key, the toolbar steady."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QTableWidget, QToolBar

from jsnviewer.dataset import JointAnnotation
from jsnviewer.gui.image_view import WINDOW_PRESETS
from jsnviewer.gui.main_window import BASELINE, FOLLOWUP
from gui_support import make_window, settings_store, shown_study, study  # noqa: F401


@pytest.fixture
def window(shown_study):
    return shown_study


def toolbar_button(window, text):
    bar = window.findChild(QToolBar, "mainToolbar")
    return next(action for action in bar.actions() if action.text() == text)


def test_ctrl_tab_makes_the_other_image_the_one_keys_and_undo_act_on(qtbot, window):
    assert window.active_role == BASELINE
    qtbot.keyClick(window, Qt.Key_Tab, Qt.ControlModifier)
    assert window.active_role == FOLLOWUP and window.panes[FOLLOWUP].active
    uid = window.add_box(FOLLOWUP, (50.0, 60.0, 20.0, 30.0))
    window.layers[FOLLOWUP].select(uid)
    qtbot.keyClick(window, Qt.Key_K)
    assert window.documents[FOLLOWUP].joint(uid).findings["ankylosis"]
    qtbot.keyClick(window, Qt.Key_Tab, Qt.ControlModifier)
    assert window.active_role == BASELINE


def test_the_keypad_enter_accepts_a_proposal_like_return(qtbot, window):
    document = window.documents[BASELINE]
    document.set_proposals([JointAnnotation(box=(50.0, 60.0, 20.0, 30.0), identity="MCP2", source="model"),
                            JointAnnotation(box=(90.0, 60.0, 20.0, 30.0), identity="MCP3", source="model")])
    window.layers[BASELINE].select(document.uids()[0])
    qtbot.keyClick(window, Qt.Key_Enter, Qt.KeypadModifier)
    assert [j.source for j in document.joints()] == ["user", "model"]
    qtbot.keyClick(window, Qt.Key_Enter, Qt.KeypadModifier | Qt.ShiftModifier)
    assert [j.source for j in document.joints()] == ["user", "user"]


def test_ctrl_equals_zooms_in_like_ctrl_plus(qtbot, window):
    view = window.panes[BASELINE].view_box
    before = view.viewRect().width()
    qtbot.keyClick(window, Qt.Key_Equal, Qt.ControlModifier)
    assert view.viewRect().width() == pytest.approx(before / 1.25, rel=1e-3)


def test_zooming_out_or_in_stops_where_the_radiograph_is_still_seen(qtbot, window):
    """Ctrl+- pressed 25 times left the radiograph invisible, the joint names floating in an empty black view."""
    from jsnviewer.gui.image_view import ZOOM_IN_LIMIT_PX, ZOOM_OUT_LIMIT

    pane = window.panes[BASELINE]
    largest = max(pane.radiograph.width, pane.radiograph.height)
    for _ in range(25):
        qtbot.keyClick(window, Qt.Key_Minus, Qt.ControlModifier)
    rect = pane.view_box.viewRect()
    assert max(rect.width(), rect.height()) <= ZOOM_OUT_LIMIT * largest * 1.001
    assert rect.intersects(pane.image_rect())  # the radiograph is still in the view
    for _ in range(60):
        qtbot.keyClick(window, Qt.Key_Plus, Qt.ControlModifier)
    rect = pane.view_box.viewRect()
    assert min(rect.width(), rect.height()) >= ZOOM_IN_LIMIT_PX * 0.999


def test_every_menu_action_that_users_reach_often_has_a_key_and_tips_read_cleanly(qtbot, window):
    actions = window.actions_by_name
    for name in ("save", "dataset", "settings", "open", "analyse", "accept", "accept_all", "identity", "next",
                 "other_image", "fit", "zoom_in", "zoom_out"):
        assert not actions[name].shortcut().isEmpty(), name
    assert all("&" not in action.toolTip() for action in window.actions())
    keys = [key.toString() for action in window.actions() for key in action.shortcuts()]
    assert len(keys) == len(set(keys)), "a key bound twice"


def tab_through(qtbot, window, presses=40):
    """The widgets the focus visits on `presses` Tab keys from the baseline image."""
    window.activateWindow()
    window.panes[BASELINE].graphics.setFocus()
    qtbot.waitUntil(lambda: window.panes[BASELINE].graphics.hasFocus())
    visited = []
    for _ in range(presses):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key_Tab)
        visited.append(QApplication.focusWidget())
    return visited


def test_tab_goes_through_the_joints_list_and_on_not_from_cell_to_cell(qtbot, window):
    for x in (50.0, 90.0, 130.0):
        window.add_box(BASELINE, (x, 60.0, 20.0, 30.0))
    window.layers[BASELINE].select(None)
    window.joints_dock.raise_()
    visited = tab_through(qtbot, window)
    table = window.joints_panel.table
    assert table in visited and visited[visited.index(table) + 1] is not table
    assert window.layers[BASELINE].selected is None  # Tab moved no selection from box to box


def test_tab_skips_the_panel_behind_the_other_tab(qtbot, window):
    window.results_dock.raise_()
    visited = tab_through(qtbot, window)
    assert window.results_panel.table in visited
    assert not [w for w in visited if window.joints_panel.isAncestorOf(w)]  # off screen: the focus would vanish
    window.joints_dock.raise_()
    visited = tab_through(qtbot, window)
    assert window.joints_panel.table in visited and window.results_panel.table not in visited


def test_keys_open_the_baseline_or_the_follow_up_alone(qtbot, window, study, monkeypatch):
    asked = []

    def choose(parent, title, *args):
        asked.append(title)
        return [str(study[0])], ""

    monkeypatch.setattr("jsnviewer.gui.study_actions.QFileDialog.getOpenFileNames", choose)
    with qtbot.waitSignal(window.study_loaded):
        qtbot.keyClick(window, Qt.Key_F, Qt.ControlModifier | Qt.ShiftModifier)
    assert asked == ["Open follow-up"] and window.documents[FOLLOWUP].path == study[0]
    with qtbot.waitSignal(window.study_loaded):
        qtbot.keyClick(window, Qt.Key_B, Qt.ControlModifier | Qt.ShiftModifier)
    assert asked[-1] == "Open baseline" and window.documents[BASELINE].path == study[0]


def test_ctrl_1_and_ctrl_2_bring_the_joints_or_results_list_forward_with_the_keys_in_it(qtbot, window):
    first = window.add_box(BASELINE, (50.0, 60.0, 20.0, 30.0), identity="MCP2")
    window.add_box(BASELINE, (90.0, 60.0, 20.0, 30.0), identity="MCP3")
    window.layers[BASELINE].select(first)
    window.activateWindow()
    window.results_dock.raise_()
    qtbot.keyClick(window, Qt.Key_1, Qt.ControlModifier)
    table = window.joints_panel.table
    assert not table.visibleRegion().isEmpty()
    qtbot.waitUntil(table.hasFocus)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key_Down)  # the next row, not a nudge
    assert [j.box for j in window.documents[BASELINE].joints()] == [(50.0, 60.0, 20.0, 30.0), (90.0, 60.0, 20.0, 30.0)]
    assert window.documents[BASELINE].joint(window.selected()[1]).identity == "MCP3"
    qtbot.keyClick(window, Qt.Key_2, Qt.ControlModifier)
    assert not window.results_panel.table.visibleRegion().isEmpty()
    qtbot.waitUntil(window.results_panel.table.hasFocus)


def test_a_panel_closed_with_its_cross_comes_back_from_the_view_menu_or_its_key(qtbot, window):
    for dock in (window.study_dock, window.detail_dock, window.joints_dock):
        dock.close()
        assert not dock.isVisible()
        dock.toggleViewAction().trigger()  # View ▸ Panels
        assert dock.isVisible()
    window.results_dock.close()
    qtbot.keyClick(window, Qt.Key_2, Qt.ControlModifier)
    assert window.results_dock.isVisible()
    panels = next(a.menu() for a in window.menuBar().actions() if a.text() == "&View").actions()
    panels = next(a.menu() for a in panels if a.menu() is not None and "Panels" in a.text().replace("&", ""))
    assert window.detail_dock.toggleViewAction() in panels.actions()


def test_the_toolbars_undo_keeps_its_name_and_tells_what_it_undoes(qtbot, window):
    undo = toolbar_button(window, "Undo")
    assert not undo.isEnabled()
    uid = window.add_box(BASELINE, (50.0, 60.0, 20.0, 30.0))
    window.documents[BASELINE].set_identity(uid, "MCP2")
    assert undo.isEnabled() and undo.text() == "Undo"
    assert undo.toolTip().startswith("Undo Set joint to MCP2") and "Ctrl+Z" in undo.toolTip()
    undo.trigger()
    assert window.documents[BASELINE].joint(uid).identity is None



def test_arrows_on_the_focused_joints_results_tab_bar_change_the_tab_not_the_box(qtbot, window):
    from PySide6.QtWidgets import QTabBar

    uid = window.add_box(BASELINE, (50.0, 60.0, 20.0, 30.0), identity="MCP2")
    window.layers[BASELINE].select(uid)
    window.activateWindow()
    tabs = next(bar for bar in window.findChildren(QTabBar)
                if {bar.tabText(i) for i in range(bar.count())} == {"Joints", "Results"})
    tabs.setCurrentIndex(0)
    tabs.setFocus()
    qtbot.waitUntil(tabs.hasFocus)
    qtbot.keyClick(tabs, Qt.Key_Right)
    assert tabs.currentIndex() == 1
    assert window.documents[BASELINE].joint(uid).box == (50.0, 60.0, 20.0, 30.0)  # not nudged


def test_ctrl_0_gives_the_keys_back_to_the_images_after_a_list_had_them(qtbot, window):
    uid = window.add_box(BASELINE, (50.0, 60.0, 20.0, 30.0), identity="MCP2")
    window.add_box(BASELINE, (90.0, 60.0, 20.0, 30.0), identity="MCP3")
    window.activateWindow()
    qtbot.keyClick(window, Qt.Key_1, Qt.ControlModifier)
    qtbot.waitUntil(window.joints_panel.table.hasFocus)
    window.layers[BASELINE].select(uid)
    qtbot.keyClick(window, Qt.Key_0, Qt.ControlModifier)
    qtbot.waitUntil(lambda: not window.joints_panel.table.hasFocus())
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key_Right)  # a nudge now, not the next row
    assert window.documents[BASELINE].joint(uid).box == (51.0, 60.0, 20.0, 30.0)


def test_the_shortcuts_list_fits_a_small_screen_in_order_without_the_edit_undo_would_undo(qtbot, shown_study,
                                                                                         monkeypatch):
    """F1 showed a 972 px tall box (its OK button off a 720 px screen), in no order, with "Undo Set joint to MCP5"."""
    from PySide6.QtWidgets import QDialog

    window = shown_study
    window.add_box(BASELINE, (50.0, 60.0, 20.0, 30.0), identity="MCP2")  # undo now reads "Undo Add box"
    rows = window.shortcut_rows()
    keyed = [what for _, what in rows[:-3]]
    assert keyed == sorted(keyed, key=str.casefold) and "Undo" in keyed and "Redo" in keyed
    assert not any(what.startswith("Undo ") for what in keyed)
    assert any(what.startswith("Analyse") for what in keyed)
    monkeypatch.setattr(QDialog, "exec", lambda self: 0)
    window.show_shortcuts()
    dialog = window.shortcuts_dialog
    assert dialog.height() <= 0.8 * window.screen().availableGeometry().height() + 1
    assert dialog.findChild(QTableWidget).rowCount() == len(rows)


def test_the_shortcuts_list_gives_each_action_all_its_keys_as_the_manual_writes_them(qtbot, window, monkeypatch):
    """F1 gave one key per action (Redo without Ctrl+Y, Delete box without Backspace), "Return" for the key the
    manual calls Enter, and "Ctrl+0" where the window's font may draw the zero like the letter O."""
    from PySide6.QtWidgets import QDialog

    monkeypatch.setattr(QDialog, "exec", lambda self: 0)
    window.show_shortcuts()
    table = window.shortcuts_dialog.findChild(QTableWidget)
    listed = {table.item(row, 1).text(): table.item(row, 0).text() for row in range(table.rowCount())}
    assert listed["Redo"].split(" or ")[:2] == ["Ctrl+Shift+Z", "Ctrl+Y"]  # Windows adds Alt+Shift+Backspace
    assert listed["Open radiographs"] == "Ctrl+O"  # not "or Open", a key of multimedia keyboards
    assert listed["Delete box"] == "Del or Backspace"
    assert listed["Zoom in"] == "Ctrl++ or Ctrl+="
    assert listed["Accept proposal"] == "Enter" and listed["Accept all named proposals"] == "Shift+Enter"
    assert listed["The images"] == "Ctrl+0 (zero)" and listed["Joints list"] == "Ctrl+1"
    assert listed["Cancel task, box drawing or selection"] == "Esc" and "Cancel task" not in listed  # one action on Esc
    assert listed["Pan right"] == "Ctrl+Right"
    assert not any("Return" in keys for keys in listed.values())
    assert listed["Window/level: Auto (0.5–99.5 %)"] == "1"  # not 'Auto (0.5–99.5 %)', which said not what it sets
    assert listed["Window/level: Full range"] == "4" and not set(listed) & set(WINDOW_PRESETS)
    tips = {name: window.actions_by_name[name].toolTip() for name in ("accept", "images")}
    assert tips["accept"].endswith("(Enter)") and tips["images"].endswith("(Ctrl+0, zero)"), tips  # hovered


def test_a_hovered_button_or_menu_item_gives_its_key_in_the_only_brackets_at_the_end_of_its_tip(window):
    """'Open a baseline and a follow-up (select one or two files) (Ctrl+O)', '… name it (I) (Ins)' and
    'Auto (0.5–99.5 %) (1)' read as two notes, or two keys, side by side."""
    from PySide6.QtGui import QAction

    tips = [action.toolTip() for action in window.findChildren(QAction) if action.shortcut().toString()]
    assert tips and not [tip for tip in tips if ") (" in tip]
    assert window.actions_by_name["open"].toolTip().endswith("select one or two files (Ctrl+O)")


@pytest.mark.parametrize("pause_ms", [0, 10_000_000], ids=["typed slowly", "typed fast, box after box"])
def test_a_joint_name_typed_into_the_identity_list_is_the_name_given_however_fast_it_is_typed(
        qtbot, window, pause_ms):
    """I, then "MCP5" and Enter: typed slower than Qt's 0.4 s, each letter started a new search and the box became
    PIP2 (P's first name); typed fast box after box, the letters went on from the last box's "PIP3" and matched
    nothing. `pause_ms` is the longest pause Qt takes as one word: 0 is a slow typist, 10⁷ a fast one."""
    hints = QApplication.styleHints()
    before = hints.keyboardInputInterval()
    hints.setKeyboardInputInterval(pause_ms)
    try:
        document = window.documents[BASELINE]
        window.activateWindow()
        for box, typed in (((50.0, 60.0, 20.0, 30.0), "PIP3"), ((90.0, 60.0, 20.0, 30.0), "MCP5")):
            uid = window.add_box(BASELINE, box)
            qtbot.keyClick(window, Qt.Key_I)
            popup = window.joints_panel.identity.view()
            qtbot.waitUntil(popup.isVisible)
            for letter in typed:
                qtbot.keyClick(popup, letter)
                qtbot.wait(2)  # letters apart by more than a pause of 0 ms
            qtbot.keyClick(popup, Qt.Key_Return)
            qtbot.waitUntil(lambda: not popup.isVisible())
            assert document.joint(uid).identity == typed
    finally:
        hints.setKeyboardInputInterval(before)


def test_tab_stops_only_where_the_keys_do_something_not_on_the_panels_scroll_areas(qtbot, window):
    """Tab stopped on the Study panel, the warnings bar, the joint detail and its numbers as wholes: four presses in each
    round with nothing seen to take the focus, and nothing the keys could do there (the arrows nudge the box, PgDown
    opens the next image)."""
    from PySide6.QtWidgets import QScrollArea, QToolButton

    window.warnings.show_message("A note to dismiss", "info", key="note")
    window.show_detail_dock()
    visited = tab_through(qtbot, window)
    assert window.warnings.findChild(QToolButton) in visited and window.detail_panel.masks in visited
    assert not [w for w in visited if isinstance(w, QScrollArea)]


def test_the_widget_the_keys_go_to_is_outlined(qtbot, window):
    """Under the window's dark style sheet the focus showed on no image, tab, tick box, drop-down or button: a reader
    pressing Tab could not tell where the next key would go."""
    import numpy as np
    from PySide6.QtCore import QPoint, QRect
    from PySide6.QtGui import QImage

    def drawn_around(widget) -> np.ndarray:
        QApplication.processEvents()
        at = QRect(widget.mapTo(window, QPoint(0, 0)), widget.size()).adjusted(-3, -3, 3, 3)
        image = window.grab(at).toImage().convertToFormat(QImage.Format_RGB888)
        bits = np.frombuffer(image.constBits(), np.uint8, image.sizeInBytes()).reshape(image.height(), -1)
        return bits[:, :3 * image.width()].astype(int)

    from jsnviewer.gui.resources import style_sheet

    app = QApplication.instance()
    app.setStyleSheet(style_sheet())  # as the program shows it
    try:
        window.warnings.show_message("A note to dismiss", "info", key="note")
        window.show_detail_dock()
        stops = list(dict.fromkeys(tab_through(qtbot, window)))
        assert len(stops) >= 6
        unmarked = []
        for widget in stops:
            widget.setFocus(Qt.TabFocusReason)
            qtbot.waitUntil(widget.hasFocus)
            focused = drawn_around(widget)
            widget.clearFocus()
            qtbot.waitUntil(lambda: not widget.hasFocus())
            if not (np.abs(focused - drawn_around(widget)) > 60).any():
                unmarked.append(type(widget).__name__)
    finally:
        app.setStyleSheet("")
    assert not unmarked


def test_the_image_outlined_as_the_keys_one_is_the_image_the_keys_act_on(qtbot, window):
    """Tab outlined the follow-up while N, K, the arrows and undo still acted on the baseline (its title lit), and
    Ctrl+Tab lit the follow-up's title with the baseline still outlined."""
    baseline, followup = window.panes[BASELINE].graphics, window.panes[FOLLOWUP].graphics
    window.activateWindow()
    window.focus_images()
    qtbot.waitUntil(baseline.hasFocus)
    qtbot.keyClick(baseline, Qt.Key_Tab)
    assert followup.hasFocus() and window.active_role == FOLLOWUP
    uid = window.add_box(FOLLOWUP, (50.0, 60.0, 20.0, 30.0))
    window.layers[FOLLOWUP].select(uid)
    qtbot.keyClick(followup, Qt.Key_K)
    assert window.documents[FOLLOWUP].joint(uid).findings["ankylosis"]
    qtbot.keyClick(followup, Qt.Key_Tab, Qt.ControlModifier)
    assert window.active_role == BASELINE and baseline.hasFocus()
    window.show_list(window.joints_dock, window.joints_panel.table)
    qtbot.keyClick(window.joints_panel.table, Qt.Key_Tab, Qt.ControlModifier)  # a list keeps the keys it had
    assert window.active_role == FOLLOWUP and window.joints_panel.table.hasFocus()


def test_escape_lets_go_of_the_box_added_with_insert(qtbot, window):
    """Esc did nothing unless a task ran: the box Ins added stayed selected, drawn white (its finding's colour hidden),
    until a click on the image's background."""
    graphics = window.panes[BASELINE].graphics
    window.activateWindow()
    window.focus_images()
    qtbot.waitUntil(graphics.hasFocus)
    qtbot.keyClick(graphics, Qt.Key_Insert)
    assert window.selected() is not None
    qtbot.keyClick(graphics, Qt.Key_Escape)
    assert window.selected() is None and len(window.documents[BASELINE]) == 1  # let go of, not deleted
    assert not window.joints_panel.table.selectionModel().hasSelection()


def test_escape_drops_the_box_being_drawn_and_leaves_the_box_tool_for_pan(qtbot, window):
    """Esc neither stopped a box being drawn nor left the Box tool: the next drag drew another box."""
    from PySide6.QtCore import QEvent, QPointF
    from gui_support import _send

    from jsnviewer.gui.image_view import Tool

    qtbot.waitExposed(window)
    pane = window.panes[BASELINE]
    window.activateWindow()
    window.focus_images()
    qtbot.waitUntil(pane.graphics.hasFocus)
    qtbot.keyClick(pane.graphics, Qt.Key_B)
    assert window.actions_by_name["tool_box"].isChecked()
    seen = pane.view_box.viewRect()
    at = [pane.graphics.mapFromScene(pane.view_box.mapViewToScene(QPointF(x, y))) for x, y in ((40, 50), (80, 100))]
    viewport = pane.graphics.viewport()
    _send(viewport, QEvent.MouseMove, at[0], Qt.NoButton, Qt.NoButton)
    _send(viewport, QEvent.MouseButtonPress, at[0], Qt.LeftButton, Qt.LeftButton)
    for step in range(1, 5):
        _send(viewport, QEvent.MouseMove, at[0] + (at[1] - at[0]) * step / 8, Qt.NoButton, Qt.LeftButton)
        qtbot.wait(5)
    assert pane.view_box._rubber.isVisible()  # the box is being drawn
    qtbot.keyClick(pane.graphics, Qt.Key_Escape)
    assert not pane.view_box._rubber.isVisible()
    assert window.actions_by_name["tool_pan"].isChecked() and pane.view_box.tool is Tool.PAN
    for step in range(5, 9):  # the rest of that drag neither draws nor pans
        _send(viewport, QEvent.MouseMove, at[0] + (at[1] - at[0]) * step / 8, Qt.NoButton, Qt.LeftButton)
        qtbot.wait(5)
    _send(viewport, QEvent.MouseButtonRelease, at[1], Qt.LeftButton, Qt.NoButton)
    qtbot.wait(10)
    assert len(window.documents[BASELINE]) == 0
    assert pane.view_box.viewRect() == seen


def test_escape_cancels_the_running_task_first_then_the_box_tool_then_the_selection(qtbot, window):
    """One key, what a reader expects of it, one step at a time: a running task keeps the box tool and the box."""
    from jsnviewer.gui.image_view import Tool

    uid = window.add_box(BASELINE, (50.0, 60.0, 20.0, 30.0), identity="MCP2")
    window.set_tool(Tool.BOX)
    import time

    def waits_to_be_cancelled(cancelled):
        while not cancelled():
            time.sleep(0.01)

    worker = window.run_task(waits_to_be_cancelled, label="Waiting")
    assert worker is not None
    window.activateWindow()
    qtbot.keyClick(window, Qt.Key_Escape)
    assert worker.is_cancelled()
    assert window.selected() == (window.documents[BASELINE], uid) and window.panes[BASELINE].view_box.tool is Tool.BOX
    qtbot.waitUntil(lambda: window.task is None)
    qtbot.keyClick(window, Qt.Key_Escape)
    assert window.panes[BASELINE].view_box.tool is Tool.PAN and window.selected() is not None
    qtbot.keyClick(window, Qt.Key_Escape)
    assert window.selected() is None


def test_escape_in_the_joint_name_list_closes_the_list_and_keeps_the_box(qtbot, window):
    uid = window.add_box(BASELINE, (50.0, 60.0, 20.0, 30.0))
    window.activateWindow()
    qtbot.keyClick(window, Qt.Key_I)
    popup = window.joints_panel.identity.view()
    qtbot.waitUntil(popup.isVisible)
    qtbot.keyClick(popup, Qt.Key_Escape)
    qtbot.waitUntil(lambda: not popup.isVisible())
    assert window.selected() == (window.documents[BASELINE], uid)


@pytest.mark.parametrize("with_box", [False, True], ids=["no box selected", "a box selected"])
def test_ctrl_arrows_pan_the_zoomed_image_a_fifth_of_the_view(qtbot, window, with_box):
    """After Ctrl++ the keyboard could not move the view: the arrows nudge a selected box, and without one did
    nothing."""
    pane = window.panes[BASELINE]
    uid = window.add_box(BASELINE, (90.0, 120.0, 20.0, 30.0)) if with_box else None
    if not with_box:
        window.layers[BASELINE].select(None)
    window.activateWindow()
    window.focus_images()
    qtbot.waitUntil(pane.graphics.hasFocus)
    for _ in range(3):
        qtbot.keyClick(pane.graphics, Qt.Key_Plus, Qt.ControlModifier)
    before = pane.view_box.viewRect()
    qtbot.keyClick(pane.graphics, Qt.Key_Right, Qt.ControlModifier)
    after = pane.view_box.viewRect()
    assert after.left() - before.left() == pytest.approx(before.width() / 5, rel=1e-3)
    assert after.top() == pytest.approx(before.top()) and after.width() == pytest.approx(before.width())
    qtbot.keyClick(pane.graphics, Qt.Key_Down, Qt.ControlModifier)
    assert pane.view_box.viewRect().top() - after.top() == pytest.approx(before.height() / 5, rel=1e-3)
    if with_box:
        assert window.documents[BASELINE].joint(uid).box == (90.0, 120.0, 20.0, 30.0)  # not nudged
    for _ in range(40):  # however often pressed, the radiograph stays in view
        qtbot.keyClick(pane.graphics, Qt.Key_Left, Qt.ControlModifier)
    assert pane.view_box.viewRect().center().x() >= 0.0
    assert not window.fitted  # the view stays where it was panned to when a panel opens


def test_a_focused_list_keeps_ctrl_arrows(qtbot, window):
    """Qt moves a list's row with Ctrl+Down too: the Joints list keeps it, the image is not panned."""
    first = window.add_box(BASELINE, (50.0, 60.0, 20.0, 30.0), identity="MCP2")
    window.add_box(BASELINE, (90.0, 60.0, 20.0, 30.0), identity="MCP3")
    window.layers[BASELINE].select(first)
    window.activateWindow()
    qtbot.keyClick(window, Qt.Key_1, Qt.ControlModifier)
    table = window.joints_panel.table
    qtbot.waitUntil(table.hasFocus)
    qtbot.keyClick(table, Qt.Key_Down, Qt.ControlModifier)
    assert window.documents[BASELINE].joint(window.selected()[1]).identity == "MCP3"
    centre = window.panes[BASELINE].view_box.viewRect().center()  # on the joint the row went to, not panned past it
    assert (centre.x(), centre.y()) == pytest.approx((90.0, 60.0), abs=0.5)
