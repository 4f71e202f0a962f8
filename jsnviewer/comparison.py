"""The weights in use against a retraining's new ones, measured on the dataset by the program's benchmarks.

One figure per model, in an annotator's words: reviewed joints found (the detectors, jsnviewer.detection.bench),
findings called as the annotators marked them (the finding classifier, the same benchmark) and each finding's F1 on the
synthetic studies its training held out (the "validation F1" its training log gives), Dice of the bone
outlines with those saved in the dataset (the segmenter, jsnviewer.segmentation.bench) and the spread of the JSN under
small shifts, σ′ (the registration, jsnviewer.registration.bench). The saved outlines are the ones the segmenter in
use drew, so the segmenter's figure says whether the new one outlines differently ("changed"), never whether it
does better or worse (`judged`). The segmenter and the registration are measured on the joints their
trainers held out (`is_validation_joint`); the detectors and the finding classifier learn from every reviewed
radiograph, so they are measured on the radiographs they were trained on, and the comparison says so. A classifier
fine-tuned on a few radiographs learns them by heart: "the same" on them while it has unlearned a finding, which
only the held-out studies show.
`jsnviewer bench retraining` runs it and writes it beside the new weights (COMPARISON_FILE).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import math
import re
import time
import zipfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from jsnviewer.atomic import atomic_write_bytes, atomic_write_json
from jsnviewer.weights import MODEL_TITLES, resolve_weights, weights_sha256
from jsnviewer.words import counted

if TYPE_CHECKING:
    import numpy as np

    from jsnviewer.detection.findings_train import JointPatches

COMPARISON_FILE = "comparison.json"
ENOUGH_RADIOGRAPHS = 5  # fewer reviewed radiographs, or held-out joints, and a figure says little
ENOUGH_JOINTS = 5
# The detectors are measured on at most this many reviewed radiographs (about 1 s each per detection, up to four
# detections: in use, then each new detector and the new finding classifier in its place): ~2 min on 2 CPU cores
MAX_RADIOGRAPHS = 30
IMAGES, JOINTS, STUDIES = "reviewed radiograph", "held-out joint", "held-out synthetic study"
DETECTION_MODELS = ("detector_ankylosis", "detector_subluxation", "joint_findings")
MODELS_OF_SEVERAL_ROWS = ("joint_findings",)
# Raise when `findings_train.evaluate` scores the held-out patches otherwise: scores kept before are scored again
HELD_OUT_SCORES_VERSION = 1
_PROGRESS = re.compile(r"^compared (\d+) of (\d+)\b", re.MULTILINE)


@dataclass(frozen=True)
class ModelComparison:
    """One model's figure with the weights in use and with the new ones."""

    model: str
    measure: str  # what the figure is, e.g. "reviewed joints found"
    in_use: float | None
    new: float | None
    in_use_text: str  # as shown: "27 of 28 (96.4 %)"
    new_text: str
    higher_is_better: bool
    same_within: float  # a smaller difference is no difference
    measured_on: str  # what the figure rests on, said plainly
    amount: int  # what it rests on, counted in `unit`s
    unit: str  # what `amount` counts: "reviewed radiograph" or "held-out joint"
    enough: int  # as many needed for the figure to mean much
    not_measured: str = ""  # why there is no figure
    # False: the figure is no measure of quality (the segmenter against the outlines the segmenter in use drew): it
    # says "changed" or "unchanged", never better or worse, and `note` says why
    judged: bool = True

    @property
    def title(self) -> str:
        return MODEL_TITLES[self.model]

    @property
    def verdict(self) -> str:
        """better, same, worse; changed or unchanged where the figure is not judged; or not measured (no figure)."""
        if self.in_use is None or self.new is None:
            return "not measured"
        gain = (self.new - self.in_use) * (1 if self.higher_is_better else -1)
        if not self.judged:
            return "unchanged" if abs(gain) <= self.same_within else "changed"
        return "same" if abs(gain) <= self.same_within else "better" if gain > 0 else "worse"

    @property
    def too_little(self) -> bool:
        return self.amount < self.enough

    @property
    def note(self) -> str:
        """Why the figure is not judged better or worse ("" where it is)."""
        if self.judged:
            return ""
        return ("not a quality figure: the segmenter in use drew the saved outlines, so it agrees with them almost "
                "exactly, and a new one that outlines otherwise scores lower, whether its outlines are better or worse")

    @property
    def doubt(self) -> str:
        """Why the new weights are not shown to do at least as well as those in use on enough data ("" where they
        are: better or the same, on enough data)."""
        if self.verdict == "not measured":
            return f"not measured: {self.not_measured}"
        if not self.judged:
            return f"not judged: {self.verdict}, {self.note}"
        if self.verdict == "worse":
            return "measured worse" + (f" ({self.too_little_text})" if self.too_little else "")
        return self.too_little_text if self.too_little else ""

    def sentence(self) -> str:
        """The comparison in one line, as the dialog and the command line say it."""
        if self.verdict == "not measured":
            return f"{self.title}: not compared — {self.not_measured}."
        text = f"{self.title}, {self.measure}: {self.in_use_text} in use → {self.new_text} new: {self.verdict}"
        said = [self.note] * bool(self.note) + [self.too_little_text] * self.too_little
        if said:
            text += f" ({'; '.join(said)})"
        return f"{text}. Measured {self.measured_on}."

    @property
    def doubt_of_row(self) -> str:
        """`doubt`, with its figures where the model has several rows (the finding classifier)."""
        if self.model not in MODELS_OF_SEVERAL_ROWS or self.in_use is None:
            return self.doubt
        return f"{self.doubt} — {self.measure}: {self.in_use_text} in use → {self.new_text} new"

    @property
    def too_little_text(self) -> str:
        return f"too little data to tell: {counted(self.amount, self.unit)}, {self.enough} or more needed"


@dataclass(frozen=True)
class Comparison:
    models: tuple[ModelComparison, ...]
    weights_in_use: dict[str, str]  # every model's file the "in use" figures were measured with
    new_weights: dict[str, str]
    seconds: float
    details: dict = field(default_factory=dict)  # each benchmark's own figures, for whoever wants more

    def worse(self) -> list[ModelComparison]:
        return [m for m in self.models if m.verdict == "worse"]

    def of(self, model: str) -> ModelComparison | None:
        return next(iter(self.rows_of(model)), None)

    def rows_of(self, model: str) -> list[ModelComparison]:
        """Its figures: one, or the finding classifier's on the reviewed radiographs and on held-out studies."""
        return [m for m in self.models if m.model == model]

    def doubts(self, models) -> dict[str, str]:
        """Of `models`, each one whose new weights are not shown to do at least as well as those in use on enough data,
        with why (a model this comparison did not measure: "not compared")."""
        doubts = {}
        for model in models:
            rows = self.rows_of(model)
            if not rows:
                doubts[model] = "not compared"
            elif said := "; ".join(m.doubt_of_row for m in rows if m.doubt):
                doubts[model] = said
        return doubts

    def still_holds(self, new_weights: dict[str, str], weights_in_use: dict[str, str]) -> bool:
        """Whether it compares these new weights with the weights in use now (another model in use since gives
        other figures: the detectors and the finding classifier are measured together)."""
        return (all(self.new_weights.get(m) == p for m, p in new_weights.items())
                and self.weights_in_use == files_in_use(weights_in_use))

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, obj: dict) -> Comparison:
        if any("judged" not in m for m in obj["models"]):  # written by an earlier version, which judged the segmenter
            raise KeyError("judged")  # by its own outlines: measured again
        findings = [m["unit"] for m in obj["models"] if m["model"] == "joint_findings" and m["unit"]]
        if findings and STUDIES not in findings:  # an earlier version's, on the radiographs it was trained on only
            raise KeyError(STUDIES)
        return cls(tuple(ModelComparison(**m) for m in obj["models"]), dict(obj["weights_in_use"]),
                   dict(obj["new_weights"]), float(obj["seconds"]), dict(obj.get("details", {})))


def files_in_use(weights_in_use: dict[str, str]) -> dict[str, str]:
    """Every model's weights file, the shipped one where none is chosen."""
    return {m: str(resolve_weights(m, weights_in_use.get(m) or None)) for m in MODEL_TITLES}


def save_comparison(comparison: Comparison, folder: Path) -> Path:
    return atomic_write_json(Path(folder) / COMPARISON_FILE, comparison.to_json())


def load_comparison(folder: Path) -> Comparison | None:
    """The comparison written beside a run's weights; None when there is none or it cannot be read (then the
    weights are compared again)."""
    try:
        return Comparison.from_json(json.loads((Path(folder) / COMPARISON_FILE).read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def comparison_progress(output: str) -> tuple[int, int] | None:
    """How far `jsnviewer bench retraining` is by what it printed: (done, of)."""
    found = _PROGRESS.findall(output)
    return (int(found[-1][0]), int(found[-1][1])) if found else None


def progress_line(done: int, total: int, what: str) -> str:
    return f"compared {done} of {total}: {what}"


def compare_weights(dataset_root: str | Path, new_weights: dict[str, str], weights_in_use: dict[str, str],
                    progress: Callable[[int, int, str], None] | None = None) -> Comparison:
    """Measure each model of `new_weights` with the weights in use (model -> file, "" or absent: the shipped
    one) and with its new file, on the dataset at `dataset_root`."""
    from jsnviewer.dataset import open_dataset

    started = time.perf_counter()
    dataset = open_dataset(dataset_root)
    in_use = files_in_use(weights_in_use)
    detection = [m for m in DETECTION_MODELS if m in new_weights]
    reviewed = len(dataset.reviewed_annotations()[0]) if detection else 0
    measured_images = min(reviewed, MAX_RADIOGRAPHS)
    steps = (1 + len(detection)) * measured_images + 2 * len({"segmenter", "registration"} & set(new_weights))
    studies = _validation_studies(new_weights["joint_findings"]) if "joint_findings" in new_weights else 0
    kept = _kept_held_out(new_weights["joint_findings"], studies) if studies else None
    steps += (studies if kept is None else 0) + 2 * bool(studies)
    done = 0

    def step(what: str) -> None:
        nonlocal done
        done += 1
        if progress:
            progress(done, max(steps, 1), what)

    models, details = [], {}
    if detection:
        found, measured = _detection(dataset.root, detection, new_weights, in_use, reviewed, step)
        models += found
        details["detection"] = measured
    if studies:
        found, measured = _findings_held_out(new_weights["joint_findings"], in_use["joint_findings"], studies, kept,
                                             step)
        models += found
        details["findings_held_out"] = measured
    for model, measure in (("segmenter", _segmenter), ("registration", _registration)):
        if model in new_weights:
            comparison, measured = measure(dataset.joint_crops_dir, new_weights[model], in_use[model], step)
            models.append(comparison)
            details[model] = measured
    return Comparison(tuple(models), in_use, dict(new_weights), round(time.perf_counter() - started, 1), details)


def _share(count: int, of: int) -> str:
    return f"{count} of {of} ({100 * count / of:.1f} %)" if of else "none"


def _detection(root: Path, models: list[str], new_weights: dict[str, str], in_use: dict[str, str], reviewed: int,
               step: Callable[[str], None]) -> tuple[list[ModelComparison], dict]:
    """The detectors and the finding classifier in use, then with each new file in its place."""
    from jsnviewer.detection.bench import dataset_images, run_bench
    from jsnviewer.detection.detector import JointDetector
    from jsnviewer.detection.findings import load_finding_net
    from jsnviewer.joints import FINDINGS

    measured = min(reviewed, MAX_RADIOGRAPHS)
    some = f"{measured} of the {counted(reviewed, 'reviewed radiograph')}" if reviewed > measured else \
        f"the {counted(reviewed, 'reviewed radiograph')}"
    on = (f"on {some} it was trained on: the detectors and the finding classifier "
          "learn from every one, none is held out, so a better figure here does not show that it does better on new "
          "radiographs (a worse one is a warning)")
    if not reviewed:
        why = "the dataset has no reviewed radiograph to measure it on"
        return [_unmeasured(m, why) for m in models], {}

    def bench(detector: JointDetector, which: str) -> dict:
        return run_bench(detector, dataset_images(root, MAX_RADIOGRAPHS),
                         progress=lambda row: step(f"{which}, {row['image']}"))

    def load(files: dict[str, str]) -> JointDetector:
        return JointDetector.load(files["detector_ankylosis"], files["detector_subluxation"], device="cpu",
                                  findings=files["joint_findings"])

    in_use_detector = load(in_use)
    # a new finding classifier decides the findings of the joints the detectors in use find: found once for both
    detectors = {model: in_use_detector.with_findings(load_finding_net(new_weights[model]))
                 if model == "joint_findings" else load({**in_use, model: new_weights[model]}) for model in models}
    results = {"in use": bench(in_use_detector, "detectors and finding classifier in use")}
    for model in models:
        results[model] = bench(detectors[model], f"new {MODEL_TITLES[model].lower()}")
    if "joint_findings" in results:  # its joints were those the in-use run had found: only the classifying was timed
        results["joint_findings"]["s_per_image"] = None
    compared = []
    for model in models:
        if model == "joint_findings":  # each finding of each joint found, called as marked (true or false)
            measure = "findings (ankylosis, subluxation) of the joints found, called as the annotators marked them"
            tallies = [[sum(r[f][k] for f in FINDINGS) for k in ("tp", "tn", "fp", "fn")]
                       for r in (results["in use"], results[model])]
            right, of = [c[0] + c[1] for c in tallies], [sum(c) for c in tallies]
        else:
            measure = "reviewed joints found"
            right = [sum(row["detected"] for row in r["per_image"]) for r in (results["in use"], results[model])]
            of = [results["in use"]["joints"], results[model]["joints"]]
        figures = [r / n if n else None for r, n in zip(right, of)]
        compared.append(ModelComparison(model, measure, *figures, _share(right[0], of[0]), _share(right[1], of[1]),
                                        True, 1e-9, on, measured, IMAGES, ENOUGH_RADIOGRAPHS,
                                        "" if all(of) else "no reviewed joint was found to decide its findings on"))
    return compared, {k: {n: v for n, v in r.items() if n != "per_image"} for k, r in results.items()}


def _validation_studies(weights: str) -> int:
    """How many synthetic studies the finding classifier's training held out to choose its thresholds on."""
    from jsnviewer.detection.findings_train import VALIDATION_STUDIES
    from jsnviewer.weights import load_weights

    return int(load_weights(weights).meta.get("validation_studies", VALIDATION_STUDIES))


def _kept_held_out(weights: str, studies: int) -> JointPatches | None:
    """The patches of the synthetic studies the finding classifier's training held out, where the training kept them
    beside its weights (`train findings --cache RUN`, as the Retrain dialog trains it) or, for a run of a dataset's
    retrained/, read them from an earlier run that had, and they are those the phantom makes now; else None (they are
    made again)."""
    from jsnviewer.detection.findings_train import VALIDATION_FINDINGS_RATE, kept_phantom_patches_in, validation_seeds
    from jsnviewer.retraining import other_runs

    run = Path(weights).parent
    return kept_phantom_patches_in([run, *other_runs(run)], "validation", validation_seeds(studies),
                                   VALIDATION_FINDINGS_RATE)


def _findings_held_out(new: str, in_use: str, studies: int, kept: JointPatches | None,
                       step: Callable[[str], None]) -> tuple[list[ModelComparison], dict]:
    """Each finding's F1 with the classifier in use and the new one, at their own thresholds, on the synthetic studies
    the new one's training held out (`kept`: their patches as its training kept them, else made again): for the new
    one, the validation F1 its training log gives."""
    from jsnviewer.detection.findings import load_finding_net
    from jsnviewer.detection.findings_train import (VALIDATION_FINDINGS_RATE, f1_at_thresholds, phantom_patches,
                                                    validation_seeds)

    patches = kept if kept is not None else phantom_patches(
        validation_seeds(studies), VALIDATION_FINDINGS_RATE, lambda k: step(f"held-out synthetic study {k} of {studies}"))
    measured, patches_id = {}, _patches_id(patches)
    for which, path in (("in use", in_use), ("new", new)):
        net = load_finding_net(path)
        measured[which] = f1_at_thresholds(net, patches, _held_out_probabilities(net, path, patches, patches_id, new))
        step(f"finding classifier {which}, held-out synthetic studies")
    on = (f"on the {counted(studies, 'synthetic study', 'synthetic studies')} (both visits, "
          f"{counted(int(patches.known.sum()), 'joint')}) its training held out to choose its thresholds on (the "
          "validation F1 of its training log). Synthetic hands, not the clinic's radiographs: but a finding the new "
          "classifier no longer calls on them is one it has unlearned")
    rows = [ModelComparison("joint_findings", f"{finding} called on held-out synthetic hands (F1; 1: every one right)",
                            measured["in use"][finding], measured["new"][finding],
                            f"{measured['in use'][finding]:.3f}", f"{measured['new'][finding]:.3f}", True, 0.01, on,
                            studies, STUDIES, ENOUGH_RADIOGRAPHS) for finding in measured["new"]]
    return rows, measured


def _patches_id(patches: JointPatches) -> str:
    """What the held-out patches are, by their content (the patches, their findings and which are known)."""
    import numpy as np

    digest = hashlib.sha256()
    for array in (patches.patches, patches.findings, patches.known):
        digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()[:16]


def _held_out_scores_file(folder: Path, weights_sha: str, patches_id: str) -> Path:
    """Where a comparison keeps a finding classifier's P(finding) of the held-out patches (`_held_out_probabilities`)."""
    return Path(folder) / f"held-out-scores-{weights_sha}-{patches_id}.npz"


def _scored_as(weights_sha: str, patches_id: str) -> list[str]:
    """What kept scores were made of: the weights, the patches, the way they are scored, torch and its threads (the
    same figures to the last bit only with the same arithmetic)."""
    import torch

    return [weights_sha, patches_id, str(HELD_OUT_SCORES_VERSION), torch.__version__, str(torch.get_num_threads())]


def _kept_scores(path: Path, made: list[str], joints: int) -> np.ndarray | None:
    """The scores kept at `path` when they are of these weights and patches, scored as now; else None (no file, a
    damaged one, another's): they are scored again."""
    import numpy as np

    try:
        with np.load(path) as kept:
            if kept["made"].tolist() != made:
                return None
            probs = kept["probs"]
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        return None
    from jsnviewer.joints import FINDINGS

    if probs.dtype != np.float32 or probs.shape != (joints, len(FINDINGS)) or not np.all((probs >= 0) & (probs <= 1)):
        return None
    return probs


def _held_out_probabilities(net, weights: str, patches: JointPatches, patches_id: str, new: str) -> np.ndarray:
    """The finding classifier's P(finding) of each held-out patch (`findings_train.evaluate`) with `weights`: the same
    for the same weights file and patches, so kept by the weights' SHA-256 and the patches' in the folder of the new
    weights `new` (the run's, beside its comparison) and read back, from there or from the dataset's earlier
    retrainings (the classifier in use is mostly one an earlier comparison scored, as new or in use); else scored."""
    from jsnviewer.detection.findings_train import evaluate
    from jsnviewer.retraining import other_runs

    run = Path(new).parent
    sha = weights_sha256(weights)
    made = _scored_as(sha or "", patches_id)
    for folder in [run, *other_runs(run)] if sha is not None else []:  # a run of a dataset's retrained/: its others too
        if (probs := _kept_scores(_held_out_scores_file(folder, sha, patches_id), made, len(patches.patches))) is not None:
            return probs
    probs = evaluate(net, patches)
    if sha is not None:
        import numpy as np

        buffer = io.BytesIO()
        np.savez(buffer, probs=probs, made=np.array(made))
        with contextlib.suppress(OSError):  # no room, no permission: scored again next time
            atomic_write_bytes(_held_out_scores_file(run, sha, patches_id), buffer.getvalue())
    return probs


def _held_out(crops_dir: Path) -> tuple[list, str]:
    """The crops of the joints the segmenter's and the registration's trainers keep for validation, or why none."""
    from jsnviewer.errors import DatasetError
    from jsnviewer.segmentation.data import find_crops, is_validation_joint

    try:
        records = [r for r in find_crops(crops_dir) if is_validation_joint(r.joint)]
    except DatasetError:
        return [], "the dataset has no joint crops"
    return records, "" if records else "no joint of the dataset is held out from training to measure it on"


def _segmenter(crops_dir: Path, new: str, in_use: str, step: Callable[[str], None]) -> tuple[ModelComparison, dict]:
    from jsnviewer.errors import JsnError
    from jsnviewer.segmentation.bench import accuracy_on
    from jsnviewer.segmentation.data import load_samples
    from jsnviewer.segmentation.infer import BoneSegmenter

    records, why = _held_out(crops_dir)
    joints = len({r.joint for r in records})
    if why:
        return _unmeasured("segmenter", why), {}
    try:
        samples = load_samples(records)
    except JsnError as exc:
        return _unmeasured("segmenter", f"a held-out crop cannot be read ({exc})"), {}
    measured = {}
    for which, path in (("in use", in_use), ("new", new)):
        measured[which] = accuracy_on(BoneSegmenter.load(path, device="cpu"), samples)
        step(f"segmenter {which}")
    dice = [measured[w]["overall"]["dsc"] for w in ("in use", "new")]
    on = (f"on the {counted(joints, 'joint')} held out from its training ({counted(len(samples), 'crop')}), against "
          "the bone masks saved in the dataset when the joints were confirmed")
    # The masks are the segmenter's own outlines (the application writes what the segmenter in use drew; nothing tells
    # a mask file a user replaced from one the program wrote): agreement with them is no quality figure
    return ModelComparison("segmenter", "agreement with the outlines saved in the dataset, which the segmenter in use "
                           "drew (Dice; 1: identical)", dice[0], dice[1], f"{dice[0]:.3f}", f"{dice[1]:.3f}", True,
                           0.001, on, joints, JOINTS, ENOUGH_JOINTS, judged=False), measured


def _registration(crops_dir: Path, new: str, in_use: str, step: Callable[[str], None]) -> tuple[ModelComparison, dict]:
    from jsnviewer.errors import DatasetError
    from jsnviewer.registration.bench import bench_real
    from jsnviewer.registration.methods import DEFAULT_METHOD
    from jsnviewer.registration.model import load_model

    records, why = _held_out(crops_dir)
    if why:
        return _unmeasured("registration", why), {}
    measured = {}
    for which, path in (("in use", in_use), ("new", new)):
        try:
            measured[which] = bench_real(crops_dir, [DEFAULT_METHOD], load_model(path), part="validation")
        except DatasetError:
            return _unmeasured("registration", "no joint held out from its training has crops of two visits"), {}
        step(f"registration {which}")
    crop_px = [measured[w]["sigma_prime_mm"] / measured[w]["pixel_size_mm"] for w in ("in use", "new")]
    unit, spread, said = _spread_as_the_analyses_give_it(measured, crop_px)
    joints = measured["new"]["joints"]
    on = (f"on the {counted(joints, 'joint')} held out from its training: every pair of visits of a joint, the "
          "follow-up crop also moved by 10 random shifts of up to 3 px, registered as the analyses do (network "
          f"and refinement){said}")
    same_within = 0.01 * (spread[0] / crop_px[0] if crop_px[0] else 1.0)  # 0.01 crop px, in the unit shown
    return ModelComparison("registration", f"spread of the JSN when the follow-up moves slightly (σ′, {unit})",
                           spread[0], spread[1], *_shown_alike(spread),  # the unit: in the measure
                           False, same_within, on, joints, JOINTS, ENOUGH_JOINTS), measured


def _shown_alike(figures: list[float]) -> list[str]:
    """Both figures with the same decimals, at least 3 and enough for two significant digits of the smaller: a σ′ of
    0.00022 mm read "0.000 → 0.000", as if the JSN did not spread at all."""
    smallest = min((abs(f) for f in figures if f), default=1.0)
    decimals = max(3, 1 - math.floor(math.log10(smallest)))
    return [f"{f:.{decimals}f}" for f in figures]


def _spread_as_the_analyses_give_it(measured: dict, crop_px: list[float]) -> tuple[str, list[float], str]:
    """σ′ in the unit of the analyses' JSN: mm where every held-out crop says its pixel size, else px of the
    radiographs the crops were cut from, else (crops saved before their scale was) crop px, said why."""
    for key, unit in (("sigma_prime_radiograph_mm", "mm"), ("sigma_prime_radiograph_px", "px of the radiographs")):
        if all(measured[w].get(key) is not None for w in ("in use", "new")):
            return unit, [measured[w][key] for w in ("in use", "new")], ""
    return "crop px", crop_px, "; in crop px: crops saved by an earlier version do not record their size in the radiograph"


def _unmeasured(model: str, why: str) -> ModelComparison:
    return ModelComparison(model, "", None, None, "", "", True, 0.0, "", 0, "", 0, why)
