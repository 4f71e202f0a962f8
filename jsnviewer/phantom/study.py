"""A synthetic baseline/follow-up study of one hand with its exact ground truth, and writing it out."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from jsnviewer.joints import BOTH, JOINT_IDENTITIES, with_hand
from jsnviewer.radiograph import Radiograph, StudyIdentity, save_radiograph
from jsnviewer.radiograph.dicom import read_identity

from .followup import FollowupChanges, bone_motions, followup_scene, global_motion
from .hand import Hand, build_hand
from .render import Exposure, Scene, Window, apply, bone_coverage, render, scale_of
from .truth import JointChangeTruth, JointTruth, StudyTruth, VisitTruth, write_truth

WIDTH, HEIGHT = 1490, 2010  # portrait, like the real hand radiographs
FORMATS = ("dcm", "png")
# Raised whenever `generate_study` draws other pixels, boxes or findings from the same arguments: what was kept of
# its studies (the finding classifier's synthetic patches, `findings_train.kept_phantom_patches`) is made again
PHANTOM_VERSION = 1


@dataclass
class PhantomStudy:
    baseline: Radiograph
    followup: Radiograph
    truth: StudyTruth


def _pixel_cover(box: tuple[float, float, float, float], width: int, height: int) -> Window:
    cx, cy, w, h = box
    x0, y0 = int(np.floor(cx - w / 2)), int(np.floor(cy - h / 2))
    x1, y1 = int(np.ceil(cx + w / 2)), int(np.ceil(cy + h / 2))
    return Window(x0, y0, x1 - x0, y1 - y0).clip(width, height)


def _visit_truth(hand: Hand, scene: Scene, motions: dict[str, np.ndarray] | None) -> VisitTruth:
    """Boxes and masks of every joint, in the baseline (motions None) or the follow-up."""
    by_name = {b.name: b for b in scene.bones}
    joints = []
    for identity in JOINT_IDENTITIES:
        site = hand.joints[identity]
        c, a = site.placement.centre, site.placement.axis
        side = site.box_side_px
        if motions is not None:
            up, lo = motions[site.upper], motions[site.lower]
            cu, cl = np.array(apply(up, *c)), np.array(apply(lo, *c))
            c = (cu + cl) / 2.0
            a = lo[:2, :2] @ a
            side *= scale_of(lo)
            a = a / np.hypot(*a)
        box = (float(c[0]), float(c[1]), float(side), float(side))
        win = _pixel_cover(box, hand.width, hand.height)
        upper = bone_coverage(by_name[site.upper], win)
        lower = bone_coverage(by_name[site.lower], win)
        if site.bridge is not None:
            bridge = bone_coverage(by_name[site.bridge], win)
            x, y = win.centres()
            distal = (x - c[0]) * a[0] + (y - c[1]) * a[1] > 0
            upper |= bridge & distal
            lower |= bridge & ~distal
        joints.append(JointTruth(identity, box, dict(site.findings), upper, lower, (win.x0, win.y0), (float(c[0]), float(c[1])), (float(a[0]), float(a[1]))))
    return VisitTruth(joints)


# The demo study (`jsnviewer demo`, `jsnviewer analyze --demo`): more joints with ankylosis or subluxation
# than a typical hand, to show them all.
DEMO_SEED = 7
DEMO_FINDINGS_RATE = 0.35
PHANTOM_PATIENT_NAME = "Phantom^Hand"  # every phantom radiograph's patient (the ID says its seed)
DEMO_PATIENT_ID = f"PHANTOM-{DEMO_SEED}"  # as every version's demo wrote it


def phantom_patient_id(seed: int) -> str:
    """The patient ID of a phantom study other than the demo: never the demo's, which every version wrote as
    "PHANTOM-7", so that a phantom of seed 7 an annotator saved is not taken for a copy of the demo."""
    return f"SYNTHETIC-{seed}"


def demo_study() -> PhantomStudy:
    return generate_study(DEMO_SEED, findings_rate=DEMO_FINDINGS_RATE, patient_id=DEMO_PATIENT_ID)


def is_demo_radiograph(path: str | Path) -> bool:
    """Whether a file is one of the demo study's radiographs, as any version wrote them: a DICOM file of the demo's
    patient (`DEMO_PATIENT_ID`, `PHANTOM_PATIENT_NAME`). Its pixels and bytes changed with the phantom's versions, the
    patient did not; a PNG of the phantom names no patient name."""
    identity = read_identity(Path(path))
    return identity is not None and (identity.patient_id, identity.patient_name) == (DEMO_PATIENT_ID, PHANTOM_PATIENT_NAME)


def generate_study(
    seed: int,
    laterality: str | None = None,
    pixel_size_mm: float = 0.175,
    findings_rate: float = 0.15,
    erosion_rate: float = 0.1,
    noise: bool = True,
    patient_id: str | None = None,
) -> PhantomStudy:
    """A baseline and a follow-up radiograph of one synthetic hand, with exact ground truth; both hands
    side by side with `laterality="B"` (`both_hands`).

    `findings_rate` is the chance that a joint has ankylosis or subluxation (half each),
    `erosion_rate` the chance of a marginal erosion. Same arguments, bit-identical study. The patient is
    `phantom_patient_id(seed)` unless `patient_id` is given (the demo's).
    """
    study = _study(seed, laterality, pixel_size_mm, findings_rate, erosion_rate, noise)
    if patient_id is None:
        return study
    visits = [replace(r, identity=replace(r.identity, patient_id=patient_id))
              for r in (study.baseline, study.followup)]
    return replace(study, baseline=visits[0], followup=visits[1])


def _study(seed: int, laterality: str | None, pixel_size_mm: float, findings_rate: float, erosion_rate: float,
           noise: bool) -> PhantomStudy:
    if laterality not in (None, "L", "R", BOTH):
        raise ValueError(f"laterality must be 'L', 'R' or 'B' (both hands), not {laterality!r}")
    if not 0.05 <= pixel_size_mm <= 0.5:
        raise ValueError(f"pixel size {pixel_size_mm} mm is outside 0.05–0.5 mm")
    if laterality == BOTH:
        return both_hands(seed, pixel_size_mm, findings_rate, erosion_rate, noise)
    return _one_hand(seed, laterality, pixel_size_mm, findings_rate, erosion_rate, noise, [seed, 0x_4A7D])


def _one_hand(seed: int, laterality: str | None, pixel_size_mm: float, findings_rate: float, erosion_rate: float,
              noise: bool, rng_seed: list[int]) -> PhantomStudy:
    rng = np.random.default_rng(rng_seed)
    laterality = laterality or str(rng.choice(["L", "R"]))
    hand = build_hand(rng, laterality, pixel_size_mm, WIDTH, HEIGHT, findings_rate, erosion_rate)
    changes = FollowupChanges.random(rng, hand)
    motions = bone_motions(hand, changes)
    scene_f = followup_scene(hand, motions, changes)
    exposure = Exposure(
        soft_density=float(rng.uniform(0.013, 0.02)),
        heel=float(rng.uniform(0.04, 0.12)),
        blur_px=float(rng.uniform(0.6, 0.9)) * 0.175 / pixel_size_mm,
        photons=float(rng.uniform(2000.0, 5000.0)),
        saturation=float(rng.uniform(1.7, 2.2)),
        background=float(rng.uniform(150.0, 700.0)),
        sharpen=float(rng.uniform(0.3, 1.0)),
        sharpen_px=2.0 / pixel_size_mm,
        noise=noise,
    )
    exposure_f = Exposure(**{**exposure.__dict__, "photons": exposure.photons * float(rng.uniform(0.8, 1.25))})
    img_b = np.round(render(hand.scene, WIDTH, HEIGHT, exposure, rng))
    img_f = np.round(render(scene_f, WIDTH, HEIGHT, exposure_f, rng))

    changes_truth = {}
    for identity in JOINT_IDENTITIES:
        site = hand.joints[identity]
        changes_truth[identity] = JointChangeTruth(identity, motions[site.upper], motions[site.lower], changes.jsn_mm[identity], changes.flexion_deg[identity])
    truth = StudyTruth(
        seed=int(seed),
        laterality=laterality,
        pixel_size_mm=float(pixel_size_mm),
        image_size=(WIDTH, HEIGHT),
        baseline=_visit_truth(hand, hand.scene, None),
        followup=_visit_truth(hand, scene_f, motions),
        changes=changes_truth,
        global_transform=global_motion(changes, WIDTH, HEIGHT),
    )
    from pydicom.uid import generate_uid

    first = date(2018, 1, 1) + timedelta(days=int(rng.integers(0, 1500)))
    later = first + timedelta(days=int(rng.integers(180, 800)))
    radiographs = [
        Radiograph(
            pixels=img,
            bits_stored=12,
            pixel_size_mm=float(pixel_size_mm),
            identity=StudyIdentity(
                patient_id=phantom_patient_id(seed),
                study_date=when,
                laterality=laterality,
                modality="DX",
                body_part="HAND",
                study_uid=generate_uid(entropy_srcs=["jsnviewer phantom", str(seed), visit]),  # same seed, same UID
                patient_name=PHANTOM_PATIENT_NAME,
            ),
        )
        for img, when, visit in ((img_b, first, "baseline"), (img_f, later, "followup"))
    ]
    return PhantomStudy(radiographs[0], radiographs[1], truth)


def both_hands(seed: int, pixel_size_mm: float = 0.175, findings_rate: float = 0.15, erosion_rate: float = 0.1,
               noise: bool = True) -> PhantomStudy:
    """Both hands of one patient side by side on each visit's radiograph, as rheumatoid arthritis is followed:
    the right hand on the image's left (a postero-anterior film seen as usual), each hand moved and its joints
    changed on its own between the visits. Joints are named with their hand ("R MCP2"); the files state no
    laterality. `truth.global_transform` is the right hand's repositioning."""
    hands = {side: _one_hand(seed, side, pixel_size_mm, findings_rate, erosion_rate, noise, [seed, 0x_4A7D, n])
             for n, side in enumerate(("R", "L"), start=1)}
    right, left = hands["R"], hands["L"]
    shift = np.array([[1.0, 0.0, WIDTH], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])  # the left hand's half of the image

    def moved(m: np.ndarray, side: str) -> np.ndarray:
        return m if side == "R" else shift @ m @ np.linalg.inv(shift)

    def visit(name: str) -> VisitTruth:
        joints = []
        for side, study in hands.items():
            dx = 0 if side == "R" else WIDTH
            for j in getattr(study.truth, name).joints:
                joints.append(JointTruth(with_hand(side, j.identity), (j.box[0] + dx, *j.box[1:]), j.findings, j.upper_mask,
                                         j.lower_mask, (j.window_xy[0] + dx, j.window_xy[1]), (j.centre[0] + dx, j.centre[1]), j.axis))
        return VisitTruth(joints)

    changes = {with_hand(side, k): JointChangeTruth(with_hand(side, k), moved(c.upper_transform, side), moved(c.lower_transform, side),
                                                  c.jsn_mm, c.flexion_deg)
               for side, study in hands.items() for k, c in study.truth.changes.items()}
    truth = StudyTruth(seed=int(seed), laterality=BOTH, pixel_size_mm=float(pixel_size_mm), image_size=(2 * WIDTH, HEIGHT),
                       baseline=visit("baseline"), followup=visit("followup"), changes=changes,
                       global_transform=right.truth.global_transform)
    radiographs = [
        Radiograph(pixels=np.concatenate([getattr(right, name).pixels, getattr(left, name).pixels], axis=1), bits_stored=12,
                   pixel_size_mm=float(pixel_size_mm), identity=replace(getattr(right, name).identity, laterality=BOTH))
        for name in ("baseline", "followup")
    ]
    return PhantomStudy(radiographs[0], radiographs[1], truth)


def write_study(folder: str | Path, study: PhantomStudy, format: str = "dcm") -> Path:
    """`baseline.<fmt>`, `followup.<fmt>`, `masks/*.png` and (last) `truth.json` in `folder`."""
    if format not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}, not {format!r}")
    folder = Path(folder)
    new = not folder.exists()
    try:
        save_radiograph(folder / f"baseline.{format}", study.baseline, format)
        save_radiograph(folder / f"followup.{format}", study.followup, format)
        return write_truth(folder, study.truth)
    except BaseException:
        if new:  # a folder this call made and could not fill (a full disk) is not left to look like a study
            shutil.rmtree(folder, ignore_errors=True)
        raise
