"""Whole-radiograph inference of one SSD, as in the paper (Fig. 3a–c).

The radiograph is normalised, halved, cut into 300×300 windows every 150 px (zero padding
beyond the image), every window goes through the network, boxes are decoded (Eq. 4–5) and
mapped back to the full radiograph, kept when their confidence is above t_conf, suppressed
at t_IoU1 and the best M are returned.

The confidence is the probability that a box holds a joint, P(absent) + P(present), not the
paper's larger of the two: with the larger one, a joint whose finding the network is unsure of
(P(absent) ≈ P(present) ≈ 0.5) falls below t_conf = 0.9 and is lost, which is what happened on
real hands once the detectors had learnt that their joints have no finding (docs/detection.md).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from jsnviewer.detection.boxes import decode, nms
from jsnviewer.detection.model import ABSENT, BACKGROUND, PRESENT, SSD300
from jsnviewer.radiograph import percentile_window

WINDOW = 300
STRIDE = 150
HALF = 0.5
MAX_CANDIDATES = 3000


@dataclass
class ScanBox:
    """One detection of one SSD, in full-radiograph coordinates."""

    box: tuple[float, float, float, float]  # cx, cy, w, h: the network's box (the joint core, see box_scale)
    probs: tuple[float, float, float]  # background, finding absent, finding present
    score: float  # joint confidence P(absent) + P(present), compared with t_conf
    window: int  # which window produced it (index into `ScanResult.origins`)
    prior: int  # which default box


@dataclass
class ScanResult:
    boxes: list[ScanBox]
    origins: list[tuple[int, int]]  # (x0, y0) of each window in the working image
    scale: tuple[float, float]  # working image size / full image size, (x, y)


def normalise(pixels: np.ndarray, low: float = 0.5, high: float = 99.5) -> np.ndarray:
    """Window a radiograph to its robust percentile range, to [0, 1] (bone bright)."""
    img = np.asarray(pixels, dtype=np.float32)
    centre, width = percentile_window(img, low, high)
    lo, hi = centre - width / 2, centre + width / 2
    return np.clip((img - lo) / (hi - lo), 0.0, 1.0)


def working_image(pixels: np.ndarray, scale: float = HALF,
                  normalised: np.ndarray | None = None) -> tuple[torch.Tensor, tuple[float, float]]:
    """The normalised radiograph resized by `scale` (area averaging), as a (H', W') tensor,
    and the exact (x, y) factors from full to working coordinates. `normalised`: `normalise(pixels)`,
    when the caller has it already."""
    img = torch.from_numpy(normalise(pixels) if normalised is None else normalised)
    h, w = img.shape
    out_h, out_w = max(1, round(h * scale)), max(1, round(w * scale))
    if (out_h, out_w) != (h, w):
        img = F.interpolate(img[None, None], size=(out_h, out_w), mode="area")[0, 0]
    return img, (out_w / w, out_h / h)


def window_starts(length: int, window: int = WINDOW, stride: int = STRIDE) -> list[int]:
    """Window starts 0, stride, 2·stride, … until a window reaches the end of `length`."""
    starts = [0]
    while starts[-1] + window < length:
        starts.append(starts[-1] + stride)
    return starts


def window_origins(height: int, width: int, window: int = WINDOW, stride: int = STRIDE) -> list[tuple[int, int]]:
    return [(x0, y0) for y0 in window_starts(height, window, stride) for x0 in window_starts(width, window, stride)]


def cut_windows(img: torch.Tensor, origins: list[tuple[int, int]], window: int = WINDOW) -> torch.Tensor:
    """(n, 1, window, window) crops of a (H, W) image; outside the image is zero."""
    h, w = img.shape
    out = torch.zeros(len(origins), 1, window, window, dtype=img.dtype)
    for k, (x0, y0) in enumerate(origins):
        x1, y1 = min(x0 + window, w), min(y0 + window, h)
        out[k, 0, : y1 - y0, : x1 - x0] = img[y0:y1, x0:x1]
    return out


def to_full_frame(boxes: torch.Tensor, origins: torch.Tensor, scale: tuple[float, float]) -> torch.Tensor:
    """Map (n, N, 4) window boxes to the full radiograph: add the window origin, undo the resize.

    In the continuous frame a resize by s maps x to s·x exactly (pixel edges at integers), so
    the inverse is a division; the window origin is an integer offset in working pixels.
    """
    out = boxes.clone()
    out[..., 0] = (boxes[..., 0] + origins[:, None, 0]) / scale[0]
    out[..., 1] = (boxes[..., 1] + origins[:, None, 1]) / scale[1]
    out[..., 2] = boxes[..., 2] / scale[0]
    out[..., 3] = boxes[..., 3] / scale[1]
    return out


def _may_pass(conf: torch.Tensor, t_conf: float) -> torch.Tensor:
    """(windows, boxes) mask of the boxes whose joint confidence may exceed `t_conf`, from their logits: P(background)
    is at least 1 / (1 + 2·exp(d)), d = the larger finding logit minus the background's. The bound is loosened by a
    factor e, far beyond rounding, so every box above `t_conf` is among them; softmax over the few is cheaper."""
    if not 0.0 < t_conf < 1.0:
        return torch.ones(conf.shape[:-1], dtype=torch.bool)
    d = torch.maximum(conf[..., ABSENT], conf[..., PRESENT]) - conf[..., BACKGROUND]
    return d > math.log(t_conf / (2.0 * (1.0 - t_conf))) - 1.0


@torch.no_grad()
def scan(model: SSD300, pixels: np.ndarray, t_conf: float = 0.9, t_iou1: float = 0.15, top_m: int = 20,
         scale: float = HALF, batch: int = 8, progress: Callable[[float], None] | None = None,
         normalised: np.ndarray | None = None) -> ScanResult:
    """Run one SSD over a whole radiograph (full-resolution `pixels`, any grey range; `normalised`: their
    `normalise(pixels)`, when the caller has it already). `progress(fraction)` is called after every batch
    of windows (and may raise to cancel)."""
    model.eval()
    img, factors = working_image(pixels, scale, normalised)
    origins = window_origins(*img.shape)
    crops = cut_windows(img, origins)
    device = model.priors.device
    locs, confs = [], []
    for k in range(0, len(crops), batch):
        loc, conf = model(crops[k: k + batch].to(device))
        locs.append(loc.cpu())
        confs.append(conf.cpu())
        if progress:
            progress(min(1.0, (k + batch) / len(crops)))
    loc, conf = torch.cat(locs), torch.cat(confs)
    win_idx, prior_idx = _may_pass(conf, t_conf).nonzero(as_tuple=True)
    probs = conf[win_idx, prior_idx].softmax(dim=-1)
    score = 1.0 - probs[:, BACKGROUND]  # joint confidence: P(absent) + P(present)
    keep = score > t_conf
    if not keep.any():
        return ScanResult([], origins, factors)
    win_idx, prior_idx, probs, score = win_idx[keep], prior_idx[keep], probs[keep], score[keep]
    if len(win_idx) > MAX_CANDIDATES:  # bound NMS's cost when a low t_conf lets many boxes through
        top = torch.topk(score, MAX_CANDIDATES).indices
        win_idx, prior_idx, probs, score = win_idx[top], prior_idx[top], probs[top], score[top]
    priors = model.priors.cpu()
    boxes = decode(loc[win_idx, prior_idx], priors[prior_idx], model.config.variances)
    origin_t = torch.tensor(origins, dtype=torch.float32)[win_idx]
    boxes = to_full_frame(boxes[:, None, :], origin_t, factors)[:, 0]
    kept = nms(boxes, score, t_iou1, top_k=top_m)
    out = [ScanBox(box=tuple(float(v) for v in boxes[i]), probs=tuple(float(v) for v in probs[i]),
                   score=float(score[i]), window=int(win_idx[i]), prior=int(prior_idx[i]))
           for i in kept.tolist()]
    return ScanResult(out, origins, factors)


def expand(box: tuple[float, float, float, float], box_scale: float) -> tuple[float, float, float, float]:
    """The annotated-size joint box from the network's core box (see SSDConfig.box_scale)."""
    return (box[0], box[1], box[2] / box_scale, box[3] / box_scale)
