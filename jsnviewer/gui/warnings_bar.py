"""A bar of messages above the images: pair checks, unreadable files, failed saves.

Non-modal: the user keeps working, each message can be dismissed, and a message with a key
replaces the earlier one with that key instead of piling up. The bar is at most about three messages high
(`SHOWN_AT_ONCE`, and never more than a quarter of the room above the images): more scroll within it, so that
the images keep most of the window's height and every message can still be read whole.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QFrame, QHBoxLayout, QLabel, QPushButton, QScrollArea, QToolButton, QVBoxLayout, QWidget,
)

from jsnviewer.gui.fitting import no_tab_stop

SHOWN_AT_ONCE = 3  # messages the bar is high enough for; more scroll within it
MOST_OF_ROOM = 0.25  # the bar's largest share of its parent's height (the central area: the images have the rest)
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
        self._content = QWidget()
        self._layout = QVBoxLayout(self._content)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(1)
        self._layout.setAlignment(Qt.AlignTop)
        self.scroll = no_tab_stop(QScrollArea())
        self.scroll.setWidget(self._content)
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.NoFrame)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.scroll)
        self._messages: dict[str, _Message] = {}
        self._counter = 0
        self._fitting = QTimer(self)  # once the messages are laid out at the bar's width
        self._fitting.setSingleShot(True)
        self._fitting.setInterval(0)
        self._fitting.timeout.connect(self._fit_height)
        # The newest message (the bar's last) is kept in sight as the bar lays its messages out, until the user scrolls
        self._follow_newest = False
        bar = self.scroll.verticalScrollBar()
        bar.rangeChanged.connect(lambda low, high: self._follow_newest and bar.setValue(high))
        bar.actionTriggered.connect(self._user_scrolled)
        self.hide()

    def _user_scrolled(self, action: int) -> None:
        self._follow_newest = False

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if watched is self.parentWidget() and event.type() == QEvent.Resize:
            self._fitting.start()
        return False

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width():  # the messages wrap anew
            self._fitting.start()

    def showEvent(self, event) -> None:  # noqa: N802
        super().showEvent(event)
        if self.parentWidget() is not None:  # its height follows the parent's (`MOST_OF_ROOM`)
            self.parentWidget().installEventFilter(self)  # once: installing it again only moves it to the front
        self._fit_height()

    def _fit_height(self) -> None:
        """As high as its messages, up to SHOWN_AT_ONCE of them (and MOST_OF_ROOM of the parent's height); where they
        scroll, as high as the newest ones it shows whole, so that scrolled to them no slice of an older one shows."""
        messages = list(self._messages.values())
        if not messages:
            return
        width = max(self.scroll.viewport().width(), self.width(), 1)
        room = (MOST_OF_ROOM * self.parentWidget().height() if self.parentWidget() is not None
                and self.parentWidget().height() > 0 else float("inf"))
        heights = self._heights(messages, width)
        cap = self._newest_whole(heights, room)
        if self._stacked(heights) > cap:  # with the scroll bar the messages are narrower: a little higher
            heights = self._heights(messages, max(width - self.scroll.verticalScrollBar().sizeHint().width(), 1))
            cap = self._newest_whole(heights, room)
        self.setFixedHeight(min(self._stacked(heights), cap))

    @staticmethod
    def _heights(messages: list[_Message], width: int) -> list[int]:
        heights = [m.heightForWidth(width) if m.hasHeightForWidth() else m.sizeHint().height() for m in messages]
        return [h if h > 0 else m.sizeHint().height() for h, m in zip(heights, messages)]

    def _stacked(self, heights: list[int]) -> int:
        return sum(heights) + self._layout.spacing() * (len(heights) - 1)

    def _newest_whole(self, heights: list[int], room: float) -> int:
        """The height of the newest messages shown whole: one at least, SHOWN_AT_ONCE at most, within `room`."""
        cap = heights[-1]
        for count in range(2, min(len(heights), SHOWN_AT_ONCE) + 1):
            more = self._stacked(heights[-count:])
            if more > room:
                break
            cap = more
        return cap

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
        self._follow_newest = True
        self.scroll.verticalScrollBar().setValue(self.scroll.verticalScrollBar().maximum())
        self.setVisible(True)
        self._fit_height()
        self._fitting.start()
        self.changed.emit()
        return key

    def dismiss(self, key: str, notify: bool = True) -> None:
        message = self._messages.pop(key, None)
        if message is not None:
            self._layout.removeWidget(message)
            message.hide()  # until it is deleted: not shown again with the bar
            message.deleteLater()
        self.setVisible(bool(self._messages))
        if self._messages:
            self._fit_height()
        if notify and message is not None:
            self.changed.emit()

    def dismiss_saying(self, text: str) -> None:
        """Dismiss each message that says `text`, as a message that gives it as its reason is shown."""
        for key in [k for k, m in self._messages.items() if m.text == text]:
            self.dismiss(key)

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
