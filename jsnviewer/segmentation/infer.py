"""Bone segmentation of joint crops with the shipped (or a chosen) U-Net++."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from scipy import ndimage
from torch.nn import functional as F

from jsnviewer.device import choose_device
from jsnviewer.errors import WeightsError
from jsnviewer.segmentation.data import normalise_crop
from jsnviewer.segmentation.model import UNetPlusPlus
from jsnviewer.weights import load_weights, resolve_weights, unfit

MODEL_NAME = "segmenter"


def network_input(pixels: list[np.ndarray], size: int) -> torch.Tensor:
    """Normalised crops resized (anti-aliased) to the network's `size`: (B, 1, size, size)."""
    batch = []
    for p in pixels:
        t = torch.from_numpy(normalise_crop(p))[None, None]
        if t.shape[-2:] != (size, size):
            t = F.interpolate(t, size=(size, size), mode="bilinear", align_corners=False, antialias=True)
        batch.append(t)
    return torch.cat(batch)


def clean_mask(mask: np.ndarray) -> np.ndarray:
    """Keep the largest connected region of a bone and fill its holes."""
    labels, n = ndimage.label(mask)
    if n > 1:
        sizes = ndimage.sum_labels(mask, labels, index=np.arange(1, n + 1))
        mask = labels == (1 + int(np.argmax(sizes)))
    return ndimage.binary_fill_holes(mask)


def trained_on(path: str | Path | None = None) -> list[str]:
    """The joint_crops folders the weights were trained on, as their training recorded them (none when it did
    not, or the weights cannot be read: whoever needs them says so)."""
    try:
        config = load_weights(resolve_weights(MODEL_NAME, path), expected_model=MODEL_NAME).meta.get("train_config")
    except WeightsError:
        return []
    folders = config.get("crop_dirs") if isinstance(config, dict) else None
    return [f for f in folders if isinstance(f, str)] if isinstance(folders, list) else []


class BoneSegmenter:
    """Splits an upright joint crop into its upper (distal) and lower (proximal) bone."""

    def __init__(self, model: UNetPlusPlus, input_size: int, device: torch.device | None = None,
                 meta: dict | None = None):
        self.device = device or torch.device("cpu")
        self.meta = meta or {}  # what training recorded: validation joints, history, ...
        # channels_last: about 1.5x faster convolutions on CPU
        self.model = model.to(self.device, memory_format=torch.channels_last).eval()
        self.input_size = input_size

    @classmethod
    def load(cls, path: str | Path | None = None, device: str | None = None) -> BoneSegmenter:
        """The shipped segmenter, or the weights file at `path`; WeightsError names a bad file."""
        weights = load_weights(resolve_weights(MODEL_NAME, path), expected_model=MODEL_NAME)
        try:
            model = UNetPlusPlus(**weights.config)
            model.load_state_dict(weights.state_dict)
            input_size = int(weights.meta.get("input_size", 128))
            if input_size < 1:
                raise ValueError(f"input_size {input_size}")
        except (TypeError, ValueError, RuntimeError) as exc:
            raise unfit(weights, "segmentation network", exc) from exc
        return cls(model, input_size, choose_device(device), weights.meta)

    @torch.inference_mode()
    def logits(self, crops: list[np.ndarray]) -> list[torch.Tensor]:
        """Per crop, (2, H, W) logits at the crop's own resolution."""
        x = network_input(crops, self.input_size).to(self.device, memory_format=torch.channels_last)
        out = self.model(x)
        result = []
        for crop, lg in zip(crops, out):
            h, w = np.shape(crop)[:2]
            result.append(F.interpolate(lg[None], size=(h, w), mode="bilinear", align_corners=False)[0].cpu())
        return result

    def segment_batch(self, crops: list[np.ndarray]) -> list[tuple[np.ndarray, np.ndarray]]:
        """(upper, lower) boolean masks at crop resolution for each grey crop (any size, any bit depth)."""
        crops = [_grey(c) for c in crops]
        masks = []
        for lg in self.logits(crops):
            on = (lg > 0).numpy()
            masks.append((clean_mask(on[0]), clean_mask(on[1])))
        return masks

    def segment(self, crop: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return self.segment_batch([crop])[0]


def _grey(crop: np.ndarray) -> np.ndarray:
    arr = np.asarray(crop, dtype=np.float32)
    if arr.ndim == 3:
        arr = arr.mean(axis=2)
    if arr.ndim != 2:
        raise ValueError(f"a joint crop is a 2-D grey image, got shape {np.shape(crop)}")
    return arr
