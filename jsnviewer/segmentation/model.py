"""U-Net++ for the two bones of a joint crop (registration paper §2.1, Fig. 3).

A 7×7 convolution ahead of a nested U-Net (U-Net++, Zhou et al. 2018) with two output
channels: logits of the upper (distal) and the lower (proximal) bone. The two outputs are
independent sigmoids, so overlapping bones may overlap in the masks too.
The paper uses 64 stem channels and five levels; `width` and `depth` size it down for a CPU.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F


def _block(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=1, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
        nn.Conv2d(cout, cout, 3, padding=1, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    )


class UNetPlusPlus(nn.Module):
    """Input (B, 1, H, W) with H, W divisible by 2**(depth-1); output logits (B, 2, H, W).

    Level i has width * 2**i channels. Node X[i][j] (j > 0) sees every earlier node of its
    level and the upsampled X[i+1][j-1] (the dense skip pathways of U-Net++).
    """

    def __init__(self, width: int = 16, depth: int = 4, stem_kernel: int = 7, in_channels: int = 1, out_channels: int = 2):
        super().__init__()
        if depth < 2:
            raise ValueError("depth must be at least 2")
        self.depth = depth
        ch = [width * 2**i for i in range(depth)]
        self.stem = nn.Sequential(
            nn.Conv2d(in_channels, width, stem_kernel, padding=stem_kernel // 2, bias=False),
            nn.BatchNorm2d(width),
            nn.ReLU(inplace=True),
        )
        self.nodes = nn.ModuleDict()
        for i in range(depth):
            for j in range(depth - i):
                if j == 0:
                    cin = width if i == 0 else ch[i - 1]
                else:
                    cin = ch[i] * j + ch[i + 1]
                self.nodes[f"{i}_{j}"] = _block(cin, ch[i])
        self.head = nn.Conv2d(ch[0], out_channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem(x)
        grid: list[list[torch.Tensor]] = [[] for _ in range(self.depth)]
        for i in range(self.depth):
            inp = x if i == 0 else F.max_pool2d(grid[i - 1][0], 2)
            grid[i].append(self.nodes[f"{i}_0"](inp))
            # Finish the diagonal that the new deepest node allows: X[i-k][k] for k = 1..i.
            for k in range(1, i + 1):
                r = i - k
                up = F.interpolate(grid[r + 1][k - 1], scale_factor=2, mode="bilinear", align_corners=False)
                grid[r].append(self.nodes[f"{r}_{k}"](torch.cat([*grid[r], up], dim=1)))
        return self.head(grid[0][-1])
