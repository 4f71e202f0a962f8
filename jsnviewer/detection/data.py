"""Training material for the detectors: hands at working resolution with joint boxes, and the
paper's window sampler with its augmentation (colour, crop-resize, rotation, flip).

Sources: synthetic hands (jsnviewer.phantom), the landmarked real hands in ../shared/data/real
(hands_ra2 labelme points, hands_rsna_shsnet coord_final.csv; points become boxes sized to the
joint), and the application's annotation dataset (jsnviewer.dataset).
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from jsnviewer.dataset import LeftOut, open_dataset
from jsnviewer.detection.loss import FINDING_UNKNOWN
from jsnviewer.detection.scan import WINDOW, working_image
from jsnviewer.errors import DatasetError, RadiographError, plain_cause
from jsnviewer.joints import FINDINGS
from jsnviewer.radiograph import RADIOGRAPH_SUFFIXES, Radiograph

# Box side of a joint as a multiple of the hand's MCP spacing (mean distance between neighbouring
# MCP2–MCP5): the means over 16 synthetic hands (the phantom sizes boxes from the bone widths).
BOX_PER_MCP_SPACING = {"MCP": 1.87, "IP": 1.74, "PIP": 1.54, "DIP": 1.3}

_RA2_LABELS = {"0_mcp_ip": "IP1", "1_pip_2": "PIP2", "2_pip_3": "PIP3", "3_pip_4": "PIP4", "4_pip_5": "PIP5",
               "5_mcp_1": "MCP1", "6_mcp_2": "MCP2", "7_mcp_3": "MCP3", "8_mcp_4": "MCP4", "9_mcp_5": "MCP5"}
_RSNA_COLUMNS = {"IP": "IP1", "PIP2": "PIP2", "PIP3": "PIP3", "PIP4": "PIP4", "PIP5": "PIP5", "MP": "MCP1",
                 "MCP2": "MCP2", "MCP3": "MCP3", "MCP4": "MCP4", "MCP5": "MCP5"}
# coord_final.csv holds points in a 224×224 frame resized from each image (checked against the
# anatomy of every image: x·W/224, y·H/224 lands on the joints; other frames do not).
_RSNA_FRAME = 224.0


@dataclass
class HandSample:
    """One radiograph's joints in full-radiograph pixels (boxes) plus where it comes from."""

    path: str
    boxes: np.ndarray  # (n, 4) cx, cy, w, h
    identities: list[str]
    findings: np.ndarray  # (n, len(FINDINGS)) bool
    laterality: str | None = None
    points_only: bool = False  # truth was a landmark point; the box is sized from the hand
    # Joints that are there but not annotated (the DIPs of landmarked hands): neither joint nor background.
    unlabelled: np.ndarray = field(default_factory=lambda: np.zeros((0, 4)))
    # Per joint: are its findings known (False: a landmark whose findings nobody scored)? None: all known.
    findings_known: np.ndarray | None = None

    def radiograph(self):
        """The radiograph read from `path`; one that cannot be read is named by its whole path: an annotation
        dataset's copy is named by its content (images/6ea2e87a9197acf5.dcm), which alone says not where it is."""
        from jsnviewer.radiograph import load_radiograph

        try:
            return load_radiograph(self.path)
        except RadiographError as exc:
            raise RadiographError(Path(self.path).absolute(), exc.reason, whole_path=True) from exc


def radiographs_of(samples: list[HandSample],
                   damaged: list[str] | None = None) -> Iterator[tuple[HandSample, Radiograph]]:
    """Each sample with its radiograph. With `damaged`, one that cannot be read is named there and left out (an
    annotation dataset's: one damaged file does not stop the user's other images from training); else it stops."""
    for sample in samples:
        try:
            yield sample, sample.radiograph()
        except RadiographError as exc:
            if damaged is None:
                raise
            damaged.append(str(exc))


@dataclass
class WorkingHand:
    """A hand at working resolution, ready for the window sampler (uint8 image, boxes scaled)."""

    image: np.ndarray  # (H', W') uint8
    boxes: np.ndarray  # (n, 4) in working pixels
    findings: np.ndarray  # (n, len(FINDINGS)) bool
    name: str
    unlabelled: np.ndarray = field(default_factory=lambda: np.zeros((0, 4), dtype=np.float32))
    real: bool = False  # a radiograph file (landmarked real hand, annotation dataset), not a phantom
    findings_known: np.ndarray | None = None  # per joint, as HandSample.findings_known
    findings_only: bool = False  # boxes sized from landmark points: teach findings, not boxes (see multibox_loss)


def to_working(pixels: np.ndarray, sample: HandSample, scale: float) -> WorkingHand:
    img, (fx, fy) = working_image(pixels, scale)
    f = np.array([fx, fy, fx, fy], dtype=np.float32)
    return WorkingHand((img.numpy() * 255 + 0.5).astype(np.uint8), sample.boxes.astype(np.float32) * f,
                       sample.findings.astype(bool), sample.path, sample.unlabelled.astype(np.float32).reshape(-1, 4) * f,
                       findings_known=sample.findings_known, findings_only=sample.points_only)


def boxes_from_points(points: dict[str, tuple[float, float]]) -> dict[str, tuple[float, float, float, float]]:
    """Square boxes centred on landmark points, sized to the joint from the hand's MCP spacing."""
    mcps = [points[f"MCP{d}"] for d in (2, 3, 4, 5) if f"MCP{d}" in points]
    if len(mcps) >= 2:
        spacing = float(np.mean([math.dist(a, b) for a, b in zip(mcps, mcps[1:])]))
    else:  # fall back on the nearest-neighbour distance of all points
        pts = np.array(list(points.values()))
        d = np.sqrt(((pts[:, None] - pts[None]) ** 2).sum(-1))
        np.fill_diagonal(d, np.inf)
        spacing = float(np.median(d.min(1)))
    out = {}
    for ident, (x, y) in points.items():
        side = BOX_PER_MCP_SPACING[ident.rstrip("12345")] * spacing
        out[ident] = (float(x), float(y), side, side)
    return out


def _sample_from_points(path: Path, points: dict[str, tuple[float, float]], laterality: str | None,
                        absent: set[str] = frozenset()) -> HandSample:
    """`absent`: the joints known to have neither finding; the others' findings are unknown."""
    boxes = boxes_from_points(points)
    names = list(boxes)
    # Where the DIPs are (not landmarked): 0.6 of the MCP–PIP distance beyond the PIP (the ratio of
    # the synthetic hands' mean shape), sized like a DIP.
    dips = []
    for d in (2, 3, 4, 5):
        if f"PIP{d}" in boxes and f"MCP{d}" in boxes:
            pip, mcp = np.array(boxes[f"PIP{d}"]), np.array(boxes[f"MCP{d}"])
            side = pip[2] * BOX_PER_MCP_SPACING["DIP"] / BOX_PER_MCP_SPACING["PIP"]
            dips.append([*(pip[:2] + 0.6 * (pip[:2] - mcp[:2])), side, side])
    return HandSample(str(path), np.array([boxes[n] for n in names], dtype=np.float64), names,
                      np.zeros((len(names), len(FINDINGS)), dtype=bool), laterality, points_only=True,
                      unlabelled=np.array(dips, dtype=np.float64).reshape(-1, 4),
                      findings_known=np.array([n in absent for n in names], dtype=bool))


# Sharp/van der Heijde joint space narrowing: 3 is > 50 % narrowing or subluxation, 4 ankylosis or
# complete luxation; a joint scored 0–2 has neither finding.
_SVDH_NO_FINDING = 2


def ra2_joints_without_findings(folder: Path, name: str) -> set[str]:
    """The joints of hand `name` (e.g. "UAB001-LH") whose SvdH narrowing score in svdh_scores.csv
    rules out ankylosis and subluxation (score ≤ 2). The thumb IP has no narrowing score."""
    table = folder / "svdh_scores.csv"
    if not table.is_file() or "-" not in name:
        return set()
    patient, hand = name.split("-", 1)
    with open(table, newline="") as fh:
        row = next((r for r in csv.DictReader(fh) if r.get("Patient_ID") == patient), None)
    if row is None:
        return set()
    out = set()
    for kind, digits in (("pip", (2, 3, 4, 5)), ("mcp", (1, 2, 3, 4, 5))):
        for d in digits:
            score = row.get(f"{hand}_{kind}_J__{d}", "")
            if score.strip().isdigit() and int(score) <= _SVDH_NO_FINDING:
                out.add(f"{kind.upper()}{d}")
    return out


def load_ra2(folder: str | Path) -> list[HandSample]:
    """hands_ra2: <name>.jpg with <name>.landmarks.json (labelme points; "-LH"/"-RH" is the hand).
    Joints whose SvdH narrowing score (svdh_scores.csv) is at most 2 are known to have no finding."""
    folder = Path(folder)
    out = []
    for js in sorted(folder.glob("*.landmarks.json")):
        try:
            doc = json.loads(js.read_text())
            pts = {_RA2_LABELS[s["label"]]: tuple(map(float, s["points"][0])) for s in doc["shapes"] if s["label"] in _RA2_LABELS}
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise DatasetError(f"{js.name}: not a labelme landmark file ({plain_cause(exc)})") from exc
        image = _landmarked_image(js, doc)
        lat = "L" if "-LH" in js.name else "R" if "-RH" in js.name else None
        out.append(_sample_from_points(image, pts, lat, ra2_joints_without_findings(folder, js.name.split(".")[0])))
    return out


def _landmarked_image(landmarks: Path, doc: dict) -> Path:
    """The radiograph a labelme file belongs to: its `imagePath`, else the file of the same name (.jpg as in
    hands_ra2, or any radiograph type); a missing one is reported when it is loaded."""
    stem = landmarks.name[: -len(".landmarks.json")]
    named = doc.get("imagePath")
    candidates = [landmarks.parent / named] if isinstance(named, str) and named else []
    candidates += [landmarks.parent / f"{stem}{suffix}" for suffix in (".jpg", *sorted(RADIOGRAPH_SUFFIXES), "")]
    return next((p for p in candidates if p.is_file()), landmarks.parent / f"{stem}.jpg")


def load_rsna(folder: str | Path) -> list[HandSample]:
    """hands_rsna_shsnet: coord_final.csv points (224×224 frame) scaled to each image's size.
    Duplicated images (identical pixels) are kept once. These are children's bone-age radiographs:
    their joints are taken to have neither finding."""
    from PIL import Image

    folder = Path(folder)
    out, seen = [], set()
    with open(folder / "coord_final.csv", newline="") as fh:
        for row in csv.DictReader(fh):
            image = folder / row["img_id"]
            digest = hashlib.sha256(image.read_bytes()).hexdigest()
            if digest in seen:
                continue
            seen.add(digest)
            with Image.open(image) as im:
                w, h = im.size
            pts = {ident: (float(row[f"{col}_x"]) * w / _RSNA_FRAME, float(row[f"{col}_y"]) * h / _RSNA_FRAME)
                   for col, ident in _RSNA_COLUMNS.items()}
            lat = "L" if row["img_id"].endswith("_L.png") else "R" if row["img_id"].endswith("_R.png") else None
            out.append(_sample_from_points(image, pts, lat, set(pts)))
    return out


def load_real(folder: str | Path) -> list[HandSample]:
    """Every landmarked real hand in `folder` or its hands_ra2/hands_rsna_shsnet subfolders (as in
    ../shared/data/real), told apart by content, not by the folder's name: labelme `*.landmarks.json`
    files (as hands_ra2) or a `coord_final.csv` (as hands_rsna_shsnet)."""
    folder = Path(folder)
    out: list[HandSample] = []
    for sub in ("hands_ra2", "hands_rsna_shsnet"):
        if (folder / sub).is_dir():
            out += load_real(folder / sub)
    if any(folder.glob("*.landmarks.json")):
        out += load_ra2(folder)
    if (folder / "coord_final.csv").is_file():
        out += load_rsna(folder)
    return out


def load_annotations(folder: str | Path) -> tuple[list[HandSample], LeftOut]:
    """The reviewed images of a jsnviewer dataset with the user's boxes (jsnviewer.dataset: proposals
    waiting for review and images nobody reviewed are no training data), and what was left out. The proposals
    waiting for review on a reviewed image are its `unlabelled` joints: an image reviewed in part (3 boxes
    confirmed, 11 proposals not yet) would otherwise teach the detectors that those joints are background."""
    ds = open_dataset(folder)
    reviewed, left_out = ds.reviewed_annotations(with_proposals=True)
    samples = []
    for ann in reviewed:
        joints = ann.reviewed_joints()
        samples.append(HandSample(
            str(ds.image_path(ann)),
            np.array([j.box for j in joints], dtype=np.float64).reshape(-1, 4),
            [j.identity or "" for j in joints],
            np.array([[j.findings.get(f, False) for f in FINDINGS] for j in joints], dtype=bool).reshape(-1, len(FINDINGS)),
            ann.laterality,
            unlabelled=np.array([j.box for j in ann.proposals()], dtype=np.float64).reshape(-1, 4),
        ))
    return samples, left_out


# ---------------------------------------------------------------- window sampler + augmentation

@dataclass
class Augment:
    """The paper's augmentation, each applied with probability `p` (0.5 in the paper)."""

    p: float = 0.5
    scale: tuple[float, float] = (0.65, 1.5)  # crop-resize (wide: radiographs of unknown pixel size)
    rotate_deg: float = 15.0
    flip: bool = True
    contrast: tuple[float, float] = (0.7, 1.3)
    brightness: float = 0.1
    gamma: tuple[float, float] = (0.7, 1.4)
    noise: float = 0.03


def sample_windows(hands: list[WorkingHand], finding_index: int, n: int, rng: np.random.Generator,
                   aug: Augment | None = None, positive_share: float = 0.25, background_share: float = 0.1,
                   real_share: float | None = None) -> tuple[torch.Tensor, list[tuple[torch.Tensor, torch.Tensor]]]:
    """n training windows (n, 1, 300, 300) and their targets (boxes in window pixels, labels 1/2, FINDING_UNKNOWN for joints whose findings are unknown;
    label -1 marks an unlabelled joint, which the loss leaves out of the background).

    Windows hold at least one joint (placed anywhere in the window, as the paper crops around a
    joint), a share centred near a joint with the finding (they are rare), and a share anywhere
    in the hand (background, wrist, edges). A joint is a target when its centre lies in the window.
    `real_share` is the share of windows cut from real radiographs (None: as many as they are).
    """
    aug = aug or Augment()
    choice = hand_probabilities(hands, real_share)
    images = torch.empty(n, 1, WINDOW, WINDOW)
    targets = []
    for k in range(n):
        hand = hands[int(rng.choice(len(hands), p=choice))]
        h, w = hand.image.shape
        r = rng.random()
        positives = np.flatnonzero(hand.findings[:, finding_index])
        s = rng.uniform(*aug.scale) if rng.random() < aug.p else 1.0
        if r < background_share or len(hand.boxes) == 0:
            centre = np.array([rng.uniform(0, w), rng.uniform(0, h)])
        else:
            pool = positives if (r < background_share + positive_share and len(positives)) else np.arange(len(hand.boxes))
            j = int(rng.choice(pool))
            centre = hand.boxes[j, :2] + rng.uniform(-WINDOW * 0.4, WINDOW * 0.4, size=2) / s
        th = math.radians(rng.uniform(-aug.rotate_deg, aug.rotate_deg)) if rng.random() < aug.p else 0.0
        flip = aug.flip and rng.random() < aug.p
        # Window pixel q (relative to its centre) shows source point centre + A q.
        rot = np.array([[math.cos(th), -math.sin(th)], [math.sin(th), math.cos(th)]]) / s
        a = rot @ np.diag([-1.0 if flip else 1.0, 1.0])
        q = (np.arange(WINDOW) + 0.5) - WINDOW / 2
        qx, qy = np.meshgrid(q, q)
        src = np.stack([qx, qy], -1) @ a.T + centre
        grid = torch.from_numpy(np.stack([2 * src[..., 0] / w - 1, 2 * src[..., 1] / h - 1], -1)).float()
        img = torch.from_numpy(hand.image).float().div_(255.0)
        win = F.grid_sample(img[None, None], grid[None], mode="bilinear", padding_mode="zeros", align_corners=False)[0]
        if rng.random() < aug.p:
            win = _colour(win, rng, aug)
        images[k] = win
        a_inv = np.linalg.inv(a)
        all_boxes = np.concatenate([hand.boxes, hand.unlabelled]).reshape(-1, 4)
        labels = 1 + hand.findings[:, finding_index].astype(np.int64)
        if hand.findings_known is not None:
            labels = np.where(hand.findings_known, labels, FINDING_UNKNOWN)
        all_labels = np.concatenate([labels,
                                     -np.ones(len(hand.unlabelled), dtype=np.int64)])
        cw = (all_boxes[:, :2] - centre) @ a_inv.T + WINDOW / 2
        inside = (cw[:, 0] >= 0) & (cw[:, 0] < WINDOW) & (cw[:, 1] >= 0) & (cw[:, 1] < WINDOW)
        boxes = np.concatenate([cw, all_boxes[:, 2:] * s], 1)[inside]
        targets.append((torch.from_numpy(boxes).float(), torch.from_numpy(all_labels[inside]), hand.findings_only))
    return images, targets


def hand_probabilities(hands: list[WorkingHand], real_share: float | None) -> np.ndarray:
    """How often each hand is drawn: uniform, or `real_share` of the draws spread over the real ones."""
    real = np.array([h.real for h in hands])
    p = np.full(len(hands), 1.0 / len(hands))
    if real_share is not None and real.any() and not real.all():
        p = np.where(real, real_share / real.sum(), (1 - real_share) / (~real).sum())
    return p


def _colour(win: torch.Tensor, rng: np.random.Generator, aug: Augment) -> torch.Tensor:
    g = rng.uniform(*aug.gamma)
    c = rng.uniform(*aug.contrast)
    b = rng.uniform(-aug.brightness, aug.brightness)
    out = win.clamp(0, 1) ** g
    out = (out - 0.5) * c + 0.5 + b
    out = out + torch.randn_like(out) * rng.uniform(0, aug.noise)
    return out.clamp(0, 1)
