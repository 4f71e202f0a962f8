"""The main window's analysis: starting it (or, with one radiograph open, the joint search) in the background,
showing its results (table, overlays, the model's boxes as proposals, the joint detail), saying when the boxes
changed since, and the exports (CSV, report, results folder). `MainWindow` inherits these methods."""

from __future__ import annotations

import dataclasses
import logging
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QRectF, QStandardPaths
from PySide6.QtWidgets import QFileDialog, QMessageBox

from jsnviewer.dataset import JointAnnotation
from jsnviewer.errors import WeightsError, describe
from jsnviewer.gui.analysis import (
    analysis_settings, new_proposals, proposals, run_analysis, run_joint_search, warm_up, weights_files,
)
from jsnviewer.gui.annotation import AnnotationDocument
from jsnviewer.gui.study_loading import BASELINE, FOLLOWUP, ROLES
from jsnviewer.gui.worker import Worker
from jsnviewer.joints import SIDES, other_side
from jsnviewer.pipeline.analyze import SIDE_GUESSED
from jsnviewer.pipeline.provenance import other_weights_in_use
from jsnviewer.words import counted

log = logging.getLogger(__name__)

VISITS = {BASELINE: "baseline", FOLLOWUP: "followup"}  # the analysis result's names
VISIT_WORDS = {BASELINE: "baseline", FOLLOWUP: "follow-up"}  # its warnings' words
# A window at least this tall shows the joint detail with a result; a lower one (a 1024 × 768 or 1366 × 768 laptop)
# when a joint is chosen, its room the images' until then
DETAIL_WITH_RESULT_FROM = 850
JOINT_VIEW_BOXES = 4.0  # going to a joint shows about this many box sizes around it (`joint_view`)
ANALYSIS_DONE = "Analysis done"  # the status bar's words when a result is shown
# the labels of the window's tasks on the study shown: their failures are said until another study is shown
ANALYSIS_TASK = "Analysis"
EXPORT_TASKS = {"csv": "Exporting the results CSV", "report": "Exporting the report",
                "results": "Saving the results folder"}
RESULTS_OUT_OF_DATE = "results-out-of-date"  # the warning bar's key for "the boxes changed since the analysis"
# what results exported after the boxes changed say among their warnings (CSV study_warnings, report, results.json)
EXPORTED_OUT_OF_DATE = ("The boxes were changed after this analysis: these results measure the boxes as they were "
                        "then, not as they are now.")
RESULTS_OTHER_WEIGHTS = "results-other-weights"  # the warning bar's key for "made with other weights than those in use"
OTHER_SETTINGS = "This pair was analysed earlier in this session with other settings"
RESULTS_KEPT = 4  # the analyses of this many pairs are kept (in memory only) to be shown again when a pair comes back


def measured_boxes(document: AnnotationDocument | None) -> list:
    """What an analysis of this image measures: its boxes with their names and findings, in any order."""
    return measured(document.joints()) if document is not None else []


def measured(joints) -> list:
    return sorted((tuple(j.box), j.identity or "", tuple(sorted(j.findings.items()))) for j in joints)


def writable_folder(folder: str | Path | None) -> bool:
    """Whether `folder` is a folder this user can write into (asked of the system, no file left behind): an export
    dialog never starts in a read-only one (shared data, a CD), where every name typed would fail."""
    return folder is not None and Path(folder).is_dir() and os.access(folder, os.W_OK | os.X_OK)


def documents_folder() -> Path:
    """The user's Documents folder where there is one, else the home folder."""
    documents = QStandardPaths.writableLocation(QStandardPaths.DocumentsLocation)
    return Path(documents) if documents and writable_folder(documents) else Path.home()


def joint_view(box: tuple[float, float, float, float]) -> QRectF:
    """What going to a joint shows, whichever way (a Results or Joints row, N and Shift+N): the joint in the middle,
    zoomed in to about `JOINT_VIEW_BOXES` of its box's sizes, at any screen's scale the same reading view."""
    cx, cy, w, h = box
    side = JOINT_VIEW_BOXES * max(w, h)
    return QRectF(cx - side / 2.0, cy - side / 2.0, side, side)


class FolderDialog(QFileDialog):
    """Choose a folder, an existing one or a new one typed by name: the folder named is made (in a folder that exists)
    when the user accepts it, where the plain folder dialog said "Directory not found". Qt's own dialog (its
    accept() is what makes the folder), with its New Folder button too."""

    def __init__(self, parent, title: str, start: str):
        super().__init__(parent, title, start)
        self.setFileMode(QFileDialog.Directory)
        self.setOptions(QFileDialog.ShowDirsOnly | QFileDialog.DontUseNativeDialog)

    def accept(self) -> None:
        chosen = self.selectedFiles()
        target = Path(chosen[0]) if chosen else None
        if target is not None and not target.exists() and target.parent.is_dir():
            try:
                target.mkdir()
            except OSError as exc:
                QMessageBox.warning(self, self.windowTitle(), f"Cannot make the folder {target}: "
                                    f"{exc.strerror or exc}. Choose a folder you can write to.")
                return
        super().accept()

    @classmethod
    def get_folder(cls, parent, title: str, start: str) -> str:
        """The folder chosen (made if it was typed as a new name), or "" if cancelled."""
        dialog = cls(parent, title, start)
        try:
            return dialog.selectedFiles()[0] if dialog.exec() == QFileDialog.Accepted and dialog.selectedFiles() else ""
        finally:
            dialog.deleteLater()


class AnalysisActions:
    """The analysis side of `MainWindow` (its state, `result` and the rest, is the window's)."""

    def start_analysis(self) -> Worker | None:
        """Analyse the baseline/follow-up pair in the background with the settings of the dialog."""
        if self.task is not None:  # e.g. the study is still being opened: start when that ends
            self._analysis_queued = True
            self.statusBar().showMessage("The analysis starts when the running task ends (Esc cancels it)", 5000)
            return None
        # the export waiting for this analysis ("Analyse again first"): it goes on once the results are shown
        then, self._export_after_analysis = self._export_after_analysis, None
        baseline, followup = (self.analysed_radiograph(r) for r in ROLES)
        if baseline is None and followup is None:
            self.warnings.show_message("Open a radiograph first: with one, the analysis finds its joints; with a "
                                       "baseline and a follow-up, it also measures JSN progression.",
                                       "warning", key="analysis")
            return None
        if baseline is None or followup is None:
            return self.find_joints(BASELINE if followup is None else FOLLOWUP)
        ids = (self.image_ids[BASELINE], self.image_ids[FOLLOWUP])
        # the boxes the user drew, accepted or corrected are measured, not the detector's of those joints
        corrections = tuple([j for j in self.documents[role].joints() if j.reviewed] if self.documents[role] else []
                            for role in ROLES)
        worker = Worker(run_analysis, baseline, followup, self.settings, self.model_cache, corrections=corrections)
        self._analysis = (worker, dict(zip(ROLES, ids)))
        given = dict(zip(ROLES, (measured(c) for c in corrections)))
        return self._start_analysis_task(
            worker, lambda result: "done" if self.show_results(result, ids, given=given) else "discarded", then)

    def show_result_warning(self, warning: str, number: int, visits: dict[str, str]) -> None:
        """One of an analysis's or a joint search's warnings (`visits`: the word each view's radiograph has in them);
        that a visit's hand is a guess comes with its remedy."""
        guessed = [role for role, word in visits.items() if warning.startswith(SIDE_GUESSED.format(visit=word))]
        if guessed:
            self.show_side_guessed(guessed[0], warning)
        else:
            self.warnings.show_message(warning, "warning", key=f"result-{number}")

    def show_side_guessed(self, role: str, warning: str) -> None:
        """The warning that the hand of `role` is a guess, with the other hand's naming one click away."""
        document = self.documents[role]
        side = document.named_hand if document is not None else None
        action = None
        if side in SIDES:
            other = SIDES[other_side(side)]
            action = (f"Name as a {other} hand", lambda: self.name_as_other_hand(role))
        self.warnings.show_message(warning, "warning", key=f"result-side-{role}", action=action)

    def analysed_radiograph(self, role: str):
        """The radiograph of `role` as the analysis takes it: with the hand the user said it shows (Edit ▸ Name
        joints as the other hand) where that is not the file's, so that its joints are named as that hand's."""
        radiograph, document = self.panes[role].radiograph, self.documents[role]
        if radiograph is None or document is None or document.hand_chosen is None \
                or document.hand_chosen == radiograph.identity.laterality:
            return radiograph
        return dataclasses.replace(radiograph, identity=dataclasses.replace(
            radiograph.identity, laterality=document.hand_chosen, laterality_by_reader=True))

    def find_joints(self, role: str) -> Worker | None:
        """One radiograph open: find its joints and findings in the background and show them as proposals to
        accept or correct (JSN needs the other visit)."""
        radiograph, image_id = self.analysed_radiograph(role), self.image_ids[role]

        def show(search: tuple[list[JointAnnotation], list[str]]) -> str:
            found, warnings = search
            document = self.documents[role]
            if document is None or self.image_ids[role] != image_id:
                self.warnings.show_message("The joint search finished after another image was opened; its boxes "
                                           "were not shown. Run it again (Ctrl+R).", "info", key="analysis")
                return "discarded"
            added = document.set_proposals(new_proposals(document.joints(), found))
            for number, warning in enumerate(warnings):
                self.show_result_warning(warning, number, {role: "radiograph"})
            self.statusBar().showMessage(
                f"{len(found)} joints found on the {role.lower()}: {counted(added, 'proposal')} to accept or correct. "
                "Open the other visit too to measure JSN progression.", 10000)
            return "done"

        worker = Worker(run_joint_search, radiograph, self.settings, self.model_cache)
        self._analysis = (worker, {role: image_id})  # stopped if another image replaces this one
        return self._start_analysis_task(worker, show)

    def _start_analysis_task(self, worker: Worker, show: Callable[[Any], str],
                             then: Callable[[], None] | None = None) -> Worker:
        """Run the analysis (or the joint search) `worker` as the window's task, Analyse disabled meanwhile; `show`
        puts its result on screen and says "done" or "discarded". `analysis_finished` then says how it ended, and
        `then` runs where its result was shown (else it is dropped)."""
        self.warnings.dismiss("analysis")
        self.warnings.dismiss(f"task-error-{ANALYSIS_TASK}")
        outcome = {"state": "error"}  # until the worker says otherwise

        def finished() -> None:
            self.actions_by_name["analyse"].setEnabled(True)
            self.analysis_finished.emit(outcome["state"])
            if then is not None and outcome["state"] == "done":
                then()

        def connect(worker: Worker) -> None:  # before it starts: a quick failure must not be missed
            worker.signals.cancelled.connect(lambda: outcome.update(state="cancelled"))
            worker.signals.finished.connect(finished)

        self.actions_by_name["analyse"].setEnabled(False)
        return self._start(worker, ANALYSIS_TASK, lambda value: outcome.update(state=show(value)), connect=connect)

    def _cancel_stale_analysis(self) -> None:
        """An analysis of images no longer shown would only be dropped at its end: stop it now, so that the
        images shown can be analysed at once."""
        if self._analysis is None:
            return
        worker, ids = self._analysis
        if worker not in self.workers:  # it has ended
            self._analysis = None
        elif any(self.image_ids[role] != image_id for role, image_id in ids.items()):
            self._analysis = None
            self._stopped_as_stale = worker
            worker.cancel()
            self.statusBar().showMessage("Analysis stopped: the images it was analysing are no longer shown", 8000)

    def warm_up(self) -> Worker:
        """Load the analysis libraries and models in the background (the application does this at
        start). A damaged weights file is named in the warnings bar now; other failures are left for the
        analysis to report when the user asks for it."""
        worker = Worker(warm_up, self.settings, self.model_cache)
        self.workers.add(worker)
        worker.signals.error.connect(self._warm_up_failed)
        worker.signals.finished.connect(lambda w=worker: self.workers.discard(w))
        return worker.start()

    def _warm_up_failed(self, exc: BaseException) -> None:
        log.info("warm-up: %s", exc)
        if isinstance(exc, WeightsError):
            self.warnings.show_message(describe(exc), "warning", key="weights-unreadable")

    def show_results(self, result, image_ids: tuple[str | None, str | None] | None = None, propose: bool = True,
                     given: dict[str, list] | None = None) -> bool:
        """Show a StudyResult: table, overlays, the model's boxes as proposals (unless not `propose`). False when
        the study shown is no longer the one analysed (the result is then dropped, with a note). `given`: per view,
        the user's boxes the analysis was given (`measured`); changed while it ran, the results say they are out
        of date."""
        if image_ids is not None and image_ids != (self.image_ids[BASELINE], self.image_ids[FOLLOWUP]):
            self.warnings.show_message("The analysis finished after another study was opened; its results were not "
                                       "shown. Run it again (Ctrl+R).", "info", key="analysis")
            return False
        chosen = self.detail_panel.joint.identity if self.detail_panel.joint is not None else None
        self.result = result
        self._analysed_ids = (self.image_ids[BASELINE], self.image_ids[FOLLOWUP])
        self.results_panel.set_result(result)
        for role, overlay in self.overlays.items():
            overlay.set_result(result)
        self._show_chosen_again(chosen)
        edited = {role for role in (given or {}) if self.documents[role] is not None
                  and measured(j for j in self.documents[role].joints() if j.reviewed) != given[role]}
        added = 0
        done: list[AnnotationDocument] = []
        for role in ROLES:
            document = self.documents[role]
            if not propose or document is None or any(document is d for d in done):
                continue
            done.append(document)
            added += document.set_proposals(new_proposals(document.joints(), proposals(result, VISITS[role])))
        for name in ("export_csv", "export_report", "save_results"):
            self.actions_by_name[name].setEnabled(True)
        self._analysed_boxes = {role: measured_boxes(self.documents[role]) for role in ROLES}
        for role in edited:  # the boxes it measured: those it was given and the proposals it made
            self._analysed_boxes[role] = sorted(given[role] + measured(
                j for j in self.documents[role].joints() if not j.reviewed))
        self._keep_result(result)
        self._check_result_up_to_date()
        self.check_weights_in_use()
        self.warnings.dismiss_prefix("result-")  # the last result's: what this one no longer says must go
        shown = {text for _, text in self.warnings.messages()}
        for number, warning in enumerate(result.warnings):  # what the analysis found (a hand scaled, sides…)
            if warning not in shown:
                self.show_result_warning(warning, number, VISIT_WORDS)
        self.results_dock.raise_()
        if self.height() >= DETAIL_WITH_RESULT_FROM:  # else it opens when a joint is chosen: the images need the room
            self.show_detail_dock()
        unreliable = sum(not j.reliable for j in result.joints)
        self.statusBar().showMessage(
            f"{ANALYSIS_DONE} in {result.timings_s.get('total', 0):.0f} s: {len(result.joints)} joints measured"
            f"{f', {unreliable} not reliable' if unreliable else ''}; {counted(added, 'proposal')} to accept or correct", 10000)
        return True

    def _show_chosen_again(self, identity: str | None) -> None:
        """A new result: the joint detailed before (and framed on the views) is shown from it, its row selected,
        where it measures that joint; else the detail and the frame go (they spoke of the last result)."""
        if self.result is not None and any(j.identity == identity for j in self.result.joints):
            self.results_panel.select_identity(identity, quiet=True)
            self.show_joint_result(identity, centre=False)
        else:
            self.results_panel.select_identity(None, quiet=True)
            self.show_joint_result(None)

    def _results_key(self) -> tuple:
        """Which pair, analysed with which settings: a result kept under it is what Analyse would show again."""
        return self.image_ids[BASELINE], self.image_ids[FOLLOWUP], repr(analysis_settings(self.settings))

    def _keep_result(self, result) -> None:
        key = self._results_key()
        kept = self.past_results.get(key)
        if kept is None or kept[0] is not result:  # a result shown again keeps its own boxes and time
            self.past_results[key] = (result, dict(self._analysed_boxes), time.localtime())
        self.past_results.move_to_end(key)
        while len(self.past_results) > RESULTS_KEPT:
            self.past_results.popitem(last=False)

    def show_past_result(self) -> bool:
        """A pair analysed earlier in this session is open again (the next radiograph and back, a recent study): show
        its results at once, saying when they were measured and whether the boxes changed since."""
        key = self._results_key()
        kept = self.past_results.get(key)
        if kept is None:
            if any(past[:2] == key[:2] for past in self.past_results):  # else "No analysis yet" says nothing of why
                self.statusBar().showMessage(f"{OTHER_SETTINGS}: Ctrl+R analyses it with the settings now in use", 10000)
            return False
        result, boxes, when = kept
        for role in ROLES:
            # The proposals come back to an image read again from its file without them (none saved with it); an
            # image with the user's unsaved edits is shown as they left it: a proposal they deleted stays deleted.
            document = self.documents[role]
            if document is None or document.is_dirty or any(j.source == "model" for j in document.joints()):
                continue
            document.set_proposals(new_proposals(document.joints(), proposals(result, VISITS[role])))
        if not self.show_results(result, propose=False):
            return False
        self._analysed_boxes = boxes
        self._check_result_up_to_date()
        self.statusBar().showMessage(f"{ANALYSIS_DONE} at {time.strftime('%H:%M', when)}, shown again: {len(result.joints)} "
                                     "joints measured (Ctrl+R analyses the pair anew)", 10000)
        return True

    def clear_result(self) -> None:
        """Another study is shown: its predecessor's results go, and what was said of its analysis and exports."""
        if self.result is not None and self.statusBar().currentMessage().startswith(ANALYSIS_DONE):
            self.statusBar().clearMessage()  # it spoke of the result that goes
        self.result = None
        self.detail_dock.hide()
        self.warnings.dismiss_prefix("result-")
        self.warnings.dismiss("analysis")
        for label in (ANALYSIS_TASK, *EXPORT_TASKS.values()):
            self.warnings.dismiss(f"task-error-{label}")
        self._analysed_ids = None
        self._analysed_boxes = {}
        self._export_after_analysis = None  # it was of the results that go
        self.warnings.dismiss(RESULTS_OUT_OF_DATE)
        self.warnings.dismiss(RESULTS_OTHER_WEIGHTS)
        self._crops_saved_for = None
        self.results_panel.set_result(None)
        self.detail_panel.show_joint(None)
        for overlay in self.overlays.values():
            overlay.set_result(None)
        for name in ("export_csv", "export_report", "save_results"):
            self.actions_by_name[name].setEnabled(False)

    def show_tag_joint(self, identity: str) -> None:
        """A JSN tag clicked on a view: select its joint's row and detail it, leaving the views where they are."""
        self.results_dock.raise_()
        self.show_measured(identity)
        self.went_to_joint(identity)

    def show_results_row(self, identity: str | None) -> None:
        """A Results row chosen: go to its joint (`show_joint_result`), which N and Shift+N then go on from."""
        self.show_joint_result(identity)
        if identity is not None:
            self.went_to_joint(identity)

    def show_measured(self, identity: str) -> None:
        """Select a measured joint's results row and detail it, the views and the panel in front left as they are;
        nothing for a joint the results do not measure."""
        if self.result is None or all(j.identity != identity for j in self.result.joints):
            return
        self.results_panel.select_identity(identity, quiet=True)
        self.show_joint_result(identity, centre=False)

    def show_joint_result(self, identity: str | None, centre: bool = True) -> None:
        """A results-table row: centre both views on the joint (each on its own visit) and detail it."""
        joint = None
        if self.result is not None and identity is not None:
            joint = next((j for j in self.result.joints if j.identity == identity), None)
        self.detail_panel.show_joint(joint)
        if joint is not None:
            self.show_detail_dock()
        for role, overlay in self.overlays.items():
            overlay.show_focus(None if joint is None else getattr(joint, VISITS[role]).box, identity if joint else None)
        if joint is None or not centre:
            return
        (bx, by, _, _), (fx, fy, _, _) = joint.baseline.box, joint.followup.box
        self.leave_fit()
        self._set_link_offset(fx - bx, fy - by)
        self.panes[BASELINE].view_box.setRange(joint_view(joint.baseline.box), padding=0.0)
        self._sync_followup_view()

    def _set_link_offset(self, dx: float, dy: float) -> None:
        self.panes[FOLLOWUP].view_box.link_offset = (float(dx), float(dy))
        self.panes[BASELINE].view_box.link_offset = (-float(dx), -float(dy))

    def _sync_followup_view(self) -> None:
        follow, base = self.panes[FOLLOWUP].view_box, self.panes[BASELINE].view_box
        follow.linkedViewChanged(base, follow.XAxis)
        follow.linkedViewChanged(base, follow.YAxis)

    def _analysed_radiographs(self):
        """The radiographs the shown result belongs to (None if the study changed since)."""
        if self.result is None or self._analysed_ids != (self.image_ids[BASELINE], self.image_ids[FOLLOWUP]):
            return None
        return self.panes[BASELINE].radiograph, self.panes[FOLLOWUP].radiograph

    def _export_start(self) -> str:
        """Where an export dialog (CSV, report, results folder) starts: the folder last exported to in this session,
        else the radiograph's folder where the user can write into it, else their Documents (or home) folder. Not the
        demo's folder: it lies hidden in the program's data folder, where a user would not find the file again."""
        if writable_folder(self.export_folder):
            return str(self.export_folder)
        document = self.documents[FOLLOWUP] or self.documents[BASELINE]
        if document is not None and not document.sandbox and writable_folder(Path(document.path).parent):
            return str(Path(document.path).parent)
        return str(documents_folder())

    def _export_proposal(self, what: str, suffix: str = "") -> str:
        """What an export dialog proposes: a file (or a new folder, no `suffix`; where this study's was made before, the
        dialog opens in it) named for the study (`study_file_name`: the patient ID and both study dates) in
        `_export_start`."""
        from jsnviewer.pipeline.report import study_file_name

        return str(Path(self._export_start()) / (study_file_name(self.result, what) + suffix))

    def export_csv_dialog(self) -> None:
        if self.result is None or not self._export_out_of_date_asked(self.export_csv_dialog):
            return
        path, _ = QFileDialog.getSaveFileName(self, "Export results as CSV", self._export_proposal("jsn-results", ".csv"),
                                              "CSV (*.csv)")
        if path:
            self.export_csv(Path(path))

    def export_csv(self, path: Path) -> Worker | None:
        from jsnviewer.pipeline.report import write_csv

        return self._export(write_csv, path, self._result_to_export(), label=EXPORT_TASKS["csv"])

    def export_report_dialog(self) -> None:
        if self.result is None or not self._export_out_of_date_asked(self.export_report_dialog):
            return
        path, chosen = QFileDialog.getSaveFileName(self, "Export report", self._export_proposal("jsn-report", ".pdf"),
                                                   "PDF (*.pdf);;PNG image (*.png)")
        if path:
            if Path(path).suffix.lower() not in (".pdf", ".png"):
                path += ".png" if "PNG" in chosen else ".pdf"
            self.export_report(Path(path))

    def export_report(self, path: Path) -> Worker | None:
        from jsnviewer.gui.report_export import write_report

        radiographs = self._analysed_radiographs()
        if radiographs is None:
            return None
        return self._export(write_report, path, self._result_to_export(), *radiographs, label=EXPORT_TASKS["report"])

    def save_results_dialog(self) -> None:
        if self.result is None or not self._export_out_of_date_asked(self.save_results_dialog):
            return
        folder = FolderDialog.get_folder(self, "Save the results into a folder (an existing one, or type a new name)",
                                         self._export_proposal("jsn-results"))
        if folder:
            self.save_results(Path(folder))

    def save_results(self, folder: Path) -> Worker | None:
        from jsnviewer.pipeline.report import write_results

        radiographs = self._analysed_radiographs()
        if radiographs is None:
            return None
        return self._export(lambda *args: write_results(*args)["json"].parent, folder, self._result_to_export(),
                            *radiographs, label=EXPORT_TASKS["results"])

    def _export_out_of_date_asked(self, export: Callable[[], None]) -> bool:
        """Before an export of results the boxes changed since: whether to go on. Analyse again first (`export`, the
        export's dialog, then opens once the new results are shown; not if the analysis fails or is cancelled),
        export these results anyway (they say so, `_result_to_export`), or neither."""
        if not self._results_out_of_date():
            return True
        question = QMessageBox(QMessageBox.Warning, "The boxes changed since the analysis",
                               "The boxes changed since the analysis: the results shown measure the boxes as they "
                               "were.\n\nAnalyse again first to measure your boxes, or export these results anyway? "
                               "Exported, they say that the boxes were changed after the analysis.",
                               QMessageBox.NoButton, self)
        again = question.addButton("Analyse again first", QMessageBox.AcceptRole)
        anyway = question.addButton("Export these results anyway", QMessageBox.AcceptRole)
        question.setDefaultButton(question.addButton(QMessageBox.Cancel))
        question.exec()
        clicked = question.clickedButton()
        question.deleteLater()
        if clicked is again:
            self.statusBar().showMessage("Analysing your boxes: the export goes on once the new results are shown",
                                         8000)
            self._export_after_analysis = export
            self.start_analysis()
        return clicked is anyway

    def _result_to_export(self):
        """The result shown, as an export writes it: where the boxes changed since the analysis, its warnings say so."""
        if not self._results_out_of_date():
            return self.result
        return dataclasses.replace(self.result, warnings=[*self.result.warnings, EXPORTED_OUT_OF_DATE])

    def _export(self, fn: Callable[..., Any], *args: Any, label: str) -> Worker:
        def done(written) -> None:
            target = Path(args[0])
            self.export_folder = target if target.is_dir() else target.parent  # the next export's dialog starts there
            self.warnings.dismiss(f"task-error-{label}")
            self.statusBar().showMessage(f"Written: {written}", 8000)

        return self._start(Worker(fn, *args), label, done, show_progress=False)

    def _check_result_up_to_date(self) -> None:
        """Say so when the boxes, names or findings shown are no longer those the results measured (accepting a
        proposal as it is changes nothing); undoing back to them takes the note away."""
        if self.result is None or not self._analysed_boxes:
            return
        if self._results_out_of_date():
            self.warnings.show_message("The boxes changed since the analysis: the results shown measure the boxes as "
                                       "they were. Analyse again (Ctrl+R) to measure your boxes.", "info",
                                       key=RESULTS_OUT_OF_DATE)
        else:
            self.warnings.dismiss(RESULTS_OUT_OF_DATE)

    def check_weights_in_use(self) -> None:
        """Mark the results shown where the weights now in use (Settings, retrained weights taken into use) are not
        those that made them, with Analyse again one click away; nothing is analysed until the user asks. Back to
        the weights that made them, the mark goes."""
        in_use = other_weights_in_use(self.result, weights_files(self.settings)) if self.result is not None else None
        self.results_panel.mark_other_weights(in_use)
        if in_use is None:
            self.warnings.dismiss(RESULTS_OTHER_WEIGHTS)
            return
        self.warnings.show_message(f"The results shown were made with other weights than those now in use. Now in use: "
                                   f"{in_use}. Analyse again to measure with them.", "info",
                                   key=RESULTS_OTHER_WEIGHTS, action=("Analyse again", self.start_analysis))

    def _results_out_of_date(self) -> bool:
        """Whether the boxes, names or findings shown are no longer those the result shown measured."""
        return self.result is not None and any(measured_boxes(self.documents[role]) != boxes
                                               for role, boxes in self._analysed_boxes.items())
