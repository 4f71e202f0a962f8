"""The window's actions, its menus and its toolbar: every key of the window in one place (docs/gui.md lists
them; Help ▸ Keyboard shortcuts shows them)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QComboBox, QMainWindow, QToolBar

from jsnviewer.gui.image_view import FILE_WINDOW, WINDOW_PRESETS, Tool
from jsnviewer.gui.resources import resource_icon
from jsnviewer.gui.study_loading import BASELINE, FOLLOWUP


def keys_text(keys: list[QKeySequence]) -> str:
    """An action's keys as the manual writes them: each once, "or" between them, Return by the name the keyboard and
    the manual give it, Enter (the keypad's Enter then reads the same), and a zero key said to be one: in some window
    fonts Ctrl+0 reads as Ctrl+O. Keys of multimedia keyboards that the desktop's own keys add (Open, Save, Zoom In,
    Redo: no key of most keyboards) are left out."""
    names: list[str] = []
    for key in keys:
        if key.isEmpty() or key[key.count() - 1].key().value >= Qt.Key_Back.value:
            continue
        name = key.toString(QKeySequence.NativeText).replace("Return", "Enter")
        if name.split("+")[-1] == "0":
            name += " (zero)"
        if name not in names:
            names.append(name)
    return " or ".join(names)


SAVE_TIP = "Save the boxes to the dataset folder"
SAVE_TIP_IN_DEMO = "The demo is shown: nothing of the demo is saved, its edits stay in this window"


def key_in_tip(action: QAction) -> str:
    """' (Enter)', ' (Ctrl+0, zero)': an action's first key as its tooltip ends; '' for an action without one."""
    shown = keys_text([action.shortcut()]).replace(" (zero)", ", zero")
    return f" ({shown})" if shown else ""


def window_action(window: QMainWindow, text: str, slot: Callable[..., Any],
                  shortcut: str | QKeySequence | QKeySequence.StandardKey | list[str] | None = None, tip: str = "",
                  icon: str | None = None, checkable: bool = False) -> QAction:
    """A window action; `shortcut` may be a list of keys (the first is the one shown)."""
    action = QAction(text, window)
    if isinstance(shortcut, list):
        action.setShortcuts([QKeySequence(key) for key in shortcut])
    elif isinstance(shortcut, QKeySequence.StandardKey):
        action.setShortcuts(QKeySequence.keyBindings(shortcut))
    elif shortcut is not None:
        action.setShortcut(QKeySequence(shortcut))
    action.setToolTip(f"{tip or text.replace('&', '').replace('…', '')}{key_in_tip(action)}")
    if icon is not None:
        action.setIcon(resource_icon(icon))
    action.setCheckable(checkable)
    action.triggered.connect(lambda checked=False: slot(checked) if checkable else slot())
    window.addAction(action)  # shortcuts work wherever the focus is
    return action


def build_actions(window) -> dict[str, QAction]:
    """Every action of the window (by name), its menus and its toolbar."""
    a: dict[str, QAction] = {}
    act = partial(window_action, window)
    a["open"] = act("&Open radiographs…", window.open_dialog, QKeySequence.Open,
                    "Open a baseline and a follow-up: select one or two files", "open")
    a["open_baseline"] = act("Open &baseline…", lambda: window.open_dialog(BASELINE), "Ctrl+Shift+B")
    a["open_followup"] = act("Open &follow-up…", lambda: window.open_dialog(FOLLOWUP), "Ctrl+Shift+F")
    a["open_folder"] = act("Open study &folder…", window.open_folder_dialog, "Ctrl+Shift+O",
                           "Open a folder of radiographs: the earliest is the baseline, the latest the follow-up; "
                           "files that state no date, such as JPEGs, are taken in file-name order", "folder")
    a["next_image"] = act("Ne&xt image in the folder", lambda: window.open_neighbour(1), "PgDown",
                          "Open the next radiograph of the active image's folder, by file name, in its view")
    a["previous_image"] = act("Pre&vious image in the folder", lambda: window.open_neighbour(-1), "PgUp",
                              "Open the previous radiograph of the active image's folder, by file name, in its view")
    a["save"] = act("&Save annotations", window.save_annotations, QKeySequence.Save, SAVE_TIP, "save")
    a["dataset"] = act("Choose &dataset folder…", window.choose_dataset_folder, "Ctrl+D")
    a["coco"] = act("&Export dataset as COCO JSON…", window.export_coco, "Ctrl+E")
    a["coco_import"] = act("&Import COCO JSON into the dataset…", window.import_coco, tip=
                           "Bring in boxes corrected in another tool (CVAT, labelme) or COCO files from elsewhere")
    a["settings"] = act("Se&ttings…", window.open_settings,  # Preferences has no key on Linux
                        QKeySequence.keyBindings(QKeySequence.Preferences) or ["Ctrl+,"])
    a["quit"] = act("&Quit", window.close, QKeySequence.Quit)

    a["undo"] = window.undo_group.createUndoAction(window, "&Undo")
    a["undo"].setShortcut(QKeySequence.Undo)
    a["undo"].setIcon(resource_icon("undo"))
    a["redo"] = window.undo_group.createRedoAction(window, "&Redo")
    redo_keys = [QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")]
    redo_keys += [k for k in QKeySequence.keyBindings(QKeySequence.Redo) if k not in redo_keys]
    a["redo"].setShortcuts(redo_keys)
    a["redo"].setIcon(resource_icon("redo"))
    window.addAction(a["undo"])
    window.addAction(a["redo"])
    a["add_box"] = act("Add bo&x", window.add_box_here, "Ins",
                       "Add a box at the centre of the active image's view, sized like its other boxes: "
                       "move it with the arrows, name it with I")
    a["delete"] = act("&Delete box", window.delete_selected, QKeySequence.Delete)
    a["delete"].setShortcuts([QKeySequence(QKeySequence.Delete), QKeySequence("Backspace")])
    a["accept"] = act("&Accept proposal", window.accept_selected, ["Return", "Enter"])
    a["accept_all"] = act("Accept all named proposals", window.accept_all, ["Shift+Return", "Shift+Enter"])
    a["ankylosis"] = act("Toggle &ankylosis", lambda: window.toggle_finding("ankylosis"), "K")
    a["subluxation"] = act("Toggle s&ubluxation", lambda: window.toggle_finding("subluxation"), "U")
    a["identity"] = act("Set &identity…", window._focus_identity, "I")
    a["other_hand"] = act("Name joints as the other &hand", window.name_as_other_hand, tip=
                          "Name the active image's boxes as the other hand's joints (left ↔ right), from where they lie: "
                          "where the program guessed the hand wrongly")
    a["next"] = act("&Next box", lambda: window.select_next(1), "N")
    a["previous"] = act("&Previous box", lambda: window.select_next(-1), "Shift+N")
    for key, (dx, dy) in {"Left": (-1, 0), "Right": (1, 0), "Up": (0, -1), "Down": (0, 1)}.items():
        act(f"Nudge {key.lower()}", lambda dx=dx, dy=dy: window.nudge(dx, dy), key)
        act(f"Nudge {key.lower()} 10 px", lambda dx=dx, dy=dy: window.nudge(10 * dx, 10 * dy), f"Shift+{key}")
        act(f"Pan {key.lower()}", lambda dx=dx, dy=dy: window.pan(dx, dy), f"Ctrl+{key}")  # a fifth of the view

    tools = QActionGroup(window)
    a["tool_pan"] = act("&Pan tool", lambda checked: window.set_tool(Tool.PAN), "H",
                        "Pan: left-drag moves the images", checkable=True)
    a["tool_window"] = act("&Window/level tool", lambda checked: window.set_tool(Tool.WINDOW), "W",
                           "Window/level: left-drag sideways = width, up/down = level", checkable=True)
    a["tool_box"] = act("&Box tool", lambda checked: window.set_tool(Tool.BOX), "B",
                        "Box: left-drag draws a new joint box", checkable=True)
    for name in ("tool_pan", "tool_window", "tool_box"):
        tools.addAction(a[name])
    a["fit"] = act("&Fit to window", window.fit, "F")
    a["zoom_in"] = act("Zoom in", lambda: window.zoom(1 / 1.25),
                       QKeySequence.keyBindings(QKeySequence.ZoomIn) + [QKeySequence("Ctrl+=")])
    a["other_image"] = act("&Other image (baseline ↔ follow-up)", window.switch_image, "Ctrl+Tab",
                           "Make the other radiograph the one that boxes, undo and keys act on")
    a["zoom_out"] = act("Zoom out", lambda: window.zoom(1.25), QKeySequence.ZoomOut)
    a["reset_window"] = act("&Reset window/level", window.reset_window, "R",
                            "Window/level from the file")
    a["auto_window"] = act("&Auto window/level", window.auto_window, "A",
                           "Window/level from each image's own grey levels")
    presets = []
    for number, name in enumerate(WINDOW_PRESETS, start=1):
        presets.append(act(name, lambda n=name: window.apply_preset(n), str(number),
                           f"Window/level preset {name} for both images"))
    a["show_boxes"] = act("Show &boxes", window.set_boxes_visible, "Ctrl+B", checkable=True)
    a["show_labels"] = act("Show &labels", window.set_labels_visible, "L", checkable=True)
    a["show_boxes"].setChecked(True)
    a["show_labels"].setChecked(True)
    a["show_jsn"] = act("Show &JSN values", window.set_jsn_visible, "J", checkable=True)
    a["show_jsn"].setChecked(True)
    a["joints_list"] = act("&Joints list", lambda: window.show_list(window.joints_dock, window.joints_panel.table),
                           "Ctrl+1", "The boxes of the active image: arrows move through them")
    a["results_list"] = act("&Results list", lambda: window.show_list(window.results_dock, window.results_panel.table),
                            "Ctrl+2", "The joints measured: arrows move through them")
    a["images"] = act("The &images", window.focus_images, "Ctrl+0",
                      "The keyboard back to the images: arrows nudge the selected box")
    a["cancel"] = act("Cancel task", window.cancel_task, tip="Stop the running task (Esc)")
    a["step_back"] = act("Cancel task, box drawing or selection", window.step_back, "Esc",
                         "Cancel the running task; else drop the box being drawn and go back to the Pan tool; "
                         "else let go of the selected box")
    a["analyse"] = act("A&nalyse", window.start_analysis, "Ctrl+R",
                       "Find the joints, flag findings and measure JSN progression (runs in the background); "
                       "with one radiograph open, find its joints and findings as proposals",
                       "analyse")
    a["export_csv"] = act("Export results as &CSV…", window.export_csv_dialog, "Ctrl+Shift+C")
    a["export_report"] = act("Export &report (PDF or PNG)…", window.export_report_dialog, "Ctrl+P",
                             "Overview picture and results table as a PDF or PNG")
    a["save_results"] = act("Save results &folder…", window.save_results_dialog, "Ctrl+Shift+S",
                            "results.json, results.csv, overview.png and per-joint pictures")
    for name in ("export_csv", "export_report", "save_results"):
        a[name].setEnabled(False)
    a["retrain"] = act("Re&train models on the dataset…", window.open_retraining, tip=
                       "Fine-tune the models on the dataset's confirmed boxes and joints (in the background)")

    menu = window.menuBar()
    file_menu = menu.addMenu("&File")
    for name in ("open", "open_baseline", "open_followup", "open_folder", None, "next_image", "previous_image"):
        file_menu.addSeparator() if name is None else file_menu.addAction(a[name])
    window.recent_menu = file_menu.addMenu("Open &recent")
    window.recent_menu.aboutToShow.connect(window.fill_recent_menu)
    file_menu.addSeparator()
    for name in ("save", "dataset", "coco", "coco_import"):
        file_menu.addAction(a[name])
    file_menu.addSeparator()
    file_menu.addAction(a["settings"])
    file_menu.addAction(a["quit"])
    edit_menu = menu.addMenu("&Edit")
    for name in ("undo", "redo", None, "add_box", "delete", "identity", "other_hand", "ankylosis", "subluxation", "accept", "accept_all",
                 None, "next", "previous"):
        edit_menu.addSeparator() if name is None else edit_menu.addAction(a[name])
    view_menu = menu.addMenu("&View")
    for name in ("tool_pan", "tool_window", "tool_box", None, "other_image", "fit", "zoom_in", "zoom_out", None,
                 "reset_window", "auto_window"):
        view_menu.addSeparator() if name is None else view_menu.addAction(a[name])
    preset_menu = view_menu.addMenu("Window &presets")
    for action in presets:
        preset_menu.addAction(action)
    view_menu.addSeparator()
    view_menu.addAction(a["show_boxes"])
    view_menu.addAction(a["show_labels"])
    view_menu.addAction(a["show_jsn"])
    panels = view_menu.addMenu("Pa&nels")  # a panel closed with its ✕ comes back from here
    for dock in (window.study_dock, window.joints_dock, window.results_dock, window.detail_dock):
        panels.addAction(dock.toggleViewAction())
    bar = MainToolbar("Toolbar")
    bar.setObjectName("mainToolbar")
    window.main_toolbar = bar
    panels.addAction(bar.toggleViewAction())  # a toolbar hidden from its right-click menu comes back from here too
    panels.addSeparator()
    for name in ("images", "joints_list", "results_list"):
        panels.addAction(a[name])
    a["reset_layout"] = act("Reset window &layout", window.reset_layout, tip=
                            "Every panel and the toolbar back where a first start puts them")
    view_menu.addAction(a["reset_layout"])
    analysis_menu = menu.addMenu("&Analysis")
    for name in ("analyse", "cancel", None, "export_csv", "export_report", "save_results", None, "retrain"):
        analysis_menu.addSeparator() if name is None else analysis_menu.addAction(a[name])
    help_menu = menu.addMenu("&Help")
    help_menu.addAction(act("&User manual", window.show_manual, "Shift+F1"))
    help_menu.addAction(act("&Keyboard shortcuts", window.show_shortcuts, "F1"))
    help_menu.addSeparator()
    help_menu.addAction(act("Try the &demo study", window.open_demo_study))
    help_menu.addAction(act("&About jsnviewer", window.show_about))

    # short names on the toolbar, so it fits the window (the menus keep the full ones)
    for name, short in (("open", "Open"), ("open_folder", "Open folder"), ("save", "Save"),
                        ("tool_pan", "Pan"), ("tool_window", "W/L"), ("tool_box", "Box"), ("fit", "Fit"),
                        ("reset_window", "Reset W/L"), ("auto_window", "Auto W/L")):
        a[name].setIconText(short)
    for name in ("open", "open_folder", "save", None, "analyse", None, "undo", "redo", None, "tool_pan",
                 "tool_window", "tool_box", None, "fit", "reset_window", "auto_window"):
        bar.addSeparator() if name is None else bar.addAction(toolbar_undo(window, a[name]) if name in ("undo", "redo")
                                                              else a[name])
    window.preset_box = QComboBox()
    window.preset_box.addItems(list(WINDOW_PRESETS))
    window.preset_box.setToolTip("Window/level preset for both images (1–4)")
    window.preset_box.activated.connect(lambda i: window.apply_preset(window.preset_box.itemText(i)))
    window.preset_box.setPlaceholderText(FILE_WINDOW)  # shown while the window applied is no preset
    window.preset_box.setCurrentIndex(-1)
    bar.addWidget(window.preset_box)
    window.addToolBar(bar)
    return a


class MainToolbar(QToolBar):
    """Names beside the icons where the window has room for them, the icons alone where it has not (1024 px, Full HD
    at 200 %; their tooltips say what they do and their keys), so that no button goes behind the toolbar's » menu."""

    def __init__(self, title: str) -> None:
        super().__init__(title)
        self.setToolButtonStyle(Qt.ToolButtonTextBesideIcon)
        self._named_length = 0  # the bar's length with the names, as last measured with them shown

    def _length(self, size: QSize) -> int:
        return size.width() if self.orientation() == Qt.Horizontal else size.height()

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        room = self._length(self.size())
        if self.toolButtonStyle() == Qt.ToolButtonTextBesideIcon:
            self._named_length = self._length(self.sizeHint())  # all its buttons', those in the » menu too
            if self._named_length > room:
                self.setToolButtonStyle(Qt.ToolButtonIconOnly)  # a button without an icon keeps its name
        elif self._named_length <= room:
            self.setToolButtonStyle(Qt.ToolButtonTextBesideIcon)


def toolbar_undo(window: QMainWindow, action: QAction) -> QAction:
    """Undo or Redo for the toolbar: a fixed name (the menu's "Undo Move box" would shift every button after
    it at each edit), what it undoes in its tip."""
    button = QAction(action.icon(), action.text().split()[0].replace("&", ""), window)
    button.triggered.connect(action.trigger)

    def follow() -> None:
        button.setEnabled(action.isEnabled())
        button.setToolTip(action.text().replace("&", "") + key_in_tip(action))

    action.changed.connect(follow)
    follow()
    return button
