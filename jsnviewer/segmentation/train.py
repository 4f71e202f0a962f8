"""Training of the bone segmenter on real crops, annotation datasets and phantom crops."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch.nn import functional as F
from tqdm import tqdm

from jsnviewer.dataset import DEMO_LEFT_OUT
from jsnviewer.errors import JsnError
from jsnviewer.words import counted
from jsnviewer.segmentation.data import (
    Augmentation,
    CropSample,
    augment_batch,
    find_crops,
    load_samples,
    split_by_joint,
    synthetic_samples,
)
from jsnviewer.segmentation.infer import MODEL_NAME, BoneSegmenter, network_input
from jsnviewer.segmentation.metrics import MetricsTable
from jsnviewer.segmentation.model import UNetPlusPlus
from jsnviewer.weights import Weights, load_weights, save_weights



@dataclass
class TrainConfig:
    crop_dirs: list[Path] = field(default_factory=list)  # joint_crops-style folders, split by joint
    synthetic: int = 0  # phantom crops with seeds 0..N-1 (all for training)
    epochs: int = 30
    batch_size: int = 16
    lr: float = 3e-3
    optimizer: str = "adamw"  # or "rmsprop" (the paper's)
    loss: str = "bce+dice"  # or "bce" (the paper's)
    width: int = 8
    depth: int = 4
    input_size: int = 128
    seed: int = 0
    split_seed: int = 0
    val_fraction: float = 0.2
    init: Path | None = None
    augment: bool = True
    stop_after: int | None = None  # end after this many epochs of the `epochs`-long schedule


@dataclass
class TrainResult:
    path: Path
    history: list[dict[str, float]]
    validation: dict[str, dict[str, float]] | None
    validation_joints: list[str]


def _tensors(samples: list[CropSample], size: int) -> tuple[torch.Tensor, torch.Tensor]:
    images = network_input([s.image for s in samples], size) if samples else torch.zeros(0, 1, size, size)
    masks = []
    for s in samples:
        m = torch.from_numpy(np.stack([s.upper, s.lower]).astype(np.float32))[None]
        masks.append(F.interpolate(m, size=(size, size), mode="bilinear", align_corners=False, antialias=True))
    return images, torch.cat(masks) if masks else torch.zeros(0, 2, size, size)


def segmentation_loss(logits: torch.Tensor, target: torch.Tensor, kind: str) -> torch.Tensor:
    bce = F.binary_cross_entropy_with_logits(logits, target)
    if kind == "bce":
        return bce
    p = torch.sigmoid(logits)
    inter = (p * target).sum(dim=(2, 3))
    dice = (2 * inter + 1) / (p.sum(dim=(2, 3)) + target.sum(dim=(2, 3)) + 1)
    return bce + (1 - dice).mean()


def evaluate(segmenter: BoneSegmenter, samples: list[CropSample], batch_size: int = 16) -> dict[str, dict[str, float]]:
    table = MetricsTable()
    for i in range(0, len(samples), batch_size):
        chunk = samples[i:i + batch_size]
        for s, (up, lo) in zip(chunk, segmenter.segment_batch([s.image for s in chunk])):
            table.add(up, lo, s.upper, s.lower)
    return table.summary()


def train_segmenter(config: TrainConfig, out: Path, progress: Callable[[str], None] = print,
                    progress_bar: bool = False, device: torch.device | None = None) -> TrainResult:
    """Train, validating every epoch, and save to `out` every epoch. The crops are drawn and augmented on the
    CPU (one seeded generator, whatever the device); the network and its validation run on `device`."""
    device = device or torch.device("cpu")
    torch.manual_seed(config.seed)
    gen = torch.Generator().manual_seed(config.seed)

    train_samples: list[CropSample] = []
    val_samples: list[CropSample] = []
    left_out: list[str] = []
    demo: list[str] = []
    for folder in config.crop_dirs:
        train_rec, val_rec = split_by_joint(find_crops(folder, demo=demo), config.split_seed, config.val_fraction)
        train_samples += load_samples(train_rec, left_out)
        val_samples += load_samples(val_rec, left_out)
    for why in left_out:
        progress(f"left out a crop that cannot be read: {why}")
    if demo:
        progress(f"left out: {counted(len(demo), 'demo joint crop')}, {DEMO_LEFT_OUT}")
    if config.synthetic:
        train_samples += synthetic_samples(range(config.synthetic))
    if not train_samples:
        raise JsnError("no training crops: give --real, --data or --synthetic")
    validation_joints = sorted({s.joint for s in val_samples})
    progress(f"training crops: {len(train_samples)}, validation crops: {len(val_samples)} ({len(validation_joints)} joints)")

    model_kwargs = {"width": config.width, "depth": config.depth}
    input_size = config.input_size
    init_state = None
    if config.init is not None:
        init = load_weights(config.init, expected_model=MODEL_NAME)
        model_kwargs, init_state = init.config, init.state_dict
        input_size = int(init.meta.get("input_size", input_size))
    model = UNetPlusPlus(**model_kwargs)
    if init_state is not None:
        model.load_state_dict(init_state)

    model = model.to(device, memory_format=torch.channels_last)  # about 1.5x faster convolutions on CPU
    images, masks = _tensors(train_samples, input_size)
    steps_per_epoch = math.ceil(len(images) / config.batch_size)
    total = steps_per_epoch * config.epochs
    if config.optimizer == "rmsprop":
        opt = torch.optim.RMSprop(model.parameters(), lr=config.lr, alpha=0.9, eps=1e-4)
    elif config.optimizer == "adamw":
        opt = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=1e-4)
    else:
        raise ValueError(f"unknown optimizer {config.optimizer!r}")
    warmup = min(steps_per_epoch, total // 10)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: (s + 1) / max(1, warmup) if s < warmup else 0.5 * (1 + math.cos(math.pi * (s - warmup) / max(1, total - warmup))))
    aug = Augmentation() if config.augment else None

    history: list[dict[str, float]] = []
    validation = None
    meta_base = {"input_size": input_size, "validation_joints": validation_joints,
                 "train_config": {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(config).items()
                                  if k != "crop_dirs"} | {"crop_dirs": [str(p) for p in config.crop_dirs]},
                 "train_crops": len(train_samples), "validation_crops": len(val_samples)}
    for epoch in range(1, config.epochs + 1):
        model.train()
        t0 = time.perf_counter()
        order = torch.randperm(len(images), generator=gen)
        losses = []
        for i in tqdm(range(steps_per_epoch), desc=f"epoch {epoch}/{config.epochs}", leave=False, disable=not progress_bar):
            idx = order[i * config.batch_size:(i + 1) * config.batch_size]
            x, y = augment_batch(images[idx], masks[idx], input_size, gen, aug)
            loss = segmentation_loss(model(x.to(device, memory_format=torch.channels_last)), y.to(device), config.loss)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            losses.append(loss.item())
        row = {"epoch": epoch, "loss": float(np.mean(losses)), "seconds": time.perf_counter() - t0}
        if val_samples:
            validation = evaluate(BoneSegmenter(model, input_size, device), val_samples)
            row |= {"val_dsc": validation["overall"]["dsc"], "val_miou": validation["overall"]["miou"],
                    "val_dsc_upper": validation["upper"]["dsc"], "val_dsc_lower": validation["lower"]["dsc"]}
        history.append(row)
        progress(f"epoch {epoch} " + " ".join(f"{k}={v:.4f}" if isinstance(v, float) else f"{k}={v}"
                                            for k, v in row.items() if k != "epoch"))
        # Saved every epoch so an interrupted run still leaves its latest weights.
        save_weights(out, Weights(MODEL_NAME, model_kwargs, model.state_dict(),
                                  meta_base | {"epochs_done": epoch, "history": history, "validation": validation}))
        if config.stop_after is not None and epoch >= config.stop_after:
            break
    return TrainResult(Path(out), history, validation, validation_joints)
