"""The main window's training dataset: the folder annotations are saved to, saving (with `AnnotationSaver`),
the joint crops saved for retraining, and COCO export and import. `MainWindow` inherits these methods."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox

from jsnviewer.coco import CocoExport, CocoImport
from jsnviewer.dataset import DatasetError, JointsMerge, is_dataset, open_dataset, repeated_identities
from jsnviewer.gui.annotation import AnnotationDocument, copy_joint
from jsnviewer.gui.autosave import write_joint_crops
from jsnviewer.gui.menus import SAVE_TIP, SAVE_TIP_IN_DEMO, key_in_tip
from jsnviewer.gui.study_loading import BASELINE, FOLLOWUP, ROLES
from jsnviewer.gui.worker import Worker
from jsnviewer.words import counted


def folder_label(folder: Path) -> str:
    """A dataset folder in the status bar: its name with its parent's (`x/ds` and `hands/ds` are told apart, where
    `ds` alone was the same for both), the whole path being the label's tooltip."""
    return str(Path(*folder.parts[-2:]))


class DatasetActions:
    """The dataset side of `MainWindow` (its state, `saver` and the rest, is the window's)."""

    def _use_remembered_dataset(self) -> None:
        """Save to the dataset folder of the settings if it is still a dataset; never make one there
        (a USB stick not plugged in, a share not mounted: its folder may be missing or empty)."""
        if not self.settings.dataset_folder:
            return
        try:
            self.saver.dataset_root = open_dataset(self.settings.dataset_folder).root
        except DatasetError as exc:
            self._dataset_unusable(str(exc))

    def _dataset_unusable(self, reason: str) -> None:
        """Autosave off until the user chooses a dataset folder again; the settings keep the folder."""
        self.saver.dataset_root = None
        self.dataset_unusable = True
        self.warnings.show_message(
            f"Dataset folder not available: {reason}. Autosave is off: your edits stay in this window, unsaved, until "
            "you choose the dataset folder again (File ▸ Choose dataset folder…); then reopen the images to see "
            "their saved boxes.", "error", key="dataset")
        self._update_save_state()

    def choose_dataset_folder(self) -> bool:
        folder = QFileDialog.getExistingDirectory(self, "Choose the training dataset folder (an empty folder starts one)",
                                                  self._dataset_folder_chosen() or str(Path.home()))
        return bool(folder) and self.set_dataset_folder(Path(folder))

    def _dataset_folder_chosen(self) -> str:
        """The dataset folder of this session: the one named on the command line, else the settings' (remembered)."""
        return self.session_dataset_folder or self.settings.dataset_folder

    def set_dataset_folder(self, folder: Path, or_none: bool = False) -> bool:
        """Save to `folder` (an empty one starts a dataset). A folder that cannot be used is refused with a message;
        the window keeps the folder it had or, with `or_none` (the folder named on the command line), has none: it
        never saves to a dataset the user did not name this time. A folder chosen in the window is remembered in the
        settings; the command line's (`or_none`) is this session's only: the next start uses the remembered one."""
        try:
            open_dataset(folder, create=not is_dataset(folder))
        except DatasetError as exc:
            if not or_none:
                self.warnings.show_message(f"Dataset folder not used: {exc}", "error", key="dataset")
                return False
            self.saver.dataset_root, self.dataset_unusable = None, False
            self.warnings.show_message(
                f"Dataset folder not used: {exc}. Nothing is saved, not to the dataset folder of the settings either: "
                "your edits stay in this window until you choose a dataset folder (File ▸ Choose dataset folder…).",
                "error", key="dataset")
            self._update_save_state()
            return False
        self.warnings.dismiss("dataset")
        self.dataset_unusable = False
        carried = []
        before = self._dataset_folder_chosen()
        if not before or Path(before).resolve() != Path(folder).resolve():
            carried = self._carried_over()
            for document in self.session_documents.values():
                document.stored, document.base = None, []  # nothing read from this folder: a file there is someone else's
        if or_none:  # this session's only: the settings (and so the next start) keep the remembered folder
            self.session_dataset_folder = str(folder)
        else:
            self.session_dataset_folder = ""
            self.settings.dataset_folder = str(folder)
            self._save_settings()
        self.saver.dataset_root = Path(folder)
        for document in carried:
            document.mark_saved(-1)  # unsaved in this folder
        for document in self.session_documents.values():
            if document.is_dirty:  # edits made before there was a folder to save them to, or carried to this one
                self.saver.schedule(document)
        if carried:
            self.warnings.show_message(
                f"{counted(len(carried), 'image')} with your boxes (" + ", ".join(sorted(d.path.name for d in carried)) +
                f") {'is' if len(carried) == 1 else 'are'} saved to {folder} too: the dataset you chose holds the boxes "
                "you see.", "info", key="dataset-carried")
        self._update_save_state()
        return True

    def _carried_over(self) -> list:
        """The images with boxes of the user's, all saved, that a change of dataset folder would leave behind in the old
        one: those shown, and every image of the session when the old folder is gone (a drive unplugged). Edits not
        yet saved go to the new folder anyway."""
        old = Path(self._dataset_folder_chosen()) if self._dataset_folder_chosen() else None
        old_gone = old is not None and not is_dataset(old)
        shown = [self.documents[role] for role in ROLES]
        return [d for d in self.session_documents.values() if (old_gone or any(d is s for s in shown))
                and not d.is_dirty and not d.sandbox and any(j.reviewed for j in d.joints())]

    def save_annotations(self) -> bool:
        """Save every edited image now (asks for a dataset folder the first time); never the demo's."""
        if self._demo_shown() and not self._unsaved():
            self.statusBar().showMessage("Nothing to save: the demo's edits stay in this window, never in your dataset",
                                         6000)
            return True
        if self.saver.dataset_root is None and not self.choose_dataset_folder():
            return False
        dirty = self._unsaved()
        held = [d for role in ROLES if (d := self.documents[role]) is not None and d.keep_saved_file and not d.is_dirty
                and not d.sandbox]
        if not dirty and held:
            # an unreadable saved file is never replaced by an annotation with none of the user's edits: set aside
            # for nothing, it would read as an image nobody reviewed and leave the Retrain dialog's list of files to
            # repair; its boxes may still be got back from it
            names = list(dict.fromkeys(d.path.name for d in held))
            one = len(names) == 1
            files = ("its saved annotation file that cannot be read is left as it is" if one else
                     "their saved annotation files that cannot be read are left as they are")
            self.statusBar().showMessage(
                f"Nothing to save: no edits of yours on {' or '.join(names)} yet, so {files} (Ctrl+S sets "
                f"{'it' if one else 'them'} aside once you have drawn or corrected boxes)", 8000)
        elif not dirty:
            self.statusBar().showMessage("Nothing to save: all edits are saved", 4000)
            self.save_joint_crops()
        for document in dirty:
            self.saver.save_now(document)
        self._update_save_state()
        return True

    def _unsaved(self) -> list[AnnotationDocument]:
        """The session's images with edits not saved yet, the demo's left out (they are never saved)."""
        return [d for d in self.session_documents.values() if d.is_dirty and not d.sandbox]

    def _demo_shown(self) -> bool:
        return any(d is not None and d.sandbox for d in self.documents.values())

    def _saved(self, document: AnnotationDocument, path: str) -> None:
        document.keep_saved_file = None
        self.warnings.dismiss(f"save-{id(document)}")
        for role in ROLES:
            if document is self.documents[role]:
                self.warnings.dismiss(f"annotation-{role}")  # its unreadable file is set aside now
        self._update_save_state()
        self._update_title()
        if any(document is self.documents[role] for role in ROLES):
            self.save_joint_crops()

    def save_joint_crops(self) -> Worker | None:
        """With the annotations of an analysed study, save the crops and bone masks of the joints the user
        confirmed on both visits to the dataset (in the background, again whenever the boxes changed: the
        first save often comes before the follow-up is reviewed); a failure says why and leaves the
        annotations."""
        radiographs, root = self._analysed_radiographs(), self.saver.dataset_root
        if (radiographs is None or root is None or None in (self.documents[BASELINE], self.documents[FOLLOWUP])
                or self._demo_shown()):
            return None
        joints = self.documents[BASELINE].joints(), self.documents[FOLLOWUP].joints()
        done = self._crops_saved_for
        if done is not None and done[0] is self.result and done[1:] == (root, *joints):
            return None
        self._crops_saved_for = (self.result, root, *joints)

        def failed(exc: BaseException) -> None:
            self._crops_saved_for = None  # the next save tries again
            self.warnings.show_message(f"Joint crops for retraining not saved: {exc}. The annotations are saved.",
                                       "error", key="joint-crops")

        worker = Worker(write_joint_crops, root, self.result, *radiographs, *joints)
        worker.signals.result.connect(lambda paths: self.warnings.dismiss("joint-crops"))
        worker.signals.error.connect(failed)
        worker.signals.finished.connect(lambda w=worker: self.workers.discard(w))
        self.workers.add(worker)
        return worker.start()

    def _save_failed(self, document: AnnotationDocument, reason: str) -> None:
        self.warnings.show_message(
            f"Annotations of {document.path.name} not saved: {reason}. Your edits are kept; "
            "fix the folder or choose another (File ▸ Choose dataset folder…), then save (Ctrl+S).",
            "error", key=f"save-{id(document)}")
        self._update_save_state()

    def _save_waits_for_radiograph(self, document: AnnotationDocument, reason: str) -> None:
        """Nothing about the dataset folder is wrong: the radiograph the boxes are of is gone (moved, deleted, a
        drive unplugged) or another image now, and a save needs it to copy it into the dataset."""
        self.warnings.show_message(
            f"Annotations of {document.path.name} not saved: {reason}. Your edits stay in this window, unsaved; "
            f"put the radiograph back at {document.path}, then save (Ctrl+S).", "error", key=f"save-{id(document)}")
        self._update_save_state()

    def _save_conflicted(self, document: AnnotationDocument, reason: str) -> None:
        self.warnings.show_message(
            f"Annotations of {document.path.name} not saved: {reason}. Your edits stay in this window, unsaved; "
            "autosave leaves that file alone. Ctrl+S merges the two, keeping both versions of the joints you both "
            "changed: delete the one you do not want.", "error", key=f"save-{id(document)}")
        self._update_save_state()

    def _save_merged(self, document: AnnotationDocument, merge: JointsMerge) -> None:
        edits = len(merge.theirs)
        text = (f"{document.path.name}: {counted(edits, 'box')} changed meanwhile by another "
                f"window or annotator ({merge.their_names()}), merged with yours and shown here.")
        level = "info"
        if merge.clashes:
            text += (f" Both of you changed {merge.clash_names()}: both versions are kept; delete the one you do "
                     "not want.")
            level = "warning"
        repeated = repeated_identities(merge.joints)
        twice = [name for name in dict.fromkeys(j.identity for j in merge.theirs) if name in repeated]
        if twice and not merge.clashes:  # a box moved far reads as one deleted and one added
            text += (f" {', '.join(twice)} {'is' if len(twice) == 1 else 'are'} now there twice: delete the box "
                     "you do not want.")
            level = "warning"
        self.warnings.show_message(text, level, key=f"merged-{id(document)}")

    def _show_repeated_identities(self) -> None:
        """Name in the warnings bar, at once, a joint name that an edit (a rename, a box drawn and named, a proposal
        accepted…) left on more than one box of a shown image: saved so, the dataset would have that joint twice
        (the Retrain dialog lists such radiographs). The edit is not blocked; the message goes once each name is on
        one box again (`repeated_identities`, the count the Joints panel and retraining use too)."""
        said = []
        for role in ROLES:
            document = self.documents[role]
            key = f"repeated-{role}"
            if document is None or any(document is d for d in said):  # one image in both views: said once
                self.warnings.dismiss(key)
                continue
            said.append(document)
            repeated = repeated_identities(document.joints())
            if not repeated:
                self.warnings.dismiss(key)
                continue
            names = ", ".join(repeated)
            one = len(repeated) == 1
            text = (f"{document.path.name} ({role.lower()}): " +
                    "; ".join(f"{name} is on {counted(count, 'box')}" for name, count in repeated.items()) +
                    f". One joint has one box: rename or delete the extra {'box' if one else 'boxes'} of {names}, "
                    f"or the training dataset gets {'that joint' if one else 'those joints'} more than once.")
            self.warnings.show_message(text, "warning", key=key)

    def _update_save_state(self) -> None:
        dirty = self._unsaved()
        if self.unsaved_edits is not None:
            self.unsaved_edits.keep_soon()
        failed = [d for d in dirty if d.save_error]
        held = [d for d in dirty if d.keep_saved_file]  # autosave leaves a saved file it could not read alone
        no_folder = "dataset folder not available" if self.dataset_unusable else "no dataset folder"
        if failed:
            text = f"⚠ {counted(len(failed), 'image')} not saved"
        elif held and self.saver.dataset_root is not None:
            text = f"⚠ Not autosaved: Ctrl+S needed ({counted(len(held), 'image')})"
        elif dirty and self.saver.dataset_root is None:
            text = f"Unsaved edits: {no_folder} (Ctrl+S)"
        elif dirty:
            text = "Saving…" if self.saver.is_busy() else "Edited (autosave pending)"
        elif self._demo_shown():
            text = "Demo: edits kept in this window only, not saved"
        elif self.saver.dataset_root is None:
            text = f"Autosave off: {no_folder}"
        else:
            text = f"All saved to {folder_label(self.saver.dataset_root)}"
            if self.session_dataset_folder:
                text += " (--dataset, this session only)"
        root = self.saver.dataset_root
        self.save_state.setText(text)
        tooltip = f"Dataset folder: {root}" if root is not None else ""
        if root is not None and self.session_dataset_folder:
            remembered = self.settings.dataset_folder
            tooltip += (", named on the command line (--dataset) for this session only; the next start saves to "
                        f"{remembered if remembered else 'no dataset folder'}, as the settings say")
        self.save_state.setToolTip(tooltip)
        save = self.actions_by_name["save"]
        save.setToolTip((SAVE_TIP_IN_DEMO if self._demo_shown() else SAVE_TIP) + key_in_tip(save))

    def _coco_exported(self, export: CocoExport) -> None:
        text = (f"COCO JSON written to {export.path}: {counted(export.images, 'reviewed image')}, "
                f"{counted(export.boxes, 'box')}")
        self.statusBar().showMessage(text, 10000)
        if export.left_out:
            partial = f" {export.partial()[0].upper()}{export.partial()[1:]}." if export.partly_reviewed else ""
            self.warnings.show_message(f"{text}. Left out, as from training: {export.left_out}.{partial}", "info",
                                       key="coco")
        else:
            self.warnings.dismiss("coco")

    def export_coco(self) -> None:
        if self.saver.dataset_root is None or not is_dataset(self.saver.dataset_root):
            self.warnings.show_message("Export needs a dataset folder with saved annotations (Ctrl+S first).", "warning",
                                       key="coco")
            return
        path, _ = QFileDialog.getSaveFileName(self, "Export COCO JSON", str(self.saver.dataset_root / "coco.json"),
                                              "COCO JSON (*.json)")
        if path:
            self.export_coco_to(Path(path))

    def export_coco_to(self, path: Path) -> Worker | None:
        self.saver.flush()
        self.saver.wait()
        dataset = open_dataset(self.saver.dataset_root)
        return self._start(Worker(dataset.export_coco, path), "Exporting COCO JSON", self._coco_exported,
                           show_progress=False)

    def import_coco(self) -> None:
        if self.saver.dataset_root is None or not is_dataset(self.saver.dataset_root):
            self.warnings.show_message("Import needs a dataset folder to bring the boxes into: choose one first (File ▸ "
                                       "Choose dataset folder…).", "warning", key="coco")
            return
        path, _ = QFileDialog.getOpenFileName(self, "Import COCO JSON into the dataset", str(self.saver.dataset_root),
                                              "COCO JSON (*.json)")
        if path:
            self.import_coco_from(Path(path))

    def import_coco_from(self, path: Path) -> Worker | None:
        """Import in the background, the edits of the images shown saved first (the import never deletes a box
        saved since the export); then the shown images show the dataset's boxes."""
        self.saver.flush()
        self.saver.wait()
        QApplication.processEvents()  # the saves' results reach their documents
        try:
            dataset = open_dataset(self.saver.dataset_root)
        except DatasetError as exc:
            self.warnings.show_message(f"Import not done: {exc}", "error", key="coco")
            return None
        names = {d.image_id: d.path.name for d in self.session_documents.values() if d.image_id and not d.sandbox}
        return self._start(Worker(dataset.import_coco, path, names), "Importing COCO JSON", self._coco_imported,
                           show_progress=False)

    def _coco_imported(self, imported: CocoImport) -> None:
        self.warnings.dismiss("coco")
        self.statusBar().showMessage(f"COCO JSON imported: {imported.counts()}", 10000)
        self._reload_from_dataset(set(imported.written))
        self.import_report = QMessageBox(QMessageBox.Information if not (imported.beside or imported.images_left_out)
                                         else QMessageBox.Warning, "COCO JSON imported", str(imported), QMessageBox.Ok,
                                         self)
        self.import_report.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.import_report.open()  # not exec(): the window goes on drawing (and the tests go on)

    def _reload_from_dataset(self, image_ids: set[str]) -> None:
        """Show the saved boxes of these images where they are shown. A document with edits not saved yet (made
        while the import ran, or whose save failed) keeps them: its next save merges the import in, as with any
        change saved elsewhere. The others take the file's boxes as one undo step, "COCO import": Undo puts
        the boxes back as they were before it, saved as any edit (and Redo the imported ones)."""
        dataset = open_dataset(self.saver.dataset_root)
        for role in ROLES:
            document = self.documents[role]
            if document is None or document.image_id not in image_ids:
                continue
            if document.is_dirty or document.keep_saved_file:
                self.saver.schedule(document)
                continue
            try:
                annotation = dataset.load_annotation(document.image_id)
            except DatasetError as exc:
                self.warnings.show_message(f"Imported boxes not shown: {exc}", "error", key=f"annotation-{role}")
                continue
            if annotation is not None:
                document.stored, document.base = annotation.stored, [copy_joint(j) for j in annotation.joints]
                document.take_saved(annotation.joints, "COCO import")
