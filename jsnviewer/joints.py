"""The vocabulary of joints and findings, shared by the phantom, the models, the GUI and reports."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Protocol, TypeVar

T = TypeVar("T")

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
BOTH = "B"  # DICOM ImageLaterality of a radiograph of both hands
# On a radiograph of both hands (the usual film in rheumatoid arthritis) each joint's name carries its
# hand: "R MCP2", "L PIP3". A radiograph of one hand names its joints plainly ("MCP2"), whichever hand.
HANDS: tuple[str, ...] = ("R", "L")  # the order tables list them in
HAND_JOINT_IDENTITIES: tuple[str, ...] = tuple(f"{hand} {joint}" for hand in HANDS for joint in JOINT_IDENTITIES)
ALL_IDENTITIES: tuple[str, ...] = JOINT_IDENTITIES + HAND_JOINT_IDENTITIES


def is_identity(name: object) -> bool:
    """A joint's name, plain ("MCP2") or with its hand ("R MCP2")."""
    return name in ALL_IDENTITIES


def other_side(side: str) -> str:
    """The other hand: "L" ↔ "R"."""
    return "R" if side == "L" else "L"


def hand_of(identity: str) -> str | None:
    """"R" or "L" for a joint named with its hand ("R MCP2"); None for a plain name."""
    return identity[0] if identity in HAND_JOINT_IDENTITIES else None


def joint_of(identity: str) -> str:
    """The joint without its hand: 'R MCP2' → 'MCP2'; a plain name is returned as it is."""
    if identity not in ALL_IDENTITIES:
        raise ValueError(f"unknown joint identity {identity!r}")
    return identity[2:] if identity in HAND_JOINT_IDENTITIES else identity


def with_hand(hand: str | None, joint: str) -> str:
    """`joint` named with `hand` ("R"/"L"); a plain name when `hand` is None."""
    joint = joint_of(joint)
    if hand is None:
        return joint
    if hand not in HANDS:
        raise ValueError(f"hand must be one of {HANDS}, not {hand!r}")
    return f"{hand} {joint}"


def by_hand(mapping: dict[str, T]) -> dict[str | None, dict[str, T]]:
    """Entries keyed by joint identity, grouped by hand (None: plain names) and keyed by the joint alone,
    so that what holds for one hand (its geometry, its motion) is worked out for each hand apart."""
    groups: dict[str | None, dict[str, T]] = {}
    for identity, value in mapping.items():
        groups.setdefault(hand_of(identity), {})[joint_of(identity)] = value
    return groups


def names_a_hand(identities: Iterable[str | None]) -> bool:
    """Whether any of these names carries its hand ("R MCP2"): the joints of a radiograph of both hands."""
    return any(name is not None and hand_of(name) is not None for name in identities)


def hands_named(identities: Iterable[str | None]) -> set[str]:
    """The hands ("R", "L") that these joints' names carry: none for plain names."""
    return {hand_of(name) for name in identities if name is not None} - {None}


def laterality_shown(stated: str | None, identities: Iterable[str | None], both_chosen: bool = False) -> str | None:
    """The laterality of what a radiograph shows, from its joints' names (`identities`) and what is said of it:
    "B" (both hands) where it is stated (`stated`: its file's "B"; `both_chosen`: the reader's tick) or joints of
    both hands are named on it; else the one hand stated ("L"/"R": by its file or the reader); else the hand its
    joints are named with ("L MCP2": a one-hand radiograph whose joints were named so to pair them with a
    radiograph of both hands); else None. One hand's names say one hand, never both."""
    hands = hands_named(identities)
    if both_chosen or stated == BOTH or len(hands) > 1:
        return BOTH
    if stated in SIDES:
        return stated
    return next(iter(hands), None)


def names_of_one_hand(identities: Iterable[str | None]) -> list[str | None]:
    """The names of a radiograph's boxes once it is taken to show one hand: the hand with the most named
    boxes (the right one on a tie) keeps its names, plainly; the other hand's boxes lose theirs."""
    identities = list(identities)
    counts = Counter(hand_of(name) for name in identities if name is not None)
    if not counts:
        return identities
    kept = max(counts, key=lambda hand: (counts[hand], hand == "R"))
    return [joint_of(name) if name is not None and hand_of(name) == kept else None for name in identities]


def file_stem(identity: str) -> str:
    """A joint's name as part of a file name: 'R MCP2' → 'R_MCP2'."""
    return identity.replace(" ", "_")


def identity_choices(both_hands: bool) -> tuple[str, ...]:
    """The names to offer for a box: with the hand on a radiograph of both hands, else the plain names."""
    return HAND_JOINT_IDENTITIES if both_hands else JOINT_IDENTITIES


def digit_of(identity: str) -> int:
    """The digit (1 thumb … 5 little finger) of a joint identity such as 'PIP3' or 'R PIP3'."""
    return int(joint_of(identity)[-1])


def kind_of(identity: str) -> str:
    """'IP', 'DIP', 'PIP' or 'MCP'."""
    return joint_of(identity)[:-1]


class _Named(Protocol):
    identity: str | None


Named = TypeVar("Named", bound=_Named)


_RANK = {identity: n for n, identity in enumerate(ALL_IDENTITIES)}


def anatomical_rank(identity: str | None) -> int:
    """A joint's place in anatomical order (`anatomical`); past every joint for None or an unknown name."""
    return _RANK.get(identity, len(_RANK))  # type: ignore[arg-type]


def anatomical(items: Iterable[Named]) -> list[Named]:
    """Joints (anything with an `identity`) thumb to little finger, distal to proximal (JOINT_IDENTITIES), the
    right hand before the left on a radiograph of both, as every table and report lists them; those without
    a name last."""
    return sorted(items, key=lambda item: anatomical_rank(item.identity))
