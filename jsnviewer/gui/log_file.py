"""The window's log file for clinic IT: appended per session, rolled over past LOG_ROLL_BYTES, silenced after one
note on a full disk, and without the user's radiographs' names or folders (docs/packaging.md, "Collecting logs")."""

from __future__ import annotations

import contextlib
import logging
import os
import re
import sys
from pathlib import Path

from jsnviewer.errors import describe
from jsnviewer.radiograph import RADIOGRAPH_SUFFIXES

LOG_ROLL_BYTES = 1_000_000
# What the window says after an unexpected error (a fault of the program's, not of the user's files): the log has its traceback
SEND_LOG = "please send the log file (Help ▸ About shows where it is) to whoever supports jsnviewer"


class _LogFile(logging.FileHandler):
    """The log file, which a full or vanished disk silences after one note (logging's own handling printed
    a traceback to the terminal for every line)."""

    failed = False

    def emit(self, record: logging.LogRecord) -> None:
        if not self.failed:
            super().emit(record)

    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802
        if not self.failed:
            self.failed = True
            print(f"jsnviewer: note: the log file {self.baseFilename} cannot be written any more "
                  f"({describe(sys.exc_info()[1])})", file=sys.stderr)

    def close(self) -> None:
        with contextlib.suppress(OSError):  # the lines still buffered have nowhere to go
            super().close()


# A path, through spaces, commas and brackets that lie inside it ("/data/Doe, Jane (2)/hand.dcm": whatever is
# followed by more of the path before the next space), and a radiograph's file name
_PATH = re.compile(r"(?:[A-Za-z]:\\|/)(?:[^\s:;,()'\"]|[\s,;()'](?=[\s,;()']*[^\s]*?[/\\]))*")
_RADIOGRAPH_NAME = re.compile(r"[^\s/\\:;,()'\"]+\.(" + "|".join(s.lstrip(".") for s in RADIOGRAPH_SUFFIXES) + r")\b",
                              re.IGNORECASE)


# The names of the files the window was asked to open: kept out of the log whatever their ending (a DICOM file
# without one, named after the patient, has none of RADIOGRAPH_SUFFIXES)
_OPENED_NAMES: set[str] = set()
_opened_name: re.Pattern | None = None  # any of them as a whole word, the longest first


def keep_out_of_log(path: str | Path) -> None:
    """The window opens (or tries to open) `path`: its name, and the names of the two folders above it (a
    patient's folder, a visit's), never reach the log file, even in a relative path or one cut short."""
    global _opened_name
    path = Path(path)
    new = {p.name for p in (path, path.parent, path.parent.parent) if len(p.name) >= 3} - _OPENED_NAMES
    if new:
        _OPENED_NAMES.update(new)
        names = "|".join(re.escape(n) for n in sorted(_OPENED_NAMES, key=len, reverse=True))
        _opened_name = re.compile(rf"(?<![\w.-])(?:{names})(?![\w.-])")


class _WithoutUserFiles(logging.Formatter):
    """Log lines without the user's folders and radiographs' file names (often a patient's name or ID): a path
    outside the program's own folders reads "<path>", a radiograph's name "<file>.dcm"."""

    def __init__(self, fmt: str, own_folders: tuple[str, ...]):
        super().__init__(fmt)
        folders = "|".join(re.escape(f) for f in sorted(own_folders, key=len, reverse=True) if f)
        # a path in one of the program's own folders (not one that only begins like it: "/opt/jsnviewer2")
        self._own_path = (re.compile(rf"(?<![^\s:;,()'\"])(?:{folders})(?![^\s/\\:;,()'\"])[^\s:;,()'\"]*")
                          if folders else None)

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        own: list[str] = []  # set aside first, so that a name the user's files share leaves them whole

        def aside(match: re.Match) -> str:
            own.append(match.group(0))
            return f"\x00{len(own) - 1}\x00"

        text = _RADIOGRAPH_NAME.sub(lambda m: f"<file>.{m.group(1)}", text)
        if self._own_path is not None:
            text = self._own_path.sub(aside, text)
        if _opened_name is not None:  # before paths: a folder's name may hold what ends a path ("Doe, Jane")
            text = _opened_name.sub("<file>", text)
        text = _PATH.sub("<path>", text)
        return re.sub("\x00(\\d+)\x00", lambda m: own[int(m.group(1))], text)


def start_log_file(path: Path, own_folders: tuple[str | Path, ...] = ()) -> Path | None:
    """Append this session's log to `path` (the one before kept as `<name>.1` once it passes LOG_ROLL_BYTES);
    None, with a one-line note, where it cannot be written: the window works without it. Records versions,
    models, errors the window showed and unexpected errors with their traceback; never a patient's name, nor
    a radiograph's file name or a folder outside `own_folders` (the program's, its settings' and data's)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.is_file() and path.stat().st_size > LOG_ROLL_BYTES:
            os.replace(path, path.with_name(path.name + ".1"))
        handler = _LogFile(path, encoding="utf-8")  # appends: two sessions at once share it line by line
    except OSError as exc:
        print(f"jsnviewer: note: no log file ({exc.strerror or exc}: {path})", file=sys.stderr)
        return None
    own = tuple(str(f).rstrip("/\\") for f in (*own_folders, path.parent, sys.prefix, sys.base_prefix))
    handler.setFormatter(_WithoutUserFiles("%(asctime)s [%(process)d] %(levelname)s %(name)s: %(message)s", own))
    handler.setLevel(logging.INFO)
    root = logging.getLogger()
    for console in root.handlers:  # the terminal keeps showing what it showed before
        if console.level == logging.NOTSET:
            console.setLevel(root.level)
    root.addHandler(handler)
    root.setLevel(min(root.level, logging.INFO))
    return path
