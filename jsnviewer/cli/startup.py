"""`jsnviewer bench startup`: how long the command line and the window take to start."""

from __future__ import annotations

from jsnviewer.cli.options import at_least


def register(train_subparsers, bench_subparsers) -> None:
    b = bench_subparsers.add_parser(
        "startup", help="how long the window and the command line take to start, and the first and a second analysis",
        description="Start `jsnviewer --help`, `jsnviewer analyze --demo`, `jsnviewer gui` and `jsnviewer gui --demo` "
                    "in fresh processes and print the medians: wall times and import times; the window shown, usable, "
                    "the background warm-up's worst stall; the demo's first analysis and a second one. A display "
                    "(e.g. xvfb-run) is used when there is one, else the offscreen platform.")
    b.add_argument("--runs", type=at_least(1), default=3, help="fresh processes per figure (default 3)")
    b.add_argument("--no-analysis", action="store_true", help="leave out the demo's analyses (seconds, not minutes)")
    b.set_defaults(func=_bench)


def _bench(args) -> int:
    from jsnviewer.gui.startup_bench import bench_startup

    bench_startup(args.runs, analysis=not args.no_analysis)
    return 0
