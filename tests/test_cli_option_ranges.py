"""Numeric options out of their range: one line naming the option, exit status 2, before any work starts.

Every bad value here is refused while the command line is read (jsnviewer.cli.options), so no test trains
or benchmarks anything; the good values are only parsed.
"""

from __future__ import annotations

import argparse

import pytest

from jsnviewer.cli.main import build_parser, main
from jsnviewer.cli.options import SEED_MAX, OptionError, above, at_least, between

REGISTRATION = ["train", "registration", "--data", "D", "--out", "r.pt"]
SEGMENTER = ["train", "segmenter", "--no-real", "--synthetic", "2", "--out", "s.pt"]
DETECTOR = ["train", "detector", "--finding", "ankylosis", "--synthetic", "0", "--data", "DS", "--out", "d.pt", "--steps", "1"]
FINDINGS = ["train", "findings", "--synthetic", "0", "--data", "DS", "--out", "f.pt", "--steps", "1"]

BAD = [
    (REGISTRATION, "--epochs", "0", "--epochs must be at least 1, not 0"),
    (REGISTRATION, "--batch-size", "0", "--batch-size must be at least 1, not 0"),
    (REGISTRATION, "--lr", "-1", "--lr must be above 0, not -1"),
    (REGISTRATION, "--lr", "0", "--lr must be above 0, not 0"),
    (REGISTRATION, "--supervised-weight", "-0.5", "--supervised-weight must be 0 or more, not -0.5"),
    (REGISTRATION, "--synthetic", "-1", "--synthetic must be 0 or more, not -1"),
    (REGISTRATION, "--self-pairs", "-1", "--self-pairs must be 0 or more, not -1"),
    (REGISTRATION, "--max-minutes", "0", "--max-minutes must be above 0, not 0"),
    (REGISTRATION, "--threads", "0", "--threads must be at least 1, not 0"),
    (REGISTRATION, "--seed", "-1", "--seed must be 0 or more, not -1"),
    (SEGMENTER, "--batch-size", "0", "--batch-size must be at least 1, not 0"),
    (SEGMENTER, "--depth", "0", "--depth must be at least 2, not 0"),
    (SEGMENTER, "--width", "0", "--width must be at least 1, not 0"),
    (SEGMENTER, "--input-size", "3", "--input-size must be at least 4, not 3"),
    (SEGMENTER, "--lr", "-1", "--lr must be above 0, not -1"),
    (SEGMENTER, "--epochs", "0", "--epochs must be at least 1, not 0"),
    (SEGMENTER, "--stop-after", "0", "--stop-after must be at least 1, not 0"),
    (SEGMENTER, "--split-seed", str(SEED_MAX + 1), f"--split-seed must be at most {SEED_MAX}, not {SEED_MAX + 1}"),
    (DETECTOR, "--batch", "0", "--batch must be at least 1, not 0"),
    (DETECTOR, "--lr", "-1", "--lr must be above 0, not -1"),
    (DETECTOR, "--calibrate", "-1", "--calibrate must be 0 or more, not -1"),
    (DETECTOR, "--steps", "-1", "--steps must be 0 or more, not -1"),
    (DETECTOR, "--width", "0", "--width must be above 0, not 0"),
    (DETECTOR, "--minutes", "-1", "--minutes must be above 0, not -1"),
    (DETECTOR, "--positive-share", "1.5", "--positive-share must be between 0 and 1, not 1.5"),
    (DETECTOR, "--present-weight", "-1", "--present-weight must be 0 or more, not -1"),
    (DETECTOR, "--real-share", "-0.1", "--real-share must be between 0 and 1, not -0.1"),
    (FINDINGS, "--batch", "0", "--batch must be at least 1, not 0"),
    (FINDINGS, "--lr", "-1", "--lr must be above 0, not -1"),
    (FINDINGS, "--steps", "0", "--steps must be at least 1, not 0"),
    (FINDINGS, "--validation", "0", "--validation must be at least 1, not 0"),
    (FINDINGS, "--findings-rate", "2", "--findings-rate must be between 0 and 1, not 2"),
    (["bench", "detection"], "--synthetic", "0", "--synthetic must be at least 1, not 0"),
    (["bench", "detection", "--synthetic", "1"], "--conf", "2", "--conf must be between 0 and 1, not 2"),
    (["bench", "detection", "--synthetic", "1"], "--iou1", "-0.5", "--iou1 must be between 0 and 1, not -0.5"),
    (["bench", "detection", "--synthetic", "1"], "--m1", "0", "--m1 must be at least 1, not 0"),
    (["bench", "detection", "--synthetic", "1"], "--scale", "0", "--scale must be above 0, not 0"),
    (["bench", "pipeline"], "--synthetic", "0", "--synthetic must be at least 1, not 0"),
    (["bench", "pipeline"], "--synthetic", "-1", "--synthetic must be at least 1, not -1"),
    (["bench", "registration"], "--synthetic", "-1", "--synthetic must be 0 or more, not -1"),
    (["bench", "registration", "--data", "crops"], "--pixel-size", "0", "--pixel-size must be above 0, not 0"),
    (["bench", "registration", "--data", "crops"], "--pixel-size", "-1", "--pixel-size must be above 0, not -1"),
    (["bench", "segmentation", "--data", "crops"], "--repeats", "0", "--repeats must be at least 1, not 0"),
    (["bench", "segmentation"], "--synthetic", "-1", "--synthetic must be 0 or more, not -1"),
    (["bench", "segmentation", "--synthetic", "1"], "--threads", "0", "--threads must be at least 1, not 0"),
    (["phantom", "out"], "--pairs", "0", "--pairs must be at least 1, not 0"),
    (["phantom", "out"], "--seed", "-5", "--seed must be 0 or more, not -5"),
    (["phantom", "out"], "--findings-rate", "1.5", "--findings-rate must be between 0 and 1, not 1.5"),
]


def one_line_error(capsys) -> str:
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "Traceback" not in captured.err and "unexpected" not in captured.err and "usage:" not in captured.err
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    return lines[0]


@pytest.mark.parametrize(("command", "option", "value", "message"), BAD,
                         ids=[f"{' '.join(c[:2])} {o} {v}" for c, o, v, _ in BAD])
def test_an_option_out_of_range_is_one_line_naming_it(tmp_path, monkeypatch, capsys, command, option, value, message):
    monkeypatch.chdir(tmp_path)  # nothing may be written, but if it were, not into the repository
    assert main([*command, option, value]) == 2
    assert one_line_error(capsys) == f"jsnviewer: error: {message}"
    assert list(tmp_path.iterdir()) == []  # refused before the command did anything


@pytest.mark.parametrize(("command", "option", "value", "message"), [
    (REGISTRATION, "--epochs", "two", "--epochs must be a whole number, not 'two'"),
    (REGISTRATION, "--epochs", "1.5", "--epochs must be a whole number, not '1.5'"),
    (SEGMENTER, "--lr", "nan", "--lr must be a finite number, not nan"),
    (FINDINGS, "--lr", "fast", "--lr must be a number, not 'fast'"),
    (["bench", "registration", "--data", "crops"], "--pixel-size", "inf", "--pixel-size must be a finite number, not inf"),
])
def test_no_number_at_all_is_one_line_naming_the_option(tmp_path, monkeypatch, capsys, command, option, value, message):
    monkeypatch.chdir(tmp_path)
    assert main([*command, option, value]) == 2
    assert one_line_error(capsys) == f"jsnviewer: error: {message}"


@pytest.mark.parametrize(("depth", "size", "message"), [
    ("9", "128", "--depth must be at most 7 for --input-size 128 (the U-Net++ halves it down to 2×2 or more), not 9"),
    ("4", "100", "--input-size must be a multiple of 8 for --depth 4, not 100"),
    ("3", "6", "--depth must be at most 2 for --input-size 6 (the U-Net++ halves it down to 2×2 or more), not 3"),
])
def test_the_segmenters_depth_and_input_size_must_suit_each_other(tmp_path, monkeypatch, capsys, depth, size, message):
    monkeypatch.chdir(tmp_path)
    # no --synthetic and no crops: were the sizes not checked first, the trainer would stop at once on "no training crops"
    assert main(["train", "segmenter", "--no-real", "--out", "s.pt", "--depth", depth, "--input-size", size]) == 2
    assert one_line_error(capsys) == f"jsnviewer: error: {message}"
    assert list(tmp_path.iterdir()) == []


def test_the_segmenter_sizes_that_the_network_takes_pass_the_check():
    from jsnviewer.cli.segmentation import _check_network_size

    for depth, size in [(4, 128), (7, 128), (2, 4), (5, 48), (4, 256)]:
        _check_network_size(depth, size)
    with pytest.raises(OptionError):
        _check_network_size(8, 128)  # a 1×1 deepest level: batch normalisation fails on a batch of one crop


@pytest.mark.parametrize(("argv", "expected"), [
    (["train", "detector", "--finding", "ankylosis", "--out", "d.pt", "--synthetic", "0", "--steps", "0", "--calibrate", "0",
      "--positive-share", "0", "--present-weight", "0", "--real-share", "1", "--width", "0.03125", "--minutes", "0.5"],
     {"synthetic": 0, "steps": 0, "calibrate": 0, "positive_share": 0.0, "present_weight": 0.0, "real_share": 1.0,
      "width": 0.03125, "minutes": 0.5}),
    (["train", "findings", "--out", "f.pt", "--synthetic", "0", "--findings-rate", "1", "--real-share", "0", "--validation", "1"],
     {"synthetic": 0, "findings_rate": 1.0, "real_share": 0.0, "validation": 1}),
    (["train", "registration", "--out", "r.pt", "--synthetic", "0", "--self-pairs", "0", "--epochs", "1", "--batch-size", "1",
      "--lr", "1e-5", "--max-minutes", "0.1", "--seed", str(SEED_MAX), "--supervised-weight", "0"],
     {"synthetic": 0, "self_pairs": 0, "epochs": 1, "batch_size": 1, "lr": 1e-5, "max_minutes": 0.1, "seed": SEED_MAX,
      "supervised_weight": 0.0}),
    (["train", "segmenter", "--out", "s.pt", "--synthetic", "0", "--depth", "2", "--input-size", "4", "--width", "1",
      "--stop-after", "1", "--seed", "0"],
     {"synthetic": 0, "depth": 2, "input_size": 4, "width": 1, "stop_after": 1, "seed": 0}),
    (["bench", "registration", "--synthetic", "0", "--pixel-size", "0.15"], {"synthetic": 0, "pixel_size": 0.15}),
    (["bench", "segmentation", "--synthetic", "0", "--repeats", "1"], {"synthetic": 0, "repeats": 1}),
    (["bench", "detection", "--synthetic", "1", "--conf", "0", "--iou1", "1", "--iou2", "0.5", "--m1", "1", "--m2", "1",
      "--scale", "0.5", "--threads", "1"],
     {"synthetic": 1, "conf": 0.0, "iou1": 1.0, "iou2": 0.5, "m1": 1, "m2": 1, "scale": 0.5, "threads": 1}),
    (["bench", "pipeline", "--synthetic", "1"], {"synthetic": 1}),
    (["phantom", "out", "--pairs", "1", "--seed", "0", "--findings-rate", "0"], {"pairs": 1, "seed": 0, "findings_rate": 0.0}),
])
def test_values_in_range_are_read_as_numbers(argv, expected):
    args = build_parser().parse_args(argv)
    assert {k: getattr(args, k) for k in expected} == expected
    assert all(type(getattr(args, k)) is type(v) for k, v in expected.items())


def test_the_defaults_are_left_as_they_were():
    args = build_parser().parse_args(["train", "detector", "--finding", "subluxation", "--out", "d.pt"])
    assert (args.synthetic, args.steps, args.batch, args.lr, args.calibrate, args.width, args.minutes, args.real_share) == \
        (200, 3000, 8, 1e-3, 0, None, None, None)


@pytest.mark.parametrize("command", [REGISTRATION, SEGMENTER, DETECTOR, FINDINGS], ids=lambda c: c[1])
def test_every_trainer_takes_the_device_a_cuda_gpu_when_there_is_one_by_default(command, capsys):
    parser = build_parser()
    assert parser.parse_args([*command, "--device", "cpu"]).device == "cpu"
    assert parser.parse_args([*command, "--device", "cuda"]).device == "cuda"
    assert parser.parse_args(command).device == "auto"
    with pytest.raises(SystemExit) as exit_:
        parser.parse_args([*command, "--device", "gpu"])
    assert exit_.value.code == 2 and "invalid choice: 'gpu'" in capsys.readouterr().err


def test_other_usage_errors_keep_argparses_message_and_exit(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["train", "detector", "--finding", "neither", "--out", "d.pt"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "usage:" in err and "invalid choice" in err


def test_the_range_helpers():
    assert at_least(0)("0") == 0 and at_least(1, 3)("3") == 3 and at_least(0, kind=float)("0.5") == 0.5
    assert above(0)("1e-9") == 1e-9 and between(0, 1)("1") == 1.0
    for check, text, message in [(at_least(1), "0", "must be at least 1, not 0"), (at_least(0), "-2", "must be 0 or more, not -2"),
                                 (at_least(1, 3), "4", "must be at most 3, not 4"), (above(0), "-0.0", "must be above 0, not -0.0"),
                                 (between(0, 1), "1.01", "must be between 0 and 1, not 1.01"),
                                 (between(0, 1), "-inf", "must be a finite number, not -inf")]:
        with pytest.raises(argparse.ArgumentTypeError, match=f"^{message}$"):
            check(text)
