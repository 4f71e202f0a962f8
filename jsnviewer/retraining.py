"""Retraining the models on an annotation dataset, as a list of `jsnviewer train` runs.

The command line is the one way to train (docs/retraining.md); the window's Retrain dialog runs these
same commands as child processes, one after the other, so a training run that fails or is cancelled
never takes the window, or the annotations open in it, down with it.
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from jsnviewer.dataset import DatasetError, ImageAnnotation, open_dataset, repeated_identities
from jsnviewer.device import training_threads
from jsnviewer.segmentation.data import find_crops
from jsnviewer.time_left import TimeLeft
from jsnviewer.weights import MODEL_TITLES, is_shipped, model_card_path, trained_size
from jsnviewer.words import counted

# What each model learns from in a dataset, and its run (the starting points of docs/retraining.md)
MODELS = {name: (MODEL_TITLES[name], *run) for name, run in {
    "detector_ankylosis": ("images", ["detector", "--finding", "ankylosis", "--synthetic", "0", "--steps", "300"]),
    "detector_subluxation": ("images", ["detector", "--finding", "subluxation", "--synthetic", "0", "--steps", "300"]),
    "joint_findings": ("images", ["findings", "--synthetic", "0", "--steps", "300"]),
    "segmenter": ("crops", ["segmenter", "--no-real", "--epochs", "5"]),
    "registration": ("crops", ["registration", "--epochs", "5"]),
}.items()}
MIN_REVIEWED_IMAGES = 1
MIN_CROP_JOINTS = 5  # the crop trainers keep a fifth of the joints apart for validation
_STEPS = re.compile(r"(\d+)/(\d+)\s*\[")  # tqdm's "135/300 [" (detector, finding classifier)
_BAR = re.compile(r"^(?:(.*?):)?\s*\d+%\|.*?(\d+)/(\d+)\s*\[")  # a bar's redraw: "training:  45%|███  | 135/300 ["
# What a trainer does before (or after) its training steps, by its bar's name, said to the user with how far
PREPARING = {"validation studies": "making the {total} synthetic hands it is checked on ({done} of {total})",
             "synthetic studies": "making the {total} synthetic hands it learns from ({done} of {total})",
             "synthetic hands": "making the {total} synthetic hands it learns from ({done} of {total})",
             "calibrating": "calibrating on {total} synthetic hands ({done} of {total})"}
_EPOCH = re.compile(r"^epoch (\d+)\b", re.MULTILINE)  # one line per epoch (segmenter, registration)


@dataclass(frozen=True)
class TrainingData:
    """What a dataset holds for training: reviewed radiographs (detectors, finding classifier) and joints
    with crops of two or more visits (segmenter, registration)."""

    reviewed_images: int
    crop_joints: int
    crops: int
    unreadable: tuple[str, ...] = ()  # annotation files left out, each with why
    # reviewed radiographs giving one joint name to several boxes ("images/<id>.png: MCP2 ×2"): trained as they are
    repeated: tuple[str, ...] = ()
    demo: tuple[str, ...] = ()  # the demo study's radiographs an earlier version saved here: left out (LeftOut.demo)
    demo_crops: int = 0  # and its joint crops (`segmentation.data.find_crops`)

    def enough_for(self, model: str) -> str | None:
        """None when `model` can be trained on this data, else why not."""
        if MODELS[model][1] == "images":
            if self.reviewed_images < MIN_REVIEWED_IMAGES:
                return "no radiograph with boxes of the user's (drawn, accepted or corrected) yet"
            return None
        if self.crop_joints < MIN_CROP_JOINTS:
            return (f"joint crops of {counted(self.crop_joints, 'joint')} seen on two visits; at least {MIN_CROP_JOINTS} are "
                    "needed (they are written when an analysed study's joints are confirmed)")
        return None


@dataclass(frozen=True)
class TrainingRun:
    model: str
    title: str
    arguments: list[str]  # after the program: `jsnviewer <arguments>`
    out: Path

    @property
    def length(self) -> int | None:
        """Its steps or epochs, as its progress counts them."""
        for option in ("--steps", "--epochs"):
            if option in self.arguments:
                return int(self.arguments[self.arguments.index(option) + 1])
        return None

    @property
    def trainer(self) -> str:
        """Which trainer it runs ("detector", "findings", "segmenter", "registration"): runs of one trainer train the
        same network on the same data, so a step of one takes about as long as a step of another (the two detectors)."""
        return self.arguments[1]

    def progress(self, output: str) -> tuple[int, int] | None:
        """How far the trainer is by what it printed: (done, of), or None before it says. Only its training steps
        count: the bar of the synthetic hands a finding classifier first makes went to 100 % before it trained."""
        bars = _bars(output)
        if bars and not bars[-1][0].startswith("training"):
            return None
        if bars:
            return bars[-1][1:]
        epochs = _EPOCH.findall(output)
        if epochs and self.length:
            return int(epochs[-1]), self.length
        return None

    def time_left(self, started: float) -> TimeLeft:
        """How long its training steps have left, the run started at `started`: a trainer counted in epochs says
        each one as it ends, so its first epoch is timed from the start; a bar is timed from its first drawing."""
        return TimeLeft(started=started if "--epochs" in self.arguments else None)

    def preparing(self, output: str) -> str | None:
        """What the trainer is doing besides its training steps, in words, as its latest bar says; else None."""
        bars = _bars(output)
        if not bars or bars[-1][0].startswith("training"):
            return None
        name, done, total = bars[-1]
        return PREPARING.get(name, "{name} ({done} of {total})").format(name=name, done=done, total=total)


def later_runs_seconds(later: list[TrainingRun], per_step: dict[str, float]) -> float | None:
    """About how long the training steps of the `later` runs take, by the seconds a step took in the runs of the same
    trainer timed so far (`per_step`: trainer -> seconds); None where one of them has no run of its trainer timed yet,
    whose steps may take any time (another network, other data)."""
    if any(run.trainer not in per_step or run.length is None for run in later):
        return None
    return sum(per_step[run.trainer] * run.length for run in later)


def _bars(output: str) -> list[tuple[str, int, int]]:
    """Each progress bar's redraw in `output`: its name (lower case), done, of."""
    found = (_BAR.match(part.strip()) for part in re.split(r"[\r\n]", output))
    return [((m[1] or "").strip().lower(), int(m[2]), int(m[3])) for m in found if m]


def training_data(dataset_root: str | Path) -> TrainingData:
    dataset = open_dataset(dataset_root)
    reviewed, left_out = dataset.reviewed_annotations()
    demo: list[str] = []
    try:  # the crops with their two masks, as the segmenter's and the registration's trainers read them
        crops = find_crops(dataset.joint_crops_dir, demo=demo)
    except DatasetError:  # none yet
        crops = []
    per_joint = Counter(record.joint for record in crops)
    repeated = tuple(f"{_known_as(annotation)}: " + ", ".join(f"{name} ×{n}" for name, n in names.items())
                     for annotation in reviewed if (names := repeated_identities(annotation.joints)))
    return TrainingData(len(reviewed), sum(n >= 2 for n in per_joint.values()), len(crops), left_out.unreadable,
                        repeated, left_out.demo, len(demo))


def _known_as(annotation: ImageAnnotation) -> str:
    """A radiograph by the file name it was opened as, which many share (every study's baseline.dcm), with the
    dataset's copy that the user can open (older annotations have no name: the copy alone)."""
    if annotation.name is None:
        return annotation.image_file
    return f"{annotation.name} (in the dataset: {annotation.image_file})"


RUN_FOLDER = "%Y-%m-%d_%H%M%S"  # a retraining's folder under <dataset>/retrained/: when it started


def output_folder(dataset_root: str | Path, when: datetime | None = None) -> Path:
    """Where one retraining writes its weights and model cards: inside the dataset, one folder per run."""
    return Path(dataset_root) / "retrained" / (when or datetime.now()).strftime(RUN_FOLDER)


def retrained_when(weights_file: str | Path) -> datetime | None:
    """When the retraining that wrote `weights_file` started, where the file lies in a retraining's folder
    (`output_folder`); None for any other file."""
    folder = Path(weights_file).parent
    if folder.parent.name != "retrained":
        return None
    try:
        return datetime.strptime(folder.name, RUN_FOLDER)
    except ValueError:
        return None


def other_runs(run: str | Path) -> list[Path]:
    """The dataset's other retraining folders, the latest first, where `run` is one (`output_folder`); else none.
    What a run keeps that is the same for every run (the finding classifier's held-out synthetic studies, its scores
    of them) is read back from them rather than made again."""
    run = Path(run)
    if retrained_when(run / "weights") is None:
        return []
    try:
        return sorted((p for p in run.parent.iterdir() if p.is_dir() and p != run), reverse=True)
    except OSError:  # unreadable: none
        return []


@dataclass(frozen=True)
class EarlierWeights:
    """The weights of the latest retraining in a dataset that are not in use (trained, then the dialog closed)."""

    folder: Path
    weights: dict[str, str]  # model -> weights file


def complete_weights(folder: Path) -> dict[str, str]:
    """The models a retraining's folder holds complete weights of: the file and its model card, both written
    atomically at the end of a training (model -> file)."""
    return {m: str(folder / f"{m}.pt") for m in MODELS
            if (folder / f"{m}.pt").is_file() and model_card_path(folder / f"{m}.pt").is_file()}


def earlier_weights(dataset_root: str | Path, weights_in_use: dict[str, str]) -> EarlierWeights | None:
    """The latest run folder under `<dataset>/retrained/` with complete weights (the file and its model card,
    both written atomically at the end of a training), less those in use; None when there are none."""
    try:
        folders = sorted((p for p in (Path(dataset_root) / "retrained").glob("*") if p.is_dir()), reverse=True)
    except OSError:  # unreadable: nothing to offer
        return None
    for folder in folders:
        complete = complete_weights(folder)
        if not complete:
            continue
        in_use = {str(Path(p).resolve()) for p in weights_in_use.values() if p}
        unused = {m: p for m, p in complete.items() if str(Path(p).resolve()) not in in_use}
        return EarlierWeights(folder, unused) if unused else None
    return None


# How long a retraining runs, as a share of the starting points' steps or epochs (the Retrain dialog's choice)
LENGTHS = {"short": 0.5, "standard": 1.0, "long": 3.0}


def training_runs(dataset_root: str | Path, models: list[str], out_folder: Path,
                  start_from: dict[str, str] | None = None, threads: int | None = None,
                  length: float = LENGTHS["standard"], device: str = "auto") -> list[TrainingRun]:
    """The `jsnviewer train` run of each model, in the order given. `start_from` names weights in use
    instead of the shipped ones (a clinic's earlier retraining goes on from where it was); `length` scales
    each run's steps or epochs (at least one); `device` is the Settings' device, the analyses' (`--device`)."""
    threads = threads or training_threads()
    runs = []
    for model in models:
        title, _, arguments = MODELS[model]
        arguments = [str(max(1, int(int(value) * length + 0.5))) if option in ("--steps", "--epochs") else value
                     for option, value in zip(["", *arguments], arguments)]
        out = out_folder / f"{model}.pt"
        args = ["train", *arguments, "--data", str(dataset_root), "--out", str(out), "--threads", str(threads),
                "--device", device, "--ask-if-unwritable"]
        if model == "joint_findings":  # its held-out synthetic studies kept in the run, for the comparison after it
            args += ["--cache", str(out_folder)]
        start = (start_from or {}).get(model)
        if start and not is_shipped(start):
            args += ["--init", str(start)]
        runs.append(TrainingRun(model, title, args, out))
    return runs


def room_needed(runs: list[TrainingRun], start_from: dict[str, str] | None = None) -> int:
    """About how many bytes the weights of `runs` take together (as those they start from, or the shipped ones)."""
    return sum(trained_size(run.model, (start_from or {}).get(run.model)) for run in runs)


def runs_that_fit(runs: list[TrainingRun], room: int, start_from: dict[str, str] | None = None) -> list[TrainingRun]:
    """As many of `runs` as fit together into `room` bytes (the smallest first), in their order."""
    fitting, used = set(), 0
    for run in sorted(runs, key=lambda r: room_needed([r], start_from)):
        used += room_needed([run], start_from)
        if used > room:
            break
        fitting.add(run.model)
    return [run for run in runs if run.model in fitting]


def program_command() -> list[str]:
    """How to start this program's command line: the packaged program's console launcher, or this Python."""
    if getattr(sys, "frozen", False):
        exe = Path(sys.executable)
        console = exe.with_name("jsnviewer.exe")  # Windows: the window's launcher has no standard output
        return [str(console if exe.name.lower() == "jsnviewer-gui.exe" and console.exists() else exe)]
    return [sys.executable, "-m", "jsnviewer"]


def printed_lines(output: str) -> list[str]:
    """The lines a trainer printed, without its progress bar's redraws (those are the bar's)."""
    return [line.rstrip() for line in output.replace("\r", "\n").splitlines() if line.strip() and not _STEPS.search(line)]
