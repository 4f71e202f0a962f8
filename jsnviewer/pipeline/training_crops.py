"""The analysed joints as training crops: what the segmenter and the registration learn from.

After an analysis, each paired joint's baseline and follow-up crops (the pipeline's upright
256×256 crops at a common scale) and the bone masks the segmenter gave them are written into the
dataset's joint_crops/ (jsnviewer/dataset.py documents the layout), one folder per joint of one
patient's hand, so `jsnviewer train segmenter|registration --data DATASET` can learn from them.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from jsnviewer.dataset import AnnotationDataset, image_id_of
from jsnviewer.errors import DatasetError
from jsnviewer.pipeline.result import StudyResult


def joint_key(patient_id: str, laterality: str | None, identity: str) -> str:
    """The folder name of one joint of one patient's hand, the same on every visit.

    The patient ID enters only through a hash, so the dataset names no patient; the
    laterality and the joint identity stay readable (like the real crops' `<case>_<L|R>_<joint>`).
    """
    digest = hashlib.sha256(f"jsnviewer-joint\x00{patient_id}\x00{laterality or ''}".encode()).hexdigest()[:12]
    return f"{digest}_{laterality or 'U'}_{identity}"


def save_joint_crops(dataset: AnnotationDataset, result: StudyResult, baseline, followup) -> list[Path]:
    """Write every paired joint's baseline and follow-up crop with its two bone masks; returns the crops.

    `baseline` and `followup` are the analysed `Radiograph`s (read from files: a crop is named by
    its radiograph's dataset image id, so saving the same study again overwrites, never duplicates).
    Without a patient ID the baseline's image id stands for the patient: that joint's folder then
    holds this study's two visits only.
    """
    ids = []
    for radiograph in (baseline, followup):
        if radiograph.path is None:
            raise DatasetError("joint crops are saved only for radiographs read from a file")
        ids.append(image_id_of(radiograph.path))
    patient = result.baseline.patient_id or result.followup.patient_id or f"image-{ids[0]}"
    laterality = result.baseline.laterality or result.followup.laterality
    written = []
    for joint in result.joints:
        c = joint.crops
        key = joint_key(patient, laterality, joint.identity)
        written.append(dataset.save_joint_crop(key, ids[0], c.fixed, c.fixed_upper, c.fixed_lower))
        written.append(dataset.save_joint_crop(key, ids[1], c.moving, c.moving_upper, c.moving_lower))
    return written
