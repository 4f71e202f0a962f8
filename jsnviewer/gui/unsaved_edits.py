"""Edits not saved yet, kept on the user's own disk so that a window that ends without closing (killed, a crash, a
power cut, a logout) does not take them with it: the next start offers them back.

While a window has edits that are not in the dataset (autosave pending, a save that failed, no dataset folder
chosen), it keeps them in `<user data folder>/unsaved/<start>-<pid>-<n>.json` (written atomically, a moment after
each edit), with a lock file beside it held while the window lives. The file goes when everything is saved, and when
the window closes (the user answered the close-time question: saved, or discarded on purpose). A file whose lock
nobody holds was left by a window that ended without closing: `left_behind` finds it, and the window that starts
next puts its edits back into the session as unsaved edits of those images (`MainWindow.restore_unsaved`), saved as
any edit is. The file holds boxes, joint names and findings and the radiographs' file paths; no patient name.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import QLockFile, QObject, QTimer, Signal

from jsnviewer.atomic import atomic_write_json
from jsnviewer.dataset import JointAnnotation, JointsMerge, merge_joints, unused_path
from jsnviewer.errors import plain_cause
from jsnviewer.gui.annotation import AnnotationDocument

log = logging.getLogger(__name__)

FORMAT = "jsnviewer-unsaved-edits"
VERSION = 1  # a file of a later version (a newer jsnviewer's) is left for it
KEEP_DELAY_MS = 250  # a drag writes a few times a second, not once per mouse move
_windows = itertools.count(1)


@dataclass
class UnsavedImage:
    """One image's edits not saved, with what its document needs to be made again."""

    file: str
    image_id: str
    width: int
    height: int
    laterality: str | None
    pixel_size_mm: float | None
    both_hands: bool
    hand: str | None
    stored: str | None
    base: list[JointAnnotation]
    joints: list[JointAnnotation]

    @classmethod
    def of(cls, document: AnnotationDocument) -> UnsavedImage:
        return cls(str(document.path), document.image_id, document.width, document.height, document.laterality,
                   document.pixel_size_mm, bool(document._both_hands_chosen), document.hand_chosen, document.stored,
                   list(document.base), document.joints())

    def to_json(self) -> dict[str, Any]:
        return {"file": self.file, "image_id": self.image_id, "width": self.width, "height": self.height,
                "laterality": self.laterality, "pixel_size_mm": self.pixel_size_mm, "both_hands": self.both_hands,
                "hand": self.hand, "stored": self.stored, "base": [j.to_json() for j in self.base],
                "joints": [j.to_json() for j in self.joints]}

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> UnsavedImage:
        return cls(str(obj["file"]), str(obj["image_id"]), int(obj["width"]), int(obj["height"]), obj.get("laterality"),
                   obj.get("pixel_size_mm"), bool(obj.get("both_hands")), obj.get("hand"), obj.get("stored"),
                   [JointAnnotation.from_json(j) for j in obj.get("base", [])],
                   [JointAnnotation.from_json(j) for j in obj["joints"]])

    @property
    def name(self) -> str:
        return Path(self.file).name


@dataclass
class LeftBehind:
    """The unsaved edits a window that ended without closing left: its file, held (locked) by this window until
    `done` (restored: the file goes) or `release` (not now: offered again at the next start)."""

    path: Path
    images: list[UnsavedImage]
    shown: tuple[str | None, str | None]  # the study that window showed (baseline, follow-up files)
    written: str  # when the edits were last kept, local time
    lock: QLockFile

    def done(self) -> None:
        try:
            self.path.unlink(missing_ok=True)
        except OSError as exc:  # offered again at the next start: the edits are in the dataset or the window's file
            log.warning("unsaved edits restored from %s, which cannot be removed: %s", self.path, exc)
        self.lock.unlock()

    def release(self) -> None:
        self.lock.unlock()


def merged_unsaved(left: list[LeftBehind]) -> list[tuple[UnsavedImage, JointsMerge, int]]:
    """One image each, with its unsaved edits from every window that left some (two windows, or two jsnviewers, had
    it open): a later window's merged into the earlier's as its save would have merged them into a file the earlier
    had saved (`merge_joints` against the joints it opened; where both changed one joint differently, both versions
    are kept), so that nothing of either is lost. With the merge (its clashes: those of every window's) and how
    many windows left edits of that image."""
    merged: dict[str, tuple[UnsavedImage, JointsMerge, int]] = {}
    for found in left:
        for image in found.images:
            if image.image_id not in merged:
                merged[image.image_id] = (image, JointsMerge(joints=list(image.joints), theirs=[], clashes=[]), 1)
                continue
            earlier, _, windows = merged[image.image_id]
            merge = merge_joints(image.base, earlier.joints, image.joints)
            clashes = merged[image.image_id][1].clashes + merge.clashes
            merged[image.image_id] = (replace(earlier, joints=merge.joints, hand=earlier.hand or image.hand),
                                      replace(merge, clashes=clashes), windows + 1)
    return list(merged.values())


def _lock(path: Path) -> QLockFile:
    lock = QLockFile(f"{path}.lock")
    lock.setStaleLockTime(0)  # stale only when its process is gone, however long a window stays open
    return lock


@dataclass
class Unreadable:
    """A file of unsaved edits left behind that cannot be read (damaged, cut short, no permission): kept, at `path`;
    or one a newer jsnviewer wrote (`for_newer`), left as it is for that version."""

    path: Path
    reason: str
    for_newer: bool = False


class _Newer(ValueError):
    """Written by a newer jsnviewer: left for it, as it is."""


def left_behind(folder: Path) -> tuple[list[LeftBehind], list[Unreadable]]:
    """The unsaved edits of windows that ended without closing, oldest first, each locked for this window (another
    window starting at the same time does not offer them too); and the files of them that cannot be read, each set
    aside as `<name>.json.unreadable` (kept for repair, not read again: the user is told once) where it can be
    renamed, else left where it is. A file of a newer jsnviewer is left for it, as it is (and said at each start)."""
    found, unreadable = [], []
    for path in sorted(folder.glob("*.json")):
        lock = _lock(path)
        if not lock.tryLock(0):
            continue  # a living window's
        try:
            obj = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(obj, dict) or obj.get("format") != FORMAT:
                raise ValueError("not a file of unsaved edits")
            if not isinstance(obj.get("version"), int) or obj["version"] > VERSION:
                raise _Newer(f"written by a newer jsnviewer (format version {obj.get('version')}): left for it")
            images = [UnsavedImage.from_json(image) for image in obj["images"]]
            shown = tuple(obj.get("shown") or (None, None))
        except _Newer as exc:
            log.warning("unsaved edits in %s: %s", path, exc)
            unreadable.append(Unreadable(path, str(exc), for_newer=True))
            lock.unlock()
            continue
        except (OSError, ValueError, KeyError, TypeError, AttributeError, OverflowError, RecursionError) as exc:
            log.warning("unsaved edits in %s cannot be read: %s", path, exc)
            unreadable.append(Unreadable(_set_aside(path), plain_cause(exc)))
            lock.unlock()
            continue
        if not images:
            path.unlink(missing_ok=True)
            lock.unlock()
            continue
        found.append(LeftBehind(path, images, (shown + (None, None))[:2], str(obj.get("written", "")), lock))
    return found, unreadable


def _set_aside(path: Path) -> Path:
    """Where a file of unsaved edits that cannot be read is kept: renamed so that it is not offered (nor said) at every
    start, never replacing an earlier one; left where it is when it cannot be renamed (a read-only folder)."""
    kept = unused_path(path.with_name(path.name + ".unreadable"))
    try:
        os.rename(path, kept)
    except OSError as exc:
        log.warning("unreadable unsaved edits %s left where they are: %s", path, exc)
        return path
    return kept


class UnsavedEdits(QObject):
    """One window's unsaved edits, kept in `folder` (see the module docstring). `problem` says why they cannot be
    kept (the folder read-only, the disk full), once, and None once they are kept again."""

    problem = Signal(object)  # str | None

    def __init__(self, folder: Path, documents: Callable[[], list[AnnotationDocument]],
                 shown: Callable[[], tuple[str | None, str | None]], parent: QObject | None = None):
        super().__init__(parent)
        self.folder, self._documents, self._shown = Path(folder), documents, shown
        self.path = self.folder / f"{datetime.now():%Y%m%dT%H%M%S}-{os.getpid()}-{next(_windows)}.json"
        self.error: str | None = None
        self._lock = _lock(self.path)
        self._taken_over: list[LeftBehind] = []  # restored here: their files go once this window keeps the edits
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(KEEP_DELAY_MS)
        self._timer.timeout.connect(self.keep)

    def keep_soon(self) -> None:
        """Keep the edits a moment from now (not restarted by the next edit: a long drag is kept as it goes)."""
        if not self._timer.isActive():
            self._timer.start()

    def take_over(self, left: list[LeftBehind]) -> None:
        """The edits of `left` are this window's now: their files stay (locked) until this window has kept them in
        its own, so that a folder that cannot be written loses nothing a crash would not have lost anyway."""
        self._taken_over += left

    def _locked(self) -> None:
        """This window's hold on its file, without which another window starting would take the file as left
        behind and restore the same edits a second time."""
        if not self._lock.isLocked():
            self.folder.mkdir(parents=True, exist_ok=True)
            if not self._lock.tryLock(0):
                reason = {QLockFile.PermissionError: "permission denied"}.get(self._lock.error(), "cannot be locked")
                raise OSError(f"{self._lock.fileName()}: {reason}")

    def keep(self) -> None:
        """Write the unsaved edits now; remove the file where there are none."""
        self._timer.stop()
        images = [UnsavedImage.of(d) for d in self._documents()]
        try:
            if images:
                self._locked()
                atomic_write_json(self.path, {"format": FORMAT, "version": VERSION, "pid": os.getpid(),
                                              "written": datetime.now().isoformat(timespec="seconds"),
                                              "shown": list(self._shown()), "images": [i.to_json() for i in images]})
            else:
                self.path.unlink(missing_ok=True)
        except OSError as exc:
            error = exc.strerror or str(exc)
            if error != self.error:
                log.warning("unsaved edits not kept in %s: %s", self.path, error)
                self.error = error
                self.problem.emit(error)
            return
        for left in self._taken_over:
            left.done()
        self._taken_over = []
        if self.error is not None:
            self.error = None
            self.problem.emit(None)

    def close(self) -> None:
        """The window closed as asked: nothing is left to offer back."""
        self._timer.stop()
        try:
            self.path.unlink(missing_ok=True)
        except OSError:
            pass
        for left in self._taken_over:
            left.done()
        self._taken_over = []
        self._lock.unlock()
