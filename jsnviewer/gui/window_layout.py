"""What the main window keeps between starts (docs/gui.md, "The window between starts"): its size, place and
maximized state (`QWidget.saveGeometry`) and where its panels and toolbar are (`QMainWindow.saveState`: docked,
floated, tabbed or closed, and their sizes), in the settings file under window/, written when the window closes.

Both are checked when read. A window or a floated panel that would open past the screens' edges (the second monitor
it was left on gone, a laptop) comes back whole on a screen; a layout saved by another version of the window (its
panels were others) or a damaged one is not used: the window opens with its default layout, as at a first start,
and says nothing. Not kept: the tool, the window/level, which of boxes, labels and JSN values are shown and the
share of the two images: each start begins with the Pan tool, each file's own window and everything shown, so that
no start hides a result or draws a box where a drag was meant to pan.
"""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QPoint, QRect, QSettings, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QDockWidget, QMainWindow, QToolBar

LAYOUT_VERSION = 1  # raise it when the window's panels or toolbars change: a layout of the earlier ones is not used
GEOMETRY_KEY = "window/geometry"
LAYOUT_KEY = "window/layout"
PANELS_SIZED_KEY = "window/panels_sized_by_user"  # the user dragged a side panel's edge: its width stays theirs


def within(rect: QRect, areas: list[QRect]) -> QRect:
    """`rect` moved, and made smaller where it is larger, to lie whole in the area it overlaps most (the first,
    the primary screen's, where it overlaps none)."""
    if not areas:
        return QRect(rect)

    def overlap(area: QRect) -> int:
        common = area.intersected(rect)
        return common.width() * common.height() if common.isValid() else 0

    area = max(areas, key=overlap) if any(overlap(a) for a in areas) else areas[0]
    size = rect.size().boundedTo(area.size())
    x = min(max(rect.left(), area.left()), area.left() + area.width() - size.width())
    y = min(max(rect.top(), area.top()), area.top() + area.height() - size.height())
    return QRect(QPoint(x, y), size)


def screen_areas() -> list[QRect]:
    """Each screen's room for windows (less its task bar), the primary screen's first."""
    primary = QGuiApplication.primaryScreen()
    screens = [primary] + [s for s in QGuiApplication.screens() if s is not primary] if primary else []
    return [screen.availableGeometry() for screen in screens]


def keep_on_screen(widget, areas: list[QRect] | None = None) -> None:
    """Bring a top-level window (the main window, a floated panel or toolbar) whole onto a screen, its title bar
    too (its frame, where the window system has given it one)."""
    areas = screen_areas() if areas is None else areas
    frame = widget.frameGeometry()
    inside = within(frame, areas)
    if inside != frame:
        margins = frame.size() - widget.geometry().size()  # the title bar and borders
        widget.resize(inside.size() - margins)
        widget.move(inside.topLeft())


def _bytes(value) -> QByteArray | None:
    """A stored QByteArray, or None for a missing or hand-edited (text) value."""
    if isinstance(value, QByteArray) and not value.isEmpty():
        return value
    if isinstance(value, (bytes, bytearray)) and value:
        return QByteArray(bytes(value))
    return None


def save_layout(window: QMainWindow, store: QSettings) -> None:
    store.setValue(GEOMETRY_KEY, window.saveGeometry())
    store.setValue(LAYOUT_KEY, window.saveState(LAYOUT_VERSION))
    store.setValue(PANELS_SIZED_KEY, bool(window.side_panels_moved))
    store.sync()


def restore_layout(window: QMainWindow, store: QSettings, areas: list[QRect] | None = None) -> bool:
    """The window's size, place and layout as `save_layout` left them, brought onto the screens `areas` (default:
    this computer's); before the window is shown. False: the window keeps its default layout (none saved, another
    version's, damaged), or its default size and place (the screens changed: Qt takes no geometry of others)."""
    areas = screen_areas() if areas is None else areas
    geometry, layout = _bytes(store.value(GEOMETRY_KEY)), _bytes(store.value(LAYOUT_KEY))
    placed = geometry is not None and window.restoreGeometry(geometry)
    if placed:
        maximized = bool(window.windowState() & Qt.WindowMaximized)
        if maximized:  # where it goes back to when un-maximized, and the screen it is maximized on
            window.setWindowState(window.windowState() & ~Qt.WindowMaximized)
        keep_on_screen(window, areas)
        if maximized:
            window.setWindowState(window.windowState() | Qt.WindowMaximized)
    arranged = layout is not None and window.restoreState(layout, LAYOUT_VERSION)
    if arranged:
        for part in window.findChildren(QDockWidget) + window.findChildren(QToolBar):
            if part.isFloating():
                keep_on_screen(part, areas)
        # the side panels' widths are the user's where they dragged them, on the screens they did
        window.side_panels_moved = placed and store.value(PANELS_SIZED_KEY, False) in (True, "true")
    return placed and arranged
