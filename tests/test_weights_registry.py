import sys

import pytest
import torch

from jsnviewer.errors import WeightsError
from jsnviewer.weights import Weights, load_weights, resolve_weights, save_weights


def test_weights_round_trip(tmp_path):
    model = torch.nn.Linear(3, 2)
    path = save_weights(tmp_path / "m.pt", Weights("segmenter", {"width": 8}, model.state_dict(), {"dsc": 0.9}))
    loaded = load_weights(path, expected_model="segmenter")
    assert loaded.config == {"width": 8} and loaded.meta == {"dsc": 0.9}
    fresh = torch.nn.Linear(3, 2)
    fresh.load_state_dict(loaded.state_dict)
    assert torch.equal(fresh.weight, model.weight)


@pytest.mark.parametrize("content, reason", [(None, "not found"), (b"", "empty"), (b"\x00garbage" * 10, "damaged")])
def test_bad_weight_files_name_the_file_and_the_reason(tmp_path, content, reason):
    path = tmp_path / "segmenter.pt"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(WeightsError) as info:
        load_weights(path)
    assert "segmenter.pt" in str(info.value) and reason in str(info.value)


def test_a_missing_weights_file_names_its_model_and_what_to_do_about_a_chosen_or_a_shipped_one(tmp_path, monkeypatch):
    monkeypatch.setenv("JSNVIEWER_MODELS", str(tmp_path / "shipped"))
    chosen = tmp_path / "retrained" / "2024-05-02_101500" / "segmenter.pt"
    with pytest.raises(WeightsError) as info:
        load_weights(chosen, expected_model="segmenter")
    assert str(info.value) == (f"Bone segmenter weights {chosen}: file not found "
                               "(choose another file in Settings or clear it to use the shipped weights)")
    shipped = resolve_weights("segmenter")
    with pytest.raises(WeightsError) as info:
        load_weights(shipped, expected_model="segmenter")
    assert str(info.value) == (f"Bone segmenter weights {shipped}: file not found (JSNVIEWER_MODELS names this folder: "
                               "point it at a folder holding all the models, or unset it)")
    monkeypatch.delenv("JSNVIEWER_MODELS")  # the packaged program's own models folder
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path / "bundle"), raising=False)
    with pytest.raises(WeightsError) as info:
        load_weights(resolve_weights("segmenter"), expected_model="segmenter")
    assert str(info.value).endswith("segmenter.pt: file not found (reinstall the program)")


SHIPPED_FILES = "detector_ankylosis.pt, detector_subluxation.pt, joint_findings.pt, segmenter.pt, registration.pt"


def test_an_empty_models_folder_names_every_missing_file_at_once(tmp_path, monkeypatch, capsys):
    """JSNVIEWER_MODELS naming an empty folder named only detector_ankylosis.pt: the other four were found one
    run at a time."""
    from jsnviewer.cli.main import main
    from jsnviewer.pipeline.analyze import AnalysisModels, AnalysisSettings

    monkeypatch.setenv("JSNVIEWER_MODELS", str(tmp_path))
    with pytest.raises(WeightsError) as info:
        AnalysisModels.load(AnalysisSettings(device="cpu"))
    assert str(info.value) == (f"5 weights files not found in the models folder {tmp_path}: {SHIPPED_FILES} "
                               "(JSNVIEWER_MODELS names this folder: point it at a folder holding all the models, or unset it)")
    (tmp_path / "m.csv").write_text("id,baseline,follow-up\nP1,b.png,f.png\n")
    assert main(["batch", str(tmp_path / "m.csv"), "--out", str(tmp_path / "out"), "--quiet"]) == 2
    assert capsys.readouterr().err == f"jsnviewer: error: {info.value}\n"
    # phase correlation reads no registration network; a file the user chose is named whole, as before
    chosen = tmp_path / "mine" / "segmenter.pt"
    with pytest.raises(WeightsError) as info:
        AnalysisModels.load(AnalysisSettings(device="cpu", registration_method="poc", weights={"segmenter": str(chosen)}))
    assert str(info.value) == (f"3 weights files not found in the models folder {tmp_path}: detector_ankylosis.pt, "
                               "detector_subluxation.pt, joint_findings.pt (JSNVIEWER_MODELS names this folder: point it "
                               f"at a folder holding all the models, or unset it); Bone segmenter weights {chosen}: file "
                               "not found (choose another file in Settings or clear it to use the shipped weights)")


def test_jsnviewer_models_naming_a_weights_file_is_said_to_name_a_file_not_a_folder(tmp_path, monkeypatch):
    """JSNVIEWER_MODELS naming one weights file instead of their folder was said to name a folder that "does not
    exist", while IT could see the file there."""
    from jsnviewer.pipeline.analyze import AnalysisModels, AnalysisSettings

    one_file = tmp_path / "segmenter.pt"
    one_file.write_bytes(b"weights")
    monkeypatch.setenv("JSNVIEWER_MODELS", str(one_file))
    with pytest.raises(WeightsError) as info:
        AnalysisModels.load(AnalysisSettings(device="cpu"))
    assert str(info.value) == (f"JSNVIEWER_MODELS names the models folder {one_file}, which is a file, not a folder: "
                               "point it at the folder holding all the models, or unset it")


def test_a_models_folder_that_does_not_exist_is_said_to_be_missing(tmp_path, monkeypatch):
    """JSNVIEWER_MODELS naming a folder that is not there (a typing slip, an unmounted share) said
    "detector_ankylosis.pt: file not found", as if the folder were right and one file lost."""
    from jsnviewer.pipeline.analyze import AnalysisModels, AnalysisSettings

    monkeypatch.setenv("JSNVIEWER_MODELS", str(tmp_path / "modles"))
    with pytest.raises(WeightsError) as info:
        AnalysisModels.load(AnalysisSettings(device="cpu"))
    assert str(info.value) == (f"JSNVIEWER_MODELS names the models folder {tmp_path / 'modles'}, which does not exist: "
                               "point it at a folder holding all the models, or unset it")
    monkeypatch.delenv("JSNVIEWER_MODELS")  # the packaged program's own models folder, gone
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path / "bundle"), raising=False)
    with pytest.raises(WeightsError) as info:
        AnalysisModels.load(AnalysisSettings(device="cpu"))
    assert str(info.value) == f"the models folder {tmp_path / 'bundle' / 'models'} does not exist (reinstall the program)"


def test_weights_of_another_model_are_refused(tmp_path):
    path = save_weights(tmp_path / "x.pt", Weights("registration", {}, {}))
    with pytest.raises(WeightsError, match="expected 'segmenter'"):
        load_weights(path, expected_model="segmenter")


def test_user_override_wins_over_shipped_weights(tmp_path, monkeypatch):
    monkeypatch.setenv("JSNVIEWER_MODELS", str(tmp_path / "shipped"))
    assert resolve_weights("segmenter") == tmp_path / "shipped" / "segmenter.pt"
    assert resolve_weights("segmenter", tmp_path / "mine.pt") == tmp_path / "mine.pt"


@pytest.mark.parametrize("model", ["segmenter", "registration", "detector", "findings"])
def test_training_does_not_replace_a_shipped_weights_file_by_a_slip_of_out(tmp_path, monkeypatch, capsys, model):
    from jsnviewer.cli.main import main

    shipped = tmp_path / "models"
    shipped.mkdir()
    (shipped / "segmenter.pt").write_bytes(b"the shipped weights")
    monkeypatch.setenv("JSNVIEWER_MODELS", str(shipped))
    monkeypatch.chdir(tmp_path)
    argv = ["train", model, "--out", "models/segmenter.pt"] + (["--finding", "ankylosis"] if model == "detector" else [])
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "models/segmenter.pt is a shipped weights file" in err and "--replace-shipped" in err
    assert (shipped / "segmenter.pt").read_bytes() == b"the shipped weights"


# where each model's training starts: it must not, where its weights cannot be written
TRAINING_COMMAND = {"segmenter": "jsnviewer.cli.segmentation._train",
                    "registration": "jsnviewer.cli.registration._train",
                    "detector": "jsnviewer.cli.detection.train_command",
                    "findings": "jsnviewer.cli.detection.train_findings_command"}


@pytest.mark.parametrize("model", list(TRAINING_COMMAND))
@pytest.mark.parametrize("out, words", [(".", "is a folder: give the weights file to write, e.g. "),
                                        ("notes.txt/run/new.pt", "notes.txt is a file, not a folder")])
def test_an_out_where_no_weights_file_can_be_written_is_said_before_any_training(tmp_path, monkeypatch, capsys,
                                                                                 model, out, words):
    from jsnviewer.cli.main import main

    monkeypatch.setattr(TRAINING_COMMAND[model], lambda args: pytest.fail("the training started"))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.txt").write_text("the user's notes")
    argv = ["train", model, "--out", out] + (["--finding", "ankylosis"] if model == "detector" else [])
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"jsnviewer: error: --out {out}") and words in err and len(err.splitlines()) == 1
    assert (tmp_path / "notes.txt").read_text() == "the user's notes"


def test_asking_for_cuda_where_there_is_none_runs_on_the_cpu_and_says_so(caplog, monkeypatch):
    from jsnviewer.device import choose_device

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert choose_device("cuda").type == "cpu"
    assert "CUDA was asked for" in caplog.text
    caplog.clear()
    assert choose_device("auto").type == "cpu" and not caplog.text  # auto: nothing was promised


@pytest.mark.parametrize("debug", [False, True])
def test_the_console_says_a_warning_in_words_without_the_module_that_logged_it(tmp_path, debug):
    """`--device cuda` without CUDA printed "WARNING jsnviewer.device: CUDA was asked for …": a name from the
    program's insides on the user's console. --debug keeps it, for a bug report."""
    import os
    import subprocess

    (tmp_path / "m.csv").write_text("id,baseline,follow-up\nP1,nothere.png,nothere2.png\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "jsnviewer", "batch", str(tmp_path / "m.csv"), "--out",
                           str(tmp_path / "out"), "--device", "cuda", "--quiet", *["--debug"] * debug],
                          capture_output=True, text=True, timeout=300, env={**os.environ, "CUDA_VISIBLE_DEVICES": ""})
    said = "CUDA was asked for but this machine has none that torch can use: running on the CPU"
    assert done.returncode == 1, done.stderr
    assert (f"WARNING jsnviewer.device: {said}" if debug else f"warning: {said}") in done.stderr.splitlines()


@pytest.mark.parametrize("out, words", [(".", "is a folder: give the JSON file to write, e.g. "),
                                        ("notes.txt/run/bench.json", "notes.txt is a file, not a folder")])
def test_a_bench_json_that_cannot_be_written_is_said_before_any_measuring(tmp_path, monkeypatch, capsys, out, words):
    """A benchmark's --json naming a folder was said only after its minutes of measuring, in the system's words."""
    from jsnviewer.cli.main import main

    monkeypatch.setattr("jsnviewer.registration.bench.bench_synthetic", lambda *a, **k: pytest.fail("the bench ran"))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.txt").write_text("the user's notes")
    assert main(["bench", "registration", "--synthetic", "2", "--json", out]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"jsnviewer: error: --json {out}") and words in err and len(err.splitlines()) == 1
