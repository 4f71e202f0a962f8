"""A panel's table in the panel's room: on a small or scaled screen (1024 × 768, Full HD at 200 %) every column it
shows is whole, none beyond the table's edge to scroll to, and every row it shows is whole, none cut at its top or
foot."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QSize, Qt
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QStyle, QStyleOptionHeader, QTableWidget, QWidget


class SortHeader(QHeaderView):
    """A table's column header that leaves room for the sort arrow in the sorted column alone: Qt's leaves it in
    every column, 20 px each, 80 px of a five-column table for nothing."""

    def __init__(self, parent: QTableWidget):
        super().__init__(Qt.Horizontal, parent)
        self.setSectionsClickable(True)  # as a table's own header
        self.setHighlightSections(True)

    def sectionSizeFromContents(self, logical: int) -> QSize:  # noqa: N802 (Qt's name)
        if self.isSortIndicatorShown() and logical == self.sortIndicatorSection():
            return super().sectionSizeFromContents(logical)
        option = QStyleOptionHeader()  # as Qt measures a section, its bold label, less the arrow's room
        self.initStyleOption(option)
        option.section = logical
        font = QFont(self.font())
        font.setBold(True)
        option.fontMetrics = QFontMetrics(font)
        option.text = str(self.model().headerData(logical, self.orientation(), Qt.DisplayRole) or "")
        return self.style().sizeFromContents(QStyle.CT_HeaderSection, option, QSize(), self)


def as_list(table: QTableWidget, tips: tuple[str, ...]) -> None:
    """A panel's table read as a list: one whole row chosen at a time, nothing typed into it, arrows move through it
    and Tab leaves it; each column header's tooltip says the column."""
    for column, tip in enumerate(tips):
        table.horizontalHeaderItem(column).setToolTip(tip)
    table.setSelectionBehavior(QAbstractItemView.SelectRows)
    table.setSelectionMode(QAbstractItemView.SingleSelection)
    table.setEditTriggers(QAbstractItemView.NoEditTriggers)
    table.setTabKeyNavigation(False)
    table.verticalHeader().hide()
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeToContents)


class ColumnFit(QObject):
    """Keeps `table`'s columns in its width: their whole `labels` where they fit, else the `short` ones (the headers'
    tooltips say them whole), else without the columns that `give_way`, the first first. `fit` again after the
    table's content changes; a change of its width or of the sorted column fits it by itself."""

    def __init__(self, table: QTableWidget, labels: tuple[str, ...], short: tuple[str, ...],
                 give_way: tuple[int, ...] = ()):
        super().__init__(table)
        self.table = table
        self.steps = [(labels, ()), *((short, give_way[:k]) for k in range(len(give_way) + 1))]
        table.setHorizontalHeader(SortHeader(table))
        table.setHorizontalHeaderLabels(labels)
        table.horizontalHeader().sortIndicatorChanged.connect(self.fit)
        table.viewport().installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() == QEvent.Resize:
            self.fit()
        return False

    def fit(self, *_) -> None:
        room = self.table.viewport().width()
        for labels, hidden in self.steps:
            self._show(labels, hidden)
            if sum(map(self.wanted, self.shown())) <= room:
                break
        header = self.table.horizontalHeader()
        if header.stretchLastSection():  # Qt stretches it from the width it was last given (first 100 px), room or not
            last = self.shown()[-1]
            header.resizeSection(last, self.wanted(last))

    def shown(self) -> list[int]:
        return [c for c in range(self.table.columnCount()) if not self.table.isColumnHidden(c)]

    def wanted(self, column: int) -> int:
        """The column's width for its header and cells whole."""
        header = self.table.horizontalHeader()
        return max(header.sectionSizeHint(column), self.table.sizeHintForColumn(column), header.minimumSectionSize())

    def _show(self, labels: tuple[str, ...], hidden: tuple[int, ...]) -> None:
        for column, label in enumerate(labels):
            if self.table.horizontalHeaderItem(column).text() != label:
                self.table.horizontalHeaderItem(column).setText(label)
            if self.table.isColumnHidden(column) != (column in hidden):
                self.table.setColumnHidden(column, column in hidden)


class WholeRows(QWidget):
    """Holds `table` at the height of a whole number of its rows, the pixels left over below it. Qt scrolls a table
    row by row but at its last rows lines the last one up with the foot of the list: where the list is not a whole
    number of rows high, the row at its top was then cut in half (and otherwise the row at its foot)."""

    def __init__(self, table: QTableWidget):
        super().__init__()
        self.table = table
        table.setParent(self)
        self.setSizePolicy(table.sizePolicy())

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        return self.table.sizeHint()

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        return self.table.minimumSizeHint().expandedTo(self.table.minimumSize())

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        self.table.setGeometry(0, 0, self.width(), self.whole_rows_height(self.height()))

    def whole_rows_height(self, room: int) -> int:
        """The table's height in `room`: its header and frame, and as many whole rows as fit below them."""
        table = self.table
        header = table.horizontalHeader().sizeHint().height() if not table.horizontalHeader().isHidden() else 0
        chrome = 2 * table.frameWidth() + header
        if table.horizontalScrollBar().isVisible():
            chrome += table.horizontalScrollBar().height()
        row = table.verticalHeader().defaultSectionSize()
        return max(room - (room - chrome) % row, table.minimumHeight()) if room > chrome else room
