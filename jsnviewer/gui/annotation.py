"""Joint boxes on a radiograph: the document the undo commands edit (`jsnviewer.gui.box_layer` draws it).

`AnnotationDocument` holds the joints of one radiograph and its QUndoStack; every edit is a
QUndoCommand that replaces one `JointAnnotation` (the dataset's own type), so undo, redo,
autosave and saving all see exactly the numbers the user made. Geometry stays float end to
end: a box loaded from the dataset is drawn from its (cx, cy, w, h) and written back unchanged
unless the user moves it.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from jsnviewer.dataset import JointAnnotation, merge_joints
from jsnviewer.detection.identity import hand_shown, hand_side, name_as_hand, names_with_hands
from jsnviewer.joints import BOTH, SIDES, hand_of, laterality_shown, names_a_hand, names_of_one_hand
from jsnviewer.pipeline.placement import Rect, box_rect, overlap
from jsnviewer.words import counted


def copy_joint(joint: JointAnnotation) -> JointAnnotation:
    return copy.deepcopy(joint)


def _same_joints(a: list[JointAnnotation], b: list[JointAnnotation]) -> bool:
    """The same joints, in any order."""
    rest = list(b)
    for joint in a:
        if joint not in rest:
            return False
        rest.remove(joint)
    return not rest


# A new box's side where the image has no box to size it like: a finger joint's box is about 12 mm across (where the
# pixel size is unknown, a twentieth of the radiograph's shorter side, about as much on a hand's film)
JOINT_BOX_MM = 12.0
JOINT_BOX_FRACTION = 1 / 20


def typical_box_size(boxes: Iterable[tuple[float, float, float, float]], width: int, height: int,
                     pixel_size_mm: float | None) -> tuple[float, float]:
    """(width, height) for a box added by key: the median of the image's `boxes` (cx, cy, w, h), else a joint's
    size from the pixel size, else from the radiograph's size."""
    sizes = np.array([box[2:4] for box in boxes], dtype=float).reshape(-1, 2)
    if len(sizes):
        w, h = np.median(sizes, axis=0)
        return float(w), float(h)
    side = JOINT_BOX_MM / pixel_size_mm if pixel_size_mm and pixel_size_mm > 0 else JOINT_BOX_FRACTION * min(width, height)
    side = float(min(side, width, height))
    return side, side


# A box added by key where it would all but cover one already there (two presses of Ins without moving the view) is
# set aside by half a box diagonally, so that both show and either can be clicked: the first of these steps (in halves
# of a box), kept within the view and the radiograph, that covers no box by more than a quarter (`STACKED`: half a box
# aside diagonally covers just a quarter of a box its size).
ASIDE_STEPS = [(r * dx, r * dy) for r in range(1, 5) for dx, dy in ((1, 1), (-1, 1), (1, -1), (-1, -1))]
STACKED = 0.3


def _centre_range(lo: float, hi: float, size: float, extent: float) -> tuple[float, float]:
    """Where the centre of a box `size` across may go on one axis: within the view (`lo`..`hi`) and the radiograph
    (0..`extent`); within the radiograph alone where the view is narrower than the box."""
    first, last = size / 2.0, extent - size / 2.0
    inside = max(lo + size / 2.0, first), min(hi - size / 2.0, last)
    return inside if inside[0] <= inside[1] else (first, last)


def new_box_place(centre: tuple[float, float], size: tuple[float, float], view: Rect, width: int, height: int,
                  boxes: Iterable[tuple[float, float, float, float]]) -> tuple[float, float]:
    """The centre of a box of `size` added by key at `centre` of the `view` (x0, y0, x1, y1): there, kept within the
    view and the radiograph; set aside (`ASIDE_STEPS`) where it would stack on one of `boxes` (cx, cy, w, h)."""
    (w, h), boxes = size, [box_rect(b) for b in boxes]
    xs, ys = _centre_range(view[0], view[2], w, width), _centre_range(view[1], view[3], h, height)

    def place(dx: float, dy: float) -> tuple[float, float]:
        return (min(max(centre[0] + dx * w / 2.0, xs[0]), xs[1]), min(max(centre[1] + dy * h / 2.0, ys[0]), ys[1]))

    def stacked(cx: float, cy: float) -> bool:
        rect = box_rect((cx, cy, w, h))
        return any(overlap(rect, b) > STACKED * min(w * h, (b[2] - b[0]) * (b[3] - b[1])) for b in boxes)

    places = [place(0, 0)] + [place(dx, dy) for dx, dy in ASIDE_STEPS]
    return next((p for p in places if not stacked(*p)), places[0])


# Undo steps kept per radiograph: a day's editing of one image, while a long session's memory stays bounded
# (every image opened in a session keeps its document and its steps).
UNDO_LIMIT = 500


class AnnotationDocument(QObject):
    """The joints annotated on one radiograph file, with undo history and a saved/dirty state."""

    joint_added = Signal(int)  # uid
    joint_removed = Signal(int)
    joint_changed = Signal(int)
    # a joint the user deleted or added is back (undo of Delete, Add box and its redo): selected, ready for the next key
    joint_restored = Signal(int)
    changed = Signal()  # after any edit, undo or redo
    dirty_changed = Signal(bool)
    hand_changed = Signal()  # the hand the user said the radiograph shows, or undid

    _uids = itertools.count(1)

    def __init__(self, path: Path, width: int, height: int, laterality: str | None = None,
                 pixel_size_mm: float | None = None, joints: Iterable[JointAnnotation] = (), parent: QObject | None = None,
                 image_id: str | None = None, stored: str | None = None, both_hands: bool | None = None,
                 hand: str | None = None):
        super().__init__(parent)
        self.path = Path(path)
        # The image's dataset id when it was opened, and the hash of its annotation file as last read or
        # written (None: none): a save goes to that image and replaces only that file (dataset.py).
        self.image_id, self.stored = image_id, stored
        self.width, self.height = int(width), int(height)
        self.laterality, self.pixel_size_mm = laterality, pixel_size_mm
        self._joints: dict[int, JointAnnotation] = {next(self._uids): copy_joint(j) for j in joints}
        # The joints of that saved file: what a save merges against when the file changed elsewhere.
        self.base: list[JointAnnotation] = self.joints()
        self.undo_stack = QUndoStack(self)
        self.undo_stack.setUndoLimit(UNDO_LIMIT)
        self.revision = 0
        self.saved_revision = 0
        self.in_batch = False  # set while a batch of edits (proposals) emits one `changed` at its end
        # Counts the sets of proposals shown (`set_proposals`, not an undo step): an undo or redo step from before the
        # latest never brings back a proposal it replaced, nor one the user deleted (the analysis proposed anew since)
        self.proposal_round = 0
        self.save_error: str | None = None
        # Set when the saved annotation of this image could not be read (autosave must not replace that
        # file, it may be repairable; an explicit save by the user does), or was changed elsewhere.
        self.keep_saved_file: str | None = None
        self.sandbox = False  # the demo's image: its edits stay in the window, never saved to a dataset
        # Taken to show both hands whether or not a joint's name says so yet: by the saved annotation (the
        # user's tick, saved as its laterality "B") where there is one, else by the file (ImageLaterality "B").
        self._both_hands_chosen = laterality == BOTH if both_hands is None else both_hands
        self._hand_chosen = None  # none yet: `saved_laterality` below reads it
        # a saved hand that the file and the joints' names say anyway is no choice of the reader's
        self._hand_chosen = hand if hand in SIDES and hand != self.saved_laterality else None

    # --- reading
    def uids(self) -> list[int]:
        return list(self._joints)

    def joint(self, uid: int) -> JointAnnotation:
        return copy_joint(self._joints[uid])

    def joints(self) -> list[JointAnnotation]:
        return [copy_joint(j) for j in self._joints.values()]

    def __len__(self) -> int:
        return len(self._joints)

    @property
    def both_hands(self) -> bool:
        """Whether its joints are named with their hand ("R MCP2"): taken to show both hands, or a joint named so (a
        one-hand radiograph's too, named "L MCP2" to pair them with a radiograph of both hands)."""
        return self._both_hands_chosen or names_a_hand(j.identity for j in self._joints.values())

    @property
    def shows_both_hands(self) -> bool:
        """Whether the radiograph shows both hands (`saved_laterality` "B"): as the Study panel and the Both hands
        tick say it."""
        return self.saved_laterality == BOTH

    @property
    def saved_laterality(self) -> str | None:
        """The laterality the annotation file records, what the radiograph shows (`laterality_shown`): "B" where it
        is taken to show both hands (ticked, so that the tick holds when the image is opened again before any joint
        is named, or the joints of both named), else the hand the user or the file says, else the one hand its joints
        are named with; no hand when the file declares both and the user took it to show one."""
        return laterality_shown(self.declared_hand, (j.identity for j in self._joints.values()), self._both_hands_chosen)

    @property
    def hand_shown(self) -> str | None:
        """The hand the Study panel says the radiograph shows (`hand_shown`, as the report and results.csv say it):
        `saved_laterality`, else the hand its plainly named boxes lie as."""
        joints = list(self._joints.values())
        centres = np.array([j.box[:2] for j in joints], dtype=float).reshape(-1, 2)
        return hand_shown(self.declared_hand, centres, [j.identity for j in joints], self._both_hands_chosen)

    @property
    def hand_chosen(self) -> str | None:
        """The hand ("L"/"R") the user said the radiograph shows (`name_as_hand`), saved as its laterality: the
        analysis names its joints as that hand's, as it does a file's ImageLaterality."""
        return self._hand_chosen

    @hand_chosen.setter
    def hand_chosen(self, side: str | None) -> None:
        self._hand_chosen = side
        self.hand_changed.emit()

    @property
    def declared_hand(self) -> str | None:
        """"L" or "R" where the user or the file says which one hand the radiograph shows."""
        return self.hand_chosen or (self.laterality if self.laterality in SIDES else None)

    @property
    def named_hand(self) -> str | None:
        """Which hand the plainly named joints lie as (`hand_side`), else the one hand shown (`saved_laterality`)."""
        named = [(j.box[:2], j.identity) for j in self._joints.values() if j.identity and not hand_of(j.identity)]
        side = hand_side(np.array([c for c, _ in named], dtype=float).reshape(-1, 2), [n for _, n in named])
        return side or (self.saved_laterality if self.saved_laterality in SIDES else None)

    @property
    def is_dirty(self) -> bool:
        return self.revision != self.saved_revision

    def snapshot(self) -> tuple[int, list[JointAnnotation]]:
        """What a save writes: the revision it corresponds to and a copy of the joints."""
        return self.revision, self.joints()

    def mark_saved(self, revision: int) -> None:
        was_dirty = self.is_dirty
        self.saved_revision = revision
        self.save_error = None
        if was_dirty != self.is_dirty:
            self.dirty_changed.emit(self.is_dirty)

    def saved(self, revision: int, written: list[JointAnnotation], snapshot: list[JointAnnotation]) -> None:
        """A save of `snapshot` (the joints at `revision`) wrote `written` to the file. Where the save merged
        changes made elsewhere into it, they come into this document as one undo step, after the edits
        made here since the snapshot."""
        self.base = [copy_joint(j) for j in written]
        if not _same_joints(written, snapshot):
            self._become(merge_joints(snapshot, written, self.joints()).joints, "Merge changes saved elsewhere",
                         "Add joint saved elsewhere")
        self.mark_saved(self.revision if _same_joints(self.joints(), written) else revision)

    def take_saved(self, joints: Iterable[JointAnnotation], text: str) -> None:
        """The file's joints, changed elsewhere (a COCO import), as one undo step named `text`; the document is
        then saved as the file is. Undoing it makes the document edited: its save puts the boxes back as they were
        (as undoing "Merge changes saved elsewhere" does)."""
        self._become([copy_joint(j) for j in joints], text, "Add imported box")
        self.mark_saved(self.revision)

    def restore_unsaved(self, joints: Iterable[JointAnnotation]) -> None:
        """Edits a window that ended without closing left unsaved (jsnviewer.gui.unsaved_edits), as one undo step;
        the document is edited even where they changed no box (a hand chosen), so that they are saved."""
        self._become([copy_joint(j) for j in joints], "Restore unsaved edits", "Restore box")
        if not self.is_dirty:
            self._touch()

    def load_joints(self, joints: Iterable[JointAnnotation]) -> None:
        """Replace the content with a starting state (like opening a file): no undo step, not dirty."""
        for uid in list(self._joints):
            del self._joints[uid]
            self.joint_removed.emit(uid)
        for joint in joints:
            uid = next(self._uids)
            self._joints[uid] = copy_joint(joint)
            self.joint_added.emit(uid)
        self.undo_stack.clear()
        self.changed.emit()

    # --- editing: through commands only, so every change can be undone
    def add(self, joint: JointAnnotation, text: str = "Add box", select: bool = False) -> None:
        """Add a joint; `select`: the user's own box (Add box), selected when added and whenever a redo adds it back."""
        self.undo_stack.push(AddJointCommand(self, joint, text, select))

    def remove(self, uid: int) -> None:
        self.undo_stack.push(RemoveJointCommand(self, uid))

    def edit(self, uid: int, joint: JointAnnotation, text: str, merge_key: str | None = None, own: bool = True) -> None:
        """Replace a joint. A proposal the user corrects (`own`) becomes the user's box, as accepting it does:
        a new analysis replaces only proposals nobody touched."""
        current = self._joints.get(uid)
        if joint == current:
            return
        if own and current is not None and current.source == "model":
            joint = copy_joint(joint)
            joint.source = "user"
        self.undo_stack.push(EditJointCommand(self, uid, joint, text, merge_key))

    def set_box(self, uid: int, box: tuple[float, float, float, float], text: str = "Move box",
                merge_key: str | None = None) -> None:
        joint = self.joint(uid)
        joint.box = tuple(float(v) for v in box)
        self.edit(uid, joint, text, merge_key)

    def set_identity(self, uid: int, identity: str | None, own: bool = True) -> None:
        joint = self.joint(uid)
        joint.identity = identity
        self.edit(uid, joint, f"Set joint to {identity or 'unknown'}", own=own)

    def set_finding(self, uid: int, finding: str, value: bool) -> None:
        joint = self.joint(uid)
        joint.findings[finding] = bool(value)
        self.edit(uid, joint, f"{'Mark' if value else 'Clear'} {finding}")

    def set_both_hands(self, both: bool) -> int:
        """Take the radiograph to show both hands (plain names take their hand, `names_with_hands`) or one hand
        (`names_of_one_hand`: the other hand's boxes lose their names), as one undo step; how many boxes
        were renamed."""
        uids = list(self._joints)
        joints = list(self._joints.values())
        new = self._names_with_hands(joints) if both else names_of_one_hand(j.identity for j in joints)
        renamed = [(uid, name) for uid, joint, name in zip(uids, joints, new) if name != joint.identity]
        if both == self.shows_both_hands and not renamed:
            return 0
        self.in_batch = True
        try:
            self.undo_stack.beginMacro("Name joints with their hand" if both else "Name joints of one hand")
            self.undo_stack.push(ChoiceCommand(self, "_both_hands_chosen", both, "Both hands" if both else "One hand"))
            for uid, name in renamed:
                self.set_identity(uid, name, own=False)  # naming the hand reviews no proposal
            self.undo_stack.endMacro()
        finally:
            self.in_batch = False
        self.changed.emit()
        return len(renamed)

    def renaming(self, rename: Callable[[], int]) -> tuple[int, int]:
        """Run `rename` (`set_both_hands`, `name_as_hand`): how many boxes it renamed, and how many of them it left
        without a name (the other hand's joints, or a second box where one joint lies), for the reader to be told."""
        before = [j.identity for j in self._joints.values()]
        renamed = rename()
        lost = sum(old is not None and j.identity is None for old, j in zip(before, self._joints.values()))
        return renamed, lost

    def name_as_hand(self, side: str) -> int:
        """Take the radiograph to show the `side` hand ("L"/"R") and name its boxes as that hand's joints from
        where they lie (`identity.name_as_hand`), as one undo step; how many boxes were renamed. Proposals stay
        proposals (naming the hand reviews none). Not for a radiograph of both hands."""
        if side not in SIDES or self.shows_both_hands:
            return 0
        uids = list(self._joints)
        joints = list(self._joints.values())
        new = name_as_hand(np.array([j.box[:2] for j in joints], dtype=float).reshape(-1, 2), side)
        renamed = [(uid, name) for uid, joint, name in zip(uids, joints, new) if name != joint.identity]
        self.in_batch = True
        try:
            self.undo_stack.beginMacro(f"Name joints as a {SIDES[side]} hand's")
            self.undo_stack.push(ChoiceCommand(self, "hand_chosen", side, f"{SIDES[side].capitalize()} hand"))
            for uid, name in renamed:
                self.set_identity(uid, name, own=False)
            self.undo_stack.endMacro()
        finally:
            self.in_batch = False
        self.changed.emit()
        return len(renamed)

    def accept_proposals(self, uids: Iterable[int]) -> int:
        """Turn model proposals into the user's own boxes (one undo step); returns how many."""
        proposals = [uid for uid in uids if uid in self._joints and self._joints[uid].source == "model"]
        if not proposals:
            return 0
        self.undo_stack.beginMacro(f"Accept {counted(len(proposals), 'proposal')}")
        for uid in proposals:
            joint = self.joint(uid)
            joint.source = "user"
            self.edit(uid, joint, "Accept proposal")
        self.undo_stack.endMacro()
        return len(proposals)

    def set_proposals(self, joints: Iterable[JointAnnotation]) -> int:
        """Replace the unaccepted model proposals with `joints` (source "model"). Returns how many were added.

        Proposals are not the user's work: a document that was saved stays saved (nothing new of the user's to
        write), one with edits stays edited; and they are no undo step: they are where the user starts from, so
        that Ctrl+Z after an analysis undoes the user's last edit, never the analysis (it took every box of the
        image away). What they do to the user's boxes is: plainly named boxes given their hand by proposals
        named with theirs are renamed in one undo step of its own. Undo steps from before that touch the
        proposals replaced do nothing (`proposal_round`).
        """
        joints = [copy_joint(j) for j in joints]
        old = [uid for uid, j in self._joints.items() if j.source == "model"]
        if not joints and not old:
            return 0
        kept = [uid for uid in self._joints if uid not in old]
        renamed = self._one_naming(kept, joints)
        was_clean = not self.is_dirty and not renamed
        self.in_batch = True
        try:
            if renamed:
                self.undo_stack.beginMacro("Name your boxes with their hand")
                for uid, name in renamed:
                    self.set_identity(uid, name, own=False)
                self.undo_stack.endMacro()
            self.proposal_round += 1
            for uid in old:
                self._remove(uid)
            for joint in joints:
                self._insert(self.new_uid(), joint)
        finally:
            self.in_batch = False
        self.changed.emit()
        if was_clean:
            self.mark_saved(self.revision)
        return len(joints)

    def _brings_back(self, joint: JointAnnotation, round_: int) -> bool:
        """Whether an undo or redo step may put `joint` back into the document, out since `round_`: not a proposal
        of an earlier set (the proposals shown replaced it)."""
        return joint.source != "model" or round_ == self.proposal_round

    def _one_naming(self, kept: list[int], proposals: list[JointAnnotation]) -> list[tuple[int, str | None]]:
        """One naming for the radiograph when proposals come: if either the user's boxes (`kept`) or the
        proposals name a hand, the plain names of the others take theirs (`names_with_hands`). Renames the
        proposals in place; returns the user's boxes to rename."""
        boxes = [self._joints[uid] for uid in kept] + proposals
        if not (self._both_hands_chosen or names_a_hand(j.identity for j in boxes)):
            return []
        new = self._names_with_hands(boxes)
        for joint, name in zip(proposals, new[len(kept):]):
            joint.identity = name
        return [(uid, name) for uid, name in zip(kept, new) if name != self._joints[uid].identity]

    def _names_with_hands(self, joints: list[JointAnnotation]) -> list[str | None]:
        centres = np.array([j.box[:2] for j in joints], dtype=float).reshape(-1, 2)
        return names_with_hands(centres, [j.identity for j in joints], self.width)

    def _become(self, target: list[JointAnnotation], text: str, add_text: str) -> None:
        """The joints become `target` as one undo step named `text`: those not in it removed, its new ones added
        (`add_text`), the joints already as in it left alone."""
        stale = []
        for uid, joint in self._joints.items():
            if joint in target:
                target.remove(joint)
            else:
                stale.append(uid)
        if stale or target:
            self._swap(text, stale, target, add_text)

    def _swap(self, text: str, remove: list[int], add: list[JointAnnotation], add_text: str,
              rename: list[tuple[int, str | None]] = ()) -> None:
        """Remove some joints, rename others and add more as one undo step, with one `changed` for the batch."""
        self.in_batch = True
        try:
            self.undo_stack.beginMacro(text)
            for uid in remove:
                self.remove(uid)
            for uid, name in rename:
                self.set_identity(uid, name, own=False)
            for joint in add:
                self.add(joint, add_text)
            self.undo_stack.endMacro()
        finally:
            self.in_batch = False
        self.changed.emit()

    # --- used by the commands
    def _touch(self) -> None:
        was_dirty = self.is_dirty
        self.revision += 1
        if not self.in_batch:
            self.changed.emit()
        if not was_dirty:
            self.dirty_changed.emit(True)

    def _insert(self, uid: int, joint: JointAnnotation, position: int | None = None) -> None:
        items = list(self._joints.items())
        items.insert(len(items) if position is None else position, (uid, copy_joint(joint)))
        self._joints = dict(items)
        self.joint_added.emit(uid)
        self._touch()

    def _remove(self, uid: int) -> tuple[JointAnnotation, int]:
        position = list(self._joints).index(uid)
        joint = self._joints.pop(uid)
        self.joint_removed.emit(uid)
        self._touch()
        return joint, position

    def _replace(self, uid: int, joint: JointAnnotation) -> None:
        self._joints[uid] = copy_joint(joint)
        self.joint_changed.emit(uid)
        self._touch()

    @classmethod
    def new_uid(cls) -> int:
        return next(cls._uids)


class AddJointCommand(QUndoCommand):
    def __init__(self, document: AnnotationDocument, joint: JointAnnotation, text: str = "Add box",
                 select: bool = False):
        super().__init__(text)
        self.document, self.joint, self.uid = document, copy_joint(joint), AnnotationDocument.new_uid()
        self.round = document.proposal_round
        self.select = select

    def redo(self) -> None:
        if self.document._brings_back(self.joint, self.round):
            self.document._insert(self.uid, self.joint)
            if self.select:
                self.document.joint_restored.emit(self.uid)

    def undo(self) -> None:
        if self.uid in self.document._joints:  # else a proposal replaced since (`set_proposals`)
            self.document._remove(self.uid)
            self.round = self.document.proposal_round


class RemoveJointCommand(QUndoCommand):
    def __init__(self, document: AnnotationDocument, uid: int):
        super().__init__(f"Delete {document.joint(uid).identity or 'box'}")
        self.document, self.uid = document, uid
        self.joint: JointAnnotation | None = None
        self.position = 0
        self.round = document.proposal_round

    def redo(self) -> None:
        self.joint = None
        if self.uid in self.document._joints:  # else a proposal replaced since (`set_proposals`)
            self.joint, self.position = self.document._remove(self.uid)
            self.round = self.document.proposal_round

    def undo(self) -> None:
        if self.joint is not None and self.document._brings_back(self.joint, self.round):
            self.document._insert(self.uid, self.joint, self.position)
            self.document.joint_restored.emit(self.uid)


class ChoiceCommand(QUndoCommand):
    """A choice the user makes for the whole radiograph, where no joint's name says it yet (saved as the
    annotation's laterality, `saved_laterality`): `_both_hands_chosen`, or `hand_chosen`."""

    def __init__(self, document: AnnotationDocument, attribute: str, value, text: str):
        super().__init__(text)
        self.document, self.attribute, self.value = document, attribute, value
        self.before = getattr(document, attribute)

    def redo(self) -> None:
        setattr(self.document, self.attribute, self.value)
        self.document._touch()

    def undo(self) -> None:
        setattr(self.document, self.attribute, self.before)
        self.document._touch()


class EditJointCommand(QUndoCommand):
    """Replace one joint; consecutive edits with the same merge key (arrow nudges) merge into one step."""

    MERGE_ID = 1

    def __init__(self, document: AnnotationDocument, uid: int, joint: JointAnnotation, text: str,
                 merge_key: str | None = None):
        super().__init__(text)
        self.document, self.uid = document, uid
        self.before, self.after = document.joint(uid), copy_joint(joint)
        self.merge_key = merge_key

    def id(self) -> int:
        return self.MERGE_ID if self.merge_key else -1

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, EditJointCommand) or other.uid != self.uid or other.merge_key != self.merge_key:
            return False
        self.after = copy_joint(other.after)
        return True

    def redo(self) -> None:
        if self.uid in self.document._joints:  # else a proposal replaced since (`set_proposals`)
            self.document._replace(self.uid, self.after)

    def undo(self) -> None:
        if self.uid in self.document._joints:
            self.document._replace(self.uid, self.before)


