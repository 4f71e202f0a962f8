"""SSD300 on a VGG16-style feature extractor (Liu et al. 2016, as used by Izumi et al. 2024).

`SSDConfig(width=1.0, in_channels=3)` is the paper's network (VGG16 widths, Conv4_3 … Conv11_2
heads, 8732 default boxes). The default `width=0.0625` keeps every layer and divides the channel
counts by 16, so that it trains on one shared CPU thread and both detectors scan a hand in seconds.
Three classes per default box: 0 background, 1 finding absent, 2 finding present.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from jsnviewer.detection.boxes import PriorConfig, default_boxes
from jsnviewer.detection.pooling import MaxPool2d

NUM_CLASSES = 3
BACKGROUND, ABSENT, PRESENT = 0, 1, 2

# VGG16 configuration "D": channel counts and max-pools ("M"; "C" is the ceil-mode pool of SSD).
_VGG16 = (64, 64, "M", 128, 128, "M", 256, 256, 256, "C", 512, 512, 512, "M", 512, 512, 512)
# Conv4_3's layers at the window's full and half size: Conv1_1 … Conv2_2 and their two pools.
_FINE_LAYERS = 10
# The extra SSD layers after Conv7: (1x1 channels, 3x3 channels, stride, padding) for Conv8–Conv11.
_EXTRAS = ((256, 512, 2, 1), (128, 256, 2, 1), (128, 256, 1, 0), (128, 256, 1, 0))


@dataclass(frozen=True)
class SSDConfig:
    width: float = 0.0625
    in_channels: int = 1
    variances: tuple[float, float] = (0.1, 0.2)
    # The network regresses the joint's core: the annotated box with its sides times box_scale.
    # Annotated joint boxes (the phantom's, 2.5 bone widths) overlap their neighbours up to
    # IoU 0.39, which the paper's t_IoU1 = 0.15 would suppress; the cores overlap < 0.15.
    box_scale: float = 0.4
    priors: PriorConfig = field(default_factory=PriorConfig)

    def to_dict(self) -> dict:
        """Plain lists and numbers, as stored in the weights file's "config"."""
        return _listify(asdict(self))

    @classmethod
    def from_dict(cls, d: dict) -> SSDConfig:
        p = dict(d.get("priors") or {})
        if "aspect_ratios" in p:
            p["aspect_ratios"] = tuple(tuple(a) for a in p["aspect_ratios"])
        pri = PriorConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in p.items()})
        return cls(width=float(d["width"]), in_channels=int(d["in_channels"]),
                   variances=tuple(d.get("variances", (0.1, 0.2))), box_scale=float(d.get("box_scale", 1.0)), priors=pri)


def _listify(obj):
    if isinstance(obj, dict):
        return {k: _listify(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_listify(v) for v in obj]
    return obj


def _ch(n: int, width: float) -> int:
    return max(4, int(round(n * width)))


class L2Norm(nn.Module):
    """Conv4_3 feature normalisation with a learned per-channel scale (SSD)."""

    def __init__(self, channels: int, scale: float = 20.0):
        super().__init__()
        self.weight = nn.Parameter(torch.full((channels,), scale))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.normalize(x, dim=1, eps=1e-10) * self.weight[None, :, None, None]


class SSD300(nn.Module):
    """Returns (loc, conf): (B, N, 4) offsets and (B, N, 3) class logits for the N default boxes."""

    # Names of the layers whose outputs feed the heads; Grad-CAM may use any of them.
    SOURCE_LAYERS = ("conv4_3", "conv7", "conv8_2", "conv9_2", "conv10_2", "conv11_2")

    def __init__(self, config: SSDConfig | None = None):
        super().__init__()
        self.config = config or SSDConfig()
        w = self.config.width
        layers: list[nn.Module] = []
        c_in = self.config.in_channels
        for v in _VGG16:
            if v == "M":
                layers.append(MaxPool2d(2, 2))
            elif v == "C":
                layers.append(MaxPool2d(2, 2, ceil_mode=True))
            else:
                c = _ch(v, w)
                layers += [nn.Conv2d(c_in, c, 3, padding=1), nn.ReLU(inplace=True)]
                c_in = c
        # Up to Conv4_3 (+ReLU) is the first source; the rest continues to Conv5_3.
        split = 23
        self.conv4_3 = nn.Sequential(*layers[:split])
        self.l2norm = L2Norm(c_in)
        c4 = c_in
        c6, c7 = _ch(1024, w), _ch(1024, w)
        self.conv7 = nn.Sequential(
            *layers[split:],
            MaxPool2d(3, 1, 1),
            nn.Conv2d(c_in, c6, 3, padding=6, dilation=6), nn.ReLU(inplace=True),  # Conv6
            nn.Conv2d(c6, c7, 1), nn.ReLU(inplace=True),  # Conv7
        )
        extras = []
        c_prev = c7
        sources = [c4, c7]
        for c1, c3, stride, pad in _EXTRAS:
            a, b = _ch(c1, w), _ch(c3, w)
            extras.append(nn.Sequential(nn.Conv2d(c_prev, a, 1), nn.ReLU(inplace=True),
                                        nn.Conv2d(a, b, 3, stride=stride, padding=pad), nn.ReLU(inplace=True)))
            c_prev = b
            sources.append(b)
        self.conv8_2, self.conv9_2, self.conv10_2, self.conv11_2 = extras
        per_loc = self.config.priors.boxes_per_location()
        self.loc_heads = nn.ModuleList(nn.Conv2d(c, n * 4, 3, padding=1) for c, n in zip(sources, per_loc))
        self.conf_heads = nn.ModuleList(nn.Conv2d(c, n * NUM_CLASSES, 3, padding=1) for c, n in zip(sources, per_loc))
        self.register_buffer("priors", default_boxes(self.config.priors), persistent=False)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
                nn.init.zeros_(m.bias)

    def _conv4_3(self, x: torch.Tensor) -> torch.Tensor:
        """Conv4_3 features. Scanning (no gradient, CPU), the full- and half-size layers take one window at a
        time: a batch's activations (11 MB a layer for 8 windows) overflow the CPU's cache, and those layers took
        three times as long batched. They give the same values as the batch (test_detection_model)."""
        if torch.is_grad_enabled() or x.device.type != "cpu" or len(x) == 1:
            return self.conv4_3(x)
        fine, coarse = self.conv4_3[:_FINE_LAYERS], self.conv4_3[_FINE_LAYERS:]
        return coarse(torch.cat([fine(window) for window in x.split(1)]))

    def features(self, x: torch.Tensor) -> list[torch.Tensor]:
        f4 = self._conv4_3(x)
        f7 = self.conv7(f4)
        outs = [self.l2norm(f4), f7]
        y = f7
        for layer in (self.conv8_2, self.conv9_2, self.conv10_2, self.conv11_2):
            y = layer(y)
            outs.append(y)
        return outs

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        feats = self.features(x)
        b = x.shape[0]
        loc = torch.cat([h(f).permute(0, 2, 3, 1).reshape(b, -1, 4) for h, f in zip(self.loc_heads, feats)], dim=1)
        conf = torch.cat([h(f).permute(0, 2, 3, 1).reshape(b, -1, NUM_CLASSES) for h, f in zip(self.conf_heads, feats)], dim=1)
        return loc, conf
