"""`jsnviewer gui --demo`: a synthetic pair from the phantom opens with its true joint boxes."""

from __future__ import annotations

import pytest

from jsnviewer.gui.demo import open_demo
from jsnviewer.gui.main_window import BASELINE, FOLLOWUP
from jsnviewer.joints import JOINT_IDENTITIES
from jsnviewer.phantom import load_truth
from gui_support import (make_window, open_and_wait, settings_store, study, wait_drawn, wait_saved,  # noqa: F401
                         write_radiograph)


@pytest.mark.slow
def test_demo_opens_the_phantom_pair_with_its_true_boxes_unsaved_and_clean(qtbot, make_window, tmp_path, monkeypatch):
    folder = tmp_path / "demo"
    monkeypatch.setattr("jsnviewer.gui.demo.demo_folder", lambda seed=7: folder)
    window = make_window()
    with qtbot.waitSignal(window.study_loaded, timeout=120000):
        open_demo(window, seed=3, analyse=False)
    wait_drawn(qtbot, window)
    truth = load_truth(folder)
    for role, visit in ((BASELINE, truth.baseline), (FOLLOWUP, truth.followup)):
        document = window.documents[role]
        assert sorted(j.identity for j in document.joints()) == sorted(JOINT_IDENTITIES)
        assert [j.box for j in document.joints()] == [j.box for j in visit.joints]
        assert not document.is_dirty  # a demo never writes into the user's dataset by itself
        assert len(window.layers[role].items) == len(JOINT_IDENTITIES)
    assert window.panes[BASELINE].radiograph.shape == (2010, 1490)
    assert any("Demo study" in text for _, text in window.warnings.messages())


def demo_banner(window) -> list[str]:
    return [text for _, text in window.warnings.messages() if text.startswith("Demo study")]


@pytest.mark.slow
def test_the_demo_banner_goes_when_another_study_is_opened_and_comes_back_with_the_demo(qtbot, make_window, study,
                                                                                        tmp_path, monkeypatch):
    monkeypatch.setattr("jsnviewer.gui.demo.demo_folder", lambda seed=7: tmp_path / "demo")
    window = make_window()
    with qtbot.waitSignal(window.study_loaded, timeout=120000):
        open_demo(window, seed=3, analyse=False)
    assert len(demo_banner(window)) == 1
    open_and_wait(qtbot, window, *study)
    assert demo_banner(window) == []
    with qtbot.waitSignal(window.study_loaded, timeout=120000):
        open_demo(window, seed=3, analyse=False)
    assert len(demo_banner(window)) == 1


@pytest.mark.slow
def test_a_demo_without_its_weights_names_the_missing_file_in_full(qtbot, make_window, tmp_path, monkeypatch):
    from dataclasses import replace

    folder = tmp_path / "demo"
    monkeypatch.setattr("jsnviewer.gui.demo.demo_folder", lambda seed=7: folder)
    window = make_window()
    gone = tmp_path / "retrained" / "segmenter.pt"  # chosen in Settings, since deleted
    window.settings = replace(window.settings, weights={**window.settings.weights, "segmenter": str(gone)})
    with qtbot.waitSignal(window.study_loaded, timeout=120000):
        open_demo(window, seed=3)
    demo = next(text for _, text in window.warnings.messages() if "Demo study" in text)
    assert f"weights files not found: {gone}" in demo  # not just "segmenter.pt", which reads as the shipped one


def saved(dataset) -> list:
    """The dataset's images and annotations."""
    return sorted(p for p in dataset.rglob("*") if p.is_file() and p.name != "dataset.json")


@pytest.mark.slow
def test_demo_edits_stay_in_the_window_and_never_reach_the_dataset(qtbot, make_window, study, tmp_path, monkeypatch):
    monkeypatch.setattr("jsnviewer.gui.demo.demo_folder", lambda seed=7: tmp_path / "demo")
    dataset = tmp_path / "dataset"
    window = make_window(dataset, autosave_delay_s=0.1)
    with qtbot.waitSignal(window.study_loaded, timeout=120000):
        open_demo(window, seed=3, analyse=False)
    document = window.documents[BASELINE]
    uid = document.uids()[0]
    document.set_box(uid, (10.0, 20.0, 30.0, 40.0), merge_key=None)
    qtbot.wait(600)  # past the autosave delay
    wait_saved(qtbot, window)
    assert saved(dataset) == []
    assert "nothing of the demo is saved to your dataset" in demo_banner(window)[0]
    assert "All saved" not in window.save_state.text() and "Demo" in window.save_state.text()
    window.save_annotations()  # Ctrl+S neither
    wait_saved(qtbot, window)
    assert saved(dataset) == []
    document.undo_stack.undo()
    assert document.joint(uid).box != (10.0, 20.0, 30.0, 40.0)

    open_and_wait(qtbot, window, *study)  # a real study after the demo saves as ever
    window.add_box(BASELINE, (50.0, 60.0, 20.0, 30.0))
    qtbot.waitUntil(lambda: not window.documents[BASELINE].is_dirty, timeout=10000)
    assert [p.parent.name for p in saved(dataset)] == ["annotations", "images"]
    assert "All saved" in window.save_state.text()


@pytest.mark.slow
def test_a_radiograph_opened_into_one_view_over_the_demo_leaves_the_demo(qtbot, make_window, study, settings_store,
                                                                         tmp_path, monkeypatch):
    """File ▸ Open baseline… with a patient's radiograph over the demo kept the demo's synthetic follow-up beside it:
    a mixed pair, analysable, and listed in Open recent as "UAB001-LH.jpg + phantom-7…/followup.dcm". Now the demo is
    left entirely, as when a whole study opens; a patient's second radiograph still pairs with the first."""
    from pathlib import Path

    from jsnviewer.gui.settings import recent_studies

    folder = tmp_path / "demo"
    monkeypatch.setattr("jsnviewer.gui.demo.demo_folder", lambda seed=7: folder)
    window = make_window()
    with qtbot.waitSignal(window.study_loaded, timeout=120000):
        open_demo(window, seed=3, analyse=False)
    qtbot.waitUntil(lambda: window.task is None, timeout=10000)
    baseline, followup = study
    with qtbot.waitSignal(window.study_loaded, timeout=10000):
        window.open_paths([baseline], BASELINE)
    assert Path(window.panes[BASELINE].radiograph.path).resolve() == baseline.resolve()
    assert window.panes[FOLLOWUP].radiograph is None and window.documents[FOLLOWUP] is None
    assert window.study_panel.value(FOLLOWUP, "File") == "—"
    assert demo_banner(window) == []
    assert [Path(p).resolve() if p else p for p in recent_studies(settings_store)[0]] == [baseline.resolve(), ""]

    with qtbot.waitSignal(window.study_loaded, timeout=10000):  # the patient's follow-up joins the baseline
        window.open_paths([followup], FOLLOWUP)
    assert all(window.panes[role].radiograph is not None for role in (BASELINE, FOLLOWUP))
    with qtbot.waitSignal(window.study_loaded, timeout=10000):  # and the demo's follow-up does not
        window.open_paths([folder / "followup.dcm"], FOLLOWUP)
    assert window.panes[BASELINE].radiograph is None and window.documents[BASELINE] is None


def test_a_patients_radiograph_let_go_for_the_demo_beside_it_has_its_edits_saved_at_once(
        qtbot, make_window, study, tmp_path, monkeypatch):
    """Opening the demo's radiograph beside a patient's empties the patient's other view: a box drawn there a moment
    before, which autosave had not written yet, is written then, as when an image is replaced."""
    from jsnviewer.dataset import open_dataset

    folder = tmp_path / "demo"
    monkeypatch.setattr("jsnviewer.gui.demo.demo_folder", lambda seed=7: folder)
    dataset = tmp_path / "dataset"
    window = make_window(dataset)  # autosave 30 s after the last edit: not before the demo opens
    with qtbot.waitSignal(window.study_loaded, timeout=120000):
        open_demo(window, seed=3, analyse=False)
    qtbot.waitUntil(lambda: window.task is None, timeout=10000)
    open_and_wait(qtbot, window, *study)
    window.add_box(BASELINE, (50.0, 50.0, 20.0, 20.0), "MCP3")
    with qtbot.waitSignal(window.study_loaded, timeout=10000):
        window.open_paths([folder / "followup.dcm"], FOLLOWUP)
    assert window.documents[BASELINE] is None
    wait_saved(qtbot, window)
    assert [j.identity for j in open_dataset(dataset).annotation_for_file(study[0]).joints] == ["MCP3"]


def test_the_status_bar_stops_saying_demo_as_soon_as_a_patients_radiograph_replaces_it(qtbot, make_window, study,
                                                                                       tmp_path):
    """After the demo, a patient's baseline (Ctrl+O) and follow-up (Ctrl+Shift+F) opened: the status bar still said
    "Demo: edits kept in this window only, not saved" until an analysis ended. Save's tooltip says that the demo
    is not saved while it is shown, and no more once it is gone."""
    from jsnviewer.dataset import JointAnnotation

    demo = tmp_path / "demo"
    demo.mkdir()
    pair = (write_radiograph(demo / "baseline.dcm", seed=5), write_radiograph(demo / "followup.dcm", seed=6))
    window = make_window(tmp_path / "dataset")
    window.sandbox_folders.add(demo)  # what open_demo does, without generating the synthetic hand
    open_and_wait(qtbot, window, *pair)
    window.documents[BASELINE].load_joints([JointAnnotation(box=(60.0, 60.0, 20.0, 20.0), identity="MCP2")])
    assert window.save_state.text() == "Demo: edits kept in this window only, not saved"
    save = window.actions_by_name["save"]  # hovered in the demo, it said it saves the boxes to the dataset folder
    assert "nothing of the demo is saved" in save.toolTip() and save.toolTip().endswith("(Ctrl+S)")

    for role, path in zip((BASELINE, FOLLOWUP), study):
        with qtbot.waitSignal(window.study_loaded, timeout=10000):
            window.open_paths([path], role)
        qtbot.waitUntil(lambda: window.task is None, timeout=10000)
        assert "Demo" not in window.save_state.text() and "demo" not in save.toolTip()
        assert window.save_state.text() == f"All saved to {tmp_path.name}/dataset"
    assert save.toolTip() == "Save the boxes to the dataset folder (Ctrl+S)"


@pytest.mark.slow
def test_the_demo_is_found_in_the_help_menu(qtbot, make_window, tmp_path, monkeypatch):
    """A new user of the installed program had no way to the demo but a shortcut IT would have to make."""
    folder = tmp_path / "demo"
    monkeypatch.setattr("jsnviewer.gui.demo.demo_folder", lambda seed=7: folder)
    window = make_window()
    (action,) = [a for m in window.menuBar().actions() if m.text() == "&Help" for a in m.menu().actions()
                 if a.text() == "Try the &demo study"]
    with qtbot.waitSignal(window.study_loaded, timeout=120000):
        action.trigger()
    assert window.documents[BASELINE].sandbox and window.documents[FOLLOWUP].sandbox  # nothing of it is saved
    assert (folder / "baseline.dcm").is_file() and demo_banner(window)


@pytest.mark.slow
def test_a_demo_whose_analysis_fails_does_not_say_its_joints_were_analysed(qtbot, make_window, tmp_path, monkeypatch):
    """On a damaged models folder the banner still said "analysed by the models. Their joints are proposals" above
    the error, and no box was shown."""
    from jsnviewer.errors import WeightsError

    def damaged(*args, **kwargs):
        raise WeightsError(tmp_path / "segmenter.pt", "cannot be read, the file is damaged", "Bone segmenter")

    monkeypatch.setattr("jsnviewer.gui.demo.demo_folder", lambda seed=7: tmp_path / "demo")
    monkeypatch.setattr("jsnviewer.gui.analysis_actions.run_analysis", damaged)
    window = make_window()
    with qtbot.waitSignal(window.analysis_finished, timeout=120000) as ended:
        open_demo(window, seed=3, analyse=True)
    assert ended.args == ["error"]
    (banner,) = demo_banner(window)
    assert "analysis failed" in banner and "analysed by the models" not in banner


@pytest.mark.slow
def test_the_demo_the_window_writes_is_the_demo_patient_as_analyze_demo_writes_it(tmp_path):
    """The window's demo was written as patient SYNTHETIC-7, the CLI's as PHANTOM-7: the Study panel and report named
    another patient than `jsnviewer analyze --demo`, and its radiographs were not known for the demo's (kept out of
    training). A demo folder an earlier version wrote so is made again."""
    from jsnviewer.gui.demo import prepare_demo
    from jsnviewer.phantom import generate_study, write_study
    from jsnviewer.phantom.study import DEMO_FINDINGS_RATE, DEMO_SEED, is_demo_radiograph
    from jsnviewer.radiograph.dicom import read_identity

    folder = tmp_path / "demo"
    prepare_demo(folder)
    assert is_demo_radiograph(folder / "baseline.dcm") and is_demo_radiograph(folder / "followup.dcm")
    assert read_identity(folder / "baseline.dcm").patient_id == "PHANTOM-7"
    earlier = tmp_path / "earlier"
    write_study(earlier, generate_study(DEMO_SEED, findings_rate=DEMO_FINDINGS_RATE))  # as patient SYNTHETIC-7
    prepare_demo(earlier)
    assert is_demo_radiograph(earlier / "baseline.dcm")


@pytest.mark.slow
def test_an_export_of_the_demo_starts_in_the_documents_folder_not_the_programs_hidden_data_folder(
        qtbot, make_window, tmp_path, monkeypatch):
    """Export report… of the demo proposed ~/.local/share/jsnviewer/jsnviewer/demo/…: a new user's first report went
    where they would never find it."""
    from jsnviewer.gui.analysis_actions import documents_folder

    folder = tmp_path / "demo"
    monkeypatch.setattr("jsnviewer.gui.demo.demo_folder", lambda seed=7: folder)
    window = make_window()
    with qtbot.waitSignal(window.study_loaded, timeout=120000):
        open_demo(window, seed=3, analyse=False)
    assert window._export_start() == str(documents_folder())
