"""`jsnviewer COMMAND --help` says what each command does before its options."""

from __future__ import annotations

import argparse

import pytest

from jsnviewer.cli.main import build_parser


def commands(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()):
    """Every command and sub-command, as (its words, its parser)."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield (*path, name), sub
                yield from commands(sub, (*path, name))


ALL = list(commands(build_parser()))


def test_the_commands_a_reader_asked_about_are_there():
    names = {" ".join(words) for words, _ in ALL}
    assert {"analyze", "batch", "train", "train detector", "train findings", "train registration", "train segmenter",
            "bench", "bench pipeline"} <= names


@pytest.mark.parametrize("words, parser", ALL, ids=[" ".join(words) for words, _ in ALL])
def test_each_commands_help_opens_with_a_sentence_saying_what_it_does(words, parser, capsys):
    """`jsnviewer analyze --help`, `jsnviewer train --help` and `jsnviewer train registration --help` went straight
    from the usage to the options."""
    description = parser.description or ""
    assert description[:1].isupper() and description.rstrip().endswith("."), (words, description)
    assert len(description.split()) >= 8, description  # a sentence, not a word
    with pytest.raises(SystemExit):
        parser.parse_args(["--help"])
    shown = "".join(capsys.readouterr().out.split())  # argparse breaks lines at spaces and hyphens
    assert "".join(description.split()) in shown
