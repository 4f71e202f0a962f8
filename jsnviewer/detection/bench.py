"""Benchmark of the joint detector on radiographs with ground truth.

Truth is either boxes with findings (synthetic studies: truth.json) or landmark points (labelme
files, coord_final.csv). A truth box is detected when a detection overlaps it with IoU > 0.45
(the paper's criterion); a landmark is detected when it lies inside a detection's box. Each
detection serves at most one truth joint (optimal one-to-one matching). A detection that no truth joint takes is a
false positive unless it matches (by the same rule) a joint nobody has reviewed yet: on an annotation dataset's
image reviewed in part, the proposals still waiting for review (`TruthImage.unlabelled`).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from scipy.optimize import linear_sum_assignment

from jsnviewer.detection.boxes import iou
from jsnviewer.detection.data import load_annotations, load_real
from jsnviewer.detection.detector import Detection, JointDetector, hand_side_of
from jsnviewer.detection.thresholds import Thresholds
from jsnviewer.joints import FINDINGS, kind_of

DETECTED_IOU = 0.45


@dataclass
class TruthImage:
    name: str
    pixels: np.ndarray
    pixel_size_mm: float | None
    laterality: str | None  # the hand the radiograph (or the user's annotation) states: what the detector is given
    boxes: np.ndarray  # (n, 4); for point truth the boxes' centres are the landmarks
    identities: list[str]
    findings: np.ndarray | None  # (n, len(FINDINGS)) bool; None when the truth has no findings
    points_only: bool
    findings_known: np.ndarray | None = None  # (n,) bool: joints whose findings count (None: all)
    side: str | None = None  # the hand it truly shows ("L"/"R"; e.g. from the file name), for scoring only
    # (m, 4) joints nobody has reviewed yet (proposals waiting for review): a detection of one is no false positive
    unlabelled: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros((0, 4)))


def match(truth: TruthImage, detections: list[Detection]) -> list[tuple[int, int]]:
    """(truth index, detection index) pairs of the detected truth joints."""
    if not detections or len(truth.boxes) == 0:
        return []
    det = torch.tensor([d.box for d in detections], dtype=torch.float64)
    if truth.points_only:
        pts = torch.from_numpy(truth.boxes[:, :2])
        inside = ((pts[:, None, 0] - det[None, :, 0]).abs() <= det[None, :, 2] / 2) & \
                 ((pts[:, None, 1] - det[None, :, 1]).abs() <= det[None, :, 3] / 2)
        dist = ((pts[:, None, :] - det[None, :, :2]) ** 2).sum(-1).sqrt()
        score = torch.where(inside, 1.0 / (1.0 + dist), torch.zeros_like(dist)).numpy()
    else:
        score = iou(torch.from_numpy(truth.boxes), det).numpy()
        score = np.where(score > DETECTED_IOU, score, 0.0)
    rows, cols = linear_sum_assignment(-score)
    return [(int(r), int(c)) for r, c in zip(rows, cols) if score[r, c] > 0]


def synthetic_images(n: int, first_seed: int = 1_000_000) -> Iterator[TruthImage]:
    """n synthetic hands (baseline and follow-up of n/2 studies), seeds far from training's."""
    from jsnviewer.phantom.study import generate_study

    k = 0
    seed = first_seed
    while k < n:
        study = generate_study(seed)
        for visit in ("baseline", "followup"):
            if k >= n:
                break
            yield _from_phantom(f"synthetic-{seed}-{visit}", getattr(study, visit), getattr(study.truth, visit))
            k += 1
        seed += 1


def _from_phantom(name: str, radiograph, visit) -> TruthImage:
    joints = visit.joints
    return TruthImage(name, radiograph.pixels, radiograph.pixel_size_mm, radiograph.identity.laterality,
                      np.array([j.box for j in joints], dtype=np.float64), [j.identity for j in joints],
                      np.array([[bool(j.findings.get(f, False)) for f in FINDINGS] for j in joints]), False)


def dataset_images(folder: str | Path, at_most: int | None = None) -> Iterator[TruthImage]:
    """The reviewed radiographs of an annotation dataset (jsnviewer.dataset), as the trainers read them: the
    user's boxes and the findings they marked are the truth, proposals waiting for review are not: they are its
    `unlabelled` joints (real joints nobody has boxed yet, so a detection of one is not known to be false). With
    `at_most`, that many of them, spread evenly over the dataset's order."""
    samples, _ = load_annotations(folder)
    if at_most is not None and len(samples) > at_most:
        samples = [samples[int(k)] for k in np.unique(np.linspace(0, len(samples) - 1, at_most).round())]
    for s in samples:
        r = s.radiograph()
        yield TruthImage(Path(s.path).name, r.pixels, r.pixel_size_mm, s.laterality or r.identity.laterality,
                         s.boxes, s.identities, s.findings, False, unlabelled=s.unlabelled)


def folder_images(folder: str | Path) -> Iterator[TruthImage]:
    """Radiographs with truth under `folder`: an annotation dataset's reviewed radiographs, synthetic study
    folders (truth.json with baseline/follow-up images) and landmarked real hands (labelme, coord_final.csv)."""
    from jsnviewer.dataset import is_dataset
    from jsnviewer.errors import DatasetError
    from jsnviewer.phantom.truth import load_truth
    from jsnviewer.radiograph import load_radiograph

    folder = Path(folder)
    if not folder.is_dir():
        raise DatasetError(f"{folder}: not a folder")
    if is_dataset(folder):
        empty = True
        for image in dataset_images(folder):
            empty = False
            yield image
        if empty:
            raise DatasetError(f"{folder}: no reviewed radiograph (one with boxes of the user's) in this dataset")
        return
    found = False
    for truth_path in sorted(folder.rglob("truth.json")):
        truth = load_truth(truth_path)
        for visit in ("baseline", "followup"):
            images = sorted(truth_path.parent.glob(f"{visit}.*"))
            if not images:
                raise DatasetError(f"{truth_path.parent}: truth.json but no {visit} image")
            found = True
            yield _from_phantom(f"{truth_path.parent.name}/{visit}", load_radiograph(images[0]), getattr(truth, visit))
    real_dirs = {p.parent for p in folder.rglob("*.landmarks.json")} | {p.parent for p in folder.rglob("coord_final.csv")}
    for d in sorted(real_dirs):
        for s in load_real(d):
            r = s.radiograph()
            found = True
            known = s.findings_known if s.findings_known is not None and s.findings_known.any() else None
            # the side in a landmarked hand's file name is truth: the product sees only what the radiograph states
            yield TruthImage(Path(s.path).name, r.pixels, r.pixel_size_mm, r.identity.laterality,
                             s.boxes, s.identities, s.findings if known is not None else None, True, known, s.laterality)
    if not found:
        raise DatasetError(f"{folder}: no truth.json study folders or landmarked radiographs found")


def _rates(tp: int, fp: int, tn: int, fn: int) -> dict:
    def div(a, b):
        return a / b if b else None
    return {"tp": tp, "fp": fp, "tn": tn, "fn": fn, "accuracy": div(tp + tn, tp + fp + tn + fn),
            "precision": div(tp, tp + fp), "recall": div(tp, tp + fn), "specificity": div(tn, tn + fp),
            "f1": div(2 * tp, 2 * tp + fp + fn)}


def run_bench(detector: JointDetector, images: Iterator[TruthImage], thresholds: Thresholds = Thresholds(),
              scale: float | None = None, progress: Callable[[dict], None] | None = None) -> dict:
    per_image = []
    n_truth = n_det = n_ident = 0
    ious: list[float] = []
    counts = {f: [0, 0, 0, 0] for f in FINDINGS}  # tp fp tn fn
    seconds = []
    false_pos = 0
    waiting = 0  # detections of joints waiting for review: not counted as false positives
    other_side = 0  # hands whose joints are named as the other hand's
    has_findings = False
    for img in images:
        s = detector.working_scale(img.pixel_size_mm) if scale is None else scale
        t0 = time.perf_counter()
        dets = detector.detect_pixels(img.pixels, img.laterality, thresholds, s)
        seconds.append(time.perf_counter() - t0)
        pairs = match(img, dets)
        right = sum(dets[d].identity == img.identities[t] for t, d in pairs)
        if not img.points_only:
            ious += [float(iou(torch.tensor(img.boxes[t:t + 1]), torch.tensor([dets[d].box], dtype=torch.float64))[0, 0])
                     for t, d in pairs]
        if img.findings is not None:
            has_findings = True
            for t, d in pairs:
                if img.findings_known is not None and not img.findings_known[t]:
                    continue
                for fi, f in enumerate(FINDINGS):
                    truth, pred = bool(img.findings[t, fi]), bool(dets[d].findings[f])
                    counts[f][0 if truth and pred else 1 if pred else 3 if truth else 2] += 1
        matched = {t for t, _ in pairs}
        missed = [img.identities[t] for t in range(len(img.identities)) if t not in matched]
        n_truth += len(img.identities)
        n_det += len(pairs)
        n_ident += right
        used = {d for _, d in pairs}
        # Landmarked hands have no DIP landmarks: a box named DIP there is not counted as false.
        free = [d for k, d in enumerate(dets)
                if k not in used and not (img.points_only and d.identity and kind_of(d.identity) == "DIP")]
        # nor is one of a joint nobody has reviewed yet (each such joint excuses one detection)
        unreviewed = len(match(dataclasses.replace(img, boxes=img.unlabelled), free)) if len(img.unlabelled) else 0
        fp = len(free) - unreviewed
        false_pos += fp
        waiting += unreviewed
        named_side = hand_side_of(dets)
        other_side += bool(img.side and named_side and named_side != img.side)
        row = {"image": img.name, "joints": len(img.identities), "detected": len(pairs),
               "detection_rate": len(pairs) / max(1, len(img.identities)), "identity_right": right,
               "false_positives": fp, "not_counted_waiting_for_review": unreviewed, "missed": missed, "side": img.side, "named_as": named_side,
               "seconds": round(seconds[-1], 3)}
        per_image.append(row)
        if progress:
            progress(row)
    out = {
        "images": len(per_image),
        "joints": n_truth,
        "detection_rate": n_det / n_truth if n_truth else None,
        "identity_accuracy": n_ident / n_det if n_det else None,
        "identity_accuracy_of_all_joints": n_ident / n_truth if n_truth else None,
        "false_positives_per_image": false_pos / max(1, len(per_image)),
        # detections of proposals waiting for review (on images reviewed in part): neither true nor false positives
        "not_counted_waiting_for_review": waiting,
        "named_as_other_hand": other_side,
        "mean_iou": float(np.mean(ious)) if ious else None,
        "s_per_image": float(np.mean(seconds)) if seconds else None,
        "thresholds": thresholds.__dict__,
        "per_image": per_image,
    }
    for f in FINDINGS:
        out[f] = _rates(*counts[f]) if has_findings else None
    return out
