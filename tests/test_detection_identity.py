"""Joint identities from the geometry of all detections of a hand."""

import json

import numpy as np
import pytest

from jsnviewer.detection.data import load_ra2
from jsnviewer.detection.identity import TEMPLATE_LEFT, TEMPLATE_NAMES, assign_identities, name_as_hand


def _hand(rotate_deg=0.0, scale=120.0, mirror=False, seed=0):
    rng = np.random.default_rng(seed)
    th = np.radians(rotate_deg)
    rot = np.array([[np.cos(th), -np.sin(th)], [np.sin(th), np.cos(th)]])
    pts = TEMPLATE_LEFT * ([-1.0, 1.0] if mirror else [1.0, 1.0])
    return (pts @ rot.T) * scale + [700.0, 900.0] + rng.normal(0, 0.04 * scale, pts.shape)


@pytest.mark.parametrize("mirror", [False, True])
@pytest.mark.parametrize("rotate", [-30.0, 0.0, 25.0])
def test_every_joint_of_a_left_or_right_hand_is_named(mirror, rotate):
    pts = _hand(rotate, mirror=mirror)
    order = np.random.default_rng(1).permutation(len(pts))  # detections come in any order
    assert assign_identities(pts[order], None) == [TEMPLATE_NAMES[i] for i in order]


def test_a_missing_joint_and_a_stray_box_do_not_shift_the_others():
    pts = _hand(10.0, seed=3)
    keep = [i for i, n in enumerate(TEMPLATE_NAMES) if n != "MCP3"]
    stray = pts.mean(0) + [0.0, 600.0]  # a box on the wrist
    got = assign_identities(np.vstack([pts[keep], stray]), "L")
    assert got[:-1] == [TEMPLATE_NAMES[i] for i in keep]
    assert got[-1] is None


def test_the_landmarked_real_hands_are_named(real_data):
    for hand in load_ra2(real_data / "hands_ra2"):
        assert assign_identities(hand.boxes[:, :2], hand.laterality) == hand.identities, hand.path


def test_the_thumb_side_comes_from_the_image_not_the_label():
    pts = _hand(0.0, mirror=True)  # a right hand …
    assert assign_identities(pts, "L") == TEMPLATE_NAMES  # … declared left is still named right


def test_the_hands_mcp_spacing_comes_from_whichever_joints_are_named():
    from jsnviewer.detection.identity import mcp_spacing
    from jsnviewer.phantom.study import generate_study

    joints = generate_study(5).truth.baseline.joints
    pts = np.array([j.box[:2] for j in joints])
    names = [j.identity for j in joints]
    mcp = {n: p for n, p in zip(names, pts) if n.startswith("MCP")}
    direct = np.mean([np.linalg.norm(mcp[f"MCP{d}"] - mcp[f"MCP{d + 1}"]) for d in (2, 3, 4)])
    assert mcp_spacing(pts, names) == pytest.approx(direct, rel=0.12)
    # Fingertips only (no MCP named) still give the size; unnamed boxes are ignored.
    distal = [k for k, n in enumerate(names) if n.startswith(("PIP", "DIP"))]
    assert mcp_spacing(pts[distal], [names[k] for k in distal]) == pytest.approx(direct, rel=0.2)
    assert mcp_spacing(pts[:3], names[:3]) is None
    assert mcp_spacing(pts, [None] * len(names)) is None


def _both_hands(seed=11):
    """The true joint centres of a phantom radiograph of both hands, and their names."""
    from jsnviewer.phantom import generate_study

    joints = generate_study(seed, laterality="B").truth.baseline.joints
    return np.array([j.box[:2] for j in joints]), [j.identity for j in joints]


def test_the_joints_of_both_hands_on_one_radiograph_are_named_with_their_hand():
    pts, names = _both_hands()
    order = np.random.default_rng(2).permutation(len(pts))
    assert assign_identities(pts[order]) == [names[k] for k in order]
    assert set(n.split()[0] for n in names) == {"R", "L"}


def test_both_hands_with_joints_missing_and_wrist_boxes_are_still_two_hands():
    pts, names = _both_hands(12)
    keep = [k for k, n in enumerate(names) if n not in ("R MCP3", "L DIP5", "L IP1")]
    wrists = np.array([pts[:14].mean(0) + [0.0, 700.0], pts[14:].mean(0) + [0.0, 700.0]])
    got = assign_identities(np.vstack([pts[keep], wrists]))
    assert got[:-2] == [names[k] for k in keep]
    assert got[-2:] == [None, None]


def test_one_hand_with_stray_boxes_is_never_taken_for_two():
    from jsnviewer.detection.identity import MIN_HAND_JOINTS

    for seed in range(6):
        pts = _hand(float(seed * 7 - 20), mirror=bool(seed % 2), seed=seed)
        rng = np.random.default_rng(seed)
        strays = pts.mean(0) + rng.uniform(-500, 500, (2 * MIN_HAND_JOINTS, 2)) + [0.0, 700.0]  # wrist and soft tissue
        got = assign_identities(np.vstack([pts, strays]))
        assert not any(" " in name for name in got if name), (seed, got)
        assert got[:len(pts)] == TEMPLATE_NAMES


def test_size_and_side_are_told_per_hand_on_a_radiograph_of_both():
    from jsnviewer.detection.identity import hand_side, mcp_spacing

    pts, names = _both_hands()
    right = [k for k, n in enumerate(names) if n.startswith("R ")]
    assert hand_side(pts, names) is None  # two hands: no one side
    assert hand_side(pts[right], [names[k] for k in right]) == "R"
    one = mcp_spacing(pts[right], [names[k] for k in right])
    assert mcp_spacing(pts, names) == pytest.approx(one, rel=0.1)  # the same patient's two hands


def test_a_hand_named_plainly_takes_its_own_side_when_the_radiograph_is_said_to_show_both():
    """The annotator ticks "Both hands" on a radiograph whose search found one hand: its names take that
    hand's side, read from how the joints lie."""
    from jsnviewer.detection.identity import names_with_hands

    pts, names = _both_hands()
    right = [k for k, n in enumerate(names) if n.startswith("R ")]
    plain = [names[k][2:] for k in right] + [None, None]  # the right hand named plainly, two boxes unnamed
    centres = np.vstack([pts[right], pts[-2:]])
    assert names_with_hands(centres, plain, 2980) == [names[k] for k in right] + [None, None]
    left = [k for k, n in enumerate(names) if n.startswith("L ")]
    assert names_with_hands(pts[left], [names[k][2:] for k in left], 2980) == [names[k] for k in left]


def test_too_few_named_joints_to_tell_a_side_take_the_half_of_the_image_they_lie_on():
    from jsnviewer.detection.identity import names_with_hands

    centres = np.array([[400.0, 900.0], [2400.0, 900.0]])
    assert names_with_hands(centres, ["MCP2", None], 2980) == ["R MCP2", None]  # the image's left: a right hand
    assert names_with_hands(centres, [None, "PIP3"], 2980) == [None, "L PIP3"]
    assert names_with_hands(centres, ["R MCP2", "PIP3"], 2980) == ["R MCP2", "L PIP3"]


def test_a_radiograph_said_to_show_one_hand_keeps_the_names_of_the_hand_with_most_of_them():
    from jsnviewer.joints import names_of_one_hand

    assert names_of_one_hand(["R MCP2", "L PIP3", "R PIP2", None]) == ["MCP2", None, "PIP2", None]
    assert names_of_one_hand(["L MCP2", "R PIP3"]) == [None, "PIP3"]  # a tie keeps the right hand
    assert names_of_one_hand(["MCP2", None]) == ["MCP2", None]


# The 14 box centres the shipped detectors find on the real right hand UAB001-RH (hands_ra2): its ring and little
# fingers' PIPs and DIPs are missed and three boxes lie on the wrist, so its geometry alone fits a left hand a
# little better (by about half an unmatched joint's price). Beside them, the radiologist's landmarks.
_UAB001_RH_CENTRES = np.array([
    [379.1, 968.4], [532.5, 439.2], [696.9, 770.4], [538.0, 730.6], [924.0, 924.0], [252.7, 766.2], [468.5, 1267.4],
    [810.5, 838.0], [768.2, 1246.8], [801.6, 252.7], [563.6, 286.6], [763.7, 444.1], [208.4, 664.2], [800.7, 1776.7]])
_UAB001_RH_LANDMARKS = {"IP1": (271, 752), "PIP2": (534, 445), "PIP3": (765, 459), "PIP4": (942, 578),
                        "PIP5": (1103, 771), "MCP1": (383, 966), "MCP2": (522, 732), "MCP3": (686, 782),
                        "MCP4": (816, 823), "MCP5": (932, 934)}


def test_a_hand_whose_joints_fit_either_hand_about_equally_is_named_as_the_hand_its_file_declares():
    names = assign_identities(_UAB001_RH_CENTRES, "R")
    right = 0
    for name, landmark in _UAB001_RH_LANDMARKS.items():
        near = np.linalg.norm(_UAB001_RH_CENTRES - landmark, axis=1)
        if near.min() < 60:  # found
            right += names[int(near.argmin())] == name
    assert right == 8  # all 8 landmarked joints found (before: 0, named as a left hand's)
    assert assign_identities(_UAB001_RH_CENTRES * [-1, 1] + [1500, 0], "L") == names  # its mirror image, declared left


# Where the shipped detectors put their boxes on a real right hand (UAB001-RH.jpg, a JPEG, which declares no hand):
# its ring and little fingers' PIPs and DIPs missed, three boxes on the wrist, one on the thumb's tip. Named as a
# left hand's, every name was wrong (the thumb's IP1 named PIP5).
UAB001_RH_BOXES = np.array([(379, 968), (532, 439), (697, 770), (538, 731), (924, 924), (253, 766), (468, 1267),
                            (810, 838), (768, 1247), (802, 253), (564, 287), (764, 444), (208, 664), (801, 1777)], float)


# that radiograph's landmarks (hands_ra2/UAB001-RH.landmarks.json: the thumb's IP and MCP, PIP2–5, MCP2–5)
UAB001_RH_LANDMARKS = {"IP1": (271, 752), "PIP2": (534, 445), "PIP3": (765, 459), "PIP4": (942, 577), "PIP5": (1102, 771),
                       "MCP1": (383, 966), "MCP2": (522, 731), "MCP3": (686, 781), "MCP4": (815, 823), "MCP5": (931, 933)}


def found(centres: np.ndarray, source: str = "both") -> list:
    """Detections at `centres`, named from their geometry alone (a file that declares no hand)."""
    from jsnviewer.detection.detector import Detection

    names = assign_identities(centres, None)
    return [Detection((x, y, 80.0, 80.0), name, 0.9, source=source) for (x, y), name in zip(centres, names)]


def test_a_hand_whose_joints_fit_either_side_almost_alike_is_said_to_be_a_guess():
    from types import SimpleNamespace

    from jsnviewer.detection.identity import side_margin
    from jsnviewer.pipeline.analyze import hand_side_guessed

    assert side_margin(UAB001_RH_BOXES) < 1.0
    assert side_margin(_hand(15.0, mirror=True)) > 4.0  # a well-found hand fits its own side by several prices
    assert side_margin(_hand(-20.0, seed=2)) > 4.0

    jpeg = SimpleNamespace(identity=SimpleNamespace(laterality=None))
    warning = hand_side_guessed(jpeg, found(UAB001_RH_BOXES), "follow-up")
    assert warning.startswith("Which hand the follow-up shows is a guess") and "IP1 and MCP1" in warning
    assert hand_side_guessed(jpeg, found(_hand(15.0, mirror=True)), "follow-up") is None
    declared = SimpleNamespace(identity=SimpleNamespace(laterality="R"))  # the file says: the names take its side
    assert hand_side_guessed(declared, found(UAB001_RH_BOXES), "follow-up") is None
    assert hand_side_guessed(jpeg, found(UAB001_RH_BOXES, source="user"), "follow-up") is None  # the user named them


def test_a_reader_who_names_a_guessed_hand_the_other_side_gets_its_joints_real_names():
    """UAB001-RH, a JPEG: from the geometry alone its joints were named as a left hand's, every name wrong. Named as
    the right hand it is, each box near a landmark takes that landmark's name, and the wrist boxes none."""
    guessed = assign_identities(UAB001_RH_BOXES, None)
    named = name_as_hand(UAB001_RH_BOXES, "R")
    checked = 0
    for (x, y), before, after in zip(UAB001_RH_BOXES, guessed, named):
        nearest = min(UAB001_RH_LANDMARKS, key=lambda k: np.hypot(x - UAB001_RH_LANDMARKS[k][0],
                                                                   y - UAB001_RH_LANDMARKS[k][1]))
        if np.hypot(x - UAB001_RH_LANDMARKS[nearest][0], y - UAB001_RH_LANDMARKS[nearest][1]) < 60:
            checked += 1
            assert after == nearest and before != nearest
        if y > 1200:  # the wrist
            assert after is None
    assert checked == 8
    assert name_as_hand(UAB001_RH_BOXES, "L") == guessed  # the guess was the left hand
    assert name_as_hand(UAB001_RH_BOXES[:2], "R") == [None, None]  # two boxes lay out no hand


# the boxes the shipped detectors find on a page of 40 lines of text (1490 × 2010 px), all "subluxation"
TEXT_PAGE_BOXES = np.array([(76, 808), (180, 803), (246, 179), (252, 1486), (240, 43), (186, 313), (186, 1618),
                            (243, 901), (244, 314), (173, 1213), (175, 1257), (105, 903), (245, 223), (243, 1620),
                            (187, 763), (240, 763), (173, 404), (170, 1392), (250, 944)], float)


def test_a_picture_whose_boxes_mostly_fit_no_hand_is_said_perhaps_not_to_be_a_hand_radiograph():
    """A page of text was analysed as a hand: seven "joints" with subluxation, and nothing said it is no hand."""
    from types import SimpleNamespace

    from jsnviewer.pipeline.analyze import visit_warnings

    jpeg = SimpleNamespace(identity=SimpleNamespace(laterality=None))
    text = visit_warnings(jpeg, found(TEXT_PAGE_BOXES), "baseline")
    assert len(text) == 1 and text[0].startswith("The baseline may not be a hand radiograph: only 7 of the 19 boxes")
    # a real hand with missed joints and wrist boxes (11 of 14 named) is a hand; that its side is a guess is said
    hand = visit_warnings(jpeg, found(UAB001_RH_BOXES), "baseline")
    assert len(hand) == 1 and hand[0].startswith("Which hand the baseline shows is a guess")
    assert visit_warnings(jpeg, found(TEXT_PAGE_BOXES, source="user"), "baseline") == []  # someone drew them
    assert visit_warnings(jpeg, found(TEXT_PAGE_BOXES[:5]), "baseline") == []  # too few boxes to judge


class _ScansOf:
    """A joint detector whose scan at each scale finds the boxes `at(scale)` gives (no network), named as
    `_detect_at` names them: from their geometry alone, as on a file that declares no hand."""

    def __new__(cls, at):
        from jsnviewer.detection.detector import JointDetector

        class Scans(JointDetector):
            def __init__(self):
                self.findings, self.scales = None, []

            def _detect_at(self, pixels, laterality, thresholds, scale, progress):
                self.scales.append(scale)
                return found(at(scale))

        return Scans()


def test_a_hand_named_as_the_other_hand_at_one_scale_only_is_named_as_the_hand_the_other_scans_see():
    """UAB001-RH, a JPEG: at half size the detectors' boxes (three on the wrist, two fingers missed) fit a left
    hand a little better and named one joint more than the scan that finds it right, so the right hand was named
    as a left hand's, every name wrong. Its side is the one its scans fit better in sum."""
    from jsnviewer.detection.detector import PROBE_SCALES, hand_side_of

    landmarks = np.array(list(UAB001_RH_LANDMARKS.values()), float)
    detector = _ScansOf(lambda scale: UAB001_RH_BOXES if scale == 0.5 else landmarks)
    detections = detector.detect_pixels(np.zeros((1778, 1400)), None, scale=None)
    assert hand_side_of(detections) == "R"
    assert [d.identity for d in detections] == list(UAB001_RH_LANDMARKS)
    assert len(detector.scales) == len(PROBE_SCALES) + 2  # the probes, the hand at working size, a closer look

    sure = _ScansOf(lambda scale: landmarks)  # every scan names the same hand: no closer look
    assert hand_side_of(sure.detect_pixels(np.zeros((1778, 1400)), None, scale=None)) == "R"
    assert len(sure.scales) < len(PROBE_SCALES) + 2


def test_a_right_hand_whose_jpeg_states_no_side_is_named_as_a_right_hand(real_data):
    """UAB001-RH.jpg: its thumb's MCP was named PIP2, PIP2 MCP1, MCP5 PIP5 and PIP4 MCP5, as a left hand's."""
    from jsnviewer.detection.detector import JointDetector, hand_side_of
    from jsnviewer.radiograph import load_radiograph

    hand = next(h for h in load_ra2(real_data / "hands_ra2") if h.path.endswith("UAB001-RH.jpg"))
    radiograph = load_radiograph(hand.path)
    assert radiograph.identity.laterality is None
    detections = JointDetector.load().detect(radiograph)
    assert hand_side_of(detections) == "R"
    centres = np.array([d.box[:2] for d in detections])
    for name, (x, y) in zip(hand.identities, hand.boxes[:, :2]):
        near = np.hypot(*(centres - (x, y)).T)
        if near.min() < 60:
            assert detections[int(near.argmin())].identity == name
