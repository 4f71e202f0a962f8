"""Training of one detector (ankylosis or subluxation) as in the paper: 300×300 windows cut around
joints of half-resolution radiographs, augmented, MultiBox loss, Adam (α 1e-3, weight decay 5e-4).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from jsnviewer.detection.data import (Augment, HandSample, WorkingHand, load_annotations, load_real, radiographs_of,
                                     sample_windows, to_working)
from jsnviewer.detection.detector import WORKING_MCP_SPACING_PX, WORKING_PIXEL_MM, save_ssd
from jsnviewer.detection.identity import mcp_spacing
from jsnviewer.detection.loss import multibox_loss
from jsnviewer.detection.model import SSD300, SSDConfig
from jsnviewer.detection.scan import HALF
from jsnviewer.joints import FINDINGS

log = logging.getLogger(__name__)


def phantom_samples(seed: int) -> list[tuple[np.ndarray, HandSample, float]]:
    """Both visits of synthetic study `seed`: (pixels, truth, working scale)."""
    from jsnviewer.phantom.study import generate_study

    study = generate_study(seed)
    out = []
    for visit, radiograph in (("baseline", study.baseline), ("followup", study.followup)):
        joints = getattr(study.truth, visit).joints
        sample = HandSample(
            f"phantom-{seed}-{visit}",
            np.array([j.box for j in joints], dtype=np.float64),
            [j.identity for j in joints],
            np.array([[bool(j.findings.get(f, False)) for f in FINDINGS] for j in joints], dtype=bool),
            study.truth.laterality,
        )
        out.append((radiograph.pixels, sample, study.truth.pixel_size_mm / WORKING_PIXEL_MM))
    return out


def _save_working(path: Path, hand: WorkingHand) -> None:
    import io

    from jsnviewer.atomic import atomic_write_bytes

    buf = io.BytesIO()
    np.savez_compressed(buf, image=hand.image, boxes=hand.boxes, findings=hand.findings, name=np.array(hand.name))
    atomic_write_bytes(path, buf.getvalue())


def _load_working(path: Path) -> WorkingHand:
    with np.load(path) as z:
        return WorkingHand(z["image"], z["boxes"], z["findings"], str(z["name"]))


def phantom_hands(seeds: Iterable[int], cache: Path | None = None, progress: Callable | None = None) -> list[WorkingHand]:
    """Working-resolution synthetic hands, generated once and kept in `cache` (a folder) when given."""
    hands = []
    for seed in seeds:
        files = [cache / f"phantom-{seed}-{v}.npz" for v in ("baseline", "followup")] if cache else []
        if files and all(f.exists() for f in files):
            hands += [_load_working(f) for f in files]
        else:
            for k, (pixels, sample, scale) in enumerate(phantom_samples(seed)):
                hand = to_working(pixels, sample, scale)
                if cache:
                    _save_working(files[k], hand)
                hands.append(hand)
        if progress:
            progress()
    return hands


def file_scale(sample: HandSample, pixel_size_mm: float | None, fallback: float = HALF) -> float:
    """The resize of a radiograph file to working resolution: from its pixel size when it states
    one, else so that its hand's MCP spacing (from the named joints) is the synthetic hands'
    (as the detector does at inference), else `fallback`."""
    if pixel_size_mm:
        return pixel_size_mm / WORKING_PIXEL_MM
    spacing = mcp_spacing(sample.boxes[:, :2], list(sample.identities)) if len(sample.boxes) else None
    return WORKING_MCP_SPACING_PX / spacing if spacing else fallback


def file_hands(samples: list[HandSample], damaged: list[str] | None = None) -> list[WorkingHand]:
    """Working-resolution hands from radiograph files (real hands, annotation datasets; `damaged`: see
    `radiographs_of`)."""
    out = []
    for s, r in radiographs_of(samples, damaged):
        hand = to_working(r.pixels, s, file_scale(s, r.pixel_size_mm))
        hand.real = True
        out.append(hand)
    return out


def train_detector(finding: str, hands: list[WorkingHand], out: Path, config: SSDConfig | None = None,
                   steps: int = 2000, batch: int = 16, lr: float = 1e-3, weight_decay: float = 5e-4,
                   minutes: float | None = None, seed: int = 0, meta: dict | None = None,
                   checkpoint_every: int = 100, progress: Callable[[int, dict], None] | None = None,
                   init: SSD300 | None = None, positive_share: float = 0.25, present_weight: float = 1.0,
                   real_share: float | None = None, device: torch.device | None = None) -> SSD300:
    """Train the `finding` detector on `hands`; weights are saved to `out` as training goes.

    Stops after `steps` or `minutes`, whichever comes first; the learning rate follows a cosine
    from `lr` to lr/20 over the planned steps. The windows are drawn and augmented on the CPU (one
    seeded generator, whatever the device); the network runs on `device` and is returned there.
    """
    if finding not in FINDINGS:
        raise ValueError(f"finding must be one of {FINDINGS}")
    if not hands and steps > 0:
        raise ValueError("no training hands")
    device = device or torch.device("cpu")
    fi = FINDINGS.index(finding)
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    model = (init if init is not None else SSD300(config or SSDConfig())).to(device)
    if steps <= 0:
        save_ssd(out, model, finding, {**(meta or {}), "steps": 0})
        return model.eval()
    kappa = model.config.box_scale
    opt = torch.optim.Adam(model.parameters(), lr=lr, betas=(0.9, 0.999), weight_decay=weight_decay)
    aug = Augment()
    start = time.monotonic()
    meta = dict(meta or {})
    stats: dict = {}
    step = 0
    for step in range(1, steps + 1):
        for g in opt.param_groups:
            g["lr"] = lr * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * (step - 1) / steps)))
        model.train()
        x, targets = sample_windows(hands, fi, batch, rng, aug, positive_share=positive_share, real_share=real_share)
        targets = [((b * torch.tensor([1.0, 1.0, kappa, kappa])).to(device), labels.to(device), *rest)
                   for b, labels, *rest in targets]
        loc, conf = model(x.to(device))
        loss, stats = multibox_loss(loc, conf, targets, model.priors, model.config.variances,
                                    present_weight=present_weight)
        opt.zero_grad()
        loss.backward()
        opt.step()
        stats["loss"] = float(loss.detach())
        if progress:
            progress(step, stats)
        elapsed = (time.monotonic() - start) / 60
        done = minutes is not None and elapsed >= minutes
        if step % checkpoint_every == 0 or step == steps or done:
            save_ssd(out, model, finding, {**meta, "steps": step, "minutes": round(elapsed, 2), "last_loss": stats})
        if done:
            break
    model.eval()
    return model


def calibrate_finding_threshold(model: SSD300, finding: str, studies: int, first_seed: int = 2_000_000,
                                progress: Callable | None = None) -> dict:
    """Choose the decision threshold on P(present | joint) that maximises F1 on `studies` synthetic
    validation studies (seeds from `first_seed`: neither training's nor the benchmark's).
    Sets `model.finding_threshold` and returns what was measured."""
    from jsnviewer.detection.bench import DETECTED_IOU
    from jsnviewer.detection.boxes import iou
    from jsnviewer.detection.scan import expand, scan

    fi = FINDINGS.index(finding)
    conf, truth = [], []
    for seed in range(first_seed, first_seed + studies):
        for pixels, sample, scale in phantom_samples(seed):
            result = scan(model, pixels, scale=scale)
            if not result.boxes:
                continue
            det = torch.tensor([expand(b.box, model.config.box_scale) for b in result.boxes], dtype=torch.float64)
            overlap = iou(torch.from_numpy(sample.boxes), det)
            for t in range(len(sample.boxes)):
                d = int(overlap[t].argmax())
                if overlap[t, d] > DETECTED_IOU:
                    p = result.boxes[d].probs
                    conf.append(p[2] / max(p[1] + p[2], 1e-12))
                    truth.append(bool(sample.findings[t, fi]))
        if progress:
            progress()
    conf_a, truth_a = np.array(conf), np.array(truth)
    best = (0.5, 0.0)  # argmax unless a threshold does better
    for th in np.round(np.arange(0.05, 0.96, 0.05), 2):
        pred = conf_a >= th
        tp, fp, fn = int((pred & truth_a).sum()), int((pred & ~truth_a).sum()), int((~pred & truth_a).sum())
        f1 = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0
        if f1 > best[1] + 1e-9:
            best = (float(th), f1)
    model.finding_threshold = best[0]
    return {"finding_threshold": best[0], "validation_f1": round(best[1], 4), "validation_joints": len(truth),
            "validation_positives": int(truth_a.sum()), "validation_seeds": f"{first_seed}..{first_seed + studies - 1}"}


def gather_hands(finding: str, synthetic: int = 0, real: Path | None = None, data: Path | None = None,
                 cache: Path | None = None, exclude_real: Iterable[str] = (), progress: Callable | None = None,
                 seed_offset: int = 0) -> tuple[list[WorkingHand], dict]:
    """Training hands from the three sources, and a description of them for the model card."""
    # The files first: a dataset that is not there, or a damaged radiograph, is said before minutes of synthetic
    # hands are made, not after. The hands keep their order (synthetic, real, dataset): a seed repeats a run.
    real_hands, data_hands = [], []
    desc: dict = {}
    if synthetic:
        desc["synthetic_studies"] = f"seeds {seed_offset}..{seed_offset + synthetic - 1} (baseline and follow-up)"
    if real is not None:
        samples = [s for s in load_real(real) if not any(e in s.path for e in exclude_real)]
        real_hands = file_hands(samples)
        desc["real_hands"] = [Path(s.path).name for s in samples]
    if data is not None:
        samples, left_out = load_annotations(data)
        damaged: list[str] = []
        data_hands = file_hands(samples, damaged)
        desc["annotated_images"] = len(data_hands)
        desc["left_out"] = str(replace(left_out, damaged=tuple(damaged)))
    synthetic_hands = phantom_hands(range(seed_offset, seed_offset + synthetic), cache, progress) if synthetic else []
    return synthetic_hands + real_hands + data_hands, desc
