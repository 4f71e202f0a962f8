"""The model registry: where shipped and retrained weights live and how they are read.

A weights file is a `torch.save` of a dict:
    {"format": "jsnviewer-weights", "version": 1, "model": <model name>,
     "config": <constructor kwargs of the model>, "state_dict": ..., "meta": {...}}
Shipped weights are `models/<name>.pt` beside a model card `models/<name>.md`, and their SHA-256 digests are listed
in `models/SHA256SUMS` (`sha256sum`'s format): a shipped file that differs from its line is refused when loaded. A user
may point the application at another file (a retrained model); `resolve_weights` is the one lookup.
"""

from __future__ import annotations

import io
import logging
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jsnviewer.atomic import atomic_write_bytes
from jsnviewer.errors import JsnError, WeightsError
from jsnviewer.words import counted

log = logging.getLogger(__name__)

FORMAT = "jsnviewer-weights"
VERSION = 1
# The models whose weights a user can choose (Settings, --weights, retraining), by name, in words
MODEL_TITLES = {
    "detector_ankylosis": "Ankylosis detector",
    "detector_subluxation": "Subluxation detector",
    "joint_findings": "Joint finding classifier",
    "segmenter": "Bone segmenter",
    "registration": "Registration network",
}


def models_needed(registration_method: str) -> list[str]:
    """The models an analysis with this registration method reads: all but the registration network for phase
    correlation, which needs no network."""
    return [name for name in MODEL_TITLES if not (name == "registration" and registration_method == "poc")]


def parse_weight_options(items: list[str]) -> dict[str, str]:
    """`--weights MODEL=FILE` options (repeatable) as {model: file}: JsnError names a bad one."""
    chosen = {}
    for item in items:
        name, _, path = item.partition("=")
        if name not in MODEL_TITLES or not path:
            raise JsnError(f"--weights {item}: expected MODEL=FILE with MODEL one of {', '.join(MODEL_TITLES)}")
        chosen[name] = path
    return chosen


def models_dir() -> Path:
    """The folder of shipped weights: $JSNVIEWER_MODELS, the frozen bundle, or the repo's models/."""
    env = os.environ.get("JSNVIEWER_MODELS")
    if env:
        return Path(env)
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:
        return Path(frozen_root) / "models"
    return Path(__file__).resolve().parent.parent / "models"


def resolve_weights(name: str, override: str | Path | None = None) -> Path:
    """The weights file to use for model `name`: the user's override, else the shipped one."""
    if override:
        return Path(override)
    return models_dir() / f"{name}.pt"


def weights_sha256(path: str | Path) -> str | None:
    """The first 16 hex digits of a weights file's SHA-256, as a result records its models (`AnalysisModels`) and
    Help ▸ About and the results panel compare them; None where the file cannot be read (not there)."""
    try:
        return _sha256(Path(path))[:16]
    except OSError:
        return None


def is_shipped(path: str | Path) -> bool:
    """Whether `path` is one of the shipped weights files (an existing .pt file in `models_dir()`)."""
    path = Path(path)
    return path.suffix == ".pt" and path.is_file() and in_models_dir(path)


def in_models_dir(path: Path) -> bool:
    """Whether `path` lies in the folder of shipped weights (there or not)."""
    return path.resolve().parent == models_dir().resolve()


# The list of the shipped weights files' SHA-256 digests, in the models folder beside them: "<64 hex digits>  <name>"
# a line, as `sha256sum` writes it, so that IT can check an installation with `sha256sum -c SHA256SUMS` there. The
# weights only: the model cards beside them describe them, and change nothing that an analysis measures.
SUMS = "SHA256SUMS"
_digests: dict[Path, tuple[tuple[int, int, int], str]] = {}  # file → (its mtime, size, inode; its SHA-256)
_without_sums: set[Path] = set()  # the models folders without the list, said once each


def _sha256(path: Path) -> str:
    """The full SHA-256 of a file, read once per process while its time, size and inode stay the same."""
    from jsnviewer.dataset import file_sha256

    path = path.resolve()
    stat = path.stat()
    key = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
    known = _digests.get(path)
    if known is None or known[0] != key:
        known = _digests[path] = (key, file_sha256(path))
    return known[1]


def read_sums(folder: str | Path) -> dict[str, str] | None:
    """The list `SUMS` of a models folder as {file name: SHA-256}; None where the folder has none it can read. A line
    that is not a digest and a name (a `sha256sum` line in binary mode, "<digest> *<name>", is one) is left out."""
    try:
        text = (Path(folder) / SUMS).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    sums = {}
    for line in text.splitlines():
        digest, _, name = line.partition(" ")
        if len(digest) == 64 and name[:1] in (" ", "*") and name[1:]:
            sums[name[1:]] = digest.lower()
    return sums


def record_shipped(path: str | Path) -> Path:
    """Set a shipped weights file's line in the list `SUMS` beside it to the file's digest now (written atomically,
    the other lines kept, sorted by name): the one writer of the list, which `save_weights` calls when it replaces a
    listed file (`jsnviewer train … --replace-shipped`) and a maintainer who replaced one by hand runs."""
    from jsnviewer.atomic import atomic_write_text

    path = Path(path)
    sums = read_sums(path.parent) or {}
    sums[path.name] = _sha256(path)
    return atomic_write_text(path.parent / SUMS, "".join(f"{sums[name]}  {name}\n" for name in sorted(sums)))


def _check_shipped(path: Path) -> None:
    """A file of the models folder that its list names must be the file listed: one altered in place (a few bytes of
    a tensor zeroed) is still read by torch and analyses with wrong weights. A file not listed (a maintainer's trial
    run beside them) and every file outside the folder (the user's own) are not checked; nor is a folder without the
    list (one set up before the list was shipped), which the log says once."""
    if not in_models_dir(path):
        return
    folder = path.resolve().parent
    sums = read_sums(folder)
    if sums is None:
        if folder not in _without_sums:
            _without_sums.add(folder)
            log.info("%s has no readable %s: its weights files are not compared with those shipped", folder, SUMS)
        return
    if path.name in sums and _sha256(path) != sums[path.name]:
        raise WeightsError(path, f"differs from the file its folder's {SUMS} lists (damaged, or replaced without "
                                 f"updating {SUMS})" if os.environ.get("JSNVIEWER_MODELS") else
                                 "differs from the file shipped with this version (damaged or replaced)")


def not_found(path: str | Path, model: str | None = None) -> WeightsError:
    """A weights file that is not there, named by its model, with what to do: a shipped file comes back with the
    program; one the user chose (Settings, `--weights`) does not, but the shipped one stands in when it is cleared."""
    path = Path(path)
    advice = _repair() if in_models_dir(path) else CHOOSE_ANOTHER
    return WeightsError(path, f"file not found ({advice})", MODEL_TITLES.get(model, "model"))


CHOOSE_ANOTHER = "choose another file in Settings or clear it to use the shipped weights"  # for a file of the user's
# Set by the window for the commands it runs (Retrain): the weights files they name are those chosen in its Settings
FROM_SETTINGS = "JSNVIEWER_WEIGHTS_FROM_SETTINGS"


def named_on_the_command_line(message: str, option: str) -> str:
    """A weights error's `message` where the command line's `option` (--weights, --init) named the file: what to do
    is said there, not in Settings; unchanged in a command the window runs with its Settings' files (FROM_SETTINGS)."""
    if os.environ.get(FROM_SETTINGS):
        return message
    instead = " to use the shipped weights" if option == "--weights" else ""
    return message.replace(CHOOSE_ANOTHER, f"name another file with {option} or leave {option} out{instead}")


def _repair() -> str:
    """What to do about a shipped weights file that is missing or cannot be used."""
    if os.environ.get("JSNVIEWER_MODELS"):  # the program's own are elsewhere: reinstalling would not help
        return "JSNVIEWER_MODELS names this folder: point it at a folder holding all the models, or unset it"
    return "reinstall the program"


def unusable(path: str | Path, reason: str, model: str | None) -> WeightsError:
    """A weights file that is there but cannot be used, named by its model (`model`'s title), with what to do where
    it is a shipped one (it is the program's own, and the user cannot choose another in its place) or one of theirs."""
    path = Path(path)
    reason = f"{reason} ({_repair() if in_models_dir(path) else CHOOSE_ANOTHER})"
    return WeightsError(path, reason, MODEL_TITLES.get(model, "model"))


def unfit(weights: Weights, network: str, exc: Exception) -> WeightsError:
    """Weights whose settings or tensors do not fit the `network` their model builds ("the segmentation network"):
    what torch said is the log's (its words are about tensors and keys)."""
    log.info("%s does not fit the %s", weights.path, network, exc_info=exc)
    return unusable(weights.path, f"does not fit the {network}: its settings or layers are not those this version "
                    "builds", weights.model)


def missing_files(files: dict[str, Path]) -> WeightsError | None:
    """One error for all the weights files of `files` (model name → file, as `resolve_weights` gives them) that are
    not there, so that a models folder lacking five files is not mended one run at a time: a shipped models folder
    that does not exist is said to be missing, several files missing from it are each named, a missing file the user
    chose is named as `not_found` names it. None when every file is there."""
    missing = {name: Path(path) for name, path in files.items() if not Path(path).is_file()}
    if not missing:
        return None
    folder = models_dir()
    shipped = [name for name, path in missing.items() if in_models_dir(path)]
    no_folder = bool(shipped) and not folder.is_dir()
    if len(missing) == 1 and not no_folder:
        ((name, path),) = missing.items()
        return not_found(path, name)
    env = os.environ.get("JSNVIEWER_MODELS")
    said = [str(not_found(path, name)) for name, path in missing.items() if name not in shipped]  # the user's choices
    if no_folder and env and folder.exists():  # one weights file named in place of their folder
        said.insert(0, f"JSNVIEWER_MODELS names the models folder {folder}, which is a file, not a folder: point it at "
                       "the folder holding all the models, or unset it")
    elif no_folder:
        said.insert(0, f"JSNVIEWER_MODELS names the models folder {folder}, which does not exist: point it at a folder "
                       "holding all the models, or unset it" if env else
                       f"the models folder {folder} does not exist (reinstall the program)")
    elif len(shipped) == 1:
        said.insert(0, str(not_found(missing[shipped[0]], shipped[0])))
    elif shipped:
        advice = _repair()
        said.insert(0, f"{counted(len(shipped), 'weights file')} not found in the models folder {folder}: "
                       f"{', '.join(f'{name}.pt' for name in shipped)} ({advice})")
    return MissingWeightsError(folder, "; ".join(said))


class MissingWeightsError(WeightsError):
    """Several weights files, or the models folder itself, missing: the message says them all (`missing_files`)."""

    def __init__(self, folder: Path, message: str):
        JsnError.__init__(self, message)
        self.path, self.reason, self.title = Path(folder), message, "model"


@dataclass
class Weights:
    model: str
    config: dict[str, Any]
    state_dict: dict[str, Any]
    meta: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None


def save_weights(path: str | Path, weights: Weights) -> Path:
    import torch

    payload = {
        "format": FORMAT,
        "version": VERSION,
        "model": weights.model,
        "config": weights.config,
        "state_dict": {k: v.detach().cpu() for k, v in weights.state_dict.items()},
        "meta": weights.meta,
    }
    buf = io.BytesIO()
    torch.save(payload, buf)
    try:
        written = atomic_write_bytes(path, buf.getvalue())
    except OSError as exc:  # a full disk at the end of hours of training: the weights are still here
        raise WeightsNotWritten(path, exc, buf.getvalue(), MODEL_TITLES.get(weights.model, "model")) from exc
    if in_models_dir(written) and written.name in (read_sums(written.parent) or {}):  # a shipped file replaced
        record_shipped(written)
    return written


# What `jsnviewer train --ask-if-unwritable` prints when its weights could not be written, before it reads another
# folder for them from its standard input (the Retrain dialog answers it), and before the file it then wrote
ASK_FOLDER = "Another folder for the trained weights (an empty line: do not keep them):"
WRITTEN_ELSEWHERE = "trained weights written into another folder:"


class WeightsNotWritten(WeightsError):
    """Trained weights that could not be written (a full disk, no permission): a weights file there before is
    untouched, the write being atomic; the weights, still in memory, are kept in `data` to be written elsewhere."""

    def __init__(self, path: str | Path, cause: OSError, data: bytes, title: str):
        self.data = data
        folder = Path(path).parent
        super().__init__(path, f"not written into {folder}: {cause.strerror or cause} (the weights file there before, if "
                               "any, is untouched); make room there or choose another folder, and train again", title)


def trained_size(model: str, start_from: str | Path | None = None) -> int:
    """About how many bytes a trained `model`'s weights file takes: those of the file it starts from (else the shipped
    one), whose network it keeps; 0 when neither is there."""
    try:
        return resolve_weights(model, start_from).stat().st_size
    except OSError:
        return 0


def load_weights(path: str | Path, expected_model: str | None = None) -> Weights:
    """Read a weights file; any problem is a WeightsError that names the file (and `expected_model`'s title) and
    the reason: a missing, empty or unreadable file, another model's, a state_dict that is not a table of tensors,
    a config or meta that is not a table, NaN/infinite weights, or a shipped file that differs from the one shipped
    (`_check_shipped`). Whether the settings fit is the model's loader's to say (it builds the network from them)."""
    path = Path(path)
    try:
        return _read_weights(path, expected_model)
    except WeightsError as exc:
        if not path.exists():  # `not_found` said what to do
            raise WeightsError(exc.path, exc.reason, MODEL_TITLES.get(expected_model, exc.title)) from exc.__cause__
        raise unusable(exc.path, exc.reason, expected_model) from exc.__cause__


def _read_weights(path: Path, expected_model: str | None) -> Weights:
    import torch

    if not path.exists():
        raise not_found(path)
    if path.stat().st_size == 0:
        raise WeightsError(path, "file is empty")
    _check_shipped(path)
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types for a damaged file: which one is the log's
        log.info("%s cannot be read by torch", path, exc_info=exc)
        raise WeightsError(path, "cannot be read, the file is damaged or not a weights file") from exc
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise WeightsError(path, "not a jsnviewer weights file")
    if expected_model is not None and payload.get("model") != expected_model:
        raise WeightsError(path, f"holds a {payload.get('model')!r} model, expected {expected_model!r}")
    weights = Weights(
        model=_model_name(path, payload),
        config=_table(path, payload, "config", "a table of settings"),
        state_dict=_state_dict(path, payload),
        meta=_table(path, payload, "meta", "a table"),
        path=path,
    )
    _check_finite(weights)
    return weights


# What a loaded file must hold beyond its header: checked here, when the weights are loaded, so that
# broken contents are one WeightsError naming the file instead of a failure (or a wrong result) later.


def _kind(value: Any) -> str:
    return "nothing" if value is None else f"a {type(value).__name__}"


def _model_name(path: Path, payload: dict) -> str:
    model = payload.get("model")
    if not isinstance(model, str):
        raise WeightsError(path, "damaged: no model name")
    return model


def _table(path: Path, payload: dict, key: str, what: str) -> dict[str, Any]:
    value = payload.get(key)
    if value is None:  # absent: the model's defaults (and no training record)
        return {}
    if not isinstance(value, dict):
        raise WeightsError(path, f"damaged: its {key} is {_kind(value)}, not {what}")
    return dict(value)


def _state_dict(path: Path, payload: dict) -> dict[str, Any]:
    import torch

    if "state_dict" not in payload:
        raise WeightsError(path, "damaged: no state_dict")
    state = payload["state_dict"]
    if not isinstance(state, dict):
        raise WeightsError(path, f"damaged: its state_dict is {_kind(state)}, not a table of tensors")
    for name, value in state.items():
        if not isinstance(name, str) or not isinstance(value, torch.Tensor):
            raise WeightsError(path, f"damaged: its state_dict entry {_short(name)} is {_kind(value)}, not a tensor")
    return state


def _check_finite(weights: Weights) -> None:
    """Every floating-point tensor holds numbers: a training run that diverged saves NaN or infinity,
    and such a network finds nothing, or everything, without any error of its own."""
    import torch

    bad = [name for name, t in weights.state_dict.items()
           if (t.is_floating_point() or t.is_complex()) and not bool(torch.isfinite(t).all())]
    if bad:
        where = bad[0] + (f" and {counted(len(bad) - 1, 'other tensor')}" if len(bad) > 1 else "")
        raise WeightsError(weights.path, f"holds values that are not numbers (NaN or infinity, in {where}): "
                                         "a training run that diverged?")


def _short(value: Any, limit: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def model_card_path(weights_path: str | Path) -> Path:
    """The model card beside a weights file: `<name>.md` for `<name>.pt`."""
    return Path(weights_path).with_suffix(".md")


def write_model_card(weights_path: str | Path, title: str, command: str, started_from: str | Path | None,
                     data: list[str], figures: dict[str, float | str], bench_command: str) -> Path:
    """Write the model card of a trained weights file (atomically, beside it); returns the card's path.

    `data` describes what it learnt from and how it was split, `figures` what the training measured;
    the CPU inference time is not measured by a training run, so the card names the command that does.
    """
    from datetime import datetime, timezone

    from jsnviewer.atomic import atomic_write_text

    path = Path(weights_path)
    lines = [f"# {title}: `{path.name}`", "",
             f"Written {datetime.now(timezone.utc).isoformat(timespec='seconds')} by a training run of jsnviewer.", "",
             "## Training command", "", "```", command, "```", "",
             "Started from " + (f"`{started_from}` (its model card lies beside it)." if started_from
                                else "random weights."), "",
             "## Data and split", ""] + [f"- {line}" for line in data] + ["", "## Figures measured during training", ""]
    if figures:
        lines += ["| figure | value |", "| --- | --- |"]
        lines += [f"| {k} | {v:.4f} |" if isinstance(v, float) else f"| {k} | {v} |" for k, v in figures.items()]
    else:
        lines.append("None: this training run measured no validation figures.")
    lines += ["", "## Size and speed", "", f"- Weights file: {path.stat().st_size / 1e6:.2f} MB.",
              "- CPU inference time: not measured by training" +
              (" (the network keeps the size of the weights it started from, whose card gives it)" if started_from else "") +
              f"; measure it with `{bench_command}`.", ""]
    return atomic_write_text(model_card_path(path), "\n".join(lines))
