"""The one result type of a follow-up analysis: the GUI, the command line and reports all read it.

`StudyResult.to_json()` is the documented `results.json` schema (docs/pipeline.md); the arrays of
each joint (crops, masks, loss spectra) are written beside it as PNG files by `jsnviewer.pipeline.report`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from jsnviewer import __version__
from jsnviewer.detection.identity import hand_shown
from jsnviewer.joints import BOTH, FINDINGS, anatomical, hand_of
from jsnviewer.pipeline.geometry import CropFrame
from jsnviewer.registration.result import Advised, JointRegistration, advised, crop_px_note, reasons_in_one_line, reasons_said
from jsnviewer.registration.transform import BoneTransform
from jsnviewer.words import counted

SCHEMA_VERSION = 1
VISIT_NAMES = {"baseline": "baseline", "followup": "follow-up"}
# A flagged JSN is never shown without its mark, and the mark always means this (window, report, overview).
UNRELIABLE_MARK = "?"
# The sign convention of JSN, said in these words wherever a result is shown (README, "Sign convention").
JSN_CONVENTION = "JSN = follow-up minus baseline joint space width; narrowing is negative"
NOT_RELIABLE = "Not reliable: do not use this value"
# Said in place of a visit's findings where the visit may not be a hand radiograph (pipeline.analyze.not_like_a_hand):
# the detectors call findings on a page of text too.
NOT_ASSESSED = "not assessed"
Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class VisitInfo:
    """What a report may say about one radiograph: never the patient's name."""

    file_name: str
    patient_id: str | None
    study_date: str | None
    laterality: str | None
    pixel_size_mm: float | None
    pixel_size_source: str
    width: int
    height: int
    laterality_by_reader: bool = False  # the hand was named by the reader, not stated by the file
    # the laterality was told by the joints where the file does not state it: "B" (both hands) for joints of both named
    # ("R MCP2", "L PIP3"), the one hand a one-hand radiograph's joints are named with ("L MCP2"), or the hand its
    # plainly named joints lie as ("MCP2" … where the thumb of a right hand lies)
    laterality_from_joints: bool = False
    # the SHA-256 of the file analysed (all 64 hex digits), read before it was loaded; None where not recorded (an
    # analysis in the window): `jsnviewer batch --resume` keeps a study's result only for the same files
    sha256: str | None = None

    @classmethod
    def of(cls, radiograph, identities: Iterable[str | None] = (), centres: Iterable[tuple[float, float]] = ()) -> VisitInfo:
        """What `radiograph`'s file says of it, and what it shows (`hand_shown`) by the names of its joints as the
        analysis compared them (`identities`, at `centres`) where the file does not say."""
        identity = radiograph.identity
        laterality = hand_shown(identity.laterality, np.array(list(centres), dtype=float).reshape(-1, 2), list(identities))
        return cls(
            file_name=radiograph.path.name if radiograph.path else "(in memory)",
            patient_id=identity.patient_id,
            study_date=identity.study_date.isoformat() if identity.study_date else None,
            laterality=laterality,
            pixel_size_mm=radiograph.pixel_size_mm,
            pixel_size_source=radiograph.pixel_size_source,
            width=int(radiograph.width),
            height=int(radiograph.height),
            laterality_by_reader=identity.laterality_by_reader,
            laterality_from_joints=laterality != identity.laterality,
        )


def hand_said(baseline: VisitInfo | None, followup: VisitInfo | None, identity: str | None = None) -> str:
    """The hand a row of results.csv or summary.csv is of: "L", "R", "B" (a study of both hands) or "" (not said).

    A joint's (`identity`) is its name's ("L MCP2" → "L"; a radiograph of both hands, or one stating no hand, says
    nothing more of it), else the one hand a radiograph shows; a study's (no `identity`), the hand the radiographs
    show. What a visit does not say contradicts nothing. Where the two visits say different hands of it, each is said:
    "baseline L / follow-up R" (the pair's warnings say why), never the baseline's alone."""
    named = hand_of(identity) if identity else None
    said = {}
    for word, visit in (("baseline", baseline), ("follow-up", followup)):
        hand = visit.laterality if visit is not None else None
        said[word] = named if named and hand in (None, BOTH) else hand
    said = {word: hand for word, hand in said.items() if hand}
    if identity and set(said.values()) > {BOTH}:  # a plainly named joint of both hands: the one-hand visit's side
        said = {word: hand for word, hand in said.items() if hand != BOTH}
    if len(set(said.values())) == 1:
        return next(iter(said.values()))
    return " / ".join(f"{word} {hand}" for word, hand in said.items())


@dataclass
class JointDetectionInfo:
    """One joint as found on one visit."""

    box: Box
    findings: dict[str, bool]
    confidences: dict[str, float]
    score: float
    # why this visit's findings were not assessed (it may not be a hand radiograph); None: `findings` are the findings
    not_assessed: str | None = None

    def findings_said(self, separator: str = ";") -> str:
        """'ankylosis;subluxation', 'none', or 'not assessed' where the visit's findings were not assessed."""
        if self.not_assessed:
            return NOT_ASSESSED
        return separator.join(name for name in FINDINGS if self.findings.get(name)) or "none"

    def to_json(self) -> dict[str, Any]:
        findings = None if self.not_assessed else {k: bool(self.findings.get(k, False)) for k in FINDINGS}
        return {"box": [float(v) for v in self.box], "findings": findings, "findings_not_assessed": self.not_assessed,
                "confidences": {k: float(v) for k, v in self.confidences.items()}, "score": float(self.score)}


@dataclass
class JointCrops:
    """The upright crops of one joint on both visits (F = baseline, G = follow-up) and the bone masks."""

    baseline_frame: CropFrame
    followup_frame: CropFrame
    fixed: np.ndarray
    moving: np.ndarray
    fixed_upper: np.ndarray
    fixed_lower: np.ndarray
    moving_upper: np.ndarray
    moving_lower: np.ndarray
    mm_per_px: float | None  # of the baseline crop; JSN in mm uses it


def signed(value: float, decimals: int, unit: str = "") -> str:
    """'+0.12 mm', '-0.3 px'; a value that rounds to zero is written unsigned ('0.00 mm', never '-0.00')."""
    text = f"{value:+.{decimals}f}"
    if float(text) == 0.0:
        text = f"{0.0:.{decimals}f}"
    return f"{text} {unit}" if unit else text


@dataclass
class JointResult:
    """A joint found on both radiographs, with its JSN progression."""

    identity: str
    baseline: JointDetectionInfo
    followup: JointDetectionInfo
    crops: JointCrops
    registration: JointRegistration

    @property
    def jsn_px(self) -> float:
        """JSN in pixels of the baseline radiograph (the unit where its pixel size is unknown)."""
        return self.registration.jsn_px * self.crops.baseline_frame.scale

    @property
    def jsn_crop_px(self) -> float:
        """JSN in pixels of the joint's crop, where it was measured (dy0 − dy1; a crop pixel's size differs
        from joint to joint, so it is shown only beside the registration's own numbers)."""
        return self.registration.jsn_px

    @property
    def jsn_mm(self) -> float | None:
        return self.registration.jsn_mm

    @property
    def reliable(self) -> bool:
        return self.registration.reliable

    def jsn_text(self, mm_decimals: int = 3, px_decimals: int = 2) -> str:
        """JSN as shown everywhere: in mm where the pixel size is known, else in px."""
        return signed(self.jsn_px, px_decimals, "px") if self.jsn_mm is None else signed(self.jsn_mm, mm_decimals, "mm")

    def marked_jsn_text(self, mm_decimals: int = 3, px_decimals: int = 2) -> str:
        """`jsn_text` followed by ' ?' when the value is not reliable: '-0.418 mm ?'."""
        return self.jsn_text(mm_decimals, px_decimals) + ("" if self.reliable else f" {UNRELIABLE_MARK}")

    def reasons_said(self) -> list[str]:
        """Why the value is not reliable, a line each, and what to do (empty when reliable): tooltips, the report."""
        return reasons_said(self.registration.reasons)

    def reasons_advised(self) -> tuple[Advised, str | None]:
        """The reasons and what to do about them, and what a crop px is where a figure is in crop px (the joint detail)."""
        return advised(self.registration.reasons), crop_px_note(self.registration.reasons)

    def reasons_in_one_line(self) -> str:
        """The reasons and what to do on one line, in the same words (results.csv)."""
        return reasons_in_one_line(self.registration.reasons)

    def findings_text(self) -> str:
        """e.g. 'ankylosis (follow-up)', 'subluxation (both visits)', or '' when none (a bare 'subluxation' under
        "findings (baseline / follow-up)" read as either visit's); a visit whose findings were not assessed is said
        so: 'not assessed (follow-up)', 'not assessed'."""
        b_said, f_said = not self.baseline.not_assessed, not self.followup.not_assessed
        if not (b_said or f_said):
            return NOT_ASSESSED
        parts = []
        for name in FINDINGS:
            b = b_said and self.baseline.findings.get(name, False)
            f = f_said and self.followup.findings.get(name, False)
            if b and f:
                parts.append(f"{name} (both visits)")
            elif b or f:
                parts.append(f"{name} ({'baseline' if b else 'follow-up'})")
        if not (b_said and f_said):
            parts.append(f"{NOT_ASSESSED} ({'follow-up' if b_said else 'baseline'})")
        return ", ".join(parts)

    def to_json(self) -> dict[str, Any]:
        reg = self.registration
        return {
            "identity": self.identity,
            "baseline": self.baseline.to_json(),
            "followup": self.followup.to_json(),
            "crop": {"size": self.crops.baseline_frame.size, "mm_per_px": self.crops.mm_per_px,
                     "baseline": _frame_json(self.crops.baseline_frame), "followup": _frame_json(self.crops.followup_frame)},
            "registration": {
                "method": reg.method,
                "P0": _params(reg.upper), "P1": _params(reg.lower),
                "network_P0": _params(reg.network_upper), "network_P1": _params(reg.network_lower),
                "original_loss": float(reg.original_loss), "transformed_loss": float(reg.transformed_loss),
                "turn_check_px": None if reg.turn_check_px is None else float(reg.turn_check_px),
            },
            "jsn_px": float(self.jsn_px),
            "jsn_crop_px": float(self.jsn_crop_px),
            "jsn_mm": None if self.jsn_mm is None else float(self.jsn_mm),
            "reliable": bool(self.reliable),
            "reliability_reasons": list(reg.reasons),
        }


@dataclass
class UnpairedJoint:
    """A joint found on only one visit, and why it has no measurement."""

    identity: str | None
    visit: str  # "baseline" or "followup"
    box: Box
    reason: str
    # found on both visits, yet not measured (its bones could not be told apart on `visit`): of both visits' hands
    on_both_visits: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"identity": self.identity, "visit": self.visit, "box": [float(v) for v in self.box], "reason": self.reason,
                "on_both_visits": self.on_both_visits}


@dataclass
class StudyResult:
    baseline: VisitInfo
    followup: VisitInfo
    joints: list[JointResult]
    unpaired: list[UnpairedJoint]
    warnings: list[str] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)
    timings_s: dict[str, float] = field(default_factory=dict)
    # what the files do not say (a pixel size, a patient ID): said once, no sign that the pair is wrong, unlike `warnings`
    notes: list[str] = field(default_factory=list)

    def not_measured(self, colour: bool = True) -> list[str]:
        """What was found but not measured, as a reader wants it: each named joint with its reason,
        then the boxes that fit no finger joint of the hand (often the wrist's carpal bones) as one line, with the
        grey they are drawn in unless `colour` is False (where no picture of them is beside the words)."""
        lines = [f"{u.identity} ({VISIT_NAMES[u.visit]}): {u.reason}" for u in anatomical(self.unpaired)
                 if u.identity is not None]
        unnamed = [sum(u.identity is None and u.visit == visit for u in self.unpaired) for visit in VISIT_NAMES]
        if any(unnamed):
            lines.append(f"{_boxes_by_visit(unnamed)} {'fit' if sum(unnamed) > 1 else 'fits'} no finger joint of the hand "
                         f"({'grey; ' if colour else ''}often the wrist)")
        return lines

    def joint(self, identity: str) -> JointResult:
        for j in self.joints:
            if j.identity == identity:
                return j
        raise KeyError(identity)

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": "jsnviewer-results",
            "version": SCHEMA_VERSION,
            "jsn_convention": JSN_CONVENTION,
            "program": {"name": "jsnviewer", "version": __version__},  # with settings.models: what produced it
            "baseline": vars(self.baseline).copy(),
            "followup": vars(self.followup).copy(),
            "warnings": list(self.warnings),
            "notes": list(self.notes),
            "settings": dict(self.settings),
            "timings_s": {k: round(float(v), 4) for k, v in self.timings_s.items()},
            "joints": [j.to_json() for j in self.joints],
            "unpaired": [u.to_json() for u in self.unpaired],
        }


def _boxes_by_visit(counts: list[int]) -> str:
    """'1 box on the baseline', or with boxes on both visits '3 boxes (2 on the baseline and 1 on the follow-up)':
    the count is said once."""
    total = counted(sum(counts), "box")
    visits = [(n, name) for n, name in zip(counts, VISIT_NAMES.values()) if n]
    if len(visits) == 1:
        return f"{total} on the {visits[0][1]}"
    return f"{total} ({' and '.join(f'{n} on the {name}' for n, name in visits)})"


def _frame_json(frame: CropFrame) -> dict[str, Any]:
    return {"centre": [float(c) for c in frame.centre], "up": [float(c) for c in frame.up], "scale": float(frame.scale)}


def _params(t: BoneTransform | None) -> dict[str, float] | None:
    if t is None:
        return None
    return {"dz": float(t.dz), "dtheta": float(t.dtheta), "dx": float(t.dx), "dy": float(t.dy)}
