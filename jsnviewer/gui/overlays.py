"""What the analysis draws on a view: JSN values and the reliability mark on the follow-up, the
joints it could not measure, and a frame around the joint chosen in the results table. The
boxes themselves are the annotation layer's (the model's proposals, or the user's boxes)."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QGraphicsRectItem

from jsnviewer.gui.annotation import rect_from_box

RELIABLE_TEXT, UNRELIABLE_TEXT, UNPAIRED_TEXT = "#ffffff", "#a0a0a0", "#c8c8c8"
FOCUS_COLOUR = "#ffffff"


def jsn_text(joint) -> str:
    """'-0.12 mm ✓' or '+0.30 mm ?' (px when the pixel size is unknown)."""
    if joint.jsn_mm is None:
        value = "0.0 px" if abs(joint.jsn_px) < 0.05 else f"{joint.jsn_px:+.1f} px"
    else:
        value = "0.00 mm" if abs(joint.jsn_mm) < 0.005 else f"{joint.jsn_mm:+.2f} mm"
    return f"{value} {'✓' if joint.reliable else '?'}"


class ResultOverlay:
    """The analysis items of one view; `visit` is "baseline" or "followup". Its text items are made
    a few per turn of the event loop, like the boxes (see AnnotationLayer)."""

    ITEMS_PER_TURN = 2

    def __init__(self, view_box: pg.ViewBox, visit: str):
        self.view_box, self.visit = view_box, visit
        self.items: dict[str, pg.TextItem] = {}  # identity -> JSN text (follow-up only)
        self.unpaired: list[pg.GraphicsObject] = []
        self.pending: list[tuple] = []  # (identity or None, text, colour, (x, y), tooltip) still to draw
        self.visible = True
        self.focus = QGraphicsRectItem()
        self.focus.setPen(pg.mkPen(FOCUS_COLOUR, width=1.5, style=Qt.DotLine))
        self.focus.setZValue(30)
        self.focus.hide()
        view_box.addItem(self.focus, ignoreBounds=True)
        self._timer = QTimer()
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._make_some)

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
                                     (cx - w / 2.0, cy - h / 2.0), "; ".join(joint.registration.reasons) or "reliable"))
        for u in result.unpaired:
            if u.visit == self.visit:
                cx, cy, w, h = u.box
                self.pending.append((None, "not measured", UNPAIRED_TEXT, (cx - w / 2.0, cy - h / 2.0), u.reason))
        self._timer.start()

    def _make_some(self) -> None:
        for identity, text, colour, (x, y), tip in self.pending[: self.ITEMS_PER_TURN]:
            item = pg.TextItem(text, color=colour, anchor=(0, 0), fill=pg.mkBrush(0, 0, 0, 170))
            item.setPos(x, y)
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

    def clear(self) -> None:
        self.pending.clear()
        self._timer.stop()
        for item in [*self.items.values(), *self.unpaired]:
            self.view_box.removeItem(item)
        self.items.clear()
        self.unpaired.clear()
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
