"""Training material: real landmarks turned into joint boxes, and the augmented window sampler."""

import numpy as np

from jsnviewer.detection.data import WorkingHand, load_ra2, load_rsna, sample_windows


def test_ra2_landmarks_become_ten_joint_boxes_inside_the_image(real_data):
    from PIL import Image

    hands = load_ra2(real_data / "hands_ra2")
    assert len(hands) == 4
    for h in hands:
        assert sorted(h.identities) == sorted(["IP1", "PIP2", "PIP3", "PIP4", "PIP5", "MCP1", "MCP2", "MCP3", "MCP4", "MCP5"])
        w, hgt = Image.open(h.path).size
        assert (h.boxes[:, 0] > 0).all() and (h.boxes[:, 0] < w).all() and (h.boxes[:, 1] < hgt).all()
        assert h.laterality in ("L", "R")
        # Boxes sized to the joint: an MCP box is wider than the gap to its neighbour MCP.
        mcp2, mcp3 = h.boxes[h.identities.index("MCP2")], h.boxes[h.identities.index("MCP3")]
        assert np.hypot(*(mcp2[:2] - mcp3[:2])) < mcp2[2] < 3 * np.hypot(*(mcp2[:2] - mcp3[:2]))


def test_rsna_points_are_scaled_from_their_224_frame_and_duplicates_dropped(real_data):
    hands = load_rsna(real_data / "hands_rsna_shsnet")
    assert len(hands) == 8  # 12 rows, two images repeated twice
    for h in hands:
        # The thumb lies on the thumb side: right of the MCPs in a left hand, left in a right hand.
        ip1 = h.boxes[h.identities.index("IP1"), 0]
        mcp5 = h.boxes[h.identities.index("MCP5"), 0]
        assert (ip1 > mcp5) == (h.laterality == "L")
        assert h.boxes[:, 0].max() < 630 and h.boxes[:, 1].max() < 910 and h.boxes[:, 1].min() > 100


def test_windows_keep_the_joints_whose_centre_they_hold():
    img = np.zeros((600, 500), dtype=np.uint8)
    img[280:320, 230:270] = 255
    hand = WorkingHand(img, np.array([[250.0, 300.0, 40.0, 40.0]], dtype=np.float32), np.array([[True, False]]), "square")
    rng = np.random.default_rng(0)
    x, targets = sample_windows([hand], 0, 12, rng, background_share=0.0)
    assert x.shape == (12, 1, 300, 300)
    for k, (boxes, labels, findings_only) in enumerate(targets):
        assert not findings_only  # a box-annotated hand teaches boxes
        assert len(boxes) == 1 and labels.tolist() == [2]  # ankylosis present -> class 2
        cx, cy, w, _ = boxes[0].tolist()
        # The square is where the target says (the window's pixels there are bright).
        assert x[k, 0, int(cy), int(cx)] > 0.5 or x[k, 0].max() < 0.9
        assert 40 * 0.6 < w < 40 * 1.6


def test_the_unlandmarked_dips_of_real_hands_are_marked_beyond_the_pips(real_data):
    for h in load_ra2(real_data / "hands_ra2"):
        assert h.unlabelled.shape == (4, 4)
        for d, dip in zip((2, 3, 4, 5), h.unlabelled):
            pip, mcp = h.boxes[h.identities.index(f"PIP{d}")], h.boxes[h.identities.index(f"MCP{d}")]
            # Further from the MCP than the PIP is, along the same finger.
            assert np.hypot(*(dip[:2] - mcp[:2])) > np.hypot(*(pip[:2] - mcp[:2]))
            assert np.dot(dip[:2] - pip[:2], pip[:2] - mcp[:2]) > 0
