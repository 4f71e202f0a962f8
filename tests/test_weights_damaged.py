"""Weights files with jsnviewer's header but broken contents: one WeightsError naming the file and the
reason when they are loaded, never an unexpected exception later or a silently wrong result."""

from __future__ import annotations

import math

import pytest
import torch

from jsnviewer.errors import WeightsError, describe
from jsnviewer.weights import MODEL_TITLES, load_weights, models_dir

MODELS = list(MODEL_TITLES)


def _shipped(model: str) -> dict:
    return torch.load(models_dir() / f"{model}.pt", map_location="cpu", weights_only=True)


def _write(tmp_path, payload: dict, name: str = "w.pt"):
    path = tmp_path / name
    torch.save(payload, path)
    return path


def _load_through_application(model: str, path):
    """Load `path` as `model` the way the application does (the model's own loader over the registry)."""
    if model.startswith("detector_"):
        from jsnviewer.detection.detector import load_ssd

        return load_ssd(path, model.removeprefix("detector_"))
    if model == "joint_findings":
        from jsnviewer.detection.findings import load_finding_net

        return load_finding_net(path)
    if model == "segmenter":
        from jsnviewer.segmentation.infer import BoneSegmenter

        return BoneSegmenter.load(path, device="cpu")
    from jsnviewer.registration.model import load_model

    return load_model(path)


def _refused(model: str, path, *reasons: str) -> str:
    """Both the registry and the model's loader refuse `path` with a WeightsError naming it and saying why."""
    for load in (lambda: load_weights(path, expected_model=model), lambda: _load_through_application(model, path)):
        with pytest.raises(WeightsError) as info:
            load()
        message = describe(info.value)
        assert message.startswith(f"{MODEL_TITLES[model]} weights ") and path.name in message, message  # Settings' row
        for reason in reasons:
            assert reason in message, message
    return message


@pytest.mark.parametrize("model", MODELS)
def test_shipped_weights_still_load(model):
    _load_through_application(model, models_dir() / f"{model}.pt")


@pytest.mark.parametrize("model", MODELS)
def test_a_file_without_state_dict_is_damaged(tmp_path, model):
    payload = _shipped(model)
    del payload["state_dict"]
    _refused(model, _write(tmp_path, payload), "damaged: no state_dict")


@pytest.mark.parametrize("broken", [[1, 2], "weights", {"head.weight": [1.0, 2.0]}, {3: torch.zeros(2)}])
def test_a_state_dict_that_is_not_a_table_of_tensors_is_damaged(tmp_path, broken):
    payload = _shipped("segmenter")
    payload["state_dict"] = broken
    _refused("segmenter", _write(tmp_path, payload), "damaged: its state_dict")


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("part", ["config", "meta"])
def test_a_config_or_meta_that_is_not_a_table_is_damaged(tmp_path, model, part):
    payload = _shipped(model)
    payload[part] = list(payload[part].items())
    _refused(model, _write(tmp_path, payload), f"damaged: its {part} is a list")


def test_a_file_without_a_model_name_is_damaged(tmp_path):
    payload = _shipped("segmenter")
    del payload["model"]
    path = _write(tmp_path, payload)
    with pytest.raises(WeightsError, match="w.pt: damaged: no model name"):
        load_weights(path)  # no model asked for (as retraining reads a file's meta): the name itself is missing
    with pytest.raises(WeightsError, match="holds a None model, expected 'segmenter'"):
        load_weights(path, expected_model="segmenter")


# A setting that each model reads, set to "z": (model, part, key)
SETTINGS = [
    ("detector_ankylosis", "meta", "finding_threshold"),
    ("detector_subluxation", "config", "box_scale"),
    ("detector_ankylosis", "config", "width"),
    ("joint_findings", "meta", "thresholds"),
    ("joint_findings", "config", "widths"),
    ("segmenter", "meta", "input_size"),
    ("segmenter", "config", "width"),
    ("segmenter", "config", "depth"),
    ("registration", "config", "crop_size"),
    ("registration", "config", "input_size"),
    ("registration", "config", "widths"),
    ("registration", "config", "pool"),
]


@pytest.mark.parametrize("model, part, key", SETTINGS)
def test_a_setting_that_is_not_a_number_does_not_fit_the_model(tmp_path, model, part, key):
    """Said by the model's loader, which builds the network from the settings (the registry alone cannot tell)."""
    payload = _shipped(model)
    payload[part][key] = "z"
    path = _write(tmp_path, payload)
    with pytest.raises(WeightsError) as info:
        _load_through_application(model, path)
    message = describe(info.value)
    assert message.startswith(f"{MODEL_TITLES[model]} weights ") and path.name in message, message  # Settings' row
    assert "does not fit the" in message and "reinstall" not in message, message  # the user's file: theirs to replace


def test_an_infinite_number_in_the_config_does_not_fit(tmp_path):
    payload = _shipped("segmenter")
    payload["config"]["width"] = math.inf
    path = _write(tmp_path, payload)
    with pytest.raises(WeightsError, match="w.pt: does not fit the segmentation network"):
        _load_through_application("segmenter", path)


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("value", [math.nan, math.inf])
def test_weights_of_a_diverged_training_run_are_refused(tmp_path, model, value):
    payload = _shipped(model)
    name = next(k for k, t in payload["state_dict"].items() if t.is_floating_point() and k.endswith("weight"))
    payload["state_dict"][name] = torch.full_like(payload["state_dict"][name], value)
    message = _refused(model, _write(tmp_path, payload), "holds values that are not numbers", name,
                       "a training run that diverged?")
    assert "radiograph" not in message


def test_one_bad_value_among_many_is_found(tmp_path):
    payload = _shipped("registration")
    sd = payload["state_dict"]
    last = [k for k, t in sd.items() if t.is_floating_point()][-1]
    sd[last] = sd[last].clone()
    sd[last].view(-1)[-1] = math.nan
    _refused("registration", _write(tmp_path, payload), "holds values that are not numbers", last)


@pytest.mark.parametrize("damage, reason", [("cut", "cannot be read, the file is damaged"),
                                            ("other model", "holds a 'segmenter' model"),
                                            ("setting", "does not fit the registration network")])
@pytest.mark.parametrize("folder", ["bundle", "JSNVIEWER_MODELS"])
def test_a_damaged_shipped_weights_file_says_what_to_do(tmp_path, monkeypatch, damage, reason, folder):
    """The program's own file: the user cannot choose another in its place, so the message says how to mend it."""
    shipped = models_dir() / "registration.pt"
    models = tmp_path / "models"
    models.mkdir()
    if damage == "cut":
        (models / "registration.pt").write_bytes(shipped.read_bytes()[:20000])
    else:
        payload = _shipped("segmenter" if damage == "other model" else "registration")
        if damage == "setting":
            payload["config"]["widths"] = "z"
        _write(models, payload, "registration.pt")
    if folder == "bundle":
        monkeypatch.setattr("jsnviewer.weights.models_dir", lambda: models)
        advice = "(reinstall the program)"
    else:
        monkeypatch.setenv("JSNVIEWER_MODELS", str(models))
        advice = "(JSNVIEWER_MODELS names this folder: point it at a folder holding all the models, or unset it)"
    with pytest.raises(WeightsError) as info:
        _load_through_application("registration", models / "registration.pt")
    message = describe(info.value)
    assert message.startswith(f"Registration network weights {models / 'registration.pt'}: {reason}"), message
    assert message.endswith(advice), message


def test_the_command_line_says_which_file_and_why(tmp_path, capsys):
    from jsnviewer.cli.main import main

    payload = _shipped("segmenter")
    del payload["state_dict"]
    path = _write(tmp_path, payload, "my_segmenter.pt")
    code = main(["analyze", "--demo", "--quiet", "--out", str(tmp_path / "out"), "--weights", f"segmenter={path}"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "my_segmenter.pt: damaged: no state_dict" in err
    assert "unexpected" not in err
    # named on the command line, not chosen in Settings: what to do is said where it was named
    assert err.endswith("(name another file with --weights or leave --weights out to use the shipped weights)\n"), err


@pytest.mark.parametrize("by_the_window", [False, True])
def test_a_damaged_init_file_says_what_to_do_where_it_was_named(tmp_path, capsys, monkeypatch, by_the_window):
    """`--init mine.pt` damaged was told to "choose another file in Settings or clear it": advice for the window,
    given on the command line. The window's Retrain runs the command with the file chosen in its Settings: there the
    Settings advice is the right one."""
    from jsnviewer.cli.main import main
    from jsnviewer.weights import FROM_SETTINGS

    if by_the_window:
        monkeypatch.setenv(FROM_SETTINGS, "1")
    path = tmp_path / "mine.pt"
    path.write_bytes(b"\x00garbage" * 10)
    code = main(["train", "segmenter", "--no-real", "--synthetic", "1", "--init", str(path), "--out", str(tmp_path / "new.pt")])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith(f"jsnviewer: error: Bone segmenter weights {path}: cannot be read, the file is damaged"), err
    assert err.endswith("(choose another file in Settings or clear it to use the shipped weights)\n" if by_the_window
                        else "(name another file with --init or leave --init out)\n"), err


def test_a_damaged_weights_file_of_the_users_says_what_is_wrong_and_what_to_do(tmp_path):
    """It ended "(UnpicklingError)": a name from the program's insides, which told the user nothing, and no word of
    what to do about it (that name goes to the log)."""
    path = tmp_path / "mine.pt"
    path.write_bytes(b"\x00garbage" * 10)
    with pytest.raises(WeightsError) as info:
        load_weights(path, "segmenter")
    assert describe(info.value) == (f"Bone segmenter weights {path}: cannot be read, the file is damaged or not a "
                                    "weights file (choose another file in Settings or clear it to use the shipped "
                                    "weights)")


def test_weights_that_do_not_fit_say_so_without_the_name_of_an_exception(tmp_path):
    payload = _shipped("registration")
    payload["config"]["widths"] = "z"
    with pytest.raises(WeightsError) as info:
        _load_through_application("registration", _write(tmp_path, payload))
    message = describe(info.value)
    assert message.endswith(": does not fit the registration network: its settings or layers are not those this "
                            "version builds (choose another file in Settings or clear it to use the shipped weights)")
    assert "Error" not in message, message
