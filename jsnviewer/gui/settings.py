"""Application settings kept with QSettings, the program's per-user folder, and the dialog that edits the settings.

The analysis reads device, registration method, thresholds and weights through
`jsnviewer.gui.analysis.analysis_settings`. The thresholds are the detection ensemble's (Izumi et al. 2024): confidence t_conf, the IoU of
the suppression pass and of the merge t_IoU1/t_IoU2, and the box counts M1/M2 (M1 also caps the merged joints).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from PySide6.QtCore import QSettings, QSize, QStandardPaths, Qt
from PySide6.QtGui import QFontMetrics, QPainter
from PySide6.QtWidgets import (
    QComboBox, QDialog, QDialogButtonBox, QDoubleSpinBox, QFileDialog, QFormLayout, QGroupBox, QHBoxLayout,
    QLabel, QLineEdit, QPushButton, QSpinBox, QStyle, QStyleOptionFrame, QVBoxLayout, QWidget,
)

from jsnviewer.detection.thresholds import THRESHOLD_LABELS, Thresholds
from jsnviewer.gui.fitting import fit_to_screen, scrolling
from jsnviewer.device import DEVICE_CHOICES, device_said
from jsnviewer.registration.methods import DEFAULT_METHOD, METHODS
from jsnviewer.weights import MODEL_TITLES

ORGANIZATION = "jsnviewer"
APPLICATION = "jsnviewer"
REGISTRATION_METHODS = METHODS  # name -> what the Settings dialog calls it
MAX_RECENT = 10
# What a path's field shows at least: a retraining run's folder and the longest weights file's name
PATH_ROOM = "…/2024-05-02_101500/detector_subluxation.pt"


# The store's keys of the joint search's settings (named as in the paper), by Thresholds field.
THRESHOLD_KEYS = {"conf": "t_conf", "iou1": "t_iou1", "m1": "m1", "m2": "m2", "iou2": "t_iou2"}


@dataclass
class AppSettings:
    device: str = "auto"
    registration_method: str = DEFAULT_METHOD
    thresholds: Thresholds = field(default_factory=Thresholds)
    dataset_folder: str = ""
    weights: dict[str, str] = field(default_factory=lambda: {name: "" for name in MODEL_TITLES})
    autosave_delay_s: float = 2.0


def qsettings() -> QSettings:
    return QSettings(ORGANIZATION, APPLICATION)


def user_data_folder() -> Path:
    """The program's own per-user folder (the demo study, the log): ~/.local/share/jsnviewer/jsnviewer
    ($XDG_DATA_HOME) on Linux, %LOCALAPPDATA%\\jsnviewer\\jsnviewer on Windows."""
    return Path(QStandardPaths.writableLocation(QStandardPaths.AppLocalDataLocation))


def log_file() -> Path:
    """The window's log, what IT collects when a user reports a problem."""
    return user_data_folder() / "jsnviewer.log"


def load_settings(store: QSettings | None = None) -> AppSettings:
    store = store if store is not None else qsettings()
    defaults = AppSettings()
    values = {}
    for f in fields(Thresholds):
        value = store.value(f"thresholds/{THRESHOLD_KEYS[f.name]}", getattr(defaults.thresholds, f.name))
        try:
            values[f.name] = (int if f.type == "int" else float)(value)
        except (TypeError, ValueError):
            pass  # a hand-edited or stale value: keep the default
    thresholds = Thresholds(**values)
    device = str(store.value("device", defaults.device))
    method = str(store.value("registration_method", defaults.registration_method))
    try:
        delay = float(store.value("autosave_delay_s", defaults.autosave_delay_s))
    except (TypeError, ValueError):
        delay = defaults.autosave_delay_s
    return AppSettings(
        device=device if device in DEVICE_CHOICES else defaults.device,
        registration_method=method if method in REGISTRATION_METHODS else defaults.registration_method,
        thresholds=thresholds,
        dataset_folder=str(store.value("dataset_folder", "") or ""),
        weights={name: str(store.value(f"weights/{name}", "") or "") for name in MODEL_TITLES},
        autosave_delay_s=max(0.2, delay),
    )


def _entries(settings: AppSettings) -> dict[str, object]:
    """The settings as the store's keys and values."""
    entries: dict[str, object] = {"device": settings.device, "registration_method": settings.registration_method}
    entries |= {f"thresholds/{THRESHOLD_KEYS[name]}": value for name, value in asdict(settings.thresholds).items()}
    entries["dataset_folder"] = settings.dataset_folder
    entries |= {f"weights/{name}": settings.weights.get(name, "") for name in MODEL_TITLES}
    entries["autosave_delay_s"] = settings.autosave_delay_s
    return entries


def save_settings(settings: AppSettings, store: QSettings | None = None, since: AppSettings | None = None) -> str | None:
    """Write the settings (with `since`, what this window read or last wrote: only those it changed, so that
    another window's changes meanwhile stay); None when written, else why not (a read-only or full home folder):
    QSettings itself only remembers the failure, and the settings would silently be gone at the next start."""
    store = store if store is not None else qsettings()
    before = _entries(since) if since is not None else {}
    for key, value in _entries(settings).items():
        if since is None or before.get(key) != value:
            store.setValue(key, value)
    store.sync()
    if store.status() != QSettings.NoError:
        return (f"the settings could not be saved to {store.fileName()} (read-only or full disk?): they last until "
                "the program is closed")
    return None


def recent_studies(store: QSettings | None = None) -> list[tuple[str, str]]:
    """Most recent first: (baseline, follow-up) paths; either may be empty."""
    store = store if store is not None else qsettings()
    items = store.value("recent_studies", []) or []
    if isinstance(items, str):
        items = [items]
    pairs = []
    for item in items:
        baseline, _, followup = str(item).partition("\n")
        relative = any(path and not Path(path).is_absolute() for path in (baseline, followup))
        if (baseline or followup) and not relative:  # an older version's relative entry: which folder's?
            pairs.append((baseline, followup))
    return pairs


def add_recent_study(baseline: str, followup: str, store: QSettings | None = None,
                     replacing: tuple[str, str] | None = None) -> list[tuple[str, str]]:
    """Remember a study by its files' absolute paths (a relative one would open another folder's files when
    the program is started elsewhere). `replacing`: an entry this study takes the place of (the half-opened study
    whose other view was opened since), not kept beside it."""
    store = store if store is not None else qsettings()
    pair = tuple(str(Path(path).absolute()) if path else "" for path in (baseline, followup))
    gone = tuple(str(Path(path).absolute()) if path else "" for path in replacing) if replacing else None
    pairs = [pair] + [p for p in recent_studies(store) if p != pair and p != gone]
    pairs = pairs[:MAX_RECENT]
    store.setValue("recent_studies", [f"{a}\n{b}" for a, b in pairs])
    store.sync()
    return pairs


def recent_labels(pairs: list[tuple[str, str]]) -> list[str]:
    """What File ▸ Open recent says of each (baseline, follow-up) study: its files' last folder and name, a file
    opened alone with the visit it was opened as ("hands/UAB001.dcm (follow-up only)": the same file opened as the
    baseline is another entry), and more of the paths where two entries would still read alike."""

    def label(pair: tuple[str, str], depth: int) -> str:
        baseline, followup = ("/".join(Path(path).parts[-depth:]) if path else "" for path in pair)
        if baseline and followup:
            return f"{baseline} (as baseline and follow-up)" if pair[0] == pair[1] else f"{baseline}  +  {followup}"
        return f"{baseline} (baseline only)" if baseline else f"{followup} (follow-up only)"

    labels = [label(pair, 2) for pair in pairs]
    deepest = max((len(Path(path).parts) for pair in pairs for path in pair), default=2)
    for depth in range(3, deepest + 1):
        alike = {text for text in labels if labels.count(text) > 1}
        if not alike:
            break
        labels = [label(pair, depth) if text in alike else text for pair, text in zip(pairs, labels)]
    return labels


def elided_path(path: str, metrics: QFontMetrics, width: int) -> str:
    """`path` in `width` pixels: whole where it fits, else cut in the middle, keeping its last folder and file name
    whole where they fit (`retrained/<date_time>/segmenter.pt`: which retraining run is in use)."""
    if metrics.horizontalAdvance(path) <= width:
        return path
    tail = re.search(r"[^/\\]*[/\\]?[^/\\]*$", path).group()
    room = width - metrics.horizontalAdvance(tail)
    if room >= metrics.horizontalAdvance("…"):
        return metrics.elidedText(path[: len(path) - len(tail)], Qt.ElideMiddle, room) + tail
    return metrics.elidedText(path, Qt.ElideMiddle, width)


class PathEdit(QLineEdit):
    """A file or folder's field: while it is not being edited a long path shows cut in the middle (`elided_path`),
    not only its end as a line edit scrolls it; the whole path is its tooltip."""

    def __init__(self, path: str):
        super().__init__(path)
        self.setMinimumWidth(self.fontMetrics().horizontalAdvance(PATH_ROOM) + 12)
        self.setToolTip(path)
        self.textChanged.connect(self.setToolTip)

    def _text_rect(self):
        option = QStyleOptionFrame()
        self.initStyleOption(option)
        rect = self.style().subElementRect(QStyle.SE_LineEditContents, option, self)
        margins = self.textMargins()
        return rect.adjusted(margins.left() + 2, margins.top(), -margins.right() - 2, -margins.bottom())

    def shown_text(self) -> str:
        """The text as the field shows it while not being edited."""
        return elided_path(self.text(), self.fontMetrics(), self._text_rect().width())

    def paintEvent(self, event) -> None:  # noqa: N802
        if self.hasFocus() or self.shown_text() == self.text():
            super().paintEvent(event)
            return
        option = QStyleOptionFrame()
        self.initStyleOption(option)
        painter = QPainter(self)
        self.style().drawPrimitive(QStyle.PE_PanelLineEdit, option, painter, self)
        painter.setPen(self.palette().text().color())
        painter.drawText(self._text_rect(), Qt.AlignLeft | Qt.AlignVCenter, self.shown_text())


def _label_tooltips(form: QFormLayout) -> None:
    """Give each row's label its field's tooltip: a reader points at the words, not only at the box beside them."""
    for row in range(form.rowCount()):
        field = form.itemAt(row, QFormLayout.FieldRole)
        label = form.labelForField(field.widget()) if field is not None and field.widget() is not None else None
        if isinstance(label, QLabel) and field.widget().toolTip() and not label.toolTip():
            label.setToolTip(field.widget().toolTip())


class SettingsDialog(QDialog):
    """Device, thresholds, dataset folder, custom weights files and autosave delay."""

    def __init__(self, settings: AppSettings, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("jsnviewer settings")
        content = QWidget()  # scrolls on a small or scaled screen; the buttons stay in view below it
        layout = QVBoxLayout(content)

        run_box = QGroupBox("Analysis")
        run_form = QFormLayout(run_box)
        self.device = QComboBox()
        self.device.addItems(["auto (GPU when available)", "cpu", "cuda (GPU)"])
        self.device.setCurrentIndex(DEVICE_CHOICES.index(settings.device))
        self.device_note = QLabel()
        self.device.setToolTip("Where the analysis and the Retrain dialog's trainings run: auto uses this computer's "
                               "graphics card (an NVIDIA one, CUDA) when it has one, else the processor (CPU); cuda "
                               "falls back to the processor where there is none")
        self.device.currentIndexChanged.connect(self._show_device)
        run_form.addRow("Device", self.device)
        run_form.addRow("", self.device_note)
        self.method = QComboBox()
        self.method.addItems(list(REGISTRATION_METHODS.values()))
        self.method.setCurrentIndex(list(REGISTRATION_METHODS).index(settings.registration_method))
        self.method.setToolTip("How each joint's bones are registered between the visits")
        run_form.addRow("Registration", self.method)
        t, paper = settings.thresholds, Thresholds()
        self.t_conf = self._fraction(t.conf, "A box is taken as a joint when the detector is at least this sure that a "
                                             "joint is in it; a less sure box only where the hand's other joints say "
                                             f"one is missing (the paper's t_conf, {paper.conf})")
        self.t_iou1 = self._fraction(t.iou1, "Of one detector's boxes overlapping by this share or more (the area they "
                                             "share over the area they cover together: intersection over union), only "
                                             f"the surest is kept (the paper's t_IoU1, {paper.iou1})")
        self.m1 = self._count(t.m1, "The ankylosis detector keeps at most this many boxes per hand, surest first; once "
                                    "the two detectors' boxes are merged, the hand has at most this many joints: those "
                                    "both detectors found, then those only one found, surest first (the paper's M1, "
                                    f"{paper.m1})")
        self.m2 = self._count(t.m2, "The subluxation detector keeps at most this many boxes per hand, surest first, "
                                    f"before they are merged with the ankylosis detector's (the paper's M2, {paper.m2})")
        self.t_iou2 = self._fraction(t.iou2, "Two boxes, one of each detector, overlapping by more than this share are "
                                             "one joint: the surer box is kept (the paper's t_IoU2, "
                                             f"{paper.iou2})")
        for label, box in zip(THRESHOLD_LABELS.values(), (self.t_conf, self.t_iou1, self.m1, self.m2, self.t_iou2)):
            run_form.addRow(label, box)
        layout.addWidget(run_box)

        files_box = QGroupBox("Files")
        files_form = QFormLayout(files_box)
        self.dataset_folder = self._path_row(files_form, "Dataset folder", settings.dataset_folder, folder=True)
        self.weights = {name: self._path_row(files_form, f"{label} weights", settings.weights.get(name, ""),
                                             folder=False, placeholder="shipped model")
                        for name, label in MODEL_TITLES.items()}
        self.shipped_button = QPushButton("Use the shipped models")
        self.shipped_button.setToolTip("Empty every weights row: the next analyses use the models the program came "
                                       "with (a retraining's files stay where they are)")
        self.shipped_button.clicked.connect(lambda: [edit.clear() for edit in self.weights.values()])
        files_form.addRow("", self.shipped_button)
        self.autosave = QDoubleSpinBox()
        self.autosave.setRange(0.2, 600.0)
        self.autosave.setSuffix(" s")
        self.autosave.setValue(settings.autosave_delay_s)
        self.autosave.setToolTip("Edits are saved to the dataset folder this long after the last change")
        files_form.addRow("Autosave after", self.autosave)
        layout.addWidget(files_box)

        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel | QDialogButtonBox.RestoreDefaults)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        buttons.button(QDialogButtonBox.RestoreDefaults).clicked.connect(self._restore_defaults)
        for form in (run_form, files_form):
            _label_tooltips(form)
        outer = QVBoxLayout(self)
        area = scrolling(content)
        area.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        outer.addWidget(area, 1)
        outer.addWidget(buttons)
        self._show_device()
        # the whole form where the screen has room for it, else as much as there is
        fit_to_screen(self, QSize(content.sizeHint().width() + area.verticalScrollBar().sizeHint().width() + 24,
                                  content.sizeHint().height() + buttons.sizeHint().height() + 30))

    def _fraction(self, value: float, tip: str) -> QDoubleSpinBox:
        box = QDoubleSpinBox()
        box.setRange(0.0, 1.0)
        box.setDecimals(3)
        box.setSingleStep(0.01)
        box.setValue(value)
        box.setToolTip(tip)
        return box

    def _count(self, value: int, tip: str) -> QSpinBox:
        box = QSpinBox()
        box.setRange(1, 1000)
        box.setValue(value)
        box.setToolTip(tip)
        return box

    def _path_row(self, form: QFormLayout, label: str, value: str, folder: bool, placeholder: str = "") -> PathEdit:
        edit = PathEdit(value)
        edit.setPlaceholderText(placeholder)
        browse = QPushButton("Browse…")

        def pick() -> None:
            if folder:
                chosen = QFileDialog.getExistingDirectory(self, label, edit.text() or str(Path.home()))
            else:
                chosen, _ = QFileDialog.getOpenFileName(self, label, edit.text() or str(Path.home()),
                                                        "Weights (*.pt);;All files (*)")
            if chosen:
                edit.setText(chosen)

        browse.clicked.connect(pick)
        row = QWidget()
        row_layout = QHBoxLayout(row)
        row_layout.setContentsMargins(0, 0, 0, 0)
        row_layout.addWidget(edit)
        row_layout.addWidget(browse)
        form.addRow(label, row)
        return edit

    def _show_device(self) -> None:
        from jsnviewer.device import choose_device  # imports torch: only when the dialog is open

        chosen = choose_device(DEVICE_CHOICES[self.device.currentIndex()])
        self.device_note.setText(f"Runs on: {device_said(chosen.type)}")

    def _restore_defaults(self) -> None:
        defaults = AppSettings()
        self.device.setCurrentIndex(DEVICE_CHOICES.index(defaults.device))
        self.method.setCurrentIndex(list(REGISTRATION_METHODS).index(defaults.registration_method))
        t = defaults.thresholds
        self.t_conf.setValue(t.conf)
        self.t_iou1.setValue(t.iou1)
        self.m1.setValue(t.m1)
        self.m2.setValue(t.m2)
        self.t_iou2.setValue(t.iou2)
        self.autosave.setValue(defaults.autosave_delay_s)

    def values(self) -> AppSettings:
        return AppSettings(
            device=DEVICE_CHOICES[self.device.currentIndex()],
            registration_method=list(REGISTRATION_METHODS)[self.method.currentIndex()],
            thresholds=Thresholds(conf=self.t_conf.value(), iou1=self.t_iou1.value(), m1=self.m1.value(),
                                  m2=self.m2.value(), iou2=self.t_iou2.value()),
            dataset_folder=self.dataset_folder.text().strip(),
            weights={name: edit.text().strip() for name, edit in self.weights.items()},
            autosave_delay_s=self.autosave.value(),
        )
