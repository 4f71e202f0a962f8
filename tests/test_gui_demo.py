"""`jsnviewer gui --demo`: a synthetic pair from the phantom opens with its true joint boxes."""

from __future__ import annotations

import pytest

from jsnviewer.gui.demo import open_demo
from jsnviewer.gui.main_window import BASELINE, FOLLOWUP
from jsnviewer.joints import JOINT_IDENTITIES
from jsnviewer.phantom import load_truth
from gui_support import make_window, open_and_wait, settings_store, study, wait_drawn  # noqa: F401


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
