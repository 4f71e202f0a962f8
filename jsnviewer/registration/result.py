"""The result of registering one joint pair (baseline F, follow-up G) and its reliability verdict."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from jsnviewer.registration.transform import BoneTransform, jsn_px


@dataclass(frozen=True)
class ReliabilityRule:
    """When a measurement is flagged as not reliable: only when the registration failed, so that a
    flag means "do not trust this number". Calibrated on the real validation pairs
    (docs/registration.md, "Reliability"): repeat visits that are already close rarely reduce the loss
    by much, and the network alone is typically 3–4 px off on real crops, so stricter limits flagged
    most pairs without picking out the inconsistent ones."""

    max_loss_ratio: float = 1.0  # L(F, G') must be below this fraction of L(F, G)
    max_disagreement_px: float = 8.0  # refined vs network, any bone's (dx, dy) at the joint centre, in pixels
    # A pair whose loss is this small before and after was aligned to begin with (the same image twice):
    # there is nothing to reduce, and nothing failed. Two exposures of a joint that did not move lie far
    # above it (phantom pairs with noise only: 0.02–0.07).
    aligned_loss: float = 1e-4
    # the turn check (refine.py): holding the lower bone's turn towards the network's moves JSN by more than this
    max_turn_check_px: float = 1.0
    # A bone does not change its size between visits once the hand's size is matched (the pipeline scales the
    # follow-up's crops by it): repeat visits of one joint change by 0.7 % (median), 5 % (99 %); the same joint
    # of two patients by 7 % (median), 13 % (90 %) and up to 24 %; the phantom pairs scale by up to 1/0.9 = 11 %
    max_size_change: float = 0.12


@dataclass
class JointRegistration:
    """P0 (upper bone), P1 (lower bone) about the follow-up's joint centre (see transform.py),
    JSN = dy0 − dy1 (follow-up − baseline width, narrowing negative), the losses of Eq. 6 before and after, their loss spectra (|F − G| and |F − G'| on the
    bones, the misalignment picture) and whether the measurement can be trusted."""

    method: str
    upper: BoneTransform
    lower: BoneTransform
    pixel_size_mm: float | None
    original_loss: float
    transformed_loss: float
    spectrum_original: np.ndarray | None = None
    spectrum_transformed: np.ndarray | None = None
    network_upper: BoneTransform | None = None
    network_lower: BoneTransform | None = None
    turn_check_px: float | None = None  # JSN with the lower bone's turn held towards the network's, minus JSN
    reasons: list[str] = field(default_factory=list)
    # Pixels of the picture the crops were cut from per crop pixel (the pipeline's radiograph px): where the pixel
    # size is unknown, the reasons give their lengths in those px, the unit of the JSN beside them; None: in crop px.
    px_per_crop_px: float | None = None

    @property
    def jsn_px(self) -> float:
        return jsn_px(self.upper, self.lower)

    @property
    def jsn_mm(self) -> float | None:
        return None if self.pixel_size_mm is None else self.jsn_px * self.pixel_size_mm

    @property
    def reliable(self) -> bool:
        return not self.reasons


# What a reader does about each kind of flag (the reasons end with it; docs/registration.md, "Reliability").
CHECK_THE_JOINT = "check the joint's boxes and bone outlines, correct them and analyse again"
JUDGE_BY_EYE = "judge this joint by eye"
BONE_NAMES = {"upper": "upper (distal)", "lower": "lower (proximal)"}


# The bones are matched in two steps: a quick first match (the registration network), then a fine match on the
# images themselves (the refinement); the reasons call them so.
CROP_PX_SAID = ("a crop px is a pixel of the joint's enlarged picture, in which the bones are matched, and is not "
                "given in mm because the radiographs do not state their pixel size")


def _length(value: float, result: JointRegistration, signed: bool = False) -> str:
    """A length of `value` crop px as the JSN beside the reasons is given: '0.51 mm' where the pixel size is known,
    else '2.43 px' (pixels of the picture the crops were cut from: `px_per_crop_px`), else '8.5 crop px' (the bench
    registers crops alone; `CROP_PX_SAID` explains a crop px once under the reasons)."""
    sign = "+" if signed else ""
    if result.pixel_size_mm is not None:
        return f"{value * result.pixel_size_mm:{sign}.2f} mm"
    if result.px_per_crop_px is not None:
        return f"{value * result.px_per_crop_px:{sign}.2f} px"
    return f"{value:{sign}.1f} crop px"


def verdict(result: JointRegistration, rule: ReliabilityRule, converged: bool = True) -> list[str]:
    """The reasons, if any, why `result` should not be trusted: each says what was seen and why the number
    cannot be trusted, the measured figure in brackets, then after the last ': ' what to do (shown in the
    window, the report, results.csv and results.json)."""
    reasons = []
    aligned = max(result.original_loss, result.transformed_loss) < rule.aligned_loss
    if not aligned and not result.transformed_loss < rule.max_loss_ratio * result.original_loss:
        reasons.append(f"the follow-up's bones could not be laid onto the baseline's (the images differ no less after "
                       f"aligning the bones than before, {result.original_loss:.4f} before and "
                       f"{result.transformed_loss:.4f} after): {CHECK_THE_JOINT}")
    if result.network_upper is not None and result.network_lower is not None:
        for name, net, ref in (("upper", result.network_upper, result.upper), ("lower", result.network_lower, result.lower)):
            d = float(np.hypot(ref.dx - net.dx, ref.dy - net.dy))
            if d > rule.max_disagreement_px:
                reasons.append(f"the follow-up's {BONE_NAMES[name]} bone could not be matched reliably (the quick first "
                               f"match and the fine match put it {_length(d, result)} apart): {CHECK_THE_JOINT}")
    resized = [f"the {BONE_NAMES[name]} {'shrunk' if bone.dz < 1 else 'enlarged'} by {abs(bone.dz - 1.0):.0%}"
               for name, bone in (("upper", result.upper), ("lower", result.lower)) if abs(bone.dz - 1.0) > rule.max_size_change]
    if resized:
        reasons.append(f"the follow-up's bones had to change size to lie on the baseline's ({' and '.join(resized)}), which "
                       f"bones do not do between visits (another joint or patient, or a very different projection): {CHECK_THE_JOINT}")
    if not converged:
        reasons.append(f"the follow-up's bones could not be matched reliably (the fine match did not settle, so a bone "
                       f"was left where the quick first match put it): {CHECK_THE_JOINT}")
    if result.turn_check_px is not None and abs(result.turn_check_px) > rule.max_turn_check_px:
        reasons.append(f"the lower (proximal) bone's tilt is not pinned down by the images (a slightly different tilt "
                       f"fits them as well and moves JSN by {_length(result.turn_check_px, result, signed=True)}): {JUDGE_BY_EYE}")
    return reasons


@dataclass(frozen=True)
class Advised:
    """A joint's reasons: what was seen, a reason each, and what to do about them all, said once after them."""

    seen: tuple[str, ...]
    todo: str  # distinct advice joined with '; ', '' for reasons without advice


def advised(reasons: list[str]) -> Advised:
    """The reasons, each without its advice (after its last ': '), and their distinct advice in the order it came."""
    seen, todos = [], []
    for reason in reasons:
        what, _, todo = reason.rpartition(": ") if ": " in reason else (reason, "", "")
        seen.append(what)
        todos += [todo] if todo and todo not in todos else []
    return Advised(tuple(seen), "; ".join(todos))


def crop_px_note(reasons: list[str]) -> str | None:
    """What a crop px is, where a reason gives a figure in crop px (said once, after the reasons)."""
    return CROP_PX_SAID if any("crop px" in r for r in reasons) else None


def reasons_said(reasons: list[str]) -> list[str]:
    """The reasons as lines for a reader: '• ' and one reason a line, then 'What to do: …' once after them all;
    what a crop px is, last, where a figure is in crop px."""
    group = advised(reasons)
    lines = [f"• {seen}" for seen in group.seen] + ([f"What to do: {group.todo}."] if group.todo else [])
    note = crop_px_note(reasons)
    return lines + ([f"{note[0].upper()}{note[1:]}."] if note else [])


def reasons_in_one_line(reasons: list[str]) -> str:
    """The reasons on one line (results.csv, summary.csv): 'reason; reason; what to do: …', in the same words."""
    group = advised(reasons)
    parts = list(group.seen) + ([f"what to do: {group.todo}"] if group.todo else [])
    note = crop_px_note(reasons)
    return "; ".join(parts + ([note] if note else []))
