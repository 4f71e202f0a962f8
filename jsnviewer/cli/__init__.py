"""The command line: a thin layer over the library. Each subcommand lives in its own module."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from jsnviewer.words import counted

if TYPE_CHECKING:
    import argparse

    import torch

# ../shared/data/real beside the repository: the real training data on development machines and
# in CI (never bundled; absent in the packaged program, where trainers need --data).
SHARED_REAL_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "real"


def starting_weights(init: Path | None, model: str, data: list[Path]) -> Path | None:
    """The weights a training run starts from: `--init`, else the shipped model's when it learns from
    an annotation dataset (a clinic fine-tunes the program's models on its annotations; starting from
    nothing on a few hundred joints would give a worse model), else None (random weights)."""
    from jsnviewer.dataset import is_dataset
    from jsnviewer.weights import resolve_weights

    if init is None and any(d is not None and is_dataset(d) for d in data):
        return resolve_weights(model)
    return init


def settings_of(args) -> dict:
    """Every option of a command as it was used (defaults and resolved starting weights included), for the
    weights a training run writes beside `args.command_line`, the command as it was typed."""
    def plain(value):
        if isinstance(value, Path):
            return str(value)
        if isinstance(value, (list, tuple)):
            return [plain(v) for v in value]
        return value

    return {name: plain(value) for name, value in sorted(vars(args).items())
            if name not in ("func", "command_line") and not callable(value)}


def print_unmasked(unmasked: list[str]) -> None:
    """The crops a benchmark could not measure because a bone mask is missing, said, not skipped silently."""
    if unmasked:
        print(f"not measured: {counted(len(unmasked), 'crop')} without both _upper.png and _lower.png masks: {', '.join(unmasked)}")


# what `--device` and `--method` say in every command's help
DEVICE_HELP = "where {what}: auto (a CUDA graphics card when there is one, else the CPU), cpu or cuda"
METHOD_HELP = ("how each joint's bones are registered between the visits: refined (network and sub-pixel refinement), "
               "deep (network only) or poc (phase-only correlation, no network); deep and poc are kept for comparison and "
               "every value they give is flagged as not reliable")


def add_device_option(parser: argparse.ArgumentParser) -> None:
    """A trainer's `--device`, read by `training_device`."""
    from jsnviewer.device import DEVICE_CHOICES

    parser.add_argument("--device", choices=DEVICE_CHOICES, default="auto",
                        help=DEVICE_HELP.format(what="the network trains"))


def training_device(preference: str) -> torch.device:
    """The device a trainer's network runs on (jsnviewer.device chooses), said on its own line."""
    from jsnviewer.device import choose_device

    device = choose_device(preference)
    print(f"training on {'the GPU (CUDA)' if device.type == 'cuda' else 'the CPU'}", flush=True)
    return device
