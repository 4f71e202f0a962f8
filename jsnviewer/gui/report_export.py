"""The printable report of an analysis, as a PDF (A4 landscape, QPdfWriter, vector text) or a PNG.

Page 1: both visits' identity (patient ID, date, hand, file; never the name), the pair's warnings on a
red band, the results table (joints in anatomical order, JSN signed as in the window, the reasons for an
unreliable joint wrapped in full), what was not measured, and the notes (JSN convention, program version
and model files with their SHA-256, settings). Then the overview picture
(`jsnviewer.pipeline.overview.overview_image`, cropped to the joints) on a page of its own, but for a few last
lines that would otherwise stand alone on a page before it. A page that
does not hold the table goes on to the next, the table's header repeated; pages after the first repeat
whose study it is. The layout is in points, so the type sizes below are what prints. The PNG is the same
layout, `PNG_WIDTH` px wide, in one piece.

Safe to call from a worker thread (QImage and QPdfWriter painting need no GUI thread) once
`load_image_plugins()` has run on the GUI thread."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QBuffer, QIODevice, QMarginsF, QPointF, QRectF, Qt
from PySide6.QtGui import (
    QColor, QFont, QFontMetricsF, QImage, QImageReader, QImageWriter, QPageLayout, QPageSize, QPainter, QPdfWriter,
)

from jsnviewer import __version__
from jsnviewer.atomic import atomic_write_bytes
from jsnviewer.errors import JsnError
from jsnviewer.registration.result import reasons_said


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


PT = 10  # layout units per point: a QFont's pixel size is whole units, so type sizes go to a tenth of a point
PAGE_W, PAGE_H = 842 * PT, 595 * PT  # A4 landscape
MARGIN = 36 * PT
CONTENT_W = PAGE_W - 2 * MARGIN
PNG_WIDTH = 1800
# type sizes, points
TITLE, BANNER_TITLE, BANNER, HEADING, BODY, NOTE, RUNNING = 16, 14, 11, 11, 9, 8.5, 8
PICTURE_KEPT = 0.9  # the least of its size the overview keeps on a page with the last lines above it
OVERVIEW_LABELS = 8.5  # points, on the page's full width (a picture too tall for it prints a little smaller)
PAD = 2 * PT  # inside a table cell
GAP = 8 * PT  # between sections
IDENTITY_COLUMNS = (("", 70), ("Patient ID", 170), ("Study date", 100), ("Hand", 110), ("File", 0))
RESULT_COLUMNS = (("Joint", 44), ("JSN", 74), ("JSN in px", 68), ("Reliable", 52), ("Baseline findings", 104),
                  ("Follow-up findings", 104), ("Notes", 0))  # points; 0: the rest of the width
RIGHT_ALIGNED = {"JSN", "JSN in px"}
NUMBER_GAP = 6 * PT  # more room right of a right-aligned value: "+2.49 px ?" and the "no" beside it read as one
COLUMN_SPACE = 6 * PT  # at least, between a column's widest value and the next column's: they would read as one
TEXT, GREY, WARNING = "#000000", "#5f5f5f", "#b3261e"
SHADE, RULE = "#eeeeee", "#444444"


def _font(points: float, bold: bool = False) -> QFont:
    font = QFont()
    font.setPixelSize(round(points * PT))
    font.setBold(bold)
    font.setHintingPreference(QFont.PreferNoHinting)  # the same line breaks on the page as in the layout
    return font


def _text_height(text: str, font: QFont, width: float) -> float:
    return QFontMetricsF(font).boundingRect(QRectF(0, 0, width, 1e7), Qt.TextWordWrap, text).height()


def _draw(p: QPainter, rect: QRectF, text: str, font: QFont, colour: str, align=Qt.AlignLeft) -> None:
    p.setFont(font)
    p.setPen(QColor(colour))
    p.drawText(rect, align | Qt.AlignTop | Qt.TextWordWrap, text)


def _qimage(picture) -> QImage:
    rgb = picture.convert("RGB")
    data = rgb.tobytes()
    return QImage(data, rgb.width, rgb.height, 3 * rgb.width, QImage.Format_RGB888).copy()


@dataclass
class Block:
    """A piece of the report, painted with its top at y; `header` is painted above it when it starts a
    page (a table's header above its rows), `keep_with_next` keeps a heading on its section's page."""

    height: float
    paint: Callable[[QPainter, float], None]
    header: Block | None = None
    new_page: bool = False
    keep_with_next: bool = False


def _paragraph(text: str, font: QFont, colour: str = TEXT, after: float = 0.0, keep_with_next: bool = False) -> Block:
    height = _text_height(text, font, CONTENT_W)
    return Block(height + after, lambda p, y: _draw(p, QRectF(MARGIN, y, CONTENT_W, height), text, font, colour),
                 keep_with_next=keep_with_next)


@dataclass
class Cell:
    text: str
    colour: str = TEXT
    bold: bool = False


def _gaps(columns) -> list[float]:
    return [NUMBER_GAP if title in RIGHT_ALIGNED else 0 for title, _ in columns]


def _one_line(cell: Cell, points: float) -> float:
    """The width a cell needs for each of its lines to stay one line, its padding included."""
    metrics = QFontMetricsF(_font(points, cell.bold))
    return max(metrics.horizontalAdvance(line) for line in cell.text.split("\n")) + 2 * PAD + COLUMN_SPACE


def _widths(columns, rows: list[list[Cell]], points: float) -> list[float]:
    """The columns' widths: each its own (0: the rest of the width), then each fixed column whose widest value would
    wrap widened to hold it on one line, taken from the room other columns have beyond their own widest values, the
    rest's first.
    "right hand (from the joints)" stays on one line in a Hand column of 110 pt beside a File column with room to
    spare; the rest (a table's notes) wraps, as it is meant to, where the page has no more room."""
    fixed = sum(w for _, w in columns) * PT
    widths = [w * PT or CONTENT_W - fixed for _, w in columns]
    needs = [max(_one_line(row[n], points) for row in rows) + gap for n, gap in enumerate(_gaps(columns))]
    donors = sorted(range(len(columns)), key=lambda n: columns[n][1] != 0)  # the rest first
    for n, (_, width) in enumerate(columns):
        for donor in donors:
            if not width or widths[n] >= needs[n]:
                break
            given = max(0.0, min(needs[n] - widths[n], widths[donor] - needs[donor]))
            widths[donor] -= given
            widths[n] += given
    return widths


def _row(cells: list[Cell], columns, widths: list[float], points: float, shade: str | None = None,
         rule: bool = False) -> Block:
    """One table row in columns `widths` wide; every cell wraps, and the row is as high as its tallest cell."""
    gaps = _gaps(columns)
    widths = [w - gap for w, gap in zip(widths, gaps)]
    fonts = [_font(points, c.bold) for c in cells]
    height = max(_text_height(c.text, f, w - 2 * PAD) for c, f, w in zip(cells, fonts, widths)) + 2 * PAD

    def paint(p: QPainter, y: float) -> None:
        if shade:
            p.fillRect(QRectF(MARGIN, y, CONTENT_W, height), QColor(shade))
        x = MARGIN
        for cell, font, width, gap, (title, _) in zip(cells, fonts, widths, gaps, columns):
            align = Qt.AlignRight if title in RIGHT_ALIGNED else Qt.AlignLeft
            _draw(p, QRectF(x + PAD, y + PAD, width - 2 * PAD, height - 2 * PAD), cell.text, font, cell.colour, align)
            x += width + gap
        if rule:
            p.setPen(QColor(RULE))
            p.drawLine(QPointF(MARGIN, y + height), QPointF(MARGIN + CONTENT_W, y + height))

    return Block(height, paint)


def _table(columns, rows: list[list[Cell]], points: float) -> list[Block]:
    titles = [Cell(title, bold=True) for title, _ in columns]
    widths = _widths(columns, [titles, *rows], points)
    header = _row(titles, columns, widths, points, rule=True)
    blocks = [_row(cells, columns, widths, points, SHADE if n % 2 else None) for n, cells in enumerate(rows)]
    for block in blocks:
        block.header = header
    return [header] + blocks


def _identity_rows(result) -> list[list[Cell]]:
    """Baseline and follow-up; a follow-up value that contradicts the baseline's in red."""
    from jsnviewer.pipeline.overview import hand_text
    from jsnviewer.radiograph.pair import identity_conflicts

    b, f = result.baseline, result.followup
    conflicts = identity_conflicts(b, f)
    wrong_followup = tuple(code in conflicts for code in ("different-patient", "followup-before-baseline",
                                                          "different-laterality"))
    rows = []
    for name, info, wrong in (("Baseline", b, (False, False, False)), ("Follow-up", f, wrong_followup)):
        values = (info.patient_id or "not stated", info.study_date or "not stated", hand_text(info))
        rows.append([Cell(name, bold=True)] + [Cell(v, WARNING if w else TEXT, w) for v, w in zip(values, wrong)]
                    + [Cell(info.file_name)])
    return rows


def shared_reasons(joints) -> list[str]:
    """The reasons every one of several joints gives (a left and a right hand): said once, not on each row."""
    if len(joints) < 2:
        return []
    return [r for r in joints[0].registration.reasons if all(r in j.registration.reasons for j in joints[1:])]


def result_columns(result) -> tuple:
    """The table's columns: "JSN in px" beside the millimetres only where there are millimetres (without a pixel
    size the JSN column is already in px, and a second, empty one read as a value missing)."""
    with_mm = any(j.jsn_mm is not None for j in result.joints)
    return tuple(c for c in RESULT_COLUMNS if with_mm or c[0] != "JSN in px")


def _result_rows(result, columns) -> list[list[Cell]]:
    from jsnviewer.joints import anatomical
    from jsnviewer.pipeline.result import UNRELIABLE_MARK, signed

    shared = shared_reasons(result.joints)
    titles = [title for title, _ in columns]
    rows = []
    for j in anatomical(result.joints):
        colour = TEXT if j.reliable else GREY
        findings = [visit.findings_said(", ") for visit in (j.baseline, j.followup)]
        own = reasons_said([r for r in j.registration.reasons if r not in shared])
        mark = "" if j.reliable else f" {UNRELIABLE_MARK}"
        cells = [j.identity, j.marked_jsn_text(3, 2), "" if j.jsn_mm is None else signed(j.jsn_px, 2, "px") + mark,
                 "yes" if j.reliable else "no", *findings, "\n".join(own or (["see below the table"] if shared else []))]
        cells = [text for text, (title, _) in zip(cells, RESULT_COLUMNS) if title in titles]
        rows.append([Cell(text, colour, bold=(titles[n] == "Reliable" and not j.reliable)) for n, text in enumerate(cells)])
    return rows


def _banner(warnings: list[str], title_points: float = BANNER_TITLE, points: float = BANNER) -> Block:
    """The pair's warnings in large white type on red, before any number."""
    from jsnviewer.pipeline.overview import PAIR_CHECK

    title, body = _font(title_points, bold=True), _font(points, bold=True)
    width = CONTENT_W - 4 * PAD
    heights = [_text_height(PAIR_CHECK, title, width)] + [_text_height(w, body, width) for w in warnings]
    spacing = 0.3 * points * PT
    height = sum(heights) + spacing * len(warnings) + 5 * PAD

    def paint(p: QPainter, y: float) -> None:
        p.fillRect(QRectF(MARGIN, y, CONTENT_W, height), QColor(WARNING))
        top = y + 2.5 * PAD
        for text, font, h in zip([PAIR_CHECK, *warnings], [title] + [body] * len(warnings), heights):
            _draw(p, QRectF(MARGIN + 2 * PAD, top, width, h), text, font, "#ffffff")
            top += h + spacing

    return Block(height + GAP, paint)


def _overview(picture: QImage, space: float) -> Block:
    """The overview picture, as large as `space` on a page allows, on a page of its own (`_Report._paginate`)."""
    aspect = picture.height() / picture.width()
    width = min(CONTENT_W, space / aspect)
    height = width * aspect
    return Block(height, lambda p, y: p.drawImage(QRectF(MARGIN + (CONTENT_W - width) / 2, y, width, height), picture),
                 new_page=True)


def _notes(result) -> list[str]:
    from jsnviewer.pipeline.report import INTENDED_USE, settings_said, software_text
    from jsnviewer.pipeline.result import JSN_CONVENTION, NOT_RELIABLE, UNRELIABLE_MARK

    return [
        f"{JSN_CONVENTION}, in mm where both radiographs state their pixel size, else in pixels of the baseline "
        "radiograph. Reliable \"no\" (JSN marked "
        f"{UNRELIABLE_MARK}): {NOT_RELIABLE.lower()}; Notes say why and what to do.",
        f"Made {datetime.now():%Y-%m-%d %H:%M} by {software_text(result)}. {settings_said(result.settings)}",
        INTENDED_USE,
    ]


def _running_header(result) -> list[Block]:
    """Above every page after the first: whose study, and the pair's warnings (a page may be read alone)."""
    b, f = result.baseline, result.followup
    line = (f"Joint space narrowing report · Patient ID {b.patient_id or 'not stated'} · baseline "
            f"{b.study_date or 'date not stated'} · follow-up {f.study_date or 'date not stated'}"
            + (f" (follow-up patient ID {f.patient_id})" if f.patient_id and f.patient_id != b.patient_id else ""))
    blocks = [_paragraph(line, _font(RUNNING), GREY, after=PAD)]
    if result.warnings:
        blocks.append(_banner(result.warnings, BANNER, BODY))
    else:
        blocks[-1].height += GAP
    return blocks


class _Report:
    """The report's blocks in reading order, and how they fall on the pages."""

    def __init__(self, result, overview: QImage):
        self.running = _running_header(result)
        self.footer_h = 14 * PT
        blocks = [_paragraph("Joint space narrowing: follow-up analysis", _font(TITLE, bold=True), after=GAP / 2)]
        blocks += _table(IDENTITY_COLUMNS, _identity_rows(result), BODY + 1)
        blocks[-1].height += GAP
        if result.warnings:
            blocks.append(_banner(result.warnings))
        if result.notes:  # what the files do not say: in grey, no alarm
            blocks += [_paragraph(note, _font(BODY), GREY, after=PAD) for note in result.notes]
            blocks[-1].height += GAP
        blocks.append(_paragraph("Joint space narrowing by joint", _font(HEADING, bold=True), after=PAD, keep_with_next=True))
        columns = result_columns(result)
        blocks += _table(columns, _result_rows(result, columns), BODY)
        blocks[-1].height += GAP
        shared = shared_reasons(result.joints)
        if shared:
            blocks.append(_paragraph("\n".join(["Every joint:", *reasons_said(shared)]), _font(BODY, bold=True), WARNING,
                                     after=PAD))
        blocks[-1].height += GAP if shared else 0.0
        missing = result.not_measured(colour=False)  # the overview, with the grey boxes, is on a page of its own
        if missing:
            blocks.append(_paragraph("Not measured", _font(HEADING, bold=True), after=PAD, keep_with_next=True))
            blocks += [_paragraph(line, _font(BODY), after=PAD) for line in missing]
            blocks[-1].height += GAP
        blocks += [_paragraph(note, _font(NOTE), GREY, after=PAD) for note in _notes(result)]
        self.picture = overview
        blocks.append(_overview(overview, self.space(1)))
        self.blocks = blocks
        self.pages = self._paginate()

    def space(self, page: int) -> float:
        """Height a page leaves for blocks: page 0 has the title, the others the running header."""
        running = sum(b.height for b in self.running) if page else 0.0
        return PAGE_H - 2 * MARGIN - self.footer_h - running

    def _paginate(self) -> list[list[Block]]:
        """Blocks onto pages, a table's header repeated atop a page it goes on to. A few lines that spill onto a page
        of their own before the overview (the last notes) go above the picture on its page instead, where it loses at
        most a tenth of its size there (a picture as wide as the page has room to spare below it)."""
        pages: list[list[Block]] = [[]]
        used = 0.0
        for n, block in enumerate(self.blocks):
            if block.new_page and len(pages) > 1 and all(b.header is None for b in pages[-1]):  # lines, no table
                below = _overview(self.picture, self.space(len(pages) - 1) - used - GAP)
                if below.height >= PICTURE_KEPT * block.height:
                    pages[-1].append(Block(below.height + GAP, lambda p, y, below=below: below.paint(p, y + GAP),
                                           new_page=True))
                    continue
            follower = self.blocks[n + 1].height if block.keep_with_next and n + 1 < len(self.blocks) else 0.0
            if pages[-1] and (block.new_page or used + block.height + follower > self.space(len(pages) - 1)):
                pages.append([block.header] if block.header else [])
                used = block.header.height if block.header else 0.0
            pages[-1].append(block)
            used += block.height
        return pages

    def paint_page(self, p: QPainter, number: int) -> None:
        p.fillRect(QRectF(0, 0, PAGE_W, PAGE_H), QColor("white"))
        y = MARGIN
        for block in (self.running if number else []) + self.pages[number]:
            block.paint(p, y)
            y += block.height
        footer = f"jsnviewer {__version__} · page {number + 1} of {len(self.pages)}"
        _draw(p, QRectF(MARGIN, PAGE_H - MARGIN - self.footer_h / 2, CONTENT_W, self.footer_h), footer,
              _font(RUNNING), GREY, Qt.AlignRight)

    def png_height(self) -> float:
        return 2 * MARGIN + sum(b.height + (GAP if b.new_page else 0.0) for b in self.blocks)

    def paint_continuous(self, p: QPainter) -> None:
        """The PNG: every block one under the other, a gap where a page would begin."""
        p.fillRect(QRectF(0, 0, PAGE_W, self.png_height()), QColor("white"))
        y = MARGIN
        for block in self.blocks:
            y += GAP if block.new_page else 0.0
            block.paint(p, y)
            y += block.height


def write_report(path: str | Path, result, baseline, followup) -> Path:
    """A PDF (path ending .pdf) or PNG report of `result`; written atomically."""
    from jsnviewer.pipeline.overview import overview_image

    path = Path(path)
    kind = path.suffix.lower()
    if kind not in (".pdf", ".png"):
        raise JsnError(f"{path.name}: a report is a .pdf or a .png file")
    # the pages after the first show the warnings above it, so the picture goes without its own band
    picture = overview_image(result, baseline, followup, crop_to_joints=True, banner=False,
                             text_fraction=OVERVIEW_LABELS / (CONTENT_W / PT))
    report = _Report(result, _qimage(picture))

    # Drawn into memory, then written by Python: Qt's writers report a full disk only as a failed end() or
    # save() without a reason, and a PDF cut short was once moved over the user's earlier report.
    buffer = QBuffer()
    buffer.open(QIODevice.WriteOnly)
    if kind == ".png":
        scale = PNG_WIDTH / PAGE_W
        image = QImage(PNG_WIDTH, round(report.png_height() * scale), QImage.Format_RGB32)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.Antialiasing)
        painter.scale(scale, scale)
        report.paint_continuous(painter)
        drawn = painter.end() and image.save(buffer, "PNG")
    else:
        writer = QPdfWriter(buffer)
        writer.setPageLayout(QPageLayout(QPageSize(QPageSize.A4), QPageLayout.Landscape, QMarginsF(0, 0, 0, 0),
                                         QPageLayout.Point))
        writer.setResolution(600)
        writer.setTitle("Joint space narrowing report")
        writer.setCreator(f"jsnviewer {__version__}")
        painter = QPainter(writer)
        painter.scale(writer.width() / PAGE_W, writer.height() / PAGE_H)
        for number in range(len(report.pages)):
            if number:
                writer.newPage()
            report.paint_page(painter, number)
        drawn = painter.end()
        del writer  # the PDF's end is written when its writer goes
    if not drawn:
        raise JsnError(f"{path.name}: the report could not be drawn (out of memory?); nothing was written")
    return atomic_write_bytes(path, bytes(buffer.data()))
