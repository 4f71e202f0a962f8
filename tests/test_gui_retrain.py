"""Analysis ▸ Retrain models: a rheumatologist fine-tunes the models on the dataset from the window, sees the
progress, can cancel, and chooses to analyse with the new weights; the models in use are never replaced
without being asked."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QMessageBox

from jsnviewer.weights import load_weights, models_dir
from gui_support import make_window, open_retraining_and_wait, settings_store  # noqa: F401

pytestmark = pytest.mark.skipif(not (models_dir() / "registration.pt").is_file() or
                                not (models_dir() / "joint_findings.pt").is_file(),
                                reason="the shipped weights are not in models/")


@pytest.fixture(scope="module")
def dataset_root(tmp_path_factory):
    """A dataset with a reviewed phantom pair (the true boxes as the user's) and six joints with two visits' crops."""
    from jsnviewer.dataset import JointAnnotation, open_dataset
    from jsnviewer.phantom import generate_study, make_joint_pair, write_study
    from jsnviewer.radiograph import load_radiograph

    root = tmp_path_factory.mktemp("retrain")
    study = generate_study(5)
    write_study(root / "study", study)
    dataset = open_dataset(root / "dataset", create=True)
    for visit in ("baseline", "followup"):
        radiograph = load_radiograph(root / "study" / f"{visit}.dcm")
        annotation = dataset.add_image(radiograph.path, radiograph.width, radiograph.height,
                                       radiograph.identity.laterality, radiograph.pixel_size_mm)
        annotation.joints = [JointAnnotation(j.box, j.identity, dict(j.findings), "user")
                             for j in getattr(study.truth, visit).joints]
        dataset.save_annotation(annotation)
    for seed in range(6):
        pair = make_joint_pair(seed)
        dataset.save_joint_crop(f"joint{seed}", "visit1", pair.fixed, pair.fixed_upper > 0, pair.fixed_lower > 0, *SCALE)
        dataset.save_joint_crop(f"joint{seed}", "visit2", pair.moving, pair.moving_upper > 0, pair.moving_lower > 0,
                                *SCALE)
    return dataset.root


SCALE = (0.5, 0.09)  # the joint crops' px of the radiograph, and mm, per crop px, as an analysis saves them


@pytest.fixture
def quick_runs(monkeypatch):
    """A few steps instead of the clinic's minutes: the same commands, shorter."""
    trained_with(monkeypatch, "joint_findings",
                 ["findings", "--synthetic", "0", "--validation", "1", "--steps", "2", "--batch", "8"])
    trained_with(monkeypatch, "registration", ["registration", "--epochs", "1", "--self-pairs", "8", "--batch-size", "8"])
    trained_with(monkeypatch, "detector_ankylosis", ["detector", "--finding", "ankylosis", "--synthetic", "0", "--steps", "2"])


def trained_with(monkeypatch, model: str, arguments: list[str]) -> None:
    """The Retrain dialog trains `model` with these trainer arguments (from the data it learns from, as ever)."""
    from jsnviewer import retraining

    runs = dict(retraining.MODELS)
    runs[model] = (runs[model][0], runs[model][1], arguments)
    monkeypatch.setattr(retraining, "MODELS", runs)


def dialog_training_only(qtbot, window, model: str):
    """The window's Retrain dialog with only `model` ticked."""
    dialog = open_retraining_and_wait(qtbot, window)
    for name, check in dialog.checks.items():
        check.setChecked(name == model)
    return dialog


def _worse_segmenter(path: Path) -> Path:
    """The shipped segmenter with its weights disturbed (it outlines the bones worse), and a model card beside it."""
    from dataclasses import replace

    import torch

    from jsnviewer.weights import save_weights

    shipped = load_weights(models_dir() / "segmenter.pt")
    noise = torch.Generator().manual_seed(0)
    state = {k: v + 0.3 * v.std() * torch.randn(v.shape, generator=noise) if v.is_floating_point() and v.numel() > 1
             else v for k, v in shipped.state_dict.items()}
    save_weights(path, replace(shipped, state_dict=state))
    path.with_suffix(".md").write_text("# Bone segmenter\n")
    return path


def _retrained_copy(model: str, folder: Path) -> Path:
    """A retraining's file of `model` that is the shipped one (it measures the same), with its model card."""
    import shutil

    shutil.copy(models_dir() / f"{model}.pt", folder / f"{model}.pt")
    (folder / f"{model}.md").write_text(f"# {model}\n")
    return folder / f"{model}.pt"



def test_the_new_weights_are_measured_against_those_in_use_on_the_dataset(dataset_root, tmp_path, one_thread):
    """One figure per model, in use → new: the detectors on the reviewed radiographs they were trained on (said so),
    the segmenter and the registration on the joints their training held out; too little data is said."""
    from jsnviewer.comparison import compare_weights, load_comparison, save_comparison

    new = {"detector_ankylosis": str(_retrained_copy("detector_ankylosis", tmp_path)),
           "segmenter": str(_worse_segmenter(tmp_path / "segmenter.pt")),
           "registration": str(_retrained_copy("registration", tmp_path))}
    steps = []
    comparison = compare_weights(dataset_root, new, {}, lambda done, total, what: steps.append((done, total)))
    assert steps[-1][0] == steps[-1][1] == len(steps)  # 2 radiographs × 2 detections, 2 segmentations, 2 registrations
    detector = comparison.of("detector_ankylosis")
    assert (detector.in_use_text, detector.new_text, detector.verdict) == ("28 of 28 (100.0 %)", "28 of 28 (100.0 %)",
                                                                           "same")
    assert "2 reviewed radiographs it was trained on" in detector.measured_on and "none is held out" in detector.measured_on
    assert detector.too_little  # 2 radiographs
    segmenter = comparison.of("segmenter")
    # against the outlines the segmenter in use drew: another figure is "changed", never "worse" (nor "better")
    assert segmenter.in_use > 0.95 and segmenter.new < segmenter.in_use - 0.01 and segmenter.verdict == "changed"
    assert segmenter.measure.startswith("agreement with the outlines saved in the dataset, which the segmenter in use")
    assert segmenter.amount == 1 and segmenter.too_little  # the one joint of six the split holds out
    assert "1 joint held out from its training" in segmenter.measured_on
    registration = comparison.of("registration")
    assert registration.in_use == registration.new and registration.verdict == "same"
    assert comparison.worse() == []
    doubts = comparison.doubts(new)  # none is shown to do at least as well on enough data
    assert doubts["segmenter"].startswith("not judged: changed, not a quality figure")
    assert doubts["registration"] == doubts["detector_ankylosis"].replace("2 reviewed radiographs", "1 held-out joint") \
        == "too little data to tell: 1 held-out joint, 5 or more needed"
    save_comparison(comparison, tmp_path)
    assert load_comparison(tmp_path) == comparison  # written beside the new weights, read back when offered again
    assert comparison.still_holds({"segmenter": new["segmenter"]}, {})
    assert not comparison.still_holds({"segmenter": new["segmenter"]}, {"registration": new["registration"]})


def test_a_finding_classifier_that_unlearned_a_finding_is_called_worse_not_the_same(dataset_root, tmp_path, one_thread):
    """Fine-tuned on a couple of reviewed radiographs, the classifier learns them by heart: its training log gave a
    validation F1 of 0.03 while the comparison, made on those same radiographs only, said "the same". The figure of the
    studies its training held out is compared too, and it is the log's."""
    from jsnviewer.cli.main import main
    from jsnviewer.comparison import compare_weights

    new = tmp_path / "joint_findings.pt"
    assert main(["train", "findings", "--synthetic", "0", "--validation", "3", "--steps", "30", "--data",
                 str(dataset_root), "--out", str(new)]) == 0
    logged = load_weights(new).meta  # its training log's "validation_f1_ankylosis 0.0"
    comparison = compare_weights(dataset_root, {"joint_findings": str(new)}, {})
    on_trained = comparison.of("joint_findings")
    assert on_trained.unit == "reviewed radiograph" and on_trained.verdict == "same"  # the real measure stays shown
    timed = comparison.details["detection"]  # the new classifier reused the joints found: its time is not a run's
    assert timed["in use"]["s_per_image"] > 0 and timed["joint_findings"]["s_per_image"] is None
    held_out = {m.measure.split()[0]: m for m in comparison.models[1:]}  # its other rows
    assert set(held_out) == {"ankylosis", "subluxation"}
    ankylosis = held_out["ankylosis"]
    assert round(ankylosis.new, 4) == logged["validation_f1_ankylosis"] < ankylosis.in_use - 0.2
    assert ankylosis.verdict == "worse" and comparison.worse() == [ankylosis]
    assert "3 synthetic studies" in ankylosis.measured_on and "its training held out" in ankylosis.measured_on
    doubt = comparison.doubts({"joint_findings": str(new)})["joint_findings"]  # what Use asks about
    assert doubt.startswith("too little data to tell: 2 reviewed radiographs, 5 or more needed — findings")
    assert ("; measured worse (too little data to tell: 3 held-out synthetic studies, 5 or more needed) — ankylosis "
            f"called on held-out synthetic hands (F1; 1: every one right): {ankylosis.in_use_text} in use → "
            f"{ankylosis.new_text} new;") in doubt


def test_the_held_out_studies_the_training_kept_are_not_made_again_and_give_the_same_figures(
        dataset_root, tmp_path, one_thread, monkeypatch):
    """The comparison made again the 60 synthetic studies the finding classifier's training had just made and held out
    (over a minute); the training, as the Retrain dialog runs it, keeps them in the run's folder, and the comparison
    reads them back: the same figures, made only once."""
    from jsnviewer.cli.main import main
    from jsnviewer.comparison import compare_weights
    from jsnviewer.detection import findings_train
    from jsnviewer.retraining import training_runs

    trained_with(monkeypatch, "joint_findings",
                 ["findings", "--synthetic", "0", "--validation", "2", "--steps", "2", "--batch", "8"])
    [run] = training_runs(dataset_root, ["joint_findings"], tmp_path / "run")
    made, make = [], findings_train.phantom_patches
    monkeypatch.setattr(findings_train, "phantom_patches",
                        lambda seeds, *args, **kwargs: (made.append(len(seeds)), make(seeds, *args, **kwargs))[1])
    assert main(run.arguments) == 0
    assert made == [2]  # the training made its two held-out studies
    kept, = (tmp_path / "run").glob("*.npz")  # one file, in the run's folder
    steps = []
    with_kept = compare_weights(dataset_root, {"joint_findings": str(run.out)}, {},
                                lambda done, total, what: steps.append((done, total)))
    assert made == [2, 1]  # only the first study, to check the kept ones are those the phantom makes
    assert steps[-1][0] == steps[-1][1] == len(steps)  # the bar ends full
    kept.unlink()
    made_again = compare_weights(dataset_root, {"joint_findings": str(run.out)}, {})
    assert made == [2, 1, 2]
    assert with_kept.models == made_again.models  # every figure and what it rests on
    assert with_kept.details["findings_held_out"] == made_again.details["findings_held_out"]
    assert len(with_kept.models) == 3  # on the reviewed radiographs, and each finding on the held-out studies


@pytest.fixture
def retrain_findings(dataset_root, tmp_path, monkeypatch):
    """Train the finding classifier as the Retrain dialog does, into a run folder of a dataset's retrained/ named by
    when it started (`validation`: its held-out synthetic studies); the count of synthetic studies made by each
    `phantom_patches` call is in `retrain_findings.made`."""
    from jsnviewer.cli.main import main
    from jsnviewer.detection import findings_train
    from jsnviewer.retraining import training_runs

    made, make = [], findings_train.phantom_patches
    monkeypatch.setattr(findings_train, "phantom_patches",
                        lambda seeds, *args, **kwargs: (made.append(len(seeds)), make(seeds, *args, **kwargs))[1])

    def retrain(started: str, validation: int = 2) -> Path:
        trained_with(monkeypatch, "joint_findings", ["findings", "--synthetic", "0", "--validation", str(validation),
                                                     "--steps", "2", "--batch", "8"])
        [run] = training_runs(dataset_root, ["joint_findings"], tmp_path / "retrained" / started)
        assert main(run.arguments) == 0
        return run.out

    retrain.made = made
    return retrain


def _validation_figures(weights: Path) -> dict:
    """The validation F1 and thresholds its training log gives (chosen on the held-out studies)."""
    return {k: v for k, v in load_weights(weights).meta.items() if k.startswith(("validation_f1_", "threshold_"))}


def test_a_later_retraining_reads_the_held_out_studies_an_earlier_one_kept_with_the_same_figures(
        dataset_root, retrain_findings, one_thread):
    """Every retraining of the finding classifier made its held-out synthetic studies again in its new run folder (most
    of a short training's 2-3 minutes), the same studies every time: a later run reads those an earlier run of the
    dataset kept, and so does the comparison after it. The same thresholds and validation F1."""
    from jsnviewer.comparison import compare_weights

    first = retrain_findings("2026-11-20_100000", validation=3)
    assert retrain_findings.made == [3]
    second = retrain_findings("2026-11-21_100000", validation=3)
    assert retrain_findings.made == [3, 1]  # only the first study, to check the kept ones are those the phantom makes
    assert not list(second.parent.glob("validation-*.npz"))  # not copied: read from the earlier run
    assert _validation_figures(second) == _validation_figures(first)
    compared = compare_weights(dataset_root, {"joint_findings": str(second)}, {})
    assert retrain_findings.made == [3, 1, 1]  # the comparison read them from the earlier run too
    logged = _validation_figures(second)
    assert [round(m.new, 4) for m in compared.models[1:]] == [logged["validation_f1_ankylosis"],
                                                              logged["validation_f1_subluxation"]]


def test_only_held_out_studies_kept_as_the_phantom_makes_them_now_are_read_from_an_earlier_retraining(
        retrain_findings, one_thread, monkeypatch):
    """Another number of held-out studies, or another phantom generator's (PHANTOM_VERSION), are made again; the
    earliest run whose studies are those made now is still read past the later runs whose are not."""
    from jsnviewer.phantom import study

    first = retrain_findings("2026-11-20_100000")
    retrain_findings("2026-11-21_100000", validation=3)
    assert retrain_findings.made == [2, 3]  # other studies: made again
    with monkeypatch.context() as changed:
        changed.setattr(study, "PHANTOM_VERSION", study.PHANTOM_VERSION + 1)
        retrain_findings("2026-11-22_100000")
    assert retrain_findings.made == [2, 3, 2]  # another generator's: made again (and kept in that run)
    latest = retrain_findings("2026-11-23_100000")
    assert retrain_findings.made == [2, 3, 2, 1]  # the first run's, past the two later ones
    assert _validation_figures(latest) == _validation_figures(first)


def test_a_damaged_held_out_file_of_an_earlier_retraining_is_not_read(retrain_findings, one_thread):
    """A file cut short (a crash, a full disk, a copy stopped) is never read: the studies are made again, kept whole in
    the new run, and read from there by the next."""
    first = retrain_findings("2026-11-20_100000")
    kept, = first.parent.glob("validation-*.npz")
    kept.write_bytes(kept.read_bytes()[: kept.stat().st_size // 2])
    second = retrain_findings("2026-11-21_100000")
    assert retrain_findings.made == [2, 2]  # made again
    assert len(list(second.parent.glob("validation-*.npz"))) == 1
    third = retrain_findings("2026-11-22_100000")
    assert retrain_findings.made == [2, 2, 1]  # the second run's, whole
    assert _validation_figures(first) == _validation_figures(second) == _validation_figures(third)


@pytest.fixture
def findings_run(dataset_root, tmp_path, monkeypatch):
    """A finding classifier retrained as the Retrain dialog trains it (its held-out studies kept in the run's folder,
    a folder of the dataset's retrained/), and a count of each scoring of the held-out patches."""
    from jsnviewer.cli.main import main
    from jsnviewer.detection import findings_train
    from jsnviewer.retraining import training_runs

    trained_with(monkeypatch, "joint_findings",
                 ["findings", "--synthetic", "0", "--validation", "2", "--steps", "2", "--batch", "8"])
    [run] = training_runs(dataset_root, ["joint_findings"], tmp_path / "retrained" / "2026-11-20_100000")
    assert main(run.arguments) == 0
    scored, evaluate = [], findings_train.evaluate
    monkeypatch.setattr(findings_train, "evaluate", lambda net, data, **kw: (scored.append(net), evaluate(net, data, **kw))[1])
    return run.out, scored


def _compare_findings(dataset_root, new: Path):
    from jsnviewer.comparison import compare_weights

    return compare_weights(dataset_root, {"joint_findings": str(new)}, {})


def test_the_held_out_scores_are_kept_and_a_comparison_made_again_gives_the_same_figures_without_scoring_again(
        dataset_root, findings_run, one_thread):
    """Scoring the classifier in use on the held-out synthetic studies took much of the comparison's half minute, the
    same every time for the same weights and studies: kept in the run's folder, it is read back, figure for figure,
    and a later retraining of the dataset reads it from the earlier run's folder."""
    import shutil

    new, scored = findings_run
    run = new.parent
    first = _compare_findings(dataset_root, new)
    assert len(scored) == 2 and len(list(run.glob("held-out-scores-*.npz"))) == 2  # in use and new, kept in the run
    again = _compare_findings(dataset_root, new)
    assert len(scored) == 2  # neither scored again
    assert again.models == first.models and again.details["findings_held_out"] == first.details["findings_held_out"]
    for kept in run.glob("held-out-scores-*.npz"):
        kept.unlink()
    without = _compare_findings(dataset_root, new)
    assert len(scored) == 4 and without.models == first.models  # scored again: the same figures
    later = run.parent / "2026-11-21_100000"  # a later retraining, its new classifier the one in use
    later.mkdir()
    for kept in run.glob("validation-*.npz"):
        shutil.copy(kept, later / kept.name)
    shutil.copy(new, later / new.name)
    assert _compare_findings(dataset_root, later / new.name).models == first.models
    assert len(scored) == 4  # both found in the earlier run's folder


def test_a_changed_weights_file_is_scored_again_and_a_damaged_kept_score_is_ignored(
        dataset_root, findings_run, one_thread):
    from dataclasses import replace

    import torch

    from jsnviewer.weights import save_weights, weights_sha256

    new, scored = findings_run
    run = new.parent
    first = _compare_findings(dataset_root, new)
    in_use = next(run.glob(f"held-out-scores-{weights_sha256(models_dir() / 'joint_findings.pt')}-*.npz"))
    trained = load_weights(new)  # the file replaced by other weights (a training run again into the same folder)
    noise = torch.Generator().manual_seed(1)
    save_weights(new, replace(trained, state_dict={k: v + 0.5 * v.std() * torch.randn(v.shape, generator=noise)
                                                   if v.dim() == 4 else v for k, v in trained.state_dict.items()}))
    scored.clear()
    changed = _compare_findings(dataset_root, new)
    assert len(scored) == 1  # the new file, by its SHA-256; the one in use read back
    assert len(list(run.glob("held-out-scores-*.npz"))) == 3
    assert [m.in_use for m in changed.models[1:]] == [m.in_use for m in first.models[1:]]
    in_use.write_bytes(in_use.read_bytes()[:200])  # cut short, as by a crash of a disk
    damaged = _compare_findings(dataset_root, new)
    assert len(scored) == 2  # the classifier in use scored again, not read from the damaged file
    assert damaged.models == changed.models
    for kept in run.glob("held-out-scores-*.npz"):
        kept.unlink()
    fresh = _compare_findings(dataset_root, new)
    assert fresh.models == changed.models == damaged.models  # as scored from nothing
    assert len(scored) == 4 and in_use.is_file()  # kept again, whole
    assert len(list(run.glob(f"held-out-scores-{weights_sha256(new)}-*.npz"))) == 1


def test_a_new_finding_classifier_decides_on_the_joints_the_detectors_found_once_with_the_same_figures(
        dataset_root, tmp_path, one_thread, monkeypatch):
    """The detectors in use scanned every reviewed radiograph twice, once for the classifier in use and once for the
    new one, though what they find does not depend on the classifier: scanned once, the same figures as two full
    detections give."""
    from dataclasses import replace

    import torch

    from jsnviewer.comparison import MAX_RADIOGRAPHS, compare_weights
    from jsnviewer.detection import detector as detector_module
    from jsnviewer.detection.bench import dataset_images, run_bench
    from jsnviewer.detection.detector import JointDetector
    from jsnviewer.weights import save_weights

    shipped, noise = load_weights(models_dir() / "joint_findings.pt"), torch.Generator().manual_seed(2)
    new = tmp_path / "joint_findings.pt"  # another classifier (judged on one held-out study: quick)
    save_weights(new, replace(shipped, meta={**shipped.meta, "validation_studies": 1}, state_dict={
        k: v + 0.5 * v.std() * torch.randn(v.shape, generator=noise) if v.dim() == 4 else v
        for k, v in shipped.state_dict.items()}))
    (tmp_path / "joint_findings.md").write_text("# joint_findings\n")
    scans, scan = [], detector_module.scan
    monkeypatch.setattr(detector_module, "scan", lambda *a, **kw: (scans.append(1), scan(*a, **kw))[1])
    once = run_bench(JointDetector.load(device="cpu"), dataset_images(dataset_root, MAX_RADIOGRAPHS))
    scans_of_one_detection = len(scans)
    measured = compare_weights(dataset_root, {"joint_findings": str(new)}, {}).details["detection"]
    assert len(scans) == 2 * scans_of_one_detection  # the bench above, then the comparison's one detection
    again = run_bench(JointDetector.load(device="cpu", findings=new), dataset_images(dataset_root, MAX_RADIOGRAPHS))
    for alone, compared in ((once, measured["in use"]), (again, measured["joint_findings"])):
        assert {k: v for k, v in alone.items() if k not in ("per_image", "s_per_image")} == \
            {k: v for k, v in compared.items() if k != "s_per_image"}
    assert once["ankylosis"] != again["ankylosis"] or once["subluxation"] != again["subluxation"]  # another classifier


@pytest.mark.parametrize("mm_per_crop_px, unit", [(None, "px of the radiographs"), (0.09, "mm")])
def test_the_registrations_figure_is_given_in_px_of_the_radiographs_or_mm_as_the_analyses_give_the_jsn(
        tmp_path, one_thread, mm_per_crop_px, unit):
    """The comparison's registration line said "0.412 px" of the crops, pictures enlarged about twice, while the
    JSN and the reliability reasons beside it are in px of the radiograph or mm. Crops saved with their scale give it
    so; crops saved before say why they cannot."""
    from jsnviewer.comparison import compare_weights
    from jsnviewer.dataset import open_dataset
    from jsnviewer.phantom import make_joint_pair

    dataset = open_dataset(tmp_path / "dataset", create=True)
    for seed in range(6):
        pair = make_joint_pair(seed)
        for visit, crop, upper, lower in (("visit1", pair.fixed, pair.fixed_upper, pair.fixed_lower),
                                          ("visit2", pair.moving, pair.moving_upper, pair.moving_lower)):
            dataset.save_joint_crop(f"joint{seed}", visit, crop, upper > 0, lower > 0, 0.5, mm_per_crop_px)
    new = {"registration": str(_retrained_copy("registration", tmp_path))}
    comparison = compare_weights(dataset.root, new, {})
    registration, measured = comparison.of("registration"), comparison.details["registration"]["in use"]
    crop_px = measured["sigma_prime_mm"] / measured["pixel_size_mm"]
    assert registration.measure == f"spread of the JSN when the follow-up moves slightly (σ′, {unit})"
    assert "crop" not in registration.measure
    assert registration.in_use == pytest.approx(crop_px * (mm_per_crop_px or 0.5)) and registration.verdict == "same"
    for figure, shown in ((registration.in_use, registration.in_use_text), (registration.new, registration.new_text)):
        assert float(shown) == pytest.approx(figure, rel=0.05)  # a tiny spread read "0.000", as if there were none


def test_crops_saved_without_their_scale_give_the_registrations_figure_in_crop_px_and_say_why(tmp_path, one_thread):
    from jsnviewer.comparison import compare_weights
    from jsnviewer.dataset import open_dataset
    from jsnviewer.phantom import make_joint_pair

    dataset = open_dataset(tmp_path / "dataset", create=True)  # crops as an earlier version saved them
    for seed in range(6):
        pair = make_joint_pair(seed)
        dataset.save_joint_crop(f"joint{seed}", "visit1", pair.fixed, pair.fixed_upper > 0, pair.fixed_lower > 0)
        dataset.save_joint_crop(f"joint{seed}", "visit2", pair.moving, pair.moving_upper > 0, pair.moving_lower > 0)
    new = {"registration": str(_retrained_copy("registration", tmp_path))}
    registration = compare_weights(dataset.root, new, {}).of("registration")
    assert registration.measure.endswith("(σ′, crop px)")
    assert "in crop px: crops saved by an earlier version do not record their size in the radiograph" \
        in registration.measured_on


def test_the_dataset_says_which_models_it_can_train(dataset_root, tmp_path):
    from jsnviewer.dataset import open_dataset
    from jsnviewer.retraining import training_data

    data = training_data(dataset_root)
    assert (data.reviewed_images, data.crop_joints, data.crops) == (2, 6, 12)
    assert all(data.enough_for(m) is None for m in ("detector_ankylosis", "joint_findings", "segmenter", "registration"))
    empty = training_data(open_dataset(tmp_path / "empty", create=True).root)
    assert "no radiograph with boxes" in empty.enough_for("detector_ankylosis")
    assert "0 joints" in empty.enough_for("registration")


def test_retraining_from_the_window_writes_new_weights_into_the_dataset_and_uses_them_when_asked(
        qtbot, make_window, dataset_root, quick_runs, settings_store, monkeypatch):
    from jsnviewer.gui.settings import load_settings

    window = make_window(dataset_root)
    dialog = open_retraining_and_wait(qtbot, window)
    assert dialog is not None and window.open_retraining() is dialog  # one at a time
    for name, check in dialog.checks.items():
        check.setChecked(name in ("joint_findings", "registration"))
    dialog.start_button.click()
    assert dialog.running and not dialog.start_button.isEnabled()
    qtbot.waitUntil(lambda: dialog.comparing, timeout=240_000)  # trained, then measured before they are offered
    assert not dialog.use_button.isEnabled()
    qtbot.waitUntil(lambda: not dialog.running and dialog.use_button.isEnabled(), timeout=240_000)
    new = dialog.new_weights()
    assert set(new) == {"joint_findings", "registration"}
    for name, path in new.items():
        assert path.startswith(str(dataset_root / "retrained"))  # inside the folder the user chose
        assert load_weights(path).meta  # a complete weights file, with its card beside it
        assert Path(path).with_suffix(".md").is_file()
    shown = dialog.comparison_view.text()
    for model in ("joint_findings", "registration"):  # each model's figure, in use → new
        figure = dialog.comparison.of(model)
        assert figure.in_use is not None and f"{figure.in_use_text} → {figure.new_text}" in shown
    assert (dialog.out_folder / "comparison.json").is_file()
    assert window.settings.weights["registration"] == ""  # nothing changes until the user says so
    monkeypatch.setattr(QMessageBox, "exec", lambda box: _click(box, "Use all the new weights"))  # too little data
    dialog.use_button.click()
    assert window.settings.weights["registration"] == new["registration"]
    assert load_settings(settings_store).weights["joint_findings"] == new["joint_findings"]  # remembered
    assert "2 of 2 models trained" in dialog.status.text()


def test_each_retraining_run_trains_on_the_device_given_and_every_trainer_takes_it(tmp_path):
    from jsnviewer.cli.main import build_parser
    from jsnviewer.retraining import MODELS, training_runs

    parser = build_parser()
    for device in ("auto", "cpu", "cuda"):
        runs = training_runs(tmp_path / "dataset", list(MODELS), tmp_path / "out", device=device)
        assert len(runs) == len(MODELS)
        for run in runs:
            assert parser.parse_args(run.arguments).device == device, run.model
    assert all(parser.parse_args(run.arguments).device == "auto" for run in training_runs(tmp_path, ["segmenter"], tmp_path))


def test_the_retraining_runs_on_the_device_chosen_in_settings(qtbot, make_window, dataset_root):
    """One device choice: Settings' device (the analyses') is the one the Retrain dialog's trainers get."""
    from dataclasses import replace

    window = make_window(dataset_root)
    window.settings = replace(window.settings, device="cpu")
    dialog = open_retraining_and_wait(qtbot, window)
    for check in dialog.checks.values():
        check.setChecked(check.isEnabled())
    dialog.start_button.click()
    try:
        assert dialog.running and [run.model for run in dialog.runs] == list(dialog.checks)  # every model
        for run in dialog.runs:
            assert run.arguments[run.arguments.index("--device") + 1] == "cpu", run.model
        assert " --device cpu" in dialog.log.toPlainText()  # the command line shown is the one started
    finally:
        dialog.cancel_button.click()
    assert not dialog.running


def test_the_bar_counts_the_training_steps_and_the_synthetic_hands_made_first_are_said_in_words(
        qtbot, make_window, dataset_root, tmp_path, monkeypatch):
    """A finding classifier first makes the synthetic hands it is checked on (minutes, with 60 of them): the bar went to
    100 % during that, under "Training the joint finding classifier…", then fell back to 0 % when the training began."""
    import shutil

    root = tmp_path / "dataset"
    shutil.copytree(dataset_root, root, ignore=shutil.ignore_patterns("retrained"))
    trained_with(monkeypatch, "joint_findings",
                 ["findings", "--synthetic", "0", "--validation", "2", "--steps", "2", "--batch", "8"])
    dialog = dialog_training_only(qtbot, make_window(root), "joint_findings")
    seen = []  # the bar and the words above it, as each part of the trainer's output came
    dialog.progress.valueChanged.connect(lambda value: seen.append(
        (value, dialog.progress.maximum(), dialog.status.text(), dialog.output)))
    said, set_text = set(), dialog.status.setText
    monkeypatch.setattr(dialog.status, "setText", lambda text: (said.add(text), set_text(text)))
    dialog.start_button.click()
    qtbot.waitUntil(lambda: dialog.comparing or not dialog.running, timeout=240_000)
    full = [output for value, maximum, _, output in seen if maximum > 0 and value == maximum]
    assert full and all("training:" in output for output in full)  # full only once trained, never before
    assert any(text.startswith("Training the joint finding classifier (1 of 1): making the 2 synthetic hands it is "
                               "checked on (") for text in said)
    dialog.cancel()


def test_a_cancelled_training_leaves_no_half_trained_file_and_nothing_to_use(qtbot, make_window, dataset_root,
                                                                             tmp_path, monkeypatch):
    import shutil

    root = tmp_path / "dataset"  # no earlier run to offer again after the cancel (the module's has them)
    shutil.copytree(dataset_root, root, ignore=shutil.ignore_patterns("retrained"))
    trained_with(monkeypatch, "registration", ["registration", "--epochs", "500", "--self-pairs", "8", "--batch-size", "8"])
    dialog = dialog_training_only(qtbot, make_window(root), "registration")
    dialog.length.setCurrentIndex(dialog.length.findText("Short", Qt.MatchStartsWith))
    dialog.start_button.click()
    assert not dialog.length.isEnabled()
    qtbot.waitUntil(lambda: dialog.progress.value() >= 2, timeout=120_000)  # epochs counted on the bar
    assert dialog.progress.maximum() == 250 and dialog.running  # the short length: half the epochs
    dialog.cancel_button.click()
    assert not dialog.running
    assert dialog.new_weights() == {} and not dialog.use_button.isEnabled()
    assert not dialog.out_folder.exists()  # nothing half-trained left in the dataset
    assert "not trained — cancelled" in dialog.status.text()
    # it said "0 of 1 model trained into <folder>", naming the folder just removed
    assert dialog.status.text().startswith("No model trained: nothing was written into the dataset.")
    assert str(dialog.out_folder) not in dialog.status.text()
    assert dialog.length.isEnabled()  # another run may follow, of another length


def test_while_a_model_trains_the_dialog_says_about_how_long_it_has_left(qtbot, make_window, dataset_root, tmp_path,
                                                                         monkeypatch):
    """A trainer that prints what the test tells it (its bar's redraws), on the test's clock: nothing waits."""
    import shutil

    from jsnviewer.gui import retrain_dialog

    root = tmp_path / "dataset"
    shutil.copytree(dataset_root, root, ignore=shutil.ignore_patterns("retrained"))
    echo = "import sys\nfor line in sys.stdin:\n    print(line, end='', flush=True)"
    monkeypatch.setattr(retrain_dialog, "program_command", lambda: [sys.executable, "-c", echo])
    window = make_window(root)
    dialog = open_retraining_and_wait(qtbot, window)
    for name, check in dialog.checks.items():
        check.setChecked(name in ("detector_ankylosis", "detector_subluxation"))
    now = [0.0]
    dialog.clock = lambda: now[0]

    def printed(at: float, line: str) -> str:
        now[0] = at
        dialog.process.write(f"{line}\n".encode())
        qtbot.waitUntil(lambda: line in dialog.output, timeout=20_000)
        return dialog.status.text()

    dialog.start_button.click()
    assert printed(40.0, "training:   0%|          | 0/300 [00:00<?, ?it/s]") == \
        "Training the ankylosis detector (1 of 2)…"  # nothing told before the steps say how long they take
    # the 40 s before not counted; the subluxation detector's 300 steps of the same network at 5 s each follow
    assert printed(70.0, "training:   2%|▏         | 6/300 [00:30<24:30,  5.00s/it]") == \
        "Training the ankylosis detector (1 of 2)… about 25 min left for this model, about 50 min in all"
    now[0] = 130.0
    dialog._ticker.timeout.emit()  # a minute later, no step printed: counted down
    assert dialog.status.text().endswith("about 24 min left for this model, about 49 min in all")
    dialog.cancel_button.click()
    for name, check in dialog.checks.items():  # a finding classifier and a segmenter after it: other networks
        check.setChecked(name in ("detector_ankylosis", "joint_findings", "segmenter"))
    dialog.start_button.click()
    now[0] = 1000.0
    printed(1000.0, "training:   0%|          | 0/300 [00:00<?, ?it/s]")
    assert printed(1030.0, "training:   2%|▏         | 6/300 [00:30<24:30,  5.00s/it]") == \
        "Training the ankylosis detector (1 of 3)… about 25 min left for this model, then 2 more models"
    dialog.cancel_button.click()


def test_a_cancelled_training_gives_back_the_offer_of_the_earlier_runs_weights(
        qtbot, make_window, compared_on_enough, monkeypatch):
    """The dialog offered an earlier run's weights, compared; a new training was started and cancelled: nothing was
    offered any more (Use greyed, the comparison gone) until the dialog was closed and opened again."""
    root = compared_on_enough  # the cancelled run leaves it as it was
    trained_with(monkeypatch, "registration", ["registration", "--epochs", "500", "--self-pairs", "8", "--batch-size", "8"])
    dialog = dialog_training_only(qtbot, make_window(root), "registration")
    offered, comparison = dialog.new_weights(), dialog.comparison
    assert offered and comparison is not None and dialog.use_button.isEnabled()
    dialog.start_button.click()
    assert dialog.training and not dialog.use_button.isEnabled()
    dialog.cancel_button.click()
    assert not dialog.running
    assert dialog.new_weights() == offered and dialog.use_button.isEnabled()  # offered again, at once
    assert dialog.comparison == comparison and not dialog.comparison_view.isHidden()
    status = dialog.status.text()
    assert "Registration network: not trained — cancelled" in status
    assert f"The retraining of {Path(next(iter(offered.values()))).parent.name} wrote weights that are not in use" in status
    assert dialog.progress.text() == "Training cancelled"
    assert len(list((root / "retrained").iterdir())) == 1  # the cancelled run left no folder


def test_a_failing_trainer_is_reported_in_its_own_words_and_the_next_model_still_trains(
        qtbot, make_window, dataset_root, quick_runs, monkeypatch):
    trained_with(monkeypatch, "joint_findings", ["findings", "--no-such-option"])
    window = make_window(dataset_root)
    dialog = open_retraining_and_wait(qtbot, window)
    for name, check in dialog.checks.items():
        check.setChecked(name in ("joint_findings", "registration"))
    dialog.start_button.click()
    qtbot.waitUntil(lambda: not dialog.running and "models trained" in dialog.status.text(), timeout=240_000)
    assert set(dialog.new_weights()) == {"registration"}
    assert "Joint finding classifier: not trained" in dialog.status.text()
    assert "--no-such-option" in dialog.status.text()  # the trainer's own last line says why


def test_retraining_without_a_dataset_folder_says_where_to_start(qtbot, make_window):
    window = make_window()
    assert window.open_retraining() is None
    assert any("choose one first" in text for _, text in window.warnings.messages())


@pytest.fixture
def counting_held(monkeypatch):
    """The Retrain dialog's count of the dataset, held in a background thread until the gate is set (a large dataset
    on a clinic's share), and the threads it ran in; the gate is set at the end whatever happened (a thread of the
    pool held would hold up the next tests' work)."""
    import threading

    from jsnviewer.gui import main_window

    gate, threads, real = threading.Event(), [], main_window.training_data

    def training_data(root):
        threads.append(threading.current_thread())
        if threading.current_thread() is not threading.main_thread():  # on the GUI thread it would freeze the test
            gate.wait(30)
        return real(root)

    monkeypatch.setattr(main_window, "training_data", training_data)
    yield gate, threads
    gate.set()


def test_the_window_is_not_frozen_while_the_retrain_dialog_counts_the_dataset_and_a_second_press_opens_no_second(
        qtbot, make_window, tmp_path, counting_held):
    """Retrain counted the dataset on the GUI thread: about 1 s for 800 radiographs on a local disk, far longer on a
    share, with the window frozen meanwhile."""
    import threading

    from PySide6.QtCore import QTimer

    from jsnviewer.gui.main_window import COUNTING_FOR_RETRAINING
    from jsnviewer.gui.retrain_dialog import RetrainDialog

    gate, threads = counting_held
    window = make_window(tmp_path / "dataset")
    shown = window.open_retraining()
    qtbot.waitUntil(lambda: len(threads) > 0, timeout=10000)
    assert threads[0] is not threading.main_thread()
    assert shown is None and window.retrain_dialog is None  # the dialog comes once the count is in
    ticks = []
    QTimer.singleShot(0, lambda: ticks.append(1))
    qtbot.waitUntil(lambda: len(ticks) > 0, timeout=10000)  # the window goes on with its events while it counts
    assert window.statusBar().currentMessage() == COUNTING_FOR_RETRAINING and window.retrain_dialog is None
    assert window.open_retraining() is None  # pressed again while it counts
    gate.set()
    qtbot.waitUntil(lambda: window.retrain_count is None, timeout=10000)
    assert len(threads) == 1  # counted once
    assert [d for d in window.findChildren(RetrainDialog) if d.isVisible()] == [window.retrain_dialog]
    assert window.statusBar().currentMessage() == ""


def test_a_dataset_that_cannot_be_read_is_said_once_counted_in_the_background(qtbot, make_window, tmp_path,
                                                                               monkeypatch):
    import threading

    from jsnviewer.dataset import DatasetError
    from jsnviewer.gui import main_window

    threads = []

    def unreadable(root):
        threads.append(threading.current_thread())
        raise DatasetError(f"{root}/dataset.json: cannot read the file (Input/output error)")

    monkeypatch.setattr(main_window, "training_data", unreadable)
    window = make_window(tmp_path / "dataset")
    assert open_retraining_and_wait(qtbot, window) is None
    assert ("error", f"Cannot read the dataset for retraining: {tmp_path / 'dataset'}/dataset.json: cannot read the "
            "file (Input/output error)") in window.warnings.messages()
    assert window.retrain_dialog is None and threads[0] is not threading.main_thread()


def test_a_window_closed_while_the_retrain_dialog_counts_the_dataset_opens_no_dialog(qtbot, make_window, tmp_path,
                                                                                    counting_held):
    import threading

    from PySide6.QtCore import QThreadPool

    gate, threads = counting_held
    window = make_window(tmp_path / "dataset")
    window.open_retraining()
    qtbot.waitUntil(lambda: len(threads) > 0, timeout=10000)
    assert threads[0] is not threading.main_thread()
    window.close()
    gate.set()
    assert QThreadPool.globalInstance().waitForDone(10000)
    qtbot.wait(50)  # the count's last signals, had they been connected still
    assert window.retrain_dialog is None


def test_the_boxes_of_the_last_minutes_count_before_autosave_has_written_them(qtbot, make_window, tmp_path):
    from gui_support import open_and_wait, write_radiograph
    from jsnviewer.gui.main_window import BASELINE

    window = make_window(tmp_path / "dataset", autosave_delay_s=30.0)
    open_and_wait(qtbot, window, write_radiograph(tmp_path / "hand1.dcm"))
    window.add_box(BASELINE, (60.0, 70.0, 30.0, 30.0), "PIP2")  # just drawn: its autosave is still waiting
    dialog = open_retraining_and_wait(qtbot, window)
    assert dialog.data.reviewed_images == 1
    assert dialog.checks["detector_ankylosis"].isEnabled() and dialog.start_button.isEnabled()


def test_a_dataset_folder_the_weights_cannot_be_written_to_is_said_before_any_training(
        qtbot, make_window, dataset_root, tmp_path, monkeypatch):
    from jsnviewer.gui import retrain_dialog

    blocker = tmp_path / "retrained"
    blocker.write_text("a file where the folder would go")  # as a read-only share refuses the folder
    monkeypatch.setattr(retrain_dialog, "output_folder", lambda root: blocker / "2024-01-01_000000")
    window = make_window(dataset_root)
    dialog = open_retraining_and_wait(qtbot, window)
    dialog.start_button.click()
    assert not dialog.running
    assert "Nothing trained" in dialog.status.text() and "cannot be written" in dialog.status.text()
    assert dialog.start_button.isEnabled()  # another folder (Settings), then try again


def test_weights_trained_but_not_used_before_the_dialog_closed_are_offered_when_it_opens_again(
        qtbot, make_window, tmp_path, settings_store, monkeypatch):
    """A rheumatologist closed the dialog after a training without choosing: the next time the dialog offers
    that training's weights (the latest run only, complete files only) until they are in use."""
    import shutil

    from jsnviewer.dataset import open_dataset

    root = open_dataset(tmp_path / "dataset", create=True).root
    runs = root / "retrained"
    for folder, models in (("2026-11-19_090000", ["registration"]), ("2026-11-20_100000", ["segmenter", "registration"])):
        (runs / folder).mkdir(parents=True)
        for model in models:
            shutil.copy(models_dir() / f"{model}.pt", runs / folder / f"{model}.pt")
            (runs / folder / f"{model}.md").write_text(f"# {model}\n")
    (runs / "2026-11-21_110000").mkdir()  # a newer run that wrote no complete file: a training killed with the window
    (runs / "2026-11-21_110000" / "segmenter.pt").write_bytes(b"half")
    latest = runs / "2026-11-20_100000"

    window = make_window(root)
    dialog = open_retraining_and_wait(qtbot, window)
    qtbot.waitUntil(lambda: dialog.use_button.isEnabled(), timeout=120_000)  # compared first (no data to measure on)
    assert "2026-11-20_100000" in dialog.status.text()
    assert dialog.new_weights() == {"segmenter": str(latest / "segmenter.pt"),
                                    "registration": str(latest / "registration.pt")}
    monkeypatch.setattr(QMessageBox, "exec", lambda box: _click(box, "Use all the new weights"))
    _click.asked.clear()
    dialog.use_button.click()
    assert "Registration network: not measured: the dataset has no joint crops" in _click.asked[0]  # asked first
    assert window.settings.weights["segmenter"] == str(latest / "segmenter.pt")
    dialog.close_button.click()

    again = open_retraining_and_wait(qtbot, window)
    assert again is not dialog and not again.use_button.isEnabled()  # in use now: nothing more to offer


def test_a_damaged_annotation_file_is_named_and_left_out_instead_of_stopping_the_retraining(
        qtbot, make_window, tmp_path, half_reviewed_dataset):
    """The dialog did not open at all ("Cannot read the dataset for retraining") for one file cut short."""
    (half_reviewed_dataset.annotations_dir / "cut.json").write_text('{"version": 1, "ima')
    window = make_window(half_reviewed_dataset.root)
    dialog = open_retraining_and_wait(qtbot, window)
    assert dialog is not None and dialog.data.reviewed_images == 1
    assert "cut.json" in dialog.log.toPlainText()
    assert dialog.checks["detector_ankylosis"].isEnabled()  # the reviewed radiograph still trains


def test_a_reviewed_radiograph_giving_one_joint_name_to_two_boxes_is_named_before_training(
        qtbot, make_window, half_reviewed_dataset):
    """Two boxes both named MCP2 were trained on silently: one of them teaches the detectors a wrong joint. The
    dialog names the radiograph and says what to do; a proposal sharing a reviewed box's name is no training data.
    The radiograph is named as the user opened it (it was the dataset's images/<id>.png, a name they never saw),
    or, saved before annotations recorded that name, as the dataset's copy."""
    from jsnviewer.dataset import JointAnnotation

    reviewed = next(a for a in half_reviewed_dataset.annotations() if any(j.reviewed for j in a.joints))
    reviewed.joints += [JointAnnotation((5.0, 30.0, 10.0, 12.0), "MCP2", source="user"),
                        JointAnnotation((40.0, 10.0, 6.0, 6.0), "MCP2", source="model")]
    half_reviewed_dataset.save_annotation(reviewed)
    older = next(a for a in half_reviewed_dataset.annotations() if a.name == "proposals only.png")
    older.name = None
    older.joints = [JointAnnotation((10.0 + k, 20.0, 8.0, 8.0), "PIP3", source="user") for k in range(2)]
    half_reviewed_dataset.save_annotation(older)
    window = make_window(half_reviewed_dataset.root)
    dialog = open_retraining_and_wait(qtbot, window)
    assert reviewed.name == "reviewed.png"
    named = f"reviewed.png (in the dataset: {reviewed.image_file}): MCP2 ×2"
    assert sorted(dialog.data.repeated) == sorted((named, f"{older.image_file}: PIP3 ×2"))
    assert f"one joint name on several boxes: {named}" in dialog.log.toPlainText()
    intro = dialog.findChildren(QLabel)[0].text()
    assert "2 reviewed radiographs give one joint name to more than one box</b> (listed below) and are trained on as they are: open" in intro
    assert dialog.checks["detector_ankylosis"].isEnabled()  # named, not refused: the annotator decides



def test_two_studies_baseline_files_with_one_joint_name_on_two_boxes_are_told_apart(tmp_path):
    """Every study's baseline is baseline.dcm: the dialog said "baseline.dcm: PIP3 ×2" and sent the user to the
    dataset's folder, which holds only images/<id>.dcm, to find which of them. Each is named with its copy there."""
    import numpy as np
    from PIL import Image

    from jsnviewer.dataset import JointAnnotation, open_dataset
    from jsnviewer.retraining import training_data

    dataset = open_dataset(tmp_path / "dataset", create=True)
    for seed in (1, 2):
        path = tmp_path / f"study{seed}" / "baseline.png"
        path.parent.mkdir()
        Image.fromarray((np.arange(64 * 48).reshape(64, 48) * seed % 4096).astype(np.uint16)).save(path)
        annotation = dataset.add_image(path, width=48, height=64, laterality="L")
        annotation.joints = [JointAnnotation((10.0 + k, 20.0, 8.0, 8.0), "PIP3", source="user") for k in range(2)]
        dataset.save_annotation(annotation)
    repeated = training_data(dataset.root).repeated
    assert len(set(repeated)) == 2
    for said in repeated:
        copy = said.split("(in the dataset: ")[1].split(")")[0]
        assert said.startswith("baseline.png") and (dataset.root / copy).is_file()


def test_too_few_reviewed_radiographs_to_tell_are_said_before_the_training(qtbot, make_window, half_reviewed_dataset):
    """Minutes of training on one reviewed radiograph ended in "too little data to tell" for every model: the dialog
    says so before the training starts, and no more once the dataset holds enough."""
    import numpy as np
    from PIL import Image

    from jsnviewer.dataset import JointAnnotation

    window = make_window(half_reviewed_dataset.root)
    dialog = open_retraining_and_wait(qtbot, window)
    intro = dialog.findChildren(QLabel)[0].text()
    assert "<b>1 reviewed radiograph is too few to tell</b> whether new detectors" in intro
    assert dialog.checks["detector_ankylosis"].isEnabled()  # a first look stays possible
    dialog.close_button.click()
    for seed in range(4):
        path = half_reviewed_dataset.root.parent / "more" / f"hand{seed}.png"
        path.parent.mkdir(exist_ok=True)
        Image.fromarray(np.full((64, 48), 100 * (seed + 1), dtype=np.uint16)).save(path)
        annotation = half_reviewed_dataset.add_image(path, width=48, height=64, laterality="L")
        annotation.joints = [JointAnnotation((10.0, 20.0, 8.0, 8.0), "PIP3", source="user")]
        half_reviewed_dataset.save_annotation(annotation)
    again = open_retraining_and_wait(qtbot, window)
    assert again.data.reviewed_images == 5 and "too few to tell" not in again.findChildren(QLabel)[0].text()


def test_a_demo_radiograph_an_earlier_version_saved_into_the_dataset_is_named_and_not_trained_on(
        qtbot, make_window, half_reviewed_dataset, save_demo_copy):
    """The demo's synthetic hand with its true boxes, saved into the dataset on the demo's first edit by earlier
    versions, counted as a reviewed radiograph and was trained on without a word, and so were its joint crops."""
    copy = save_demo_copy(half_reviewed_dataset, crops=True)
    window = make_window(half_reviewed_dataset.root)
    dialog = open_retraining_and_wait(qtbot, window)
    assert dialog.data.reviewed_images == 1 and dialog.data.demo == (copy.image_file,)
    assert (dialog.data.crops, dialog.data.crop_joints, dialog.data.demo_crops) == (0, 0, 12)
    assert not dialog.checks["registration"].isEnabled()
    intro = dialog.findChildren(QLabel)[0].text()
    assert "1 demo radiograph and 12 demo joint crops</b> (the built-in demo's synthetic hand" in intro
    assert "nothing was deleted" in intro
    log = dialog.log.toPlainText()
    assert f"left out: demo radiograph {copy.image_file} (the built-in demo's synthetic hand" in log
    assert "left out: 12 demo joint crops" in log


def _click(box: QMessageBox, answer: str) -> int:
    """Answer a question the dialog asks, as the user would, and note what it asked."""
    _click.asked.append(box.text())
    _click.offered.append([button.text().replace("&", "") for button in box.buttons()])
    next(button for button in box.buttons() if button.text().replace("&", "") == answer).click()
    return 0


_click.asked = []
_click.offered = []


def _row(shown: str, title: str) -> str:
    """The comparison table's row of one model, as shown."""
    return next(row for row in shown.split("<tr>") if row.startswith(f"<td>{title}</td>"))


def test_a_new_segmenter_is_not_called_worse_for_differing_from_the_outlines_the_one_in_use_drew(
        qtbot, make_window, dataset_root, tmp_path, monkeypatch):
    """The dataset's masks are the segmenter in use's own outlines: it scores about 1 against them and every new one
    read "worse" in red, and Use asked "Use them anyway?" every time. Its row says what the figure is and that it is
    no quality figure ("changed"); too little data is said in each row it applies to; and Use asks once about every
    model not shown to do at least as well on enough data (the registration, "the same" on one joint, was adopted
    without a word). The comparison is written beside the weights and shown again."""
    import shutil

    root = tmp_path / "dataset"
    shutil.copytree(dataset_root, root, ignore=shutil.ignore_patterns("retrained"))
    run = root / "retrained" / "2026-11-20_100000"
    run.mkdir(parents=True)
    _worse_segmenter(run / "segmenter.pt")
    _retrained_copy("registration", run)
    window = make_window(root)
    dialog = open_retraining_and_wait(qtbot, window)
    assert dialog.comparing and not dialog.use_button.isEnabled() and dialog.cancel_button.isEnabled()
    qtbot.waitUntil(lambda: not dialog.running, timeout=120_000)
    assert (run / "comparison.json").is_file()
    segmenter, registration = dialog.comparison.of("segmenter"), dialog.comparison.of("registration")
    shown = dialog.comparison_view.text()
    row = _row(shown, "Bone segmenter")
    assert "agreement with the outlines saved in the dataset, which the segmenter in use drew" in row
    assert f"{segmenter.in_use_text} → {segmenter.new_text}: changed" in row and "#c0392b" not in shown  # not red
    assert "Not a quality figure: the segmenter in use drew the saved outlines" in row  # in its row, not below
    for title in ("Bone segmenter", "Registration network"):  # each row says it rests on too little data
        assert "Too little data to tell: 1 held-out joint, 5 or more needed." in _row(shown, title)
    assert "Measured worse" not in dialog.status.text()
    assert "Not shown to do at least as well on enough data (“Use the new weights” asks first): Bone segmenter, " \
           "Registration network." in dialog.status.text()
    dialog.close_button.click()

    again = open_retraining_and_wait(qtbot, window)  # offered again: its comparison shown at once, not measured again
    assert not again.running and again.use_button.isEnabled() and again.comparison == dialog.comparison
    _click.asked.clear(), _click.offered.clear()
    monkeypatch.setattr(QMessageBox, "exec", lambda box: _click(box, "Cancel"))
    again.use_button.click()
    asked = _click.asked[0]
    assert ("• Bone segmenter: not judged: changed, not a quality figure" in asked
            and f"({segmenter.in_use_text} in use → {segmenter.new_text} new)" in asked)
    assert (f"• Registration network: too little data to tell: 1 held-out joint, 5 or more needed "
            f"({registration.in_use_text} in use → {registration.new_text} new)") in asked
    assert _click.offered[0] == ["Use all the new weights", "Cancel"]  # no "others" shown to do as well
    assert window.settings.weights["segmenter"] == window.settings.weights["registration"] == ""  # nothing adopted
    monkeypatch.setattr(QMessageBox, "exec", lambda box: _click(box, "Use all the new weights"))
    again.use_button.click()
    assert window.settings.weights["segmenter"] == str(run / "segmenter.pt")
    assert window.settings.weights["registration"] == str(run / "registration.pt")


@pytest.fixture(scope="module")
def compared_on_enough(dataset_root, tmp_path_factory):
    """A retraining's segmenter and registration with their comparison written beside them, the registration's resting
    on enough data (the bar lowered to the one held-out joint the small dataset has)."""
    import shutil

    from jsnviewer import comparison

    root = tmp_path_factory.mktemp("enough") / "dataset"
    shutil.copytree(dataset_root, root, ignore=shutil.ignore_patterns("retrained"))
    run = root / "retrained" / "2026-11-20_100000"
    run.mkdir(parents=True)
    new = {"segmenter": str(_worse_segmenter(run / "segmenter.pt")),
           "registration": str(_retrained_copy("registration", run))}
    enough, comparison.ENOUGH_JOINTS = comparison.ENOUGH_JOINTS, 1
    try:
        comparison.save_comparison(comparison.compare_weights(root, new, {}), run)
    finally:
        comparison.ENOUGH_JOINTS = enough
    return root


def test_weights_shown_to_do_as_well_on_enough_data_are_used_without_asking_and_the_others_only_when_told(
        qtbot, make_window, compared_on_enough, monkeypatch):
    window = make_window(compared_on_enough)
    dialog = open_retraining_and_wait(qtbot, window)
    assert not dialog.running and dialog.comparison is not None  # shown at once
    assert "Too little data" not in _row(dialog.comparison_view.text(), "Registration network")
    _click.asked.clear(), _click.offered.clear()
    monkeypatch.setattr(QMessageBox, "exec", lambda box: _click(box, "Use only the others"))
    dialog.use_button.click()
    assert "• Bone segmenter: not judged" in _click.asked[0] and "• Registration network" not in _click.asked[0]
    assert "The others did at least as well: Registration network." in _click.asked[0]
    assert _click.offered[0] == ["Use all the new weights", "Use only the others", "Cancel"]
    assert window.settings.weights["registration"].endswith("registration.pt")  # the one shown to do as well
    assert window.settings.weights["segmenter"] == ""


@pytest.mark.parametrize("width, height", [(1024, 768), (1280, 800)])
def test_on_a_laptop_screen_the_comparison_and_the_log_are_both_readable(qtbot, make_window, compared_on_enough,
                                                                        monkeypatch, width, height):
    """At 720 × 560 with the comparison in a scroll area and the log inside it too, the log shrank to a few lines
    or went below the fold; the table needed scrolling."""
    from PySide6.QtCore import QSize

    import jsnviewer.gui.fitting
    from jsnviewer.gui import retrain_dialog

    room = QSize(width, height - 40) - jsnviewer.gui.fitting.SCREEN_MARGIN  # less a task bar, then a title bar
    monkeypatch.setattr(jsnviewer.gui.fitting, "room_on_screen", lambda widget: room)
    monkeypatch.setattr(retrain_dialog, "room_on_screen", lambda widget: room, raising=False)
    window = make_window(compared_on_enough)
    dialog = open_retraining_and_wait(qtbot, window)
    dialog.log.appendPlainText("\n".join(f"line {n}" for n in range(40)))
    dialog.show()
    qtbot.waitExposed(dialog)
    assert dialog.width() <= room.width() and dialog.height() <= room.height()
    view = dialog.comparison_view
    assert view.visibleRegion().boundingRect() == view.rect()  # the whole table in view, nothing scrolled away
    log = dialog.log
    assert log.visibleRegion().boundingRect() == log.rect()
    assert log.viewport().height() >= 8 * log.fontMetrics().lineSpacing()  # 8 lines of what the trainers print


def test_a_comparison_measured_after_the_dialog_opened_shows_whole_above_the_log(
        qtbot, make_window, compared_on_enough, tmp_path, monkeypatch):
    """After a training the comparison comes minutes after the dialog opened: on a 1366 × 768 screen the table was
    squeezed into a few lines above a log grown to half the dialog, only its heading in view, because the part above
    the log still asked for the height it needed before the table was there."""
    import shutil

    from PySide6.QtCore import QSize

    import jsnviewer.gui.fitting
    from jsnviewer.gui import retrain_dialog

    root = tmp_path / "dataset"
    shutil.copytree(compared_on_enough, root)
    for written in root.glob("retrained/*/comparison.json"):
        written.unlink()  # measured again when the dialog opens, as after a training
    room = QSize(1366, 768 - 40) - jsnviewer.gui.fitting.SCREEN_MARGIN
    monkeypatch.setattr(jsnviewer.gui.fitting, "room_on_screen", lambda widget: room)
    monkeypatch.setattr(retrain_dialog, "room_on_screen", lambda widget: room, raising=False)
    window = make_window(root)
    dialog = open_retraining_and_wait(qtbot, window)
    assert dialog.comparing
    qtbot.waitExposed(dialog)
    dialog.log.appendPlainText("\n".join(f"line {n}" for n in range(40)))  # what the trainers printed
    qtbot.waitUntil(lambda: not dialog.running, timeout=120_000)
    qtbot.wait(50)
    assert dialog.comparison is not None
    view = dialog.comparison_view
    assert view.visibleRegion().boundingRect() == view.rect()  # the whole table in view, nothing scrolled away
    log = dialog.log
    assert log.viewport().height() >= 8 * log.fontMetrics().lineSpacing()


def test_the_training_lengths_say_how_long_in_plain_words(qtbot, make_window, tmp_path):
    """The lengths read "Standard: the docs' starting points": an annotator does not know the docs, but knows minutes."""
    dialog = open_retraining_and_wait(qtbot, make_window(tmp_path / "dataset"))
    lengths = [dialog.length.itemText(i) for i in range(dialog.length.count())]
    assert dialog.length.currentText() == "Standard (about 10 min for all five on a 2-core computer)"
    assert lengths[0].startswith("Short (about half the time") and lengths[2].startswith("Long (three times as long")
    assert not any("docs" in text or "starting point" in text for text in [*lengths, dialog.length.toolTip()])


def test_weights_whose_comparison_was_cancelled_are_used_only_when_the_user_says_so(
        qtbot, make_window, dataset_root, tmp_path, monkeypatch):
    """The comparison stopped before it said anything: nothing shows whether the new weights do better, so Use asks."""
    import shutil

    root = tmp_path / "dataset"
    shutil.copytree(dataset_root, root, ignore=shutil.ignore_patterns("retrained"))
    run = root / "retrained" / "2026-11-20_100000"
    run.mkdir(parents=True)
    _retrained_copy("registration", run)
    window = make_window(root)
    dialog = open_retraining_and_wait(qtbot, window)
    assert dialog.comparing
    dialog.cancel()
    qtbot.waitUntil(lambda: not dialog.running and dialog.use_button.isEnabled(), timeout=30_000)
    assert dialog.comparison is None and not (run / "comparison.json").exists()
    assert (dialog.progress.value(), dialog.progress.text()) == (0, "Comparison cancelled")  # not a full bar at 100 %
    assert "Read each model card (the .md beside each file) before using them" in dialog.status.text()
    _click.asked.clear()
    monkeypatch.setattr(QMessageBox, "exec", lambda box: _click(box, "Cancel"))
    dialog.use_button.click()
    assert "• Registration network: not compared: the comparison was cancelled" in _click.asked[0]
    assert window.settings.weights["registration"] == ""  # nothing adopted
    monkeypatch.setattr(QMessageBox, "exec", lambda box: _click(box, "Use all the new weights"))
    dialog.use_button.click()
    assert window.settings.weights["registration"] == str(run / "registration.pt")


def test_a_disk_too_full_for_the_new_weights_is_said_before_any_training(qtbot, make_window, dataset_root,
                                                                         monkeypatch):
    from jsnviewer import atomic

    monkeypatch.setattr(atomic, "free_space", lambda folder: 100_000)
    runs_before = set((dataset_root / "retrained").glob("*/"))  # the module's dataset: earlier tests' runs stay
    window = make_window(dataset_root)
    dialog = open_retraining_and_wait(qtbot, window)
    dialog.start_button.click()
    assert not dialog.running
    assert dialog.status.text().startswith(f"Nothing trained: the new weights do not fit into {dataset_root / 'retrained'} "
                                           "(0.1 MB free on its disk, about ")
    assert "Free space on that disk, then start again (each model needs about: Ankylosis detector 0.6 MB, " \
           "Subluxation detector 0.6 MB, Joint finding classifier 0.9 MB, Bone segmenter 0.6 MB, Registration network " \
           "3.1 MB)." in dialog.status.text()  # not even the smallest fits
    assert set((dataset_root / "retrained").glob("*/")) == runs_before  # no empty run folder left
    assert dialog.start_button.isEnabled()


def test_a_disk_too_full_for_every_model_ticked_says_which_would_fit(qtbot, make_window, dataset_root, monkeypatch):
    """Refused for lack of room, the dialog said only "Free space on that disk": the models that fit were not named,
    though each one's size is known, and the rheumatologist was left to guess whether fewer would train."""
    from jsnviewer import atomic

    monkeypatch.setattr(atomic, "free_space", lambda folder: 2_000_000)
    dialog = open_retraining_and_wait(qtbot, make_window(dataset_root))
    assert all(check.isChecked() for check in dialog.checks.values())  # all five: about 5.8 MB
    dialog.start_button.click()
    assert not dialog.running
    assert "(2.0 MB free on its disk, about 5.8 MB needed). Free space on that disk, or untick some models: Ankylosis " \
           "detector, Subluxation detector, Bone segmenter would fit (about 1.8 MB; each model needs about: " \
           "Ankylosis detector 0.6 MB," in dialog.status.text()
    for name in ("joint_findings", "registration"):  # as it says
        dialog.checks[name].setChecked(False)
    dialog.start_button.click()
    try:
        assert dialog.training and [run.model for run in dialog.runs] == ["detector_ankylosis", "detector_subluxation",
                                                                          "segmenter"]
    finally:
        dialog.cancel_button.click()


@pytest.mark.parametrize("model", ["registration", "detector_ankylosis"])
def test_weights_the_full_disk_did_not_take_are_written_into_a_folder_the_user_picks(
        qtbot, make_window, dataset_root, quick_runs, tmp_path, monkeypatch, model):
    """The trainer (a child process) still holds the trained weights when the dataset's disk refuses them: the dialog
    asks for another folder rather than losing the run, and says why. (A detector's error came glued to its progress
    bar's last line and was dropped with it: the question began "they could not be written", naming nothing.)"""
    from jsnviewer import retraining
    from PySide6.QtWidgets import QFileDialog

    from jsnviewer.gui import retrain_dialog

    trainer = tmp_path / "trainer_on_a_full_disk.py"  # the real trainer, on a disk that fills at the end of the run
    trainer.write_text("import errno, sys\nfrom pathlib import Path\nfrom jsnviewer import atomic\nwrite = atomic.atomic_write\n"
                       "def failing(path, produce):\n"
                       "    if Path(path).parent.parent.name == 'retrained':\n"
                       "        raise OSError(errno.ENOSPC, 'No space left on device')\n"
                       "    return write(path, produce)\n"
                       "atomic.atomic_write = failing\n"
                       "from jsnviewer.cli.main import main\nsys.exit(main(sys.argv[1:]))\n")
    monkeypatch.setattr(retrain_dialog, "program_command", lambda: [sys.executable, str(trainer)])
    asked = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text: asked.append(text))
    elsewhere = tmp_path / "usb stick"
    elsewhere.mkdir()
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *args: str(elsewhere))
    dialog = dialog_training_only(qtbot, make_window(dataset_root), model)
    dialog.start_button.click()
    run_folder = dialog.out_folder  # then an earlier run's, offered again: this one wrote nothing into the dataset
    qtbot.waitUntil(lambda: not dialog.running, timeout=240_000)
    assert len(asked) == 1 and "No space left on device" in asked[0] and "untouched" in asked[0], asked
    assert f"not written into {run_folder}: No space left on device" in dialog.log.toPlainText()
    assert load_weights(elsewhere / f"{model}.pt", model).meta
    title = retraining.MODELS[model][0]
    assert f"{title}: trained, but the dataset's disk took no more: written into {elsewhere / f'{model}.pt'} " \
           "instead" in dialog.status.text()
    assert str(elsewhere) not in str(dialog.new_weights())  # not offered as compared: Settings can choose it
