"""The one place that chooses where models run."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch

log = logging.getLogger(__name__)

# What a user may ask for (--device, the Settings dialog); torch is imported only to choose.
DEVICE_CHOICES = ("auto", "cpu", "cuda")


def choose_device(preference: str | None = None) -> torch.device:
    """Return the torch device to run on.

    `preference` is "cpu", "cuda" or None/"auto" (CUDA when available, else CPU). Asking for
    CUDA on a machine without it falls back to the CPU rather than failing an analysis.
    """
    import torch

    pref = (preference or "auto").lower()
    if pref not in DEVICE_CHOICES:
        raise ValueError(f"unknown device {preference!r}: use cpu, cuda or auto")
    if pref in {"auto", "cuda"} and torch.cuda.is_available():
        return torch.device("cuda")
    if pref == "cuda":
        log.warning("CUDA was asked for but this machine has none that torch can use: running on the CPU")
    return torch.device("cpu")


def device_said(device_type: str) -> str:
    """Where models ran or will run ("cpu", "cuda" as torch names them), in the Settings dialog's words."""
    return "GPU (CUDA)" if device_type == "cuda" else "CPU" if device_type == "cpu" else device_type


def cpu_threads() -> int:
    """Threads for torch's CPU work in an analysis: every core but one, which is left to the
    window and the system. Two threads on a busy 2-core machine made a whole analysis five times
    slower than one (15 s against 2.7–3.3 s per synthetic study pair, measured), because each
    parallel call waits for a core that something else holds."""
    return max(1, (os.cpu_count() or 1) - 1)


def training_threads() -> int:
    """Threads for a retraining run started from the window: half the cores, so that the annotator can go on
    working while it runs."""
    return max(1, (os.cpu_count() or 2) // 2)


def use_cpu_threads(threads: int) -> None:
    """Torch's CPU threads for the rest of this process (a command's --threads)."""
    import torch

    torch.set_num_threads(max(1, int(threads)))


@contextmanager
def at_most_cpu_threads(threads: int) -> Iterator[None]:
    """Run small per-joint network calls on at most `threads` threads: with more, each call waits on the
    others' cores (measured: 7 ms on one thread, 480 ms on two while another job kept the CPU busy)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(max(1, min(threads, before)))
    try:
        yield
    finally:
        torch.set_num_threads(before)
