"""The radiograph type every part of jsnviewer works on, and the identity of its study."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

UNKNOWN_PIXEL_SIZE = "unknown"
GIVEN_PIXEL_SIZE = "set by the program that made the image"
# A hand radiograph's pixel, from fine detectors and film scans (~0.05 mm) to downsized exports (~0.3 mm).
# Outside this a stated size is a placeholder or a wrong unit (1 mm, cm), and believing it ruins the
# measurement or asks for gigabytes of memory: it is ignored and said so.
PLAUSIBLE_PIXEL_SIZE_MM = (0.02, 0.5)
IGNORED_PIXEL_SIZE = "ignored:"

# The most pixels a radiograph may have: Pillow's own limit for pictures (it takes more for a decompression bomb), and
# DICOM is held to the same. A 43 × 43 cm detector at 0.05 mm has 74 million; an image at the limit takes about
# 1.5 GB in the window (float grey levels, the displayed copy), a 12000 × 15000 one (180 million) took 1.8 GB to open.
MAX_PIXELS = 89_478_485


def too_large(width: int, height: int) -> str | None:
    """Why an image of `width` × `height` pixels is not opened (before its pixels are decoded), or None."""
    if width * height <= MAX_PIXELS:
        return None
    return (f"image too large to be a radiograph ({width} x {height} = {width * height:,} pixels; "
            f"jsnviewer opens at most {MAX_PIXELS:,})")


@dataclass
class StudyIdentity:
    """Who and what a radiograph shows. `patient_name` is kept out of reprs (and so out of logs)."""

    patient_id: str | None = None
    study_date: date | None = None
    laterality: str | None = None  # "L", "R", "B" (both hands, `jsnviewer.joints.BOTH`) or None
    # The reader named the hand (Edit ▸ Name joints as the other hand) where the file says another or none.
    laterality_by_reader: bool = False
    modality: str | None = None
    body_part: str | None = None
    study_uid: str | None = None
    series_uid: str | None = None
    patient_name: str | None = field(default=None, repr=False)


@dataclass
class Radiograph:
    """One radiograph: float32 pixels (rows, cols) in the file's own units, bright = bone.

    Grey levels keep the original dynamic range (12/16-bit stay as they are), with rescale
    slope/intercept applied and MONOCHROME1 already inverted. `window_center`/`window_width`
    are the default display levels: the file's window when it has one, otherwise a robust
    percentile window; leave them out and they are computed from the pixels.
    `pixel_size_mm` is None when the file does not say, or says something implausible (then show px,
    never mm; `pixel_size_source` then says what was ignored).
    """

    pixels: np.ndarray = field(repr=False)
    path: Path | None = None
    bits_stored: int = 16
    pixel_size_mm: float | None = None
    pixel_size_source: str = UNKNOWN_PIXEL_SIZE
    window_center: float | None = None
    window_width: float | None = None
    identity: StudyIdentity = field(default_factory=StudyIdentity)

    def __post_init__(self) -> None:
        pixels = np.asarray(self.pixels, dtype=np.float32)
        if pixels.ndim != 2:
            raise ValueError(f"a radiograph is one grey channel (rows, cols), got shape {pixels.shape}")
        pixels = _finite(pixels)
        self.pixels = pixels
        if self.path is not None:
            self.path = Path(self.path)
        if self.pixel_size_mm is None:
            if not self.pixel_size_source.startswith(IGNORED_PIXEL_SIZE):
                self.pixel_size_source = UNKNOWN_PIXEL_SIZE
        else:
            source = GIVEN_PIXEL_SIZE if self.pixel_size_source == UNKNOWN_PIXEL_SIZE else self.pixel_size_source
            low, high = PLAUSIBLE_PIXEL_SIZE_MM
            if low <= self.pixel_size_mm <= high:
                self.pixel_size_mm, self.pixel_size_source = float(self.pixel_size_mm), source
            else:
                self.pixel_size_source = (f"{IGNORED_PIXEL_SIZE} {self.pixel_size_mm:.4g} mm ({source}) is not a hand "
                                          f"radiograph's ({low:g}–{high:g} mm)")
                self.pixel_size_mm = None
        if self.window_center is None or self.window_width is None or not self.window_width > 0:
            self.window_center, self.window_width = percentile_window(pixels, bits_stored=self.bits_stored)
        self.window_center = float(self.window_center)
        self.window_width = float(self.window_width)

    @property
    def shape(self) -> tuple[int, int]:
        return self.pixels.shape  # type: ignore[return-value]

    @property
    def height(self) -> int:
        return int(self.pixels.shape[0])

    @property
    def width(self) -> int:
        return int(self.pixels.shape[1])


def _finite(pixels: np.ndarray) -> np.ndarray:
    """A float image's NaN and −∞ pixels (holes, failed processing) as its darkest value, +∞ as its
    brightest: every later step needs numbers."""
    finite = np.isfinite(pixels)
    if finite.all():
        return pixels
    values = pixels[finite]
    low, high = (float(values.min()), float(values.max())) if values.size else (0.0, 0.0)
    log.warning("%d pixels are not numbers (NaN or infinite): shown as the darkest / brightest value", int((~finite).sum()))
    return np.nan_to_num(pixels, nan=low, neginf=low, posinf=high)


def percentile_window(pixels: np.ndarray, low: float = 0.5, high: float = 99.5,
                      bits_stored: int | None = None) -> tuple[float, float]:
    """Display levels (centre, width) spanning the 0.5–99.5 % grey levels, robust to a few hot pixels. A flat
    image (one grey level) gets the file's whole range when `bits_stored` is given, so that a black exposure
    shows black and a white one white, not both mid-grey."""
    step = max(1, int(np.sqrt(pixels.size / 1_000_000)))  # a million samples pin the percentiles down
    sample = pixels[::step, ::step]
    values = sample[np.isfinite(sample)]
    if values.size == 0:
        return 0.0, 1.0
    lo, hi = np.percentile(values, [low, high])
    if hi <= lo:  # flat image: still a usable window
        lo, hi = float(values.min()), float(values.max())
    if hi <= lo and bits_stored is not None:
        return _flat_window(float(lo), bits_stored)
    # No floor of one grey level: a float radiograph in 0..1 would get a window twice its span or more (and
    # the detector, which normalises with this window, that much less contrast).
    width = float(hi - lo) if hi > lo else 1.0
    return float(lo + hi) / 2.0, width


def _flat_window(value: float, bits_stored: int) -> tuple[float, float]:
    """The range the one grey level of a flat image lies in: the stored bits' (integers) or 0..1 (floats)."""
    for top in ((2.0 ** bits_stored - 1.0) if bits_stored <= 16 else 0.0, 1.0):
        if top > 0 and 0.0 <= value <= top:
            return top / 2.0, top
    return value, 1.0


@dataclass(frozen=True)
class StoredPixels:
    """Pixels as unsigned 16-bit integers for a file: value = stored * slope + intercept."""

    values: np.ndarray  # uint16
    slope: float
    intercept: float
    bits_stored: int

    @property
    def is_identity(self) -> bool:
        return self.slope == 1.0 and self.intercept == 0.0


def to_stored_pixels(radiograph: Radiograph) -> StoredPixels:
    """Integer data in 0..65535 is stored as it is (exact round trip); other integer data with a
    range up to 65535 is shifted by an intercept (also exact); anything else is quantised to 16 bits."""
    pixels = radiograph.pixels
    if not np.all(np.isfinite(pixels)):
        raise ValueError("cannot save a radiograph with NaN or infinite pixels")
    lo, hi = float(pixels.min()), float(pixels.max())
    integral = bool(np.all(pixels == np.round(pixels)))
    if integral and lo >= 0 and hi <= 65535:
        slope, intercept = 1.0, 0.0
        values = pixels.astype(np.uint16)
    elif integral and hi - lo <= 65535:
        slope, intercept = 1.0, lo
        values = (pixels.astype(np.float64) - lo).astype(np.uint16)
    else:
        slope, intercept = (hi - lo) / 65535.0 if hi > lo else 1.0, lo
        values = np.round((pixels.astype(np.float64) - lo) / slope).astype(np.uint16)
    needed = max(int(values.max()).bit_length(), 1)
    bits = min(max(int(radiograph.bits_stored), needed), 16)
    return StoredPixels(values, slope, intercept, bits)
