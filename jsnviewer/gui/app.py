"""Starting the application: QApplication, style, main window, demo study and screenshots."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

from PySide6.QtCore import QThreadPool, Qt, QTimer
from PySide6.QtWidgets import QApplication

from jsnviewer.gui.garbage import collect_garbage_on_gui_thread
from jsnviewer.gui.log_file import SEND_LOG, start_log_file
from jsnviewer.gui.resources import style_sheet

log = logging.getLogger(__name__)

APP_NAME = "jsnviewer"
SCREENSHOT_SETTLE_MS = 400  # let the last paint land before grabbing the window
SCREENSHOT_DRAW_LIMIT_MS = 60_000  # a picture is taken at the latest this long after the study or result arrived
DETAIL_SCREENSHOT_HEIGHT = 330  # px of the joint detail dock in its screenshot
EXIT_WAIT_MS = 60000


def no_display_reason() -> str | None:
    """Why no window can open here, or None. Qt aborts the whole process (no exception to catch) when its
    platform plugin finds no display, so a start outside a desktop session (ssh, a service) is caught first."""
    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM"):
        return None
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        return None
    return ("no display to open the window on (neither DISPLAY nor WAYLAND_DISPLAY is set: started outside a desktop "
            "session?); the command line needs none: jsnviewer --self-test, jsnviewer analyze ...")


# System libraries Qt's X11 platform plugin loads that a minimal Linux install may lack (Qt then aborts with
# "Could not load the Qt platform plugin xcb … Reinstalling the application may fix this problem").
X11_LIBRARIES = {"xcb-cursor": "libxcb-cursor0", "xcb-icccm": "libxcb-icccm4", "xcb-keysyms": "libxcb-keysyms1",
                 "xcb-image": "libxcb-image0", "xcb-render-util": "libxcb-render-util0", "xcb-shape": "libxcb-shape0",
                 "xkbcommon-x11": "libxkbcommon-x11-0"}


def missing_x11_libraries() -> list[str]:
    """The Debian/Ubuntu packages of X11_LIBRARIES the linker cache does not know (Linux on X11 only): said
    before Qt's own abort, whose message does not name them. A hint only: the window is still tried."""
    import ctypes.util

    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM") or not os.environ.get("DISPLAY") \
            or os.environ.get("WAYLAND_DISPLAY"):
        return []
    return [package for name, package in X11_LIBRARIES.items() if ctypes.util.find_library(name) is None]


FONT_ALIASES = {"Sans Serif", "Serif", "Monospace"}  # what fontconfig names even with no font installed


def no_fonts_reason() -> str | None:
    """Why the window could show no text (every letter a box, silently), or None; needs the QApplication."""
    from PySide6.QtGui import QFontDatabase

    if set(QFontDatabase.families()) - FONT_ALIASES:
        return None
    return ("no fonts are installed, so the window could show no text: install a font package "
            "(Debian/Ubuntu: fonts-dejavu-core; RHEL/Fedora: dejavu-sans-fonts)")


def use_utf8_if_no_locale() -> None:
    """With no locale at all (a service, `env -i`), the UTF-8 one Qt would switch to, minus its four-line warning:
    Python run from source switches so itself (PEP 538), the packaged program does not."""
    if sys.platform != "win32" and not any(os.environ.get(k) for k in ("LC_ALL", "LC_CTYPE", "LANG")):
        os.environ["LC_CTYPE"] = "C.UTF-8"


# Qt warnings known to be harmless, kept off the console (the log has them at debug level): a platform plugin
# with no window manager to tell (offscreen: the --screenshot runs, the tests) cannot pass on a window's least
# and largest size, and says so each time a layout changes them.
HARMLESS_QT_MESSAGES = frozenset({"This plugin does not support propagateSizeHints()"})


def quiet_harmless_qt_messages() -> None:
    """Drop HARMLESS_QT_MESSAGES; every other Qt message goes on where it went before (the console)."""
    from PySide6.QtCore import qFormatLogMessage, qInstallMessageHandler

    def handle(kind, context, message: str) -> None:
        if message in HARMLESS_QT_MESSAGES:
            log.debug("Qt: %s", message)
        elif previous is not None:
            previous(kind, context, message)
        else:  # Qt's own handler, which Python cannot call
            print(qFormatLogMessage(kind, context, message), file=sys.stderr, flush=True)

    previous = qInstallMessageHandler(handle)


def make_application(argv: list[str] | None = None) -> QApplication:
    app = QApplication.instance()
    if app is None:
        use_utf8_if_no_locale()
        quiet_harmless_qt_messages()
        app = QApplication(argv if argv is not None else [sys.argv[0]])
    collect_garbage_on_gui_thread(app)
    app.setOrganizationName(APP_NAME)
    app.setApplicationName(APP_NAME)
    style = style_sheet()
    if style:
        app.setStyleSheet(style)
    return app


def save_screenshot(window, path: Path) -> Path:
    """Grab the window as it is drawn now and write a PNG (atomically)."""
    from jsnviewer.atomic import atomic_write

    picture = window.grab()
    atomic_write(path, lambda tmp: _save_png(picture, tmp))
    return path


def _save_png(picture, tmp: Path) -> None:
    if not picture.save(str(tmp), "PNG"):
        raise OSError(f"cannot write a PNG to {tmp}")


def _show_unexpected(window, kind, exc, tb) -> None:
    """A bug in a slot: details to the log, one line in the window, the session goes on."""
    log.error("unexpected %s", kind.__name__, exc_info=(kind, exc, tb))
    window.warnings.show_message(f"Unexpected error ({kind.__name__}: {exc}). Your edits are kept; saving is still "
                                 f"possible; {SEND_LOG}.", "error", key="unexpected")


def drawn(window) -> bool:
    """Every box, name and JSN tag of the study is on screen (the results' are made a few per event-loop turn)."""
    return (all(layer is None or layer.settled for layer in window.layers.values())
            and all(overlay.settled for overlay in window.overlays.values()))


def pick_joint(result) -> str | None:
    """The joint a picture of the results shows in detail: the largest reliable change, else the largest."""
    joints = sorted(result.joints, key=lambda j: (not j.reliable, -abs(j.jsn_px))) if result is not None else []
    return joints[0].identity if joints else None


def run_gui(baseline: str | Path | None = None, followup: str | Path | None = None, demo: bool = False,
            screenshot: str | Path | None = None, dataset: str | Path | None = None,
            detail_screenshot: str | Path | None = None) -> int:
    """Open the main window (optionally on a study, or the demo study) and run the event loop.

    With `screenshot` (and/or `detail_screenshot`), wait until the study is shown — for the demo,
    until its analysis has finished, its boxes and tags are drawn and a joint is selected —, save a PNG of the window (and of
    the joint detail panel) and exit: status 0 when all went well, 1 when the window shows an error.
    """
    from jsnviewer.errors import JsnError

    reason = no_display_reason()
    if reason:
        raise JsnError(reason)
    missing = missing_x11_libraries()
    if missing:
        print(f"jsnviewer: the window may not open: this system lacks {', '.join(missing)} (Debian/Ubuntu: "
              f"sudo apt install {' '.join(missing)})", file=sys.stderr)
    app = make_application()
    from jsnviewer.gui.about import installation_facts, program_folder
    from jsnviewer.gui.main_window import DEFAULT_SIZE, MainWindow
    from jsnviewer.gui.settings import log_file, qsettings

    start_log_file(log_file(), (program_folder(), Path(qsettings().fileName()).parent))  # and the log's own folder
    log.info("started: %s", "; ".join(f"{k} {v}" for k, v in installation_facts().items()))
    reason = no_fonts_reason()
    if reason:
        log.info("not started: %s", reason)  # the terminal gets it once, from the JsnError
        raise JsnError(reason)
    window = MainWindow()
    if screenshot or detail_screenshot:  # the same picture on any screen (the docs' pictures)
        window.setWindowState(Qt.WindowNoState)
        window.resize(DEFAULT_SIZE)
    else:  # the size, place and panels it had when it last closed (`window_layout`)
        window.remember_layout(qsettings())
    sys.excepthook = lambda kind, exc, tb: _show_unexpected(window, kind, exc, tb)
    if dataset:
        window.set_dataset_folder(Path(dataset), or_none=True)
    window.show()
    analysing = False
    if demo:
        from jsnviewer.gui.analysis import missing_weights
        # before the warm-up starts importing in the background: nothing is imported on this thread meanwhile, so no
        # submodule is ever loaded under a package another thread is still loading (docs/gui.md, "Starting")
        from jsnviewer.gui.demo import open_demo

        analysing = not missing_weights(window.settings)
    if analysing or not (screenshot or detail_screenshot):  # a picture of a study alone needs no models
        window.warm_up()
    if screenshot or detail_screenshot:
        window.ask_before_discarding = False

        def saved(widget, path: str, what: str) -> bool:
            try:
                save_screenshot(widget, Path(path))
            except OSError as exc:  # the run must end, not wait for a window nobody watches
                print(f"jsnviewer: error: {what} not saved to {path}: {exc.strerror or exc}", file=sys.stderr)
                app.exit(1)
                return False
            print(f"{what} saved to {path}")
            return True

        def shoot() -> None:
            if screenshot and not saved(window, screenshot, "screenshot"):
                return
            if detail_screenshot:  # the panel as a user sees it after enlarging its dock
                window.resizeDocks([window.detail_dock], [DETAIL_SCREENSHOT_HEIGHT], Qt.Vertical)
                QTimer.singleShot(SCREENSHOT_SETTLE_MS, shoot_detail)
            else:
                finish()

        def shoot_detail() -> None:
            if saved(window.detail_panel, detail_screenshot, "joint detail screenshot"):
                finish()

        def finish() -> None:
            errors = [text for level, text in window.warnings.messages() if level == "error"]
            for text in errors:
                print(f"jsnviewer: error shown in the window: {text}", file=sys.stderr)
            app.exit(1 if errors else 0)

        def shoot_when_drawn(waited_ms: int = 0) -> None:
            if drawn(window) or waited_ms >= SCREENSHOT_DRAW_LIMIT_MS:  # a loaded machine draws the results late
                QTimer.singleShot(SCREENSHOT_SETTLE_MS, shoot)
            else:
                QTimer.singleShot(50, lambda: shoot_when_drawn(waited_ms + 50))

        def analysed(state: str) -> None:
            if state == "done":
                window.results_panel.select_identity(pick_joint(window.result))
            shoot_when_drawn()

        if analysing:
            window.analysis_finished.connect(analysed)
        else:
            window.study_loaded.connect(shoot_when_drawn)
    if not (screenshot or detail_screenshot):  # edits a window that ended without closing left, offered back
        from jsnviewer.gui.settings import user_data_folder
        from jsnviewer.gui.unsaved_edits import left_behind

        folder = user_data_folder() / "unsaved"
        left, unreadable = left_behind(folder)
        window.keep_unsaved_edits(folder)
        if unreadable:
            window.say_unreadable_unsaved(unreadable)
        shown = window.offer_unsaved(left) if left else None
        if shown is not None and any(shown) and not (demo or baseline or followup):
            baseline, followup = shown
    if demo:
        preparing = open_demo(window, analyse=analysing)
        if preparing is not None and (screenshot or detail_screenshot):  # a demo that cannot be written opens no study
            preparing.signals.error.connect(lambda exc: QTimer.singleShot(SCREENSHOT_SETTLE_MS, shoot))
    elif baseline or followup:
        window.open_study(baseline, followup)
    elif screenshot or detail_screenshot:
        QTimer.singleShot(SCREENSHOT_SETTLE_MS, lambda: window.study_loaded.emit())
    status = int(app.exec())
    # Background work still running (the warm-up's imports, a cancelled analysis reaching its next
    # progress report) must end before the interpreter shuts down under it.
    QThreadPool.globalInstance().waitForDone(EXIT_WAIT_MS)
    log.info("closed (status %d)", status)
    return status
