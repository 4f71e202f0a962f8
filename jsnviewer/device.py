"""The one place that chooses where models run."""

from __future__ import annotations

import torch


def choose_device(preference: str | None = None) -> torch.device:
    """Return the torch device to run on.

    `preference` is "cpu", "cuda" or None/"auto" (CUDA when available, else CPU). Asking for
    CUDA on a machine without it falls back to the CPU rather than failing an analysis.
    """
    pref = (preference or "auto").lower()
    if pref not in {"auto", "cpu", "cuda"}:
        raise ValueError(f"unknown device {preference!r}: use cpu, cuda or auto")
    if pref in {"auto", "cuda"} and torch.cuda.is_available():
        return torch.device("cuda")
    return torch.device("cpu")
