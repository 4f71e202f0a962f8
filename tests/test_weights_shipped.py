"""The shipped weights are checked against the SHA-256 list shipped with them (models/SHA256SUMS): a shipped file
altered in place still loaded and passed the self-test, and nothing compared it with what was shipped."""

from __future__ import annotations

import logging
import shutil
import sys
import types
import zipfile
from pathlib import Path

import pytest
import torch

from jsnviewer.dataset import file_sha256
from jsnviewer.errors import WeightsError
from jsnviewer.weights import load_weights

REPO = Path(__file__).resolve().parents[1]
SUMS = "SHA256SUMS"  # the list of the shipped weights' digests, beside them
JSNVIEWER_MODELS_ADVICE = "(JSNVIEWER_MODELS names this folder: point it at a folder holding all the models, or unset it)"


def _altered_copy(tmp_path: Path) -> Path:
    """A copy of the shipped models folder whose registration.pt has 64 bytes zeroed inside a tensor's data: torch
    reads it without a word (zeros are numbers)."""
    models = tmp_path / "models"
    shutil.copytree(REPO / "models", models)
    path = models / "registration.pt"
    with zipfile.ZipFile(path) as archive:
        largest = max((i for i in archive.infolist() if "/data/" in i.filename), key=lambda i: i.file_size)
    data = bytearray(path.read_bytes())
    name_length = int.from_bytes(data[largest.header_offset + 26:largest.header_offset + 28], "little")
    extra_length = int.from_bytes(data[largest.header_offset + 28:largest.header_offset + 30], "little")
    start = largest.header_offset + 30 + name_length + extra_length + largest.file_size // 2
    data[start:start + 64] = bytes(64)
    path.write_bytes(bytes(data))
    torch.load(path, map_location="cpu", weights_only=True)  # the damage is silent to torch
    return models


@pytest.mark.parametrize("folder", ["bundle", "JSNVIEWER_MODELS"])
def test_an_altered_shipped_weights_file_is_refused_and_fails_the_self_test(tmp_path, monkeypatch, capsys, folder):
    from jsnviewer.cli.main import main

    models = _altered_copy(tmp_path)
    path = models / "registration.pt"
    if folder == "bundle":  # the packaged program's own models folder
        monkeypatch.setattr("jsnviewer.weights.models_dir", lambda: models)
        said = "differs from the file shipped with this version (damaged or replaced) (reinstall the program)"
    else:
        monkeypatch.setenv("JSNVIEWER_MODELS", str(models))
        said = (f"differs from the file its folder's {SUMS} lists (damaged, or replaced without updating {SUMS}) "
                f"{JSNVIEWER_MODELS_ADVICE}")
    with pytest.raises(WeightsError) as info:
        load_weights(path, "registration")
    assert str(info.value) == f"Registration network weights {path}: {said}"
    assert main(["--self-test"]) == 2
    err = capsys.readouterr().err
    assert err == f"jsnviewer: error: self-test failed: {info.value}\n"
    # the same bytes as a user's own weights (chosen in Settings or with --weights) are not checked: they load
    mine = tmp_path / "retrained" / "registration.pt"
    mine.parent.mkdir()
    shutil.copy(path, mine)
    assert load_weights(mine, "registration").model == "registration"
    # and so does a file in the models folder that the list does not name (a maintainer's trial run)
    shutil.copy(path, models / "registration_b.pt")
    assert load_weights(models / "registration_b.pt", "registration").model == "registration"


def test_a_models_folder_without_the_list_is_not_checked_and_says_so_once_in_the_log(tmp_path, monkeypatch, caplog):
    """An older JSNVIEWER_MODELS folder (made before the list was shipped) keeps working."""
    models = _altered_copy(tmp_path)
    (models / SUMS).unlink(missing_ok=True)
    monkeypatch.setenv("JSNVIEWER_MODELS", str(models))
    with caplog.at_level(logging.INFO, logger="jsnviewer.weights"):
        for _ in range(2):
            load_weights(models / "registration.pt", "registration")
            load_weights(models / "segmenter.pt", "segmenter")
    said = [r.getMessage() for r in caplog.records if SUMS in r.getMessage()]
    assert said == [f"{models} has no readable {SUMS}: its weights files are not compared with those shipped"]


def test_the_committed_list_matches_the_committed_weights():
    """A maintainer who replaced a shipped file by hand (a `cp` of a training run's weights) is told here, not by every
    user's analysis refusing it."""
    from jsnviewer.weights import read_sums

    listed = read_sums(REPO / "models")
    assert listed is not None, f"models/{SUMS} is missing"
    committed = {p.name: file_sha256(p) for p in sorted((REPO / "models").glob("*.pt"))}
    stale = sorted(name for name in committed.keys() | listed.keys() if committed.get(name) != listed.get(name))
    assert not stale, (f"models/{SUMS} does not match {', '.join(stale)}: after replacing shipped weights by hand run "
                       f"python -c \"from jsnviewer.weights import record_shipped; "
                       + "; ".join(f"record_shipped('models/{name}')" for name in stale) + '"')
    # sha256sum's own format, so that IT can check an installation with `sha256sum -c SHA256SUMS` in its models folder
    assert (REPO / "models" / SUMS).read_text() == "".join(f"{d}  {n}\n" for n, d in sorted(committed.items()))


def test_training_that_replaces_a_shipped_file_updates_the_list(tmp_path, monkeypatch):
    from jsnviewer.cli.main import main
    from jsnviewer.weights import read_sums

    models = tmp_path / "models"
    shutil.copytree(REPO / "models", models)
    monkeypatch.setenv("JSNVIEWER_MODELS", str(models))
    before = read_sums(models)
    assert main(["train", "segmenter", "--no-real", "--synthetic", "2", "--epochs", "1", "--width", "2", "--depth", "2",
                 "--input-size", "16", "--out", str(models / "segmenter.pt"), "--replace-shipped"]) == 0
    after = read_sums(models)
    assert after["segmenter.pt"] == file_sha256(models / "segmenter.pt") != before["segmenter.pt"]
    assert {k: v for k, v in after.items() if k != "segmenter.pt"} == {k: v for k, v in before.items() if k != "segmenter.pt"}
    assert load_weights(models / "segmenter.pt", "segmenter").config["width"] == 2  # the new weights are used


def test_the_package_bundles_the_list_with_the_weights(tmp_path, monkeypatch):
    """The PyInstaller spec (run here with PyInstaller's build steps stood in for) puts SHA256SUMS beside the weights
    in the package's models folder, where the packaged self-test checks them."""
    seen = {}

    class Analysis:
        def __init__(self, scripts, datas, **kwargs):
            seen["datas"] = datas
            self.pure, self.binaries, self.datas, self.scripts = [], [], list(datas), []

    hooks = types.ModuleType("PyInstaller.utils.hooks")
    hooks.collect_submodules = lambda *a, **k: []
    notices = types.ModuleType("notices")
    notices.write_notices = lambda *a, **k: None
    monkeypatch.setitem(sys.modules, "PyInstaller.utils.hooks", hooks)
    monkeypatch.setitem(sys.modules, "notices", notices)
    monkeypatch.setattr(sys, "path", list(sys.path))
    spec = REPO / "packaging" / "jsnviewer.spec"
    exec(compile(spec.read_text(), str(spec), "exec"),
         {"SPECPATH": str(spec.parent), "DISTPATH": str(tmp_path), "Analysis": Analysis, "PYZ": lambda *a, **k: None,
          "EXE": lambda *a, **k: None, "COLLECT": lambda *a, **k: None, "__name__": "__main__"})
    in_models = {Path(source).name for source, dest in seen["datas"] if dest == "models"}
    assert {SUMS} | {p.name for p in (REPO / "models").glob("*.pt")} <= in_models
