"""COCO JSON out of and into an annotation dataset (`AnnotationDataset.export_coco` and `import_coco` call these;
docs/retraining.md says these rules to the user).

Export: the reviewed boxes (`AnnotationDataset.reviewed_annotations`), one category per joint identity and
"joint" for an unnamed box, the findings and `source` as attributes, each image entry with the fingerprint of
its boxes of the user's (BOXES_FINGERPRINT); the proposals waiting for review and the unreviewed images are
left out and counted. An image reviewed in part (proposals waiting beside the user's boxes) is marked so, not
presented as fully annotated: its entry lists the categories of those proposals as NOT_EXHAUSTIVE (LVIS's key,
an empty list on an image reviewed in full) and counts them (PROPOSALS_LEFT_OUT).

Import:

- Images: a `file_name` is looked for relative to the COCO file's folder, then to the dataset root (the
  export's names, images/<image_id>.png), then by its base name in the COCO file's folder and in the
  dataset's images/ (CVAT writes base names, in a folder of its own). A file found is known by its
  content: one the dataset already annotates (the same bytes) has its annotation's size, and is not read
  again (an import of an export of hundreds of radiographs decodes none of them); any other is read with
  the one loader. Its size must be the entry's width × height (else its boxes would land on the wrong
  pixels), and it goes into the dataset once (`add_image`: found by content, so an image already there
  finds its annotation). An image not found, unreadable or of another size is left out.
- Boxes: bbox [x, y, w, h] (top left) becomes (x + w/2, y + h/2, w, h). An imported box equal to one
  in the dataset (identity, findings, box to BOX_TOLERANCE_PX) keeps the dataset's numbers, so an
  export and an import give back the same floats bit for bit. Category: a joint identity, or "joint"
  for an unnamed box; any other is left out. Findings and `source` are read from `attributes` as the
  export writes them; a box is the user's (reviewed in the other tool) unless its source is "model".
- The user's boxes are never lost. An image without any: the imported boxes are added. An image with
  some: if they are still the ones the export fingerprinted (BOXES_FINGERPRINT), the file's boxes
  replace them (a box deleted in the other tool is deleted); otherwise the imported boxes not there
  yet are added beside them and the image is reported. A new box of the user's over a proposal
  (IoU >= SAME_JOINT_IOU) replaces it: that is what reviewing a proposal means.
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PureWindowsPath
from typing import Any, NamedTuple

from jsnviewer.atomic import atomic_write_json
from jsnviewer.dataset import (SAME_JOINT_IOU, VERSION, AnnotationDataset, ImageAnnotation, JointAnnotation, LeftOut, box_iou,
                               image_id_of)
from jsnviewer.errors import DatasetError, RadiographError
from jsnviewer.joints import ALL_IDENTITIES, FINDINGS, HAND_JOINT_IDENTITIES, JOINT_IDENTITIES
from jsnviewer.radiograph import Radiograph, load_radiograph
from jsnviewer.words import counted

log = logging.getLogger(__name__)

BOX_TOLERANCE_PX = 1e-6  # an imported box this close to one in the dataset is that box
UNNAMED = "joint"  # the export's category of a box without identity
_IDENTITIES = {name.upper(): name for name in ALL_IDENTITIES}


# An image entry's list of the categories it is not exhaustively annotated for (LVIS's key, which COCO tools that
# know it read as "a detection of these categories not matching a box here is not a false positive"): on an image
# reviewed in part, those of the proposals waiting for review, which the export leaves out; with how many they are.
NOT_EXHAUSTIVE = "not_exhaustive_category_ids"
PROPOSALS_LEFT_OUT = "jsnviewer_proposals_left_out"

# The COCO export's extra key in each image entry: the fingerprint of that image's boxes of the user's at
# export time, so that an import can tell whether the dataset changed since (`import_coco`).
BOXES_FINGERPRINT = "jsnviewer_boxes_sha256"


def user_boxes_sha256(joints: Iterable[JointAnnotation]) -> str:
    """A fingerprint of an image's boxes of the user's (boxes, identities, findings; in any order)."""
    items = sorted(json.dumps([list(j.box), j.identity, sorted(j.findings.items())]) for j in joints if j.reviewed)
    return hashlib.sha256("\n".join(items).encode()).hexdigest()


@dataclass(frozen=True)
class CocoExport:
    """A COCO file written by AnnotationDataset.export_coco, and what it holds and leaves out."""

    path: Path
    images: int
    boxes: int
    left_out: LeftOut
    partly_reviewed: int = 0  # images exported with proposals waiting for review left out (NOT_EXHAUSTIVE)
    proposals_on_exported: int = 0  # those proposals (part of left_out.proposals)

    def partial(self) -> str:
        """What is said of the images exported that were reviewed in part ("" where none was)."""
        if not self.partly_reviewed:
            return ""
        one = self.partly_reviewed == 1
        return (f"{counted(self.partly_reviewed, 'exported image')} {'is' if one else 'are'} reviewed in part: "
                f"{counted(self.proposals_on_exported, 'proposal')} waiting for review on {'it' if one else 'them'} "
                f"{'is' if self.proposals_on_exported == 1 else 'are'} not in the file, which marks "
                f"{'that image' if one else 'those images'} as not exhaustively annotated ({NOT_EXHAUSTIVE})")

    def __str__(self) -> str:
        text = f"{self.path} ({counted(self.images, 'image')}, {counted(self.boxes, 'box')}; left out {self.left_out})"
        return f"{text}; {self.partial()}" if self.partly_reviewed else text


@dataclass(frozen=True)
class CocoImport:
    """What AnnotationDataset.import_coco brought into the dataset from a COCO file, and what it left out.

    Images are named by the file name the user knows them by, else the base name of their COCO `file_name`
    (`import_coco`; never logged)."""

    path: Path
    unchanged: int  # images found whose boxes were all in the dataset already
    added: int  # boxes added
    deleted: int  # the user's boxes deleted in the file, the dataset unchanged since its export
    proposals_reviewed: int  # proposals replaced by an imported box of the user's over them
    beside: tuple[str, ...] = ()  # "<name>: why: ...": imported boxes added beside the user's, nothing deleted
    images_left_out: tuple[str, ...] = ()  # "<name>: why"
    categories_left_out: tuple[tuple[str, int], ...] = ()  # (category name, boxes): not a finger joint
    degenerate: int = 0  # boxes with no area, not numbers, or wholly outside their image
    unknown_image: int = 0  # annotations whose image_id the file does not list
    unknown_category: int = 0  # annotations whose category_id the file does not list
    on_images_left_out: int = 0  # boxes of the images left out
    written: tuple[str, ...] = field(default=(), repr=False)  # the dataset image ids whose annotation was written
    changed: int = 0  # the user's boxes changed in the file (moved, resized, renamed, findings), the dataset unchanged

    @property
    def images(self) -> int:
        """Dataset images whose boxes the import changed."""
        return len(self.written)

    def counts(self) -> str:
        """What the import changed in one line, as the window's status bar says it: "1 image updated, 1 box added,
        2 boxes deleted" (the deletions and the proposals replaced only where there are any)."""
        parts = [f"{counted(self.images, 'image')} updated"]
        if self.changed:
            parts.append(f"{counted(self.changed, 'box')} changed")
        if self.added or not self.changed:
            parts.append(f"{counted(self.added, 'box')} added")
        if self.deleted:
            parts.append(f"{counted(self.deleted, 'box')} deleted")
        if self.proposals_reviewed:
            parts.append(f"{counted(self.proposals_reviewed, 'proposal')} replaced by reviewed boxes")
        return ", ".join(parts)

    def __str__(self) -> str:
        done = [f"{counted(self.changed, 'box')} of yours changed as in the file"] if self.changed else []
        if self.added or not self.changed:
            done.append(f"{counted(self.added, 'box')} added")
        if self.deleted:
            done.append(f"{counted(self.deleted, 'box')} of yours deleted because "
                        f"{'it was' if self.deleted == 1 else 'they were'} deleted in the file")
        if self.proposals_reviewed:
            done.append(f"{counted(self.proposals_reviewed, 'proposal')} replaced by reviewed boxes")
        text = f"Imported {self.path.name}: {counted(self.images, 'image')} updated ({', '.join(done)})"
        text += f"; {counted(self.unchanged, 'image')} already as in the file." if self.unchanged else "."
        if self.beside:
            text += " " + "; ".join(self.beside) + ". Nothing of yours was deleted there: delete the boxes you do not want."
        boxes = [f"{count} of category {name!r} (not a finger joint)" for name, count in self.categories_left_out]
        for count, why in ((self.degenerate, "with no area or outside their image"),
                           (self.unknown_image, "on an image the file does not list"),
                           (self.unknown_category, "of a category the file does not list"),
                           (self.on_images_left_out, "on the images left out")):
            if count:
                boxes.append(f"{count} {why}")
        if self.images_left_out:
            text += f" Left out {counted(len(self.images_left_out), 'image')}: " + "; ".join(self.images_left_out) + "."
        if boxes:
            text += " Boxes left out: " + ", ".join(boxes) + "."
        return text


def export_coco(dataset: AnnotationDataset, path: Path) -> CocoExport:
    """Write the reviewed boxes as COCO JSON (one category per joint identity, findings as
    attributes); the proposals waiting for review and the unreviewed images are left out and counted.
    Each image entry also carries the fingerprint of its boxes (BOXES_FINGERPRINT) for `import_coco`."""
    # ids 1–15 as before two-hand names (the unnamed "joint" stays 15); the names with a hand after them
    names = [*JOINT_IDENTITIES, UNNAMED, *HAND_JOINT_IDENTITIES]
    categories = [{"id": i + 1, "name": name, "supercategory": "joint"} for i, name in enumerate(names)]
    category_ids = {c["name"]: c["id"] for c in categories}
    reviewed, left_out = dataset.reviewed_annotations(with_proposals=True)
    images, annotations, partly_reviewed, proposals = [], [], 0, 0
    for image_number, annotation in enumerate(reviewed, start=1):
        images.append({"id": image_number, "file_name": annotation.image_file, "width": annotation.width,
                       "height": annotation.height, BOXES_FINGERPRINT: user_boxes_sha256(annotation.joints)})
        waiting = annotation.proposals()  # reviewed in part: not presented as an image whose every joint has its box
        images[-1][NOT_EXHAUSTIVE] = sorted({category_ids[joint.identity or UNNAMED] for joint in waiting})
        images[-1][PROPOSALS_LEFT_OUT] = len(waiting)
        if waiting:
            partly_reviewed, proposals = partly_reviewed + 1, proposals + len(waiting)
        for joint in annotation.reviewed_joints():
            cx, cy, w, h = joint.box
            annotations.append({
                "id": len(annotations) + 1, "image_id": image_number,
                "category_id": category_ids[joint.identity or UNNAMED],
                "bbox": [cx - w / 2, cy - h / 2, w, h], "area": w * h, "iscrowd": 0,
                "attributes": dict(joint.findings, source=joint.source),
            })
    coco = {"info": {"description": "jsnviewer annotation dataset", "version": str(VERSION)},
            "images": images, "annotations": annotations, "categories": categories}
    try:
        written = atomic_write_json(path, coco)
    except OSError as exc:
        raise DatasetError(f"cannot write {path}: {exc.strerror or exc}") from exc
    return CocoExport(written, len(images), len(annotations), left_out, partly_reviewed, proposals)


@dataclass
class _Image:
    """One image entry of the COCO file with the boxes the file gives it."""

    name: str  # the base name of its file_name: how the user is told about it
    entry: dict[str, Any]
    joints: list[JointAnnotation] = field(default_factory=list)


@dataclass
class _Merge:
    joints: list[JointAnnotation]
    added: int = 0
    deleted: int = 0
    reviewed: int = 0  # proposals that became the user's boxes or gave way to a new one
    modified: int = 0  # the user's boxes changed in the file: each one deleted box and one added box less

    @property
    def changed(self) -> bool:
        return bool(self.added or self.deleted or self.reviewed or self.modified)


def import_coco(dataset: AnnotationDataset, path: Path, names: dict[str, str] | None = None) -> CocoImport:
    """See the module docstring; a file that is no COCO file is a DatasetError and nothing is written. An image is
    named by the base name of its COCO `file_name`, unless that is the dataset's own name of it (an export's,
    images/<image_id><ext>, which the user never saw): then by the name the user knows it by, its annotation's
    (`ImageAnnotation.name`), else `names`' (image id -> name), where known."""
    images, counts, categories_left_out = _read_coco(path)
    found: dict[str, _Found] = {}
    left_out: list[str] = []
    for image in images.values():
        reason = _find_image(image, path.parent, dataset, found, counts)
        if reason:
            left_out.append(f"{image.name}: {reason}")
            counts["on_images_left_out"] += len(image.joints)
    unchanged, beside, written = 0, [], []
    for image_id, (file, _, radiograph, entries, known) in found.items():
        name = entries[0].name
        try:
            existing = known or dataset.load_annotation(image_id)
        except DatasetError:
            left_out.append(f"{name}: its annotation in the dataset cannot be read (mend or remove it first)")
            counts["on_images_left_out"] += sum(len(entry.joints) for entry in entries)
            continue
        if Path(name).stem == image_id:  # the dataset's own name of the file (an export's): not one the user knows
            name = (existing.name if existing is not None else None) or (names or {}).get(image_id) or name
        current = existing.joints if existing is not None else []
        imported = [joint for entry in entries for joint in entry.joints]
        has_users = any(joint.reviewed for joint in current)
        fingerprints = {entry.entry.get(BOXES_FINGERPRINT) for entry in entries}
        round_trip = has_users and fingerprints == {user_boxes_sha256(current)}
        merge = _merge(current, imported, replace_users=round_trip)
        counts["added"] += merge.added
        counts["deleted"] += merge.deleted
        counts["modified"] += merge.modified
        counts["reviewed"] += merge.reviewed
        if not merge.changed:
            unchanged += 1
            continue
        if has_users and not round_trip and merge.added:
            why = "changed here since the export" if fingerprints != {None} else "not exported from this dataset"
            beside.append(f"{name}: {why}: imported boxes added beside yours, {merge.added} of them")
        try:
            annotation = existing or dataset.add_image(file, radiograph.width, radiograph.height,
                                                       radiograph.identity.laterality, radiograph.pixel_size_mm)
            base = [copy.deepcopy(joint) for joint in annotation.joints]
            annotation.joints = merge.joints
            dataset.save_annotation(annotation, base=base)
        except DatasetError as exc:  # a full disk, or a window saved a clashing change meanwhile (conflict copy)
            left_out.append(f"{name}: not saved ({exc})")
            continue
        written.append(image_id)
    result = CocoImport(path=path, unchanged=unchanged, added=counts["added"],
                        deleted=counts["deleted"], proposals_reviewed=counts["reviewed"], beside=tuple(beside),
                        images_left_out=tuple(left_out), categories_left_out=categories_left_out,
                        degenerate=counts["degenerate"], unknown_image=counts["unknown_image"],
                        unknown_category=counts["unknown_category"], on_images_left_out=counts["on_images_left_out"],
                        written=tuple(written), changed=counts["modified"])
    log.info("COCO import: %s updated, %d unchanged, %d left out, %d with boxes added beside the user's; %s added, "
             "%d changed, %d deleted", counted(result.images, "image"), result.unchanged, len(left_out), len(beside),
             counted(result.added, "box"), result.changed, result.deleted)
    return result


def _read_coco(path: Path) -> tuple[dict[Any, _Image], Counter, tuple[tuple[str, int], ...]]:
    """The file's images with their boxes, the boxes left out by kind, and those of categories that are no
    finger joint. Everything that makes the file no COCO file is found here, before anything is written."""
    try:
        coco = json.loads(path.read_bytes().decode("utf-8-sig"))
    except OSError as exc:
        raise DatasetError(f"cannot read {path.name}: {exc.strerror or exc}") from exc
    except (ValueError, RecursionError) as exc:  # RecursionError: nested thousands deep
        raise DatasetError(f"{path.name} is not a COCO JSON file: it is not JSON ({exc})") from exc
    if not isinstance(coco, dict):
        raise DatasetError(f"{path.name} is not a COCO JSON file: it holds no JSON object")
    for key in ("images", "annotations"):
        if not isinstance(coco.get(key), list):
            raise DatasetError(f"{path.name} is not a COCO JSON file: it has no \"{key}\" list")
    images: dict[Any, _Image] = {}
    for entry in coco["images"]:
        image_id = _id(entry.get("id")) if isinstance(entry, dict) else None
        if image_id is None:
            raise DatasetError(f"{path.name} is not a COCO JSON file: an entry of its \"images\" has no id")
        if image_id in images:
            raise DatasetError(f"{path.name} lists image id {image_id!r} twice, so its boxes cannot be told apart")
        images[image_id] = _Image(_base_name(entry.get("file_name"), image_id), entry)
    annotations = coco["annotations"]
    if not all(isinstance(annotation, dict) for annotation in annotations):
        raise DatasetError(f"{path.name} is not a COCO JSON file: an entry of its \"annotations\" is not an object")
    if annotations and not any(_id(a.get("image_id")) in images for a in annotations):
        raise DatasetError(f"{path.name} refers to image ids it does not list: none of its annotations is on one of "
                           "its images")
    categories = coco.get("categories") if isinstance(coco.get("categories"), list) else []
    names = {_id(c.get("id")): c.get("name") for c in categories if isinstance(c, dict) and isinstance(c.get("name"), str)}
    counts: Counter = Counter()
    others: Counter = Counter()
    for annotation in annotations:
        image = images.get(_id(annotation.get("image_id")))
        name = names.get(_id(annotation.get("category_id")))
        if image is None:
            counts["unknown_image"] += 1
        elif name is None:
            counts["unknown_category"] += 1
        elif name.strip().lower() != UNNAMED and name.strip().upper() not in _IDENTITIES:
            others[name] += 1
        else:
            joint = _joint(annotation, _IDENTITIES.get(name.strip().upper()))
            if joint is None:
                counts["degenerate"] += 1
            else:
                image.joints.append(joint)
    return images, counts, tuple(sorted(others.items()))


def _is_file(path: Path) -> bool:
    """Path.is_file, False for a name no file can have (too long, a NUL byte) rather than an error."""
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False


class _Found(NamedTuple):
    """An image file of the COCO file found, with its size, the COCO entries of it and the dataset's annotation of
    it where there is one (then the file was not read: `radiograph` is None)."""

    file: Path
    size: tuple[int, int]  # width, height
    radiograph: Radiograph | None
    entries: list[_Image]
    annotation: ImageAnnotation | None


def _find_image(image: _Image, coco_folder: Path, dataset: AnnotationDataset, found: dict[str, _Found],
                counts: Counter) -> str | None:
    """Find one image's file and put it into `found` by its dataset id (its boxes wholly outside it left out and
    counted); None, or why the image is left out. A file the dataset annotates already (found by its content) has
    the size its annotation says and is not read again; any other is read with the one loader."""
    file_name = image.entry.get("file_name")
    if not isinstance(file_name, str) or not file_name.strip():
        return "it has no file name"
    relative = file_name.replace("\\", "/")
    candidates = (coco_folder / relative, dataset.root / relative, coco_folder / image.name,
                  dataset.root / "images" / image.name)
    file = next((candidate for candidate in candidates if _is_file(candidate)), None)
    if file is None:
        return "not found beside the COCO file or in the dataset"
    try:
        image_id = image_id_of(file)
    except OSError as exc:
        return f"cannot be read ({exc.strerror or exc})"
    if image_id in found:
        known, radiograph, size = found[image_id].annotation, found[image_id].radiograph, found[image_id].size
    else:
        try:
            known = dataset.load_annotation(image_id)
        except DatasetError:  # said when its boxes are to be merged
            known = None
        radiograph = None
        if known is None:
            try:
                radiograph = load_radiograph(file)
            except RadiographError as exc:
                return f"cannot be read ({exc.reason})"
        size = (known.width, known.height) if known is not None else (radiograph.width, radiograph.height)
    width, height = image.entry.get("width"), image.entry.get("height")
    if (width, height) != (None, None) and (width, height) != size:
        return (f"its size in the COCO file, {width}×{height}, is not the image's, {size[0]}×{size[1]}: its boxes "
                "would land on the wrong pixels")
    inside = [joint for joint in image.joints if _overlaps_image(joint, *size)]
    counts["degenerate"] += len(image.joints) - len(inside)
    image.joints = inside
    found.setdefault(image_id, _Found(file, size, radiograph, [], known)).entries.append(image)
    return None


def _merge(current: list[JointAnnotation], imported: list[JointAnnotation], replace_users: bool) -> _Merge:
    """One image's joints after the import (module docstring), in the dataset's order, new ones last."""
    unmatched = list(range(len(current)))
    kept: dict[int, JointAnnotation] = {}
    new: list[JointAnnotation] = []
    merge = _Merge(joints=[])
    for joint in imported:
        twin = next((i for i in unmatched if _same(current[i], joint)), None)
        if twin is None:
            new.append(joint)
            continue
        unmatched.remove(twin)
        kept[twin] = copy.deepcopy(current[twin])
        if joint.reviewed and not current[twin].reviewed:
            kept[twin].source = "user"
            merge.reviewed += 1
    new_users = [joint for joint in new if joint.reviewed]
    gone = []
    for i, joint in enumerate(current):
        if i in kept:
            merge.joints.append(kept[i])
        elif joint.reviewed and replace_users:
            gone.append(joint)
        elif not joint.reviewed and any(box_iou(joint.box, user.box) >= SAME_JOINT_IOU for user in new_users):
            merge.reviewed += 1
        else:
            merge.joints.append(copy.deepcopy(joint))
    merge.joints += new
    merge.modified = _changed_boxes(list(gone), new_users)
    merge.added, merge.deleted = len(new) - merge.modified, len(gone) - merge.modified
    return merge


def _changed_boxes(gone: list[JointAnnotation], new: list[JointAnnotation]) -> int:
    """How many of the user's boxes the file deleted (`gone`) are one it changed, a new box of the user's (`new`) in
    their place: said as changed, not as one deleted and one added. A new box is the changed one of a box gone that
    has its name (one joint has one box), else of one it overlaps (IoU >= SAME_JOINT_IOU: renamed where it was),
    else, both unnamed, of one whose centre is within a box side of its own (moved)."""
    new = list(new)
    pairs = 0
    for same in (lambda a, b: a.identity is not None and a.identity == b.identity,
                 lambda a, b: box_iou(a.box, b.box) >= SAME_JOINT_IOU,
                 lambda a, b: a.identity is None and b.identity is None and _near(a.box, b.box)):
        for joint in list(gone):
            match = max((b for b in new if same(joint, b)), key=lambda b: box_iou(joint.box, b.box), default=None)
            if match is not None:
                gone.remove(joint)
                new.remove(match)
                pairs += 1
    return pairs


def _near(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return math.dist(a[:2], b[:2]) <= max(a[2], a[3], b[2], b[3])


def _same(a: JointAnnotation, b: JointAnnotation) -> bool:
    return (a.identity == b.identity and a.findings == b.findings
            and all(abs(u - v) <= BOX_TOLERANCE_PX for u, v in zip(a.box, b.box)))


def _joint(annotation: dict[str, Any], identity: str | None) -> JointAnnotation | None:
    """The joint of one COCO annotation, None where its box is not a box (not four numbers, no area)."""
    bbox = annotation.get("bbox")
    if not isinstance(bbox, list) or len(bbox) != 4 or any(
            isinstance(v, bool) or not isinstance(v, (int, float)) for v in bbox):
        return None
    attributes = annotation.get("attributes")
    attributes = attributes if isinstance(attributes, dict) else {}
    try:
        x, y, w, h = (float(v) for v in bbox)
        return JointAnnotation(box=(x + w / 2, y + h / 2, w, h), identity=identity,
                               findings={name: _truth(attributes.get(name)) for name in FINDINGS},
                               source="model" if attributes.get("source") == "model" else "user")
    except (ValueError, OverflowError):  # NaN, infinite, no area
        return None


def _overlaps_image(joint: JointAnnotation, width: int, height: int) -> bool:
    cx, cy, w, h = joint.box
    return cx + w / 2 > 0 and cy + h / 2 > 0 and cx - w / 2 < width and cy - h / 2 < height


def _truth(value: Any) -> bool:
    """A finding's attribute: true, 1 or "true"/"yes" (other tools write checkboxes either way)."""
    if isinstance(value, str):
        return value.strip().lower() in ("true", "yes", "1")
    return bool(value) if isinstance(value, (bool, int, float)) else False


def _id(value: Any) -> int | str | None:
    """A COCO id (an int or a string), None for anything else."""
    return value if isinstance(value, (int, str)) and not isinstance(value, bool) else None


def _base_name(file_name: Any, image_id: Any) -> str:
    if isinstance(file_name, str) and file_name.strip():
        return PureWindowsPath(file_name).name  # splits at / and at \ alike
    return f"image {image_id}"
