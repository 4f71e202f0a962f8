"""Atomic file writes: a reader sees the old file or the new one, never half of one.

Everything the program writes for a user (annotations, results, weights, phantom studies)
goes through here, so a full disk or a crash mid-write never destroys what was there.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any


def atomic_write(path: str | Path, write: Callable[[Path], None]) -> Path:
    """Call `write(tmp_path)` to produce the file, then move it over `path` in one step.

    The temporary file sits in the same folder (so the rename cannot cross file systems) and
    is removed if `write` fails; the original file is untouched in that case.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        name_target(exc, exc.filename, path)
        raise
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        _apply_umask(tmp)
        write(tmp)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        name_target(exc, tmp, path)
        raise
    return path


def sync_folders(*folders: Path) -> None:
    """The folders' entries (files moved in) on the disk before what follows; where the system cannot (Windows),
    nothing."""
    for folder in folders:
        try:
            fd = os.open(folder, os.O_RDONLY)
        except OSError:
            continue
        try:
            os.fsync(fd)
        except OSError:
            pass
        finally:
            os.close(fd)


def check_writable(folder: str | Path) -> Path:
    """Make `folder` (with its parents) and write and remove a small probe file in it: an OSError naming `folder`
    when it cannot be made or written (read-only, not a folder, no permission). For a long job whose results go
    there, checked first so that it does not fail only at the end; a disk that fills later is the writes' to say."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".jsnviewer-probe.", suffix=".tmp", dir=folder)
    except OSError as exc:
        name_target(exc, exc.filename, folder)
        raise
    try:
        os.write(fd, b"probe")
    except OSError as exc:
        name_target(exc, probe, folder)
        raise
    finally:
        os.close(fd)
        Path(probe).unlink(missing_ok=True)
    return folder


def free_space(folder: str | Path) -> int:
    """The bytes free on the disk of `folder` (which exists) for this user."""
    return shutil.disk_usage(folder).free


def no_room_reason(folder: str | Path, needed: int) -> str | None:
    """Why `folder` (which exists) clearly cannot take `needed` more bytes now, in words; None when it can."""
    free = free_space(folder)
    if free >= needed:
        return None
    return f"{megabytes(free)} free on its disk, about {megabytes(needed)} needed"


def megabytes(size: int) -> str:
    return f"{size / 1e6:.1f} MB"


def unwritable_reason(folder: Path, exc: OSError) -> str:
    """Why `check_writable(folder)` failed, in words: a file standing where the folder or one of its parents
    should be is named as such (the system says only "Not a directory")."""
    file = next((p for p in (folder, *folder.parents) if p.exists() and not p.is_dir()), None)
    return f"{file} is a file, not a folder" if file else exc.strerror or str(exc)


def name_target(exc: BaseException, temporary: str | os.PathLike[str], target: Path) -> None:
    """An OSError about `temporary` (a hidden file or folder written first), or a file in it, names `target`
    (the file or folder the user chose) instead: the hidden name means nothing to them. One that names no file
    (a write that found the disk full) names `target`."""
    if isinstance(exc, OSError) and exc.filename is None:
        exc.filename = str(target)
    if not isinstance(exc, OSError) or not isinstance(exc.filename, (str, bytes, os.PathLike)):
        return
    name, temporary = Path(os.fsdecode(exc.filename)), Path(os.fsdecode(temporary))
    if name == temporary or temporary in name.parents:
        exc.filename, exc.filename2 = str(target / name.relative_to(temporary)), None


def _apply_umask(path: Path) -> None:
    # mkstemp makes owner-only files; a saved study or dataset should get the usual permissions.
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(path, 0o666 & ~umask)


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    return atomic_write(path, lambda tmp: tmp.write_bytes(data))


def atomic_write_text(path: str | Path, text: str) -> Path:
    return atomic_write_bytes(path, text.encode("utf-8"))


def json_bytes(obj: Any) -> bytes:
    """The bytes `atomic_write_json` writes for `obj`."""
    return (json.dumps(obj, indent=2, sort_keys=False) + "\n").encode("utf-8")


def atomic_write_json(path: str | Path, obj: Any) -> Path:
    return atomic_write_bytes(path, json_bytes(obj))
