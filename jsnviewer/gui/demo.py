"""The demo study: a synthetic baseline/follow-up pair from the phantom, opened in the window.

The pair is generated once into the application's own data folder (no patient data, nothing
in the user's folders) and reused afterwards. When the models' weights are there it is analysed
at once; otherwise its joints are shown with the phantom's true boxes and findings as the
starting annotation. It is a sandbox: its edits stay in the window (undo and redo work) and are
never saved to the dataset folder (`MainWindow.sandbox_folders`), not even by Ctrl+S.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from jsnviewer.dataset import JointAnnotation
from jsnviewer.gui.settings import user_data_folder
from jsnviewer.gui.worker import Worker
from jsnviewer.phantom.study import DEMO_FINDINGS_RATE, DEMO_SEED, demo_study, is_demo_radiograph

def demo_folder(seed: int = DEMO_SEED) -> Path:
    return user_data_folder() / "demo" / f"phantom-{seed}-findings{DEMO_FINDINGS_RATE:g}"


def prepare_demo(folder: Path, seed: int = DEMO_SEED, progress: Callable[[float, str], None] | None = None):
    """Write the phantom pair into `folder` unless it is already there; returns the folder's truth."""
    from jsnviewer.phantom import TruthError, generate_study, load_truth, write_study

    # a demo of seed 7 written as patient SYNTHETIC-7 by an earlier version is made again as the demo's patient
    stale = seed == DEMO_SEED and not is_demo_radiograph(folder / "baseline.dcm")
    if (folder / "truth.json").is_file() and not stale:
        try:
            return load_truth(folder)
        except TruthError:
            pass  # written by another version: make it again
    if progress:
        progress(0.05, "Generating the synthetic hand")
    study = demo_study() if seed == DEMO_SEED else generate_study(seed, findings_rate=DEMO_FINDINGS_RATE)
    if progress:
        progress(0.9, "Writing the demo study")
    write_study(folder, study)
    return study.truth


def truth_annotations(visit) -> list[JointAnnotation]:
    return [JointAnnotation(box=joint.box, identity=joint.identity, findings=dict(joint.findings), source="user")
            for joint in visit.joints]


def open_demo(window, seed: int = DEMO_SEED, analyse: bool | None = None) -> Worker:
    """Generate (or reuse) the demo pair in the background, open it and analyse it.

    With the models' weights at hand (`analyse` None: when the weights files exist), the pair is
    analysed at once and the model's joints appear as proposals to accept; without them, the
    phantom's true joint boxes are shown instead, and the warnings bar says which weights are missing.
    """
    from jsnviewer.gui.analysis import missing_weights

    folder = demo_folder(seed)
    window.sandbox_folders.add(folder)
    missing = missing_weights(window.settings)
    if analyse is None:
        analyse = not missing

    def show(truth) -> None:
        def ended(state: str) -> None:
            """The banner said the models analysed the demo: where the analysis failed (a damaged weights file, said
            in its own message) or was cancelled, it says there are no proposals instead."""
            window.analysis_finished.disconnect(ended)
            why = {"error": "failed (see the message above)",
                   "cancelled": "was cancelled: Analysis ▸ Analyse (Ctrl+R) runs it again"}.get(state)
            if why:
                window.warnings.show_message(
                    f"Demo study: a synthetic hand (phantom seed {seed}). Its analysis {why}, so no joints are shown; "
                    "nothing of the demo is saved to your dataset.", "info", key="demo")

        def fill() -> None:
            window.study_loaded.disconnect(fill)
            if analyse:
                window.warnings.show_message(
                    f"Demo study: a synthetic hand (phantom seed {seed}), analysed by the models. Their joints are "
                    "proposals (dashed): accept them (Enter; all named ones: Shift+Enter) or correct them: nothing of the demo "
                    "is saved to your dataset.", "info", key="demo")
                window.analysis_finished.connect(ended)
                window.start_analysis()
                return
            for role, visit in (("Baseline", truth.baseline), ("Follow-up", truth.followup)):
                document = window.documents.get(role)
                if document is not None and len(document) == 0 and not document.is_dirty:
                    document.load_joints(truth_annotations(visit))
            why = f" No analysis: weights files not found: {', '.join(map(str, missing.values()))}." if missing else ""
            window.warnings.show_message(
                f"Demo study: a synthetic hand (phantom seed {seed}). The boxes are the phantom's true joints and "
                f"findings; edit them freely: nothing of the demo is saved to your dataset.{why}", "info", key="demo")

        window.study_loaded.connect(fill)
        window.open_study(folder / "baseline.dcm", folder / "followup.dcm")

    return window.run_task(prepare_demo, folder, seed, label="Preparing the demo study", on_result=show)
