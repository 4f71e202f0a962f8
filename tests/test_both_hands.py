"""Radiographs of both hands side by side, as rheumatoid arthritis is followed: every joint of both hands is
found, named with its hand, paired with the same hand's joint and measured; a study that shows both hands on
one visit and one hand on the other compares that hand."""

import csv
import dataclasses
import json

import numpy as np
import pytest

from jsnviewer.weights import models_dir

MODEL_FILES = ["segmenter.pt", "registration.pt", "detector_ankylosis.pt", "detector_subluxation.pt", "joint_findings.pt"]
needs_models = pytest.mark.skipif(not all((models_dir() / f).is_file() for f in MODEL_FILES),
                                  reason="the shipped weights are not in models/")


@pytest.fixture(scope="module")
def study():
    from jsnviewer.phantom import generate_study

    return generate_study(8_200_003, laterality="B")


@pytest.fixture(scope="module")
def models():
    from jsnviewer.pipeline.analyze import AnalysisModels, AnalysisSettings

    return AnalysisModels.load(AnalysisSettings(device="cpu"))


@pytest.fixture(scope="module")
def analysed(study, models):
    from jsnviewer.pipeline.analyze import analyze

    return analyze(study.baseline, study.followup, models)


def test_the_phantom_of_both_hands_puts_the_right_hand_on_the_images_left_with_exact_truth(study, tmp_path):
    from jsnviewer.phantom import jsn_from_transforms, load_truth, write_study
    from jsnviewer.phantom.study import HEIGHT, WIDTH

    truth = study.truth
    width = study.baseline.pixels.shape[1]
    assert study.followup.pixels.shape == (HEIGHT, 2 * WIDTH) and truth.image_size == (2 * WIDTH, HEIGHT)
    assert len(truth.baseline.joints) == len(truth.changes) == 28
    for joint in truth.baseline.joints:
        hand = joint.identity.split()[0]
        assert (joint.box[0] < width / 2) == (hand == "R"), joint.identity
        change = truth.changes[joint.identity]
        assert jsn_from_transforms(change.upper_transform, change.lower_transform, joint.centre, joint.axis,
                                   truth.pixel_size_mm) == pytest.approx(change.jsn_mm, abs=1e-9)
    write_study(tmp_path, study)
    again = load_truth(tmp_path)
    assert sorted(again.changes) == sorted(truth.changes)
    assert (tmp_path / "masks" / "baseline_R_MCP2_upper.png").is_file()


@needs_models
def test_every_joint_of_both_hands_is_named_with_its_hand_paired_and_measured(study, analysed):
    truth = study.truth
    width = study.baseline.pixels.shape[1]
    assert len(analysed.joints) >= 27  # of 28
    errors = []
    for joint in analysed.joints:
        hand = joint.identity.split()[0]
        assert hand in ("R", "L"), joint.identity
        assert (joint.baseline.box[0] < width / 2) == (hand == "R"), joint.identity  # named with the hand it is on
        errors.append(abs(joint.jsn_mm - truth.changes[joint.identity].jsn_mm))
    assert np.mean(errors) < 0.03
    assert sum(joint.reliable for joint in analysed.joints) >= 25
    assert not any("hand" in w for w in analysed.warnings), analysed.warnings


@needs_models
def test_the_report_of_both_hands_lists_the_right_hand_then_the_left_and_names_each_joints_pictures(study, analysed, tmp_path):
    from jsnviewer.pipeline.report import previous_results, write_results

    paths = write_results(tmp_path, analysed, study.baseline, study.followup)
    rows = [r for r in csv.DictReader(paths["csv"].open()) if r["jsn_mm"]]
    hands = [r["identity"].split()[0] for r in rows]
    assert hands == sorted(hands, key=("R", "L").index) and {"R", "L"} <= set(hands)
    data = json.loads(paths["json"].read_text())
    assert {j["identity"] for j in data["joints"]} == {j.identity for j in analysed.joints}
    assert (tmp_path / "joints" / "R_MCP2_spectrum_transformed.png").is_file()
    # writing again replaces these pictures: they are known as the program's own
    assert tmp_path / "joints" / "L_MCP3_fixed.png" in previous_results(tmp_path)


@needs_models
def test_both_hands_on_the_baseline_and_the_right_hand_alone_on_the_follow_up_compare_the_right_hand(study, models):
    from jsnviewer.pipeline.analyze import analyze
    from jsnviewer.radiograph import Radiograph

    half = study.followup.pixels.shape[1] // 2
    right_only = Radiograph(pixels=study.followup.pixels[:, :half].copy(), bits_stored=12,
                            pixel_size_mm=study.followup.pixel_size_mm, identity=study.followup.identity)
    result = analyze(study.baseline, right_only, models)
    assert len(result.joints) >= 13
    assert {j.identity.split()[0] for j in result.joints} == {"R"}
    errors = [abs(j.jsn_mm - study.truth.changes[j.identity].jsn_mm) for j in result.joints]
    assert np.mean(errors) < 0.03
    assert any("only the right hand" in w for w in result.warnings), result.warnings
    left = [u for u in result.unpaired if u.identity and u.identity.startswith("L ")]
    assert len(left) >= 13 and all("not found on the follow-up" in u.reason for u in left)


@needs_models
def test_a_one_hand_follow_up_whose_joints_are_named_with_its_hand_is_said_to_show_that_hand_not_both(study, models):
    """Accepted in the window, the follow-up's joints are named "R MCP2" (to pair them with the film of both hands) and
    go into the next analysis as the reader's boxes: results.json, the report and overview.png then said the one-hand
    film showed both hands."""
    from jsnviewer.dataset import JointAnnotation
    from jsnviewer.pipeline.analyze import analyze
    from jsnviewer.pipeline.overview import hand_text
    from jsnviewer.radiograph import Radiograph

    half = study.followup.pixels.shape[1] // 2
    silent = dataclasses.replace(study.followup.identity, laterality=None)
    right_only = Radiograph(pixels=study.followup.pixels[:, :half].copy(), bits_stored=12,
                            pixel_size_mm=study.followup.pixel_size_mm, identity=silent)
    first = analyze(study.baseline, right_only, models)
    accepted = [JointAnnotation(box=j.followup.box, identity=j.identity, source="user") for j in first.joints]
    assert {a.identity.split()[0] for a in accepted} == {"R"}
    again = analyze(study.baseline, right_only, models, corrections=([], accepted))
    for result in (first, again):
        assert (result.baseline.laterality, result.followup.laterality) == ("B", "R")
        assert hand_text(result.followup) == "right hand (from the joints)"
        assert result.to_json()["followup"]["laterality"] == "R"


@needs_models
def test_a_one_hand_film_stating_the_other_hand_than_its_joints_lie_as_is_said_once_beside_both_hands(study, models):
    """The follow-up's file says a left hand, its joints lie as a right hand's: the right hand's joints were compared
    with the baseline's right hand and nothing said that the file states otherwise (a wrong tag, or a mirrored
    image: then another hand's joints)."""
    from jsnviewer.detection.detector import Detection
    from jsnviewer.joints import joint_of
    from jsnviewer.pipeline.analyze import analyze
    from jsnviewer.radiograph import Radiograph

    half = study.followup.pixels.shape[1] // 2
    says_left = dataclasses.replace(study.followup.identity, laterality="L")
    right_only = Radiograph(pixels=study.followup.pixels[:, :half].copy(), bits_stored=12,
                            pixel_size_mm=study.followup.pixel_size_mm, identity=says_left)
    both = [Detection(tuple(j.box), j.identity, 0.9) for j in study.truth.baseline.joints]
    right = [Detection(tuple(j.box), joint_of(j.identity), 0.9) for j in study.truth.followup.joints
             if j.identity.startswith("R ")]
    result = analyze(study.baseline, right_only, models, detections=(both, right))
    assert {j.identity.split()[0] for j in result.joints} == {"R"}
    said = [w for w in result.warnings if "states a left hand" in w]
    assert said == [
        "The baseline shows both hands and the follow-up only the right hand: the right hand's joints are compared. "
        "The follow-up's file states a left hand, but its joints lie as a right hand's: a wrong side in the file, or "
        "a mirrored image? Check which hand the follow-up shows."]
    assert len(result.warnings) == 1
    # said once, but each value carries it: a mirrored left hand's joints were compared with the right hand's
    doubt = "the follow-up's file says a left hand but its joints lie as a right hand's"
    assert result.joints and all(any(r.startswith(doubt) for r in j.registration.reasons) for j in result.joints)
    stated_right = dataclasses.replace(right_only, identity=dataclasses.replace(says_left, laterality="R"))
    agreed = analyze(study.baseline, stated_right, models, detections=(both, right))
    assert not any("states" in w for w in agreed.warnings), agreed.warnings
    assert not any("file says" in r for j in agreed.joints for r in j.registration.reasons)


def test_one_hand_and_both_hands_that_cannot_be_told_apart_say_so_and_measure_nothing():
    from jsnviewer.detection.detector import Detection
    from jsnviewer.pipeline.pairing import match_hands

    both = [Detection((100.0 * k, 100.0, 40.0, 40.0), name, 0.99) for k, name in enumerate(["R MCP2", "L MCP2", "R PIP2"])]
    lone = [Detection((100.0, 100.0, 40.0, 40.0), "MCP2", 0.99), Detection((140.0, 60.0, 40.0, 40.0), "PIP2", 0.99)]
    baseline, followup, warning = match_hands(both, lone)  # two joints: which hand they are cannot be told
    assert baseline == both and all(d.identity is None for d in followup)
    assert "which hand cannot be told" in warning
    baseline, followup, warning = match_hands(both, lone, (None, "L"))  # the file says: the left hand
    assert [d.identity for d in followup] == ["L MCP2", "L PIP2"] and "only the left hand" in warning
    assert match_hands(lone, lone) == (lone, lone, None)  # one hand on both visits: named as they were


def test_jsnviewer_phantom_laterality_b_writes_imagelaterality_b_as_it_writes_a_single_hands(tmp_path, capsys):
    """A one-hand phantom's DICOM says its hand (ImageLaterality L or R); the two-hand phantom's said nothing."""
    import pydicom

    from jsnviewer.cli.main import main
    from jsnviewer.radiograph import load_radiograph

    for side in ("B", "L"):
        assert main(["phantom", str(tmp_path / side), "--laterality", side, "--seed", "3"]) == 0
        for visit in ("baseline", "followup"):
            path = tmp_path / side / "pair_000" / f"{visit}.dcm"
            assert pydicom.dcmread(path).ImageLaterality == side
            assert load_radiograph(path).identity.laterality == side
