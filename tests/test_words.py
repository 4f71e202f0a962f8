"""Counts in the window, the command line and the reports read as a reader says them: "1 joint", "3 joints"."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from jsnviewer.words import counted

PACKAGE = Path(__file__).parents[1] / "jsnviewer"


def test_one_is_said_in_the_singular_and_any_other_count_in_the_plural():
    assert counted(1, "joint") == "1 joint"
    assert counted(3, "joint") == "3 joints"
    assert counted(0, "reviewed image") == "0 reviewed images"
    assert counted(2, "box") == "2 boxes"
    assert counted(1, "box") == "1 box"
    assert counted(4, "study") == "4 studies"
    assert counted(2, "JSN tag") == "2 JSN tags"
    assert counted(2, "person", "people") == "2 people"
    assert counted(3, "epoch") == "3 epochs" and counted(2, "patch") == "2 patches"  # the model cards' epochs


def test_no_text_of_the_program_counts_with_a_bracketed_plural():
    """ "3 reviewed radiograph(s)", "2 box(es)": the text of every string the program shows, prints or writes."""
    bracketed = re.compile(r"\w\((?:s|es)\)")
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and bracketed.search(node.value):
                found.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}: {node.value.strip()[:60]}")
    assert not found, "\n".join(found)
