"""Grad-CAM (Eq. 6–7) of one detection at a chosen layer, as in the paper's Figs. 6–7.

The window of the scan that holds the detection best (its centre nearest the window's) is run
through the SSD. The output explained, y_c, is the class-c score (logit) summed over the default
boxes that predict this detection (decoded IoU >= 0.5 with it and P(joint) >= 0.5; else the single
best-overlapping one). It is back-propagated to the layer's activations A^k: α_c^k is the mean
gradient over the map (Eq. 6) and G_c = ReLU(Σ_k α_c^k A^k) (Eq. 7), upsampled to the window and
placed in full-radiograph pixels. A layer after the heads that found the joint (e.g. Conv9_2 for a
joint found on Conv4_3) gets no gradient, and Eq. 7 can be zero everywhere when the channels the
score depends on are outweighed: both give an all-zero map, reported as such.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from jsnviewer.detection.boxes import decode, iou
from jsnviewer.detection.model import PRESENT, SSD300
from jsnviewer.detection.scan import HALF, WINDOW, cut_windows, to_full_frame, window_origins, working_image


@dataclass
class GradCam:
    heatmap: np.ndarray  # (h, w) in [0, 1], covering `extent` of the full radiograph
    extent: tuple[float, float, float, float]  # x0, y0, x1, y1 in full-radiograph pixels
    layer: str
    target_class: int


def grad_cam(model: SSD300, pixels: np.ndarray, box: tuple[float, float, float, float], layer: str = "conv7",
             target_class: int = PRESENT, scale: float = HALF) -> GradCam:
    """The Grad-CAM map of `model`'s class `target_class` (0 background, 1 absent, 2 present)
    for the detection `box` (cx, cy, w, h in full-radiograph pixels) at `layer`
    (one of SSD300.SOURCE_LAYERS, e.g. "conv7" or "conv9_2" as in the paper)."""
    if layer not in SSD300.SOURCE_LAYERS:
        raise ValueError(f"unknown layer {layer!r}: choose one of {', '.join(SSD300.SOURCE_LAYERS)}")
    model.eval()
    img, factors = working_image(pixels, scale)
    origins = window_origins(*img.shape)
    cx, cy = box[0] * factors[0], box[1] * factors[1]
    k = min(range(len(origins)), key=lambda i: (origins[i][0] + WINDOW / 2 - cx) ** 2 + (origins[i][1] + WINDOW / 2 - cy) ** 2)
    x = cut_windows(img, [origins[k]])
    acts: dict[str, torch.Tensor] = {}
    handle = getattr(model, layer).register_forward_hook(lambda _m, _i, out: acts.__setitem__("a", out))
    try:
        with torch.enable_grad():
            loc, conf = model(x)
            a = acts["a"]
            boxes = decode(loc[0].detach(), model.priors, model.config.variances)
            full = to_full_frame(boxes[None], torch.tensor([origins[k]], dtype=torch.float32), factors)[0]
            overlap = iou(torch.tensor([box], dtype=torch.float32), full)[0]
            probs = conf[0].detach().softmax(-1)
            joint = probs[:, 1:].sum(-1)
            chosen = (overlap >= 0.5) & (joint >= 0.5)
            if not chosen.any():
                chosen = torch.zeros_like(chosen)
                chosen[int(torch.argmax(overlap * joint))] = True
            grads = torch.autograd.grad(conf[0, chosen, target_class].sum(), a, allow_unused=True)[0]
            if grads is None:  # the layer lies after the heads that produced this detection
                grads = torch.zeros_like(a)
    finally:
        handle.remove()
    alpha = grads.mean(dim=(2, 3), keepdim=True)  # Eq. 6
    cam = F.relu((alpha * a.detach()).sum(dim=1, keepdim=True))  # Eq. 7
    cam = F.interpolate(cam, size=(WINDOW, WINDOW), mode="bilinear", align_corners=False)[0, 0]
    peak = float(cam.max())
    heat = (cam / peak).numpy() if peak > 0 else cam.numpy()
    x0, y0 = origins[k]
    extent = (x0 / factors[0], y0 / factors[1], (x0 + WINDOW) / factors[0], (y0 + WINDOW) / factors[1])
    return GradCam(heat.astype(np.float32), extent, layer, target_class)
