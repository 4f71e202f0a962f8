"""Patient and study identity of the baseline and the follow-up, side by side.

Shows patient ID, study date, hand, modality, size, bit depth and where the pixel size comes
from. The patient's name is deliberately not shown or logged anywhere.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QSize, Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QFormLayout, QGroupBox, QLabel, QVBoxLayout, QWidget

from jsnviewer.joints import BOTH, SIDES
from jsnviewer.radiograph import Radiograph
from jsnviewer.radiograph.model import UNKNOWN_PIXEL_SIZE

FIELDS = ("File", "Patient ID", "Study date", "Hand", "Modality", "Size", "Bits stored", "Pixel size")
# Values read whole or not at all: a date has nowhere to break ("2019-01-28" was cut to "2019-01-2" beside its name
# in a narrow panel), a size read "1253 × 1609" with "px" alone on the next line.
UNBROKEN = ("Study date", "Modality", "Size", "Bits stored")
NBSP = "\u00a0"  # between a number and its unit: a line never breaks between them
LEAST_LINE = 15  # letters a wrapped value has on a line beside its name; in a narrower column all go under their names


class WrappedValue(QLabel):
    """A value that wraps, and needs at least `LEAST_LINE` letters a line (or its longest line, if shorter) beside its
    name: at 1024 × 768 a JPEG's hand read down a column a word wide, "right / (from the / joints; / the file / does
    not / say)", and its file name broke at a hyphen."""

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (`StudyPanel.arrange` puts the values under their names by it)
        hint = super().minimumSizeHint()
        metrics = self.fontMetrics()
        longest = max(metrics.horizontalAdvance(line) for line in self.text().split("\n"))
        margins = self.contentsMargins()
        least = min(longest, metrics.averageCharWidth() * LEAST_LINE) + margins.left() + margins.right()
        return QSize(max(hint.width(), least), hint.height())


def hand_text(file_hand: str | None, shown: str | None = None, hand_chosen: str | None = None) -> str:
    """The hand the file declares ("both hands" for its "B"), or where what the image is taken to show (`shown`:
    `AnnotationDocument.hand_shown`, as the report and results.csv say it) differs, that with what the file says: the
    hand the reader named the joints as (`hand_chosen`, Edit ▸ Name joints as the other hand), else what the joints
    say (both hands named, or Both hands ticked; one hand's names, "L MCP2"; the hand plainly named joints lie as)."""
    declared = "both hands" if file_hand == BOTH else SIDES.get(file_hand or "", file_hand or "—")
    if shown is None or shown == file_hand:
        return declared
    how = "named by the reader" if shown == hand_chosen else "from the joints"
    return f"{'both hands' if shown == BOTH else SIDES[shown]} ({how}; " + (
        "the file does not say)" if file_hand is None else f"the file: {declared})")


def describe(radiograph: Radiograph, shown: str | None = None, hand_chosen: str | None = None) -> dict[str, str]:
    ident = radiograph.identity
    if radiograph.pixel_size_mm:
        pixel = f"{radiograph.pixel_size_mm:.4g}{NBSP}mm/px\n({radiograph.pixel_size_source})"
    else:
        pixel = "unknown: lengths in px" + (f"\n({radiograph.pixel_size_source})" if radiograph.pixel_size_source != UNKNOWN_PIXEL_SIZE else "")
    return {
        "File": radiograph.path.name if radiograph.path else "—",
        "Patient ID": ident.patient_id or "—",
        "Study date": ident.study_date.isoformat() if ident.study_date else "—",
        "Hand": hand_text(ident.laterality, shown, hand_chosen),
        "Modality": ident.modality or "—",
        "Size": f"{radiograph.width} × {radiograph.height} px",
        "Bits stored": str(radiograph.bits_stored),
        "Pixel size": pixel,
    }


MIN_WIDTH = 170  # a 1024 px screen keeps its room for the radiographs


class StudyPanel(QWidget):
    """One rule for every value of both visits (`arrange`): beside its name, the values in one column, where every
    value fits there; else each under its name. Row by row (QFormLayout.WrapLongRows) a 1024 × 768 panel read
    ragged, "Hand  right" and "Modality  DX" beside their names between dates and sizes under theirs."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        layout = QVBoxLayout(self)
        self.values: dict[str, dict[str, QLabel]] = {}
        self.forms: list[QFormLayout] = []
        for role in ("Baseline", "Follow-up"):
            box = QGroupBox(role)
            form = QFormLayout(box)
            form.setLabelAlignment(Qt.AlignRight)
            # The gap between a name and its value is the value's own margin: it indents a value under its name, and
            # `arrange` counts it in what a value needs beside its name.
            gap = max(form.horizontalSpacing(), 0)
            form.setHorizontalSpacing(0)
            labels = {}
            for name in FIELDS:
                label = QLabel("—") if name in UNBROKEN else WrappedValue("—")
                label.setTextInteractionFlags(Qt.TextSelectableByMouse)
                label.setWordWrap(name not in UNBROKEN)
                label.setContentsMargins(gap, 0, 0, 0)
                form.addRow(name, label)
                form.labelForField(label).setAlignment(Qt.AlignRight | Qt.AlignTop)  # beside a long value's first line
                labels[name] = label
            self.values[role] = labels
            self.forms.append(form)
            layout.addWidget(box)
        layout.addStretch(1)
        self.setMinimumWidth(MIN_WIDTH)
        self.arrange()

    def width_beside(self) -> int:
        """The panel's least width with every value beside its name: the widest name, the widest value (a wrapped
        one: `WrappedValue.minimumSizeHint`) and the margins of the panel, its boxes and their forms."""
        outer = self.layout().contentsMargins()
        most = 0
        for form in self.forms:
            box, inner = form.parentWidget().contentsMargins(), form.contentsMargins()
            chrome = outer.left() + outer.right() + box.left() + box.right() + inner.left() + inner.right()
            names = max(form.itemAt(row, QFormLayout.LabelRole).widget().sizeHint().width()
                        for row in range(form.rowCount()))
            values = max(form.itemAt(row, QFormLayout.FieldRole).widget().minimumSizeHint().width()
                         for row in range(form.rowCount()))
            most = max(most, chrome + names + values)
        return most

    def arrange(self) -> None:
        """Every value of both visits beside its name where the panel is wide enough for all of them (a 240 px
        panel), else every value under its name (1024 × 768): never some beside and some under."""
        policy = QFormLayout.DontWrapRows if self.width() >= self.width_beside() else QFormLayout.WrapAllRows
        for form in self.forms:
            if form.rowWrapPolicy() != policy:
                form.setRowWrapPolicy(policy)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        self.arrange()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (a style sheet or font: the names and values' widths)
        super().changeEvent(event)
        if event.type() in (QEvent.StyleChange, QEvent.FontChange):
            self.arrange()

    def set_radiograph(self, role: str, radiograph: Radiograph | None, shown: str | None = None,
                       hand_chosen: str | None = None) -> None:
        """`shown`, `hand_chosen`: see `hand_text`."""
        values = describe(radiograph, shown, hand_chosen) if radiograph is not None else {}
        for name, label in self.values[role].items():
            label.setText(values.get(name, "—"))
            if name == "File":  # an emptied view names no file
                label.setToolTip(str(radiograph.path) if radiograph is not None and radiograph.path is not None else "")
        self.arrange()  # a longer value may no longer fit beside its name

    def value(self, role: str, name: str) -> str:
        return self.values[role][name].text()
