"""Run slow work off the GUI thread: a QRunnable that owns a QObject of signals.

Modelled on superqt's `_qthreading` and napari's `qthreading`. The work is a plain function;
if it declares a `progress` parameter it receives a callback `progress(fraction, stage)`, and
if it declares `cancelled` it receives a callable telling whether the user asked to stop. After
`Worker.cancel()` the progress callback raises `Cancelled`, so a function that reports progress
stops at its next report without any Qt knowledge. Signals are emitted from the pool thread
and delivered to the GUI thread through queued connections (the signals object lives there).
"""

from __future__ import annotations

import inspect
import threading
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal


class Cancelled(Exception):
    """Raised inside the work function (from its progress callback) once the user cancelled."""


class WorkerSignals(QObject):
    started = Signal()
    progress = Signal(float, str)  # fraction 0..1, stage
    result = Signal(object)
    error = Signal(object)  # the exception
    cancelled = Signal()
    finished = Signal()  # whatever happened
    # after `finished`, once each of its slots has been queued: only then may the signals object be deleted (a slot
    # deleting it on `finished` could run while the pool thread was still queueing the others, which were then lost)
    released = Signal()


class Worker(QRunnable):
    """`Worker(fn, *args, **kwargs)`; connect to `worker.signals`, then `start()`."""

    # Progress reports closer together than this are dropped (except the last one of a stage),
    # so a function reporting every iteration cannot flood the GUI's event queue.
    MIN_PROGRESS_INTERVAL_S = 0.03

    def __init__(self, fn: Callable[..., Any], *args: Any, **kwargs: Any):
        super().__init__()
        self.fn, self.args, self.kwargs = fn, args, kwargs
        self.signals = WorkerSignals()
        self._abort = threading.Event()
        self._last_emit = 0.0
        self._last_stage = ""
        self.is_running = False
        self.is_finished = False
        try:
            params = inspect.signature(fn).parameters
        except (TypeError, ValueError):
            params = {}
        if "progress" in params:
            self.kwargs.setdefault("progress", self.report_progress)
        if "cancelled" in params:
            self.kwargs.setdefault("cancelled", self.is_cancelled)

    def cancel(self) -> None:
        """Ask the work to stop; it stops at its next progress report or `cancelled()` check."""
        self._abort.set()

    def is_cancelled(self) -> bool:
        return self._abort.is_set()

    def report_progress(self, fraction: float, stage: str = "") -> None:
        if self._abort.is_set():
            raise Cancelled()
        now = time.monotonic()
        if stage == self._last_stage and fraction < 1.0 and now - self._last_emit < self.MIN_PROGRESS_INTERVAL_S:
            return
        self._last_emit, self._last_stage = now, stage
        self._emit(self.signals.progress, float(min(max(fraction, 0.0), 1.0)), stage)

    def start(self, pool: QThreadPool | None = None) -> Worker:
        # The signals object belongs to the thread that made it (the GUI's) and must be deleted there. Left to Python,
        # it went with the Worker, deleted in the pool thread whenever the pool let go of the Worker last (a window
        # closed while its task ran, whose slots no longer held it): while the GUI thread delivered the signals' last
        # events, a segmentation fault. Held here (the lambda holds the Worker) until Qt deletes it on its own thread
        # once released, i.e. once every slot of `finished` was queued; the Worker goes with that connection.
        self.signals.released.connect(lambda worker=self: worker.signals.deleteLater())
        (pool or QThreadPool.globalInstance()).start(self)
        return self

    def run(self) -> None:  # called in a pool thread
        self.is_running = True
        self._emit(self.signals.started)
        try:
            if self._abort.is_set():
                raise Cancelled()
            value = self.fn(*self.args, **self.kwargs)
            if self._abort.is_set():
                raise Cancelled()
        except Cancelled:
            self._emit(self.signals.cancelled)
        except Exception as exc:  # routed to the window's one error display, never lost
            self._emit(self.signals.error, exc)
        else:
            self._emit(self.signals.result, value)
        finally:
            # Whoever keeps the Worker (its signals' slots often do, through the connections, which the
            # garbage collector cannot see) must not keep its arguments: the radiographs of an analysis.
            self.fn, self.args, self.kwargs = None, (), {}
            self.is_running = False
            self.is_finished = True
            self._emit(self.signals.finished)
            self._emit(self.signals.released)

    @staticmethod
    def _emit(signal, *args: Any) -> None:
        try:
            signal.emit(*args)
        except RuntimeError:  # the window that listened was closed while the work ran: nobody to tell
            pass
