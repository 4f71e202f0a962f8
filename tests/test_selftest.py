"""`jsnviewer --self-test`: passes on a working installation, fails with one clear line otherwise."""

from __future__ import annotations

import math
from types import SimpleNamespace

import pytest

import jsnviewer.phantom
import jsnviewer.pipeline.analyze
from jsnviewer.cli.main import main
from jsnviewer.selftest import MAX_MEAN_ERROR_MM, SelfTestError, run_self_test
from jsnviewer.weights import models_dir

SHIPPED = ["detector_ankylosis", "detector_subluxation", "joint_findings", "segmenter", "registration"]


def test_missing_weights_fail_with_one_line_naming_the_file(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("JSNVIEWER_MODELS", str(tmp_path))
    with pytest.raises(SelfTestError, match=r"5 weights files not found in the models folder .*: detector_ankylosis\.pt, "):
        run_self_test("cpu")
    assert main(["--self-test"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "self-test failed" in err and str(tmp_path) in err
    assert all(f"{name}.pt" in err for name in SHIPPED)


def test_an_installation_that_cannot_decode_compressed_dicom_fails_naming_the_compression(monkeypatch):
    """A bundle without GDCM opens only uncompressed DICOM: clinic IT learns it from the self-test, not
    from the first JPEG Lossless radiograph a radiologist opens."""
    import jsnviewer.radiograph.dicom as dicom
    from pydicom.uid import JPEGLosslessSV1, JPEGLSLossless

    real = dicom.can_decode
    monkeypatch.setattr(dicom, "can_decode", lambda s: s not in (JPEGLosslessSV1, JPEGLSLossless) and real(s))
    with pytest.raises(SelfTestError, match=r"cannot decode DICOM compressed as JPEG Lossless, JPEG-LS Lossless"):
        run_self_test("cpu")


def test_this_installation_decodes_every_clinical_dicom_compression():
    from jsnviewer.radiograph.dicom import missing_decoders

    assert missing_decoders() == []


def _fake_pipeline(monkeypatch, truth_mm: dict[str, float], measured_mm: dict[str, float | None]) -> None:
    """The self-test's checks on a chosen result, without models: truth and measurements as given."""
    joints = [SimpleNamespace(identity=k) for k in truth_mm]
    truth = SimpleNamespace(baseline=SimpleNamespace(joints=joints), followup=SimpleNamespace(joints=joints),
                            changes={k: SimpleNamespace(jsn_mm=v) for k, v in truth_mm.items()})
    study = SimpleNamespace(baseline=None, followup=None, truth=truth)
    result = SimpleNamespace(joints=[SimpleNamespace(identity=k, jsn_mm=v) for k, v in measured_mm.items()])
    monkeypatch.setattr(jsnviewer.pipeline.analyze.AnalysisModels, "load", classmethod(lambda cls, s: SimpleNamespace(device="cpu")))
    monkeypatch.setattr(jsnviewer.pipeline.analyze, "analyze", lambda *a, **k: result)
    monkeypatch.setattr(jsnviewer.phantom, "generate_study", lambda seed: study)


TRUTH = {f"PIP{d}": -0.1 * d for d in (2, 3, 4, 5)} | {f"DIP{d}": 0.05 * d for d in (2, 3, 4, 5)}


def test_sane_result_passes_with_a_one_line_summary(monkeypatch):
    _fake_pipeline(monkeypatch, TRUTH, {k: v + 0.02 for k, v in TRUTH.items()})
    result = run_self_test("cpu")
    assert (result.joints_measured, result.joints_expected) == (8, 8)
    assert math.isclose(result.mean_abs_error_mm, 0.02, abs_tol=1e-9)
    assert "\n" not in result.summary() and "8/8 joints" in result.summary()


@pytest.mark.parametrize("measured, reason", [
    ({k: v + 3 * MAX_MEAN_ERROR_MM for k, v in TRUTH.items()}, "mean |JSN error|"),
    ({k: v for k, v in list(TRUTH.items())[:5]}, "only 5 of 8 joints measured"),
    (TRUTH | {"PIP3": float("nan")}, "not a finite number"),
    (TRUTH | {"PIP3": None}, "not a finite number"),
    (TRUTH | {"DIP2": 7.5}, "outside the plausible"),
], ids=["inaccurate", "joints-missing", "nan", "no-mm", "implausible"])
def test_broken_results_fail_and_say_which_check(monkeypatch, measured, reason):
    _fake_pipeline(monkeypatch, TRUTH, measured)
    with pytest.raises(SelfTestError, match="self-test failed") as failure:
        run_self_test("cpu")
    assert reason in str(failure.value)


@pytest.mark.slow
def test_self_test_passes_with_the_shipped_models(monkeypatch, capsys):
    missing = [f"{name}.pt" for name in SHIPPED if not (models_dir() / f"{name}.pt").is_file()]
    if missing:
        pytest.skip(f"{models_dir()} lacks the trained weights {', '.join(missing)}")
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    assert main(["--self-test"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and out[0].startswith("jsnviewer self-test passed") and "window built offscreen" in out[0]
