"""The GUI benchmark (`python -m jsnviewer.gui.bench`) measures the window as the application runs it."""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer

from jsnviewer.gui.bench import process_until


def test_the_bench_waits_in_an_event_loop_where_what_the_window_lets_go_is_deleted(qapp):
    """Waiting with processEvents() alone, the bench's memory part counted the objects the window had let go with
    deleteLater (old documents, finished tasks, the docks' animations) as kept: ~12 more per study opened."""
    window = QObject()
    let_go, gone, ticked = QObject(window), [], []
    let_go.destroyed.connect(lambda: gone.append(1))
    let_go.deleteLater()
    QTimer.singleShot(20, lambda: ticked.append(1))
    process_until(qapp, lambda: bool(ticked), timeout_s=10)
    assert gone == [1]
    assert window.children() == []
