"""GUI speed figures: `python -m jsnviewer.gui.bench`.

1. Opening a 2010×1490 12-bit DICOM and showing it: from the open request to the first
   finished paint of the view (file read and hashing in the worker, then image upload and paint).
2. The event loop while a background worker runs real numpy work (FFT smoothing of a
   radiograph-sized image, reporting progress): a 5 ms QTimer records the gaps between its
   ticks; the worst gap is the longest the GUI could not respond. The same is measured with
   window/level drags repainting the image every 50 ms during the run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np

ROWS, COLS = 2010, 1490


def write_test_dicom(path: Path, seed: int = 0, study_date: date = date(2020, 1, 1)) -> Path:
    from jsnviewer.radiograph import Radiograph, StudyIdentity, save_radiograph

    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:ROWS, 0:COLS]
    pixels = 800 + 1500 * np.exp(-(((x - COLS / 2) / 300.0) ** 2)) + 300 * (y / ROWS) + rng.normal(0, 30, (ROWS, COLS))
    pixels = np.clip(np.rint(pixels), 0, 4095).astype(np.float32)
    identity = StudyIdentity(patient_id="BENCH", study_date=study_date, laterality="L", modality="DX")
    save_radiograph(path, Radiograph(pixels, bits_stored=12, pixel_size_mm=0.175, identity=identity))
    return path


def smoothing_work(image: np.ndarray, seconds: float, progress=None) -> int:
    """Real numpy work for about `seconds`: repeated FFT low-pass passes, reporting progress."""
    start, passes = time.perf_counter(), 0
    out = image.astype(np.float64)
    while (elapsed := time.perf_counter() - start) < seconds:
        spectrum = np.fft.rfft2(out)
        spectrum[64:-64, 64:] *= 0.5
        out = np.fft.irfft2(spectrum, s=out.shape)
        passes += 1
        if progress is not None:
            progress(min(elapsed / seconds, 1.0), f"pass {passes}")
    return passes


class GapMeter:
    """Records the gaps between ticks of a fast QTimer: a long gap is a stalled event loop."""

    def __init__(self, interval_ms: int = 5):
        from PySide6.QtCore import QTimer

        self.gaps: list[float] = []
        self._last: float | None = None
        self.timer = QTimer()
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self._tick)

    def _tick(self) -> None:
        now = time.perf_counter()
        if self._last is not None:
            self.gaps.append((now - self._last) * 1000.0)
        self._last = now

    def start(self) -> None:
        self._last = None
        self.gaps.clear()
        self.timer.start()

    def stop(self) -> dict[str, float]:
        self.timer.stop()
        gaps = sorted(self.gaps) or [0.0]
        return {"ticks": len(self.gaps), "worst_ms": gaps[-1], "p99_ms": gaps[int(0.99 * (len(gaps) - 1))],
                "median_ms": statistics.median(gaps)}


def process_until(app, condition, timeout_s: float = 60.0) -> None:
    end = time.perf_counter() + timeout_s
    while not condition():
        if time.perf_counter() > end:
            raise TimeoutError("the GUI did not finish in time")
        app.processEvents()
        time.sleep(0.001)


def measure_open(app, window, path: Path) -> dict[str, float]:
    loaded = []
    window.study_loaded.connect(lambda: loaded.append(time.perf_counter()))
    start = time.perf_counter()
    window.open_paths([path], "Baseline")
    process_until(app, lambda: bool(loaded))
    pane = window.panes["Baseline"]
    pane.graphics.viewport().repaint()  # synchronous: returns when the image is painted
    shown = time.perf_counter()
    if pane.image_item.qimage is None:  # set by the ImageItem's render, cleared by setImage
        raise RuntimeError("the image was not rendered by the repaint")
    window.study_loaded.disconnect()
    return {"to_loaded_ms": (loaded[0] - start) * 1000.0, "to_shown_ms": (shown - start) * 1000.0}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m jsnviewer.gui.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=6.0, help="length of each background run (default 6)")
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen" if not os.environ.get("DISPLAY") else "xcb")

    import PySide6
    from PySide6.QtCore import QSettings, QTimer

    from jsnviewer.gui.app import make_application
    from jsnviewer.gui.main_window import MainWindow
    from jsnviewer.gui.settings import AppSettings

    app = make_application()
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    print(f"platform {app.platformName()}, PySide6 {PySide6.__version__}, {os.cpu_count()} CPU cores, load average {load}")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, str(tmp))  # keep the user's recent list clean
        QSettings.setDefaultFormat(QSettings.IniFormat)
        paths = [write_test_dicom(tmp / f"bench{i}.dcm", seed=i) for i in range(3)]
        window = MainWindow(AppSettings())
        window.ask_before_discarding = False
        window.resize(1600, 1000)
        window.show()
        process_until(app, lambda: True)
        print(f"\n1. open and show a {COLS}x{ROWS} 12-bit DICOM ({paths[0].stat().st_size / 1e6:.1f} MB)")
        for number, path in enumerate(paths):
            figures = measure_open(app, window, path)
            label = "first open (cold: imports, caches)" if number == 0 else f"open #{number + 1}"
            print(f"   {label:36s} read+hash in worker done at {figures['to_loaded_ms']:7.1f} ms,"
                  f" shown at {figures['to_shown_ms']:7.1f} ms")
        pane = window.panes["Baseline"]
        renders = []
        for step in range(10):
            start = time.perf_counter()
            pane.set_window(pane.window_center + 10, pane.window_width + 20)
            pane.graphics.viewport().repaint()
            renders.append((time.perf_counter() - start) * 1000.0)
        print(f"   window/level change + repaint: median {statistics.median(renders):.1f} ms, worst {max(renders):.1f} ms")

        image = pane.radiograph.pixels
        meter = GapMeter(5)
        print(f"\n2. event loop while a background worker runs {args.seconds:.0f} s of numpy work (5 ms timer)")
        for label, drag in (("idle GUI (no worker)", False), ("worker running", False),
                            ("worker running + W/L drag every 50 ms", True)):
            ticker = None
            if drag:
                ticker = QTimer()
                ticker.setInterval(50)
                ticker.timeout.connect(lambda: pane.set_window(pane.window_center + np.random.uniform(-20, 20),
                                                               pane.window_width + np.random.uniform(-20, 20)))
                ticker.start()
            meter.start()
            if label.startswith("idle"):
                end = time.perf_counter() + min(args.seconds, 2.0)
                process_until(app, lambda: time.perf_counter() > end)
                passes = None
            else:
                result = []
                window.run_task(smoothing_work, image, args.seconds, label="Bench", on_result=result.append)
                process_until(app, lambda: bool(result) and window.task is None, args.seconds + 60)
                passes = result[0]
            stats = meter.stop()
            if ticker is not None:
                ticker.stop()
            extra = f", {passes} FFT passes done" if passes is not None else ""
            print(f"   {label:40s} worst gap {stats['worst_ms']:6.1f} ms, p99 {stats['p99_ms']:5.1f} ms,"
                  f" median {stats['median_ms']:4.1f} ms over {stats['ticks']} ticks{extra}")
        window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
