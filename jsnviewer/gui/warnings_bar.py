"""A bar of messages above the images: pair checks, unreadable files, failed saves.

Non-modal: the user keeps working, each message can be dismissed, and a message with a key
replaces the earlier one with that key instead of piling up.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QToolButton, QVBoxLayout, QWidget

LEVELS = ("info", "warning", "error")
_SYMBOLS = {"info": "ℹ", "warning": "⚠", "error": "✖"}

log = logging.getLogger(__name__)


class _Message(QFrame):
    dismissed = Signal(str)

    def __init__(self, key: str, text: str, level: str, action: tuple[str, Callable[[], None]] | None = None):
        super().__init__()
        self.key, self.text, self.level = key, text, level
        self.setObjectName("warningMessage")
        self.setProperty("level", level)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 3, 4, 3)
        icon = QLabel(_SYMBOLS[level])
        icon.setObjectName("warningIcon")
        label = QLabel(text)
        label.setWordWrap(True)
        label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        close = QToolButton()
        close.setText("✕")
        close.setAutoRaise(True)
        close.setToolTip("Dismiss")
        close.clicked.connect(lambda: self.dismissed.emit(self.key))
        layout.addWidget(icon)
        layout.addWidget(label, 1)
        self.button = None
        if action is not None:  # the remedy the message suggests, one click away
            self.button = QPushButton(action[0])
            self.button.clicked.connect(action[1])
            layout.addWidget(self.button)
        layout.addWidget(close)


class WarningsBar(QWidget):
    changed = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(1)
        self._messages: dict[str, _Message] = {}
        self._counter = 0
        self.hide()

    def show_message(self, text: str, level: str = "warning", key: str | None = None,
                     action: tuple[str, Callable[[], None]] | None = None) -> str:
        if level not in LEVELS:
            raise ValueError(f"level must be one of {LEVELS}")
        if key is None:
            self._counter += 1
            key = f"message-{self._counter}"
        shown = self._messages.get(key)
        if shown is not None and action is None and shown.button is None and (shown.text, shown.level) == (text, level):
            return key  # said again (the results out of date, at every edit): it stays as it is, not made anew
        self.dismiss(key, notify=False)
        if level == "error":  # for the log file IT collects (warnings stay out: the pair checks name patient IDs)
            log.info("the window shows an error: %s", text)
        message = _Message(key, text, level, action)
        message.dismissed.connect(self.dismiss)
        self._messages[key] = message
        self._layout.addWidget(message)
        self.setVisible(True)
        self.changed.emit()
        return key

    def dismiss(self, key: str, notify: bool = True) -> None:
        message = self._messages.pop(key, None)
        if message is not None:
            self._layout.removeWidget(message)
            message.hide()  # until it is deleted: not shown again with the bar
            message.deleteLater()
        self.setVisible(bool(self._messages))
        if notify and message is not None:
            self.changed.emit()

    def dismiss_prefix(self, prefix: str) -> None:
        for key in [k for k in self._messages if k.startswith(prefix)]:
            self.dismiss(key)

    def button(self, key: str) -> QPushButton | None:
        """The action button of the message shown under `key`, if it has one."""
        message = self._messages.get(key)
        return message.button if message is not None else None

    def messages(self) -> list[tuple[str, str]]:
        """(level, text) of what is shown, oldest first."""
        return [(m.level, m.text) for m in self._messages.values()]

    def text(self) -> str:
        return "\n".join(m.text for m in self._messages.values())
