"""Table 6 metrics on hand-made masks whose answers are counted by hand."""

import numpy as np
import pytest

from jsnviewer.segmentation.metrics import Confusion, MetricsTable, crop_metrics


def _masks():
    # 4×4 crop. Truth: left two columns (8 px). Prediction: first column + top row (4 + 3 = 7 px).
    truth = np.zeros((4, 4), bool)
    truth[:, :2] = True
    pred = np.zeros((4, 4), bool)
    pred[:, 0] = True
    pred[0, :] = True
    return pred, truth


def test_confusion_counts_by_hand():
    pred, truth = _masks()
    # TP: column 0 (4) + (0,1) = 5; FP: (0,2), (0,3) = 2; FN: (1..3, 1) = 3; TN: 16 - 10 = 6.
    assert Confusion.of(pred, truth) == Confusion(tp=5, fp=2, fn=3, tn=6)


def test_metrics_by_hand():
    pred, truth = _masks()
    m = crop_metrics(pred, truth)
    assert m["dsc"] == pytest.approx(2 * 5 / (2 * 5 + 2 + 3))  # 10/15
    assert m["miou"] == pytest.approx(5 / 10)
    assert m["sensitivity"] == pytest.approx(5 / 8)
    assert m["specificity"] == pytest.approx(6 / 8)
    assert m["accuracy"] == pytest.approx(11 / 16)


def test_perfect_and_disjoint_masks():
    truth = np.zeros((8, 8), bool)
    truth[2:6, 2:6] = True
    assert crop_metrics(truth, truth) == {"miou": 1.0, "sensitivity": 1.0, "specificity": 1.0, "dsc": 1.0, "accuracy": 1.0}
    other = np.zeros_like(truth)
    other[0, 0] = True
    m = crop_metrics(other, truth)
    assert m["dsc"] == 0.0 and m["miou"] == 0.0 and m["sensitivity"] == 0.0
    assert m["specificity"] == pytest.approx(47 / 48)


def test_table_averages_crops_then_bones():
    pred, truth = _masks()
    table = MetricsTable()
    table.add(truth, pred, truth, truth)  # upper perfect, lower DSC 2/3
    table.add(truth, truth, truth, truth)  # both perfect
    s = table.summary()
    assert s["upper"]["dsc"] == 1.0
    assert s["lower"]["dsc"] == pytest.approx((2 / 3 + 1) / 2)
    assert s["overall"]["dsc"] == pytest.approx((1 + (2 / 3 + 1) / 2) / 2)
    assert s["overall"]["miou"] == pytest.approx((1 + (0.5 + 1) / 2) / 2)


def test_shape_mismatch_is_refused():
    with pytest.raises(ValueError):
        Confusion.of(np.zeros((4, 4), bool), np.zeros((4, 5), bool))
