"""Training material and training of the joint finding classifier (`findings.py`).

Every annotated joint becomes a stored patch (STORE_CONTEXT × the box side, STORE×STORE, uint8 of
the normalised radiograph); training cuts the classifier's input from it with the paper's kind of
augmentation (box jitter as the detector's boxes vary, rotation, flip, contrast, noise).
Sources: synthetic hands (truth boxes and findings), the landmarked real hands (boxes from points;
only joints whose findings are known count) and the application's annotation dataset.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from jsnviewer.detection.data import HandSample, radiographs_of
from jsnviewer.detection.findings import FindingNet, FindingNetConfig, joint_patch, save_finding_net
from jsnviewer.detection.scan import normalise
from jsnviewer.joints import FINDINGS

log = logging.getLogger(__name__)

STORE = 128
STORE_CONTEXT = 1.8
# The synthetic studies the decision thresholds are chosen on, never trained on: the training's "validation F1"
VALIDATION_FIRST_SEED = 2_000_000
VALIDATION_STUDIES = 60  # `jsnviewer train findings --validation`'s default
VALIDATION_FINDINGS_RATE = 0.15  # the phantom's own


def validation_seeds(studies: int = VALIDATION_STUDIES) -> range:
    return range(VALIDATION_FIRST_SEED, VALIDATION_FIRST_SEED + studies)


@dataclass
class JointPatches:
    """Stored patches of annotated joints."""

    patches: np.ndarray  # (n, STORE, STORE) uint8
    findings: np.ndarray  # (n, len(FINDINGS)) bool
    known: np.ndarray  # (n,) bool: are this joint's findings known
    real: np.ndarray  # (n,) bool: from a radiograph file rather than a phantom

    @staticmethod
    def concat(parts: list[JointPatches]) -> JointPatches:
        parts = [p for p in parts if len(p.patches)]
        if not parts:
            return JointPatches(np.zeros((0, STORE, STORE), np.uint8), np.zeros((0, len(FINDINGS)), bool),
                                np.zeros(0, bool), np.zeros(0, bool))
        return JointPatches(*(np.concatenate([getattr(p, f) for p in parts]) for f in
                              ("patches", "findings", "known", "real")))


def phantom_patches_file(folder: Path, name: str, seeds: range, findings_rate: float) -> Path:
    """Where `train findings --cache folder` keeps the patches of these synthetic studies (one file, replaced when
    they are made again)."""
    return Path(folder) / f"{name}-{seeds.start}-{seeds.stop}-{findings_rate}.npz"


def _made_of(seeds: range, findings_rate: float) -> list[float]:
    from jsnviewer.phantom.study import PHANTOM_VERSION

    return [seeds.start, seeds.stop, findings_rate, PHANTOM_VERSION, STORE, STORE_CONTEXT]


def save_phantom_patches(path: Path, patches: JointPatches, seeds: range, findings_rate: float) -> None:
    """Keep the patches of synthetic studies `seeds` (compressed npz, written atomically) with what they were made
    of, for `kept_phantom_patches`."""
    import io

    from jsnviewer.atomic import atomic_write_bytes

    buf = io.BytesIO()
    np.savez_compressed(buf, patches=patches.patches, findings=patches.findings, known=patches.known,
                        real=patches.real, made=np.array(_made_of(seeds, findings_rate)))
    atomic_write_bytes(path, buf.getvalue())


def kept_phantom_patches(path: Path, seeds: range, findings_rate: float) -> JointPatches | None:
    """The patches `save_phantom_patches` kept at `path`, when they are those `phantom_patches(seeds, findings_rate)`
    makes now; else None (no file, one that cannot be read, other studies, or an earlier phantom generator's)."""
    return _first_kept([path], seeds, findings_rate)


def kept_phantom_patches_in(folders: Iterable[Path], name: str, seeds: range,
                            findings_rate: float) -> JointPatches | None:
    """The patches of the synthetic studies `seeds` that `train findings --cache` kept as `name` in the first of
    `folders` that holds them whole and as the phantom makes them now (`kept_phantom_patches`); else None."""
    return _first_kept((phantom_patches_file(f, name, seeds, findings_rate) for f in folders), seeds, findings_rate)


def _first_kept(paths: Iterable[Path], seeds: range, findings_rate: float) -> JointPatches | None:
    first = None
    for path in paths:
        if (kept := _read_phantom_patches(path, seeds, findings_rate)) is None:
            continue
        # the first study made again (about 1 s of the minutes): a generator changed without PHANTOM_VERSION raised
        if first is None:
            first = phantom_patches(seeds[:1], findings_rate)
        n = len(first.patches)
        if np.array_equal(first.patches, kept.patches[:n]) and np.array_equal(first.findings, kept.findings[:n]):
            return kept
    return None


def _read_phantom_patches(path: Path, seeds: range, findings_rate: float) -> JointPatches | None:
    """The patches kept at `path` when they say they were made of these studies as now, whole; else None."""
    import zipfile
    import zlib

    try:
        with np.load(path) as z:
            if z["made"].tolist() != _made_of(seeds, findings_rate):
                return None
            kept = JointPatches(z["patches"], z["findings"], z["known"], z["real"])
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile, zlib.error):
        return None
    n = len(kept.patches)
    if (kept.patches.dtype != np.uint8 or kept.patches.shape != (n, STORE, STORE)
            or kept.findings.shape != (n, len(FINDINGS)) or kept.known.shape != (n,) or kept.real.shape != (n,)
            or not n or not all(a.dtype == bool for a in (kept.findings, kept.known, kept.real))):
        return None
    return kept


def hand_patches(pixels: np.ndarray, sample: HandSample, real: bool) -> JointPatches:
    """The stored patches of one radiograph's annotated joints."""
    image = normalise(pixels)
    stored = [joint_patch(image, tuple(b), STORE, STORE_CONTEXT) for b in sample.boxes]
    patches = np.stack([_to_uint8(p) for p in stored]) if stored else np.zeros((0, STORE, STORE), np.uint8)
    n = len(stored)
    known = np.ones(n, bool) if sample.findings_known is None else sample.findings_known.astype(bool)
    return JointPatches(patches, sample.findings.astype(bool).reshape(n, len(FINDINGS)), known,
                        np.full(n, real))


def _to_uint8(patch: np.ndarray) -> np.ndarray:
    # a standardised patch spans about ±4 sd: keep that range in 8 bits
    return np.clip(patch * 32 + 128, 0, 255).astype(np.uint8)


def phantom_patches(seeds: Iterable[int], findings_rate: float = 0.4,
                    progress: Callable[[int], None] | None = None) -> JointPatches:
    """Both visits of each synthetic study `seed`, with findings drawn at `findings_rate`
    (above the phantom's default, for more examples of each finding)."""
    from jsnviewer.phantom.study import generate_study

    parts = []
    for k, seed in enumerate(seeds):
        study = generate_study(seed, findings_rate=findings_rate)
        for radiograph, visit in ((study.baseline, study.truth.baseline), (study.followup, study.truth.followup)):
            sample = HandSample(f"phantom-{seed}", np.array([j.box for j in visit.joints], dtype=np.float64),
                                [j.identity for j in visit.joints],
                                np.array([[bool(j.findings.get(f, False)) for f in FINDINGS] for j in visit.joints]))
            parts.append(hand_patches(radiograph.pixels, sample, False))
        if progress:
            progress(k + 1)
    return JointPatches.concat(parts)


def file_patches(samples: list[HandSample], damaged: list[str] | None = None) -> JointPatches:
    """Patches of radiograph files (landmarked real hands, the annotation dataset; `damaged`: see `radiographs_of`)."""
    return JointPatches.concat([hand_patches(r.pixels, s, True) for s, r in radiographs_of(samples, damaged)])


@dataclass(frozen=True)
class PatchAugment:
    shift: float = 0.1  # box centre jitter, times the box side
    scale: tuple[float, float] = (0.85, 1.2)  # box side jitter
    rotation_deg: float = 25.0
    contrast: tuple[float, float] = (0.7, 1.4)  # gamma on the stored patch
    noise: float = 0.15  # sd of added noise, in patch sd


def training_input(stored: np.ndarray, rng: np.random.Generator, aug: PatchAugment | None) -> np.ndarray:
    """The classifier's input cut from one stored patch (`aug=None`: the plain centred patch)."""
    c = STORE / 2
    side = STORE / STORE_CONTEXT
    if aug is None:
        return joint_patch(stored.astype(np.float32), (c, c, side, side))
    src = stored.astype(np.float32) / 255.0
    src = src ** float(rng.uniform(*aug.contrast))
    s = side * float(rng.uniform(*aug.scale))
    cx, cy = c + rng.uniform(-aug.shift, aug.shift, 2) * side
    p = joint_patch(src, (cx, cy, s, s), angle_deg=float(rng.uniform(-aug.rotation_deg, aug.rotation_deg)),
                    flip=bool(rng.random() < 0.5))
    return (p + rng.normal(0, aug.noise, p.shape)).astype(np.float32)


def _batch(data: JointPatches, idx: np.ndarray, rng: np.random.Generator, aug: PatchAugment | None):
    x = torch.from_numpy(np.stack([training_input(data.patches[i], rng, aug) for i in idx]))[:, None]
    return x, torch.from_numpy(data.findings[idx].astype(np.float32)), torch.from_numpy(data.known[idx])


def _sample_indices(data: JointPatches, n: int, rng: np.random.Generator, real_share: float) -> np.ndarray:
    """A batch with every finding's positives at least a quarter of it (they are rare), real joints
    at about `real_share` where there are any."""
    usable = np.flatnonzero(data.known)
    real = usable[data.real[usable]]
    synthetic = usable[~data.real[usable]]
    n_real = min(int(round(n * real_share)), n) if len(real) else 0
    picks = [rng.choice(real, n_real)] if n_real else []
    per_finding = (n - n_real) // 4
    for fi in range(len(FINDINGS)):
        pos = synthetic[data.findings[synthetic, fi]]
        if len(pos):
            picks.append(rng.choice(pos, per_finding))
    rest = n - sum(len(p) for p in picks)
    picks.append(rng.choice(synthetic if len(synthetic) else usable, rest))
    return np.concatenate(picks)


def evaluate(net: FindingNet, data: JointPatches, batch: int = 256) -> np.ndarray:
    """P(finding) of every stored patch, centred, mean with the mirror image."""
    net.eval()
    device = next(net.parameters()).device
    out = []
    for k in range(0, len(data.patches), batch):
        idx = np.arange(k, min(k + batch, len(data.patches)))
        x, _, _ = _batch(data, idx, np.random.default_rng(0), None)
        out.append(net.predict(x.to(device)).cpu().numpy())
    return np.concatenate(out) if out else np.zeros((0, len(FINDINGS)), np.float32)


def best_thresholds(probs: np.ndarray, data: JointPatches) -> dict[str, dict[str, float]]:
    """Per finding the threshold on P(finding) with the highest F1 on known joints, and that F1."""
    out = {}
    for fi, f in enumerate(FINDINGS):
        p, t = probs[data.known, fi], data.findings[data.known, fi]
        best = (0.5, f1_at(p, t, 0.5))
        for thr in (k / 20 for k in range(1, 20)):
            score = f1_at(p, t, thr)
            if score > best[1] + 1e-9:
                best = (thr, score)
        out[f] = {"threshold": best[0], "f1": best[1]}
    return out


def f1_at(p: np.ndarray, truth: np.ndarray, threshold: float) -> float:
    pred = p >= threshold
    tp = int((pred & truth).sum())
    denom = 2 * tp + int((pred & ~truth).sum()) + int((~pred & truth).sum())
    return 2 * tp / denom if denom else 1.0


def f1_at_thresholds(net: FindingNet, data: JointPatches, probs: np.ndarray | None = None) -> dict[str, float]:
    """Each finding's F1 on the known joints of `data` at the net's own decision thresholds (as the analyses call it);
    `probs`: the net's `evaluate` of `data` where it is known already."""
    probs = evaluate(net, data) if probs is None else probs
    return {f: f1_at(probs[data.known, fi], data.findings[data.known, fi], net.thresholds[f])
            for fi, f in enumerate(FINDINGS)}


def train_finding_net(train: JointPatches, validation: JointPatches, out: Path, steps: int = 3000,
                      batch: int = 48, lr: float = 2e-3, real_share: float = 0.15, seed: int = 0,
                      start: FindingNet | None = None, max_minutes: float | None = None, meta: dict | None = None,
                      progress: Callable[[int, float], None] | None = None,
                      device: torch.device | None = None) -> tuple[FindingNet, dict]:
    """Train (or fine-tune `start`), choose the thresholds on `validation`, save to `out`. The patches are
    cut and augmented on the CPU (one seeded generator, whatever the device); the network runs on `device`
    and is returned there."""
    device = device or torch.device("cpu")
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    net = (start if start is not None else FindingNet(FindingNetConfig())).to(device)
    opt = torch.optim.AdamW(net.parameters(), lr=lr, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps, pct_start=0.1)
    aug = PatchAugment()
    t0 = time.time()
    done = 0
    for step in range(steps):
        net.train()
        x, y, known = (t.to(device) for t in _batch(train, _sample_indices(train, batch, rng, real_share), rng, aug))
        loss = F.binary_cross_entropy_with_logits(net(x)[known], y[known])
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        done = step + 1
        if progress:
            progress(done, loss.item())
        if max_minutes is not None and time.time() - t0 > 60 * max_minutes:
            log.info("stopped after %d steps (time limit)", done)
            break
    chosen = best_thresholds(evaluate(net, validation), validation)
    net.thresholds = {f: chosen[f]["threshold"] for f in FINDINGS}
    figures = {f"validation_f1_{f}": round(chosen[f]["f1"], 4) for f in FINDINGS}
    figures.update({f"threshold_{f}": chosen[f]["threshold"] for f in FINDINGS})
    figures["steps"] = done
    figures["minutes"] = round((time.time() - t0) / 60, 1)
    save_finding_net(out, net.eval(), {**(meta or {}), **figures})
    return net, figures
