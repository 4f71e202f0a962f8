"""Writing a StudyResult for people and programs: results.json, results.csv, overview.png (drawn by
`jsnviewer.pipeline.overview`) and the per-joint pictures (crops, masks, loss spectra). Every file is
written atomically.

A CSV or picture is often read away from its folder (attached to a record, opened in a spreadsheet), so
each says whose it is: every CSV row carries the patient ID, both study dates, the hand and the pair's
warnings, and overview.png shows both visits' identity and, above everything, the warnings. Patient
names are never written. Joints are listed in anatomical order (`JOINT_IDENTITIES`), as in the window."""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path

import numpy as np
from PIL import Image

from jsnviewer import __version__
from jsnviewer.atomic import atomic_write, atomic_write_bytes, atomic_write_json, name_target, sync_folders
from jsnviewer.detection.thresholds import THRESHOLD_LABELS
from jsnviewer.device import device_said
from jsnviewer.errors import JsnError
from jsnviewer.joints import ALL_IDENTITIES, anatomical, file_stem
from jsnviewer.pipeline.overview import display_grey, overview_image
from jsnviewer.pipeline.provenance import models_used, weights_said
from jsnviewer.pipeline.result import VISIT_NAMES, StudyResult, UnpairedJoint, VisitInfo, hand_said
from jsnviewer.registration.methods import METHODS

STUDY_COLUMNS = ["patient_id", "baseline_date", "followup_date", "hand"]
CSV_COLUMNS = [*STUDY_COLUMNS, "identity", "status", "jsn_mm", "jsn_px", "reliable", "baseline_findings", "followup_findings",
               "ankylosis_confidence_followup", "subluxation_confidence_followup", "original_loss",
               "transformed_loss", "reliability_reasons", "study_warnings",
               "study_notes"]
RESULT_FILES = ("results.json", "results.csv", "overview.png")
LAST_WRITTEN = Path("results.json")  # of a study's result files, moved into its folder last (`complete_result`)
STAGING_PREFIX = ".jsnviewer-writing-"
STAGING_ABANDONED_S = 3600.0
JOINT_PICTURE = re.compile(rf"({'|'.join(file_stem(i) for i in ALL_IDENTITIES)})_(fixed|moving|fixed_masks|moving_masks|spectrum_original|spectrum_transformed)\.png")
WARNINGS_SEPARATOR = " | "
# The status of a joint's row, in results.csv and summary.csv alike (a researcher joins the two on it)
MEASURED, NOT_MEASURED = "measured", "not measured"


def study_cells(baseline: VisitInfo | None, followup: VisitInfo | None) -> dict[str, str]:
    """Whose study a CSV row belongs to: the baseline's patient ID (the follow-up's where the baseline does not
    say), both study dates and the study's hand (`hand_said`; a joint's row gives its joint's); empty where
    unknown."""
    visits = [v for v in (baseline, followup) if v is not None]
    return {"patient_id": next((v.patient_id for v in visits if v.patient_id), ""),
            "baseline_date": (baseline and baseline.study_date) or "",
            "followup_date": (followup and followup.study_date) or "",
            "hand": hand_said(baseline, followup)}


# Names Windows keeps for its devices, with or without an ending: a file or folder cannot be called so there
_WINDOWS_DEVICES = {"CON", "PRN", "AUX", "NUL", *(f"{port}{n}" for port in ("COM", "LPT") for n in range(1, 10))}


def safe_name(name: str) -> str:
    """`name` as one file or folder name: no separators, never "." or ".." or hidden, nor a name Windows keeps for a
    device (a study "CON" or "aux"), short enough for any file system."""
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)[:60].strip(".") or "study"
    return f"_{safe}" if safe.split(".")[0].upper() in _WINDOWS_DEVICES else safe


def study_file_name(result: StudyResult, what: str) -> str:
    """The name an export of `result` is proposed under, one a reader keeps beside other studies': `what`, the
    patient ID and both study dates, "jsn-report_P001_2019-05-02_2021-06-07" (never the patient's name);
    "undated" for one date not stated, the ID or both dates left out where not stated; both IDs where the two visits
    state different patients, so that such a pair's files are not taken for the baseline patient's."""
    b, f = result.baseline, result.followup
    patients = list(dict.fromkeys(visit.patient_id for visit in (b, f) if visit.patient_id))
    dates = [visit.study_date or "undated" for visit in (b, f)] if b.study_date or f.study_date else []
    return "_".join([what, *(safe_name(patient) for patient in patients), *dates])


def unnamed_boxes_note(result: StudyResult) -> str | None:
    """'7 boxes (4 on the baseline and 3 on the follow-up) fit no finger joint of the hand …', or None: for results.csv
    and results.json, where no picture shows the boxes' grey."""
    return result.not_measured(colour=False)[-1] if any(u.identity is None for u in result.unpaired) else None


# Said wherever a result is read away from the program's docs: the report, Help ▸ About, the README.
INTENDED_USE = ("jsnviewer is not a certified medical device: its joints, findings and JSN values support a reader's "
                "own reading of the radiographs and do not replace it.")


def software_text(result: StudyResult) -> str:
    """Which program and which weights files made `result`: 'jsnviewer 0.1.0, with the shipped models; models:
    segmenter.pt (SHA-256 3f1c0e9a7b2d4c61), …' (the first 16 hex digits, as results.json's settings.models; the
    weights in words as the window's results panel says them)."""
    said = weights_said(result)
    files = [f"{'' if m.file.stem == m.name else m.name + ' = '}{m.file.name} (SHA-256 {m.sha256})"
             for m in models_used(result)]
    return (f"jsnviewer {__version__}{', ' + said[0].lower() + said[1:] if said else ''}; "
            f"models: {', '.join(files) or 'not recorded'}")


def settings_said(settings: dict) -> str:
    """The settings that made a result, in the Settings dialog's words with the paper's symbols in brackets:
    'Settings: registration by quick first match (network) + fine sub-pixel match (default), run on CPU; detection
    confidence (t_conf) 0.9; …' ("not recorded" for what the result does not say)."""
    method = settings.get("registration_method")
    device = settings.get("device")
    thresholds = "; ".join(f"{label[0].lower()}{label[1:]} {settings.get(name, 'not recorded')}"
                           for name, label in THRESHOLD_LABELS.items())
    return (f"Settings: registration by {METHODS.get(method, method or 'a method not recorded')}, run on "
            f"{device_said(device) if device else 'a device not recorded'}; {thresholds}.")


def _confidence(confidences: dict[str, float], name: str) -> str:
    return f"{confidences[name]:.3f}" if name in confidences else ""


def joint_rows(result: StudyResult) -> list[dict[str, str]]:
    """The measured joints, in anatomical order, as plain numbers (no '+': spreadsheets read them), each with its hand."""
    rows = []
    for j in anatomical(result.joints):
        reg = j.registration
        rows.append({
            "identity": j.identity,
            "hand": hand_said(result.baseline, result.followup, j.identity),
            "jsn_mm": "" if j.jsn_mm is None else f"{j.jsn_mm:.4f}",
            "jsn_px": f"{j.jsn_px:.4f}",
            "reliable": "yes" if j.reliable else "no",
            "baseline_findings": j.baseline.findings_said(),
            "followup_findings": j.followup.findings_said(),
            "ankylosis_confidence_followup": _confidence(j.followup.confidences, "ankylosis"),
            "subluxation_confidence_followup": _confidence(j.followup.confidences, "subluxation"),
            "original_loss": f"{reg.original_loss:.5f}",
            "transformed_loss": f"{reg.transformed_loss:.5f}",
            "reliability_reasons": j.reasons_in_one_line(),
        })
    return rows


def _found_on(result: StudyResult, joint: UnpairedJoint) -> tuple[VisitInfo | None, VisitInfo | None]:
    """(baseline, follow-up) with only the visits `joint` was found on: what its hand is said of. A joint found on
    one visit says nothing of the other's hand."""
    return tuple(getattr(result, v) if joint.on_both_visits or v == joint.visit else None for v in VISIT_NAMES)


def not_measured_rows(result: StudyResult) -> list[dict[str, str]]:
    """A row per named joint that was not measured, with its hand on the visits it was found on, then one row for all
    the boxes that fit no finger joint. They have no value, so `reliable` is left empty: a filter on reliable = no
    counts the unreliable values only."""
    rows = [{"identity": u.identity, "hand": hand_said(*_found_on(result, u), u.identity), "reliable": "",
             "reliability_reasons": f"{VISIT_NAMES[u.visit]}: {u.reason}"}
            for u in anatomical(result.unpaired) if u.identity is not None]
    note = unnamed_boxes_note(result)
    return rows + ([{"identity": "", "reliable": "", "reliability_reasons": note}] if note else [])


def csv_rows(result: StudyResult) -> list[dict[str, str]]:
    """results.csv: every row says whose study it is and carries the study's warnings."""
    study = dict(study_cells(result.baseline, result.followup), study_warnings=WARNINGS_SEPARATOR.join(result.warnings),
                 study_notes=WARNINGS_SEPARATOR.join(result.notes))
    return ([dict(study, status=MEASURED, **row) for row in joint_rows(result)]
            + [dict(study, status=NOT_MEASURED, **row) for row in not_measured_rows(result)])


# A spreadsheet takes a cell starting with one of these for a formula: a manifest's study id or a file name such as
# "=HYPERLINK(…)" would run as one when results.csv or summary.csv is opened.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_cell(value) -> str:
    """A CSV cell as a spreadsheet shows it: text that would start a formula is kept as text (a leading "'"); a
    number ("-0.1234") stays a number."""
    text = "" if value is None else str(value)
    if text.startswith(_FORMULA_START):
        try:
            float(text)
        except ValueError:
            return "'" + text
    return text


def csv_text(columns: list[str], rows: list[dict]) -> str:
    """The CSV of `rows` (only `columns`, in that order), every cell `spreadsheet_cell`."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    writer.writerows({k: spreadsheet_cell(v) for k, v in row.items()} for row in rows)
    return buf.getvalue()


def write_csv(path: str | Path, result: StudyResult) -> Path:
    return atomic_write_bytes(path, csv_text(CSV_COLUMNS, csv_rows(result)).encode("utf-8"))


def _png(path: Path, array: np.ndarray) -> None:
    atomic_write(path, lambda tmp: Image.fromarray(array).save(tmp, format="PNG"))


def write_joint_pictures(folder: Path, result: StudyResult) -> None:
    """joints/<identity>_{fixed,moving,fixed_masks,moving_masks,spectrum_original,spectrum_transformed}.png"""
    for j in result.joints:
        c, reg = j.crops, j.registration
        _png(folder / f"{file_stem(j.identity)}_fixed.png", display_grey(c.fixed))
        _png(folder / f"{file_stem(j.identity)}_moving.png", display_grey(c.moving))
        for name, upper, lower in (("fixed", c.fixed_upper, c.fixed_lower), ("moving", c.moving_upper, c.moving_lower)):
            rgb = np.zeros(upper.shape + (3,), np.uint8)
            rgb[..., 0] = upper * 255
            rgb[..., 2] = lower * 255
            _png(folder / f"{file_stem(j.identity)}_{name}_masks.png", rgb)
        spectra = [s for s in (reg.spectrum_original, reg.spectrum_transformed) if s is not None]
        if spectra:
            top = max(float(np.max(s)) for s in spectra) or 1.0
            for name, s in (("original", reg.spectrum_original), ("transformed", reg.spectrum_transformed)):
                if s is not None:
                    _png(folder / f"{file_stem(j.identity)}_spectrum_{name}.png", (np.clip(s / top, 0, 1) * 255).astype(np.uint8))


def previous_results(folder: str | Path) -> list[Path]:
    """The files an earlier `write_results` left in `folder`, and nothing else a user keeps there."""
    folder = Path(folder)
    files = [folder / name for name in RESULT_FILES if (folder / name).is_file()]
    joints = folder / "joints"
    if joints.is_dir():
        files += sorted(p for p in joints.iterdir() if JOINT_PICTURE.fullmatch(p.name) and p.is_file())
    return files


def replaced_by_results(folder: str | Path, files: Iterable[str | Path | None]) -> Path | None:
    """The first of `files` (the radiographs, a manifest: what the user keeps) that writing results into
    `folder` would delete or overwrite, because it bears a result file's name there; None if none does."""
    folder = Path(folder).resolve()
    for file in files:
        if file is None:
            continue
        path = Path(file).resolve()
        if (path.parent == folder and path.name in RESULT_FILES) or \
                (path.parent == folder / "joints" and JOINT_PICTURE.fullmatch(path.name)):
            return path
    return None


def keep_radiographs(folder: str | Path, radiographs: Iterable[str | Path | None]) -> None:
    """JsnError when writing results into `folder` would replace one of the study's `radiographs`."""
    kept = replaced_by_results(folder, radiographs)
    if kept is not None:
        raise JsnError(f"{folder}: the results would replace the radiograph {kept.name} there (a result file's "
                       "name); choose another folder for the results")


def write_results(out_dir: str | Path, result: StudyResult, baseline, followup) -> dict[str, Path]:
    """Write results.json, results.csv, overview.png and joints/*.png into `out_dir`, replacing the
    `previous_results` there so no other study's pictures stay beside them. Everything is written
    into a hidden staging folder first: if that fails (a full disk), the earlier results are untouched.
    A radiograph of the study that bears a result file's name there is never replaced: JsnError."""
    out = Path(out_dir)
    keep_radiographs(out, (getattr(r, "path", None) for r in (baseline, followup)))
    out.mkdir(parents=True, exist_ok=True)
    _remove_abandoned_staging(out)
    try:
        stage = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=out))
    except OSError as exc:
        name_target(exc, exc.filename, out)
        raise
    try:
        _write_all(stage, result, baseline, followup)
        for old in previous_results(out):  # results.json first: what is left without it is no complete result
            old.unlink()
        # results.json last, the folder synced before it: a folder with results.json holds the whole of one write
        # (`complete_result`), a write cut short anywhere (killed, a power cut) none
        written = sorted((p for p in stage.rglob("*") if p.is_file()), key=lambda p: p.relative_to(stage) == LAST_WRITTEN)
        for new in written:
            if new.relative_to(stage) == LAST_WRITTEN:
                sync_folders(out, out / "joints")
            target = out / new.relative_to(stage)
            target.parent.mkdir(exist_ok=True)
            os.replace(new, target)
    except OSError as exc:
        name_target(exc, stage, out)
        raise
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return {"json": out / "results.json", "csv": out / "results.csv", "overview": out / "overview.png"}


def complete_result(folder: str | Path) -> bool:
    """Whether `folder` holds the whole of a `write_results`: its results.json, moved there last, and the other
    result files beside it. A write cut short (killed, a power cut) leaves no results.json."""
    folder = Path(folder)
    return all((folder / name).is_file() for name in RESULT_FILES)


def _remove_abandoned_staging(out: Path) -> None:
    """Staging folders of writes killed half-way (they hold patient pictures), not touched for an hour: one
    that is younger may be another program's write in progress."""
    for stage in out.glob(f"{STAGING_PREFIX}*"):
        try:
            abandoned = stage.is_dir() and time.time() - stage.stat().st_mtime > STAGING_ABANDONED_S
        except OSError:
            continue
        if abandoned:
            shutil.rmtree(stage, ignore_errors=True)


def _write_all(out: Path, result: StudyResult, baseline, followup) -> None:
    atomic_write_json(out / "results.json", result.to_json())
    write_csv(out / "results.csv", result)
    picture = overview_image(result, baseline, followup)
    atomic_write(out / "overview.png", lambda tmp: picture.save(tmp, format="PNG"))
    write_joint_pictures(out / "joints", result)
