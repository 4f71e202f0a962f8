"""The Retrain dialog's "about 3 min left": told once the steps say enough, from the time they took, without jumping
about when a step is slower, counted down between steps. The clock is the test's: nothing waits."""

from __future__ import annotations

from pathlib import Path

from jsnviewer.retraining import TrainingRun, later_runs_seconds, training_runs
from jsnviewer.time_left import TimeLeft, duration_said, time_left_said


def test_no_time_left_is_told_before_a_fiftieth_of_the_steps_then_the_time_so_far_over_the_share_done():
    left = TimeLeft()
    left.update(100.0, 0, 300)  # the bar's first drawing, after the trainer made its synthetic hands
    left.update(120.0, 5, 300)
    assert left.seconds(120.0) is None  # 5 of 300 steps: too few to tell
    left.update(130.0, 6, 300)
    assert left.seconds(130.0) == 30.0 / 6 * 294  # the minutes before the first step are not counted
    assert time_left_said(left.seconds(130.0)) == "about 25 min left"


def test_a_slower_stretch_moves_the_time_left_a_little_at_a_time_not_all_at_once():
    left = TimeLeft()
    left.update(0.0, 0, 100)
    left.update(50.0, 50, 100)
    assert left.seconds(50.0) == 50.0
    left.update(110.0, 51, 100)  # a minute for one step: 110 s for 51 steps, 107.8 s for the 49 left
    assert 0.0 < left.seconds(110.0) < 107.8 / 2  # the new figure not taken whole at once
    said = [left.seconds(110.0)]
    for second in range(111, 140):  # one step a second again
        done = 51 + second - 110
        left.update(float(second), done, 100)
        said.append(left.seconds(float(second)))
    assert max(abs(later - earlier) for earlier, later in zip(said, said[1:])) < 107.8 / 4  # no leap at a step
    assert abs(said[-1] - 139 / 80 * 20) < 5.0  # and it follows the time the steps take


def test_the_time_left_counts_down_between_steps_and_stops_at_nothing():
    left = TimeLeft()
    left.update(0.0, 0, 10)
    left.update(60.0, 2, 10)
    assert left.seconds(60.0) == 240.0
    assert left.seconds(120.0) == 180.0  # no step printed for a minute: a minute less, not the same words
    assert left.seconds(1000.0) == 0.0


def test_a_trainer_that_says_each_epoch_as_it_ends_is_timed_from_its_start():
    run = TrainingRun("segmenter", "Bone segmenter", ["train", "segmenter", "--epochs", "5"], Path("seg.pt"))
    left = run.time_left(started=10.0)
    left.update(70.0, 1, 5)  # "epoch 1" a minute after the start: 4 more such minutes
    assert left.seconds(70.0) == 240.0
    bar = TrainingRun("detector_ankylosis", "Ankylosis detector", ["train", "detector", "--steps", "300"], Path("d.pt"))
    left = bar.time_left(started=10.0)
    left.update(70.0, 0, 300)  # its bar drawn at 0 after a minute of preparing: the steps start now
    left.update(100.0, 30, 300)
    assert left.seconds(100.0) == 270.0


def test_a_count_that_begins_again_is_timed_anew():
    left = TimeLeft()
    left.update(0.0, 0, 10)
    left.update(10.0, 5, 10)
    left.update(20.0, 0, 10)
    assert left.seconds(20.0) is None


def test_the_time_left_is_said_in_plain_words():
    assert time_left_said(20) == "less than a minute left"
    assert time_left_said(150) == "about 3 min left"
    assert time_left_said(89 * 60) == "about 89 min left"
    assert time_left_said(100 * 60) == "about 1 h 40 min left"
    assert time_left_said(3 * 3600 + 60) == "about 3 h left"


def test_the_later_models_take_as_long_as_their_steps_took_in_a_run_of_their_trainer_else_cannot_be_told(tmp_path):
    """The two detectors train one network on the same radiographs: a step of one takes as long as a step of the
    other. The finding classifier's or the segmenter's steps are of other networks: not guessed."""
    ankylosis, subluxation, findings = training_runs(tmp_path, ["detector_ankylosis", "detector_subluxation",
                                                                "joint_findings"], tmp_path / "run")
    left = TimeLeft()
    left.update(0.0, 0, 300)
    left.update(30.0, 6, 300)
    assert left.per_step == 5.0
    assert later_runs_seconds([subluxation], {ankylosis.trainer: left.per_step}) == 300 * 5.0
    assert later_runs_seconds([subluxation, findings], {ankylosis.trainer: left.per_step}) is None
    assert duration_said(left.seconds(30.0) + 300 * 5.0) == "about 50 min"
