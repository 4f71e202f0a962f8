"""`jsnviewer analyze` (one baseline/follow-up pair) and `jsnviewer batch` (a manifest of pairs)."""

from __future__ import annotations

import argparse
import csv
import io
import sys
import tempfile
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("analyze", help="measure JSN progression between a baseline and a follow-up radiograph")
    p.add_argument("baseline", nargs="?", help="baseline radiograph (DICOM, PNG, JPEG, TIFF, BMP)")
    p.add_argument("followup", nargs="?", help="follow-up radiograph of the same hand")
    p.add_argument("--demo", action="store_true", help="analyse a built-in synthetic study instead")
    _common(p)
    p.set_defaults(func=run_analyze)

    b = sub.add_parser("batch", help="analyse every pair listed in a manifest CSV (columns: baseline, follow-up, optional id)")
    b.add_argument("manifest", help="CSV with columns baseline, follow-up (or followup) and optionally id")
    _common(b)
    b.set_defaults(func=run_batch)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", required=True, help="folder to write the results into")
    p.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    p.add_argument("--method", choices=["refined", "deep", "poc"], default="refined", help="registration method")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--weights", action="append", default=[], metavar="MODEL=FILE",
                   help="read MODEL (detector_ankylosis, detector_subluxation, joint_findings, segmenter or registration) from FILE, "
                        "e.g. a retrained model, instead of the shipped weights; repeatable")


def _settings(args):
    from jsnviewer.errors import JsnError
    from jsnviewer.pipeline.analyze import WEIGHT_NAMES, AnalysisSettings

    weights = {}
    for item in args.weights:
        name, _, path = item.partition("=")
        if name not in WEIGHT_NAMES or not path:
            raise JsnError(f"--weights {item}: expected MODEL=FILE with MODEL one of {', '.join(WEIGHT_NAMES)}")
        weights[name] = path
    return AnalysisSettings(device=args.device, registration_method=args.method, weights=weights)


def _progress_bar(quiet: bool):
    from tqdm import tqdm

    bar = tqdm(total=100, bar_format="{l_bar}{bar}| {elapsed}", disable=quiet, file=sys.stderr)

    def report(fraction: float, stage: str) -> None:
        bar.set_description_str(stage[:32].ljust(32))
        bar.update(round(100 * fraction) - bar.n)

    return bar, report


def _summary(result) -> str:
    from jsnviewer.pipeline.result import signed

    unit = "mm" if all(j.jsn_mm is not None for j in result.joints) else "px"
    lines = [f"{'joint':6} {'JSN ' + unit:>8}  {'reliable':8}  findings (baseline / follow-up)"]
    for j in sorted(result.joints, key=lambda j: j.identity):
        jsn = (signed(j.jsn_mm, 3) if unit == "mm" else signed(j.jsn_px, 2)).rjust(8)
        lines.append(f"{j.identity:6} {jsn}  {'yes' if j.reliable else 'NO':8}  {j.findings_text() or '-'}")
    if result.unpaired:
        lines += ["", "Not measured:", *(f"  {line}" for line in result.not_measured())]
    return "\n".join(lines)


def run_analyze(args) -> int:
    from jsnviewer.errors import JsnError
    from jsnviewer.pipeline.analyze import analyze
    from jsnviewer.pipeline.report import write_results
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
    baseline, followup = load_radiograph(baseline_path), load_radiograph(followup_path)
    bar, report = _progress_bar(args.quiet)
    try:
        result = analyze(baseline, followup, settings=settings, progress=report)
    finally:
        bar.close()
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    paths = write_results(out, result, baseline, followup)
    print(_summary(result))
    print(f"wrote {paths['json']}, {paths['csv'].name}, {paths['overview'].name} ({result.timings_s['total']:.1f} s)")
    return 0


BATCH_COLUMNS = ["id", "status", "reason", "identity", "jsn_mm", "jsn_px", "reliable", "baseline_findings",
                 "followup_findings", "warnings"]


def _read_manifest(path: Path) -> list[dict[str, str]]:
    from jsnviewer.errors import JsnError

    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise JsnError(f"{path}: cannot read the manifest ({exc.strerror or exc})") from exc
    rows = list(csv.DictReader(io.StringIO(text)))
    if not rows:
        raise JsnError(f"{path}: the manifest lists no studies")
    columns = {c.strip().lower().replace("_", "-") for c in rows[0].keys() if c}
    if "baseline" not in columns or not ({"follow-up", "followup"} & columns):
        raise JsnError(f"{path}: the manifest needs the columns baseline and follow-up")
    studies = []
    for n, row in enumerate(rows, start=1):
        clean = {k.strip().lower().replace("_", "-"): (v or "").strip() for k, v in row.items() if k}
        studies.append({"id": clean.get("id") or f"study{n:03d}", "baseline": clean.get("baseline", ""),
                        "followup": clean.get("follow-up") or clean.get("followup", "")})
    return studies


def run_batch(args) -> int:
    from tqdm import tqdm

    from jsnviewer.atomic import atomic_write_bytes
    from jsnviewer.errors import JsnError
    from jsnviewer.pipeline.analyze import AnalysisModels, analyze
    from jsnviewer.pipeline.report import write_results
    from jsnviewer.radiograph import load_radiograph

    manifest = Path(args.manifest)
    studies = _read_manifest(manifest)
    settings = _settings(args)
    models = AnalysisModels.load(settings)
    out = Path(args.out)
    rows, failed = [], 0
    for study in tqdm(studies, desc="studies", disable=args.quiet, file=sys.stderr):
        base = {"id": study["id"]}
        try:
            paths = [Path(study[k]) if Path(study[k]).is_absolute() else manifest.parent / study[k] for k in ("baseline", "followup")]
            if not study["baseline"] or not study["followup"]:
                raise JsnError("the manifest row lacks a baseline or a follow-up file")
            baseline, followup = (load_radiograph(p) for p in paths)
            result = analyze(baseline, followup, models, settings)
            write_results(out / _safe(study["id"]), result, baseline, followup)
        except JsnError as exc:
            failed += 1
            rows.append(dict(base, status="error", reason=str(exc)))
            print(f"{study['id']}: {exc}", file=sys.stderr)
            continue
        warnings = " | ".join(result.warnings)
        for j in sorted(result.joints, key=lambda j: j.identity):
            rows.append(dict(base, status="ok", identity=j.identity, jsn_mm="" if j.jsn_mm is None else f"{j.jsn_mm:.4f}",
                             jsn_px=f"{j.jsn_px:.4f}", reliable="yes" if j.reliable else "no",
                             baseline_findings=";".join(k for k, v in j.baseline.findings.items() if v) or "none",
                             followup_findings=";".join(k for k, v in j.followup.findings.items() if v) or "none",
                             warnings=warnings))
        for u in result.unpaired:
            rows.append(dict(base, status="unpaired", identity=u.identity or "?", reason=f"{u.visit}: {u.reason}", warnings=warnings))
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=BATCH_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    summary = atomic_write_bytes(out / "summary.csv", buf.getvalue().encode("utf-8"))
    print(f"{len(studies) - failed} of {len(studies)} studies analysed; summary in {summary}")
    return 0 if failed < len(studies) else 1


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name) or "study"
