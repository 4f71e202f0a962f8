"""`jsnviewer COMMAND --help` says what each command does before its options."""

from __future__ import annotations

import argparse
import re

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


def _options(parser: argparse.ArgumentParser):
    """A command's options and arguments as its --help lists them (not --help itself)."""
    return [action for action in parser._actions
            if not isinstance(action, (argparse._HelpAction, argparse._SubParsersAction))]


EVERY = [(("jsnviewer",), build_parser())] + [(("jsnviewer", *words), parser) for words, parser in ALL]


@pytest.mark.parametrize("words, parser", EVERY, ids=[" ".join(words) for words, _ in EVERY])
def test_every_option_of_every_command_says_what_it_does(words, parser):
    """`jsnviewer analyze --help` listed `--device {auto,cpu,cuda}` and `jsnviewer train detector --help` listed
    `--finding`, `--steps`, `--batch`, `--lr` and `--seed` with nothing beside them."""
    bare = [" ".join(action.option_strings) or action.dest for action in _options(parser)
            if not action.help or action.help == argparse.SUPPRESS or len(action.help.split()) < 2]
    assert not bare, f"{' '.join(words)}: {', '.join(bare)} without a help text"
    for action in parser._actions:  # the commands listed under COMMAND, MODEL or WHAT
        if isinstance(action, argparse._SubParsersAction):
            listed = {choice.dest: choice.help for choice in action._choices_actions}
            assert set(listed) == set(action.choices) and all(listed.values()), listed


# The paper's symbols and references, which say nothing to a reader without it
PAPERS_TERMS = re.compile(r"σ|Table \d|Eq\. ?\d|Algorithm \d|\bt_conf\b|\bt_IoU\d\b|\bM[12]\b")


def _outside_brackets(text: str) -> str:
    while re.search(r"\([^()]*\)", text):
        text = re.sub(r"\([^()]*\)", "", text)
    return text


@pytest.mark.parametrize("words, parser", EVERY, ids=[" ".join(words) for words, _ in EVERY])
def test_the_papers_symbols_show_only_in_brackets_after_plain_words(words, parser):
    """`jsnviewer bench --help` said "Table 6 metrics per bone" and "σ, σ', mismatching ratio": meaningless
    without the paper at hand."""
    texts = [parser.description or ""] + [action.help or "" for action in _options(parser)]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            texts += [choice.help or "" for choice in action._choices_actions]
    for text in texts:
        assert not PAPERS_TERMS.search(_outside_brackets(text)), text
