"""The masked Euclidean loss of the paper (Eq. 3–6) and its loss spectra E_FG, E_FG'.

F_0 = F·S_up, F_1 = F·S_low with S the fixed (baseline) crop's bone masks; G'_0, G'_1 are the
moving crop warped by the upper and lower bone's parameters, masked the same way (Eq. 3); G' is their
sum (Eq. 4). L is the root mean square difference over all m×n pixels (Eq. 5) and the joint's loss
is α·L(F_0, G'_0) + β·L(F_1, G'_1) with α = β = 0.5 (Eq. 6). The original loss L(F, G) is the same
with G unwarped. Intensities are normalised per crop (1st–99th percentile to 0–1,
jsnviewer.segmentation.data.normalise_crop, shared with segmentation).
"""

from __future__ import annotations

import numpy as np

ALPHA = 0.5
BETA = 0.5


def rms(a: np.ndarray, b: np.ndarray) -> float:
    """Eq. 5."""
    return float(np.sqrt(np.mean((np.asarray(a, np.float64) - b) ** 2)))


def joint_loss(fixed, warped_upper, warped_lower, upper_mask, lower_mask, alpha=ALPHA, beta=BETA) -> float:
    """Eq. 6 with Eq. 3: the fixed crop against the moving crop warped per bone (numpy, 2-D)."""
    return alpha * rms(fixed * upper_mask, warped_upper * upper_mask) + beta * rms(fixed * lower_mask, warped_lower * lower_mask)


def composite(warped_upper, warped_lower, upper_mask, lower_mask) -> np.ndarray:
    """G' = G'_0 + G'_1 (Eq. 4): the moving crop as the registration moved each bone, zero outside the fixed
    crop's bone masks (the spectra below and the picture the window shows of it).

    Where the two masks overlap (a real joint's bone ends overlap in projection, up to a few thousand pixels of a
    crop) the two bones' pixels are averaged, not added: their sum doubled the grey there, so that the same crop
    twice showed a bright mismatch (up to 1.3) at every such joint and G' a bright patch."""
    both = np.maximum(np.asarray(upper_mask, np.float32) + np.asarray(lower_mask, np.float32), 1.0)
    return (warped_upper * upper_mask + warped_lower * lower_mask) / both


def loss_spectrum(fixed, warped_upper, warped_lower, upper_mask, lower_mask) -> np.ndarray:
    """Per-pixel |F − G'| (Eq. 4): the misalignment picture of the paper's Fig. 6."""
    region = (upper_mask > 0) | (lower_mask > 0)
    return (np.abs(fixed - composite(warped_upper, warped_lower, upper_mask, lower_mask)) * region).astype(np.float32)


def joint_loss_torch(fixed, warped_upper, warped_lower, upper_mask, lower_mask, alpha=ALPHA, beta=BETA):
    """Eq. 6 per sample for (B, 1, H, W) tensors; returns (B,)."""
    import torch

    def l(a, b):
        return torch.sqrt(((a - b) ** 2).mean(dim=(1, 2, 3)) + 1e-12)

    return alpha * l(fixed * upper_mask, warped_upper * upper_mask) + beta * l(fixed * lower_mask, warped_lower * lower_mask)
