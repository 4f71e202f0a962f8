"""A window that ends without closing (killed, a crash, a power cut) does not take the user's unsaved edits with it:
the next start offers them back (jsnviewer.gui.unsaved_edits)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from jsnviewer.dataset import JointAnnotation, open_dataset
from jsnviewer.gui.main_window import BASELINE, FOLLOWUP
from jsnviewer.gui.unsaved_actions import unsaved_text
from jsnviewer.gui.unsaved_edits import left_behind
from gui_support import (  # noqa: F401
    make_window, open_and_wait, settings_store, study, wait_saved, write_radiograph,
)


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
    die(qtbot, window)
    return expected


def die(qtbot, window):
    """The window ends without closing once its unsaved edits are kept (as after a SIGKILL)."""
    window.unsaved_edits.keep()
    qtbot.waitUntil(lambda: window.unsaved_edits.path.exists(), timeout=5000)
    window.unsaved_edits._lock.unlock()  # the process is gone: so is its hold on the file
    window.unsaved_edits = None  # nothing of it runs any more


def test_edits_not_yet_autosaved_when_the_window_is_killed_are_restored_at_the_next_start(qtbot, make_window, study,
                                                                                          tmp_path):
    dataset, folder = tmp_path / "dataset", tmp_path / "unsaved"
    killed = make_window(dataset)  # autosave waits 30 s: the kill comes first
    open_and_wait(qtbot, killed, *study)
    expected = edit_and_die(qtbot, killed, folder)
    assert open_dataset(dataset).annotation_for_file(study[0]) is None  # nothing reached the dataset

    window = make_window(dataset)
    left = left_behind(folder)[0]
    assert [image.name for found in left for image in found.images] == ["baseline.dcm"]
    assert "without saving your edits of 1 image: baseline.dcm" in unsaved_text(left)
    assert left_behind(folder)[0] == []  # offered by one starting window only
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
    window.restore_unsaved(left_behind(folder)[0])
    assert window._unsaved()[0].joints() == expected  # in the session before the image is opened
    assert "Unsaved edits" in window.save_state.text()
    qtbot.waitUntil(lambda: window.unsaved_edits.path.exists(), timeout=5000)  # kept again, by this window
    window.close()  # the close-time question answered (here: switched off, as Discard)
    assert left_behind(folder)[0] == []


def test_a_living_windows_unsaved_edits_are_not_offered_to_another(qtbot, make_window, study, tmp_path):
    folder = tmp_path / "unsaved"
    window = make_window()
    open_and_wait(qtbot, window, *study)
    window.keep_unsaved_edits(folder)
    window.add_box(BASELINE, (50.0, 60.0, 20.0, 30.0), "MCP2")
    window.unsaved_edits.keep()
    assert window.unsaved_edits.path.exists()
    assert left_behind(folder)[0] == []


def test_unsaved_edits_of_one_image_left_by_two_windows_are_both_restored_merged_as_two_saves_are(
        qtbot, make_window, study, tmp_path):
    dataset, folder = tmp_path / "dataset", tmp_path / "unsaved"
    saved = make_window(dataset)
    open_and_wait(qtbot, saved, *study)
    saved.add_box(BASELINE, (50.0, 60.0, 20.0, 30.0), "MCP2")
    saved.save_annotations()
    wait_saved(qtbot, saved)
    qtbot.waitUntil(lambda: not saved.documents[BASELINE].is_dirty, timeout=5000)
    saved.close()

    first, second = make_window(dataset), make_window(dataset)  # both open the study with MCP2 saved
    for window, place, added in ((first, (52.0, 61.0, 20.0, 30.0), "PIP2"), (second, (48.0, 58.0, 22.0, 30.0), "PIP3")):
        open_and_wait(qtbot, window, *study)
        window.keep_unsaved_edits(folder)
        document = window.documents[BASELINE]
        document.set_box(document.uids()[0], place)  # both move MCP2, differently
        window.add_box(BASELINE, (90.0 if added == "PIP2" else 130.0, 60.0, 20.0, 30.0), added)
    first_joints, second_joints = first.documents[BASELINE].joints(), second.documents[BASELINE].joints()
    die(qtbot, first)
    die(qtbot, second)
    journals = sorted(folder.glob("*.json"))
    assert len(journals) == 2

    window = make_window(dataset)
    window.keep_unsaved_edits(folder)
    window.restore_unsaved(left_behind(folder)[0])
    (document,) = window._unsaved()
    boxes = {(j.identity, j.box) for j in document.joints()}
    assert boxes == {(j.identity, j.box) for j in first_joints + second_joints}  # nothing of either lost
    assert len(document.joints()) == 4  # MCP2 as each window moved it: both versions kept
    notes = [text for level, text in window.warnings.messages() if "2 windows" in text]
    assert notes == ["baseline.dcm: your unsaved edits of 2 windows are restored together, merged as two saves of "
                     "one image are. Both changed MCP2: both versions are kept; delete the one you do not want."]
    qtbot.waitUntil(lambda: not any(path.exists() for path in journals), timeout=5000)  # kept in this window's file
    assert {(j.identity, j.box) for j in left_behind_of(window)} == boxes
    window.save_annotations()
    wait_saved(qtbot, window)
    qtbot.waitUntil(lambda: not document.is_dirty, timeout=5000)
    assert {(j.identity, j.box) for j in open_dataset(dataset).annotation_for_file(study[0]).joints} == boxes


def left_behind_of(window):
    """The joints a window keeps in its file of unsaved edits."""
    window.unsaved_edits.keep()
    kept = json.loads(window.unsaved_edits.path.read_text())
    return [JointAnnotation.from_json(j) for image in kept["images"] for j in image["joints"]]


@pytest.mark.parametrize("saved_before", [False, True])
def test_restored_edits_of_a_radiograph_moved_or_deleted_since_are_said_at_once_and_kept(
        qtbot, make_window, study, tmp_path, saved_before):
    dataset, folder = tmp_path / "dataset", tmp_path / "unsaved"
    killed = make_window(dataset)
    open_and_wait(qtbot, killed, *study)
    if saved_before:  # the dataset folder has the image already (its own copy)
        killed.add_box(BASELINE, (130.0, 60.0, 20.0, 30.0), "PIP3")
        killed.save_annotations()
        wait_saved(qtbot, killed)
        qtbot.waitUntil(lambda: not killed.documents[BASELINE].is_dirty, timeout=5000)
    expected = edit_and_die(qtbot, killed, folder)
    moved = study[0].rename(tmp_path / "elsewhere.dcm")

    window = make_window(dataset)
    window.keep_unsaved_edits(folder)
    shown = window.restore_unsaved(left_behind(folder)[0])
    assert shown == (None, str(study[1]))
    (document,) = window._unsaved()
    assert document.joints() == expected
    notes = [(level, text) for level, text in window.warnings.messages() if "moved or deleted" in text]
    if saved_before:
        copy = next((dataset / "images").iterdir())
        assert notes == [("info", "baseline.dcm was moved or deleted since: your restored edits of it are saved to the "
                          f"dataset folder as any edit (its copy there shows them: {copy}).")]
        window.save_annotations()
        wait_saved(qtbot, window)
        qtbot.waitUntil(lambda: not document.is_dirty, timeout=5000)
        assert open_dataset(dataset).annotation_for_file(moved).joints == expected
        return
    assert notes == [("warning", f"baseline.dcm was moved or deleted since: your restored edits of it can be saved "
                      f"once it is back at {study[0]}; until then they stay in this window, unsaved, kept against a "
                      f"crash in {window.unsaved_edits.path}.")]
    assert left_behind_of(window) == expected
    window.save_annotations()
    wait_saved(qtbot, window)
    assert document.is_dirty and document.joints() == expected  # the save fails: nothing dropped
    moved.rename(study[0])  # back
    window.save_annotations()
    wait_saved(qtbot, window)
    qtbot.waitUntil(lambda: not document.is_dirty, timeout=5000)
    assert open_dataset(dataset).annotation_for_file(study[0]).joints == expected


def test_unreadable_files_of_unsaved_edits_are_kept_set_aside_and_said_once(qtbot, make_window, study, tmp_path,
                                                                             monkeypatch):
    folder = tmp_path / "unsaved"
    killed = make_window()
    open_and_wait(qtbot, killed, *study)
    expected = edit_and_die(qtbot, killed, folder)
    good = next(folder.glob("*.json"))
    truncated, denied, wrong, deep = (folder / f"20200101T000000-1-{n}.json" for n in (1, 2, 3, 4))
    truncated.write_bytes(good.read_bytes()[:200])
    denied.write_bytes(good.read_bytes())
    wrong.write_text(json.dumps({"format": "jsnviewer-unsaved-edits", "version": 1, "images": [{"file": "x.dcm"}]}))
    deep.write_text("[" * 100_000 + "]" * 100_000)  # stopped the start before
    contents = {path: path.read_bytes() for path in (truncated, denied, wrong, deep)}
    try:
        json.loads(contents[truncated])
    except json.JSONDecodeError as exc:
        cut = f"not valid JSON (line {exc.lineno}, column {exc.colno})"
    read_text = Path.read_text
    monkeypatch.setattr(Path, "read_text", lambda path, *args, **kwargs: (
        (_ for _ in ()).throw(PermissionError(13, "Permission denied")) if path == denied else
        read_text(path, *args, **kwargs)))

    left, unreadable = left_behind(folder)
    assert [found.path for found in left] == [good]
    assert [(found.path.name, found.reason) for found in unreadable] == [
        (f"{truncated.name}.unreadable", cut),
        (f"{denied.name}.unreadable", "Permission denied"),
        (f"{wrong.name}.unreadable", "'image_id' is missing"), (f"{deep.name}.unreadable", "nested too deeply")]
    assert {found.path: found.path.read_bytes() for found in unreadable} == {
        path.with_name(f"{path.name}.unreadable"): data for path, data in contents.items()}  # kept as they were
    window = make_window()
    window.keep_unsaved_edits(folder)
    window.say_unreadable_unsaved(unreadable)
    window.restore_unsaved(left)
    assert window._unsaved()[0].joints() == expected  # the readable file's edits are restored all the same
    notes = [(level, text) for level, text in window.warnings.messages() if "cannot be read" in text]
    assert len(notes) == 1 and notes[0][0] == "warning"
    assert notes[0][1].startswith("Unsaved edits left by windows that ended without closing cannot be read, so they "
                                  f"were not restored: {unreadable[0].path} ({cut}); ")
    assert notes[0][1].endswith(f"The files are kept for repair; once mended and named *.json again in {folder}, the "
                                "next start offers them.")
    assert left_behind(folder) == ([], [])  # said once: not at every start


def test_a_start_with_only_an_unreadable_file_of_unsaved_edits_asks_nothing_and_says_it(tmp_path):
    folder = tmp_path / "data" / "jsnviewer" / "jsnviewer" / "unsaved"
    folder.mkdir(parents=True)
    (folder / "20200101T000000-1-1.json").write_text('{"format": "jsnviewer-unsaved-edits", "vers')
    started = start(tmp_path, "default", 0)
    assert started["asked"] == [] and started["unsaved"] == {}
    assert [text for text in started["messages"] if "cannot be read" in text] == [
        "Unsaved edits left by a window that ended without closing cannot be read, so they were not restored: "
        f"{folder / '20200101T000000-1-1.json.unreadable'} (not valid JSON (line 1, column 39)). The file is kept for "
        f"repair; once mended and named *.json again in {folder}, the next start offers it."]
    assert (folder / "20200101T000000-1-1.json.unreadable").exists()


# `jsnviewer gui` as a user starts it, in a process of its own (XDG_DATA_HOME and XDG_CONFIG_HOME under the test's
# folder): argv[1] is what it does: "edit-and-kill" draws two boxes on the study shown, waits until they are kept
# and kills its own process (SIGKILL: nothing of the window runs any more); else the button clicked when the window
# asks about edits left behind ("default" for the one Enter presses), and what the window then has is written as JSON
# to argv[2] once the start has settled: argv[3] views show an image (0: the first turn of the event loop). The models are left out (not loaded, the
# demo not analysed): what is tested here is the start, not them.
START = """
import json, os, signal, sys, traceback
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox
import jsnviewer.gui.analysis as analysis
import jsnviewer.gui.main_window as main_window
from jsnviewer.cli.main import main

todo, report, views, args = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4:]
main_window.MainWindow.warm_up = lambda self: None
analysis.missing_weights = lambda settings: {"detector": Path("not loaded in this test")}
asked, windows = [], []


def answer(box):
    asked.append(box.text())
    (box.defaultButton() if todo == "default" else next(b for b in box.buttons() if b.text() == todo)).click()
    return 0


def settled():
    window = windows[0]
    if todo == "edit-and-kill":
        window.add_box("Baseline", (50.0, 60.0, 20.0, 30.0), "MCP2")
        window.add_box("Baseline", (90.0, 60.0, 20.0, 30.0), "PIP2")
        window.unsaved_edits.keep()
        Path(report).write_text(json.dumps([j.to_json() for j in window.documents["Baseline"].joints()]))
        os.kill(os.getpid(), signal.SIGKILL)
    state = {"asked": asked, "shown": [None if d is None else str(d.path) for d in window.documents.values()],
             "unsaved": {d.path.name: [j.to_json() for j in d.joints()] for d in window._unsaved()},
             "messages": [text for _, text in window.warnings.messages()], "title": window.windowTitle()}
    Path(report).write_text(json.dumps(state))
    QApplication.instance().exit(0)  # not closed: what is unsaved stays kept, as after a kill


def shown(window, show=main_window.MainWindow.show):
    windows.append(window)
    show(window)
    ticks = QTimer(window)  # its first tick comes once the start is done and the event loop runs

    def tick():
        if window.task is None and sum(d is not None for d in window.documents.values()) == views:
            ticks.stop()
            try:
                settled()
            except Exception:  # the window would show it and wait for ever
                traceback.print_exc()
                os._exit(3)

    ticks.timeout.connect(tick)
    ticks.start(50)


QMessageBox.exec = answer
main_window.MainWindow.show = shown
sys.exit(main(["gui", *args]))
"""


def start(tmp_path, todo, views, *args):
    """`jsnviewer gui *args` started as a user starts it (see START); what it had once `views` views show an image."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path / "config"),
               XDG_DATA_HOME=str(tmp_path / "data"))
    report = tmp_path / "report.json"
    report.unlink(missing_ok=True)
    done = subprocess.run([sys.executable, "-c", START, todo, str(report), str(views), *map(str, args)], capture_output=True,
                          text=True, timeout=120, env=env)
    assert done.returncode == (-signal.SIGKILL if todo == "edit-and-kill" else 0), done.stderr
    return json.loads(report.read_text())


def test_a_start_after_a_kill_asks_and_restores_the_edits_with_their_study_and_not_now_asks_again(tmp_path, study):
    drawn = start(tmp_path, "edit-and-kill", 2, *study)  # no dataset folder: nothing but the kept file has them
    assert [path.name for path in (tmp_path / "data").rglob("unsaved/*.json")] != []

    later = start(tmp_path, "Not now", 0)
    assert len(later["asked"]) == 1 and "without saving your edits of 1 image: baseline.dcm" in later["asked"][0]
    assert later["shown"] == [None, None] and later["unsaved"] == {}  # nothing restored, no study opened

    restored = start(tmp_path, "default", 2)  # offered again; Enter restores
    assert len(restored["asked"]) == 1 and "baseline.dcm" in restored["asked"][0]
    assert restored["shown"] == [str(path) for path in study]  # the study the killed window showed, shown again
    assert restored["unsaved"] == {"baseline.dcm": drawn}
    assert "baseline.dcm: your unsaved edits of this image are shown." in restored["messages"]
    assert restored["title"].endswith(" *")


def test_a_study_named_at_start_is_shown_and_edits_left_behind_are_restored_beside_it(tmp_path, study):
    drawn = start(tmp_path, "edit-and-kill", 1, study[0])
    other = write_radiograph(tmp_path / "other.dcm", seed=5)
    named = start(tmp_path, "default", 1, other)  # the command line's study, not the one the killed window showed
    assert len(named["asked"]) == 1
    assert named["shown"] == [str(other), None]
    assert named["unsaved"] == {"baseline.dcm": drawn}  # restored all the same, unsaved until saved

    demo = start(tmp_path, "default", 2, "--demo")  # they were kept again by that window, which ended without closing
    assert len(demo["asked"]) == 1
    assert "demo" in Path(demo["shown"][0]).parts and demo["unsaved"] == {"baseline.dcm": drawn}


def no_room(path, obj):
    raise OSError(28, "No space left on device")


@pytest.mark.parametrize("broken", ["read-only", "a file in its place", "full"])
def test_a_folder_where_unsaved_edits_cannot_be_kept_is_said_once_as_a_note_and_unsaid_once_they_are(
        qtbot, make_window, study, tmp_path, monkeypatch, broken):
    folder = tmp_path / "unsaved"
    if broken == "read-only":
        if os.geteuid() == 0:
            pytest.skip("root writes into a read-only folder")
        folder.mkdir()
        folder.chmod(0o555)
    elif broken == "a file in its place":
        folder.write_text("not a folder")
    else:
        monkeypatch.setattr("jsnviewer.gui.unsaved_edits.atomic_write_json", no_room)
    window = make_window()
    open_and_wait(qtbot, window, *study)
    window.keep_unsaved_edits(folder)
    window.add_box(BASELINE, (50.0, 60.0, 20.0, 30.0), "MCP2")
    qtbot.waitUntil(lambda: window.unsaved_edits.error is not None, timeout=5000)
    notes = [(level, text) for level, text in window.warnings.messages() if "against a crash" in text]
    assert len(notes) == 1 and notes[0][0] == "info"
    assert notes[0][1].startswith(f"Unsaved edits cannot be kept against a crash: {folder}: ")
    window.add_box(BASELINE, (90.0, 60.0, 20.0, 30.0), "PIP2")
    window.unsaved_edits.keep()
    assert [text for _, text in window.warnings.messages()].count(notes[0][1]) == 1  # said once, not per edit

    if broken == "read-only":
        folder.chmod(0o755)
    elif broken == "a file in its place":
        folder.unlink()
    else:
        monkeypatch.undo()
    window.add_box(BASELINE, (130.0, 60.0, 20.0, 30.0), "PIP3")
    qtbot.waitUntil(lambda: window.unsaved_edits.path.exists(), timeout=5000)
    assert not any("against a crash" in text for _, text in window.warnings.messages())
    assert left_behind(folder)[0] == []  # its own file is held by it


def test_edits_restored_where_they_cannot_be_kept_again_stay_in_the_file_left_behind_until_they_can(
        qtbot, make_window, study, tmp_path, monkeypatch):
    folder = tmp_path / "unsaved"
    killed = make_window()
    open_and_wait(qtbot, killed, *study)
    expected = edit_and_die(qtbot, killed, folder)
    left_file = next(folder.glob("*.json"))

    monkeypatch.setattr("jsnviewer.gui.unsaved_edits.atomic_write_json", no_room)  # the disk is full
    window = make_window()
    window.keep_unsaved_edits(folder)
    window.restore_unsaved(left_behind(folder)[0])
    assert window._unsaved()[0].joints() == expected
    assert left_file.exists()  # a crash now would not lose them: they were removed with nothing else holding them

    monkeypatch.undo()  # room again
    window.unsaved_edits.keep()
    assert not left_file.exists() and window.unsaved_edits.path.exists()
    assert left_behind(folder)[0] == []


def test_edits_left_by_a_newer_jsnviewer_are_left_for_it(qtbot, make_window, study, tmp_path):
    folder = tmp_path / "unsaved"
    killed = make_window()
    open_and_wait(qtbot, killed, *study)
    edit_and_die(qtbot, killed, folder)
    left_file = next(folder.glob("*.json"))
    newer = json.loads(left_file.read_text()) | {"version": 2, "what a newer version keeps": {"a": 1}}
    left_file.write_text(json.dumps(newer))

    left, [kept] = left_behind(folder)  # restoring with this version's reading would drop what it cannot read
    assert left == [] and kept.for_newer and kept.path == left_file
    assert json.loads(left_file.read_text()) == newer
    window = make_window()
    window.say_unreadable_unsaved([kept])  # the user is told where they are, not left to think them lost
    [(level, said)] = window.warnings.messages()
    assert level == "info" and said.startswith("Unsaved edits left by a newer jsnviewer are kept for it")
    assert str(left_file) in said and "Start that version to restore them." in said
