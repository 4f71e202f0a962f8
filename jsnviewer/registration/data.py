"""Training and benchmark pairs: repeat visits from joint-crops folders, self-pairs with known
per-bone transforms built from one crop, and the phantom's synthetic joint pairs."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

import numpy as np
import torch

from jsnviewer.dataset import DEMO_LEFT_OUT
from jsnviewer.errors import DatasetError
from jsnviewer.registration.transform import warp
from jsnviewer.segmentation.data import find_crops, is_validation_joint, load_samples


@dataclass
class CropArrays:
    """A crop ready for registration: normalised pixels and float 0/1 bone masks."""

    image: np.ndarray
    upper: np.ndarray
    lower: np.ndarray
    name: str = ""
    px_per_crop_px: float | None = None  # its scale, where the crop was saved with it
    mm_per_crop_px: float | None = None


def load_joint_folders(root, part: str = "all", split_seed: int = 0, left_out: list[str] | None = None,
                       unmasked: list[str] | None = None) -> list[list[CropArrays]]:
    """The crops of a joint_crops-style folder grouped by joint (the folder), normalised per crop;
    `part` is "train", "validation" (the split by joint folder shared with segmentation) or "all".
    With `left_out`, a crop that cannot be read is named there and skipped (`load_samples`); with
    `unmasked`, the crops of `part` without both bone masks are named there (`find_crops`)."""
    if part not in ("train", "validation", "all"):
        raise ValueError(f"unknown part {part!r}")
    groups: dict[str, list[CropArrays]] = {}
    in_part = lambda joint: part == "all" or is_validation_joint(joint, split_seed) == (part == "validation")  # noqa: E731
    found_unmasked: list[str] = []
    demo: list[str] = []
    records = [r for r in find_crops(root, found_unmasked, demo) if in_part(r.joint)]
    if left_out is not None:
        left_out += [f"{name} ({DEMO_LEFT_OUT})" for name in demo if in_part(name.split("/")[0])]
    if unmasked is not None:
        unmasked += [name for name in found_unmasked if in_part(name.split("/")[0])]
    samples = load_samples(records, left_out)
    # pairs and training batches need one crop size: the odd ones out are named, not left to a stack error
    size = Counter(s.image.shape for s in samples).most_common(1)[0][0] if samples else None
    for s in samples:
        if s.image.shape != size:
            why = (f"crop is {s.image.shape[1]}×{s.image.shape[0]} px, the other crops are {size[1]}×{size[0]} px; "
                   "registration needs one crop size")
            if left_out is None:
                raise DatasetError(f"{s.joint}/{s.name}: {why}")
            left_out.append(f"{s.joint}/{s.name} ({why})")
            continue
        groups.setdefault(s.joint, []).append(
            CropArrays(s.image, s.upper.astype(np.float32), s.lower.astype(np.float32), f"{s.joint}/{s.name}",
                       s.px_per_crop_px, s.mm_per_crop_px))
    return list(groups.values())


def ordered_pairs(folders: list[list[CropArrays]]) -> list[tuple[int, int, int]]:
    """(folder, fixed, moving) for every ordered pair of distinct crops of one joint."""
    return [(f, i, j) for f, crops in enumerate(folders) for i in range(len(crops)) for j in range(len(crops)) if i != j]


def stack(crops: list[CropArrays]) -> dict[str, torch.Tensor]:
    t = lambda a: torch.from_numpy(np.stack(a))[:, None]  # noqa: E731
    return {"image": t([c.image for c in crops]), "upper": t([c.upper for c in crops]), "lower": t([c.lower for c in crops])}


# ---- similarity algebra on (B, 4) content-motion params ---------------------------------------


def to_matrix(p: torch.Tensor) -> torch.Tensor:
    dz, th, dx, dy = p.unbind(-1)
    c, s = torch.cos(th) * dz, torch.sin(th) * dz
    zero, one = torch.zeros_like(dz), torch.ones_like(dz)
    return torch.stack([torch.stack([c, -s, dx], -1), torch.stack([s, c, dy], -1), torch.stack([zero, zero, one], -1)], -2)


def from_matrix(m: torch.Tensor) -> torch.Tensor:
    a = (m[..., 0, 0] + m[..., 1, 1]) / 2
    b = (m[..., 1, 0] - m[..., 0, 1]) / 2
    return torch.stack([torch.hypot(a, b), torch.atan2(b, a), m[..., 0, 2], m[..., 1, 2]], -1)


def inverse(p: torch.Tensor) -> torch.Tensor:
    return from_matrix(torch.linalg.inv(to_matrix(p)))


def compose(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Content motion `a` after `b`."""
    return from_matrix(to_matrix(a) @ to_matrix(b))


def random_similarity(n: int, gen: torch.Generator, rot_deg: float, scale: float, shift_px: float) -> torch.Tensor:
    u = lambda: torch.rand(n, generator=gen) * 2 - 1  # noqa: E731
    return torch.stack([1 + scale * u(), math.radians(rot_deg) * u(), shift_px * u(), shift_px * u()], -1)


# ---- batches ----------------------------------------------------------------------------------


def augment_moving(batch: dict[str, torch.Tensor], q: torch.Tensor) -> dict[str, torch.Tensor]:
    """Move the moving crop's content (and masks) by the similarity `q` (B, 4)."""
    img = warp(batch["image"], q)
    masks = warp(torch.cat([batch["upper"], batch["lower"]], 1), q, padding_mode="zeros")
    return {"image": img, "upper": masks[:, :1], "lower": masks[:, 1:]}


def self_pairs(fixed: dict[str, torch.Tensor], gen: torch.Generator, rot_deg=15.0, scale=0.10, shift_px=12.0, relative_px=4.0, relative_deg=4.0):
    """Moving crops made from the fixed ones with known per-bone transforms: returns (moving, target (B, 2, 4))."""
    n = fixed["image"].shape[0]
    glob = random_similarity(n, gen, rot_deg, scale, shift_px)
    q = []
    for _ in range(2):
        rel = random_similarity(n, gen, relative_deg, 0.0, relative_px)
        q.append(compose(glob, rel))
    up = warp(torch.cat([fixed["image"], fixed["upper"]], 1), q[0])
    lo = warp(torch.cat([fixed["image"], fixed["lower"]], 1), q[1])
    mu = up[:, 1:].clamp(0, 1)
    image = up[:, :1] * mu + lo[:, :1] * (1 - mu)
    moving = {"image": image, "upper": mu, "lower": lo[:, 1:] * (1 - mu)}
    target = torch.stack([inverse(q[0]), inverse(q[1])], 1)
    return moving, target


def add_noise(images: torch.Tensor, gen: torch.Generator, max_sigma: float = 0.04) -> torch.Tensor:
    sigma = torch.rand(images.shape[0], 1, 1, 1, generator=gen) * max_sigma
    return images + sigma * torch.randn(images.shape, generator=gen)


# ---- the phantom's synthetic pairs --------------------------------------------------------------


def phantom_pair(seed: int, pixel_size_mm: float = 0.175, size: int = 256):
    """(fixed, moving, true JSN in mm, mm per pixel) from jsnviewer.phantom.make_joint_pair."""
    from jsnviewer.phantom import make_joint_pair
    from jsnviewer.segmentation.data import normalise_crop

    p = make_joint_pair(seed, size=size, pixel_size_mm=pixel_size_mm)
    f = lambda m: np.asarray(m, dtype=np.float32) > 0  # noqa: E731
    fixed = CropArrays(normalise_crop(p.fixed), f(p.fixed_upper).astype(np.float32), f(p.fixed_lower).astype(np.float32), f"phantom-{seed}/fixed")
    moving = CropArrays(normalise_crop(p.moving), f(p.moving_upper).astype(np.float32), f(p.moving_lower).astype(np.float32), f"phantom-{seed}/moving")
    return fixed, moving, float(p.jsn_mm), float(p.pixel_size_mm), p


class PhantomSource:
    """A pool of `size` phantom pairs with their true per-bone parameters; each call draws a batch
    with a random similarity (rotation ±5°, scale ±3 %, shift ±6 px) added to the moving crop."""

    def __init__(self, size: int, seed: int = 0, progress=None):
        from jsnviewer.registration.transform import BoneTransform

        fixed, moving, target = [], [], []
        for k in range(size):
            s = 10_000_000 + seed * 1_000_000 + k
            f, m, _, _, p = phantom_pair(s, 0.15 + 0.025 * (k % 2))
            fixed.append(f)
            moving.append(m)
            shape = f.image.shape
            target.append([BoneTransform.from_crop_matrix(p.upper_transform, shape).as_tuple(),
                           BoneTransform.from_crop_matrix(p.lower_transform, shape).as_tuple()])
            if progress:
                progress(k + 1, size)
        self.fixed, self.moving = stack(fixed), stack(moving)
        self.target = torch.tensor(target, dtype=torch.float32)

    def __call__(self, n: int, gen: torch.Generator):
        idx = torch.randint(0, self.target.shape[0], (n,), generator=gen)
        q = random_similarity(n, gen, 5.0, 0.03, 6.0)
        fixed = {k: v[idx] for k, v in self.fixed.items()}
        moving = augment_moving({k: v[idx] for k, v in self.moving.items()}, q)
        # the augmented moving content is q∘(old moving); the transform onto F is old∘q⁻¹
        qi = inverse(q)
        target = torch.stack([compose(self.target[idx, b], qi) for b in range(2)], 1)
        return fixed, moving, target
