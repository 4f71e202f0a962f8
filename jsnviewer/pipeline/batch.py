"""A batch of studies (`jsnviewer batch`): the manifest that lists them, one folder of results per study and
summary.csv, one row per joint of every study. The command line prints; this module reads and writes."""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import io
import itertools
import json
import logging
import os
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from jsnviewer import __version__
from jsnviewer.atomic import atomic_write_bytes, check_writable, unwritable_reason
from jsnviewer.errors import JsnError, RadiographError, describe
from jsnviewer.pipeline.report import (CSV_COLUMNS, NOT_MEASURED, WARNINGS_SEPARATOR, complete_result, csv_rows, csv_text,
                                       previous_results, replaced_by_results, safe_name, study_cells, write_results)
from jsnviewer.pipeline.result import VisitInfo
from jsnviewer.weights import MODEL_TITLES
from jsnviewer.words import counted

log = logging.getLogger(__name__)

BATCH_COLUMNS = ["id", "folder", "status", "reason", "patient_id", "baseline_date", "followup_date", "hand", "identity",
                 "jsn_mm", "jsn_px", "reliable", "baseline_findings", "followup_findings", "warnings", "kept"]
VISITS = {"baseline": "baseline", "followup": "follow-up"}  # a manifest study's keys, in words


def read_manifest(path: Path, note: Callable[[str], None] = lambda text: None) -> list[dict[str, str]]:
    """The studies a manifest lists (id, baseline, followup, and a note when a row's cells did not all fit the
    header's columns); `note` hears what the user should know of how it was read."""

    text = _manifest_text(path, note)
    header, *lines = [cells for cells in csv.reader(io.StringIO(text), delimiter=_delimiter(text)) if cells] or [[]]
    # a row of empty cells is no study (spreadsheets save the rows someone cleared as ",,")
    lines = [cells for cells in lines if any(c.strip() for c in cells)]
    if not lines:
        raise JsnError(f"{path}: the manifest lists no studies")
    # "Follow up", "follow_up" and "Follow-Up" are one column as people type it
    names = ["-".join(c.strip().lower().replace("_", " ").split()) for c in header]
    columns = set(names)
    if "baseline" not in columns or not ({"follow-up", "followup"} & columns):
        found = ", ".join(c.strip() for c in header if c.strip()) or "no column names"
        raise JsnError(f"{path}: the manifest needs the columns baseline and follow-up in its first line, "
                       f"which has: {found}")
    twice = sorted({n for n in names if n in ("id", "baseline", "follow-up", "followup") and names.count(n) > 1})
    if twice or {"follow-up", "followup"} <= columns:
        raise JsnError(f"{path}: the manifest has the column {(twice or ['follow-up'])[0]} twice; which one is meant?")
    studies = []
    for n, cells in enumerate(lines, start=1):
        clean = {name: c.strip() for name, c in zip(names, cells) if name}
        study = {"id": clean.get("id") or f"study{n:03d}", "baseline": clean.get("baseline", ""),
                 "followup": clean.get("follow-up") or clean.get("followup", ""), "note": ""}
        unnamed = [c.strip() for name, c in itertools.zip_longest(names, cells, fillvalue="") if not name and c.strip()]
        if unnamed:
            study["note"] = (f"the manifest row has {counted(len(unnamed), 'cell')} more "
                             f"than its header names; ignored: {', '.join(unnamed)}")
            note(f"{study['id']}: {study['note']}")
        studies.append(study)
    return studies


def _delimiter(text: str) -> str:
    """The header line's separator: a comma, or the semicolon that Excel writes where the comma is the decimal
    separator (much of Europe), or a tab."""
    header = next((line for line in text.splitlines() if line.strip()), "")
    return max(",;\t", key=header.count) if any(header.count(d) for d in ",;\t") else ","


def _manifest_text(path: Path, note: Callable[[str], None]) -> str:
    """UTF-8 (with or without BOM), else Windows-1252: what Excel writes as "CSV UTF-8" and as plain "CSV"."""

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise JsnError(f"{path}: cannot read the manifest ({exc.strerror or exc})") from exc
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        text = "\x00"
    if "\x00" in text:  # UTF-16 or a binary file
        raise JsnError(f"{path}: the manifest is not UTF-8 text: save it as CSV UTF-8")
    note(f"{path.name} is not UTF-8; read as Windows-1252 text")
    return text


def keep_manifest(manifest: Path, out: Path) -> None:
    """Refuse an --out where the batch would write over its own manifest (summary.csv, or a study's results)."""

    here = manifest.resolve()
    if here == (out / "summary.csv").resolve() or \
            (here.parent.parent == out.resolve() and replaced_by_results(here.parent, [here])):
        raise JsnError(f"{manifest}: --out {out} would write the batch's results over this manifest; "
                       "choose another --out folder")


def check_out(out: Path) -> None:
    """JsnError, at once, when the results folder `out` cannot be made or written: not after every analysis has run
    (a few seconds each) only to fail on its write."""

    try:
        check_writable(out)
    except OSError as exc:
        raise JsnError(f"{out}: cannot write the results there ({unwritable_reason(out, exc)}); "
                       "choose another --out folder") from exc


def save_results(folder: Path, result, baseline, followup) -> tuple[dict[str, Path], int]:
    """write_results, with a failure (a full disk) naming the folder; also how many earlier result files it replaced."""

    try:
        replaced = len(previous_results(folder))
        return write_results(folder, result, baseline, followup), replaced
    except OSError as exc:
        raise JsnError(f"{folder}: cannot write the results ({exc.strerror or exc})") from exc


def analyse_study(study: dict[str, str], manifest_dir: Path, out: Path, folder: str, note: str, models,
                 settings) -> tuple[list[dict], list[str]]:
    """One study analysed and written to out/folder: its summary rows and its warnings (the pair checks'
    and the analysis's); any failure is one error row, with whose study it is where a file could be read."""
    from jsnviewer.pipeline.analyze import AnalysisError, analyze
    from jsnviewer.radiograph import load_radiograph

    row_notes = [study["note"]] if study.get("note") else []  # said whatever becomes of the study
    folder_notes = [note] if note else []
    visits: dict[str, VisitInfo] = {}
    try:
        missing = [word for visit, word in VISITS.items() if not study[visit]]
        if missing:
            raise JsnError(f"the manifest row names no {' nor '.join(missing)} file")
        radiographs, digests = [], []
        for visit in VISITS:
            path = manifest_dir / study[visit]  # an absolute cell stays as it is
            digests.append(input_sha256(path))
            try:
                radiographs.append(load_radiograph(path))
            except RadiographError as exc:  # the whole path whatever the reason, as for a missing file: which file of
                # which folder is what someone fixing the manifest or the files needs (a log shows no manifest)
                raise RadiographError(path.absolute(), exc.reason, whole_path=True) from exc
            visits[visit] = VisitInfo.of(radiographs[-1])
        try:
            result = with_file_digests(analyze(*radiographs, models, settings), *digests)
        except AnalysisError as exc:  # of one radiograph: named by its whole path, as one that cannot be read
            if exc.radiograph is None:
                raise
            raise AnalysisError(f"{exc.radiograph.absolute()}: {exc.reason}") from exc
        if save_results(out / folder, result, *radiographs)[1]:
            folder_notes.append(f"replaced the earlier results in {folder}")
    except KeyboardInterrupt:
        _remove_if_empty(out / folder)  # a write cut short leaves nothing there
        raise
    except Exception as exc:  # one study's failure, whatever it is, must not stop the others
        log.debug("study %s failed", study["id"], exc_info=True)
        _remove_if_empty(out / folder)  # a failed write leaves nothing there
        # an error row made no folder: no folder column, no folder note
        return [{"id": study["id"], "status": "error", "reason": describe(exc),
                 "warnings": WARNINGS_SEPARATOR.join(row_notes + earlier_results_note(out, folder)),
                 **study_cells(visits.get("baseline"), visits.get("followup"))}], []
    return result_rows(study["id"], folder, result, row_notes + folder_notes), list(result.warnings)


def input_sha256(path: Path) -> str | None:
    """The SHA-256 of a radiograph file, read before the file is loaded: a file changed while it is analysed is
    recorded by its earlier contents, so its result is never kept for the file as it is now (`earlier_result`).
    None where it cannot be read (loading it says why)."""
    from jsnviewer.dataset import file_sha256

    try:
        return file_sha256(path)
    except OSError:
        return None


def with_file_digests(result, baseline: str | None, followup: str | None):
    """`result` recording the SHA-256 of the two files analysed (results.json's baseline.sha256, followup.sha256)."""
    result.baseline = dataclasses.replace(result.baseline, sha256=baseline)
    result.followup = dataclasses.replace(result.followup, sha256=followup)
    return result


@dataclasses.dataclass(frozen=True)
class EarlierResult:
    """A study's complete result that an earlier run wrote into its folder, of the same files and settings."""

    record: dict  # its results.json
    cells: dict[str, str]  # whose study it is (`study_cells`)
    rows: list[dict]  # its results.csv's rows
    written: str  # when (`written_when`)


def earlier_result(folder: Path, study: dict[str, str], manifest_dir: Path, now: dict) -> tuple[EarlierResult | None, str]:
    """The result in `folder` that `--resume` keeps for `study`, and "": a complete result (`complete_result`) of
    the study's two files as they are now (the same names and SHA-256), made by this jsnviewer version with the
    settings, device and weights (by their SHA-256) `now` records (`settings_record`). Else None and why it is analysed
    again, "" where the folder holds no result at all."""
    if not complete_result(folder):
        return None, (f"its folder {folder.name} holds a partial result, written half (no results.json)"
                      if previous_results(folder) else "")
    try:
        record = json.loads((folder / "results.json").read_bytes())
        with (folder / "results.csv").open(encoding="utf-8", newline="") as fh:
            rows = list(csv.DictReader(fh))
        written = written_when(folder / "results.json")
        if not (isinstance(record, dict) and record.get("schema") == "jsnviewer-results"):
            raise ValueError("not a jsnviewer result")
        if rows and not set(CSV_COLUMNS) <= set(rows[0]):
            raise ValueError("results.csv lacks columns")
        cells = study_cells(*(VisitInfo(**record[visit]) for visit in VISITS))
    except (OSError, ValueError, TypeError, KeyError) as exc:
        return None, f"its results.json or results.csv in {folder.name} cannot be read ({describe(exc)})"
    version = (record.get("program") or {}).get("version")
    if version != __version__:
        return None, f"an earlier jsnviewer ({version or 'a version not recorded'}) analysed it, this is {__version__}"
    for visit, word in VISITS.items():
        if not study[visit]:
            return None, f"the manifest row names no {word} file"
        path = manifest_dir / study[visit]
        earlier = record.get(visit) or {}
        if earlier.get("file_name") != path.name:
            return None, f"the manifest names another {word} file ({path.name}; analysed earlier: {earlier.get('file_name')})"
        digest = input_sha256(path)
        if digest is None:
            return None, f"its {word} file {path.name} cannot be read"
        if digest != earlier.get("sha256"):  # none recorded: a result of the window's, whose files are not known
            return None, f"its {word} file {path.name} changed since it was analysed"
    recorded, now = record.get("settings") or {}, json.loads(json.dumps(now))  # as results.json holds it
    # the weights by their digests below, not by where the files were read from
    changed = [f"{key} {recorded.get(key)} (now {now.get(key)})"
               for key in sorted((set(recorded) | set(now)) - {"models", "weights"}) if recorded.get(key) != now.get(key)]
    if changed:
        return None, f"it was analysed with other settings: {', '.join(changed)}"
    models, models_now = recorded.get("models") or {}, now.get("models") or {}
    other = [MODEL_TITLES.get(name, name).lower() for name in sorted(set(models) | set(models_now))
             if (models.get(name) or {}).get("sha256") != (models_now.get(name) or {}).get("sha256")]
    if other:
        return None, f"it was analysed with other weights ({', '.join(other)})"
    return EarlierResult(record, cells, rows, written), ""


def kept_rows(study: dict[str, str], folder: str, note: str, earlier: EarlierResult) -> list[dict]:
    """summary.csv's rows of a study whose earlier result `--resume` kept: as the run that wrote it gave them (from
    its results.csv and results.json), marked in the column kept."""
    record = earlier.record
    notes = [n for n in (study.get("note"), note) if n]
    rows = summary_rows(study["id"], folder, earlier.cells, earlier.rows,
                        notes + record.get("warnings", []) + record.get("notes", []))
    return [dict(row, kept=f"from an earlier run ({earlier.written})") for row in rows]


def _remove_if_empty(folder: Path) -> None:
    with contextlib.suppress(OSError):
        folder.rmdir()


@contextlib.contextmanager
def no_empty_folder_left(out: Path) -> Iterator[None]:
    """A command that fails (or is interrupted) leaves none of the folders it made for `out` (`check_out` makes it
    and its parents) if they are empty: an empty results folder passes for an analysis that ran. A folder that was
    there before stays."""
    made = [folder for folder in (out, *out.parents) if not folder.exists()]  # the deepest first
    try:
        yield
    except BaseException:
        for folder in made:
            _remove_if_empty(folder)
        raise


def earlier_results_note(out: Path, folder: str) -> list[str]:
    """Of a study this run wrote no results for (it failed, or was not analysed): that its folder still holds an
    earlier run's, which are not of the pair the manifest now names, if it does."""
    if not previous_results(out / folder):
        return []
    return [f"the folder {folder} holds the results of an earlier run, not of this one"]


def not_analysed_rows(studies: list[dict[str, str]], folders: list[str], out: Path) -> list[dict]:
    """summary.csv's rows for the studies an interrupted batch did not finish, one each: the summary of a batch cut
    short lists every study of its manifest, not only the analysed ones, which would pass for a whole batch."""
    return [{"id": study["id"], "status": "not analysed",
             "reason": "the batch was interrupted before this study was analysed",
             "warnings": WARNINGS_SEPARATOR.join(earlier_results_note(out, folder))}
            for study, folder in zip(studies, folders)]


def result_rows(study_id: str, folder: str, result, notes: list[str]) -> list[dict]:
    """The rows of results.csv (joints in anatomical order, the boxes that fit no finger joint as one row),
    each saying whose study it is."""

    return summary_rows(study_id, folder, study_cells(result.baseline, result.followup), csv_rows(result),
                        notes + result.warnings + result.notes)


def summary_rows(study_id: str, folder: str, cells: dict[str, str], rows: list[dict], warnings: list[str]) -> list[dict]:
    """A study's rows of summary.csv from the rows of its results.csv (`csv_rows`, or as read back from the file):
    the study's id, folder and `warnings` on each, a joint's reliability reasons as its reason; a study of no row
    is one `not measured` row."""
    base = {"id": study_id, "folder": folder, "warnings": WARNINGS_SEPARATOR.join(warnings), **cells}
    return [dict(base, **{k: v for k, v in row.items() if k in CSV_COLUMNS}, reason=row["reliability_reasons"])
            for row in rows] or [dict(base, status=NOT_MEASURED)]


def write_summary(path: Path, rows: list[dict], fallback: Callable[[str], object]) -> Path:
    """summary.csv; if it cannot be written (a full disk), its text goes to `fallback` (the command line: standard
    output) so that no row is lost."""

    text = csv_text(BATCH_COLUMNS, rows)
    try:
        return atomic_write_bytes(path, text.encode("utf-8"))
    except OSError as exc:
        fallback(text)
        raise JsnError(f"{path}: cannot write the summary ({exc.strerror or exc}); its rows went to standard output instead") from exc


def write_interrupted_summary(out: Path, rows: list[dict], fallback: Callable[[str], object]) -> tuple[Path, Path | None]:
    """An interrupted run's summary.csv (`write_summary`), an earlier run's summary.csv there first copied, atomically,
    to summary-earlier.csv (summary-earlier-2.csv … where that is taken: none is written over): the earlier one holds
    the numbers of the studies this run did not get to. The summary's path and the copy's (None: there was no earlier
    summary). Where the copy cannot be written, the earlier summary stays as it was and the rows go to `fallback`."""
    summary = out / "summary.csv"
    kept = None
    if summary.is_file():
        names = (f"summary-earlier{'' if n == 1 else f'-{n}'}.csv" for n in itertools.count(1))
        kept = next(out / name for name in names if not (out / name).exists())
        try:
            written = summary.stat()
            atomic_write_bytes(kept, summary.read_bytes())
            os.utime(kept, ns=(written.st_atime_ns, written.st_mtime_ns))  # its date is the earlier run's, as said
        except OSError as exc:
            fallback(csv_text(BATCH_COLUMNS, rows))
            raise JsnError(f"{summary}: left as the earlier run wrote it, which could not be kept as {kept.name} "
                           f"({exc.strerror or exc}); this run's rows went to standard output instead") from exc
    return write_summary(summary, rows, fallback), kept


def earlier_summaries(out: Path) -> list[Path]:
    """The earlier runs' summaries kept in `out` by interrupted runs (`write_interrupted_summary`), oldest first."""
    kept = [p for p in out.glob("summary-earlier*.csv") if re.fullmatch(r"summary-earlier(-\d+)?\.csv", p.name)]
    return sorted(kept, key=lambda p: p.stat().st_mtime)


def written_when(path: Path) -> str:
    """When the file was written, as a researcher reads it: "2026-11-20 14:02" (local time)."""
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(path.stat().st_mtime))


def earlier_summary_note(path: Path) -> str:
    """What a kept earlier summary is, said beside the summary.csv of a later run: which is which, and when."""
    return (f"{path.name} is not this run's summary but an earlier run's, written {written_when(path)}, kept when a "
            "later run was interrupted (summary.csv is this run's)")


def earlier_study_folders(out: Path, folders: list[str]) -> list[str]:
    """The folders under `out` holding results (`previous_results`) that this batch did not write (`folders` are
    those it wrote): an earlier run's, of studies not in this manifest or that failed this time, so not in its
    summary.csv."""
    ours = {name.casefold() for name in folders}
    return sorted(p.name for p in out.iterdir() if p.is_dir() and p.name.casefold() not in ours and previous_results(p))


def study_folders(ids: list[str]) -> list[tuple[str, str]]:
    """A distinct folder name under --out for each id, and a note when it is not the id itself."""
    used = {"summary.csv"}
    folders = []
    for study_id in ids:
        name = base = safe_name(study_id)
        n = 1
        while name.casefold() in used:  # casefold: P1 and p1 are one folder on Windows and macOS
            n += 1
            name = f"{base}_{n}"
        used.add(name.casefold())
        why = f"the folder {base} is taken by an earlier row" if n > 1 else f"{study_id!r} is not a usable folder name"
        folders.append((name, "" if name == study_id else f"results in folder {name}: {why}"))
    return folders
