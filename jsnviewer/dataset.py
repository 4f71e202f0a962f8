"""The annotation dataset: what the application saves and what `jsnviewer train` reads.

This docstring is the format's one written definition (version 1).

    DATASET/
      dataset.json                         {"format": "jsnviewer-dataset", "version": 1}
      images/<image_id><ext>               byte copy of the radiograph the annotator opened
      annotations/<image_id>.json          the joints annotated on that image
      joint_crops/<joint_key>/<crop_id>.png          joint crops with their bone masks, laid out exactly
      joint_crops/<joint_key>/<crop_id>_upper.png    like ../shared/data/real/joint_crops: one folder per
      joint_crops/<joint_key>/<crop_id>_lower.png    joint, repeat visits of it side by side (0/1 PNGs)

`image_id` is the first 16 hex digits of the SHA-256 of the file's bytes, so the same file
always finds its annotations again, whatever it is called or wherever it is opened from.

annotations/<image_id>.json:

    {"format": "jsnviewer-annotation", "version": 1,
     "image": {"file": "images/<image_id>.dcm", "sha256": "...", "width": W, "height": H,
               "laterality": "L" | "R" | "B" | null, "pixel_size_mm": 0.175 | null,
               "name": "the radiograph's file name when it was added" | null (absent: saved before it was kept)},
     "joints": [{"identity": "MCP2" | null, "box": [cx, cy, w, h],
                 "findings": {"ankylosis": false, "subluxation": false},
                 "source": "user" | "model"}],
     "updated": "2026-11-21T05:30:00+00:00"}

`source` says who stands behind a box: "user", a box the annotator drew, accepted or corrected;
"model", an analysis's proposal still waiting for review (saved so that it reappears when the image
is opened again). Training data and the COCO export take the user's boxes only
(`ImageAnnotation.reviewed_joints`); the proposals are left out (a detector's trainer takes those of a reviewed
image as unlabelled joints, neither joint nor background), and an image without any box of the
user's has not been reviewed and is left out entirely (it is not an image showing no joints). So is a copy of
the built-in demo's synthetic radiograph, which versions before the demo became a sandbox saved here
(`LeftOut.demo`; kept, never deleted).

Boxes are floats in the continuous pixel frame of docs/conventions.md (pixel (i, j) covers
[j, j+1) x [i, i+1)); they are written with Python's shortest round-trip float repr, so a save
and a load give back the same numbers bit for bit. Every file is written atomically.

A save never replaces an annotation file that changed since it was read (another window or annotator
saved it meanwhile) with a version that drops the other side's work. Given the joints as they were
read (`base`), the save merges: the file's joints, less those this side changed or deleted, plus
this side's new and changed ones (`merge_joints`). Where both sides changed or deleted the same joint
in different ways, the file is left as it is, this side's version is written beside it as
`annotations/<image_id>.json.conflict-<UTC time>` and AnnotationConflictError says so, unless the
caller asks to keep both versions of such joints (the user's explicit save). The check and the write
are one step: no other save of the dataset's annotations, by another window or another program (an
advisory `flock` on the annotations folder, where the system has one), runs between them. The application keeps
an annotation file it cannot read beside the new one as `<image_id>.json.unreadable`. A copy is never
replaced: a second one of the same name gets `-2`, `-3` … after it. Neither copy is
read by `jsnviewer train` (it reads `*.json` only).

joint_crops/ is written when the annotations of an analysed study are saved
(`jsnviewer.pipeline.training_crops.save_joint_crops`): for every joint paired across the two
visits whose measurement is reliable and which the annotator confirmed on both visits (on each, a box
of the user's overlapping the analysed box by IoU ≥ 0.5, the two boxes with the same identity), the
baseline's and the follow-up's crop as the analysis took them (256×256, finger up, both visits at a
common physical scale; 16-bit grey in the radiograph's own units, rounded and clipped to 0..65535)
and its upper (distal) and lower (proximal) bone masks. A joint the user deleted, left as a proposal
or named differently on the two visits, and an unreliable measurement (which may pair two different
joints), are not written. `joint_key` is `<hash>_<L|R|U>_<identity>`, `<identity>` the user's name
of the joint (a renamed joint is filed under its corrected name), `<hash>` the first 12 hex digits of
the SHA-256 of the patient ID and the laterality, so every visit of one joint of one hand lands in
one folder and no patient ID or name is written; `crop_id` is the image_id of the radiograph the crop
comes from, so saving again overwrites. The masks are the segmenter's, as the analysis computed them,
unless someone corrects the mask files (the application has no mask editor): `train segmenter --data`
learns them and `train registration --data` pairs the visits of each folder.
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
import os
import shutil
import threading
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import TYPE_CHECKING, Any

import numpy as np

from jsnviewer.atomic import atomic_write, atomic_write_bytes, atomic_write_json, json_bytes
from jsnviewer.errors import AnnotationConflictError, DatasetError, RadiographUnavailableError, plain_cause
from jsnviewer.joints import FINDINGS, anatomical_rank, is_identity
from jsnviewer.words import counted

if TYPE_CHECKING:
    from jsnviewer.coco import CocoExport, CocoImport

DATASET_FORMAT = "jsnviewer-dataset"
ANNOTATION_FORMAT = "jsnviewer-annotation"
VERSION = 1
SOURCES = ("user", "model")


@dataclass
class JointAnnotation:
    """One joint box on one radiograph."""

    box: tuple[float, float, float, float]  # cx, cy, w, h in pixels
    identity: str | None = None
    findings: dict[str, bool] = field(default_factory=lambda: {name: False for name in FINDINGS})
    source: str = "user"

    def __post_init__(self) -> None:
        self.box = tuple(float(v) for v in self.box)  # type: ignore[assignment]
        if len(self.box) != 4 or not all(math.isfinite(v) for v in self.box):
            raise ValueError(f"a box is four finite numbers (cx, cy, w, h), got {self.box!r}")
        if self.box[2] <= 0 or self.box[3] <= 0:
            raise ValueError(f"a box needs a positive width and height, got {self.box!r}")
        if self.identity is not None and not is_identity(self.identity):
            raise ValueError(f"unknown joint identity {self.identity!r}")
        if self.source not in SOURCES:
            raise ValueError(f"source must be one of {SOURCES}, got {self.source!r}")
        self.findings = {name: bool(self.findings.get(name, False)) for name in FINDINGS}

    @property
    def reviewed(self) -> bool:
        """Whether the annotator stands behind this box (drew, accepted or corrected it): only such boxes
        are training data; a model's proposal waiting for review is not."""
        return self.source == "user"

    def to_json(self) -> dict[str, Any]:
        return {"identity": self.identity, "box": list(self.box), "findings": dict(self.findings), "source": self.source}

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> JointAnnotation:
        return cls(box=tuple(obj["box"]), identity=obj.get("identity"), findings=dict(obj.get("findings") or {}),
                   source=obj.get("source", "user"))


@dataclass
class ImageAnnotation:
    """All joints annotated on one radiograph of the dataset."""

    image_id: str
    image_file: str  # relative to the dataset root
    width: int
    height: int
    sha256: str
    laterality: str | None = None
    pixel_size_mm: float | None = None
    joints: list[JointAnnotation] = field(default_factory=list)
    updated: str | None = None
    # The radiograph's file name when it came into the dataset, how the user knows it (the dataset's copy is
    # images/<image_id><ext>); None in annotations saved before versions that record it, until their next save.
    name: str | None = None
    # SHA-256 of the annotation file as it was read or last written (None: there was none): what a save
    # expects to find on disk. Not part of the format.
    stored: str | None = field(default=None, compare=False, repr=False)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": ANNOTATION_FORMAT,
            "version": VERSION,
            "image": {"file": self.image_file, "sha256": self.sha256, "width": self.width, "height": self.height,
                      "laterality": self.laterality, "pixel_size_mm": self.pixel_size_mm, "name": self.name},
            "joints": [j.to_json() for j in self.joints],
            "updated": self.updated,
        }

    def reviewed_joints(self) -> list[JointAnnotation]:
        """The joints that are training data: the user's boxes, without the proposals waiting for review.
        Empty: nobody has reviewed this image, and it is no training data at all (not an image of
        background only)."""
        return [joint for joint in self.joints if joint.reviewed]

    def proposals(self) -> list[JointAnnotation]:
        """The analysis's proposals waiting for review: neither training data nor background (on a reviewed image
        most are joints the annotator has not come to yet)."""
        return [joint for joint in self.joints if not joint.reviewed]

    @classmethod
    def from_json(cls, image_id: str, obj: Any) -> ImageAnnotation:
        if not isinstance(obj, dict) or obj.get("format") != ANNOTATION_FORMAT:
            raise ValueError("not a jsnviewer annotation file")
        if _version(obj) > VERSION:
            raise ValueError(f"written by a newer jsnviewer (format version {obj.get('version')})")
        image = obj["image"]
        return cls(image_id=image_id, image_file=_image_file(image["file"]), width=int(image["width"]), height=int(image["height"]),
                   sha256=image["sha256"], laterality=image.get("laterality"), pixel_size_mm=image.get("pixel_size_mm"),
                   name=image["name"] if isinstance(image.get("name"), str) and image["name"] else None,
                   joints=[JointAnnotation.from_json(j) for j in obj.get("joints", [])], updated=obj.get("updated"))


@dataclass(frozen=True)
class LeftOut:
    """What training data and exports leave out of a dataset (see ImageAnnotation.reviewed_joints)."""

    images: int = 0  # annotated images without any box of the user's: not reviewed
    proposals: int = 0  # proposals waiting for review, on those images and on reviewed ones
    unreadable: tuple[str, ...] = ()  # "<annotation file>: why", one per annotation that cannot be read
    demo: tuple[str, ...] = ()  # image files of the demo study's radiographs (`phantom.study.is_demo_radiograph`)
    damaged: tuple[str, ...] = ()  # "<image file>: why", one per reviewed image whose radiograph cannot be read

    def __bool__(self) -> bool:
        return bool(self.images or self.proposals or self.unreadable or self.demo or self.damaged)

    def __str__(self) -> str:
        """What is left out, the kinds there are of it ("nothing" where there is none): no "0 images nobody has
        reviewed" beside what matters."""
        waiting = " and ".join(part for count, part in (
            (self.images, f"{counted(self.images, 'image')} nobody has reviewed (no box of the user's)"),
            (self.proposals, f"{counted(self.proposals, 'proposal')} waiting for review")) if count)
        parts = [waiting] if waiting else []
        if self.unreadable:
            parts.append(f"{counted(len(self.unreadable), 'annotation')} that cannot be read: " + "; ".join(self.unreadable))
        if self.demo:
            parts.append(f"{counted(len(self.demo), 'demo radiograph')}: {DEMO_LEFT_OUT} ({', '.join(self.demo)})")
        if self.damaged:
            parts.append(f"{counted(len(self.damaged), 'radiograph')} that cannot be read: " + "; ".join(self.damaged))
        return "; ".join(parts) or "nothing"


# Why the demo's radiographs are left out, wherever that is said (trainers, Retrain dialog, COCO export)
# A joint crop's scale in its PNG: pixels of the radiograph, and mm, per crop pixel (crops saved before have none)
CROP_SCALE_KEYS = ("jsnviewer:px_per_crop_px", "jsnviewer:mm_per_crop_px")
DEMO_LEFT_OUT = "the built-in demo's synthetic hand, saved into the dataset by an earlier version; kept, never trained on"



def repeated_identities(joints: Iterable[JointAnnotation]) -> dict[str, int]:
    """Joint names given to more than one box of one image, with how many, in anatomical order (one joint has one
    box: the window marks them, retraining lists them)."""
    counts = Counter(joint.identity for joint in joints if joint.identity is not None)
    return {name: count for name, count in sorted(counts.items(), key=lambda item: anatomical_rank(item[0]))
            if count > 1}


def _image_file(value: Any) -> str:
    """An annotation's image file: a path inside the dataset (images/<image_id><ext>). Anything else (null, an
    absolute path, one through '..') would make training read some other file as the annotated image."""
    if not isinstance(value, str) or not value.strip() or any(
            path.anchor or ".." in path.parts for path in (PurePosixPath(value), PureWindowsPath(value))):
        raise ValueError("its image file is not a path inside the dataset folder")
    return value


def _version(info: dict[str, Any]) -> int:
    try:
        return int(info.get("version", 0))
    except (TypeError, ValueError):
        raise ValueError(f"format version {info.get('version')!r} is not a number") from None


def file_sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def image_id_of(path: str | Path) -> str:
    """The dataset's id of a radiograph file: a content hash, independent of its name."""
    return file_sha256(path)[:16]


class AnnotationDataset:
    """A dataset folder (see the module docstring for its layout)."""

    def __init__(self, root: Path):
        self.root = root

    @property
    def images_dir(self) -> Path:
        return self.root / "images"

    @property
    def annotations_dir(self) -> Path:
        return self.root / "annotations"

    @property
    def joint_crops_dir(self) -> Path:
        return self.root / "joint_crops"

    def annotation_path(self, image_id: str) -> Path:
        return self.annotations_dir / f"{image_id}.json"

    def add_image(self, source: str | Path, width: int, height: int, laterality: str | None = None,
                  pixel_size_mm: float | None = None, image_id: str | None = None) -> ImageAnnotation:
        """Copy a radiograph into the dataset (once) and return its annotation, existing or empty.

        `image_id` is the id the file had when it was opened: the annotation saved for that image is
        returned without reading the file again, and a file that has another id now (replaced on disk)
        is refused, so boxes drawn on one image are never attached to another.
        """
        source = Path(source)
        # the name the user knows it by; not that of the dataset's own copy (a COCO import may read that one)
        name = None if source.parent.resolve() == self.images_dir.resolve() else source.name
        if image_id is not None:
            existing = self.load_annotation(image_id)
            if existing is not None:
                existing.name = existing.name or name
                return existing
        try:
            sha = file_sha256(source)
        except OSError as exc:
            raise RadiographUnavailableError(
                f"cannot read {source.name} to copy it into the dataset: {exc.strerror or exc}") from exc
        if image_id is not None and sha[:16] != image_id:
            raise RadiographUnavailableError(f"{source.name} was replaced on disk since it was opened (it is another "
                                             "image now), so the boxes are not saved to that image")
        image_id = sha[:16]
        existing = self.load_annotation(image_id)
        if existing is not None:
            existing.name = existing.name or name
            return existing
        target = self.images_dir / f"{image_id}{source.suffix.lower()}"
        if not target.exists():
            try:
                atomic_write(target, lambda tmp: shutil.copyfile(source, tmp))
            except OSError as exc:
                raise DatasetError(f"cannot copy the image into the dataset at {self.root}: {exc.strerror or exc}") from exc
        return ImageAnnotation(image_id=image_id, image_file=target.relative_to(self.root).as_posix(), width=int(width),
                               height=int(height), sha256=sha, laterality=laterality, pixel_size_mm=pixel_size_mm,
                               name=name)

    def save_annotation(self, annotation: ImageAnnotation, base: list[JointAnnotation] | None = None,
                        keep_both: bool = False) -> JointsMerge | None:
        """Write one image's annotation atomically; on failure the old file is intact and DatasetError says why.

        The file on disk should still be `annotation.stored`. If it changed since, and `base` (the joints
        as read from `annotation.stored`) is given, the two sides' changes are merged into `annotation`
        and written, and the merge is returned (None: no merge was needed). Changes that clash (the same
        joint changed or deleted by both, differently) are written with both versions kept if
        `keep_both`; otherwise, and whenever there is no `base` or the file cannot be read, the file is
        left as it is and this side's version goes beside it as a conflict copy (module docstring).
        """
        now = datetime.now(timezone.utc)
        annotation.updated = now.isoformat(timespec="seconds")
        path = self.annotation_path(annotation.image_id)
        try:
            with _saving(path.parent):
                merge, data = self._check_and_write(path, annotation, base, keep_both, now)
        except OSError as exc:
            raise DatasetError(f"cannot save annotations to {path}: {exc.strerror or exc}") from exc
        annotation.stored = hashlib.sha256(data).hexdigest()
        return merge

    def _check_and_write(self, path: Path, annotation: ImageAnnotation, base: list[JointAnnotation] | None,
                         keep_both: bool, now: datetime) -> tuple[JointsMerge | None, bytes]:
        """`save_annotation`'s compare and write, done while no other save of the dataset runs."""
        merge = None
        if _sha256_or_none(path) != annotation.stored:
            theirs = self._joints_saved_meanwhile(path, base) if base is not None else None
            if theirs is not None:
                merge = merge_joints(base, theirs, annotation.joints)
            if merge is None or (merge.clashes and not keep_both):
                data = json_bytes(annotation.to_json())
                copy = atomic_write_bytes(unused_path(path.with_name(f"{path.name}.conflict-{now:%Y%m%dT%H%M%SZ}")),
                                          data)
                clash = f" (both changed {merge.clash_names()})" if merge is not None else ""
                raise AnnotationConflictError(
                    f"{path.name} was changed by another window or annotator since this image was opened{clash}, "
                    f"so it was left as it is; your boxes were written beside it as {copy.name} (not used for "
                    "training)")
            annotation.joints = merge.joints
        data = json_bytes(annotation.to_json())
        atomic_write_bytes(path, data)
        return merge, data

    def set_aside_unreadable(self, image_id: str) -> Path | None:
        """Rename the annotation file of `image_id` that cannot be read to `<image_id>.json.unreadable` (kept for
        repair, not read by training; `-2`, `-3` … where an earlier one is there already, never replacing it), so
        that the user's boxes can be saved; None when it can be read or there is none."""
        path = self.annotation_path(image_id)
        try:
            self.load_annotation(image_id)
            return None
        except DatasetError:
            kept = unused_path(path.with_name(path.name + ".unreadable"))
            try:
                os.rename(path, kept)
            except OSError as exc:
                raise DatasetError(f"cannot set the unreadable {path.name} aside: {exc.strerror or exc}") from exc
            return kept

    def _joints_saved_meanwhile(self, path: Path, base: list[JointAnnotation]) -> list[JointAnnotation] | None:
        """The joints of an annotation file someone else wrote, None if it cannot be read. A file deleted
        (or gone with a share's glitch) counts as unchanged: the window's boxes are written again."""
        try:
            annotation = self.load_annotation(path.name[:-len(".json")])
        except DatasetError:
            return None
        return annotation.joints if annotation is not None else list(base)

    def load_annotation(self, image_id: str) -> ImageAnnotation | None:
        path = self.annotation_path(image_id)
        if not path.exists():
            return None
        try:
            data = path.read_bytes()
            # utf-8-sig: a file mended by hand in an editor that writes a byte order mark (Windows Notepad) still reads
            annotation = ImageAnnotation.from_json(image_id, json.loads(data.decode("utf-8-sig")))
        except (OSError, ValueError, KeyError, TypeError, OverflowError, RecursionError) as exc:  # 1e400, [[[[…
            raise DatasetError(f"annotation file {path} cannot be read: {plain_cause(exc)}") from exc
        annotation.stored = hashlib.sha256(data).hexdigest()
        return annotation

    def stored_now(self, image_id: str) -> str | None:
        """The `stored` fingerprint of the image's annotation file as it is now (None: no file): whether it was saved
        since it was read."""
        return _sha256_or_none(self.annotation_path(image_id))

    def annotation_for_file(self, path: str | Path) -> ImageAnnotation | None:
        """The saved annotation of a radiograph file, found by its content, or None."""
        return self.load_annotation(image_id_of(path))

    def annotation_files(self) -> list[Path]:
        """The annotation files training reads (`*.json`: not the conflict or unreadable copies beside them)."""
        return sorted(self.annotations_dir.glob("*.json"))

    def annotations(self) -> Iterator[ImageAnnotation]:
        for path in self.annotation_files():
            annotation = self.load_annotation(path.stem)
            if annotation is not None:
                yield annotation

    def reviewed_annotations(self, with_proposals: bool = False) -> tuple[list[ImageAnnotation], LeftOut]:
        """The dataset's training data: each reviewed image with its reviewed joints only (copies), and
        what was left out (ImageAnnotation.reviewed_joints). The demo study's radiographs, which versions before
        the demo became a sandbox saved here with its true boxes as the user's, are left out and named, not
        deleted. With `with_proposals`, the copies keep the proposals waiting for review too (counted as left
        out all the same): a reviewed image is often reviewed in part, and a detector's trainer must not take
        its joints nobody reviewed yet for background (`ImageAnnotation.proposals`)."""
        from jsnviewer.phantom.study import is_demo_radiograph

        reviewed, unreviewed, proposals, unreadable, demo = [], 0, 0, [], []
        for path in self.annotation_files():
            try:  # one damaged file (mended by hand, cut short by a full disk) does not stop training on the rest
                annotation = self.load_annotation(path.stem)
            except DatasetError as exc:
                unreadable.append(str(exc))
                continue
            if annotation is None:
                continue
            joints = annotation.reviewed_joints()
            if joints and not self.image_path(annotation).is_file():
                unreadable.append(f"annotation file {path}: its radiograph {annotation.image_file} is not in the dataset")
                continue
            if joints and is_demo_radiograph(self.image_path(annotation)):
                demo.append(annotation.image_file)
                continue
            proposals += len(annotation.joints) - len(joints)
            if joints:
                reviewed.append(replace(annotation, joints=list(annotation.joints) if with_proposals else joints))
            else:
                unreviewed += 1
        return reviewed, LeftOut(unreviewed, proposals, tuple(unreadable), tuple(demo))

    def image_path(self, annotation: ImageAnnotation) -> Path:
        return self.root / annotation.image_file

    def save_joint_crop(self, joint_key: str, crop_id: str, image: np.ndarray, upper: np.ndarray,
                        lower: np.ndarray, px_per_crop_px: float | None = None,
                        mm_per_crop_px: float | None = None) -> Path:
        """Store a joint crop with its two bone masks in the joint_crops/ layout; returns the crop path.

        `image` is saved as 16-bit grey (values clipped to 0..65535), masks as 0/1 8-bit PNGs. The crop's scale, where
        given (pixels of its radiograph, and mm, per crop pixel), is written into the crop's PNG (CROP_SCALE_KEYS), so
        that lengths measured on the crops can be given as the analyses give them.
        """
        from PIL import Image
        from PIL.PngImagePlugin import PngInfo

        if image.shape != upper.shape or image.shape != lower.shape:
            raise ValueError("crop and masks must have the same shape")
        folder = self.joint_crops_dir / joint_key
        pixels = np.clip(np.rint(image), 0, 65535).astype(np.uint16)
        scale = PngInfo()
        for key, value in zip(CROP_SCALE_KEYS, (px_per_crop_px, mm_per_crop_px)):
            if value is not None:
                scale.add_text(key, repr(float(value)))
        items = [(f"{crop_id}.png", Image.fromarray(pixels), scale),
                 (f"{crop_id}_upper.png", Image.fromarray(upper.astype(np.uint8)), None),
                 (f"{crop_id}_lower.png", Image.fromarray(lower.astype(np.uint8)), None)]
        try:
            for name, picture, info in items:
                atomic_write(folder / name, lambda tmp, picture=picture, info=info: picture.save(tmp, format="PNG",
                                                                                               pnginfo=info))
        except OSError as exc:
            raise DatasetError(f"cannot save joint crop in {folder}: {exc.strerror or exc}") from exc
        return folder / f"{crop_id}.png"

    def export_coco(self, path: str | Path) -> CocoExport:
        """Write the reviewed boxes as COCO JSON (jsnviewer.coco says how)."""
        from jsnviewer.coco import export_coco

        return export_coco(self, Path(path))

    def import_coco(self, path: str | Path, names: dict[str, str] | None = None) -> CocoImport:
        """Bring the boxes of a COCO JSON file into the dataset (jsnviewer.coco says how); a file that is
        no COCO file is a DatasetError and nothing is written. `names`: the file names the user knows images by
        (image id -> name), for those whose annotation does not record it."""
        from jsnviewer.coco import import_coco

        return import_coco(self, Path(path), names)



# Two boxes on one radiograph are the same joint's when they overlap by at least this much (a box of the
# user's answers the analysis's proposal for it; it confirms the analysed joint for training).
SAME_BOX_IOU = 0.5


def answers(user: JointAnnotation, identity: str | None, box: tuple[float, float, float, float]) -> bool:
    """Whether a box of the user's stands for the joint named `identity` at `box` (a proposal, a detection): the
    same name, or overlapping it by SAME_BOX_IOU."""
    return (identity is not None and user.identity == identity) or box_iou(user.box, box) >= SAME_BOX_IOU


def box_iou(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    """Intersection over union of two boxes (cx, cy, w, h)."""
    ax0, ay0, ax1, ay1 = a[0] - a[2] / 2, a[1] - a[3] / 2, a[0] + a[2] / 2, a[1] + a[3] / 2
    bx0, by0, bx1, by1 = b[0] - b[2] / 2, b[1] - b[3] / 2, b[0] + b[2] / 2, b[1] + b[3] / 2
    inter = max(0.0, min(ax1, bx1) - max(ax0, bx0)) * max(0.0, min(ay1, by1) - max(ay0, by0))
    union = a[2] * a[3] + b[2] * b[3] - inter
    return inter / union if union > 0 else 0.0


# A changed joint is the new box that overlaps the old one most, by at least this much (a move,
# resize, rename or finding leaves most of a box where it was); an old box with none was deleted.
SAME_JOINT_IOU = 0.3


@dataclass(frozen=True)
class JointsMerge:
    """Two versions of one image's joints, both edited from one common version, merged."""

    joints: list[JointAnnotation]
    # the other side's edits, one per box: a box added or changed (moved, renamed …) as it is now, or one deleted
    theirs: list[JointAnnotation]
    clashes: list[JointAnnotation]  # common joints both sides changed or deleted differently (both versions kept)

    def clash_names(self) -> str:
        return _names(self.clashes)

    def their_names(self) -> str:
        return _names(self.theirs)


def _names(joints: list[JointAnnotation]) -> str:
    names = [joint.identity or "an unnamed box" for joint in joints]
    return ", ".join(names[:4]) + (f" and {len(names) - 4} more" if len(names) > 4 else "")


def _key(joint: JointAnnotation) -> tuple:
    return joint.box, joint.identity, tuple(sorted(joint.findings.items())), joint.source


def merge_joints(base: Iterable[JointAnnotation], theirs: Iterable[JointAnnotation],
                 mine: Iterable[JointAnnotation]) -> JointsMerge:
    """Both sides' edits of `base`: the joints of `theirs`, less those `mine` changed or deleted, plus
    those `mine` added or changed (once, where both sides made the same change). Nothing either side
    made is lost: where both changed one joint differently, both versions are kept and reported."""
    by_key = {_key(j): j for group in (base, theirs, mine) for j in group}
    base_c, theirs_c, mine_c = (Counter(map(_key, group)) for group in (base, theirs, mine))
    mine_removed, mine_added = base_c - mine_c, mine_c - base_c
    their_removed, their_added = base_c - theirs_c, theirs_c - base_c
    merged = list((theirs_c - mine_removed).elements()) + list((mine_added - their_added).elements())
    clashes = [by_key[k] for k in (mine_removed & their_removed).elements()
               if _successor(k, mine_added) != _successor(k, their_added)]
    return JointsMerge(joints=[copy.deepcopy(by_key[k]) for k in merged],
                       theirs=[by_key[k] for k in _edits(their_removed, their_added)], clashes=clashes)


def _edits(removed: Counter, added: Counter) -> list[tuple]:
    """One side's edits, one per box: the boxes it added or changed, as they are now, then those it deleted (the
    old boxes with no `_successor` among the added ones: a moved box is one edit, not a deletion and an addition)."""
    unclaimed, deleted = Counter(added), []
    for old in removed.elements():
        new = _successor(old, unclaimed)
        if new is None:
            deleted.append(old)
        else:
            unclaimed -= Counter([new])
    return list(added.elements()) + deleted


def _successor(old: tuple, added: Counter) -> tuple | None:
    """The added joint that an old one became (None: it was deleted)."""
    scored = [(box_iou(old[0], key[0]), key) for key in added]
    best = max(scored, default=(0.0, None), key=lambda item: item[0])
    return best[1] if best[0] >= SAME_JOINT_IOU else None


def open_dataset(root: str | Path, create: bool = False) -> AnnotationDataset:
    """Open a dataset folder; with `create`, make it (an empty or missing folder) first.

    Without `create` nothing is written: a folder that is missing or no dataset is a DatasetError.
    """
    root = Path(root)
    marker = root / "dataset.json"
    if marker.exists():
        try:
            info = json.loads(marker.read_text(encoding="utf-8-sig"))
            version = _version(info) if isinstance(info, dict) else 0
        except (OSError, ValueError) as exc:
            raise DatasetError(f"{marker} cannot be read: {exc}") from exc
        if not isinstance(info, dict) or info.get("format") != DATASET_FORMAT:
            raise DatasetError(f"{root} is not a jsnviewer dataset ({marker.name} has another format)")
        if version > VERSION:
            raise DatasetError(f"{root} was written by a newer jsnviewer (format version {info.get('version')})")
        return AnnotationDataset(root)
    if not create:
        if not root.is_dir():
            raise DatasetError(f"{root} is not there (is its drive or network share connected?)")
        raise DatasetError(f"{root} is not a jsnviewer dataset (no dataset.json)")
    if root.exists() and any(root.iterdir()):
        raise DatasetError(f"{root} is not empty; choose an empty folder for a new dataset")
    try:
        atomic_write_json(marker, {"format": DATASET_FORMAT, "version": VERSION})
    except OSError as exc:
        raise DatasetError(f"cannot create a dataset in {root}: {exc.strerror or exc}") from exc
    return AnnotationDataset(root)


def unused_path(path: Path) -> Path:
    """`path`, or `path-2`, `path-3` … the first that names no file: a copy kept for the user is never replaced."""
    candidate, n = path, 1
    while candidate.exists():
        n += 1
        candidate = path.with_name(f"{path.name}-{n}")
    return candidate


_SAVES_IN_THIS_PROCESS = threading.Lock()


@contextmanager
def _saving(folder: Path) -> Iterator[None]:
    """No other save of the dataset's annotations runs meanwhile, in this program (another window) or another one
    on the same folder: two that both found the file as they had read it would each write, and the first's boxes
    were lost without a word. An advisory lock on the folder (none where the system has no `flock`)."""
    with _SAVES_IN_THIS_PROCESS:
        descriptor = None
        try:
            import fcntl

            descriptor = os.open(folder, os.O_RDONLY)
            fcntl.flock(descriptor, fcntl.LOCK_EX)
        except (ImportError, OSError):  # Windows, or a file system without locks: this program's saves kept apart
            pass
        try:
            yield
        finally:
            if descriptor is not None:
                os.close(descriptor)  # releases the lock


def _sha256_or_none(path: Path) -> str | None:
    try:
        return file_sha256(path)
    except FileNotFoundError:
        return None


def is_dataset(root: str | Path) -> bool:
    return (Path(root) / "dataset.json").exists()


def joint_crops_folder(path: str | Path) -> Path:
    """A joint_crops-style folder itself, or the joint_crops/ of an annotation dataset."""
    path = Path(path)
    return open_dataset(path).joint_crops_dir if is_dataset(path) else path
