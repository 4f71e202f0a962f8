"""The follow-up analysis end to end, with the shipped models, on a synthetic study with exact truth."""

import csv
import json
import os
import time

import numpy as np
import pytest

from jsnviewer.weights import models_dir

MODEL_FILES = ["segmenter.pt", "registration.pt", "detector_ankylosis.pt", "detector_subluxation.pt", "joint_findings.pt"]
pytestmark = pytest.mark.skipif(not all((models_dir() / f).is_file() for f in MODEL_FILES),
                                reason="the shipped weights are not in models/")


@pytest.fixture(scope="module")
def models():
    from jsnviewer.pipeline.analyze import AnalysisModels, AnalysisSettings

    return AnalysisModels.load(AnalysisSettings(device="cpu"))


@pytest.fixture(scope="module")
def analysed(models):
    from jsnviewer.phantom import generate_study
    from jsnviewer.pipeline.analyze import analyze

    study = generate_study(8_100_001)
    stages = []
    result = analyze(study.baseline, study.followup, models, progress=lambda f, s: stages.append((f, s)))
    return study, result, stages


def test_joints_are_paired_by_identity_and_jsn_matches_the_truth(analysed):
    study, result, _ = analysed
    expected = {j.identity for j in study.truth.baseline.joints}
    found = {j.identity for j in result.joints}
    assert len(found & expected) >= 12, f"paired only {sorted(found)}"
    errors = [abs(j.jsn_mm - study.truth.changes[j.identity].jsn_mm) for j in result.joints if j.reliable]
    assert len(errors) >= 10
    assert np.median(errors) < 0.03, errors  # a fifth of a pixel at 0.175 mm
    for joint in result.joints:  # the detected boxes sit on the true joints
        truth = study.truth.baseline.joint(joint.identity)
        assert np.hypot(joint.baseline.box[0] - truth.box[0], joint.baseline.box[1] - truth.box[1]) < truth.box[2] / 3



def test_one_radiograph_alone_has_its_joints_and_findings_found(models):
    from jsnviewer.phantom import generate_study
    from jsnviewer.pipeline.analyze import find_joints

    study = generate_study(8_100_001)
    stages = []
    found = find_joints(study.followup, models, progress=lambda f, s: stages.append(s))
    named = {d.identity: d for d in found if d.identity}
    truth = {j.identity: j for j in study.truth.followup.joints}
    assert len(set(named) & set(truth)) >= 12, f"found only {sorted(named)}"
    for identity in set(named) & set(truth):  # on the true joints
        box, true_box = named[identity].box, truth[identity].box
        assert np.hypot(box[0] - true_box[0], box[1] - true_box[1]) < true_box[2] / 3
    assert stages and stages[-1] == "Finding joints"


def test_jsn_in_px_is_in_pixels_of_the_baseline_radiograph_for_every_joint(analysed):
    """A px figure means the same on every joint: the radiograph's pixels, not the joint crop's (whose size
    follows the joint's), so px times the pixel size is the mm figure."""
    study, result, _ = analysed
    for joint in result.joints:
        assert joint.jsn_px * study.baseline.pixel_size_mm == pytest.approx(joint.jsn_mm, abs=1e-9)
        assert joint.jsn_crop_px == joint.registration.jsn_px
    scales = {round(joint.crops.baseline_frame.scale, 3) for joint in result.joints}
    assert len(scales) > 1  # the crops' pixels do differ between joints


def test_progress_runs_from_zero_to_one_in_order(analysed):
    _, _, stages = analysed
    fractions = [f for f, _ in stages]
    assert fractions[0] == 0.0 and fractions[-1] == 1.0
    assert fractions == sorted(fractions)
    assert any(s.startswith("Registering") for _, s in stages)


def test_a_progress_hook_that_raises_cancels_the_analysis(models):
    from jsnviewer.phantom import generate_study
    from jsnviewer.pipeline.analyze import analyze

    class Cancelled(Exception):
        pass

    def cancel_at_registration(fraction, stage):
        if stage.startswith("Splitting"):
            raise Cancelled

    study = generate_study(8_100_002)
    with pytest.raises(Cancelled):
        analyze(study.baseline, study.followup, models, progress=cancel_at_registration)


def test_the_joint_search_reports_progress_as_it_goes_and_can_be_cancelled_midway(models):
    """Cancel takes effect while the baseline is still being scanned, not only after it."""
    from jsnviewer.phantom import generate_study
    from jsnviewer.pipeline.analyze import analyze

    class Cancelled(Exception):
        pass

    seen = []

    def cancel_halfway_through_the_baseline(fraction, stage):
        seen.append((fraction, stage))
        if stage == "Finding joints on the baseline" and fraction > 0.15:
            raise Cancelled

    study = generate_study(8_100_002)
    with pytest.raises(Cancelled):
        analyze(study.baseline, study.followup, models, progress=cancel_halfway_through_the_baseline)
    during = [f for f, s in seen if s == "Finding joints on the baseline"]
    assert len(during) >= 4 and during == sorted(during)
    assert seen[-1][0] < 0.32  # the follow-up was never started


def test_results_files_hold_every_joint(analysed, tmp_path):
    from jsnviewer.pipeline.report import write_results

    study, result, _ = analysed
    paths = write_results(tmp_path, result, study.baseline, study.followup)
    data = json.loads(paths["json"].read_text())
    assert data["version"] == 1 and "narrowing is negative" in data["jsn_convention"]
    assert [j["identity"] for j in data["joints"]] == [j.identity for j in result.joints]
    first = data["joints"][0]
    assert first["jsn_mm"] == pytest.approx(result.joints[0].jsn_mm)
    assert set(first["registration"]) >= {"P0", "P1", "original_loss", "transformed_loss"}
    assert "patient_name" not in json.dumps(data)
    rows = list(csv.DictReader(paths["csv"].open()))
    named = [u for u in result.unpaired if u.identity is not None]
    unnamed = len(named) < len(result.unpaired)  # the boxes that fit no finger joint: one row for all
    assert len(rows) == len(result.joints) + len(named) + unnamed
    assert {r["reliable"] for r in rows if r["status"] == "measured"} <= {"yes", "no"}
    assert {r["reliable"] for r in rows if r["status"] == "not measured"} <= {""}
    from PIL import Image

    overview = Image.open(paths["overview"])
    assert overview.width > overview.height  # the two radiographs side by side
    assert (tmp_path / "joints" / f"{result.joints[0].identity}_spectrum_transformed.png").is_file()


@pytest.mark.parametrize("picture, message", [
    ("flat", "no hand to analyse: the image is one flat grey level"),
    ("noise", "no hand to analyse: the image is noise"),  # the detectors found eight "joints" with subluxation in it
    ("gradient", "no finger joints were found"),
    ("silhouette", "no hand to analyse: the image is nearly all of 2 grey levels"),  # a horse's: 8 named "joints"
])
def test_an_image_without_a_hand_is_a_clear_error(models, picture, message):
    from jsnviewer.phantom import generate_study
    from jsnviewer.pipeline.analyze import NoHandToAnalyse, analyze

    study = generate_study(8_100_003)
    shape = study.followup.pixels.shape
    pixels = {"flat": lambda: np.full(shape, 300.0, np.float32),
              "noise": lambda: np.random.default_rng(1).normal(2000.0, 400.0, shape).astype(np.float32),
              "gradient": lambda: np.add.outer(np.arange(shape[0]), np.arange(shape[1])).astype(np.float32),
              "silhouette": lambda: np.where(study.followup.pixels > np.median(study.followup.pixels), 4095.0, 0.0
                                             ).astype(np.float32)}[picture]()
    no_hand = type(study.followup)(**{**vars(study.followup), "pixels": pixels})
    with pytest.raises(NoHandToAnalyse, match=message):  # said "Not analysed", not "Analysis failed"
        analyze(study.baseline, no_hand, models)


def test_a_noisy_radiograph_is_still_analysed_as_one():
    """Only pixels without any picture are refused: a hand under noise twice as strong as its own contrast is not."""
    from jsnviewer.phantom import generate_study
    from jsnviewer.radiograph.content import no_picture

    pixels = generate_study(8_100_003).baseline.pixels
    noisy = pixels + np.random.default_rng(2).normal(0.0, 2.0 * float(pixels.std()), pixels.shape)
    assert no_picture(pixels) is None and no_picture(noisy) is None


def test_a_picture_of_a_few_grey_levels_is_no_radiograph_and_a_hand_exported_in_8_bits_is_one():
    """scikit-image's checkerboard had 13 named "joints"; a radiograph's greys run continuously, even saved in 8
    bits with most of it a black border around the hand."""
    from jsnviewer.phantom import generate_study
    from jsnviewer.radiograph.content import no_picture

    squares = (np.add.outer(np.arange(400) // 50, np.arange(400) // 50) % 2) * 200.0 + 30.0
    squares[::50, :] = 80.0  # lines between the squares in two more greys, on 4 % of the pixels
    squares[:, ::50] = 150.0
    assert no_picture(squares).startswith("the image is nearly all of 3 grey levels (a silhouette, a drawing")
    hand = generate_study(8_100_003).baseline.pixels
    eight_bits = np.round((hand - hand.min()) / np.ptp(hand) * 255.0)
    bordered = np.pad(eight_bits, [(s, s) for s in eight_bits.shape])  # 8/9 of the pixels black
    assert no_picture(eight_bits) is None and no_picture(bordered) is None


def test_batch_carries_on_past_a_bad_file_and_says_why(tmp_path):
    from jsnviewer.cli.main import main
    from jsnviewer.phantom import generate_study, write_study

    write_study(tmp_path / "good", generate_study(8_100_004), format="png")
    (tmp_path / "broken.dcm").write_bytes(b"DICM" + b"\x00" * 50)
    manifest = tmp_path / "manifest.csv"
    manifest.write_text("id,baseline,follow-up\n"
                        "p1,good/baseline.png,good/followup.png\n"
                        "p2,broken.dcm,good/followup.png\n")
    assert main(["batch", str(manifest), "--out", str(tmp_path / "out"), "--quiet", "--device", "cpu"]) == 1  # one failed
    rows = list(csv.DictReader((tmp_path / "out" / "summary.csv").open()))
    bad = [r for r in rows if r["id"] == "p2"]
    assert len(bad) == 1 and bad[0]["status"] == "error" and "broken.dcm" in bad[0]["reason"]
    good = [r for r in rows if r["id"] == "p1" and r["status"] == "measured"]
    assert len(good) >= 10 and all(r["jsn_mm"] for r in good)
    assert (tmp_path / "out" / "p1" / "results.json").is_file()


def test_two_different_patients_are_analysed_with_a_warning_the_report_and_batch_carry(models, tmp_path):
    """A pair of two patients is not refused (a typo in an ID is common) but said plainly, in the
    result, results.csv's summary and the batch row."""
    import dataclasses

    from jsnviewer.cli.main import main
    from jsnviewer.phantom import generate_study, write_study
    from jsnviewer.pipeline.analyze import analyze

    study = generate_study(8_100_005)
    other = dataclasses.replace(study.followup, identity=dataclasses.replace(study.followup.identity, patient_id="SOMEONE-ELSE"))
    result = analyze(study.baseline, other, models)
    assert any("different patient IDs" in w for w in result.warnings)

    write_study(tmp_path / "s", study, format="dcm")
    from jsnviewer.radiograph import load_radiograph, save_radiograph

    save_radiograph(tmp_path / "s" / "other.dcm", dataclasses.replace(load_radiograph(tmp_path / "s" / "followup.dcm"),
                    identity=dataclasses.replace(study.followup.identity, patient_id="SOMEONE-ELSE")), "dcm")
    (tmp_path / "m.csv").write_text("id,baseline,follow-up\nx,s/baseline.dcm,s/other.dcm\n")
    assert main(["batch", str(tmp_path / "m.csv"), "--out", str(tmp_path / "out"), "--quiet", "--device", "cpu"]) == 0
    rows = list(csv.DictReader((tmp_path / "out" / "summary.csv").open()))
    assert rows and all("different patient IDs" in r["warnings"] for r in rows)


@pytest.fixture
def quick(analysed, monkeypatch):
    """`batch` and `analyze` without the models: every file "loads" as the phantom's radiograph (with
    its own path; a missing file fails as usual) and "analyses" to the phantom's result cut to two joints,
    or fails the way `fail` says for a baseline of that name."""
    import dataclasses
    from pathlib import Path

    from jsnviewer.errors import RadiographError
    from jsnviewer.pipeline import analyze as pipeline

    study, result, _ = analysed
    short = dataclasses.replace(result, joints=result.joints[:2], unpaired=[], warnings=[])
    fail: dict[str, BaseException] = {}

    def load(path):
        if not Path(path).is_file():
            raise RadiographError(path, "no such file")
        return dataclasses.replace(study.baseline, path=Path(path))

    def analyze(baseline, followup, models=None, settings=None, progress=None):
        if baseline.path.name in fail:
            raise fail[baseline.path.name]
        return dataclasses.replace(short, warnings=[])

    monkeypatch.setattr("jsnviewer.radiograph.load_radiograph", load)
    monkeypatch.setattr(pipeline, "analyze", analyze)
    monkeypatch.setattr(pipeline.AnalysisModels, "load", staticmethod(lambda settings: None))
    return fail


def _batch(tmp_path, lines: list[str], encoding: str = "utf-8") -> tuple[int, list[dict]]:
    from jsnviewer.cli.main import main

    for line in lines:
        for name in line.split(",")[1:]:
            (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / name).write_bytes(b"x")
    (tmp_path / "m.csv").write_bytes("\n".join(["id,baseline,follow-up", *lines, ""]).encode(encoding))
    code = main(["batch", str(tmp_path / "m.csv"), "--out", str(tmp_path / "out"), "--quiet"])
    summary = tmp_path / "out" / "summary.csv"
    return code, list(csv.DictReader(summary.open(encoding="utf-8"))) if summary.is_file() else []


def test_batch_goes_on_past_any_failure_of_one_study_and_exits_1(quick, tmp_path, monkeypatch, capsys):
    """An unexpected error, running out of memory or a full disk in one study is that study's error
    row; the later studies are analysed, summary.csv is written and the exit status says one failed."""
    import errno

    from jsnviewer.pipeline import report

    quick["s2.png"] = RuntimeError("DefaultCPUAllocator: you tried to allocate 244481590204 bytes")
    quick["s3.png"] = MemoryError()
    pictures = report.write_joint_pictures

    def full_disk(folder, result):
        pictures(folder, result)  # everything written, then the disk fills: nothing of it may stay
        if folder.parent.parent.name == "S4":
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(report, "write_joint_pictures", full_disk)
    code, rows = _batch(tmp_path, [f"S{n},s{n}.png,f.png" for n in range(1, 6)])
    assert code == 1
    by_id = {r["id"]: r for r in rows if r["status"] == "error"}
    assert set(by_id) == {"S2", "S3", "S4"}
    assert "RuntimeError" in by_id["S2"]["reason"] and "244481590204 bytes" in by_id["S2"]["reason"]
    assert by_id["S3"]["reason"] == "out of memory"
    assert "No space left on device" in by_id["S4"]["reason"] and "S4" in by_id["S4"]["reason"]
    assert {r["id"] for r in rows if r["status"] == "measured"} == {"S1", "S5"}
    assert (tmp_path / "out" / "S5" / "results.json").is_file()
    assert not (tmp_path / "out" / "S4").exists()  # no half-written results
    assert "Traceback" not in capsys.readouterr().err


def test_batch_rows_say_whose_study_they_are_and_the_console_names_the_studies_analysed_with_warnings(
        quick, analysed, tmp_path, monkeypatch, capsys):
    """"3 of 4 studies analysed" does not show that one of them compares two patients: the console names it.
    Every summary row, an error row too once a file was read, says whose study it is; the boxes that fit
    no finger joint are one row per study."""
    from jsnviewer.pipeline import analyze as pipeline
    from jsnviewer.pipeline.result import UnpairedJoint

    plain = pipeline.analyze
    wrong_patient = "Baseline and follow-up have different patient IDs (SYNTHETIC-8100001 and OTHER)."

    def analyze(baseline, followup, *args, **kwargs):
        result = plain(baseline, followup, *args, **kwargs)
        if baseline.path.name == "s3.png":
            result.warnings = [wrong_patient]
        result.unpaired = [UnpairedJoint(None, visit, (100.0, 1800.0, 80.0, 80.0), "no joint identity could be given to this box")
                           for visit in ("baseline", "baseline", "followup")]
        return result

    monkeypatch.setattr(pipeline, "analyze", analyze)
    quick["s4.png"] = RuntimeError("the analysis failed")
    code, rows = _batch(tmp_path, [f"s{n},s{n}.png,f.png" for n in range(1, 5)])
    assert code == 1  # as documented: a study failed
    out = capsys.readouterr().out
    assert "3 of 4 studies analysed" in out
    assert f"1 study analysed with warnings: check the pair before using the numbers\n  s3: {wrong_patient}" in out
    assert "s1:" not in out and "s2:" not in out
    study = analysed[1].baseline
    for row in rows:
        assert (row["patient_id"], row["baseline_date"]) == ("SYNTHETIC-8100001", study.study_date)
        assert row["followup_date"] and row["hand"] in ("L", "R")
    assert [r["status"] for r in rows if r["id"] == "s4"] == ["error"]
    unpaired = [r for r in rows if r["id"] == "s1" and r["status"] == "not measured"]
    assert len(unpaired) == 1
    assert unpaired[0]["reason"].startswith("3 boxes (2 on the baseline and 1 on the follow-up) fit no finger joint")


def test_summary_csv_and_results_csv_say_each_joints_status_in_the_same_words(quick, analysed, tmp_path, monkeypatch):
    """summary.csv said "ok" and "unpaired" of the rows results.csv calls "measured" and "not measured": a researcher
    joining the two files on the joint met two words for each, and "ok" passed for a value to trust."""
    from jsnviewer.pipeline import analyze as pipeline
    from jsnviewer.pipeline.result import UnpairedJoint

    plain = pipeline.analyze

    def analyze(baseline, followup, *args, **kwargs):
        result = plain(baseline, followup, *args, **kwargs)
        result.unpaired = [UnpairedJoint("DIP5", "followup", (100.0, 1800.0, 80.0, 80.0), "not found on the baseline radiograph"),
                           UnpairedJoint(None, "baseline", (100.0, 1900.0, 80.0, 80.0), "no joint identity could be given to this box")]
        return result

    monkeypatch.setattr(pipeline, "analyze", analyze)
    code, rows = _batch(tmp_path, ["s1,s1.png,f.png"])
    results = list(csv.DictReader((tmp_path / "out" / "s1" / "results.csv").open(encoding="utf-8")))
    assert code == 0
    assert [(r["identity"], r["status"]) for r in rows] == [(r["identity"], r["status"]) for r in results]
    assert [r["status"] for r in rows] == ["measured", "measured", "not measured", "not measured"]


def test_batch_exits_0_when_every_study_is_analysed(quick, tmp_path):
    code, rows = _batch(tmp_path, ["a,b.png,f.png"])
    assert code == 0 and {r["status"] for r in rows} == {"measured"} and {r["folder"] for r in rows} == {"a"}


def test_an_interrupted_batch_keeps_the_summary_of_the_studies_done(quick, tmp_path, capsys):
    quick["b2.png"] = KeyboardInterrupt()  # Ctrl-C during the second study
    code, rows = _batch(tmp_path, ["a,b1.png,f1.png", "b,b2.png,f2.png", "c,b3.png,f3.png"])
    assert code == 130
    assert {r["status"] for r in rows if r["id"] == "a"} == {"measured"}
    assert [(r["id"], r["status"]) for r in rows if r["id"] != "a"] == [("b", "not analysed"), ("c", "not analysed")]
    assert "interrupted after 1 of 3 studies" in capsys.readouterr().err


def test_batch_on_a_full_disk_says_the_summary_was_not_written_and_prints_its_rows(quick, tmp_path, monkeypatch, capsys):
    import errno

    from jsnviewer import atomic

    real = atomic.atomic_write_bytes

    def full(path, data):
        if path.name == "summary.csv":
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(path, data)

    monkeypatch.setattr("jsnviewer.pipeline.batch.atomic_write_bytes", full)
    code, _ = _batch(tmp_path, ["a,b.png,f.png"])
    out, err = capsys.readouterr()
    assert code == 2
    assert "summary.csv" in err and "No space left on device" in err
    assert out.startswith("id,folder,status") and "\na,a,measured," in out


def test_batch_gives_every_study_its_own_folder_inside_out_whatever_the_id(quick, tmp_path):
    ids = ["X", "X", "pat/1", "pat_1", "..", ".", "summary.csv", "P1", "p1", "../../evil"]
    code, rows = _batch(tmp_path / "p", [f"{i},b.png,f.png" for i in ids])
    assert code == 0
    folders = {}
    for r in rows:
        folders.setdefault((r["id"], r["folder"]), r)
    assert len(folders) == len(ids)  # one folder per row, duplicates included
    names = [folder for _, folder in folders]
    assert len({n.casefold() for n in names}) == len(ids)
    assert [f for (i, f) in folders if i == "X"] == ["X", "X_2"]
    assert sorted(p.name for p in (tmp_path / "p").iterdir()) == ["b.png", "f.png", "m.csv", "out"]  # nothing beside out
    assert not (tmp_path / "evil").exists()
    out = tmp_path / "p" / "out"
    for name in names:
        assert name not in {".", ".."} and (out / name / "results.json").is_file()
    assert (out / "summary.csv").is_file()
    renamed = folders[("X", "X_2")]["warnings"]
    assert "results in folder X_2" in renamed and "taken by an earlier row" in renamed
    assert "not a usable folder name" in folders[("pat/1", "pat_1")]["warnings"]


def test_a_manifest_saved_by_excel_in_windows_1252_is_read_and_its_paths_resolve(quick, tmp_path, capsys):
    code, rows = _batch(tmp_path, ["Müller,Ünïcode dir/b.png,Ünïcode dir/f.png"], encoding="cp1252")
    assert code == 0 and rows[0]["id"] == "Müller" and rows[0]["status"] == "measured"
    assert (tmp_path / "out" / "Müller" / "results.json").is_file()
    assert "Windows-1252" in capsys.readouterr().err


def test_a_manifest_that_is_not_text_is_one_clear_error(quick, tmp_path, capsys):
    code, rows = _batch(tmp_path, ["a,b.png,f.png"], encoding="utf-16")
    assert code == 2 and rows == []
    assert "not UTF-8 text: save it as CSV UTF-8" in capsys.readouterr().err


@pytest.mark.parametrize("separator", [";", "\t"])
def test_a_manifest_separated_by_semicolons_or_tabs_is_read(quick, tmp_path, capsys, separator):
    """Excel writes CSV with semicolons where the comma is the decimal separator (much of Europe); such a
    manifest was refused as lacking the columns baseline and follow-up, which it has."""
    from jsnviewer.cli.main import main

    for name in ("b.png", "f.png"):
        (tmp_path / name).write_bytes(b"x")
    manifest = tmp_path / "m.csv"
    manifest.write_text(separator.join(["id", "baseline", "follow-up"]) + "\n" + separator.join(["P1", "b.png", "f.png"]) + "\n")
    assert main(["batch", str(manifest), "--out", str(tmp_path / "out"), "--quiet"]) == 0
    rows = list(csv.DictReader((tmp_path / "out" / "summary.csv").open(encoding="utf-8")))
    assert {r["id"] for r in rows} == {"P1"} and all(r["status"] == "measured" for r in rows)


def test_rows_of_empty_cells_are_no_studies_and_a_doubled_column_is_refused(quick, tmp_path, capsys):
    """A spreadsheet saves cleared rows as ",,": each was a failed study (exit status 1). Two baseline columns
    took the last one without a word."""
    from jsnviewer.cli.main import main

    for name in ("b.png", "f.png"):
        (tmp_path / name).write_bytes(b"x")
    (tmp_path / "m.csv").write_text("id,baseline,follow-up\nP1,b.png,f.png\n,,\n , , \n")
    assert main(["batch", str(tmp_path / "m.csv"), "--out", str(tmp_path / "out"), "--quiet"]) == 0
    rows = list(csv.DictReader((tmp_path / "out" / "summary.csv").open(encoding="utf-8")))
    assert {r["id"] for r in rows} == {"P1"} and all(r["status"] == "measured" for r in rows)
    capsys.readouterr()

    (tmp_path / "two.csv").write_text("baseline,baseline,follow-up\nb.png,f.png,f.png\n")
    assert main(["batch", str(tmp_path / "two.csv"), "--out", str(tmp_path / "out2"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "the column baseline twice" in err
    assert not (tmp_path / "out2").exists()


def test_writing_results_again_replaces_only_what_the_program_wrote(analysed, tmp_path, monkeypatch):
    """Another study's joint pictures never stay beside the new results; the user's own files do,
    and a write that fails leaves the earlier results as they were."""
    import dataclasses
    import errno

    from jsnviewer.pipeline import report

    study, result, _ = analysed
    report.write_results(tmp_path, result, study.baseline, study.followup)
    (tmp_path / "notes.txt").write_text("mine")
    (tmp_path / "joints" / "sketch.png").write_bytes(b"mine")
    (tmp_path / "joints" / "MCP2_fixed.png.bak").write_bytes(b"mine")
    assert len(report.previous_results(tmp_path)) > 6 * 2 + 3

    fewer = dataclasses.replace(result, joints=result.joints[:1])
    report.write_results(tmp_path, fewer, study.baseline, study.followup)
    only = result.joints[0].identity
    pictures = {p.name for p in (tmp_path / "joints").iterdir()} - {"sketch.png", "MCP2_fixed.png.bak"}
    assert pictures and all(name.startswith(f"{only}_") for name in pictures)
    assert (tmp_path / "notes.txt").read_text() == "mine" and (tmp_path / "joints" / "sketch.png").is_file()
    assert (tmp_path / "joints" / "MCP2_fixed.png.bak").is_file()

    before = {p: p.read_bytes() for p in report.previous_results(tmp_path)}
    monkeypatch.setattr(report, "write_joint_pictures", lambda *a: (_ for _ in ()).throw(OSError(errno.ENOSPC, "full")))
    with pytest.raises(OSError):
        report.write_results(tmp_path, result, study.baseline, study.followup)
    assert {p: p.read_bytes() for p in report.previous_results(tmp_path)} == before
    assert not list(tmp_path.glob(".jsnviewer-writing-*"))

    monkeypatch.undo()
    killed, running = tmp_path / ".jsnviewer-writing-killed", tmp_path / ".jsnviewer-writing-running"
    for stage in (killed, running):  # a write killed yesterday, and one another program is making now
        (stage / "joints").mkdir(parents=True)
        (stage / "overview.png").write_bytes(b"a patient's hand")
    os.utime(killed, (time.time() - 86400, time.time() - 86400))
    report.write_results(tmp_path, result, study.baseline, study.followup)
    assert not killed.exists() and (running / "overview.png").is_file()


def test_analyze_says_when_it_replaced_earlier_results(quick, tmp_path, capsys):
    from jsnviewer.cli.main import main

    for name in ("b.png", "f.png"):
        (tmp_path / name).write_bytes(b"x")
    args = ["analyze", str(tmp_path / "b.png"), str(tmp_path / "f.png"), "--out", str(tmp_path / "out"), "--quiet"]
    assert main(args) == 0
    assert "replaced" not in capsys.readouterr().out
    assert main(args) == 0
    assert f"replaced the earlier results in {tmp_path / 'out'}" in capsys.readouterr().out


def test_analyze_logged_to_a_file_prints_a_few_plain_progress_lines_not_a_redrawn_bar(quick, tmp_path, monkeypatch,
                                                                                     capsys):
    from jsnviewer.cli.main import main
    from jsnviewer.joints import JOINT_IDENTITIES
    from jsnviewer.pipeline import analyze as pipeline

    quick_analyze = pipeline.analyze

    def analyze(baseline, followup, models=None, settings=None, progress=None):  # the real one's stages and steps
        progress(0.0, "Checking the pair")
        for start, visit in ((0.02, "baseline"), (0.32, "follow-up")):
            for step in range(300):
                progress(start + 0.3 * step / 300, f"Finding joints on the {visit}")
        for number, identity in enumerate(JOINT_IDENTITIES):
            progress(0.72 + 0.27 * number / len(JOINT_IDENTITIES), f"Registering {identity}")
        progress(1.0, "Done")
        return quick_analyze(baseline, followup)

    monkeypatch.setattr(pipeline, "analyze", analyze)
    for name in ("b.png", "f.png"):
        (tmp_path / name).write_bytes(b"x")
    assert main(["analyze", str(tmp_path / "b.png"), str(tmp_path / "f.png"), "--out", str(tmp_path / "out")]) == 0
    err = capsys.readouterr().err  # not a terminal
    assert "\r" not in err
    lines = err.splitlines()
    assert lines[:3] == ["  0% Checking the pair", "  2% Finding joints on the baseline",
                         " 32% Finding joints on the follow-up"]
    assert lines[-1] == "100% Done" and len(lines) <= 10


def test_batch_logged_to_a_file_prints_one_plain_line_per_study(quick, tmp_path, capsys):
    from jsnviewer.cli.main import main

    for name in ("b.png", "f.png"):
        (tmp_path / name).write_bytes(b"x")
    (tmp_path / "m.csv").write_text("id,baseline,follow-up\nS1,b.png,f.png\nS2,b.png,f.png\n")
    assert main(["batch", str(tmp_path / "m.csv"), "--out", str(tmp_path / "out")]) == 0
    err = capsys.readouterr().err
    assert "\r" not in err and err.splitlines() == ["study 1 of 2: S1", "study 2 of 2: S2"]


def test_a_study_where_no_joint_pairs_says_so_in_its_warnings(analysed, models):
    from types import SimpleNamespace

    from jsnviewer.pipeline.analyze import analyze

    study, _, _ = analysed

    def box(identity):
        return SimpleNamespace(identity=identity, box=(300.0, 300.0, 60.0, 60.0), score=0.9, findings={}, confidences={})

    result = analyze(study.baseline, study.followup, models, detections=([box("MCP2")], [box("PIP3")]))
    assert result.joints == []
    assert any(w.startswith("No joint could be measured") for w in result.warnings)


def test_a_box_the_user_corrected_is_measured_in_place_of_the_detectors(analysed, models):
    """Analysing again after correcting a box measured the detector's box as before: the advice "correct the
    boxes and analyse again" changed nothing."""
    from jsnviewer.dataset import JointAnnotation
    from jsnviewer.pipeline.analyze import analyze, with_corrections

    study, first, _ = analysed
    mcp3 = first.joint("MCP3").baseline
    cx, cy, w, h = mcp3.box
    moved = JointAnnotation(box=(cx + 3.0, cy - 2.0, w, h), identity="MCP3", findings={"ankylosis": True})
    unnamed = JointAnnotation(box=first.joint("PIP2").baseline.box)  # no name: cannot be paired, left out
    result = analyze(study.baseline, study.followup, models, corrections=([moved, unnamed], []))
    assert result.joint("MCP3").baseline.box == moved.box and result.joint("MCP3").baseline.findings["ankylosis"]
    assert result.joint("MCP3").followup.box == first.joint("MCP3").followup.box
    assert result.joint("PIP2").baseline.box == first.joint("PIP2").baseline.box
    assert {j.identity for j in result.joints} == {j.identity for j in first.joints}

    # the rule on its own: a corrected box answers the detection of the same name or the one it overlaps
    from types import SimpleNamespace

    found = [SimpleNamespace(identity="MCP3", box=(100.0, 100.0, 40.0, 40.0)),
             SimpleNamespace(identity=None, box=(200.0, 100.0, 40.0, 40.0)),
             SimpleNamespace(identity="PIP3", box=(100.0, 300.0, 40.0, 40.0))]
    renamed = JointAnnotation(box=(202.0, 101.0, 40.0, 40.0), identity="MCP4")
    merged = with_corrections(found, [renamed, JointAnnotation(box=(104.0, 98.0, 40.0, 40.0), identity="MCP3")])
    assert [(d.identity, d.box, d.source) for d in merged if getattr(d, "source", "") == "user"] == [
        ("MCP4", (202.0, 101.0, 40.0, 40.0), "user"), ("MCP3", (104.0, 98.0, 40.0, 40.0), "user")]
    assert [d.identity for d in merged if getattr(d, "source", "") != "user"] == ["PIP3"]


def test_two_joints_under_one_name_are_not_reliable_and_say_why(analysed, models):
    """The boxes of two neighbouring fingers' PIPs named the other way round on the follow-up (the detector named
    a real hand's joints differently on the two visits): the bones of two different joints were registered and
    read -6.4 and +2.1 px, both marked reliable. Each visit's boxes are the truth's; the other joints are the same joints on both visits."""
    from types import SimpleNamespace

    from jsnviewer.pipeline.analyze import analyze

    study, whole, _ = analysed
    assert not any("different places of the hand" in r for j in whole.joints for r in j.registration.reasons)
    swap = {"PIP3": "PIP4", "PIP4": "PIP3"}

    def boxes(visit, names=None):
        return [SimpleNamespace(identity=(names or {}).get(j.identity, j.identity), box=tuple(j.box), score=0.9,
                                findings={}, confidences={}, source="both") for j in visit.joints]

    result = analyze(study.baseline, study.followup, models,
                     detections=(boxes(study.truth.baseline), boxes(study.truth.followup, swap)))
    for name in swap:
        joint = result.joint(name)
        assert not joint.reliable and any("different places of the hand" in r for r in joint.registration.reasons)
    others = [j for j in result.joints if j.identity not in swap]
    assert len(others) == 12 and not any("different places of the hand" in r for j in others for r in j.registration.reasons)


def test_where_the_pixel_size_is_unknown_a_flags_lengths_are_in_the_baseline_px_of_the_jsn_beside_them(
        analysed, models, tmp_path):
    """The real JPEG pair (no pixel size) read "JSN +2.49 px" beside "… put it 9.2 crop px apart": two kinds of px a
    reader compares. With a limit every joint exceeds, each reason's length is the crops' distance times the crop's
    scale, in px of the baseline radiograph as its JSN is (window, report and results.csv read these reasons)."""
    import dataclasses
    from types import SimpleNamespace

    from jsnviewer.pipeline.analyze import analyze
    from jsnviewer.pipeline.report import write_csv
    from jsnviewer.registration.result import ReliabilityRule

    study, _, _ = analysed
    baseline, followup = (dataclasses.replace(r, pixel_size_mm=None) for r in (study.baseline, study.followup))
    strict = dataclasses.replace(models, registrator=dataclasses.replace(
        models.registrator, rule=ReliabilityRule(max_disagreement_px=0.0)))

    def boxes(visit):
        return [SimpleNamespace(identity=j.identity, box=tuple(j.box), score=0.9, findings={}, confidences={},
                                source="both") for j in visit.joints]

    result = analyze(baseline, followup, strict, detections=(boxes(study.truth.baseline), boxes(study.truth.followup)))
    assert len(result.joints) >= 12 and all(j.jsn_mm is None for j in result.joints)
    for joint in result.joints:
        reg, scale = joint.registration, joint.crops.baseline_frame.scale
        apart = np.hypot(reg.upper.dx - reg.network_upper.dx, reg.upper.dy - reg.network_upper.dy) * scale
        assert f"put it {apart:.2f} px apart" in reg.reasons[0], (joint.identity, reg.reasons[0])
    rows = [r for r in csv.DictReader(write_csv(tmp_path / "results.csv", result).read_text("utf-8-sig").splitlines())
            if r["status"] == "measured"]
    assert rows and all(" px apart" in r["reliability_reasons"] and "crop px" not in r["reliability_reasons"]
                        for r in rows)


def test_radiographs_stating_no_hand_are_of_the_hand_their_joints_were_found_lying_as(analysed, models, tmp_path):
    """Two JPEGs state no hand: results.csv's hand was empty while the joints were named as a right hand's. The
    analysis says the hand the joints it compared lie as (the window's Study panel says the same)."""
    import dataclasses

    from jsnviewer.pipeline.analyze import analyze
    from jsnviewer.pipeline.report import write_csv
    from jsnviewer.radiograph import StudyIdentity

    study, _, _ = analysed
    silent = [dataclasses.replace(r, identity=StudyIdentity(patient_id="P")) for r in (study.baseline, study.followup)]
    result = analyze(*silent, models)
    hand = study.truth.laterality
    assert [(v.laterality, v.laterality_from_joints) for v in (result.baseline, result.followup)] == [(hand, True)] * 2
    rows = list(csv.DictReader(write_csv(tmp_path / "results.csv", result).read_text("utf-8-sig").splitlines()))
    assert rows and {r["hand"] for r in rows} == {hand}


def test_files_that_state_no_pixel_size_nor_patient_id_give_notes_not_the_red_check_the_pair_band(analysed, models,
                                                                                                    tmp_path):
    """Every pair of JPEGs (no pixel size, no patient ID) drew the red "CHECK THE PAIR BEFORE USING THESE NUMBERS"
    band over overview.png and the report and printed "warning:" for what its files do not say, though nothing is
    wrong with the pair: an alarm on every such study teaches readers to skip it. They are notes: grey, apart."""
    import dataclasses

    from jsnviewer.pipeline.analyze import analyze
    from jsnviewer.pipeline.overview import BANNER_COLOUR, overview_image
    from jsnviewer.pipeline.report import write_csv
    from jsnviewer.radiograph import StudyIdentity

    study, _, _ = analysed
    silent = [dataclasses.replace(r, identity=StudyIdentity(), pixel_size_mm=None) for r in (study.baseline, study.followup)]
    result = analyze(*silent, models)
    assert result.warnings == []
    assert any("patient ID" in n for n in result.notes) and any("Pixel size" in n for n in result.notes)
    picture = np.asarray(overview_image(result, *silent))
    assert not (picture == BANNER_COLOUR).all(axis=-1).any()  # no red band
    rows = list(csv.DictReader(write_csv(tmp_path / "results.csv", result).read_text("utf-8-sig").splitlines()))
    assert {r["study_warnings"] for r in rows} == {""} and all("patient ID" in r["study_notes"] for r in rows)

    swapped = dataclasses.replace(silent[1], identity=StudyIdentity(patient_id="OTHER"))
    other = analyze(dataclasses.replace(silent[0], identity=StudyIdentity(patient_id="P")), swapped, models)
    assert (np.asarray(overview_image(other, silent[0], swapped)) == BANNER_COLOUR).all(axis=-1).any()  # a real warning


@pytest.mark.slow
def test_a_real_radiograph_against_a_moved_copy_of_itself_measures_no_narrowing(models, real_data):
    """UAB001-LH against itself turned 4°, shifted, scaled 3 % and noised: the true JSN change is 0
    at every joint. Most joints pair, and every measurement the report calls reliable is near 0."""
    from jsnviewer.phantom.moved import rigidly_moved
    from jsnviewer.pipeline.analyze import analyze
    from jsnviewer.radiograph import load_radiograph

    baseline = load_radiograph(real_data / "hands_ra2" / "UAB001-LH.jpg")
    result = analyze(baseline, rigidly_moved(baseline), models)
    reliable = [j for j in result.joints if j.reliable]
    assert len(result.joints) >= 8 and len(reliable) >= 6, [(j.identity, j.reliable) for j in result.joints]
    assert all(abs(j.jsn_px) < 0.25 for j in reliable), [(j.identity, j.jsn_px) for j in reliable]
    assert {j.identity for j in reliable} >= {"MCP2", "MCP3", "MCP4"}


def test_jsn_is_written_one_way_and_a_zero_never_shows_a_minus_sign():
    from jsnviewer.pipeline.result import signed

    assert signed(-0.1234, 3, "mm") == "-0.123 mm" and signed(0.3, 1, "px") == "+0.3 px"
    assert signed(-0.0004, 3, "mm") == "0.000 mm" and signed(-0.04, 1, "px") == "0.0 px"  # not '-0.000'
    assert signed(0.0, 2) == "0.00" and signed(-1.5, 2) == "-1.50"


def test_a_joint_whose_bone_runs_off_the_edge_of_the_radiograph_is_not_reliable_and_says_so(models, analysed):
    """A follow-up cut 20 px above DIP3's centre (the fingertips outside the field): the distal bone is half
    gone and the registration aligns what is left; the joint was flagged only by chance, for other reasons."""
    import dataclasses

    from jsnviewer.pipeline.analyze import analyze

    study, whole, _ = analysed
    assert not any("off the edge" in r for j in whole.joints for r in j.registration.reasons)  # a whole hand: never
    dip3 = next(j for j in study.truth.followup.joints if j.identity == "DIP3")
    top = int(dip3.box[1]) - 20
    cut = dataclasses.replace(study.followup, pixels=study.followup.pixels[top:].copy(), path=None)
    result = analyze(study.baseline, cut, models)
    edge = {j.identity for j in result.joints if any("off the edge of the follow-up radiograph" in r
                                                      for r in j.registration.reasons)}
    assert "DIP3" in edge and not result.joint("DIP3").reliable
    assert not edge & {"MCP2", "MCP3", "MCP4", "MCP5", "PIP3"}  # joints well inside the field keep their verdict


def test_results_never_replace_a_radiograph_of_the_study_that_bears_a_result_files_name(quick, analysed, tmp_path,
                                                                                        capsys):
    """`analyze study/overview.png study/followup.png --out study` replaced the baseline with the overview."""
    import dataclasses

    from jsnviewer.cli.main import main
    from jsnviewer.errors import JsnError
    from jsnviewer.pipeline import report

    for name in ("overview.png", "followup.png"):
        (tmp_path / name).write_bytes(b"a radiograph")
    code = main(["analyze", str(tmp_path / "overview.png"), str(tmp_path / "followup.png"), "--out", str(tmp_path),
                 "--quiet"])
    assert code != 0 and "would replace the radiograph overview.png" in capsys.readouterr().err
    assert (tmp_path / "overview.png").read_bytes() == b"a radiograph" and not (tmp_path / "results.json").exists()
    study, result, _ = analysed  # the window's "results folder" goes through write_results itself
    (tmp_path / "joints").mkdir()
    (tmp_path / "joints" / "MCP2_fixed.png").write_bytes(b"a radiograph")
    baseline = dataclasses.replace(study.baseline, path=tmp_path / "joints" / "MCP2_fixed.png")
    with pytest.raises(JsnError, match="MCP2_fixed.png"):
        report.write_results(tmp_path, result, baseline, study.followup)
    assert (tmp_path / "joints" / "MCP2_fixed.png").read_bytes() == b"a radiograph"


def test_batch_refuses_an_out_folder_where_the_summary_would_replace_its_manifest(quick, tmp_path, capsys):
    from jsnviewer.cli.main import main

    (tmp_path / "b.png").write_bytes(b"x")
    manifest = tmp_path / "summary.csv"
    manifest.write_text("id,baseline,follow-up\nP1,b.png,b.png\n")
    assert main(["batch", str(manifest), "--out", str(tmp_path), "--quiet"]) != 0
    assert "would write the batch's results over this manifest" in capsys.readouterr().err
    assert manifest.read_text() == "id,baseline,follow-up\nP1,b.png,b.png\n"
    assert main(["batch", str(manifest), "--out", str(tmp_path / "out"), "--quiet"]) == 0


def test_a_strip_of_pixels_is_named_as_one_and_a_narrow_gradient_is_no_flat_grey(recwarn):
    """A 1 × 3000 image was "one flat grey level" with two numpy warnings; a 2 × 3000 ramp was called flat."""
    from jsnviewer.radiograph.content import no_picture

    ramp = np.arange(3000.0, dtype=np.float32)
    assert no_picture(ramp[None, :]) == "the image is a strip of 1 × 3000 pixels, not a radiograph"
    assert no_picture(np.vstack([ramp, ramp])) != "the image is one flat grey level"
    assert no_picture(np.full((2, 3000), 7.0)) == "the image is one flat grey level"
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


def test_the_hand_a_reader_named_is_its_visits_side_when_the_visits_sides_are_compared(analysed, models):
    """The reader named the baseline a right hand (the guessed-hand warning's button): a follow-up lying as a right hand
    no longer brings "the joints lie as on a left hand on the baseline", whatever the baseline's layout says; one lying
    as a left hand does bring a warning, saying which side is the reader's."""
    import dataclasses

    from jsnviewer.detection.detector import Detection
    from jsnviewer.detection.identity import name_as_hand
    from jsnviewer.pipeline.analyze import analyze

    study, _, _ = analysed

    def boxes(visit, side=None):
        names = [j.identity for j in visit.joints]
        if side:
            names = name_as_hand(np.array([j.box[:2] for j in visit.joints]), side)
        return [Detection(j.box, name, 0.9) for j, name in zip(visit.joints, names)]

    def unsaid(radiograph, side=None):
        identity = dataclasses.replace(radiograph.identity, laterality=side, laterality_by_reader=side is not None)
        return dataclasses.replace(radiograph, identity=identity)

    baseline, followup = unsaid(study.baseline, "R"), unsaid(study.followup)
    detections = (boxes(study.truth.baseline), boxes(study.truth.followup, "R"))
    result = analyze(baseline, followup, models, detections=detections)
    assert not [w for w in result.warnings if "lie as on" in w]
    result = analyze(baseline, followup, models, detections=(detections[0], boxes(study.truth.followup)))
    assert ("The reader named a right hand on the baseline, but the joints lie as on a left hand on the follow-up"
            in " ".join(result.warnings))


def test_a_study_whose_radiographs_may_not_show_a_hand_has_no_joint_called_reliable(analysed, models):
    """A page of text opened as both visits (the follow-up scanned again, a few pixels over) carried the warning that it
    may not be a hand radiograph, yet six of its seven "joints" were called reliable in the table, results.csv and
    the report. A text page against a hand is flagged so too; a hand pair is not."""
    from test_detection_identity import TEXT_PAGE_BOXES, found

    from jsnviewer.detection.detector import Detection
    from jsnviewer.pipeline.analyze import analyze
    from jsnviewer.pipeline.report import joint_rows

    study, hands, _ = analysed
    height, width = study.baseline.pixels.shape
    pixels = text_page(height, width)
    text = type(study.baseline)(**{**vars(study.baseline), "pixels": pixels})
    again = type(study.followup)(**{**vars(study.followup), "pixels": np.roll(pixels, (2, 3), axis=(0, 1))})
    moved = found(TEXT_PAGE_BOXES + (3.0, 2.0))
    hand = [Detection(tuple(j.box), j.identity, 0.9) for j in study.truth.followup.joints]

    for followup, boxes, said in ((again, moved, "the baseline and the follow-up may not be hand radiographs"),
                                  (study.followup, hand, "the baseline may not be a hand radiograph")):
        result = analyze(text, followup, models, detections=(found(TEXT_PAGE_BOXES), boxes))
        assert result.joints and not any(j.reliable for j in result.joints)
        assert all(any(r.startswith(f"• {said}") for r in j.reasons_said()) for j in result.joints)
        rows = joint_rows(result)
        assert {row["reliable"] for row in rows} == {"no"} and all(said in row["reliability_reasons"] for row in rows)

    assert sum(j.reliable for j in hands.joints) >= 12
    assert not any("hand radiograph" in r for j in hands.joints for r in j.registration.reasons)


def test_a_visit_that_may_not_be_a_hand_has_its_findings_said_not_assessed_and_no_warning_presuming_a_hand(
        analysed, models):
    """A page of text against a hand: every "joint" of the page was called "ankylosis" in the summary, the table,
    results.csv/json and the report, and the warnings spoke of the page as a hand (its size, its side). The page's
    findings are now "not assessed", with the reason; the hand's are still its findings. A hand pair keeps its
    findings and its warnings of size and side."""
    import dataclasses

    from test_detection_identity import TEXT_PAGE_BOXES, found

    from jsnviewer.detection.detector import Detection
    from jsnviewer.detection.identity import name_as_hand
    from jsnviewer.pipeline.analyze import analyze
    from jsnviewer.pipeline.report import csv_rows

    study, _, _ = analysed
    height, width = study.baseline.pixels.shape
    text = dataclasses.replace(study.followup, pixels=text_page(height, width))
    ankylosis = {"ankylosis": True, "subluxation": False}
    on_text = [dataclasses.replace(d, findings=dict(ankylosis), confidences={"ankylosis": 0.99})
               for d in found(TEXT_PAGE_BOXES * 2.0)]  # twice the hand's size: "the hand at 200 %"
    hand = [Detection(tuple(j.box), j.identity, 0.9, dict(ankylosis), {"ankylosis": 0.98})
            for j in study.truth.baseline.joints]

    result = analyze(study.baseline, text, models, detections=(hand, on_text))
    said = " ".join(result.warnings)
    assert "The follow-up may not be a hand radiograph" in said
    assert "baseline size" not in said and "lie as on" not in said and "left" not in said and "right hand" not in said
    assert result.joints
    for joint in result.joints:
        assert joint.findings_text() == "ankylosis (baseline), not assessed (follow-up)"
        assert joint.followup.findings_said() == "not assessed" and joint.baseline.findings_said() == "ankylosis"
        assert "may not be a hand radiograph" in joint.followup.not_assessed
        assert not any("left and a right hand" in r or "different places of the hand" in r for r in joint.reasons_said())
        data = joint.to_json()
        assert data["followup"]["findings"] is None and data["followup"]["confidences"] == {}
        assert data["followup"]["findings_not_assessed"] and data["baseline"]["findings"]["ankylosis"] is True
    rows = [r for r in csv_rows(result) if r.get("followup_findings")]
    assert rows and {(r["baseline_findings"], r["followup_findings"], r["ankylosis_confidence_followup"])
                     for r in rows} == {("ankylosis", "not assessed", "")}

    # a hand pair, the follow-up named as the other hand: its findings and its warning of sides stand
    mirrored = [Detection(tuple(j.box), name, 0.9, dict(ankylosis), {"ankylosis": 0.98}) for j, name in zip(
        study.truth.followup.joints, name_as_hand(np.array([j.box[:2] for j in study.truth.followup.joints]), "R"))]
    plain = dataclasses.replace(study.followup, identity=dataclasses.replace(study.followup.identity, laterality=None))
    result = analyze(dataclasses.replace(study.baseline, identity=plain.identity), plain, models, detections=(hand, mirrored))
    assert "lie as on" in " ".join(result.warnings)
    assert result.joints and all(j.findings_text() == "ankylosis (both visits)" for j in result.joints)
    assert all(j.to_json()["followup"]["findings"]["ankylosis"] is True for j in result.joints)


def text_page(height: int, width: int) -> np.ndarray:
    """A page of text the size of a radiograph: a picture that is no hand."""
    from PIL import Image, ImageDraw, ImageFont

    page = Image.new("L", (width, height), 0)
    draw, font = ImageDraw.Draw(page), ImageFont.load_default(size=28)
    for line in range(40):
        draw.text((60, 40 + 49 * line), f"Line {line + 1}: the quick brown fox jumps over the lazy dog", fill=255, font=font)
    return np.asarray(page, np.float32)


def test_memory_running_out_is_said_with_the_step_the_radiographs_and_what_to_do(models, monkeypatch):
    """A 12000 × 12000 px pair on a computer with a few GB ended in "out of memory", naming neither file nor step."""
    from jsnviewer.errors import JsnError
    from jsnviewer.phantom import generate_study
    from jsnviewer.pipeline import analyze as pipeline

    study = generate_study(8_100_001)
    stages = []

    def no_memory(*args, **kwargs):
        raise MemoryError()

    monkeypatch.setattr(pipeline, "pair_detections", no_memory)
    with pytest.raises(JsnError) as caught:
        pipeline.analyze(study.baseline, study.followup, models, progress=lambda f, s: stages.append(s))
    said = str(caught.value)
    width, height = study.baseline.width, study.baseline.height
    assert said.startswith(f"not enough memory to analyse {study.baseline.path.name if study.baseline.path else 'radiograph'}"
                           f" {width} × {height} px")
    assert f"while {stages[-1].lower()}" in said and "close other programs" in said


def test_a_film_whose_file_states_the_other_hand_than_its_joints_lie_as_has_no_joint_called_reliable(analysed, models):
    """The follow-up's file said a left hand, its joints lay as a right hand's: a wrong tag, or a mirrored image, whose
    joints are then compared with the other hand's. The warning said so once, while every value was called reliable
    in the table, results.csv, results.json and the report."""
    import dataclasses

    from jsnviewer.detection.detector import Detection, hand_side_of
    from jsnviewer.pipeline.analyze import analyze
    from jsnviewer.pipeline.report import joint_rows

    study, hands, _ = analysed
    detections = tuple([Detection(tuple(j.box), j.identity, 0.9) for j in visit.joints]
                       for visit in (study.truth.baseline, study.truth.followup))
    lying = hand_side_of(detections[1])
    other = {"L": "R", "R": "L"}[lying]

    def stating(radiograph, side):
        return dataclasses.replace(radiograph, identity=dataclasses.replace(radiograph.identity, laterality=side))

    baseline = stating(study.baseline, None)  # a JPEG: it states no hand, so the two files do not disagree
    result = analyze(baseline, stating(study.followup, other), models, detections=detections)
    sides = {"L": "left", "R": "right"}
    seen = (f"the follow-up's file says a {sides[other]} hand but its joints lie as a {sides[lying]} hand's (a wrong "
            "side in the file, or a mirrored image: see the warnings), so this may not be one joint seen twice")
    todo = "check which hand the follow-up shows and the joint names"
    assert any(f"The follow-up's file states a {sides[other]} hand" in w for w in result.warnings)
    assert result.joints and not any(j.reliable for j in result.joints)
    for joint in result.joints:  # the window's tooltip and joint detail, the report
        said = joint.reasons_said()
        assert f"• {seen}" in said and f"What to do: {todo}." in said[said.index(f"• {seen}"):], said
    rows = joint_rows(result)
    assert {row["reliable"] for row in rows} == {"no"}
    assert all(f"{seen}; what to do: {todo}" in row["reliability_reasons"] for row in rows)
    assert all(f"{seen}: {todo}" in j["reliability_reasons"] for j in result.to_json()["joints"])

    agreed = analyze(baseline, stating(study.followup, lying), models, detections=detections)
    assert not any("file says" in r for j in agreed.joints for r in j.registration.reasons)
    assert sum(j.reliable for j in agreed.joints) == sum(j.reliable for j in hands.joints)
    # both files say the other hand alike: each is warned of, yet one hand is compared with itself either way
    assert hand_side_of(detections[0]) == lying
    alike = analyze(stating(study.baseline, other), stating(study.followup, other), models, detections=detections)
    assert sum(f"file states a {sides[other]} hand" in w for w in alike.warnings) == 2
    assert not any("file says" in r for j in alike.joints for r in j.registration.reasons)
    assert sum(j.reliable for j in alike.joints) == sum(j.reliable for j in hands.joints)


def _no_patient_id(radiograph):
    import dataclasses

    return dataclasses.replace(radiograph, identity=dataclasses.replace(radiograph.identity, patient_id=None))


def test_another_hand_of_the_same_side_in_files_without_a_patient_id_is_warned_of_and_no_joint_is_reliable(models):
    """Two patients' left hands in files stating no patient ID were analysed with no study warning, and 5 of 14 joints
    of two real children's hands were called reliable: once the hands' sizes are matched, one hand's bones all lie
    on their baseline at one size, another hand's each at its own. The same hand, moved, draws no such warning."""
    from jsnviewer.phantom import generate_study
    from jsnviewer.pipeline.analyze import OTHER_BONES, analyze

    baseline = _no_patient_id(generate_study(515, laterality="L").baseline)
    same = analyze(baseline, _no_patient_id(generate_study(515, laterality="L").followup), models)
    assert not any("two patients' hands" in w for w in same.warnings), same.warnings
    assert not any(OTHER_BONES in j.registration.reasons for j in same.joints)
    assert sum(j.reliable for j in same.joints) >= 12

    other = analyze(baseline, _no_patient_id(generate_study(1515, laterality="L").followup), models)
    said = [w for w in other.warnings if "two patients' hands" in w]
    assert len(said) == 1 and "still had to change size by" in said[0], other.warnings
    assert len(other.joints) >= 10 and not any(j.reliable for j in other.joints)
    assert all(OTHER_BONES in j.registration.reasons for j in other.joints)


@pytest.mark.slow
def test_two_real_patients_right_hands_are_warned_of_and_one_patients_hand_moved_is_not(models, real_data):
    """UAB001's right hand against UAB002's (JPEGs: no patient ID) said only "no patient ID, not checked", and that the
    bones had to change size joint by joint, never once for the pair."""
    from jsnviewer.phantom.moved import rigidly_moved
    from jsnviewer.pipeline.analyze import OTHER_BONES, analyze
    from jsnviewer.radiograph import load_radiograph

    uab001, uab002 = (load_radiograph(real_data / "hands_ra2" / f"UAB00{i}-RH.jpg") for i in (1, 2))
    other = analyze(uab001, uab002, models)
    assert any("two patients' hands" in w for w in other.warnings), other.warnings
    assert other.joints and all(OTHER_BONES in j.registration.reasons for j in other.joints)
    moved = analyze(uab002, rigidly_moved(uab002), models)
    assert not any("two patients' hands" in w for w in moved.warnings), moved.warnings
    assert sum(j.reliable for j in moved.joints) >= 8
