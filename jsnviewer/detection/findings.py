"""The joint finding classifier: a second look at every detected joint, beyond the paper.

The paper's detectors decide ankylosis and subluxation from 300×300 windows of the halved
radiograph; a distal joint there is ~40 px wide and a subluxation a shift of a few pixels. This
small CNN looks again at each final box: a patch of the full-resolution radiograph, CONTEXT times
the box side, resampled to PATCH×PATCH and standardised, gives P(ankylosis) and P(subluxation).
`JointDetector` uses it, when loaded, for each detection's finding confidences; the boxes, their
scores and identities stay the SSD ensemble's (Algorithm 1).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from jsnviewer.joints import FINDINGS
from jsnviewer.weights import Weights, load_weights, save_weights, unfit

MODEL_NAME = "joint_findings"
PATCH = 72  # input side in pixels
CONTEXT = 1.25  # the patch covers the box side times this


def joint_patch(image: np.ndarray, box: tuple[float, float, float, float], size: int = PATCH, context: float = CONTEXT,
                angle_deg: float = 0.0, flip: bool = False) -> np.ndarray:
    """A (size, size) float32 patch of `image` (normalised radiograph) centred on `box` (cx, cy, w, h
    in image pixels), covering `context` × the box's larger side, turned by `angle_deg` and mirrored
    left-right if `flip`; outside the image is the patch's edge value. Standardised (mean 0, sd 1)."""
    cx, cy, w, h = (float(v) for v in box)
    side = context * max(w, h)
    step = side / size
    a = math.radians(angle_deg)
    u = (np.arange(size, dtype=np.float32) + 0.5 - size / 2) * step
    uu, vv = np.meshgrid(-u if flip else u, u)
    xs = cx - 0.5 + math.cos(a) * uu - math.sin(a) * vv
    ys = cy - 0.5 + math.sin(a) * uu + math.cos(a) * vv
    img = torch.from_numpy(np.ascontiguousarray(image, dtype=np.float32))[None, None]
    hgt, wid = image.shape
    if step > 1.5:  # shrinking: average first so that the bilinear samples do not alias
        k = int(step)
        img = F.avg_pool2d(img, k, ceil_mode=True)
        xs, ys = (xs + 0.5) / k - 0.5, (ys + 0.5) / k - 0.5
        hgt, wid = img.shape[-2:]
    grid = torch.from_numpy(np.stack([(xs + 0.5) / wid * 2 - 1, (ys + 0.5) / hgt * 2 - 1], -1).astype(np.float32))[None]
    patch = F.grid_sample(img, grid, mode="bilinear", padding_mode="border", align_corners=False)[0, 0].numpy()
    return ((patch - patch.mean()) / max(float(patch.std()), 1e-3)).astype(np.float32)


@dataclass(frozen=True)
class FindingNetConfig:
    widths: tuple[int, ...] = (16, 32, 64, 96)

    def to_dict(self) -> dict:
        return {"widths": list(self.widths)}

    @classmethod
    def from_dict(cls, d: dict) -> FindingNetConfig:
        return cls(widths=tuple(int(v) for v in d.get("widths", cls().widths)))


class FindingNet(nn.Module):
    """Conv–BN–ReLU pairs with max-pools, global average pool, one logit per finding."""

    def __init__(self, config: FindingNetConfig = FindingNetConfig()):
        super().__init__()
        self.config = config
        layers: list[nn.Module] = []
        c_in = 1
        for c in config.widths:
            layers += [nn.Conv2d(c_in, c, 3, padding=1, bias=False), nn.BatchNorm2d(c), nn.ReLU(inplace=True),
                       nn.Conv2d(c, c, 3, padding=1, bias=False), nn.BatchNorm2d(c), nn.ReLU(inplace=True),
                       nn.MaxPool2d(2)]
            c_in = c
        self.features = nn.Sequential(*layers)
        self.head = nn.Linear(c_in, len(FINDINGS))
        self.thresholds = {f: 0.5 for f in FINDINGS}  # decision thresholds on P(finding), from the weights file

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(n, 1, PATCH, PATCH) patches -> (n, len(FINDINGS)) logits."""
        return self.head(self.features(x).mean(dim=(2, 3)))

    @torch.no_grad()
    def predict(self, x: torch.Tensor) -> torch.Tensor:
        """P(finding) of (n, 1, PATCH, PATCH) patches: the mean over each patch and its mirror image."""
        return 0.5 * (torch.sigmoid(self(x)) + torch.sigmoid(self(torch.flip(x, dims=[3]))))

    def probabilities(self, image: np.ndarray, boxes: list[tuple[float, float, float, float]]) -> np.ndarray:
        """(n, len(FINDINGS)) P(finding) for each box of a normalised radiograph (`predict`)."""
        if not boxes:
            return np.zeros((0, len(FINDINGS)), dtype=np.float32)
        device = next(self.parameters()).device
        x = torch.from_numpy(np.stack([joint_patch(image, b) for b in boxes]))[:, None].to(device)
        return self.predict(x).cpu().numpy()


def load_finding_net(path) -> FindingNet:
    """The classifier from a weights file; WeightsError names the file when it is missing or unusable."""
    w = load_weights(path, expected_model=MODEL_NAME)
    try:
        net = FindingNet(FindingNetConfig.from_dict(w.config))
        net.load_state_dict(w.state_dict)
        net.thresholds = {f: float(w.meta.get("thresholds", {}).get(f, 0.5)) for f in FINDINGS}
    except (KeyError, TypeError, ValueError, RuntimeError, AttributeError) as exc:  # AttributeError: thresholds not a table
        raise unfit(w, "joint finding classifier", exc) from exc
    return net.eval()


def save_finding_net(path, net: FindingNet, meta: dict):
    return save_weights(path, Weights(MODEL_NAME, net.config.to_dict(), net.state_dict(),
                                      {**meta, "thresholds": dict(net.thresholds)}))
