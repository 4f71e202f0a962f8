"""What the analysis draws on a view: JSN values and the reliability mark on the follow-up, the
joints it could not measure, and a frame around the joint chosen in the results table. The
boxes themselves are the annotation layer's (the model's proposals, or the user's boxes)."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt
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
    """The analysis items of one view; `visit` is "baseline" or "followup"."""

    def __init__(self, view_box: pg.ViewBox, visit: str):
        self.view_box, self.visit = view_box, visit
        self.items: dict[str, pg.TextItem] = {}  # identity -> JSN text (follow-up only)
        self.unpaired: list[pg.GraphicsObject] = []
        self.visible = True
        self.focus = QGraphicsRectItem()
        self.focus.setPen(pg.mkPen(FOCUS_COLOUR, width=1.5, style=Qt.DotLine))
        self.focus.setZValue(30)
        self.focus.hide()
        view_box.addItem(self.focus, ignoreBounds=True)

    def set_result(self, result) -> None:
        self.clear()
        if result is None:
            return
        if self.visit == "followup":
            for joint in result.joints:
                cx, cy, w, h = joint.followup.box
                item = pg.TextItem(jsn_text(joint), color=RELIABLE_TEXT if joint.reliable else UNRELIABLE_TEXT,
                                   anchor=(0, 0), fill=pg.mkBrush(0, 0, 0, 170))
                # just inside the box's top left corner, under its label (which sits on the edge): one tag
                # per joint, clear of the next joint's label
                item.setPos(cx - w / 2.0, cy - h / 2.0)
                item.setZValue(25)
                item.setToolTip("; ".join(joint.registration.reasons) or "reliable")
                self.view_box.addItem(item, ignoreBounds=True)
                self.items[joint.identity] = item
        for u in result.unpaired:
            if u.visit != self.visit:
                continue
            cx, cy, w, h = u.box
            item = pg.TextItem("not measured", color=UNPAIRED_TEXT, anchor=(0, 0), fill=pg.mkBrush(0, 0, 0, 170))
            item.setPos(cx - w / 2.0, cy - h / 2.0)
            item.setZValue(25)
            item.setToolTip(u.reason)
            self.view_box.addItem(item, ignoreBounds=True)
            self.unpaired.append(item)
        self.set_visible(self.visible)

    def clear(self) -> None:
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
