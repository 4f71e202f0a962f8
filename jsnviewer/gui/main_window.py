"""The main window: baseline and follow-up side by side, joint boxes, study identity, warnings,
and the follow-up analysis (results table, overlays, joint detail, exports). Opening studies and showing them is in
`study_actions.py`, editing their boxes in `annotation_actions.py`, the analysis's methods in `analysis_actions.py`,
the dataset's (saving, joint crops, COCO) in `dataset_actions.py`; this class inherits them and builds the window.

Everything slow (reading radiographs, hashing them, saving, the analysis, reports) runs in
`Worker`s; the window only reacts to their signals. Errors of any kind end up as a line in the
warnings bar.
"""

from __future__ import annotations

import copy
import logging
import warnings
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QUndoGroup
from PySide6.QtWidgets import (
    QApplication, QDialog, QDialogButtonBox, QDockWidget, QLabel, QMainWindow, QMessageBox,
    QProgressBar, QPushButton, QSplitter, QTableWidget, QTableWidgetItem, QTextBrowser, QVBoxLayout, QWidget,
)

from jsnviewer.dataset import DatasetError
from jsnviewer.errors import JsnError, describe
from jsnviewer.gui.analysis import ModelCache, missing_weights
from jsnviewer.gui.analysis_actions import VISITS, AnalysisActions, joint_view
from jsnviewer.gui.annotation import AnnotationDocument
from jsnviewer.gui.annotation_actions import AnnotationActions
from jsnviewer.gui.autosave import AnnotationSaver
from jsnviewer.gui.dataset_actions import DatasetActions
from jsnviewer.gui.fitting import SCREEN_MARGIN, fit_to_screen, scrolling
from jsnviewer.gui.box_layer import AnnotationLayer
from jsnviewer.gui.image_view import WINDOW_PRESETS, RadiographPane, Tool
from jsnviewer.gui.joint_detail import JointDetailPanel
from jsnviewer.gui.keys import FocusedWidgetKeysFirst
from jsnviewer.gui.log_file import SEND_LOG
from jsnviewer.gui.menus import build_actions, keys_text
from jsnviewer.gui.joints_panel import TABLE_MIN_WIDTH, JointsPanel
from jsnviewer.gui.overlays import ResultOverlay
from jsnviewer.gui.resources import resource_icon
from jsnviewer.gui.results_panel import ResultsPanel
from jsnviewer.gui.retrain_dialog import RetrainDialog
from jsnviewer.gui.settings import (
    AppSettings, SettingsDialog, load_settings, qsettings, save_settings, user_data_folder,
)
from jsnviewer.gui.study_actions import StudyActions
from jsnviewer.gui.study_loading import BASELINE, FOLLOWUP, ROLES
from jsnviewer.gui.study_panel import MIN_WIDTH as STUDY_MIN_WIDTH, StudyPanel
from jsnviewer.gui.unsaved_actions import UnsavedEditsActions
from jsnviewer.gui.unsaved_edits import UnsavedEdits
from jsnviewer.gui.warnings_bar import WarningsBar
from jsnviewer.gui.window_layout import LAYOUT_VERSION, restore_layout, save_layout
from jsnviewer.gui.worker import Worker
from jsnviewer.pipeline.analyze import NoHandToAnalyse
from jsnviewer.retraining import TrainingData, training_data
from jsnviewer.weights import not_found
from jsnviewer.words import counted

log = logging.getLogger(__name__)

DEFAULT_SIZE = QSize(1500, 900)  # the window's size where the screen has room for it
DETAIL_HEIGHT = 270  # the joint detail dock's height where the screen has room for it
PAN_STEP = 0.2  # Ctrl+arrows pan by this share of the view's width or height
COUNTING_FOR_RETRAINING = "Counting the dataset's reviewed radiographs and joint crops for retraining…"


def step_within(at: float, step: float, low: float, high: float) -> float:
    """`step` from `at`, shortened so that it ends no further out than [low, high] (a step back in from
    beyond them is taken whole, one further out not at all)."""
    if step > 0:
        return max(min(at + step, high) - at, 0.0)
    if step < 0:
        return min(max(at + step, low) - at, 0.0)
    return 0.0


def side_widths(window_width: int) -> list[int]:
    """The Study and the Joints / Results panels' widths: 240 and 460 px where the window has room, less in a
    1024–1366 px window (or on a scaled screen), where the two radiographs need the width."""
    return [min(240, max(STUDY_MIN_WIDTH, round(0.17 * window_width))),
            min(460, max(TABLE_MIN_WIDTH + 20, round(0.28 * window_width)))]


class MainWindow(StudyActions, AnnotationActions, AnalysisActions, DatasetActions, UnsavedEditsActions, QMainWindow):
    study_loaded = Signal()  # after a study (or part of one) is shown
    task_finished = Signal(str)  # "done", "cancelled" or "error"
    analysis_finished = Signal(str)  # "done" (results shown), "cancelled", "error" or "discarded"

    def __init__(self, settings: AppSettings | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("mainWindow")
        self.setWindowIcon(resource_icon("jsnviewer"))  # its dialogs show it too
        from jsnviewer.gui.report_export import load_image_plugins

        load_image_plugins()  # before any worker paints a report (see its docstring)
        self.settings = settings or load_settings()
        self._settings_saved = copy.deepcopy(self.settings)  # what the store holds as far as this window knows
        self.ask_before_discarding = True  # tests switch the close-time question off
        self.panes = {role: RadiographPane(role) for role in ROLES}
        self.documents: dict[str, AnnotationDocument | None] = {role: None for role in ROLES}
        self.layers: dict[str, AnnotationLayer | None] = {role: None for role in ROLES}
        self.image_ids: dict[str, str | None] = {role: None for role in ROLES}
        self.session_documents: dict[str, AnnotationDocument] = {}  # image id -> document, for unsaved edits
        self.sandbox_folders: set[Path] = {user_data_folder() / "demo"}  # the demo's images: never saved (demo.py)
        self.active_role = BASELINE
        self.workers: set[Worker] = set()
        self.task: Worker | None = None
        self.model_cache = ModelCache()
        self._analysis_queued = False  # Analyse was asked for while another task ran
        self._export_after_analysis: Callable[[], None] | None = None  # the export the next analysis goes on to
        self._analysis: tuple[Worker, dict] | None = None  # the analysis or joint search running; view -> image id
        self._stopped_as_stale: Worker | None = None  # an analysis stopped because its images went
        # view -> (the image it shows, the Next (+1) / Previous (-1) presses on their way from it): `open_neighbour`
        self._walks: dict[str, tuple[Path, tuple[int, ...]]] = {}
        self._requests = 0  # opening requests made so far (`_claim`)
        self._recorded_pair: tuple[str, str] | None = None  # the study this window last put in Open recent
        self._recorded_alone: str | None = None  # the view it was opened into alone, the other kept (`_record_recent`)
        self.export_folder: Path | None = None  # the folder the user last exported results to (this session)
        self._claims: dict[str, int] = {}  # view (role) -> the latest opening request that will fill it
        self.result = None  # the StudyResult shown
        self._analysed_ids: tuple[str | None, str | None] | None = None
        self._analysed_boxes: dict[str, list] = {}  # per role, the boxes as the result shown measured them
        self.past_results: OrderedDict = OrderedDict()  # `_results_key` -> (result, its analysed boxes, when), newest last
        # (result, dataset folder, the two visits' joints) whose joint crops were last written
        self._crops_saved_for: tuple | None = None
        self.undo_group = QUndoGroup(self)
        self.saver = AnnotationSaver(self.settings.autosave_delay_s, self)
        self.saver.saved.connect(self._saved)
        self.saver.failed.connect(self._save_failed)
        self.saver.conflicted.connect(self._save_conflicted)
        self.saver.radiograph_unavailable.connect(self._save_waits_for_radiograph)
        self.saver.merged.connect(self._save_merged)
        self.dataset_unusable = False  # the remembered dataset folder could not be opened: autosave is off
        self.session_dataset_folder = ""  # `jsnviewer gui --dataset DIR`: this session's folder, not remembered
        self.retrain_dialog: RetrainDialog | None = None
        self.retrain_count: Worker | None = None  # the dataset counted for the Retrain dialog (`open_retraining`)
        self.manual_window = None  # Help ▸ User manual, made when first asked for
        self.import_report: QMessageBox | None = None  # what the last COCO import did and left out
        # where the unsaved edits are kept against a crash (`keep_unsaved_edits`; off in tests that do not ask)
        self.unsaved_edits: UnsavedEdits | None = None
        self.layout_store = None  # where the window's size, place and layout are kept at close (`remember_layout`)

        self.warnings = WarningsBar()
        self.pane_splitter = splitter = QSplitter(Qt.Horizontal)
        for pane in self.panes.values():
            splitter.addWidget(pane)
            pane.title_fitted.connect(self._level_titles)
        splitter.setSizes([1, 1])
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.warnings)
        layout.addWidget(splitter, 1)
        self.setCentralWidget(central)
        self.panes[FOLLOWUP].view_box.setXLink(self.panes[BASELINE].view_box)
        self.panes[FOLLOWUP].view_box.setYLink(self.panes[BASELINE].view_box)
        # An aspect-locked view widens its range when its shape changes and never narrows it again: without a
        # fit after each resize, a whole hand shrank to a third of its view once the joint detail appeared.
        self.fitted = False
        self._refit = QTimer(self)
        self._refit.setSingleShot(True)
        self._refit.setInterval(0)
        self._refit.timeout.connect(lambda: self.fitted and self.fit())
        for pane in self.panes.values():
            pane.view_box.sigResized.connect(self._view_resized)
            pane.view_box.sigRangeChangedManually.connect(self.leave_fit)

        self.overlays = {role: ResultOverlay(self.panes[role].view_box, VISITS[role]) for role in ROLES}
        for overlay in self.overlays.values():
            overlay.on_tag_clicked = self.show_tag_joint
        self.study_panel = StudyPanel()
        self.joints_panel = JointsPanel()
        self.results_panel = ResultsPanel()
        self.detail_panel = JointDetailPanel()
        study_scroll = scrolling(self.study_panel)  # the two visits' details scroll on a small screen
        study_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        study_scroll.setMinimumWidth(self.study_panel.minimumWidth())
        self.study_dock = self._dock(study_scroll, "Study", Qt.LeftDockWidgetArea)
        self.joints_dock = joints_dock = self._dock(scrolling(self.joints_panel), "Joints", Qt.RightDockWidgetArea)
        self.results_dock = self._dock(self.results_panel, "Results", Qt.RightDockWidgetArea)
        self.tabifyDockWidget(joints_dock, self.results_dock)
        joints_dock.raise_()
        # in a scroll area: its five crops and numbers never make the window larger than a small or scaled screen
        self.detail_dock = self._dock(scrolling(self.detail_panel), "Joint detail", Qt.BottomDockWidgetArea)
        self.detail_dock.hide()  # shown with a result: until then its room is the images'
        self.side_panels_moved = False  # the user dragged a side panel's edge: its width is theirs (`event`)

        self.readout = QLabel("")
        self.save_state = QLabel("")
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(220)
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(True)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop the running task (Esc)")
        self.cancel_button.clicked.connect(self.cancel_task)
        self.task_label = QLabel("")
        self._task_name = ""  # the running task ("Analysis"), before its stage in task_label
        status = self.statusBar()
        status.addWidget(self.readout, 1)
        status.addPermanentWidget(self.task_label)
        status.addPermanentWidget(self.progress)
        status.addPermanentWidget(self.cancel_button)
        status.addPermanentWidget(self.save_state)
        self._show_task(None)

        for role, pane in self.panes.items():
            pane.hovered.connect(self.readout.setText)
            pane.activated.connect(lambda r=role: self.set_active_role(r))
            pane.levels_changed.connect(self._show_window_name)
            pane.view_box.box_drawn.connect(lambda rect, r=role: self._box_drawn(r, rect))
            pane.view_box.background_clicked.connect(lambda r=role: self.layers[r] and self.layers[r].select(None))
        self.joints_panel.selected.connect(self._table_selected)
        self.joints_panel.delete_requested.connect(self.delete_selected)
        self.joints_panel.said.connect(lambda text: self.statusBar().showMessage(text, 8000))
        self._walk: list[int] | None = None  # the order N / P walk the boxes in (`_walk_order`)
        self._at: dict[str, int | None] = {role: None for role in ROLES}  # where N / P go on from (`went_to_joint`)
        self.joints_panel.table.horizontalHeader().sortIndicatorChanged.connect(lambda *_: setattr(self, "_walk", None))
        self.joints_panel.accept_requested.connect(self.accept_selected)
        self.results_panel.selected.connect(self.show_results_row)

        self.actions_by_name = build_actions(self)
        self._keys_first = FocusedWidgetKeysFirst(self)
        self._keys_first.install_on(self)
        self.set_tool(Tool.PAN)
        self.set_active_role(BASELINE)
        self._use_remembered_dataset()
        self.show_missing_weights()
        self._update_title()
        self._update_save_state()
        self.setAcceptDrops(True)
        # within the screen with its title bar: the size it takes back when the user un-maximizes it
        size = DEFAULT_SIZE.boundedTo(self.screen().availableGeometry().size() - SCREEN_MARGIN)
        self.resize(size)
        if size != DEFAULT_SIZE:  # a laptop screen: all of it, nothing past its edges
            self.setWindowState(Qt.WindowMaximized)
        self._default_layout = self.saveState(LAYOUT_VERSION)  # what View ▸ Reset window layout goes back to

    def remember_layout(self, store) -> None:
        """Take the size, place and layout the window had when it last closed (`window_layout`), and keep them in
        `store` when it closes (the program does, not the tests); before the window is shown."""
        restore_layout(self, store)
        if self.result is None:  # the joint detail is shown with a result (`show_detail_dock`)
            self.detail_dock.hide()
        self.layout_store = store

    def reset_layout(self) -> None:
        """View ▸ Reset window layout: every panel and the toolbar back where a first start puts them, shown (the
        joint detail with a result), and the side panels' widths fitted to the window again."""
        self.restoreState(self._default_layout, LAYOUT_VERSION)
        for dock in (self.study_dock, self.joints_dock, self.results_dock):
            dock.show()
        self.joints_dock.raise_()
        self.main_toolbar.show()
        self.detail_dock.hide()
        if self.result is not None:
            self.show_detail_dock()
        self.side_panels_moved = False
        self._fit_side_panels()

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width():
            self._fit_side_panels()

    def _fit_side_panels(self) -> None:
        """The side panels as wide as `side_widths` for the window's width (no wider than its screen's): a window
        narrowed by the user gives the radiographs their share as one opened at that size does; where the user
        dragged a panel's edge, its width stays theirs."""
        if not self.side_panels_moved:
            width = min(self.width(), self.screen().availableGeometry().width())
            self.resizeDocks([self.study_dock, self.joints_dock], side_widths(width), Qt.Horizontal)

    def event(self, event: QEvent) -> bool:
        # a press the window gets itself, beside the images and not on a panel, grabs a side panel's edge
        if event.type() == QEvent.MouseButtonPress and event.button() == Qt.LeftButton:
            central, at = self.centralWidget().geometry(), event.position().toPoint()
            if central.top() <= at.y() <= central.bottom() and not central.contains(at):
                self.side_panels_moved = True
        return super().event(event)

    def show_detail_dock(self) -> None:
        """Show the joint detail (hidden while there is no result), at most 30 % of the window's height: on a
        laptop the images and the Joints list need the rest."""
        if not self.detail_dock.isVisible():
            self.detail_dock.show()
            self.resizeDocks([self.detail_dock], [min(DETAIL_HEIGHT, round(0.3 * self.height()))], Qt.Vertical)

    def _level_titles(self) -> None:
        """Both views' titles one height: under a title of two lines (W/L under the file name) one image would
        start lower than the other."""
        height = max(pane.title.sizeHint().height() for pane in self.panes.values())
        for pane in self.panes.values():
            pane.title.setMinimumHeight(height)

    def _share_panes(self) -> None:
        """Both views alike when both visits are open; with one, most of the room to it (the other view keeps its
        place to drop the other visit on)."""
        shown = [self.panes[role].radiograph is not None for role in ROLES]
        shares = [1, 1] if all(shown) or not any(shown) else [3 if s else 1 for s in shown]
        room = max(sum(self.pane_splitter.sizes()), 4)  # sizes are pixels: a share alone would be 3 px and 1 px
        self.pane_splitter.setSizes([room * share // sum(shares) for share in shares])

    # ------------------------------------------------------------------ actions and menus
    def _dock(self, widget: QWidget, title: str, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock{title}")
        dock.setWidget(widget)
        dock.setFeatures(QDockWidget.DockWidgetMovable | QDockWidget.DockWidgetClosable | QDockWidget.DockWidgetFloatable)
        # A dock behind another's tab is only moved off screen: its lists and buttons must leave the Tab
        # order (disabled, not hidden, which would resize the docks at each change of tab)
        dock.visibilityChanged.connect(widget.setEnabled)
        self.addDockWidget(area, dock)
        return dock

    # ------------------------------------------------------------------ background tasks
    def _start(self, worker: Worker, label: str, on_result: Callable[[Any], None] | None = None,
               show_progress: bool = True, connect: Callable[[Worker], None] | None = None) -> Worker:
        """Connect the worker's signals to the window (and `connect` more, after those), then start it."""
        self.workers.add(worker)
        # a task that succeeds ends what was said of its last failure
        worker.signals.result.connect(lambda value, l=label: self.warnings.dismiss(f"task-error-{l}"))
        if on_result is not None:
            worker.signals.result.connect(on_result)
        worker.signals.error.connect(lambda exc, l=label: self._task_error(l, exc))
        worker.signals.finished.connect(lambda w=worker: self._worker_finished(w))
        if show_progress and self.task is None:  # a running task (the analysis) keeps the progress bar
            self.task = worker
            worker.signals.progress.connect(lambda fraction, stage, w=worker: self._task_progress(w, fraction, stage))
            worker.signals.cancelled.connect(lambda l=label: self.statusBar().showMessage(f"{l}: cancelled", 5000))
            self._show_task(label)
        if connect is not None:
            connect(worker)
        return worker.start()

    def run_task(self, fn: Callable[..., Any], *args: Any, label: str = "Working",
                 on_result: Callable[[Any], None] | None = None, **kwargs: Any) -> Worker | None:
        """Run `fn` in the thread pool with the progress bar and Cancel button (the analysis goes here)."""
        if self.task is not None:
            self.warnings.show_message(f"{label} waits: another task is running (cancel it with Esc).", "info",
                                       key="task-busy")
            return None
        return self._start(Worker(fn, *args, **kwargs), label, on_result)

    def cancel_task(self) -> None:
        if self.task is not None and not self.task.is_cancelled():  # once: "— cancelling… — cancelling…" read as two
            self.task.cancel()
            self.task_label.setText(self.task_label.text() + " — cancelling…")
            self.cancel_button.setEnabled(False)

    def step_back(self) -> None:
        """Esc, one step at a time: cancel the running task; else drop the box being drawn and leave the Box or
        Window/level tool for Pan; else let go of the selected box (both images'), which shows its finding's colour
        again. Popups, dialogs and the joint name list keep their own Esc (they are windows of their own)."""
        if self.task is not None and not self.task.is_cancelled():
            self.cancel_task()
        elif self.panes[self.active_role].view_box.tool is not Tool.PAN:
            for pane in self.panes.values():
                pane.view_box.drop_drawing()
            self.set_tool(Tool.PAN)
        else:
            for layer in self.layers.values():
                if layer is not None:
                    layer.select(None)

    def _task_progress(self, worker: Worker, fraction: float, stage: str) -> None:
        if worker is self.task:
            self.progress.setRange(0, 1000)
            self.progress.setValue(int(round(fraction * 1000)))
            if stage and self.cancel_button.isEnabled():  # the stage beside the bar: in it, it was cut to "ints on the follo"
                self.task_label.setText(f"{self._task_name}: {stage}")

    def _task_error(self, label: str, exc: BaseException) -> None:
        if isinstance(exc, (JsnError, OSError)):
            text = describe(exc)
        else:  # a bug, not bad input: still one line in the window, details in the log
            log.error("unexpected %s in a background task", type(exc).__name__, exc_info=exc)
            text = f"{describe(exc)}; {SEND_LOG}"
        self.statusBar().clearMessage()  # it may tell of an earlier success
        self.warnings.dismiss_saying(text)  # a weights file named at start, now the reason it failed: said once
        said = "Not analysed" if isinstance(exc, NoHandToAnalyse) else f"{label} failed"  # a refusal, not a fault
        self.warnings.show_message(f"{said}: {text}", "error", key=f"task-error-{label}")

    def _worker_finished(self, worker: Worker) -> None:
        self.workers.discard(worker)
        if worker is self.task:
            self.task = None
            self._show_task(None)
            self.task_finished.emit("cancelled" if worker.is_cancelled() else "done")
            if self._analysis_queued:
                self._analysis_queued = False
                if not worker.is_cancelled() or worker is self._stopped_as_stale:  # not stopped by the user
                    self.start_analysis()
                else:
                    self._export_after_analysis = None  # it waited for that analysis

    def _show_task(self, label: str | None) -> None:
        busy = label is not None
        self._task_name = label or ""
        self.task_label.setText(label or "")
        self.progress.setVisible(busy)
        self.cancel_button.setVisible(busy)
        self.cancel_button.setEnabled(busy)
        if busy:
            self.progress.setRange(0, 0)  # busy until the first progress report
            self.progress.setFormat("%p%")

    # ------------------------------------------------------------------ viewing
    def set_active_role(self, role: str) -> None:
        self.active_role = role
        for r, pane in self.panes.items():
            pane.set_active(r == role)
        document = self.documents[role]
        if document is not None:
            self.undo_group.setActiveStack(document.undo_stack)
        name = f" — {document.path.name}" if document is not None else ""
        self.joints_panel.set_document(document, f"{role}{name}")
        layer = self.layers[role]
        self.joints_panel.select(layer.selected if layer is not None else None)
        self._show_window_name()
        if any(pane.graphics.hasFocus() for pane in self.panes.values()):  # the keys' outline goes with them (Ctrl+Tab)
            self.panes[role].graphics.setFocus(Qt.OtherFocusReason)

    def _show_window_name(self) -> None:
        """The toolbar's preset box says which window the active image shows: a preset, the file's, or one set by hand."""
        name = self.panes[self.active_role].window_name
        self.preset_box.setPlaceholderText(name)
        self.preset_box.setCurrentIndex(self.preset_box.findText(name))  # -1 shows the placeholder

    def show_list(self, dock: QDockWidget, table: QWidget) -> None:
        """Show a panel's list in front, with the keyboard in it."""
        dock.show()
        dock.raise_()
        table.setFocus(Qt.ShortcutFocusReason)
        if table.rowCount() and not table.selectionModel().hasSelection():  # else the first ↓ skipped the first row
            table.selectRow(max(table.currentRow(), 0))

    def focus_images(self) -> None:
        """Keys to the active image again (after a list or a field had them)."""
        self.panes[self.active_role].graphics.setFocus(Qt.ShortcutFocusReason)

    def switch_image(self) -> None:
        self.set_active_role(FOLLOWUP if self.active_role == BASELINE else BASELINE)

    def set_tool(self, tool: Tool) -> None:
        for pane in self.panes.values():
            pane.view_box.tool = tool
        for layer in self.layers.values():
            if layer is not None:
                layer.set_movable(tool != Tool.BOX)
        self.actions_by_name[f"tool_{tool.value}"].setChecked(True)
        cursor = {Tool.PAN: Qt.OpenHandCursor, Tool.WINDOW: Qt.SizeAllCursor, Tool.BOX: Qt.CrossCursor}[tool]
        for pane in self.panes.values():
            pane.graphics.viewport().setCursor(cursor)

    def fit(self) -> None:
        """The radiographs shown (both, or one alone) whole in their views; they stay fitted as the views change size
        (a dock shown or moved, the window resized) until the user zooms, pans or goes to a joint."""
        shown = [role for role in ROLES if self.panes[role].radiograph is not None]
        if not shown:
            return
        self._set_link_offset(0.0, 0.0)
        union = self.panes[shown[0]].image_rect()
        for role in shown[1:]:
            union = union.united(self.panes[role].image_rect())
        # the range set on a view that shows an image: its linked view, of another size, follows it by screen position
        self.panes[shown[0]].view_box.setRange(union, padding=0.02)
        self.fitted = True

    def leave_fit(self) -> None:
        """The user chose what the views show: a change of their size no longer fits the radiographs again."""
        self.fitted = False

    def _view_resized(self) -> None:
        if self.fitted:
            self._refit.start()  # once the layout settles: a dock shown resizes the views more than once

    def zoom(self, factor: float) -> None:
        self.leave_fit()
        self.panes[self.active_role].view_box.scaleBy((factor, factor))

    def pan(self, right: int, down: int) -> None:
        """Ctrl+arrows: move the active image's view by `PAN_STEP` of its width (`right` ±1) or height (`down` ±1), the
        other image with it as after a middle-drag; the view's centre goes no further than the radiograph's edge, so
        that the radiograph stays in view however often the key is pressed."""
        pane = self.panes[self.active_role]
        image = pane.image_rect()
        if image is None:
            return
        view = pane.view_box.viewRect()
        centre = view.center()
        dx = step_within(centre.x(), right * PAN_STEP * view.width(), image.left(), image.right())
        dy = step_within(centre.y(), down * PAN_STEP * view.height(), image.top(), image.bottom())
        if dx or dy:
            self.leave_fit()
            pane.view_box.translateBy(x=dx, y=dy)

    def reset_window(self) -> None:
        for pane in self.panes.values():
            pane.reset_window()

    def auto_window(self) -> None:
        for pane in self.panes.values():
            pane.auto_window()

    def apply_preset(self, name: str) -> None:
        for pane in self.panes.values():
            pane.apply_preset(name)

    def set_boxes_visible(self, visible: bool) -> None:
        for layer in self.layers.values():
            if layer is not None:
                layer.set_visible(visible)

    def set_jsn_visible(self, visible: bool) -> None:
        for overlay in self.overlays.values():
            overlay.set_visible(visible)

    def set_labels_visible(self, visible: bool) -> None:
        for layer in self.layers.values():
            if layer is not None:
                layer.set_labels_visible(visible)

    def centre_on(self, role: str, uid: int) -> None:
        """Go to a box (N, Shift+N, a Joints row) as a Results row goes to its joint (`joint_view`)."""
        self.leave_fit()
        self.panes[role].view_box.setRange(joint_view(self.documents[role].joint(uid).box), padding=0.0)

    # ------------------------------------------------------------------ settings, help
    def open_settings(self) -> None:
        dialog = SettingsDialog(self.settings, self)
        accepted, values = dialog.exec(), dialog.values()
        dialog.deleteLater()  # a child of the window: each one opened stayed in memory (2.6 MB)
        if accepted:
            if values.dataset_folder != self.settings.dataset_folder:
                if values.dataset_folder and not self.set_dataset_folder(Path(values.dataset_folder)):
                    values.dataset_folder = self.settings.dataset_folder
                elif not values.dataset_folder:
                    self.saver.dataset_root, self.session_dataset_folder = None, ""
                    self.dataset_unusable = False
                    self.warnings.dismiss("dataset")
            self.settings = values
            self.show_missing_weights()
            self.check_weights_in_use()
            self.saver.set_delay(values.autosave_delay_s)
            self._save_settings()
            self._update_save_state()

    def show_missing_weights(self) -> None:
        """Name in the warnings bar each weights file the next analysis would read that is not there, with its model
        and what to do: at start and after Settings, not first when an analysis fails."""
        self.warnings.dismiss_prefix("weights-")  # a damaged file's too (`_warm_up_failed`): it may have been replaced
        for name, path in missing_weights(self.settings).items():
            self.warnings.show_message(describe(not_found(path, name)), "warning", key=f"weights-{name}")

    def open_retraining(self) -> RetrainDialog | None:
        """The Retrain dialog for the dataset folder, once its annotations and joint crops are counted in the
        background (long on a clinic's share; the window is not frozen meanwhile). One at a time: the dialog open is
        raised and returned; pressed again while counting, nothing more starts. Returns None until the dialog is
        shown (`retrain_count` is the count on its way)."""
        if self.retrain_dialog is not None and self.retrain_dialog.isVisible():
            self.retrain_dialog.raise_()
            self.retrain_dialog.activateWindow()
            return self.retrain_dialog
        if self.retrain_count is not None:
            self.statusBar().showMessage(COUNTING_FOR_RETRAINING)
            return None
        root = self.saver.dataset_root
        if root is None:
            self.warnings.show_message("Retraining learns from a dataset folder: choose one first (File ▸ Choose "
                                       "dataset folder…) and annotate in it.", "warning", key="retrain")
            return None
        self.saver.flush()  # the edits of the last minutes are part of the dataset it counts and trains on
        self.saver.wait()
        QApplication.processEvents()  # their joint crops start writing
        worker = self.retrain_count = Worker(training_data, root)
        self.workers.add(worker)
        worker.signals.result.connect(lambda data: self._retraining_counted(root, data))
        worker.signals.error.connect(self._retraining_count_failed)
        worker.signals.finished.connect(lambda w=worker: self._retraining_count_ended(w))
        self.statusBar().showMessage(COUNTING_FOR_RETRAINING)
        worker.start()
        return None

    def _retraining_counted(self, root: Path, data: TrainingData) -> None:
        if self.saver.dataset_root != root:  # another folder chosen (Settings) while it counted: count that one
            self.retrain_count = None
            self.open_retraining()
            return
        self.warnings.dismiss("retrain")
        if self.retrain_dialog is not None:  # closed: its training ended with it
            self.retrain_dialog.deleteLater()
        self.retrain_dialog = RetrainDialog(root, data, dict(self.settings.weights), self.use_weights, self,
                                            device=self.settings.device)
        self.retrain_dialog.show()

    def _retraining_count_failed(self, exc: BaseException) -> None:
        if isinstance(exc, (DatasetError, OSError)):
            self.warnings.show_message(f"Cannot read the dataset for retraining: {exc}", "error", key="retrain")
        else:  # a bug, not a bad folder: said as any background task's
            self._task_error("Counting the dataset", exc)

    def _retraining_count_ended(self, worker: Worker) -> None:
        self.workers.discard(worker)
        if self.retrain_count is worker:
            self.retrain_count = None
            if self.statusBar().currentMessage() == COUNTING_FOR_RETRAINING:
                self.statusBar().clearMessage()

    def use_weights(self, weights: dict[str, str]) -> None:
        """Make the next analyses use these weights files (by model name); saved with the settings."""
        self.settings = replace(self.settings, weights={**self.settings.weights, **weights})
        self._save_settings()
        for name in weights:
            self.warnings.dismiss(f"weights-{name}")
        self.check_weights_in_use()
        self.statusBar().showMessage(f"The next analyses use the new weights of {counted(len(weights), 'model')}", 8000)

    def _save_settings(self) -> None:
        problem = save_settings(self.settings, qsettings(), since=self._settings_saved)
        self._settings_saved = copy.deepcopy(self.settings)
        if problem:
            self.warnings.show_message(problem[0].upper() + problem[1:] + ".", "warning", key="settings")
        else:
            self.warnings.dismiss("settings")

    def show_manual(self) -> None:
        """The manual beside the window (not modal: a reader keeps it open while working)."""
        from jsnviewer.gui.manual import ManualWindow

        if self.manual_window is None:
            manual = ManualWindow(self)
            if not manual.pages.count():
                QMessageBox.warning(self, "User manual", f"The manual is not installed with this program: no pages "
                                    f"in {manual.folder}. It is also in the program's source, in docs/.")
                return
            fit_to_screen(manual, QSize(1100, 900))
            self.manual_window = manual
        self.manual_window.show()
        self.manual_window.raise_()
        self.manual_window.activateWindow()

    def open_demo_study(self) -> None:
        """Help ▸ Try the demo study: the synthetic pair, analysed, as `gui --demo` opens it (a sandbox: nothing of it
        is saved), so that a new user finds it from the window, not only from a shortcut IT made."""
        from jsnviewer.gui.demo import open_demo

        open_demo(self)

    def show_about(self) -> None:
        from jsnviewer.gui.about import about_html

        text = QTextBrowser()  # scrolls on a small screen; IT copies the paths and checksums from here
        text.setHtml(about_html(self.settings))
        text.setOpenLinks(False)
        self._show_modal("About jsnviewer", text, QSize(600, 640))

    def shortcut_rows(self) -> list[tuple[str, str]]:
        """(keys, what they do) for every action with a shortcut, by name (Undo and Redo without the edit they
        would undo now), each with all its keys (`menus.keys_text`), then the mouse. A window/level preset, named in
        its menu alone ('Auto (0.5–99.5 %)'), says that it is one."""
        fixed = {self.actions_by_name["undo"]: "Undo", self.actions_by_name["redo"]: "Redo"}
        fixed |= {action: f"Window/level: {action.text()}" for action in self.actions() if action.text() in WINDOW_PRESETS}
        rows = [(keys_text(action.shortcuts()),
                 fixed.get(action) or action.text().replace("&", "").rstrip(".…"))
                for action in self.actions() if not action.shortcut().isEmpty()]
        rows.sort(key=lambda row: row[1].casefold())
        return rows + [("Wheel", "Zoom"), ("Middle-drag", "Pan"), ("Right-drag", "Window (sideways) / level (up-down)")]

    def show_shortcuts(self) -> None:
        """A list that fits any screen: it scrolls where the screen is too small for it."""
        rows = self.shortcut_rows()
        table = QTableWidget(len(rows), 2)
        table.setHorizontalHeaderLabels(["Keys", "Does"])
        for row, (keys, what) in enumerate(rows):
            table.setItem(row, 0, QTableWidgetItem(keys))
            table.setItem(row, 1, QTableWidgetItem(what))
        table.setEditTriggers(QTableWidget.NoEditTriggers)
        table.verticalHeader().setVisible(False)
        table.horizontalHeader().setStretchLastSection(True)
        table.resizeColumnsToContents()
        self.shortcuts_dialog = self._show_modal("Keyboard shortcuts", table, QSize(460, 640))  # for tests

    def _show_modal(self, title: str, content: QWidget, preferred: QSize) -> QDialog:
        """`content` above an OK button in a modal dialog sized to the screen; freed once closed."""
        dialog = QDialog(self)
        dialog.setWindowTitle(title)
        buttons = QDialogButtonBox(QDialogButtonBox.Ok)
        buttons.accepted.connect(dialog.accept)
        layout = QVBoxLayout(dialog)
        layout.addWidget(content)
        layout.addWidget(buttons)
        fit_to_screen(dialog, preferred)
        dialog.exec()
        dialog.deleteLater()
        return dialog

    def _update_title(self) -> None:
        parts = ["jsnviewer"]
        # each visit's patient: a pair of two patients is named as such, not as the baseline's alone
        patients = list(dict.fromkeys(p.radiograph.identity.patient_id for p in self.panes.values()
                                      if p.radiograph is not None and p.radiograph.identity.patient_id))
        if patients:
            parts.append(f"patient {patients[0]}" if len(patients) == 1 else f"patients {' and '.join(patients)}")
        dates = [p.radiograph.identity.study_date.isoformat() for p in self.panes.values()
                 if p.radiograph is not None and p.radiograph.identity.study_date]
        if dates:
            parts.append(" → ".join(dates))
        dirty = bool(self._unsaved())
        self.setWindowTitle(" — ".join(parts) + (" *" if dirty else ""))

    # ------------------------------------------------------------------ drag and drop, closing
    def dragEnterEvent(self, event) -> None:  # noqa: N802
        if event.mimeData().hasUrls() and any(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802
        paths = [Path(u.toLocalFile()) for u in event.mimeData().urls() if u.isLocalFile()]
        if not paths:
            return
        event.acceptProposedAction()
        target = self.childAt(event.position().toPoint())
        role = None
        while target is not None and role is None:
            role = next((r for r, pane in self.panes.items() if pane is target), None)
            target = target.parentWidget()
        self.open_paths(paths, role)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        if self.saver.enabled:
            self.saver.flush()
            self.saver.wait()
            QApplication.processEvents()  # deliver the save results
        dirty = self._unsaved()
        if dirty and self.ask_before_discarding:
            names = ", ".join(d.path.name for d in dirty)
            answer = QMessageBox.warning(
                self, "Unsaved annotations", f"The boxes of {names} are not saved.\n\nSave them before quitting?",
                QMessageBox.Save | QMessageBox.Discard | QMessageBox.Cancel, QMessageBox.Save)
            if answer == QMessageBox.Cancel or (answer == QMessageBox.Save and not self._save_and_wait()):
                event.ignore()
                return
        if self.retrain_dialog is not None and self.retrain_dialog.running:
            # a comparison is stopped unasked: nothing is lost, it runs again when the dialog opens again
            if self.ask_before_discarding and not self.retrain_dialog.comparing and QMessageBox.question(
                    self, "Training is running", "Models are being retrained. Stop the training and quit?",
                    QMessageBox.Yes | QMessageBox.No, QMessageBox.No) != QMessageBox.Yes:
                event.ignore()
                return
            self.retrain_dialog.cancel()
        for worker in list(self.workers):  # their late signals must not reach a closed window
            worker.cancel()
            for signal in (worker.signals.progress, worker.signals.result, worker.signals.error,
                           worker.signals.cancelled, worker.signals.finished):
                with warnings.catch_warnings():  # a signal nobody connected to warns; nothing to undo then
                    warnings.simplefilter("ignore", RuntimeWarning)
                    try:
                        signal.disconnect()
                    except (RuntimeError, TypeError):
                        pass
        self.workers.clear()
        if self.unsaved_edits is not None:  # saved, or discarded as the user answered: nothing to offer back
            self.unsaved_edits.close()
        if self.layout_store is not None:
            save_layout(self, self.layout_store)
        event.accept()

    def _save_and_wait(self) -> bool:
        if not self.save_annotations():
            return False
        self.saver.wait()
        QApplication.processEvents()
        return not self._unsaved()
