"""The follow-up analysis: detect the joints on both visits, pair them by identity, crop each
joint upright at a common scale, split it into its two bones and register them (baseline F,
follow-up G) to measure JSN progression. `analyze` is the one entry point for the GUI, the
command line and the benchmark; `progress(fraction, stage)` may raise to cancel.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from jsnviewer.detection.thresholds import Thresholds
from jsnviewer.device import at_most_cpu_threads
from jsnviewer.errors import JsnError
from jsnviewer.joints import SIDES, names_a_hand, other_side
from jsnviewer.pipeline.geometry import CROP_SIZE, CropFrame, bones_off_the_edge, crop_side_px, joint_axes
from jsnviewer.pipeline.pairing import hand_size_ratio, match_hands, misplaced_pairs
from jsnviewer.pipeline.result import JointCrops, JointDetectionInfo, JointResult, StudyResult, UnpairedJoint, VisitInfo
from jsnviewer.registration.methods import DEFAULT_METHOD, comparison_method
from jsnviewer.registration.result import BONE_NAMES, CHECK_THE_JOINT, ReliabilityRule
from jsnviewer.words import counted

log = logging.getLogger(__name__)

Progress = Callable[[float, str], None]
# The hand-size ratio away from 1 (in mm; in px without pixel sizes) beyond which the follow-up is cropped
# to the hand's size: more than the registration absorbs.
RESCALE_BEYOND = 0.05
OTHER_PATIENT = ("the radiographs have different patient IDs, so this may be two patients' joints, whose difference "
                 "is no narrowing (see the warnings): check that both radiographs are of the same patient")
OTHER_HAND = ("the radiographs show a left and a right hand, or one of them is mirrored, so this may not be one joint "
              "seen twice (see the warnings): check that both radiographs are of the same hand and neither is mirrored")
OTHER_BONES = ("the bones of the study's joints do not lie on each other as one hand's do (see the warnings), so this may "
               "be two patients' joints, whose difference is no narrowing: check that both radiographs are of the same "
               "patient")
PIXEL_SIZE_DOUBTFUL = 0.15  # beyond this, stated pixel sizes that disagree with the hands are called likely wrong


class AnalysisError(JsnError):
    """The analysis cannot go on (e.g. no hand on a radiograph); the message says which file and why. Of one
    radiograph, `radiograph` is its path and `reason` the why, as a RadiographError's."""

    def __init__(self, reason: str, radiograph: Path | None = None):
        self.radiograph, self.reason = radiograph, reason
        super().__init__(f"{radiograph.name}: {reason}" if radiograph else reason)


class NoHandToAnalyse(AnalysisError):
    """A picture that cannot be a radiograph (one grey, noise, a few greys), refused before the joint search, or
    one in which the search found no finger joint: the program did not fail, the picture was not analysed."""


@dataclass(frozen=True)
class AnalysisSettings:
    device: str = "auto"
    registration_method: str = DEFAULT_METHOD
    thresholds: Thresholds = field(default_factory=Thresholds)  # the joint search's t_conf, t_IoU1, M1, M2, t_IoU2
    # user-chosen weights files (retrained models); None: the shipped ones
    weights: dict[str, str | None] = field(default_factory=dict)

    def to_json(self) -> dict:
        t = self.thresholds
        return {"device": self.device, "registration_method": self.registration_method, "conf": t.conf,
                "iou1": t.iou1, "m1": t.m1, "m2": t.m2, "iou2": t.iou2,
                "weights": {k: v for k, v in self.weights.items() if v}}


@dataclass
class AnalysisModels:
    """The three models, loaded once and reused across analyses."""

    detector: object
    segmenter: object
    registrator: object
    device: str
    # {model name: {"file": path, "sha256": first 16 hex digits}}: which weights produced a result
    weights_files: dict[str, dict[str, str]] = field(default_factory=dict)

    @classmethod
    def load(cls, settings: AnalysisSettings = AnalysisSettings()) -> AnalysisModels:
        """Load the shipped (or the user's) weights; a missing or damaged file is a WeightsError naming it (every
        missing file, or a models folder that does not exist, in one)."""
        from jsnviewer.detection.detector import JointDetector
        from jsnviewer.device import choose_device
        from jsnviewer.registration.model import load_model
        from jsnviewer.registration.register import Registrator
        from jsnviewer.segmentation.infer import BoneSegmenter
        from jsnviewer.weights import missing_files, models_needed, resolve_weights, weights_sha256

        w = settings.weights
        files = {name: resolve_weights(name, w.get(name)) for name in models_needed(settings.registration_method)}
        missing = missing_files(files)
        if missing is not None:  # every missing file at once, not the first of them run after run
            raise missing
        device = choose_device(settings.device)
        detector = JointDetector.load(w.get("detector_ankylosis"), w.get("detector_subluxation"), device=device.type,
                                      findings=w.get("joint_findings"))
        segmenter = BoneSegmenter.load(w.get("segmenter"), device=device.type)
        model = None if settings.registration_method == "poc" else load_model(w.get("registration"))
        registrator = Registrator(model=model, method=settings.registration_method)
        used = {name: {"file": str(path.resolve()), "sha256": weights_sha256(path)} for name, path in files.items()}
        log.info("models loaded on %s: %s", device.type,  # which weights analysed, in the window's log
                 ", ".join(f"{name} {u['file']} (SHA-256 {u['sha256']}…)" for name, u in used.items()))
        return cls(detector, segmenter, registrator, device.type, used)


def settings_record(settings: AnalysisSettings, models: AnalysisModels) -> dict:
    """What made a result, as results.json's `settings` records it: the settings, the device the models ran on and
    the weights files they read, each with its digest (`AnalysisModels.weights_files`)."""
    return dict(settings.to_json(), device=models.device, models=models.weights_files)


def _no_progress(fraction: float, stage: str) -> None:
    pass


def with_corrections(found: list, corrected: list) -> list:
    """One visit's joints with the user's boxes in place of the detector's: a named box of the user's stands for
    the detection of the same joint (the same name, or overlapping it by SAME_BOX_IOU) with the user's name and
    findings; the user's other named boxes are added, the detector's other joints kept. Unnamed boxes cannot be
    paired across the visits and are left out."""
    from jsnviewer.dataset import answers
    from jsnviewer.detection.detector import Detection

    users = [j for j in corrected if j.identity]
    kept = [d for d in found if not any(answers(u, d.identity, d.box) for u in users)]
    return kept + [Detection(tuple(u.box), u.identity, 1.0, dict(u.findings), source="user") for u in users]


def pair_detections(baseline: list, followup: list) -> tuple[dict[str, tuple], list[UnpairedJoint]]:
    """Pair the two visits' detections by joint identity.

    Returns {identity: (baseline detection, follow-up detection)} and the joints left without a
    partner, each with the reason. Of two boxes given the same identity, the higher score wins.
    """
    unpaired: list[UnpairedJoint] = []
    best: list[dict[str, object]] = []
    for visit, detections in (("baseline", baseline), ("followup", followup)):
        chosen: dict[str, object] = {}
        for det in sorted(detections, key=lambda d: -d.score):
            if det.identity is None:
                unpaired.append(UnpairedJoint(None, visit, det.box, "no joint identity could be given to this box"))
            elif det.identity in chosen:
                unpaired.append(UnpairedJoint(det.identity, visit, det.box, f"a second box named {det.identity}; the stronger one was kept"))
            else:
                chosen[det.identity] = det
        best.append(chosen)
    pairs = {k: (best[0][k], best[1][k]) for k in best[0] if k in best[1]}
    for visit, chosen, other in (("baseline", best[0], "follow-up"), ("followup", best[1], "baseline")):
        for identity, det in chosen.items():
            if identity not in pairs:
                unpaired.append(UnpairedJoint(identity, visit, det.box, f"not found on the {other} radiograph"))
    return pairs, unpaired


def crop_frames(baseline_box, followup_box, baseline_up, followup_up, baseline_mm: float | None,
                followup_mm: float | None, size_ratio: float = 1.0) -> tuple[CropFrame, CropFrame, float | None]:
    """The two crop frames of one joint, showing it at one scale, and the crop's mm per pixel.

    The size comes from the baseline box; the follow-up crop covers `size_ratio` times the baseline's
    pixels (follow-up pixels per baseline pixel: `followup_scale`). There are millimetres only when both
    visits state a pixel size; they are the baseline's.
    """
    side = crop_side_px(baseline_box)
    scale_b = side / CROP_SIZE
    fb = CropFrame(centre=(baseline_box[0], baseline_box[1]), up=baseline_up, scale=scale_b)
    ff = CropFrame(centre=(followup_box[0], followup_box[1]), up=followup_up, scale=scale_b * size_ratio)
    return fb, ff, (scale_b * baseline_mm if baseline_mm and followup_mm else None)


def followup_scale(pairs: dict[str, tuple], baseline_mm: float | None,
                   followup_mm: float | None) -> tuple[float, str | None]:
    """Follow-up pixels per baseline pixel for the crops of the joints paired by name (`pair_detections`),
    and a warning when the visits' scale is in doubt.

    The stated pixel sizes set the scale (the same millimetres in both crops) as long as the hands agree
    with them. A hand keeps its size, so the hands' sizes (`hand_size_ratio`, from the joints named on
    both visits) decide when the stated sizes, or, without them, the pixels, make the follow-up hand more
    than `RESCALE_BEYOND` larger or smaller than the baseline's (more than the registration absorbs): the
    follow-up is then cropped to the hand's size, with a warning.
    """
    stated = baseline_mm / followup_mm if baseline_mm and followup_mm else None
    ratio = hand_size_ratio(pairs)
    if ratio is None:
        return stated or 1.0, None
    if stated is not None:
        in_mm = ratio / stated
        if abs(in_mm - 1) <= RESCALE_BEYOND:
            return stated, None
        cause = ("one of them is likely wrong: check them" if abs(in_mm - 1) > PIXEL_SIZE_DOUBTFUL
                 else "a changed magnification, or a wrong pixel size")
        return ratio, (f"By the stated pixel sizes ({baseline_mm:g} mm on the baseline, {followup_mm:g} mm on the "
                       f"follow-up) the follow-up hand measures {in_mm:.0%} of its baseline size: {cause}. A hand keeps "
                       "its size, so each follow-up joint was cropped to the hand's size before measuring; JSN in mm "
                       "uses the baseline's pixel size.")
    if abs(ratio - 1) > RESCALE_BEYOND:
        return ratio, (f"The follow-up shows the hand at {ratio:.0%} of its baseline size in pixels and a pixel size "
                       "is unknown: each follow-up joint was cropped to the hand's size before measuring.")
    return 1.0, None


# what a left and a right hand on the two visits may mean, and the remedy for the naming (menu item: gui/menus.py)
SIDES_DIFFER_CAUSES = ("another hand, one image mirrored, or the joints of one visit named as the other hand's? Check "
                       "the joint names (Edit ▸ Name joints as the other hand renames a visit's).")


def hand_sides_differ(baseline: list, followup: list, named: tuple[str | None, str | None] = (None, None)
                      ) -> str | None:
    """A warning when the joints lie as on a left hand on one visit and a right hand on the other
    (`hand_side_of`): another hand, an image flipped on export, or the joints of one visit named as the other hand's
    (a real hand against a copy of itself: the detector's naming, not the hand, differed); files need not say
    which hand they show.
    A visit's side the reader named (`named`: "L", "R" or None) is that visit's side, whatever the layout."""
    from jsnviewer.detection.detector import hand_side_of

    sides = [side or hand_side_of(dets) for side, dets in zip(named, (baseline, followup))]
    if None in sides or sides[0] == sides[1]:
        return None
    said = [f"a {SIDES[side]} hand on the {visit}" for side, visit in zip(sides, ("baseline", "follow-up"))]
    if named[0] and named[1]:
        text = f"The reader named {said[0]} and {said[1]}"
    elif named[0]:
        text = f"The reader named {said[0]}, but the joints lie as on {said[1]}"
    elif named[1]:
        text = f"The joints lie as on {said[0]}, but the reader named {said[1]}"
    else:
        text = f"The joints lie as on {said[0]} and {said[1]}"
    return f"{text}: {SIDES_DIFFER_CAUSES} JSN compares the joints of the same name."


def sides_stated_and_lying(radiograph, detections: list) -> tuple[str, str] | None:
    """(the hand a visit's file states, the hand its joints lie as: `hand_side_of`) where the two differ: the joints
    are named, and compared, as the hand they lie as. None where they agree or either is unknown, and for a hand the
    reader named (their naming decides)."""
    from jsnviewer.detection.detector import hand_side_of

    stated = radiograph.identity.laterality
    if stated not in SIDES or radiograph.identity.laterality_by_reader:
        return None
    side = hand_side_of(detections)
    return None if side is None or side == stated else (stated, side)


def side_stated_otherwise(visit: str, stated: str, lying: str) -> str:
    """The warning where a visit's file states one hand but its joints lie as the other's (`sides_stated_and_lying`)."""
    return (f"The {visit}'s file states a {SIDES[stated]} hand, but its joints lie as a {SIDES[lying]} hand's: "
            f"a wrong side in the file, or a mirrored image? Check which hand the {visit} shows.")


def side_in_doubt(contrary: dict[str, tuple[str, str]]) -> str:
    """The reason given for every joint of a study where a visit's file states one hand and its joints lie as the
    other's (`contrary`: visit → (stated, lying)). The fingers are named right either way (a mirrored hand's thumb is
    still its thumb), but which hand is not: a mirrored image's joints are compared as the other hand's, with that
    hand's joints on the other visit (the other hand of a film of both hands)."""
    said = " and ".join(f"the {visit}'s file says a {SIDES[stated]} hand but its joints lie as a {SIDES[lying]} hand's"
                        for visit, (stated, lying) in contrary.items())
    which = "each visit shows" if len(contrary) > 1 else f"the {next(iter(contrary))} shows"
    return (f"{said} (a wrong side in the file, or a mirrored image: see the warnings), so this may not be one joint "
            f"seen twice: check which hand {which} and the joint names")


# One hand's bones, its size matched (`followup_scale`), lie on their baseline at one common size; another patient's
# bones each at its own (proportions differ). Measured (docs/pipeline.md, "Another patient's hand"): the spread of the
# bones' size changes (the median distance of their logarithms from their median) is 1.5 % (99.99 %), 1.9 % at most,
# in 100,000 studies of 8 joints drawn from real repeat visits of one joint (joint_crops), none with a third of its
# joints resized; a real hand against itself moved ≤ 0.1 %; two patients' real hands of one side 1.15–7.9 %, 65 of
# 68 pairs warned by the spread or by the share resized beyond `ReliabilityRule.max_size_change`.
OTHER_BONES_FEWEST = 8  # measured joints: fewer say too little
OTHER_BONES_SPREAD = 0.02
OTHER_BONES_SHARE = 1 / 3


def bones_of_another_hand(registrations: list, rule: ReliabilityRule) -> str | None:
    """A warning when the follow-up's bones do not lie on the baseline's as one hand's do: their size changes
    (`BoneTransform.dz` of both bones of each joint) scatter by `OTHER_BONES_SPREAD` or more about their common
    size, or a third of the joints had to change size beyond `rule.max_size_change`: two patients' hands of one
    side, which files without a patient ID do not tell apart. None with fewer than `OTHER_BONES_FEWEST` joints."""
    n = len(registrations)
    if n < OTHER_BONES_FEWEST:
        return None
    sizes = np.log([[r.upper.dz, r.lower.dz] for r in registrations])
    spread = float(np.median(np.abs(sizes - np.median(sizes))))
    resized = sum(any(abs(b.dz - 1.0) > rule.max_size_change for b in (r.upper, r.lower)) for r in registrations)
    if spread < OTHER_BONES_SPREAD and resized < OTHER_BONES_SHARE * n:
        return None
    beyond = f", at {resized} of the {n} joints by more than {rule.max_size_change:.0%}" if resized else ""
    return (f"The bones do not lie on each other as one hand's: once the hands' sizes were matched, the follow-up's "
            f"bones of {counted(n, 'joint')} still had to change size by {np.expm1(spread):.1%} each about their common "
            f"size (median; one hand's by under 2%){beyond}. The radiographs may be of two patients' hands, whose "
            "difference is no narrowing: check that both are of the same patient.")


LIKE_A_HAND = 0.5  # share of the boxes found that must lie where a hand's joints do: a page of text 7 of 19, the
# 16 real hands (hands_ra2, hands_rsna_shsnet) 0.75 or more
FEWEST_TO_JUDGE = 6  # boxes: fewer say too little of the picture


def not_like_a_hand(detections: list, visit: str) -> str | None:
    """A warning when the boxes found mostly fit no joint of a hand (a page of text, a foot, another body part):
    the detectors fire on such pictures too, and their findings and JSN would be read as a hand's. Boxes
    someone drew are not judged."""
    if len(detections) < FEWEST_TO_JUDGE or any(d.source == "user" for d in detections):
        return None
    named = sum(d.identity is not None for d in detections)
    if named >= LIKE_A_HAND * len(detections):
        return None
    return (f"The {visit} may not be a hand radiograph: only {named} of the {len(detections)} boxes found lie where a "
            "hand's joints do. Check that the right file was opened; its joints, findings and JSN are not to be trusted.")


def not_a_hand(visits: list[str]) -> str:
    """The reason given for every joint of a study where `not_like_a_hand` warned of a visit (`visits`: which)."""
    both = len(visits) > 1
    return (f"the {' and the '.join(visits)} may not be {'hand radiographs' if both else 'a hand radiograph'} (most of "
            f"the boxes found on {'them' if both else 'it'} lie where no hand's joints do; see the warnings), so this may "
            "be no joint at all: check that the right files were opened")


def findings_not_assessed(visit: str) -> str:
    """Why a visit's findings are not given where `not_like_a_hand` warned of it."""
    return (f"the {visit} may not be a hand radiograph (see the warnings), and the detectors call findings on other "
            "pictures too")


def visit_warnings(radiograph, detections: list, visit: str) -> list[str]:
    """What the boxes found on one visit say of it: that it may not show a hand, else that its side is a guess."""
    warning = not_like_a_hand(detections, visit) or hand_side_guessed(radiograph, detections, visit)
    return [warning] if warning else []


SIDE_GUESSED = "Which hand the {visit} shows is a guess"  # how `hand_side_guessed`'s warning starts
SIDE_GUESSED_BELOW = 1.0  # unmatched-joint prices (`identity.side_margin`); the 16 real hands named right: ≥ 1.48


def hand_side_guessed(radiograph, detections: list, visit: str) -> str | None:
    """A warning when which hand the joints are named as is a guess: the file does not say, the joints fit the
    other hand almost as well (joints missed, boxes on the wrist), and nobody has named them yet. Every name
    is then possibly its mirror's (the thumb's IP1 named PIP5)."""
    from jsnviewer.detection.detector import hand_side_of
    from jsnviewer.detection.identity import side_margin

    if radiograph.identity.laterality in SIDES or any(d.source == "user" for d in detections):
        return None
    if names_a_hand(d.identity for d in detections):
        return None
    side, margin = hand_side_of(detections), side_margin(np.array([d.box[:2] for d in detections], dtype=float))
    if side is None or margin is None or margin >= SIDE_GUESSED_BELOW:
        return None
    other = SIDES[other_side(side)]
    return (f"{SIDE_GUESSED.format(visit=visit)}: its joints were named as a {SIDES[side]} hand's, which they fit "
            f"only a little better than a {other} hand's, and the file does not say. Check the names before accepting "
            "them: the thumb's joints are IP1 and MCP1.")


def analyze(baseline, followup, models: AnalysisModels | None = None, settings: AnalysisSettings = AnalysisSettings(),
            progress: Progress | None = None, detections: tuple[list, list] | None = None,
            corrections: tuple[list, list] | None = None) -> StudyResult:
    """Analyse a baseline and a follow-up `Radiograph` of one hand.

    `detections` (baseline, follow-up) replaces the detector. `corrections` (baseline, follow-up: the user's
    named boxes, `JointAnnotation`s) stand in for the detector's boxes of the same joints (`with_corrections`).
    Torch runs on `jsnviewer.device.cpu_threads()` threads at most (the per-joint registrations on one).
    """
    from jsnviewer.device import cpu_threads

    last_step = [""]  # what the analysis was doing, for the message when memory runs out

    def step(fraction: float, what: str) -> None:
        last_step[0] = what
        if progress is not None:
            progress(fraction, what)

    try:
        with at_most_cpu_threads(cpu_threads()):
            return _analyze(baseline, followup, models, settings, step, detections, corrections)
    except MemoryError as exc:
        raise JsnError(_out_of_memory(baseline, followup, last_step[0])) from exc


def _out_of_memory(baseline, followup, step: str) -> str:
    """What a reader is told when the computer's memory ran out: the step, the radiographs' sizes and what to do."""
    def said(r) -> str:
        return f"{r.path.name if r.path else 'radiograph'} {r.width} × {r.height} px"

    where = f" while {step[0].lower()}{step[1:]}" if step else ""
    return (f"not enough memory to analyse {said(baseline)} and {said(followup)}{where}: close other programs and "
            f"analyse again, or save the radiographs at a smaller size")


def _analyze(baseline, followup, models: AnalysisModels | None, settings: AnalysisSettings,
             progress: Progress | None, detections: tuple[list, list] | None,
             corrections: tuple[list, list] | None = None) -> StudyResult:
    from jsnviewer.detection.detector import hand_spacing
    from jsnviewer.radiograph import check_pair

    report = progress or _no_progress
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    report(0.0, "Checking the pair")
    for radiograph in (baseline, followup):
        _check_picture(radiograph)
    pair_warnings = check_pair(baseline, followup)
    warnings = [w.message for w in pair_warnings if not w.is_note]
    if models is None:
        report(0.01, "Loading models")
        models = AnalysisModels.load(settings)

    if detections is None:
        found = []
        for i, (name, radiograph) in enumerate((("baseline", baseline), ("follow-up", followup))):
            stage, start = f"Finding joints on the {name}", 0.02 + 0.3 * i
            report(start, stage)
            t = time.perf_counter()
            found.append(models.detector.detect(radiograph, settings.thresholds,
                                                progress=lambda f, stage=stage, start=start: report(start + 0.3 * f, stage)))
            timings[f"detect_{name.replace('-', '')}"] = time.perf_counter() - t
        detections = (found[0], found[1])
    if corrections is not None:
        detections = (with_corrections(detections[0], corrections[0]), with_corrections(detections[1], corrections[1]))
    for radiograph, dets in zip((baseline, followup), detections):
        if not dets:
            raise _no_joints(radiograph)

    for radiograph, dets, visit in zip((baseline, followup), detections, ("baseline", "follow-up")):
        warnings += visit_warnings(radiograph, dets, visit)
    # the warning alone left every joint's JSN looking trusted in the table, results.csv and the report
    doubted = [visit for dets, visit in zip(detections, ("baseline", "follow-up")) if not_like_a_hand(dets, visit)]
    no_hand = not_a_hand(doubted) if doubted else None
    # its findings are a text page's "ankylosis" as much as a hand's: not said as findings
    unassessed = {visit: findings_not_assessed(visit) for visit in doubted}
    report(0.62, "Pairing joints")
    contrary = {visit: sides for r, dets, visit in zip((baseline, followup), detections, ("baseline", "follow-up"))
                if (sides := sides_stated_and_lying(r, dets))}
    stated_otherwise = [side_stated_otherwise(visit, *sides) for visit, sides in contrary.items()]
    *detections, hands_warning = match_hands(*detections, (baseline.identity.laterality, followup.identity.laterality))
    if hands_warning:  # which hand of the other film's two is compared: said with it, once
        hands_warning, stated_otherwise = " ".join([hands_warning, *stated_otherwise]), []
    # what presumes a hand (both hands or one, the hand's size, its side) is not said of what may be none
    warnings += [hands_warning] if hands_warning and not doubted else []
    pairs, unpaired = pair_detections(*detections)
    axes_b = joint_axes({d.identity: d.box[:2] for d in detections[0] if d.identity})
    axes_f = joint_axes({d.identity: d.box[:2] for d in detections[1] if d.identity})

    t = time.perf_counter()
    size_ratio, size_warning = followup_scale(pairs, baseline.pixel_size_mm, followup.pixel_size_mm)
    # the files saying so already is enough
    sides_in_files = any(w.code == "different-laterality" for w in pair_warnings)
    named = tuple(r.identity.laterality if r.identity.laterality_by_reader else None for r in (baseline, followup))
    sides_warning = None if sides_in_files else hand_sides_differ(*detections, named)
    misplaced = misplaced_pairs(pairs, hand_spacing(detections[0]))
    if sides_in_files or sides_warning:  # the sides are said to differ already
        stated_otherwise = []
    if doubted:
        size_warning = sides_warning = None
        stated_otherwise = []
    warnings += [w for w in (size_warning, sides_warning, *stated_otherwise) if w]
    other_hand = OTHER_HAND if (sides_in_files or sides_warning) and not doubted else None
    # the warning alone (or said with the one of both hands) left every value "reliable", of whichever hand it is
    # both files wrong alike (both say the left hand, both lie as a right one's) still compare one hand with itself
    alike = len(contrary) == 2 and len(set(contrary.values())) == 1
    side_doubt = (side_in_doubt(contrary) if contrary and not alike and not (sides_in_files or sides_warning or doubted)
                  else None)
    other_patient = OTHER_PATIENT if any(w.code == "different-patient" for w in pair_warnings) else None
    comparison = comparison_method(models.registrator.method)
    identities = sorted(pairs)
    frames, fixed, moving = {}, [], []
    for identity in identities:
        db, df = pairs[identity]
        fb, ff, mm = crop_frames(db.box, df.box, axes_b[identity], axes_f[identity], baseline.pixel_size_mm,
                                 followup.pixel_size_mm, size_ratio)
        frames[identity] = (fb, ff, mm)
        fixed.append(fb.sample(baseline.pixels))
        moving.append(ff.sample(followup.pixels))
    timings["crop"] = time.perf_counter() - t

    report(0.66, "Splitting joints into bones")
    t = time.perf_counter()
    masks = models.segmenter.segment_batch(fixed + moving) if identities else []
    timings["segment"] = time.perf_counter() - t

    joints: list[JointResult] = []
    t = time.perf_counter()
    n = len(identities)
    with at_most_cpu_threads(1):
        for i, identity in enumerate(identities):
            report(0.72 + 0.27 * i / max(n, 1), f"Registering {identity}")
            db, df = pairs[identity]
            fb, ff, mm = frames[identity]
            (fu, fl), (mu, ml) = masks[i], masks[n + i]
            crops = JointCrops(fb, ff, fixed[i], moving[i], fu, fl, mu, ml, mm)
            unsplit = [(v, d) for v, d, u, l in (("baseline", db, fu, fl), ("followup", df, mu, ml)) if not (u.any() and l.any())]
            if unsplit:
                visit, det = unsplit[0]
                unpaired.append(UnpairedJoint(identity, visit, det.box, "the two bones of the joint could not be told apart",
                                              on_both_visits=True))
                continue
            # the reasons' lengths in the unit of the JSN beside them: mm, else px of the baseline radiograph (as jsn_px)
            registration = models.registrator.register(fixed[i], moving[i], fu, fl, mu, ml, pixel_size_mm=mm,
                                                       px_per_crop_px=fb.scale)
            for visit, frame, radiograph, upper, lower in (("baseline", fb, baseline, fu, fl), ("follow-up", ff, followup, mu, ml)):
                cut = bones_off_the_edge(frame, radiograph.pixels.shape, upper, lower)
                if cut:  # the registration aligns what is left of the bone: the value may be off, unseen
                    registration.reasons.append(off_the_edge(cut, visit))
            if identity in misplaced and not no_hand:  # two joints under one name: however well the bones align
                registration.reasons.append(elsewhere(identity, misplaced[identity]))
            if other_hand:  # the joints of one name are not one joint: however well the bones align
                registration.reasons.append(other_hand)
            if side_doubt:  # nor, maybe, are a mirrored image's joints and the other hand's
                registration.reasons.append(side_doubt)
            if other_patient:  # nor are two patients' joints: the warning alone left their values "reliable"
                registration.reasons.append(other_patient)
            if comparison:  # however well its bones align, such a method's value is not the measurement
                registration.reasons.append(comparison)
            if no_hand:  # a picture's boxes named as joints: however well they align
                registration.reasons.append(no_hand)
            joints.append(JointResult(identity, _info(db, unassessed.get("baseline")), _info(df, unassessed.get("follow-up")),
                                      crops, registration))
    # the bones of the whole hand say what one joint's cannot: two patients' hands of one side (files with no ID)
    bones_warning = (None if other_patient or other_hand or doubted or comparison else
                     bones_of_another_hand([j.registration for j in joints], models.registrator.rule))
    if bones_warning:  # the warning alone left their values "reliable"
        warnings.append(bones_warning)
        for joint in joints:
            joint.registration.reasons.append(OTHER_BONES)
    timings["register"] = time.perf_counter() - t
    timings["total"] = time.perf_counter() - t0
    if not joints:
        warnings.append(_nothing_measured(bool(pairs)))
    report(1.0, "Done")
    # the joints as compared: a one-hand visit's named with its hand by `match_hands` say that hand, not both
    visits = [VisitInfo.of(r, [d.identity for d in dets], [d.box[:2] for d in dets])
              for r, dets in zip((baseline, followup), detections)]
    return StudyResult(*visits, joints, unpaired, warnings,
                       settings_record(settings, models), timings,
                       notes=[w.message for w in pair_warnings if w.is_note])


def find_joints(radiograph, models: AnalysisModels | None = None, settings: AnalysisSettings = AnalysisSettings(),
                progress: Progress | None = None) -> list:
    """The joints (`Detection`s, with their findings) on one radiograph, for an annotator to accept or correct:
    the analysis's first step alone, which needs no second visit. AnalysisError when there is no hand to search
    or no joint is found."""
    from jsnviewer.device import cpu_threads

    report = progress or _no_progress
    _check_picture(radiograph)
    with at_most_cpu_threads(cpu_threads()):
        if models is None:
            report(0.0, "Loading models")
            models = AnalysisModels.load(settings)
        found = models.detector.detect(radiograph, settings.thresholds,
                                       progress=lambda f: report(f, "Finding joints"))
    if not found:
        raise _no_joints(radiograph)
    return found


def _check_picture(radiograph) -> None:
    from jsnviewer.radiograph.content import no_picture

    problem = no_picture(radiograph.pixels)
    if problem:  # the detectors would find "joints" in it
        raise NoHandToAnalyse(f"no hand to analyse: {problem}", radiograph.path)


def _no_joints(radiograph) -> NoHandToAnalyse:
    return NoHandToAnalyse("no finger joints were found; is this a posteroanterior hand radiograph?", radiograph.path)


def off_the_edge(bones: list[str], visit: str) -> str:
    """The reason given for a joint whose bones run off the edge of a radiograph."""
    names = " and ".join(BONE_NAMES[b] for b in bones)
    return (f"the joint's {names} bone{'s run' if len(bones) > 1 else ' runs'} off the edge of the {visit} radiograph, "
            "so part of it is not seen: judge this joint by eye, or take the radiograph again with the whole joint in it")


def elsewhere(identity: str, spacings: float) -> str:
    """The reason given for a pair of boxes that do not lie at the same place of the hand (`misplaced_pairs`)."""
    return (f"the boxes named {identity} lie at different places of the hand on the two radiographs ({spacings:.1f} joint "
            f"spacings apart once the hands are laid onto each other), so they may be two different joints: {CHECK_THE_JOINT}")


def _info(det, not_assessed: str | None = None) -> JointDetectionInfo:
    """One visit's joint; without its findings and their confidences where they were `not_assessed` (why)."""
    if not_assessed:
        return JointDetectionInfo(tuple(float(v) for v in det.box), {}, {}, float(det.score), not_assessed)
    return JointDetectionInfo(tuple(float(v) for v in det.box), dict(det.findings), dict(det.confidences), float(det.score))


def _nothing_measured(paired: bool) -> str:
    why = ("at no joint could the two bones be told apart" if paired else
           "no joint was found under the same name on both radiographs (are both of the same hand, fingers up?)")
    return f"No joint could be measured: {why}."
