"""The program's own files beside the code (resources/: the style sheet, the icons; docs/: the manual), also in
the packaged program."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from PySide6.QtCore import QByteArray, Qt
from PySide6.QtGui import QIcon, QPainter, QPixmap


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


def resource_icon(name: str) -> QIcon:
    """resources/icons/<name>.svg, sharp at any size and screen scale, with a dim version for a disabled button
    (Qt's own greying of a light icon on the dark toolbar hardly differs); an empty icon if the file is missing."""
    from PySide6.QtSvg import QSvgRenderer

    path = resources_dir() / "icons" / f"{name}.svg"
    if not path.is_file():
        return QIcon()
    icon = QIcon(str(path))
    dim = path.read_bytes()
    for colour in ICON_COLOURS:
        dim = dim.replace(colour, DISABLED_ICON_COLOUR)
    renderer = QSvgRenderer(QByteArray(dim))
    for size in (16, 20, 24, 32, 40, 48, 64):
        pixmap = QPixmap(size, size)
        pixmap.fill(Qt.transparent)
        painter = QPainter(pixmap)
        renderer.render(painter)
        painter.end()
        icon.addPixmap(pixmap, QIcon.Disabled)
    return icon
