"""The main window's studies: opening radiographs (dialogs, a study folder, Open recent, a drop, Next / Previous
image in the folder) in the background, only the latest request for each view shown, and showing what was loaded
(its documents, boxes and the pair's checks; leaving the demo). `MainWindow` inherits these methods."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import QFileDialog

from jsnviewer.dataset import AnnotationDataset
from jsnviewer.gui.annotation import AnnotationDocument
from jsnviewer.gui.box_layer import AnnotationLayer
from jsnviewer.gui.image_view import Tool
from jsnviewer.gui.settings import add_recent_study, qsettings, recent_labels, recent_studies
from jsnviewer.gui.study_loading import (BASELINE, FOLLOWUP, ROLES, LoadedImage, NeighbourLoad, StudyLoad, load_folder,
                                         load_neighbour, load_study)
from jsnviewer.gui.worker import Worker
from jsnviewer.joints import BOTH
from jsnviewer.radiograph import RADIOGRAPH_SUFFIXES, check_pair


class StudyActions:
    """The opening side of `MainWindow` (its state, `panes`, `documents`, `saver` and the rest, is the window's)."""

    def fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        pairs = recent_studies(qsettings())
        if not pairs:
            self.recent_menu.addAction("(none yet)").setEnabled(False)
        for (baseline, followup), text in zip(pairs, recent_labels(pairs)):
            action = self.recent_menu.addAction(text)
            action.setToolTip(f"Baseline: {baseline or '—'}\nFollow-up: {followup or '—'}")
            action.triggered.connect(lambda checked=False, b=baseline, f=followup: self.open_study(b or None, f or None))

    def last_folder(self) -> Path:
        """Where the open dialogs start: the folder of the baseline shown, else of the last study opened (File ▸ Open
        recent's first, where its folder is still there: a share not mounted is not waited for twice), else home."""
        if self.documents[BASELINE] is not None:
            return Path(self.documents[BASELINE].path).parent
        for pair in recent_studies(qsettings())[:1]:
            for file in pair:
                if file and (folder := Path(file).parent).is_dir():
                    return folder
        return Path.home()

    def open_dialog(self, role: str | None = None) -> None:
        start = str(self.last_folder())
        title = f"Open {role.lower()}" if role else "Open baseline and follow-up (one or two files)"
        files, _ = QFileDialog.getOpenFileNames(self, title, start,
                                                f"Radiographs ({' '.join('*' + suffix for suffix in RADIOGRAPH_SUFFIXES)});;"
                                                "All files (*)")
        if files:
            self.open_paths([Path(f) for f in files], role)

    def open_folder_dialog(self) -> None:
        # beside the last study's folder: a study folder is usually one of several side by side (one per patient)
        last = self.last_folder()
        start = last if last == Path.home() else last.parent
        folder = QFileDialog.getExistingDirectory(self, "Open a folder of radiographs (DICOM, or PNG/JPEG/TIFF)", str(start))
        if folder:
            self.open_folder(Path(folder))

    def open_paths(self, paths: list[Path], role: str | None = None) -> Worker | None:
        """One file goes to `role` (or the first empty view), two files become baseline and follow-up."""
        if len(paths) == 1 and paths[0].is_dir():
            return self.open_folder(paths[0])
        if len(paths) > 2:
            self.warnings.show_message(f"{len(paths)} files given: open one baseline and one follow-up at a time.",
                                       "warning", key="open")
            return None
        if len(paths) == 2:
            return self._load({BASELINE: paths[0], FOLLOWUP: paths[1]}, order_by_date=True)
        if role is None:
            role = next((r for r in ROLES if self.documents[r] is None), self.active_role)
        return self._load({role: paths[0]})

    def open_study(self, baseline: str | Path | None, followup: str | Path | None = None) -> Worker | None:
        """Open a baseline and a follow-up in the given order (the pair checks warn if it looks wrong)."""
        paths = {role: Path(p) for role, p in ((BASELINE, baseline), (FOLLOWUP, followup)) if p}
        if not paths:
            return None
        if len(paths) == 1 and next(iter(paths.values())).is_dir():
            return self.open_folder(next(iter(paths.values())))
        return self._load(paths)

    def open_folder(self, folder: Path) -> Worker:
        latest = self._claim(ROLES)
        return self._start(Worker(load_folder, Path(folder), self.saver.dataset_root), f"Opening {Path(folder).name}",
                           self._show_latest(latest, ROLES))

    def _show_latest(self, latest: Callable[[], bool], roles=ROLES) -> Callable[[StudyLoad], None]:
        """Show a loaded study unless a later request to open images into its views `roles` was made meanwhile
        (`_claim`)."""
        def show(study: StudyLoad) -> None:
            if latest():
                self._show_study(study, replacing=tuple(roles))
        return show

    def _claim(self, roles) -> Callable[[], bool]:
        """A new request to open images into the views `roles`; returns whether it is still the latest for each of them.
        Files load in the background, a large one slowly: an earlier request that arrives after a later one must not
        replace what the user asked for since (another patient's image beside the one they opened)."""
        self._requests += 1
        number, roles = self._requests, tuple(roles)
        for role in roles:
            self._claims[role] = number
            self._walks.pop(role, None)  # a Next / Previous still on its way is overtaken
        return lambda: all(self._claims.get(role) == number for role in roles)

    def open_neighbour(self, step: int) -> Worker | None:
        """Next (step 1) or previous (-1) radiograph of the active image's folder into the active view; its edits
        are saved first, as for any image replaced in a view. A file that cannot be read is named and passed over.
        The folder is listed in the background (a share's folder of thousands of files froze the window at each
        press). Pressed again before the view shows where the last press leads, the presses add up from the image
        shown (`_walks`) and the radiograph they lead to is loaded in their place: only the last one asked for is
        shown, and a press past either end of the folder stays there, as if each had waited for the one before."""
        role = self.active_role
        shown = self.panes[role].radiograph
        if shown is None or shown.path is None:
            self.statusBar().showMessage(f"No {role.lower()} open: open a radiograph first", 5000)
            return None
        # the file shown, not its annotation's: a copy of the same radiograph shares the annotation
        origin, steps = self._walks.get(role, (Path(shown.path), ()))
        walk = (origin, (*steps, step))
        latest = self._claim([role])
        self._walks[role] = walk
        self.statusBar().clearMessage()  # "… is the last radiograph in …" of an earlier press is said of another image

        def show(study: NeighbourLoad) -> None:
            if not latest():  # a later Next / Previous of this view, or another study, is on its way
                return
            del self._walks[role]
            if study.images or study.errors:
                self._show_study(study, record=False)  # a step through the folder: no study the user chose
            if study.said:  # at an end of the folder
                self.statusBar().showMessage(study.said, 5000)

        def forget(exc: BaseException) -> None:
            if latest():
                del self._walks[role]

        return self._start(Worker(load_neighbour, *walk, role, self.saver.dataset_root),
                           f"Opening the {'next' if step > 0 else 'previous'} image", show,
                           connect=lambda worker: worker.signals.error.connect(forget))

    def _load(self, paths: dict[str, Path], order_by_date: bool = False) -> Worker:
        names = ", ".join(p.name for p in paths.values())
        latest = self._claim(ROLES if order_by_date else paths)  # ordered by date, either file may go in either view
        root = None if all(self._in_sandbox(p) for p in paths.values()) else self.saver.dataset_root
        return self._start(Worker(load_study, paths, root, order_by_date),
                           f"Opening {names}", self._show_latest(latest, ROLES if order_by_date else tuple(paths)))

    def _in_sandbox(self, path: Path) -> bool:
        try:
            parents = Path(path).resolve().parents
        except (OSError, RuntimeError):  # a symbolic link loop (RuntimeError before Python 3.13): no demo file; the
            return False                 # loader says what is wrong with it
        return any(folder.resolve() in parents for folder in self.sandbox_folders)

    def _show_study(self, study: StudyLoad, record: bool = True, replacing: tuple[str, ...] = ()) -> None:
        """Show what was loaded; `record`: the user chose this study (an open dialog, a folder, a drop, the command
        line, Open recent), so File ▸ Open recent lists it; not each Next / Previous image. `replacing`: the views the
        request was for; one of them that got no image (a folder with one radiograph, one of two files unreadable) is
        emptied, so that the new image is never shown, analysed or saved beside the previous study's."""
        self.warnings.dismiss("open")
        self.warnings.dismiss_prefix("open-error-")  # the last attempt's failures are what the user needs to see
        if study.images:  # what was said about the files opened before is over
            self.warnings.dismiss_prefix("note-")
            self.warnings.dismiss("demo")  # the demo's own study shows it again once shown (`open_demo`)
        for number, error in enumerate(study.errors):
            self.warnings.show_message(f"Cannot open {error}", "error", key=f"open-error-{error}")
        for note in study.notes:
            self.warnings.show_message(note, "info", key=f"note-{note}")
        if study.images:
            self.clear_result()
            self._leave_the_demo(study)
            for role in replacing:
                if role not in study.images and self.documents[role] is not None:
                    self._empty_view(role)
        for role, loaded in study.images.items():
            self._show_image(role, loaded)
        unusable = next((loaded.dataset_error for loaded in study.images.values() if loaded.dataset_error), None)
        if unusable and self.saver.dataset_root is not None:
            self._dataset_unusable(unusable)
        if study.images:
            self._check_pair()
            self._share_panes()
            self.fit()
            self._cancel_stale_analysis()
            self.show_past_result()
            self.set_active_role(next(iter(study.images)))
            if record:
                self._record_recent(study)
        self._update_title()
        self._update_save_state()  # the demo shown or gone, images with unsaved edits shown again
        self.study_loaded.emit()

    def _record_recent(self, study: StudyLoad) -> None:
        """The study shown, first in File ▸ Open recent; never the demo. A view opened alone, then the other view
        (Open baseline, then Open follow-up) is one study: the second takes the place of the entry the first made
        (the half-opened study, or the new baseline with the old follow-up), not listed beside it. A view opened
        alone beside a whole study is a study of its own, kept when the other view is opened next."""
        docs = self.documents
        if any(document is not None and document.sandbox for document in docs.values()):
            return
        pair = tuple(str(docs[role].path) if docs[role] is not None else "" for role in ROLES)
        alone = next(iter(study.images)) if len(study.images) == 1 else None
        completes = (alone is not None and self._recorded_alone not in (None, alone)
                     and all(docs[role] is not None for role in ROLES))
        add_recent_study(*pair, qsettings(), replacing=self._recorded_pair if completes else None)
        self._recorded_pair, self._recorded_alone = pair, None if completes else alone

    def _leave_the_demo(self, study: StudyLoad) -> None:
        """A radiograph opened into one view beside the demo leaves the demo (a sandbox): the other view is emptied, as
        when a whole study opens, so that a patient's radiograph is never paired with the synthetic hand, analysed
        against it or recorded with it in Open recent. Likewise a demo radiograph opened beside a patient's."""
        opened = {self._in_sandbox(loaded.radiograph.path) for loaded in study.images.values()
                  if loaded.radiograph.path is not None}
        for role in ROLES:
            document = self.documents[role]
            if role not in study.images and document is not None and any(s != document.sandbox for s in opened):
                self._empty_view(role)

    def _empty_view(self, role: str) -> None:
        """Nothing in the view `role` (its document's edits stay in the session, as for any image replaced)."""
        self._let_go(role)
        self.documents[role] = None
        self.image_ids[role] = None
        self.panes[role].set_radiograph(None)
        self.study_panel.set_radiograph(role, None)
        self._show_repeated_identities()

    def _let_go(self, role: str) -> None:
        """Before the view `role` shows another image, or none: its document's edits that autosave has not written yet
        are written now (they also stay in this session's memory), and its boxes leave the view."""
        document = self.documents[role]
        if document is not None and document.is_dirty and self.saver.enabled and not document.keep_saved_file:
            self.saver.save_now(document)
        if self.layers[role] is not None:
            self.layers[role].detach()
            self.layers[role] = None

    def _holds_as_saved(self, document: AnnotationDocument, loaded: LoadedImage) -> bool:
        """Whether the window's clean `document` still shows what the dataset holds for `loaded`'s image: then it is
        kept, so that undo goes on where it was (Previous image). Not when another window or annotator saved the image
        since. A load that read the file before this window's own latest save (or while one runs) is the older of the
        two: the document is kept."""
        read = loaded.annotation.stored if loaded.annotation is not None else None
        if document.stored is not None and read == document.stored:
            return True
        if self.saver.holds(document):
            return True
        if self.saver.dataset_root is None:
            return False
        try:
            return AnnotationDataset(self.saver.dataset_root).stored_now(loaded.image_id) != read
        except OSError:
            return True

    def _new_document(self, document: AnnotationDocument) -> AnnotationDocument:
        """`document`, made for an image opened (or for unsaved edits restored), becomes the session's document of
        its image, in place of an earlier one."""
        document.sandbox = self._in_sandbox(document.path)
        document.changed.connect(lambda d=document: self._document_changed(d))
        document.dirty_changed.connect(lambda dirty: (self._update_save_state(), self._update_title()))
        document.hand_changed.connect(lambda d=document: (self._show_hand(d), self._check_pair()))
        old_document = self.session_documents.get(document.image_id)
        if old_document is not None:
            self.undo_group.removeStack(old_document.undo_stack)
            if not self.saver.holds(old_document):  # else it goes with the window; its save must still land
                old_document.deleteLater()  # a child of the window, held by its own signals' slots
        self.session_documents[document.image_id] = document
        self.undo_group.addStack(document.undo_stack)
        return document

    def _show_image(self, role: str, loaded: LoadedImage) -> None:
        radiograph = loaded.radiograph
        self._let_go(role)
        document = self.session_documents.get(loaded.image_id)
        shown_elsewhere = document is not None and any(d is document for r, d in self.documents.items() if r != role)
        if document is None or not (document.is_dirty or shown_elsewhere or self._holds_as_saved(document, loaded)):
            joints = loaded.annotation.joints if loaded.annotation is not None else []
            document = self._new_document(AnnotationDocument(
                radiograph.path, radiograph.width, radiograph.height, radiograph.identity.laterality,
                radiograph.pixel_size_mm, joints, parent=self, image_id=loaded.image_id,
                stored=loaded.annotation.stored if loaded.annotation is not None else None,
                both_hands=None if loaded.annotation is None else loaded.annotation.laterality == BOTH,
                hand=None if loaded.annotation is None else loaded.annotation.laterality))
        elif not shown_elsewhere:
            document.path = radiograph.path
        if document.is_dirty and not shown_elsewhere:
            self.warnings.show_message(f"{radiograph.path.name}: your unsaved edits of this image are shown.", "info",
                                       key=f"restored-{loaded.image_id}")
        if loaded.annotation_error:
            document.keep_saved_file = loaded.annotation_error
            # no promise that Ctrl+S alone does it: with nothing of the user's to save, the file stays where it is
            self.warnings.show_message(f"Saved annotations not loaded: {loaded.annotation_error}. That file is left as "
                                       "it is (autosave too leaves it alone); once you have drawn or corrected boxes on "
                                       "this image, Ctrl+S saves them and keeps that file beside them as "
                                       ".json.unreadable for repair.", "error", key=f"annotation-{role}")
        else:
            self.warnings.dismiss(f"annotation-{role}")
        self.documents[role] = document
        self.image_ids[role] = loaded.image_id
        self.panes[role].set_radiograph(radiograph, loaded.place)
        self._show_window_name()
        layer = AnnotationLayer(self.panes[role].view_box, document)
        layer.set_visible(self.actions_by_name["show_boxes"].isChecked())
        layer.set_labels_visible(self.actions_by_name["show_labels"].isChecked())
        layer.set_movable(self.panes[role].view_box.tool != Tool.BOX)
        layer.selection_changed.connect(lambda uid, r=role: self._box_selected(r, uid))
        layer.labels_moved.connect(self.overlays[role].place_around)
        self.layers[role] = layer
        self.study_panel.set_radiograph(role, radiograph, document.hand_shown, document.hand_chosen)
        self._show_repeated_identities()  # a saved file may hold one name twice; the image it replaced, no more

    def _check_pair(self) -> None:
        """The pair's checks, said as the pair is shown (a study opened, Next / Previous image, a hand named): of the
        radiographs as the analysis takes them, with the hand the reader named, so that it says the same."""
        self.warnings.dismiss_prefix("pair-")
        baseline, followup = (self.analysed_radiograph(r) for r in ROLES)
        if baseline is None or followup is None:
            return
        for warning in check_pair(baseline, followup):
            level = "info" if warning.is_note else "warning"
            self.warnings.show_message(warning.message, level, key=f"pair-{warning.code}")
