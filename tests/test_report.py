"""What a reader of results.csv, overview.png, results.json and the PDF/PNG report sees: whose study it is,
the pair's warnings, readable type, every reason in full, the program that made it, labels that do not
cover each other, one line for the boxes that fit no finger joint, anatomical order, signed JSN.

The results are made from a phantom study's true boxes (no models needed)."""

from __future__ import annotations

import csv
import dataclasses
import json

import numpy as np
import pytest
from PIL import ImageDraw

from jsnviewer.joints import FINDINGS, JOINT_IDENTITIES
from jsnviewer.pipeline.geometry import CropFrame
from jsnviewer.pipeline.result import JointCrops, JointDetectionInfo, JointResult, StudyResult, UnpairedJoint, VisitInfo
from jsnviewer.registration.result import JointRegistration
from jsnviewer.registration.transform import BoneTransform

PIXEL_MM = 0.175
WRONG_PATIENT = "Baseline and follow-up have different patient IDs (PHANTOM-7 and OTHER-0042)."
REVERSED = "The follow-up (2015-01-01) is dated before the baseline (2019-01-28)."
LONG_REASON = ("the follow-up's bones could not be laid onto the baseline's (the images differ no less after aligning "
               "the bones than before, 0.0198 before and 0.0213 after), and the follow-up's lower (proximal) bone could "
               "not be matched reliably: check the joint's boxes and bone outlines, correct them and analyse again")
MODELS = {"segmenter": {"file": "/opt/jsnviewer/models/segmenter.pt", "sha256": "3f1c0e9a7b2d4c61"},
          "registration": {"file": "/home/u/retrained.pt", "sha256": "cf4b8115b1269d29"}}


@pytest.fixture(scope="module")
def study():
    from jsnviewer.phantom import generate_study

    study = generate_study(7, findings_rate=0.35, patient_id="PHANTOM-7")  # the demo: boxes close together, findings
    named = dataclasses.replace(study.baseline.identity, patient_name="DOE^JANE")
    return dataclasses.replace(study, baseline=dataclasses.replace(study.baseline, identity=named))


def joint_result(identity: str, study, jsn_mm: float, reasons: list[str]) -> JointResult:
    base, follow = study.truth.baseline.joint(identity), study.truth.followup.joint(identity)
    frame = CropFrame(base.centre, (0.0, -1.0), 1.0, 64)  # a crop pixel is a radiograph pixel
    blank = np.zeros((64, 64), np.float32)
    crops = JointCrops(frame, CropFrame(follow.centre, (0.0, -1.0), 1.0, 64), blank, blank, blank, blank, blank, blank, PIXEL_MM)
    registration = JointRegistration("refined", BoneTransform(dy=jsn_mm / PIXEL_MM), BoneTransform(), PIXEL_MM, 0.05, 0.01,
                                     reasons=list(reasons))
    return JointResult(identity, JointDetectionInfo(base.box, dict(base.findings), {"ankylosis": 0.1}, 0.99),
                       JointDetectionInfo(follow.box, dict(follow.findings), {"subluxation": 0.2}, 0.98), crops, registration)


def wrist_boxes(study, visit: str, n: int) -> list[UnpairedJoint]:
    """`n` boxes below the MCP joints, where the detector finds carpal bones."""
    truth = getattr(study.truth, visit)
    mcps = [truth.joint(f"MCP{d}").box for d in range(1, 6)]
    return [UnpairedJoint(None, visit, (cx, cy + 1.6 * h, w, h), "no joint identity could be given to this box")
            for cx, cy, w, h in mcps[:n]]


def make_result(study, warnings=(), followup_id: str | None = None, laterality: str | None = None) -> StudyResult:
    """Every joint of the phantom (in the pipeline's alphabetical order) with its true JSN, PIP2 and MCP4
    unreliable; MCP5 found twice on the follow-up; 4 + 3 boxes on the wrists."""
    joints = [joint_result(i, study, study.truth.changes[i].jsn_mm, [LONG_REASON] if i in ("PIP2", "MCP4") else [])
              for i in sorted(JOINT_IDENTITIES)]
    joints[0] = joint_result(joints[0].identity, study, 0.201, [])  # DIP2, the first row in the pipeline's order
    unpaired = wrist_boxes(study, "baseline", 4) + wrist_boxes(study, "followup", 3)
    unpaired.insert(2, UnpairedJoint("MCP5", "followup", study.truth.followup.joint("MCP5").box,
                                     "a second box named MCP5; the stronger one was kept"))
    followup = VisitInfo.of(study.followup)
    followup = dataclasses.replace(followup, patient_id=followup_id or followup.patient_id,
                                   laterality=laterality or followup.laterality)
    return StudyResult(VisitInfo.of(study.baseline), followup, joints, unpaired, list(warnings),
                       {"device": "cpu", "registration_method": "refined", "models": MODELS}, {"total": 3.0})


def read_csv(path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


# 1. results.csv and overview.png say whose study they are, and the pair's warnings


def test_every_results_csv_row_says_whose_study_it_is_and_carries_the_pair_warnings(study, tmp_path):
    from jsnviewer.pipeline.report import write_csv

    result = make_result(study, [WRONG_PATIENT, REVERSED], followup_id="OTHER-0042")
    rows = read_csv(write_csv(tmp_path / "results.csv", result))
    assert rows
    for row in rows:
        assert row["patient_id"] == "PHANTOM-7"
        assert (row["baseline_date"], row["followup_date"]) == (result.baseline.study_date, result.followup.study_date)
        assert row["hand"] == study.truth.laterality
        assert row["study_warnings"] == f"{WRONG_PATIENT} | {REVERSED}"
    clean = read_csv(write_csv(tmp_path / "clean.csv", make_result(study)))
    assert {r["study_warnings"] for r in clean} == {""}
    assert "DOE" not in (tmp_path / "results.csv").read_text()  # a patient's name is never written


def test_a_radiograph_of_both_hands_is_said_to_be_of_both_hands_not_hand_not_stated(study, tmp_path):
    """A two-hand film was "hand not stated" in the report and overview headers and had an empty results.csv hand."""
    from jsnviewer.pipeline.overview import hand_text
    from jsnviewer.pipeline.report import study_cells, write_csv
    from jsnviewer.radiograph import Radiograph, StudyIdentity

    declared = dataclasses.replace(study.baseline, identity=StudyIdentity(patient_id="P", laterality="B"))
    silent = dataclasses.replace(study.baseline, identity=StudyIdentity(patient_id="P"))
    assert hand_text(VisitInfo.of(declared)) == "both hands"
    from_joints = VisitInfo.of(silent, ("R MCP2", "L MCP2"))
    assert (from_joints.laterality, from_joints.laterality_from_joints) == ("B", True)
    assert hand_text(from_joints) == "both hands (from the joints)"
    assert hand_text(VisitInfo.of(silent)) == "hand not stated"  # nothing named with its hand: not said
    assert VisitInfo.of(study.baseline, ("R MCP2", "R PIP2")).laterality == study.truth.laterality  # the file's own
    assert study_cells(from_joints, from_joints)["hand"] == "B"
    result = dataclasses.replace(make_result(study), baseline=from_joints, followup=from_joints)
    assert {row["hand"] for row in read_csv(write_csv(tmp_path / "results.csv", result))} == {"B"}
    assert result.to_json()["baseline"]["laterality_from_joints"] is True


def test_each_csv_row_gives_its_joints_hand_and_says_both_visits_hands_where_they_differ(study, tmp_path):
    """A study of a left hand's film and a film of both hands (or both hands and a right hand's) had the baseline's
    hand on every row of results.csv and summary.csv: B for the right hand's joints, or L for a joint of the right."""
    from jsnviewer.pipeline.batch import result_rows
    from jsnviewer.pipeline.report import study_cells, write_csv

    def with_hands(baseline: str, followup: str, hand: str | None):
        result = make_result(study)
        joints = [dataclasses.replace(j, identity=f"{hand} {j.identity}" if hand else j.identity) for j in result.joints]
        unpaired = [UnpairedJoint("L MCP3" if hand == "R" else "R MCP3", "followup" if baseline != "B" else "baseline",
                                  (50.0, 50.0, 20.0, 20.0), "not found on the other visit")]
        return dataclasses.replace(result, joints=joints, unpaired=unpaired + result.unpaired,
                                   baseline=dataclasses.replace(result.baseline, laterality=baseline),
                                   followup=dataclasses.replace(result.followup, laterality=followup))

    for baseline, followup, hand in (("L", "B", "L"), ("B", "R", "R")):
        result = with_hands(baseline, followup, hand)
        rows = read_csv(write_csv(tmp_path / "results.csv", result))
        other = {"L": "R", "R": "L"}[hand]
        assert {r["hand"] for r in rows if r["identity"].startswith(f"{hand} ")} == {hand}
        assert [r["hand"] for r in rows if r["identity"].startswith(f"{other} ")] == [other]  # of the two-hand film
        unnamed = [r["hand"] for r in rows if not r["identity"]]  # the boxes that fit no joint: of the study
        assert unnamed == [f"baseline {baseline} / follow-up {followup}"]
        summary = result_rows("S1", "S1", result, [])
        assert [r["hand"] for r in summary] == [r["hand"] for r in rows]
    contradicting = read_csv(write_csv(tmp_path / "results.csv", with_hands("L", "R", None)))  # plain names
    assert {r["hand"] for r in contradicting if r["status"] == "measured"} == {"baseline L / follow-up R"}
    assert [r["hand"] for r in contradicting if r["identity"] == "MCP5" and r["status"] == "not measured"] == ["R"]
    # found on both films, its bones not told apart on the baseline's: of both visits' hands, not the baseline's alone
    unsplit = UnpairedJoint("MCP4", "baseline", (50.0, 50.0, 20.0, 20.0),
                            "the two bones of the joint could not be told apart", on_both_visits=True)
    both_found = dataclasses.replace(with_hands("L", "R", None), unpaired=[unsplit])
    assert [r["hand"] for r in read_csv(write_csv(tmp_path / "results.csv", both_found))
            if r["status"] == "not measured" and r["identity"] == "MCP4"] == ["baseline L / follow-up R"]
    agreeing = make_result(study)
    assert {r["hand"] for r in read_csv(write_csv(tmp_path / "results.csv", agreeing))} == {study.truth.laterality}
    assert study_cells(agreeing.baseline, None)["hand"] == study.truth.laterality  # an error row: one file read


def test_a_one_hand_film_whose_joints_are_named_with_its_hand_is_of_that_hand_not_of_both(study):
    """Named "L MCP2" to pair them with a film of both hands, a one-hand film's joints made it "both hands (from the
    joints)" in the report and overview.png headers and B in results.json."""
    from jsnviewer.pipeline.overview import hand_text
    from jsnviewer.radiograph import StudyIdentity

    silent = dataclasses.replace(study.baseline, identity=StudyIdentity(patient_id="P"))
    left = VisitInfo.of(silent, ("L MCP2", "L PIP2", None))
    assert (left.laterality, left.laterality_from_joints) == ("L", True)
    assert hand_text(left) == "left hand (from the joints)"
    stated = dataclasses.replace(study.baseline, identity=StudyIdentity(patient_id="P", laterality="R"))
    assert hand_text(VisitInfo.of(stated, ("R MCP2", "R PIP2"))) == "right hand"  # the file says so already


def test_a_one_hand_film_stating_no_hand_is_of_the_hand_its_plainly_named_joints_lie_as(study, tmp_path):
    """The real JPEG pair states no hand: its joints, named plainly ("MCP2") as a right hand's, left the results.csv
    hand empty and the report saying "hand not stated". The hand they lie as is said, from the joints."""
    from jsnviewer.joints import SIDES
    from jsnviewer.pipeline.overview import hand_text
    from jsnviewer.pipeline.report import write_csv
    from jsnviewer.radiograph import StudyIdentity

    silent = dataclasses.replace(study.baseline, identity=StudyIdentity(patient_id="P"))
    joints = study.truth.baseline.joints
    names, centres = [j.identity for j in joints], [j.box[:2] for j in joints]
    visit = VisitInfo.of(silent, names, centres)
    hand = study.truth.laterality
    assert (visit.laterality, visit.laterality_from_joints) == (hand, True)
    assert hand_text(visit) == f"{SIDES[hand]} hand (from the joints)"
    mirrored = VisitInfo.of(silent, names, [(silent.width - x, y) for x, y in centres])  # the other hand's layout
    assert mirrored.laterality == {"L": "R", "R": "L"}[hand]
    assert VisitInfo.of(silent, names[:3], centres[:3]).laterality is None  # too few joints to tell: not said
    result = dataclasses.replace(make_result(study), baseline=visit, followup=visit)
    assert {row["hand"] for row in read_csv(write_csv(tmp_path / "results.csv", result))} == {hand}


@pytest.mark.parametrize("stage", ["folder", "file"])
def test_results_that_cannot_be_written_name_what_the_user_chose_not_the_hidden_staging_files(study, tmp_path,
                                                                                               monkeypatch, stage):
    import errno
    import os

    from jsnviewer import atomic
    from jsnviewer.errors import describe
    from jsnviewer.pipeline import report

    out = tmp_path / "results"
    out.mkdir()
    (out / "results.csv").write_text("the earlier results")

    def read_only(*args, **kwargs):
        name = os.path.join(kwargs["dir"], kwargs["prefix"] + "x1y2") if stage == "folder" else args[0]
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), os.fspath(name))

    monkeypatch.setattr(*(report.tempfile, "mkdtemp") if stage == "folder" else (atomic.os, "replace"), read_only)
    with pytest.raises(OSError) as caught:
        report.write_results(out, make_result(study), study.baseline, study.followup)
    named = out if stage == "folder" else out / "results.json"  # the first file written
    assert describe(caught.value) == f"{os.strerror(errno.EROFS)} ({named})"
    assert [p.name for p in out.iterdir()] == ["results.csv"]  # no staging folder left
    assert (out / "results.csv").read_text() == "the earlier results"


def _top_band(picture, rows: int = 12) -> np.ndarray:
    return np.asarray(picture)[:rows].reshape(-1, 3).mean(axis=0)


def test_overview_png_puts_the_pair_warnings_on_a_red_band_at_the_top(study):
    from jsnviewer.pipeline.overview import overview_image

    warned = overview_image(make_result(study, [WRONG_PATIENT]), study.baseline, study.followup, max_height=700)
    red, green, blue = _top_band(warned)
    assert red > 150 and green < 80 and blue < 80, (red, green, blue)
    clean = overview_image(make_result(study), study.baseline, study.followup, max_height=700)
    assert _top_band(clean)[0] < 80  # no band without a warning
    assert warned.height > clean.height + 60  # big type: the band is more than a line of labels


def test_overview_png_names_each_visits_patient_and_hand_above_its_radiograph(study):
    """The follow-up's own patient ID and hand are drawn above it (not only the baseline's, or none)."""
    from jsnviewer.pipeline.overview import overview_image

    pictures = [np.asarray(overview_image(make_result(study, followup_id=pid, laterality=side), study.baseline,
                                          study.followup, max_height=700)).astype(int)
                for pid, side in (("PHANTOM-7", "R"), ("OTHER-0042", "R"), ("PHANTOM-7", "L"))]
    for other in pictures[1:]:
        changed = np.nonzero(np.abs(other - pictures[0]).sum(axis=(1, 2)))[0]
        assert changed.size, "the follow-up's patient ID and hand are not in the picture"
        assert changed.max() < 0.1 * other.shape[0]  # in the header, above the radiographs


def test_overview_headers_read_as_single_spaced_text_with_or_without_a_date(study, monkeypatch):
    from jsnviewer.pipeline.overview import hand_text, overview_image

    result = make_result(study)
    result = dataclasses.replace(result, baseline=dataclasses.replace(result.baseline, study_date=None,
                                                                      patient_id=None, laterality=None))
    drawn: list[str] = []
    real = ImageDraw.ImageDraw.text
    monkeypatch.setattr(ImageDraw.ImageDraw, "text", lambda self, xy, text, *a, **k: drawn.append(text) or
                        real(self, xy, text, *a, **k))
    overview_image(result, study.baseline, study.followup, max_height=700)
    headers = [text for text in drawn if text.startswith(("Baseline", "Follow-up", "Patient ID"))]
    assert headers == ["Baseline · date not stated",
                       f"Patient ID not stated · hand not stated · {result.baseline.file_name}",
                       f"Follow-up · {result.followup.study_date}",
                       f"Patient ID {result.followup.patient_id} · {hand_text(result.followup)} · "
                       f"{result.followup.file_name}"]


# 6. overview.png's labels cover no other label and no box's outline


def _labels_and_boxes(monkeypatch, draw) -> dict[int, dict[str, list]]:
    """Every rectangle `draw()` paints, per picture: label backgrounds (filled black) and boxes (outlined)."""
    painted: dict[int, dict[str, list]] = {}
    pictures = []  # kept alive, so that no later picture's drawing gets the same id
    real = ImageDraw.ImageDraw.rectangle

    def record(self, xy, fill=None, outline=None, width=1):
        flat = np.asarray(xy, float).ravel().tolist()
        pictures.append(self)
        kinds = painted.setdefault(id(self), {"labels": [], "boxes": []})
        if fill in ((0, 0, 0), "black"):
            kinds["labels"].append(flat)
        elif outline is not None and fill is None:
            kinds["boxes"].append((flat, width))
        return real(self, xy, fill, outline, width)

    monkeypatch.setattr(ImageDraw.ImageDraw, "rectangle", record)
    draw()
    return painted


def _common(a, b) -> tuple[float, float]:
    return min(a[2], b[2]) - max(a[0], b[0]), min(a[3], b[3]) - max(a[1], b[1])


@pytest.mark.parametrize("print_size", [False, True], ids=["overview.png", "the report's picture"])
def test_overview_labels_cover_no_other_label_and_no_box_outline(study, monkeypatch, print_size):
    from jsnviewer.pipeline.overview import overview_image

    result = make_result(study)
    for_print = {"crop_to_joints": True, "text_fraction": 0.011} if print_size else {}
    painted = _labels_and_boxes(monkeypatch, lambda: overview_image(result, study.baseline, study.followup, **for_print))
    panels = [p for p in painted.values() if len(p["labels"]) >= len(result.joints)]
    assert len(panels) == 2
    for panel in panels:
        labels = panel["labels"]
        for n, a in enumerate(labels):
            for b in labels[n + 1:]:
                assert min(_common(a, b)) <= 1, f"labels overlap: {a} {b}"
            for (x0, y0, x1, y1), width in panel["boxes"]:
                sides = [(x0, y0, x1, y0 + width), (x0, y1 - width, x1, y1), (x0, y0, x0 + width, y1), (x1 - width, y0, x1, y1)]
                assert all(min(_common(a, side)) <= 1 for side in sides), f"a box's outline runs through the label at {a}"


# 8. boxes that fit no finger joint: one line, not one per box; 9. anatomical order, plain numbers


def test_the_overview_of_a_very_large_radiograph_takes_no_full_size_copy_of_it_in_memory():
    """A 12000 × 12000 radiograph was analysed on a computer with a few GB, then its overview (the whole image in
    float64, twice over) ran out of memory and no result was written."""
    import tracemalloc

    from jsnviewer.pipeline.overview import display_grey

    pixels = np.random.default_rng(0).normal(1000.0, 300.0, (4000, 3000)).astype(np.float32)
    pixels[7, 7] = np.nan
    expected = [(np.nan_to_num(np.clip((row.astype(np.float64) - 700.0) / 600.0, 0, 1), nan=0.0) * 255).astype(np.uint8)
                for row in pixels[:50]]
    tracemalloc.start()
    try:
        grey = display_grey(pixels, 1000.0, 600.0)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < pixels.nbytes, f"{peak / 1e6:.0f} MB for a {pixels.nbytes / 1e6:.0f} MB radiograph"
    assert grey.dtype == np.uint8 and grey.shape == pixels.shape and np.array_equal(grey[:50], np.array(expected))


def test_the_csv_lists_joints_in_anatomical_order_and_the_wrist_boxes_as_one_row(study, tmp_path):
    from jsnviewer.pipeline.report import write_csv

    rows = read_csv(write_csv(tmp_path / "results.csv", make_result(study)))
    assert [r["identity"] for r in rows] == list(JOINT_IDENTITIES) + ["MCP5", ""]
    assert rows[-2]["reliability_reasons"] == "follow-up: a second box named MCP5; the stronger one was kept"
    assert rows[-1]["reliability_reasons"].startswith(
        "7 boxes (4 on the baseline and 3 on the follow-up) fit no finger joint of the hand")
    assert not any("no joint identity" in r["reliability_reasons"] for r in rows)
    # a spreadsheet's filter on reliable = no counts the unreliable values, not the joints that have none
    assert [r["status"] for r in rows[-2:]] == ["not measured"] * 2 and {r["reliable"] for r in rows[-2:]} == {""}
    assert {r["status"] for r in rows[:-2]} == {"measured"}
    assert sum(r["reliable"] == "no" for r in rows) == 2  # PIP2 and MCP4
    dip2 = next(r for r in rows if r["identity"] == "DIP2")
    assert dip2["jsn_mm"] == "0.2010"  # a plain number for spreadsheets: no "+"


# 5. results.json names the program


def test_results_json_names_the_program_beside_its_models(study):
    from jsnviewer import __version__

    data = json.loads(json.dumps(make_result(study).to_json()))
    assert data["program"] == {"name": "jsnviewer", "version": __version__}
    assert data["settings"]["models"]["segmenter"]["sha256"] == "3f1c0e9a7b2d4c61"


def test_the_weights_that_made_results_are_said_in_a_readers_words(monkeypatch):
    """What the window's results panel says of the weights (their files and SHA-256 are its tooltip's)."""
    from jsnviewer.pipeline.provenance import weights_in_words

    monkeypatch.setenv("JSNVIEWER_MODELS", "/opt/jsnviewer/models")
    shipped = {name: f"/opt/jsnviewer/models/{name}.pt" for name in ("segmenter", "detector_ankylosis")}
    run = "/data/clinic/retrained/2024-05-02_140312"
    assert weights_in_words(shipped) == "the shipped models"
    assert weights_in_words({name: f"{run}/{name}.pt" for name in shipped}) == \
        "weights retrained on 2024-05-02 14:03 from the dataset folder “clinic”"
    assert weights_in_words({**shipped, "segmenter": f"{run}/segmenter.pt", "registration": "/home/u/reg.pt"}) == (
        "weights retrained on 2024-05-02 14:03 from the dataset folder “clinic” (bone segmenter), the weights file reg.pt "
        "(registration network) and the shipped models for the rest")
    # a folder the user named "dataset" read "from the dataset dataset"
    assert weights_in_words({"segmenter": "/data/dataset/retrained/2024-05-02_140312/segmenter.pt"}) == \
        "weights retrained on 2024-05-02 14:03 from the dataset folder “dataset”"


# 2-5, 8, 9: the PDF/PNG report


class Painted:
    """What a report painted: each text with its printed size in points, colour, boldness and rectangle."""

    def __init__(self):
        self.texts: list[dict] = []

    def record(self, painter, rect, flags, text) -> None:
        from PySide6.QtGui import QFontMetricsF

        font = painter.font()
        scale = painter.worldTransform().m22()
        dpi = painter.device().logicalDpiY()
        points = font.pixelSize() * scale * 72 / dpi if font.pixelSize() > 0 else font.pointSizeF() * scale
        metrics = QFontMetricsF(font)
        needed = metrics.boundingRect(rect, int(flags), text).height()
        self.texts.append({"text": text, "points": points, "bold": font.bold(), "colour": painter.pen().color().name(),
                           "rect": rect, "fits": needed <= rect.height() + 0.5,
                           "one_line": all(metrics.horizontalAdvance(line) <= rect.width() for line in text.split("\n"))})

    def joined(self) -> str:
        return "\n".join(t["text"] for t in self.texts)


@pytest.fixture
def report(qapp, study, tmp_path, monkeypatch):
    """`report(result, suffix)`: write the report and return what it painted."""
    from PySide6.QtCore import QRectF
    from PySide6.QtGui import QPainter

    from jsnviewer.gui.report_export import write_report

    def run(result, suffix=".pdf") -> Painted:
        painted = Painted()
        real = QPainter.drawText

        def draw_text(self, *args):
            if len(args) >= 3 and isinstance(args[0], QRectF):
                painted.record(self, *args[:3])
            return real(self, *args)

        monkeypatch.setattr(QPainter, "drawText", draw_text)
        try:
            path = write_report(tmp_path / f"report{suffix}", result, study.baseline, study.followup)
        finally:
            monkeypatch.setattr(QPainter, "drawText", real)
        assert path.stat().st_size > 10_000
        return painted

    return run


def test_the_pdf_report_prints_every_text_at_8_pt_or_more(report, study):
    painted = report(make_result(study, [WRONG_PATIENT]))
    sizes = sorted({round(t["points"], 1) for t in painted.texts})
    assert sizes[0] >= 8.0, sizes  # rounded: the PDF scale is whole device pixels
    table = [t for t in painted.texts if t["text"] in ("PIP3", "MCP1")]
    assert table and all(round(t["points"], 1) >= 9.0 for t in table)  # the results table


def test_the_report_names_both_visits_and_puts_a_failed_pair_check_first_in_large_type(report, study):
    painted = report(make_result(study, [WRONG_PATIENT, REVERSED], followup_id="OTHER-0042"))
    texts = painted.joined()
    for value in ("PHANTOM-7", "OTHER-0042", "2019-01-28", "2015-01-01"):
        assert value in texts
    assert texts.count("right hand") >= 2  # the hand of each visit
    banner = [t for t in painted.texts if "CHECK THE PAIR" in t["text"].upper()]
    assert banner and banner[0]["points"] >= 13 and banner[0]["bold"] and banner[0]["colour"] == "#ffffff"
    first_number = next(n for n, t in enumerate(painted.texts) if t["text"].endswith(" mm"))
    assert painted.texts.index(banner[0]) < first_number  # read before any number
    for warning in (WRONG_PATIENT, REVERSED):
        shown = [t for t in painted.texts if t["text"] == warning]
        assert shown and shown[0]["points"] >= 10 and shown[0]["colour"] == "#ffffff"
    assert "DOE" not in texts


def test_the_report_shows_the_reasons_for_an_unreliable_joint_in_full(report, study):
    painted = report(make_result(study), ".png")
    from jsnviewer.registration.result import reasons_said

    reasons = [t for t in painted.texts if t["text"] == "\n".join(reasons_said([LONG_REASON]))]
    assert len(reasons) == 2  # PIP2 and MCP4, not elided
    assert all(t["fits"] for t in painted.texts), [t["text"] for t in painted.texts if not t["fits"]]
    assert "…" not in painted.joined()


def test_the_report_names_the_program_and_the_model_files(report, study, monkeypatch):
    from jsnviewer import __version__

    monkeypatch.setenv("JSNVIEWER_MODELS", "/opt/jsnviewer/models")  # where MODELS' segmenter.pt is shipped
    texts = report(make_result(study)).joined()
    assert f"jsnviewer {__version__}, analysed with the weights file retrained.pt (registration network) and the " \
           "shipped models for the rest" in texts  # what the window's Results panel says of them
    assert "not a certified medical device" in texts  # a signed report says what the numbers are for
    assert "segmenter.pt (SHA-256 3f1c0e9a7b2d4c61)" in texts
    assert "registration = retrained.pt (SHA-256 cf4b8115b1269d29)" in texts


def test_the_reports_settings_are_named_in_the_settings_dialogs_words_not_the_papers_codes_alone(report, study):
    from jsnviewer.detection.thresholds import Thresholds
    from jsnviewer.pipeline.analyze import AnalysisSettings

    result = make_result(study)
    result.settings = dict(AnalysisSettings(thresholds=Thresholds(conf=0.8, m2=16)).to_json(), device="cuda",
                           models=MODELS)
    notes = [t for t in report(result).texts if "Settings" in t["text"]]
    assert len(notes) == 1 and round(notes[0]["points"], 1) < 9.0  # a note, in the notes' small type
    assert ("Settings: registration by quick first match (network) + fine sub-pixel match (default), run on GPU "
            "(CUDA); detection confidence (t_conf) 0.8; overlap that removes a box (t_IoU1) 0.15; most joints per "
            "hand, ankylosis detector and merged (M1) 20; most joints per hand, subluxation detector (M2) 16; overlap "
            "that merges two boxes (t_IoU2) 0.45.") in notes[0]["text"]


def test_the_report_lists_joints_in_anatomical_order_with_signed_jsn_and_the_wrist_boxes_as_one_line(report, study):
    painted = report(make_result(study))
    names = [t["text"] for t in painted.texts if t["text"] in JOINT_IDENTITIES]
    assert names[:len(JOINT_IDENTITIES)] == list(JOINT_IDENTITIES)
    texts = painted.joined()
    assert "+0.201 mm" in texts
    assert "followup" not in texts.lower().replace("follow-up", "")
    assert "no joint identity" not in texts
    assert texts.count("7 boxes (4 on the baseline and 3 on the follow-up) fit no finger joint") == 1
    # the grey they are drawn in is on the overview's page, not beside these words
    assert "fit no finger joint of the hand (often the wrist)" in texts and "grey;" not in texts
    assert "MCP5 (follow-up): a second box named MCP5" in texts


def test_a_reason_every_joint_gives_is_said_once_under_the_table_not_on_each_row(report, study):
    from jsnviewer.pipeline.analyze import OTHER_HAND

    result = make_result(study, laterality="L")
    for joint in result.joints:
        joint.registration.reasons.append(OTHER_HAND)
    texts = report(result).joined()
    seen, _, todo = OTHER_HAND.rpartition(": ")
    assert texts.count(seen) == 1 and texts.count(todo) == 1
    assert f"Every joint:\n• {seen}\nWhat to do: {todo}." in texts
    assert texts.count(LONG_REASON.rpartition(": ")[0]) == 2  # PIP2's and MCP4's own reason stays on their rows
    assert texts.count("see below the table") == len(JOINT_IDENTITIES) - 2


# 10. colour-blind readers (8 % of men confuse red and green) and text that reads in a dim room


STYLE_BACKGROUNDS = ("background", "alternate-background-color")


def _table_backgrounds() -> list[tuple[int, int, int]]:
    """The results and Joints tables' row colours, from the dark theme's style sheet."""
    import re
    from pathlib import Path

    style = (Path(__file__).parents[1] / "resources" / "style.qss").read_text()
    rule = re.search(r"QTableWidget\s*\{([^}]*)\}", style).group(1)
    found = [re.search(rf"(?<![-\w]){name}:\s*#([0-9a-fA-F]{{6}})", rule).group(1) for name in STYLE_BACKGROUNDS]
    return [tuple(int(h[i:i + 2], 16) for i in (0, 2, 4)) for h in found]


@pytest.mark.parametrize("vision", ["normal", "deuteranopia", "protanopia"])
def test_the_finding_colours_stay_apart_for_red_green_colour_blind_readers(vision):
    from colour_vision import delta_e, luminance, seen_by
    from jsnviewer.pipeline.overview import COLOURS, NOT_ASSESSED_COLOUR, UNPAIRED_COLOUR

    seen = {name: seen_by(rgb, vision) for name, rgb in
            {**COLOURS, "not measured": UNPAIRED_COLOUR, "not assessed": NOT_ASSESSED_COLOUR}.items()}
    names = list(seen)
    for n, a in enumerate(names):
        for b in names[n + 1:]:
            assert delta_e(seen[a], seen[b]) >= 25, f"{a} and {b} look alike ({vision})"
    # a joint with both findings must not pass for one with none: a step of lightness, not hue alone
    lighter, darker = sorted((luminance(seen["both"]), luminance(seen["none"])), reverse=True)
    assert (lighter + 0.05) / (darker + 0.05) >= 1.5


def test_the_finding_colours_read_at_wcag_aa_as_text_on_the_dark_tables():
    from colour_vision import contrast
    from jsnviewer.pipeline.overview import COLOURS

    for background in _table_backgrounds():
        for name, rgb in COLOURS.items():
            assert contrast(rgb, background) >= 4.5, f"{name} on {background}"


def test_overview_labels_name_the_findings_so_they_are_not_told_by_colour_alone(study, monkeypatch):
    """In the window's words: overview.png and the report's overview page said "DIP5 A" where the window's box and
    the rest of the report say "DIP5 ank"."""
    from jsnviewer.pipeline.overview import overview_image

    texts: list[str] = []
    for method in ("text", "multiline_text"):
        real = getattr(ImageDraw.ImageDraw, method)
        monkeypatch.setattr(ImageDraw.ImageDraw, method,
                            lambda self, xy, text, *a, _real=real, **k: (texts.append(text), _real(self, xy, text, *a, **k))[1])
    result = make_result(study)
    overview_image(result, study.baseline, study.followup, max_height=700)
    firsts = [t.split("\n")[0] for t in texts]
    words = {"ankylosis": "ank", "subluxation": "sub"}  # as the window's boxes and the report's pages say them
    for joint in result.joints:
        for visit in ("baseline", "followup"):
            flags = [words[name] for name in FINDINGS if getattr(joint, visit).findings.get(name)]
            assert " ".join([joint.identity, *flags]) in firsts, (joint.identity, visit)
    assert any(getattr(j, v).findings.get("ankylosis") for j in result.joints for v in ("baseline", "followup"))
    assert {"ank = ankylosis", "sub = subluxation", "ank sub = both"} <= set(texts)



def test_overview_names_a_joint_found_on_one_visit_only_and_leaves_the_wrists_boxes_unnamed(study, monkeypatch):
    """The report's reader saw a grey box on the follow-up and "MCP5 (follow-up): ... not measured" in the text,
    with nothing on the picture to say which box that was (the window names it). Its label says it now; the
    wrist's boxes, which fit no finger joint, stay unnamed."""
    from jsnviewer.pipeline.overview import UNPAIRED_COLOUR, overview_image

    labels: list[tuple[str, tuple]] = []
    real = ImageDraw.ImageDraw.multiline_text
    monkeypatch.setattr(ImageDraw.ImageDraw, "multiline_text", lambda self, xy, text, *a, **k: (
        labels.append((text, k.get("fill"))), real(self, xy, text, *a, **k))[1])
    result = make_result(study)
    named = [u for u in result.unpaired if u.identity is not None]
    assert [(u.identity, u.visit) for u in named] == [("MCP5", "followup")]
    assert len(result.unpaired) > len(named)  # and the wrist's boxes
    overview_image(result, study.baseline, study.followup, max_height=700)
    unmeasured = [(text, fill) for text, fill in labels if "not measured" in text]
    assert unmeasured == [("MCP5\nnot measured", UNPAIRED_COLOUR)]


def test_overview_draws_a_visit_whose_findings_were_not_assessed_in_its_own_colour_and_names_it(study, monkeypatch):
    """A picture that may be no hand has its findings "not assessed": its boxes were drawn in the blue of "no finding",
    which said the opposite. They are drawn in their own colour, which the legend names; a hand's overview keeps
    its legend as it was."""
    from jsnviewer.pipeline.overview import COLOURS, NOT_ASSESSED_COLOUR, finding_colour, overview_image

    drawn: list[tuple] = []
    texts: list[str] = []
    real_rectangle, real_text = ImageDraw.ImageDraw.rectangle, ImageDraw.ImageDraw.text
    monkeypatch.setattr(ImageDraw.ImageDraw, "rectangle",
                        lambda self, xy, *a, **k: (drawn.append(k.get("outline")), real_rectangle(self, xy, *a, **k))[1])
    monkeypatch.setattr(ImageDraw.ImageDraw, "text",
                        lambda self, xy, text, *a, **k: (texts.append(text), real_text(self, xy, text, *a, **k))[1])
    result = make_result(study)
    overview_image(result, study.baseline, study.followup, max_height=600)
    assert NOT_ASSESSED_COLOUR not in drawn and "findings not assessed" not in texts

    why = "the follow-up may not be a hand radiograph"
    unassessed = dataclasses.replace(result, joints=[
        dataclasses.replace(j, followup=JointDetectionInfo(j.followup.box, {}, {}, j.followup.score, why))
        for j in result.joints])
    drawn.clear()
    overview_image(unassessed, study.baseline, study.followup, max_height=600)
    joints = len(result.joints)
    # each joint once on each visit (its box), the follow-up's in the not-assessed colour, never in "no finding"'s
    assert drawn.count(NOT_ASSESSED_COLOUR) >= joints + 1  # the boxes and the legend's key
    baseline_none = sum(finding_colour(j.baseline.findings) == COLOURS["none"] for j in result.joints)
    assert drawn.count(COLOURS["none"]) == baseline_none + 1  # the baseline's boxes of no finding and the legend's key
    assert "findings not assessed" in texts


# 11. a flagged value says why and what to do, in one wording, and never travels without its flag


def _three_failures_and_a_turn() -> list[str]:
    """What `verdict` says of a registration that failed three ways and whose JSN rests on a turn."""
    from jsnviewer.registration.result import ReliabilityRule, verdict

    registration = JointRegistration("refined", BoneTransform(), BoneTransform(), PIXEL_MM, 0.03, 0.04,
                                     network_upper=BoneTransform(dx=9.0), network_lower=BoneTransform(dx=9.0),
                                     turn_check_px=-1.5)
    return verdict(registration, ReliabilityRule(), converged=False)


def test_the_csv_and_the_batch_summary_give_a_flagged_joints_reasons_with_each_advice_once(study, tmp_path):
    from jsnviewer.pipeline.batch import result_rows
    from jsnviewer.pipeline.report import write_csv
    from jsnviewer.registration.result import reasons_in_one_line

    result = make_result(study)
    result.joint("MCP3").registration.reasons = _three_failures_and_a_turn()
    said = reasons_in_one_line(result.joint("MCP3").registration.reasons)
    row = next(r for r in read_csv(write_csv(tmp_path / "results.csv", result)) if r["identity"] == "MCP3")
    assert (row["reliable"], row["reliability_reasons"]) == ("no", said)
    assert said.count("check the joint's boxes and bone outlines") == 1 and said.endswith("judge this joint by eye")
    # summary.csv of `jsnviewer batch`: a flagged joint's row says why, in the same words
    summary = next(r for r in result_rows("s1", "s1", result, []) if r.get("identity") == "MCP3")
    assert (summary["status"], summary["reliable"], summary["reason"]) == ("measured", "no", said)


def test_a_flagged_joints_reasons_are_a_line_each_in_mm_in_the_report_and_in_mm_in_the_csv(report, study, tmp_path):
    """The report's Notes ran one 7-line sentence of merged reasons in "crop px", a unit the report never explains:
    with the pixel size known, its Notes give a reason a line, then what to do once, and lengths in mm (the CSV
    too)."""
    from jsnviewer.pipeline.report import write_csv

    result = make_result(study)
    result.joint("MCP3").registration.reasons = _three_failures_and_a_turn()
    notes = [t["text"] for t in report(result).texts if "tilt is not pinned down" in t["text"]]
    assert len(notes) == 1
    lines = notes[0].split("\n")
    assert [line[:2] for line in lines] == ["• "] * 5 + ["Wh"]  # a reason a line, what to do once at the end
    assert lines[-1] == ("What to do: check the joint's boxes and bone outlines, correct them and analyse again; "
                         "judge this joint by eye.")
    assert "1.57 mm apart" in lines[1] and "1.57 mm apart" in lines[2] and "moves JSN by -0.26 mm" in lines[4]
    row = next(r for r in read_csv(write_csv(tmp_path / "results.csv", result)) if r["identity"] == "MCP3")
    assert "1.57 mm apart" in row["reliability_reasons"] and "moves JSN by -0.26 mm" in row["reliability_reasons"]
    assert "crop px" not in notes[0] + row["reliability_reasons"]


def test_the_report_marks_a_flagged_jsn_and_says_what_the_flag_means(report, study):
    result = make_result(study)
    texts = report(result).joined()
    for identity in ("PIP2", "MCP4"):  # the flagged ones: both JSN cells carry the mark
        joint = result.joint(identity)
        assert f"{joint.jsn_text(3, 2)} ?" in texts
    assert f"{result.joint('MCP3').jsn_text(3, 2)} ?" not in texts
    assert "Not reliable: do not use this value".lower() in texts.lower()


def test_without_a_pixel_size_the_report_gives_jsn_in_px_once_not_beside_an_empty_column(report, study):
    """A JPEG pair's report had its px values in the JSN column and an empty "JSN in px" column beside it,
    which read as a value missing."""
    result = make_result(study)
    for joint in result.joints:
        joint.registration.pixel_size_mm = None
    painted = report(result)
    headers = [t["text"] for t in painted.texts if t["bold"]]
    assert "JSN" in headers and "JSN in px" not in headers
    texts = painted.joined()
    for identity in ("DIP2", "MCP3"):
        assert result.joint(identity).jsn_text(3, 2) in texts and "px" in result.joint(identity).jsn_text(3, 2)
    with_mm = [t["text"] for t in report(make_result(study)).texts if t["bold"]]
    assert "JSN in px" in with_mm


def test_a_picture_of_a_radiograph_with_a_pixel_that_is_no_number_is_not_black():
    """The joint pictures and the overview took their grey levels from percentiles of every pixel: one NaN (a
    float DICOM's gap) made them NaN and the whole picture black."""
    from jsnviewer.pipeline.overview import display_grey

    ramp = np.tile(np.linspace(0.0, 1000.0, 64), (16, 1))
    ramp[3, 5] = np.nan
    grey = display_grey(ramp)
    assert grey[0, 0] == 0 and grey[0, -1] == 255 and 120 < grey[0, 32] < 135 and grey[3, 5] == 0
    windowed = display_grey(ramp, centre=250.0, width=500.0)  # the radiograph's own window: 0 … 500
    assert windowed[0, 0] == 0 and windowed[0, 16] == int(ramp[0, 16] / 500 * 255) and windowed[0, 40] == 255


def test_the_reports_identity_table_keeps_a_hand_and_a_file_name_on_one_line_where_the_page_has_room(report, study):
    """"right hand (from the joints)" wrapped onto two lines in the Hand column (110 pt) while the File column beside
    it had room to spare: the columns share the page's width by what they hold."""
    result = make_result(study)
    baseline, followup = (dataclasses.replace(visit, laterality="R", laterality_from_joints=True, file_name=name)
                          for visit, name in ((result.baseline, "UAB001-RH.jpg"), (result.followup, "UAB001-RH-2021.jpg")))
    painted = report(dataclasses.replace(result, baseline=baseline, followup=followup))
    for text in ("right hand (from the joints)", "UAB001-RH.jpg", "UAB001-RH-2021.jpg", "PHANTOM-7", "Hand", "File"):
        cells = [t for t in painted.texts if t["text"] == text]
        assert cells and all(t["one_line"] for t in cells), text
    assert len([t for t in painted.texts if t["text"] == "right hand (from the joints)"]) == 2  # both visits


@pytest.mark.parametrize("warnings", [0, 13])
def test_the_reports_last_few_lines_go_above_the_overview_not_on_a_page_of_their_own(qapp, study, warnings):
    """A report had a page holding only its last note (or a few lines) between the table's pages and the overview's;
    they go above the picture now, which keeps at least nine tenths of its size there."""
    from PySide6.QtGui import QImage

    from jsnviewer.gui.report_export import PT, _Report
    from jsnviewer.pipeline.report import INTENDED_USE

    result = make_result(study, [f"Warning {n}: the pair is not as expected." for n in range(warnings)])
    report = _Report(result, QImage(1600, 800, QImage.Format_RGB32))
    for number, page in enumerate(report.pages[1:-1], 1):
        lines_only = all(block.header is None for block in page)  # no table row
        assert not lines_only or sum(b.height for b in page) > 0.15 * report.space(number), f"page {number + 1}"
    overview_page = report.pages[-1]
    assert overview_page[-1].new_page and overview_page[-1].height >= 0.9 * report.blocks[-1].height
    assert len(overview_page) > 1  # the lines that spilled, above the picture

    painted: list[str] = []
    from PySide6.QtGui import QPainter

    class Recording(QPainter):
        def drawText(self, *args):
            painted.append(args[2] if len(args) > 2 else "")
            return super().drawText(*args)

    image = QImage(842, 595, QImage.Format_RGB32)
    painter = Recording(image)
    painter.scale(1 / PT, 1 / PT)
    report.paint_page(painter, len(report.pages) - 1)
    painter.end()
    assert INTENDED_USE in painted  # the last note, on the overview's page


def test_the_reports_identity_table_marks_in_red_what_the_follow_up_contradicts(study):
    """The report's table of whose radiographs these are shows in red the follow-up values the pair warnings name:
    another patient, dated before the baseline, the other hand; nothing where the two agree."""
    from jsnviewer.gui.report_export import WARNING, _identity_rows

    baseline_row, followup_row = _identity_rows(make_result(study))
    assert [cell.colour == WARNING for cell in baseline_row + followup_row] == [False] * 10
    other_hand = "R" if study.truth.laterality == "L" else "L"
    result = make_result(study, followup_id="OTHER-0042", laterality=other_hand)
    result = dataclasses.replace(result, followup=dataclasses.replace(result.followup, study_date="1999-01-01"))
    baseline_row, followup_row = _identity_rows(result)
    assert [cell.colour == WARNING for cell in followup_row] == [False, True, True, True, False]
    assert [cell.colour == WARNING for cell in baseline_row] == [False] * 5


def test_a_hand_the_reader_named_is_reported_as_named_by_the_reader_not_as_stated_by_the_file(study, monkeypatch):
    """A picture that does not say which hand it shows, named a right hand in the window: the report and overview.png
    say so, and results.json keeps it, so that nobody takes it for what the file states."""
    from jsnviewer.gui.report_export import _identity_rows
    from jsnviewer.pipeline.overview import overview_image
    from jsnviewer.pipeline.result import VisitInfo

    named = dataclasses.replace(study.followup, identity=dataclasses.replace(
        study.followup.identity, laterality="R", laterality_by_reader=True))
    result = make_result(study)
    result = dataclasses.replace(result, followup=VisitInfo.of(named))
    baseline_row, followup_row = _identity_rows(result)
    assert followup_row[3].text == "right hand (named by the reader)"
    assert "(named by the reader)" not in baseline_row[3].text
    assert result.to_json()["followup"]["laterality_by_reader"] is True
    assert result.to_json()["baseline"]["laterality_by_reader"] is False
    drawn: list[str] = []
    real = ImageDraw.ImageDraw.text
    monkeypatch.setattr(ImageDraw.ImageDraw, "text", lambda self, xy, text, *a, **k: drawn.append(text) or
                        real(self, xy, text, *a, **k))
    overview_image(result, study.baseline, study.followup, max_height=700)
    assert any(" · right hand (named by the reader) · " in text for text in drawn)


@pytest.mark.parametrize("suffix", [".pdf", ".png"])
def test_a_report_that_finds_the_disk_full_keeps_the_earlier_one_and_says_why(qapp, study, tmp_path, monkeypatch,
                                                                              suffix):
    """A PDF cut short by a full disk was moved over the earlier report, and the window said "Written"."""
    import errno
    import os
    from pathlib import Path

    from jsnviewer.errors import describe
    from jsnviewer.gui.report_export import write_report

    result = make_result(study)
    earlier = write_report(tmp_path / f"report{suffix}", result, study.baseline, study.followup)
    kept = earlier.read_bytes()
    if suffix == ".pdf":
        assert kept.startswith(b"%PDF") and kept.rstrip().endswith(b"%%EOF")  # whole
    else:
        assert kept.startswith(b"\x89PNG") and kept.endswith(b"IEND\xaeB`\x82")

    def disk_full(self, data):
        with open(self, "wb") as fh:
            fh.write(data[: len(data) // 3])
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))  # as a write to a full disk: no file named

    monkeypatch.setattr(Path, "write_bytes", disk_full)
    with pytest.raises(OSError) as caught:
        write_report(earlier, result, study.baseline, study.followup)
    assert describe(caught.value) == f"{os.strerror(errno.ENOSPC)} ({earlier})"
    assert earlier.read_bytes() == kept
    assert [p.name for p in tmp_path.iterdir()] == [earlier.name]  # no half-written file left beside it


def test_an_exports_proposed_name_has_the_patient_id_and_the_study_dates_said_plainly_where_unknown(study):
    from jsnviewer.pipeline.report import study_file_name

    result = make_result(study)
    b, f = result.baseline, result.followup
    assert study_file_name(result, "jsn-report") == f"jsn-report_{b.patient_id}_{b.study_date}_{f.study_date}"
    assert "DOE" not in study_file_name(result, "jsn-report")  # never the patient's name

    def named(baseline: dict, followup: dict) -> str:
        return study_file_name(dataclasses.replace(result, baseline=dataclasses.replace(b, **baseline),
                                                   followup=dataclasses.replace(f, **followup)), "jsn-report")

    assert named({"patient_id": "AB/12 3"}, {"patient_id": "AB/12 3"}) == f"jsn-report_AB_12_3_{b.study_date}_{f.study_date}"  # one file name
    assert named({"patient_id": None}, {"patient_id": None}) == f"jsn-report_{b.study_date}_{f.study_date}"
    assert named({"patient_id": None}, {}) == f"jsn-report_{f.patient_id}_{b.study_date}_{f.study_date}"
    assert named({"study_date": None}, {}) == f"jsn-report_{b.patient_id}_undated_{f.study_date}"
    assert named({"study_date": None, "patient_id": None}, {"study_date": None, "patient_id": None}) == "jsn-report"
    assert named({"patient_id": "P1"}, {"patient_id": "P2"}) == f"jsn-report_P1_P2_{b.study_date}_{f.study_date}"


def test_the_jsn_value_and_its_reliable_verdict_stand_apart_in_the_report(report, study):
    """A JPEG pair's rows read "+2.49 px ? no" with one space between the right-aligned value and the verdict beside
    it: the "?" of the value seemed to belong to the "no"."""
    result = make_result(study)
    for with_mm in (True, False):
        if not with_mm:
            for joint in result.joints:
                joint.registration.pixel_size_mm = None
        painted = report(result)
        header = {t["text"]: t["rect"] for t in painted.texts if t["bold"] and t["text"] in ("JSN", "JSN in px", "Reliable")}
        value = header["JSN in px" if with_mm else "JSN"]
        gap_points = (header["Reliable"].left() - value.right()) / 10  # layout units: a tenth of a point
        assert gap_points >= 9, gap_points  # an em of the table's 9 pt type
