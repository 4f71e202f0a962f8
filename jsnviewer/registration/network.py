"""The ResNet-like registration network of the paper (§2.2.3, Table 2).

Input: 4 channels (moving image, fixed image, moving mask, fixed mask), each mask coded +1 on the
upper bone, −1 on the lower bone and 0 elsewhere, resized to `input_size`. Each image channel first
passes a single-layer 3×3 denoising convolution with batch norm (Table 2, first two rows), then a
7×7/2 convolution, max pooling, and four stages of residual blocks (the first three opened by a
stride-2 convolution), average pooling (global in the paper; to 4×4 in the small network, which keeps
where in the crop the features are) and one fully connected layer with 8 outputs: the
parameters (dz, dθ, dx, dy) of the upper and of the lower bone. dz and dθ pass through tanh
(dz = 1 + 0.25·tanh, dθ = 30°·tanh), translations are linear; translations come out in pixels of the
crop the network is told about (`crop_size`), as content motion (see transform.py).

`PAPER` is the paper's size (47.3 M parameters with standard two-convolution residual blocks of
widths 128/256/512/512 and 3/4/5/3 blocks: the per-stage counts of Table 2 do not correspond to a
whole number of such blocks, its total, 47.0 M, is matched to 0.6 %). `SMALL` is the default that
trains on a CPU.
"""

from __future__ import annotations

import math

import torch
from torch import nn

PAPER = {"widths": (128, 256, 512, 512), "blocks": (3, 4, 5, 3), "stem_width": 64, "input_size": 224, "pool": 1}
SMALL = {"widths": (32, 64, 96, 128), "blocks": (1, 1, 1, 1), "stem_width": 24, "input_size": 128, "pool": 4}
CONFIGS = {"paper": PAPER, "small": SMALL}

MAX_SCALE_CHANGE = 0.25
MAX_ROTATION = math.radians(30.0)


class ResidualBlock(nn.Module):
    def __init__(self, ch: int):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(ch, ch, 3, padding=1, bias=False),
            nn.BatchNorm2d(ch),
            nn.ReLU(inplace=True),
            nn.Conv2d(ch, ch, 3, padding=1, bias=False),
            nn.BatchNorm2d(ch),
        )
        self.act = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(x + self.body(x))


def _conv_bn(cin: int, cout: int, stride: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class RegistrationNet(nn.Module):
    def __init__(self, widths=SMALL["widths"], blocks=SMALL["blocks"], stem_width=SMALL["stem_width"], input_size=SMALL["input_size"],
                 pool: int = SMALL["pool"], crop_size: int = 256):
        super().__init__()
        input_size = int(input_size)  # a weights file's setting: "z" is a ValueError here, not mid-analysis
        if input_size < 8:
            raise ValueError(f"input_size {input_size}")
        self.config = {"widths": tuple(widths), "blocks": tuple(blocks), "stem_width": stem_width, "input_size": input_size,
                       "pool": pool, "crop_size": crop_size}
        self.input_size = input_size
        self.crop_size = crop_size
        self.denoise_moving = nn.Sequential(nn.Conv2d(1, 1, 3, padding=1), nn.BatchNorm2d(1))
        self.denoise_fixed = nn.Sequential(nn.Conv2d(1, 1, 3, padding=1), nn.BatchNorm2d(1))
        layers: list[nn.Module] = [
            nn.Conv2d(4, stem_width, 7, stride=2, padding=3, bias=False),
            nn.BatchNorm2d(stem_width),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(3, stride=2, padding=1),
        ]
        cin = stem_width
        for i, (w, n) in enumerate(zip(widths, blocks)):
            layers.append(_conv_bn(cin, w, 1 if i == 0 else 2))
            layers.extend(ResidualBlock(w) for _ in range(n))
            cin = w
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(pool)
        self.head = nn.Linear(cin * pool * pool, 8)
        nn.init.zeros_(self.head.weight)
        nn.init.zeros_(self.head.bias)

    def forward(self, moving, fixed, moving_mask, fixed_mask) -> torch.Tensor:
        """(B, 1, S, S) tensors at `input_size` → (B, 2, 4) params (upper, lower) in crop pixels."""
        x = torch.cat([self.denoise_moving(moving), self.denoise_fixed(fixed), moving_mask, fixed_mask], 1)
        x = self.pool(self.features(x)).flatten(1)
        o = self.head(x).view(-1, 2, 4)
        dz = 1.0 + MAX_SCALE_CHANGE * torch.tanh(o[..., 0])
        dth = MAX_ROTATION * torch.tanh(o[..., 1])
        trans = o[..., 2:] * (self.crop_size / 8.0)
        return torch.cat([dz[..., None], dth[..., None], trans], -1)


def build(config: str | dict = "small", crop_size: int = 256) -> RegistrationNet:
    cfg = dict(CONFIGS[config]) if isinstance(config, str) else dict(config)
    cfg.pop("crop_size", None)
    return RegistrationNet(**cfg, crop_size=crop_size)


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
