"""The follow-up analysis end to end, with the shipped models, on a synthetic study with exact truth."""

import csv
import json

import numpy as np
import pytest

from jsnviewer.weights import models_dir

MODEL_FILES = ["segmenter.pt", "registration.pt", "detector_ankylosis.pt", "detector_subluxation.pt", "joint_findings.pt"]
pytestmark = pytest.mark.skipif(not all((models_dir() / f).is_file() for f in MODEL_FILES),
                                reason="the shipped weights are not in models/")


@pytest.fixture(scope="module")
def models():
    from jsnviewer.pipeline.analyze import AnalysisModels, AnalysisSettings

    return AnalysisModels.load(AnalysisSettings(device="cpu"))


@pytest.fixture(scope="module")
def analysed(models):
    from jsnviewer.phantom import generate_study
    from jsnviewer.pipeline.analyze import analyze

    study = generate_study(8_100_001)
    stages = []
    result = analyze(study.baseline, study.followup, models, progress=lambda f, s: stages.append((f, s)))
    return study, result, stages


def test_joints_are_paired_by_identity_and_jsn_matches_the_truth(analysed):
    study, result, _ = analysed
    expected = {j.identity for j in study.truth.baseline.joints}
    found = {j.identity for j in result.joints}
    assert len(found & expected) >= 12, f"paired only {sorted(found)}"
    errors = [abs(j.jsn_mm - study.truth.changes[j.identity].jsn_mm) for j in result.joints if j.reliable]
    assert len(errors) >= 10
    assert np.median(errors) < 0.03, errors  # a fifth of a pixel at 0.175 mm
    for joint in result.joints:  # the detected boxes sit on the true joints
        truth = study.truth.baseline.joint(joint.identity)
        assert np.hypot(joint.baseline.box[0] - truth.box[0], joint.baseline.box[1] - truth.box[1]) < truth.box[2] / 3


def test_progress_runs_from_zero_to_one_in_order(analysed):
    _, _, stages = analysed
    fractions = [f for f, _ in stages]
    assert fractions[0] == 0.0 and fractions[-1] == 1.0
    assert fractions == sorted(fractions)
    assert any(s.startswith("Registering") for _, s in stages)


def test_a_progress_hook_that_raises_cancels_the_analysis(models):
    from jsnviewer.phantom import generate_study
    from jsnviewer.pipeline.analyze import analyze

    class Cancelled(Exception):
        pass

    def cancel_at_registration(fraction, stage):
        if stage.startswith("Splitting"):
            raise Cancelled

    study = generate_study(8_100_002)
    with pytest.raises(Cancelled):
        analyze(study.baseline, study.followup, models, progress=cancel_at_registration)


def test_the_joint_search_reports_progress_as_it_goes_and_can_be_cancelled_midway(models):
    """Cancel takes effect while the baseline is still being scanned, not only after it."""
    from jsnviewer.phantom import generate_study
    from jsnviewer.pipeline.analyze import analyze

    class Cancelled(Exception):
        pass

    seen = []

    def cancel_halfway_through_the_baseline(fraction, stage):
        seen.append((fraction, stage))
        if stage == "Finding joints on the baseline" and fraction > 0.15:
            raise Cancelled

    study = generate_study(8_100_002)
    with pytest.raises(Cancelled):
        analyze(study.baseline, study.followup, models, progress=cancel_halfway_through_the_baseline)
    during = [f for f, s in seen if s == "Finding joints on the baseline"]
    assert len(during) >= 4 and during == sorted(during)
    assert seen[-1][0] < 0.32  # the follow-up was never started


def test_results_files_hold_every_joint(analysed, tmp_path):
    from jsnviewer.pipeline.report import write_results

    study, result, _ = analysed
    paths = write_results(tmp_path, result, study.baseline, study.followup)
    data = json.loads(paths["json"].read_text())
    assert data["version"] == 1 and "narrowing is negative" in data["jsn_convention"]
    assert [j["identity"] for j in data["joints"]] == [j.identity for j in result.joints]
    first = data["joints"][0]
    assert first["jsn_mm"] == pytest.approx(result.joints[0].jsn_mm)
    assert set(first["registration"]) >= {"P0", "P1", "original_loss", "transformed_loss"}
    assert "patient_name" not in json.dumps(data)
    rows = list(csv.DictReader(paths["csv"].open()))
    assert len(rows) == len(result.joints) + len(result.unpaired)
    assert {r["reliable"] for r in rows} <= {"yes", "no"}
    from PIL import Image

    overview = Image.open(paths["overview"])
    assert overview.width > overview.height  # the two radiographs side by side
    assert (tmp_path / "joints" / f"{result.joints[0].identity}_spectrum_transformed.png").is_file()


def test_an_image_without_a_hand_is_a_clear_error(models, tmp_path):
    from jsnviewer.phantom import generate_study
    from jsnviewer.pipeline.analyze import AnalysisError, analyze

    study = generate_study(8_100_003)
    empty = type(study.followup)(**{**vars(study.followup), "pixels": np.full_like(study.followup.pixels, 300.0)})
    with pytest.raises(AnalysisError, match="no finger joints were found"):
        analyze(study.baseline, empty, models)


def test_batch_carries_on_past_a_bad_file_and_says_why(tmp_path):
    from jsnviewer.cli.main import main
    from jsnviewer.phantom import generate_study, write_study

    write_study(tmp_path / "good", generate_study(8_100_004), format="png")
    (tmp_path / "broken.dcm").write_bytes(b"DICM" + b"\x00" * 50)
    manifest = tmp_path / "manifest.csv"
    manifest.write_text("id,baseline,follow-up\n"
                        "p1,good/baseline.png,good/followup.png\n"
                        "p2,broken.dcm,good/followup.png\n")
    assert main(["batch", str(manifest), "--out", str(tmp_path / "out"), "--quiet", "--device", "cpu"]) == 0
    rows = list(csv.DictReader((tmp_path / "out" / "summary.csv").open()))
    bad = [r for r in rows if r["id"] == "p2"]
    assert len(bad) == 1 and bad[0]["status"] == "error" and "broken.dcm" in bad[0]["reason"]
    good = [r for r in rows if r["id"] == "p1" and r["status"] == "ok"]
    assert len(good) >= 10 and all(r["jsn_mm"] for r in good)
    assert (tmp_path / "out" / "p1" / "results.json").is_file()


def test_two_different_patients_are_analysed_with_a_warning_the_report_and_batch_carry(models, tmp_path):
    """A pair of two patients is not refused (a typo in an ID is common) but said plainly, in the
    result, results.csv's summary and the batch row."""
    import dataclasses

    from jsnviewer.cli.main import main
    from jsnviewer.phantom import generate_study, write_study
    from jsnviewer.pipeline.analyze import analyze

    study = generate_study(8_100_005)
    other = dataclasses.replace(study.followup, identity=dataclasses.replace(study.followup.identity, patient_id="SOMEONE-ELSE"))
    result = analyze(study.baseline, other, models)
    assert any("different patient IDs" in w for w in result.warnings)

    write_study(tmp_path / "s", study, format="dcm")
    from jsnviewer.radiograph import load_radiograph, save_radiograph

    save_radiograph(tmp_path / "s" / "other.dcm", dataclasses.replace(load_radiograph(tmp_path / "s" / "followup.dcm"),
                    identity=dataclasses.replace(study.followup.identity, patient_id="SOMEONE-ELSE")), "dcm")
    (tmp_path / "m.csv").write_text("id,baseline,follow-up\nx,s/baseline.dcm,s/other.dcm\n")
    assert main(["batch", str(tmp_path / "m.csv"), "--out", str(tmp_path / "out"), "--quiet", "--device", "cpu"]) == 0
    rows = list(csv.DictReader((tmp_path / "out" / "summary.csv").open()))
    assert rows and all("different patient IDs" in r["warnings"] for r in rows)


@pytest.mark.slow
def test_a_real_radiograph_against_a_moved_copy_of_itself_measures_no_narrowing(models, real_data):
    """UAB001-LH against itself turned 4°, shifted, scaled 3 % and noised: the true JSN change is 0
    at every joint. Most joints pair, and every measurement the report calls reliable is near 0."""
    from jsnviewer.phantom.moved import rigidly_moved
    from jsnviewer.pipeline.analyze import analyze
    from jsnviewer.radiograph import load_radiograph

    baseline = load_radiograph(real_data / "hands_ra2" / "UAB001-LH.jpg")
    result = analyze(baseline, rigidly_moved(baseline), models)
    reliable = [j for j in result.joints if j.reliable]
    assert len(result.joints) >= 8 and len(reliable) >= 6, [(j.identity, j.reliable) for j in result.joints]
    assert all(abs(j.jsn_px) < 0.25 for j in reliable), [(j.identity, j.jsn_px) for j in reliable]
    assert {j.identity for j in reliable} >= {"MCP2", "MCP3", "MCP4"}


def test_jsn_is_written_one_way_and_a_zero_never_shows_a_minus_sign():
    from jsnviewer.pipeline.result import signed

    assert signed(-0.1234, 3, "mm") == "-0.123 mm" and signed(0.3, 1, "px") == "+0.3 px"
    assert signed(-0.0004, 3, "mm") == "0.000 mm" and signed(-0.04, 1, "px") == "0.0 px"  # not '-0.000'
    assert signed(0.0, 2) == "0.00" and signed(-1.5, 2) == "-1.50"
