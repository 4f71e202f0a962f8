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

    @property
    def jsn_px(self) -> float:
        return jsn_px(self.upper, self.lower)

    @property
    def jsn_mm(self) -> float | None:
        return None if self.pixel_size_mm is None else self.jsn_px * self.pixel_size_mm

    @property
    def reliable(self) -> bool:
        return not self.reasons


def verdict(result: JointRegistration, rule: ReliabilityRule, converged: bool = True) -> list[str]:
    """The reasons, if any, why `result` should not be trusted."""
    reasons = []
    aligned = max(result.original_loss, result.transformed_loss) < rule.aligned_loss
    if not aligned and not result.transformed_loss < rule.max_loss_ratio * result.original_loss:
        reasons.append(f"transformed loss {result.transformed_loss:.4f} is not below the original {result.original_loss:.4f}")
    if result.network_upper is not None and result.network_lower is not None:
        for name, net, ref in (("upper", result.network_upper, result.upper), ("lower", result.network_lower, result.lower)):
            d = float(np.hypot(ref.dx - net.dx, ref.dy - net.dy))
            if d > rule.max_disagreement_px:
                reasons.append(f"{name} bone: refinement moved {d:.1f} px away from the network")
    if not converged:
        reasons.append("refinement did not converge (a bone kept the network's result)")
    if result.turn_check_px is not None and abs(result.turn_check_px) > rule.max_turn_check_px:
        reasons.append(f"lower bone's turn not pinned down: holding it towards the network's moves JSN by "
                       f"{result.turn_check_px:+.1f} px")
    return reasons
