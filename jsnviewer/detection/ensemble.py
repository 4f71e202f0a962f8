"""Algorithm 1 of the paper: merge the ankylosis and the subluxation detector.

Boxes of the two detectors with IoU > t_IoU2 are one joint: the more confident box is kept and
carries both detectors' class probabilities (lines 5–18). A box seen by one detector only gets
the negative class probability c_neg for the other finding (lines 19–23). When more than M1
boxes remain, the single-detector boxes are added best first until M1 (lines 24–29).

Two readings of the pseudo-code are made explicit: line 19 ("n(B) ≠ i") is read as "box i of
detector 1 found no partner" (taken literally it would file every later box of detector 1 as
unmatched after the first miss), and lines 21–23 run once, after the loop over detector 1.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from jsnviewer.detection.boxes import iou
from jsnviewer.detection.model import BACKGROUND

# c_neg: "finding absent" with certainty, for the detector that did not see the joint.
C_NEG: tuple[float, float, float] = (0.0, 1.0, 0.0)

Box = tuple[float, float, float, float]
Probs = tuple[float, float, float]


@dataclass
class EnsembleBox:
    box: Box
    c1: Probs  # ankylosis detector: background, absent, present
    c2: Probs  # subluxation detector
    score: float  # ĉ: the kept box's joint confidence, P(absent) + P(present)
    source: str  # "both", "1" or "2": which detector(s) saw it
    origin: int  # the index of the kept box in its detector's list (B1 if source is "1" or the
    #              detector-1 box won, else B2)


def _joint(c: Probs) -> float:
    """The confidence that a box is a joint at all (see scan.py: t_conf applies to it)."""
    return 1.0 - c[BACKGROUND]


def ensemble(b1: list[tuple[Box, Probs]], b2: list[tuple[Box, Probs]], t_iou2: float = 0.45,
             m1: int = 20) -> list[EnsembleBox]:
    """Merge detector 1's boxes `b1` (best first, at most M1) with detector 2's `b2` (at most M2)."""
    remaining = list(range(len(b2)))  # B2, by index
    overlaps = iou(torch.tensor([b for b, _ in b1]), torch.tensor([b for b, _ in b2])).tolist() if b1 and b2 else []
    merged: list[EnsembleBox] = []  # B
    single: list[EnsembleBox] = []  # B'
    for i, (box1, c1) in enumerate(b1):
        matched = False
        for j in list(remaining):
            box2, c2 = b2[j]
            if overlaps[i][j] > t_iou2:
                if _joint(c1) > _joint(c2):
                    merged.append(EnsembleBox(box1, c1, c2, _joint(c1), "both", i))
                else:
                    merged.append(EnsembleBox(box2, c1, c2, _joint(c2), "both", j))
                remaining.remove(j)
                matched = True
                break
        if not matched:
            single.append(EnsembleBox(box1, c1, C_NEG, _joint(c1), "1", i))
    for j in remaining:
        box2, c2 = b2[j]
        single.append(EnsembleBox(box2, C_NEG, c2, _joint(c2), "2", j))
    if len(merged) + len(single) > m1:
        single.sort(key=lambda e: e.score, reverse=True)
        merged.extend(single[: max(0, m1 - len(merged))])
    else:
        merged.extend(single)
    return merged
