"""`jsnviewer bench pipeline`: end-to-end accuracy, time and memory on synthetic studies."""

from __future__ import annotations

import argparse
import json
import sys

from jsnviewer.cli.options import at_least
from jsnviewer.cli import DEVICE_HELP, METHOD_HELP
from jsnviewer.device import DEVICE_CHOICES
from jsnviewer.registration.methods import DEFAULT_METHOD, METHODS


def register(train: argparse._SubParsersAction, bench: argparse._SubParsersAction) -> None:
    p = bench.add_parser("pipeline", help="end-to-end analysis of synthetic study pairs against their truth",
                         description="Analyse N synthetic study pairs from end to end and compare them with their truth: "
                                     "joints paired, JSN error, findings, seconds and peak memory per pair.")
    p.add_argument("--synthetic", type=at_least(1), required=True, metavar="N", help="number of synthetic study pairs")
    p.add_argument("--json", metavar="OUT.json", help="write the figures as JSON")
    p.add_argument("--device", choices=DEVICE_CHOICES, default="cpu",
                   help=DEVICE_HELP.format(what="the analyses run") + " (default cpu)")
    p.add_argument("--method", choices=list(METHODS), default=DEFAULT_METHOD, help=METHOD_HELP)
    p.add_argument("--both-hands", action="store_true", help="radiographs of both hands side by side (28 joints a study)")
    p.set_defaults(func=run)


def run(args) -> int:
    from tqdm import tqdm

    from jsnviewer.atomic import atomic_write_json
    from jsnviewer.pipeline.analyze import AnalysisSettings
    from jsnviewer.pipeline.bench import bench_synthetic

    bar = tqdm(total=args.synthetic, desc="study pairs", file=sys.stderr)
    figures = bench_synthetic(args.synthetic, AnalysisSettings(device=args.device, registration_method=args.method),
                              on_study=lambda i: bar.update(1), both_hands=args.both_hands)
    bar.close()
    print(json.dumps(figures, indent=2))
    if args.json:
        atomic_write_json(args.json, figures)
    return 0
