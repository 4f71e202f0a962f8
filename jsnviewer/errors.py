"""User-facing errors: one sentence naming the file and the reason, never a traceback."""

from __future__ import annotations

from pathlib import Path


class JsnError(Exception):
    """Base class for errors that are shown to the user as one clear line."""


class RadiographError(JsnError):
    """A radiograph could not be read: names the file and says why."""

    def __init__(self, path: str | Path, reason: str, whole_path: bool = False):
        self.path = Path(path)
        self.reason = reason
        super().__init__(f"{self.path if whole_path else self.path.name}: {reason}")


class WeightsError(JsnError):
    """A model weight file is missing, corrupt or of the wrong model; named by the model's `title` where it is known
    ("Bone segmenter weights …", as Settings names its row)."""

    def __init__(self, path: str | Path, reason: str, title: str = "model"):
        self.path = Path(path)
        self.reason = reason
        self.title = title
        super().__init__(f"{title} weights {self.path}: {reason}")


class DatasetError(JsnError):
    """An annotation dataset folder could not be read or written."""


class AnnotationConflictError(DatasetError):
    """A save found the annotation file changed elsewhere (another window or annotator) and left it as it was."""


def describe(exc: Exception) -> str:
    """One line for any error, the way the command line shows it: a JsnError's own sentence, an
    OSError's reason and file, anything else as unexpected with its type."""
    if isinstance(exc, JsnError):
        return str(exc)
    if isinstance(exc, OSError):
        where = f" ({exc.filename})" if getattr(exc, "filename", None) else ""
        return f"{exc.strerror or exc}{where}"
    if isinstance(exc, MemoryError):
        return "out of memory"
    return f"unexpected {type(exc).__name__}: {exc}"

