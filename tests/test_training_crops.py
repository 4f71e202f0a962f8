"""The joint crops saved for retraining the segmenter and the registration are the joints the annotator
confirmed: reliable measurements whose boxes the user kept on both visits, filed under the user's name."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest
from PIL import Image

from jsnviewer.dataset import JointAnnotation, image_id_of, open_dataset
from jsnviewer.pipeline.geometry import CropFrame
from jsnviewer.pipeline.result import JointCrops, JointDetectionInfo, JointResult, StudyResult, VisitInfo
from jsnviewer.pipeline.training_crops import save_joint_crops
from jsnviewer.radiograph import Radiograph, StudyIdentity, load_radiograph, save_radiograph
from jsnviewer.registration.result import JointRegistration
from jsnviewer.registration.transform import BoneTransform

UNRELIABLE = ["transformed loss 0.0900 is not below the original 0.0800"]
# identity, baseline box, follow-up box, reasons it is not reliable: one per joint of the analysis
ANALYSED = [("MCP2", (100.0, 150.0, 40.0, 40.0), (104.0, 147.0, 40.0, 40.0), []),
            ("PIP3", (95.0, 80.0, 36.0, 36.0), (100.0, 77.0, 36.0, 36.0), []),
            ("DIP4", (130.0, 50.0, 30.0, 30.0), (134.0, 45.0, 30.0, 30.0), []),
            ("PIP4", (451.0, 605.0, 36.0, 36.0), (326.0, 553.0, 36.0, 36.0), UNRELIABLE),  # two different joints
            ("MCP5", (60.0, 160.0, 40.0, 40.0), (63.0, 158.0, 40.0, 40.0), [])]


def radiograph(path, seed: int, study_date: date):
    pixels = np.random.default_rng(seed).integers(0, 4096, size=(700, 500)).astype(np.float32)
    identity = StudyIdentity(patient_id="P001", study_date=study_date, laterality="R", modality="DX")
    return load_radiograph(save_radiograph(path, Radiograph(pixels, bits_stored=12, pixel_size_mm=0.15, identity=identity)))


def joint_result(number: int, identity: str, baseline_box, followup_box, reasons: list[str]) -> JointResult:
    size = 16
    crop = np.full((size, size), 1000.0 * (number + 1))
    upper = np.zeros((size, size), bool)
    upper[:7] = True
    lower = np.zeros((size, size), bool)
    lower[9:] = True
    crops = JointCrops(CropFrame(baseline_box[:2], (0.0, -1.0), 1.0, size), CropFrame(followup_box[:2], (0.0, -1.0), 1.0, size),
                       crop, crop + 7.0, upper, lower, upper, lower, 0.15)
    registration = JointRegistration("poc", BoneTransform(), BoneTransform(), 0.15, 0.08, 0.02, reasons=list(reasons))
    return JointResult(identity, JointDetectionInfo(baseline_box, {}, {}, 0.95),
                       JointDetectionInfo(followup_box, {}, {}, 0.93), crops, registration)


@pytest.fixture
def study(tmp_path):
    baseline = radiograph(tmp_path / "baseline.dcm", 1, date(2019, 5, 2))
    followup = radiograph(tmp_path / "followup.dcm", 2, date(2021, 6, 7))
    result = StudyResult(VisitInfo.of(baseline), VisitInfo.of(followup),
                         [joint_result(k, *joint) for k, joint in enumerate(ANALYSED)], [])
    return result, baseline, followup


def user(box, identity: str, nudge: float = 0.0, source: str = "user") -> JointAnnotation:
    return JointAnnotation((box[0] + nudge, box[1] - nudge, box[2], box[3]), identity, source=source)


def test_joint_crops_are_those_the_user_confirmed_on_both_visits_under_the_users_name(tmp_path, study):
    result, baseline, followup = study
    mcp2, pip3, dip4, pip4, mcp5 = ANALYSED
    # The annotator renamed MCP2 to MCP3 (moving its boxes a little), accepted PIP3, deleted DIP4's box on the
    # follow-up, accepted the unreliable PIP4's boxes as they were and left MCP5's follow-up box a proposal.
    baseline_joints = [user(mcp2[1], "MCP3", 3.0), user(pip3[1], "PIP3"), user(dip4[1], "DIP4"), user(pip4[1], "PIP4"),
                       user(mcp5[1], "MCP5")]
    followup_joints = [user(mcp2[2], "MCP3", -2.0), user(pip3[2], "PIP3"), user(pip4[2], "PIP4"),
                       user(mcp5[2], "MCP5", source="model")]
    dataset = open_dataset(tmp_path / "dataset", create=True)

    saved = save_joint_crops(dataset, result, baseline, followup, baseline_joints, followup_joints)

    folders = sorted(p.name for p in dataset.joint_crops_dir.iterdir())
    assert [name.split("_", 2)[2] for name in folders] == ["MCP3", "PIP3"]  # no MCP2, DIP4, PIP4 or MCP5
    assert saved.left_out == ["DIP4", "PIP4", "MCP5"]
    assert sorted(p.parent.name for p in saved.crops) == sorted(folders * 2)
    ids = [image_id_of(baseline.path), image_id_of(followup.path)]
    mcp3 = dataset.joint_crops_dir / next(name for name in folders if name.endswith("_MCP3"))
    assert sorted(p.name for p in mcp3.iterdir()) == sorted(f"{i}{part}.png" for i in ids for part in ("", "_upper", "_lower"))
    # the analysed MCP2's crops, filed under the name the user gave the joint
    assert np.array_equal(np.asarray(Image.open(mcp3 / f"{ids[0]}.png")), np.full((16, 16), 1000, dtype=np.uint16))
    assert np.array_equal(np.asarray(Image.open(mcp3 / f"{ids[1]}.png")), np.full((16, 16), 1007, dtype=np.uint16))


def test_a_joint_named_differently_on_the_two_visits_or_moved_off_its_box_is_left_out(tmp_path, study):
    result, baseline, followup = study
    mcp2, pip3 = ANALYSED[:2]
    baseline_joints = [user(mcp2[1], "MCP3"), user(pip3[1], "PIP3", 20.0)]  # PIP3's box moved off the analysed one
    followup_joints = [user(mcp2[2], "MCP2"), user(pip3[2], "PIP3")]
    dataset = open_dataset(tmp_path / "dataset", create=True)

    saved = save_joint_crops(dataset, result, baseline, followup, baseline_joints, followup_joints)

    assert not dataset.joint_crops_dir.exists()
    assert saved.crops == [] and saved.left_out == [joint[0] for joint in ANALYSED]


def test_a_joint_of_a_radiograph_of_both_hands_is_filed_under_its_own_hand(tmp_path, study):
    result, baseline, followup = study
    box_b, box_f = ANALYSED[1][1], ANALYSED[1][2]
    result.joints = [joint_result(0, "L PIP3", box_b, box_f, [])]  # the files say R; the joint is on the left hand
    dataset = open_dataset(tmp_path / "dataset", create=True)
    save_joint_crops(dataset, result, baseline, followup, [user(box_b, "L PIP3")], [user(box_f, "L PIP3")])
    folder = next(dataset.joint_crops_dir.iterdir()).name
    assert folder.split("_", 1)[1] == "L_PIP3"


def test_a_study_whose_crops_were_saved_under_the_hand_unknown_is_saved_again_into_that_folder(tmp_path, study):
    """Files that state no hand were filed under 'U' until the hand their joints lie as was taken for them ('R'):
    saved again, the same crops would have gone to a second folder of the same joint, counted twice in training
    and perhaps on both sides of its validation split."""
    from jsnviewer.pipeline.training_crops import joint_key

    result, baseline, followup = study
    box_b, box_f = ANALYSED[0][1], ANALYSED[0][2]
    result.joints = [joint_result(0, "MCP2", box_b, box_f, [])]
    dataset = open_dataset(tmp_path / "dataset", create=True)
    earlier = joint_key("P001", None, "MCP2")
    (dataset.joint_crops_dir / earlier).mkdir(parents=True)
    (dataset.joint_crops_dir / earlier / f"{image_id_of(baseline.path)}.png").write_bytes(b"saved before")
    save_joint_crops(dataset, result, baseline, followup, [user(box_b, "MCP2")], [user(box_f, "MCP2")])
    assert [p.name for p in dataset.joint_crops_dir.iterdir()] == [earlier]
    assert len(list((dataset.joint_crops_dir / earlier).glob("*_upper.png"))) == 2

    other = open_dataset(tmp_path / "other", create=True)  # never saved before: under the hand, as ever
    save_joint_crops(other, result, baseline, followup, [user(box_b, "MCP2")], [user(box_f, "MCP2")])
    assert [p.name.split("_", 1)[1] for p in other.joint_crops_dir.iterdir()] == ["R_MCP2"]


def test_each_crop_keeps_its_scale_so_lengths_measured_on_it_can_be_given_as_the_analyses_give_them(tmp_path, study):
    """The comparison after a retraining measured the registration on these crops and could say its figure only in crop
    px, a unit nothing else of the program speaks: each crop now says how large its pixel is in its radiograph."""
    from jsnviewer.segmentation.data import crop_scale

    result, baseline, followup = study
    mcp2 = ANALYSED[0]
    joint = result.joints[0]
    joint = type(joint)(joint.identity, joint.baseline, joint.followup,
                        type(joint.crops)(CropFrame(mcp2[1][:2], (0.0, -1.0), 0.62, 16), CropFrame(mcp2[2][:2], (0.0, -1.0),
                                          0.65, 16), *[getattr(joint.crops, f) for f in ("fixed", "moving", "fixed_upper",
                                          "fixed_lower", "moving_upper", "moving_lower")], 0.093), joint.registration)
    result = type(result)(result.baseline, result.followup, [joint], [])
    dataset = open_dataset(tmp_path / "dataset", create=True)
    saved = save_joint_crops(dataset, result, baseline, followup, [user(mcp2[1], "MCP2")], [user(mcp2[2], "MCP2")])
    by_visit = {p.stem: crop_scale(p) for p in saved.crops}
    assert by_visit[image_id_of(baseline.path)] == {"px_per_crop_px": 0.62, "mm_per_crop_px": 0.093}
    assert by_visit[image_id_of(followup.path)] == {"px_per_crop_px": 0.65, "mm_per_crop_px": 0.093}  # one size in mm
