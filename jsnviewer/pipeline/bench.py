"""End-to-end accuracy and cost of the analysis on synthetic studies with exact truth."""

from __future__ import annotations

import resource
import time
from collections.abc import Callable

import numpy as np

from jsnviewer.joints import FINDINGS
from jsnviewer.pipeline.analyze import AnalysisModels, AnalysisSettings, analyze

# Seeds far from those the trainers draw from, so benchmark hands are never training hands.
FIRST_SEED = 7_000_000


def _f1(tp: int, fp: int, fn: int) -> float | None:
    return None if tp + fp + fn == 0 else 2 * tp / (2 * tp + fp + fn)


def bench_synthetic(n: int, settings: AnalysisSettings = AnalysisSettings(), first_seed: int = FIRST_SEED,
                    on_study: Callable[[int], None] | None = None, both_hands: bool = False) -> dict:
    """`n` synthetic study pairs, of one hand each or (`both_hands`) of both hands side by side."""
    from jsnviewer.phantom import generate_study

    models = AnalysisModels.load(settings)
    seconds, errors, paired, expected = [], [], 0, 0
    counts = {name: [0, 0, 0] for name in FINDINGS}  # tp, fp, fn on the follow-up
    for i in range(n):
        study = generate_study(first_seed + i, laterality="B" if both_hands else None)
        t = time.perf_counter()
        result = analyze(study.baseline, study.followup, models, settings)
        seconds.append(time.perf_counter() - t)
        truth = study.truth
        both = {j.identity for j in truth.baseline.joints} & {j.identity for j in truth.followup.joints}
        expected += len(both)
        for joint in result.joints:
            if joint.identity not in both:
                continue
            paired += 1
            if joint.jsn_mm is not None:
                errors.append(abs(joint.jsn_mm - truth.changes[joint.identity].jsn_mm))
        found = {j.identity: j.followup.findings for j in result.joints}
        for jt in truth.followup.joints:
            for name in FINDINGS:
                said, true = bool(found.get(jt.identity, {}).get(name, False)), bool(jt.findings.get(name, False))
                counts[name][0] += said and true
                counts[name][1] += said and not true
                counts[name][2] += true and not said
        if on_study:
            on_study(i)
    errs = np.asarray(errors)
    return {
        "studies": n,
        "hands_per_radiograph": 2 if both_hands else 1,
        "s_per_pair": float(np.mean(seconds)),
        "s_per_pair_max": float(np.max(seconds)),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "paired_ratio": paired / max(expected, 1),
        "joints_expected": expected,
        "joints_paired": paired,
        "jsn_abs_err_mm_mean": float(errs.mean()) if errs.size else None,
        "jsn_abs_err_mm_p95": float(np.percentile(errs, 95)) if errs.size else None,
        "findings_f1": {name: _f1(*counts[name]) for name in FINDINGS},
        "device": models.device,
        "registration_method": settings.registration_method,
    }
