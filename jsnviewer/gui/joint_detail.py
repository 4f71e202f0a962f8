"""One analysed joint in detail: the baseline (fixed F), follow-up (moving G) and registered
follow-up (G′) crops with the bone masks, the loss spectra |F − G| and |F − G′| on one colour
scale (the misalignment picture before and after registration), P0/P1, JSN and the verdict.

The words on screen are a radiologist's; the paper's symbols (Wang 2023) follow in brackets:
each bone's movement onto the baseline P = (dz, dθ, dx, dy) reads "Scale" (dz is a ratio, 1 = same size,
shown as the change in %), "Turn" (°), "Shift x" and "Shift y" (crop px); P0 is the upper bone, P1 the lower."""

from __future__ import annotations

import math
from html import escape

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QSize, Qt
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import (
    QCheckBox, QFrame, QGridLayout, QHBoxLayout, QLabel, QScrollArea, QSizePolicy, QVBoxLayout, QWidget,
)

from jsnviewer.gui.fitting import no_tab_stop
from jsnviewer.gui.analysis import transformed_crop
from jsnviewer.gui.results_panel import findings_said
from jsnviewer.pipeline.result import JSN_CONVENTION, NOT_RELIABLE, UNRELIABLE_MARK, signed

# The crops' size on screen: as large as the panel allows (a taller or floating dock) between these, so
# the window still fits a 1280 × 720 screen.
MIN_TILE_PX = 80
MAX_TILE_PX = 384
NUMBERS_MIN_PX = 280
NUMBERS_PX = 440  # what the numbers get before the pictures grow (a wide panel)
UPPER_COLOUR = (0, 229, 255)  # upper (distal) bone outline
LOWER_COLOUR = (255, 213, 79)  # lower (proximal) bone outline
SPECTRUM_MAP = "inferno"
# The mismatch colour scale's least top, in the crops' normalised grey (0–1): a smaller difference, such as the
# resampling noise between two identical crops, stays dark instead of being stretched to the full colours.
LEAST_MISMATCH_TOP = 0.05
RELIABLE_COLOUR, UNRELIABLE_COLOUR = "#7bd88f", "#ffb454"


def to_pixmap(rgb: np.ndarray) -> QPixmap:
    rgb = np.ascontiguousarray(rgb, dtype=np.uint8)
    h, w = rgb.shape[:2]
    image = QImage(rgb.data, w, h, 3 * w, QImage.Format_RGB888)
    return QPixmap.fromImage(image.copy())


def grey_rgb(normalised: np.ndarray) -> np.ndarray:
    """A crop in the normalised grey levels of the registration (1st–99th percentile → 0–1) as RGB."""
    grey = (np.clip(normalised, 0.0, 1.0) * 255.0).astype(np.uint8)
    return np.repeat(grey[..., None], 3, axis=2)


def outline(mask: np.ndarray) -> np.ndarray:
    """The boundary pixels of a mask (inside pixels with a 4-neighbour outside)."""
    m = np.asarray(mask) > 0
    p = np.pad(m, 1)
    inner = p[:-2, 1:-1] & p[2:, 1:-1] & p[1:-1, :-2] & p[1:-1, 2:]
    return m & ~inner


def with_outlines(rgb: np.ndarray, upper: np.ndarray, lower: np.ndarray) -> np.ndarray:
    out = rgb.copy()
    out[outline(upper)] = UPPER_COLOUR
    out[outline(lower)] = LOWER_COLOUR
    return out


def spectrum_rgb(spectrum: np.ndarray, top: float) -> np.ndarray:
    lut = pg.colormap.get(SPECTRUM_MAP).getLookupTable(nPts=256, alpha=False)
    index = (np.clip(spectrum / max(top, 1e-9), 0.0, 1.0) * 255.0).astype(np.uint8)
    return lut[index]


# The bones' movement table: plain words, the paper's symbols under them (columns) or in brackets (rows)
PARAM_COLUMNS = (("Scale", "dz"), ("Turn", "dθ"), ("Shift x", "dx"), ("Shift y", "dy"))
PARAM_ROWS = {"upper": "Upper bone (P0)", "lower": "Lower bone (P1)",
              "network_upper": "Quick first match, upper bone", "network_lower": "Quick first match, lower bone"}
PARAM_NOTE = "Shifts in crop px (+y down), turn + clockwise"
NETWORK_NOTE = "; grey rows: the quick first match, before the fine match"  # the reasons' words for the two steps
PARAMS_TIP = ("Each row moves one bone of the follow-up crop G onto its place in the baseline crop F\n"
              "(the paper's P0 for the upper bone, P1 for the lower; P = (dz, dθ, dx, dy)):\n"
              "Scale (dz): the change of the bone's size, in % (dz − 1)\n"
              "Turn (dθ): rotation in degrees, positive clockwise on screen\n"
              "Shift x (dx), Shift y (dy): movement in crop pixels, +x to the right, +y downwards\n"
              "Quick first match, upper / lower bone (grey): the registration network's estimate, before the fine match\n"
              "JSN = shift y of the upper bone − shift y of the lower bone (dy0 − dy1)")


def param_cells(t) -> list[str]:
    """Scale, turn, shift x, shift y of one bone's movement with their units (shift y in bold: JSN is
    the upper bone's minus the lower bone's)."""
    if t is None:
        return ["–"] * 4
    return [signed(100.0 * (t.dz - 1.0), 2, "%"), signed(math.degrees(t.dtheta), 2) + "°", signed(t.dx, 2, "px"),
            f"<b>{signed(t.dy, 2, 'px')}</b>"]


def _param_row(name: str, t, style: str = "") -> str:
    """One row of the bones' movement table."""
    return (f"<tr style='{style}'><td>{name}</td>"
            + "".join(f"<td align='right'>&nbsp;&nbsp;{c}</td>" for c in param_cells(t)) + "</tr>")


def _reasons_html(joint) -> str:
    """A bullet per reason, what to do once under them all, then what a crop px is where one is used."""
    group, note = joint.reasons_advised()
    html = "<ul style='margin:0'>" + "".join(f"<li>{escape(seen)}</li>" for seen in group.seen) + "</ul>"
    html += f"<div>What to do: {escape(group.todo)}.</div>" if group.todo else ""
    return html + (f"<div style='color:#aaa'>{escape(note[0].upper() + note[1:])}.</div>" if note else "")


class _Sized(QLabel):
    """A label that asks for the largest size the panel allows it (its maximum), never for its picture's
    size (which would feed back into the panel's size); the layout may shrink it down to its minimum."""

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(min(self.maximumWidth(), MAX_TILE_PX), min(self.maximumHeight(), MAX_TILE_PX))


class _Picture(_Sized):
    """A square picture as large as the label, drawn again whenever the label's size changes."""

    def __init__(self) -> None:
        super().__init__()
        self.setMinimumSize(MIN_TILE_PX, MIN_TILE_PX)
        self.setAlignment(Qt.AlignCenter)
        self.rgb: np.ndarray | None = None

    def show_rgb(self, rgb: np.ndarray | None) -> None:
        self.rgb = rgb
        self._render()

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._render()

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.DevicePixelRatioChange:  # moved to a screen of another scale
            self._render()
        return super().event(event)

    def _render(self) -> None:
        if self.rgb is None:
            self.clear()
            return
        # in the screen's own pixels: a picture of the label's size in logical pixels would be enlarged
        # again by a scaled (HiDPI) screen, and blurred
        ratio = self.devicePixelRatioF()
        size = round(min(self.width(), self.height()) * ratio)
        pixmap = to_pixmap(self.rgb).scaled(size, size, Qt.KeepAspectRatio, Qt.SmoothTransformation)
        pixmap.setDevicePixelRatio(ratio)
        self.setPixmap(pixmap)


class _Tile(QWidget):
    def __init__(self, title: str, tip: str):
        super().__init__()
        self.title = QLabel(title)
        self.title.setAlignment(Qt.AlignCenter)
        self.title.setSizePolicy(QSizePolicy.Preferred, QSizePolicy.Fixed)  # one line, right on its crop
        self.title.setToolTip(tip)
        self.image = _Picture()
        self.image.setStyleSheet("background: #000;")
        self.image.setToolTip(tip)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.setSpacing(2)
        layout.addWidget(self.title)
        layout.addWidget(self.image)
        layout.addStretch(1)  # a tall panel's room goes below the crop

    def set_rgb(self, rgb: np.ndarray | None) -> None:
        self.image.show_rgb(rgb)

    def set_size(self, size: int) -> None:
        self.image.setMaximumSize(size, size)


class JointDetailPanel(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("jointDetail")
        self.joint = None
        self._pictures: dict[str, np.ndarray] = {}
        self._top = 1.0  # the loss spectra's common colour scale
        self.tiles = {
            "fixed": _Tile("Baseline (F)", "The baseline crop (fixed image F), upright: the distal bone on top"),
            "moving": _Tile("Follow-up (G)", "The follow-up crop (moving image G) at the baseline's scale"),
            "transformed": _Tile("Registered (G′)",
                                 "The follow-up after registration (G′): its upper bone moved by P0, its lower bone "
                                 "by P1 onto the baseline; blank outside the baseline's bone masks"),
            "spectrum_original": _Tile("Mismatch before",
                                       "Difference of the baseline and the follow-up before registration, |F − G| "
                                       "(the loss spectrum): bright = misaligned"),
            "spectrum_transformed": _Tile("Mismatch after",
                                          "Difference of the baseline and the registered follow-up, |F − G′| "
                                          "(the loss spectrum), on the same colour scale"),
        }
        self.colour_bar = _Sized()
        self.colour_bar.setFixedWidth(14)
        self.colour_bar.setMinimumHeight(MIN_TILE_PX)
        self.colour_bar.setScaledContents(True)
        self.bar_top, self.bar_bottom = QLabel(""), QLabel("")
        self.masks = QCheckBox("Bone masks")
        self.masks.setChecked(True)
        self.masks.setToolTip("Outline the bones the registration used: upper (distal) cyan, lower (proximal) yellow")
        self.masks.toggled.connect(lambda checked: self._show_pictures())
        self.heading = QLabel("Select a joint in the results table")
        self.heading.setObjectName("panelHeading")
        self.numbers = QLabel("")
        self.numbers.setTextFormat(Qt.RichText)
        self.numbers.setWordWrap(True)
        self.numbers.setAlignment(Qt.AlignTop | Qt.AlignLeft)
        self.numbers.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.numbers.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Preferred)
        self.numbers.setToolTip(PARAMS_TIP)

        pictures = QGridLayout()
        pictures.setSpacing(4)
        for column, tile in enumerate(self.tiles.values()):
            pictures.addWidget(tile, 0, column)
        bar = QVBoxLayout()
        bar.setSpacing(0)
        bar.addSpacing(2)  # the scale's top value on the titles' line, the scale itself level with the crops
        bar.addWidget(self.bar_top)
        bar.addSpacing(2)
        bar.addWidget(self.colour_bar)
        bar.addWidget(self.bar_bottom)
        bar.addStretch(1)
        pictures.addLayout(bar, 0, len(self.tiles))
        left = QVBoxLayout()
        left.addLayout(pictures)
        legend = QHBoxLayout()
        legend.addWidget(self.masks)
        for text, rgb in (("upper bone", UPPER_COLOUR), ("lower bone", LOWER_COLOUR)):
            swatch = QLabel(f"■ {text}")
            swatch.setStyleSheet("color: #{:02x}{:02x}{:02x};".format(*rgb))
            legend.addWidget(swatch)
        legend.addStretch(1)
        left.addLayout(legend)
        left.addStretch(1)  # a tall panel's room goes below the legend, which stays under the crops it explains
        numbers = no_tab_stop(QScrollArea())  # a low panel (a small screen) scrolls its last lines instead of cutting them
        numbers.setWidget(self.numbers)
        numbers.setWidgetResizable(True)
        numbers.setFrameShape(QFrame.NoFrame)
        numbers.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        numbers.setMinimumWidth(NUMBERS_MIN_PX)
        right = QVBoxLayout()
        right.addWidget(self.heading)
        right.addWidget(numbers, 1)
        layout = QHBoxLayout(self)
        layout.addLayout(left)
        layout.addLayout(right, 1)
        self.show_joint(None)

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        # Tiles fill the panel's height (title and legend rows take ~90 px) and share the width left of the
        # numbers column. Only their largest size is set: the panel can always shrink back.
        size = int(min(MAX_TILE_PX, self.height() - 90, (self.width() - NUMBERS_PX - 60) / len(self.tiles) - 8))
        size = max(MIN_TILE_PX, size)
        for tile in self.tiles.values():
            tile.set_size(size)
        self.colour_bar.setMaximumHeight(size)

    def show_joint(self, joint) -> None:
        """Fill the panel from a `JointResult` (None empties it)."""
        self.joint = joint
        self._pictures = {}
        if joint is None:
            for tile in self.tiles.values():
                tile.set_rgb(None)
            self.colour_bar.clear()
            self.bar_top.setText("")
            self.bar_bottom.setText("")  # a scale's "0" with no scale beside it
            self.heading.setText("Select a joint in the results table")
            self.numbers.setText("")
            return
        from jsnviewer.segmentation.data import normalise_crop

        c, reg = joint.crops, joint.registration
        self._pictures = {"fixed": grey_rgb(normalise_crop(c.fixed)), "moving": grey_rgb(normalise_crop(c.moving)),
                          "transformed": grey_rgb(transformed_crop(joint))}
        spectra = {k: s for k, s in (("spectrum_original", reg.spectrum_original),
                                      ("spectrum_transformed", reg.spectrum_transformed)) if s is not None}
        self._top = max(max((float(np.max(s)) for s in spectra.values()), default=1.0), LEAST_MISMATCH_TOP)
        for name, s in spectra.items():
            self._pictures[name] = spectrum_rgb(s, self._top)
        self._show_colour_bar()
        self._show_pictures()
        self.heading.setText(f"{joint.identity}: JSN {self._jsn(joint)}"
                             + ("" if joint.reliable else f" <span style='color:{UNRELIABLE_COLOUR}'>not reliable</span>"))
        self.numbers.setText(self._numbers(joint))

    def _show_colour_bar(self) -> None:
        gradient = spectrum_rgb(np.linspace(self._top, 0.0, 256)[:, None].repeat(14, axis=1), self._top)
        self.colour_bar.setPixmap(to_pixmap(gradient))
        self.bar_top.setText(f"{self._top:.2f}")
        self.bar_bottom.setText("0")

    def _show_pictures(self) -> None:
        if self.joint is None:
            return
        c = self.joint.crops
        masks = {"fixed": (c.fixed_upper, c.fixed_lower), "moving": (c.moving_upper, c.moving_lower),
                 "transformed": (c.fixed_upper, c.fixed_lower)}
        for name, tile in self.tiles.items():
            rgb = self._pictures.get(name)
            if rgb is not None and name in masks and self.masks.isChecked():
                rgb = with_outlines(rgb, *masks[name])
            tile.set_rgb(rgb)

    @staticmethod
    def _jsn(joint) -> str:
        text = joint.jsn_text() if joint.jsn_mm is None else f"{joint.jsn_text()} ({signed(joint.jsn_px, 2, 'px')})"
        return text if joint.reliable else f"{text} {UNRELIABLE_MARK}"

    def _numbers(self, joint) -> str:
        reg, c = joint.registration, joint.crops
        if joint.reliable:
            verdict = f"<span style='color:{RELIABLE_COLOUR}'><b>Reliable</b></span>"
        else:
            verdict = f"<span style='color:{UNRELIABLE_COLOUR}'><b>{NOT_RELIABLE}</b></span>" + _reasons_html(joint)
        # identical crops (the same image on both visits) have no loss to lower
        ratio = f" (× {reg.transformed_loss / reg.original_loss:.2f})" if reg.original_loss > 0 else ""
        # "a crop px = 0.0750 mm, 0.429 radiograph px"; with no pixel size, the px alone and why ("a crop px =
        # pixel size unknown, 0.429 radiograph px" read as if a crop px were the unknown pixel size)
        scale = (f"{c.mm_per_px:.4f} mm, {c.baseline_frame.scale:.3f} radiograph px" if c.mm_per_px
                 else f"{c.baseline_frame.scale:.3f} radiograph px (pixel size unknown)")
        table = ("<table cellspacing='0' cellpadding='1'><tr style='color:#aaa'><td rowspan='2'>Bone movement</td>"
                 + "".join(f"<td align='right'>&nbsp;&nbsp;{word}</td>" for word, _ in PARAM_COLUMNS)
                 + "</tr><tr style='color:#888'>"
                 + "".join(f"<td align='right'>{symbol}</td>" for _, symbol in PARAM_COLUMNS) + "</tr>"
                 + _param_row(PARAM_ROWS["upper"], reg.upper) + _param_row(PARAM_ROWS["lower"], reg.lower))
        if reg.network_upper is not None:
            table += (_param_row(PARAM_ROWS["network_upper"], reg.network_upper, "color:#999")
                      + _param_row(PARAM_ROWS["network_lower"], reg.network_lower, "color:#999"))
        note = PARAM_NOTE + (NETWORK_NOTE if reg.network_upper is not None else "")
        rows = [verdict, table + "</table>", f"<span style='color:#aaa'>{note}.</span>"]
        rows += [
            f"Mismatch (loss) before {reg.original_loss:.4f} → after {reg.transformed_loss:.4f}{ratio}, "
            f"L(F,G) → L(F,G′) · method {reg.method} · crop {c.fixed.shape[1]} px, a crop px = {scale}",
            "Findings: " + "; ".join(f"{visit} {escape(findings_said(info))}" for visit, info
                                     in (("baseline", joint.baseline), ("follow-up", joint.followup))),
            f"<span style='color:#aaa'>JSN = shift y of the upper bone − shift y of the lower bone (dy0 − dy1) = "
            f"{signed(joint.jsn_crop_px, 2, 'crop px')} at the joint centre = {signed(joint.jsn_px, 2, 'px')} of the "
            f"baseline radiograph. {JSN_CONVENTION}.</span>",
        ]
        return "<br>".join(rows)
