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
