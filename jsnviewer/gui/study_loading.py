"""Reading what the window shows: one radiograph with its saved annotation, a baseline and a follow-up,
a folder of studies, and the radiographs before and after one in its folder (next / previous image)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from jsnviewer.dataset import DatasetError, ImageAnnotation, image_id_of, open_dataset
from jsnviewer.errors import JsnError
from jsnviewer.gui.log_file import keep_out_of_log
from jsnviewer.radiograph import RADIOGRAPH_SUFFIXES, Radiograph, load_radiograph
from jsnviewer.radiograph.dicom import has_dicom_prefix
from jsnviewer.segmentation.data import MASK_SUFFIXES
from jsnviewer.words import counted

BASELINE, FOLLOWUP = "Baseline", "Follow-up"
ROLES = (BASELINE, FOLLOWUP)
MAX_FOLDER_FILES = 200


@dataclass
class LoadedImage:
    radiograph: Radiograph
    image_id: str
    annotation: ImageAnnotation | None = None
    annotation_error: str | None = None
    dataset_error: str | None = None  # the dataset folder itself could not be opened
    place: tuple[int, int] | None = None  # (n, of): the n-th radiograph of its folder, by name


@dataclass
class StudyLoad:
    images: dict[str, LoadedImage] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def load_image(path: Path, dataset_root: Path | None) -> LoadedImage:
    """Read one radiograph and, when a dataset folder is set, its saved annotation."""
    keep_out_of_log(path)  # before any message about it can be logged
    radiograph = load_radiograph(path)
    loaded = LoadedImage(radiograph, image_id_of(path))
    if dataset_root is not None:
        try:
            dataset = open_dataset(dataset_root)
        except DatasetError as exc:
            loaded.dataset_error = str(exc)
            return loaded
        try:
            loaded.annotation = dataset.load_annotation(loaded.image_id)
        except DatasetError as exc:
            loaded.annotation_error = str(exc)
    return loaded


def load_study(paths: dict[str, Path], dataset_root: Path | None, order_by_date: bool = False,
               progress: Callable[[float, str], None] | None = None) -> StudyLoad:
    """Load the given roles' files; a file that fails is reported and leaves the others loaded."""
    study = StudyLoad()
    for number, (role, path) in enumerate(paths.items()):
        if progress:
            progress(number / max(len(paths), 1), f"Reading {Path(path).name}")
        try:
            study.images[role] = _placed(load_image(Path(path), dataset_root))
        except JsnError as exc:
            study.errors.append(str(exc))
        except OSError as exc:
            study.errors.append(f"{Path(path).name}: cannot read the file ({exc.strerror or exc})")
    if order_by_date and len(study.images) == 2:
        a, b = study.images[BASELINE], study.images[FOLLOWUP]
        da, db = a.radiograph.identity.study_date, b.radiograph.identity.study_date
        if da and db and db < da:
            study.images = {BASELINE: b, FOLLOWUP: a}
            study.notes.append("The earlier study was taken as the baseline.")
    return study


def load_folder(folder: Path, dataset_root: Path | None,
                progress: Callable[[float, str], None] | None = None) -> StudyLoad:
    """A folder of radiographs: the earliest study is the baseline, the latest the follow-up. Its DICOM files when
    it has any readable (a picture beside them is usually an export of one); otherwise its pictures (PNG, JPEG,
    TIFF…), which seldom carry a date and are then taken in the order of their names."""
    folder = Path(folder)
    files = sorted((p for p in folder.rglob("*") if is_radiograph_file(p)), key=_natural)
    is_dicom = {p: _maybe_dicom(p) for p in files}
    dicoms, pictures = [p for p in files if is_dicom[p]], [p for p in files if not is_dicom[p]]
    study = _read_folder(folder, dicoms or pictures, dataset_root, progress)
    if dicoms and not study.images:
        # one line for them all: a damaged copy or export gives the same reason for every file
        failed, first = len(study.errors), study.errors[0]
        dicom_notes = study.notes
        study = _read_folder(folder, pictures, dataset_root, progress) if pictures else StudyLoad()
        study.notes[:0] = dicom_notes
        if study.images:
            which = "the damaged DICOM file" if failed == 1 else f"the {failed} damaged DICOM files"
            study.errors.insert(0, f"{which} in {folder.name} ({first}); its pictures were opened instead")
        else:
            which = "its DICOM file" if failed == 1 else f"any of its {failed} DICOM files"
            study.errors.append(f"{folder}: no readable radiograph in this folder: could not read {which} ({first})")
    elif not study.images:
        study.errors.append(f"{folder}: no readable radiograph in this folder (DICOM, PNG, JPEG, TIFF or BMP)")
    return study


def _read_folder(folder: Path, candidates: list[Path], dataset_root: Path | None,
                 progress: Callable[[float, str], None] | None) -> StudyLoad:
    """The earliest and the latest readable radiograph of `candidates`, each unreadable one named in the errors."""
    study = StudyLoad()
    if len(candidates) > MAX_FOLDER_FILES:
        study.notes.append(f"Only the first {MAX_FOLDER_FILES} of {len(candidates)} files in {folder.name} were examined.")
        candidates = candidates[:MAX_FOLDER_FILES]
    place = {path: number for number, path in enumerate(candidates)}

    def order(item: LoadedImage) -> tuple:  # undated studies last, then by name
        when = item.radiograph.identity.study_date
        return (when is None, when or 0, place.get(Path(item.radiograph.path), 0))

    # only the earliest and the latest are kept while reading: a folder of 100 studies held 1.3 GB
    earliest = latest = None
    readable = undated = 0
    for number, path in enumerate(candidates):
        if progress:
            progress(number / max(len(candidates), 1), f"Reading {path.name}")
        try:
            item = load_image(path, dataset_root)
        except JsnError as exc:
            study.errors.append(str(exc))
            continue
        except OSError as exc:
            study.errors.append(f"{path.name}: cannot read the file ({exc.strerror or exc})")
            continue
        readable += 1
        undated += item.radiograph.identity.study_date is None
        earliest = item if earliest is None or order(item) < order(earliest) else earliest
        latest = item if latest is None or order(item) > order(latest) else latest
    study.errors = one_line_for_many(study.errors, f"in {folder.name}")
    if earliest is None:
        return study
    study.images[BASELINE] = _placed(earliest)
    if readable > 1:
        study.images[FOLLOWUP] = _placed(latest)
    if readable > 2:
        study.notes.append(f"{readable} radiographs in {folder.name}: showing the earliest and the latest.")
    if readable > 1 and undated == readable:
        study.notes.append(f"None of the {readable} radiographs in {folder.name} carries a study date: they were "
                           "ordered by file name. "
                           "Check which is the baseline.")
    elif readable > 1 and undated:
        study.notes.append(f"{undated} of the {readable} radiographs in {folder.name} "
                           f"{'carries' if undated == 1 else 'carry'} no study date: "
                           "put after the dated ones, by file name. Check which is the baseline.")
    return study


def _maybe_dicom(path: Path) -> bool:
    """Which files of a folder to try: DICOM names (.dcm, .dicom), the 'DICM' marker, or a file without a suffix that
    begins as a DICOM data set without the marker does (its first tag in group 0002 or 0008, little endian, as older
    modalities and archives write them). The loader decides. A file without a suffix that begins otherwise (a note, a
    log) is not tried: a folder of them took the place of the radiographs in the files examined."""
    if path.suffix.lower() in {".dcm", ".dicom"}:
        return True
    try:
        if has_dicom_prefix(path):
            return True
        if path.suffix:
            return False
        with open(path, "rb") as fh:
            return fh.read(2) in (b"\x02\x00", b"\x08\x00")
    except OSError:
        return False


def _natural(path: Path) -> list:
    """Sort key: numbers in a name in numeric order (hand2 before hand10)."""
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", path.name)]


def is_radiograph_file(path: Path) -> bool:
    """Worth offering as a radiograph: an image format or a DICOM file; not a joint crop's mask, nor a CD's DICOMDIR
    (the index of its files)."""
    if not path.is_file() or path.name.startswith(".") or path.stem.endswith(MASK_SUFFIXES) or path.name == "DICOMDIR":
        return False
    return path.suffix.lower() in RADIOGRAPH_SUFFIXES or _maybe_dicom(path)


def folder_radiographs(path: Path) -> list[Path]:
    """The radiographs of `path`'s folder by name, `path` among them even when it is gone meanwhile (its place in
    the folder still says what comes next); empty when the folder cannot be read."""
    path = Path(path)
    try:
        return sorted({path, *(p for p in path.parent.iterdir() if is_radiograph_file(p))}, key=_natural)
    except OSError:
        return []


@dataclass
class NeighbourLoad(StudyLoad):
    """What Next / Previous image read, and `said`, the status bar's line where it stopped at an end of the folder."""

    said: str = ""


def _walk(count: int, start: int, steps: tuple[int, ...]) -> tuple[int, int, int]:
    """Where the presses `steps` (+1 Next, -1 Previous) lead from place `start` of `count`: each one radiograph on,
    a press past either end staying where it is. (place, the last move's direction (0: none moved), the last press's
    direction where it asked past an end, else 0)."""
    place, moved, past = start, 0, 0
    for step in steps:
        if 0 <= place + step < count:
            place, moved, past = place + step, step, 0
        else:
            past = step
    return place, moved, past


def _end(step: int) -> str:
    return "last" if step > 0 else "first"


def load_neighbour(path: Path, steps: int | tuple[int, ...], role: str, dataset_root: Path | None,
                   progress: Callable[[float, str], None] | None = None) -> NeighbourLoad:
    """The radiograph that Next / Previous image pressed `steps` times (+1, -1 each; one int for one press) leads to
    from `path` in its folder, by name, into `role`: presses made before the view showed where the earlier ones led
    add up from `path`, each one radiograph on and none past either end of the folder (as if each had waited for the
    one before). A file that cannot be read is named in the errors and passed over, so one bad file does not block
    the rest."""
    path, steps = Path(path), (steps,) if isinstance(steps, int) else tuple(steps)
    files = folder_radiographs(path)
    study = NeighbourLoad()
    place, moved, past = _walk(len(files), files.index(path), steps) if files else (0, 0, steps[-1])
    if not moved:
        study.said = f"{path.name} is the {_end(past)} radiograph in {path.parent.name}"
        return study
    index = place
    while 0 <= index < len(files):
        if progress:
            progress(0.0, f"Reading {files[index].name}")
        try:
            study.images[role] = _placed(load_image(files[index], dataset_root), files)
            study.errors = one_line_for_many(study.errors, f"in {files[index].parent.name}, passed over")
            if past:
                study.said = f"{files[index].name} is the {_end(past)} radiograph in {path.parent.name}"
            return study
        except JsnError as exc:
            study.errors.append(f"{exc} (passed over)")
        except OSError as exc:
            study.errors.append(f"{files[index].name}: cannot read the file ({exc.strerror or exc}) (passed over)")
        index += moved
    study.errors = one_line_for_many(study.errors, f"in {path.parent.name}, passed over")
    study.said = f"{files[place - moved].name} is the {_end(moved)} readable radiograph in {path.parent.name}"
    return study


MAX_FILE_ERRORS = 3  # more unreadable files than this are said in one line: a folder of 500 notes filled the window


def one_line_for_many(errors: list[str], what: str) -> list[str]:
    """`errors` as they are when few; else one line, shown after "Cannot open": how many files `what`, and the first
    one's reason."""
    if len(errors) <= MAX_FILE_ERRORS:
        return errors
    return [f"{counted(len(errors), 'file')} {what} (the first: {errors[0].removesuffix(' (passed over)')})"]


def _placed(loaded: LoadedImage, files: list[Path] | None = None) -> LoadedImage:
    """Note which radiograph of its folder the image is, and of how many (the view's title shows it)."""
    if loaded.radiograph.path is None:
        return loaded
    path = Path(loaded.radiograph.path)
    files = files if files is not None else folder_radiographs(path)
    if path in files:
        loaded.place = (files.index(path) + 1, len(files))
    return loaded
