"""Training of the registration network.

Every sample is a fixed/moving pair scored by the paper's unsupervised loss (Eq. 6 at the network's
input size). Samples are (i) repeat visits of one joint (ordered pairs of a joint folder) with a
random similarity added to the moving crop (rotation ±15°, scale ±10 %, shift ±12 px), (ii) self-pairs
made from one crop with known per-bone transforms and (iii) a pool of the phantom's synthetic pairs when asked
for (`synthetic` pairs made once, each drawn again with a random similarity composed into its truth); for (ii) and (iii) the known parameters add a supervised term (smooth L1 on dz·100, dθ in
degrees, dx, dy in px, weight `supervised_weight`). The split is by joint folder (jsnviewer.crops).
"""

from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass, field
from typing import Callable

import torch
import torch.nn.functional as Fn

from jsnviewer.registration import data as D
from jsnviewer.registration.loss import joint_loss_torch
from jsnviewer.registration.network import RegistrationNet, build
from jsnviewer.registration.transform import scale_params, warp

SUP_SCALE = torch.tensor([100.0, 180.0 / math.pi, 1.0, 1.0])


@dataclass
class TrainSettings:
    epochs: int = 30
    batch_size: int = 32
    lr: float = 1e-3
    seed: int = 0
    config: str = "small"
    supervised_weight: float = 0.1
    real_pairs_per_epoch: int = 1200
    self_pairs_per_epoch: int = 800
    synthetic: int = 0
    max_minutes: float | None = None


@dataclass
class TrainReport:
    history: list[dict] = field(default_factory=list)
    best_epoch: int = -1
    best_score: float = float("inf")


def to_net(model: RegistrationNet, fixed: dict, moving: dict) -> tuple[torch.Tensor, ...]:
    """Resize crops (B, 1, H, W) to the network input; returns (mov, fix, mov_code, fix_code, fix_up, fix_lo)."""
    s = model.input_size
    r = lambda t: Fn.interpolate(t, size=(s, s), mode="area")  # noqa: E731
    fu, fl = r(fixed["upper"]), r(fixed["lower"])
    return r(moving["image"]), r(fixed["image"]), r(moving["upper"]) - r(moving["lower"]), fu - fl, fu, fl


def batch_loss(model: RegistrationNet, fixed: dict, moving: dict, target: torch.Tensor | None, settings: TrainSettings):
    mov, fix, mcode, fcode, fu, fl = to_net(model, fixed, moving)
    params = model(mov, fix, mcode, fcode)
    k = model.input_size / fixed["image"].shape[-1]
    wu = warp(mov, scale_params(params[:, 0], k))
    wl = warp(mov, scale_params(params[:, 1], k))
    loss = joint_loss_torch(fix, wu, wl, fu, fl).mean()
    if target is not None:
        sup = Fn.smooth_l1_loss((params - target) * SUP_SCALE.to(params.device), torch.zeros_like(params))
        loss = loss + settings.supervised_weight * sup
    return loss, params


def _gather(crops: list[list[D.CropArrays]], idx: list[tuple[int, int, int]]):
    fixed = D.stack([crops[f][i] for f, i, _ in idx])
    moving = D.stack([crops[f][j] for f, _, j in idx])
    return fixed, moving


def _on(batch: dict[str, torch.Tensor], device: torch.device) -> dict[str, torch.Tensor]:
    return {k: v.to(device) for k, v in batch.items()}


def train(
    train_crops: list[list[D.CropArrays]],
    val_crops: list[list[D.CropArrays]],
    settings: TrainSettings,
    init_state: dict | None = None,
    synthetic_source: Callable[[int], tuple[dict, dict, torch.Tensor]] | None = None,
    on_epoch: Callable[[RegistrationNet, dict, bool], None] | None = None,
    device: torch.device | None = None,
) -> tuple[RegistrationNet, TrainReport]:
    """Train and return the model holding the best validation weights. The pairs are drawn and
    augmented on the CPU (one seeded generator, whatever the device); the network runs on `device`."""
    device = device or torch.device("cpu")
    torch.manual_seed(settings.seed)
    rnd = random.Random(settings.seed)
    gen = torch.Generator().manual_seed(settings.seed)
    model = build(settings.config)
    if init_state is not None:
        model.load_state_dict(init_state)
    model.to(device)
    opt = torch.optim.Adam(model.parameters(), lr=settings.lr)
    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=3)
    pairs = D.ordered_pairs(train_crops)
    singles = [(f, i, i) for f, c in enumerate(train_crops) for i in range(len(c))]
    val_pairs = D.ordered_pairs(val_crops)
    vgen = torch.Generator().manual_seed(12345)
    val_self = rnd.sample([(f, i, i) for f, c in enumerate(val_crops) for i in range(len(c))], k=min(200, sum(map(len, val_crops))))
    vfix, _ = _gather(val_crops, val_self)
    vmov, vtarget = D.self_pairs(vfix, vgen)
    vfix, vmov, vtarget = _on(vfix, device), _on(vmov, device), vtarget.to(device)
    report = TrainReport()
    start = time.perf_counter()
    bs = settings.batch_size
    for epoch in range(1, settings.epochs + 1):
        model.train()
        jobs = [("real", p) for p in rnd.sample(pairs, min(len(pairs), settings.real_pairs_per_epoch))]
        jobs += [("self", rnd.choice(singles)) for _ in range(settings.self_pairs_per_epoch)]
        jobs += [("synthetic", None)] * (settings.synthetic and settings.self_pairs_per_epoch)
        rnd.shuffle(jobs)
        total, count = 0.0, 0
        for b in range(0, len(jobs) - bs + 1, bs):
            kinds = [k for k, _ in jobs[b : b + bs]]
            losses = []
            for kind in ("real", "self", "synthetic"):
                idx = [p for k, p in jobs[b : b + bs] if k == kind]
                if not idx:
                    continue
                if kind == "real":
                    fixed, moving = _gather(train_crops, idx)
                    moving = D.augment_moving(moving, D.random_similarity(len(idx), gen, 15.0, 0.10, 12.0))
                    target = None
                elif kind == "self":
                    fixed, _ = _gather(train_crops, idx)
                    moving, target = D.self_pairs(fixed, gen)
                else:
                    fixed, moving, target = synthetic_source(len(idx), gen)
                fixed = dict(fixed, image=D.add_noise(fixed["image"], gen))
                moving = dict(moving, image=D.add_noise(moving["image"], gen))
                target = None if target is None else target.to(device)
                loss, _ = batch_loss(model, _on(fixed, device), _on(moving, device), target, settings)
                losses.append(loss * len(idx) / len(kinds))
            loss = sum(losses)
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += float(loss.detach()) * len(kinds)
            count += len(kinds)
        val = evaluate(model, val_crops, val_pairs, vfix, vmov, vtarget, settings)
        sched.step(val["score"])
        row = {"epoch": epoch, "train_loss": total / max(count, 1), **val, "lr": opt.param_groups[0]["lr"], "minutes": (time.perf_counter() - start) / 60}
        report.history.append(row)
        best = val["score"] < report.best_score
        if best:
            report.best_score, report.best_epoch = val["score"], epoch
            best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        if on_epoch:
            on_epoch(model, row, best)
        if settings.max_minutes and row["minutes"] > settings.max_minutes:
            break
    model.load_state_dict(best_state)
    return model.eval(), report


@torch.no_grad()
def evaluate(model, val_crops, val_pairs, vfix, vmov, vtarget, settings) -> dict:
    """Validation: Eq. 6 on repeat-visit pairs, |JSN error| and translation error on self-pairs (px)."""
    model.eval()
    device = next(model.parameters()).device
    losses = []
    for b in range(0, len(val_pairs), 64):
        fixed, moving = _gather(val_crops, val_pairs[b : b + 64])
        loss, _ = batch_loss(model, _on(fixed, device), _on(moving, device), None, settings)
        losses.append(float(loss) * len(val_pairs[b : b + 64]))
    mov, fix, mcode, fcode, _, _ = to_net(model, vfix, vmov)
    params = model(mov, fix, mcode, fcode)
    jsn_err = ((params[:, 0, 3] - params[:, 1, 3]) - (vtarget[:, 0, 3] - vtarget[:, 1, 3])).abs()
    t_err = (params[..., 2:] - vtarget[..., 2:]).norm(dim=-1)
    real = sum(losses) / max(len(val_pairs), 1)
    out = {"val_real_loss": real, "val_self_jsn_err_px": float(jsn_err.mean()), "val_self_shift_err_px": float(t_err.mean()),
           "val_self_shift_err_p95_px": float(torch.quantile(t_err.flatten(), 0.95))}
    out["score"] = out["val_self_shift_err_px"] + 100.0 * real
    return out
