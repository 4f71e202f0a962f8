"""Windows and panels that fit small and scaled screens (a 1024 × 768 laptop, Full HD at 200 %): their content
scrolls where the screen is too small for it, instead of running past the screen's edge."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QFrame, QScrollArea, QWidget

# What a title bar and a task bar take besides a dialog's own size
SCREEN_MARGIN = QSize(40, 80)


def scrolling(widget: QWidget) -> QScrollArea:
    """`widget` in a frameless scroll area that gives it all its room, and scrolls it only where there is too little.
    The area itself is no Tab stop (`no_tab_stop`)."""
    area = no_tab_stop(QScrollArea())
    area.setWidget(widget)
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.NoFrame)
    return area


def no_tab_stop(area: QScrollArea) -> QScrollArea:
    """A scroll area the Tab key passes over: a stop on it showed nothing taking the focus and let the keys do
    nothing there (the window's arrows nudge a box); the fields in it still take the focus, and it scrolls to them."""
    area.setFocusPolicy(Qt.NoFocus)
    return area


def room_on_screen(widget: QWidget) -> QSize | None:
    """The largest size `widget` can take as a window on its screen (None: no screen known)."""
    screen = widget.screen()
    if screen is None:
        return None
    return screen.availableGeometry().size() - SCREEN_MARGIN


def fit_to_screen(dialog: QWidget, preferred: QSize | None = None) -> None:
    """Resize `dialog` to `preferred` (default: its size hint), no larger than its screen. A layout keeps a window at
    least at its minimum size: content that may need more than a small screen has must scroll (`scrolling`)."""
    room = room_on_screen(dialog)
    size = preferred or dialog.sizeHint()
    dialog.resize(size if room is None else size.boundedTo(room))
