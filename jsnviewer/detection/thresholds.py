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
