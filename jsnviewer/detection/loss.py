"""The MultiBox loss of Eq. 1–3 with SSD matching and hard negative mining."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from jsnviewer.detection.boxes import encode, iou
from jsnviewer.detection.model import BACKGROUND, PRESENT

# A target label beside 1 (absent) and 2 (present): a joint whose finding is not known (a landmark
# of a real hand). It trains the box and "joint, not background", not which finding.
FINDING_UNKNOWN = 3


def match(truth_boxes: torch.Tensor, truth_labels: torch.Tensor, priors: torch.Tensor,
          threshold: float = 0.5) -> tuple[torch.Tensor, torch.Tensor]:
    """SSD matching: x_ij = 1 for each truth's best default box and every default box with IoU >= threshold.

    Returns (matched truth box per prior (N, 4), class per prior (N,), 0 = background).
    """
    n = priors.shape[0]
    if truth_boxes.numel() == 0:
        return torch.zeros(n, 4, device=priors.device), torch.zeros(n, dtype=torch.long, device=priors.device)
    overlaps = iou(truth_boxes, priors)  # (T, N)
    best_truth_overlap, best_truth_idx = overlaps.max(dim=0)
    best_prior_idx = overlaps.argmax(dim=1)
    best_truth_overlap[best_prior_idx] = 2.0  # every truth keeps its best default box
    best_truth_idx[best_prior_idx] = torch.arange(len(truth_boxes), device=priors.device)
    labels = truth_labels[best_truth_idx].clone()
    labels[best_truth_overlap < threshold] = BACKGROUND
    return truth_boxes[best_truth_idx], labels


def multibox_loss(loc: torch.Tensor, conf: torch.Tensor, targets: list[tuple[torch.Tensor, torch.Tensor]],
                  priors: torch.Tensor, variances: tuple[float, float], neg_pos_ratio: int = 3,
                  threshold: float = 0.5, present_weight: float = 1.0) -> tuple[torch.Tensor, dict[str, float]]:
    """L = (L_conf + L_loc) / N (Eq. 1, written as a positive quantity to minimise).

    `targets` per window: (boxes (T, 4), labels (T,)) with labels 1 absent, 2 present,
    FINDING_UNKNOWN for a joint whose finding is not known (its cross-entropy is that of the joint
    classes together, −log(P(absent) + P(present))), and -1 for a joint that is there but
    unlabelled (its default boxes are left out of the negatives).

    L_loc (Eq. 2): smooth L1 between predicted and encoded truth offsets over matched boxes.
    L_conf (Eq. 3): softmax cross-entropy over matched boxes and the hardest background boxes,
    `neg_pos_ratio` negatives per positive (at least a few per window without joints).
    `present_weight` multiplies the cross-entropy of default boxes matched to a joint with the
    finding (rare: 1 joint in 13 of the synthetic hands); 1 is Eq. 3 as written.

    A target may carry a third element, `findings_only` (True for windows of landmarked real
    hands, whose boxes are sized from points and whose other joint-like structures are not
    annotated): such a window teaches only absent vs present on its matched default boxes,
    −log(P(label) / (P(absent) + P(present))), with no box regression and no background.
    """
    b = loc.shape[0]
    loc_t = torch.empty_like(loc)
    cls_t = torch.empty(conf.shape[:2], dtype=torch.long, device=conf.device)
    ignored = torch.zeros(conf.shape[:2], dtype=torch.bool, device=conf.device)
    findings_only = torch.tensor([bool(t[2]) if len(t) > 2 else False for t in targets], device=conf.device)
    for i, (boxes, labels, *_) in enumerate(targets):
        known = labels >= 0
        matched, cls = match(boxes[known], labels[known], priors, threshold)
        loc_t[i] = encode(matched, priors, variances) if known.any() else 0.0
        cls_t[i] = cls
        if (~known).any():  # unlabelled joints: their default boxes are neither joint nor background
            ignored[i] = (iou(boxes[~known], priors) >= threshold / 2).any(dim=0) & (cls == BACKGROUND)
    pos = cls_t > BACKGROUND
    split = pos & findings_only[:, None]  # finding-only windows: absent vs present on their joints
    pos = pos & ~findings_only[:, None]
    num_pos = pos.sum(dim=1, keepdim=True)
    loss_loc = F.smooth_l1_loss(loc[pos], loc_t[pos], reduction="sum") if pos.any() else loc.sum() * 0

    unknown = cls_t == FINDING_UNKNOWN
    ce = F.cross_entropy(conf.reshape(-1, conf.shape[-1]), cls_t.clamp(max=PRESENT).reshape(-1),
                         reduction="none").reshape(b, -1)
    if unknown.any():
        joint_ce = torch.logsumexp(conf, dim=-1) - torch.logsumexp(conf[..., BACKGROUND + 1:], dim=-1)
        ce = torch.where(unknown, joint_ce, ce)
    mining = ce.detach().clone()
    mining[pos | ignored] = 0.0
    rank = mining.argsort(dim=1, descending=True).argsort(dim=1)
    num_neg = torch.clamp(neg_pos_ratio * num_pos, min=8, max=pos.shape[1] - 1)
    neg = (rank < num_neg) & ~ignored & ~findings_only[:, None]
    weight = torch.where(cls_t == PRESENT, present_weight, 1.0)
    loss_conf = (ce * weight)[pos | neg].sum()
    known_split = split & (cls_t != FINDING_UNKNOWN)
    if known_split.any():
        joint = conf[known_split][:, BACKGROUND + 1:]
        loss_conf = loss_conf + F.cross_entropy(joint, cls_t[known_split] - 1 - BACKGROUND, reduction="sum")
    n = (num_pos.sum() + known_split.sum()).clamp(min=1).float()
    total = (loss_conf + loss_loc) / n
    return total, {"loc": float(loss_loc.detach() / n), "conf": float(loss_conf.detach() / n),
                   "pos": float(num_pos.float().mean())}
