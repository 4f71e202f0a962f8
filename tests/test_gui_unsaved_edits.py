"""A window that ends without closing (killed, a crash, a power cut) does not take the user's unsaved edits with it:
the next start offers them back (jsnviewer.gui.unsaved_edits)."""

from __future__ import annotations

from jsnviewer.dataset import open_dataset
from jsnviewer.gui.main_window import BASELINE, FOLLOWUP, unsaved_text
from jsnviewer.gui.unsaved_edits import left_behind
from gui_support import make_window, open_and_wait, settings_store, study, wait_saved  # noqa: F401


def edit_and_die(qtbot, window, folder):
    """Boxes drawn and corrected, then the window ends without closing: its file of unsaved edits stays, nobody
    holding its lock (as after a SIGKILL)."""
    window.keep_unsaved_edits(folder)
    mcp = window.add_box(BASELINE, (50.0, 60.0, 20.0, 30.0), "MCP2")
    window.add_box(BASELINE, (90.0, 60.0, 20.0, 30.0), "PIP2")
    document = window.documents[BASELINE]
    document.set_finding(mcp, "ankylosis", True)
    document.set_box(mcp, (52.5, 61.0, 22.0, 30.0))
    expected = document.joints()
    qtbot.waitUntil(lambda: window.unsaved_edits.path.exists(), timeout=5000)
    window.unsaved_edits._lock.unlock()  # the process is gone: so is its hold on the file
    window.unsaved_edits = None  # nothing of it runs any more
    return expected


def test_edits_not_yet_autosaved_when_the_window_is_killed_are_restored_at_the_next_start(qtbot, make_window, study,
                                                                                          tmp_path):
    dataset, folder = tmp_path / "dataset", tmp_path / "unsaved"
    killed = make_window(dataset)  # autosave waits 30 s: the kill comes first
    open_and_wait(qtbot, killed, *study)
    expected = edit_and_die(qtbot, killed, folder)
    assert open_dataset(dataset).annotation_for_file(study[0]) is None  # nothing reached the dataset

    window = make_window(dataset)
    left = left_behind(folder)
    assert [image.name for found in left for image in found.images] == ["baseline.dcm"]
    assert "without saving your edits of 1 image: baseline.dcm" in unsaved_text(left)
    assert left_behind(folder) == []  # offered by one starting window only
    window.keep_unsaved_edits(folder)
    shown = window.restore_unsaved(left)
    assert shown == tuple(str(path) for path in study)  # the study that window showed
    assert not left[0].path.exists()
    open_and_wait(qtbot, window, *shown)
    document = window.documents[BASELINE]
    assert document.joints() == expected and document.is_dirty
    assert window.documents[FOLLOWUP].joints() == []
    window.save_annotations()
    wait_saved(qtbot, window)
    qtbot.waitUntil(lambda: not document.is_dirty, timeout=5000)
    assert open_dataset(dataset).annotation_for_file(study[0]).joints == expected
    qtbot.waitUntil(lambda: not window.unsaved_edits.path.exists(), timeout=5000)  # all saved: nothing to offer back
    document.undo_stack.undo()  # the restore is one undo step
    assert document.joints() == []


def test_edits_with_no_dataset_folder_survive_a_kill_and_closing_as_asked_leaves_nothing_to_offer(
        qtbot, make_window, study, tmp_path):
    folder = tmp_path / "unsaved"
    killed = make_window()
    open_and_wait(qtbot, killed, *study)
    expected = edit_and_die(qtbot, killed, folder)

    window = make_window()
    window.keep_unsaved_edits(folder)
    window.restore_unsaved(left_behind(folder))
    assert window._unsaved()[0].joints() == expected  # in the session before the image is opened
    assert "Unsaved edits" in window.save_state.text()
    qtbot.waitUntil(lambda: window.unsaved_edits.path.exists(), timeout=5000)  # kept again, by this window
    window.close()  # the close-time question answered (here: switched off, as Discard)
    assert left_behind(folder) == []


def test_a_living_windows_unsaved_edits_are_not_offered_to_another(qtbot, make_window, study, tmp_path):
    folder = tmp_path / "unsaved"
    window = make_window()
    open_and_wait(qtbot, window, *study)
    window.keep_unsaved_edits(folder)
    window.add_box(BASELINE, (50.0, 60.0, 20.0, 30.0), "MCP2")
    window.unsaved_edits.keep()
    assert window.unsaved_edits.path.exists()
    assert left_behind(folder) == []
