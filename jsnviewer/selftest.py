"""The installation self-test: analyse a synthetic pair end to end and check the result is sane.

It is what `jsnviewer --self-test` runs, from source or in the packaged program, so clinic IT can
tell in one command that the models, the numerics and the pipeline work on their machine. The
bounds are loose on purpose: they catch a broken installation (missing or damaged weights, a
bundle without a library or a DICOM decoder, numerics gone wrong), not a small loss of accuracy, which
`jsnviewer bench pipeline` measures.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from jsnviewer.errors import JsnError, WeightsError

SEED = 7_900_001  # far from the seeds trainers and the pipeline benchmark draw
MIN_PAIRED = 0.75  # share of the phantom's joints that must be paired and measured
MAX_ABS_JSN_MM = 2.0  # phantom changes lie within -0.5..+0.3 mm
MAX_MEAN_ERROR_MM = 0.15  # a model answering "no change" everywhere scores about 0.17 mm


class SelfTestError(JsnError):
    """The analysis ran but its result is not sane; the message says which check failed."""


@dataclass(frozen=True)
class SelfTestResult:
    joints_expected: int
    joints_measured: int
    mean_abs_error_mm: float
    max_abs_jsn_mm: float
    seconds: float
    device: str

    def summary(self) -> str:
        return (f"self-test passed: {self.joints_measured}/{self.joints_expected} joints measured, "
                f"mean |JSN error| {self.mean_abs_error_mm:.3f} mm (bound {MAX_MEAN_ERROR_MM} mm), "
                f"{self.seconds:.1f} s on {self.device}")


def run_self_test(device: str = "auto") -> SelfTestResult:
    """Load the shipped models, analyse the synthetic pair and check it; SelfTestError says what failed."""
    from jsnviewer.phantom import generate_study
    from jsnviewer.pipeline.analyze import AnalysisModels, AnalysisSettings, analyze
    from jsnviewer.radiograph.dicom import missing_decoders

    t0 = time.perf_counter()
    missing = missing_decoders()
    if missing:  # a bundle without GDCM opens uncompressed DICOM only: found at once, not at the first clinical file
        raise SelfTestError(f"self-test failed: this installation cannot decode DICOM compressed as {', '.join(missing)}")
    settings = AnalysisSettings(device=device)
    try:  # first, so that missing weights fail at once
        models = AnalysisModels.load(settings)
    except WeightsError as exc:
        raise SelfTestError(f"self-test failed: {exc}") from exc
    study = generate_study(SEED)
    try:
        result = analyze(study.baseline, study.followup, models, settings)
    except JsnError as exc:  # e.g. no joints found: on the synthetic pair, the models do not work
        raise SelfTestError(f"self-test failed: {exc}") from exc
    seconds = time.perf_counter() - t0

    truth = study.truth
    expected = sorted({j.identity for j in truth.baseline.joints} & {j.identity for j in truth.followup.joints})
    measured = {j.identity: j.jsn_mm for j in result.joints if j.identity in truth.changes}
    bad = [k for k, v in measured.items() if v is None or not math.isfinite(v)]
    if bad:
        raise SelfTestError(f"self-test failed: JSN is not a finite number of mm for {', '.join(sorted(bad))}")
    if len(measured) < MIN_PAIRED * len(expected):
        missing = ", ".join(k for k in expected if k not in measured)
        raise SelfTestError(f"self-test failed: only {len(measured)} of {len(expected)} joints measured (missing {missing})")
    largest = max(abs(v) for v in measured.values())
    if largest > MAX_ABS_JSN_MM:
        raise SelfTestError(f"self-test failed: a JSN of {largest:.2f} mm is outside the plausible +/-{MAX_ABS_JSN_MM} mm")
    mean_error = sum(abs(v - truth.changes[k].jsn_mm) for k, v in measured.items()) / len(measured)
    if mean_error > MAX_MEAN_ERROR_MM:
        raise SelfTestError(f"self-test failed: mean |JSN error| {mean_error:.3f} mm exceeds {MAX_MEAN_ERROR_MM} mm")
    return SelfTestResult(len(expected), len(measured), mean_error, largest, seconds, models.device)
