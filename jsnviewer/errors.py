"""User-facing errors: one sentence naming the file and the reason, never a traceback."""

from __future__ import annotations

from pathlib import Path


class JsnError(Exception):
    """Base class for errors that are shown to the user as one clear line."""


class RadiographError(JsnError):
    """A radiograph could not be read: names the file and says why."""

    def __init__(self, path: str | Path, reason: str):
        self.path = Path(path)
        self.reason = reason
        super().__init__(f"{self.path.name}: {reason}")


class WeightsError(JsnError):
    """A model weight file is missing, corrupt or of the wrong model."""

    def __init__(self, path: str | Path, reason: str):
        self.path = Path(path)
        self.reason = reason
        super().__init__(f"model weights {self.path}: {reason}")


class DatasetError(JsnError):
    """An annotation dataset folder could not be read or written."""
