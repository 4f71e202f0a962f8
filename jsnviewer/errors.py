"""User-facing errors: one sentence naming the file and the reason, never a traceback."""

from __future__ import annotations

import json
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


class RadiographUnavailableError(DatasetError):
    """A save needed the radiograph's file (to copy it into the dataset) and it is gone, unreadable or another image
    now: the annotations wait for it, nothing about the dataset folder is wrong."""


def plain_cause(exc: BaseException) -> str:
    """Why a file could not be read or parsed, in words and without the exception's class name (that goes to the
    log): the system's reason, where a JSON file stops being JSON, which entry a table lacks."""
    if isinstance(exc, json.JSONDecodeError):
        return f"not valid JSON (line {exc.lineno}, column {exc.colno})"
    if isinstance(exc, UnicodeDecodeError):
        return "not a text file"
    if isinstance(exc, OSError):
        return exc.strerror or str(exc) or "the system could not read it"
    if isinstance(exc, KeyError):
        return f"{exc.args[0]!r} is missing" if exc.args else "an entry is missing"
    if isinstance(exc, IndexError):
        return "a list has too few entries"
    if isinstance(exc, RecursionError):
        return "nested too deeply"
    if isinstance(exc, OverflowError):
        return "a number too large"
    if isinstance(exc, ValueError) and str(exc):  # the program's own say which value (a box, a version)
        return str(exc).splitlines()[0][:160]
    return "a value of the wrong kind"


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

