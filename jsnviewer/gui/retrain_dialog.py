"""Analysis ▸ Retrain models…: the dataset's `jsnviewer train` runs (jsnviewer.retraining), one child process
after the other, with their progress and a Cancel; then `jsnviewer bench retraining` compares the new weights
with those in use (jsnviewer.comparison), and at the end the choice to analyse with the new weights."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QEvent, QProcess, QProcessEnvironment, QSize, Qt, QTimer
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QDialog, QFileDialog, QFrame, QGridLayout, QGroupBox, QHBoxLayout, QLabel, QMessageBox, QPlainTextEdit, QProgressBar, QPushButton,
    QScrollArea, QSizePolicy, QVBoxLayout, QWidget,
)

from jsnviewer.comparison import (ENOUGH_RADIOGRAPHS, Comparison, ModelComparison, comparison_progress,
                                  load_comparison)
from jsnviewer.device import training_threads
from jsnviewer.dataset import DEMO_LEFT_OUT
from jsnviewer.gui.fitting import fit_to_screen, room_on_screen
from jsnviewer import atomic
from jsnviewer.atomic import megabytes, no_room_reason
from jsnviewer.retraining import (LENGTHS, MODELS, TrainingData, TrainingRun, earlier_weights, later_runs_seconds,
                                  output_folder, printed_lines, program_command, room_needed, runs_that_fit, training_runs)
from jsnviewer.time_left import TimeLeft, duration_said, time_left_said
from jsnviewer.weights import ASK_FOLDER, FROM_SETTINGS, WRITTEN_ELSEWHERE, model_card_path
from jsnviewer.words import counted

LOG_LINES = 400
TIME_LEFT_TICK_MS = 5000  # the time left is said again this often between the trainer's lines (an epoch takes minutes)
LOG_ROWS = 8  # the trainers' log shows at least this many lines, however long the comparison above it
SIZE = QSize(720, 560)  # before the comparison shows
COMPARED_SIZE = QSize(1000, 900)  # with it: as much as the screen has, up to this
LENGTH_CHOICES = {"short": "Short (about half the time; a first look at a small dataset)",
                  "standard": "Standard (about 10 min for all five on a 2-core computer)",
                  "long": "Long (three times as long; for a larger dataset or a GPU)"}


class RetrainDialog(QDialog):
    """Choose the models, train them on the dataset, then use the new weights (`use_weights`) or not."""

    def __init__(self, dataset_root: Path, data: TrainingData, weights_in_use: dict[str, str],
                 use_weights: Callable[[dict[str, str]], None], parent=None, device: str = "auto"):
        super().__init__(parent)
        self.setWindowTitle("Retrain models on the dataset")
        self.dataset_root, self.weights_in_use, self.use_weights = Path(dataset_root), weights_in_use, use_weights
        self.device = device  # the Settings' device: the trainings run where the analyses do
        self.data = data
        self.runs: list[TrainingRun] = []
        self.finished_runs: dict[str, str] = {}  # model -> "" when written, else why not
        self.process: QProcess | None = None
        self.output = ""
        self.out_folder: Path | None = None
        self.comparing = False  # the child process is the comparison, not a training
        self.comparison: Comparison | None = None
        self._status_lines = ""  # the status before the comparison's lines
        self.not_compared = ""  # why the new weights were not compared (cancelled, failed), once that happened
        self.rescued: dict[str, str] = {}  # model -> where the user had weights written that the dataset had no room for
        self._asked = 0  # the trainer's questions answered (ASK_FOLDER), of this run's output
        self.clock: Callable[[], float] = time.monotonic  # the time left's clock (a test's own)
        self.time_left: TimeLeft | None = None  # of the model in hand
        self.per_step: dict[str, float] = {}  # trainer -> the seconds a step took, of the runs timed so far
        self._ticker = QTimer(self, interval=TIME_LEFT_TICK_MS)
        self._ticker.timeout.connect(self._say_training)

        content = QWidget()  # scrolls on a small or scaled screen; the progress, the log and the buttons stay below it
        layout = QVBoxLayout(content)
        layout.setContentsMargins(0, 0, 0, 0)
        intro = QLabel(
            f"Dataset <b>{self.dataset_root}</b>: {counted(data.reviewed_images, 'reviewed radiograph')}, "
            f"{counted(data.crop_joints, 'joint')} with crops of two or more visits.<br>Each model is fine-tuned from the "
            "weights in use on what the annotators confirmed; the new files go into the dataset's "
            "<i>retrained</i> folder, the models in use stay as they are until you choose to use the new ones.")
        if 0 < data.reviewed_images < ENOUGH_RADIOGRAPHS:  # said now, not after minutes of training
            intro.setText(intro.text() + f"<br><b>{counted(data.reviewed_images, 'reviewed radiograph')} "
                          f"{'is' if data.reviewed_images == 1 else 'are'} too few to tell</b> whether new detectors "
                          f"and a new finding classifier do better ({ENOUGH_RADIOGRAPHS} or more are needed): the "
                          "comparison after the training will say so. Review more radiographs first, or train for a "
                          "first look.")
        if data.unreadable:
            intro.setText(intro.text() + f"<br><b>{counted(len(data.unreadable), 'annotation file')} cannot be read</b> and "
                          f"{'is' if len(data.unreadable) == 1 else 'are'} left out of the training (listed below).")
        if data.demo or data.demo_crops:
            intro.setText(intro.text() + f"<br><b>{counted(len(data.demo), 'demo radiograph')} and "
                          f"{counted(data.demo_crops, 'demo joint crop')}</b> (the built-in demo's synthetic hand, saved "
                          "into this dataset by an earlier version) are left out of the training; nothing was deleted.")
        if data.repeated:
            one = len(data.repeated) == 1
            intro.setText(intro.text() + f"<br><b>{counted(len(data.repeated), 'reviewed radiograph')} "
                          f"{'gives' if one else 'give'} one joint name to more than one box</b> (listed below) and "
                          f"{'is trained on as it is' if one else 'are trained on as they are'}: open "
                          f"{'it' if one else 'each'} from the dataset's folder and delete or rename the box you do "
                          "not want.")
        intro.setWordWrap(True)
        layout.addWidget(intro)
        box = QGroupBox("Models")
        models = QGridLayout(box)  # in two columns: a column of five left the comparison too little height
        models.setColumnStretch(0, 1)
        models.setColumnStretch(1, 1)
        self.checks: dict[str, QCheckBox] = {}
        for number, (name, (title, _, _)) in enumerate(MODELS.items()):
            cell = QVBoxLayout()
            check = QCheckBox(title)
            why_not = data.enough_for(name)
            check.setEnabled(why_not is None)
            check.setChecked(why_not is None)
            cell.addWidget(check)
            if why_not:  # below the box, wrapped: on one line it made the dialog wider than a 1024 px screen
                reason = QLabel(f"not now: {why_not}")
                reason.setWordWrap(True)
                reason.setIndent(24)
                reason.setEnabled(False)
                cell.addWidget(reason)
            cell.addStretch(1)
            models.addLayout(cell, number // 2, number % 2)
            self.checks[name] = check
        layout.addWidget(box)
        lengths = QHBoxLayout()
        self.length = QComboBox()
        for key, text in LENGTH_CHOICES.items():
            self.length.addItem(text, LENGTHS[key])
        self.length.setCurrentIndex(list(LENGTH_CHOICES).index("standard"))
        self.length.setToolTip("How many steps (detectors, finding classifier) or passes over the crops (segmenter, "
                               "registration) each model trains for: Short half as many as Standard, Long three times")
        label = QLabel("Training &length:")
        label.setBuddy(self.length)
        lengths.addWidget(label)
        lengths.addWidget(self.length, 1)
        layout.addLayout(lengths)
        self.status = QLabel("Training takes minutes per model on a CPU; the window stays usable meanwhile.")
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        # the new weights against those in use, once measured (jsnviewer.comparison)
        self.comparison_view = QLabel()
        self.comparison_view.setWordWrap(True)
        self.comparison_view.setTextFormat(Qt.RichText)
        self.comparison_view.hide()
        layout.addWidget(self.comparison_view)
        layout.addStretch(1)
        self.progress = QProgressBar()
        self.log = QPlainTextEdit(readOnly=True)
        self.log.setMaximumBlockCount(LOG_LINES)
        self.log.setPlaceholderText("What the trainers print")
        rows = self.log.fontMetrics().lineSpacing() * LOG_ROWS
        self.log.setMinimumHeight(rows + 2 * self.log.frameWidth() + 8)
        for why in data.unreadable:
            self.log.appendPlainText(f"left out: {why}")
        for image in data.demo:
            self.log.appendPlainText(f"left out: demo radiograph {image} ({DEMO_LEFT_OUT})")
        if data.demo_crops:
            self.log.appendPlainText(f"left out: {counted(data.demo_crops, 'demo joint crop')} ({DEMO_LEFT_OUT})")
        for which in data.repeated:
            self.log.appendPlainText(f"one joint name on several boxes: {which}")
        buttons = QHBoxLayout()
        self.start_button = QPushButton("Start training")
        self.start_button.clicked.connect(self.start)
        self.cancel_button = QPushButton("Cancel training")
        self.cancel_button.clicked.connect(self.cancel)
        self.cancel_button.setEnabled(False)
        self.use_button = QPushButton("Use the new weights")
        self.use_button.clicked.connect(self.use_new_weights)
        self.use_button.setEnabled(False)
        self.close_button = QPushButton("Close")
        self.close_button.clicked.connect(self.reject)
        for button in (self.start_button, self.cancel_button, self.use_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        # The log is not inside the scrolling part (a scroll area in a scroll area: the wheel scrolled one or the
        # other, and the log shrank to a few lines below a long comparison): the part above takes the height its
        # content needs, as far as the screen allows, the log the rest
        self.upper = _Fitting(content)
        outer = QVBoxLayout(self)
        outer.addWidget(self.upper)
        outer.addWidget(self.progress)
        outer.addWidget(self.log, 1)
        outer.addLayout(buttons)
        self._update_start()
        for check in self.checks.values():
            check.toggled.connect(self._update_start)
        self.earlier = None
        self._offer_earlier()
        if self.comparison_view.isHidden():  # else fitted to it already
            fit_to_screen(self, SIZE)

    def _offer_earlier(self, said_before: str = "") -> bool:
        """A training finished after its dialog was closed without "Use", or before a training of this dialog that
        wrote nothing (cancelled, failed): its weights are offered (again), compared with the weights in use now (its
        comparison when it still holds, else measured again). False where there are none."""
        self.earlier = earlier_weights(self.dataset_root, self.weights_in_use)
        if self.earlier is None:
            return False
        titles = ", ".join(MODELS[m][0] for m in self.earlier.weights)
        self._status_lines = "\n".join([said_before] * bool(said_before) + [
            f"The retraining of {self.earlier.folder.name} wrote weights that are not in use: {titles}."])
        self.out_folder = self.earlier.folder
        comparison = load_comparison(self.earlier.folder)
        if comparison is not None and comparison.still_holds(self.earlier.weights, self.weights_in_use):
            self._show_comparison(comparison)
            self._offer()
        else:
            self._compare()
        return True

    def _update_start(self) -> None:
        chosen = any(c.isChecked() and c.isEnabled() for c in self.checks.values())
        self.start_button.setEnabled(chosen and not self.training)

    # ------------------------------------------------------------------ running
    @property
    def running(self) -> bool:
        """A training or the comparison after it is running."""
        return self.process is not None

    @property
    def training(self) -> bool:
        return self.running and not self.comparing

    def start(self) -> None:
        chosen = [name for name, check in self.checks.items() if check.isChecked() and check.isEnabled()]
        if not chosen or self.training:
            return
        if self.comparing:  # a new training's weights will be the ones offered: the comparison of these can wait
            self.cancel()
        self.out_folder = output_folder(self.dataset_root)
        try:  # now, not after minutes of training: a dataset folder the user cannot write to is said at once
            self.out_folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            self.status.setText(f"Nothing trained: the new weights cannot be written into {self.out_folder.parent} "
                                f"({exc.strerror or exc}).")
            return
        runs = training_runs(self.dataset_root, chosen, self.out_folder, self.weights_in_use,
                             length=self.length.currentData(), device=self.device)
        no_room = no_room_reason(self.out_folder, room_needed(runs, self.weights_in_use))
        if no_room:  # nor a disk too full for them
            fewer = self._fewer_models(runs, atomic.free_space(self.out_folder))
            with contextlib.suppress(OSError):  # made just now, empty
                self.out_folder.rmdir()
            self.status.setText(f"Nothing trained: the new weights do not fit into {self.out_folder.parent} ({no_room}). "
                                + fewer)
            return
        self.runs = runs
        self.rescued = {}
        self.earlier = None  # this run's weights are the ones offered from now on
        self.finished_runs = {}
        self.per_step = {}
        self.comparison = None
        self.comparison_view.hide()
        for check in self.checks.values():
            check.setEnabled(False)
        self.length.setEnabled(False)
        self.start_button.setEnabled(False)
        self.use_button.setEnabled(False)
        self.cancel_button.setText("Cancel training")
        self.cancel_button.setEnabled(True)
        self._next()

    def _fewer_models(self, runs: list[TrainingRun], free: int) -> str:
        """What to do about a disk too full for `runs`' weights: free space, or train those that fit."""
        fitting = runs_that_fit(runs, free, self.weights_in_use)
        sizes = ", ".join(f"{run.title} {megabytes(room_needed([run], self.weights_in_use))}" for run in runs)
        if not fitting:
            return f"Free space on that disk, then start again (each model needs about: {sizes})."
        return (f"Free space on that disk, or untick some models: {', '.join(run.title for run in fitting)} would fit "
                f"(about {megabytes(room_needed(fitting, self.weights_in_use))}; each model needs about: {sizes}).")

    def current_run(self) -> TrainingRun | None:
        return next((r for r in self.runs if r.model not in self.finished_runs), None)

    def _start_child(self, arguments: list[str], finished: Callable[[int, object], None],
                     failed_to_start: Callable[[], None]) -> None:
        """Run `jsnviewer <arguments>` as a child process, its output read into the log as it comes."""
        self.output, self._asked = "", 0
        self.process = QProcess(self)
        self.process.setProcessChannelMode(QProcess.MergedChannels)
        environment = QProcessEnvironment.systemEnvironment()
        environment.insert("PYTHONUNBUFFERED", "1")
        environment.insert(FROM_SETTINGS, "1")  # a weights file it names is said to be Settings' to change
        self.process.setProcessEnvironment(environment)
        self.process.readyReadStandardOutput.connect(self._read)
        self.process.finished.connect(finished)
        self.process.errorOccurred.connect(lambda error: error == QProcess.FailedToStart and failed_to_start())
        command = program_command()
        self.process.start(command[0], command[1:] + arguments)

    def _next(self) -> None:
        run = self.current_run()
        if run is None:
            self._done()
            return
        self.time_left = run.time_left(self.clock())
        self._ticker.start()
        self.status.setText(self._training_said(run))
        self.progress.setRange(0, 0)  # busy until the trainer shows its steps
        self.progress.setFormat("%p%")
        self.log.appendPlainText(f"— {run.title}: jsnviewer {' '.join(run.arguments)}")
        self._start_child(run.arguments, lambda code, status, run=run: self._finished(run, code, status),
                          lambda run=run: self._failed_to_start(run))

    def _read(self) -> None:
        if self.process is None:
            return
        text = bytes(self.process.readAllStandardOutput()).decode("utf-8", "replace")
        self.output += text
        if self.comparing:
            where = comparison_progress(self.output)
            lines = [line for line in printed_lines(text) if comparison_progress(line) is None]
        else:
            run = self.current_run()
            where = run.progress(self.output) if run is not None else None
            lines = printed_lines(text)
            if where is not None and self.time_left is not None:
                self.time_left.update(self.clock(), *where)
            if run is not None:
                self.status.setText(self._training_said(run))
                if where is None:
                    self.progress.setRange(0, 0)  # busy: its training steps have not begun
        if where is not None:
            done, total = where
            self.progress.setRange(0, max(total, 1))
            self.progress.setValue(done)
        for line in lines:
            self.log.appendPlainText(line)
        if not self.comparing and self.output.count(ASK_FOLDER) > self._asked:
            self._asked += 1
            QTimer.singleShot(0, self._ask_where)  # after this read: the question is modal

    def _training_said(self, run: TrainingRun) -> str:
        """Which model trains, and what it does now where that is not its training steps (the bar's), else how long
        its steps have left once that can be told, and with the models ticked after it, how long in all where their
        steps were timed by a run of their trainer (a step of one network says nothing of another's: then how many
        more models follow)."""
        number = len(self.finished_runs) + 1
        said = f"Training the {run.title.lower()} ({number} of {len(self.runs)})"
        if doing := run.preparing(self.output):
            return f"{said}: {doing}…"
        seconds = self.time_left.seconds(self.clock()) if self.time_left is not None else None
        if seconds is None:
            return f"{said}…"
        later = [r for r in self.runs if r.model not in self.finished_runs and r is not run]
        if not later:
            return f"{said}… {time_left_said(seconds)}"
        if self.time_left.per_step is not None:
            self.per_step[run.trainer] = self.time_left.per_step
        # the later models' steps timed by a run of their trainer (the two detectors); else only how many follow
        rest = later_runs_seconds(later, self.per_step)
        in_all = f"{duration_said(seconds + rest)} in all" if rest is not None else \
            f"then {counted(len(later), 'more model')}"
        return f"{said}… {time_left_said(seconds)} for this model, {in_all}"

    def _say_training(self) -> None:
        """The time left, counted down between the trainer's lines."""
        run = self.current_run()
        if self.training and run is not None:
            self.status.setText(self._training_said(run))

    def _ask_where(self) -> None:
        """The trainer could not write its weights into the dataset (a full disk): they are still in its memory, and
        the user may choose another folder for them rather than lose the run."""
        run = self.current_run()
        if self.process is None or run is None:
            return
        why = next((line.removeprefix("jsnviewer: error: ") for line in reversed(printed_lines(self.output))
                    if line.startswith("jsnviewer: error: ")), "they could not be written")
        QMessageBox.warning(self, "The trained weights could not be written",
                            f"{why}\n\nThe trained weights are kept until you choose another folder for them "
                            "(on another disk, a USB stick); cancel it and they are lost.")
        folder = QFileDialog.getExistingDirectory(self, f"A folder for the trained {run.title.lower()} weights")
        if self.process is not None:
            self.process.write(f"{folder}\n".encode())

    def _written_elsewhere(self) -> str | None:
        """Where the trainer wrote its weights in another folder of the user's, by what it printed."""
        return next((line.removeprefix(WRITTEN_ELSEWHERE).strip().split(" (")[0] for line in printed_lines(self.output)
                     if line.startswith(WRITTEN_ELSEWHERE)), None)

    def _finished(self, run: TrainingRun, code: int, status) -> None:
        if self.process is None:  # cancelled: already handled
            return
        self._read()
        self.process = None
        if status == QProcess.NormalExit and code == 0 and run.out.is_file():
            self.finished_runs[run.model] = ""
            self.log.appendPlainText(f"   written: {run.out}")
        elif (elsewhere := self._written_elsewhere()) is not None:
            self.rescued[run.model] = elsewhere
            self.finished_runs[run.model] = (f"trained, but the dataset's disk took no more: written into {elsewhere} "
                                             "instead, not compared with the weights in use (Settings can choose it)")
            self.log.appendPlainText(f"   written elsewhere: {elsewhere}")
        else:
            lines = printed_lines(self.output)
            self.finished_runs[run.model] = lines[-1].strip() if lines else f"the trainer ended with status {code}"
            self.log.appendPlainText(f"   not written: {self.finished_runs[run.model]}")
        self._next()

    def _failed_to_start(self, run: TrainingRun) -> None:
        if self.process is None:
            return
        self.process = None
        self.finished_runs[run.model] = f"the program could not be started ({program_command()[0]})"
        self.log.appendPlainText(f"   not written: {self.finished_runs[run.model]}")
        self._next()

    def _done(self) -> None:
        self._ticker.stop()
        self.time_left = None
        self.cancel_button.setEnabled(False)
        self.progress.setRange(0, 1)
        self.progress.setValue(1)
        written = self.new_weights()
        failed = {m: why for m, why in self.finished_runs.items() if why}
        if not written and self.out_folder is not None and self.out_folder.is_dir():
            for leftover in self.out_folder.iterdir():  # a failed or cancelled run's card or temporary file
                leftover.unlink(missing_ok=True)
            self.out_folder.rmdir()
        lines = [f"{len(written)} of {counted(len(self.runs), 'model')} trained into {self.out_folder}." if written else
                 "No model trained: nothing was written into the dataset."]  # the run's folder is removed above
        lines += [f"{MODELS[m][0]}: {'' if m in self.rescued else 'not trained — '}{why}" for m, why in failed.items()]
        self._status_lines = "\n".join(lines)
        self.status.setText(self._status_lines)
        for name, check in self.checks.items():  # another run may follow
            check.setEnabled(self.data.enough_for(name) is None)
        self.length.setEnabled(True)
        if written:
            self._compare()
        elif not self._offer_earlier(self._status_lines):  # an earlier run's weights are offered as before this run
            self._update_start()

    # ------------------------------------------------------------------ comparing
    def _compare(self) -> None:
        """Measure the new weights against those in use on the dataset (`jsnviewer bench retraining`, a child process
        like the trainings), before they are offered."""
        arguments = ["bench", "retraining", str(self.out_folder), "--data", str(self.dataset_root),
                     "--threads", str(training_threads())]
        arguments += [f"--weights={m}={p}" for m, p in self.weights_in_use.items() if p]
        self.comparing, self.comparison, self.not_compared = True, None, ""
        self.progress.setFormat("%p%")
        self.status.setText(self._status_lines + "\nComparing the new weights with the weights in use on the dataset "
                            "(a minute or more)…")
        self.progress.setRange(0, 0)
        self.log.appendPlainText(f"— Comparison: jsnviewer {' '.join(arguments)}")
        self.use_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.cancel_button.setText("Cancel comparison")
        self._update_start()  # a new training may start meanwhile: it stops the comparison
        self._start_child(arguments, self._compared, lambda: self._compared(-1, None))

    def _compared(self, code: int, status) -> None:
        if self.process is None:  # cancelled: already handled
            return
        self._read()
        self.process = None
        self.comparing = False
        comparison = load_comparison(self.out_folder) if status == QProcess.NormalExit and code == 0 else None
        if comparison is None:
            lines = printed_lines(self.output)
            why = lines[-1].strip() if lines and code != -1 else f"the program could not be started ({program_command()[0]})"
            self.not_compared = f"the comparison failed ({why})"
            self._offer(f"The new weights could not be compared with the weights in use: {why}", "Comparison failed")
        else:
            self._show_comparison(comparison)
            self._offer()

    def _show_comparison(self, comparison: Comparison) -> None:
        """One row per model: in use → new, the verdict, and in the row what limits it (too little data; a figure
        that is no quality figure); what each figure rests on below the table."""
        self.comparison = comparison
        offered = self.new_weights()
        rows = [m for m in comparison.models if m.model in offered]
        table = "".join(f"<tr><td>{m.title}</td><td>{_measure(m)}</td><td>{_figures(m)}</td></tr>" for m in rows)
        basis = _said_of(rows, lambda m: m.measured_on)
        self.comparison_view.setText(
            "<b>The weights in use → the new weights, measured on the dataset:</b>"
            f"<table cellspacing='6'>{table}</table>"
            + "".join(f"<p><small><i>{titles}</i>: measured {text}.</small></p>" for text, titles in basis))
        self.comparison_view.show()
        self._fit_to_comparison()

    def _fit_to_comparison(self) -> None:
        """Grow to show the comparison and the log together, as far as the screen allows (a dialog the user made
        larger stays so)."""
        room = room_on_screen(self)
        wanted = COMPARED_SIZE if room is None else COMPARED_SIZE.boundedTo(room)
        fit_to_screen(self, self.size().expandedTo(wanted))
        # where the screen is too small for all of it, the table is what to read now: scrolled into view, once laid out
        QTimer.singleShot(0, self, lambda: self.upper.ensureWidgetVisible(self.comparison_view, 0, 0))

    def _offer(self, note: str = "", stopped: str = "") -> None:
        """The new weights may be used now: said, with those not shown to do at least as well on enough data (`note`:
        why they were not compared; `stopped`: the bar's words for that)."""
        doubts = self._doubts(self.new_weights())
        lines = [self._status_lines] + [note] * bool(note)
        worse = [m for m in self.comparison.models if m.model in doubts and m.verdict == "worse"] \
            if self.comparison is not None else []
        if worse:
            lines.append("Measured worse than the weights in use: " + ", ".join(dict.fromkeys(m.title for m in worse)) + ".")
        if doubts and self.comparison is not None:
            lines.append("Not shown to do at least as well on enough data (“Use the new weights” asks first): "
                         + ", ".join(MODELS[m][0] for m in doubts) + ".")
        lines.append(("Read the comparison below and each model card" if self.comparison is not None else
                      "Read each model card")
                     + " (the .md beside each file) before using them: “Use the new weights” "
                     "makes the next analyses use them (Settings shows and can undo it).")
        self.status.setText("\n".join(lines))
        self.cancel_button.setEnabled(False)
        self.cancel_button.setText("Cancel training")
        self.progress.setRange(0, 1)
        self.progress.setValue(0 if stopped else 1)  # a stopped comparison is no full bar
        self.progress.setFormat(stopped or "%p%")
        self.use_button.setEnabled(bool(self.new_weights()))
        self._update_start()

    def _doubts(self, weights: dict[str, str]) -> dict[str, str]:
        """Each of `weights` not shown to do at least as well as the weights in use on enough data, with why."""
        if self.comparison is None:
            return {m: f"not compared: {self.not_compared or 'the comparison did not finish'}" for m in weights}
        return self.comparison.doubts(weights)

    # ------------------------------------------------------------------ the end
    def new_weights(self) -> dict[str, str]:
        """This dialog's trained weights, or before any training the earlier retraining's that are not in use."""
        if self.earlier is not None:
            return dict(self.earlier.weights)
        return {run.model: str(run.out) for run in self.runs if self.finished_runs.get(run.model) == ""}

    def cancel(self) -> None:
        if self.process is None:
            return
        process, self.process = self.process, None
        process.kill()
        process.waitForFinished(5000)
        if self.comparing:  # the weights stay, not compared: they are compared again when the dialog opens again
            self.comparing = False
            self.not_compared = "the comparison was cancelled"
            self.log.appendPlainText("— comparison cancelled")
            self._offer("The comparison was cancelled: the new weights are not compared with the weights in use.",
                        "Comparison cancelled")
            return
        current = self.current_run()
        self.log.appendPlainText("— cancelled")
        if current is not None:  # half-trained: never offered
            current.out.unlink(missing_ok=True)
            model_card_path(current.out).unlink(missing_ok=True)
        for run in self.runs:
            self.finished_runs.setdefault(run.model, "cancelled")
        self._done()
        if not self.running and "" not in self.finished_runs.values():  # nothing trained: no full bar
            self.progress.setValue(0)
            self.progress.setFormat("Training cancelled")

    def use_new_weights(self) -> None:
        weights = self.new_weights()
        doubts = self._doubts(weights)
        if doubts:
            weights = self._ask_about(weights, doubts)
        if weights:
            self.use_weights(weights)
            self.weights_in_use.update(weights)  # a further run goes on from these
            self.use_button.setEnabled(False)
            titles = ", ".join(MODELS[m][0] for m in weights)
            self.status.setText(self.status.text() + f"\nThe next analyses use the new weights of: {titles}.")

    def _ask_about(self, weights: dict[str, str], doubts: dict[str, str]) -> dict[str, str]:
        """Which of `weights` to use when some are not shown to do at least as well as those in use on enough data
        (`doubts`: model -> why): all, only the others, or none."""
        others = {m: p for m, p in weights.items() if m not in doubts}

        def said(model: str) -> str:
            rows = self.comparison.rows_of(model) if self.comparison is not None else []
            m = rows[0] if len(rows) == 1 else None  # of several rows, each doubt gives its own figures
            figures = f" ({m.in_use_text} in use → {m.new_text} new)" if m is not None and m.in_use is not None else ""
            return f"• {MODELS[model][0]}: {doubts[model]}{figures}"

        question = QMessageBox(QMessageBox.Warning, "New weights not shown to do as well",
                               "These new weights are not shown to do at least as well as the weights in use on "
                               "enough data:\n\n" + "\n\n".join(said(m) for m in weights if m in doubts)
                               + ("\n\nThe others did at least as well: " + ", ".join(MODELS[m][0] for m in others) + "."
                                  if others else "")
                               + "\n\nUse them anyway?", QMessageBox.NoButton, self)
        use_all = question.addButton("Use all the new weights", QMessageBox.AcceptRole)
        use_others = question.addButton("Use only the others", QMessageBox.AcceptRole) if others else None
        question.setDefaultButton(question.addButton(QMessageBox.Cancel))
        question.exec()
        return weights if question.clickedButton() is use_all else others if question.clickedButton() is use_others else {}

    def reject(self) -> None:
        """Close, Esc and the window's close button: a running training is stopped only when the user says so."""
        if self.running:
            what = "comparison" if self.comparing else "training"
            answer = QMessageBox.question(self, f"The {what} is running", f"Stop the {what} and close?",
                                          QMessageBox.Yes | QMessageBox.No, QMessageBox.No)
            if answer != QMessageBox.Yes:
                return
            self.cancel()
        super().reject()


def _said_of(rows: list[ModelComparison], text_of: Callable[[ModelComparison], str]) -> list[tuple[str, str]]:
    """Each text once, with the models it is said of: [(text, "Ankylosis detector, Subluxation detector")]."""
    said: dict[str, list[str]] = {}
    for m in rows:
        if (text := text_of(m)) and m.title not in said.get(text, []):  # a model of several rows: named once
            said.setdefault(text, []).append(m.title)
    return [(text, ", ".join(titles)) for text, titles in said.items()]


def _measure(m: ModelComparison) -> str:
    """What the figure is, and where it is no quality figure, why (in the row, not below the table)."""
    return m.measure + (f"<br><i>{m.note[:1].upper() + m.note[1:]}.</i>" if m.note else "")


def _figures(m: ModelComparison) -> str:
    if m.verdict == "not measured":
        return f"not compared: {m.not_measured}"
    verdict = {"worse": "<b style='color:#c0392b'>worse</b>", "better": "better", "same": "the same",
               "changed": "changed", "unchanged": "unchanged"}[m.verdict]
    little = f"<br><b>{m.too_little_text[:1].upper() + m.too_little_text[1:]}.</b>" if m.too_little else ""
    return f"{m.in_use_text} → {m.new_text}: {verdict}{little}"


class _Fitting(QScrollArea):
    """A frameless scroll area that asks for all the height its content needs (a plain one asks for at most 24 lines):
    it scrolls only where the window has less room."""

    def __init__(self, content: QWidget):
        super().__init__()
        self.setWidget(content)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.NoFrame)
        self.setSizePolicy(QSizePolicy.Preferred, QSizePolicy.Preferred)  # the log below takes the height left over
        content.installEventFilter(self)

    def eventFilter(self, watched, event) -> bool:  # noqa: N802
        # the content grew (the comparison shown minutes after the dialog opened): the dialog's layout asks again,
        # else it kept the height asked for before and gave the log what the comparison needed
        if watched is self.widget() and event.type() == QEvent.LayoutRequest:
            self.updateGeometry()
        return super().eventFilter(watched, event)

    def sizeHint(self) -> QSize:  # noqa: N802
        content = self.widget().sizeHint()
        return QSize(content.width() + self.verticalScrollBar().sizeHint().width(), content.height())
