"""`jsnviewer bench retraining`: a retraining's new weights against the weights in use, on the dataset."""

from __future__ import annotations

from pathlib import Path

from jsnviewer.cli.options import at_least
from jsnviewer.comparison import COMPARISON_FILE


def register(train_subparsers, bench_subparsers) -> None:
    b = bench_subparsers.add_parser(
        "retraining", help="compare a retraining's new weights with the weights in use, on the dataset",
        description="Measure each model a retraining wrote into RUN (a <dataset>/retrained/<date_time> folder) with the "
                    "weights in use and with the new ones, on the dataset's reviewed radiographs (detectors, finding "
                    "classifier), the synthetic studies the finding classifier's training held out and held-out joints "
                    "(segmenter, registration); writes RUN/" + COMPARISON_FILE + ".")
    b.add_argument("run", type=Path, metavar="RUN", help="the retraining's folder of new weights")
    b.add_argument("--data", type=Path, required=True, metavar="DIR", help="the annotation dataset it was trained on")
    b.add_argument("--weights", action="append", default=[], metavar="MODEL=FILE",
                   help="a weights file in use instead of the shipped one (as Settings names it); repeatable")
    b.add_argument("--threads", type=at_least(1), default=1, help="CPU threads for torch (1)")
    b.set_defaults(func=_bench)


def _bench(args) -> int:
    from jsnviewer.comparison import compare_weights, progress_line, save_comparison
    from jsnviewer.device import use_cpu_threads
    from jsnviewer.errors import JsnError
    from jsnviewer.retraining import complete_weights
    from jsnviewer.weights import parse_weight_options

    use_cpu_threads(args.threads)
    new = complete_weights(args.run)
    if not new:
        raise JsnError(f"{args.run}: no complete weights (a .pt file with its model card) to compare")
    comparison = compare_weights(args.data, new, parse_weight_options(args.weights),
                                 lambda done, total, what: print(progress_line(done, total, what), flush=True))
    for model in comparison.models:
        print(model.sentence())
    print(f"wrote {save_comparison(comparison, args.run)} ({comparison.seconds:.0f} s)")
    return 0
