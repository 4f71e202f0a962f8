"""A second look for the joints of a hand that no sure box found, beyond the paper.

The paper keeps a box only above t_conf = 0.9. On real hands a joint the detectors saw less surely
(a little finger's PIP, a thumb) is then simply missing although a box at P(joint) 0.5–0.9 lies on it.
Once the sure boxes are named, the hand's template, fitted to them (`identity.expected_positions`),
says where each missing joint should be; the surest faint box near that place, overlapping no box
kept, is taken as that joint. A faint box anywhere else (the wrist, a stray edge) stays out, so the
false positives do not grow with the lower threshold, and the sure boxes keep their names.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from jsnviewer.detection.boxes import iou
from jsnviewer.detection.ensemble import EnsembleBox
from jsnviewer.detection.identity import expected_positions, mcp_spacing

# Faint boxes down to this joint confidence are looked at.
SECOND_LOOK_CONF = 0.5
# How far (in MCP spacings) a faint box may lie from where its joint should be: leaving one joint out of
# the 12 landmarked real hands, the fitted template puts it within 0.36 (median), 0.69 (90 %), 0.83 (most)
# spacings of its landmark; the next joint of the hand is a spacing or more away, and already has a box.
SECOND_LOOK_RADIUS = 0.85
# A hand's layout is believed from this many named joints (it then also fixes the hand's size).
SECOND_LOOK_MIN_NAMED = 6


def second_look(found: list[EnsembleBox], identities: list[str | None], faint: list[EnsembleBox],
                iou1: float) -> list[tuple[EnsembleBox, str]]:
    """The faint boxes (joint cores, best first) taken as the joints `found` (named `identities`) lacks,
    each with its name."""
    named = [k for k, name in enumerate(identities) if name]
    if len(named) < SECOND_LOOK_MIN_NAMED or not faint:
        return []
    centres = np.array([found[k].box[:2] for k in named], dtype=float)
    names = [identities[k] for k in named]
    spacing = mcp_spacing(centres, names)
    if not spacing:
        return []
    kept = [m.box for m in found]
    taken: list[tuple[EnsembleBox, str]] = []
    for name, (x, y) in expected_positions(centres, names).items():
        near = [m for m in faint if math.hypot(m.box[0] - x, m.box[1] - y) <= SECOND_LOOK_RADIUS * spacing
                and not _overlaps(m.box, kept, iou1)]
        if near:
            best = max(near, key=lambda m: m.score)
            taken.append((best, name))
            kept.append(best.box)
    return taken


def _overlaps(box: tuple, boxes: list[tuple], iou1: float) -> bool:
    """Whether `box` overlaps any of `boxes` as much as NMS suppresses (t_IoU1)."""
    return bool(boxes) and float(iou(torch.tensor([box]), torch.tensor(boxes)).max()) >= iou1
