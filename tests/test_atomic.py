"""Atomic writes: a failure leaves the old file, no temporary file, and an error naming the chosen file."""

import errno
import os

import pytest

from jsnviewer import atomic
from jsnviewer.errors import describe


def _fail_at(stage, monkeypatch):
    """Make `stage` of an atomic write fail the way a read-only folder or a full disk makes it fail."""
    if stage == "create":
        def mkstemp(prefix, suffix, dir):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), os.path.join(dir, f"{prefix}dm6fs6ve{suffix}"))
        monkeypatch.setattr(atomic.tempfile, "mkstemp", mkstemp)
    elif stage == "replace":
        def replace(src, dst):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), os.fspath(src), None, os.fspath(dst))
        monkeypatch.setattr(atomic.os, "replace", replace)


@pytest.mark.parametrize("stage", ["create", "write", "replace"])
def test_a_failed_write_names_the_chosen_file_not_the_temporary_one(tmp_path, monkeypatch, stage):
    target = tmp_path / "r.csv"
    target.write_text("old")
    _fail_at(stage, monkeypatch)

    def write(tmp):
        if stage == "write":
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(tmp))
        tmp.write_text("new")

    with pytest.raises(OSError) as caught:
        atomic.atomic_write(target, write)
    assert describe(caught.value) == f"{os.strerror(caught.value.errno)} ({target})"
    assert ".tmp" not in str(caught.value)
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["r.csv"]


def test_an_error_about_another_file_keeps_that_files_name(tmp_path):
    missing = tmp_path / "gone.png"
    with pytest.raises(FileNotFoundError) as caught:
        atomic.atomic_write(tmp_path / "copy.png", lambda tmp: tmp.write_bytes(missing.read_bytes()))
    assert caught.value.filename == str(missing)
    assert list(tmp_path.iterdir()) == []
