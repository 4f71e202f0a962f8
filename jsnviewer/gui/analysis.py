"""The GUI's side of the follow-up analysis: settings from the dialog, models loaded once and
reused, the function the worker runs, the model's proposals as boxes, and the registered crop
for the joint detail panel. The analysis itself is `jsnviewer.pipeline.analyze` (no Qt there).
"""

from __future__ import annotations

import ctypes
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np

from jsnviewer.dataset import JointAnnotation, answers
from jsnviewer.gui.settings import AppSettings


def analysis_settings(settings: AppSettings):
    """The pipeline's settings from the window's (device, thresholds, method, custom weights)."""
    from jsnviewer.pipeline.analyze import AnalysisSettings

    return AnalysisSettings(device=settings.device, registration_method=settings.registration_method,
                            thresholds=settings.thresholds,
                            weights={name: path for name, path in settings.weights.items() if path})


def weights_files(settings: AppSettings) -> dict[str, Path]:
    """The weights file each model will be read from: the user's choice or the shipped one."""
    from jsnviewer.weights import models_needed, resolve_weights

    return {name: resolve_weights(name, settings.weights.get(name) or None)
            for name in models_needed(settings.registration_method)}


def missing_weights(settings: AppSettings) -> dict[str, Path]:
    """The weights files an analysis would read that are not there, by model name."""
    return {name: path for name, path in weights_files(settings).items() if not path.is_file()}


class ModelCache:
    """The loaded models, kept between analyses; reloaded when the device, the method or a
    weights file (its path or its modification time) changes. Loading happens in the worker."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key: tuple | None = None
        self._models = None

    @staticmethod
    def _key_of(settings, files: dict[str, Path]) -> tuple:
        stamps = tuple(sorted((name, str(p), p.stat().st_mtime_ns if p.is_file() else None) for name, p in files.items()))
        return settings.device, settings.registration_method, stamps

    def models(self, app_settings: AppSettings, progress: Callable[[float, str], None] | None = None):
        from jsnviewer.pipeline.analyze import AnalysisModels

        settings = analysis_settings(app_settings)
        key = self._key_of(settings, weights_files(app_settings))
        # The warm-up may be loading them: wait, reporting, so the wait shows and can be cancelled.
        while not self._lock.acquire(timeout=0.1):
            if progress:
                progress(0.0, "Loading models")
        try:
            if self._models is None or key != self._key:
                if progress:
                    progress(0.0, "Loading models")
                self._models, self._key = None, None
                self._models = AnalysisModels.load(settings)
                self._key = key
            return self._models
        finally:
            self._lock.release()

    @property
    def loaded(self) -> bool:
        return self._models is not None


def warm_up(app_settings: AppSettings, cache: ModelCache) -> bool:
    """Import the analysis libraries and load the models ahead of the first analysis.

    Importing torch and initialising it hold Python's interpreter lock for a few hundred ms at a
    time, which stalls the GUI thread however the work is threaded. Done once while the window
    has just opened, the first Analyse then runs without those stalls. At the end the objects
    made so far (modules, models: some 250 000) are moved out of the garbage collector's sight
    (`gc.freeze`), so that a later full collection, which also holds the lock, need not walk them.
    Returns whether the models are loaded. Missing weights files are left alone (the window names them at
    start, `MainWindow.show_missing_weights`); a damaged one raises its WeightsError.
    """
    import gc

    import torch  # noqa: F401

    import jsnviewer.pipeline.analyze  # noqa: F401

    loaded = not missing_weights(app_settings)
    if loaded:
        cache.models(app_settings)
    gc.freeze()
    return loaded


def run_analysis(baseline, followup, app_settings: AppSettings, cache: ModelCache, progress=None,
                 corrections: tuple[list[JointAnnotation], list[JointAnnotation]] | None = None):
    """What the worker runs: load (or reuse) the models, then analyse the pair, the user's named boxes
    (`corrections`, baseline and follow-up) standing in for the detector's of the same joints."""
    from jsnviewer.pipeline.analyze import analyze

    try:
        models = cache.models(app_settings, progress)
        return analyze(baseline, followup, models, analysis_settings(app_settings), progress=progress,
                       corrections=corrections)
    finally:
        release_free_memory()


def run_joint_search(radiograph, app_settings: AppSettings, cache: ModelCache, progress=None
                     ) -> tuple[list[JointAnnotation], list[str]]:
    """What the worker runs when one radiograph is open: its joints and findings as proposals (no JSN), and what
    they say of the picture (`visit_warnings`: not like a hand, or its side a guess)."""
    from jsnviewer.pipeline.analyze import find_joints, not_like_a_hand, visit_warnings

    try:
        models = cache.models(app_settings, progress)
        found = find_joints(radiograph, models, analysis_settings(app_settings), progress)
    finally:
        release_free_memory()
    no_hand = bool(not_like_a_hand(found, "radiograph"))  # its "findings" are not proposed as findings
    return ([JointAnnotation(box=tuple(d.box), identity=d.identity, findings={} if no_hand else dict(d.findings),
                             source="model") for d in found], visit_warnings(radiograph, found, "radiograph"))


def release_free_memory() -> None:
    """Hand the memory the analysis freed back to the system. glibc keeps freed blocks for reuse in each
    thread's heap: after an analysis of two large radiographs the window would hold some 300 MB more all day."""
    if not sys.platform.startswith("linux"):
        return
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc (musl)
        pass


def proposals(result, visit: str) -> list[JointAnnotation]:
    """The model's joints on one visit ("baseline" or "followup") as unaccepted boxes: the paired
    joints and those found on this visit only."""
    joints = [JointAnnotation(box=tuple(getattr(j, visit).box), identity=j.identity,
                              findings=dict(getattr(j, visit).findings), source="model") for j in result.joints]
    joints += [JointAnnotation(box=tuple(u.box), identity=u.identity, source="model")
               for u in result.unpaired if u.visit == visit]
    return joints


def new_proposals(existing: list[JointAnnotation], proposed: list[JointAnnotation]) -> list[JointAnnotation]:
    """Proposals the user has not already answered: a user box of the same joint (same identity,
    or overlapping by half) stands, and the proposal for it is left out."""
    users = [j for j in existing if j.reviewed]
    return [p for p in proposed if not any(answers(u, p.identity, p.box) for u in users)]


def transformed_crop(joint) -> np.ndarray:
    """G′: the follow-up crop with P0 applied on the baseline's upper-bone mask and P1 on its
    lower-bone mask (as the registration's loss sees it; zero outside the bones), in the
    normalised grey levels of the crops."""
    from jsnviewer.registration.loss import composite
    from jsnviewer.registration.register import warp_bones
    from jsnviewer.segmentation.data import normalise_crop

    c, reg = joint.crops, joint.registration
    upper, lower = c.fixed_upper > 0, c.fixed_lower > 0
    warped_upper, warped_lower = warp_bones(normalise_crop(c.moving), reg.upper, reg.lower, upper, lower)
    return composite(warped_upper, warped_lower, upper, lower)
