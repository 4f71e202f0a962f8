"""Checks that a baseline and a follow-up radiograph belong together. Warnings, never exceptions."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from jsnviewer.joints import SIDES
from jsnviewer.radiograph.model import IGNORED_PIXEL_SIZE, Radiograph


@dataclass(frozen=True)
class PairWarning:
    # "same-image", "different-patient", "patient-not-stated", "followup-before-baseline", "different-laterality",
    # "pixel-size-unknown"
    code: str
    message: str

    def __str__(self) -> str:
        return self.message

    @property
    def is_note(self) -> bool:
        """Something the files do not say (a pixel size, a patient ID), no sign that the pair is wrong."""
        return self.code in ("pixel-size-unknown", "patient-not-stated")


def check_pair(baseline: Radiograph, followup: Radiograph) -> list[PairWarning]:
    warnings: list[PairWarning] = []
    same_image = baseline.pixels.shape == followup.pixels.shape and np.array_equal(baseline.pixels, followup.pixels)
    if same_image:
        warnings.append(PairWarning(
            "same-image", "Baseline and follow-up are the same image (identical pixels): there is no change to measure."))
    a, b = baseline.identity, followup.identity
    conflicts = identity_conflicts(a, b)
    if "different-patient" in conflicts:
        warnings.append(PairWarning(
            "different-patient",
            f"Baseline and follow-up have different patient IDs ({a.patient_id} and {b.patient_id}).",
        ))
    unstated = [name for name, identity in (("baseline", a), ("follow-up", b)) if not identity.patient_id]
    # two JPEGs of one patient are the usual case: said once, no joint doubted for it; not at all beside the same
    # image twice, which is one patient's whatever its files say
    if unstated and not same_image:
        who = "Neither radiograph states a" if len(unstated) == 2 else f"The {unstated[0]} states no"
        warnings.append(PairWarning(
            "patient-not-stated", f"{who} patient ID: that both are of the same patient was not checked."))
    if "followup-before-baseline" in conflicts:
        warnings.append(PairWarning(
            "followup-before-baseline",
            f"The follow-up ({b.study_date.isoformat()}) is dated before the baseline ({a.study_date.isoformat()}).",
        ))
    if "different-laterality" in conflicts:
        warnings.append(PairWarning(
            "different-laterality",
            f"Baseline is a {_hand(a)}, follow-up a {_hand(b)}.",
        ))
    unknown = [(name, r) for name, r in (("baseline", baseline), ("follow-up", followup)) if r.pixel_size_mm is None]
    if unknown:
        ignored = "".join(f" The {name}'s stated pixel size was {r.pixel_size_source}." for name, r in unknown
                          if r.pixel_size_source.startswith(IGNORED_PIXEL_SIZE))
        warnings.append(PairWarning(
            "pixel-size-unknown",
            f"Pixel size of the {' and '.join(name for name, _ in unknown)} is unknown: JSN is given in pixels, not mm.{ignored}",
        ))
    return warnings


def identity_conflicts(baseline, followup) -> set[str]:
    """Where what the two visits' files say of themselves contradicts a pair of one hand: "different-patient",
    "followup-before-baseline", "different-laterality". Each is a StudyIdentity or a result's VisitInfo
    (patient_id, study_date as dates or ISO text, laterality); what a file does not state contradicts nothing."""
    a, b = baseline, followup
    conflicts = set()
    if a.patient_id and b.patient_id and a.patient_id != b.patient_id:
        conflicts.add("different-patient")
    if a.study_date and b.study_date and b.study_date < a.study_date:
        conflicts.add("followup-before-baseline")
    # both hands ("B") beside one hand is no contradiction: the analysis compares that hand's joints (`match_hands`)
    if a.laterality in SIDES and b.laterality in SIDES and a.laterality != b.laterality:
        conflicts.add("different-laterality")
    return conflicts


def _hand(identity) -> str:
    """'left hand', 'right hand (named by the reader)' where the reader named it, not the file."""
    return f"{SIDES[identity.laterality]} hand" + (" (named by the reader)" if identity.laterality_by_reader else "")
