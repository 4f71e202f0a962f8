"""Work off the GUI thread: progress, results, errors and cancelling, with the GUI still responsive."""

from __future__ import annotations

import time

import numpy as np
import pytest
from PySide6.QtCore import Qt, QTimer

from jsnviewer.errors import RadiographError
from jsnviewer.gui.worker import Worker
from gui_support import make_window, settings_store, study  # noqa: F401 (fixtures)


def smoothing_passes(image: np.ndarray, passes: int, progress=None, log=None) -> float:
    """Real, slow numpy work that reports progress after each pass (like the analysis will)."""
    out = image.astype(np.float64)
    for number in range(passes):
        out = 0.25 * (np.roll(out, 1, 0) + np.roll(out, -1, 0) + np.roll(out, 1, 1) + np.roll(out, -1, 1))
        out = np.fft.ifft2(np.fft.fft2(out)).real
        if log is not None:
            log.append(number)
        if progress is not None:
            progress((number + 1) / passes, "smoothing")
    return float(out.sum())


@pytest.fixture
def image():
    return np.random.default_rng(0).random((512, 512))


def test_worker_returns_the_result_while_the_event_loop_keeps_running(qtbot, image):
    ticks, reports = [], []
    timer = QTimer()
    timer.setInterval(5)
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start()
    worker = Worker(smoothing_passes, image, 40)
    results = []
    worker.signals.progress.connect(lambda fraction, stage: reports.append((fraction, stage)))
    worker.signals.result.connect(results.append)
    with qtbot.waitSignals([worker.signals.started, worker.signals.result, worker.signals.finished], timeout=60000):
        worker.start()
    timer.stop()
    assert results == [pytest.approx(smoothing_passes(image, 40))]
    assert len(ticks) >= 5, "the GUI thread stopped processing events while the work ran"
    assert reports and reports[-1] == (1.0, "smoothing")
    assert all(b[0] >= a[0] for a, b in zip(reports, reports[1:]))


def test_cancel_stops_the_work_at_its_next_progress_report(qtbot, image):
    passes_done: list[int] = []
    worker = Worker(smoothing_passes, image, 100_000, log=passes_done)
    results = []
    worker.signals.result.connect(results.append)
    with qtbot.waitSignal(worker.signals.progress, timeout=30000):
        worker.start()
    with qtbot.waitSignals([worker.signals.cancelled, worker.signals.finished], timeout=30000):
        worker.cancel()
    assert results == []
    assert 0 < len(passes_done) < 100_000


def test_an_error_in_the_work_arrives_as_the_exception(qtbot):
    def fails():
        raise RadiographError("x.dcm", "truncated file")

    worker = Worker(fails)
    with qtbot.waitSignal(worker.signals.error, timeout=10000) as blocker:
        worker.start()
    assert isinstance(blocker.args[0], RadiographError)
    assert "x.dcm: truncated file" in str(blocker.args[0])



def test_work_that_ends_after_its_window_closed_ends_quietly(qtbot, image):
    import shiboken6

    done = []
    worker = Worker(smoothing_passes, image, 2, log=done)
    shiboken6.delete(worker.signals)  # what closing the window did to the listeners while the work ran
    worker.run()  # in the pool thread: "Signal source has been deleted" used to end it with a traceback
    assert done == [0, 1] and worker.is_finished


def test_window_task_shows_progress_and_cancel_button_and_can_be_cancelled(qtbot, make_window, image):
    window = make_window()
    window.show()
    ticks = []
    timer = QTimer()
    timer.setInterval(5)
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start()
    worker = window.run_task(smoothing_passes, image, 100_000, label="Analysis")
    assert window.progress.isVisible() and window.cancel_button.isVisible()
    qtbot.waitUntil(lambda: window.progress.value() > 0, timeout=30000)
    assert window.run_task(smoothing_passes, image, 1, label="Second") is None  # one task at a time, said in the window
    assert any("another task is running" in text for _, text in window.warnings.messages())
    with qtbot.waitSignal(window.task_finished, timeout=30000) as finished:
        qtbot.mouseClick(window.cancel_button, Qt.LeftButton)
    timer.stop()
    assert finished.args == ["cancelled"]
    assert worker.is_cancelled()
    assert not window.progress.isVisible() and not window.cancel_button.isVisible()
    assert len(ticks) >= 3


def test_a_failing_task_shows_its_message_in_the_window(qtbot, make_window):
    window = make_window()

    def fails(progress=None):
        progress(0.5, "half")
        raise ValueError("the weights do not match the model")

    with qtbot.waitSignal(window.task_finished, timeout=10000):
        window.run_task(fails, label="Analysis")
    errors = [text for level, text in window.warnings.messages() if level == "error"]
    assert errors and "Analysis failed" in errors[0] and "the weights do not match the model" in errors[0]


def test_every_slot_of_a_finished_task_runs_although_the_window_lets_the_task_go(qtbot, make_window):
    """The window lets a task's signals go when it has finished. Under load it did so while the pool thread was still
    queueing the other slots of `finished`, which were then lost: an analysis cancelled on a busy computer never said
    that it had ended, and Analyse stayed disabled."""
    window = make_window()
    ended = []

    def hold_the_pool_thread() -> None:  # runs in the pool thread, after the window's slot was queued, before ours
        deadline = time.monotonic() + 5
        while window.task is not None and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.3)  # the GUI thread meanwhile runs what the window's slot left for it (a deferred delete)

    worker = window.run_task(time.sleep, 0.5, label="Waiting")
    worker.signals.finished.connect(hold_the_pool_thread, Qt.DirectConnection)
    worker.signals.finished.connect(lambda: ended.append("finished"))
    qtbot.waitUntil(lambda: window.task is None, timeout=10000)
    qtbot.waitUntil(lambda: ended == ["finished"], timeout=5000)


def test_a_study_still_loading_when_its_window_closes_is_let_go_on_the_gui_thread(qtbot, make_window, study,
                                                                                   monkeypatch):
    """Closing the window let go of its running tasks, and the pool thread, holding one last, deleted its signals when
    it ended: an object of the GUI thread's, deleted while the GUI thread delivered its last events. The program died
    of a segmentation fault (once in a full test run, in tests/test_gui_demo.py: the demo opens its study from the
    end of its preparation, and pytest-qt closed each test's window while that study's loading was ending; within a
    second in a loop of windows closed while their tasks ran)."""
    import threading

    from PySide6.QtCore import QObject

    from jsnviewer.gui import study_actions

    loads, go_on = study_actions.load_study, threading.Event()
    monkeypatch.setattr(study_actions, "load_study", lambda *args: go_on.wait(30) and loads(*args))
    window = make_window()
    window.run_task(go_on.wait, 30, label="Preparing")  # as the demo's preparation, which then opens its study
    window.open_study(*study)
    (loading,) = [worker for worker in window.workers if worker is not window.task]
    watch = QObject(loading.signals)  # deleted with them, in the thread that deletes them
    deleted_in = []
    watch.destroyed.connect(lambda: deleted_in.append(threading.current_thread().name), Qt.DirectConnection)
    del loading
    window.close()
    go_on.set()
    qtbot.waitUntil(lambda: bool(deleted_in), timeout=10000)
    assert deleted_in == [threading.main_thread().name]
