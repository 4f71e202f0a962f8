"""Saving annotations to the dataset folder: coalesced, atomic, off the GUI thread.

Every edit restarts a short timer; when it fires, one snapshot of each dirty document is
written in a single background thread (so two saves never race for one file). Edits made
while a save runs are picked up by the next save. A document is marked saved only up to the
revision that was written; a failed save leaves it dirty and reports why (the dataset store
writes atomically, so the previous file is intact). A save never creates a dataset (the window
does that only in a folder the user chose) and never drops the work of someone else who saved
the image's annotation file since this window read it: their changes and this window's are merged
(and shown in the window as one undo step); where both changed one joint differently, the store
writes a conflict copy beside the file instead, until the user saves explicitly, which keeps both
versions of that joint.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QThreadPool, QTimer, Signal

from jsnviewer.dataset import JointAnnotation, JointsMerge, open_dataset
from jsnviewer.errors import AnnotationConflictError, RadiographUnavailableError, describe
from jsnviewer.gui.annotation import AnnotationDocument
from jsnviewer.gui.worker import Worker

if TYPE_CHECKING:
    from jsnviewer.pipeline.training_crops import SavedJointCrops


def write_annotation(dataset_root: Path, image_path: Path, image_id: str, width: int, height: int,
                     laterality: str | None, pixel_size_mm: float | None, joints: list[JointAnnotation],
                     stored: str | None, base: list[JointAnnotation], explicit: bool = False
                     ) -> tuple[Path, str | None, list[JointAnnotation], JointsMerge | None]:
    """Store one image's joints in the dataset (copying the image in once); returns the annotation file,
    its new content hash, the joints written and, where changes saved elsewhere were merged in, the merge.

    `image_id` is the image's id when it was opened, `stored` the hash of its annotation file as this
    window last read or wrote it (None: there was none) and `base` that file's joints; see
    `AnnotationDataset.add_image` and `save_annotation`. An `explicit` save (the user's Ctrl+S) first
    renames an existing annotation file that cannot be read to `<image_id>.json.unreadable` (kept for
    repair, ignored by training) instead of failing, and keeps both versions of joints that this window
    and another changed differently instead of writing a conflict copy.
    """
    dataset = open_dataset(dataset_root)
    if explicit and dataset.set_aside_unreadable(image_id) is not None:
        stored = None  # that file is gone by our own hand
    annotation = dataset.add_image(image_path, width, height, laterality, pixel_size_mm, image_id=image_id)
    annotation.joints = joints
    annotation.laterality = laterality  # the user's "Both hands" tick, or its undoing, holds
    annotation.stored = stored
    merge = dataset.save_annotation(annotation, base=base, keep_both=explicit)
    return dataset.annotation_path(annotation.image_id), annotation.stored, annotation.joints, merge


def write_joint_crops(dataset_root: Path, result, baseline, followup, baseline_joints: list[JointAnnotation],
                      followup_joints: list[JointAnnotation]) -> SavedJointCrops:
    """Store in the dataset the crops and bone masks of the analysed joints that the user confirmed in
    both visits' annotations (`baseline_joints`, `followup_joints`): the training data of the segmenter
    and the registration (jsnviewer.pipeline.training_crops). Returns what was written and left out."""
    from jsnviewer.pipeline.training_crops import save_joint_crops

    return save_joint_crops(open_dataset(dataset_root), result, baseline, followup, baseline_joints, followup_joints)


class AnnotationSaver(QObject):
    saved = Signal(object, str)  # document, annotation file
    failed = Signal(object, str)  # document, reason
    conflicted = Signal(object, str)  # document, reason: its file was changed elsewhere (not `failed`)
    radiograph_unavailable = Signal(object, str)  # document, reason: its radiograph is gone or replaced (not `failed`)
    merged = Signal(object, object)  # document, JointsMerge: changes saved elsewhere were merged in
    busy_changed = Signal(bool)

    def __init__(self, delay_s: float = 2.0, parent: QObject | None = None):
        super().__init__(parent)
        self.dataset_root: Path | None = None
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.flush)
        self.set_delay(delay_s)
        self._pending: list[AnnotationDocument] = []
        self._running: dict[AnnotationDocument, Worker] = {}
        self._again: set[AnnotationDocument] = set()

    def set_delay(self, delay_s: float) -> None:
        self._timer.setInterval(int(max(delay_s, 0.05) * 1000))

    @property
    def enabled(self) -> bool:
        return self.dataset_root is not None

    def is_busy(self) -> bool:
        return bool(self._running)

    def holds(self, document: AnnotationDocument) -> bool:
        """Whether `document` waits to be saved or is being saved."""
        return document in self._pending or document in self._running

    def schedule(self, document: AnnotationDocument) -> None:
        """Save `document` a little after the last edit (restarting the wait on each edit)."""
        if document.keep_saved_file or document.sandbox:
            return
        if document not in self._pending:
            self._pending.append(document)
        if self.enabled:
            self._timer.start()

    def flush(self) -> None:
        """Start saving every pending document now."""
        self._timer.stop()
        pending, self._pending = self._pending, []
        for document in pending:
            if document.is_dirty:
                self.save_now(document)

    def save_now(self, document: AnnotationDocument) -> bool:
        """Start writing `document`; False (and `failed`) when there is no dataset folder, False alone for
        the demo's (`sandbox`) document.

        A document marked `keep_saved_file` (its saved file was unreadable, or changed elsewhere) is never
        scheduled by autosave, so it only gets here by the user's explicit save, which sets an unreadable
        file aside, or merges with a changed one keeping both versions of the joints both sides changed.
        """
        if document.sandbox:
            return False
        if self.dataset_root is None:
            reason = "no dataset folder chosen (File ▸ Choose dataset folder…)"
            document.save_error = reason
            self.failed.emit(document, reason)
            return False
        if document in self._running:
            self._again.add(document)  # save again once the running write is done
            return True
        revision, joints = document.snapshot()
        worker = Worker(write_annotation, self.dataset_root, document.path, document.image_id, document.width,
                        document.height, document.saved_laterality, document.pixel_size_mm, joints, document.stored,
                        document.base, bool(document.keep_saved_file))
        worker.signals.result.connect(lambda written, d=document, r=revision, s=joints: self._done(d, r, s, *written))
        worker.signals.error.connect(lambda exc, d=document: self._failed(d, exc))
        worker.signals.finished.connect(lambda d=document: self._finished(d))
        was_busy = self.is_busy()
        self._running[document] = worker
        if not was_busy:
            self.busy_changed.emit(True)
        worker.start(self._pool)
        return True

    def wait(self, timeout_ms: int = 30000) -> bool:
        """Block until background writes end (used when quitting)."""
        return self._pool.waitForDone(timeout_ms)

    def _done(self, document: AnnotationDocument, revision: int, snapshot: list[JointAnnotation], path: Path,
              stored: str | None, written: list[JointAnnotation], merge: JointsMerge | None) -> None:
        document.stored = stored
        document.saved(revision, written, snapshot)
        self.saved.emit(document, str(path))
        if merge is not None and merge.theirs:
            self.merged.emit(document, merge)

    def _failed(self, document: AnnotationDocument, exc: BaseException) -> None:
        reason = describe(exc)
        document.save_error = reason
        self._again.discard(document)  # no retry storm: the next edit or Ctrl+S tries again
        if isinstance(exc, AnnotationConflictError):
            document.keep_saved_file = reason  # one conflict copy, not one per edit
            self.conflicted.emit(document, reason)
        elif isinstance(exc, RadiographUnavailableError):
            self.radiograph_unavailable.emit(document, reason)
        else:
            self.failed.emit(document, reason)

    def _finished(self, document: AnnotationDocument) -> None:
        self._running.pop(document, None)
        if document in self._again:
            self._again.discard(document)
            if document.is_dirty:
                self.save_now(document)
        if not self.is_busy():
            self.busy_changed.emit(False)
