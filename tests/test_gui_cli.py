"""`jsnviewer` and `jsnviewer gui`: the window starts, and --screenshot makes a picture of it and exits."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from PIL import Image

from jsnviewer.cli.main import main
from gui_support import study  # noqa: F401 (fixture)


def test_plain_jsnviewer_and_jsnviewer_gui_start_the_window(monkeypatch):
    calls = []
    monkeypatch.setattr("jsnviewer.gui.app.run_gui", lambda *args, **kwargs: calls.append((args, kwargs)) or 0)
    assert main([]) == 0
    assert main(["gui", "a.dcm", "b.dcm", "--dataset", "ds"]) == 0
    assert calls[0] == ((None, None), {"demo": False, "screenshot": None, "dataset": None, "detail_screenshot": None})
    assert calls[1] == (("a.dcm", "b.dcm"), {"demo": False, "screenshot": None, "dataset": "ds", "detail_screenshot": None})


def test_files_given_to_plain_jsnviewer_open_in_the_window(monkeypatch, study):
    calls = []
    monkeypatch.setattr("jsnviewer.gui.app.run_gui", lambda *args, **kwargs: calls.append(args) or 0)
    assert main([str(study[0]), str(study[1])]) == 0  # a desktop entry's `jsnviewer %F`, a file manager's "Open with"
    assert main([str(study[0].parent)]) == 0
    assert calls == [(str(study[0]), str(study[1])), (str(study[0].parent), None)]


def test_files_given_to_plain_jsnviewer_that_are_not_there_open_the_window_as_jsnviewer_gui_does(monkeypatch, tmp_path,
                                                                                                   capsys):
    calls = []
    monkeypatch.setattr("jsnviewer.gui.app.run_gui", lambda *args, **kwargs: calls.append(args) or 0)
    missing, other = tmp_path / "hnd.dcm", tmp_path / "gone" / "f.dcm"  # a typo; a file association's moved file
    assert main([str(missing)]) == 0
    assert main([str(missing), str(other)]) == 0
    assert main(["gui", str(missing), str(other)]) == 0
    assert calls == [(str(missing), None), (str(missing), str(other)), (str(missing), str(other))]
    assert capsys.readouterr().err == ""  # the window says what is wrong
    with pytest.raises(SystemExit):  # not a path, not a command: argparse's own message lists the commands
        main(["hand"])
    assert "invalid choice" in capsys.readouterr().err


def run_cli(args, tmp_path, timeout=120):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path / "config"),
               XDG_DATA_HOME=str(tmp_path / "data"))
    return subprocess.run([sys.executable, "-m", "jsnviewer", "gui", *args], capture_output=True, text=True,
                          timeout=timeout, env=env)


def test_screenshot_of_a_study_pair_is_saved_and_the_program_exits(tmp_path, study):
    out = tmp_path / "shot.png"
    done = run_cli([str(study[0]), str(study[1]), "--screenshot", str(out)], tmp_path)
    assert done.returncode == 0, done.stderr
    with Image.open(out) as picture:
        assert picture.width >= 1000 and picture.height >= 600
        grey = picture.convert("L")
        assert grey.getextrema()[1] > 150  # the radiographs' bright bone is in the picture


def test_the_window_names_a_file_that_is_not_there_by_its_whole_path(tmp_path):
    missing = tmp_path / "moved" / "hand.dcm"
    done = run_cli([str(missing), "--screenshot", str(tmp_path / "shot.png")], tmp_path)
    assert done.returncode == 1
    assert f"jsnviewer: error shown in the window: Cannot open {missing}: file not found" in done.stderr


def test_screenshot_of_a_corrupt_file_exits_non_zero_naming_the_file(tmp_path):
    bad = tmp_path / "scan.dcm"
    bad.write_bytes(b"\x00" * 128 + b"DICM" + b"\xff" * 50)
    out = tmp_path / "shot.png"
    done = run_cli([str(bad), "--screenshot", str(out)], tmp_path)
    assert done.returncode == 1
    assert "scan.dcm" in done.stderr and "Traceback" not in done.stderr
    assert out.exists()  # the window with its message is still pictured


def test_a_screenshot_that_cannot_be_written_ends_the_run_with_the_reason(tmp_path, study):
    (tmp_path / "afile").write_text("a file where the folder should be")
    out = tmp_path / "afile" / "shot.png"
    done = run_cli([str(study[0]), "--screenshot", str(out)], tmp_path, timeout=60)  # it used to wait for ever
    assert done.returncode == 1
    assert f"screenshot not saved to {out}" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.slow
def test_demo_screenshots_wait_for_the_analysis(tmp_path):
    from jsnviewer.gui.analysis import missing_weights
    from jsnviewer.gui.settings import AppSettings

    missing = missing_weights(AppSettings())
    if missing:
        pytest.skip(f"shipped weights not in this checkout: {', '.join(p.name for p in missing.values())}")
    main_png, detail_png = tmp_path / "main.png", tmp_path / "detail.png"
    done = run_cli(["--demo", "--screenshot", str(main_png), "--detail-screenshot", str(detail_png)], tmp_path,
                   timeout=900)
    assert done.returncode == 0, done.stderr
    assert "joint detail screenshot saved" in done.stdout
    with Image.open(main_png) as picture:
        assert picture.width >= 1000
    with Image.open(detail_png) as picture:
        # the crops and loss spectra are drawn: the picture is far from one flat colour
        assert picture.convert("L").getextrema()[1] - picture.convert("L").getextrema()[0] > 150


# The demo's screenshot with the boxes of the results drawn slowly, as on a loaded machine: the picture
# is taken only once every box, name and JSN tag is on screen (the docs' picture shows them all).
SLOW_BOXES = """
import sys, time
import jsnviewer.gui.box_layer as box_layer
import jsnviewer.gui.app as app
make_some = box_layer.AnnotationLayer._make_some
box_layer.AnnotationLayer._make_some = lambda self: (time.sleep(0.05), make_some(self))[1]
save = app.save_screenshot
def checked(widget, path):
    if widget is getattr(widget, "detail_panel", None) or not hasattr(widget, "layers"):
        return save(widget, path)
    drawn = all(layer is None or layer.settled for layer in widget.layers.values()) and all(
        overlay.settled for overlay in widget.overlays.values())
    print(f"all drawn when shot: {drawn}")
    return save(widget, path)
app.save_screenshot = checked
from jsnviewer.cli.main import main
sys.exit(main(sys.argv[1:]))
"""


def test_the_demo_screenshot_waits_until_every_box_and_tag_is_drawn(tmp_path):
    from jsnviewer.gui.analysis import missing_weights
    from jsnviewer.gui.settings import AppSettings

    missing = missing_weights(AppSettings())
    if missing:
        pytest.skip(f"shipped weights not in this checkout: {', '.join(p.name for p in missing.values())}")
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path / "config"),
               XDG_DATA_HOME=str(tmp_path / "data"))
    done = subprocess.run([sys.executable, "-c", SLOW_BOXES, "gui", "--demo", "--screenshot", str(tmp_path / "shot.png")],
                          capture_output=True, text=True, timeout=900, env=env)
    assert done.returncode == 0, done.stderr
    assert "all drawn when shot: True" in done.stdout, done.stdout


def test_without_a_display_the_window_says_so_in_one_line_instead_of_aborting(tmp_path):
    if not sys.platform.startswith("linux"):
        pytest.skip("a desktop session always has a display outside Linux")
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env["XDG_CONFIG_HOME"] = str(tmp_path / "config")
    done = subprocess.run([sys.executable, "-m", "jsnviewer"], capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 2  # Qt's abort was -6 (SIGABRT) with a page about platform plugins
    assert done.stderr.strip().count("\n") == 0 and "no display" in done.stderr and "DISPLAY" in done.stderr


def test_on_x11_the_system_libraries_qt_needs_and_the_system_lacks_are_named(monkeypatch):
    """On a minimal Debian Qt aborted with "Reinstalling the application may fix this problem", naming no library."""
    import ctypes.util

    from jsnviewer.gui.app import missing_x11_libraries

    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)
    monkeypatch.setattr(ctypes.util, "find_library", lambda name: None if name in ("xcb-cursor", "xcb-keysyms") else name)
    assert missing_x11_libraries() == ["libxcb-cursor0", "libxcb-keysyms1"]
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")  # no X11 plugin is loaded: nothing to say
    assert missing_x11_libraries() == []


def test_a_demo_that_cannot_be_written_ends_the_screenshot_run_with_the_reason(tmp_path):
    (tmp_path / "data").write_text("a file where the per-user data folder should be (a read-only or full home)")
    out = tmp_path / "shot.png"
    done = run_cli(["--demo", "--screenshot", str(out)], tmp_path, timeout=90)  # it used to wait for ever
    assert done.returncode == 1
    assert "Preparing the demo study failed" in done.stderr and "[Errno" not in done.stderr
    assert str(tmp_path / "data") in done.stderr and "Traceback" not in done.stderr


def test_the_window_keeps_a_log_for_it_with_versions_and_errors_but_no_patient_name(tmp_path, study):
    bad = tmp_path / "scan.dcm"
    bad.write_bytes(b"\x00" * 128 + b"DICM" + b"\xff" * 50)
    assert run_cli([str(study[0]), str(study[1]), "--screenshot", str(tmp_path / "a.png")], tmp_path).returncode == 0
    assert run_cli([str(bad), "--screenshot", str(tmp_path / "b.png")], tmp_path).returncode == 1
    log = (tmp_path / "data" / "jsnviewer" / "jsnviewer" / "jsnviewer.log").read_text(encoding="utf-8")
    assert log.count("started: jsnviewer ") == 2 and log.count("closed (status") == 2  # both sessions, appended
    assert str(tmp_path / "config" / "jsnviewer" / "jsnviewer.conf") in log
    assert "the window shows an error: Cannot open <file>.dcm" in log  # what went wrong, not whose file
    assert "scan.dcm" not in log and str(tmp_path / "study") not in log
    assert "Doe" not in log and "Jane" not in log  # the DICOM files' PatientName


def test_without_any_font_the_window_says_so_instead_of_showing_boxes_for_every_letter(tmp_path):
    if not sys.platform.startswith("linux"):
        pytest.skip("fontconfig, which can have no font at all, is the Linux font system")
    config = tmp_path / "fonts.conf"  # a fontconfig configuration with no font folder: a system without fonts
    config.write_text(f'<?xml version="1.0"?><fontconfig><cachedir>{tmp_path / "cache"}</cachedir></fontconfig>')
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path / "config"),
               XDG_DATA_HOME=str(tmp_path / "data"), FONTCONFIG_FILE=str(config))
    done = subprocess.run([sys.executable, "-m", "jsnviewer", "gui", "--screenshot", str(tmp_path / "shot.png")],
                          capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 2
    assert "jsnviewer: error: no fonts are installed" in done.stderr and "fonts-dejavu-core" in done.stderr
    assert not (tmp_path / "shot.png").exists()


def test_with_no_locale_at_all_the_window_starts_without_qts_locale_warning(tmp_path, study):
    """Started with no LANG (a service, `env -i`), the packaged program printed four lines of Qt's about the "C"
    locale at every start of the window. Python run from source switches such a locale to UTF-8 itself; the
    packaged one does not, which PYTHONCOERCECLOCALE=0 reproduces."""
    if sys.platform == "win32":
        pytest.skip("Windows has no C locale to switch from")
    env = {k: v for k, v in os.environ.items() if k not in ("LANG", "LC_ALL", "LC_CTYPE", "LANGUAGE", "PYTHONUTF8")}
    env.update(QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path / "config"), XDG_DATA_HOME=str(tmp_path / "data"),
               PYTHONCOERCECLOCALE="0")
    done = subprocess.run([sys.executable, "-m", "jsnviewer", "gui", str(study[0]), str(study[1]), "--screenshot",
                           str(tmp_path / "shot.png")], capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stderr
    assert "locale" not in done.stderr, done.stderr


QT_NOISE = """
from PySide6.QtCore import qWarning
from PySide6.QtWidgets import QWidget
from jsnviewer.gui.app import make_application

app = make_application()
window = QWidget()
window.show()
window.setMinimumSize(300, 200)  # without a window manager to tell, Qt says it cannot
app.processEvents()
qWarning("QWidget::repaint: Recursive repaint detected")  # any other warning of Qt's
"""


def test_without_a_window_manager_qt_does_not_say_it_cannot_tell_one_but_other_qt_warnings_still_show(tmp_path):
    """Every --screenshot run (and every test) printed "This plugin does not support propagateSizeHints()", harmless,
    a few times over; a warning that matters would drown in it."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path / "config"))
    done = subprocess.run([sys.executable, "-c", QT_NOISE], capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines() == ["QWidget::repaint: Recursive repaint detected"]
