"""Reading joint_crops folders, the split by joint, a short training run and the bench command."""

import json

import numpy as np
import pytest
from PIL import Image

from jsnviewer.cli.main import main
from jsnviewer.errors import DatasetError, JsnError
from jsnviewer.phantom import make_joint_crop
from jsnviewer.retraining import TrainingRun
from jsnviewer.segmentation.data import find_crops, is_validation_joint, load_sample, split_by_joint
from jsnviewer.segmentation.train import TrainConfig, train_segmenter


def write_joint_crops(root, joints=6, visits=2, size=64):
    """A folder laid out like joint_crops/: 16-bit PNG phantom crops with their 0/1 masks."""
    for j in range(joints):
        folder = root / f"joint{j:02d}"
        folder.mkdir(parents=True)
        for v in range(visits):
            crop = make_joint_crop(seed=10 * j + v, size=size)
            Image.fromarray((crop.image * 4095).astype(np.uint16)).save(folder / f"v{v}.png")
            Image.fromarray(crop.upper.astype(np.uint8)).save(folder / f"v{v}_upper.png")
            Image.fromarray(crop.lower.astype(np.uint8)).save(folder / f"v{v}_lower.png")
    return root


def test_reader_finds_crops_with_both_masks(tmp_path):
    root = write_joint_crops(tmp_path / "crops", joints=2, visits=2)
    (root / "joint00" / "v1_lower.png").unlink()  # an unfinished annotation is not a sample
    records = find_crops(root)
    assert [(r.joint, r.image.name) for r in records] == [("joint00", "v0.png"), ("joint01", "v0.png"), ("joint01", "v1.png")]
    sample = load_sample(records[0])
    assert sample.image.shape == sample.upper.shape == (64, 64)
    assert sample.upper.any() and sample.lower.any()


def test_reader_names_an_empty_folder(tmp_path):
    with pytest.raises(DatasetError, match="no joint crops"):
        find_crops(tmp_path)


@pytest.mark.real_data
def test_split_never_puts_a_joint_on_both_sides(real_data):
    records = find_crops(real_data / "joint_crops")
    train, val = split_by_joint(records)
    assert {r.joint for r in train}.isdisjoint({r.joint for r in val})
    assert 0.1 < len(val) / len(records) < 0.3
    assert split_by_joint(records)[1] == val  # deterministic


@pytest.mark.slow
def test_short_training_run_lowers_the_loss_and_benches(tmp_path, capsys):
    root = write_joint_crops(tmp_path / "crops", joints=6, visits=2)
    config = TrainConfig(crop_dirs=[root], epochs=10, batch_size=4, lr=1e-2, width=4, depth=3, input_size=64,
                         seed=1, augment=False)
    result = train_segmenter(config, tmp_path / "seg.pt", progress=lambda line: None)
    losses = [row["loss"] for row in result.history]
    assert losses[-1] < 0.85 * losses[0]
    assert result.path.is_file()

    out = tmp_path / "bench.json"
    assert main(["bench", "segmentation", "--data", str(root), "--weights", str(result.path), "--json", str(out),
                 "--repeats", "3", "--part", "all"]) == 0
    figures = json.loads(out.read_text())
    for key in ("dsc", "miou", "sensitivity", "specificity", "accuracy", "ms_per_crop"):
        assert 0 <= figures[key]
    assert figures["data"]["crops"] == 12
    assert set(figures["data"]) >= {"upper", "lower", "overall"}

    # Not told which part, the folder the weights learnt from is measured on the joints they held out: their
    # figures on the joints they trained on flatter them.
    held_out = [joint for joint in sorted(p.name for p in root.iterdir()) if is_validation_joint(joint)]
    assert 0 < len(held_out) < 6
    capsys.readouterr()
    assert main(["bench", "segmentation", "--data", str(root), "--weights", str(result.path), "--json", str(out),
                 "--repeats", "1"]) == 0
    assert capsys.readouterr().out.startswith("measuring the validation joints")
    assert json.loads(out.read_text())["data"]["crops"] == 2 * len(held_out)
    assert main(["bench", "segmentation", "--data", str(root), "--weights", str(result.path), "--json", str(out),
                 "--repeats", "1", "--part", "train"]) == 0
    assert json.loads(out.read_text())["data"]["crops"] == 2 * (6 - len(held_out))


def test_bench_names_missing_weights(tmp_path, capsys):
    root = write_joint_crops(tmp_path / "crops", joints=1, visits=1)
    assert main(["bench", "segmentation", "--data", str(root), "--weights", str(tmp_path / "none.pt")]) == 2
    assert "none.pt" in capsys.readouterr().err


def test_trains_from_an_annotation_dataset_folder(tmp_path):
    from jsnviewer.dataset import open_dataset
    from jsnviewer.weights import load_weights

    dataset = open_dataset(tmp_path / "ds", create=True)
    for j in range(3):
        crop = make_joint_crop(seed=j, size=48)
        dataset.save_joint_crop(f"patient{j}_MCP2", "baseline", crop.image * 4000, crop.upper, crop.lower)
    out = tmp_path / "seg.pt"
    args = ["train", "segmenter", "--no-real", "--data", str(tmp_path / "ds"), "--epochs", "4", "--stop-after", "1", "--batch-size", "2",
            "--width", "2", "--depth", "2", "--input-size", "32", "--out", str(out)]
    assert main(args) == 0
    meta = load_weights(out, expected_model="segmenter").meta
    assert meta["train_crops"] + meta["validation_crops"] == 3
    assert meta["epochs_done"] == 1  # --stop-after ends the 4-epoch schedule early


def test_each_epoch_is_one_line_that_says_its_number_once(tmp_path):
    root = write_joint_crops(tmp_path / "crops", joints=6, visits=2)
    said: list[str] = []
    config = TrainConfig(crop_dirs=[root], epochs=2, batch_size=4, width=4, depth=3, input_size=64, augment=False)
    train_segmenter(config, tmp_path / "seg.pt", progress=said.append)
    epochs = [line for line in said if line.startswith("epoch")]
    assert [line.split()[:2] for line in epochs] == [["epoch", "1"], ["epoch", "2"]]
    assert all(line.split()[2].startswith("loss=") and "epoch=" not in line for line in epochs), epochs
    run = TrainingRun("segmenter", "Bone segmenter", ["train", "segmenter", "--epochs", "2"], tmp_path / "seg.pt")
    assert run.progress("\n".join(said)) == (2, 2)  # the Retrain dialog's bar counts them


def test_a_crop_cut_short_is_left_out_of_a_training_and_named_not_a_stop(tmp_path):
    """The segmenter's and the registration's trainers read a clinic's crops: one damaged file stopped both."""
    from jsnviewer.registration.data import load_joint_folders

    root = write_joint_crops(tmp_path / "crops", joints=6, visits=2)
    damaged = root / "joint03" / "v1.png"
    damaged.write_bytes(damaged.read_bytes()[:60])
    said: list[str] = []
    config = TrainConfig(crop_dirs=[root], epochs=1, batch_size=4, width=4, depth=3, input_size=64, augment=False)
    train_segmenter(config, tmp_path / "seg.pt", progress=said.append)
    assert any("left out" in line and "v1.png" in line for line in said) and (tmp_path / "seg.pt").is_file()
    left_out: list[str] = []
    folders = load_joint_folders(root, left_out=left_out)
    assert sum(map(len, folders)) == 11 and len(left_out) == 1 and "joint03" in left_out[0]
    with pytest.raises(JsnError, match="v1.png"):
        load_joint_folders(root)  # the benchmarks measure every crop or say which one they cannot


def test_bench_names_the_joint_folder_of_a_damaged_crop_and_the_crops_without_masks(tmp_path, capsys):
    """Among hundreds of joint folders, "v1.png: truncated" did not say which; a crop without its masks was
    skipped without a word."""
    root = write_joint_crops(tmp_path / "crops", joints=3, visits=2)
    (root / "joint01" / "v0_upper.png").unlink()
    out = tmp_path / "bench.json"
    assert main(["bench", "segmentation", "--data", str(root), "--json", str(out), "--repeats", "2"]) == 0
    assert "not measured: 1 crop without both _upper.png and _lower.png masks: joint01/v0.png" in capsys.readouterr().out
    figures = json.loads(out.read_text())
    assert figures["data"]["crops"] == 5 and figures["crops_without_masks"] == ["joint01/v0.png"]

    damaged = root / "joint02" / "v1.png"
    damaged.write_bytes(damaged.read_bytes()[:60])
    assert main(["bench", "segmentation", "--data", str(root), "--repeats", "2"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "joint02/v1.png: " in err
