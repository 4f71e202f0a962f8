"""`jsnviewer train detector --data` reads the annotation dataset; `bench detection` writes its figures."""

import json

import pytest

from jsnviewer.cli.main import main


@pytest.mark.slow
def test_train_on_an_annotation_dataset_then_bench_a_synthetic_study(tmp_path):
    from jsnviewer.dataset import JointAnnotation, open_dataset
    from jsnviewer.phantom.study import generate_study, write_study
    from jsnviewer.weights import load_weights

    study = generate_study(7)
    write_study(tmp_path / "studies" / "pair7", study, "png")
    ds = open_dataset(tmp_path / "dataset", create=True)
    ann = ds.add_image(tmp_path / "studies" / "pair7" / "baseline.png", 1490, 2010, study.truth.laterality, 0.175)
    ann.joints = [JointAnnotation(j.box, j.identity, j.findings) for j in study.truth.baseline.joints]
    ds.save_annotation(ann)

    weights = {}
    for finding in ("ankylosis", "subluxation"):
        weights[finding] = tmp_path / f"{finding}.pt"
        assert main(["train", "detector", "--finding", finding, "--synthetic", "0", "--data", str(tmp_path / "dataset"),
                     "--steps", "2", "--batch", "2", "--out", str(weights[finding])]) == 0
        meta = load_weights(weights[finding]).meta
        assert meta["finding"] == finding and meta["steps"] == 2 and meta["data"]["annotated_images"] == 1

    out = tmp_path / "bench.json"
    assert main(["bench", "detection", "--data", str(tmp_path / "studies"), "--json", str(out),
                 "--ankylosis", str(weights["ankylosis"]), "--subluxation", str(weights["subluxation"])]) == 0
    result = json.loads(out.read_text())
    assert result["images"] == 2 and result["joints"] == 28
    for key in ("detection_rate", "identity_accuracy", "mean_iou", "s_per_image", "ankylosis", "subluxation"):
        assert key in result
    assert 0.0 <= result["detection_rate"] <= 1.0 and result["s_per_image"] > 0


def test_bench_names_a_folder_without_truth(tmp_path, capsys):
    from jsnviewer.detection.detector import save_ssd
    from jsnviewer.detection.model import SSD300

    for finding in ("ankylosis", "subluxation"):
        save_ssd(tmp_path / f"{finding}.pt", SSD300(), finding, {})
    (tmp_path / "empty").mkdir()
    code = main(["bench", "detection", "--data", str(tmp_path / "empty"),
                 "--ankylosis", str(tmp_path / "ankylosis.pt"), "--subluxation", str(tmp_path / "subluxation.pt")])
    assert code == 2
    assert "no truth.json study folders or landmarked radiographs" in capsys.readouterr().err


def test_detections_of_proposals_waiting_for_review_are_not_counted_as_false_positives(tmp_path, capsys, monkeypatch):
    """On an image reviewed in part, the proposals still waiting for review are joints nobody has boxed yet: the
    bench on the dataset counted the detector's boxes on them as false positives (and so did the Retrain dialog's
    comparison, which runs it)."""
    import numpy as np
    from PIL import Image

    from jsnviewer.dataset import JointAnnotation, open_dataset
    from jsnviewer.detection.detector import Detection, JointDetector

    dataset = open_dataset(tmp_path / "dataset", create=True)
    Image.fromarray((np.arange(400 * 300).reshape(400, 300) % 4096).astype(np.uint16)).save(tmp_path / "hand.png")
    annotation = dataset.add_image(tmp_path / "hand.png", width=300, height=400, laterality="L")
    reviewed = [JointAnnotation((60.0 + 40 * k, 300.0, 24.0, 24.0), f"MCP{k + 2}", source="user") for k in range(3)]
    waiting = [JointAnnotation((60.0 + 40 * k, 150.0, 24.0, 24.0), f"PIP{k + 2}", source="model") for k in range(3)]
    annotation.joints = reviewed + waiting
    dataset.save_annotation(annotation)

    class StandIn:
        """Finds the three reviewed joints, two of the three waiting for review (one of them twice) and a box
        where there is no joint."""

        @staticmethod
        def working_scale(pixel_size_mm):
            return 1.0

        def detect_pixels(self, pixels, laterality=None, thresholds=None, scale=None):
            shifted = [(j.box[0] + 2.0, j.box[1] - 1.0, 24.0, 24.0) for j in reviewed + waiting[:2]]
            return [Detection(box, j.identity, 0.9, {"ankylosis": False, "subluxation": False})
                    for box, j in zip(shifted, reviewed + waiting[:2])] + \
                [Detection((63.0, 154.0, 24.0, 24.0), "PIP2", 0.6, {"ankylosis": False, "subluxation": False}),
                 Detection((250.0, 40.0, 24.0, 24.0), None, 0.5, {"ankylosis": False, "subluxation": False})]

    monkeypatch.setattr(JointDetector, "load", classmethod(lambda cls, *args, **kwargs: StandIn()))
    out = tmp_path / "bench.json"
    assert main(["bench", "detection", "--data", str(dataset.root), "--json", str(out)]) == 0
    result = json.loads(out.read_text())
    (row,) = result["per_image"]
    assert (row["joints"], row["detected"], row["false_positives"]) == (3, 3, 2)  # the second box on PIP2 and the stray
    assert row["not_counted_waiting_for_review"] == 2 and result["not_counted_waiting_for_review"] == 2
    assert result["false_positives_per_image"] == 2.0
    printed = capsys.readouterr().out
    assert "3/3 joints detected, 3 right identity, 2 false positives (not counted: 2 detections of proposals " \
           "waiting for review)" in printed
    assert '"not_counted_waiting_for_review": 2' in printed

    from jsnviewer.comparison import _detection

    in_use = {model: f"{model}.pt" for model in ("detector_ankylosis", "detector_subluxation", "joint_findings")}
    _, measured = _detection(dataset.root, ["detector_ankylosis"], {"detector_ankylosis": "new.pt"}, in_use, 1,
                             lambda what: None)
    assert {(r["false_positives_per_image"], r["not_counted_waiting_for_review"]) for r in measured.values()} == \
        {(2.0, 2)}  # the in-use and the new detectors, on the same dataset
