"""The shipped segmenter on real validation joints (never seen in training)."""

import pytest

from jsnviewer.segmentation.data import find_crops, load_sample
from jsnviewer.segmentation.infer import BoneSegmenter
from jsnviewer.segmentation.metrics import MetricsTable
from jsnviewer.weights import resolve_weights

SHIPPED = resolve_weights("segmenter")


@pytest.mark.real_data
@pytest.mark.skipif(not SHIPPED.is_file(), reason="models/segmenter.pt is not present")
def test_shipped_segmenter_on_real_validation_crops(real_data):
    segmenter = BoneSegmenter.load()
    validation = set(segmenter.meta["validation_joints"])
    records = [r for r in find_crops(real_data / "joint_crops") if r.joint in validation][:12]
    assert len(records) == 12
    table = MetricsTable()
    for r in records:
        s = load_sample(r)
        upper, lower = segmenter.segment(s.image)
        table.add(upper, lower, s.upper, s.lower)
    summary = table.summary()
    assert summary["upper"]["dsc"] > 0.93
    assert summary["lower"]["dsc"] > 0.93

