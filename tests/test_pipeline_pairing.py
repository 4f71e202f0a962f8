import pytest

from jsnviewer.detection.detector import Detection
from jsnviewer.detection.identity import TEMPLATE_LEFT, TEMPLATE_NAMES
from jsnviewer.pipeline.analyze import crop_frames, followup_scale, pair_detections


def scale_of(baseline, followup, baseline_mm, followup_mm):
    return followup_scale(pair_detections(baseline, followup)[0], baseline_mm, followup_mm)


def det(identity, x, score=0.95):
    return Detection(box=(x, 100.0, 40.0, 40.0), identity=identity, score=score)


def test_joints_pair_by_identity_and_the_rest_say_why():
    baseline = [det("MCP2", 10), det("PIP2", 20), det("PIP2", 25, score=0.5), det(None, 30)]
    followup = [det("MCP2", 11), det("PIP2", 21), det("DIP2", 31)]
    pairs, unpaired = pair_detections(baseline, followup)
    assert sorted(pairs) == ["MCP2", "PIP2"]
    assert pairs["PIP2"][0].box[0] == 20  # the stronger of the two PIP2 boxes
    reasons = {(u.identity, u.visit): u.reason for u in unpaired}
    assert "stronger one was kept" in reasons[("PIP2", "baseline")]
    assert "no joint identity" in reasons[(None, "baseline")]
    assert reasons[("DIP2", "followup")] == "not found on the baseline radiograph"


def test_both_crops_cover_the_same_millimetres_when_pixel_sizes_differ():
    ratio, warning = scale_of(hand(1.0), hand(0.15 / 0.175), 0.15, 0.175)  # the hands agree with the sizes
    assert ratio == 0.15 / 0.175 and warning is None
    fb, ff, mm = crop_frames((500, 400, 100, 100), (520, 380, 90, 90), (0, -1), (0.1, -0.99), 0.15, 0.175, ratio)
    assert fb.scale * 0.15 == pytest.approx(ff.scale * 0.175)
    assert mm == pytest.approx(fb.scale * 0.15)
    # the follow-up box size does not set the scale: it is the same joint
    fb2, ff2, _ = crop_frames((500, 400, 100, 100), (520, 380, 120, 120), (0, -1), (0, -1), 0.15, 0.15)
    assert ff2.scale == fb2.scale


def test_unknown_pixel_size_gives_no_millimetres():
    fb, ff, mm = crop_frames((500, 400, 100, 100), (520, 380, 90, 90), (0, -1), (0, -1), None, 0.175)
    assert mm is None and ff.scale == fb.scale
    # one known pixel size is not enough for millimetres: the other visit's could be anything
    fb, ff, mm = crop_frames((500, 400, 100, 100), (520, 380, 90, 90), (0, -1), (0, -1), 0.175, None, size_ratio=0.8)
    assert mm is None and ff.scale == pytest.approx(0.8 * fb.scale)


def hand(scale, shift=(900.0, 1000.0)):
    """Detections of all 14 joints at the template's places, MCP spacing about `scale` × 160 px."""
    return [Detection(box=(shift[0] + 400 * scale * x, shift[1] + 400 * scale * y, 60.0 * scale, 60.0 * scale), identity=name, score=0.9)
            for name, (x, y) in zip(TEMPLATE_NAMES, TEMPLATE_LEFT)]


def test_a_followup_at_another_size_without_pixel_sizes_is_cropped_to_the_hands_size():
    ratio, warning = scale_of(hand(1.0), hand(0.8, (700.0, 800.0)), 0.175, None)
    assert ratio == pytest.approx(0.8) and "80% of its baseline size" in warning
    # within what the registration absorbs (repositioning, magnification): left alone, nothing said
    assert scale_of(hand(1.0), hand(0.96), None, None) == (1.0, None)
    # stated pixel sizes set the scale while the hands agree with them
    assert scale_of(hand(1.0), hand(0.8), 0.175, 0.175 / 0.8) == (0.8, None)
    assert scale_of(hand(1.0), hand(0.97), 0.175, 0.175) == (1.0, None)
    # a hand keeps its size: stated sizes that make it 80 % or 114 % of its baseline size are wrong
    ratio, warning = scale_of(hand(1.0), hand(0.8), 0.175, 0.175)
    assert ratio == pytest.approx(0.8) and "80% of its baseline size" in warning and "check them" in warning
    ratio, warning = scale_of(hand(1.0), hand(1.0), 0.175, 0.19)  # a follow-up's PixelSpacing 0.19, not 0.175
    assert ratio == pytest.approx(1.0) and "109% of its baseline size" in warning and "magnification" in warning
    # too few named joints to tell a hand's size: nothing assumed
    assert scale_of(hand(1.0)[:3], hand(0.8)[:3], None, None) == (1.0, None)


def test_the_hands_size_comes_from_the_joints_named_on_both_visits():
    """A real hand against a turned copy of itself (true size 100 %) was cropped at 111 %, with a warning,
    because each visit's size came from its own named joints and they differed (a box named DIP5 at the
    PIP4 on the baseline only, PIP3 found on the follow-up only). Here the same hand twice, in a real hand's
    proportions rather than the template's (longer, narrower fingers)."""
    import dataclasses

    def real_hand(drop, shift=(900.0, 1000.0), size=1.0):
        return {name: Detection(box=(shift[0] + 320 * size * x, shift[1] + 500 * size * y, 60.0, 60.0), identity=name,
                                score=0.9) for name, (x, y) in zip(TEMPLATE_NAMES, TEMPLATE_LEFT) if name not in drop}

    base = real_hand({"PIP3", "DIP3", "DIP4"})
    base["DIP5"] = dataclasses.replace(base["DIP5"], box=real_hand(())["PIP4"].box)  # mis-named
    follow = real_hand({"DIP3", "DIP4", "DIP5"}, shift=(930.0, 980.0))
    assert scale_of(list(base.values()), list(follow.values()), None, None) == (1.0, None)
    # a follow-up really at another size still is one
    small = real_hand({"DIP3", "DIP4", "DIP5"}, shift=(930.0, 980.0), size=0.8)
    ratio, warning = scale_of(list(base.values()), list(small.values()), None, None)
    assert ratio == pytest.approx(0.8, abs=0.005) and "80% of its baseline size" in warning


def moved(dets, angle_deg=4.0, shift=(25.0, -18.0), scale=1.03, fingers_deg=None):
    """The detections of a hand turned, shifted and scaled about (900, 1000), each finger's joints also turned
    by fingers_deg[digit] about its MCP (a hand laid down a little differently)."""
    import dataclasses
    import math

    def turn(x, y, deg, cx, cy):
        a = math.radians(deg)
        return cx + math.cos(a) * (x - cx) - math.sin(a) * (y - cy), cy + math.sin(a) * (x - cx) + math.cos(a) * (y - cy)

    mcps = {d.identity: d.box[:2] for d in dets if d.identity.startswith("MCP")}
    out = []
    for d in dets:
        x, y = d.box[:2]
        digit = int(d.identity[-1])
        if fingers_deg and digit in fingers_deg:
            x, y = turn(x, y, fingers_deg[digit], *mcps[f"MCP{digit}"])
        x, y = turn(x, y, angle_deg, 900.0, 1000.0)
        out.append(dataclasses.replace(d, box=(900 + scale * (x - 900) + shift[0], 1000 + scale * (y - 1000) + shift[1],
                                               *d.box[2:])))
    return out


def test_boxes_of_one_name_at_different_places_of_the_hand_are_two_joints():
    """A real right hand whose joints the detector named as a left hand's, differently on a turned copy of
    itself: the boxes named DIP2 lay on the third finger at baseline and the fourth at follow-up, and read
    -6.3 px of narrowing marked reliable. A hand moves as a whole: such pairs lie a joint apart."""
    from jsnviewer.detection.detector import hand_spacing
    from jsnviewer.pipeline.pairing import misplaced_pairs

    base = hand(1.0)
    spacing = hand_spacing(base)
    follow = moved(base)
    names = {"DIP3": "DIP4", "DIP4": "DIP3", "PIP2": "PIP3", "PIP3": "PIP2"}
    swapped = [Detection(d.box, names.get(d.identity, d.identity), d.score) for d in follow]
    pairs, _ = pair_detections(base, swapped)
    found = misplaced_pairs(pairs, spacing)
    assert set(found) == set(names) and min(found.values()) > 0.9
    # the finger joints named one finger over on the follow-up, the MCPs right (as on that real hand): a turn of
    # about 30° and a growth of a quarter lays most of the names onto each other, but the palm did not move so
    shift = {"PIP3": "PIP2", "PIP4": "PIP3", "PIP5": "PIP4", "DIP3": "DIP2", "DIP4": "DIP3", "DIP5": "DIP4"}
    one_over = [Detection(d.box, shift.get(d.identity, d.identity), d.score) for d in follow if d.identity not in ("PIP2", "DIP2")]
    assert set(misplaced_pairs(pair_detections(base, one_over)[0], spacing)) == set(shift.values())
    # the same joints, however the hand was turned, shifted, scaled or its fingers spread a little: nothing said
    spread = moved(base, -5.0, (-40.0, 40.0), 0.95, {2: 4.0, 3: -3.0, 4: 5.0, 5: -5.0})
    assert misplaced_pairs(pair_detections(base, spread)[0], spacing) == {}
    assert misplaced_pairs(pair_detections(base[:3], follow[:3])[0], spacing) == {}  # too few to tell


def test_boxes_that_fit_no_finger_joint_are_one_line_after_the_joints_not_measured():
    from jsnviewer.pipeline.result import StudyResult, VisitInfo

    baseline = [det("MCP2", 10), det(None, 30), det(None, 40), det("PIP3", 50)]
    followup = [det("MCP2", 11), det(None, 35)]
    _, unpaired = pair_detections(baseline, followup)
    visit = VisitInfo("a.dcm", None, None, "R", 0.1, "PixelSpacing", 100, 100)
    lines = StudyResult(visit, visit, [], unpaired).not_measured()
    assert lines == ["PIP3 (baseline): not found on the follow-up radiograph",
                     "3 boxes (2 on the baseline and 1 on the follow-up) fit no finger joint of the hand (grey; often the wrist)"]
    # boxes on one visit only: their count is said once ("1 box (1 on the follow-up)" said it twice)
    one = StudyResult(visit, visit, [], [u for u in unpaired if u.identity or u.visit == "followup"]).not_measured()
    assert one[-1] == "1 box on the follow-up fits no finger joint of the hand (grey; often the wrist)"
    two = StudyResult(visit, visit, [], [u for u in unpaired if u.identity or u.visit == "baseline"]).not_measured()
    assert two[-1] == "2 boxes on the baseline fit no finger joint of the hand (grey; often the wrist)"
    # results.csv and the console have no picture of the boxes: their grey is not said there
    from jsnviewer.cli.analyze import _summary
    from jsnviewer.pipeline.report import not_measured_rows

    study = StudyResult(visit, visit, [], unpaired)
    assert not_measured_rows(study)[-1]["reliability_reasons"] == (
        "3 boxes (2 on the baseline and 1 on the follow-up) fit no finger joint of the hand (often the wrist)")
    assert _summary(study).splitlines()[-1].strip() == not_measured_rows(study)[-1]["reliability_reasons"]


def test_a_left_and_a_right_hand_are_told_apart_by_how_their_joints_lie():
    from jsnviewer.pipeline.analyze import hand_sides_differ

    left = hand(1.0)
    right = [Detection(box=(2000.0 - d.box[0], *d.box[1:]), identity=d.identity, score=d.score) for d in left]
    turned = [Detection(box=(d.box[1], 2000.0 - d.box[0], *d.box[2:]), identity=d.identity, score=d.score) for d in left]
    assert hand_sides_differ(left, turned) is None  # a turn is no mirror
    warning = hand_sides_differ(left, right)
    assert "left hand on the baseline and a right hand on the follow-up" in warning
    # a hand against a copy of itself warned "another hand, or one image mirrored?": the naming was the cause
    assert "the joints of one visit named as the other hand's" in warning
    assert "Check the joint names (Edit ▸ Name joints as the other hand renames a visit's)" in warning
    assert hand_sides_differ(left, right[:3]) is None  # three joints do not say which hand


def test_a_left_and_a_right_hand_give_no_reliable_jsn():
    """The joints of one name on a left and a right hand are not one joint measured twice: however well
    their bones align, no measurement is called reliable (the warnings say why)."""
    import dataclasses

    from jsnviewer.phantom import generate_study
    from jsnviewer.pipeline.analyze import OTHER_HAND, AnalysisModels, AnalysisSettings, analyze

    study = generate_study(8_100_007)
    right = dataclasses.replace(study.followup, identity=dataclasses.replace(study.followup.identity, laterality="R"))
    result = analyze(study.baseline, right, AnalysisModels.load(AnalysisSettings(device="cpu")))
    assert len(result.joints) >= 10 and not any(joint.reliable for joint in result.joints)
    assert all(OTHER_HAND in joint.registration.reasons for joint in result.joints)
    assert any("right" in warning for warning in result.warnings)


def test_jsn_without_pixel_sizes_is_given_in_the_baselines_pixels_when_the_followup_was_rescaled():
    """No millimetres and a follow-up hand at 80 % size: the px figure is in pixels of the baseline
    radiograph (crop pixels × the baseline crop's scale), never of the follow-up's."""
    import numpy as np

    from jsnviewer.pipeline.result import JointCrops, JointDetectionInfo, JointResult
    from jsnviewer.registration.result import JointRegistration
    from jsnviewer.registration.transform import BoneTransform

    fb, ff, mm = crop_frames((500, 400, 100, 100), (400, 320, 80, 80), (0, -1), (0, -1), None, None, size_ratio=0.8)
    assert mm is None and ff.scale == pytest.approx(0.8 * fb.scale)
    blank = np.zeros((4, 4), np.float32)
    narrowed = JointRegistration("refined", BoneTransform(dy=-2.0), BoneTransform(), None, 0.05, 0.02)  # 2 crop px
    info = JointDetectionInfo((500.0, 400.0, 100.0, 100.0), {}, {}, 0.9)
    joint = JointResult("MCP2", info, info, JointCrops(fb, ff, blank, blank, blank, blank, blank, blank, mm), narrowed)
    assert joint.jsn_px == pytest.approx(-2.0 * fb.scale) and fb.scale == pytest.approx(70 / 256)
    assert joint.jsn_text() == f"{-2.0 * fb.scale:+.2f} px" == "-0.55 px"


def test_a_mirrored_followup_in_files_that_do_not_say_which_hand_gives_no_reliable_jsn():
    """Neither file names the hand and the follow-up was mirrored on export: the joints' layout tells,
    the window warns, and no JSN is called reliable."""
    import dataclasses

    import numpy as np

    from jsnviewer.phantom import generate_study
    from jsnviewer.pipeline.analyze import OTHER_HAND, AnalysisModels, AnalysisSettings, analyze

    study = generate_study(8_100_007)
    unnamed = dataclasses.replace(study.baseline.identity, laterality=None)
    baseline = dataclasses.replace(study.baseline, identity=unnamed)
    mirrored = dataclasses.replace(study.followup, pixels=np.ascontiguousarray(study.followup.pixels[:, ::-1]),
                                   identity=dataclasses.replace(study.followup.identity, laterality=None))
    result = analyze(baseline, mirrored, AnalysisModels.load(AnalysisSettings(device="cpu")))
    assert any("hand on the baseline and a" in warning and "mirrored" in warning for warning in result.warnings)
    assert len(result.joints) >= 10 and not any(joint.reliable for joint in result.joints)
    assert all(OTHER_HAND in joint.registration.reasons for joint in result.joints)


def test_a_side_the_reader_named_stands_for_its_visit_when_the_sides_are_compared():
    from jsnviewer.pipeline.analyze import hand_sides_differ

    left = hand(1.0)
    right = [Detection(box=(2000.0 - d.box[0], *d.box[1:]), identity=d.identity, score=d.score) for d in left]
    assert hand_sides_differ(left, right, ("R", None)) is None  # the reader's word, not how the joints lie
    assert hand_sides_differ(left, left, (None, "R")) == (
        "The joints lie as on a left hand on the baseline, but the reader named a right hand on the follow-up: another "
        "hand, one image mirrored, or the joints of one visit named as the other hand's? Check the joint names "
        "(Edit ▸ Name joints as the other hand renames a visit's). JSN compares the joints of the same name.")
    assert hand_sides_differ(left, right[:3], ("L", None)) is None  # three joints do not say which hand
    assert hand_sides_differ(left, left, ("R", "L")).startswith(
        "The reader named a right hand on the baseline and a left hand on the follow-up: another hand")


def test_the_summary_says_of_each_finding_on_which_visits_it_was_found():
    """A finding on both visits showed as a bare "subluxation" under "findings (baseline / follow-up)": one
    visit's, or both?"""
    import numpy as np

    from jsnviewer.cli.analyze import _summary
    from jsnviewer.pipeline.result import JointCrops, JointDetectionInfo, JointResult, StudyResult, VisitInfo
    from jsnviewer.registration.result import JointRegistration
    from jsnviewer.registration.transform import BoneTransform

    fb, ff, mm = crop_frames((500, 400, 100, 100), (500, 400, 100, 100), (0, -1), (0, -1), 0.1, 0.1)
    blank = np.zeros((4, 4), np.float32)
    crops = JointCrops(fb, ff, blank, blank, blank, blank, blank, blank, mm)
    still = JointRegistration("refined", BoneTransform(), BoneTransform(), None, 0.05, 0.02)

    def joint(name, baseline, followup):
        return JointResult(name, *(JointDetectionInfo((500.0, 400.0, 100.0, 100.0), dict.fromkeys(found, True), {}, 0.9)
                                   for found in (baseline, followup)), crops, still)

    joints = [joint("MCP2", ["subluxation"], ["subluxation"]), joint("MCP3", [], ["ankylosis"]),
              joint("MCP4", ["ankylosis", "subluxation"], ["subluxation"]), joint("MCP5", [], [])]
    assert [j.findings_text() for j in joints] == ["subluxation (both visits)", "ankylosis (follow-up)",
                                                   "ankylosis (baseline), subluxation (both visits)", ""]
    visit = VisitInfo("b.png", "P1", "2020-01-01", "R", 0.1, "PixelSpacing", 1000, 800)
    lines = _summary(StudyResult(visit, visit, joints, [])).splitlines()
    assert lines[0].endswith("findings (baseline / follow-up)")
    assert lines[1].startswith("MCP2") and lines[1].endswith("  subluxation (both visits)")
    assert lines[4].startswith("MCP5") and lines[4].endswith("  -")


def _truth_boxes(visit) -> list:
    return [Detection(tuple(j.box), j.identity, 0.9) for j in visit.joints]


def test_two_patients_joints_give_no_reliable_jsn():
    """Files with different patient IDs warned of it, yet joints of the two patients' hands were called reliable
    (6 of 14 on two phantom patients), and a filter on reliable = yes kept them."""
    import dataclasses

    from jsnviewer.phantom import generate_study
    from jsnviewer.pipeline.analyze import OTHER_PATIENT, AnalysisModels, AnalysisSettings, analyze

    study = generate_study(8_100_007)
    models = AnalysisModels.load(AnalysisSettings(device="cpu"))
    detections = (_truth_boxes(study.truth.baseline), _truth_boxes(study.truth.followup))
    same = analyze(study.baseline, study.followup, models, detections=detections)
    assert any(joint.reliable for joint in same.joints) and not any(OTHER_PATIENT in j.registration.reasons for j in same.joints)
    other = dataclasses.replace(study.followup, identity=dataclasses.replace(study.followup.identity, patient_id="OTHER-0042"))
    result = analyze(study.baseline, other, models, detections=detections)
    assert len(result.joints) >= 10 and not any(joint.reliable for joint in result.joints)
    assert all(OTHER_PATIENT in joint.registration.reasons for joint in result.joints)
    assert any("different patient IDs" in warning for warning in result.warnings)


@pytest.mark.parametrize("method", ["deep", "poc"])
def test_every_value_of_a_method_kept_for_comparison_is_flagged_with_its_error(method):
    """Settings ▸ Registration "network only" or "phase-only correlation" gave the demo's IP1 −0.62 mm (true −0.29)
    and 13 of its 14 joints "reliable": their values are off by 0.2 / 0.56 mm on average on phantom pairs."""
    from jsnviewer.phantom import generate_study
    from jsnviewer.pipeline.analyze import AnalysisModels, AnalysisSettings, analyze
    from jsnviewer.registration.methods import PHANTOM_MEAN_ERROR_MM, comparison_method

    study = generate_study(8_100_007)
    detections = (_truth_boxes(study.truth.baseline), _truth_boxes(study.truth.followup))
    result = analyze(study.baseline, study.followup, AnalysisModels.load(AnalysisSettings(device="cpu", registration_method=method)),
                     detections=detections)
    assert len(result.joints) >= 10 and not any(joint.reliable for joint in result.joints)
    said = comparison_method(method)
    assert all(said in joint.registration.reasons for joint in result.joints)
    assert f"off by {PHANTOM_MEAN_ERROR_MM[method]:.2f} mm on average" in said and "--method refined" in said
    assert comparison_method("refined") is None
