"""The program's own files beside the code (resources/: the style sheet, the icons; docs/: the manual), also in
the packaged program."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from PySide6.QtCore import QByteArray, QPoint, QRect, QRectF, QSize, Qt
from PySide6.QtGui import QIcon, QIconEngine, QPainter, QPixmap


def _program_file(name: str) -> Path:
    """A top-level folder beside the package, or inside a frozen bundle."""
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:
        return Path(frozen_root) / name
    return Path(__file__).resolve().parents[2] / name


def resources_dir() -> Path:
    return _program_file("resources")


def style_sheet() -> str:
    """The program's look (resources/style.qss), its pictures (`url(icons/…)`) found wherever the program is installed;
    "" without the file."""
    path = resources_dir() / "style.qss"
    if not path.is_file():
        return ""
    icons = (resources_dir() / "icons").as_posix()
    return re.sub(r"url\(icons/([^)]+)\)", lambda m: f'url("{icons}/{m.group(1)}")', path.read_text(encoding="utf-8"))


def docs_dir() -> Path:
    """The manual's pages (docs/*.md) and their pictures."""
    return _program_file("docs")


ICON_COLOURS = (b"#d8d8d8", b"#5aa9f5")  # the icons' strokes and fills, drawn dim for a disabled button
DISABLED_ICON_COLOUR = b"#5f6166"


class _SvgIcon(QIconEngine):
    """An icon drawn from its SVG at whatever size and screen scale it is asked for, the dim SVG for a disabled
    button. Qt's own SVG icon uses pixmaps added for a mode only at their exact size: at 125 % and 150 % (a 30 or
    36 px toolbar icon) it greyed the light icon itself, brighter than the enabled one."""

    def __init__(self, normal: bytes, disabled: bytes) -> None:
        super().__init__()
        self._svgs = (normal, disabled)
        self._drawn: dict[tuple, QPixmap] = {}

    def _svg(self, mode) -> bytes:
        return self._svgs[1] if mode == QIcon.Disabled else self._svgs[0]

    def paint(self, painter: QPainter, rect, mode, state) -> None:  # noqa: N802
        from PySide6.QtSvg import QSvgRenderer

        QSvgRenderer(QByteArray(self._svg(mode))).render(painter, QRectF(rect))

    def pixmap(self, size: QSize, mode, state) -> QPixmap:
        return self.scaledPixmap(size, mode, state, 1.0)

    def scaledPixmap(self, size: QSize, mode, state, scale: float) -> QPixmap:  # noqa: N802
        key = (size.width(), size.height(), mode == QIcon.Disabled, scale)
        if key not in self._drawn:
            pixmap = QPixmap(size * scale)
            pixmap.setDevicePixelRatio(scale)
            pixmap.fill(Qt.transparent)
            painter = QPainter(pixmap)
            self.paint(painter, QRect(QPoint(0, 0), size), mode, state)
            painter.end()
            self._drawn[key] = pixmap
        return self._drawn[key]

    def clone(self) -> QIconEngine:
        return _SvgIcon(*self._svgs)


def resource_icon(name: str) -> QIcon:
    """resources/icons/<name>.svg, sharp at any size and screen scale, with a dim version for a disabled button
    (Qt's own greying of a light icon on the dark toolbar hardly differs); an empty icon if the file is missing."""
    path = resources_dir() / "icons" / f"{name}.svg"
    if not path.is_file():
        return QIcon()
    normal = dim = path.read_bytes()
    for colour in ICON_COLOURS:
        dim = dim.replace(colour, DISABLED_ICON_COLOUR)
    return QIcon(_SvgIcon(normal, dim))
