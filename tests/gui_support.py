"""Shared pieces of the GUI tests (imported by tests/test_gui_*.py)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPointF, QSettings, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

from jsnviewer.dataset import is_dataset, open_dataset
from jsnviewer.radiograph import Radiograph, StudyIdentity, save_radiograph


def write_radiograph(path: Path, seed: int = 0, shape=(240, 180), patient_id: str = "P001",
                     study_date: date | None = date(2020, 3, 1), laterality: str = "L",
                     pixel_size_mm: float | None = 0.15) -> Path:
    """A 12-bit DICOM (or PNG) radiograph with a bright 'bone' bar on a dim background."""
    rng = np.random.default_rng(seed)
    pixels = rng.normal(600.0, 40.0, size=shape)
    pixels[shape[0] // 4: 3 * shape[0] // 4, shape[1] // 3: 2 * shape[1] // 3] += 2500.0
    pixels = np.clip(np.rint(pixels), 0, 4095).astype(np.float32)
    identity = StudyIdentity(patient_id=patient_id, study_date=study_date, laterality=laterality, modality="DX",
                             patient_name="Doe^Jane")
    save_radiograph(path, Radiograph(pixels, bits_stored=12, pixel_size_mm=pixel_size_mm, identity=identity))
    return path


@pytest.fixture
def study(tmp_path) -> tuple[Path, Path]:
    folder = tmp_path / "study"
    folder.mkdir()
    return (write_radiograph(folder / "baseline.dcm", seed=1, study_date=date(2019, 5, 2)),
            write_radiograph(folder / "followup.dcm", seed=2, study_date=date(2021, 6, 7)))


@pytest.fixture
def settings_store(tmp_path, monkeypatch) -> QSettings:
    """Keep the tests' settings and recent studies out of the user's own QSettings."""
    store = QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat)
    monkeypatch.setattr("jsnviewer.gui.main_window.qsettings", lambda: store)
    monkeypatch.setattr("jsnviewer.gui.study_actions.qsettings", lambda: store)
    return store


@pytest.fixture
def make_window(qtbot, settings_store, tmp_path):
    from jsnviewer.gui.main_window import DEFAULT_SIZE, MainWindow
    from jsnviewer.gui.settings import AppSettings

    def make(dataset: Path | None = None, autosave_delay_s: float = 30.0, made: bool = True):
        """`dataset` is the folder the settings remember, made here (as choosing it in an earlier session
        would have) unless `made` is False."""
        if dataset is not None and made and not is_dataset(dataset):
            open_dataset(dataset, create=True)
        settings = AppSettings(dataset_folder=str(dataset) if dataset else "", autosave_delay_s=autosave_delay_s)
        window = MainWindow(settings)
        window.setWindowState(Qt.WindowNoState)  # the offscreen screen is 800 × 600: keep the desktop size
        window.resize(DEFAULT_SIZE)
        window.ask_before_discarding = False
        qtbot.addWidget(window)
        return window

    return make


def open_and_wait(qtbot, window, baseline, followup=None, timeout=10000):
    """Open and wait until the study is shown and its loading task has ended."""
    with qtbot.waitSignal(window.study_loaded, timeout=timeout):
        window.open_study(baseline, followup)
    qtbot.waitUntil(lambda: window.task is None, timeout=timeout)


def open_retraining_and_wait(qtbot, window, timeout=60000):
    """Analysis ▸ Retrain models…, and its dialog once the dataset is counted in the background (None where none
    opened: no dataset folder, a folder that cannot be read)."""
    window.open_retraining()
    qtbot.waitUntil(lambda: window.retrain_count is None, timeout=timeout)
    dialog = window.retrain_dialog
    return dialog if dialog is not None and dialog.isVisible() else None


def wait_saved(qtbot, window, timeout=10000):
    """Wait until no background save is running."""
    qtbot.waitUntil(lambda: not window.saver.is_busy(), timeout=timeout)


class FakeDrag:
    """Just enough of pyqtgraph's MouseDragEvent to drive a view box's drag handling."""

    def __init__(self, view_box, button, start_view: QPointF, end_view: QPointF, start: bool, finish: bool):
        self._button, self._start, self._finish = button, start, finish
        self._down_scene = view_box.mapViewToScene(start_view)
        self._scene = view_box.mapViewToScene(end_view)
        self.accepted = False

    def button(self):
        return self._button

    def isStart(self):  # noqa: N802
        return self._start

    def isFinish(self):  # noqa: N802
        return self._finish

    def buttonDownScenePos(self, button=None):  # noqa: N802
        return self._down_scene

    def scenePos(self):  # noqa: N802
        return self._scene

    def buttonDownScreenPos(self, button=None):  # noqa: N802
        return self._down_scene

    def screenPos(self):  # noqa: N802
        return self._scene

    def accept(self):
        self.accepted = True


def drag(view_box, start: QPointF, end: QPointF, button=Qt.LeftButton) -> None:
    """A press-move-release drag in view coordinates, as pyqtgraph delivers it."""
    view_box.mouseDragEvent(FakeDrag(view_box, button, start, start, True, False))
    view_box.mouseDragEvent(FakeDrag(view_box, button, start, end, False, False))
    view_box.mouseDragEvent(FakeDrag(view_box, button, start, end, False, True))


def _send(widget, kind, pos, button, buttons) -> None:
    event = QMouseEvent(kind, QPointF(pos), widget.mapToGlobal(QPointF(pos)), button, buttons, Qt.NoModifier)
    QApplication.sendEvent(widget, event)


def mouse_drag(qtbot, pane, start: QPointF, end: QPointF, button=Qt.LeftButton, steps: int = 8) -> None:
    """A real press-move-release of the mouse on a view's viewport, from and to image coordinates."""
    viewport, view_box = pane.graphics.viewport(), pane.view_box
    a = pane.graphics.mapFromScene(view_box.mapViewToScene(start))
    b = pane.graphics.mapFromScene(view_box.mapViewToScene(end))
    _send(viewport, QEvent.MouseMove, a, Qt.NoButton, Qt.NoButton)
    _send(viewport, QEvent.MouseButtonPress, a, button, button)
    for step in range(1, steps + 1):
        _send(viewport, QEvent.MouseMove, a + (b - a) * step / steps, Qt.NoButton, button)
        qtbot.wait(5)
    _send(viewport, QEvent.MouseButtonRelease, b, button, Qt.NoButton)
    qtbot.wait(10)


def wait_drawn(qtbot, window, timeout=10000):
    """Wait until every box and analysis tag is drawn (they are made a few per event-loop turn) and
    the names and tags are placed clear of each other."""
    qtbot.waitUntil(lambda: all(layer is None or layer.settled for layer in window.layers.values())
                    and all(overlay.settled for overlay in window.overlays.values()), timeout=timeout)


@pytest.fixture
def shown_study(qtbot, make_window, study):
    """A shown window with the `study` pair open (no dataset folder)."""
    window = make_window()
    window.show()
    open_and_wait(qtbot, window, *study)
    return window
