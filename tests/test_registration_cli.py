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
