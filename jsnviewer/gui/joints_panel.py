"""The joints of the active radiograph: a sortable table and the editor of the selected box."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QFormLayout, QGridLayout, QHBoxLayout, QHeaderView, QLabel, QListView,
    QPushButton, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget,
)

from jsnviewer.dataset import repeated_identities
from jsnviewer.gui.annotation import AnnotationDocument
from jsnviewer.gui.box_layer import FINDING_COLOURS, UNNAMED_COLOUR, box_colour
from jsnviewer.gui.table_fit import ColumnFit, WholeRows, as_list
from jsnviewer.joints import FINDINGS, anatomical_rank, identity_choices
from jsnviewer.pipeline.overview import finding_key, findings_abbrev
from jsnviewer.words import counted

COLUMNS = ("Joint", "Findings", "Status", "Centre (px)", "Size (px)")
SHORT_COLUMNS = ("Joint", "Findings", "Status", "Centre", "Size")
GIVE_WAY = (4, 3)  # where the panel is narrow still, the box's size and centre go: it shows on the image
COLUMN_TIPS = (
    "The joint this box marks; ? = not named yet",
    "The findings the box is flagged with, as its label says them: ank = ankylosis (toggle: K), "
    "sub = subluxation (toggle: U)",
    "reviewed: drawn, accepted or corrected by an annotator (training data)\n"
    "proposal: the model's box (dashed), not reviewed yet: Enter accepts it",
    "The box's centre x, y in pixels of the radiograph, from its left and top edges (sorts by x, then y)",
    "The box's width × height in pixels of the radiograph (sorts by area)",
)
# JointAnnotation.source as the table says it: "user" is every box an annotator stands behind (drawn, accepted
# or corrected), "model" an analysis's proposal waiting for review
SOURCE_WORDS = {"user": ("reviewed", "Drawn, accepted or corrected by an annotator"),
                "model": ("proposal", "The model's box, not reviewed yet: Enter accepts it")}
UNKNOWN = "— unknown —"
REPEATED_COLOUR = "#ff9f43"
TABLE_MIN_WIDTH = 240  # narrower, the columns scroll: a small screen keeps its room for the radiographs
MIN_ROWS = 2  # the list shows at least this many boxes, on any screen
HINT_FROM_HEIGHT = 460  # the two-line hint below the legend only where the panel has room for it


class _SortedItem(QTableWidgetItem):
    """A cell that sorts by `key` (a tuple of numbers), not by its text: numbers by value (right-aligned),
    joint names in anatomical order."""

    def __init__(self, text: str, key: tuple[float, ...], align: Qt.AlignmentFlag = Qt.AlignRight):
        super().__init__(text)
        self.key = key
        self.setTextAlignment(align | Qt.AlignVCenter)

    def __lt__(self, other: QTableWidgetItem) -> bool:
        if isinstance(other, _SortedItem):
            return self.key < other.key
        return super().__lt__(other)


class TypedNameList(QListView):
    """The identity list's drop-down (I): the letters typed since it opened pick the first name that starts with them,
    however slowly they come. Qt's own search starts a new word after a 0.4 s pause, so "MCP5" typed slowly named the
    box PIP2, and typed fast box after box it went on from the last box's letters and matched nothing."""

    def __init__(self) -> None:
        super().__init__()
        self.typed = ""

    def showEvent(self, event) -> None:  # noqa: N802
        self.typed = ""
        super().showEvent(event)

    def keyPressEvent(self, event) -> None:  # noqa: N802
        if event.key() == Qt.Key_Backspace and self.typed:
            self.typed = self.typed[:-1]
            self._go_to(self.typed)
            return
        super().keyPressEvent(event)

    def keyboardSearch(self, search: str) -> None:  # noqa: N802
        """A letter that fits no name after the others starts the name again (a slip); one that fits none is let go."""
        for typed in (self.typed + search, search):
            if self._go_to(typed):
                self.typed = typed
                return

    def _go_to(self, typed: str) -> bool:
        if not typed:
            return False
        model = self.model()
        found = model.match(model.index(0, self.modelColumn()), Qt.DisplayRole, typed, 1,
                            Qt.MatchStartsWith | Qt.MatchWrap)
        if found:
            self.setCurrentIndex(found[0])
        return bool(found)


def both_hands_said(both: bool, renamed: int, unnamed: int) -> str:
    """What ticking (or unticking) Both hands did to the boxes' names, with how to take it back."""
    if not renamed:
        return "Both hands: no box renamed" if both else "One hand: no box renamed"
    if both:
        return f"Both hands: {counted(renamed, 'box')} named with their hand, e.g. R MCP2 (Ctrl+Z undoes)"
    lost = f", {unnamed} of the other hand left without a name" if unnamed else ""
    return f"One hand: {counted(renamed, 'box')} renamed{lost} (Ctrl+Z undoes)"


class JointsPanel(QWidget):
    selected = Signal(object)  # uid or None
    delete_requested = Signal()
    accept_requested = Signal()
    said = Signal(str)  # what an edit made of the image's boxes, for the status bar

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.document: AnnotationDocument | None = None
        self.current: int | None = None
        self._updating = False

        self.heading = QLabel("No radiograph")
        self.heading.setObjectName("panelHeading")
        self.table = QTableWidget(0, len(COLUMNS))
        self.columns = ColumnFit(self.table, COLUMNS, SHORT_COLUMNS, GIVE_WAY)
        as_list(self.table, COLUMN_TIPS)
        self.table.setSortingEnabled(True)
        self.table.itemSelectionChanged.connect(self._row_selected)
        self.table.sortByColumn(0, Qt.AscendingOrder)
        self.table.setMinimumWidth(TABLE_MIN_WIDTH)
        rows = self.table.verticalHeader().defaultSectionSize()
        self.table.setMinimumHeight(self.table.horizontalHeader().sizeHint().height() + MIN_ROWS * rows + 4)

        self.identity = QComboBox()
        self.identity.setView(TypedNameList())
        self._choices = identity_choices(False)
        self.identity.addItems([UNKNOWN, *self._choices])
        self.identity.setToolTip("Joint identity of the selected box")
        self.identity.activated.connect(self._identity_chosen)
        self.both_hands = QCheckBox("Both hands")
        self.both_hands.setToolTip("This radiograph shows both hands: its joints are named with their hand (R MCP2, "
                                   "L PIP3).\nUnticked, the hand with the most named joints keeps its names.")
        self.both_hands.clicked.connect(self._both_hands_toggled)
        self.findings = {name: QCheckBox(name.capitalize()) for name in FINDINGS}
        for name, box in self.findings.items():
            box.clicked.connect(lambda checked, n=name: self._finding_toggled(n, checked))
        self.findings["ankylosis"].setToolTip("Toggle ankylosis (K)")
        self.findings["subluxation"].setToolTip("Toggle subluxation (U)")
        self.accept_button = QPushButton("Accept proposal")
        self.accept_button.setToolTip("Make the model's proposal your own box (Enter); all named ones: Shift+Enter")
        self.accept_button.clicked.connect(self.accept_requested)
        self.delete_button = QPushButton("Delete box")
        self.delete_button.setToolTip("Delete the selected box (Del)")
        self.delete_button.clicked.connect(self.delete_requested)

        editor = QFormLayout()  # each row as narrow as a small screen's panel (1024 × 768, Full HD at 200 %)
        editor.addRow("Identity", self.identity)
        editor.addRow("", self.both_hands)
        flags = QHBoxLayout()
        for box in self.findings.values():
            flags.addWidget(box)
        editor.addRow("Findings", flags)
        buttons = QHBoxLayout()
        buttons.addWidget(self.accept_button)
        buttons.addWidget(self.delete_button)
        editor.addRow(buttons)

        legend = QGridLayout()
        legend.setHorizontalSpacing(12)
        # the boxes' words, as overview.png's and the report's legends give them ("ank sub = both": it said "ank + sub")
        entries = [(f"■ {finding_key(*names) if names else 'no finding'}", f"color: {colour};")
                   for names, colour in FINDING_COLOURS.items()]
        entries += [("■ no joint name", f"color: {UNNAMED_COLOUR};"), ("┅ proposal (dashed)", "")]
        for number, (text, style) in enumerate(entries):
            swatch = QLabel(text)
            swatch.setStyleSheet(style)
            legend.addWidget(swatch, number // 2, number % 2)  # two columns: the panel fits beside a laptop's images
        legend.setColumnStretch(2, 1)
        self.hint = QLabel("Box tool (B): drag on an image to add a joint box.\n"
                           "Arrows nudge the selected box (Shift: 10 px); in this list they move through the rows.")
        self.repeated = QLabel()  # a joint name given to more than one box of the image
        self.repeated.setObjectName("repeatedIdentity")
        self.repeated.setStyleSheet(f"color: {REPEATED_COLOUR};")
        self.repeated.setWordWrap(True)
        self.repeated.hide()
        self.hint.setObjectName("hint")
        self.hint.setWordWrap(True)
        self.hint.hide()  # shown once the panel is known to be tall enough (resizeEvent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)  # as the results': the panel fits a small screen's dock
        layout.addWidget(self.heading)
        layout.addWidget(WholeRows(self.table), 1)
        layout.addWidget(self.repeated)
        layout.addLayout(editor)
        layout.addLayout(legend)
        layout.addWidget(self.hint)
        self._show_editor()

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        self.hint.setVisible(self.height() >= HINT_FROM_HEIGHT)  # on a short screen the list's rows come first

    def set_document(self, document: AnnotationDocument | None, title: str = "") -> None:
        if self.document is not None:
            self.document.changed.disconnect(self.refresh)
        self.document = document
        self.current = None
        if document is not None:
            document.changed.connect(self.refresh)
        self.heading.setText(title or "No radiograph")
        self.refresh()

    def refresh(self) -> None:
        self._updating = True
        sorting = self.table.isSortingEnabled()
        self.table.setSortingEnabled(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.Interactive)  # sized once below, not after every cell
        uids = self.document.uids() if self.document is not None else []
        joints = [self.document.joint(uid) for uid in uids]
        repeated = repeated_identities(joints)
        self.table.setRowCount(len(uids))
        for row, (uid, joint) in enumerate(zip(uids, joints)):
            colour = QColor(box_colour(joint))
            cx, cy, w, h = joint.box
            status, status_tip = SOURCE_WORDS.get(joint.source, (joint.source, ""))
            # unnamed boxes (often the wrist) last, so that N and Enter go through the finger joints first
            items = [_SortedItem(joint.identity or "?", (anatomical_rank(joint.identity),), Qt.AlignLeft),
                     QTableWidgetItem(findings_abbrev(joint.findings)),
                     QTableWidgetItem(status),
                     _SortedItem(f"{cx:.1f}, {cy:.1f}", (cx, cy)),
                     _SortedItem(f"{w:.0f} × {h:.0f}", (w * h, w, h))]
            items[2].setToolTip(status_tip)
            for column, item in enumerate(items):
                if column == 0:
                    item.setData(Qt.UserRole + 1, uid)
                    item.setForeground(colour)
                    if joint.identity in repeated:
                        item.setBackground(QColor(REPEATED_COLOUR).darker(300))
                        item.setToolTip(f"{repeated[joint.identity]} boxes of this image are {joint.identity}")
                self.table.setItem(row, column, item)
        header.setSectionResizeMode(QHeaderView.ResizeToContents)
        self.table.setSortingEnabled(sorting)
        self.columns.fit()
        self.repeated.setText("⚠ " + "; ".join(f"{name} is on {count} boxes" for name, count in repeated.items())
                              + ": one joint has one box (rename or delete the others)")
        self.repeated.setVisible(bool(repeated))
        if self.current is not None and self.current not in uids:
            self.current = None
        self._select_row(self.current)
        self._updating = False
        self._show_editor()

    def select(self, uid: int | None) -> None:
        """Follow a selection made in the image."""
        self.current = uid
        self._updating = True
        self._select_row(uid)
        self._updating = False
        self._show_editor()

    def row_uids(self) -> list[int]:
        """Box ids in the table's current (possibly sorted) order."""
        return [self.table.item(row, 0).data(Qt.UserRole + 1) for row in range(self.table.rowCount())]

    def _select_row(self, uid: int | None) -> None:
        self.table.clearSelection()
        for row, row_uid in enumerate(self.row_uids()):
            if row_uid == uid:
                self.table.selectRow(row)
                self.table.scrollToItem(self.table.item(row, 0))
                break

    def _row_selected(self) -> None:
        if self._updating:
            return
        rows = self.table.selectionModel().selectedRows()
        uid = self.table.item(rows[0].row(), 0).data(Qt.UserRole + 1) if rows else None
        self.current = uid
        self._show_editor()
        self.selected.emit(uid)

    def _show_editor(self) -> None:
        joint = self.document.joint(self.current) if self.document is not None and self.current is not None else None
        enabled = joint is not None
        for widget in (self.identity, self.delete_button, *self.findings.values()):
            widget.setEnabled(enabled)
        self.accept_button.setEnabled(enabled and joint.source == "model")
        # a radiograph of both hands names its joints with their hand ("R MCP2"): offer those names there, and where a
        # one-hand radiograph's joints are named so (to pair them with a radiograph of both hands), unticked
        self.both_hands.setEnabled(self.document is not None)
        self.both_hands.setChecked(self.document is not None and self.document.shows_both_hands)
        choices = identity_choices(self.document is not None and self.document.both_hands)
        if choices != self._choices:
            self._choices = choices
            self.identity.clear()
            self.identity.addItems([UNKNOWN, *choices])
        self.identity.setCurrentIndex(1 + choices.index(joint.identity) if joint is not None and joint.identity in choices
                                      else 0)
        for name, box in self.findings.items():
            box.setChecked(bool(joint and joint.findings.get(name)))

    def _identity_chosen(self, index: int) -> None:
        if self.document is not None and self.current is not None:
            self.document.set_identity(self.current, None if index == 0 else self._choices[index - 1])

    def _both_hands_toggled(self, checked: bool) -> None:
        if self.document is not None:
            renamed, unnamed = self.document.renaming(lambda: self.document.set_both_hands(checked))
            self.said.emit(both_hands_said(checked, renamed, unnamed))
        self._show_editor()

    def _finding_toggled(self, name: str, checked: bool) -> None:
        if self.document is not None and self.current is not None:
            self.document.set_finding(self.current, name, checked)
