"""`jsnviewer analyze` (one baseline/follow-up pair) and `jsnviewer batch` (a manifest of pairs)."""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import logging
import sys
from pathlib import Path

from jsnviewer.device import DEVICE_CHOICES
from jsnviewer.registration.methods import DEFAULT_METHOD, METHODS

log = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("analyze", help="measure JSN progression between a baseline and a follow-up radiograph")
    p.add_argument("baseline", nargs="?", help="baseline radiograph (DICOM, PNG, JPEG, TIFF, BMP)")
    p.add_argument("followup", nargs="?", help="follow-up radiograph of the same hand")
    p.add_argument("--demo", action="store_true", help="analyse a built-in synthetic study instead")
    _common(p)
    p.set_defaults(func=run_analyze)

    b = sub.add_parser("batch", help="analyse every pair listed in a manifest CSV (columns: baseline, follow-up, optional id)",
                       epilog="Each study's results go into its own folder under --out (named after its id; a repeated or "
                              "unusable id gets a distinct name, given in the folder column), every study's rows into "
                              "summary.csv there; a study that fails is one error row saying why, and the batch goes on. "
                              "Exit status: 0 every study analysed, 1 at least one study failed, 2 the batch could not "
                              "run or the summary could not be written (the reason on one line).")
    b.add_argument("manifest", help="CSV with columns baseline, follow-up (or followup) and optionally id")
    _common(b)
    b.set_defaults(func=run_batch)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", required=True, help="folder to write the results into")
    p.add_argument("--device", choices=DEVICE_CHOICES, default="auto")
    p.add_argument("--method", choices=list(METHODS), default=DEFAULT_METHOD, help="registration method")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--weights", action="append", default=[], metavar="MODEL=FILE",
                   help="read MODEL (detector_ankylosis, detector_subluxation, joint_findings, segmenter or registration) from FILE, "
                        "e.g. a retrained model, instead of the shipped weights; repeatable")


def _settings(args):
    from jsnviewer.pipeline.analyze import AnalysisSettings
    from jsnviewer.weights import parse_weight_options

    return AnalysisSettings(device=args.device, registration_method=args.method,
                            weights=parse_weight_options(args.weights))


def _progress_bar(quiet: bool):
    from tqdm import tqdm

    bar = tqdm(total=100, bar_format="{l_bar}{bar}| {elapsed}", disable=quiet, file=sys.stderr)

    def report(fraction: float, stage: str) -> None:
        bar.set_description_str(stage[:32].ljust(32))
        bar.update(round(100 * fraction) - bar.n)

    return bar, report


def _summary(result) -> str:
    from jsnviewer.joints import anatomical
    from jsnviewer.pipeline.result import signed

    unit = "mm" if all(j.jsn_mm is not None for j in result.joints) else "px"
    lines = [f"{'joint':6} {'JSN ' + unit:>8}  {'reliable':8}  findings (baseline / follow-up)"]
    for j in anatomical(result.joints):
        jsn = (signed(j.jsn_mm, 3) if unit == "mm" else signed(j.jsn_px, 2)).rjust(8)
        lines.append(f"{j.identity:6} {jsn}  {'yes' if j.reliable else 'NO':8}  {j.findings_text() or '-'}")
    if result.unpaired:
        lines += ["", "Not measured:", *(f"  {line}" for line in result.not_measured())]
    return "\n".join(lines)


def run_analyze(args) -> int:
    from jsnviewer.errors import JsnError
    from jsnviewer.pipeline.analyze import analyze
    from jsnviewer.pipeline.report import keep_radiographs
    from jsnviewer.radiograph import load_radiograph

    settings = _settings(args)
    out = Path(args.out)
    if args.demo:
        from jsnviewer.phantom import generate_study, write_study

        folder = out / "demo-study"
        write_study(folder, generate_study(7, findings_rate=0.35), format="dcm")
        baseline_path, followup_path = folder / "baseline.dcm", folder / "followup.dcm"
    elif args.baseline and args.followup:
        baseline_path, followup_path = Path(args.baseline), Path(args.followup)
    else:
        raise JsnError("give a BASELINE and a FOLLOWUP radiograph, or --demo")
    keep_radiographs(out, [baseline_path, followup_path])  # said before the analysis, not after it
    baseline, followup = load_radiograph(baseline_path), load_radiograph(followup_path)
    bar, report = _progress_bar(args.quiet)
    try:
        result = analyze(baseline, followup, settings=settings, progress=report)
    finally:
        bar.close()
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    paths, replaced = _write(out, result, baseline, followup)
    print(_summary(result))
    print(f"wrote {paths['json']}, {paths['csv'].name}, {paths['overview'].name} ({result.timings_s['total']:.1f} s)")
    if replaced:
        print(f"replaced the earlier results in {out} ({replaced} files)")
    return 0


def _write(folder: Path, result, baseline, followup) -> tuple[dict[str, Path], int]:
    """write_results, with a failure (a full disk) naming the folder; also how many earlier result files it replaced."""
    from jsnviewer.errors import JsnError
    from jsnviewer.pipeline.report import previous_results, write_results

    try:
        replaced = len(previous_results(folder))
        return write_results(folder, result, baseline, followup), replaced
    except OSError as exc:
        raise JsnError(f"{folder}: cannot write the results ({exc.strerror or exc})") from exc


BATCH_COLUMNS = ["id", "folder", "status", "reason", "patient_id", "baseline_date", "followup_date", "hand", "identity",
                 "jsn_mm", "jsn_px", "reliable", "baseline_findings", "followup_findings", "warnings"]


def _read_manifest(path: Path) -> list[dict[str, str]]:
    from jsnviewer.errors import JsnError

    text = _manifest_text(path)
    reader = csv.DictReader(io.StringIO(text), delimiter=_delimiter(text))
    # a row of empty cells is no study (spreadsheets save the rows someone cleared as ",,")
    rows = [row for row in reader if any((v or "").strip() for v in row.values() if isinstance(v, str))]
    if not rows:
        raise JsnError(f"{path}: the manifest lists no studies")
    names = [c.strip().lower().replace("_", "-") for c in reader.fieldnames or [] if c]
    columns = set(names)
    if "baseline" not in columns or not ({"follow-up", "followup"} & columns):
        raise JsnError(f"{path}: the manifest needs the columns baseline and follow-up")
    twice = sorted({n for n in names if n in ("id", "baseline", "follow-up", "followup") and names.count(n) > 1})
    if twice or {"follow-up", "followup"} <= columns:
        raise JsnError(f"{path}: the manifest has the column {(twice or ['follow-up'])[0]} twice; which one is meant?")
    studies = []
    for n, row in enumerate(rows, start=1):
        clean = {k.strip().lower().replace("_", "-"): (v or "").strip() for k, v in row.items() if k}
        studies.append({"id": clean.get("id") or f"study{n:03d}", "baseline": clean.get("baseline", ""),
                        "followup": clean.get("follow-up") or clean.get("followup", "")})
    return studies


def _delimiter(text: str) -> str:
    """The header line's separator: a comma, or the semicolon that Excel writes where the comma is the decimal
    separator (much of Europe), or a tab."""
    header = next((line for line in text.splitlines() if line.strip()), "")
    return max(",;\t", key=header.count) if any(header.count(d) for d in ",;\t") else ","


def _manifest_text(path: Path) -> str:
    """UTF-8 (with or without BOM), else Windows-1252: what Excel writes as "CSV UTF-8" and as plain "CSV"."""
    from jsnviewer.errors import JsnError

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
    print(f"note: {path.name} is not UTF-8; read as Windows-1252 text", file=sys.stderr)
    return text


def run_batch(args) -> int:
    from tqdm import tqdm

    from jsnviewer.pipeline.analyze import AnalysisModels

    manifest = Path(args.manifest)
    _keep_manifest(manifest, Path(args.out))
    studies = _read_manifest(manifest)
    settings = _settings(args)
    models = AnalysisModels.load(settings)
    out = Path(args.out)
    folders = _study_folders([s["id"] for s in studies])
    rows, failed, done, warned = [], 0, 0, {}
    try:
        for study, (folder, note) in tqdm(list(zip(studies, folders)), desc="studies", disable=args.quiet, file=sys.stderr):
            study_rows, warnings = _batch_study(study, manifest.parent, out, folder, note, models, settings)
            failed += any(r["status"] == "error" for r in study_rows)
            if warnings:
                warned[study["id"]] = warnings
            rows += study_rows
            done += 1
    except KeyboardInterrupt:  # the studies already analysed keep their summary
        summary = _write_summary(out / "summary.csv", rows)
        print(f"interrupted after {done} of {len(studies)} studies; their rows are in {summary}", file=sys.stderr)
        print(_warned_text(warned), end="", file=sys.stderr)
        raise
    summary = _write_summary(out / "summary.csv", rows)
    print(f"{len(studies) - failed} of {len(studies)} studies analysed; summary in {summary}")
    print(_warned_text(warned), end="")
    return 1 if failed else 0


def _keep_manifest(manifest: Path, out: Path) -> None:
    """Refuse an --out where the batch would write over its own manifest (summary.csv, or a study's results)."""
    from jsnviewer.errors import JsnError
    from jsnviewer.pipeline.report import replaced_by_results

    here = manifest.resolve()
    if here == (out / "summary.csv").resolve() or \
            (here.parent.parent == out.resolve() and replaced_by_results(here.parent, [here])):
        raise JsnError(f"{manifest}: --out {out} would write the batch's results over this manifest; "
                       "choose another --out folder")


def _warned_text(warned: dict[str, list[str]]) -> str:
    """The studies analysed although their pair failed a check (another patient, a reversed date …): a
    count of studies analysed does not show that one of them compares two patients."""
    if not warned:
        return ""
    lines = [f"{len(warned)} {'study' if len(warned) == 1 else 'studies'} analysed with warnings: check the pair "
             "before using the numbers"]
    lines += [f"  {study_id}: {' | '.join(warnings)}" for study_id, warnings in warned.items()]
    return "\n".join(lines) + "\n"


def _batch_study(study: dict[str, str], manifest_dir: Path, out: Path, folder: str, note: str, models,
                 settings) -> tuple[list[dict], list[str]]:
    """One study analysed and written to out/folder: its summary rows and its warnings (the pair checks'
    and the analysis's); any failure is one error row, with whose study it is where a file could be read."""
    from jsnviewer.errors import JsnError, describe
    from jsnviewer.pipeline.analyze import analyze
    from jsnviewer.pipeline.report import WARNINGS_SEPARATOR, study_cells
    from jsnviewer.pipeline.result import VisitInfo
    from jsnviewer.radiograph import load_radiograph

    notes = [note] if note else []
    visits: dict[str, VisitInfo] = {}
    try:
        if not study["baseline"] or not study["followup"]:
            raise JsnError("the manifest row lacks a baseline or a follow-up file")
        radiographs = []
        for visit in ("baseline", "followup"):
            path = Path(study[visit]) if Path(study[visit]).is_absolute() else manifest_dir / study[visit]
            radiographs.append(load_radiograph(path))
            visits[visit] = VisitInfo.of(radiographs[-1])
        result = analyze(*radiographs, models, settings)
        if _write(out / folder, result, *radiographs)[1]:
            notes.append(f"replaced the earlier results in {folder}")
    except Exception as exc:  # one study's failure, whatever it is, must not stop the others
        log.debug("study %s failed", study["id"], exc_info=True)
        with contextlib.suppress(OSError):
            (out / folder).rmdir()  # only if empty: a failed write leaves nothing there
        print(f"{study['id']}: {describe(exc)}", file=sys.stderr)
        return [{"id": study["id"], "status": "error", "reason": describe(exc), "warnings": WARNINGS_SEPARATOR.join(notes),
                 **study_cells(visits.get("baseline"), visits.get("followup"))}], []
    return _result_rows(study["id"], folder, result, notes), list(result.warnings)


def _result_rows(study_id: str, folder: str, result, notes: list[str]) -> list[dict]:
    """The rows of results.csv (joints in anatomical order, the boxes that fit no finger joint as one row),
    each saying whose study it is."""
    from jsnviewer.pipeline.report import WARNINGS_SEPARATOR, joint_rows, not_measured_rows, study_cells

    base = {"id": study_id, "folder": folder, "warnings": WARNINGS_SEPARATOR.join(notes + result.warnings),
            **study_cells(result.baseline, result.followup)}
    rows = [dict(base, status="ok", reason=row["reliability_reasons"], **row) for row in joint_rows(result)]
    rows += [dict(base, status="unpaired", identity=row["identity"], reason=row["reliability_reasons"])
             for row in not_measured_rows(result)]
    return rows or [dict(base, status="ok")]


def _write_summary(path: Path, rows: list[dict]) -> Path:
    """summary.csv; if it cannot be written (a full disk), the rows go to standard output so none is lost."""
    from jsnviewer.atomic import atomic_write_bytes
    from jsnviewer.errors import JsnError

    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=BATCH_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    try:
        return atomic_write_bytes(path, buf.getvalue().encode("utf-8"))
    except OSError as exc:
        sys.stdout.write(buf.getvalue())
        raise JsnError(f"{path}: cannot write the summary ({exc.strerror or exc}); its rows went to standard output instead") from exc


def _study_folders(ids: list[str]) -> list[tuple[str, str]]:
    """A distinct folder name under --out for each id, and a note when it is not the id itself."""
    used = {"summary.csv"}
    folders = []
    for study_id in ids:
        name = base = _safe(study_id)
        n = 1
        while name.casefold() in used:  # casefold: P1 and p1 are one folder on Windows and macOS
            n += 1
            name = f"{base}_{n}"
        used.add(name.casefold())
        why = f"the folder {base} is taken by an earlier row" if n > 1 else f"{study_id!r} is not a usable folder name"
        folders.append((name, "" if name == study_id else f"results in folder {name}: {why}"))
    return folders


def _safe(name: str) -> str:
    """`name` as one folder name: no separators, never "." or ".." or hidden, short enough for any file system."""
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)[:60].strip(".") or "study"
