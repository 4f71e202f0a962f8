"""What a reader sees of a colour: WCAG contrast, and the colour a red/green colour-blind reader sees
(Machado, Oliveira & Fernandes 2009, severity 1.0), for the tests of the palette and the labels."""

from __future__ import annotations

import numpy as np
from skimage.color import rgb2lab

MACHADO = {
    "deuteranopia": np.array([[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413],
                              [-0.011820, 0.042940, 0.968881]]),
    "protanopia": np.array([[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216],
                            [-0.003882, -0.048116, 1.051998]]),
}


def linear(rgb) -> np.ndarray:
    c = np.asarray(rgb, float) / 255.0
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def srgb(lin: np.ndarray) -> np.ndarray:
    c = np.clip(lin, 0.0, 1.0)
    return 255.0 * np.where(c <= 0.0031308, 12.92 * c, 1.055 * c ** (1 / 2.4) - 0.055)


def seen_by(rgb, vision: str) -> np.ndarray:
    """The colour as a reader with `vision` ('normal', 'deuteranopia', 'protanopia') sees it."""
    return np.asarray(rgb, float) if vision == "normal" else srgb(MACHADO[vision] @ linear(rgb))


def luminance(rgb) -> float:
    return float(linear(rgb) @ np.array([0.2126, 0.7152, 0.0722]))


def contrast(a, b) -> float:
    """WCAG contrast ratio (1 to 21); text needs 4.5 (AA)."""
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def delta_e(a, b) -> float:
    """CIELAB ΔE*76 between two sRGB colours (0–255)."""
    la, lb = (rgb2lab(np.asarray(c, float).reshape(1, 1, 3) / 255.0)[0, 0] for c in (a, b))
    return float(np.linalg.norm(la - lb))


def over(fill_rgba, background) -> tuple[float, float, float]:
    """A translucent fill as it looks over `background`."""
    *rgb, alpha = fill_rgba
    a = alpha / 255.0
    return tuple(a * f + (1 - a) * b for f, b in zip(rgb, background))
