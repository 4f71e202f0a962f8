"""The boxes of an annotation document on a radiograph's view: their colours (the findings' palette of the
report), names, the draggable item of each joint and the layer that keeps them in step with the document.
Geometry stays float end to end (see `jsnviewer.gui.annotation`)."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import QObject, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont

from jsnviewer.dataset import JointAnnotation
from jsnviewer.gui.annotation import AnnotationDocument, copy_joint
from jsnviewer.pipeline.overview import COLOURS, UNPAIRED_COLOUR, finding_colour, findings_abbrev
from jsnviewer.pipeline.placement import (Rect, centre_within, clipped, corner_places, first_free, outside, place_names,
                                         text_rect)
from jsnviewer.words import counted


def _hex(rgb: tuple[int, int, int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)


# Box colours by findings: the report's palette, so the window and the exported report agree.
FINDING_COLOURS = {
    (): _hex(COLOURS["none"]),
    ("ankylosis",): _hex(COLOURS["ankylosis"]),
    ("subluxation",): _hex(COLOURS["subluxation"]),
    ("ankylosis", "subluxation"): _hex(COLOURS["both"]),
}
# A box with no joint name (it fits no finger joint; often the wrist): grey, as overview.png and the report draw it.
UNNAMED_COLOUR = _hex(UNPAIRED_COLOUR)
SELECTED_COLOUR = "#ffffff"
NOTE_COLOUR = "#c8c8c8"  # a note in the view's corner (`hidden_names_note`)
# Under a joint's name and a JSN tag: nearly opaque, so that their text keeps 4.5:1 (WCAG AA) over white bone
# and the lines passing under them do not cross the letters (150 left a red name at 1.4:1 over bone).
LABEL_FILL = (0, 0, 0, 225)
LABEL_Z = 20  # joints' names: above every box (10), under the analysis's JSN tags (25)
MIN_BOX_SIZE = 2.0  # px; smaller drags are treated as clicks
# A name's last resort where even its short form finds no room: smaller type (of the usual size), a thinner fill (px).
COMPACT_TYPE, COMPACT_MARGIN = 0.8, 2.0


def box_colour(joint: JointAnnotation) -> str:
    return _hex(finding_colour(joint.findings)) if joint.identity else UNNAMED_COLOUR


def box_label(joint: JointAnnotation) -> str:
    """Short, so neighbouring joints' labels stay apart: 'MCP2 ank', 'PIP3 ank sub', '?'. A model's
    proposal is told apart by its dashed box, not by more text."""
    return " ".join(filter(None, [joint.identity or "?", findings_abbrev(joint.findings)]))


def name_forms(joint: JointAnnotation) -> list[tuple[str, bool]]:
    """A joint's name in its forms, (text, compact), as tried where the hand is crowded: whole, then its identity
    alone (the box's colour still tells its findings), then that compact (`COMPACT_TYPE`)."""
    return [(box_label(joint), False), (joint.identity or "?", False), (joint.identity or "?", True)]


def hidden_names_note(hidden: int) -> str:
    return f"{counted(hidden, 'joint name')} hidden for room: zoom in"


def broken(text: str, lines: int) -> str:
    """`text` on `lines` lines, each break at the space nearest its share of the length: "4 joint names hidden" over
    "for room: zoom in"."""
    spaces = [k for k, c in enumerate(text) if c == " "]
    cuts = {min(spaces, key=lambda k: abs(k - n * len(text) / lines)) for n in range(1, lines)} if spaces else set()
    return "".join("\n" if k in cuts else c for k, c in enumerate(text))


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


def text_size(view_box: pg.ViewBox, item: pg.TextItem) -> tuple[float, float]:
    """`item`'s size in image pixels at the current zoom, from its size on screen: unlike `view_rect`, right for
    a hidden item too (a hidden TextItem keeps the scale of the zoom it was hidden at)."""
    r = item.textItem.boundingRect()
    return in_image_pixels(view_box, (r.width(), r.height()))


def in_image_pixels(view_box: pg.ViewBox, size: tuple[float, float]) -> tuple[float, float]:
    """A size on screen (a text's: it keeps that size whatever the zoom) in image pixels at the current zoom."""
    r = view_box.mapSceneToView(QRectF(0.0, 0.0, *size)).boundingRect()
    return r.width(), r.height()


def say_in_corner(view_box: pg.ViewBox, note: pg.TextItem, text: str, taken: list[Rect]) -> Rect:
    """`text` on `note` in a corner of the view clear of `taken` (else over what covers least); where it lies. Where
    the view is narrower than its line (1024 × 768 with the Study panel open, Full HD at 200 %), on two lines, or
    three, so that it is not cut off at the view's edge."""
    for lines in range(1, 4):
        if note.toPlainText() != broken(text, lines):  # laying text out again on every pan and zoom is not free
            note.setText(broken(text, lines))
        if note.textItem.boundingRect().width() <= view_box.width():
            break
    size = text_size(view_box, note)
    place = first_free(corner_places(on_screen(view_box)), size, taken)
    note.setAnchor(place[1])
    note.setPos(*place[0])
    return text_rect(place, size)


def on_screen(view_box: pg.ViewBox) -> Rect:
    """The part of the image the view shows."""
    r = view_box.viewRect()
    return r.left(), r.top(), r.right(), r.bottom()


def on_screen_edges(view_box: pg.ViewBox) -> list[Rect]:
    """The image beyond what the view shows (`placement.outside`): names and tags are kept off it, so that none is
    cut off at the view's edge while there is room on screen."""
    return outside(on_screen(view_box))


def screen_ratio(view_box: pg.ViewBox) -> float:
    """Physical pixels per logical pixel of the screen the view is on (2 on a 4K monitor at 200 %). Lines
    and handles are drawn in physical pixels: without it they would be half as thick beside text twice as large."""
    scene = view_box.scene()
    views = scene.views() if scene is not None else []
    return float(views[0].devicePixelRatioF()) if views else 1.0


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
        # Not a child of the box: a child is drawn with its box, under every box drawn after it, whose outline
        # then crossed the name. The layer adds it to the view above all boxes; it follows its box's moves.
        self.label = pg.TextItem(anchor=(0, 1))
        self.label.setZValue(LABEL_Z)
        self._label_offset = (0.0, 0.0)
        self.label_wanted = True  # names shown (View menu)
        self.name_form: int | None = 0  # of `name_forms`; None: no room by the box at this zoom
        font = self.label.textItem.font()
        self._fonts = (font, QFont(font))  # usual, compact
        self._fonts[1].setPointSizeF(font.pointSizeF() * COMPACT_TYPE)
        self._margins = (self.label.textItem.document().documentMargin(), COMPACT_MARGIN)
        self._measured: tuple[list, list] | None = None  # (name_forms, their sizes on screen) last measured
        self.sigRegionChanged.connect(self._follow_label)
        self.setAcceptedMouseButtons(Qt.LeftButton)
        self.sigClicked.connect(self._clicked)  # a method: a lambda holding `self` would keep the item forever
        self._shown_box: tuple[float, float, float, float] | None = None
        self.show_joint(joint)

    def discard(self) -> None:
        """Free the item at once, taken off its view for good: pyqtgraph's box and its eight handles, and the box and
        its drag handler, refer to each other. Left to the garbage collector, a study's boxes (~170 objects each) made
        the full collections on the GUI thread longer as a session went on (0.2 → 0.8–1.6 s)."""
        self.blockSignals(True)  # removing a handle says the region changed: nobody must hear it now
        for handle in [h["item"] for h in self.handles]:
            self.removeHandle(handle)
        self.mouseDragHandler = None

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
            self._follow_label()
        self.joint = copy_joint(joint)
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
        self.label_wanted = visible
        self._show_label()

    def setVisible(self, visible: bool) -> None:  # noqa: N802 (Qt's name): the name goes with its box
        super().setVisible(visible)
        self._show_label()

    def _show_label(self) -> None:
        self.label.setVisible(self.isVisible() and self.label_wanted and self.name_form is not None)

    def show_name(self, form: int | None) -> None:
        """Its name as `name_forms`' `form`, or none (None)."""
        self.name_form = form
        if form is not None:
            text, compact = name_forms(self.joint)[form]
            self.label.textItem.document().setDocumentMargin(self._margins[compact])
            self.label.setFont(self._fonts[compact])
            self.label.setText(text)
        self._show_label()

    def name_sizes(self) -> list[tuple[float, float]]:
        """Its name's size on screen in each of `name_forms`: measured again only when the name changes (a text
        keeps its size on screen whatever the zoom), not at every zoom."""
        forms = name_forms(self.joint)
        if self._measured is None or self._measured[0] != forms:
            shown, sizes = self.name_form, []
            for form in range(len(forms)):
                self.show_name(form)
                r = self.label.textItem.boundingRect()
                sizes.append((r.width(), r.height()))
            self.show_name(shown)
            self._measured = (forms, sizes)
        return self._measured[1]

    def box_rect(self) -> Rect:
        pos, size = self.pos(), self.size()
        return pos.x(), pos.y(), pos.x() + size.x(), pos.y() + size.y()

    def place_label(self, offset: tuple[float, float], anchor: tuple[float, float]) -> None:
        """Put the name at `offset` from the box's top left corner (image pixels), its `anchor` there."""
        self._label_offset = offset
        self.label.setAnchor(anchor)
        self._follow_label()

    def _follow_label(self, *_) -> None:
        pos = self.pos()
        self.label.setPos(pos.x() + self._label_offset[0], pos.y() + self._label_offset[1])

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
        self.show_name(self.name_form)
        self.label.setColor(SELECTED_COLOUR if self.selected else colour)
        self.setToolTip(box_label(self.joint))  # its whole name, where it is shortened or hidden for room
        self.label.fill = pg.mkBrush(*LABEL_FILL)
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
        self.note = pg.TextItem("", color=NOTE_COLOUR, fill=pg.mkBrush(*LABEL_FILL))  # `hidden_names_note`
        self.note.setZValue(LABEL_Z)
        self.note.setToolTip("Point at a box for its name")
        self.note.hide()
        view_box.addItem(self.note, ignoreBounds=True)
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
        """Put every joint's name by its box (`placement.place_names`, on the box's part on screen) where it covers no
        other name and is not cut off at the view's edge, from the top of the image down. Where there is no room, short
        (`name_forms`: the box's colour still tells the findings), then compact; where even that finds none, hidden
        until a zoom makes room, counted by a note in the view's corner (the box's tooltip still names it) where its
        joint is in view (its box's centre on screen), but for the selected joint's: it always shows."""
        shown = [i for i in self.items.values() if i.isVisible() and i.label_wanted] if self.view_box.width() > 0 else []
        screen = on_screen(self.view_box)
        boxes = {i: clipped(i.box_rect(), screen) for i in shown}  # None off screen: nothing to name
        named = sorted((i for i in shown if boxes[i]), key=lambda i: (i.pos().y(), i.pos().x()))
        sizes = [[in_image_pixels(self.view_box, size) for size in i.name_sizes()] for i in named]
        beyond = on_screen_edges(self.view_box)
        always = next((k for k, i in enumerate(named) if i.uid == self.selected), None)
        layout = place_names([boxes[i] for i in named], sizes, beyond, always)
        for item in shown:
            if not boxes[item]:
                item.show_name(None)
        taken = []
        for item, found, forms in zip(named, layout, sizes):
            item.show_name(None if found is None else found[0])
            if found is not None:
                (form, place), origin = found, item.pos()
                item.place_label((place[0][0] - origin.x(), place[0][1] - origin.y()), place[1])
                taken.append(text_rect(place, forms[form]))
        # a joint whose box's edge alone shows is out of view: its name is not missed
        hidden = sum(found is None and centre_within(i.box_rect(), screen) for i, found in zip(named, layout))
        self.note.setVisible(hidden > 0)
        if hidden:  # tags keep clear of it too
            taken.append(say_in_corner(self.view_box, self.note, hidden_names_note(hidden), beyond + taken))
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
            self._take_off_view(self.items.pop(uid))
        self.view_box.removeItem(self.note)
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
        self._labels_changed()  # the selected joint's name always shows: placed again
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
        self.view_box.addItem(item.label, ignoreBounds=True)
        self.items[uid] = item

    def _take_off_view(self, item: JointBoxItem) -> None:
        self.view_box.removeItem(item.label)
        self.view_box.removeItem(item)
        item.discard()

    def _remove_item(self, uid: int) -> None:
        if uid in self.pending:
            self.pending.remove(uid)
        item = self.items.pop(uid, None)
        if item is not None:
            self._take_off_view(item)
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
