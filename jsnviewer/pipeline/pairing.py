"""Checks on the joints paired by name across the two visits: the hand's size."""

from __future__ import annotations

import numpy as np


def hand_size_ratio(pairs: dict[str, tuple]) -> float | None:
    """The follow-up hand's size over the baseline's: the median, over every two joints paired by name
    ({identity: (baseline detection, follow-up detection)}), of the ratio of their distances; None below
    four pairs.

    Only joints named on both visits count: the hand's size from each visit's own named joints (its spread
    against the template's) changed with which joints were found, and on a real hand against a turned copy
    of itself (true size 100 %) a joint found on one visit only made it 111 %, and every follow-up crop was
    then scaled 11 % wrong. The median keeps one mis-named pair (boxes of different joints) from moving it.
    """
    if len(pairs) < 4:
        return None
    pts = _centres(pairs)
    i, j = np.triu_indices(len(pts), 1)
    d_base = np.hypot(*(pts[i, 0] - pts[j, 0]).T)
    d_follow = np.hypot(*(pts[i, 1] - pts[j, 1]).T)
    ok = d_base > 0
    return float(np.median(d_follow[ok] / d_base[ok])) if ok.any() else None


def _centres(pairs: dict[str, tuple]) -> np.ndarray:
    """(n, visit, xy) box centres of the pairs in name order."""
    return np.array([[pairs[k][0].box[:2], pairs[k][1].box[:2]] for k in sorted(pairs)], dtype=float)
