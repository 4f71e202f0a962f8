"""Keys for the widget that has the focus before the window's single-key shortcuts.

The window's shortcuts (arrows nudge the selected box, N, K, U, Delete, digits…) work wherever
the focus is, so an annotator never has to click into the image first. A list, a drop-down or a
text field that has the focus keeps the keys it is used with: arrows move through the Joints
table instead of nudging a box the user is not looking at, and typing goes into a text field.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView, QAbstractSlider, QAbstractSpinBox, QComboBox, QLineEdit, QPlainTextEdit, QTabBar, QTextEdit,
    QWidget,
)

ARROW_KEYS = frozenset({Qt.Key_Left, Qt.Key_Right, Qt.Key_Up, Qt.Key_Down})
NAVIGATION_KEYS = ARROW_KEYS | {Qt.Key_Home, Qt.Key_End, Qt.Key_PageUp, Qt.Key_PageDown}
TEXT_WIDGETS = (QLineEdit, QAbstractSpinBox, QTextEdit, QPlainTextEdit)
LIST_WIDGETS = (QAbstractItemView, QComboBox, QAbstractSlider, QTabBar)  # a tab bar: arrows change the tab


def widget_takes_key(widget: QWidget, event: QKeyEvent) -> bool:
    """Whether `widget`, having the focus, uses this key itself. Keys with Ctrl or Alt stay the window's, but for
    Ctrl+arrows where Qt gives them a meaning (a text field's word jump, a list's or a tab bar's move): elsewhere they
    pan the image."""
    if event.modifiers() & (Qt.AltModifier | Qt.MetaModifier):
        return False
    if event.modifiers() & Qt.ControlModifier:
        if isinstance(widget, QTabBar):
            return event.key() in (Qt.Key_Left, Qt.Key_Right)
        editable = isinstance(widget, TEXT_WIDGETS) or (isinstance(widget, QComboBox) and widget.isEditable())
        return event.key() in ARROW_KEYS and (editable or isinstance(widget, (QAbstractItemView, QAbstractSlider)))
    if isinstance(widget, TEXT_WIDGETS) or (isinstance(widget, QComboBox) and widget.isEditable()):
        return bool(event.text().strip()) or event.key() in NAVIGATION_KEYS | {Qt.Key_Backspace, Qt.Key_Delete}
    return isinstance(widget, LIST_WIDGETS) and event.key() in NAVIGATION_KEYS


class FocusedWidgetKeysFirst(QObject):
    """Lets the focused widget have the keys `widget_takes_key` gives it. Installed on the lists and fields
    themselves (`install_on`), not on the application, which would call it for every event of the window."""

    def install_on(self, window: QWidget) -> None:
        for widget in window.findChildren(QWidget):
            if isinstance(widget, TEXT_WIDGETS + LIST_WIDGETS):
                widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (event.type() == QEvent.ShortcutOverride and isinstance(watched, QWidget) and watched.hasFocus()
                and widget_takes_key(watched, event)):
            event.accept()  # an accepted override: the key goes to the widget, not to a shortcut
            return True
        return False
