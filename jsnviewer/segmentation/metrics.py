"""The segmentation metrics of the registration paper (Table 6), on boolean masks.

Each metric is computed per crop and per bone from the pixel confusion counts, then averaged
over crops; "overall" is the mean over both bones. mIoU is the mean over crops of the bone's
intersection over union (the foreground class, as DSC), which is how Table 6's mIoU and DSC
relate (IoU = DSC / (2 − DSC)).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

METRICS = ("miou", "sensitivity", "specificity", "dsc", "accuracy")
BONES = ("upper", "lower")


@dataclass(frozen=True)
class Confusion:
    tp: int
    fp: int
    fn: int
    tn: int

    @classmethod
    def of(cls, predicted: np.ndarray, truth: np.ndarray) -> Confusion:
        p = np.asarray(predicted, bool)
        t = np.asarray(truth, bool)
        if p.shape != t.shape:
            raise ValueError(f"mask shapes differ: {p.shape} vs {t.shape}")
        tp = int(np.count_nonzero(p & t))
        fp = int(np.count_nonzero(p & ~t))
        fn = int(np.count_nonzero(~p & t))
        return cls(tp, fp, fn, p.size - tp - fp - fn)


def _ratio(num: int, den: int) -> float:
    # An empty denominator means there was nothing to get wrong (e.g. no bone and none found).
    return 1.0 if den == 0 else num / den


def iou(c: Confusion) -> float:
    return _ratio(c.tp, c.tp + c.fp + c.fn)


def dsc(c: Confusion) -> float:
    return _ratio(2 * c.tp, 2 * c.tp + c.fp + c.fn)


def sensitivity(c: Confusion) -> float:
    return _ratio(c.tp, c.tp + c.fn)


def specificity(c: Confusion) -> float:
    return _ratio(c.tn, c.tn + c.fp)


def accuracy(c: Confusion) -> float:
    return _ratio(c.tp + c.tn, c.tp + c.fp + c.fn + c.tn)


def crop_metrics(predicted: np.ndarray, truth: np.ndarray) -> dict[str, float]:
    c = Confusion.of(predicted, truth)
    return {"miou": iou(c), "sensitivity": sensitivity(c), "specificity": specificity(c), "dsc": dsc(c), "accuracy": accuracy(c)}


class MetricsTable:
    """Collects per-crop metrics of both bones; `summary()` gives Table 6's columns per bone and overall."""

    def __init__(self) -> None:
        self.rows: dict[str, list[dict[str, float]]] = {bone: [] for bone in BONES}

    def add(self, upper_pred, lower_pred, upper_true, lower_true) -> None:
        self.rows["upper"].append(crop_metrics(upper_pred, upper_true))
        self.rows["lower"].append(crop_metrics(lower_pred, lower_true))

    def __len__(self) -> int:
        return len(self.rows["upper"])

    def summary(self) -> dict[str, dict[str, float]]:
        out = {bone: {m: float(np.mean([r[m] for r in rows])) for m in METRICS} for bone, rows in self.rows.items()}
        out["overall"] = {m: float(np.mean([out[b][m] for b in BONES])) for m in METRICS}
        return out
