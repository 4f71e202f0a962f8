"""The joint detector the application calls: two SSDs, Algorithm 1, joint identities.

    detector = JointDetector.load()                  # the shipped weights (or paths to others)
    detections = detector.detect(radiograph)          # list[Detection], full-radiograph pixels
"""

from __future__ import annotations

import copy
import hashlib
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch

from jsnviewer.detection.ensemble import EnsembleBox, ensemble
from jsnviewer.detection.findings import MODEL_NAME as FINDINGS_MODEL_NAME
from jsnviewer.detection.findings import FindingNet, load_finding_net
from jsnviewer.detection.identity import assign_identities, hand_side, mcp_spacing, side_margin
from jsnviewer.detection.model import ABSENT, PRESENT, SSD300, SSDConfig
from jsnviewer.detection.scan import HALF, expand, normalise, scan
from jsnviewer.detection.second_look import SECOND_LOOK_CONF, second_look
from jsnviewer.detection.thresholds import Thresholds
from jsnviewer.joints import FINDINGS, SIDES, hand_of
from jsnviewer.weights import Weights, load_weights, resolve_weights, save_weights, unfit

MODEL_NAMES = {"ankylosis": "detector_ankylosis", "subluxation": "detector_subluxation"}
# The working resolution of the paper: its 0.175 mm radiographs halved.
WORKING_PIXEL_MM = 0.35
# The hands' size at working resolution: mean MCP spacing (neighbouring MCP2–MCP5) of the synthetic
# training hands (phantom seeds 0–5, both visits: 58–70 px, mean 63.3 px). A radiograph without a
# pixel size is resized so that its hand has this size (JointDetector.detect_pixels).
WORKING_MCP_SPACING_PX = 63.3
# Resizes that are scanned first to find the hand when the pixel size is unknown: an adult hand
# exported at ~0.1 mm/px shows at 0.5, a child's or a coarse export at 1.
PROBE_SCALES = (0.5, 1.0)
# They are meant for radiographs of the usual size (a hand at 0.1–0.2 mm/px: up to ~2,000 px). A larger
# one (a fine detector or scanner) is probed at the same scales relative to that size: probing a
# 3,000 × 4,000 px image at full size cost 20 s and found nothing the relative probes miss.
PROBE_IMAGE_PX = 2000
LARGE_IMAGE_PX = 2500
# A probe whose scale is this close (relative) to the hand's working scale is kept as it is.
SCALE_TOLERANCE = 0.12
# A scan is believed when its named joints put the hand at a size the detectors were trained on:
# MCP spacing within this range times WORKING_MCP_SPACING_PX (the synthetic hands span 0.92–1.1 of it,
# the training's crop-resize augmentation ×0.65–1.5 around that).
HAND_SIZE_RANGE = (0.7, 1.45)
# Where the believed scans of a radiograph that states no hand name it as different hands, one more scan
# shows the hand this much larger than the training hands (midway to the largest believed size): finer
# detail finds fingers missed at the working size, whose joints tell the side.
SIDE_SCAN_SIZE = (1.0 + HAND_SIZE_RANGE[1]) / 2


@dataclass
class Detection:
    """One joint found on a radiograph."""

    box: tuple[float, float, float, float]  # cx, cy, w, h in full-radiograph pixels
    identity: str | None  # e.g. "PIP3"; None when the box fits no joint of the hand
    score: float  # ĉ of Algorithm 1
    findings: dict[str, bool] = field(default_factory=dict)  # finding -> present
    confidences: dict[str, float] = field(default_factory=dict)  # finding -> P(present | joint)
    #   (the joint finding classifier's P(finding) when it decides)
    source: str = "both"  # which detector(s) found the box: "both", "ankylosis" or "subluxation"; "user": a box
    #   the user drew or corrected (pipeline.analyze.with_corrections)


def _split(boxes: list, conf: float) -> tuple[list[tuple], list[tuple]]:
    """A scan's boxes as (core, class probabilities): those above the joint confidence `conf`, and the fainter ones."""
    return ([(b.box, b.probs) for b in boxes if b.score > conf], [(b.box, b.probs) for b in boxes if b.score <= conf])


class _Image(NamedTuple):
    """A radiograph's full-resolution pixels and their `scan.normalise`."""

    pixels: np.ndarray
    normalised: np.ndarray


class _Scan(NamedTuple):
    """One scan of a radiograph whose pixel size is unknown."""

    scale: float
    detections: list[Detection]
    spacing: float | None  # the hand's MCP spacing in full-image pixels, from the named joints
    side: str | None  # the hand its joints are named as ("L"/"R"; None: too few, or both hands)


def _scan_of(scale: float, dets: list[Detection]) -> _Scan:
    return _Scan(scale, dets, hand_spacing(dets), hand_side_of(dets))


def _believed(p: _Scan) -> bool:
    """Whether the scan's named joints put the hand at a size the detectors were trained on."""
    return bool(p.spacing) and HAND_SIZE_RANGE[0] <= p.scale * p.spacing / WORKING_MCP_SPACING_PX <= HAND_SIZE_RANGE[1]


def _disagree(scans: list[_Scan]) -> bool:
    """Whether the scans name the hand as different hands."""
    return len({p.side for p in scans if p.side}) > 1


def _side_by_fit(scans: list[_Scan]) -> str:
    """The side the scans fit better in sum of how much better each fits its side than the other
    (`identity.side_margin`): a hand's side does not depend on the scale it was scanned at, so each scan's fit is
    evidence for it. Measured only where the scans disagree (two more identity fits per scan)."""
    fit: dict[str, float] = {}
    for p in scans:
        if p.side:
            fit[p.side] = fit.get(p.side, 0.0) + (side_margin(_layout(p.detections)[0]) or 0.0)
    return max(fit, key=fit.__getitem__)


def _named(dets: list[Detection]) -> int:
    return sum(d.identity is not None for d in dets)


def _layout(dets: list[Detection]) -> tuple[np.ndarray, list[str | None]]:
    return np.array([d.box[:2] for d in dets], dtype=float).reshape(-1, 2), [d.identity for d in dets]


def hand_spacing(dets: list[Detection]) -> float | None:
    """The hand's MCP spacing in image pixels from the named detections (`identity.mcp_spacing`)."""
    return mcp_spacing(*_layout(dets))


def hand_side_of(dets: list[Detection]) -> str | None:
    """"L" or "R" from how the named detections lie (`identity.hand_side`)."""
    return hand_side(*_layout(dets))


def finding_confidence(probs: tuple[float, float, float]) -> float:
    """P(finding present | joint) from a box's class probabilities."""
    joint = probs[ABSENT] + probs[PRESENT]
    return float(probs[PRESENT] / joint) if joint > 0 else 0.0


def load_ssd(path: str | Path, finding: str) -> SSD300:
    """An SSD from a weights file; WeightsError names the file when it is missing or unusable."""
    w = load_weights(path, expected_model=MODEL_NAMES[finding])
    try:
        model = SSD300(SSDConfig.from_dict(w.config))
        model.load_state_dict(w.state_dict)
        # The decision threshold on P(present | joint) chosen on validation hands (argmax: 0.5).
        model.finding_threshold = float(w.meta.get("finding_threshold", 0.5))
    except (KeyError, TypeError, ValueError, RuntimeError) as exc:
        raise unfit(w, "detector network", exc) from exc
    return model.eval()


def save_ssd(path: str | Path, model: SSD300, finding: str, meta: dict) -> Path:
    meta = {**meta, "finding_threshold": getattr(model, "finding_threshold", 0.5)}
    return save_weights(path, Weights(MODEL_NAMES[finding], model.config.to_dict(), model.state_dict(), meta))


class JointDetector:
    """The two SSDs and Algorithm 1 find and name the joints; the joint finding classifier, when
    given, decides each joint's findings (else the SSDs' class probabilities do, as in the paper)."""

    _found: dict | None = None  # the joints found per radiograph, where kept for another classifier (`with_findings`)

    def __init__(self, ankylosis: SSD300, subluxation: SSD300, device: torch.device | None = None,
                 findings: FindingNet | None = None):
        if ankylosis.config.box_scale != subluxation.config.box_scale:
            raise ValueError("the two detectors regress boxes of different scales (box_scale)")
        self.device = device or torch.device("cpu")
        self.models = {"ankylosis": ankylosis.to(self.device).eval(), "subluxation": subluxation.to(self.device).eval()}
        self.findings = findings.to(self.device).eval() if findings is not None else None

    def with_findings(self, findings: FindingNet) -> JointDetector:
        """The same detectors with another finding classifier: what they find does not depend on it, so each radiograph
        either detector scans is scanned once for both (the comparison of a new classifier with the one in use)."""
        other = JointDetector(self.models["ankylosis"], self.models["subluxation"], self.device, findings)
        self._found = other._found = self._found if self._found is not None else {}
        return other

    @classmethod
    def load(cls, ankylosis: str | Path | None = None, subluxation: str | Path | None = None,
             device: str | None = None, findings: str | Path | None = None, classify: bool = True) -> JointDetector:
        """The shipped (or the given) weights; `classify=False` leaves the findings to the SSDs."""
        from jsnviewer.device import choose_device

        a = load_ssd(resolve_weights(MODEL_NAMES["ankylosis"], ankylosis), "ankylosis")
        s = load_ssd(resolve_weights(MODEL_NAMES["subluxation"], subluxation), "subluxation")
        f = load_finding_net(resolve_weights(FINDINGS_MODEL_NAME, findings)) if classify else None
        return cls(a, s, choose_device(device), f)

    @staticmethod
    def working_scale(pixel_size_mm: float | None) -> float | None:
        """The resize before scanning: when the pixel size is known, to the paper's working
        resolution of 0.35 mm/px (its 0.175 mm radiographs halved); None (choose) when unknown."""
        if pixel_size_mm is None or pixel_size_mm <= 0:
            return None
        return float(pixel_size_mm) / WORKING_PIXEL_MM

    def detect_pixels(self, pixels: np.ndarray, laterality: str | None = None, thresholds: Thresholds = Thresholds(),
                      scale: float | None = HALF, progress: Callable[[float], None] | None = None) -> list[Detection]:
        """Detections on full-resolution `pixels`, resized by `scale` before scanning.

        With `scale=None` (pixel size unknown) the radiograph is scanned at PROBE_SCALES (relative to
        PROBE_IMAGE_PX for a radiograph larger than LARGE_IMAGE_PX). A probe is
        believed when its named joints put the hand at a trained size (HAND_SIZE_RANGE); the
        believed probe naming the most joints gives the hand's size (its MCP spacing), the radiograph
        is scanned again at the scale that brings it to the training hands' (WORKING_MCP_SPACING_PX)
        unless a believed probe is within SCALE_TOLERANCE of it, and of these scans the one naming the
        most joints wins (on a tie, the one nearest that scale). Where `laterality` states no hand and the
        believed scans name the hand as different hands, it is scanned once more at SIDE_SCAN_SIZE times the
        training hands' size, the side is the one the believed scans fit better in sum (`identity.side_margin`)
        and only the scans naming that side are chosen from.
        `progress(fraction)` is called as the windows are scanned (it may raise to cancel)."""
        report = progress or (lambda fraction: None)
        image = _Image(pixels, normalise(pixels))  # normalised once for every scan and the finding classifier
        if self._found is None:
            return self._classify(image, self._find(image, laterality, thresholds, scale, report))
        key = (hashlib.sha256(np.ascontiguousarray(pixels).tobytes()).hexdigest(), pixels.shape, str(pixels.dtype),
               laterality, thresholds, scale)
        if key not in self._found:
            self._found[key] = self._find(image, laterality, thresholds, scale, report)
        report(1.0)
        return self._classify(image, copy.deepcopy(self._found[key]))  # classifying sets each one's findings

    def _find(self, image: _Image, laterality: str | None, thresholds: Thresholds, scale: float | None,
              report: Callable[[float], None]) -> list[Detection]:
        """`detect_pixels` before the finding classifier decides the findings."""
        pixels = image.pixels
        if scale is not None:
            return self._detect_at(image, laterality, thresholds, scale, report)
        scans = len(PROBE_SCALES) + 2  # the probes, then at most a rescan and a scan to tell the side

        def part(k: int) -> Callable[[float], None]:
            return lambda fraction: report((k + fraction) / scans)

        size = max(pixels.shape)
        relative = PROBE_IMAGE_PX / size if size > LARGE_IMAGE_PX else 1.0
        probes = [_scan_of(s, self._detect_at(image, laterality, thresholds, s, part(k)))
                  for k, s in enumerate(probe * relative for probe in PROBE_SCALES)]
        believed = [p for p in probes if _believed(p)]
        best = max(believed or probes, key=lambda p: (_named(p.detections), sum(d.score for d in p.detections)))
        if not best.spacing:
            report(1.0)
            return best.detections
        target = float(np.clip(WORKING_MCP_SPACING_PX / best.spacing, 0.2, 1.5))
        if not any(abs(target / p.scale - 1) < SCALE_TOLERANCE for p in believed):
            believed.append(_scan_of(target, self._detect_at(image, laterality, thresholds, target, part(scans - 2))))
        if laterality not in SIDES and _disagree(believed):  # the scans disagree on which hand it is: look closer
            larger = float(np.clip(target * SIDE_SCAN_SIZE, 0.2, 1.5))
            extra = _scan_of(larger, self._detect_at(image, laterality, thresholds, larger, part(scans - 1)))
            believed += [extra] if _believed(extra) else []
            side = _side_by_fit(believed)
            believed = [p for p in believed if p.side == side]
        report(1.0)
        return max(believed, key=lambda p: (_named(p.detections), -abs(math.log(p.scale / target)))).detections

    def _classify(self, image: _Image, detections: list[Detection]) -> list[Detection]:
        """Each detection's findings from the joint finding classifier, when there is one."""
        if self.findings is None or not detections:
            return detections
        probs = self.findings.probabilities(image.normalised, [d.box for d in detections])
        for d, p in zip(detections, probs):
            d.confidences = {f: float(v) for f, v in zip(FINDINGS, p)}
            d.findings = {f: d.confidences[f] >= self.findings.thresholds[f] for f in FINDINGS}
        return detections

    def _detect_at(self, image: _Image, laterality: str | None, thresholds: Thresholds, scale: float,
                   progress: Callable[[float], None]) -> list[Detection]:
        # M1, M2 count the joints of one hand; a radiograph of both hands holds twice as many. NMS keeps
        # boxes best first, so the first M of the doubled lists are exactly the one-hand selection.
        look = min(thresholds.conf, SECOND_LOOK_CONF)
        r1 = scan(self.models["ankylosis"], image.pixels, look, thresholds.iou1, 2 * thresholds.m1, scale,
                  progress=lambda fraction: progress(0.5 * fraction), normalised=image.normalised)
        r2 = scan(self.models["subluxation"], image.pixels, look, thresholds.iou1, 2 * thresholds.m2, scale,
                  progress=lambda fraction: progress(0.5 + 0.5 * fraction), normalised=image.normalised)
        # NMS keeps boxes best first and a fainter box suppresses no surer one, so the boxes above t_conf
        # are exactly those of a scan at t_conf; the fainter ones are kept for the second look
        (b1, faint1), (b2, faint2) = (_split(r.boxes, thresholds.conf) for r in (r1, r2))
        merged = ensemble(b1[:thresholds.m1], b2[:thresholds.m2], thresholds.iou2, thresholds.m1)
        identities = assign_identities(np.array([m.box[:2] for m in merged]), laterality) if merged else []
        every = ensemble(b1, b2, thresholds.iou2, 2 * thresholds.m1)
        if len(every) > len(merged):  # more boxes than one hand's selection keeps: perhaps two hands
            named = assign_identities(np.array([m.box[:2] for m in every]), laterality)
            if any(hand_of(name) for name in named if name):
                merged, identities = every, named
        found = [self._detection(m, ident) for m, ident in zip(merged, identities)]
        faint = ensemble(faint1, faint2, thresholds.iou2, len(faint1) + len(faint2))
        return found + [self._detection(m, ident) for m, ident in second_look(merged, identities, faint, thresholds.iou1)]

    def _detection(self, m: EnsembleBox, identity: str | None) -> Detection:
        """A merged box (a joint core) as a joint found: the annotated-size box, findings by the SSDs."""
        findings, confs = {}, {}
        for name, probs in zip(FINDINGS, (m.c1, m.c2)):
            confs[name] = finding_confidence(probs)
            findings[name] = confs[name] >= getattr(self.models[name], "finding_threshold", 0.5)
        source = {"both": "both", "1": "ankylosis", "2": "subluxation"}[m.source]
        return Detection(expand(m.box, self.models["ankylosis"].config.box_scale), identity, m.score, findings, confs, source)

    def grad_cam(self, pixels: np.ndarray, detection: Detection, finding: str = "ankylosis", layer: str = "conv7",
                 target_class: int = PRESENT, scale: float = HALF):
        """Grad-CAM (paper Figs. 6–7) of one detection in the `finding` detector at `layer`."""
        from jsnviewer.detection.gradcam import grad_cam

        model = self.models[finding]
        k = model.config.box_scale
        cx, cy, w, h = detection.box
        return grad_cam(model, pixels, (cx, cy, w * k, h * k), layer, target_class, scale)

    def detect(self, radiograph, thresholds: Thresholds = Thresholds(), scale: float | None = None,
               progress: Callable[[float], None] | None = None) -> list[Detection]:
        """Detections on a `jsnviewer.radiograph.Radiograph` (its pixel size sets the resize)."""
        s = self.working_scale(radiograph.pixel_size_mm) if scale is None else scale
        side = radiograph.identity.laterality if radiograph.identity.laterality in SIDES else None  # "B" says no one hand
        return self.detect_pixels(radiograph.pixels, side, thresholds, s, progress)


def detect_joints(radiograph, thresholds: Thresholds = Thresholds(), detector: JointDetector | None = None) -> list[Detection]:
    """Find the joints of a radiograph with the shipped detectors (or `detector`)."""
    return (detector or JointDetector.load()).detect(radiograph, thresholds)
