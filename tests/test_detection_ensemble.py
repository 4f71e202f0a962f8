"""Algorithm 1 on constructed detector outputs with known outcomes."""

from jsnviewer.detection.ensemble import C_NEG, ensemble


def box(x, y, side=10.0):
    return (float(x), float(y), side, side)


def test_a_joint_seen_by_both_detectors_keeps_the_more_confident_box_and_both_labels():
    c1 = (0.05, 0.03, 0.92)  # ankylosis detector: finding present
    c2 = (0.01, 0.97, 0.02)  # subluxation detector: absent, more sure it is a joint
    out = ensemble([(box(10, 10), c1)], [(box(11, 10), c2)], t_iou2=0.45, m1=20)
    assert len(out) == 1
    assert out[0].box == box(11, 10) and out[0].c1 == c1 and out[0].c2 == c2
    assert out[0].score == 1 - 0.01 and out[0].source == "both"  # ĉ: P(joint) of the kept box


def test_boxes_seen_by_one_detector_get_the_negative_class_for_the_other():
    a = [(box(10, 10), (0.0, 0.05, 0.95)), (box(100, 10), (0.0, 0.92, 0.08))]
    b = [(box(10, 11), (0.0, 0.91, 0.09)), (box(200, 10), (0.0, 0.99, 0.01))]
    out = ensemble(a, b, t_iou2=0.45, m1=20)
    assert [o.source for o in out] == ["both", "1", "2"]
    assert out[1].box == box(100, 10) and out[1].c2 == C_NEG
    assert out[2].box == box(200, 10) and out[2].c1 == C_NEG


def test_boxes_overlapping_less_than_t_iou2_are_two_joints():
    pair = ([(box(5, 5), (0, 0.1, 0.9))], [(box(10, 5), (0, 0.9, 0.1))])  # IoU 1/3
    assert len(ensemble(*pair, t_iou2=0.34, m1=20)) == 2
    assert len(ensemble(*pair, t_iou2=0.33, m1=20)) == 1


def test_each_detector_2_box_merges_once():
    a = [(box(10, 10), (0, 0.01, 0.99)), (box(10.5, 10), (0, 0.02, 0.98))]
    b = [(box(10, 10.5), (0, 0.97, 0.03))]
    out = ensemble(a, b, t_iou2=0.45, m1=20)
    assert [o.source for o in out] == ["both", "1"]


def test_the_m1_cap_adds_single_detector_boxes_best_first_up_to_m1():
    # Two joints both detectors agree on, five seen by one detector only; M1 = 4 leaves room for two.
    a = [(box(0, 0), (0.05, 0.05, 0.90)), (box(100, 0), (0.04, 0.5, 0.46)),
         (box(200, 0), (0.10, 0.1, 0.80)), (box(300, 0), (0.01, 0.49, 0.50))]
    b = [(box(0, 1), (0.07, 0.93, 0.0)), (box(100, 1), (0.06, 0.94, 0.0)),
         (box(400, 0), (0.03, 0.97, 0.0)), (box(500, 0), (0.09, 0.5, 0.41)), (box(600, 0), (0.05, 0.95, 0.0))]
    out = ensemble(a, b, t_iou2=0.45, m1=4)
    assert len(out) == 4
    assert [o.source for o in out[:2]] == ["both", "both"]
    # The single-detector boxes by joint confidence: 300 (0.99, though unsure of its finding),
    # 400 (0.97), 600 (0.95), 500 (0.91), 200 (0.90).
    assert [o.box[0] for o in out[2:]] == [300.0, 400.0]


def test_without_the_cap_every_box_is_kept():
    a = [(box(0, 0), (0, 0.05, 0.95))]
    b = [(box(100, 0), (0, 0.97, 0.03))]
    assert len(ensemble(a, b, t_iou2=0.45, m1=2)) == 2
    assert len(ensemble(a, b, t_iou2=0.45, m1=1)) == 1


def test_the_cap_never_drops_boxes_both_detectors_agree_on():
    a = [(box(x, 0), (0, 0.05, 0.95)) for x in (0, 100, 200)]
    b = [(box(x, 1), (0, 0.97, 0.03)) for x in (0, 100, 200)] + [(box(900, 0), (0, 0.0, 1.0))]
    out = ensemble(a, b, t_iou2=0.45, m1=2)
    assert len(out) == 3 and all(o.source == "both" for o in out)
