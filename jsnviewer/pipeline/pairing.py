"""Checks on the joints paired by name across the two visits: the hand's size, and whether each pair
of boxes lies at the same place of the hand (a hand moves as a whole between visits; two different
joints given one name do not)."""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np

from jsnviewer.detection.identity import fit_similarity
from jsnviewer.joints import SIDES, by_hand, names_a_hand, with_hand

# A pair of boxes whose follow-up centre lies more than this many MCP spacings from where the other pairs
# put it is taken to be two different joints. Mis-named pairs lie a joint apart (one spacing between MCPs,
# more between PIPs and DIPs, 1.3 along a finger); the same joints lie within 0.34 on 16 phantom pairs (fingers
# turned up to 2.5°, joints bent up to 5°), and a finger turned 14° about its base moves its DIP by about 0.7.
MISPLACED_BEYOND_SPACINGS = 0.7


PALM = ("MCP2", "MCP3", "MCP4", "MCP5")  # the metacarpal heads that move with the palm (the thumb's does not)


def hand_size_ratio(pairs: dict[str, tuple]) -> float | None:
    """The follow-up hand's size over the baseline's: the median, over every two joints paired by name
    ({identity: (baseline detection, follow-up detection)}), of the ratio of their distances; None below
    four pairs.

    Only joints named on both visits count: the hand's size from each visit's own named joints (its spread
    against the template's) changed with which joints were found, and on a real hand against a turned copy
    of itself (true size 100 %) a joint found on one visit only made it 111 %, and every follow-up crop was
    then scaled 11 % wrong. The median keeps one mis-named pair (boxes of different joints) from moving it.
    """
    ratios = [np.zeros(0)]
    for hand in by_hand(pairs).values():  # two hands on one radiograph move apart: distances within a hand
        if len(hand) < 4:
            continue
        pts = _centres(hand)
        i, j = np.triu_indices(len(pts), 1)
        d_base = np.hypot(*(pts[i, 0] - pts[j, 0]).T)
        d_follow = np.hypot(*(pts[i, 1] - pts[j, 1]).T)
        ok = d_base > 0
        ratios.append(d_follow[ok] / d_base[ok])
    ratios = np.concatenate(ratios)
    return float(np.median(ratios)) if ratios.size else None


def misplaced_pairs(pairs: dict[str, tuple], spacing: float | None) -> dict[str, float]:
    """{identity: distance in MCP spacings} of the pairs whose boxes do not lie at the same place of the hand.

    The hand's motion between the visits is the similarity transform (turn, shift, size) that lays the most
    baseline centres within `MISPLACED_BEYOND_SPACINGS` of their follow-up centres (tried from every two
    paired MCP2–5, or every two pairs where fewer are paired, then fitted to those it lays so); a pair it
    leaves further away is two different joints under one name (the detector named the hand's joints
    differently on the two visits), whose JSN means nothing.
    Nothing is said below four pairs or without the hand's MCP spacing (`spacing`, baseline pixels).
    Each hand of a radiograph of both hands has its own motion.
    """
    return {with_hand(hand, joint): r for hand, group in by_hand(pairs).items()
            for joint, r in _misplaced_in_hand(group, spacing).items()}


def _misplaced_in_hand(pairs: dict[str, tuple], spacing: float | None) -> dict[str, float]:
    if len(pairs) < 4 or not spacing:
        return {}
    names = sorted(pairs)
    pts = _centres(pairs)
    base, follow = pts[:, 0], pts[:, 1]
    limit = MISPLACED_BEYOND_SPACINGS * spacing
    # The palm moves as one: tried from two of its metacarpal heads where there are two. From any two pairs,
    # a hand's boxes named one finger over on one visit fitted as a turn of 30° and a growth of 27 % (a real
    # right hand named as a left one): more of them lay on that than on the hand's true motion.
    palm = [k for k, name in enumerate(names) if name in PALM]
    starts = itertools.combinations(palm if len(palm) >= 2 else range(len(names)), 2)
    best, best_key = None, None
    for a, b in starts:
        if np.allclose(base[a], base[b]):
            continue
        scale, turn, shift = fit_similarity(base[[a, b]], follow[[a, b]])
        if scale <= 0:
            continue
        residual = np.hypot(*(scale * base @ turn.T + shift - follow).T)
        inliers = residual <= limit * scale
        key = (int(inliers.sum()), -float(residual[inliers].sum()))
        if best_key is None or key > best_key:
            best, best_key = inliers, key
    if best is None or best.sum() < 3:
        return {}
    scale, turn, shift = fit_similarity(base[best], follow[best])
    residual = np.hypot(*(scale * base @ turn.T + shift - follow).T) / (spacing * scale)  # in baseline spacings
    return {name: float(r) for name, r in zip(names, residual) if r > MISPLACED_BEYOND_SPACINGS}


def _centres(pairs: dict[str, tuple]) -> np.ndarray:
    """(n, visit, xy) box centres of the pairs in name order."""
    return np.array([[pairs[k][0].box[:2], pairs[k][1].box[:2]] for k in sorted(pairs)], dtype=float)


def match_hands(baseline: list, followup: list, laterality: tuple[str | None, str | None] = (None, None)
                ) -> tuple[list, list, str | None]:
    """The two visits' detections named alike when one radiograph shows both hands and the other one hand:
    the one hand's joints take its side (from how they lie, else from its file's `laterality`), so that they
    pair with the same hand's joints on the other visit. Returns (baseline, followup, warning or None)."""
    from jsnviewer.detection.detector import hand_side_of

    both = [names_a_hand(d.identity for d in dets) for dets in (baseline, followup)]
    if both[0] == both[1]:
        return baseline, followup, None
    single = 1 if both[0] else 0
    dets = (baseline, followup)[single]
    side = hand_side_of(dets) or laterality[single]
    visits = ("baseline", "follow-up")
    if side not in SIDES:
        renamed = [dataclasses.replace(d, identity=None) if d.identity else d for d in dets]
        warning = (f"The {visits[1 - single]} shows both hands and the {visits[single]} one hand, and which hand "
                   "cannot be told: no joint was compared. Analyse the same hands on both visits.")
    else:
        renamed = [dataclasses.replace(d, identity=with_hand(side, d.identity)) if d.identity else d for d in dets]
        warning = (f"The {visits[1 - single]} shows both hands and the {visits[single]} only the {SIDES[side]} hand: "
                   f"the {SIDES[side]} hand's joints are compared.")
    out = [baseline, followup]
    out[single] = renamed
    return out[0], out[1], warning
