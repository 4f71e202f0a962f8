"""The analysis results: a sortable table of the measured joints and the joints left unmeasured."""

from __future__ import annotations

from PySide6.QtCore import QRect, Qt, Signal
from PySide6.QtGui import QColor, QFont, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QHeaderView, QLabel, QListWidget, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget,
)

from jsnviewer.gui.joints_panel import TABLE_MIN_WIDTH
from jsnviewer.gui.table_fit import ColumnFit, WholeRows, as_list
from jsnviewer.joints import FINDINGS, anatomical_rank
from jsnviewer.pipeline.overview import findings_abbrev, visit_colour
from jsnviewer.pipeline.provenance import weights_listed, weights_said
from jsnviewer.pipeline.result import JSN_CONVENTION, NOT_ASSESSED, NOT_RELIABLE, UNRELIABLE_MARK, signed

COLUMNS = ("Joint", "JSN", "Reliable", "Baseline", "Follow-up")
SHORT_COLUMNS = ("Joint", "JSN", "Rel.", "BL", "FU")  # where the panel is narrow (1024 × 768, Full HD at 200 %)
# Narrower still (findings on both visits), the findings go: the follow-up's first, as the joint's colour tells them.
GIVE_WAY = (4, 3)
UNRELIABLE_NOTE = f"{UNRELIABLE_MARK} (grey): not reliable, do not use the value; the joint detail says why"
COLUMN_TIPS = (
    "The joint measured, coloured by its follow-up findings (sorts in anatomical order)",
    f"{JSN_CONVENTION}. In mm, or px where the radiograph does not give its pixel size. {UNRELIABLE_NOTE}",
    "Reliable: yes, or no: not reliable, do not use the value; the joint detail and the cell's tooltip say why",
    *(f"Findings on the {visit} radiograph: ank = ankylosis, sub = subluxation, {UNRELIABLE_MARK} = not assessed (the "
      "radiograph may not be a hand's); the cell's tooltip gives the detector's confidences"
      for visit in ("baseline", "follow-up")),
)
UNRELIABLE_COLOUR = "#9a9a9a"
FLAG_COLOUR = "#ffb454"  # the "no" of a flagged joint, as the joint detail's "Not reliable"


def reliability_tip(joint) -> str:
    """'reliable', or 'Not reliable: do not use this value' with why and what to do, a line each."""
    return "\n".join([NOT_RELIABLE, *joint.reasons_said()]) if not joint.reliable else "reliable"


def findings_short(findings: dict[str, bool]) -> str:
    """'ank', 'ank sub' as on the boxes' names and in the joints list, '–' for none."""
    return findings_abbrev(findings) or "–"


def visit_findings_short(info) -> str:
    """`findings_short` of one visit's joint, '?' where its findings were not assessed (not a hand, perhaps)."""
    return UNRELIABLE_MARK if info.not_assessed else findings_short(info.findings)


def findings_said(info) -> str:
    """`findings_short` of one visit's joint, or 'not assessed: ' and why."""
    return f"{NOT_ASSESSED}: {info.not_assessed}" if info.not_assessed else findings_short(info.findings)


def findings_tip(info) -> str:
    if info.not_assessed:
        return f"Findings {NOT_ASSESSED}: {info.not_assessed}"
    parts = [f"{name}: {'yes' if info.findings.get(name) else 'no'}"
             + (f" (confidence {info.confidences[name]:.2f})" if name in info.confidences else "") for name in FINDINGS]
    return "\n".join(parts)


class _SortItem(QTableWidgetItem):
    """Sorts by the value in UserRole (numbers, anatomical joint order), not by the text."""

    def __lt__(self, other: QTableWidgetItem) -> bool:
        return self.data(Qt.UserRole) < other.data(Qt.UserRole)


def _item(text: str, key, tip: str = "", align_right: bool = False) -> QTableWidgetItem:
    item = _SortItem(text)
    item.setData(Qt.UserRole, key)
    if tip:
        item.setToolTip(tip)
    if align_right:
        item.setTextAlignment(Qt.AlignRight | Qt.AlignVCenter)
    return item


class _Table(QTableWidget):
    """Copy (Ctrl+C) takes the selected joint's whole row, so that a value is never copied without its flag
    (Qt's own copy takes the one cell under the cursor)."""

    def keyPressEvent(self, event) -> None:  # noqa: N802
        if event.matches(QKeySequence.Copy):
            rows = sorted({index.row() for index in self.selectedIndexes()}) or (
                [self.currentRow()] if self.currentRow() >= 0 else [])
            lines = [self.row_text(row) for row in rows]
            if lines:
                QGuiApplication.clipboard().setText("\n".join(lines))
            event.accept()
            return
        super().keyPressEvent(event)

    def row_text(self, row: int) -> str:
        """The row's cells, tab-separated, and for a flagged joint why it is not reliable."""
        cells = [self.item(row, column).text() for column in range(self.columnCount())]
        joint = self.item(row, 0).data(Qt.UserRole + 2)
        if joint is not None and not joint.reliable:
            cells.append(f"{NOT_RELIABLE}; {joint.reasons_in_one_line()}")  # the CSV's words, on the row's line
        return "\t".join(cells)


class ResultsPanel(QWidget):
    selected = Signal(object)  # joint identity or None

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.result = None
        self._updating = False
        self.heading = QLabel("No analysis yet: Analysis ▸ Analyse (Ctrl+R)")
        self.heading.setObjectName("panelHeading")
        self.heading.setWordWrap(True)
        self.weights = QLabel()  # which weights made the results, marked where they are not those now in use
        self.weights.setObjectName("resultsWeights")
        self.weights.setWordWrap(True)
        self.weights.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.table = _Table(0, len(COLUMNS))
        self.columns = ColumnFit(self.table, COLUMNS, SHORT_COLUMNS, GIVE_WAY)
        as_list(self.table, COLUMN_TIPS)
        self.table.verticalHeader().setDefaultSectionSize(24)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.AscendingOrder)
        self.table.itemSelectionChanged.connect(self._row_selected)
        self.table.setMinimumWidth(TABLE_MIN_WIDTH)
        self.unpaired_heading = QLabel("Not measured")
        self.unpaired = QListWidget()
        self.unpaired.setWordWrap(True)
        self.note = QLabel(f"{JSN_CONVENTION}. {UNRELIABLE_NOTE}.")
        self.note.setObjectName("hint")
        self.note.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.heading)
        layout.addWidget(self.weights)
        layout.addWidget(WholeRows(self.table), 1)
        layout.addWidget(self.unpaired_heading)
        layout.addWidget(self.unpaired)
        layout.addWidget(self.note)
        self.set_result(None)

    def _fit_unpaired(self) -> None:
        """The list as high as its first four lines, wrapped at its present width (the table keeps the room)."""
        metrics = self.unpaired.fontMetrics()
        width = max(self.unpaired.viewport().width() - 8, 50)
        rows = sum(metrics.boundingRect(QRect(0, 0, width, 10_000), Qt.TextWordWrap, self.unpaired.item(i).text()).height() + 4
                   for i in range(min(self.unpaired.count(), 4)))
        self.unpaired.setFixedHeight(rows + 2 * self.unpaired.frameWidth() + 4)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit_unpaired()

    def set_result(self, result) -> None:
        self._updating = True
        self.result = result
        self.table.setSortingEnabled(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.Interactive)  # sized once below, not after every cell
        self.table.clearContents()
        joints = result.joints if result is not None else []
        self.table.setRowCount(len(joints))
        for row, joint in enumerate(joints):
            grey = QColor(UNRELIABLE_COLOUR)
            mm = joint.jsn_mm
            cells = [
                _item(joint.identity, anatomical_rank(joint.identity)),
                # mm where the file gives the pixel size (then for every joint of the study), else px
                _item(joint.marked_jsn_text(), float(joint.jsn_px if mm is None else mm),
                      "\n".join([signed(joint.jsn_px, 2, "px") + " of the baseline radiograph"
                                 + ("; pixel size unknown" if mm is None else "")]
                                + ([] if joint.reliable else [reliability_tip(joint)])), True),
                _item("yes" if joint.reliable else "no", int(joint.reliable), reliability_tip(joint)),
                *(_item(visit_findings_short(info), visit_findings_short(info), findings_tip(info))
                  for info in (joint.baseline, joint.followup)),
            ]
            cells[0].setData(Qt.UserRole + 1, joint.identity)
            cells[0].setData(Qt.UserRole + 2, joint)
            cells[0].setForeground(QColor(*visit_colour(joint.followup)))
            if not joint.reliable:
                cells[1].setForeground(grey)
                cells[2].setForeground(QColor(FLAG_COLOUR))
                bold = QFont(cells[2].font())
                bold.setBold(True)
                cells[2].setFont(bold)
            for column, item in enumerate(cells):
                self.table.setItem(row, column, item)
        header.setSectionResizeMode(QHeaderView.ResizeToContents)
        self.table.setSortingEnabled(True)
        self.columns.fit()
        self.unpaired.clear()
        unpaired = result.not_measured() if result is not None else []
        self.unpaired.addItems(unpaired)
        self.unpaired_heading.setVisible(bool(unpaired))
        self.unpaired.setVisible(bool(unpaired))
        self._fit_unpaired()
        if result is None:
            self.heading.setText("No analysis yet: Analysis ▸ Analyse (Ctrl+R)")
        else:
            reliable = sum(j.reliable for j in joints)
            missing = len({u.identity for u in result.unpaired if u.identity is not None})
            self.heading.setText(f"{len(joints)} joints measured ({reliable} reliable)"
                                 + (f", {missing} not measured" if missing else ""))
        self.mark_other_weights(None)
        self._updating = False

    def mark_other_weights(self, in_use: str | None) -> None:
        """Say which weights made the results shown (the files and their SHA-256 in the tooltip); where the weights
        now in use are others (`in_use`, in words), say that too, in the flag's colour."""
        said = weights_said(self.result) if self.result is not None else None
        self.weights.setVisible(said is not None)
        if said is None:
            return
        files = f"The weights files that made these results:\n{weights_listed(self.result)}"
        if in_use is None:
            self.weights.setText(f"{said}.")
            self.weights.setStyleSheet("")
            self.weights.setToolTip(files)
        else:
            self.weights.setText(f"⚠ {said}, not with the weights now in use: analyse again (Ctrl+R) to measure with "
                                 "those.")
            self.weights.setStyleSheet(f"color: {FLAG_COLOUR};")
            self.weights.setToolTip(f"Now in use: {in_use}.\n\n{files}")

    def row_identities(self) -> list[str]:
        return [self.table.item(row, 0).data(Qt.UserRole + 1) for row in range(self.table.rowCount())]

    def select_identity(self, identity: str | None, quiet: bool = False) -> None:
        """Select a joint's row (emits `selected` like a click, unless `quiet`)."""
        updating, self._updating = self._updating, self._updating or quiet
        try:
            self._select_row(identity)
        finally:
            self._updating = updating

    def _select_row(self, identity: str | None) -> None:
        rows = self.row_identities()
        if identity in rows:
            self.table.selectRow(rows.index(identity))
            self.table.scrollToItem(self.table.item(rows.index(identity), 0))
        else:
            self.table.clearSelection()

    def current_identity(self) -> str | None:
        rows = self.table.selectionModel().selectedRows()
        return self.table.item(rows[0].row(), 0).data(Qt.UserRole + 1) if rows else None

    def _row_selected(self) -> None:
        if not self._updating:
            self.selected.emit(self.current_identity())
