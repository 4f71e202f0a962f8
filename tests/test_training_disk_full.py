"""A disk that fills during training: said before a run when the weights clearly do not fit, and when writing them
fails anyway, the message names the folder, the weights there before stay, and the trained weights (still in memory)
can be written into another folder instead of being lost."""

from __future__ import annotations

import errno
import io
import sys

import pytest

from jsnviewer import atomic
from jsnviewer.cli.main import main
from jsnviewer.weights import ASK_FOLDER, load_weights, models_dir


def _full_disk(monkeypatch, full):
    """Writes into `full` find the disk full, as at the end of a long run on a crowded share."""
    write = atomic.atomic_write

    def failing(path, produce):
        if full in atomic.Path(path).parents:
            raise OSError(errno.ENOSPC, "No space left on device")
        return write(path, produce)

    monkeypatch.setattr(atomic, "atomic_write", failing)


@pytest.fixture(scope="module")
def crops_dataset(tmp_path_factory):
    from jsnviewer.dataset import open_dataset
    from jsnviewer.phantom import make_joint_pair

    dataset = open_dataset(tmp_path_factory.mktemp("full") / "dataset", create=True)
    for seed in range(6):
        pair = make_joint_pair(seed)
        dataset.save_joint_crop(f"joint{seed}", "visit1", pair.fixed, pair.fixed_upper > 0, pair.fixed_lower > 0)
        dataset.save_joint_crop(f"joint{seed}", "visit2", pair.moving, pair.moving_upper > 0, pair.moving_lower > 0)
    return dataset.root


def test_a_disk_clearly_too_full_for_the_weights_is_said_before_the_training(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(atomic, "free_space", lambda folder: 200_000)
    out = tmp_path / "out" / "segmenter.pt"
    code = main(["train", "segmenter", "--no-real", "--data", str(tmp_path), "--epochs", "1", "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2
    size = (models_dir() / "segmenter.pt").stat().st_size / 1e6
    assert err == (f"jsnviewer: error: --out {out}: not enough room for the weights in {out.parent} (0.2 MB free on its "
                   f"disk, about {size:.1f} MB needed): free space there or choose another --out\n")


def test_weights_the_full_disk_did_not_take_name_the_folder_keep_the_old_ones_and_go_elsewhere_when_asked(
        tmp_path, monkeypatch, capsys, crops_dataset):
    out = tmp_path / "full" / "registration.pt"
    out.parent.mkdir()
    out.write_bytes(b"the weights of an earlier run")
    elsewhere = tmp_path / "usb stick"
    _full_disk(monkeypatch, out.parent)
    monkeypatch.setattr(sys, "stdin", io.StringIO(f"{elsewhere}\n"))  # the user's answer
    code = main(["train", "registration", "--data", str(crops_dataset), "--epochs", "1", "--self-pairs", "8",
                 "--batch-size", "8", "--out", str(out), "--ask-if-unwritable"])
    output = capsys.readouterr()
    assert code == 2
    assert (f"Registration network weights {out}: not written into {out.parent}: No space left on device (the weights "
            "file there before, if any, is untouched); make room there or choose another folder") in output.err
    assert out.read_bytes() == b"the weights of an earlier run"
    assert ASK_FOLDER in output.out
    assert load_weights(elsewhere / "registration.pt", "registration").meta["epoch"] == 1  # the run, not lost


def test_without_anyone_to_ask_the_run_ends_with_the_message(tmp_path, monkeypatch, capsys, crops_dataset):
    """A script or a scheduled run has no one at its standard input: it is not asked, so it does not wait."""
    out = tmp_path / "full" / "registration.pt"
    out.parent.mkdir()
    _full_disk(monkeypatch, out.parent)
    code = main(["train", "registration", "--data", str(crops_dataset), "--epochs", "1", "--self-pairs", "8",
                 "--batch-size", "8", "--out", str(out)])
    output = capsys.readouterr()
    assert code == 2 and "No space left on device" in output.err and ASK_FOLDER not in output.out
    assert list(out.parent.iterdir()) == []  # no temporary file left behind
