"""Importing COCO JSON into the annotation dataset: the round trip with the export, boxes corrected in
another tool (CVAT, labelme), files from elsewhere, and damaged files."""

import json
import shutil

import numpy as np
import pytest
from PIL import Image

from jsnviewer.dataset import JointAnnotation
from jsnviewer.errors import DatasetError

# x + w/2 does not give back cx for this box: (13.231 - 4.955/2) + 4.955/2 != 13.231 in floats
AWKWARD = (13.231, 20.5, 4.955, 6.0)


def snapshot(root):
    return {p.relative_to(root): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def joints_of(dataset, path):
    return dataset.annotation_for_file(path).joints


def users(joints):
    return sorted((j.box, j.identity, tuple(sorted(j.findings.items()))) for j in joints if j.reviewed)


def coco_boxes(coco):
    """(category name, bbox, attributes) of each annotation."""
    names = {c["id"]: c["name"] for c in coco["categories"]}
    return [(names[a["category_id"]], a["bbox"], a["attributes"]) for a in coco["annotations"]]


@pytest.fixture
def reviewed(tmp_path, half_reviewed_dataset):
    """The fixture's reviewed image, with a third box of the user's whose centre the naive inverse misses."""
    path = tmp_path / "incoming" / "reviewed.png"
    annotation = half_reviewed_dataset.annotation_for_file(path)
    annotation.joints.append(JointAnnotation(AWKWARD, "PIP4", {"subluxation": True}, "user"))
    half_reviewed_dataset.save_annotation(annotation)
    return path


def test_export_then_import_gives_back_every_box_to_the_float_and_changes_nothing(tmp_path, half_reviewed_dataset,
                                                                                   reviewed):
    dataset = half_reviewed_dataset
    assert (AWKWARD[0] - AWKWARD[2] / 2) + AWKWARD[2] / 2 != AWKWARD[0]  # the case an exact round trip must handle
    before = snapshot(dataset.root)
    joints_before = joints_of(dataset, reviewed)
    dataset.export_coco(tmp_path / "coco.json")  # outside the dataset: images found relative to its root

    imported = dataset.import_coco(tmp_path / "coco.json")

    assert joints_of(dataset, reviewed) == joints_before  # boxes, identities, findings, sources, bit for bit
    assert snapshot(dataset.root) == before  # not a byte written
    assert (imported.images, imported.unchanged, imported.added, imported.deleted) == (0, 1, 0, 0)
    assert not imported.images_left_out and not imported.beside


def test_importing_an_export_reads_each_radiograph_once_for_its_content_and_does_not_decode_them_again(
        tmp_path, half_reviewed_dataset, reviewed, monkeypatch):
    """A dataset of hundreds of radiographs: an image the dataset annotates already has its annotation's size; its
    pixels (tens of MB in a clinic's DICOM) are not read again, only its bytes for its content id. A wrong size in the
    file still leaves it out."""
    import builtins
    import io

    dataset = half_reviewed_dataset
    coco = json.loads(dataset.export_coco(tmp_path / "coco.json").path.read_text())
    opened = []
    real_open = builtins.open

    def counting_open(file, *args, **kwargs):
        opened.append(str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", counting_open)
    monkeypatch.setattr(io, "open", counting_open)
    imported = dataset.import_coco(tmp_path / "coco.json")
    monkeypatch.undo()

    assert imported.unchanged == 1 and not imported.images_left_out
    reads = [name for name in opened if str(dataset.images_dir) in name]
    assert sorted(reads) == [str(dataset.root / coco["images"][0]["file_name"])]  # once: its content id

    coco["images"][0]["width"] = 96  # the dataset's annotation says 48 wide
    (tmp_path / "coco.json").write_text(json.dumps(coco))
    assert dataset.import_coco(tmp_path / "coco.json").images_left_out == (
        f"{coco['images'][0]['file_name'].split('/')[-1]}: its size in the COCO file, 96×64, is not the image's, 48×64: "
        "its boxes would land on the wrong pixels",)


def test_boxes_corrected_in_another_tool_come_back_as_corrected_when_the_dataset_is_unchanged(
        tmp_path, half_reviewed_dataset, reviewed):
    dataset = half_reviewed_dataset
    coco = json.loads(dataset.export_coco(tmp_path / "coco.json").path.read_text())
    categories = {c["name"]: c["id"] for c in coco["categories"]}
    by_name = {name: a for (name, _, _), a in zip(coco_boxes(coco), coco["annotations"])}
    by_name["MCP2"]["bbox"] = [16.0, 25.0, 11.0, 12.0]  # moved and resized in CVAT
    by_name["MCP2"]["attributes"]["subluxation"] = True
    coco["annotations"].remove(by_name["joint"])  # deleted there
    coco["annotations"].append({"id": 99, "image_id": 1, "category_id": categories["MCP3"],  # over the PIP2 proposal
                                "bbox": [15.0, 5.0, 10.0, 10.0],
                                "attributes": {"ankylosis": True, "subluxation": False, "source": "user"}})
    coco["images"][0]["file_name"] = coco["images"][0]["file_name"].split("/")[-1]  # CVAT's: the base name
    cvat = tmp_path / "cvat" / "annotations" / "instances_default.json"
    cvat.parent.mkdir(parents=True)
    cvat.write_text(json.dumps(coco))

    imported = dataset.import_coco(cvat)

    joints = joints_of(dataset, reviewed)
    assert users(joints) == users([
        JointAnnotation((21.5, 31.0, 11.0, 12.0), "MCP2", {"subluxation": True}),
        JointAnnotation(AWKWARD, "PIP4", {"subluxation": True}),  # untouched, to the float
        JointAnnotation((20.0, 10.0, 10.0, 10.0), "MCP3", {"ankylosis": True}),
    ])
    # the PIP2 proposal under the new MCP3 box was reviewed away; the one on the wrist still waits for review
    assert [(j.box, j.identity) for j in joints if not j.reviewed] == [((30.0, 55.0, 14.0, 10.0), None)]
    # the MCP2 moved is one box changed, not one deleted and one added
    assert (imported.images, imported.changed, imported.added, imported.deleted, imported.proposals_reviewed) == \
        (1, 1, 1, 1, 1)
    assert ("1 image updated (1 box of yours changed as in the file, 1 box added, 1 box of yours deleted because it "
            "was deleted in the file, 1 proposal replaced by reviewed boxes)") in str(imported)
    assert imported.counts() == ("1 image updated, 1 box changed, 1 box added, 1 box deleted, 1 proposal replaced by "
                                 "reviewed boxes")


@pytest.mark.parametrize("name", ["MCP2", "joint"])
def test_a_box_moved_in_the_file_is_said_as_changed_not_as_deleted_and_added(tmp_path, half_reviewed_dataset, reviewed,
                                                                           name):
    """One box moved by 10 px in the exported file said "2 boxes added, 1 of yours deleted because they were
    deleted or changed in the file"."""
    dataset = half_reviewed_dataset
    coco = json.loads(dataset.export_coco(tmp_path / "coco.json").path.read_text())
    (moved,) = [a for (category, _, _), a in zip(coco_boxes(coco), coco["annotations"]) if category == name]
    moved["bbox"][0] += 10.0
    (tmp_path / "coco.json").write_text(json.dumps(coco))

    imported = dataset.import_coco(tmp_path / "coco.json")

    assert (imported.changed, imported.added, imported.deleted) == (1, 0, 0)
    assert str(imported) == "Imported coco.json: 1 image updated (1 box of yours changed as in the file)."
    assert imported.counts() == "1 image updated, 1 box changed"
    assert len(users(joints_of(dataset, reviewed))) == 3


def test_when_the_dataset_changed_since_the_export_nothing_of_the_users_is_deleted(tmp_path, half_reviewed_dataset,
                                                                                     reviewed):
    dataset = half_reviewed_dataset
    coco = json.loads(dataset.export_coco(tmp_path / "coco.json").path.read_text())
    annotation = dataset.annotation_for_file(reviewed)  # meanwhile, here, the annotator moves the unnamed box
    moved = next(j for j in annotation.joints if j.reviewed and j.identity is None)
    moved.box = (35.0, 30.0, 10.0, 12.0)
    dataset.save_annotation(annotation)
    mine = users(annotation.joints)
    categories = {c["name"]: c["id"] for c in coco["categories"]}
    coco["annotations"] = [a for a in coco["annotations"] if a["category_id"] != categories["MCP2"]]  # deleted there
    coco["annotations"].append({"id": 99, "image_id": 1, "category_id": categories["MCP4"],
                                "bbox": [5.0, 40.0, 8.0, 8.0], "attributes": {"source": "user"}})
    (tmp_path / "coco.json").write_text(json.dumps(coco))

    imported = dataset.import_coco(tmp_path / "coco.json")

    joints = joints_of(dataset, reviewed)
    # every box of the user's is still there (the MCP2 deleted in the file, the moved one), the new one beside
    # them, and the unnamed box as it was at export time too: the user deletes what they do not want
    assert set(mine) < set(users(joints))
    assert set(users(joints)) - set(mine) == {((9.0, 44.0, 8.0, 8.0), "MCP4", (("ankylosis", False), ("subluxation", False))),
                                              ((34.0, 30.0, 10.0, 12.0), None, (("ankylosis", True), ("subluxation", False)))}
    assert imported.deleted == 0 and imported.added == 2
    # named as the user knows it, not by the export's file name images/<image_id>.png
    assert imported.beside == ("reviewed.png: changed here since the export: imported boxes added beside yours, 2 of "
                               "them",)
    assert "Nothing of yours was deleted there: delete the boxes you do not want." in str(imported)


def test_a_coco_file_from_elsewhere_imports_what_it_can_and_says_what_it_left_out(tmp_path, half_reviewed_dataset):
    dataset = half_reviewed_dataset
    other = tmp_path / "from the clinic"
    (other / "pictures").mkdir(parents=True)
    shutil.copy(tmp_path / "incoming" / "proposals only.png", other / "pictures" / "p.png")
    shutil.copy(tmp_path / "incoming" / "reviewed.png", other / "r.png")  # found by its base name beside the file
    for seed, name in ((5, "new.png"), (7, "small.png")):
        Image.fromarray((np.arange(64 * 48).reshape(64, 48) * seed % 4096).astype(np.uint16)).save(other / name)
    coco = {
        "images": [{"id": 1, "file_name": "pictures/p.png", "width": 48, "height": 64},
                   {"id": 2, "file_name": "C:\\export\\r.png", "width": 48, "height": 64},
                   {"id": 3, "file_name": "new.png", "width": 48, "height": 64},
                   {"id": 4, "file_name": "missing.png", "width": 48, "height": 64},
                   {"id": 5, "file_name": "small.png", "width": 96, "height": 128}],
        "categories": [{"id": 1, "name": "MCP2"}, {"id": 2, "name": "joint"}, {"id": 3, "name": "wrist"}],
        "annotations": [
            # over the proposals-only image's MCP2 proposal: the annotator reviewed it elsewhere
            {"id": 1, "image_id": 1, "category_id": 1, "bbox": [17.5, 25.5, 10.0, 12.0], "attributes": {"ankylosis": "true"}},
            {"id": 2, "image_id": 2, "category_id": 2, "bbox": [1.0, 2.0, 5.0, 5.0]},  # beside the user's boxes
            {"id": 3, "image_id": 3, "category_id": 1, "bbox": [10, 10, 8, 8]},
            {"id": 4, "image_id": 3, "category_id": 2, "bbox": [20, 20, 8, 8], "attributes": {"source": "model"}},
            {"id": 5, "image_id": 3, "category_id": 3, "bbox": [0, 0, 30, 30]},  # the wrist: not a finger joint
            {"id": 6, "image_id": 3, "category_id": 1, "bbox": [5, 5, 0, 8]},  # no width
            {"id": 7, "image_id": 3, "category_id": 1, "bbox": [100, 5, 8, 8]},  # wholly right of the image
            {"id": 8, "image_id": 3, "category_id": 7, "bbox": [5, 5, 8, 8]},  # unknown category
            {"id": 9, "image_id": 42, "category_id": 1, "bbox": [5, 5, 8, 8]},  # unknown image
            {"id": 10, "image_id": 4, "category_id": 1, "bbox": [5, 5, 8, 8]},
            {"id": 11, "image_id": 5, "category_id": 1, "bbox": [5, 5, 8, 8]},
        ]}
    (other / "coco.json").write_text(json.dumps(coco))
    reviewed_before = users(joints_of(dataset, tmp_path / "incoming" / "reviewed.png"))

    imported = dataset.import_coco(other / "coco.json")

    proposals_only = joints_of(dataset, tmp_path / "incoming" / "proposals only.png")
    assert [(j.box, j.identity, j.findings["ankylosis"], j.source) for j in proposals_only if j.reviewed] == \
        [((22.5, 31.5, 10.0, 12.0), "MCP2", True, "user")]
    assert not any(j.identity == "MCP2" and not j.reviewed for j in proposals_only)  # its proposal was replaced
    assert sum(not j.reviewed for j in proposals_only) == 2  # the others still wait for review
    reviewed = users(joints_of(dataset, tmp_path / "incoming" / "reviewed.png"))
    assert set(reviewed) - set(reviewed_before) == {((3.5, 4.5, 5.0, 5.0), None, (("ankylosis", False), ("subluxation", False)))}
    assert imported.beside == ("r.png: not exported from this dataset: imported boxes added beside yours, 1 of them",)
    new = joints_of(dataset, other / "new.png")
    assert [(j.box, j.identity, j.source) for j in new] == [((14.0, 14.0, 8.0, 8.0), "MCP2", "user"),
                                                            ((24.0, 24.0, 8.0, 8.0), None, "model")]
    assert dataset.image_path(dataset.annotation_for_file(other / "new.png")).read_bytes() == (other / "new.png").read_bytes()
    assert dataset.annotation_for_file(other / "small.png") is None
    assert imported.images_left_out == (
        "missing.png: not found beside the COCO file or in the dataset",
        "small.png: its size in the COCO file, 96×128, is not the image's, 48×64: its boxes would land on the wrong pixels")
    assert (imported.images, imported.categories_left_out, imported.degenerate, imported.unknown_image,
            imported.unknown_category, imported.on_images_left_out) == (3, (("wrist", 1),), 2, 1, 1, 2)
    text = str(imported)
    assert "1 of category 'wrist' (not a finger joint)" in text and "2 with no area or outside their image" in text


@pytest.mark.parametrize("content, why", [
    ("{\"images\": [", "not JSON"),
    ("[" * 100_000 + "]" * 100_000, "not JSON"),  # nested too deep for the JSON reader
    ("[1, 2]", "holds no JSON object"),
    ("{\"images\": []}", "no \"annotations\" list"),
    ("{\"images\": [{\"id\": 1, \"file_name\": \"a.png\"}], \"annotations\": [{\"image_id\": 2, \"category_id\": 1, "
     "\"bbox\": [1, 1, 5, 5]}]}", "refers to image ids it does not list"),
])
def test_a_damaged_coco_file_writes_nothing_and_says_why(tmp_path, half_reviewed_dataset, content, why):
    before = snapshot(half_reviewed_dataset.root)
    (tmp_path / "coco.json").write_text(content)
    with pytest.raises(DatasetError, match=why):
        half_reviewed_dataset.import_coco(tmp_path / "coco.json")
    assert snapshot(half_reviewed_dataset.root) == before


def test_joints_of_both_hands_keep_their_hand_through_the_dataset_and_a_coco_round_trip(tmp_path, half_reviewed_dataset):
    dataset = half_reviewed_dataset
    path = tmp_path / "incoming" / "no box.png"  # a radiograph of both hands, say
    annotation = dataset.annotation_for_file(path)
    annotation.joints = [JointAnnotation((10.0, 12.0, 6.0, 6.0), "R MCP2", source="user"),
                         JointAnnotation((40.0, 12.0, 6.0, 6.0), "L MCP2", {"ankylosis": True}, "user")]
    dataset.save_annotation(annotation)
    assert [j.identity for j in joints_of(dataset, path)] == ["R MCP2", "L MCP2"]  # saved and read back as named

    coco = json.loads(dataset.export_coco(tmp_path / "coco.json").path.read_text())
    ids = {c["name"]: c["id"] for c in coco["categories"]}
    assert ids["MCP2"] == 11 and ids["joint"] == 15  # the ids of files exported before two-hand names
    assert {"R MCP2", "L MCP2"} <= {name for name, _, _ in coco_boxes(coco)}
    annotation.joints = []
    dataset.save_annotation(annotation)
    dataset.import_coco(tmp_path / "coco.json")
    assert sorted(j.identity for j in joints_of(dataset, path)) == ["L MCP2", "R MCP2"]
    with pytest.raises(ValueError, match="unknown joint identity"):
        JointAnnotation((1.0, 1.0, 2.0, 2.0), "X MCP2")


def test_an_image_whose_file_name_no_file_can_have_is_left_out_not_an_error(tmp_path, half_reviewed_dataset):
    coco = {"images": [{"id": 1, "file_name": "x" * 300 + ".png", "width": 48, "height": 64}],
            "categories": [{"id": 1, "name": "MCP2"}],
            "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [1.0, 2.0, 5.0, 5.0]}]}
    (tmp_path / "coco.json").write_text(json.dumps(coco))
    imported = half_reviewed_dataset.import_coco(tmp_path / "coco.json")
    assert imported.images_left_out == (f"{'x' * 300}.png: not found beside the COCO file or in the dataset",)
    assert imported.images == 0


def test_an_image_saved_before_its_name_was_kept_is_named_as_the_window_knows_it(tmp_path, half_reviewed_dataset,
                                                                                  reviewed):
    """An older dataset's annotation has no name: the import names it as the caller (the window, by the images it
    opened) knows it, else by the COCO file's name; a save that copies the image in again records the name."""
    dataset = half_reviewed_dataset
    image_id = dataset.annotation_for_file(reviewed).image_id
    file = dataset.annotation_path(image_id)
    saved = json.loads(file.read_text())
    del saved["image"]["name"]  # as versions before wrote it
    file.write_text(json.dumps(saved))
    assert dataset.load_annotation(image_id).name is None
    coco = json.loads(dataset.export_coco(tmp_path / "coco.json").path.read_text())
    annotation = dataset.load_annotation(image_id)  # meanwhile, here, a box drawn
    annotation.joints.append(JointAnnotation((40.0, 40.0, 8.0, 8.0), "MCP5"))
    dataset.save_annotation(annotation)
    coco["annotations"].append(dict(coco["annotations"][0], id=99, bbox=[2.0, 40.0, 8.0, 8.0]))  # added there
    (tmp_path / "coco.json").write_text(json.dumps(coco))

    before = file.read_bytes()
    said = dataset.import_coco(tmp_path / "coco.json", names={image_id: "hand 2019-03.png"}).beside
    assert said == ("hand 2019-03.png: changed here since the export: imported boxes added beside yours, 1 of them",)
    file.write_bytes(before)
    assert dataset.import_coco(tmp_path / "coco.json").beside[0].startswith(f"{image_id}.png: ")  # no other name known

    assert dataset.add_image(reviewed, 48, 64).name == "reviewed.png"  # the window's next save records it
