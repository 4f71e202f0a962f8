"""The retraining loop end to end: analyse a study, annotate it, save the annotations and the joint
crops to a dataset, fine-tune the three models from the shipped weights on that dataset with
`jsnviewer train`, and analyse again with the new weights (issue #8)."""

from __future__ import annotations

import math
import shlex

import numpy as np
import pytest
import torch

from jsnviewer.weights import load_weights, models_dir

MODEL_FILES = ["segmenter.pt", "registration.pt", "detector_ankylosis.pt", "detector_subluxation.pt", "joint_findings.pt"]
pytestmark = pytest.mark.skipif(not all((models_dir() / f).is_file() for f in MODEL_FILES),
                                reason="the shipped weights are not in models/")
SEED = 5  # a phantom hand whose joint folders fall on both sides of the train/validation split


def _changed(trained, shipped) -> bool:
    a, b = load_weights(trained).state_dict, load_weights(shipped).state_dict
    assert a.keys() == b.keys()  # fine-tuned: the same network
    return any(not torch.equal(a[k], b[k]) for k in a if a[k].is_floating_point())


@pytest.mark.slow
def test_a_clinic_retrains_the_models_on_its_saved_annotations_and_analyses_with_them(tmp_path, one_thread, capsys):
    from jsnviewer.cli.main import main
    from jsnviewer.dataset import JointAnnotation, file_sha256, image_id_of, open_dataset
    from jsnviewer.phantom import generate_study, write_study
    from jsnviewer.pipeline.analyze import AnalysisSettings, analyze
    from jsnviewer.pipeline.training_crops import save_joint_crops
    from jsnviewer.radiograph import load_radiograph

    study = generate_study(SEED)
    write_study(tmp_path / "study", study)
    baseline, followup = (load_radiograph(tmp_path / "study" / f"{v}.dcm") for v in ("baseline", "followup"))
    first = analyze(baseline, followup, settings=AnalysisSettings(device="cpu"))
    assert len(first.joints) >= 10

    # The rheumatologist accepts the model's boxes, moves one onto the true joint and marks the findings.
    dataset = open_dataset(tmp_path / "dataset", create=True)
    moved = first.joints[0].identity
    annotated = []
    for visit, radiograph in (("baseline", baseline), ("followup", followup)):
        truth = getattr(study.truth, visit)
        annotation = dataset.add_image(radiograph.path, radiograph.width, radiograph.height,
                                       radiograph.identity.laterality, radiograph.pixel_size_mm)
        annotation.joints = [JointAnnotation(truth.joint(j.identity).box if j.identity == moved else getattr(j, visit).box,
                                             j.identity, dict(truth.joint(j.identity).findings), "user")
                             for j in first.joints]
        dataset.save_annotation(annotation)
        annotated.append(annotation.joints)
    saved = save_joint_crops(dataset, first, baseline, followup, *annotated)

    confirmed = [j.identity for j in first.joints if j.reliable]  # every box is the user's: all but the unreliable
    assert len(confirmed) >= 10 and saved.left_out == [j.identity for j in first.joints if not j.reliable]
    folders = {p.parent for p in saved.crops}
    assert len(saved.crops) == 2 * len(confirmed) and len(folders) == len(confirmed)
    for folder in folders:  # one folder per joint, its two visits named by image id, no patient ID in clear
        assert sorted(p.stem for p in folder.glob("*.png") if not p.stem.endswith(("_upper", "_lower"))) == \
            sorted([image_id_of(baseline.path), image_id_of(followup.path)])
        assert "PHANTOM" not in folder.name and folder.name.endswith(tuple(confirmed))
    assert save_joint_crops(dataset, first, baseline, followup, *annotated) == saved  # saving again overwrites
    assert len(list(dataset.joint_crops_dir.glob("*/*.png"))) == 3 * len(saved.crops)

    shipped = {name: models_dir() / f"{name}.pt" for name in ("detector_ankylosis", "joint_findings", "segmenter", "registration")}
    out = {name: tmp_path / "retrained" / f"{name}.pt" for name in shipped}
    ds = str(dataset.root)
    runs = {
        "detector_ankylosis": ["train", "detector", "--finding", "ankylosis", "--data", ds, "--synthetic", "0",
                               "--steps", "3", "--batch", "4", "--lr", "1e-4"],
        "joint_findings": ["train", "findings", "--data", ds, "--synthetic", "0", "--validation", "1", "--steps", "3",
                           "--batch", "8", "--lr", "1e-4"],
        "segmenter": ["train", "segmenter", "--data", ds, "--no-real", "--epochs", "1", "--batch-size", "8"],
        "registration": ["train", "registration", "--data", ds, "--epochs", "1", "--self-pairs", "16",
                         "--batch-size", "16"],
    }
    for name, argv in runs.items():  # without --init a dataset starts from the shipped weights too
        argv = argv + (["--init", str(shipped[name])] if name in ("detector_ankylosis", "segmenter") else []) + \
            ["--device", "cpu", "--out", str(out[name])]
        assert main(argv) == 0, name
        assert "training on the CPU\n" in capsys.readouterr().out, name  # the device asked for, and said
        card = out[name].with_suffix(".md").read_text()
        assert " ".join(argv) in card and f"Started from `{shipped[name]}`" in card
        assert "## Data and split" in card and "MB" in card
        assert _changed(out[name], shipped[name]), f"{name}: the weights did not change"
        if name in ("detector_ankylosis", "registration"):  # the weights say how they were made: this command
            assert load_weights(out[name]).meta["command"] == shlex.join(["jsnviewer", *argv])  # not pytest's argv
    assert load_weights(out["detector_ankylosis"]).meta["settings"]["cache"] is None  # every option, as used

    settings = AnalysisSettings(device="cpu", weights={name: str(path) for name, path in out.items()})
    second = analyze(baseline, followup, settings=settings)
    models = second.settings["models"]
    for name, path in out.items():  # the result says which weights produced it
        assert models[name] == {"file": str(path.resolve()), "sha256": file_sha256(path)[:16]}
    assert models["detector_subluxation"]["file"] == str((models_dir() / "detector_subluxation.pt").resolve())
    assert len(second.joints) >= 10
    assert all(math.isfinite(j.jsn_px) for j in second.joints)
    errors = [abs(j.jsn_mm - study.truth.changes[j.identity].jsn_mm) for j in second.joints]
    assert np.median(errors) < 0.1, errors  # a few steps of fine-tuning leave the measurement sane


def test_analyze_reads_the_weights_files_named_on_the_command_line(tmp_path, capsys):
    from jsnviewer.cli.main import main

    nowhere = tmp_path / "none.dcm"
    assert main(["analyze", str(nowhere), str(nowhere), "--out", str(tmp_path), "--weights", "segmentr=x.pt"]) == 2
    assert "segmentr=x.pt" in capsys.readouterr().err  # a misspelt model is refused before anything is read
    missing = tmp_path / "retrained" / "segmenter.pt"
    assert main(["analyze", "--demo", "--out", str(tmp_path), "--quiet", "--weights", f"segmenter={missing}"]) == 2
    err = capsys.readouterr().err
    assert str(missing) in err and "not found" in err and len(err.strip().splitlines()) == 1
