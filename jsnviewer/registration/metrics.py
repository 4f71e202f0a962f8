"""Consistency metrics of the paper without ground truth: σ (Eq. 8–10), σ' (Eq. 11–12), mismatches.

σ: for two crops F, G of one joint, every other crop I of the joint gives an indirect measurement
JSN_FG−I = JSN_FI + JSN_IG (Eq. 8); together with the direct JSN_FG they form the set whose population
standard deviation is σ_FG (Eq. 9–10). A joint with n ≥ 3 crops gives n − 1 values per pair.

σ': the moving crop G is shifted by ten random translations in [−3, +3] px along x and y, giving
JSN_FG−j; a trial is a **mismatch** when |JSN_FG−j − median_j JSN_FG−j| > `MISMATCH_PX` (0.5 px,
0.0875 mm at 0.175 mm/px; the lower median, one of the ten values); σ'_FG is the population standard deviation of the remaining trials
(Eq. 11–12) and the mismatching ratio is mismatched trials / all trials.

σ says how consistent a method is, not whether it measures: one that answers 0 for every pair has
σ = 0. So the benchmark also gives the **spread** of the direct JSN over the pairs σ covers (what the
method measures, against which σ is its inconsistency) and, on phantom pairs with known JSN, the
**slope** of measured against true JSN (1: the method reports the whole change; below 1 it shrinks
JSN towards 0, and its σ on real crops shrinks with it).
"""

from __future__ import annotations

import numpy as np

MISMATCH_PX = 0.5
INCONSISTENT_PX = 2.0  # a direct JSN this far from the median of its indirect values is "inconsistent"
SHIFTS = 10
MAX_SHIFT_PX = 3.0


def population_std(values) -> float:
    v = np.asarray(values, dtype=np.float64)
    return float(np.sqrt(np.mean((v - v.mean()) ** 2)))


def indirect(jsn: np.ndarray, f: int, g: int) -> list[float]:
    """Eq. 8: JSN_FG−I = JSN_FI + JSN_IG for every other crop I of the joint."""
    return [jsn[f, i] + jsn[i, g] for i in range(jsn.shape[0]) if i not in (f, g)]


def sigma_pairs(jsn: np.ndarray) -> list[float]:
    """σ_FG for every pair F < G of one joint; `jsn[i, j]` is the JSN with crop i fixed and j moving."""
    n = jsn.shape[0]
    if n < 3:
        return []
    out = []
    for f in range(n):
        for g in range(f + 1, n):
            out.append(population_std([jsn[f, g], *indirect(jsn, f, g)]))
    return out


def sigma_pairs_unflagged(jsn: np.ndarray, flagged: np.ndarray) -> list[float]:
    """σ_FG as `sigma_pairs`, from the registrations the reliability rule lets stand (`flagged[i, j]`: that of crop i
    fixed and j moving is flagged): for each pair F < G whose direct registration stands, over JSN_FG and the indirect
    values whose two registrations both stand; pairs left with no indirect value are left out. What a reader relying
    on the unflagged values meets; not the paper's σ, which takes every registration."""
    n = jsn.shape[0]
    out = []
    for f in range(n):
        for g in range(f + 1, n):
            paths = [jsn[f, i] + jsn[i, g] for i in range(n)
                     if i not in (f, g) and not flagged[f, i] and not flagged[i, g]]
            if not flagged[f, g] and paths:
                out.append(population_std([jsn[f, g], *paths]))
    return out


def direct_pairs(jsn: np.ndarray) -> list[float]:
    """JSN_FG of the pairs F < G that `sigma_pairs` covers (joints with ≥ 3 crops), in the same order."""
    n = jsn.shape[0]
    return [float(jsn[f, g]) for f in range(n) for g in range(f + 1, n)] if n >= 3 else []


def indirect_residuals(jsn: np.ndarray) -> np.ndarray:
    """|JSN_FG − median over I of (JSN_FI + JSN_IG)| for every ordered pair F ≠ G (NaN on the diagonal;
    all NaN for fewer than 3 crops): how far one registration lies from what the others say. The
    benchmark calls a pair inconsistent beyond `INCONSISTENT_PX` and checks the reliability flag against it."""
    n = jsn.shape[0]
    out = np.full((n, n), np.nan)
    if n >= 3:
        for f in range(n):
            for g in range(n):
                if f != g:
                    out[f, g] = abs(jsn[f, g] - np.median(indirect(jsn, f, g)))
    return out


def slope_against_truth(measured, truth) -> float | None:
    """Least-squares slope of measured against true JSN (both centred); None when the truth does not vary."""
    m, t = np.asarray(measured, dtype=np.float64), np.asarray(truth, dtype=np.float64)
    t = t - t.mean()
    spread = float(np.sum(t * t))
    return float(np.sum((m - m.mean()) * t)) / spread if spread > 0 else None


def sigma_prime(trials, mismatch_px: float = MISMATCH_PX) -> tuple[float, int]:
    """(σ'_FG, number of mismatched trials) for the JSN of one pair under the ten shifts."""
    t = np.asarray(trials, dtype=np.float64)
    centre = np.sort(t)[(t.size - 1) // 2]  # the lower median: one of the trials, so never an empty inlier set
    inliers = np.abs(t - centre) <= mismatch_px
    return population_std(t[inliers]), int((~inliers).sum())


def random_shifts(rng: np.random.Generator, n: int = SHIFTS, max_px: float = MAX_SHIFT_PX) -> np.ndarray:
    """(n, 2) random (dx, dy) in [−max_px, +max_px]."""
    return rng.uniform(-max_px, max_px, size=(n, 2))
