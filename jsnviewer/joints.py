"""The vocabulary of joints and findings, shared by the phantom, the models, the GUI and reports."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol, TypeVar

# Digit 1 is the thumb, 5 the little finger.
JOINT_IDENTITIES: tuple[str, ...] = (
    "IP1", "DIP2", "DIP3", "DIP4", "DIP5",
    "PIP2", "PIP3", "PIP4", "PIP5",
    "MCP1", "MCP2", "MCP3", "MCP4", "MCP5",
)
# The ten joints scored by Sharp/van der Heijde for JSN and landmarked in the real hands.
SCORED_JOINTS: tuple[str, ...] = ("IP1", "PIP2", "PIP3", "PIP4", "PIP5", "MCP1", "MCP2", "MCP3", "MCP4", "MCP5")
# The joints along each digit, proximal first.
DIGIT_CHAINS: dict[int, tuple[str, ...]] = {
    1: ("MCP1", "IP1"),
    2: ("MCP2", "PIP2", "DIP2"),
    3: ("MCP3", "PIP3", "DIP3"),
    4: ("MCP4", "PIP4", "DIP4"),
    5: ("MCP5", "PIP5", "DIP5"),
}
FINDINGS: tuple[str, ...] = ("ankylosis", "subluxation")
# A radiograph's laterality (DICOM ImageLaterality 'L' / 'R') in words.
SIDES = {"L": "left", "R": "right"}


def digit_of(identity: str) -> int:
    """The digit (1 thumb … 5 little finger) of a joint identity such as 'PIP3'."""
    if identity not in JOINT_IDENTITIES:
        raise ValueError(f"unknown joint identity {identity!r}")
    return int(identity[-1])


def kind_of(identity: str) -> str:
    """'IP', 'DIP', 'PIP' or 'MCP'."""
    if identity not in JOINT_IDENTITIES:
        raise ValueError(f"unknown joint identity {identity!r}")
    return identity[:-1]


class _Named(Protocol):
    identity: str | None


Named = TypeVar("Named", bound=_Named)


def anatomical(items: Iterable[Named]) -> list[Named]:
    """Joints (anything with an `identity`) thumb to little finger, distal to proximal (JOINT_IDENTITIES), as
    every table and report lists them; those without a name last."""
    rank = {identity: n for n, identity in enumerate(JOINT_IDENTITIES)}
    return sorted(items, key=lambda item: rank.get(item.identity, len(rank)))
