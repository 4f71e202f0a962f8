import errno
import json
import shutil
from dataclasses import replace

import numpy as np
import pytest
from PIL import Image

from jsnviewer import atomic
from jsnviewer.dataset import JointAnnotation, image_id_of, is_dataset, merge_joints, open_dataset
from jsnviewer.errors import AnnotationConflictError, DatasetError


@pytest.fixture()
def radiograph_file(tmp_path):
    path = tmp_path / "incoming" / "hand.png"
    path.parent.mkdir()
    Image.fromarray(np.arange(64 * 48, dtype=np.uint16).reshape(64, 48)).save(path)
    return path


def annotate(dataset, path):
    annotation = dataset.add_image(path, width=48, height=64, laterality="L", pixel_size_mm=0.175)
    annotation.joints = [
        JointAnnotation(box=(10.123456789012345, 20.5, 7.25, 8.0000001), identity="MCP2",
                        findings={"ankylosis": True}, source="model"),
        JointAnnotation(box=(30.0, 40.333333333333336, 9.0, 9.0)),
    ]
    dataset.save_annotation(annotation)
    return annotation


def test_saved_annotations_reload_bit_for_bit(tmp_path, radiograph_file):
    dataset = open_dataset(tmp_path / "ds", create=True)
    saved = annotate(dataset, radiograph_file)

    reopened = open_dataset(tmp_path / "ds").annotation_for_file(radiograph_file)
    assert reopened is not None
    assert [j.box for j in reopened.joints] == [j.box for j in saved.joints]
    assert reopened.joints[0].identity == "MCP2"
    assert reopened.joints[0].findings == {"ankylosis": True, "subluxation": False}
    assert reopened.joints[0].source == "model"
    assert reopened.joints[1].identity is None
    assert (reopened.laterality, reopened.pixel_size_mm) == ("L", 0.175)
    # the image travels with the dataset, under its content id
    assert dataset.image_path(reopened).read_bytes() == radiograph_file.read_bytes()


def test_image_is_found_by_content_not_name(tmp_path, radiograph_file):
    dataset = open_dataset(tmp_path / "ds", create=True)
    annotate(dataset, radiograph_file)
    renamed = tmp_path / "renamed.png"
    renamed.write_bytes(radiograph_file.read_bytes())
    assert image_id_of(renamed) == image_id_of(radiograph_file)
    assert len(dataset.annotation_for_file(renamed).joints) == 2
    # adding the same image again returns the saved annotation instead of an empty one
    assert len(dataset.add_image(renamed, 48, 64).joints) == 2


def test_failed_save_keeps_previous_file_and_says_why(tmp_path, radiograph_file, monkeypatch):
    dataset = open_dataset(tmp_path / "ds", create=True)
    annotation = annotate(dataset, radiograph_file)
    path = dataset.annotations_dir / f"{annotation.image_id}.json"
    before = path.read_bytes()

    def disk_full(src, dst):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(atomic.os, "replace", disk_full)
    annotation.joints.append(JointAnnotation(box=(1, 2, 3, 4)))
    with pytest.raises(DatasetError, match="No space left"):
        dataset.save_annotation(annotation)
    assert path.read_bytes() == before
    assert [p.name for p in dataset.annotations_dir.iterdir()] == [path.name]  # no temp file left behind


def test_corrupt_annotation_file_is_a_clear_error(tmp_path, radiograph_file):
    dataset = open_dataset(tmp_path / "ds", create=True)
    annotation = annotate(dataset, radiograph_file)
    (dataset.annotations_dir / f"{annotation.image_id}.json").write_text("{not json")
    with pytest.raises(DatasetError, match=annotation.image_id):
        dataset.annotation_for_file(radiograph_file)


def test_open_refuses_non_dataset_and_non_empty_folders(tmp_path):
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "notes.txt").write_text("mine")
    with pytest.raises(DatasetError, match="no dataset.json"):
        open_dataset(tmp_path / "x")
    with pytest.raises(DatasetError, match="not empty"):
        open_dataset(tmp_path / "x", create=True)
    assert (tmp_path / "x" / "notes.txt").read_text() == "mine"
    assert not is_dataset(tmp_path / "x")


def test_invalid_joint_values_are_refused():
    with pytest.raises(ValueError):
        JointAnnotation(box=(1, 2, 0, 4))
    with pytest.raises(ValueError):
        JointAnnotation(box=(1, 2, 3, 4), identity="PIP1")
    with pytest.raises(ValueError):
        JointAnnotation(box=(float("nan"), 2, 3, 4))


def test_coco_export_uses_top_left_boxes(tmp_path, radiograph_file):
    dataset = open_dataset(tmp_path / "ds", create=True)
    annotation = annotate(dataset, radiograph_file)
    annotation.joints[0].source = "user"  # the annotator accepts the proposal
    dataset.save_annotation(annotation)
    coco = json.loads(dataset.export_coco(tmp_path / "coco.json").path.read_text())
    assert len(coco["images"]) == 1 and len(coco["annotations"]) == 2
    first = coco["annotations"][0]
    assert first["bbox"] == pytest.approx([10.123456789012345 - 7.25 / 2, 20.5 - 4.00000005, 7.25, 8.0000001])
    names = {c["id"]: c["name"] for c in coco["categories"]}
    assert names[first["category_id"]] == "MCP2"
    assert names[coco["annotations"][1]["category_id"]] == "joint"
    assert first["attributes"]["ankylosis"] is True


def test_coco_export_has_the_users_boxes_only_and_says_what_it_left_out(tmp_path, half_reviewed_dataset):
    from jsnviewer.dataset import LeftOut

    export = half_reviewed_dataset.export_coco(tmp_path / "coco.json")
    coco = json.loads((tmp_path / "coco.json").read_text())
    # the reviewed image with its two boxes of the user's: no proposal, and the image with proposals only
    # (or none) is not exported as an image showing no joints
    reviewed = half_reviewed_dataset.annotation_for_file(tmp_path / "incoming" / "reviewed.png")
    assert [image["file_name"] for image in coco["images"]] == [reviewed.image_file]
    names = {c["id"]: c["name"] for c in coco["categories"]}
    assert sorted((a["bbox"][0] + a["bbox"][2] / 2, names[a["category_id"]]) for a in coco["annotations"]) == \
        [(20.0, "MCP2"), (34.0, "joint")]
    assert {a["attributes"]["source"] for a in coco["annotations"]} == {"user"}
    assert (export.path, export.images, export.boxes) == (tmp_path / "coco.json", 1, 2)
    assert export.left_out == LeftOut(images=2, proposals=5)  # 2 proposals beside the user's boxes, 3 on the other image
    assert str(export).startswith(f"{tmp_path / 'coco.json'} (1 image, 2 boxes; left out 2 images nobody has "
                                  "reviewed (no box of the user's) and 5 proposals waiting for review)")


def test_coco_export_marks_an_image_reviewed_in_part_as_not_exhaustively_annotated(tmp_path, half_reviewed_dataset):
    """The reviewed image still has 2 proposals waiting for review: the file does not present its 2 boxes as all
    its joints (LVIS's not_exhaustive_category_ids, which COCO tools that know it honour), and the export says so."""
    export = half_reviewed_dataset.export_coco(tmp_path / "coco.json")
    coco = json.loads((tmp_path / "coco.json").read_text())
    (image,) = coco["images"]
    names = {c["id"]: c["name"] for c in coco["categories"]}
    assert sorted(names[i] for i in image["not_exhaustive_category_ids"]) == ["PIP2", "joint"]  # the proposals' names
    assert image["jsnviewer_proposals_left_out"] == 2
    assert len(coco["annotations"]) == 2  # the proposals themselves stay out, as from training
    assert (export.partly_reviewed, export.proposals_on_exported) == (1, 2)
    assert str(export).endswith("; 1 exported image is reviewed in part: 2 proposals waiting for review on it are "
                                "not in the file, which marks that image as not exhaustively annotated "
                                "(not_exhaustive_category_ids)")


def test_joint_crops_are_stored_like_the_real_crop_folders(tmp_path):
    dataset = open_dataset(tmp_path / "ds", create=True)
    image = np.full((16, 16), 3000.0)
    upper = np.zeros((16, 16), bool)
    upper[:7] = True
    lower = np.zeros((16, 16), bool)
    lower[9:] = True
    crop = dataset.save_joint_crop("P1_L_MCP2", "visit1", image, upper, lower)
    assert crop.parent.name == "P1_L_MCP2"
    assert np.array_equal(np.array(Image.open(crop.with_name("visit1_upper.png"))), upper.astype(np.uint8))
    assert np.array(Image.open(crop)).max() == 3000


def test_saved_files_get_the_usual_permissions(tmp_path, radiograph_file):
    import os
    import stat

    dataset = open_dataset(tmp_path / "ds", create=True)
    annotation = annotate(dataset, radiograph_file)
    umask = os.umask(0o022)
    os.umask(umask)
    mode = stat.S_IMODE((dataset.annotations_dir / f"{annotation.image_id}.json").stat().st_mode)
    assert mode == 0o666 & ~umask


@pytest.mark.parametrize("content", ["[]", "null", '"x"', '{"format": "jsnviewer-dataset", "version": "two"}'])
def test_a_damaged_dataset_json_is_a_clear_error_and_is_left_alone(tmp_path, content):
    open_dataset(tmp_path / "ds", create=True)
    marker = tmp_path / "ds" / "dataset.json"
    marker.write_text(content)
    for create in (False, True):
        with pytest.raises(DatasetError, match="dataset.json"):
            open_dataset(tmp_path / "ds", create=create)
    assert marker.read_text() == content


def test_an_annotation_file_with_an_infinite_size_or_nested_too_deep_is_a_clear_error_and_training_goes_on(
        tmp_path, radiograph_file):
    dataset = open_dataset(tmp_path / "ds", create=True)
    annotation = annotate(dataset, radiograph_file)
    path = dataset.annotations_dir / f"{annotation.image_id}.json"
    good = json.loads(path.read_text())
    for content in (path.read_text().replace(f'"width": {good["image"]["width"]}', '"width": 1e400'),
                    "[" * 100_000 + "]" * 100_000):
        path.write_text(content)
        with pytest.raises(DatasetError, match="cannot be read"):
            dataset.annotation_for_file(radiograph_file)
        reviewed, left_out = dataset.reviewed_annotations()
        assert reviewed == [] and len(left_out.unreadable) == 1
        assert path.read_text() == content


def test_an_annotation_file_lacking_an_entry_names_it_in_words(tmp_path, radiograph_file):
    """It said "cannot be read: 'image'": the bare words of a KeyError, which named the entry but not that it lacks."""
    dataset = open_dataset(tmp_path / "ds", create=True)
    annotation = annotate(dataset, radiograph_file)
    path = dataset.annotations_dir / f"{annotation.image_id}.json"
    good = json.loads(path.read_text())
    del good["image"]
    path.write_text(json.dumps(good))
    with pytest.raises(DatasetError) as info:
        dataset.annotation_for_file(radiograph_file)
    assert str(info.value) == f"annotation file {path} cannot be read: 'image' is missing"


@pytest.mark.parametrize("content", ["[]", "null", "42"])
def test_an_annotation_file_of_the_wrong_json_type_is_a_clear_error(tmp_path, radiograph_file, content):
    dataset = open_dataset(tmp_path / "ds", create=True)
    annotation = annotate(dataset, radiograph_file)
    path = dataset.annotations_dir / f"{annotation.image_id}.json"
    path.write_text(content)
    with pytest.raises(DatasetError, match="not a jsnviewer annotation file"):
        dataset.annotation_for_file(radiograph_file)
    assert path.read_text() == content


def test_a_missing_dataset_folder_is_reported_and_not_made(tmp_path):
    with pytest.raises(DatasetError, match="is not there"):
        open_dataset(tmp_path / "usb-stick" / "ds")
    assert not (tmp_path / "usb-stick").exists()


def test_a_save_never_replaces_a_file_changed_since_it_was_read(tmp_path, radiograph_file):
    dataset = open_dataset(tmp_path / "ds", create=True)
    annotate(dataset, radiograph_file)
    mine, theirs = dataset.annotation_for_file(radiograph_file), dataset.annotation_for_file(radiograph_file)
    theirs.joints = theirs.joints[:1]
    dataset.save_annotation(theirs)  # another annotator saves first
    path = dataset.annotations_dir / f"{mine.image_id}.json"
    before = path.read_bytes()
    mine.joints.append(JointAnnotation(box=(1, 2, 3, 4)))
    with pytest.raises(DatasetError, match="changed by another window or annotator") as error:
        dataset.save_annotation(mine)
    assert path.read_bytes() == before
    copy = next(dataset.annotations_dir.glob(f"{mine.image_id}.json.conflict-*"))
    assert copy.name in str(error.value)
    assert len(json.loads(copy.read_text())["joints"]) == 3  # my boxes, beside theirs
    assert [a.image_id for a in dataset.annotations()] == [mine.image_id]  # training reads theirs only
    theirs.joints = []
    dataset.save_annotation(theirs)  # what was read or last written may be replaced
    assert dataset.annotation_for_file(radiograph_file).joints == []



def test_copies_kept_for_the_user_are_never_replaced_by_later_ones(tmp_path, radiograph_file):
    """A second conflict within the same second, or a second unreadable file set aside, replaced the first copy:
    it may hold the only version of someone's corrected boxes."""
    dataset = open_dataset(tmp_path / "ds", create=True)
    annotate(dataset, radiograph_file)
    mine = dataset.annotation_for_file(radiograph_file)
    path = dataset.annotation_path(mine.image_id)
    path.write_text('{"format": "jsnviewer-annotation", "version": 1, "image": {"fi')  # cut short
    for k in range(3):
        mine.joints = [JointAnnotation(box=(10.0 + k, 20.0, 5.0, 5.0))]
        with pytest.raises(AnnotationConflictError):
            dataset.save_annotation(mine)  # the file cannot be read: nothing to merge with
    copies = sorted(dataset.annotations_dir.glob(f"{mine.image_id}.json.conflict-*"))
    assert sorted(json.loads(c.read_text())["joints"][0]["box"][0] for c in copies) == [10.0, 11.0, 12.0]

    damaged = {}
    for k in range(2):
        path.write_text(f"damaged {k}")
        kept = dataset.set_aside_unreadable(mine.image_id)
        damaged[kept.name] = kept.read_text()
        assert not path.exists()
    assert damaged == {f"{mine.image_id}.json.unreadable": "damaged 0", f"{mine.image_id}.json.unreadable-2": "damaged 1"}
    mine.stored = None
    dataset.save_annotation(mine)
    assert dataset.set_aside_unreadable(mine.image_id) is None and path.exists()  # a file that reads stays
    assert [a.image_id for a in dataset.annotations()] == [mine.image_id]  # training reads no copy


def box(cx, identity=None, **findings):
    return JointAnnotation(box=(cx, 50.0, 20.0, 20.0), identity=identity, findings=findings)


def test_two_annotators_edits_of_different_joints_merge_without_losing_either():
    base = [box(10, "MCP2"), box(40, "MCP3"), box(70, "MCP4")]
    theirs = [box(10, "MCP2"), box(42, "MCP3"), box(70, "MCP4"), box(100, "MCP5")]  # moved MCP3, added MCP5
    mine = [box(10, "PIP2"), box(130)]  # renamed MCP2, deleted MCP3 and MCP4, added a box
    merge = merge_joints(base, theirs, mine)
    # MCP4 is gone; MCP3, moved by them and deleted by me, clashes: their moved box stays
    assert sorted((j.box[0], j.identity) for j in merge.joints) == [
        (10, "PIP2"), (42, "MCP3"), (100, "MCP5"), (130, None)]
    assert [j.identity for j in merge.clashes] == ["MCP3"]
    assert [j.identity for j in merge.theirs] == ["MCP3", "MCP5"]  # a moved box is one change, not two


def test_the_same_change_on_both_sides_is_one_change_and_no_clash():
    base = [box(10, "MCP2"), box(40, "MCP3")]
    both = [box(11, "MCP2", ankylosis=True)]  # both moved MCP2 the same way and deleted MCP3
    merge = merge_joints(base, both, both)
    assert merge.joints == both and merge.clashes == []
    different = merge_joints(base, [box(11, "MCP2"), box(40, "MCP3")], [box(10, "MCP2"), box(40, "PIP3")])
    assert sorted((j.box[0], j.identity) for j in different.joints) == [(11, "MCP2"), (40, "PIP3")]
    assert different.clashes == []  # each side changed another joint
    clash = merge_joints(base, [box(12, "MCP2"), box(40, "MCP3")], [box(8, "MCP2"), box(40, "MCP3")])
    assert sorted(j.box[0] for j in clash.joints) == [8, 12, 40] and [j.box[0] for j in clash.clashes] == [10]


def test_a_save_merges_the_changes_saved_meanwhile_by_another_annotator(tmp_path, radiograph_file):
    dataset = open_dataset(tmp_path / "ds", create=True)
    annotate(dataset, radiograph_file)
    mine, theirs = dataset.annotation_for_file(radiograph_file), dataset.annotation_for_file(radiograph_file)
    base = list(mine.joints)
    theirs.joints = theirs.joints[:1] + [JointAnnotation(box=(5, 5, 4, 4), identity="IP1")]
    dataset.save_annotation(theirs)
    mine.joints = mine.joints + [JointAnnotation(box=(20, 60, 4, 4), identity="MCP5")]
    merge = dataset.save_annotation(mine, base=base)
    saved = dataset.annotation_for_file(radiograph_file)
    assert [j.identity for j in saved.joints] == ["MCP2", "IP1", "MCP5"]
    assert [j.identity for j in merge.theirs] == ["IP1", None] and merge.their_names() == "IP1, an unnamed box"
    assert saved.stored == mine.stored and not list(dataset.annotations_dir.glob("*.conflict-*"))

    again, theirs = dataset.annotation_for_file(radiograph_file), dataset.annotation_for_file(radiograph_file)
    base = list(again.joints)
    theirs.joints[0] = replace(theirs.joints[0], identity="MCP3")  # both rename the one joint, differently
    dataset.save_annotation(theirs)
    before = (dataset.annotations_dir / f"{again.image_id}.json").read_bytes()
    again.joints[0] = replace(again.joints[0], identity="PIP2")
    with pytest.raises(AnnotationConflictError, match="both changed MCP2"):
        dataset.save_annotation(again, base=base)
    assert (dataset.annotations_dir / f"{again.image_id}.json").read_bytes() == before
    merge = dataset.save_annotation(again, base=base, keep_both=True)  # the user's explicit save
    assert [j.identity for j in dataset.annotation_for_file(radiograph_file).joints] == ["MCP3", "IP1", "MCP5", "PIP2"]
    assert [j.identity for j in merge.clashes] == ["MCP2"]

    mine = dataset.annotation_for_file(radiograph_file)
    base, copies = list(mine.joints), set(dataset.annotations_dir.glob("*.conflict-*"))
    (dataset.annotations_dir / f"{mine.image_id}.json").unlink()  # deleted meanwhile, or lost by a share
    mine.joints = mine.joints + [JointAnnotation(box=(40, 10, 4, 4), identity="DIP2")]
    merge = dataset.save_annotation(mine, base=base)  # the window's boxes are written again, not set aside
    assert dataset.annotation_for_file(radiograph_file).joints == mine.joints
    assert merge.theirs == [] and set(dataset.annotations_dir.glob("*.conflict-*")) == copies


@pytest.mark.parametrize("other_program", [False, True])
def test_two_saves_of_one_image_at_the_same_moment_keep_both_annotators_boxes(tmp_path, radiograph_file, monkeypatch,
                                                                             other_program):
    """Two windows (or two programs on one dataset folder) saving the same image at once: both found the file as
    they had read it and wrote, and the first one's box was lost while both said "All saved"."""
    import subprocess
    import sys
    import threading
    import time

    import jsnviewer.dataset as dataset_module

    dataset = open_dataset(tmp_path / "ds", create=True)
    annotate(dataset, radiograph_file)
    mine, theirs = dataset.annotation_for_file(radiograph_file), dataset.annotation_for_file(radiograph_file)
    base = list(mine.joints)
    read = dataset_module._sha256_or_none

    def slow_read(path):  # the file checked, then a moment before writing: where the other save slipped in
        found = read(path)
        time.sleep(0.3)
        return found

    monkeypatch.setattr(dataset_module, "_sha256_or_none", slow_read)
    theirs.joints = theirs.joints + [JointAnnotation(box=(5, 5, 4, 4), identity="IP1")]
    mine.joints = mine.joints + [JointAnnotation(box=(20, 60, 4, 4), identity="MCP5")]
    if other_program:  # the other annotator's program saves theirs, holding the folder's lock as this one would
        done = tmp_path / "other program's save done"
        script = ("import fcntl, os, sys, time; d = os.open(sys.argv[1], os.O_RDONLY); fcntl.flock(d, fcntl.LOCK_EX); "
                  "print('locked', flush=True); time.sleep(0.5); open(sys.argv[2], 'w').close(); os.close(d)")
        other = subprocess.Popen([sys.executable, "-c", script, str(dataset.annotations_dir), str(done)],
                                 stdout=subprocess.PIPE, text=True)
        assert other.stdout.readline().strip() == "locked"
        dataset.save_annotation(mine, base=base)
        assert done.exists()  # it waited for the other program's save to end
        other.wait(10)
        return
    saving = threading.Thread(target=dataset.save_annotation, args=(theirs,), kwargs={"base": list(base)})
    saving.start()
    time.sleep(0.05)
    dataset.save_annotation(mine, base=base)
    saving.join(10)
    saved = {j.identity for j in dataset.annotation_for_file(radiograph_file).joints}
    assert {"IP1", "MCP5"} <= saved  # the second save found the first's box on disk and merged it


def test_a_new_annotation_does_not_replace_one_saved_meanwhile(tmp_path, radiograph_file):
    dataset = open_dataset(tmp_path / "ds", create=True)
    first, second = dataset.add_image(radiograph_file, 48, 64), dataset.add_image(radiograph_file, 48, 64)
    first.joints = [JointAnnotation(box=(5, 5, 2, 2))]
    dataset.save_annotation(first)
    with pytest.raises(DatasetError, match="changed by another window"):
        dataset.save_annotation(second)
    assert dataset.annotation_for_file(radiograph_file).joints == first.joints


def test_an_image_replaced_since_it_was_opened_is_not_copied_nor_annotated(tmp_path, radiograph_file):
    dataset = open_dataset(tmp_path / "ds", create=True)
    opened_id = image_id_of(radiograph_file)
    Image.fromarray(np.ones((64, 48), np.uint16)).save(radiograph_file)  # re-exported under the same name
    with pytest.raises(DatasetError, match="replaced on disk since it was opened"):
        dataset.add_image(radiograph_file, 48, 64, image_id=opened_id)
    assert not dataset.images_dir.exists()


def test_an_image_already_in_the_dataset_keeps_its_id_when_its_file_changes(tmp_path, radiograph_file):
    dataset = open_dataset(tmp_path / "ds", create=True)
    saved = annotate(dataset, radiograph_file)
    radiograph_file.unlink()  # the copy in the dataset is the image the boxes belong to
    again = dataset.add_image(radiograph_file, 48, 64, image_id=saved.image_id)
    assert again.image_id == saved.image_id and len(again.joints) == 2


@pytest.mark.parametrize("image_file", [None, "", "/etc/hosts", "../elsewhere/hand.png", "images/../../hand.png",
                                        "C:\\Users\\hand.png", "..\\hand.png"])
def test_an_annotation_whose_image_file_is_not_in_the_dataset_is_a_clear_error(tmp_path, radiograph_file, image_file):
    """`"file": null` failed the trainers with "unexpected TypeError"; a path out of the dataset made them
    train on whatever file it named as if it were the annotated image."""
    dataset = open_dataset(tmp_path / "ds", create=True)
    annotation = annotate(dataset, radiograph_file)
    path = dataset.annotations_dir / f"{annotation.image_id}.json"
    content = json.loads(path.read_text())
    content["image"]["file"] = image_file
    path.write_text(json.dumps(content))
    with pytest.raises(DatasetError, match="image file is not a path inside the dataset folder"):
        dataset.annotation_for_file(radiograph_file)
    reviewed, left_out = dataset.reviewed_annotations()  # what `jsnviewer train --data` reads: left out, and said
    assert reviewed == [] and annotation.image_id in str(left_out)


def test_annotation_and_dataset_files_saved_with_a_byte_order_mark_are_read(tmp_path, radiograph_file):
    """A file mended by hand in Windows Notepad starts with a UTF-8 byte order mark; it was 'cannot be read'."""
    dataset = open_dataset(tmp_path / "ds", create=True)
    annotation = annotate(dataset, radiograph_file)
    for path in (dataset.annotations_dir / f"{annotation.image_id}.json", tmp_path / "ds" / "dataset.json"):
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    reread = open_dataset(tmp_path / "ds").annotation_for_file(radiograph_file)
    assert [j.box for j in reread.joints] == [j.box for j in annotation.joints]


def test_training_goes_on_past_a_damaged_annotation_file_and_a_missing_radiograph_and_names_them(
        tmp_path, half_reviewed_dataset):
    """One annotation file cut short (a full disk, a hand edit) stopped every training and export of the dataset."""
    from jsnviewer.detection.data import load_annotations

    dataset = half_reviewed_dataset
    (dataset.annotations_dir / "cut.json").write_text('{"version": 1, "image": {"file": "images/cut.png", "wid')
    reviewed, left_out = dataset.reviewed_annotations()
    assert len(reviewed) == 1 and len(left_out.unreadable) == 1 and "cut.json" in str(left_out)
    samples, _ = load_annotations(dataset.root)  # the detectors' and the finding classifier's trainers
    assert len(samples) == 1
    export = dataset.export_coco(tmp_path / "coco.json")
    assert export.images == 1 and "cut.json" in str(export)

    reviewed_image = dataset.image_path(reviewed[0])
    reviewed_image.unlink()  # its radiograph gone: nothing to learn the boxes from
    reviewed, left_out = dataset.reviewed_annotations()
    assert reviewed == [] and any("is not in the dataset" in why for why in left_out.unreadable)


def test_the_demos_radiograph_saved_into_a_dataset_by_an_earlier_version_is_not_trained_on_and_is_named(
        tmp_path, radiograph_file, save_demo_copy, capsys):
    """The demo's synthetic hand, saved into the clinic's dataset on its first edit by earlier versions, was trained
    on as a reviewed radiograph. It is left out and named; nothing is deleted. A phantom study of the clinic's own
    (`jsnviewer phantom`) is trained on as before, that of the demo's seed too (it was taken for the demo, its
    annotator's boxes left out as "saved by an earlier version")."""
    from jsnviewer.cli.main import main
    from jsnviewer.detection.data import load_annotations
    from jsnviewer.phantom import DEMO_SEED, generate_study, write_study

    for seed in (5, DEMO_SEED):
        write_study(tmp_path / f"phantom{seed}", generate_study(seed))
    dataset = open_dataset(tmp_path / "dataset", create=True)
    kept = []
    for path, (width, height) in ((radiograph_file, (48, 64)), (tmp_path / "phantom5" / "baseline.dcm", (1490, 2010)),
                                  (tmp_path / f"phantom{DEMO_SEED}" / "followup.dcm", (1490, 2010))):
        annotation = dataset.add_image(path, width=width, height=height)
        annotation.joints = [JointAnnotation((20.0, 30.0, 10.0, 12.0), "MCP2")]
        dataset.save_annotation(annotation)
        kept.append(annotation.image_id)
    copy = save_demo_copy(dataset)

    reviewed, left_out = dataset.reviewed_annotations()
    assert sorted(a.image_id for a in reviewed) == sorted(kept)
    assert left_out.demo == (copy.image_file,) and "1 demo radiograph: the built-in demo's synthetic hand" in str(left_out)
    samples, _ = load_annotations(dataset.root)  # the detectors' and the finding classifier's trainers
    assert sorted(s.path for s in samples) == sorted(str(dataset.image_path(a)) for a in reviewed)
    assert dataset.image_path(copy).is_file() and dataset.annotation_path(copy.image_id).is_file()  # kept

    # the trainer says so before it trains; with the demo alone there is nothing to train on
    for image_id in kept:
        dataset.annotation_path(image_id).unlink()
    code = main(["train", "detector", "--finding", "ankylosis", "--synthetic", "0", "--data", str(dataset.root),
                 "--out", str(tmp_path / "ankylosis.pt")])
    out, err = capsys.readouterr()
    assert code != 0 and "no training radiographs were found" in err
    assert "0 reviewed images with the user's boxes" in out and "1 demo radiograph:" in out and copy.image_file in out



def test_the_demos_joint_crops_saved_by_an_earlier_version_are_not_trained_on_and_the_trainer_says_so(
        tmp_path, save_demo_copy, capsys):
    """An analysed demo's confirmed joints were written as joint crops, which the segmenter and the registration learnt."""
    from jsnviewer.cli.main import main
    from jsnviewer.phantom import make_joint_pair
    from jsnviewer.segmentation.data import find_crops

    dataset = open_dataset(tmp_path / "dataset", create=True)
    save_demo_copy(dataset, crops=True)
    pair = make_joint_pair(9)
    for visit, crop, upper, lower in (("v1", pair.fixed, pair.fixed_upper, pair.fixed_lower),
                                      ("v2", pair.moving, pair.moving_upper, pair.moving_lower)):
        dataset.save_joint_crop("0123456789ab_L_MCP2", visit, crop, upper > 0, lower > 0)
    assert [r.joint for r in find_crops(dataset.joint_crops_dir)] == ["0123456789ab_L_MCP2"] * 2  # the trainers' reader
    demo: list[str] = []
    find_crops(dataset.joint_crops_dir, demo=demo)
    assert len(demo) == 12

    shutil.rmtree(dataset.joint_crops_dir / "0123456789ab_L_MCP2")  # the demo's crops alone: nothing to train on
    code = main(["train", "segmenter", "--no-real", "--data", str(dataset.root), "--epochs", "1",
                 "--out", str(tmp_path / "segmenter.pt")])
    assert code != 0 and "left out 12 demo joint crops, the built-in demo's synthetic hand" in capsys.readouterr().err


def test_what_is_left_out_names_only_the_kinds_there_are():
    """The COCO export and the Retrain dialog said "0 images nobody has reviewed" beside what mattered."""
    from jsnviewer.dataset import LeftOut

    assert str(LeftOut(images=0, proposals=3)) == "3 proposals waiting for review"
    assert str(LeftOut(images=1, proposals=0, demo=("images/d.dcm",))).startswith(
        "1 image nobody has reviewed (no box of the user's); 1 demo radiograph: ")
    assert str(LeftOut(images=2, proposals=1)) == ("2 images nobody has reviewed (no box of the user's) and 1 proposal "
                                                   "waiting for review")
    assert str(LeftOut()) == "nothing" and not LeftOut()
