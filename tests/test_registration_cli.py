"""`jsnviewer bench registration` and `jsnviewer train registration` from the command line."""

import json

import pytest

from jsnviewer.cli.main import main
from jsnviewer.registration.model import save_model
from jsnviewer.registration.network import build


@pytest.fixture
def weights(tmp_path):
    return save_model(tmp_path / "registration.pt", build("small").eval(), {"note": "untrained, for the test"})


def test_bench_on_synthetic_pairs_writes_the_promised_figures(tmp_path, weights):
    out = tmp_path / "bench.json"
    assert main(["bench", "registration", "--synthetic", "1", "--method", "deep", "--method", "poc",
                 "--weights", str(weights), "--json", str(out)]) == 0
    res = json.loads(out.read_text())
    for key in ("sigma_mm", "sigma_prime_mm", "mismatch_ratio", "transformed_loss", "original_loss", "ms_per_pair",
                "jsn_abs_err_mm_mean", "jsn_abs_err_mm_p95", "jsn_slope"):
        assert key in res
    assert res["method"] == "deep" and set(res["methods"]) == {"deep", "poc"}
    assert res["methods"]["poc"]["mismatch_trials"] == 10
    assert res["jsn_slope"] is None  # one pair has no slope; the JSON stays valid


def test_bench_on_a_crop_folder(tmp_path, weights, real_data):
    import shutil

    src = real_data / "joint_crops"
    folder = next(p for p in sorted(src.iterdir()) if len(list(p.glob("*.jpg"))) >= 3)
    data = tmp_path / "crops"
    shutil.copytree(folder, data / folder.name)
    out = tmp_path / "bench.json"
    assert main(["bench", "registration", "--data", str(data), "--part", "all", "--method", "deep", "--method", "poc",
                 "--weights", str(weights), "--json", str(out)]) == 0
    res = json.loads(out.read_text())
    n = len(list(folder.glob("*.jpg")))
    assert res["pairs"] == n * (n - 1) and res["sigma_pairs"] == n * (n - 1) // 2
    assert res["mismatch_trials"] == 10 * n * (n - 1) // 2
    # the untrained network answers "no motion" for every pair: perfectly consistent, and the spread
    # shows that it measures nothing
    assert res["sigma_mm"] == pytest.approx(0.0, abs=1e-9) and res["jsn_spread_mm"] == pytest.approx(0.0, abs=1e-9)
    assert res["methods"]["poc"]["jsn_spread_mm"] > 0.01
    assert res["checked_pairs"] == n * (n - 1) and res["inconsistent_fraction"] == 0.0  # the flag check covers every pair


def test_bad_weights_file_is_one_clear_error(tmp_path, capsys):
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"")
    assert main(["bench", "registration", "--synthetic", "1", "--weights", str(bad)]) == 2
    assert "bad.pt" in capsys.readouterr().err


def test_missing_crop_folder_is_one_clear_error(tmp_path, weights, capsys):
    assert main(["bench", "registration", "--data", str(tmp_path / "nowhere"), "--weights", str(weights)]) == 2
    assert "nowhere" in capsys.readouterr().err


def _crop_folder(root, joint: str, sizes: list[int], masked: list[bool] | None = None):
    """A joint_crops-style folder of phantom crops (PNG image, _upper/_lower masks) of the given sizes."""
    import numpy as np
    from PIL import Image

    from jsnviewer.phantom import make_joint_crop

    folder = root / joint
    folder.mkdir(parents=True)
    for k, size in enumerate(sizes):
        crop = make_joint_crop(100 + k, size=size)
        Image.fromarray((crop.image * 255).astype(np.uint8)).save(folder / f"visit{k}.png")
        if masked is None or masked[k]:
            for bone in ("upper", "lower"):
                Image.fromarray(getattr(crop, bone).astype(np.uint8)).save(folder / f"visit{k}_{bone}.png")


def test_a_crop_of_another_size_is_named_in_one_line_not_a_stack_error(tmp_path, weights, capsys):
    """It ended the benchmark with "unexpected ValueError: baseline crop is (300, 300), follow-up crop is
    (256, 256)", naming no file."""
    _crop_folder(tmp_path / "crops", "00001_L_2", [64, 64, 64])
    _crop_folder(tmp_path / "crops", "00002_L_5", [64, 80, 64])
    assert main(["bench", "registration", "--data", str(tmp_path / "crops"), "--part", "all", "--method", "poc",
                 "--weights", str(weights)]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "unexpected" not in err
    assert "00002_L_5/visit1: crop is 80×80 px, the other crops are 64×64 px" in err


def test_training_leaves_a_crop_of_another_size_out_and_says_so(tmp_path):
    from jsnviewer.registration.data import load_joint_folders

    _crop_folder(tmp_path, "00002_L_5", [64, 80, 64])
    left_out: list[str] = []
    (crops,) = load_joint_folders(tmp_path, "all", left_out=left_out)
    assert [c.name for c in crops] == ["00002_L_5/visit0", "00002_L_5/visit2"]
    assert left_out == ["00002_L_5/visit1 (crop is 80×80 px, the other crops are 64×64 px; registration needs one crop size)"]


def test_crops_without_masks_are_named_not_silently_skipped(tmp_path, weights, capsys):
    _crop_folder(tmp_path / "crops", "00001_L_2", [64, 64, 64, 64], masked=[True, True, False, True])
    out = tmp_path / "bench.json"
    assert main(["bench", "registration", "--data", str(tmp_path / "crops"), "--part", "all", "--method", "poc",
                 "--weights", str(weights), "--json", str(out)]) == 0
    assert "not measured: 1 crop without both _upper.png and _lower.png masks: 00001_L_2/visit2.png" in capsys.readouterr().out
    res = json.loads(out.read_text())
    assert res["crops"] == 3 and res["crops_without_masks"] == ["00001_L_2/visit2.png"]


def test_a_held_out_folder_is_measured_whole_and_the_training_folder_on_its_validation_joints(tmp_path, capsys):
    """On a held-out set of 5 joints the benchmark measured only the one that the split by joint folder puts
    on the validation side, without a word."""
    from jsnviewer.segmentation.data import is_validation_joint

    root = tmp_path / "crops"
    joints = [f"0000{k}_L_2" for k in range(1, 7)]
    for joint in joints:
        _crop_folder(root, joint, [64, 64, 64])
    validation = [j for j in joints if is_validation_joint(j)]
    assert 0 < len(validation) < len(joints)  # the split matters for these names

    never_saw = save_model(tmp_path / "never_saw.pt", build("small").eval(), {"data": str(tmp_path / "elsewhere")})
    trained_here = save_model(tmp_path / "trained_here.pt", build("small").eval(), {"data": str(root)})
    for weights, part, measured in ((never_saw, "all", joints), (trained_here, "validation", validation)):
        out = tmp_path / f"{part}.json"
        assert main(["bench", "registration", "--data", str(root), "--method", "poc", "--weights", str(weights),
                     "--json", str(out)]) == 0
        res = json.loads(out.read_text())
        assert (res["part"], res["joints"]) == (part, len(measured))
        assert ("measuring every joint" if part == "all" else "measuring the validation joints") in capsys.readouterr().out


def test_a_folder_with_nothing_to_register_is_one_clear_line(tmp_path, weights, capsys):
    """It ended in "unexpected IndexError" after a numpy warning."""
    from jsnviewer.segmentation.data import is_validation_joint

    root = tmp_path / "crops"
    _crop_folder(root, "00001_L_2", [64])  # one visit: no pair
    train_side = next(f"0000{k}_L_5" for k in range(2, 99) if not is_validation_joint(f"0000{k}_L_5"))
    _crop_folder(root, train_side, [64, 64])
    assert main(["bench", "registration", "--data", str(root), "--part", "validation", "--method", "poc",
                 "--weights", str(weights)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.endswith("no joint on the validation side of the split has two or more crops with both masks: "
                        "nothing to register (--part all measures every joint)") and "\n" not in err
    assert main(["bench", "registration", "--data", str(root), "--part", "all", "--method", "poc",
                 "--weights", str(weights)]) == 0
