"""Python's cyclic garbage collected on the GUI thread only.

Python collects cycles in whichever thread happens to allocate past a threshold. A background task (a
DICOM being read, an analysis) could then destroy a closed dialog's or an old study's widgets while the
GUI thread draws, and the program crashes with a segmentation fault, losing unsaved edits (seen in CI:
a study loading in a worker while the window opened another). So while the window runs, automatic
collection is off and a timer on the GUI thread collects each generation when Python would have.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QApplication

CHECK_INTERVAL_MS = 500
_COLLECTOR_NAME = "jsnviewer-gui-thread-garbage-collector"


def collect_due() -> int:
    """Collect the generations whose allocation counts passed Python's thresholds; returns what was found.
    Call it on the GUI thread only."""
    counts, thresholds = gc.get_count(), gc.get_threshold()
    due = -1
    for generation in range(3):
        if counts[generation] <= thresholds[generation]:
            break
        due = generation
    return gc.collect(due) if due >= 0 else 0


def collect_garbage_on_gui_thread(app: QApplication) -> None:
    """Turn automatic collection off and collect from a timer on the GUI thread instead (once per app)."""
    if app.findChild(QObject, _COLLECTOR_NAME) is not None:
        return
    timer = QTimer(app)
    timer.setObjectName(_COLLECTOR_NAME)
    timer.setInterval(CHECK_INTERVAL_MS)
    timer.timeout.connect(collect_due)
    gc.disable()
    timer.start()
