"""`jsnviewer` entry point: builds the subcommands and turns errors into one clear line."""

from __future__ import annotations

import argparse
import importlib
import logging
import shlex
import sys
from pathlib import Path

from jsnviewer import __version__
from jsnviewer.cli.options import ArgumentParser
from jsnviewer.errors import JsnError, WeightsError, describe
from jsnviewer.weights import ASK_FOLDER, WRITTEN_ELSEWHERE, WeightsNotWritten, named_on_the_command_line

# Modules with `register(subparsers)`: top-level subcommands. Keep imports in them light
# (torch and friends are imported inside the handlers) so `jsnviewer info` starts fast.
COMMAND_MODULES: list[str] = ["jsnviewer.cli.info", "jsnviewer.cli.gui", "jsnviewer.cli.phantom", "jsnviewer.cli.analyze", "jsnviewer.cli.selftest"]
# Modules with `register(train_subparsers, bench_subparsers)`: one per model capability (and the start-up's bench).
CAPABILITY_MODULES: list[str] = ["jsnviewer.cli.detection", "jsnviewer.cli.registration", "jsnviewer.cli.segmentation", "jsnviewer.cli.pipeline",
                             "jsnviewer.cli.retraining", "jsnviewer.cli.startup"]


def build_parser() -> argparse.ArgumentParser:
    parser = ArgumentParser(  # its subcommands' parsers are of its class: a numeric option out of range is one line
        prog="jsnviewer",
        description="Hand radiographs in rheumatoid arthritis: joints, findings and JSN progression.",
    )
    parser.add_argument("--version", action="version", version=f"jsnviewer {__version__}")
    parser.add_argument("--debug", action="store_true", help="show full tracebacks and debug logs")
    parser.add_argument("--self-test", action="store_true", help="same as `jsnviewer self-test`: check this installation")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    if CAPABILITY_MODULES:
        train = sub.add_parser(
            "train", help="train a model",
            description="Train or fine-tune one of the models the analysis uses, on synthetic hands, real radiographs or "
                        "joint crops, or an annotation dataset saved from the window; the weights go to --out (never "
                        "over a shipped file without --replace-shipped), with a model card beside them.",
        ).add_subparsers(dest="model", metavar="MODEL", required=True)
        bench = sub.add_parser(
            "bench", help="measure accuracy and speed",
            description="Measure a model's, or the whole analysis's, accuracy and speed against known truth: real "
                        "validation joints or hands, or synthetic ones.",
        ).add_subparsers(dest="what", metavar="WHAT", required=True)
        for name in CAPABILITY_MODULES:
            importlib.import_module(name).register(train, bench)
        for model_parser in train.choices.values():
            model_parser.add_argument("--replace-shipped", action="store_true",
                                      help="let --out replace a shipped weights file in models/ (maintainers rebuilding them)")
            model_parser.add_argument("--ask-if-unwritable", action="store_true",
                                      help="when the trained weights cannot be written (a full disk), ask for another "
                                           "folder for them on standard input, as in a terminal (the window's Retrain "
                                           "answers it)")
    return parser


def _check_training_out(args) -> None:
    """Training must not replace the shipped weights by a slip of --out: it takes hours, and a poor
    model would then analyse every study."""
    from jsnviewer.weights import is_shipped

    out = getattr(args, "out", None)
    if args.command != "train" or out is None:
        return
    if is_shipped(out) and not args.replace_shipped:
        raise JsnError(f"--out {out} is a shipped weights file and training would replace it: write elsewhere "
                       f"(then use it with --weights or the window's settings), or add --replace-shipped")
    # said now, not when the weights are written at the end of a run of hours
    _check_file_out("--out", Path(out), "weights file", "the weights", f"{args.model}.pt")
    _check_room(args, Path(out))


# The weights file each `jsnviewer train MODEL` writes
_TRAINED = {"detector": lambda args: f"detector_{args.finding}", "findings": lambda args: "joint_findings",
            "segmenter": lambda args: "segmenter", "registration": lambda args: "registration"}


def _check_room(args, out: Path) -> None:
    """A disk clearly too full for the weights is said before the training, not when it has run for hours (they take
    as much room as those it starts from, or the shipped ones)."""
    from jsnviewer.atomic import no_room_reason
    from jsnviewer.weights import trained_size

    if args.model not in _TRAINED:
        return
    why = no_room_reason(out.parent, trained_size(_TRAINED[args.model](args), getattr(args, "init", None)))
    if why:
        raise JsnError(f"--out {out}: not enough room for the weights in {out.parent} ({why}): free space there or "
                       "choose another --out")


def _check_bench_json(args) -> None:
    """A benchmark's --json is checked before its minutes of measuring, as training's --out is."""
    if args.command == "bench" and isinstance(getattr(args, "json", None), (str, Path)):
        _check_file_out("--json", Path(args.json), "JSON file", "the figures", "bench.json")


def _check_file_out(option: str, out: Path, noun: str, what: str, example: str) -> None:
    """`out` must be a file that can be written: not a folder, not under a file, on a disk that takes it."""
    from jsnviewer.atomic import check_writable, unwritable_reason

    if out.is_dir():
        raise JsnError(f"{option} {out} is a folder: give the {noun} to write, e.g. {out / example}")
    try:
        check_writable(out.parent)
    except OSError as exc:
        raise JsnError(f"{option} {out}: cannot write {what} there ({unwritable_reason(out.parent, exc)}); "
                       f"choose another {option}") from exc


def _write_elsewhere(exc: WeightsNotWritten) -> Path | None:
    """Ask on standard input for another folder for trained weights that could not be written, and write them there
    (asked again while that fails too); None when the answer is an empty line or there is none."""
    from jsnviewer.atomic import atomic_write_bytes

    while True:
        print(ASK_FOLDER, flush=True)
        answer = sys.stdin.readline().strip()
        if not answer:
            print("the trained weights were not kept", flush=True)
            return None
        target = Path(answer).expanduser() / exc.path.name
        try:
            atomic_write_bytes(target, exc.data)
        except OSError as again:
            print(f"not written there either: {describe(again)}", flush=True)
            continue
        print(f"{WRITTEN_ELSEWHERE} {target} (without its model card: the training stopped when they could not be "
              "written)", flush=True)
        return target


def _said_for_the_command_line(exc: JsnError, args) -> str:
    """`exc`'s message; of a weights file that --init or --weights named, with what to do on the command line."""
    init = getattr(args, "init", None)
    if isinstance(exc, WeightsError) and init is not None and exc.path == Path(init):
        return named_on_the_command_line(str(exc), "--init")
    if getattr(args, "weights", None):
        return named_on_the_command_line(str(exc), "--weights")
    return str(exc)


def _opened_files(parser: argparse.ArgumentParser, argv: list[str]) -> list[str]:
    """`jsnviewer FILE [FILE]` is `jsnviewer gui FILE [FILE]`: how a desktop entry (`%F`) or a file manager's
    "Open with" starts the program on radiographs. A file that is not there opens the window too, which says so
    (as `jsnviewer gui` does): whoever double-clicked it sees why, not nothing."""
    commands = next(a.choices for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    if argv and argv[0] not in commands and not argv[0].startswith("-"):
        first = Path(argv[0])
        if first.exists() or first.suffix or len(first.parts) > 1:  # a file's name (no command has a dot or a slash)
            return ["gui", *argv]
    return argv


class _ConsoleLines(logging.Formatter):
    """A log record on the console as the user's message: "warning: CUDA was asked for …", without the name of the
    module that said it (--debug shows those, with the debug records)."""

    def format(self, record: logging.LogRecord) -> str:
        return f"{record.levelname.lower()}: {super().format(record)}"


def _log_to_console(debug: bool) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s") if debug else _ConsoleLines())
    logging.basicConfig(level=logging.DEBUG if debug else logging.WARNING, handlers=[handler])


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    argv = sys.argv[1:] if argv is None else argv
    # --debug is the program's option, but it is typed after the command as often as before it
    arguments = ["--debug"] * ("--debug" in argv) + [a for a in argv if a != "--debug"]
    try:
        args = parser.parse_args(_opened_files(parser, arguments))
    except JsnError as exc:  # a numeric option out of its range (jsnviewer.cli.options)
        print(f"jsnviewer: error: {exc}", file=sys.stderr)
        return 2
    _log_to_console(args.debug)
    if args.command is None:  # plain `jsnviewer` opens the window; `jsnviewer --self-test` checks the installation
        args = parser.parse_args((["--debug"] if args.debug else []) + (["self-test"] if args.self_test else ["gui"]))
    args.command_line = shlex.join(["jsnviewer", *map(str, argv)])  # for model cards
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    try:
        _check_training_out(args)
        _check_bench_json(args)
        return int(args.func(args) or 0)
    except WeightsNotWritten as exc:  # the trained weights are still in memory
        print(f"jsnviewer: error: {exc}", file=sys.stderr)
        if getattr(args, "ask_if_unwritable", False) or sys.stdin.isatty():
            _write_elsewhere(exc)
        return 2
    except JsnError as exc:
        print(f"jsnviewer: error: {_said_for_the_command_line(exc, args)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("jsnviewer: interrupted", file=sys.stderr)
        return 130
    except OSError as exc:
        if args.debug:
            raise
        print(f"jsnviewer: error: {describe(exc)}", file=sys.stderr)
        return 2
    except Exception as exc:  # last resort: one line, never a traceback, unless --debug
        if args.debug:
            raise
        print(f"jsnviewer: error: {describe(exc)} (run with --debug for details)", file=sys.stderr)
        return 1
