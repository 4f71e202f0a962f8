"""Counts said in words, as a reader says them: "1 joint", "3 joints", never a bracketed plural."""

from __future__ import annotations


def plural(noun: str) -> str:
    """The plural of an English noun (of the last word of a phrase: "reviewed image" → "reviewed images"):
    box → boxes, study → studies, joint → joints, epoch → epochs."""
    if noun.endswith("epoch"):  # its "ch" is said as a k
        return noun + "s"
    if noun.endswith(("s", "x", "z", "ch", "sh")):
        return noun + "es"
    if noun.endswith("y") and noun[-2:-1] not in ("a", "e", "i", "o", "u"):
        return noun[:-1] + "ies"
    return noun + "s"


def counted(n: int, noun: str, many: str | None = None) -> str:
    """`n` and `noun`, singular for exactly one, else plural (`many` where `plural` would get it wrong):
    counted(1, "joint") == "1 joint", counted(0, "box") == "0 boxes"."""
    return f"{n} {noun if n == 1 else many or plural(noun)}"
