"""What the user waits for at start: the analysis's heavy libraries (torch, scipy) are imported by the background
warm-up once the window shows, not before, and the warm-up leaves none for the first analysis; the command line
reads its options (`jsnviewer --help`) without numpy or the DICOM reader."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

HEAVY = ("torch", "scipy")

WINDOW_SHOWN = """
from jsnviewer.cli.main import build_parser
from jsnviewer.gui.app import make_application
from jsnviewer.gui.about import installation_facts
from jsnviewer.gui.main_window import MainWindow

build_parser()
app = make_application()
installation_facts()
window = MainWindow()
window.show()
app.processEvents()
"""

FIRST_ANALYSIS = """
from jsnviewer.gui.analysis import ModelCache, run_analysis, warm_up
from jsnviewer.gui.settings import AppSettings
from jsnviewer.phantom import generate_study
from jsnviewer.radiograph import load_radiograph
from jsnviewer.phantom import write_study

write_study(FOLDER, generate_study(3), "dcm")
baseline, followup = (load_radiograph(FOLDER / name) for name in ("baseline.dcm", "followup.dcm"))
settings, cache = AppSettings(device="cpu"), ModelCache()
assert warm_up(settings, cache)
before = set(sys.modules)
result = run_analysis(baseline, followup, settings, cache)
assert result.joints
"""


def heavy_modules_imported(code: str, tmp_path: Path, since_before: bool = False, heavy=HEAVY) -> list[str]:
    """The modules of the `heavy` packages `code` imports (only those after it set `before`, if `since_before`), run in a
    fresh interpreter with the offscreen platform and settings of its own."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path / "config"),
               XDG_DATA_HOME=str(tmp_path / "data"))
    listing = "import json\nprint(json.dumps(sorted(set(sys.modules) - (before if %s else set()))))" % since_before
    program = f"import sys\nfrom pathlib import Path\nFOLDER = Path({str(tmp_path / 'pair')!r})\n{code}\n{listing}"
    done = subprocess.run([sys.executable, "-c", program], env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    modules = json.loads(done.stdout.splitlines()[-1])
    return [name for name in modules if name.split(".")[0] in heavy]


def test_the_window_shows_before_torch_and_scipy_are_imported(tmp_path):
    assert heavy_modules_imported(WINDOW_SHOWN, tmp_path) == []


def test_after_the_warm_up_the_first_analysis_imports_no_more_of_torch_or_scipy(tmp_path):
    assert heavy_modules_imported(FIRST_ANALYSIS, tmp_path, since_before=True) == []


def test_the_command_lines_options_are_read_without_numpy_or_the_dicom_reader(tmp_path):
    code = "from jsnviewer.cli.main import build_parser\nbuild_parser()"
    assert heavy_modules_imported(code, tmp_path, heavy=(*HEAVY, "numpy", "pydicom", "PIL")) == []
