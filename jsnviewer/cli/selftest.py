"""`jsnviewer self-test` (also `jsnviewer --self-test`): is this installation able to analyse a study?

Runs jsnviewer.selftest (a synthetic pair through the whole analysis, checked against its truth),
then builds the main window offscreen so a packaged program also proves its Qt libraries and
plugins load. Prints one line; exit status 0 when everything passed.
"""

from __future__ import annotations

import argparse
import os

from jsnviewer.cli import DEVICE_HELP
from jsnviewer.device import DEVICE_CHOICES


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "self-test", help="analyse a built-in synthetic pair and check the result (installation check)",
        description="Analyse a synthetic baseline/follow-up pair with the installed models, check the result "
                    "against its known truth, build the window offscreen, print one line. Exit status 0: passed.")
    parser.add_argument("--device", choices=DEVICE_CHOICES, default="auto", help=DEVICE_HELP.format(what="the check runs"))
    parser.set_defaults(func=run)


def _check_window() -> str:
    """Build (never show) the main window on the offscreen platform; returns the Qt version."""
    os.environ["QT_QPA_PLATFORM"] = "offscreen"  # the self-test never opens a window
    from PySide6 import __version__ as qt_version

    from jsnviewer.gui.app import make_application, no_fonts_reason
    from jsnviewer.gui.main_window import MainWindow
    from jsnviewer.gui.settings import AppSettings
    from jsnviewer.selftest import SelfTestError

    make_application()
    reason = no_fonts_reason()
    if reason:
        raise SelfTestError(f"self-test failed: {reason}")
    window = MainWindow(AppSettings())
    window.ask_before_discarding = False
    window.close()
    return qt_version


def run(args: argparse.Namespace) -> int:
    from jsnviewer.selftest import run_self_test

    result = run_self_test(args.device)
    qt_version = _check_window()
    print(f"jsnviewer {result.summary()}; window built offscreen (Qt {qt_version})")
    return 0
