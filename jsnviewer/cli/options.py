"""The ranges of the numeric command-line options, checked by argparse as it reads them.

Every numeric option takes one of these as its `type=`: `at_least(1)` (a whole number), `above(0)`
(a number), `between(0, 1)` (a number, both ends included). A value out of range, or no number at
all, is one line naming the option, as the project says any error ("jsnviewer: error: --epochs must
be at least 1, not 0", exit status 2), before the command does anything.
"""

from __future__ import annotations

import argparse
import math
import re
from collections.abc import Callable

from jsnviewer.errors import JsnError

SEED_MAX = 2**32 - 1  # NumPy's and most generators' seeds; torch.manual_seed overflows past 2**64 - 1


class OptionError(JsnError):
    """A command-line option's value is out of its range (or is no number)."""


class _OutOfRange(argparse.ArgumentTypeError):
    """What a range's `type=` raises; ArgumentParser.error turns it into an OptionError naming the option."""


class ArgumentParser(argparse.ArgumentParser):
    """argparse's parser (and, through add_subparsers, its subcommands'), with an option out of its range
    raised as an OptionError for `main` to print on one line, instead of the usage and a second line."""

    def error(self, message: str):
        # argparse words a `type=` failure "argument --epochs: <its message>"; ours all say "must be …"
        ours = re.fullmatch(r"argument (\S+): (must be .*)", message)
        if ours is not None:
            raise OptionError(f"{ours.group(1)} {ours.group(2)}") from None
        super().error(message)


def _number(text: str, kind: type) -> int | float:
    try:
        value = kind(text)
    except ValueError:
        raise _OutOfRange(f"must be {'a whole number' if kind is int else 'a number'}, not {text!r}") from None
    if kind is float and not math.isfinite(value):  # float('nan'), float('inf'), float('1e999')
        raise _OutOfRange(f"must be a finite number, not {text}")
    return value


def _show(bound: int | float) -> str:
    return str(bound) if isinstance(bound, int) else f"{bound:g}"


def at_least(least: int | float, most: int | float | None = None, kind: type = int) -> Callable[[str], int | float]:
    """`type=` of a whole number (or a `kind=float` number) from `least` (to `most`), ends included."""
    def check(text: str) -> int | float:
        value = _number(text, kind)
        if value < least:
            raise _OutOfRange(f"must be {'0 or more' if least == 0 else f'at least {_show(least)}'}, not {text}")
        if most is not None and value > most:
            raise _OutOfRange(f"must be at most {_show(most)}, not {text}")
        return value
    return check


def above(bound: float) -> Callable[[str], float]:
    """`type=` of a number greater than `bound` (a rate, a length, a time limit)."""
    def check(text: str) -> float:
        value = _number(text, float)
        if not value > bound:
            raise _OutOfRange(f"must be above {_show(bound)}, not {text}")
        return value
    return check


def between(low: float, high: float) -> Callable[[str], float]:
    """`type=` of a number from `low` to `high`, both included (a share, a probability, an IoU)."""
    def check(text: str) -> float:
        value = _number(text, float)
        if not low <= value <= high:
            raise _OutOfRange(f"must be between {_show(low)} and {_show(high)}, not {text}")
        return value
    return check


SEED = at_least(0, SEED_MAX)  # every --seed
