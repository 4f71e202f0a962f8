"""Joint crops with bone masks: the one reader, the split, normalisation and augmentation.

A folder "laid out like joint_crops/" (the real data in ../shared/data/real/joint_crops and
the `joint_crops/` of an annotation dataset, see jsnviewer/dataset.py) holds one sub-folder
per joint, and in it one or more visits of that joint:

    <joint>/<id>.<jpg|png|tif|dcm>   the upright crop (finger up, distal bone at the top)
    <joint>/<id>_upper.png           upper (distal) bone mask, 0/1 or 0/255
    <joint>/<id>_lower.png           lower (proximal) bone mask

Masks have the crop's size. A crop without both masks is not a training sample and is skipped.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from jsnviewer.dataset import DEMO_LEFT_OUT
from jsnviewer.errors import DatasetError, JsnError, RadiographError
from jsnviewer.radiograph import RADIOGRAPH_SUFFIXES, load_radiograph
from jsnviewer.words import counted

MASK_SUFFIXES = ("_upper", "_lower")


@dataclass(frozen=True)
class CropRecord:
    """One joint crop on disk with its two masks."""

    joint: str  # folder name: the same joint on every visit
    image: Path
    upper: Path
    lower: Path


@dataclass
class CropSample:
    """A crop in memory: pixels normalised by `normalise_crop`, masks as bool."""

    joint: str
    name: str
    image: np.ndarray  # (H, W) float32
    upper: np.ndarray  # (H, W) bool
    lower: np.ndarray  # (H, W) bool
    px_per_crop_px: float | None = None  # the crop's scale, where saved with it (dataset.CROP_SCALE_KEYS)
    mm_per_crop_px: float | None = None


def find_crops(folder: str | Path, unmasked: list[str] | None = None, demo: list[str] | None = None) -> list[CropRecord]:
    """Every crop with both masks under a joint_crops-style folder, sorted by joint then id; a crop without
    them is named in `unmasked` ("<joint>/<file>") when it is given. The demo study's joints, which versions before
    the demo became a sandbox wrote into a dataset, are no training data: their crops are skipped and named in `demo`
    when it is given."""
    from jsnviewer.pipeline.training_crops import is_demo_joint

    folder = Path(folder)
    if not folder.is_dir():
        raise DatasetError(f"{folder}: not a folder of joint crops")
    records, demo_found = [], 0
    for joint_dir in sorted(p for p in folder.iterdir() if p.is_dir()):
        for image in sorted(joint_dir.iterdir()):
            if image.suffix.lower() not in RADIOGRAPH_SUFFIXES or image.stem.endswith(MASK_SUFFIXES):
                continue
            if is_demo_joint(joint_dir.name):
                demo_found += 1
                if demo is not None:
                    demo.append(f"{joint_dir.name}/{image.name}")
                continue
            upper = joint_dir / f"{image.stem}_upper.png"
            lower = joint_dir / f"{image.stem}_lower.png"
            if upper.is_file() and lower.is_file():
                records.append(CropRecord(joint_dir.name, image, upper, lower))
            elif unmasked is not None:
                unmasked.append(f"{joint_dir.name}/{image.name}")
    if not records:
        demo_said = f"; left out {counted(demo_found, 'demo joint crop')}, {DEMO_LEFT_OUT}" if demo_found else ""
        raise DatasetError(f"{folder}: no joint crops with _upper/_lower masks found (expected <joint>/<id>.jpg + masks)"
                           f"{demo_said}")
    return records


def read_mask(path: Path, shape: tuple[int, int]) -> np.ndarray:
    try:
        with Image.open(path) as im:
            mask = np.asarray(im)
    except (OSError, ValueError) as exc:
        raise DatasetError(f"{path}: cannot read the bone mask ({exc})") from exc
    if mask.ndim == 3:
        mask = mask[..., 0]
    if mask.shape != shape:
        raise DatasetError(f"{path}: mask is {mask.shape[1]}×{mask.shape[0]}, its crop is {shape[1]}×{shape[0]}")
    return mask > 0


def normalise_crop(pixels: np.ndarray) -> np.ndarray:
    """Map the crop's 1st–99th intensity percentiles to 0–1, whatever its bit depth."""
    pixels = np.asarray(pixels, dtype=np.float32)
    step = max(1, int(math.sqrt(pixels.size / 16384)))  # percentiles of a regular subsample: same figures, faster
    lo, hi = np.percentile(pixels[::step, ::step], (1.0, 99.0))
    scale = hi - lo if hi - lo > 1e-6 else 1.0
    return np.clip((pixels - lo) / scale, -0.5, 1.5).astype(np.float32)


def load_sample(record: CropRecord) -> CropSample:
    image = load_radiograph(record.image).pixels
    return CropSample(
        joint=record.joint,
        name=record.image.stem,
        image=normalise_crop(image),
        upper=read_mask(record.upper, image.shape),
        lower=read_mask(record.lower, image.shape),
        **crop_scale(record.image),
    )


def crop_scale(path: Path) -> dict[str, float]:
    """The scale saved in a crop's PNG (px_per_crop_px, mm_per_crop_px): none for another file or an older crop."""
    from jsnviewer.dataset import CROP_SCALE_KEYS

    try:
        with Image.open(path) as im:
            text = dict(getattr(im, "text", {}))
    except (OSError, ValueError):
        return {}
    scale = {}
    for key, field in zip(CROP_SCALE_KEYS, ("px_per_crop_px", "mm_per_crop_px")):
        try:
            scale[field] = float(text[key])
        except (KeyError, ValueError):
            pass
    return scale


def load_samples(records: list[CropRecord], left_out: list[str] | None = None) -> list[CropSample]:
    """The crops of `records`. With `left_out`, a crop that cannot be read (cut short by a full disk, a mask
    of another size) is named there with why and skipped, so that one damaged file does not stop a training
    on a clinic's dataset; without it, it is an error (the benchmarks measure every crop or none)."""
    samples = []
    for record in records:
        try:
            samples.append(load_sample(record))
        except JsnError as exc:
            # the crop's joint folder with its name: among hundreds of folders the file name alone is not enough
            why = exc.reason if isinstance(exc, RadiographError) else str(exc)
            if left_out is None:
                raise DatasetError(f"{record.joint}/{record.image.name}: {why}") from exc
            left_out.append(f"{record.joint}/{record.image.name} ({why})")
    return samples


def is_validation_joint(joint: str, seed: int = 0, fraction: float = 0.2) -> bool:
    """Deterministic split by joint folder: a seeded hash, so a joint is never on both sides."""
    digest = hashlib.sha256(f"{seed}:{joint}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < fraction




def default_part(root: Path, training_folders: list[Path | str | None]) -> str:
    """Which joints of `root` to measure when not told: the validation side of the split by joint folder
    when the weights learnt from this folder (its other joints are their training joints), else every
    joint (a held-out set the weights never saw)."""
    here = Path(root).resolve()
    return "validation" if any(f is not None and Path(f).resolve() == here for f in training_folders) else "all"


def split_by_joint(records: list[CropRecord], seed: int = 0, fraction: float = 0.2) -> tuple[list[CropRecord], list[CropRecord]]:
    """(train, validation) records, split by joint folder."""
    train = [r for r in records if not is_validation_joint(r.joint, seed, fraction)]
    val = [r for r in records if is_validation_joint(r.joint, seed, fraction)]
    return train, val


def synthetic_samples(seeds: range | list[int], size: int = 256) -> list[CropSample]:
    """Phantom joint crops with their exact bone masks (jsnviewer.phantom)."""
    from jsnviewer.phantom import make_joint_crop

    samples = []
    for seed in seeds:
        crop = make_joint_crop(seed, size=size)
        samples.append(CropSample(f"synthetic/{crop.identity}", f"phantom-{seed}", normalise_crop(crop.image),
                                  np.asarray(crop.upper, bool), np.asarray(crop.lower, bool)))
    return samples


@dataclass
class Augmentation:
    """Ranges of the random changes applied to each training crop."""

    rotation_deg: float = 15.0
    scale: tuple[float, float] = (0.85, 1.15)
    shift: float = 0.06  # fraction of the crop
    hflip: bool = True  # a left hand mirrored is a right hand
    gamma: tuple[float, float] = (0.7, 1.5)
    contrast: tuple[float, float] = (0.75, 1.3)
    brightness: float = 0.1
    noise_std: tuple[float, float] = (0.0, 0.06)
    blur_prob: float = 0.2


def augment_batch(images, masks, size: int, generator, aug: Augmentation | None):
    """Resample a batch to `size`×`size` through a random similarity transform, then vary intensity.

    `images` (B, 1, H, W) and `masks` (B, 2, H, W) are float tensors at crop resolution; the
    masks come back as soft labels at `size` (bilinear), the images with contrast, gamma,
    blur and noise changes. With `aug=None` the batch is only resized.
    """
    import torch
    from torch.nn import functional as F

    b = images.shape[0]
    if aug is None:
        theta = torch.tensor([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]).expand(b, 2, 3)
    else:
        def uniform(lo, hi):
            return lo + (hi - lo) * torch.rand(b, generator=generator)

        angle = uniform(-aug.rotation_deg, aug.rotation_deg) * math.pi / 180
        log_s = uniform(math.log(aug.scale[0]), math.log(aug.scale[1]))
        inv_s = torch.exp(-log_s)  # theta maps output to input coordinates
        flip = torch.where(torch.rand(b, generator=generator) < 0.5, -1.0, 1.0) if aug.hflip else torch.ones(b)
        cos, sin = torch.cos(angle) * inv_s, torch.sin(angle) * inv_s
        tx, ty = uniform(-aug.shift, aug.shift) * 2, uniform(-aug.shift, aug.shift) * 2
        theta = torch.stack([torch.stack([cos * flip, -sin, tx], 1), torch.stack([sin * flip, cos, ty], 1)], 1)
    grid = F.affine_grid(theta, (b, 1, size, size), align_corners=False)
    both = torch.cat([images, masks], 1)
    if both.shape[-1] > size:  # anti-alias before resampling to the training size
        both = F.interpolate(both, size=(size, size), mode="area")
    out = F.grid_sample(both, grid, mode="bilinear", padding_mode="border", align_corners=False)
    img, msk = out[:, :1], out[:, 1:]
    if aug is not None:
        def uniform4(lo, hi):
            return (lo + (hi - lo) * torch.rand(b, 1, 1, 1, generator=generator))

        gamma = torch.exp(uniform4(math.log(aug.gamma[0]), math.log(aug.gamma[1])))
        img = img.clamp(0, 1.5).pow(gamma)
        mean = img.mean(dim=(2, 3), keepdim=True)
        img = (img - mean) * uniform4(*aug.contrast) + mean + uniform4(-aug.brightness, aug.brightness)
        blur = (torch.rand(b, 1, 1, 1, generator=generator) < aug.blur_prob).float()
        smooth = F.avg_pool2d(img, 3, stride=1, padding=1, count_include_pad=False)
        img = blur * smooth + (1 - blur) * img
        img = img + torch.randn(img.shape, generator=generator) * uniform4(*aug.noise_std)
    return img, msk
