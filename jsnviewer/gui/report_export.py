"""The printable report of an analysis: the overview picture (both radiographs with each joint's
box, findings and JSN, from `jsnviewer.pipeline.report.overview_image`) and the results table,
as a one-page PDF (QPdfWriter) or a PNG. The numbers are the ones of results.csv (`csv_rows`).
Safe to call from a worker thread (QImage and QPdfWriter painting need no GUI thread) once
`load_image_plugins()` has run on the GUI thread."""

from __future__ import annotations

import functools
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QMarginsF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QImage, QImageReader, QImageWriter, QPageLayout, QPageSize, QPainter, QPdfWriter

from jsnviewer.atomic import atomic_write
from jsnviewer.errors import JsnError


@functools.cache
def load_image_plugins() -> None:
    """Create Qt's image-format plugins on the GUI thread (call it there, once, at start).

    Left to the first report, they are created in the worker that paints it (QPdfWriter asks
    QImageWriter for its formats), and moving them to the GUI thread takes a Qt lock while that
    worker holds Python's GIL: if the GUI thread is at the same time inside Qt holding that lock
    and waiting for the GIL (it disconnects a finished worker's signals), both wait forever. Seen
    once in CI exporting a PDF and a PNG at once."""
    QImageWriter.supportedImageFormats()
    QImageReader.supportedImageFormats()


WIDTH = 1800  # logical units of the layout (px of the PNG)
MARGIN = 40
ROW_H = 30
COLUMNS = (("Joint", 90), ("JSN mm", 120), ("JSN px", 110), ("Reliable", 100), ("Baseline findings", 220),
           ("Follow-up findings", 220), ("Notes", 0))  # 0: the rest of the width
MAX_OVERVIEW_H = 1150


def _font(pixels: int, bold: bool = False) -> QFont:
    font = QFont()
    font.setPixelSize(pixels)
    font.setBold(bold)
    return font


def _qimage(picture) -> QImage:
    rgb = picture.convert("RGB")
    data = rgb.tobytes()
    return QImage(data, rgb.width, rgb.height, 3 * rgb.width, QImage.Format_RGB888).copy()


class _Layout:
    def __init__(self, result, overview: QImage):
        from jsnviewer.pipeline.report import csv_rows

        self.result, self.overview = result, overview
        self.rows = csv_rows(result)
        scale = min((WIDTH - 2 * MARGIN) / overview.width(), MAX_OVERVIEW_H / overview.height())
        self.overview_size = (overview.width() * scale, overview.height() * scale)
        self.header_h = 120 + 26 * len(result.warnings)
        self.height = int(self.header_h + self.overview_size[1] + 30 + ROW_H * (len(self.rows) + 1) + 110)

    def paint(self, p: QPainter) -> None:
        r = self.result
        p.fillRect(QRectF(0, 0, WIDTH, self.height), QColor("white"))
        p.setPen(QColor("black"))
        p.setFont(_font(30, bold=True))
        p.drawText(QRectF(MARGIN, 20, WIDTH, 40), Qt.AlignLeft, "Joint space narrowing: follow-up analysis")
        p.setFont(_font(18))
        b, f = r.baseline, r.followup
        line = (f"Patient ID {b.patient_id or '–'} · hand {b.laterality or '–'} · baseline {b.study_date or 'date unknown'} "
                f"({b.file_name}) · follow-up {f.study_date or 'date unknown'} ({f.file_name})")
        p.drawText(QRectF(MARGIN, 66, WIDTH - 2 * MARGIN, 26), Qt.AlignLeft, line)
        y = 96
        p.setPen(QColor("#b35900"))
        for warning in r.warnings:
            p.drawText(QRectF(MARGIN, y, WIDTH - 2 * MARGIN, 26), Qt.AlignLeft, f"⚠ {warning}")
            y += 26
        y = self.header_h
        w, h = self.overview_size
        p.drawImage(QRectF(MARGIN + (WIDTH - 2 * MARGIN - w) / 2, y, w, h), self.overview)
        y += h + 30
        widths = [c[1] or (WIDTH - 2 * MARGIN - sum(x[1] for x in COLUMNS)) for c in COLUMNS]
        keys = ("identity", "jsn_mm", "jsn_px", "reliable", "baseline_findings", "followup_findings", "reliability_reasons")
        p.setFont(_font(18, bold=True))
        p.setPen(QColor("black"))
        x = MARGIN
        for (title, _), width in zip(COLUMNS, widths):
            p.drawText(QRectF(x + 4, y, width - 8, ROW_H), Qt.AlignVCenter | Qt.AlignLeft, title)
            x += width
        p.drawLine(MARGIN, int(y + ROW_H), WIDTH - MARGIN, int(y + ROW_H))
        y += ROW_H
        p.setFont(_font(17))
        metrics = p.fontMetrics()
        for number, row in enumerate(self.rows):
            if number % 2:
                p.fillRect(QRectF(MARGIN, y, WIDTH - 2 * MARGIN, ROW_H), QColor("#f0f0f0"))
            p.setPen(QColor("black") if row.get("reliable") == "yes" else QColor("#666666"))
            x = MARGIN
            for key, width in zip(keys, widths):
                text = str(row.get(key, "") or "")
                if key.endswith("_findings"):
                    text = text.replace(";", ", ")
                align = Qt.AlignRight if key.startswith("jsn") else Qt.AlignLeft
                text = metrics.elidedText(text, Qt.ElideRight, int(width - 8))
                p.drawText(QRectF(x + 4, y, width - 12, ROW_H), Qt.AlignVCenter | align, text)
                x += width
            y += ROW_H
        p.setPen(QColor("#333333"))
        p.setFont(_font(16))
        s = r.settings
        notes = [
            "JSN progression = follow-up minus baseline joint space width (narrowing is negative). "
            "Not reliable: the registration did not clearly align the bones (see Notes).",
            f"Analysis: registration {s.get('registration_method', '–')}, device {s.get('device', '–')}, "
            f"t_conf {s.get('conf', '–')}, t_IoU1 {s.get('iou1', '–')}, M1 {s.get('m1', '–')}, M2 {s.get('m2', '–')}, "
            f"t_IoU2 {s.get('iou2', '–')}. Report made {datetime.now():%Y-%m-%d %H:%M} by jsnviewer.",
        ]
        for note in notes:
            y += 8
            p.drawText(QRectF(MARGIN, y, WIDTH - 2 * MARGIN, 44), Qt.AlignLeft | Qt.TextWordWrap, note)
            y += 44


def write_report(path: str | Path, result, baseline, followup) -> Path:
    """A PDF (path ending .pdf) or PNG report of `result`; written atomically."""
    from jsnviewer.pipeline.report import overview_image

    path = Path(path)
    kind = path.suffix.lower()
    if kind not in (".pdf", ".png"):
        raise JsnError(f"{path.name}: a report is a .pdf or a .png file")
    layout = _Layout(result, _qimage(overview_image(result, baseline, followup)))

    def write(tmp: Path) -> None:
        if kind == ".png":
            image = QImage(WIDTH, layout.height, QImage.Format_RGB32)
            painter = QPainter(image)
            layout.paint(painter)
            painter.end()
            if not image.save(str(tmp), "PNG"):
                raise OSError(f"cannot write {path}")
            return
        writer = QPdfWriter(str(tmp))
        writer.setPageLayout(QPageLayout(QPageSize(QPageSize.A4), QPageLayout.Portrait, QMarginsF(10, 10, 10, 10),
                                         QPageLayout.Millimeter))
        writer.setResolution(300)
        writer.setTitle("Joint space narrowing report")
        painter = QPainter(writer)
        page_w, page_h = writer.width(), writer.height()
        scale = min(page_w / WIDTH, page_h / layout.height)
        painter.scale(scale, scale)
        layout.paint(painter)
        painter.end()

    return atomic_write(path, write)
