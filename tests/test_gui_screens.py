"""The window on the screens radiologists read on: a small laptop screen, a high-resolution monitor."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from gui_support import make_window, settings_store, shown_study, study  # noqa: F401


@pytest.fixture
def window(shown_study):
    return shown_study


def test_the_window_fits_a_1280_by_720_laptop_screen(qtbot, window):
    from jsnviewer.gui.app import resources_dir

    app = QApplication.instance()
    app.setStyleSheet((resources_dir() / "style.qss").read_text(encoding="utf-8"))  # as the program shows it
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
