"""The window on the screens radiologists read on: a small laptop screen, a high-resolution monitor."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QApplication, QToolBar

from jsnviewer.gui.main_window import BASELINE, FOLLOWUP
from gui_support import make_window, open_retraining_and_wait, settings_store, shown_study, study  # noqa: F401
from test_gui_analysis import analysed  # noqa: F401 (the analysed window fixture)


@pytest.fixture
def window(shown_study):
    return shown_study


def window_on_a_screen(qtbot, monkeypatch, width: int, height: int):
    """A new window on a screen whose room (less its task bar) is `width` × `height`, filling it."""
    from PySide6.QtCore import QRect

    from jsnviewer.gui.main_window import MainWindow
    from jsnviewer.gui.settings import AppSettings

    class Screen:
        def availableGeometry(self):  # noqa: N802
            return QRect(0, 0, width, height)

    monkeypatch.setattr(MainWindow, "screen", lambda self: Screen())
    window = MainWindow(AppSettings())
    qtbot.addWidget(window)
    window.setWindowState(Qt.WindowNoState)  # the offscreen platform has no window manager to maximize it
    window.resize(width, height)
    window.show()
    qtbot.waitExposed(window)
    return window


def test_the_window_fits_a_1280_by_720_laptop_screen(qtbot, window):
    from jsnviewer.gui.resources import style_sheet

    app = QApplication.instance()
    app.setStyleSheet(style_sheet())  # as the program shows it
    try:
        least = window.minimumSizeHint()
    finally:
        app.setStyleSheet("")
    assert least.width() <= 1280 and least.height() <= 720 - 40  # a title bar and a task bar besides


def test_on_a_screen_smaller_than_its_usual_size_the_window_opens_maximized(qtbot, settings_store):
    from jsnviewer.gui.main_window import DEFAULT_SIZE, MainWindow
    from jsnviewer.gui.settings import AppSettings

    window = MainWindow(AppSettings())
    qtbot.addWidget(window)
    available = window.screen().availableGeometry().size()
    assert available.width() < DEFAULT_SIZE.width()  # the offscreen screen, 800 × 600
    assert window.windowState() & Qt.WindowMaximized
    assert window.size().width() <= max(available.width(), window.minimumSizeHint().width())
    window.setWindowState(Qt.WindowNoState)  # un-maximized: its title bar stays on the screen (it took 768 of 768 px)
    assert window.height() + 30 <= available.height() and window.width() <= available.width()


def test_the_joint_crops_are_drawn_in_the_screens_own_pixels_on_a_scaled_monitor(qtbot, monkeypatch):
    from jsnviewer.gui.joint_detail import JointDetailPanel

    panel = JointDetailPanel()
    qtbot.addWidget(panel)
    panel.resize(1600, 420)
    panel.show()
    picture = panel.tiles["fixed"].image
    monkeypatch.setattr(picture, "devicePixelRatioF", lambda: 2.0)  # QT_SCALE_FACTOR=2, a 4K reading monitor
    drawn = []
    monkeypatch.setattr(picture, "setPixmap", lambda pixmap: drawn.append(QPixmap(pixmap)))
    crop = np.random.default_rng(0).integers(0, 256, (256, 256, 3), dtype=np.uint8)
    panel.tiles["fixed"].set_rgb(crop)
    side = min(picture.width(), picture.height())
    assert drawn[-1].devicePixelRatio() == 2.0
    assert drawn[-1].width() == 2 * side  # not `side` pixels blown up to twice their size: a blurred crop


def test_box_outlines_and_handles_keep_their_size_beside_the_text_on_a_scaled_monitor(qtbot, window, monkeypatch):
    def selected_box(role):
        uid = window.add_box(role, (50.0, 60.0, 20.0, 30.0), identity="MCP2")
        return window.layers[role].items[uid]

    plain = selected_box(FOLLOWUP)
    monkeypatch.setattr(window.panes[BASELINE].graphics, "devicePixelRatioF", lambda: 2.0)  # a 4K monitor at 200 %
    scaled = selected_box(BASELINE)
    assert scaled.pen.widthF() == 2 * plain.pen.widthF()  # cosmetic pens are physical pixels: 1.75 px at 200 %
    assert scaled.getHandles()[0].radius == 2 * plain.getHandles()[0].radius  # the resize handles, to grab


def test_on_a_laptop_screen_the_joints_list_shows_four_rows_and_the_joint_detail_gives_way(qtbot, settings_store,
                                                                                          monkeypatch):
    window = window_on_a_screen(qtbot, monkeypatch, 1280, 690)  # a 1280 × 720 screen less its task bar
    table = window.joints_panel.table
    qtbot.waitUntil(lambda: table.viewport().height() > 0)
    assert table.viewport().height() >= 4 * table.verticalHeader().defaultSectionSize()  # four boxes or more
    assert not window.detail_dock.isVisible()  # nothing to detail before an analysis: the images have its room
    window.show_detail_dock()  # as a result does
    qtbot.waitUntil(lambda: window.detail_dock.height() <= 0.3 * 690 + 30 < 270)  # its title bar besides; 270 where there is room
    assert not window.joints_panel.hint.isVisible()  # the two-line hint makes room for the rows


@pytest.mark.parametrize("scale", [1, 1.25, 1.5, 2])  # display scaling: 100 %, 125 %, 150 %, 200 %
def test_the_toolbar_icons_are_sharp_at_any_scale_and_a_disabled_button_looks_dim(qtbot, window, scale):
    from PySide6.QtCore import QSize
    from PySide6.QtGui import QIcon

    def brightness(pixmap) -> float:
        image = pixmap.toImage()
        values = [image.pixelColor(x, y) for x in range(image.width()) for y in range(image.height())]
        drawn = [c for c in values if c.alpha() > 128]
        return sum(c.lightness() for c in drawn) / len(drawn)

    bar = window.findChild(QToolBar, "mainToolbar")
    named = {action.iconText(): action.icon() for action in bar.actions() if action.iconText()}
    for name in ("Open", "Open folder", "Save", "Analyse", "Undo", "Redo"):
        icon = named[name]
        assert not icon.isNull(), name
        big = icon.pixmap(48, 48)
        assert big.width() == 48  # drawn at the size asked (a vector icon), not a small bitmap enlarged
        enabled, disabled = (icon.pixmap(QSize(24, 24), scale, mode) for mode in (QIcon.Normal, QIcon.Disabled))
        assert disabled.width() == enabled.width() == round(24 * scale), name  # in the screen's own pixels
        # at 125 % and 150 % the disabled Undo and Redo were drawn brighter than the enabled buttons beside them
        assert brightness(disabled) < 0.6 * brightness(enabled), (name, scale)
    assert not window.windowIcon().isNull()  # the program's own icon in the task bar


def test_the_box_being_drawn_has_the_outlines_thickness_on_a_scaled_monitor(qtbot, window, monkeypatch):
    from jsnviewer.gui.image_view import Tool
    from gui_support import FakeDrag

    window.set_tool(Tool.BOX)
    view_box = window.panes[BASELINE].view_box
    monkeypatch.setattr(window.panes[BASELINE].graphics, "devicePixelRatioF", lambda: 2.0)  # a 4K monitor at 200 %
    start, end = QPointF(40, 40), QPointF(80, 90)
    view_box.mouseDragEvent(FakeDrag(view_box, Qt.LeftButton, start, start, True, False))
    view_box.mouseDragEvent(FakeDrag(view_box, Qt.LeftButton, start, end, False, False))
    assert view_box._rubber.isVisible() and view_box._rubber.pen().widthF() == 3.0  # 1.5 px at 100 %


def test_on_a_1024_px_screen_the_radiographs_get_most_of_the_width(qtbot, settings_store, study, monkeypatch):
    """At 1024 × 768 the side panels took 700 px and each radiograph's view was 153 px wide: a hand 100 px across."""
    from gui_support import open_and_wait

    window = window_on_a_screen(qtbot, monkeypatch, 1024, 740)
    open_and_wait(qtbot, window, *study)
    window.show_detail_dock()
    qtbot.waitUntil(lambda: window.panes[BASELINE].view_box.width() > 0)
    widths = [window.panes[role].view_box.width() for role in (BASELINE, FOLLOWUP)]
    assert min(widths) >= 250, widths
    assert window.joints_dock.width() >= 260 and window.study_dock.width() >= 170  # still readable


def test_a_window_narrowed_to_1024_px_gives_the_radiographs_the_width_a_1024_px_screen_does(qtbot, settings_store,
                                                                                           study, monkeypatch):
    """On a 1366 px screen, a window narrowed to 1024 px kept its side panels at 232 + 382 px, sized for the screen:
    each view was 197 px wide and its title cut the file name, where a 1024 px screen gave each 274 px. A side panel
    whose edge the user dragged keeps the width they gave it."""
    from gui_support import open_and_wait

    def views(window):
        qtbot.waitUntil(lambda: window.panes[BASELINE].view_box.width() > 0)
        qtbot.wait(50)  # the docks laid out at the new width
        return [window.panes[role].width() for role in (BASELINE, FOLLOWUP)], window.panes[BASELINE].title.text()

    opened = window_on_a_screen(qtbot, monkeypatch, 1024, 740)
    open_and_wait(qtbot, opened, *study)
    at_1024 = views(opened)
    narrowed = window_on_a_screen(qtbot, monkeypatch, 1366, 740)
    open_and_wait(qtbot, narrowed, *study)
    assert min(views(narrowed)[0]) > max(at_1024[0])
    narrowed.resize(1024, 740)
    assert views(narrowed) == at_1024

    narrowed.resize(1366, 740)
    views(narrowed)
    central, dock = narrowed.centralWidget().geometry(), narrowed.joints_dock.geometry()
    edge = QPointF((central.right() + dock.left()) / 2, central.center().y())
    # the Joints panel's edge dragged 100 px: the press grabs it; the offscreen platform does not carry out the
    # move, the window's own resizeDocks does what it would
    qtbot.mousePress(narrowed, Qt.LeftButton, pos=edge.toPoint())
    narrowed.resizeDocks([narrowed.joints_dock], [dock.width() + 100], Qt.Horizontal)
    qtbot.mouseRelease(narrowed, Qt.LeftButton, pos=(edge - QPointF(100, 0)).toPoint())
    views(narrowed)
    dragged = narrowed.joints_dock.width()
    assert dragged == dock.width() + 100
    narrowed.resize(1200, 740)
    views(narrowed)
    assert narrowed.joints_dock.width() == dragged


def test_at_twice_the_scale_on_a_full_hd_screen_the_window_with_its_joint_detail_fits(qtbot, window):
    """QT_SCALE_FACTOR=2 on 1920 × 1080 is a 960 × 540 screen: the joint detail's five crops and numbers made the
    window 948 × 665 at least, its status bar and the detail's lower half below the screen's edge."""
    from jsnviewer.gui.resources import style_sheet

    app = QApplication.instance()
    app.setStyleSheet(style_sheet())
    try:
        window.show_detail_dock()
        least = window.minimumSizeHint()
    finally:
        app.setStyleSheet("")
    assert least.width() <= 960 and least.height() <= 540 - 40, least  # a title bar and a task bar besides


@pytest.mark.parametrize("opens", ["open_settings", "show_about", "show_shortcuts", "open_retraining"])
def test_each_dialog_fits_a_full_hd_screen_at_twice_the_scale_with_its_buttons_in_view(qtbot, make_window, tmp_path,
                                                                                      monkeypatch, opens):
    """At QT_SCALE_FACTOR=2 on 1920 × 1080 (960 × 540) Settings' OK and About's OK were below the screen's edge, and
    the Retrain dialog was 1041 px wide on a 1024 px screen (a model's reason on one line)."""
    from PySide6.QtCore import QSize
    from PySide6.QtWidgets import QAbstractButton, QDialog

    import jsnviewer.gui.fitting
    from jsnviewer.gui.resources import style_sheet

    room = QSize(960, 540) - jsnviewer.gui.fitting.SCREEN_MARGIN
    monkeypatch.setattr(jsnviewer.gui.fitting, "room_on_screen", lambda widget: room)
    seen = []

    def look(dialog):
        dialog.show()
        qtbot.waitExposed(dialog)
        buttons = [b for b in dialog.findChildren(QAbstractButton) if b.isVisible() and b.text() in ("OK", "Close")]
        seen.append((dialog.size(), dialog.minimumSizeHint(), [b.mapTo(dialog, b.rect().bottomRight()) for b in buttons]))
        dialog.hide()
        return 0

    monkeypatch.setattr(QDialog, "exec", look)
    app = QApplication.instance()
    app.setStyleSheet(style_sheet())  # as the program shows it
    try:
        window = make_window(tmp_path / "dataset")
        dialog = open_retraining_and_wait(qtbot, window) if opens == "open_retraining" else getattr(window, opens)()
        if dialog is not None:  # the Retrain dialog is not modal
            look(dialog)
    finally:
        app.setStyleSheet("")
    size, least, corners = seen[-1]
    assert size.width() <= room.width() and size.height() <= room.height(), size
    assert least.width() <= room.width() and least.height() <= room.height(), least
    assert corners and all(0 <= c.x() < size.width() and 0 <= c.y() < size.height() for c in corners)


@pytest.mark.parametrize("width", [200, 160, 130])
def test_a_narrow_views_title_says_its_visit_and_its_whole_window_level(qtbot, window, width):
    """Under about 210 px (Full HD at 200 % with the Study panel open, 1024 × 768) the title was cut at its end:
    "Follow-up  ·  W 2676  L 18…", a level that reads as another number."""
    from jsnviewer.gui.resources import style_sheet

    app = QApplication.instance()
    app.setStyleSheet(style_sheet())  # its bold title, as shown
    try:
        for role in (BASELINE, FOLLOWUP):
            pane = window.panes[role]
            pane.setFixedWidth(width)
            qtbot.waitUntil(lambda: pane.width() == width)
            title = pane.title
            lines = title.text().split("\n")
            assert lines[0].startswith(role)
            assert f"W {pane.window_width:.0f}  L {pane.window_center:.0f}" in lines  # W/L whole, on a line of its own
            assert all(title.fontMetrics().horizontalAdvance(line) <= title.contentsRect().width() for line in lines)
            qtbot.waitUntil(lambda: title.height() >= title.sizeHint().height())  # both lines shown, not the first alone
    finally:
        app.setStyleSheet("")


@pytest.mark.parametrize("width, height", [(1024, 740), (960, 510)])  # 1024 × 768; Full HD at 200 %
def test_on_a_small_screen_every_toolbar_button_is_on_the_bar_not_behind_its_overflow_menu(qtbot, settings_store,
                                                                                          monkeypatch, width, height):
    """At 1024 px the preset box went behind the toolbar's » menu, at 960 px Auto W/L with it."""
    from PySide6.QtGui import QKeySequence
    from PySide6.QtWidgets import QToolButton

    from jsnviewer.gui.resources import style_sheet

    app = QApplication.instance()
    app.setStyleSheet(style_sheet())  # as the program shows it
    try:
        window = window_on_a_screen(qtbot, monkeypatch, width, height)
        bar = window.findChild(QToolBar, "mainToolbar")
        buttons = {action: bar.widgetForAction(action) for action in bar.actions() if not action.isSeparator()}
        qtbot.waitUntil(lambda: all(button.isVisible() for button in buttons.values()))
        assert all(bar.rect().contains(button.geometry()) for button in buttons.values())
        assert not bar.findChild(QToolButton, "qt_toolbar_ext_button").isVisible()
        for action, button in buttons.items():  # an icon without its name still says it, and its key, when pointed at
            keys = action.shortcut().toString(QKeySequence.NativeText)
            assert button.toolTip() and keys in button.toolTip(), action.iconText()
        window.resize(1500, 900)  # room again: the names come back beside the icons
        qtbot.waitUntil(lambda: bar.toolButtonStyle() == Qt.ToolButtonTextBesideIcon)
        assert bar.sizeHint().width() <= bar.width()
    finally:
        app.setStyleSheet("")


@pytest.mark.parametrize("width", [200, 160, 130])
def test_a_narrow_views_notes_of_names_and_tags_hidden_for_room_show_whole(qtbot, analysed, width):
    """Under about 200 px (1024 × 768 with the Study panel open, Full HD at 200 %) the view cut the note of the
    names hidden for room to "4 joint names hidden for", and the tags' one likewise: it breaks onto lines instead."""
    from test_gui_name_room import crowd as crowd_names
    from test_gui_tag_room import crowd as crowd_tags

    window, result = analysed
    panes = [window.panes[role] for role in (BASELINE, FOLLOWUP)]
    for pane in panes:
        pane.setFixedWidth(width)
    qtbot.waitUntil(lambda: all(pane.width() == width for pane in panes))
    crowd_tags(qtbot, window, result)  # on the follow-up
    crowd_names(qtbot, window, 0.5)  # on the baseline
    notes = {BASELINE: window.layers[BASELINE].note, FOLLOWUP: window.overlays[FOLLOWUP].note}
    for role, note in notes.items():
        graphics = window.panes[role].graphics
        shown = QRectF(graphics.viewport().rect()).adjusted(-0.5, -0.5, 0.5, 0.5)
        seen = graphics.viewportTransform().mapRect(note.sceneBoundingRect())  # where it is drawn on the view
        assert note.isVisible() and shown.contains(seen), (note.toPlainText(), seen, shown)
        assert "\n" in note.toPlainText()  # one line where there is room (test_gui_name_room, test_gui_tag_room)


def test_a_notes_lines_break_where_they_read_best():
    from jsnviewer.gui.box_layer import broken, hidden_names_note
    from jsnviewer.gui.overlays import crowded_note

    assert broken(hidden_names_note(4), 1) == hidden_names_note(4)
    assert broken(hidden_names_note(4), 2) == "4 joint names hidden\nfor room: zoom in"
    assert broken(crowded_note(1), 2) == "1 JSN tag hidden\nfor room: zoom in"
    assert broken(hidden_names_note(12), 3) == "12 joint names\nhidden for\nroom: zoom in"


def columns_whole(qtbot, table) -> list[int]:
    """The columns the table shows, checked whole: header and cells, none beyond its edge to scroll to."""
    header = table.horizontalHeader()

    def no_sideways_scrolling() -> None:
        in_view = table.isVisible() and not table.horizontalScrollBar().isVisible()
        assert in_view, f"columns {header.length()} px wide in {table.viewport().width()} px"

    qtbot.waitUntil(no_sideways_scrolling)
    shown = [c for c in range(table.columnCount()) if not table.isColumnHidden(c)]
    for column in shown:
        x = header.sectionViewportPosition(column)
        assert 0 <= x and x + header.sectionSize(column) <= table.viewport().width(), column
        assert header.sectionSize(column) >= max(header.sectionSizeHint(column), table.sizeHintForColumn(column)), column
    return shown


def results_of_joints_named(qtbot, window, study, names: list[str]):
    """The study opened and shown with results of a joint measured, of each name in `names` (the three joints of
    `measured_result` over again): the result and the two image ids."""
    import dataclasses

    from gui_support import open_and_wait
    from test_gui_analysis import measured_result

    open_and_wait(qtbot, window, *study)
    result = measured_result(window.panes[BASELINE].radiograph, window.panes[FOLLOWUP].radiograph)
    result.joints = [dataclasses.replace(result.joints[k % 3], identity=name) for k, name in enumerate(names)]
    ids = (window.image_ids[BASELINE], window.image_ids[FOLLOWUP])
    assert window.show_results(result, ids)
    return result, ids


@pytest.mark.parametrize("width, height", [(1024, 740), (960, 510)])  # 1024 × 768; Full HD at 200 %
def test_on_a_small_screen_the_results_and_the_joints_show_their_columns_whole(qtbot, settings_store, study, monkeypatch,
                                                                                width, height):
    """At 1024 × 768 and Full HD at 200 % both tables scrolled sideways: the results' findings at baseline and
    follow-up, the joints' status, centre and size lay beyond the panel's edge."""
    from gui_support import wait_drawn
    from jsnviewer.gui.resources import style_sheet

    app = QApplication.instance()
    app.setStyleSheet(style_sheet())  # as the program shows it
    try:
        window = window_on_a_screen(qtbot, monkeypatch, width, height)
        names = [f"{row}{finger}" for row in ("MCP", "PIP", "DIP") for finger in range(2, 6)]  # a hand's worth
        # ankylosis on one visit or both, subluxation on the follow-up
        result, ids = results_of_joints_named(qtbot, window, study, names)
        wait_drawn(qtbot, window)
        table = window.results_panel.table
        assert columns_whole(qtbot, table) == [0, 1, 2, 3, 4]
        for joint in result.joints:  # both findings on both visits: the findings give way, the joint's colour tells them
            joint.baseline.findings.update(ankylosis=True, subluxation=True)
            joint.followup.findings.update(ankylosis=True, subluxation=True)
        assert window.show_results(result, ids)
        assert columns_whole(qtbot, table)[:3] == [0, 1, 2]  # the joint, its value and whether it is reliable

        window.joints_dock.raise_()
        joints = window.joints_panel.table
        assert columns_whole(qtbot, joints)[:3] == [0, 1, 2]  # the box's name, findings and status
        assert joints.visibleRegion().boundingRect().width() == joints.width()  # nor cut at the panel's edge
    finally:
        app.setStyleSheet("")


def rows_cut(table) -> list[int]:
    """The rows the table shows in part only: cut at its top or at its foot."""
    room = table.viewport().rect()
    return [row for row in range(table.rowCount())
            if table.visualRect(table.model().index(row, 0)).intersects(room)
            and not room.contains(table.visualRect(table.model().index(row, 0)))]


@pytest.mark.parametrize("width, height", [(1024, 740), (1366, 740)])  # 1024 × 768, 1366 × 768
def test_on_a_laptop_screen_the_results_table_shows_whole_rows_wherever_it_scrolls_to(qtbot, settings_store, study,
                                                                                     monkeypatch, width, height):
    """Choosing the last joints (a click on a view's tag, or a row scrolled to) showed the row at the top of the
    table cut in half: the table was not a whole number of rows high, and Qt lines up the last row with its foot."""
    from gui_support import wait_drawn
    from jsnviewer.gui.resources import style_sheet
    from jsnviewer.joints import JOINT_IDENTITIES

    app = QApplication.instance()
    app.setStyleSheet(style_sheet())  # as the program shows it
    try:
        window = window_on_a_screen(qtbot, monkeypatch, width, height)
        names = [f"{hand} {joint}" for hand in "RL" for joint in JOINT_IDENTITIES]  # both hands: more than fit
        results_of_joints_named(qtbot, window, study, names)
        wait_drawn(qtbot, window)
        window.results_dock.raise_()
        panel, table = window.results_panel, window.results_panel.table
        qtbot.waitUntil(lambda: table.isVisible() and table.verticalScrollBar().isVisible())  # too many rows to show all
        for identity in (panel.row_identities()[-1], panel.row_identities()[0], panel.row_identities()[-4]):
            panel.select_identity(identity)
            QApplication.processEvents()
            row = panel.row_identities().index(identity)
            assert table.viewport().rect().contains(table.visualRect(table.model().index(row, 0))), identity
            assert rows_cut(table) == [], identity
    finally:
        app.setStyleSheet("")


def _colours(picture, rect) -> list[tuple[int, int, int]]:
    return [picture.pixelColor(x, y).getRgb()[:3] for x in range(rect.left(), rect.right() + 1)
            for y in range(rect.top(), rect.bottom() + 1)]


@pytest.mark.parametrize("kind", ["check box", "radio button"])
def test_an_unticked_box_is_outlined_clearly_on_the_dark_panels(qtbot, kind):
    """Unticked, "Both hands", "Ankylosis" or "Bone masks" showed a square barely darker than the panel (1.2:1): a
    reader saw a bare word, not a box to tick. Its outline now stands out as a field's does (3:1, WCAG's least for a
    control), and the tick or dot stands out on a ticked one."""
    from PySide6.QtWidgets import QCheckBox, QRadioButton, QStyle, QStyleOptionButton, QVBoxLayout, QWidget

    from colour_vision import contrast
    from jsnviewer.gui.resources import style_sheet

    app = QApplication.instance()
    app.setStyleSheet(style_sheet())  # as the program shows it
    try:
        panel = QWidget()
        layout = QVBoxLayout(panel)
        button = (QCheckBox if kind == "check box" else QRadioButton)("Both hands")
        layout.addWidget(button)
        qtbot.addWidget(panel)
        panel.show()
        qtbot.waitExposed(panel)
        option = QStyleOptionButton()
        button.initStyleOption(option)
        element = QStyle.SE_CheckBoxIndicator if kind == "check box" else QStyle.SE_RadioButtonIndicator
        box = button.style().subElementRect(element, option, button).translated(button.pos())
        assert box.width() >= 11 and box.height() >= 11
        picture = panel.grab().toImage()
        assert picture.devicePixelRatio() == 1
        background = picture.pixelColor(1, 1).getRgb()[:3]
        assert max(contrast(colour, background) for colour in _colours(picture, box)) >= 3.0
        button.setChecked(True)
        picture = panel.grab().toImage()
        middle = set(_colours(picture, box.adjusted(4, 4, -4, -4)))  # the tick or the dot on the box's fill
        assert max(contrast(a, b) for a in middle for b in middle) >= 3.0
    finally:
        app.setStyleSheet("")


@pytest.mark.parametrize("kind", ["QSpinBox", "QDoubleSpinBox"])
def test_a_spin_boxs_up_and_down_arrows_stand_out_on_the_dark_field(qtbot, kind):
    """The Settings dialog's number boxes showed two blank dark buttons (1.4:1 against the field): nothing said
    they step the value up and down. Their arrows now stand out (3:1, WCAG's least for a control), still when the
    box is off, and dimmer then than when it is on."""
    from PySide6 import QtWidgets
    from PySide6.QtWidgets import QStyle, QStyleOptionSpinBox, QVBoxLayout, QWidget

    from colour_vision import contrast
    from jsnviewer.gui.resources import style_sheet

    app = QApplication.instance()
    app.setStyleSheet(style_sheet())  # as the program shows it
    try:
        panel = QWidget()
        layout = QVBoxLayout(panel)
        spin = getattr(QtWidgets, kind)()
        spin.setRange(0, 100)
        spin.setValue(20)
        layout.addWidget(spin)
        qtbot.addWidget(panel)
        panel.resize(300, 60)
        panel.show()
        qtbot.waitExposed(panel)

        def arrows_contrast() -> list[float]:
            option = QStyleOptionSpinBox()
            spin.initStyleOption(option)
            picture = panel.grab().toImage()
            assert picture.devicePixelRatio() == 1
            field = picture.pixelColor(spin.x() + spin.width() // 2, spin.y() + spin.height() // 2).getRgb()[:3]
            shown = []
            for button in (QStyle.SC_SpinBoxUp, QStyle.SC_SpinBoxDown):
                rect = spin.style().subControlRect(QStyle.CC_SpinBox, option, button, spin).translated(spin.pos())
                assert rect.width() >= 8 and rect.height() >= 6
                shown.append(max(contrast(colour, field) for colour in _colours(picture, rect)))
            return shown

        on = arrows_contrast()
        assert min(on) >= 3.0, on
        spin.setEnabled(False)
        off = arrows_contrast()
        assert min(off) >= 3.0 and max(off) < min(on), (on, off)
    finally:
        app.setStyleSheet("")


@pytest.mark.parametrize("width, height", [(1024, 740), (960, 510)])  # 1024 × 768; Full HD at 200 %
def test_on_a_small_screen_the_study_panel_shows_each_visits_date_whole(qtbot, settings_store, study, monkeypatch,
                                                                        width, height):
    """At 1024 × 768 the Study panel showed "2019-05-0" beside its name: a date that has nowhere to break went
    on past the panel's edge instead of under its name."""
    from gui_support import open_and_wait
    from jsnviewer.gui.resources import style_sheet

    app = QApplication.instance()
    app.setStyleSheet(style_sheet())  # as the program shows it
    try:
        window = window_on_a_screen(qtbot, monkeypatch, width, height)
        open_and_wait(qtbot, window, *study)
        for role, shown in ((BASELINE, "2019-05-02"), (FOLLOWUP, "2021-06-07")):
            for name in ("Study date", "Patient ID", "Modality", "Bits stored"):
                label = window.study_panel.values[role][name]
                text = label.text()
                if name == "Study date":
                    assert text == shown
                needs = label.fontMetrics().horizontalAdvance(text)
                qtbot.waitUntil(lambda: not label.parentWidget().layout().geometry().isEmpty())
                QApplication.sendPostedEvents(None, 0)  # the panel laid out for the texts of this study
                assert label.contentsRect().width() >= needs, (role, name, text)
                viewport = window.study_dock.widget().viewport()  # the panel scrolls up and down, never sideways
                left = label.mapTo(viewport, label.contentsRect().topLeft()).x()
                assert 0 <= left and left + needs <= viewport.width(), (role, name, text)
    finally:
        app.setStyleSheet("")


@pytest.mark.parametrize("width, height", [(1280, 680), (1024, 740)])  # Full HD at 150 %; 1024 × 768
def test_once_the_study_panel_scrolls_a_radiographs_size_keeps_its_unit_on_its_line(qtbot, settings_store, study,
                                                                                    monkeypatch, width, height):
    """At 150 % on a Full HD screen, once the joint detail took its room and the Study panel's scroll bar appeared,
    the size read "1253 × 1609" with "px" alone on the next line (at 1024 × 768: "240 ×", then "180 px")."""
    from gui_support import open_and_wait
    from jsnviewer.gui.resources import style_sheet

    app = QApplication.instance()
    app.setStyleSheet(style_sheet())  # as the program shows it
    try:
        window = window_on_a_screen(qtbot, monkeypatch, width, height)
        open_and_wait(qtbot, window, *study)
        window.show_detail_dock()  # as a result shows it
        scroll = window.study_dock.widget()
        qtbot.waitUntil(lambda: scroll.verticalScrollBar().isVisible())
        QApplication.sendPostedEvents(None, 0)  # the panel laid out in the room the scroll bar leaves
        for role in (BASELINE, FOLLOWUP):
            size = window.study_panel.values[role]["Size"]
            assert size.text().endswith(" px")
            needs = size.fontMetrics().horizontalAdvance(size.text())
            assert size.contentsRect().width() >= needs and size.contentsRect().height() < 2 * size.fontMetrics().height()
            left = size.mapTo(scroll.viewport(), size.contentsRect().topLeft()).x()
            assert 0 <= left and left + needs <= scroll.viewport().width(), role
            pixel = window.study_panel.value(role, "Pixel size")
            assert pixel.startswith("0.15") and " mm/px" not in pixel  # no line breaks between the number and its unit
    finally:
        app.setStyleSheet("")


def test_at_1024_by_768_a_long_hand_or_file_name_goes_under_its_name_not_down_a_narrow_column(
        qtbot, settings_store, monkeypatch, tmp_path):
    """A JPEG's hand read "right / (from the / joints; / the file / does not / say)" down a column a word wide
    beside its name, the file "UAB001- / RH.jpg" split at its hyphen, while the size went under its name whole."""
    import dataclasses

    from gui_support import open_and_wait, write_radiograph
    from jsnviewer.gui.resources import style_sheet

    app = QApplication.instance()
    app.setStyleSheet(style_sheet())  # as the program shows it
    try:
        window = window_on_a_screen(qtbot, monkeypatch, 1024, 740)
        pair = [write_radiograph(tmp_path / f"UAB00{n}-RH.dcm", seed=n) for n in (1, 2)]
        open_and_wait(qtbot, window, *pair)
        window.show_detail_dock()  # as a result shows it
        for role in (BASELINE, FOLLOWUP):
            radiograph = window.panes[role].radiograph
            identity = dataclasses.replace(radiograph.identity, laterality=None)
            unstated = dataclasses.replace(radiograph, identity=identity)
            window.study_panel.set_radiograph(role, unstated, "R")
        scroll = window.study_dock.widget()
        qtbot.waitUntil(lambda: scroll.verticalScrollBar().isVisible())
        QApplication.sendPostedEvents(None, 0)  # the panel laid out in the room the scroll bar leaves
        for role in (BASELINE, FOLLOWUP):
            hand, file = (window.study_panel.values[role][name] for name in ("Hand", "File"))
            assert hand.text() == "right (from the joints; the file does not say)"
            qtbot.waitUntil(lambda: hand.height() > 0)
            assert hand.height() <= 3 * hand.fontMetrics().lineSpacing() + 2, (role, hand.height())
            assert file.height() < 2 * file.fontMetrics().lineSpacing(), (role, file.height())  # one line
            assert file.contentsRect().width() >= file.fontMetrics().horizontalAdvance(file.text())
    finally:
        app.setStyleSheet("")


@pytest.mark.parametrize("width, height", [(1024, 740), (1600, 960)])  # 1024 × 768; 1600 × 1000
def test_the_study_panel_shows_every_value_in_one_column_beside_or_under_its_name(qtbot, settings_store, monkeypatch,
                                                                                  tmp_path, width, height):
    """At 1024 × 768 the Study panel read ragged: "Hand  right", "Modality  DX" and "Bits stored  12" beside their
    names, the file, date, size and pixel size under theirs, so the values started at two places."""
    import dataclasses

    from gui_support import open_and_wait, write_radiograph
    from jsnviewer.gui.resources import style_sheet

    app = QApplication.instance()
    app.setStyleSheet(style_sheet())  # as the program shows it
    try:
        window = window_on_a_screen(qtbot, monkeypatch, width, height)
        pair = [write_radiograph(tmp_path / f"UAB00{n}-RH-hand-radiograph.dcm", seed=n) for n in (1, 2)]
        open_and_wait(qtbot, window, *pair)
        window.show_detail_dock()  # as a result shows it
        for role in (BASELINE, FOLLOWUP):  # a JPEG's hand, the longest value the panel shows
            radiograph = window.panes[role].radiograph
            identity = dataclasses.replace(radiograph.identity, laterality=None)
            unstated = dataclasses.replace(radiograph, identity=identity)
            window.study_panel.set_radiograph(role, unstated, "R")
        scroll = window.study_dock.widget()
        qtbot.waitUntil(lambda: not window.study_panel.layout().geometry().isEmpty())
        QApplication.sendPostedEvents(None, 0)  # the panel laid out for these texts
        viewport = scroll.viewport()
        assert not scroll.horizontalScrollBar().isVisible()
        lefts, beside = set(), set()
        for role in (BASELINE, FOLLOWUP):
            for name, label in window.study_panel.values[role].items():
                form = label.parentWidget().layout()
                title = form.labelForField(label)
                assert title.text() == name
                place = label.mapTo(viewport, label.contentsRect().topLeft())
                lefts.add(place.x())
                top = label.mapTo(viewport, label.rect().topLeft()).y()
                beside.add(title.mapTo(viewport, title.rect().topLeft()).y() == top)
                assert 0 <= place.x() and place.x() + label.contentsRect().width() <= viewport.width(), (role, name)
                if not label.wordWrap():  # read whole on its line
                    assert label.contentsRect().width() >= label.fontMetrics().horizontalAdvance(label.text()), name
        assert len(lefts) == 1, lefts  # every value of both visits starts at one x
        assert beside == {width >= 1600}  # beside its name where the panel has room for all, else all under theirs
    finally:
        app.setStyleSheet("")


def test_with_six_warnings_at_1280_by_800_the_images_keep_most_of_the_height_and_each_warning_reads_whole(
        qtbot, settings_store, monkeypatch):
    """The warnings bar grew with every message: with the joint detail open and a few two-line warnings the images
    were left a strip (55 % of the room above the detail with six; ~280 px with four on a real desktop's fonts)."""
    from PySide6.QtWidgets import QLabel

    window = window_on_a_screen(qtbot, monkeypatch, 1280, 800)
    window.show_detail_dock()
    text = ("Saved annotations not loaded: the file is not valid JSON (line 3). That file is left as it is (autosave "
            "too leaves it alone); once you have drawn or corrected boxes on this image, Ctrl+S saves them and keeps "
            "that file beside them as .json.unreadable for repair.")
    for number in range(6):
        window.warnings.show_message(f"{number + 1}. {text}", ("info", "warning", "error")[number % 3])
    central = window.centralWidget()
    qtbot.wait(50)
    assert window.pane_splitter.height() >= 0.7 * central.height()
    bar = window.warnings
    labels = [label for label in bar.findChildren(QLabel) if label.text().endswith("for repair.")]
    assert len(labels) == 6
    assert labels[-1].visibleRegion().boundingRect().height() == labels[-1].height()  # the newest is in sight
    for label in labels:  # each one can be scrolled to and read whole
        bar.scroll.ensureWidgetVisible(label, 0, 0)
        qtbot.wait(10)
        assert label.visibleRegion().boundingRect().height() == label.height()
        assert label.heightForWidth(label.width()) <= label.height()  # not cut short: its lines all shown


def test_a_warnings_bar_that_scrolls_shows_its_newest_messages_whole_not_a_slice_of_the_one_above(
        qtbot, settings_store, monkeypatch):
    """The demo's three-line note, then a joint named twice and the results out of date (two lines each), at
    1366 × 768 with the joint detail open: the bar, scrolled to the newest, showed the demo note's last line cut
    in half above them. It is as high as the newest messages that fit, so each one shows whole or not at all."""
    from PySide6.QtCore import QPoint

    window = window_on_a_screen(qtbot, monkeypatch, 1366, 768)
    window.show_detail_dock()
    words = "The boxes changed since the analysis: the results shown measure the boxes as they were. "
    for number, (text, level) in enumerate(((words * 4, "info"), (words, "warning"), (words, "info"))):
        window.warnings.show_message(f"{number + 1}. {text}", level)
    qtbot.wait(50)
    bar = window.warnings
    viewport = bar.scroll.viewport()
    messages = [m for m in bar.scroll.widget().children() if getattr(m, "text", None) in
                {text for _, text in bar.messages()}]
    assert len(messages) == 3 and bar.scroll.verticalScrollBar().maximum() > 0  # more than the bar shows
    in_sight = []
    for message in messages:
        top = message.mapTo(viewport, QPoint(0, 0)).y()
        bottom = top + message.height()
        assert bottom <= 0 or top >= viewport.height() or (top >= 0 and bottom <= viewport.height()), \
            (message.text[:12], top, bottom, viewport.height())
        in_sight.append(0 <= top < viewport.height())
    assert in_sight[-1]  # the newest in sight


def test_in_an_enlarged_joint_detail_each_crops_title_stays_over_its_crop_level_with_the_colour_scale(qtbot):
    """A tall detail dock on a narrow screen (the crops as large as the width allows): the titles floated halfway
    down the panel, far above their crops, and the colour scale stood above the crops it belongs to."""
    from jsnviewer.gui.joint_detail import JointDetailPanel

    panel = JointDetailPanel()
    qtbot.addWidget(panel)
    panel.resize(1280, 420)
    panel.show()
    qtbot.waitExposed(panel)
    for tile in panel.tiles.values():
        title, image = tile.title.geometry(), tile.image.geometry()
        assert image.height() < tile.height() - 60  # the width, not the height, limits the crop here
        assert title.height() <= tile.title.fontMetrics().height() + 6  # one line: its text sits on the crop
        assert 0 <= image.top() - title.bottom() <= 6, (title, image)
    image_top = panel.tiles["fixed"].image.mapTo(panel, panel.tiles["fixed"].image.rect().topLeft()).y()
    bar_top = panel.colour_bar.mapTo(panel, panel.colour_bar.rect().topLeft()).y()
    assert abs(bar_top - image_top) <= 3


@pytest.mark.parametrize("height", [200, 330, 600])  # a laptop's dock; the docs' picture; a floating dock
def test_the_bone_masks_legend_sits_under_the_crops_it_explains_whatever_the_panels_height(qtbot, height):
    """In a tall joint detail panel the legend sat at the panel's foot, far below the crops."""
    from PySide6.QtCore import QPoint

    from jsnviewer.gui.joint_detail import MIN_TILE_PX, JointDetailPanel

    panel = JointDetailPanel()
    qtbot.addWidget(panel)
    panel.resize(1366, height)
    panel.show()
    crop = np.random.default_rng(0).integers(0, 256, (256, 256, 3), dtype=np.uint8)
    for tile in panel.tiles.values():
        tile.set_rgb(crop)
    picture = panel.tiles["fixed"].image

    def gap() -> int:
        return panel.masks.mapTo(panel, QPoint(0, 0)).y() - picture.mapTo(panel, QPoint(0, picture.height())).y()

    # right under the crops (the colour scale's "0" beside it the only thing between), once the panel is laid out
    qtbot.waitUntil(lambda: picture.height() == picture.maximumHeight() and 0 <= gap() <= 2 * panel.masks.height())
    assert picture.height() > MIN_TILE_PX  # the crops as large as the panel allows still
    assert panel.masks.mapTo(panel, QPoint(0, panel.masks.height())).y() <= panel.height()  # and on the panel
