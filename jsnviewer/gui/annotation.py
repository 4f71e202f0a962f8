"""Joint boxes on a radiograph: the document the undo commands edit, and the items that draw it.

`AnnotationDocument` holds the joints of one radiograph and its QUndoStack; every edit is a
QUndoCommand that replaces one `JointAnnotation` (the dataset's own type), so undo, redo,
autosave and saving all see exactly the numbers the user made. Geometry stays float end to
end: a box loaded from the dataset is drawn from its (cx, cy, w, h) and written back unchanged
unless the user moves it.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Iterable
from pathlib import Path

import pyqtgraph as pg
from PySide6.QtCore import QObject, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QUndoCommand, QUndoStack

from jsnviewer.dataset import JointAnnotation, merge_joints
from jsnviewer.pipeline.placement import Rect, first_free, label_places, text_rect
from jsnviewer.pipeline.overview import COLOURS, finding_colour, findings_abbrev


def _hex(rgb: tuple[int, int, int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)


# Box colours by findings: the report's palette, so the window and the exported report agree.
FINDING_COLOURS = {
    (): _hex(COLOURS["none"]),
    ("ankylosis",): _hex(COLOURS["ankylosis"]),
    ("subluxation",): _hex(COLOURS["subluxation"]),
    ("ankylosis", "subluxation"): _hex(COLOURS["both"]),
}
SELECTED_COLOUR = "#ffffff"
# Under a joint's name and a JSN tag: nearly opaque, so that their text keeps 4.5:1 (WCAG AA) over white bone
# and the lines passing under them do not cross the letters (150 left a red name at 1.4:1 over bone).
LABEL_FILL = (0, 0, 0, 225)
MIN_BOX_SIZE = 2.0  # px; smaller drags are treated as clicks


def box_colour(joint: JointAnnotation) -> str:
    return _hex(finding_colour(joint.findings))


def box_label(joint: JointAnnotation) -> str:
    """Short, so neighbouring joints' labels stay apart: 'MCP2 ank', 'PIP3 ank sub', '?'. A model's
    proposal is told apart by its dashed box, not by more text."""
    return " ".join(filter(None, [joint.identity or "?", findings_abbrev(joint.findings)]))


def box_from_rect(rect: QRectF) -> tuple[float, float, float, float]:
    rect = rect.normalized()
    return (rect.x() + rect.width() / 2.0, rect.y() + rect.height() / 2.0, rect.width(), rect.height())


def rect_from_box(box: tuple[float, float, float, float]) -> QRectF:
    cx, cy, w, h = box
    return QRectF(cx - w / 2.0, cy - h / 2.0, w, h)


def view_rect(view_box: pg.ViewBox, item) -> Rect:
    """Where `item` (text that keeps its size on screen) lies in image pixels at the current zoom."""
    r = view_box.mapSceneToView(item.sceneBoundingRect()).boundingRect()
    return r.left(), r.top(), r.right(), r.bottom()


def screen_ratio(view_box: pg.ViewBox) -> float:
    """Physical pixels per logical pixel of the screen the view is on (2 on a 4K monitor at 200 %). Lines
    and handles are drawn in physical pixels: without it they would be half as thick beside text twice as large."""
    scene = view_box.scene()
    views = scene.views() if scene is not None else []
    return float(views[0].devicePixelRatioF()) if views else 1.0


def _copy(joint: JointAnnotation) -> JointAnnotation:
    return copy.deepcopy(joint)


def _same_joints(a: list[JointAnnotation], b: list[JointAnnotation]) -> bool:
    """The same joints, in any order."""
    rest = list(b)
    for joint in a:
        if joint not in rest:
            return False
        rest.remove(joint)
    return not rest


class AnnotationDocument(QObject):
    """The joints annotated on one radiograph file, with undo history and a saved/dirty state."""

    joint_added = Signal(int)  # uid
    joint_removed = Signal(int)
    joint_changed = Signal(int)
    joint_restored = Signal(int)  # a deleted joint is back (undo): selected again, ready for the next key
    changed = Signal()  # after any edit, undo or redo
    dirty_changed = Signal(bool)

    _uids = itertools.count(1)

    def __init__(self, path: Path, width: int, height: int, laterality: str | None = None,
                 pixel_size_mm: float | None = None, joints: Iterable[JointAnnotation] = (), parent: QObject | None = None,
                 image_id: str | None = None, stored: str | None = None):
        super().__init__(parent)
        self.path = Path(path)
        # The image's dataset id when it was opened, and the hash of its annotation file as last read or
        # written (None: none): a save goes to that image and replaces only that file (dataset.py).
        self.image_id, self.stored = image_id, stored
        self.width, self.height = int(width), int(height)
        self.laterality, self.pixel_size_mm = laterality, pixel_size_mm
        self._joints: dict[int, JointAnnotation] = {next(self._uids): _copy(j) for j in joints}
        # The joints of that saved file: what a save merges against when the file changed elsewhere.
        self.base: list[JointAnnotation] = self.joints()
        self.undo_stack = QUndoStack(self)
        self.revision = 0
        self.saved_revision = 0
        self.in_batch = False  # set while a batch of edits (proposals) emits one `changed` at its end
        self.save_error: str | None = None
        # Set when the saved annotation of this image could not be read (autosave must not replace that
        # file, it may be repairable; an explicit save by the user does), or was changed elsewhere.
        self.keep_saved_file: str | None = None

    # --- reading
    def uids(self) -> list[int]:
        return list(self._joints)

    def joint(self, uid: int) -> JointAnnotation:
        return _copy(self._joints[uid])

    def joints(self) -> list[JointAnnotation]:
        return [_copy(j) for j in self._joints.values()]

    def __len__(self) -> int:
        return len(self._joints)

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
        self.base = [_copy(j) for j in written]
        if not _same_joints(written, snapshot):
            target = merge_joints(snapshot, written, self.joints()).joints
            stale = []
            for uid, joint in self._joints.items():
                if joint in target:
                    target.remove(joint)
                else:
                    stale.append(uid)
            if stale or target:
                self._swap("Merge changes saved elsewhere", stale, target, "Add joint saved elsewhere")
        self.mark_saved(self.revision if _same_joints(self.joints(), written) else revision)

    def load_joints(self, joints: Iterable[JointAnnotation]) -> None:
        """Replace the content with a starting state (like opening a file): no undo step, not dirty."""
        for uid in list(self._joints):
            del self._joints[uid]
            self.joint_removed.emit(uid)
        for joint in joints:
            uid = next(self._uids)
            self._joints[uid] = _copy(joint)
            self.joint_added.emit(uid)
        self.undo_stack.clear()
        self.changed.emit()

    # --- editing: through commands only, so every change can be undone
    def add(self, joint: JointAnnotation, text: str = "Add box") -> None:
        self.undo_stack.push(AddJointCommand(self, joint, text))

    def remove(self, uid: int) -> None:
        self.undo_stack.push(RemoveJointCommand(self, uid))

    def edit(self, uid: int, joint: JointAnnotation, text: str, merge_key: str | None = None) -> None:
        if joint == self._joints.get(uid):
            return
        self.undo_stack.push(EditJointCommand(self, uid, joint, text, merge_key))

    def set_box(self, uid: int, box: tuple[float, float, float, float], text: str = "Move box",
                merge_key: str | None = None) -> None:
        joint = self.joint(uid)
        joint.box = tuple(float(v) for v in box)
        self.edit(uid, joint, text, merge_key)

    def set_identity(self, uid: int, identity: str | None) -> None:
        joint = self.joint(uid)
        joint.identity = identity
        self.edit(uid, joint, f"Set joint to {identity or 'unknown'}")

    def set_finding(self, uid: int, finding: str, value: bool) -> None:
        joint = self.joint(uid)
        joint.findings[finding] = bool(value)
        self.edit(uid, joint, f"{'Mark' if value else 'Clear'} {finding}")

    def accept_proposals(self, uids: Iterable[int]) -> int:
        """Turn model proposals into the user's own boxes (one undo step); returns how many."""
        proposals = [uid for uid in uids if uid in self._joints and self._joints[uid].source == "model"]
        if not proposals:
            return 0
        self.undo_stack.beginMacro(f"Accept {len(proposals)} proposal(s)")
        for uid in proposals:
            joint = self.joint(uid)
            joint.source = "user"
            self.edit(uid, joint, "Accept proposal")
        self.undo_stack.endMacro()
        return len(proposals)

    def set_proposals(self, joints: Iterable[JointAnnotation], text: str = "Analysis proposals") -> int:
        """Replace the unaccepted model proposals with `joints` (source "model"), one undo step.

        Proposals are not the user's work: a document that was saved stays saved (nothing new of
        the user's to write), one with edits stays edited. Returns how many proposals were added.
        """
        joints = [_copy(j) for j in joints]
        old = [uid for uid, j in self._joints.items() if j.source == "model"]
        if not joints and not old:
            return 0
        was_clean = not self.is_dirty
        self._swap(text, old, joints, "Add proposal")
        if was_clean:
            self.mark_saved(self.revision)
        return len(joints)

    def _swap(self, text: str, remove: list[int], add: list[JointAnnotation], add_text: str) -> None:
        """Remove some joints and add others as one undo step, with one `changed` for the whole batch."""
        self.in_batch = True
        try:
            self.undo_stack.beginMacro(text)
            for uid in remove:
                self.remove(uid)
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
        items.insert(len(items) if position is None else position, (uid, _copy(joint)))
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
        self._joints[uid] = _copy(joint)
        self.joint_changed.emit(uid)
        self._touch()

    @classmethod
    def new_uid(cls) -> int:
        return next(cls._uids)


class AddJointCommand(QUndoCommand):
    def __init__(self, document: AnnotationDocument, joint: JointAnnotation, text: str = "Add box"):
        super().__init__(text)
        self.document, self.joint, self.uid = document, _copy(joint), AnnotationDocument.new_uid()

    def redo(self) -> None:
        self.document._insert(self.uid, self.joint)

    def undo(self) -> None:
        self.document._remove(self.uid)


class RemoveJointCommand(QUndoCommand):
    def __init__(self, document: AnnotationDocument, uid: int):
        super().__init__(f"Delete {document.joint(uid).identity or 'box'}")
        self.document, self.uid = document, uid
        self.joint: JointAnnotation | None = None
        self.position = 0

    def redo(self) -> None:
        self.joint, self.position = self.document._remove(self.uid)

    def undo(self) -> None:
        self.document._insert(self.uid, self.joint, self.position)
        self.document.joint_restored.emit(self.uid)


class EditJointCommand(QUndoCommand):
    """Replace one joint; consecutive edits with the same merge key (arrow nudges) merge into one step."""

    MERGE_ID = 1

    def __init__(self, document: AnnotationDocument, uid: int, joint: JointAnnotation, text: str,
                 merge_key: str | None = None):
        super().__init__(text)
        self.document, self.uid = document, uid
        self.before, self.after = document.joint(uid), _copy(joint)
        self.merge_key = merge_key

    def id(self) -> int:
        return self.MERGE_ID if self.merge_key else -1

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, EditJointCommand) or other.uid != self.uid or other.merge_key != self.merge_key:
            return False
        self.after = _copy(other.after)
        return True

    def redo(self) -> None:
        self.document._replace(self.uid, self.after)

    def undo(self) -> None:
        self.document._replace(self.uid, self.before)


class JointBoxItem(pg.ROI):
    """An editable joint box: drag to move, eight handles to resize, coloured by findings."""

    clicked = Signal(object)  # self

    def __init__(self, uid: int, joint: JointAnnotation, ratio: float = 1.0):
        rect = rect_from_box(joint.box)
        super().__init__(rect.topLeft(), rect.size(), movable=True, rotatable=False, resizable=False,
                         removable=False, invertible=False)
        self.uid = uid
        self.ratio = ratio  # `screen_ratio`
        self.handleSize = round(self.handleSize * ratio)
        self.selected = False
        self.label = pg.TextItem(anchor=(0, 1))
        self.label.setParentItem(self)
        self.setAcceptedMouseButtons(Qt.LeftButton)
        self.sigClicked.connect(self._clicked)  # a method: a lambda holding `self` would keep the item forever
        self._shown_box: tuple[float, float, float, float] | None = None
        self.show_joint(joint)

    def _clicked(self, roi, ev) -> None:
        self.clicked.emit(self)

    def show_joint(self, joint: JointAnnotation) -> None:
        """Draw `joint` without emitting change signals (it already is the document's state)."""
        if joint.box != self._shown_box:
            rect = rect_from_box(joint.box)
            self.setPos(rect.topLeft(), update=False, finish=False)
            self.setSize(rect.size(), update=False, finish=False)
            self.stateChanged(finish=False)  # repaint and move handles, quietly
            self._shown_box = tuple(joint.box)
        self.joint = _copy(joint)
        self._restyle()

    def set_selected(self, selected: bool) -> None:
        self.selected = selected
        if selected and not self.getHandles():
            # The eight resize handles are made when the box is first selected: they are only shown
            # then, and making them for every box costs ~15 ms each (a whole hand of proposals at once).
            for pos, centre in (((0, 0), (1, 1)), ((1, 1), (0, 0)), ((1, 0), (0, 1)), ((0, 1), (1, 0)),
                                ((0.5, 0), (0.5, 1)), ((0.5, 1), (0.5, 0)), ((0, 0.5), (1, 0.5)), ((1, 0.5), (0, 0.5))):
                self.addScaleHandle(pos, centre)
        self._restyle()

    def set_label_visible(self, visible: bool) -> None:
        self.label.setVisible(visible)

    def edited_box(self) -> tuple[float, float, float, float] | None:
        """The box after a mouse edit, or None when the geometry did not change."""
        pos, size = self.pos(), self.size()
        rect = rect_from_box(self._shown_box) if self._shown_box else None
        if rect is not None and (pos.x(), pos.y(), size.x(), size.y()) == (rect.x(), rect.y(), rect.width(), rect.height()):
            return None
        return (pos.x() + size.x() / 2.0, pos.y() + size.y() / 2.0, size.x(), size.y())  # size kept exactly

    def _restyle(self) -> None:
        colour = QColor(box_colour(self.joint))
        style = Qt.DashLine if self.joint.source == "model" else Qt.SolidLine
        pen = pg.mkPen(colour, width=(3.5 if self.selected else 2) * self.ratio, style=style)
        self.setPen(pen)
        self.hoverPen = pg.mkPen(colour.lighter(140), width=3.5 * self.ratio, style=style)
        for handle in self.getHandles():
            handle.pen = pg.mkPen(colour, width=self.ratio)
            handle.currentPen = handle.pen
            handle.setVisible(self.selected)
            handle.update()
        self.label.setText(box_label(self.joint), color=SELECTED_COLOUR if self.selected else colour)
        self.label.fill = pg.mkBrush(*LABEL_FILL)
        self.label.setZValue(1)
        self.update()


class AnnotationLayer(QObject):
    """Keeps the box items of one view in step with one document and turns mouse edits into commands.

    A single edit is drawn at once; the boxes of a batch (the document's `in_batch`: a hand's worth
    of proposals) are made one per turn of the event loop, as a box costs a few ms to make and all
    at once would stall the window. `pending` holds the boxes not drawn yet, `items` the drawn
    ones; selecting a pending box draws it at once.
    """

    selection_changed = Signal(object)  # uid or None
    # the names were placed again (boxes drawn, moved, removed, shown or hidden; a zoom): where they
    # now lie, in image pixels (the analysis tags keep clear of them)
    labels_moved = Signal(list)
    ITEMS_PER_TURN = 1  # a box item costs 4-10 ms on a loaded 2-core machine

    def __init__(self, view_box: pg.ViewBox, document: AnnotationDocument):
        super().__init__(view_box)
        self.view_box, self.document = view_box, document
        self.items: dict[int, JointBoxItem] = {}
        self.pending: list[int] = []
        self.selected: int | None = None
        self.labels_visible = True
        self.visible = True
        self.movable = True  # False with the box tool: a drag inside a box draws a new box instead
        self._timer = QTimer(self)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._make_some)
        self._label_timer = QTimer(self)
        self._label_timer.setSingleShot(True)
        self._label_timer.setInterval(60)
        self._label_timer.timeout.connect(self.arrange_labels)
        view_box.sigTransformChanged.connect(self._labels_changed)
        document.joint_added.connect(self._add_item)
        document.joint_removed.connect(self._remove_item)
        document.joint_changed.connect(self._update_item)
        document.joint_restored.connect(self.select)
        for uid in document.uids():
            self._make_item(uid)
        self._labels_changed()

    @property
    def settled(self) -> bool:
        """Every box drawn and its name in its place."""
        return not self.pending and not self._label_timer.isActive()

    def _labels_changed(self, *_) -> None:
        self._label_timer.start()

    def arrange_labels(self) -> None:
        """Put every joint's name above its box, at the left or else at the right, where it covers no
        name placed before (from the top of the image down)."""
        taken = []
        if self.view_box.width() > 0:
            for item in sorted(self.items.values(), key=lambda i: (i.pos().y(), i.pos().x())):
                if not (item.isVisible() and item.label.isVisible()):
                    continue
                x0, y0, x1, y1 = view_rect(self.view_box, item.label)
                size, origin = (x1 - x0, y1 - y0), item.pos()
                place = first_free(label_places((origin.x(), origin.y(), origin.x() + item.size().x(),
                                                 origin.y() + item.size().y())), size, taken)
                item.label.setAnchor(place[1])
                item.label.setPos(place[0][0] - origin.x(), place[0][1] - origin.y())
                taken.append(text_rect(place, size))
        self.labels_moved.emit(taken)

    def detach(self) -> None:
        for signal, slot in ((self.document.joint_added, self._add_item), (self.document.joint_removed, self._remove_item),
                             (self.document.joint_changed, self._update_item), (self.document.joint_restored, self.select)):
            signal.disconnect(slot)
        self.view_box.sigTransformChanged.disconnect(self._labels_changed)
        self._timer.stop()
        self._label_timer.stop()
        self.pending.clear()
        for uid in list(self.items):
            self.view_box.removeItem(self.items.pop(uid))
        self.selected = None
        self.setParent(None)  # the view box would keep every layer it ever showed; now it goes with its last reference

    def select(self, uid: int | None) -> None:
        if uid in self.pending:
            self.pending.remove(uid)
            self._make_item(uid)
        if uid is not None and uid not in self.items:
            uid = None
        if uid == self.selected:
            return
        if self.selected in self.items:
            self.items[self.selected].set_selected(False)
        self.selected = uid
        if uid is not None:
            self.items[uid].set_selected(True)
        self.selection_changed.emit(uid)

    def set_visible(self, visible: bool) -> None:
        self.visible = visible
        for item in self.items.values():
            item.setVisible(visible)
        self._labels_changed()

    def set_movable(self, movable: bool) -> None:
        """Whether dragging a box's body moves it (its handles resize it either way)."""
        self.movable = movable
        for item in self.items.values():
            item.translatable = movable

    def set_labels_visible(self, visible: bool) -> None:
        self.labels_visible = visible
        for item in self.items.values():
            item.set_label_visible(visible)
        self._labels_changed()

    def _add_item(self, uid: int) -> None:
        if self.pending or self.document.in_batch:
            self.pending.append(uid)
            self._timer.start()
        else:
            self._make_item(uid)
            self._labels_changed()

    def _make_some(self) -> None:
        for uid in self.pending[: self.ITEMS_PER_TURN]:
            self._make_item(uid)
        del self.pending[: self.ITEMS_PER_TURN]
        if not self.pending:
            self._timer.stop()
            self._labels_changed()

    def _make_item(self, uid: int) -> None:
        item = JointBoxItem(uid, self.document.joint(uid), screen_ratio(self.view_box))
        item.setZValue(10)
        item.setVisible(self.visible)
        item.set_label_visible(self.labels_visible)
        item.translatable = self.movable
        item.sigRegionChangeFinished.connect(self._item_edited)
        item.sigRegionChangeStarted.connect(lambda it: self.select(it.uid))
        item.clicked.connect(lambda it: self.select(it.uid))
        self.view_box.addItem(item, ignoreBounds=True)  # the image alone sets the view's extent
        self.items[uid] = item

    def _remove_item(self, uid: int) -> None:
        if uid in self.pending:
            self.pending.remove(uid)
        item = self.items.pop(uid, None)
        if item is not None:
            self.view_box.removeItem(item)
        if self.selected == uid:
            self.selected = None
            self.selection_changed.emit(None)
        self._labels_changed()

    def _update_item(self, uid: int) -> None:
        if uid in self.items:  # a pending box is drawn from the document's state when its turn comes
            self.items[uid].show_joint(self.document.joint(uid))
            self._labels_changed()

    def _item_edited(self, item: JointBoxItem) -> None:
        box = item.edited_box()
        if box is not None and box[2] > 0 and box[3] > 0:
            self.document.set_box(item.uid, box, "Move box" if box[2:] == item.joint.box[2:] else "Resize box")
