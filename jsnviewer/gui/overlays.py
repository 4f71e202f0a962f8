"""What the analysis draws on a view: JSN values and the reliability mark on the follow-up, the
joints it could not measure, and a frame around the joint chosen in the results table. The
boxes themselves are the annotation layer's (the model's proposals, or the user's boxes).

Boxes of neighbouring joints overlap, so each tag goes to the corner of its own box where it covers
no joint's name and no other tag; text keeps its size on screen, so this is redone after a zoom."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QGraphicsRectItem

from jsnviewer.gui.annotation import JointBoxItem, rect_from_box

Rect = tuple[float, float, float, float]  # x0, y0, x1, y1 in image pixels (y down)

RELIABLE_TEXT, UNRELIABLE_TEXT, UNPAIRED_TEXT = "#ffffff", "#a0a0a0", "#c8c8c8"
FOCUS_COLOUR = "#ffffff"


def jsn_text(joint) -> str:
    """'-0.12 mm ✓' or '+0.30 mm ?' (px when the pixel size is unknown)."""
    if joint.jsn_mm is None:
        value = "0.0 px" if abs(joint.jsn_px) < 0.05 else f"{joint.jsn_px:+.1f} px"
    else:
        value = "0.00 mm" if abs(joint.jsn_mm) < 0.005 else f"{joint.jsn_mm:+.2f} mm"
    return f"{value} {'✓' if joint.reliable else '?'}"


def _overlap(a: Rect, b: Rect, slack: float = 0.0) -> float:
    """Area common to a and b; a strip thinner than `slack` (text just touching) counts as none."""
    w, h = min(a[2], b[2]) - max(a[0], b[0]), min(a[3], b[3]) - max(a[1], b[1])
    return w * h if w > slack and h > slack else 0.0


def tag_spot(box: Rect, size: tuple[float, float], taken: list[Rect]) -> Rect:
    """Where a tag of `size` goes: the first place that covers nothing in `taken` (names, tags placed
    before), else the one that covers least. Inside the box first — top left (under the joint's own
    name), bottom left, top right, bottom right —, then against its edge outside: below, to the right,
    to the left (zoomed out, a tag is wider than its box and the corners overlap the neighbours)."""
    x0, y0, x1, y1 = box
    w, h = size
    corners = [(x0, y0), (x0, y1 - h), (x1 - w, y0), (x1 - w, y1 - h),
               (x0, y1), (x1, y0), (x1, y1 - h), (x0 - w, y0), (x0 - w, y1 - h)]
    spots = [(x, y, x + w, y + h) for x, y in corners]
    return min(spots, key=lambda spot: sum(_overlap(spot, t, 0.1 * h) for t in taken))  # the first of equals


class ResultOverlay:
    """The analysis items of one view; `visit` is "baseline" or "followup". Its text items are made
    a few per turn of the event loop, like the boxes (see AnnotationLayer)."""

    ITEMS_PER_TURN = 2

    def __init__(self, view_box: pg.ViewBox, visit: str):
        self.view_box, self.visit = view_box, visit
        self.items: dict[str, pg.TextItem] = {}  # identity -> JSN text (follow-up only)
        self.unpaired: list[pg.GraphicsObject] = []
        self.boxes: dict[pg.TextItem, Rect] = {}  # each tag's joint box
        self.pending: list[tuple] = []  # (identity or None, text, colour, joint box, tooltip) still to draw
        self.visible = True
        self.focus = QGraphicsRectItem()
        self.focus.setPen(pg.mkPen(FOCUS_COLOUR, width=1.5, style=Qt.DotLine))
        self.focus.setZValue(30)
        self.focus.hide()
        view_box.addItem(self.focus, ignoreBounds=True)
        self._timer = QTimer(view_box)  # dies with the view: never fires on a closed window
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._make_some)
        self._arrange_timer = QTimer(view_box)
        self._arrange_timer.setSingleShot(True)
        self._arrange_timer.setInterval(60)
        self._arrange_timer.timeout.connect(self.arrange)
        view_box.sigTransformChanged.connect(self.schedule_arrange)

    def set_result(self, result) -> None:
        self.clear()
        if result is None:
            return
        if self.visit == "followup":
            for joint in result.joints:
                cx, cy, w, h = joint.followup.box
                # just inside the box's top left corner, under its label (which sits on the edge): one tag
                # per joint, clear of the next joint's label
                self.pending.append((joint.identity, jsn_text(joint), RELIABLE_TEXT if joint.reliable else UNRELIABLE_TEXT,
                                     joint.followup.box, "; ".join(joint.registration.reasons) or "reliable"))
        for u in result.unpaired:
            if u.visit == self.visit:
                self.pending.append((None, "not measured", UNPAIRED_TEXT, u.box, u.reason))
        self._timer.start()

    def _make_some(self) -> None:
        for identity, text, colour, (cx, cy, w, h), tip in self.pending[: self.ITEMS_PER_TURN]:
            item = pg.TextItem(text, color=colour, anchor=(0, 0), fill=pg.mkBrush(0, 0, 0, 170))
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
        return not self.pending and not self._arrange_timer.isActive()

    def schedule_arrange(self, *_) -> None:
        """Arrange the tags shortly: after a zoom, or when the joints' boxes or names moved."""
        if self.boxes:
            self._arrange_timer.start()

    def _view_rect(self, item) -> Rect:
        r = self.view_box.mapSceneToView(item.sceneBoundingRect()).boundingRect()
        return r.left(), r.top(), r.right(), r.bottom()

    def arrange(self) -> None:
        """Move every tag to the corner of its box that covers no name label and no other tag at this zoom."""
        if not self.boxes or self.view_box.width() <= 0:
            return
        taken = [self._view_rect(i.label) for i in self.view_box.childGroup.childItems()  # boxes ignore the view's bounds
                 if isinstance(i, JointBoxItem) and i.isVisible() and i.label.isVisible()]
        for item, box in self.boxes.items():
            x0, y0, x1, y1 = self._view_rect(item)
            spot = tag_spot(box, (x1 - x0, y1 - y0), taken)
            item.setPos(spot[0], spot[1])
            taken.append(spot)

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
