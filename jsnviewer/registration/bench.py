"""`jsnviewer bench registration`: σ, σ', mismatching ratio, losses and CPU time per joint pair,
and on synthetic pairs the error against the true JSN."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from scipy import ndimage
from tqdm import tqdm

from jsnviewer.errors import DatasetError
from jsnviewer.registration.data import CropArrays, load_joint_folders
from jsnviewer.registration.metrics import (INCONSISTENT_PX, MISMATCH_PX, MAX_SHIFT_PX, SHIFTS, direct_pairs, indirect_residuals,
                                            population_std, random_shifts, sigma_pairs, sigma_pairs_unflagged, sigma_prime,
                                            slope_against_truth)
from jsnviewer.registration.register import Registrator

MISMATCH_RULE = (f"a shifted trial is a mismatch when |JSN_FG-j - median_j JSN_FG-j| > {MISMATCH_PX} px (lower median); "
                 f"{SHIFTS} random shifts uniform in [-{MAX_SHIFT_PX:g}, +{MAX_SHIFT_PX:g}] px in x and y (cubic spline)")


def shifted(crop: CropArrays, dx: float, dy: float) -> CropArrays:
    return CropArrays(
        ndimage.shift(crop.image, (dy, dx), order=3, mode="nearest"),
        ndimage.shift(crop.upper, (dy, dx), order=0, mode="constant"),
        ndimage.shift(crop.lower, (dy, dx), order=0, mode="constant"),
        crop.name,
    )


class _Timed:
    def __init__(self, reg: Registrator, pixel_size_mm: float):
        self.reg, self.pixel_size_mm, self.seconds = reg, pixel_size_mm, []

    def __call__(self, fixed: CropArrays, moving: CropArrays, pixel_size_mm: float | None = None):
        t = time.perf_counter()
        r = self.reg.register(fixed.image, moving.image, fixed.upper, fixed.lower, moving.upper, moving.lower,
                              pixel_size_mm=pixel_size_mm or self.pixel_size_mm)
        self.seconds.append(time.perf_counter() - t)
        return r


def _summary(timed: _Timed, direct: list, sigmas: list[float], prime: list[tuple[float, int]], px_mm: float) -> dict:
    trials = SHIFTS * len(prime)
    return {
        "sigma_mm": float(np.mean(sigmas)) * px_mm if sigmas else None,
        "sigma_pairs": len(sigmas),
        "sigma_prime_mm": float(np.mean([s for s, _ in prime])) * px_mm if prime else None,
        "mismatch_ratio": sum(m for _, m in prime) / trials if trials else None,
        "mismatch_trials": trials,
        "original_loss": float(np.mean([r.original_loss for r in direct])),
        "transformed_loss": float(np.mean([r.transformed_loss for r in direct])),
        "loss_halved_fraction": float(np.mean([r.transformed_loss < 0.5 * r.original_loss for r in direct])),
        "flagged_fraction": float(np.mean([not r.reliable for r in direct])),
        "pairs": len(direct),
        "ms_per_pair": 1000.0 * float(np.mean(timed.seconds)),
        "ms_per_pair_p95": 1000.0 * float(np.percentile(timed.seconds, 95)),
    }


def _flag_check(checked: list[tuple[bool, bool]]) -> dict:
    """Does the reliability flag pick out the inconsistent pairs? Over the ordered pairs of joints with ≥ 3 crops."""
    if not checked:
        return {}
    c = np.array(checked, bool)
    inconsistent, flagged = c[:, 0], c[:, 1]
    rate = lambda sel: float(inconsistent[sel].mean()) if sel.any() else None  # noqa: E731
    return {"inconsistent_px": INCONSISTENT_PX, "checked_pairs": int(len(c)),
            "inconsistent_fraction": float(inconsistent.mean()),
            "inconsistent_caught_fraction": float(flagged[inconsistent].mean()) if inconsistent.any() else None,
            "inconsistent_among_flagged": rate(flagged), "inconsistent_among_unflagged": rate(~flagged)}


def _unflagged_sigma(sigmas: list[float], all_pairs: int, px_mm: float) -> dict:
    """σ from the unflagged registrations alone (`metrics.sigma_pairs_unflagged`): the consistency a reader who trusts
    the values the program calls reliable meets, and the share of σ's pairs it covers. Beside σ, never instead."""
    return {"sigma_unflagged_mm": float(np.mean(sigmas)) * px_mm if sigmas else None,
            "sigma_unflagged_pairs_fraction": len(sigmas) / all_pairs if all_pairs else None}


def _in_the_radiographs(prime: list[tuple[float, int]], scales: list[tuple[float | None, float | None]]) -> dict:
    """σ′ in px of the radiographs the crops were cut from, and in mm, where every crop measured on says its scale
    (crops saved with it, `dataset.CROP_SCALE_KEYS`); else None."""
    figures = {}
    for key, unit in (("sigma_prime_radiograph_px", 0), ("sigma_prime_radiograph_mm", 1)):
        known = prime and all(s[unit] is not None for s in scales)
        figures[key] = float(np.mean([p * s[unit] for (p, _), s in zip(prime, scales)])) if known else None
    return figures


def _registrators(methods, model, pixel_size_mm) -> dict[str, _Timed]:
    return {m: _Timed(Registrator(model=model if m != "poc" else None, method=m), pixel_size_mm) for m in methods}


def _flat(results: dict, methods: list[str], extra: dict) -> dict:
    """The first method's figures at top level (the JSON contract), every method under "methods"."""
    return {**results[methods[0]], "method": methods[0], **extra, "methods": results}


def bench_real(root: Path, methods: list[str], model, part: str = "validation", pixel_size_mm: float = 0.175, seed: int = 0) -> dict:
    """All ordered pairs of each joint folder (σ over folders with ≥ 3 crops, losses) and, for every
    pair F < G, ten random shifts of G (σ', mismatches)."""
    unmasked: list[str] = []
    folders = load_joint_folders(root, part, unmasked=unmasked)
    if not any(len(crops) >= 2 for crops in folders):
        which = {"all": "", "validation": " on the validation side of the split", "train": " on the training side of the split"}[part]
        hint = "" if part == "all" else " (--part all measures every joint)"
        raise DatasetError(f"{root}: no joint{which} has two or more crops with both masks: nothing to register{hint}")
    rng = np.random.default_rng(seed)
    shifts = {(k, j): random_shifts(rng) for k, crops in enumerate(folders) for j in range(len(crops))}
    timed = _registrators(methods, model, pixel_size_mm)
    results = {}
    for m, reg in timed.items():
        direct, sigmas, sigmas_unflagged, prime, measured, checked, scales = [], [], [], [], [], [], []
        for k, crops in enumerate(tqdm(folders, desc=f"{m}", unit="joint")):
            n = len(crops)
            jsn, flagged = np.zeros((n, n)), np.zeros((n, n), bool)
            for i in range(n):
                for j in range(n):
                    if i != j:
                        r = reg(crops[i], crops[j])
                        jsn[i, j], flagged[i, j] = r.jsn_px, not r.reliable
                        direct.append(r)
            sigmas += sigma_pairs(jsn)
            sigmas_unflagged += sigma_pairs_unflagged(jsn, flagged)
            measured += direct_pairs(jsn)
            residuals = indirect_residuals(jsn)
            pairs = ~np.isnan(residuals)  # ordered pairs of joints with ≥ 3 crops
            checked += zip(residuals[pairs] > INCONSISTENT_PX, flagged[pairs])
            for i in range(n):
                for j in range(i + 1, n):
                    moved = [shifted(crops[j], dx, dy) for dx, dy in shifts[(k, j)]]
                    prime.append(sigma_prime([reg(crops[i], g).jsn_px for g in moved]))
                    scales.append((crops[i].px_per_crop_px, crops[i].mm_per_crop_px))  # the JSN is in crop i's px
        results[m] = _summary(reg, direct, sigmas, prime, pixel_size_mm)
        # what the method measures on the pairs σ covers: σ is only small against this if it measures at all
        results[m]["jsn_spread_mm"] = population_std(measured) * pixel_size_mm if measured else None
        results[m].update(_flag_check(checked))
        results[m].update(_in_the_radiographs(prime, scales))
        results[m].update(_unflagged_sigma(sigmas_unflagged, len(sigmas), pixel_size_mm))
    extra = {"data": str(root), "part": part, "joints": len(folders), "crops": sum(map(len, folders)),
             "pixel_size_mm": pixel_size_mm, "mismatch_rule": MISMATCH_RULE, "seed": seed,
             "crops_without_masks": unmasked}
    return _flat(results, methods, extra)


def bench_synthetic(n: int, methods: list[str], model, seed: int = 0) -> dict:
    """N phantom pairs (rotation ±15°, scale ±10 %, noise; 0.15 or 0.175 mm/px alternately): the same
    figures (σ needs ≥ 3 crops of a joint and is left out) plus |JSN error| against the truth."""
    from jsnviewer.registration.data import phantom_pair

    rng = np.random.default_rng(seed)
    from jsnviewer.registration.transform import BoneTransform, at_joint, joint_centre, jsn_px

    pairs, at_centre = [], []
    for k in tqdm(range(n), desc="phantom pairs", unit="pair"):
        fixed, moving, jsn_mm, px, p = phantom_pair(seed * 1_000_003 + k, 0.175 if k % 2 == 0 else 0.15)
        pairs.append((fixed, moving, jsn_mm, px))
        # the true transforms' JSN at the joint centre this program finds: separates the registration
        # error from where the measurement is taken when the bones also turn against each other
        truth = at_joint(BoneTransform.from_crop_matrix(p.upper_transform, fixed.image.shape),
                         BoneTransform.from_crop_matrix(p.lower_transform, fixed.image.shape), joint_centre(fixed.upper, fixed.lower))
        at_centre.append(jsn_px(*truth) * px)
    timed = _registrators(methods, model, None)
    results = {}
    for m, reg in timed.items():
        direct, prime, errors, reg_errors = [], [], [], []
        for (fixed, moving, jsn_mm, px), truth_here in zip(tqdm(pairs, desc=f"{m}", unit="pair"), at_centre):
            r = reg(fixed, moving, px)
            direct.append(r)
            errors.append(abs(r.jsn_mm - jsn_mm))
            reg_errors.append(abs(r.jsn_mm - truth_here))
            moved = [shifted(moving, dx, dy) for dx, dy in random_shifts(rng)]
            prime.append(sigma_prime([reg(fixed, g, px).jsn_px * px / 0.175 for g in moved]))
        out = _summary(reg, direct, [], prime, 0.175)
        out["jsn_abs_err_mm_mean"] = float(np.mean(errors))
        out["jsn_abs_err_mm_p95"] = float(np.percentile(errors, 95))
        out["jsn_abs_err_mm_max"] = float(np.max(errors))
        out["jsn_registration_err_mm_mean"] = float(np.mean(reg_errors))
        out["jsn_registration_err_mm_p95"] = float(np.percentile(reg_errors, 95))
        out["jsn_slope"] = slope_against_truth([r.jsn_mm for r in direct], [p[2] for p in pairs])
        results[m] = out
    definition = np.abs(np.array(at_centre) - np.array([p[2] for p in pairs]))
    return _flat(results, methods, {"synthetic_pairs": n, "seed": seed, "mismatch_rule": MISMATCH_RULE,
                                    "true_transforms_jsn_err_mm_mean": float(definition.mean()),
                                    "true_transforms_jsn_err_mm_p95": float(np.percentile(definition, 95)),
                                    "note": "sigma' in mm uses each pair's own pixel size; jsn_registration_err_* compare with the "
                                            "true transforms' JSN at the joint centre found from the masks, true_transforms_jsn_err_* "
                                            "is that JSN against the phantom's jsn_mm"})


def format_table(res: dict) -> str:
    keys = [("sigma_mm", "σ mm", "{:.4f}"), ("sigma_prime_mm", "σ' mm", "{:.4f}"), ("mismatch_ratio", "mismatch %", "{:.2%}"),
            ("sigma_unflagged_mm", "σ unflagged mm", "{:.4f}"),
            ("jsn_spread_mm", "JSN spread mm", "{:.3f}"), ("jsn_slope", "JSN slope", "{:.3f}"),
            ("original_loss", "L(F,G)", "{:.4f}"), ("transformed_loss", "L(F,G')", "{:.4f}"), ("ms_per_pair", "ms/pair", "{:.1f}"),
            ("jsn_abs_err_mm_mean", "|err| mean mm", "{:.4f}"), ("jsn_abs_err_mm_p95", "|err| p95 mm", "{:.4f}"),
            ("jsn_registration_err_mm_mean", "|reg err| mean mm", "{:.4f}"), ("jsn_registration_err_mm_p95", "|reg err| p95 mm", "{:.4f}")]
    methods = res["methods"]
    keys = [k for k in keys if any(k[0] in v for v in methods.values())]
    lines = ["| method | " + " | ".join(k[1] for k in keys) + " |", "|---" * (len(keys) + 1) + "|"]
    for m, v in methods.items():
        cells = ["n/a" if v.get(k) is None else f.format(v[k]) for k, _, f in keys]
        lines.append(f"| {m} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
