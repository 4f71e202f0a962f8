"""What the user waits for at start: the command line reads its options (`jsnviewer --help`) without the
analysis's libraries, numpy or the DICOM reader."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

HEAVY = ("torch", "scipy")


def heavy_modules_imported(code: str, tmp_path: Path, heavy=HEAVY) -> list[str]:
    """The modules of the `heavy` packages `code` imports, run in a fresh interpreter with the offscreen platform and
    settings of its own."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path / "config"),
               XDG_DATA_HOME=str(tmp_path / "data"))
    program = f"import json\nimport sys\n{code}\nprint(json.dumps(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", program], env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    modules = json.loads(done.stdout.splitlines()[-1])
    return [name for name in modules if name.split(".")[0] in heavy]


def test_the_command_lines_options_are_read_without_numpy_or_the_dicom_reader(tmp_path):
    code = "from jsnviewer.cli.main import build_parser\nbuild_parser()"
    assert heavy_modules_imported(code, tmp_path, heavy=(*HEAVY, "numpy", "pydicom", "PIL")) == []
