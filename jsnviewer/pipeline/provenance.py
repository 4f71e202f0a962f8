"""Which weights made a result, in a reader's words, and whether they are the weights now in use.

A result records its models (`StudyResult.settings["models"]`, as `AnalysisModels.load` found them): each model's
weights file and the first 16 hex digits of its SHA-256. The report's software line and the window's results panel
both read them here."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from jsnviewer.pipeline.result import StudyResult
from jsnviewer.retraining import retrained_when
from jsnviewer.weights import MODEL_TITLES, in_models_dir, weights_sha256


@dataclass(frozen=True)
class ModelUsed:
    name: str  # the model's ("segmenter")
    file: Path
    sha256: str  # its first 16 hex digits


def models_used(result: StudyResult) -> list[ModelUsed]:
    """The weights files that made `result`, by model name; [] where it records none."""
    models = result.settings.get("models") or {}
    return [ModelUsed(name, Path(m["file"]), m["sha256"]) for name, m in sorted(models.items())]


def _title(name: str) -> str:
    return MODEL_TITLES.get(name, name)


def _source(file: Path) -> str | None:
    """Where a weights file comes from, in words; None for a shipped one."""
    if in_models_dir(file):
        return None
    when = retrained_when(file)
    if when is not None:  # <dataset>/retrained/<date_time>/<model>.pt
        return f"weights retrained on {when:%Y-%m-%d %H:%M} from the dataset folder “{file.parents[2].name}”"
    return f"the weights file {file.name}"


def _and(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} and {parts[-1]}"


def weights_in_words(files: dict[str, Path]) -> str:
    """Which weights `files` (model → weights file) are, at a glance: 'the shipped models', 'weights retrained on
    2024-05-02 14:03 from the dataset folder “clinic”', 'weights retrained on … (bone segmenter) and the shipped models for the
    rest', 'the weights file seg_v2.pt (bone segmenter) and …'."""
    sources: dict[str | None, list[str]] = {}
    for name in sorted(files, key=lambda n: list(MODEL_TITLES).index(n) if n in MODEL_TITLES else len(MODEL_TITLES)):
        sources.setdefault(_source(Path(files[name])), []).append(_title(name).lower())
    shipped = sources.pop(None, None)
    if not sources:
        return "the shipped models"
    whole = len(sources) == 1 and not shipped  # one source for every model: naming them says nothing more
    parts = [source if whole else f"{source} ({', '.join(titles)})" for source, titles in sources.items()]
    return _and(parts + (["the shipped models for the rest"] if shipped else []))


def weights_said(result: StudyResult) -> str | None:
    """'Analysed with the shipped models' (`weights_in_words`), or None where `result` records no weights."""
    used = models_used(result)
    return f"Analysed with {weights_in_words({m.name: m.file for m in used})}" if used else None


def weights_listed(result: StudyResult) -> str:
    """Each weights file that made `result`, a line each: 'Bone segmenter: /…/segmenter.pt (SHA-256 3f1c0e9a7b2d4c61)'."""
    return "\n".join(f"{_title(m.name)}: {m.file} (SHA-256 {m.sha256})" for m in models_used(result))


def other_weights_in_use(result: StudyResult, in_use: dict[str, Path]) -> str | None:
    """Where the weights now in use (`in_use`, model → file) are not those that made `result` (a model's file now of
    other contents, or none there): which they are, in `weights_in_words`' words; None where they are the same, or
    `result` records none."""
    used = [m for m in models_used(result) if m.name in in_use]
    if all(weights_sha256(in_use[m.name]) == m.sha256 for m in used):
        return None
    now = weights_in_words({m.name: Path(in_use[m.name]) for m in used})
    # the same files written over (a program update, a retraining into the same folder): the words alone are alike
    return f"{now}, changed since" if now == weights_in_words({m.name: m.file for m in used}) else now
