"""GUI speed figures: `python -m jsnviewer.gui.bench`.

1. Opening a 2010×1490 12-bit DICOM and showing it: from the open request to the first
   finished paint of the view (file read and hashing in the worker, then image upload and paint).
2. The event loop while a background worker runs real numpy work (FFT smoothing of a
   radiograph-sized image, reporting progress): a 5 ms QTimer records the gaps between its
   ticks; the worst gap is the longest the GUI could not respond. The same is measured with
   window/level drags repainting the image every 50 ms during the run.
3. The event loop while the real analysis of the demo study runs in the window's worker (the
   Analyse action: detection, segmentation, registration, then the results table, overlays and
   proposals shown), twice, after the warm-up the application does at start (torch imported,
   models loaded in the background; its own worst gap is printed too).
4. (`--memory`, alone) Memory over a day's session: the process's RSS after every few of N phantom
   studies opened one after the other (reopened in turns), some analysed with a joint detail shown
   and a box nudged, undone and redone, with what the window still holds (radiographs, box items,
   annotation documents, tasks); then a pair of large 16-bit radiographs (a phantom upscaled to a
   CR/DR hand's size): RSS when opened, painted, after window/level changes and zooming, and the
   analysis's peak (Linux: /proc/self/status).
5. (`--day`, alone) A radiologist's day: N phantom studies (a folder each, as File ▸ Open study folder opens them)
   opened one after the other, each analysed (the result awaited) and every Results row clicked (the joint detail
   drawn), then the next study. Every 10 studies: RSS, QObjects under the window, widgets, threads, open files and the
   median times of open / analyse / the rows; growth per study from the first row to the last. A 20 ms timer
   records the GUI thread's gaps: the longest, with what was running.
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

from jsnviewer.device import DEVICE_CHOICES

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
        self.ends: list[float] = []  # when each gap ended (perf_counter)
        self._last: float | None = None
        self.timer = QTimer()
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self._tick)

    def _tick(self) -> None:
        now = time.perf_counter()
        if self._last is not None:
            self.gaps.append((now - self._last) * 1000.0)
            self.ends.append(now)
        self._last = now

    def start(self) -> None:
        self._last = None
        self.gaps.clear()
        self.ends.clear()
        self.timer.start()

    def stop(self) -> dict[str, float]:
        self.timer.stop()
        gaps = sorted(self.gaps) or [0.0]
        return {"ticks": len(self.gaps), "worst_ms": gaps[-1], "p99_ms": gaps[int(0.99 * (len(gaps) - 1))],
                "median_ms": statistics.median(gaps)}


def process_until(app, condition, timeout_s: float = 60.0) -> None:
    """Run the event loop until `condition()` holds. A loop of its own, as the application's: the objects the window
    lets go with deleteLater (old documents, finished tasks, the docks' animations) are deleted meanwhile, which
    processEvents() alone never does (the memory part counted them as kept: ~12 objects more per study)."""
    from PySide6.QtCore import QEventLoop, QTimer

    end = time.perf_counter() + timeout_s
    loop, poll = QEventLoop(), QTimer()
    poll.setInterval(1)
    poll.timeout.connect(lambda: (condition() or time.perf_counter() > end) and loop.quit())
    poll.start()
    loop.exec()
    poll.stop()
    if not condition():
        raise TimeoutError("the GUI did not finish in time")


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




def measure_open_and_worker(app, window, tmp: Path, seconds: float) -> None:
    from PySide6.QtCore import QTimer

    paths = [write_test_dicom(tmp / f"bench{i}.dcm", seed=i) for i in range(3)]
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
    print(f"\n2. event loop while a background worker runs {seconds:.0f} s of numpy work (5 ms timer)")
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
            end = time.perf_counter() + min(seconds, 2.0)
            process_until(app, lambda: time.perf_counter() > end)
            passes = None
        else:
            result = []
            window.run_task(smoothing_work, image, seconds, label="Bench", on_result=result.append)
            process_until(app, lambda: bool(result) and window.task is None, seconds + 60)
            passes = result[0]
        stats = meter.stop()
        if ticker is not None:
            ticker.stop()
        extra = f", {passes} FFT passes done" if passes is not None else ""
        print(f"   {label:40s} worst gap {stats['worst_ms']:6.1f} ms, p99 {stats['p99_ms']:5.1f} ms,"
              f" median {stats['median_ms']:4.1f} ms over {stats['ticks']} ticks{extra}")


def weights_overrides(pairs: list[str]) -> dict[str, str]:
    from jsnviewer.errors import JsnError
    from jsnviewer.weights import MODEL_TITLES, parse_weight_options

    try:
        return {name: "" for name in MODEL_TITLES} | parse_weight_options(pairs)
    except JsnError as exc:
        raise SystemExit(str(exc)) from exc


def measure_analysis(app, window, tmp: Path) -> None:
    """Part 3: the demo study analysed through the window's Analyse action, the event loop timed."""
    from jsnviewer.gui.analysis import missing_weights
    from jsnviewer.gui.demo import DEMO_SEED, prepare_demo

    missing = missing_weights(window.settings)
    if missing:
        print(f"\n3. real analysis: skipped, weights missing: {', '.join(map(str, missing.values()))}")
        return
    folder = tmp / "demo"
    prepare_demo(folder, DEMO_SEED)
    loaded = []
    window.study_loaded.connect(lambda: loaded.append(1))
    window.open_study(folder / "baseline.dcm", folder / "followup.dcm")
    process_until(app, lambda: bool(loaded) and window.task is None)
    print(f"\n3. event loop while the demo study is analysed in the worker (5 ms timer, device {window.settings.device})")
    meter = GapMeter(5)
    meter.start()
    start = time.perf_counter()
    warmed = []
    window.warm_up().signals.finished.connect(lambda: warmed.append(1))
    process_until(app, lambda: bool(warmed), timeout_s=600)
    stats = meter.stop()
    print(f"   {'warm-up as at start (no analysis)':34s} {time.perf_counter() - start:6.1f} s; worst gap "
          f"{stats['worst_ms']:6.1f} ms (imports torch, loads the models)")
    for run in ("first analysis", "second analysis"):
        outcome: list[str] = []
        stages: list[tuple[float, str]] = []
        window.analysis_finished.connect(outcome.append)
        report = lambda fraction, stage: stages.append((time.perf_counter(), stage))  # noqa: E731
        load_before = os.getloadavg()[0]
        meter.start()
        start = time.perf_counter()
        window.start_analysis().signals.progress.connect(report)
        process_until(app, lambda: bool(outcome), timeout_s=1800)
        elapsed = time.perf_counter() - start
        settle = time.perf_counter() + 1.0  # the boxes and tags are drawn over the next turns: keep timing them
        process_until(app, lambda: time.perf_counter() > settle)
        stats = meter.stop()
        window.analysis_finished.disconnect(outcome.append)
        worst = sorted(meter.gaps)[-3:][::-1]
        # What the GUI thread was doing: the progress reports it handled during the gap (they queue
        # up while it is busy), else the stage under way when the gap began.
        gap_end = meter.ends[meter.gaps.index(worst[0])] if meter.gaps else start
        gap_start = gap_end - worst[0] / 1000.0
        handled = [stage for t, stage in stages if gap_start <= t <= gap_end]
        during = next((stage for t, stage in reversed(stages) if t <= gap_start), "start")
        if "Done" in handled or (stages and gap_start >= stages[-1][0]):
            during = "showing the results"
        elif handled:
            during = handled[-1]
        if outcome[0] != "done":
            errors = [text for level, text in window.warnings.messages() if level == "error"]
            print(f"   {run}: {outcome[0]} ({'; '.join(errors)})")
            return
        result = window.result
        print(f"   {run:34s} {elapsed:6.1f} s, {len(result.joints)} joints measured; worst gap {stats['worst_ms']:6.1f} ms "
              f"during '{during}' (next {', '.join(f'{g:.1f}' for g in worst[1:])}), p99 {stats['p99_ms']:5.1f} ms, median "
              f"{stats['median_ms']:4.1f} ms over {stats['ticks']} ticks; load average {load_before:.1f} → "
              f"{os.getloadavg()[0]:.1f}")


def memory_mb() -> tuple[float, float] | None:
    """(RSS, peak RSS since the last `reset_peak`) in MB, from /proc/self/status (Linux); None elsewhere."""
    try:
        fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines() if ":" in line)
        return int(fields["VmRSS"].split()[0]) / 1024.0, int(fields["VmHWM"].split()[0]) / 1024.0
    except (OSError, KeyError, ValueError):
        return None


def reset_peak() -> None:
    try:
        Path("/proc/self/clear_refs").write_text("5")  # Linux: the peak RSS starts again from the RSS
    except OSError:
        pass


def rss_text() -> str:
    memory = memory_mb()
    return f"RSS {memory[0]:6.0f} MB (peak {memory[1]:6.0f})" if memory else "RSS n/a (no /proc on this system)"


def held_by_window(window) -> str:
    """What the window keeps, counted among the live Python objects."""
    import gc

    from jsnviewer.gui.annotation import AnnotationDocument
    from jsnviewer.gui.box_layer import JointBoxItem
    from jsnviewer.radiograph import Radiograph

    gc.collect()
    kinds = {Radiograph: 0, JointBoxItem: 0}
    for obj in gc.get_objects():
        if type(obj) in kinds:
            kinds[type(obj)] += 1
    return (f"radiographs {kinds[Radiograph]}, box items {kinds[JointBoxItem]}, annotation documents "
            f"{len(window.findChildren(AnnotationDocument))}, tasks {len(window.workers)}")


def open_and_show(app, window, baseline: Path, followup: Path | None = None) -> None:
    """A study opened and painted: two files, or a study folder (`baseline`) as File ▸ Open study folder opens it."""
    loaded = []
    window.study_loaded.connect(lambda: loaded.append(1))
    window.open_study(baseline, followup)
    process_until(app, lambda: bool(loaded) and window.task is None, 120)
    window.study_loaded.disconnect()
    for pane in window.panes.values():
        pane.graphics.viewport().repaint()


def analyse_and_look(app, window) -> str:
    """The analysis, the first joint's detail, a box nudged, undone and redone; what came of it."""
    from jsnviewer.gui.main_window import BASELINE

    outcome: list[str] = []
    window.analysis_finished.connect(outcome.append)
    window.start_analysis()
    process_until(app, lambda: bool(outcome), 1800)
    window.analysis_finished.disconnect(outcome.append)
    if window.result is not None and window.result.joints:
        window.show_joint_result(window.result.joints[0].identity)
    document, layer = window.documents[BASELINE], window.layers[BASELINE]
    if document is not None and document.uids():
        layer.select(document.uids()[0])
        window.nudge(2, 0)
        window.undo_group.undo()
        window.undo_group.redo()
    process_until(app, lambda: all(l is None or l.settled for l in window.layers.values()), 60)
    return outcome[0]


def write_large_pair(folder: Path, source: Path, factor: float) -> tuple[Path, Path]:
    """The phantom pair in `source` upscaled by `factor` to 16 bits, the pixel size divided to match."""
    from scipy import ndimage

    from jsnviewer.radiograph import Radiograph, load_radiograph, save_radiograph

    written = []
    for name in ("baseline.dcm", "followup.dcm"):
        small = load_radiograph(source / name)
        pixels = ndimage.zoom(small.pixels, factor, order=1)
        pixels = np.clip(np.rint(pixels * 16.0), 0, 65535).astype(np.float32)  # 12 -> 16 bits
        save_radiograph(folder / name, Radiograph(pixels, bits_stored=16, pixel_size_mm=small.pixel_size_mm / factor,
                                                  identity=small.identity))
        written.append(folder / name)
    return written[0], written[1]


def measure_memory(app, window, tmp: Path, studies: int, analyse_every: int, distinct: int, large_factor: float) -> None:
    """Part 4: RSS over a session of many studies, then with a pair of large radiographs."""
    from jsnviewer.gui.analysis import missing_weights
    from jsnviewer.phantom import generate_study, write_study

    analyse = analyse_every > 0 and not missing_weights(window.settings)
    print(f"\n4. memory over a session: {studies} studies opened one after the other ({distinct} phantom pairs in turns)"
          + (f", every {analyse_every}th analysed" if analyse else ", none analysed (no weights, or --analyse-every 0)"))
    folders = []
    for number in range(distinct):
        folder = tmp / f"pair{number}"
        write_study(folder, generate_study(100 + number), "dcm")
        folders.append(folder)
    if analyse:
        warmed = []
        window.warm_up().signals.finished.connect(lambda: warmed.append(1))
        process_until(app, lambda: bool(warmed), 600)
    print(f"   {'window open' + (', models loaded' if analyse else ''):34s} {rss_text()}")
    for number in range(studies):
        folder = folders[number % distinct]
        open_and_show(app, window, folder / "baseline.dcm", folder / "followup.dcm")
        did = ""
        if analyse and number % analyse_every == 0:
            did = f", analysis {analyse_and_look(app, window)}"
        if number % 5 == 4 or number == studies - 1 or did:
            print(f"   {f'after study {number + 1}{did}':34s} {rss_text()}; {held_by_window(window)}")

    large = tmp / "large"
    large.mkdir()
    baseline, followup = write_large_pair(large, folders[0], large_factor)
    from jsnviewer.radiograph import load_radiograph

    shape = load_radiograph(baseline).pixels.shape
    print(f"\n   a large pair: {shape[1]}x{shape[0]} px, 16-bit ({baseline.stat().st_size / 1e6:.0f} MB DICOM each)")
    open_and_show(app, window, folders[1] / "baseline.dcm", folders[1] / "followup.dcm")  # the large pair starts clean
    reset_peak()
    print(f"   {'before (a phantom pair shown)':34s} {rss_text()}")
    open_and_show(app, window, baseline, followup)
    print(f"   {'opened and painted':34s} {rss_text()}")
    pane = window.panes["Baseline"]
    for step in range(20):
        pane.set_window(pane.window_center + 10, pane.window_width + 20)
        pane.graphics.viewport().repaint()
    from PySide6.QtCore import QRectF

    pane.view_box.setRange(QRectF(shape[1] / 2 - 200, shape[0] / 2 - 200, 400, 400), padding=0)
    for each in window.panes.values():
        each.graphics.viewport().repaint()
    window.fit()
    print(f"   {'20 W/L changes, zoom in, fit':34s} {rss_text()}")
    if analyse:
        reset_peak()
        outcome = analyse_and_look(app, window)
        print(f"   {'analysis ' + outcome + ', joint detail':34s} {rss_text()}")
    open_and_show(app, window, folders[1] / "baseline.dcm", folders[1] / "followup.dcm")
    print(f"   {'a phantom pair shown again':34s} {rss_text()}; {held_by_window(window)}")


def process_counts() -> tuple[int, int]:
    """(threads, open file descriptors) of this process (Linux: /proc/self); (0, 0) elsewhere."""
    try:
        return len(os.listdir("/proc/self/task")), len(os.listdir("/proc/self/fd"))
    except OSError:
        return 0, 0


def measure_day(app, window, tmp: Path, studies: int, folder: Path | None) -> None:
    """Part 5: a day's studies, each opened, analysed and its rows clicked; what grows, what stalls."""
    from PySide6.QtCore import QObject
    from PySide6.QtWidgets import QApplication

    from jsnviewer.gui.analysis import missing_weights
    from jsnviewer.phantom import generate_study, write_study

    missing = missing_weights(window.settings)
    if missing:
        print(f"\n5. a day's studies: skipped, weights missing: {', '.join(map(str, missing.values()))}")
        return
    if folder is None:
        folder = tmp / "day"
        for number in range(studies):
            write_study(folder / f"pair_{number:03d}", generate_study(11 + number), "dcm")
    folders = sorted(p for p in folder.iterdir() if p.is_dir())
    print(f"\n5. a day's studies: {studies} opened one after the other from {len(folders)} study folders, each analysed "
          f"and its Results rows clicked through")
    warmed = []
    window.warm_up().signals.finished.connect(lambda: warmed.append(1))
    process_until(app, lambda: bool(warmed), 600)
    doing = ["idle"]
    meter, during = GapMeter(20), []
    # what was under way when each gap ended (the timer's own slot, connected first, has just added the gap)
    meter.timer.timeout.connect(lambda: len(during) < len(meter.gaps) and during.append(doing[0]))
    meter.start()
    rows, spans = [], []
    for number in range(studies):
        doing[0] = f"open #{number + 1}"
        start = time.perf_counter()
        open_and_show(app, window, folders[number % len(folders)])
        opened = time.perf_counter()
        doing[0] = f"analyse #{number + 1}"
        outcome: list[str] = []
        window.analysis_finished.connect(outcome.append)
        window.start_analysis()
        process_until(app, lambda: bool(outcome), 1800)
        window.analysis_finished.disconnect(outcome.append)
        doing[0] = f"results shown #{number + 1}"
        process_until(app, lambda: all(l is None or l.settled for l in window.layers.values()), 60)
        analysed = time.perf_counter()
        table = window.results_panel.table
        for row in range(table.rowCount()):
            doing[0] = f"joint detail row {row + 1} #{number + 1}"
            table.selectRow(row)
            pause = time.perf_counter() + 0.03
            process_until(app, lambda: time.perf_counter() > pause)
        doing[0] = "idle"
        spans.append((opened - start, analysed - opened, time.perf_counter() - analysed, outcome[0]))
        if number == 0 or number % 10 == 9 or number == studies - 1:
            threads, files = process_counts()
            rows.append((number + 1, memory_mb()[0] if memory_mb() else 0.0, len(window.findChildren(QObject)),
                         len(QApplication.allWidgets()), threads, files))
    meter.stop()
    print(f"   {'after study':>11s} {'RSS MB':>7s} {'QObjects':>8s} {'widgets':>7s} {'threads':>7s} {'files':>5s}"
          f"   median s: {'open':>5s} {'analyse':>7s} {'rows':>5s}")
    for (study, rss, objects, widgets, threads, files) in rows:
        done = spans[max(0, study - 10):study]
        medians = [statistics.median(s[i] for s in done) for i in range(3)]
        print(f"   {study:11d} {rss:7.0f} {objects:8d} {widgets:7d} {threads:7d} {files:5d}"
              f"   {'':9s} {medians[0]:5.2f} {medians[1]:7.1f} {medians[2]:5.1f}")
    settled = [row for row in rows if row[0] >= 10] or rows  # the first studies fill the results kept to show again
    if len(settled) > 1:
        (first, *a), (last, *b) = settled[0], settled[-1]
        print(f"   growth per study from study {first} to {last}: " + ", ".join(f"{name} {(y - x) / (last - first):+.2f}" for name, x, y in
                                                  zip(("RSS MB", "QObjects", "widgets", "threads", "files"), a, b)))
    failed = [s[3] for s in spans if s[3] != "done"]
    if failed:
        print(f"   analyses not done: {', '.join(failed)}")
    worst = sorted(zip(meter.gaps, during), reverse=True)[:10]
    print("   longest GUI-thread gaps: " + "; ".join(f"{gap:.0f} ms ({what})" for gap, what in worst))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m jsnviewer.gui.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=6.0, help="length of each background run (default 6)")
    parser.add_argument("--analysis-only", action="store_true", help="only part 3, the real analysis")
    parser.add_argument("--weights", action="append", default=[], metavar="NAME=PATH",
                        help="a weights file instead of the shipped one (names: detector_ankylosis, "
                             "detector_subluxation, joint_findings, segmenter, registration); repeatable")
    parser.add_argument("--device", default="cpu", choices=DEVICE_CHOICES)
    parser.add_argument("--memory", action="store_true", help="only part 4, memory over a session and with large images")
    parser.add_argument("--studies", type=int, default=30, help="parts 4 and 5: studies opened one after the other (default 30)")
    parser.add_argument("--analyse-every", type=int, default=5, metavar="N",
                        help="part 4: analyse every Nth study (default 5; 0: none)")
    parser.add_argument("--distinct", type=int, default=5, help="part 4: phantom pairs opened in turns (default 5)")
    parser.add_argument("--day", action="store_true", help="only part 5, a day's studies analysed one after the other")
    parser.add_argument("--studies-folder", type=Path, metavar="DIR",
                        help="part 5: a folder of study folders (jsnviewer phantom DIR --pairs 30) instead of new phantoms")
    parser.add_argument("--large-factor", type=float, default=2.2,
                        help="part 4: the large pair is a phantom upscaled this much (default 2.2: 3278x4422 px)")
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen" if not os.environ.get("DISPLAY") else "xcb")

    import PySide6
    from PySide6.QtCore import QSettings

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
        window = MainWindow(AppSettings(device=args.device, weights=weights_overrides(args.weights)))
        window.ask_before_discarding = False
        window.resize(1600, 1000)
        window.show()
        process_until(app, lambda: True)
        if args.day:
            measure_day(app, window, tmp, args.studies, args.studies_folder)
        elif args.memory:
            measure_memory(app, window, tmp, args.studies, args.analyse_every, max(args.distinct, 2), args.large_factor)
        else:
            if not args.analysis_only:
                measure_open_and_worker(app, window, tmp, args.seconds)
            measure_analysis(app, window, tmp)
        window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
