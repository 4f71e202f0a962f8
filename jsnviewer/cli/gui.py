"""`jsnviewer gui`: the review and annotation window."""

from __future__ import annotations

import argparse


def register(subparsers) -> None:
    parser = subparsers.add_parser("gui", help="open the review and annotation window (the default command)",
                                   description="Open the review and annotation window, optionally on a baseline "
                                               "and a follow-up radiograph (files or a folder of radiographs).")
    parser.add_argument("baseline", nargs="?", help="baseline radiograph (or a folder of radiographs)")
    parser.add_argument("followup", nargs="?", help="follow-up radiograph")
    parser.add_argument("--demo", action="store_true", help="open a synthetic baseline/follow-up pair")
    parser.add_argument("--dataset", metavar="DIR", help="training dataset folder to save annotations to, this session only (not remembered in the settings)")
    parser.add_argument("--screenshot", metavar="PATH",
                        help="wait until the study is shown (with --demo: analysed), save a PNG of the window "
                             "to PATH and exit")
    parser.add_argument("--detail-screenshot", metavar="PATH",
                        help="likewise, a PNG of the joint detail panel (with --demo: of the joint with the largest "
                             "reliable JSN change)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from jsnviewer.gui.app import run_gui

    return run_gui(args.baseline, args.followup, demo=args.demo, screenshot=args.screenshot, dataset=args.dataset,
                   detail_screenshot=args.detail_screenshot)
