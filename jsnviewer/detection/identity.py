"""Joint identity of every detection from the geometry of the whole hand.

A template of joint positions (a left hand seen postero-anteriorly: fingers up, thumb on the
image's right) is fitted to all detection centres at once, for both mirrorings (left/right
hand). Hypotheses come from every ordered pair of detections taken as one of a few anchor
pairs of template joints (MCP2–MCP5, MCP2–PIP2, …), which fixes a similarity transform; they
are scored by truncated nearest-neighbour distances, and the best are refined by alternating a
one-to-one assignment (Hungarian, with a fixed price for a template joint or a detection left
unmatched) with a similarity fit, then by letting each digit's distal joints swing and stretch
about its MCP (fingers spread or bent). The cheapest hypothesis names the joints. A missing
joint or a stray box costs the fixed price and does not shift the others. The thumb's side
is read from the image; naming the other hand than the file declares costs one such price, so
the file decides only where the image nearly cannot.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.optimize import linear_sum_assignment

from jsnviewer.joints import DIGIT_CHAINS, hand_of, is_identity, joint_of, laterality_shown, with_hand

# Mean joint positions (unit RMS radius) of 222 synthetic hands (jsnviewer.phantom, seeds 0–110,
# right hands mirrored, generalised Procrustes). On the landmarked real hands in
# ../shared/data/real it names all 10 scored joints of every hand right as well.
_BASE = {
    "IP1": (1.413, 0.559), "PIP2": (0.471, -0.591), "PIP3": (-0.044, -0.529), "PIP4": (-0.520, -0.150),
    "PIP5": (-0.859, 0.286), "MCP1": (1.183, 1.164), "MCP2": (0.451, 0.263), "MCP3": (0.086, 0.396),
    "MCP4": (-0.247, 0.683), "MCP5": (-0.533, 0.924),
    "DIP2": (0.495, -1.108), "DIP3": (-0.129, -1.124), "DIP4": (-0.710, -0.696), "DIP5": (-1.058, -0.076),
}


TEMPLATE_NAMES: list[str] = list(_BASE)
TEMPLATE_LEFT = np.array(list(_BASE.values()), dtype=float)
_ARTICULATION_PASSES = 2
_UNMATCHED = 0.45  # distance (template units; MCP spacing is ~0.4) beyond which a point is better left unmatched


def fit_similarity(src: np.ndarray, dst: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """Least-squares s, R, t with dst ≈ s·R·src + t (no reflection); the pair check uses it too (pipeline.pairing)."""
    ms, md = src.mean(0), dst.mean(0)
    a, b = src - ms, dst - md
    u, sig, vt = np.linalg.svd(a.T @ b)
    d = np.sign(np.linalg.det(u @ vt)) or 1.0
    rot = (u @ np.diag([1.0, d]) @ vt).T
    var = (a ** 2).sum()
    s = float((sig * np.array([1.0, d])).sum() / var) if var > 0 else 1.0
    return s, rot, md - s * rot @ ms


def _assign(model_pts: np.ndarray, det: np.ndarray, tau: float) -> tuple[np.ndarray, np.ndarray, float]:
    """One-to-one assignment with dummies; returns matched (template idx, detection idx, cost)."""
    nm, nd = len(model_pts), len(det)
    d2 = ((model_pts[:, None, :] - det[None, :, :]) ** 2).sum(-1)
    big = 1e9
    cost = np.full((nm + nd, nd + nm), 0.0)
    cost[:nm, :nd] = d2
    cost[:nm, nd:] = big
    cost[:nm, nd:][np.arange(nm), np.arange(nm)] = tau ** 2  # template joint missing
    cost[nm:, :nd] = big
    cost[nm:, :nd][np.arange(nd), np.arange(nd)] = tau ** 2  # detection not a joint of this hand
    rows, cols = linear_sum_assignment(cost)
    sel = (rows < nm) & (cols < nd)
    return rows[sel], cols[sel], float(cost[rows, cols].sum())


def _fit(template: np.ndarray, det: np.ndarray, s: float, rot: np.ndarray, t: np.ndarray,
         tau: float, iters: int = 8) -> tuple[float, np.ndarray, np.ndarray]:
    """Alternate assignment and similarity fit; then swing each digit about its MCP.
    `tau` (pixels) is the same for every hypothesis so that their costs compare."""
    model = s * template @ rot.T + t
    ti = di = np.zeros(0, dtype=int)
    total = math.inf
    for _ in range(iters):
        ti, di, total = _assign(model, det, tau)
        if len(ti) < 3:
            break
        s, rot, t = fit_similarity(template[ti], det[di])
        model = s * template @ rot.T + t
    for _ in range(_ARTICULATION_PASSES):
        _articulate(model, {int(k): det[j] for k, j in zip(ti, di)})
        ti, di, total = _assign(model, det, tau)
    return total, ti, di


def _articulate(model: np.ndarray, matched: dict[int, np.ndarray]) -> None:
    """Rotate and stretch each digit's distal joints of the fitted template `model` about its MCP (fingers
    spread, bent) towards the matched points (template index -> point), in place."""
    for mcp, *distal in DIGIT_CHAINS.values():
        idx = [TEMPLATE_NAMES.index(n) for n in distal]
        pairs = [k for k in idx if k in matched]
        if not pairs:
            continue
        pivot = model[TEMPLATE_NAMES.index(mcp)]
        a = np.array([model[k] - pivot for k in pairs])
        b = np.array([matched[k] - pivot for k in pairs])
        ang = math.atan2(float((a[:, 0] * b[:, 1] - a[:, 1] * b[:, 0]).sum()), float((a * b).sum()))
        ang = max(-0.6, min(0.6, ang))
        c, sn = math.cos(ang), math.sin(ang)
        r2 = np.array([[c, -sn], [sn, c]])
        moved = (np.array([model[k] - pivot for k in idx]) @ r2.T)
        scale = float(np.clip((b * (a @ r2.T)).sum() / max((a ** 2).sum(), 1e-9), 0.75, 1.3))
        for k, v in zip(idx, moved * scale):
            model[k] = pivot + v


def _nn_spacing(pts: np.ndarray) -> float:
    d = np.sqrt(((pts[:, None, :] - pts[None, :, :]) ** 2).sum(-1))
    np.fill_diagonal(d, np.inf)
    return float(np.median(d.min(1)))


# Pairs of template joints whose images fix a similarity transform (hypothesis generation).
_ANCHORS = (("MCP2", "MCP5"), ("MCP2", "PIP2"), ("MCP3", "PIP3"), ("MCP4", "PIP4"), ("MCP3", "MCP5"), ("MCP2", "MCP4"))
_REFINED = 6  # best hypotheses per mirroring refined with assignment and articulation


def _hypotheses(template: np.ndarray, det: np.ndarray, unit: float, tau: float) -> list[tuple[float, complex, complex]]:
    """Similarity transforms z ↦ a·z + b mapping an anchor pair of the template onto every
    ordered pair of detections, scored by truncated nearest-neighbour distances both ways."""
    t = template[:, 0] + 1j * template[:, 1]
    d = det[:, 0] + 1j * det[:, 1]
    i, j = np.nonzero(~np.eye(len(d), dtype=bool))
    coeffs = []
    for na, nb in _ANCHORS:
        ta, tb = t[TEMPLATE_NAMES.index(na)], t[TEMPLATE_NAMES.index(nb)]
        a = (d[j] - d[i]) / (tb - ta)
        coeffs.append((a, d[i] - a * ta))
    a = np.concatenate([c[0] for c in coeffs])
    b = np.concatenate([c[1] for c in coeffs])
    ok = (np.abs(a) > 0.6 * unit) & (np.abs(a) < 1.6 * unit)
    a, b = a[ok], b[ok]
    if len(a) == 0:
        return []
    mapped = a[:, None] * t[None, :] + b[:, None]  # (H, T)
    dist = np.abs(mapped[:, :, None] - d[None, None, :])  # (H, T, D)
    cost = (np.minimum(dist.min(2), tau) ** 2).sum(1) + (np.minimum(dist.min(1), tau) ** 2).sum(1)
    order = np.argsort(cost)[: _REFINED * 4]
    out, seen = [], []
    for k in order:  # skip near-duplicates of a better hypothesis
        if any(abs(a[k] - a0) < 0.05 * unit and abs(b[k] - b0) < 0.2 * tau for a0, b0 in seen):
            continue
        seen.append((a[k], b[k]))
        out.append((float(cost[k]), complex(a[k]), complex(b[k])))
        if len(out) == _REFINED:
            break
    return out


def assign_identities(centres: np.ndarray, laterality: str | None = None) -> list[str | None]:
    """The joint identity of each detection centre ((n, 2) x, y in pixels); None for a box that
    fits no joint of the hand. `laterality` ("L"/"R"/None) is the declared hand.

    A radiograph of both hands (side by side, as rheumatoid arthritis is followed) is told by its cost:
    the detections are split between the hands at one of the widest gaps across the image, each side is
    named as a hand of its own, one left and one right, and the two hands are believed when each has
    `MIN_HAND_JOINTS` named and they fit clearly better than any one hand with the rest left over.
    Their joints are then named with their hand ("R MCP2", `jsnviewer.joints.with_hand`)."""
    det = np.asarray(centres, dtype=float).reshape(-1, 2)
    n = len(det)
    if n == 0:
        return []
    if n < 3:
        return [None] * n
    # The hand's scale from the spacing of neighbouring joints (robust to a stray box).
    unit = _nn_spacing(det) / _nn_spacing(TEMPLATE_LEFT)
    tau = _UNMATCHED * unit
    one = _name_hand(det, unit, tau, laterality)
    if one is None:
        return [None] * n
    two = _name_two_hands(det, unit, tau)
    if two is not None and two[0] < one[0] - _TWO_HANDS_MARGIN * tau ** 2:
        return two[1]
    return one[1]


def name_as_hand(centres: np.ndarray, side: str) -> list[str | None]:
    """The joint identity of each detection centre when the radiograph is known to show the `side` ("L"/"R")
    hand: the cheapest naming as that hand alone (a reader's word where the geometry cannot tell,
    `side_margin`); None for a box that fits no joint of it."""
    det = np.asarray(centres, dtype=float).reshape(-1, 2)
    if len(det) < 3:
        return [None] * len(det)
    unit = _nn_spacing(det) / _nn_spacing(TEMPLATE_LEFT)
    fit = _name_hand(det, unit, _UNMATCHED * unit, mirrors=(side,))
    return fit[1] if fit is not None else [None] * len(det)


def side_margin(centres: np.ndarray) -> float | None:
    """How much better the detection centres fit the hand they are named as than the other hand, from their
    geometry alone, in unmatched-joint prices (a well-found hand: 4–5; below one, which hand it is is a guess);
    None where they fit no hand."""
    det = np.asarray(centres, dtype=float).reshape(-1, 2)
    if len(det) < 3:
        return None
    unit = _nn_spacing(det) / _nn_spacing(TEMPLATE_LEFT)
    tau = _UNMATCHED * unit
    fits = [_name_hand(det, unit, tau, mirrors=(mirror,)) for mirror in ("L", "R")]
    if any(fit is None for fit in fits):
        return None
    return abs(fits[0][0] - fits[1][0]) / tau ** 2


MIN_HAND_JOINTS = 6  # named joints each hand of a two-hand radiograph needs
_TWO_HANDS_MARGIN = 1.0  # in unmatched-joint prices: how much better two hands must fit than one
_DECLARED_SIDE = 1.0  # in unmatched-joint prices: what naming the other hand than the file declares costs
_SPLITS_TRIED = 4  # the widest gaps across the image tried as the line between the hands


def _name_hand(det: np.ndarray, unit: float, tau: float, laterality: str | None = None, mirrors: tuple[str, ...] = ("L", "R")
               ) -> tuple[float, list[str | None], str] | None:
    """The cheapest naming of `det` as one hand (a left or a right one, of `mirrors`): (cost, names, "L" or "R");
    None without a hypothesis."""
    best: tuple[float, list[str | None], str] | None = None
    for mirror in mirrors:
        template = TEMPLATE_LEFT * np.array([1.0 if mirror == "L" else -1.0, 1.0])
        prior = 0.0 if laterality in (None, mirror) else _DECLARED_SIDE * tau ** 2
        for _, a, b in _hypotheses(template, det, unit, tau):
            s, th = abs(a), math.atan2(a.imag, a.real)
            rot = np.array([[math.cos(th), -math.sin(th)], [math.sin(th), math.cos(th)]])
            cost, ti, di = _fit(template, det, s, rot, np.array([b.real, b.imag]), tau)
            cost += prior
            if best is None or cost < best[0]:
                names: list[str | None] = [None] * len(det)
                for k, j in zip(ti, di):
                    names[j] = TEMPLATE_NAMES[k]
                best = (cost, names, mirror)
    return best


def _name_two_hands(det: np.ndarray, unit: float, tau: float) -> tuple[float, list[str | None]] | None:
    """The cheapest naming of `det` as a right and a left hand side by side, or None. A patient has one of
    each, so each side is named as either and the cheaper of the two ways to have one of each wins (a real
    right hand whose joints alone fit a left hand's better is named right beside a left hand)."""
    n = len(det)
    if n < 2 * MIN_HAND_JOINTS:
        return None
    order = np.argsort(det[:, 0], kind="stable")
    xs = det[order, 0]
    gaps = [(xs[k] - xs[k - 1], k) for k in range(MIN_HAND_JOINTS, n - MIN_HAND_JOINTS + 1) if xs[k] > xs[k - 1]]
    best: tuple[float, list[str | None]] | None = None
    for _, k in sorted(gaps, reverse=True)[:_SPLITS_TRIED]:
        parts = (order[:k], order[k:])
        named = [{side: _name_hand(det[part], unit, tau, mirrors=(side,)) for side in ("L", "R")} for part in parts]
        for sides in (("R", "L"), ("L", "R")):
            hands = [named[0][sides[0]], named[1][sides[1]]]
            if any(h is None or sum(name is not None for name in h[1]) < MIN_HAND_JOINTS for h in hands):
                continue
            cost = hands[0][0] + hands[1][0]
            if best is None or cost < best[0]:
                names: list[str | None] = [None] * n
                for part, (_, part_names, side) in zip(parts, hands):
                    for j, name in zip(part, part_names):
                        names[j] = with_hand(side, name) if name else None
                best = (cost, names)
    return best


# The template's mean distance between neighbouring MCPs (MCP2–MCP3, MCP3–MCP4, MCP4–MCP5).
TEMPLATE_MCP_SPACING = float(np.mean([np.hypot(*np.subtract(_BASE[f"MCP{d}"], _BASE[f"MCP{d + 1}"])) for d in (2, 3, 4)]))


def mcp_spacing(centres: np.ndarray, identities: list[str | None]) -> float | None:
    """The hand's size as its MCP spacing (mean distance between neighbouring MCP2–MCP5), in the
    units of `centres`, from every named joint: the ratio of the RMS radii of the named centres and
    of the same template joints (rotation and mirroring do not matter). None below four named joints.
    On a radiograph of both hands, the mean of the two hands' sizes."""
    sizes = []
    for pts, tpl in _named_points_by_hand(centres, identities).values():
        spread = ((tpl - tpl.mean(0)) ** 2).sum()
        if spread > 0:
            sizes.append(float(np.sqrt(((pts - pts.mean(0)) ** 2).sum() / spread)) * TEMPLATE_MCP_SPACING)
    return float(np.mean(sizes)) if sizes else None


def hand_side(centres: np.ndarray, identities: list[str | None]) -> str | None:
    """"L" or "R": which hand the named joints lay out, seen postero-anteriorly (the template is a left
    hand; a right hand is its mirror image, whatever the rotation). The sign of the determinant of the
    affine map from the template to the named centres; None below four named joints, when the
    layout is too flat to tell, or for the joints of two hands."""
    named = _named_points_by_hand(centres, identities)
    if len(named) != 1:
        return None
    pts, tpl = next(iter(named.values()))
    design = np.column_stack([tpl, np.ones(len(tpl))])
    linear = np.linalg.lstsq(design, pts, rcond=None)[0][:2].T
    det = float(np.linalg.det(linear))
    if abs(det) < 0.25 * float(np.sum(linear**2)) / 2:  # nearly degenerate: a line of joints says nothing
        return None
    return "L" if det > 0 else "R"


def hand_shown(stated: str | None, centres: np.ndarray, identities: list[str | None], both_chosen: bool = False
               ) -> str | None:
    """The hand a radiograph shows, as the Study panel, the report and results.csv say it: what is stated or its
    joints' names say (`laterality_shown`), else the hand its plainly named joints lie as (`hand_side`: the hand they
    were named as, a file of one hand stating none)."""
    return laterality_shown(stated, identities, both_chosen) or hand_side(centres, identities)


def expected_positions(centres: np.ndarray, identities: list[str | None]) -> dict[str, tuple[float, float]]:
    """Where each joint not named yet should lie, by hand: the template fitted to the hand's named joints
    (similarity, then each digit swung and stretched about its MCP as in the naming), for every hand with
    four named joints or more whose side its layout tells. Names carry their hand when the given ones do."""
    pts = np.asarray(centres, dtype=float).reshape(-1, 2)
    out: dict[str, tuple[float, float]] = {}
    for hand in _named_points_by_hand(pts, identities):
        rows = [k for k, name in enumerate(identities) if is_identity(name) and hand_of(name) == hand]
        names = [joint_of(identities[k]) for k in rows]
        side = hand or hand_side(pts[rows], names)
        if side is None:
            continue
        template = TEMPLATE_LEFT * np.array([1.0 if side == "L" else -1.0, 1.0])
        idx = [TEMPLATE_NAMES.index(name) for name in names]
        s, rot, t = fit_similarity(template[idx], pts[rows])
        model = s * template @ rot.T + t
        for _ in range(_ARTICULATION_PASSES):
            _articulate(model, dict(zip(idx, pts[rows])))
        for k, name in enumerate(TEMPLATE_NAMES):
            if name not in names:
                out[with_hand(hand, name)] = (float(model[k, 0]), float(model[k, 1]))
    return out


def names_with_hands(centres: np.ndarray, identities: list[str | None], image_width: float) -> list[str | None]:
    """The names of a radiograph's boxes once it is taken to show both hands: plainly named joints take the
    hand they lay out (`hand_side`), else the half of the image they lie on (seen postero-anteriorly the right
    hand is on the image's left; a file that declares one hand is wrong on such a film). Names with a hand
    and unnamed boxes stay."""
    plain = [k for k, name in enumerate(identities) if name is not None and hand_of(name) is None]
    if not plain:
        return list(identities)
    pts = np.asarray(centres, dtype=float).reshape(-1, 2)
    side = hand_side(pts[plain], [identities[k] for k in plain])
    if side is None:
        side = "R" if pts[plain, 0].mean() < image_width / 2 else "L"
    return [with_hand(side, name) if name is not None and hand_of(name) is None else name for name in identities]


def _named_points_by_hand(centres: np.ndarray, identities: list[str | None]) -> dict[str | None, tuple[np.ndarray, np.ndarray]]:
    """For each hand (None: plain names) with four named joints or more, the centres of its named joints
    and their template positions."""
    pts = np.asarray(centres, dtype=float).reshape(-1, 2)
    hands: dict[str | None, list[tuple[int, str]]] = {}
    for k, name in enumerate(identities):
        if is_identity(name):
            hands.setdefault(hand_of(name), []).append((k, joint_of(name)))
    out = {}
    for hand, named in hands.items():
        if len(named) >= 4:
            out[hand] = (pts[[k for k, _ in named]], np.array([_BASE[name] for _, name in named]))
    return out
