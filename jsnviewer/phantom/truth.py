"""Ground truth of a synthetic study: joints, findings, bone masks, bone motions and JSN.

Geometry is in the conventions' continuous pixel frame (pixel (i, j) covers [j, j+1) × [i, i+1)).
A joint's masks cover the integer-aligned window `window_xy` (x0, y0) of shape `mask.shape`,
which lies within the pixel cover of its box; a mask pixel is set when its centre lies inside
that bone (for an ankylosed joint the bony bridge is split at the joint line between the two).

Per joint, `upper_transform` U and `lower_transform` L (3×3) map baseline px to follow-up px for the
distal and the proximal bone. The true JSN change is read at the **joint-space centre** c of the
baseline along its joint axis a (unit, pointing from the proximal to the distal bone), exactly as the
registration reads it (jsnviewer/registration/transform.py, Eq. 7 about that point):

    jsn_mm = ((c − U⁻¹(L(c))) · a) × pixel_size_mm

L(c) is where the follow-up's proximal bone carries c; U⁻¹ takes that follow-up point back with the
distal bone. So: how far the distal bone moved away from the proximal one at c, along a, in
baseline px: follow-up width − baseline width, negative = narrowing (conventions.md). In the
whole-hand study c is the analytic joint-space centre (`JointPlacement.centre`: half-way between
the proximal head's tip and the distal base on the axis) and a the proximal bone's axis; in an
upright joint crop (crops.py) c is `joint_centre` of the baseline bone masks, the point the
registration finds, and a = (0, −1), the crop's up.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from jsnviewer.atomic import atomic_write_bytes, atomic_write_json
from jsnviewer.errors import JsnError, plain_cause
from jsnviewer.joints import file_stem

TRUTH_VERSION = 1


class TruthError(JsnError):
    """A phantom truth file could not be read."""


@dataclass
class JointTruth:
    identity: str
    box: tuple[float, float, float, float]  # cx, cy, w, h (px)
    findings: dict[str, bool]
    upper_mask: np.ndarray  # bool, over the window
    lower_mask: np.ndarray
    window_xy: tuple[int, int]  # (x0, y0) of the masks' window
    centre: tuple[float, float]  # joint centre (px)
    axis: tuple[float, float]  # unit vector from the proximal towards the distal bone

    def mask_window(self) -> tuple[int, int, int, int]:
        """(x0, y0, width, height) of the masks."""
        h, w = self.upper_mask.shape
        return self.window_xy[0], self.window_xy[1], w, h


@dataclass
class VisitTruth:
    joints: list[JointTruth]

    def joint(self, identity: str) -> JointTruth:
        return next(j for j in self.joints if j.identity == identity)


@dataclass
class JointChangeTruth:
    identity: str
    upper_transform: np.ndarray  # 3×3, baseline px → follow-up px
    lower_transform: np.ndarray
    jsn_mm: float
    flexion_deg: float


@dataclass
class StudyTruth:
    seed: int
    laterality: str
    pixel_size_mm: float
    image_size: tuple[int, int]  # (width, height)
    baseline: VisitTruth
    followup: VisitTruth
    changes: dict[str, JointChangeTruth]
    global_transform: np.ndarray  # 3×3: the hand's repositioning, scale included
    version: int = TRUTH_VERSION


def jsn_from_transforms(upper: np.ndarray, lower: np.ndarray, centre, axis, pixel_size_mm: float) -> float:
    """The JSN change (mm) that a joint's two bone transforms imply (see the module docstring)."""
    c = np.array([centre[0], centre[1], 1.0])
    a = np.asarray(axis, dtype=float)
    back = np.linalg.solve(np.asarray(upper, dtype=float), np.asarray(lower, dtype=float) @ c)
    return float((c - back)[:2] @ (a / np.hypot(*a)) * pixel_size_mm)


def _matrix(m: np.ndarray) -> list[list[float]]:
    return [[float(v) for v in row] for row in np.asarray(m)[:3]]


def _mask_png(mask: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(mask.astype(np.uint8) * 255).save(buf, format="PNG")
    return buf.getvalue()


def write_truth(folder: Path, truth: StudyTruth) -> Path:
    """Masks as `masks/<visit>_<joint>_<upper|lower>.png`, then `truth.json` (written last)."""
    folder = Path(folder)
    visits = {}
    for visit_name, visit in (("baseline", truth.baseline), ("followup", truth.followup)):
        joints = []
        for j in visit.joints:
            files = {}
            for part, mask in (("upper", j.upper_mask), ("lower", j.lower_mask)):
                rel = f"masks/{visit_name}_{file_stem(j.identity)}_{part}.png"
                atomic_write_bytes(folder / rel, _mask_png(mask))
                files[part] = rel
            joints.append(
                {
                    "identity": j.identity,
                    "box": [float(v) for v in j.box],
                    "findings": {k: bool(v) for k, v in j.findings.items()},
                    "centre": [float(v) for v in j.centre],
                    "axis": [float(v) for v in j.axis],
                    "mask_window": {"x0": int(j.window_xy[0]), "y0": int(j.window_xy[1]), "width": int(j.upper_mask.shape[1]), "height": int(j.upper_mask.shape[0])},
                    "upper_mask": files["upper"],
                    "lower_mask": files["lower"],
                }
            )
        visits[visit_name] = {"joints": joints}
    doc = {
        "version": truth.version,
        "seed": truth.seed,
        "laterality": truth.laterality,
        "pixel_size_mm": truth.pixel_size_mm,
        "image_size": {"width": truth.image_size[0], "height": truth.image_size[1]},
        "jsn_sign": "follow-up width - baseline width in mm; negative = narrowing",
        "transform_convention": "3x3 matrices mapping baseline pixel coordinates (x, y, 1) to follow-up pixel coordinates",
        "global_transform": _matrix(truth.global_transform),
        "baseline": visits["baseline"],
        "followup": visits["followup"],
        "joints": {
            ident: {
                "upper_transform": _matrix(c.upper_transform),
                "lower_transform": _matrix(c.lower_transform),
                "jsn_mm": c.jsn_mm,
                "flexion_deg": c.flexion_deg,
            }
            for ident, c in truth.changes.items()
        },
    }
    return atomic_write_json(folder / "truth.json", doc)


def _read_mask(path: Path, shape: tuple[int, int]) -> np.ndarray:
    try:
        with Image.open(path) as im:
            mask = np.asarray(im.convert("L")) > 0
    except (OSError, ValueError) as exc:
        raise TruthError(f"{path}: cannot read the mask ({exc})") from exc
    if mask.shape != shape:
        raise TruthError(f"{path}: mask is {mask.shape[1]}×{mask.shape[0]}, truth.json says {shape[1]}×{shape[0]}")
    return mask


def load_truth(path: str | Path) -> StudyTruth:
    """Read `truth.json` (or the pair folder holding it) and its masks."""
    path = Path(path)
    if path.is_dir():
        path = path / "truth.json"
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise TruthError(f"{path}: file not found") from exc
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise TruthError(f"{path}: not a readable truth file ({exc})") from exc
    if not isinstance(doc, dict) or doc.get("version") != TRUTH_VERSION:
        raise TruthError(f"{path}: unsupported truth version {doc.get('version') if isinstance(doc, dict) else None!r} (expected {TRUTH_VERSION})")
    try:
        visits = {}
        for name in ("baseline", "followup"):
            joints = []
            for j in doc[name]["joints"]:
                win = j["mask_window"]
                shape = (int(win["height"]), int(win["width"]))
                joints.append(
                    JointTruth(
                        identity=j["identity"],
                        box=tuple(float(v) for v in j["box"]),
                        findings={k: bool(v) for k, v in j["findings"].items()},
                        upper_mask=_read_mask(path.parent / j["upper_mask"], shape),
                        lower_mask=_read_mask(path.parent / j["lower_mask"], shape),
                        window_xy=(int(win["x0"]), int(win["y0"])),
                        centre=tuple(float(v) for v in j["centre"]),
                        axis=tuple(float(v) for v in j["axis"]),
                    )
                )
            visits[name] = VisitTruth(joints)
        changes = {
            ident: JointChangeTruth(ident, np.array(c["upper_transform"], dtype=float), np.array(c["lower_transform"], dtype=float), float(c["jsn_mm"]), float(c["flexion_deg"]))
            for ident, c in doc["joints"].items()
        }
        return StudyTruth(
            seed=int(doc["seed"]),
            laterality=str(doc["laterality"]),
            pixel_size_mm=float(doc["pixel_size_mm"]),
            image_size=(int(doc["image_size"]["width"]), int(doc["image_size"]["height"])),
            baseline=visits["baseline"],
            followup=visits["followup"],
            changes=changes,
            global_transform=np.array(doc["global_transform"], dtype=float),
            version=int(doc["version"]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise TruthError(f"{path}: malformed truth file ({plain_cause(exc)})") from exc
