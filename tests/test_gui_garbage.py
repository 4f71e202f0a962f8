"""The program must not crash when Python collects garbage while a background task runs."""

import os
import subprocess
import sys
import textwrap

# Closed windows left in reference cycles, then a background task that allocates as reading a DICOM does. When
# Python collected those cycles in the worker's thread, their widgets were destroyed while the GUI thread ran
# its events, and the program died with a segmentation fault within a second (as one CI run did).
SCENARIO = textwrap.dedent("""
    import time
    from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget
    from jsnviewer.gui.app import make_application
    from jsnviewer.gui.worker import Worker

    app = make_application()
    finished = []
    workers = []  # kept, as the window keeps its tasks
    for _ in range(10):
        for _ in range(30):
            window = QWidget()
            layout = QVBoxLayout(window)
            for number in range(5):
                layout.addWidget(QLabel(str(number)))
            window.cycle = window
            window.show()
            del window, layout
        worker = Worker(lambda: len([{"element": [i]} for i in range(300_000)]))
        worker.signals.result.connect(finished.append)
        workers.append(worker.start())
        start = time.monotonic()
        while time.monotonic() - start < 0.3:
            app.processEvents()
    start = time.monotonic()
    while len(finished) < 10 and time.monotonic() - start < 120:  # a busy machine: the last tasks take longer
        app.processEvents()
    print("tasks finished:", len(finished))
""")


def test_background_tasks_and_the_garbage_of_closed_windows_do_not_crash_the_program():
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    run = subprocess.run([sys.executable, "-c", SCENARIO], env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "tasks finished: 10" in run.stdout


class Node:
    """A reference cycle, as closed dialogs and old studies leave them."""


def test_garbage_is_still_collected_on_the_gui_thread(qtbot, qapp):
    import gc
    import weakref

    assert not gc.isenabled()  # the GUI thread collects, not whichever thread allocates
    node = Node()
    node.cycle = node
    gone = weakref.ref(node)
    del node
    allocated = []

    def collected() -> bool:  # the program goes on making objects, as Python counts them to decide to collect
        allocated.extend([] for _ in range(gc.get_threshold()[0] + 1))
        return gone() is None

    qtbot.waitUntil(collected, timeout=5000)  # the application's timer collected it


def test_a_full_collection_waits_as_pythons_does_until_a_quarter_more_objects_are_kept(monkeypatch):
    """Collecting all generations whenever the oldest count passed its threshold walked a long session's every
    object ten times as often as Python does, and froze the window for up to 1.85 s."""
    from jsnviewer.gui import garbage

    collected, kept = [], [1000]
    monkeypatch.setattr(garbage.gc, "get_count", lambda: (701, 11, 11))  # every generation past its threshold
    monkeypatch.setattr(garbage.gc, "get_threshold", lambda: (700, 10, 10))
    monkeypatch.setattr(garbage.gc, "get_objects", lambda generation=None: [None] * kept[0])
    monkeypatch.setattr(garbage.gc, "collect", lambda generation=2: collected.append(generation) or 0)
    monkeypatch.setattr(garbage, "_kept_by_last_full", 0)
    garbage.collect_due()
    assert collected == [2]  # the first: 1000 objects kept
    kept[0] = 1200
    garbage.collect_due()
    assert collected == [2, 1]  # 200 more since: not yet a quarter
    kept[0] = 1250
    garbage.collect_due()
    assert collected == [2, 1, 2]  # a quarter more
