"""One radiograph in a pyqtgraph view: true grey levels with window/level, tools and a pixel readout.

Pixels are shown as the float32 array the loader returns (12/16-bit range kept); the display
levels are a window (centre, width) applied by the ImageItem, never an 8-bit copy. The image
item sits at the origin with row-major axes, so pixel (i, j) covers [j, j+1) x [i, i+1): the
frame of docs/conventions.md and of the dataset's boxes.

Mouse: wheel zooms, middle-drag pans, right-drag adjusts window/level; left-drag follows the
active tool (pan, window/level, or draw a new box).
"""

from __future__ import annotations

import enum
import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QGraphicsRectItem, QLabel, QSizePolicy, QStackedLayout, QVBoxLayout, QWidget

from jsnviewer.gui.box_layer import screen_ratio
from jsnviewer.radiograph import Radiograph, percentile_window


ZOOM_OUT_LIMIT = 4.0  # the view spans at most this many times the radiograph's larger side
ZOOM_IN_LIMIT_PX = 8.0  # and at least this many of its pixels


def grey_level_text(value: float) -> str:
    """A grey level as a window title shows it: whole numbers for integer radiographs (W 4095), three
    significant digits for a float one in 0..1 (W 0.63, not W 1)."""
    return f"{value:.0f}" if abs(value) >= 100 else f"{value:.3g}"


class Tool(enum.Enum):
    PAN = "pan"
    WINDOW = "window"
    BOX = "box"


# Presets as percentiles of the image's own grey levels, so they mean the same on any detector.
WINDOW_PRESETS: dict[str, tuple[float, float]] = {
    "Auto (0.5–99.5 %)": (0.5, 99.5),
    "Bone (40–99.9 %)": (40.0, 99.9),
    "Soft tissue (1–70 %)": (1.0, 70.0),
    "Full range": (0.0, 100.0),
}
TITLE_SEPARATOR = "  ·  "
ELLIPSIS = "\u2026"  # what Qt puts in place of the letters an elided text leaves out
NAME_LEAST = 4  # letters (its start and end) of a shortened file name in a view's title: fewer read as nothing
# What the toolbar's preset box says when the window shown is no preset.
FILE_WINDOW = "Window from the file"
HAND_WINDOW = "Window set by hand"
WINDOW_DRAG_PIXELS = 400.0  # a drag this many screen pixels long changes the window by the full grey range
RUBBER_COLOUR = "#ffd54f"  # the box being drawn


class RadiographViewBox(pg.ViewBox):
    window_dragged = Signal(float, float, bool)  # dx, dy in screen px since the press, is_start
    box_drawn = Signal(QRectF)
    pressed = Signal()
    background_clicked = Signal()

    def __init__(self) -> None:
        super().__init__(invertY=True, lockAspect=True, enableMenu=False)
        self.tool = Tool.PAN
        # Where this view looks relative to the view it is linked to (image px): zero keeps both
        # views on the same coordinates; an analysed joint sets it so each view centres on its
        # own visit's joint while pan and zoom stay linked.
        self.link_offset = (0.0, 0.0)
        self._rubber = QGraphicsRectItem()
        self._rubber.setPen(pg.mkPen(RUBBER_COLOUR, width=1.5, style=Qt.DashLine))
        self._rubber.setZValue(20)
        self._rubber.hide()
        self.addItem(self._rubber, ignoreBounds=True)
        self._drawing_dropped = False  # Esc dropped the box being drawn: the rest of that drag does nothing

    def linkedViewChanged(self, view, axis) -> None:  # noqa: N802
        if self.link_offset == (0.0, 0.0):
            super().linkedViewChanged(view, axis)
            return
        if self.linksBlocked or view is None:
            return
        rect = view.viewRect()
        view.blockLink(True)
        try:
            self.enableAutoRange(axis, False)
            if axis == pg.ViewBox.XAxis:
                self.setXRange(rect.left() + self.link_offset[0], rect.right() + self.link_offset[0], padding=0)
            else:
                self.setYRange(rect.top() + self.link_offset[1], rect.bottom() + self.link_offset[1], padding=0)
        finally:
            view.blockLink(False)

    def mousePressEvent(self, ev) -> None:  # noqa: N802 (Qt naming)
        self.pressed.emit()
        super().mousePressEvent(ev)

    def mouseClickEvent(self, ev) -> None:  # noqa: N802
        self.pressed.emit()
        if ev.button() == Qt.LeftButton:
            self.background_clicked.emit()  # boxes take their own clicks, so this one missed them
        super().mouseClickEvent(ev)

    def mouseDragEvent(self, ev, axis=None) -> None:  # noqa: N802
        button = ev.button()
        window_drag = button == Qt.RightButton or (button == Qt.LeftButton and self.tool is Tool.WINDOW)
        if ev.isStart():
            self.pressed.emit()
            self._drawing_dropped = False
        if self._drawing_dropped and button == Qt.LeftButton:
            ev.accept()
            return
        if window_drag:
            ev.accept()
            delta = ev.screenPos() - ev.buttonDownScreenPos(button)
            self.window_dragged.emit(float(delta.x()), float(delta.y()), bool(ev.isStart()))
            return
        if button == Qt.LeftButton and self.tool is Tool.BOX:
            ev.accept()
            start = self.mapSceneToView(ev.buttonDownScenePos(button))
            end = self.mapSceneToView(ev.scenePos())
            rect = QRectF(QPointF(start.x(), start.y()), QPointF(end.x(), end.y())).normalized()
            if ev.isFinish():
                self._rubber.hide()
                self.box_drawn.emit(rect)
            else:
                if ev.isStart():  # in physical pixels like the boxes' outlines (a scaled monitor)
                    self._rubber.setPen(pg.mkPen(RUBBER_COLOUR, width=1.5 * screen_ratio(self), style=Qt.DashLine))
                self._rubber.setRect(rect)
                self._rubber.show()
            return
        super().mouseDragEvent(ev, axis)  # left (pan tool) and middle: pan

    def drop_drawing(self) -> bool:
        """Esc: forget the box being drawn (the rest of its drag draws nothing); whether there was one."""
        if not self._rubber.isVisible():
            return False
        self._rubber.hide()
        self._drawing_dropped = True
        return True


class RadiographPane(QWidget):
    """A titled view of one radiograph (baseline or follow-up) with its window/level state."""

    hovered = Signal(str)  # readout text, "" when the pointer leaves the image
    activated = Signal()
    levels_changed = Signal(float, float)  # centre, width
    title_fitted = Signal()  # the title's text changed to fit its width (it may have another number of lines)

    def __init__(self, role: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.role = role  # "Baseline" or "Follow-up"
        self.radiograph: Radiograph | None = None
        self.window_center = 0.0
        self.window_width = 1.0
        self.window_name = FILE_WINDOW  # a preset's name, FILE_WINDOW or HAND_WINDOW
        self._drag_start = (0.0, 1.0)
        self._range = (0.0, 1.0)
        self._sample: np.ndarray | None = None
        self.active = False
        self.place: tuple[int, int] | None = None  # which radiograph of its folder, of how many
        self._title_parts = (role, "", "", "")  # visit and date, file name, its place in its folder, window/level

        self.title = QLabel(role)
        self.title.setObjectName("paneTitle")
        self.title.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)  # a long title is cut, never widens the window
        self.view_box = RadiographViewBox()
        self.graphics = pg.GraphicsView()
        self.graphics.setCentralItem(self.view_box)
        self.graphics.setBackground(QColor("#000000"))
        self.image_item = pg.ImageItem(axisOrder="row-major")
        self.view_box.addItem(self.image_item)
        self.placeholder = QLabel(f"{role}\n\nDrop a radiograph or a DICOM folder here,\nor use File ▸ Open (Ctrl+O)")
        self.placeholder.setAlignment(Qt.AlignCenter)
        self.placeholder.setObjectName("placeholder")
        self.placeholder.setWordWrap(True)  # its width would be the view's least, shown or not
        self.stack = QStackedLayout()
        self.stack.addWidget(self.placeholder)
        self.stack.addWidget(self.graphics)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.setSpacing(2)
        layout.addWidget(self.title)
        layout.addLayout(self.stack, 1)

        self.view_box.window_dragged.connect(self._window_drag)
        self.view_box.pressed.connect(self.activated)
        self.graphics.installEventFilter(self)  # the view given the keys (Tab) is the active one (`eventFilter`)
        self.graphics.scene().sigMouseMoved.connect(self._mouse_moved)
        self.set_active(False)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        """The view that takes the keyboard's focus (Tab, a click) becomes the active one: the image outlined as the
        keys' is the image they act on."""
        if watched is self.graphics and event.type() == QEvent.FocusIn and not self.active:
            self.activated.emit()
        return False

    # --- image
    def set_radiograph(self, radiograph: Radiograph | None, place: tuple[int, int] | None = None) -> None:
        """Show `radiograph`; `place` (n, of) says which of its folder's radiographs it is."""
        self.radiograph, self.place = radiograph, place
        if radiograph is None:
            self.image_item.clear()
            self.view_box.setLimits(maxXRange=None, maxYRange=None, minXRange=None, minYRange=None)
            self.stack.setCurrentWidget(self.placeholder)
            self._sample = None
            self._update_title()
            return
        pixels = radiograph.pixels
        step = max(1, int(math.sqrt(pixels.size / 250_000)))  # percentiles on a ~250k-pixel grid: fast, same answer
        self._sample = pixels[::step, ::step]
        finite = self._sample[np.isfinite(self._sample)]
        self._range = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
        self.window_center, self.window_width = radiograph.window_center, radiograph.window_width
        self.window_name = FILE_WINDOW
        self.image_item.setImage(pixels, autoLevels=False, levels=self._levels())
        self.image_item.setRect(QRectF(0, 0, radiograph.width, radiograph.height))
        # zoomed out beyond this the radiograph is a speck and the joint names float in an empty view; zoomed in
        # beyond a few pixels across, nothing more is to be seen
        largest = float(max(radiograph.width, radiograph.height))
        self.view_box.setLimits(maxXRange=ZOOM_OUT_LIMIT * largest, maxYRange=ZOOM_OUT_LIMIT * largest,
                                minXRange=ZOOM_IN_LIMIT_PX, minYRange=ZOOM_IN_LIMIT_PX)
        self.stack.setCurrentWidget(self.graphics)
        self._update_title()

    def image_rect(self) -> QRectF | None:
        if self.radiograph is None:
            return None
        return QRectF(0.0, 0.0, float(self.radiograph.width), float(self.radiograph.height))

    # --- window / level
    def set_window(self, center: float, width: float, name: str = HAND_WINDOW) -> None:
        self.window_center, self.window_width = float(center), max(float(width), 1e-6)
        self.window_name = name
        if self.radiograph is not None:
            self.image_item.setLevels(self._levels())
        self._update_title()
        self.levels_changed.emit(self.window_center, self.window_width)

    def reset_window(self) -> None:
        """Back to the file's own window (or the loader's robust default when the file has none)."""
        if self.radiograph is not None:
            self.set_window(self.radiograph.window_center, self.radiograph.window_width, FILE_WINDOW)

    def auto_window(self) -> None:
        self.apply_preset(next(iter(WINDOW_PRESETS)))

    def apply_preset(self, name: str) -> None:
        if self.radiograph is None or self._sample is None or not self._sample.size:
            return
        low, high = WINDOW_PRESETS[name]
        center, width = percentile_window(self._sample, low, high, self.radiograph.bits_stored)
        self.set_window(center, width, name)

    def _levels(self) -> tuple[float, float]:
        half = self.window_width / 2.0
        return (self.window_center - half, self.window_center + half)

    def _window_drag(self, dx: float, dy: float, is_start: bool) -> None:
        if self.radiograph is None:
            return
        if is_start:
            self._drag_start = (self.window_center, self.window_width)
        span = self._range[1] - self._range[0] if self._range[1] > self._range[0] else 1.0  # float images span 0..1
        center, width = self._drag_start
        self.set_window(center + dy * span / WINDOW_DRAG_PIXELS, max(width + dx * span / WINDOW_DRAG_PIXELS, span / 1000.0))

    # --- readout
    def readout(self, x: float, y: float) -> str:
        """What the status bar says at view position (x, y): where, then the grey value there, "Baseline: x 107.15,
        y 140.10 mm (x 612.3, y 800.6 px) · grey value 608" (px alone where the pixel size is unknown)."""
        r = self.radiograph
        if r is None or not (0.0 <= x < r.width and 0.0 <= y < r.height):
            return ""
        value = float(r.pixels[int(math.floor(y)), int(math.floor(x))])
        where = f"x {x:.1f}, y {y:.1f} px"
        if r.pixel_size_mm:
            where = f"x {x * r.pixel_size_mm:.2f}, y {y * r.pixel_size_mm:.2f} mm ({where})"
        return f"{self.role}: {where} · grey value {value:g}"

    def _mouse_moved(self, scene_pos) -> None:
        if self.radiograph is None:
            return
        point = self.view_box.mapSceneToView(scene_pos)
        self.hovered.emit(self.readout(point.x(), point.y()))

    # --- looks
    def set_active(self, active: bool) -> None:
        self.active = active
        self.setProperty("active", active)
        self.title.setProperty("active", active)
        for widget in (self, self.title):
            widget.style().unpolish(widget)
            widget.style().polish(widget)

    def _update_title(self) -> None:
        r = self.radiograph
        if r is None:
            self._title_parts = (self.role, "", "", "")
            self.title.setToolTip("")
            self._fit_title()
            return
        head = self.role + (f"{TITLE_SEPARATOR}{r.identity.study_date.isoformat()}" if r.identity.study_date else "")
        name = r.path.name if r.path is not None else ""
        place = f" ({self.place[0]} of {self.place[1]})" if self.place and name else ""
        levels = f"W {grey_level_text(self.window_width)}  L {grey_level_text(self.window_center)}"
        self._title_parts = (head, name, place, levels)
        # all of it where a narrow view cuts the file name short (a laptop)
        where = f"{r.path}" + (f", radiograph {self.place[0]} of {self.place[1]} in its folder (PgUp / PgDown)"
                               if self.place else "") if r.path is not None else ""
        self.title.setToolTip("\n".join(p for p in (head, where, levels) if p))
        self._fit_title()

    @property
    def title_text(self) -> str:
        """The whole title, as it reads where the view is wide enough."""
        head, name, place, levels = self._title_parts
        return TITLE_SEPARATOR.join(part for part in (head, name + place, levels) if part)

    def _fit_title(self) -> None:
        """The title in the width there is: the file's place in its folder goes first, then the date (the tooltip
        and the Study panel keep it), then the window/level goes on a second line under the visit and the file name,
        then the file name is shortened, keeping its start and extension, and dropped, so that the visit, the whole
        name where it can be and the whole W/L show down to the narrowest view."""
        head, name, place, levels = self._title_parts
        metrics = self.title.fontMetrics()
        room = self.title.contentsRect().width() - 2
        lines = [TITLE_SEPARATOR.join(p for p in parts if p)
                 for parts in ((head, name + place, levels), (head, name, levels), (self.role, name, levels))]
        text = next((line for line in lines if fits(line, metrics, room)), "")
        if not text:  # "UAB002-RH.dcm" whole says more than W/L on the same line
            text = "\n".join(p for p in (self._visit_and_name(name, metrics, room), levels) if p)
        if room > 0:
            text = "\n".join(metrics.elidedText(line, Qt.ElideRight, room) for line in text.split("\n"))
        if text != self.title.text():
            self.title.setText(text)
            self.title_fitted.emit()

    def _visit_and_name(self, name: str, metrics, room: int) -> str:
        """The visit and as much of the file name as fits beside it: whole, shortened readably, or none."""
        rest = metrics.horizontalAdvance(self.role + TITLE_SEPARATOR)
        short = name if fits(name, metrics, room - rest) else elided_name(name, metrics, max(room - rest, 0))
        # a name cut to a few letters, or to a lone "…", says nothing: none then (the tooltip has it)
        readable = short == name or len(short.replace(ELLIPSIS, "")) >= NAME_LEAST
        return TITLE_SEPARATOR.join(p for p in (self.role, short if name and readable else "") if p)

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._fit_title()


def fits(text: str, metrics, width: int) -> bool:
    """Whether Qt draws the text whole in `width` (its own measure: at the edge it cuts a text that
    horizontalAdvance says fits)."""
    return metrics.elidedText(text, Qt.ElideRight, width) == text


def elided_name(name: str, metrics, width: int) -> str:
    """A file name cut to `width`, keeping its extension and as much of its start as fits ("UAB0….jpg"), for the
    start names the patient or study; in the middle where even the extension does not fit."""
    stem, dot, extension = name.rpartition(".")
    if dot and stem and len(extension) <= 5:
        room = width - metrics.horizontalAdvance(dot + extension)
        start = metrics.elidedText(stem, Qt.ElideRight, room) if room > 0 else ""
        if start.replace(ELLIPSIS, ""):
            return start + dot + extension
    return metrics.elidedText(name, Qt.ElideMiddle, width)
