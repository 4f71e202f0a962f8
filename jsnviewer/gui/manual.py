"""Help ▸ User manual: the pages of docs/ (installed with the program) in a window of their own, beside the
work: a list of the pages, their links followed, Back and Forward. The user manual (docs/manual/, written for
the radiologists, annotators and IT staff who use the program) comes first; the technical pages of docs/ (methods,
measurements, the engineering notes) follow under a heading of their own."""

from __future__ import annotations

import re
from pathlib import Path

from PySide6.QtCore import QEvent, Qt, QUrl
from PySide6.QtGui import QDesktopServices, QFont, QFontMetrics, QTextCursor, QTextDocument
from PySide6.QtWidgets import (QAbstractItemView, QDialog, QHBoxLayout, QLabel, QListWidget, QListWidgetItem,
                               QPushButton, QSplitter, QStyle, QTextBrowser, QVBoxLayout, QWidget)

from jsnviewer.gui.resources import docs_dir

USER_FOLDER = "manual"  # docs/manual/: the user manual
# the user manual's pages in the order a new user reads them; pages of docs/manual/ not named here follow by name
USER_PAGE_ORDER = ("getting-started.md", "reading-results.md", "correcting-and-saving.md", "retraining-models.md",
                   "command-line.md", "installing-and-settings.md", "keyboard-shortcuts.md")
FIRST_PAGE = f"{USER_FOLDER}/{USER_PAGE_ORDER[0]}"
USER_HEADING = "User manual"
TECHNICAL_HEADING = "Methods and measurements (technical)"
# the technical pages of docs/ in the order a reader of the window needs them; pages not named here follow by name
PAGE_ORDER = ("gui.md", "retraining.md", "pipeline.md", "detection.md", "segmentation.md", "registration.md",
              "radiograph-io.md", "phantom.md", "packaging.md", "conventions.md")
HEADING_ROLE = Qt.UserRole + 1  # set on the group headings of the page list (they open no page)


def page_title(page: Path) -> str:
    """The page's first heading without its aside in brackets ("The follow-up analysis"), or its file name."""
    try:
        for line in page.read_text(encoding="utf-8").splitlines():
            if line.startswith("#"):
                return re.sub(r"\s*\(.*\)\s*$", "", line.lstrip("#")).replace("`", "").strip() or page.stem
    except (OSError, UnicodeDecodeError):
        pass
    return page.stem


def _ordered(pages: list[Path], order: tuple[str, ...]) -> list[Path]:
    rank = {name: i for i, name in enumerate(order)}
    return sorted(pages, key=lambda p: (rank.get(p.name, len(rank)), p.name))


def user_pages(folder: Path) -> list[Path]:
    """The user manual's pages (docs/manual/*.md), in reading order."""
    return _ordered(list((folder / USER_FOLDER).glob("*.md")), USER_PAGE_ORDER)


def technical_pages(folder: Path) -> list[Path]:
    """The technical pages (docs/*.md), in the order a reader of the window needs them."""
    return _ordered(list(folder.glob("*.md")), PAGE_ORDER)


def manual_pages(folder: Path) -> list[Path]:
    """Every page the manual lists: the user manual's first, then the technical ones."""
    return user_pages(folder) + technical_pages(folder)


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
        # whole titles, never cut or scrolled sideways: the list is as wide as its longest title (`_fit_titles`), and
        # wraps a title where the window is too narrow even for that
        self.pages.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.pages.setWordWrap(True)
        self.pages.setTextElideMode(Qt.ElideNone)
        self.pages.setResizeMode(QListWidget.Adjust)
        self.pages.setSelectionMode(QAbstractItemView.SingleSelection)
        groups = ((USER_HEADING, user_pages(self.folder)), (TECHNICAL_HEADING, technical_pages(self.folder)))
        for heading, pages in groups:
            if not pages:
                continue
            self.pages.addItem(self._heading_item(heading))
            for page in pages:
                name = page.relative_to(self.folder).as_posix()
                item = QListWidgetItem(page_title(page))
                item.setData(Qt.UserRole, name)
                item.setToolTip(name)
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
        split.setCollapsible(0, False)
        self._fit_titles()
        split.setSizes([self.pages.minimumWidth(), 780])
        layout = QVBoxLayout(self)
        layout.addWidget(split, 1)
        layout.addLayout(buttons)
        first = next((self.pages.item(row).data(Qt.UserRole) for row in range(self.pages.count())
                      if self.pages.item(row).data(Qt.UserRole)), None)
        if first is not None:
            self.open_page(FIRST_PAGE if (self.folder / FIRST_PAGE).is_file() else first)

    @staticmethod
    def _heading_item(text: str) -> QListWidgetItem:
        """A group's heading in the page list: bold, opens no page, cannot be chosen."""
        item = QListWidgetItem(text)
        item.setFlags(Qt.ItemIsEnabled)  # shown as text, never selected or made current by a click
        item.setData(HEADING_ROLE, True)
        font = QFont(item.font())
        font.setBold(True)
        item.setFont(font)
        return item

    def page_names(self) -> list[str]:
        """The pages in the list, in its order (the headings left out)."""
        return [self.pages.item(row).data(Qt.UserRole) for row in range(self.pages.count())
                if self.pages.item(row).data(Qt.UserRole)]

    def _fit_titles(self) -> None:
        """The list as wide as its longest title (a heading's in bold), so that every title shows whole."""
        widest = 0
        for row in range(self.pages.count()):
            item = self.pages.item(row)
            font = item.font() if item.data(HEADING_ROLE) else self.pages.font()
            widest = max(widest, QFontMetrics(font).horizontalAdvance(item.text()))
        style = self.pages.style()
        margins = (2 * self.pages.frameWidth() + 2 * style.pixelMetric(QStyle.PM_FocusFrameHMargin, None, self.pages)
                   + style.pixelMetric(QStyle.PM_ScrollBarExtent, None, self.pages) + 16)
        self.pages.setMinimumWidth(widest + margins)

    def open_page(self, name: str) -> None:
        """A page by its name in the list ("manual/getting-started.md", "gui.md#mouse-and-keys"), whichever page
        is shown now."""
        path, _, anchor = name.partition("#")
        url = QUrl.fromLocalFile(str(self.folder / path))
        if anchor:
            url.setFragment(anchor)
        self.follow(url)

    def current_page(self) -> str:
        """The page shown, as the list names it: "manual/getting-started.md", "gui.md"."""
        return self._page_name(self.browser.source())

    def _page_name(self, source: QUrl) -> str:
        path = Path(source.toLocalFile())
        try:
            return path.resolve().relative_to(self.folder).as_posix()
        except ValueError:
            return path.name

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
        if path.parent not in (self.folder, self.folder / USER_FOLDER) or path.suffix != ".md" or not path.is_file():
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
        name = self._page_name(source)  # the browser's source() is still the page before while this is said
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
        if item is not None and item.data(Qt.UserRole):
            self.open_page(item.data(Qt.UserRole))
