"""`jsnviewer bench startup`: the wait before a radiologist can work, each figure the median of fresh processes.

- `jsnviewer --help` and `jsnviewer analyze --demo --out DIR`: wall time (and, from one `python -X importtime`
  run each, the time spent importing modules);
- `jsnviewer gui` and `jsnviewer gui --demo`: from the process's start to the window's first paint ("shown") and
  to the event loop's first idle turn after it ("usable"), the worst event-loop gap from that paint until the
  background warm-up (torch imported, models loaded) has ended (or, with the demo, its first results are drawn), and with the demo: the study shown, the first analysis's results
  drawn, then a second analysis (Analyse again) from its start to its results drawn.

The window runs in a child process (`--probe`), the `jsnviewer` command line unchanged but for a watcher on its
QApplication that notes these moments (CLOCK_MONOTONIC, the same in both processes). Its settings and data
folders are fresh ones in a temporary folder: a first start's, the demo study written by an untimed first run.
"""

from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROBE = "--probe"
WARM_UP_LIMIT_S = 600.0
MARKS = "startup marks: "


def probe(argv: list[str]) -> int:
    """Child side: run `jsnviewer ARGV` with a watcher on its application; print the moments it saw as JSON."""
    import jsnviewer.gui.app as app_module

    marks: dict[str, float] = {}
    make = app_module.make_application

    def make_and_watch(*args):
        app = make(*args)
        app.installEventFilter(_watcher(app, marks, demo="--demo" in argv))
        return app

    app_module.make_application = make_and_watch
    from jsnviewer.cli.main import main

    status = main(argv)
    print(MARKS + json.dumps(marks), flush=True)
    return status


def _watcher(app, marks: dict[str, float], demo: bool):
    """An event filter noting the main window's first paint, then the milestones that follow it."""
    from PySide6.QtCore import QEvent, QObject, QTimer
    from PySide6.QtWidgets import QMainWindow, QWidget

    class Watcher(QObject):
        def eventFilter(self, receiver, event) -> bool:
            if "shown" not in marks and event.type() == QEvent.Paint and isinstance(receiver, QWidget) \
                    and isinstance(receiver.window(), QMainWindow):
                marks["shown"] = time.monotonic()
                QTimer.singleShot(0, lambda: self.usable(receiver.window()))
            return False

        def usable(self, window) -> None:
            from jsnviewer.gui.bench import GapMeter

            marks["usable"] = time.monotonic()
            self.window, self.meter = window, GapMeter(5)
            self.meter.start()
            if demo:
                window.study_loaded.connect(lambda: marks.setdefault("study shown", time.monotonic()))
                window.analysis_finished.connect(self.analysed)
            else:
                self.when(lambda: window.model_cache.loaded, self.warmed)

        def when(self, condition, then, waited_s: float = 0.0) -> None:
            if condition() or waited_s > WARM_UP_LIMIT_S:
                then()
            else:
                QTimer.singleShot(20, lambda: self.when(condition, then, waited_s + 0.02))

        def warmed(self) -> None:
            marks["warmed up"] = time.monotonic()
            self.note_worst_gap()
            app.exit(0)

        def analysed(self, state: str) -> None:
            from jsnviewer.gui.app import drawn

            first = "first results drawn" not in marks
            key = "first results drawn" if first else "second results drawn"
            if state != "done":
                marks[f"analysis {state}"] = time.monotonic()
                app.exit(1)
                return
            self.when(lambda: drawn(self.window), lambda: self.again(key) if first else self.done(key))

        def again(self, key: str) -> None:
            marks[key] = time.monotonic()
            self.note_worst_gap()
            marks["second analysis started"] = time.monotonic()
            self.window.start_analysis()

        def note_worst_gap(self) -> None:
            """From the first paint: the wait for the first idle turn is a gap too (a stall can fall there)."""
            first = (marks["usable"] - marks["shown"]) * 1000.0
            marks["worst gap ms"] = max(first, self.meter.stop()["worst_ms"])

        def done(self, key: str) -> None:
            marks[key] = time.monotonic()
            app.exit(0)

    return Watcher(app)


def _child_env(folder: Path) -> dict[str, str]:
    env = dict(os.environ, XDG_CONFIG_HOME=str(folder / "config"), XDG_DATA_HOME=str(folder / "data"))
    if not env.get("DISPLAY") and not env.get("WAYLAND_DISPLAY"):
        env.setdefault("QT_QPA_PLATFORM", "offscreen")
    return env


def timed(command: list[str], env: dict[str, str]) -> tuple[float, str]:
    """(seconds from the start of `command` to its end, its output); a failure raises."""
    start = time.monotonic()
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    seconds = time.monotonic() - start
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
    return seconds, done.stdout + done.stderr


def window_marks(argv: list[str], env: dict[str, str]) -> dict[str, float]:
    """The probe's moments in seconds from the start of its process (the gap in ms)."""
    start = time.monotonic()
    _, output = timed([sys.executable, "-m", "jsnviewer.gui.startup_bench", PROBE, *argv], env)
    line = next(line for line in output.splitlines() if line.startswith(MARKS))
    return {k: v if k.endswith(" ms") else v - start for k, v in json.loads(line[len(MARKS):]).items()}


def import_seconds(argv: list[str], env: dict[str, str]) -> float:
    """Seconds spent importing modules in one `python -X importtime -m jsnviewer ARGV` (the top-level imports'
    cumulative times; the measuring itself adds a little)."""
    _, output = timed([sys.executable, "-X", "importtime", "-m", "jsnviewer", *argv], env)
    return sum(int(m.group(1)) for m in re.finditer(r"^import time:\s+\d+ \|\s+(\d+) \| \S", output, re.M)) / 1e6


def median_marks(runs: list[dict[str, float]]) -> dict[str, float]:
    return {key: statistics.median(run[key] for run in runs) for key in runs[0] if all(key in run for run in runs)}


def say_marks(title: str, runs: list[dict[str, float]]) -> None:
    print(title)
    for key, value in median_marks(runs).items():
        every = ", ".join(f"{run[key]:.2f}" for run in runs)
        unit = "ms" if key.endswith(" ms") else "s"
        name = key.removesuffix(" ms")
        if key == "second results drawn":
            value -= median_marks(runs)["second analysis started"]
            every = ", ".join(f"{run[key] - run['second analysis started']:.2f}" for run in runs)
            name = "second analysis, from Analyse to results drawn"
        elif key == "second analysis started":
            continue
        print(f"   {name:48s} {value:7.2f} {unit} (runs: {every})")


def bench_startup(runs: int, analysis: bool = True) -> None:
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    print(f"{os.cpu_count()} CPU cores, load average {load}; medians of {runs} runs, seconds from the process's start")
    with tempfile.TemporaryDirectory() as tmp:
        env = _child_env(Path(tmp))
        out = Path(tmp) / "out"
        commands = {"jsnviewer --help": ["--help"]}
        if analysis:
            commands["jsnviewer analyze --demo --out DIR"] = ["analyze", "--demo", "--out", str(out)]
        for title, argv in commands.items():
            seconds = [timed([sys.executable, "-m", "jsnviewer", *argv], env)[0] for _ in range(runs)]
            print(f"{title:52s} {statistics.median(seconds):7.2f} s (runs: {', '.join(f'{s:.2f}' for s in seconds)}); "
                  f"imports {import_seconds(argv, env):.2f} s")
        print(f"window on {env.get('QT_QPA_PLATFORM') or 'the display ' + env.get('DISPLAY', '')}")
        scenarios = {"jsnviewer gui": ["gui"]}
        if analysis:
            scenarios["jsnviewer gui --demo"] = ["gui", "--demo"]
            window_marks(["gui", "--demo"], env)  # untimed: writes the demo study, as a first start does once
        for title, argv in scenarios.items():
            say_marks(title, [window_marks(argv, env) for _ in range(runs)])


if __name__ == "__main__" and sys.argv[1:2] == [PROBE]:
    sys.exit(probe(sys.argv[2:]))
