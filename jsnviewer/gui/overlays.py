"""What the analysis draws on a view: JSN values and the reliability mark on the follow-up, the
joints it could not measure, and a frame around the joint chosen in the results table. The
boxes themselves are the annotation layer's (the model's proposals, or the user's boxes).

Each tag goes to the first place by its own box that covers no joint's name, no other tag and nothing
beyond the view's edge (`placement`), again whenever the annotation layer places the names (after a zoom, or when boxes
change: its `labels_moved`)."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QGraphicsRectItem

from jsnviewer.gui.box_layer import LABEL_FILL, on_screen_edges, rect_from_box, screen_ratio, view_rect
from jsnviewer.pipeline.placement import Rect, first_free, tag_places, text_rect
from jsnviewer.pipeline.result import NOT_RELIABLE

RELIABLE_TEXT, UNRELIABLE_TEXT, UNPAIRED_TEXT = "#ffffff", "#a0a0a0", "#c8c8c8"
FOCUS_COLOUR = "#ffffff"


def jsn_text(joint) -> str:
    """'-0.12 mm ✓' or '+0.30 mm ?' (px when the pixel size is unknown)."""
    return f"{joint.jsn_text(2, 1)} ✓" if joint.reliable else joint.marked_jsn_text(2, 1)


class ResultOverlay:
    """The analysis items of one view; `visit` is "baseline" or "followup". Its text items are made
    a few per turn of the event loop, like the boxes (see AnnotationLayer)."""

    ITEMS_PER_TURN = 2

    def __init__(self, view_box: pg.ViewBox, visit: str):
        self.view_box, self.visit = view_box, visit
        self.items: dict[str, pg.TextItem] = {}  # identity -> JSN text (follow-up only)
        self.unpaired: list[pg.GraphicsObject] = []
        self.boxes: dict[pg.TextItem, Rect] = {}  # each tag's joint box
        self.names: list[Rect] = []  # where the joints' names lie at this zoom (`place_around`)
        self.pending: list[tuple] = []  # (identity or None, text, colour, joint box, tooltip) still to draw
        self.visible = True
        self.focus = QGraphicsRectItem()
        self.focus.setPen(pg.mkPen(FOCUS_COLOUR, width=1.5 * screen_ratio(view_box), style=Qt.DotLine))
        self.focus.setZValue(5)  # over the image, under the boxes and their names
        self.focus.hide()
        view_box.addItem(self.focus, ignoreBounds=True)
        self._timer = QTimer(view_box)  # dies with the view: never fires on a closed window
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._make_some)

    def set_result(self, result) -> None:
        self.clear()
        if result is None:
            return
        if self.visit == "followup":
            for joint in result.joints:
                cx, cy, w, h = joint.followup.box
                # one tag per joint, placed by `arrange` once drawn
                self.pending.append((joint.identity, jsn_text(joint), RELIABLE_TEXT if joint.reliable else UNRELIABLE_TEXT,
                                     joint.followup.box, "\n".join([NOT_RELIABLE, *joint.reasons_said()]) if not joint.reliable else "reliable"))
        for u in result.unpaired:  # a box that fits no finger joint (often the wrist) is said once, in the results
            if u.visit == self.visit and u.identity is not None:
                self.pending.append((None, "not measured", UNPAIRED_TEXT, u.box, u.reason))
        self._timer.start()

    def _make_some(self) -> None:
        for identity, text, colour, (cx, cy, w, h), tip in self.pending[: self.ITEMS_PER_TURN]:
            item = pg.TextItem(text, color=colour, anchor=(0, 0), fill=pg.mkBrush(*LABEL_FILL))
            item.setPos(cx - w / 2.0, cy - h / 2.0)
            self.boxes[item] = (cx - w / 2.0, cy - h / 2.0, cx + w / 2.0, cy + h / 2.0)
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

    def arrange(self) -> None:
        """Put every tag at the first place by its box that covers no name label, no other tag and nothing off
        screen at this zoom and pan."""
        if not self.boxes or self.view_box.width() <= 0:
            return
        taken, beyond = list(self.names), on_screen_edges(self.view_box)
        for item, box in self.boxes.items():
            x0, y0, x1, y1 = view_rect(self.view_box, item)
            size = (x1 - x0, y1 - y0)
            place = first_free(tag_places(box), size, beyond + taken)
            item.setAnchor(place[1])
            item.setPos(*place[0])
            taken.append(text_rect(place, size))

    def clear(self) -> None:
        self.pending.clear()
        self._timer.stop()
        for item in [*self.items.values(), *self.unpaired]:
            self.view_box.removeItem(item)
        self.items.clear()
        self.unpaired.clear()
        self.boxes.clear()
        self.focus.hide()

    def set_visible(self, visible: bool) -> None:
        self.visible = visible
        for item in [*self.items.values(), *self.unpaired]:
            item.setVisible(visible)

    def show_focus(self, box: tuple[float, float, float, float] | None) -> None:
        if box is None:
            self.focus.hide()
            return
        cx, cy, w, h = box
        self.focus.setRect(rect_from_box((cx, cy, w * 1.25, h * 1.25)))
        self.focus.show()
