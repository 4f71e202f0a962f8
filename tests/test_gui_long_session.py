"""A window kept open all day: what an image no longer shown leaves behind must go with it (its pixels, its
box items, its layer), or memory grows with every study opened."""

from __future__ import annotations

import gc
import sys
import threading
import weakref
from datetime import date

import pytest
import shiboken6

from jsnviewer.gui.box_layer import AnnotationLayer, JointBoxItem
from jsnviewer.gui.main_window import BASELINE, FOLLOWUP
from gui_support import make_window, open_and_wait, settings_store, study, wait_drawn, write_radiograph  # noqa: F401
from test_gui_analysis import measured_result, run_and_wait, slow_stand_in


def live(kind) -> list:
    gc.collect()
    return [o for o in gc.get_objects() if type(o) is kind]


def outside_any_scene() -> list[JointBoxItem]:
    """Box items taken off the views but still in memory."""
    return [item for item in live(JointBoxItem) if shiboken6.isValid(item) and item.scene() is None]


def other_study(folder):
    folder.mkdir()
    return (write_radiograph(folder / "b.dcm", seed=7, study_date=date(2018, 1, 2)),
            write_radiograph(folder / "f.dcm", seed=8, study_date=date(2022, 3, 4)))


def test_the_radiographs_of_an_analysed_study_are_freed_once_another_is_opened(qtbot, make_window, study, tmp_path,
                                                                              monkeypatch):
    window = make_window()
    window.show()
    open_and_wait(qtbot, window, *study)
    shown = [window.panes[role].radiograph for role in (BASELINE, FOLLOWUP)]
    monkeypatch.setattr("jsnviewer.gui.analysis_actions.run_analysis", slow_stand_in(measured_result(*shown), steps=2))
    assert run_and_wait(qtbot, window, 60000) == "done"
    gone = [weakref.ref(r) for r in shown]
    del shown
    open_and_wait(qtbot, window, *other_study(tmp_path / "other"))
    qtbot.waitUntil(lambda: not window.workers, timeout=10000)
    gc.collect()
    assert [ref() for ref in gone] == [None, None], "the analysis task kept the pixels of a study no longer shown"


def test_the_boxes_of_images_no_longer_shown_and_of_deleted_joints_are_freed(qtbot, make_window, study, tmp_path):
    window = make_window()
    window.show()
    open_and_wait(qtbot, window, *study)
    result = measured_result(window.panes[BASELINE].radiograph, window.panes[FOLLOWUP].radiograph)
    assert window.show_results(result, (window.image_ids[BASELINE], window.image_ids[FOLLOWUP]))
    wait_drawn(qtbot, window)
    drawn = sum(len(window.layers[role].items) for role in (BASELINE, FOLLOWUP))
    assert drawn == 7 and outside_any_scene() == []  # the model's proposals
    document = window.documents[FOLLOWUP]
    document.remove(document.uids()[0])
    assert outside_any_scene() == []
    open_and_wait(qtbot, window, *other_study(tmp_path / "other"))
    wait_drawn(qtbot, window)
    assert outside_any_scene() == []
    for role in (BASELINE, FOLLOWUP):
        view_box = window.panes[role].view_box
        assert view_box.findChildren(AnnotationLayer) == [window.layers[role]]
        assert not [i for i in view_box.addedItems if type(i) is JointBoxItem]


def test_the_boxes_of_a_study_no_longer_shown_go_at_once_not_with_a_full_garbage_collection(qtbot, make_window, study,
                                                                                            tmp_path, monkeypatch):
    """Each box (with its eight handles, ~170 objects) waited for the collector: its full collections on the GUI
    thread, freezing the window, grew from 0.2 to 0.8–1.6 s over a day's session."""
    window = make_window()
    window.show()
    open_and_wait(qtbot, window, *study)
    for role in (BASELINE, FOLLOWUP):
        for k in range(5):
            window.add_box(role, (20.0 + 12 * k, 30.0, 10.0, 10.0))
    wait_drawn(qtbot, window)
    boxes = [weakref.ref(item) for role in (BASELINE, FOLLOWUP) for item in window.layers[role].items.values()]
    assert len(boxes) == 10
    monkeypatch.setattr(gc, "collect", lambda *args: 0)  # no collection from here on: what is left is in a cycle
    open_and_wait(qtbot, window, *other_study(tmp_path / "other"))
    qtbot.wait(50)  # deferred deletions
    assert [ref() for ref in boxes] == [None] * 10


def test_an_image_opened_again_leaves_one_annotation_document_in_memory(qtbot, make_window, study, tmp_path):
    from jsnviewer.gui.annotation import AnnotationDocument

    window = make_window()
    window.show()
    other = other_study(tmp_path / "other")
    for _ in range(3):  # back and forth between two studies, as through a day's worklist
        open_and_wait(qtbot, window, *study)
        open_and_wait(qtbot, window, *other)
    qtbot.wait(50)  # deferred deletions
    documents = window.findChildren(AnnotationDocument)
    assert len(window.session_documents) == 4
    assert len(documents) == 4


def test_the_background_tasks_of_a_day_of_studies_do_not_stay_in_memory(qtbot, make_window, study, tmp_path):
    """Each finished task (every study opened) stayed: its worker and its signals held each other through the slots
    the window connected, a cycle the garbage collector cannot see (328 after 200 study switches)."""
    from jsnviewer.gui.worker import Worker, WorkerSignals

    def kept() -> int:
        """Tasks whose signals (and the slots' references) are still alive, or which still hold their work. An
        emptied Python wrapper of a task already deleted in Qt can outlive it in some runs (not traced; bytes)."""
        return (sum(shiboken6.isValid(s) for s in live(WorkerSignals))
                + sum(w.fn is not None or bool(w.args) for w in live(Worker)))

    window = make_window()
    other = other_study(tmp_path / "other")
    open_and_wait(qtbot, window, *study)
    qtbot.wait(50)  # deferred deletions
    before = kept()
    for _ in range(5):
        open_and_wait(qtbot, window, *other)
        open_and_wait(qtbot, window, *study)
    qtbot.waitUntil(lambda: not window.workers, timeout=5000)
    qtbot.wait(50)
    assert kept() <= before


def resident_mb() -> float:
    fields = dict(line.split(":", 1) for line in open("/proc/self/status") if ":" in line)
    return int(fields["VmRSS"].split()[0]) / 1024.0


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/status; glibc's heap")
def test_the_memory_an_analysis_freed_goes_back_to_the_system(monkeypatch):
    """The analysis runs in a pool thread, whose heap keeps freed blocks: after an analysis of two large
    radiographs the window held ~300 MB more for the rest of the day."""
    from jsnviewer.gui.analysis import run_analysis

    survivors = []

    def analyze(*args, **kwargs):  # 200 MB of intermediate results, a few small objects kept among them
        intermediates = []
        for _ in range(2000):
            intermediates.append(bytearray(100_000))
            survivors.append(bytearray(200))
        return "result"

    class Cache:
        def models(self, settings, progress=None):
            return None

    monkeypatch.setattr("jsnviewer.pipeline.analyze.analyze", analyze)
    monkeypatch.setattr("jsnviewer.gui.analysis.analysis_settings", lambda settings: None)
    before = resident_mb()
    thread = threading.Thread(target=run_analysis, args=(None, None, None, Cache()))
    thread.start()
    thread.join()
    assert resident_mb() - before < 50
