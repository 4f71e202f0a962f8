"""The analysed joints as training crops: what the segmenter and the registration learn from.

After an analysis, the baseline and follow-up crops of each joint the annotator confirmed (the
pipeline's upright 256×256 crops at a common scale) and the bone masks the segmenter gave them are
written into the dataset's joint_crops/ (jsnviewer/dataset.py documents the layout), one folder per
joint of one patient's hand, so `jsnviewer train segmenter|registration --data DATASET` can learn
from them. A joint is confirmed when its measurement is reliable and, on each visit, a box of the
user's (not a proposal waiting for review) overlaps the analysed box by IoU ≥ 0.5, the two boxes
with the same identity: it is filed under that identity, the user's. A joint the user deleted,
renamed on one visit only or left unreviewed, and an unreliable pair (which may be two different
joints), would teach the models what the annotator did not confirm.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from jsnviewer.dataset import SAME_BOX_IOU, AnnotationDataset, JointAnnotation, box_iou, image_id_of
from jsnviewer.errors import DatasetError
from jsnviewer.joints import SIDES, hand_of, joint_of
from jsnviewer.pipeline.result import Box, JointResult, StudyResult


@dataclass(frozen=True)
class SavedJointCrops:
    """What save_joint_crops wrote, and the analysed joints it left out (their analysis identities)."""

    crops: list[Path]
    left_out: list[str]


def joint_key(patient_id: str, laterality: str | None, identity: str) -> str:
    """The folder name of one joint of one patient's hand, the same on every visit.

    The patient ID enters only through a hash, so the dataset names no patient; the
    laterality and the joint identity stay readable (like the real crops' `<case>_<L|R>_<joint>`).
    """
    digest = hashlib.sha256(f"jsnviewer-joint\x00{patient_id}\x00{laterality or ''}".encode()).hexdigest()[:12]
    return f"{digest}_{laterality or 'U'}_{identity}"


def is_demo_joint(folder_name: str) -> bool:
    """Whether a joint_crops folder holds a joint of the demo study (written before the demo became a sandbox)."""
    from jsnviewer.phantom.study import DEMO_PATIENT_ID

    return any(folder_name.startswith(joint_key(DEMO_PATIENT_ID, side, "")) for side in ("L", "R", None))


def users_box(box: Box, joints: Sequence[JointAnnotation]) -> JointAnnotation | None:
    """The user's box of the joint analysed at `box` on one visit: the reviewed box overlapping it
    most, by IoU ≥ SAME_BOX_IOU (None: the user deleted it or has not reviewed it)."""
    scored = [(box_iou(box, joint.box), joint) for joint in joints if joint.reviewed]
    iou, joint = max(scored, default=(0.0, None), key=lambda item: item[0])
    return joint if iou >= SAME_BOX_IOU else None


def confirmed_identity(joint: JointResult, baseline_joints: Sequence[JointAnnotation],
                       followup_joints: Sequence[JointAnnotation]) -> str | None:
    """The user's identity of an analysed joint whose crops are training data (module docstring), else None."""
    if not joint.reliable:
        return None
    baseline = users_box(joint.baseline.box, baseline_joints)
    followup = users_box(joint.followup.box, followup_joints)
    if baseline is None or followup is None or baseline.identity != followup.identity:
        return None
    return baseline.identity


def _folder_saved_before(dataset: AnnotationDataset, key: str, unsided: str, crop_id: str) -> str:
    """The folder a joint's crops go to: `key`, unless this study's crops were saved before under the hand unknown
    (`unsided`: a version that did not take a file's unstated hand from its joints). Saved again, they stay there:
    two folders of one joint would hold the same crops twice and could fall on both sides of a training split."""
    if key != unsided and (dataset.joint_crops_dir / unsided / f"{crop_id}.png").is_file():
        return unsided
    return key


def save_joint_crops(dataset: AnnotationDataset, result: StudyResult, baseline, followup,
                     baseline_joints: Sequence[JointAnnotation],
                     followup_joints: Sequence[JointAnnotation]) -> SavedJointCrops:
    """Write each confirmed joint's baseline and follow-up crop with its two bone masks, under the
    user's identity; returns the crops written and the joints left out.

    `baseline` and `followup` are the analysed `Radiograph`s (read from files: a crop is named by
    its radiograph's dataset image id, so saving the same study again overwrites, never duplicates);
    `baseline_joints` and `followup_joints` the annotations of the two visits as the user left them.
    Without a patient ID the baseline's image id stands for the patient: that joint's folder then
    holds this study's two visits only.
    """
    ids = []
    for radiograph in (baseline, followup):
        if radiograph.path is None:
            raise DatasetError("joint crops are saved only for radiographs read from a file")
        ids.append(image_id_of(radiograph.path))
    patient = result.baseline.patient_id or result.followup.patient_id or f"image-{ids[0]}"
    laterality = next((v.laterality for v in (result.baseline, result.followup) if v.laterality in SIDES), None)
    written, left_out = [], []
    for joint in result.joints:
        identity = confirmed_identity(joint, baseline_joints, followup_joints)
        if identity is None:
            left_out.append(joint.identity)
            continue
        c = joint.crops
        key = joint_key(patient, hand_of(identity) or laterality, joint_of(identity))  # "R MCP2": the right hand's
        key = _folder_saved_before(dataset, key, joint_key(patient, hand_of(identity), joint_of(identity)), ids[0])
        # one physical size on both visits: the baseline crop's mm per crop pixel are the follow-up's too
        written.append(dataset.save_joint_crop(key, ids[0], c.fixed, c.fixed_upper, c.fixed_lower,
                                               c.baseline_frame.scale, c.mm_per_px))
        written.append(dataset.save_joint_crop(key, ids[1], c.moving, c.moving_upper, c.moving_lower,
                                               c.followup_frame.scale, c.mm_per_px))
    return SavedJointCrops(written, left_out)
