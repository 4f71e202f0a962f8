"""Help ▸ About: what IT needs when a user reports a problem: versions, the models in use and their
SHA-256, and where the settings, the per-user data and the log live. The log's first line of each
session records the same facts (jsnviewer.gui.app.run_gui)."""

from __future__ import annotations

import platform
import sys
from html import escape
from pathlib import Path

from PySide6 import __version__ as qt_version

from jsnviewer import __version__
from jsnviewer.gui.settings import AppSettings, log_file, qsettings, user_data_folder
from jsnviewer.pipeline.report import INTENDED_USE


def program_folder() -> Path:
    """The installed program's folder (the packaged one's), or the source checkout."""
    if getattr(sys, "frozen", False):
        return Path(sys.executable).resolve().parent
    return Path(__file__).resolve().parents[2]


NOTICES = "THIRD-PARTY-NOTICES.txt"  # written beside the packaged program by packaging/notices.py


def installation_facts() -> dict[str, str]:
    notices = program_folder() / NOTICES
    return {"jsnviewer": __version__, "Python": platform.python_version(), "Qt": qt_version,
            "system": platform.platform(), "program folder": str(program_folder()),
            "settings file": qsettings().fileName(), "data folder": str(user_data_folder()), "log file": str(log_file()),
            "third-party licences": str(notices) if notices.is_file() else "those of the installed Python packages"}


def model_files(settings: AppSettings) -> list[tuple[str, Path, str | None]]:
    """(model, weights file, first 16 hex digits of its SHA-256 or None when it is missing), as
    `AnalysisModels.weights_files` records them with each result."""
    from jsnviewer.gui.analysis import weights_files
    from jsnviewer.weights import weights_sha256

    return [(name, path, weights_sha256(path))
            for name, path in weights_files(settings).items()]


def about_html(settings: AppSettings) -> str:
    torch = sys.modules.get("torch")  # imported by the warm-up; not imported here just to print its version
    facts = installation_facts() | {"torch": torch.__version__ if torch else "not loaded yet"}
    rows = [f"<tr><td>{escape(k)}</td><td>{escape(v)}</td></tr>" for k, v in facts.items()]
    rows += [f"<tr><td>{escape(name)}</td><td>{escape(str(path))}<br>"
             f"{'SHA-256 ' + sha + '…' if sha else '<b>missing</b>'}"
             f"{'' if not settings.weights.get(name) else ' (chosen in Settings)'}</td></tr>"
             for name, path, sha in model_files(settings)]
    return (f"<h3>jsnviewer {escape(__version__)}</h3><p>Hand radiographs in rheumatoid arthritis: joints, findings "
            f"and JSN progression.</p><p>{escape(INTENDED_USE)}</p><table>" + "".join(rows) + "</table>")
