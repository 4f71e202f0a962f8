"""`jsnviewer phantom OUTDIR`: synthetic baseline/follow-up hand radiographs with exact ground truth."""

from __future__ import annotations

import argparse
from pathlib import Path

from jsnviewer.cli.options import SEED, at_least, between
from jsnviewer.errors import JsnError
from jsnviewer.words import counted


class PhantomError(JsnError):
    """The phantom command cannot write where it was asked to."""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "phantom",
        help="write synthetic baseline/follow-up hand radiographs with exact ground truth",
        description=(
            "Write N synthetic hand studies to OUTDIR/pair_000, pair_001, …: baseline and follow-up "
            "radiographs (12-bit, DICOM or 16-bit PNG), the bone masks of every joint (masks/*.png) and "
            "truth.json (joint boxes, identities, findings, per-bone transforms and true JSN change in mm). "
            "Same seed, same images."
        ),
    )
    parser.add_argument("outdir", metavar="OUTDIR", help="folder to write the pairs into (created if missing)")
    parser.add_argument("--pairs", type=at_least(1), default=1, metavar="N", help="number of baseline/follow-up pairs (default 1)")
    parser.add_argument("--seed", type=SEED, default=0, metavar="S", help="seed of the first pair; pair i uses S + i (default 0)")
    parser.add_argument("--format", choices=("dcm", "png"), default="dcm", help="image format (default dcm)")
    parser.add_argument("--pixel-size", type=float, choices=(0.175, 0.15), default=0.175, metavar="MM", help="pixel size in mm: 0.175 (default) or 0.15")
    parser.add_argument("--laterality", choices=("L", "R", "B"), default=None,
                        help="hand side, or B: both hands side by side on each radiograph (default: one hand, drawn per pair)")
    parser.add_argument("--findings-rate", type=between(0, 1), default=0.15, metavar="P", help="chance that a joint has ankylosis or subluxation (default 0.15)")
    parser.add_argument("--overwrite", action="store_true", help="replace pair folders that already exist in OUTDIR")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from jsnviewer.phantom import generate_study, write_study

    outdir = Path(args.outdir)
    if outdir.exists() and not outdir.is_dir():
        raise PhantomError(f"{outdir}: exists and is not a folder")
    folders = [outdir / f"pair_{i:03d}" for i in range(args.pairs)]
    existing = [f for f in folders if f.exists()]
    if existing and not args.overwrite:
        raise PhantomError(f"{outdir}: already holds {len(existing)} of these pair folders (first {existing[0].name}); use --overwrite to replace them")
    for i, folder in enumerate(tqdm(folders, desc="phantom pairs", unit="pair", disable=None)):
        study = generate_study(args.seed + i, laterality=args.laterality, pixel_size_mm=args.pixel_size, findings_rate=args.findings_rate)
        write_study(folder, study, args.format)
        for stale in ("dcm", "png"):  # an overwritten pair keeps no image of the other format
            if stale != args.format:
                for visit in ("baseline", "followup"):
                    (folder / f"{visit}.{stale}").unlink(missing_ok=True)
    print(f"wrote {counted(args.pairs, 'pair')} to {outdir} ({args.format}, {args.pixel_size} mm/px)")
    return 0
