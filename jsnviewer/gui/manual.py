"""Help ▸ User manual: the pages of docs/ (installed with the program) in a window of their own, beside the
work: a list of the pages, their links followed, Back and Forward."""

from __future__ import annotations

import re
from pathlib import Path

from PySide6.QtCore import QEvent, Qt, QUrl
from PySide6.QtGui import QDesktopServices, QTextCursor, QTextDocument
from PySide6.QtWidgets import (QDialog, QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QPushButton, QSplitter,
                               QTextBrowser, QVBoxLayout, QWidget)

from jsnviewer.gui.resources import docs_dir

FIRST_PAGE = "gui.md"
# the order a reader of the window needs them in; pages not named here follow by name
PAGE_ORDER = ("gui.md", "retraining.md", "pipeline.md", "detection.md", "segmentation.md", "registration.md",
              "radiograph-io.md", "phantom.md", "packaging.md", "conventions.md")


def page_title(page: Path) -> str:
    """The page's first heading without its aside in brackets ("The follow-up analysis"), or its file name."""
    try:
        for line in page.read_text(encoding="utf-8").splitlines():
            if line.startswith("#"):
                return re.sub(r"\s*\(.*\)\s*$", "", line.lstrip("#")).replace("`", "").strip() or page.stem
    except (OSError, UnicodeDecodeError):
        pass
    return page.stem


def manual_pages(folder: Path) -> list[Path]:
    rank = {name: i for i, name in enumerate(PAGE_ORDER)}
    return sorted(folder.glob("*.md"), key=lambda p: (rank.get(p.name, len(rank)), p.name))


def heading_anchor(text: str) -> str:
    """The anchor a heading gets on GitHub, where the manual's links were written: lower case, punctuation
    dropped, each space a hyphen ("Analysis ▸ Retrain" → "analysis--retrain")."""
    kept = re.sub(r"[^\w\- ]", "", text.strip().lower())
    return kept.replace(" ", "-")


class ManualWindow(QDialog):
    def __init__(self, parent: QWidget | None = None, folder: Path | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("jsnviewer manual")
        self.setWindowFlag(Qt.WindowMaximizeButtonHint, True)
        self.folder = (folder or docs_dir()).resolve()
        self.pages = QListWidget()
        for page in manual_pages(self.folder):
            item = QListWidgetItem(page_title(page))
            item.setData(Qt.UserRole, page.name)
            item.setToolTip(page.name)
            self.pages.addItem(item)
        self.pages.currentItemChanged.connect(self._page_chosen)
        self.browser = QTextBrowser()
        self.browser.setOpenLinks(False)  # links are followed here: anchors, pages outside the manual
        self.browser.anchorClicked.connect(self.follow)
        self.browser.sourceChanged.connect(self._shown)
        self.browser.installEventFilter(self)
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.back = QPushButton("◀ Back")
        self.forward = QPushButton("Forward ▶")
        self.back.clicked.connect(self.browser.backward)
        self.forward.clicked.connect(self.browser.forward)
        self.browser.backwardAvailable.connect(self.back.setEnabled)
        self.browser.forwardAvailable.connect(self.forward.setEnabled)
        self.back.setEnabled(False)
        self.forward.setEnabled(False)
        close = QPushButton("Close")
        close.clicked.connect(self.close)
        buttons = QHBoxLayout()
        for button in (self.back, self.forward):
            buttons.addWidget(button)
        buttons.addWidget(self.note, 1)
        buttons.addWidget(close)
        split = QSplitter()
        split.addWidget(self.pages)
        split.addWidget(self.browser)
        split.setStretchFactor(1, 1)
        split.setSizes([220, 780])
        layout = QVBoxLayout(self)
        layout.addWidget(split, 1)
        layout.addLayout(buttons)
        if self.pages.count():
            self.open_page(FIRST_PAGE if (self.folder / FIRST_PAGE).is_file() else self.pages.item(0).data(Qt.UserRole))

    def open_page(self, name: str) -> None:
        self.follow(QUrl(name))

    def current_page(self) -> str:
        return Path(self.browser.source().toLocalFile()).name

    def follow(self, link: QUrl) -> None:
        """A page of the manual, a heading of one, or a web page in the browser; anything else (a source file of
        the repository) is named below as not part of the manual."""
        if link.scheme() in ("http", "https", "mailto"):
            QDesktopServices.openUrl(link)
            return
        base = self.browser.source()
        target = base.resolved(link) if not base.isEmpty() else QUrl.fromLocalFile(str(self.folder / link.path()))
        if link.path() == "" and not base.isEmpty():
            self._scroll_to(link.fragment())
            return
        path = Path(target.toLocalFile()).resolve()
        if path.parent != self.folder or path.suffix != ".md" or not path.is_file():
            self.note.setText(f"{link.toString()} is not part of the manual installed with the program.")
            return
        self.note.clear()
        self.browser.setSource(QUrl.fromLocalFile(str(path)))
        if target.fragment():
            self._scroll_to(target.fragment())

    def _scroll_to(self, anchor: str) -> None:
        block = self.browser.document().begin()
        while block.isValid():
            if block.blockFormat().headingLevel() and heading_anchor(block.text()) == anchor:
                cursor = QTextCursor(block)
                bar = self.browser.verticalScrollBar()
                bar.setValue(bar.maximum())  # so that the heading ends at the top, not the bottom
                self.browser.setTextCursor(cursor)
                self.browser.ensureCursorVisible()
                return
            block = block.next()

    def _shown(self, source: QUrl) -> None:
        name = Path(source.toLocalFile()).name
        for row in range(self.pages.count()):
            item = self.pages.item(row)
            if item.data(Qt.UserRole) == name:
                self.pages.blockSignals(True)
                self.pages.setCurrentItem(item)
                self.pages.blockSignals(False)
                self.setWindowTitle(f"{item.text()} — jsnviewer manual")
        self._fit_pictures()

    def eventFilter(self, watched, event) -> bool:
        if watched is self.browser and event.type() == QEvent.Resize:
            self._fit_pictures()
        return super().eventFilter(watched, event)

    def _fit_pictures(self) -> None:
        """The pages' screenshots shrunk to the reader's width (a text browser shows pictures at their own
        size, which made the window scroll sideways); never enlarged."""
        document = self.browser.document()
        width = self.browser.viewport().width() - 2 * document.documentMargin() - 4
        block = document.begin()
        while block.isValid():
            it = block.begin()
            while not it.atEnd():
                fragment = it.fragment()
                form = fragment.charFormat()
                if form.isImageFormat():
                    picture = form.toImageFormat()
                    image = document.resource(QTextDocument.ImageResource, QUrl(picture.name()))
                    size = image.size() if image is not None else None
                    if size is not None and size.width() > 0:
                        shown = min(float(size.width()), max(width, 50.0))
                        picture.setWidth(shown)
                        picture.setHeight(shown * size.height() / size.width())
                        cursor = QTextCursor(document)
                        cursor.setPosition(fragment.position())
                        cursor.setPosition(fragment.position() + fragment.length(), QTextCursor.KeepAnchor)
                        cursor.setCharFormat(picture)
                it += 1
            block = block.next()

    def _page_chosen(self, item: QListWidgetItem | None) -> None:
        if item is not None:
            self.open_page(item.data(Qt.UserRole))
