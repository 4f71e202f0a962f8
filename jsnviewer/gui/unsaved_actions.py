"""The main window's unsaved edits kept against a crash (`jsnviewer.gui.unsaved_edits`): keeping them as they are made,
and at the next start offering back, restoring and saying what a window that ended without closing left.
`MainWindow` inherits these methods."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QMessageBox

from jsnviewer.dataset import AnnotationDataset, DatasetError
from jsnviewer.gui.annotation import AnnotationDocument
from jsnviewer.gui.study_loading import ROLES
from jsnviewer.gui.unsaved_edits import LeftBehind, Unreadable, UnsavedEdits, UnsavedImage, merged_unsaved
from jsnviewer.words import counted


def unsaved_text(left: list[LeftBehind]) -> str:
    """What the question at start says of the unsaved edits left behind."""
    names = list(dict.fromkeys(image.name for found in left for image in found.images))
    when = max((found.written for found in left), default="").replace("T", " ")
    shown = ", ".join(names[:4]) + (f" and {len(names) - 4} more" if len(names) > 4 else "")
    return (f"jsnviewer ended{f' (last edit {when})' if when else ''} without saving your edits of "
            f"{counted(len(names), 'image')}: {shown}.\n\nRestore them? They come back as unsaved edits, saved to the "
            "dataset folder as any edit (Undo takes them back out). Not now: they are offered again at the next start.")


class UnsavedEditsActions:
    """The unsaved-edits side of `MainWindow` (its state, `unsaved_edits`, `documents`, `saver`, is the window's)."""

    def keep_unsaved_edits(self, folder: Path) -> None:
        """Keep this window's unsaved edits in `folder` as they are made, for the next start to offer back should
        the window end without closing (jsnviewer.gui.unsaved_edits)."""
        self.unsaved_edits = UnsavedEdits(folder, self._unsaved, self._shown_files, self)
        self.unsaved_edits.problem.connect(self._show_unsaved_edits_problem)

    def _show_unsaved_edits_problem(self, error: str | None) -> None:
        """A note, not an alarm: the edits are still in the window and saving works as before; only a crash would
        take them now."""
        if error is None:
            self.warnings.dismiss("unsaved-edits")
        else:
            self.warnings.show_message(f"Unsaved edits cannot be kept against a crash: {self.unsaved_edits.folder}: "
                                       f"{error}. They are in this window and are saved as before.", "info",
                                       key="unsaved-edits")

    def _shown_files(self) -> tuple[str | None, str | None]:
        return tuple(str(d.path) if (d := self.documents[role]) is not None and not d.sandbox else None
                     for role in ROLES)

    def say_unreadable_unsaved(self, unreadable: list[Unreadable]) -> None:
        """Files of unsaved edits left behind that cannot be read, said once (`left_behind` sets them aside): not
        restored, but kept, so that what can be mended is not lost. Those of a newer jsnviewer are said as kept for
        it (this version would drop what it cannot read)."""
        if newer := [found for found in unreadable if found.for_newer]:
            self.warnings.show_message(
                f"Unsaved edits left by a newer jsnviewer are kept for it, not restored by this version (it would drop "
                f"what it cannot read): {'; '.join(str(found.path) for found in newer)}. Start that version to "
                "restore them.", "info", key="unsaved-newer")
        if not (unreadable := [found for found in unreadable if not found.for_newer]):
            return
        files = "; ".join(f"{found.path} ({found.reason})" for found in unreadable)
        one = len(unreadable) == 1
        self.warnings.show_message(
            f"Unsaved edits left by {'a window' if one else 'windows'} that ended without closing cannot be read, so "
            f"they were not restored: {files}. {'The file is' if one else 'The files are'} kept for repair; once "
            f"mended and named *.json again in {unreadable[0].path.parent}, the next start offers "
            f"{'it' if one else 'them'}.", "warning", key="unsaved-unreadable")

    def offer_unsaved(self, left: list[LeftBehind]) -> tuple[str | None, str | None] | None:
        """Ask whether to restore the unsaved edits left behind (`unsaved_text`); the study to show where restored,
        None where not (they are offered again at the next start)."""
        box = QMessageBox(QMessageBox.Warning, "Unsaved annotations found", unsaved_text(left), parent=self)
        restore = box.addButton("Restore them", QMessageBox.AcceptRole)
        box.addButton("Not now", QMessageBox.RejectRole)
        box.setDefaultButton(restore)
        box.exec()
        if box.clickedButton() is not restore:
            for found in left:
                found.release()
            return None
        return self.restore_unsaved(left)

    def restore_unsaved(self, left: list[LeftBehind]) -> tuple[str | None, str | None]:
        """Put the unsaved edits a window that ended without closing left back into this session, each image's as one
        undo step, unsaved: autosave saves them (as it would have), Ctrl+S too, and the image shows them when opened.
        Their files go once this window keeps them itself. Returns the study that window showed (the files that
        are still there)."""
        for image, merge, windows in merged_unsaved(left):
            if (current := self.session_documents.get(image.image_id)) is not None and current.is_dirty:
                continue  # edits made here since (not at start): kept, and the older ones with them in the file
            document = self._new_document(AnnotationDocument(
                Path(image.file), image.width, image.height, image.laterality, image.pixel_size_mm, image.base,
                parent=self, image_id=image.image_id, stored=image.stored, both_hands=image.both_hands,
                hand=image.hand))
            document.restore_unsaved(image.joints)
            self.saver.schedule(document)
            if not document.path.is_file():
                self._say_restored_image_gone(image)
            if windows > 1:
                text = (f"{image.name}: your unsaved edits of {counted(windows, 'window')} are restored together, "
                        "merged as two saves of one image are.")
                if merge.clashes:
                    text += (f" Both changed {merge.clash_names()}: both versions are kept; delete the one you do not "
                             "want.")
                self.warnings.show_message(text, "warning" if merge.clashes else "info",
                                           key=f"restored-merged-{image.image_id}")
        if self.unsaved_edits is not None:  # their files go once this window's own holds the edits
            self.unsaved_edits.take_over(left)
            self.unsaved_edits.keep()
        else:
            for found in left:
                found.done()
        self._update_save_state()
        self._update_title()
        shown = next((found.shown for found in reversed(left) if any(found.shown)), (None, None))
        return tuple(file if file and Path(file).is_file() else None for file in shown)

    def _say_restored_image_gone(self, image: UnsavedImage) -> None:
        """Said as the edits are restored, not at their first save: a radiograph moved or deleted since the window
        that left them ended. A save finds the image by its id where the dataset folder has it already (its own
        copy); else it must read the file to copy it in, and the edits wait for it, unsaved (never dropped)."""
        saved = None
        if self.saver.dataset_root is not None:
            try:
                saved = AnnotationDataset(self.saver.dataset_root).load_annotation(image.image_id)
            except DatasetError:
                saved = None  # its file cannot be read: a save of the edits sets it aside, and needs the image too
        if saved is not None:
            text = (f"{image.name} was moved or deleted since: your restored edits of it are saved to the dataset "
                    f"folder as any edit (its copy there shows them: {self.saver.dataset_root / saved.image_file}).")
        else:
            kept = f", kept against a crash in {self.unsaved_edits.path}" if self.unsaved_edits is not None else ""
            text = (f"{image.name} was moved or deleted since: your restored edits of it can be saved once it is back "
                    f"at {image.file}; until then they stay in this window, unsaved{kept}.")
        self.warnings.show_message(text, "info" if saved is not None else "warning",
                                   key=f"restored-gone-{image.image_id}")
