"""THIRD-PARTY-NOTICES.txt of the packaged program: every Python distribution the package bundles
(name, version, licence and the full text of its licence files), the libraries of the build machine
that came along, and the LGPL terms for Qt/PySide6 (the folder layout lets a clinic replace them).

Called by packaging/jsnviewer.spec with the source paths PyInstaller collected; testable on its own
(tests/test_packaging_notices.py).
"""

from __future__ import annotations

import importlib.metadata as metadata
import re
import sys
from collections.abc import Iterable
from pathlib import Path

LICENCE_FILE = re.compile(r"(LICEN[CS]E|COPYING|NOTICE)", re.IGNORECASE)
LGPL_NOTE = """\
Qt and PySide6 are used under the GNU Lesser General Public License v3 (LGPL-3.0-only). They are
bundled as separate shared libraries in _internal/PySide6 and _internal/libQt6*.so* (Windows:
_internal\\PySide6\\*.dll); you may replace them with a compatible version you built yourself.
Their source code: https://code.qt.io (Qt) and https://code.qt.io/cgit/pyside/pyside-setup.git
(PySide6); licence text: https://www.gnu.org/licenses/lgpl-3.0.txt."""


def _file_owners() -> dict[Path, metadata.Distribution]:
    """Every file of every installed distribution (its RECORD), by resolved path."""
    owners: dict[Path, metadata.Distribution] = {}
    for dist in metadata.distributions():
        for entry in dist.files or ():
            owners[Path(dist.locate_file(entry)).resolve()] = dist
    return owners


def bundled(sources: Iterable[str | Path]) -> tuple[list[metadata.Distribution], list[str]]:
    """The distributions that own any of `sources` (sorted by name) and the names of the bundled
    shared libraries no distribution owns (the build machine's)."""
    owners = _file_owners()
    dists: dict[str, metadata.Distribution] = {}
    system: set[str] = set()
    for source in sources:
        path = Path(source).resolve()
        dist = owners.get(path)
        if dist is not None and dist.metadata["Name"] != "jsnviewer":  # the product itself
            dists.setdefault(dist.metadata["Name"].lower(), dist)
        elif ".so" in path.name or path.suffix.lower() == ".dll":
            system.add(path.name)
    return [dists[k] for k in sorted(dists)], sorted(system)


def licence_of(dist: metadata.Distribution) -> str:
    """The licence a distribution declares: SPDX expression, else the License field's first line, else
    its classifiers."""
    meta = dist.metadata
    if meta.get("License-Expression"):
        return meta["License-Expression"]
    declared = (meta.get("License") or "").strip().splitlines()
    classifiers = [c.split("::")[-1].strip() for c in meta.get_all("Classifier") or () if c.startswith("License")]
    if declared and len(declared[0]) < 100 and not declared[0].lower().startswith("copyright"):
        return declared[0]
    return "; ".join(classifiers) or (declared[0] if declared else "not declared")


def notices(dists: list[metadata.Distribution], system_libraries: list[str]) -> str:
    """The text of THIRD-PARTY-NOTICES.txt."""
    out = ["jsnviewer bundles the following third-party software.", "", "Summary:"]
    out += [f"  {d.metadata['Name']} {d.version}: {licence_of(d)}" for d in dists]
    out += [f"  Python {sys.version.split()[0]}: PSF-2.0", "", LGPL_NOTE, ""]
    for dist in dists:
        out += ["=" * 78, f"{dist.metadata['Name']} {dist.version}", f"Licence: {licence_of(dist)}"]
        if dist.metadata.get("Home-page"):
            out.append(f"Home page: {dist.metadata['Home-page']}")
        for entry in sorted(dist.files or (), key=str):
            if LICENCE_FILE.search(entry.name) and not entry.name.endswith((".py", ".pyc")):
                try:
                    text = Path(dist.locate_file(entry)).read_text(encoding="utf-8", errors="replace")
                except OSError:
                    continue
                out += ["", f"--- {entry} ---", text.rstrip()]
        out.append("")
    python_licence = Path(sys.base_prefix) / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "LICENSE.txt"
    out += ["=" * 78, f"Python {sys.version.split()[0]} (the interpreter inside the package)", "Licence: PSF-2.0"]
    if python_licence.is_file():
        out += ["", python_licence.read_text(encoding="utf-8", errors="replace").rstrip()]
    if system_libraries:
        out += ["", "=" * 78, "Libraries of the build machine's operating system, bundled as found there (their",
                "licences are those of the operating system's packages):", ""]
        out += [f"  {name}" for name in system_libraries]
    return "\n".join(out) + "\n"


def write_notices(sources: Iterable[str | Path], target: Path) -> Path:
    dists, system_libraries = bundled(sources)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(notices(dists, system_libraries), encoding="utf-8")
    return target
