"""Box geometry of the SSD: default boxes, the offset encoding of Eq. 4–5, IoU and NMS.

Boxes are (cx, cy, w, h) in the continuous pixel frame of docs/conventions.md unless a name
says `xyxy` (x0, y0, x1, y1). Pure PyTorch: there is no torchvision here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class PriorConfig:
    """Default boxes of SSD300: one grid of cells per feature map (38, 19, 10, 5, 3, 1).

    `min_sizes`/`max_sizes` are box sides in input pixels; each location gets a min-size square,
    a sqrt(min·max) square and min-size boxes of each extra aspect ratio (and its inverse).
    The defaults put the small scales where the joint cores are at half resolution (~15–60 px,
    see SSDConfig.box_scale); the larger maps keep SSD300's structure.
    """

    image_size: int = 300
    feature_maps: tuple[int, ...] = (38, 19, 10, 5, 3, 1)
    steps: tuple[int, ...] = (8, 16, 32, 64, 100, 300)  # cell size in input pixels (SSD300's)
    min_sizes: tuple[float, ...] = (24.0, 48.0, 96.0, 150.0, 210.0, 264.0)
    max_sizes: tuple[float, ...] = (48.0, 96.0, 150.0, 210.0, 264.0, 315.0)
    aspect_ratios: tuple[tuple[float, ...], ...] = ((2.0,), (2.0, 3.0), (2.0, 3.0), (2.0, 3.0), (2.0,), (2.0,))

    def boxes_per_location(self) -> list[int]:
        return [2 + 2 * len(ar) for ar in self.aspect_ratios]


def default_boxes(cfg: PriorConfig) -> torch.Tensor:
    """All default boxes d_i as an (N, 4) tensor (cx, cy, w, h) in input pixels, in head order."""
    out: list[list[float]] = []
    for k, f in enumerate(cfg.feature_maps):
        step = cfg.steps[k]
        s_min = cfg.min_sizes[k]
        s_mid = math.sqrt(s_min * cfg.max_sizes[k])
        for i in range(f):
            for j in range(f):
                cx = (j + 0.5) * step
                cy = (i + 0.5) * step
                out.append([cx, cy, s_min, s_min])
                out.append([cx, cy, s_mid, s_mid])
                for ar in cfg.aspect_ratios[k]:
                    r = math.sqrt(ar)
                    out.append([cx, cy, s_min * r, s_min / r])
                    out.append([cx, cy, s_min / r, s_min * r])
    return torch.tensor(out, dtype=torch.float32)


def encode(boxes: torch.Tensor, priors: torch.Tensor, variances: tuple[float, float] = (1.0, 1.0)) -> torch.Tensor:
    """Eq. 4–5: offsets ĝ of boxes g from default boxes d, divided by `variances` (SSD practice;
    (1, 1) is the paper's formula literally)."""
    g_cxcy = (boxes[..., :2] - priors[..., :2]) / priors[..., 2:]
    g_wh = torch.log(boxes[..., 2:] / priors[..., 2:])
    return torch.cat([g_cxcy / variances[0], g_wh / variances[1]], dim=-1)


def decode(offsets: torch.Tensor, priors: torch.Tensor, variances: tuple[float, float] = (1.0, 1.0)) -> torch.Tensor:
    """The inverse of `encode`: boxes b restored from predicted offsets and default boxes."""
    cxcy = priors[..., :2] + offsets[..., :2] * variances[0] * priors[..., 2:]
    wh = priors[..., 2:] * torch.exp(offsets[..., 2:] * variances[1])
    return torch.cat([cxcy, wh], dim=-1)


def to_xyxy(boxes: torch.Tensor) -> torch.Tensor:
    half = boxes[..., 2:] / 2
    return torch.cat([boxes[..., :2] - half, boxes[..., :2] + half], dim=-1)


def iou(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """IoU matrix (len(a), len(b)) of two sets of (cx, cy, w, h) boxes."""
    ax, bx = to_xyxy(a), to_xyxy(b)
    lt = torch.maximum(ax[:, None, :2], bx[None, :, :2])
    rb = torch.minimum(ax[:, None, 2:], bx[None, :, 2:])
    inter = (rb - lt).clamp(min=0).prod(dim=-1)
    area_a = (a[:, 2] * a[:, 3])[:, None]
    area_b = (b[:, 2] * b[:, 3])[None, :]
    return inter / (area_a + area_b - inter).clamp(min=1e-12)


def nms(boxes: torch.Tensor, scores: torch.Tensor, iou_threshold: float, top_k: int | None = None) -> torch.Tensor:
    """Indices of the boxes kept by greedy NMS, best score first.

    A box is removed when its IoU with a kept, higher-scoring box is >= `iou_threshold`
    (the paper's "equal to or greater than t_IoU1"). At most `top_k` are kept.
    """
    order = torch.argsort(scores, descending=True, stable=True)
    if len(order) == 0:
        return order
    overlaps = iou(boxes[order], boxes[order])
    suppressed = torch.zeros(len(order), dtype=torch.bool)
    keep: list[int] = []
    for pos in range(len(order)):
        if suppressed[pos]:
            continue
        keep.append(pos)
        if top_k is not None and len(keep) >= top_k:
            break
        suppressed |= overlaps[pos] >= iou_threshold
    return order[torch.tensor(keep, dtype=torch.long)]
