"""What the analysis draws on a view: JSN values and the reliability mark on the follow-up, the
joints it could not measure, and a frame around the joint chosen in the results table. The
boxes themselves are the annotation layer's (the model's proposals, or the user's boxes).

Each tag goes to the first place by the part of its own box on screen, touching it (`placement.tag_places`, along its
sides), that covers no joint's name, no other tag, nothing beyond the view's edge and no other joint's box, keeping half
its height clear of those boxes (`TAG_CLEAR`), again whenever the annotation layer places the names (after a zoom, or
when boxes change: its `labels_moved`). Boxes of neighbouring joints overlap, and a tag on or against another joint's box
reads as that joint's value (a whole hand in view put IP1's '+0.22 mm' inside MCP1's box, MCP1's own being -0.47 mm).
Where there is no such place the tag names its joint ('IP1 +0.22 mm ✓') and may then lie on another's box, still clear
of names, tags and the edge; where even that finds no room (a whole hand in a small view) it is hidden until a zoom on its
joint makes room, and a note in the view's corner says how many are (their values stay in the results table). A tag
marked not reliable is never hidden: its mark alone, '?', takes the room its value cannot, and named ('PIP2 ?') over
what covers least where even that finds none (names, tags and the edge first, then other joints' boxes). Nor is the tag
of the joint chosen in the results table (or by its box): placed first, named over what covers least at worst.

Hovering a tag frames its joint's box and its tooltip names the joint; clicking it shows that joint in the results table
and the joint detail."""

from __future__ import annotations

import pyqtgraph as pg
from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QGraphicsRectItem

from jsnviewer.gui.box_layer import (LABEL_FILL, on_screen, on_screen_edges, rect_from_box, say_in_corner, screen_ratio,
                                     text_size)
from jsnviewer.pipeline.placement import (Place, Rect, box_rect, centre_within, clipped, first_free, free_place, near,
                                          others, tag_places, text_rect)
from jsnviewer.pipeline.result import NOT_RELIABLE
from jsnviewer.words import counted

RELIABLE_TEXT, UNRELIABLE_TEXT, UNPAIRED_TEXT = "#ffffff", "#a0a0a0", "#c8c8c8"
FOCUS_COLOUR = "#ffffff"
HOVER_COLOUR = "#ffffff"
MARK_ONLY = "?"  # an unreliable tag where its value finds no room
# How far a tag keeps from every other joint's box, in its own heights (less the tenth `placement.overlap` lets texts
# touch by): one touching two boxes, its own and a neighbour's, would be either's. 0.25 left tags 2 px from a neighbour.
TAG_CLEAR = 0.5


def crowded_note(hidden: int) -> str:
    return f"{counted(hidden, 'JSN tag')} hidden for room: zoom in"


def named_tag(identity: str, text: str) -> str:
    """A tag with no place clear of other joints' boxes: 'IP1 +0.22 mm ✓', whose it is said in it."""
    return f"{identity} {text}"


def jsn_text(joint) -> str:
    """'-0.12 mm ✓' or '+0.30 mm ?' (px when the pixel size is unknown)."""
    return f"{joint.jsn_text(2, 1)} ✓" if joint.reliable else joint.marked_jsn_text(2, 1)


def tag_tooltip(joint) -> str:
    """What hovering a joint's JSN tag says: whose value it is, and whether it can be used."""
    said = ["Reliable"] if joint.reliable else [NOT_RELIABLE, *joint.reasons_said()]
    return "\n".join([f"{joint.identity}: JSN {joint.jsn_text()}", *said, "Click: show this joint in the joint detail"])


class JsnTag(pg.TextItem):
    """A tag on the view: hovering it frames its joint's box, a left click shows the joint (`ResultOverlay`)."""

    def __init__(self, overlay: "ResultOverlay", identity: str | None, **kwargs):
        super().__init__(**kwargs)
        self.overlay, self.identity = overlay, identity
        self.setAcceptHoverEvents(True)

    def hoverEvent(self, ev) -> None:  # noqa: N802 (pyqtgraph naming)
        if ev.isExit():
            self.overlay.show_hover(None)
        else:
            self.overlay.show_hover(self)
            if self.identity is not None:
                ev.acceptClicks(Qt.LeftButton)

    def mouseClickEvent(self, ev) -> None:  # noqa: N802
        if ev.button() == Qt.LeftButton and self.identity is not None and self.overlay.on_tag_clicked is not None:
            ev.accept()
            self.overlay.on_tag_clicked(self.identity)
        else:
            ev.ignore()


class ResultOverlay:
    """The analysis items of one view; `visit` is "baseline" or "followup". Its text items are made
    a few per turn of the event loop, like the boxes (see AnnotationLayer)."""

    ITEMS_PER_TURN = 2

    def __init__(self, view_box: pg.ViewBox, visit: str):
        self.view_box, self.visit = view_box, visit
        self.items: dict[str, pg.TextItem] = {}  # identity -> JSN text (follow-up only)
        self.unpaired: list[pg.GraphicsObject] = []
        self.boxes: dict[pg.TextItem, Rect] = {}  # each tag's joint box
        self.joint_boxes: list[Rect] = []  # every box of the result on this view, tagged or not: no tag lies on another's
        self.texts: dict[pg.TextItem, tuple[str, str]] = {}  # each tag's whole text and tooltip
        self.marked: set[pg.TextItem] = set()  # tags of values not reliable: never hidden
        self.focused: str | None = None  # the joint chosen in the results table: its tag is never hidden either
        self.crowded: list[pg.TextItem] = []  # tags hidden at this zoom: no place by their box is free
        self.noted = 0  # how many of them the note in the view's corner counts (`crowded_note`)
        self.names: list[Rect] = []  # where the joints' names lie at this zoom (`place_around`)
        self.pending: list[tuple] = []  # (identity or None, text, colour, joint box, tooltip, not reliable) still to draw
        self.visible = True
        self.on_tag_clicked: Callable[[str], None] | None = None  # a joint's tag was clicked: its identity
        self.hover = QGraphicsRectItem()  # the box of the tag under the mouse
        self.hover.setPen(pg.mkPen(HOVER_COLOUR, width=2.5 * screen_ratio(view_box)))
        self.hover.setZValue(24)  # over the boxes, under the tags
        self.hover.hide()
        view_box.addItem(self.hover, ignoreBounds=True)
        self.focus = QGraphicsRectItem()
        self.focus.setPen(pg.mkPen(FOCUS_COLOUR, width=1.5 * screen_ratio(view_box), style=Qt.DotLine))
        self.focus.setZValue(5)  # over the image, under the boxes and their names
        self.focus.hide()
        view_box.addItem(self.focus, ignoreBounds=True)
        self.note = pg.TextItem("", color=UNPAIRED_TEXT, fill=pg.mkBrush(*LABEL_FILL))  # `crowded_note`
        self.note.setZValue(25)
        self.note.setToolTip("The values of the hidden tags are in the results table")
        self.note.hide()
        view_box.addItem(self.note, ignoreBounds=True)
        self._timer = QTimer(view_box)  # dies with the view: never fires on a closed window
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._make_some)

    def set_result(self, result) -> None:
        self.clear()
        if result is None:
            return
        self.joint_boxes = [box_rect(getattr(joint, self.visit).box) for joint in result.joints]
        self.joint_boxes += [box_rect(u.box) for u in result.unpaired if u.visit == self.visit]
        if self.visit == "followup":
            for joint in result.joints:
                cx, cy, w, h = joint.followup.box
                # one tag per joint, placed by `arrange` once drawn
                self.pending.append((joint.identity, jsn_text(joint), RELIABLE_TEXT if joint.reliable else UNRELIABLE_TEXT,
                                     joint.followup.box, tag_tooltip(joint), not joint.reliable))
        for u in result.unpaired:  # a box that fits no finger joint (often the wrist) is said once, in the results
            if u.visit == self.visit and u.identity is not None:
                self.pending.append((None, "not measured", UNPAIRED_TEXT, u.box, u.reason, False))
        self._timer.start()

    def _make_some(self) -> None:
        for identity, text, colour, (cx, cy, w, h), tip, marked in self.pending[: self.ITEMS_PER_TURN]:
            item = JsnTag(self, identity, text=text, color=colour, anchor=(0, 0), fill=pg.mkBrush(*LABEL_FILL))
            item.setPos(cx - w / 2.0, cy - h / 2.0)
            self.boxes[item] = box_rect((cx, cy, w, h))
            self.texts[item] = (text, tip)
            if marked:
                self.marked.add(item)
            item.setZValue(25)
            item.setToolTip(tip)
            item.setVisible(self.visible)
            self.view_box.addItem(item, ignoreBounds=True)
            if identity is None:
                self.unpaired.append(item)
            else:
                self.items[identity] = item
        del self.pending[: self.ITEMS_PER_TURN]
        if not self.pending:
            self._timer.stop()
            self.arrange()

    @property
    def settled(self) -> bool:
        """Every tag made and in its place."""
        return not self.pending

    def place_around(self, names: list[Rect]) -> None:
        """The joints' names were placed again: keep the tags clear of them."""
        self.names = names
        self.arrange()

    def _size(self, item: pg.TextItem, text: str, tip: str) -> tuple[float, float]:
        """Show `text` on `item`; its size in image pixels at this zoom (`text_size`: it may be hidden)."""
        if item.toPlainText() != text:
            item.setText(text)
        item.setToolTip(tip)
        return text_size(self.view_box, item)

    @staticmethod
    def _put(item: pg.TextItem, place: Place) -> None:
        item.setAnchor(place[1])
        item.setPos(*place[0])

    def arrange(self) -> None:
        """Put every tag by its box's part on screen at this zoom and pan (`_place`), the chosen joint's first, then the
        tags not reliable; hide those that find no room, and say how many are."""
        if not self.boxes or self.view_box.width() <= 0:
            return
        taken, beyond = list(self.names), on_screen_edges(self.view_box)
        self.crowded = []
        self.hover.hide()  # the tags move: the mouse is over another one, or none
        screen = on_screen(self.view_box)
        first = sorted(self.boxes, key=lambda i: (not self._kept(i), i not in self.marked))  # stable otherwise
        for item in first:
            shown = clipped(self.boxes[item], screen)  # by the part of its box on screen: zoomed in, its corners may be off
            placed = self._place(item, shown, beyond + taken) if shown else None
            if placed is None:
                self.crowded.append(item)
                item.setVisible(False)
                continue
            self._put(item, placed[0])
            item.setVisible(self.visible)
            taken.append(text_rect(*placed))
        self._say_crowded(beyond + taken)

    def _place(self, item: JsnTag, shown: Rect, taken: list[Rect]) -> tuple[Place, tuple[float, float]] | None:
        """Where the tag goes and its size, trying in turn: its value clear of other joints' boxes; its value named
        ('IP1 +0.22 mm ✓'), which may lie on another's box as it says whose it is; for a value not reliable, then its
        mark alone clear of those boxes, and last its mark named where it covers least. None: hidden for room."""
        box, (text, tip) = self.boxes[item], self.texts[item]
        places = tag_places(shown, along=True)
        tries = [(text, False)] + ([(named_tag(item.identity, text), True)] if item.identity else [])  # "not measured"
        if item in self.marked:
            tries.append((MARK_ONLY, False))  # the tooltip gives the value
        for words, named in tries:
            size = self._size(item, words, tip)
            away = [] if named else others(box, self.joint_boxes, TAG_CLEAR * size[1])
            place = free_place(places, size, near(taken + away, shown, size))
            if place is not None:
                return place, size
        if self._kept(item):
            size = self._size(item, named_tag(item.identity, MARK_ONLY if item in self.marked else text), tip)
            return first_free(places, size, taken, others(box, self.joint_boxes, TAG_CLEAR * size[1])), size
        item.setText(text)  # hidden with its value, for when a zoom makes room
        return None

    def _kept(self, item: JsnTag) -> bool:
        """Never hidden for room: a tag not reliable (hiding it would hide the warning) and the chosen joint's."""
        return item in self.marked or (item.identity is not None and item.identity == self.focused)

    def _say_crowded(self, taken: list[Rect]) -> None:
        """How many tags of joints in view are hidden, in a corner of the view clear of names and tags (else the one
        that covers least). A joint in view is one whose box's centre is on screen: zoomed in on a joint, a neighbour
        whose box's edge alone shows is not missed, though its tag finds no room by that edge."""
        screen = on_screen(self.view_box)
        hidden = sum(centre_within(self.boxes[item], screen) for item in self.crowded)
        self.noted = hidden
        if not hidden:
            self.note.hide()
            return
        say_in_corner(self.view_box, self.note, crowded_note(hidden), taken)
        self.note.setVisible(self.visible)

    def show_hover(self, tag: JsnTag | None) -> None:
        """Frame the box of the tag under the mouse (None: the mouse left it)."""
        if tag is None or tag not in self.boxes:
            self.hover.hide()
            return
        x0, y0, x1, y1 = self.boxes[tag]
        self.hover.setRect(x0, y0, x1 - x0, y1 - y0)
        self.hover.setVisible(self.visible)

    def clear(self) -> None:
        self.pending.clear()
        self._timer.stop()
        for item in [*self.items.values(), *self.unpaired]:
            self.view_box.removeItem(item)
        self.items.clear()
        self.unpaired.clear()
        self.boxes.clear()
        self.joint_boxes = []
        self.texts.clear()
        self.marked.clear()
        self.crowded.clear()
        self.focused = None
        self.noted = 0
        self.note.hide()
        self.hover.hide()
        self.focus.hide()

    def set_visible(self, visible: bool) -> None:
        self.visible = visible
        for item in [*self.items.values(), *self.unpaired]:
            item.setVisible(visible and item not in self.crowded)
        self.note.setVisible(visible and self.noted > 0)
        if not visible:
            self.hover.hide()

    def show_focus(self, box: tuple[float, float, float, float] | None, identity: str | None = None) -> None:
        """Frame the chosen joint's box (None: no joint chosen); its tag shows whatever the room."""
        if identity != self.focused:
            self.focused = identity
            self.arrange()
        if box is None:
            self.focus.hide()
            return
        cx, cy, w, h = box
        self.focus.setRect(rect_from_box((cx, cy, w * 1.25, h * 1.25)))
        self.focus.show()
