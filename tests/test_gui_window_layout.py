"""What the window keeps between starts (`jsnviewer.gui.window_layout`): its size and place, its panels and
toolbar, brought back onto the screens there are now, and View ▸ Reset window layout."""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QRect, QSettings, Qt

from gui_support import make_window, settings_store  # noqa: F401
from jsnviewer.gui.window_layout import GEOMETRY_KEY, LAYOUT_KEY, within

LAPTOP = QRect(0, 0, 1366, 768)


def next_start(make_window, store: QSettings, areas: list[QRect] | None = None, monkeypatch=None):
    """A window made as the program makes it at a start (the layout the last one left in `store`), on `areas`."""
    if areas is not None:
        monkeypatch.setattr("jsnviewer.gui.window_layout.screen_areas", lambda: areas)
    window = make_window()
    window.remember_layout(store)
    window.show()
    return window


def test_a_window_left_on_the_right_monitor_opens_whole_on_the_laptop_screen():
    left = QRect(2500, 100, 1300, 900)  # the right half of two 1920 px monitors side by side
    inside = within(left, [LAPTOP])
    assert LAPTOP.contains(inside)
    assert inside.size() == left.size().boundedTo(LAPTOP.size())
    # on the two monitors it stays where it was left, on the one it overlaps most
    assert within(left, [QRect(0, 0, 1920, 1080), QRect(1920, 0, 1920, 1080)]) == QRect(2500, 100, 1300, 900)


def test_the_panels_come_back_as_they_were_left_closed_floated_and_the_menu_says_so(qtbot, make_window,
                                                                                       settings_store):
    first = make_window()
    first.remember_layout(settings_store)
    first.show()
    first.results_dock.close()
    first.study_dock.setFloating(True)
    first.main_toolbar.hide()
    first.close()

    window = next_start(make_window, settings_store)
    assert not window.results_dock.isVisible() and not window.results_dock.toggleViewAction().isChecked()
    assert window.study_dock.isFloating() and window.study_dock.isVisible()
    assert not window.main_toolbar.isVisible() and not window.main_toolbar.toggleViewAction().isChecked()
    window.results_dock.toggleViewAction().trigger()  # View ▸ Panels ▸ Results
    window.main_toolbar.toggleViewAction().trigger()  # View ▸ Panels ▸ Toolbar
    assert window.results_dock.isVisible() and window.main_toolbar.isVisible()
    assert not window.detail_dock.isVisible()  # no result yet: its room is the images'


def test_a_window_and_a_floated_panel_left_off_the_screens_come_back_on_the_screen(qtbot, make_window,
                                                                                    settings_store, monkeypatch):
    first = make_window()
    first.remember_layout(settings_store)
    first.show()
    first.setGeometry(150, 120, 620, 560)
    first.study_dock.setFloating(True)
    first.study_dock.setGeometry(600, 500, 250, 400)
    first.close()

    small = QRect(0, 0, 500, 400)  # that screen gone, a smaller one left
    window = next_start(make_window, settings_store, [small], monkeypatch)
    assert small.contains(window.frameGeometry()) or window.windowState() & Qt.WindowMaximized
    assert window.study_dock.isFloating() and small.contains(window.study_dock.frameGeometry())


def test_a_damaged_or_older_layout_opens_the_default_one_and_says_nothing(qtbot, make_window, settings_store):
    for geometry, layout in ((b"not a geometry", b"\x00\x00\x00\xffgarbage"), ("hand-edited", "text"),
                             (None, None)):
        settings_store.setValue(GEOMETRY_KEY, QByteArray(geometry) if isinstance(geometry, bytes) else geometry)
        settings_store.setValue(LAYOUT_KEY, QByteArray(layout) if isinstance(layout, bytes) else layout)
        window = next_start(make_window, settings_store)
        assert all(dock.isVisible() and not dock.isFloating() for dock in (window.study_dock, window.joints_dock))
        assert window.main_toolbar.isVisible() and not window.warnings.messages()
    older = make_window()
    older.results_dock.close()
    settings_store.setValue(LAYOUT_KEY, older.saveState(0))  # a layout of an earlier version of the window
    window = next_start(make_window, settings_store)
    assert window.results_dock.toggleViewAction().isChecked() and not window.warnings.messages()


def test_reset_window_layout_brings_every_panel_and_the_toolbar_back(qtbot, make_window):
    window = make_window()
    window.show()
    window.study_dock.setFloating(True)
    window.joints_dock.close()
    window.results_dock.close()
    window.main_toolbar.hide()
    reset = window.actions_by_name["reset_layout"]
    assert reset in window.menuBar().actions()[2].menu().actions()  # View ▸ Reset window layout
    reset.trigger()
    docks = (window.study_dock, window.joints_dock, window.results_dock)
    assert all(dock.isVisible() and not dock.isFloating() for dock in docks)
    assert all(dock.toggleViewAction().isChecked() for dock in docks) and window.main_toolbar.isVisible()
    assert window.dockWidgetArea(window.study_dock) == Qt.LeftDockWidgetArea
    assert window.tabifiedDockWidgets(window.joints_dock) == [window.results_dock]
    assert not window.detail_dock.isVisible()
