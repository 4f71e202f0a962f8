"""Training material: real landmarks turned into joint boxes, and the augmented window sampler."""

from pathlib import Path

import numpy as np
import pytest

from jsnviewer.detection.data import WorkingHand, load_ra2, load_rsna, sample_windows


def test_ra2_landmarks_become_ten_joint_boxes_inside_the_image(real_data):
    from PIL import Image

    hands = load_ra2(real_data / "hands_ra2")
    assert len(hands) == 4
    for h in hands:
        assert sorted(h.identities) == sorted(["IP1", "PIP2", "PIP3", "PIP4", "PIP5", "MCP1", "MCP2", "MCP3", "MCP4", "MCP5"])
        w, hgt = Image.open(h.path).size
        assert (h.boxes[:, 0] > 0).all() and (h.boxes[:, 0] < w).all() and (h.boxes[:, 1] < hgt).all()
        assert h.laterality in ("L", "R")
        # Boxes sized to the joint: an MCP box is wider than the gap to its neighbour MCP.
        mcp2, mcp3 = h.boxes[h.identities.index("MCP2")], h.boxes[h.identities.index("MCP3")]
        assert np.hypot(*(mcp2[:2] - mcp3[:2])) < mcp2[2] < 3 * np.hypot(*(mcp2[:2] - mcp3[:2]))


def test_rsna_points_are_scaled_from_their_224_frame_and_duplicates_dropped(real_data):
    hands = load_rsna(real_data / "hands_rsna_shsnet")
    assert len(hands) == 8  # 12 rows, two images repeated twice
    for h in hands:
        # The thumb lies on the thumb side: right of the MCPs in a left hand, left in a right hand.
        ip1 = h.boxes[h.identities.index("IP1"), 0]
        mcp5 = h.boxes[h.identities.index("MCP5"), 0]
        assert (ip1 > mcp5) == (h.laterality == "L")
        assert h.boxes[:, 0].max() < 630 and h.boxes[:, 1].max() < 910 and h.boxes[:, 1].min() > 100


def test_windows_keep_the_joints_whose_centre_they_hold():
    img = np.zeros((600, 500), dtype=np.uint8)
    img[280:320, 230:270] = 255
    hand = WorkingHand(img, np.array([[250.0, 300.0, 40.0, 40.0]], dtype=np.float32), np.array([[True, False]]), "square")
    rng = np.random.default_rng(0)
    x, targets = sample_windows([hand], 0, 12, rng, background_share=0.0)
    assert x.shape == (12, 1, 300, 300)
    for k, (boxes, labels, findings_only) in enumerate(targets):
        assert not findings_only  # a box-annotated hand teaches boxes
        assert len(boxes) == 1 and labels.tolist() == [2]  # ankylosis present -> class 2
        cx, cy, w, _ = boxes[0].tolist()
        # The square is where the target says (the window's pixels there are bright).
        assert x[k, 0, int(cy), int(cx)] > 0.5 or x[k, 0].max() < 0.9
        assert 40 * 0.6 < w < 40 * 1.6


def test_the_unlandmarked_dips_of_real_hands_are_marked_beyond_the_pips(real_data):
    for h in load_ra2(real_data / "hands_ra2"):
        assert h.unlabelled.shape == (4, 4)
        for d, dip in zip((2, 3, 4, 5), h.unlabelled):
            pip, mcp = h.boxes[h.identities.index(f"PIP{d}")], h.boxes[h.identities.index(f"MCP{d}")]
            # Further from the MCP than the PIP is, along the same finger.
            assert np.hypot(*(dip[:2] - mcp[:2])) > np.hypot(*(pip[:2] - mcp[:2]))
            assert np.dot(dip[:2] - pip[:2], pip[:2] - mcp[:2]) > 0


def test_an_annotation_dataset_trains_on_the_users_boxes_of_reviewed_images_only(half_reviewed_dataset):
    from conftest import USER_BOXES

    from jsnviewer.dataset import LeftOut
    from jsnviewer.detection.data import load_annotations

    samples, left_out = load_annotations(half_reviewed_dataset.root)
    assert [Path(s.path).stem for s in samples] == [half_reviewed_dataset.annotation_for_file(
        half_reviewed_dataset.root.parent / "incoming" / "reviewed.png").image_id]  # not the unreviewed images
    (sample,) = samples
    assert [tuple(box) for box in sample.boxes] == [box for box, _ in USER_BOXES]  # no proposal, named or not
    assert sample.identities == ["MCP2", ""]
    assert sample.findings.tolist() == [[False, False], [True, False]]
    assert left_out == LeftOut(images=2, proposals=5)


@pytest.mark.parametrize("reader", ["detector training", "finding classifier training", "detection bench"])
def test_a_damaged_radiograph_in_a_dataset_is_named_by_its_whole_path(half_reviewed_dataset, reader):
    """The dataset's copy is called by its content (images/<hash>.png): its name alone does not say where it is."""
    from jsnviewer.detection.bench import dataset_images
    from jsnviewer.detection.data import load_annotations
    from jsnviewer.detection.findings_train import file_patches
    from jsnviewer.detection.train import file_hands
    from jsnviewer.errors import RadiographError

    (sample,), _ = load_annotations(half_reviewed_dataset.root)
    copy = Path(sample.path)
    copy.write_bytes(copy.read_bytes()[:60])  # cut short, as by a full disk or a failed copy
    read = {"detector training": lambda: file_hands([sample]), "finding classifier training": lambda: file_patches([sample]),
            "detection bench": lambda: list(dataset_images(half_reviewed_dataset.root))}[reader]
    with pytest.raises(RadiographError) as info:
        read()
    assert str(info.value).startswith(f"{copy.absolute()}: ") and "truncated" in str(info.value), str(info.value)


def test_a_damaged_radiograph_in_a_dataset_is_left_out_and_named_while_the_others_train(tmp_path):
    """One cut-short image copy stopped the whole retraining (a missing one was left out with a note): the user's
    other reviewed radiographs are trained on, and the damaged one is named with the rest of what is left out."""
    from PIL import Image

    from jsnviewer.dataset import JointAnnotation, open_dataset
    from jsnviewer.detection.data import load_annotations
    from jsnviewer.detection.findings_train import file_patches
    from jsnviewer.detection.train import gather_hands

    dataset = open_dataset(tmp_path / "dataset", create=True)
    for seed in (1, 2):
        path = tmp_path / f"hand{seed}.png"
        Image.fromarray((np.arange(400 * 300).reshape(400, 300) * seed % 4096).astype(np.uint16)).save(path)
        annotation = dataset.add_image(path, width=300, height=400, laterality="L")
        annotation.joints = [JointAnnotation((60.0 + 40 * k, 300.0, 24.0, 24.0), f"MCP{k + 2}", source="user")
                             for k in range(3)]
        dataset.save_annotation(annotation)
    samples, _ = load_annotations(dataset.root)
    damaged_copy = Path(samples[0].path)
    damaged_copy.write_bytes(damaged_copy.read_bytes()[:60])

    hands, desc = gather_hands("ankylosis", data=dataset.root)
    assert len(hands) == 1 and desc["annotated_images"] == 1
    assert f"1 radiograph that cannot be read: {damaged_copy.absolute()}: " in desc["left_out"], desc["left_out"]
    damaged: list[str] = []
    patches = file_patches(samples, damaged)
    assert len(patches.known) == 3 and len(damaged) == 1 and str(damaged_copy.absolute()) in damaged[0]


def test_the_proposals_left_on_a_partly_reviewed_image_are_neither_joints_nor_background(tmp_path):
    """3 boxes reviewed, 11 proposals not yet: the detectors learn the 3 as joints, and the 11 (joints the
    annotator has not come to) not as background: they are unlabelled, as the landmarked hands' DIPs."""
    from PIL import Image

    from jsnviewer.dataset import JointAnnotation, open_dataset
    from jsnviewer.detection.data import load_annotations
    from jsnviewer.detection.train import file_hands

    dataset = open_dataset(tmp_path / "dataset", create=True)
    Image.fromarray((np.arange(400 * 300).reshape(400, 300) % 4096).astype(np.uint16)).save(tmp_path / "hand.png")
    annotation = dataset.add_image(tmp_path / "hand.png", width=300, height=400, laterality="L")
    reviewed = [JointAnnotation((60.0 + 40 * k, 300.0, 24.0, 24.0), f"MCP{k + 2}", source="user") for k in range(3)]
    waiting = [JointAnnotation((30.0 + 22 * k, 100.0 + 12 * (k % 3), 20.0, 20.0), source="model") for k in range(11)]
    annotation.joints = reviewed[:2] + waiting + reviewed[2:]
    dataset.save_annotation(annotation)

    (sample,), left_out = load_annotations(dataset.root)
    assert [tuple(box) for box in sample.boxes] == [j.box for j in reviewed]
    assert [tuple(box) for box in sample.unlabelled] == [j.box for j in waiting]
    assert left_out.proposals == 11  # still not training data, and said so

    (hand,) = file_hands([sample])
    _, targets = sample_windows([hand], 0, 8, np.random.default_rng(0), background_share=0.0)
    labels = np.concatenate([t[1].numpy() for t in targets])
    assert (labels == -1).sum() > 0 and set(labels) <= {-1, 1}  # unlabelled (-1): left out of the background


def test_train_detector_says_what_it_left_out_and_refuses_a_dataset_nobody_reviewed(tmp_path, capsys):
    from PIL import Image

    from jsnviewer.cli.main import main
    from jsnviewer.dataset import JointAnnotation, open_dataset

    dataset = open_dataset(tmp_path / "dataset", create=True)
    Image.fromarray(np.full((64, 48), 900, dtype=np.uint16)).save(tmp_path / "hand.png")
    annotation = dataset.add_image(tmp_path / "hand.png", width=48, height=64)
    annotation.joints = [JointAnnotation((20.0, 30.0, 10.0, 12.0), "MCP2", source="model")]
    dataset.save_annotation(annotation)

    code = main(["train", "detector", "--finding", "ankylosis", "--synthetic", "0", "--data", str(dataset.root),
                 "--steps", "1", "--batch", "1", "--out", str(tmp_path / "detector.pt")])
    out, err = capsys.readouterr()
    assert code == 2 and "no training radiographs were found" in err  # the proposal is not ground truth
    assert "0 reviewed images with the user's boxes; left out 1 image nobody has reviewed (no box of the " \
           "user's) and 1 proposal waiting for review" in out
    assert not (tmp_path / "detector.pt").exists()


@pytest.mark.parametrize("model, synthetic_maker", [
    (["detector", "--finding", "ankylosis"], "jsnviewer.detection.train.phantom_hands"),
    (["findings"], "jsnviewer.detection.findings_train.phantom_patches")])
def test_a_dataset_that_is_not_there_is_said_before_any_synthetic_hand_is_made(tmp_path, capsys, monkeypatch, model,
                                                                               synthetic_maker):
    """200 synthetic studies (600 for the finding classifier) took minutes before the typo was said."""
    from jsnviewer.cli.main import main

    monkeypatch.setattr(synthetic_maker, lambda *args, **kwargs: pytest.fail("synthetic hands were made first"))
    code = main(["train", *model, "--synthetic", "3", "--data", str(tmp_path / "datset"),
                 "--out", str(tmp_path / "new.pt")])
    assert code == 2 and f"{tmp_path / 'datset'} is not there" in capsys.readouterr().err


def test_landmarked_hands_are_found_by_content_in_a_folder_of_any_name(tmp_path):
    """`bench detection --data` on a held-out set laid out like hands_ra2 but named otherwise found "no
    landmarked radiographs"; it also needed .jpg images."""
    import json

    from jsnviewer.cli.main import main
    from jsnviewer.detection.data import load_real
    from jsnviewer.phantom import generate_study
    from jsnviewer.radiograph import save_radiograph

    labels = {"IP1": "0_mcp_ip", "PIP2": "1_pip_2", "PIP3": "2_pip_3", "PIP4": "3_pip_4", "PIP5": "4_pip_5",
              "MCP1": "5_mcp_1", "MCP2": "6_mcp_2", "MCP3": "7_mcp_3", "MCP4": "8_mcp_4", "MCP5": "9_mcp_5"}
    folder = tmp_path / "holdout"
    folder.mkdir()
    study = generate_study(11)
    save_radiograph(folder / "P01-LH.png", study.baseline)
    shapes = [{"label": labels[j.identity], "points": [list(j.centre)], "shape_type": "point"}
              for j in study.truth.baseline.joints if j.identity in labels]
    (folder / "P01-LH.landmarks.json").write_text(json.dumps({"shapes": shapes, "imagePath": "P01-LH.png"}))

    (hand,) = load_real(folder)
    assert hand.path == str(folder / "P01-LH.png") and hand.laterality == "L"
    assert sorted(hand.identities) == sorted(labels)
    assert load_real(tmp_path) == []  # only the folder itself and the two known subfolders are looked at

    out = tmp_path / "bench.json"
    assert main(["bench", "detection", "--data", str(folder), "--json", str(out)]) == 0
    figures = json.loads(out.read_text())
    assert figures["images"] == 1 and figures["joints"] == 10 and figures["detection_rate"] >= 0.9


def test_a_landmark_file_that_is_not_json_says_so_in_words(tmp_path):
    """It said "(JSONDecodeError)", the name of an exception, not what is wrong with the file."""
    from jsnviewer.errors import DatasetError

    (tmp_path / "P01-LH.landmarks.json").write_text('{"shapes": [')
    with pytest.raises(DatasetError) as info:
        load_ra2(tmp_path)
    assert str(info.value) == "P01-LH.landmarks.json: not a labelme landmark file (not valid JSON (line 1, column 13))"
