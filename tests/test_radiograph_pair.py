"""check_pair: warnings when a baseline and a follow-up do not belong together."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import date

import numpy as np

from jsnviewer.radiograph import Radiograph, StudyIdentity, check_pair

BASE = StudyIdentity(patient_id="RA-1", study_date=date(2020, 1, 10), laterality="L", modality="CR", patient_name="A^B")


SEEDS = itertools.count()


def study(identity: StudyIdentity, size: float | None = 0.1, pixels: np.ndarray | None = None) -> Radiograph:
    if pixels is None:  # each radiograph its own exposure
        pixels = np.random.default_rng(next(SEEDS)).random((8, 8), dtype=np.float32)
    return Radiograph(pixels=pixels, pixel_size_mm=size, pixel_size_source="PixelSpacing", identity=identity)


def codes(baseline: Radiograph, followup: Radiograph) -> list[str]:
    return [w.code for w in check_pair(baseline, followup)]


def test_matching_pair_has_no_warning():
    assert check_pair(study(BASE), study(replace(BASE, study_date=date(2021, 1, 10)))) == []


def test_different_patients():
    warnings = check_pair(study(BASE), study(replace(BASE, patient_id="RA-2", study_date=date(2021, 1, 1))))
    assert [w.code for w in warnings] == ["different-patient"]
    assert "RA-1" in warnings[0].message and "RA-2" in warnings[0].message
    assert "A^B" not in warnings[0].message


def test_followup_dated_before_baseline():
    assert codes(study(BASE), study(replace(BASE, study_date=date(2019, 12, 31)))) == ["followup-before-baseline"]


def test_different_hands():
    assert codes(study(BASE), study(replace(BASE, laterality="R"))) == ["different-laterality"]


def test_unknown_pixel_size_on_either():
    warnings = check_pair(study(BASE), study(BASE, size=None))
    assert [w.code for w in warnings] == ["pixel-size-unknown"] and "follow-up" in warnings[0].message
    warnings = check_pair(study(BASE), study(BASE, size=50.0))
    assert [w.code for w in warnings] == ["pixel-size-unknown"]
    assert "The follow-up's stated pixel size was ignored: 50 mm (PixelSpacing)" in warnings[0].message


def test_unknown_fields_contradict_nothing_and_a_patient_id_not_stated_is_a_note_only():
    blank = StudyIdentity()
    assert codes(study(blank), study(BASE)) == codes(study(BASE), study(blank)) == ["patient-not-stated"]
    assert not any(w.code != "patient-not-stated" or not w.is_note for w in check_pair(study(blank), study(blank)))


def test_files_that_state_no_patient_id_say_once_that_the_patient_was_not_checked():
    """Two JPEGs (no patient ID): nothing said that they may be two patients' hands."""
    blank = StudyIdentity()
    neither = [w.message for w in check_pair(study(blank), study(blank))]
    assert neither == ["Neither radiograph states a patient ID: that both are of the same patient was not checked."]
    one = [w.message for w in check_pair(study(BASE), study(blank))]
    assert one == ["The follow-up states no patient ID: that both are of the same patient was not checked."]


def test_all_problems_at_once():
    other = StudyIdentity(patient_id="RA-9", study_date=date(2010, 1, 1), laterality="R")
    assert codes(study(BASE, size=None), study(other)) == [
        "different-patient", "followup-before-baseline", "different-laterality", "pixel-size-unknown"]


def test_the_same_pixels_twice_are_one_image_whatever_the_files_say():
    same = np.random.default_rng(7).random((8, 8), dtype=np.float32)
    later = replace(BASE, study_date=date(2021, 1, 10))
    assert codes(study(BASE, pixels=same), study(later, pixels=same.copy())) == ["same-image"]
    other = same.copy()
    other[3, 3] += 0.01
    assert codes(study(BASE, pixels=same), study(later, pixels=other)) == []


def test_the_same_jpeg_twice_is_not_said_to_be_unchecked_for_its_patient():
    """A JPEG opened as both visits: the warnings bar said "same image", and beside it that the patient of the two
    was not checked, as if the same pixels could be two patients'. The pixel size, which is unknown, is still said."""
    blank = StudyIdentity()
    same = np.random.default_rng(8).random((8, 8), dtype=np.float32)
    assert codes(study(blank, size=None, pixels=same), study(blank, size=None, pixels=same.copy())) == [
        "same-image", "pixel-size-unknown"]
    other = same.copy()
    other[2, 5] += 0.01
    assert codes(study(blank, size=None, pixels=same), study(blank, size=None, pixels=other)) == [
        "patient-not-stated", "pixel-size-unknown"]
