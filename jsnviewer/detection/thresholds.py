"""The joint search's settings (Izumi et al. 2024), without torch, so the window and the command line can
read and edit them without loading the models."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Thresholds:
    """The paper's inference settings (t_conf, t_IoU1, M1, M2, t_IoU2)."""

    conf: float = 0.9
    iou1: float = 0.15
    m1: int = 20
    m2: int = 18
    iou2: float = 0.45


# What the Settings dialog and the report call each threshold, in the order the joint search uses them; the paper's
# symbols in brackets for those who read it
THRESHOLD_LABELS = {"conf": "Detection confidence (t_conf)", "iou1": "Overlap that removes a box (t_IoU1)",
                    "m1": "Most joints per hand, ankylosis detector and merged (M1)",
                    "m2": "Most joints per hand, subluxation detector (M2)",
                    "iou2": "Overlap that merges two boxes (t_IoU2)"}
