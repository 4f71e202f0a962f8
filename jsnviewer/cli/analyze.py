"""`jsnviewer analyze` (one baseline/follow-up pair) and `jsnviewer batch` (a manifest of pairs)."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from jsnviewer.cli import DEVICE_HELP, METHOD_HELP
from jsnviewer.device import DEVICE_CHOICES
from jsnviewer.registration.methods import DEFAULT_METHOD, METHODS
from jsnviewer.words import counted

log = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("analyze", help="measure JSN progression between a baseline and a follow-up radiograph",
                       description="Find every finger joint on a baseline and a follow-up radiograph of one patient, flag "
                                   "ankylosis and subluxation, and measure each joint's JSN progression (follow-up minus "
                                   "baseline joint space width, narrowing negative) into results.json, results.csv, "
                                   "overview.png and joints/ under --out.")
    p.add_argument("baseline", nargs="?", help="baseline radiograph (DICOM, PNG, JPEG, TIFF, BMP)")
    p.add_argument("followup", nargs="?", help="follow-up radiograph of the same hand")
    p.add_argument("--demo", action="store_true", help="analyse a built-in synthetic study instead")
    _common(p)
    p.set_defaults(func=run_analyze)

    b = sub.add_parser("batch", help="analyse every pair listed in a manifest CSV (columns: baseline, follow-up, optional id)",
                       description="Analyse many studies as `jsnviewer analyze` does one: each row of the manifest CSV "
                                   "names a baseline and a follow-up radiograph (and optionally the study's id).",
                       epilog="Each study's results go into its own folder under --out (named after its id; a repeated or "
                              "unusable id gets a distinct name, given in the folder column), every study's rows into "
                              "summary.csv there; a study that fails is one error row saying why, and the batch goes on; the "
                              "closing lines name the studies that failed and why. "
                              "Exit status: 0 every study analysed, 1 at least one study failed, 2 the batch could not "
                              "run or the summary could not be written (the reason on one line), 130 interrupted (summary.csv "
                              "then lists the studies not analysed; an earlier run's summary.csv is kept as "
                              "summary-earlier.csv; run again with --resume to analyse only those).")
    b.add_argument("manifest", help="CSV with columns baseline, follow-up (or followup) and optionally id")
    b.add_argument("--resume", action="store_true",
                   help="go on with an earlier run into --out (interrupted, or a manifest grown since): keep each study "
                        "whose folder already holds a complete result of the same two files (SHA-256), settings, "
                        "device, weights and jsnviewer version, and analyse the rest; summary.csv lists every study, "
                        "the kept ones marked in its column kept. Without it every study is analysed again")
    _common(b)
    b.set_defaults(func=run_batch)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", required=True, help="folder to write the results into")
    p.add_argument("--device", choices=DEVICE_CHOICES, default="auto", help=DEVICE_HELP.format(what="the analysis runs"))
    p.add_argument("--method", choices=list(METHODS), default=DEFAULT_METHOD, help=METHOD_HELP)
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--weights", action="append", default=[], metavar="MODEL=FILE",
                   help="read MODEL (detector_ankylosis, detector_subluxation, joint_findings, segmenter or registration) from FILE, "
                        "e.g. a retrained model, instead of the shipped weights; repeatable")


def _settings(args):
    from jsnviewer.pipeline.analyze import AnalysisSettings
    from jsnviewer.weights import parse_weight_options

    return AnalysisSettings(device=args.device, registration_method=args.method,
                            weights=parse_weight_options(args.weights))


def _plain_progress(quiet: bool) -> bool:
    """Progress as a few plain lines: stderr is a log file or a pipe, where a bar redrawn with carriage returns
    leaves hundreds of lines."""
    return not quiet and not sys.stderr.isatty()


class _StageLines:
    """One line per stage ("Finding joints on the baseline", …), a stage of many steps (registering joint after
    joint) at most one per PLAIN_STEP of the way."""

    PLAIN_STEP = 0.1

    def __init__(self) -> None:
        self.stage, self.fraction = "", -1.0

    def __call__(self, fraction: float, stage: str) -> None:
        same_kind = stage.split(" ")[0] == self.stage.split(" ")[0]
        if stage != self.stage and (not same_kind or fraction - self.fraction >= self.PLAIN_STEP):
            print(f"{round(100 * fraction):3d}% {stage}", file=sys.stderr, flush=True)
            self.stage, self.fraction = stage, fraction

    def close(self) -> None:
        pass


def _progress_bar(quiet: bool):
    from tqdm import tqdm

    if _plain_progress(quiet):
        lines = _StageLines()
        return lines, lines
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
        lines += ["", "Not measured:", *(f"  {line}" for line in result.not_measured(colour=False))]
    return "\n".join(lines)


def run_analyze(args) -> int:
    from jsnviewer.errors import JsnError
    from jsnviewer.pipeline.batch import no_empty_folder_left

    if not args.demo and not (args.baseline and args.followup):
        raise JsnError("give a BASELINE and a FOLLOWUP radiograph, or --demo")
    out = Path(args.out)
    with no_empty_folder_left(out):
        result, paths, replaced = _analyse_into(out, args)
    print(_summary(result))
    print(f"wrote {paths['json']}, {paths['csv'].name}, {paths['overview'].name} ({result.timings_s['total']:.1f} s)")
    if replaced:
        print(f"replaced the earlier results in {out} ({replaced} files)")
    return 0


def _analyse_into(out: Path, args):
    """`analyze`'s pair (or the demo's) analysed and its results written into `out`: the result, the files written and
    how many earlier result files they replaced."""
    from jsnviewer.pipeline.analyze import analyze
    from jsnviewer.pipeline.batch import check_out, input_sha256, save_results, with_file_digests
    from jsnviewer.pipeline.report import keep_radiographs
    from jsnviewer.radiograph import load_radiograph

    settings = _settings(args)
    if args.demo:
        from jsnviewer.phantom import demo_study, write_study

        check_out(out)
        folder = out / "demo-study"
        write_study(folder, demo_study(), format="dcm")
        baseline_path, followup_path = folder / "baseline.dcm", folder / "followup.dcm"
    else:
        baseline_path, followup_path = Path(args.baseline), Path(args.followup)
    keep_radiographs(out, [baseline_path, followup_path])  # said before the analysis, not after it
    digests = [input_sha256(baseline_path), input_sha256(followup_path)]
    baseline, followup = load_radiograph(baseline_path), load_radiograph(followup_path)
    check_out(out)  # before the analysis, not after it; after the inputs, so that a missing one leaves no empty folder
    bar, report = _progress_bar(args.quiet)
    try:
        result = with_file_digests(analyze(baseline, followup, settings=settings, progress=report), *digests)
    finally:
        bar.close()
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    for note in result.notes:
        print(f"note: {note}", file=sys.stderr)
    return (result, *save_results(out, result, baseline, followup))


def run_batch(args) -> int:
    from tqdm import tqdm

    from jsnviewer.pipeline.analyze import AnalysisModels, settings_record
    from jsnviewer.pipeline.batch import (analyse_study, check_out, earlier_result, earlier_study_folders,
                                          earlier_summaries, earlier_summary_note, keep_manifest, kept_rows,
                                          no_empty_folder_left, not_analysed_rows, read_manifest, study_folders,
                                          write_interrupted_summary, write_summary, written_when)

    manifest = Path(args.manifest)
    keep_manifest(manifest, Path(args.out))
    studies = read_manifest(manifest, note=lambda text: print(f"note: {text}", file=sys.stderr))
    settings = _settings(args)
    out = Path(args.out)
    with no_empty_folder_left(out):  # from here on, summary.csv is written into it
        check_out(out)  # at once, not after every study was analysed
        models = AnalysisModels.load(settings)
    folders = study_folders([s["id"] for s in studies])
    for study, (_, note) in zip(studies, folders):  # a repeated id: said before the analysis, not in summary.csv alone
        if note:
            print(f"note: {study['id']}: {note}", file=sys.stderr)
    rows: dict[int, list[dict]] = {}  # by the study's place in the manifest
    failed, warned = [], {}
    if args.resume:
        now = settings_record(settings, models)
        for n, (study, (folder, note)) in enumerate(zip(studies, folders)):
            earlier, why = earlier_result(out / folder, study, manifest.parent, now)
            if earlier is None:
                if why:  # a folder without results is a study not analysed yet: nothing to say
                    print(f"note: {study['id']}: analysed again: {why}", file=sys.stderr)
                continue
            rows[n] = kept_rows(study, folder, note, earlier)
            if earlier.record.get("warnings"):
                warned[study["id"]] = list(earlier.record["warnings"])
        print(f"kept {len(rows)} of {counted(len(studies), 'study')} analysed earlier; analysing "
              f"{len(studies) - len(rows)}", file=sys.stderr)
    kept = len(rows)
    todo = [n for n in range(len(studies)) if n not in rows]
    plain = _plain_progress(args.quiet)
    try:
        for i, n in enumerate(tqdm(todo, desc="studies", disable=args.quiet or plain, file=sys.stderr), start=1):
            study, (folder, note) = studies[n], folders[n]
            if plain:
                print(f"study {i} of {len(todo)}: {study['id']}", file=sys.stderr, flush=True)
            study_rows, warnings = analyse_study(study, manifest.parent, out, folder, note, models, settings)
            for row in study_rows:
                if row["status"] == "error":
                    print(f"{study['id']}: {row['reason']}", file=sys.stderr)
                    failed.append((study["id"], row["reason"]))
            if warnings:
                warned[study["id"]] = warnings
            rows[n] = study_rows
    except KeyboardInterrupt:  # the studies already analysed keep their summary, the others are listed as not analysed
        done = len(rows)
        left = [n for n in todo if n not in rows]
        for n, row in zip(left, not_analysed_rows([studies[n] for n in left], [folders[n][0] for n in left], out)):
            rows[n] = [row]
        summary, earlier = write_interrupted_summary(out, _in_manifest_order(rows), sys.stdout.write)
        print(f"interrupted after {done} of {len(studies)} studies; {summary} lists their rows and the "
              f"{counted(len(left), 'study')} not analysed (run the batch again with --resume to analyse only those)"
              + (f"; the earlier run's summary.csv (written {written_when(earlier)}) is kept as {earlier.name}"
                 if earlier else ""), file=sys.stderr)
        print(_failed_text(failed) + _warned_text(_in_order(warned, studies)), end="", file=sys.stderr)
        for older in earlier_summaries(out):
            if older != earlier:
                print(f"note: {earlier_summary_note(older)}", file=sys.stderr)
        raise
    summary = write_summary(out / "summary.csv", _in_manifest_order(rows), sys.stdout.write)
    print(f"{len(studies) - len(failed)} of {len(studies)} studies analysed"
          f"{f' ({kept} kept from an earlier run)' if kept else ''}; summary in {summary}")
    print(_failed_text(failed) + _warned_text(_in_order(warned, studies)), end="")
    for older in earlier_summaries(out):  # beside this run's summary.csv, which is which and when
        print(f"note: {earlier_summary_note(older)}")
    written = earlier_study_folders(out, [row["folder"] for row in _in_manifest_order(rows) if row.get("folder")])
    if written:  # beside the new summary.csv, they would pass for this run's
        print(f"note: {out} also holds the results of {counted(len(written), 'study')} of an earlier run, not of this "
              f"one (not in summary.csv): {', '.join(written)}")
    return 1 if failed else 0


def _in_manifest_order(rows: dict[int, list[dict]]) -> list[dict]:
    return [row for n in sorted(rows) for row in rows[n]]


def _in_order(warned: dict[str, list[str]], studies: list[dict[str, str]]) -> dict[str, list[str]]:
    """The studies analysed with warnings in the manifest's order, the kept ones among them."""
    order = {study["id"]: n for n, study in reversed(list(enumerate(studies)))}
    return dict(sorted(warned.items(), key=lambda item: order.get(item[0], len(order))))


def _failed_text(failed: list[tuple[str, str]]) -> str:
    """The studies that failed, each with why: the end of the output (or a log of stdout alone) names them,
    not only their count."""
    if not failed:
        return ""
    lines = [f"{counted(len(failed), 'study')} failed:"]
    # one line each: an unexpected error's text may span several
    lines += [f"  {study_id}: {' '.join(reason.split())}" for study_id, reason in failed]
    return "\n".join(lines) + "\n"


def _warned_text(warned: dict[str, list[str]]) -> str:
    """The studies analysed although their pair failed a check (another patient, a reversed date …): a
    count of studies analysed does not show that one of them compares two patients."""
    if not warned:
        return ""
    lines = [f"{counted(len(warned), 'study')} analysed with warnings: check the pair "
             "before using the numbers"]
    lines += [f"  {study_id}: {' | '.join(warnings)}" for study_id, warnings in warned.items()]
    return "\n".join(lines) + "\n"


