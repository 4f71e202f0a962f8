"""`jsnviewer batch` as its user reads it: the closing lines and summary.csv, on a manifest with bad rows. The
analysis is stood in for (no models): the manifest, the error rows and the console are what is tested."""

import csv
import dataclasses
import os
import re
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from jsnviewer.pipeline.batch import written_when


@pytest.fixture(scope="module")
def radiograph():
    from jsnviewer.phantom import generate_study

    return generate_study(8_100_001).baseline


@pytest.fixture
def quick(radiograph, monkeypatch):
    """Every file "loads" as the phantom's radiograph (a missing file fails as usual) and "analyses" to a
    result of no joints, or fails the way `fail` says for a baseline of that name."""
    from jsnviewer.errors import RadiographError
    from jsnviewer.pipeline import analyze as pipeline
    from jsnviewer.pipeline.result import StudyResult, VisitInfo

    fail: dict[str, BaseException] = {}

    def load(path):
        if not Path(path).is_file():
            raise RadiographError(path, "no such file")
        return dataclasses.replace(radiograph, path=Path(path))

    def analyze(baseline, followup, models=None, settings=None, progress=None):
        if baseline.path.name in fail:
            raise fail[baseline.path.name]
        return StudyResult(VisitInfo.of(baseline), VisitInfo.of(followup), [], [])

    monkeypatch.setattr("jsnviewer.radiograph.load_radiograph", load)
    monkeypatch.setattr(pipeline, "analyze", analyze)
    monkeypatch.setattr(pipeline.AnalysisModels, "load", staticmethod(lambda settings: None))
    return fail


def _batch(folder: Path, manifest: str) -> tuple[int, dict[str, list[dict]]]:
    """Run `batch` on the manifest's text (its b*.png and f*.png files made): the exit status and summary.csv's
    rows by id."""
    from jsnviewer.cli.main import main

    for name in ("b.png", "f.png", "b2.png"):
        (folder / name).write_bytes(b"x")
    (folder / "m.csv").write_text(manifest, encoding="utf-8")
    code = main(["batch", str(folder / "m.csv"), "--out", str(folder / "out"), "--quiet"])
    rows: dict[str, list[dict]] = {}
    for row in csv.DictReader((folder / "out" / "summary.csv").open(encoding="utf-8")):
        rows.setdefault(row["id"], []).append(row)
    return code, rows


def test_the_closing_lines_name_each_failed_study_and_why(quick, tmp_path, capsys):
    """"2 of 4 studies analysed" told an IT person logging stdout that 2 failed, not which or why: those
    were on stderr only, among the progress lines."""
    quick["b2.png"] = RuntimeError("CUDA error: an illegal memory access\nwas encountered")
    code, rows = _batch(tmp_path, "id,baseline,follow-up\n"
                                  "ok,b.png,f.png\n"
                                  "missing,b.png,nothere.png\n"
                                  "onlyone,b.png,\n"
                                  "crash,b2.png,f.png\n")
    out = capsys.readouterr().out
    assert code == 1
    assert out.endswith(f"1 of 4 studies analysed; summary in {tmp_path / 'out' / 'summary.csv'}\n"
                        "3 studies failed:\n"
                        f"  missing: {tmp_path / 'nothere.png'}: no such file\n"
                        "  onlyone: the manifest row names no follow-up file\n"
                        "  crash: unexpected RuntimeError: CUDA error: an illegal memory access was encountered\n")
    assert [r["status"] for r in rows["crash"]] == ["error"]


def test_one_failed_study_is_one_line_and_the_warnings_follow_it(quick, tmp_path, capsys, monkeypatch):
    from jsnviewer.pipeline import analyze as pipeline

    plain = pipeline.analyze

    def analyze(baseline, followup, *args, **kwargs):
        return dataclasses.replace(plain(baseline, followup), warnings=["The follow-up is dated before the baseline."])

    monkeypatch.setattr(pipeline, "analyze", analyze)
    code, _ = _batch(tmp_path, "id,baseline,follow-up\nswapped,b.png,f.png\nmissing,b.png,nothere.png\n")
    assert code == 1
    assert capsys.readouterr().out.endswith(
        "1 study failed:\n"
        f"  missing: {tmp_path / 'nothere.png'}: no such file\n"
        "1 study analysed with warnings: check the pair before using the numbers\n"
        "  swapped: The follow-up is dated before the baseline.\n")


def test_a_run_into_an_out_folder_with_an_earlier_runs_studies_names_them(quick, tmp_path, capsys):
    """Run again into the same --out without one study, its folder stayed beside the new summary.csv unsaid."""
    code, _ = _batch(tmp_path, "id,baseline,follow-up\na,b.png,f.png\nold,b.png,f.png\n")
    assert code == 0 and (tmp_path / "out" / "old" / "results.json").is_file()
    assert "earlier run" not in capsys.readouterr().out
    (tmp_path / "out" / "kept by the user").mkdir()  # a folder without results is not a study's
    code, rows = _batch(tmp_path, "id,baseline,follow-up\na,b.png,f.png\n")
    assert code == 0 and list(rows) == ["a"]
    assert capsys.readouterr().out.endswith(f"note: {tmp_path / 'out'} also holds the results of 1 study of an earlier "
                                            "run, not of this one (not in summary.csv): old\n")


def test_no_failed_study_no_failed_line(quick, tmp_path, capsys):
    code, _ = _batch(tmp_path, "id,baseline,follow-up\na,b.png,f.png\n")
    out = capsys.readouterr().out
    assert code == 0 and "study failed" not in out and "studies failed" not in out


def test_an_error_row_has_no_folder_and_says_nothing_of_one(quick, tmp_path):
    """`semi;x;y` in a comma-separated manifest is one cell: an error row with an empty folder column,
    whose warnings said "results in folder semi_x_y: … is not a usable folder name" of a folder never made."""
    code, rows = _batch(tmp_path, "id,baseline,follow-up\nsemi;x;y\nP1,b.png,f.png\nP1,b.png,nothere.png\n")
    assert code == 1
    (semi,) = rows["semi;x;y"]
    assert (semi["status"], semi["folder"], semi["warnings"]) == ("error", "", "")
    assert semi["reason"] == "the manifest row names no baseline nor follow-up file"
    assert not (tmp_path / "out" / "semi_x_y").exists()
    repeated = [r for r in rows["P1"] if r["status"] == "error"]
    assert len(repeated) == 1 and repeated[0]["warnings"] == ""  # no "results in folder P1_2"


def test_a_cell_beyond_the_header_is_said_in_the_rows_warnings(quick, tmp_path, capsys):
    """`toomany,b,f,extra` was analysed with its extra cell ignored without a word."""
    code, rows = _batch(tmp_path, "id,baseline,follow-up\n"
                                  "toomany,b.png,f.png,extra\n"
                                  "two,b.png,nothere.png,x,y\n"
                                  "padded,b.png,f.png,,\n")
    assert code == 1
    assert {r["warnings"] for r in rows["toomany"]} == {"the manifest row has 1 cell more than its header names; "
                                                        "ignored: extra"}
    assert rows["toomany"][0]["status"] == "not measured" and rows["toomany"][0]["folder"] == "toomany"
    (two,) = rows["two"]  # said of an error row too: it is of the row, not of a folder
    assert two["status"] == "error" and two["warnings"] == "the manifest row has 2 cells more than its header names; ignored: x, y"
    assert {r["warnings"] for r in rows["padded"]} == {""}  # empty cells, as a spreadsheet pads rows, are nothing to say
    assert "note: toomany: the manifest row has 1 cell more than its header names; ignored: extra" in capsys.readouterr().err


def test_a_cell_under_a_column_without_a_name_is_said_too(tmp_path):
    from jsnviewer.pipeline.batch import read_manifest

    (tmp_path / "m.csv").write_text("id,baseline,,follow-up,comment\nP1,b.png,stray,f.png,seen by Dr A\n")
    (study,) = read_manifest(tmp_path / "m.csv")
    assert (study["id"], study["baseline"], study["followup"]) == ("P1", "b.png", "f.png")
    assert study["note"] == "the manifest row has 1 cell more than its header names; ignored: stray"  # a named column is read as meant


@pytest.fixture(params=["read-only", "under a file"])
def unwritable(request, tmp_path):
    """An --out folder the results cannot go into: an existing read-only folder (not as root, whom chmod does
    not stop), or a folder to be made where a file is."""
    import os

    if request.param == "under a file":
        (tmp_path / "afile").write_bytes(b"x")
        return tmp_path / "afile" / "out"
    if os.geteuid() == 0:
        pytest.skip("root writes into a read-only folder")
    folder = tmp_path / "readonly"
    folder.mkdir()
    folder.chmod(0o555)
    request.addfinalizer(lambda: folder.chmod(0o755))
    return folder


@pytest.mark.parametrize("command", ["batch", "analyze"])
def test_an_out_folder_that_cannot_be_written_stops_before_any_analysis(quick, tmp_path, unwritable, capsys,
                                                                       monkeypatch, command):
    """A read-only --out ran every study's analysis (some 4 s each) and failed only on each write: a
    40-study manifest burnt its whole run to end with 40 error rows."""
    from jsnviewer.cli.main import main
    from jsnviewer.pipeline import analyze as pipeline

    analysed = []
    stand_in = pipeline.analyze
    monkeypatch.setattr(pipeline, "analyze", lambda *args, **kwargs: analysed.append(1) or stand_in(*args, **kwargs))
    for name in ("b.png", "f.png"):  # radiographs that load: the check comes after the inputs are read
        Image.fromarray(np.full((64, 48), 90, np.uint8)).save(tmp_path / name)
    (tmp_path / "m.csv").write_text("id,baseline,follow-up\nP1,b.png,f.png\nP2,b.png,f.png\n", encoding="utf-8")
    given = [str(tmp_path / "m.csv")] if command == "batch" else [str(tmp_path / "b.png"), str(tmp_path / "f.png")]
    code = main([command, *given, "--out", str(unwritable), "--quiet"])
    out, err = capsys.readouterr()
    assert code == 2 and analysed == []
    assert err.startswith(f"jsnviewer: error: {unwritable}: cannot write the results there (")
    assert err.endswith("); choose another --out folder\n") and err.count("\n") == 1
    assert out == ""  # no summary rows printed in place of summary.csv: there were none


@pytest.mark.parametrize("inside", [False, True])
def test_an_out_that_is_a_file_is_said_to_be_a_file(tmp_path, inside):
    """--out naming a file (or a folder under one) said only "(File exists)" / "(Not a directory)"."""
    from jsnviewer.errors import JsnError
    from jsnviewer.pipeline.batch import check_out

    (tmp_path / "results.csv").write_text("a file", encoding="utf-8")
    out = tmp_path / "results.csv" / "run" if inside else tmp_path / "results.csv"
    with pytest.raises(JsnError, match=rf"\({re.escape(str(tmp_path / 'results.csv'))} is a file, not a folder\); choose"):
        check_out(out)
    assert (tmp_path / "results.csv").read_text(encoding="utf-8") == "a file"


def test_a_missing_radiograph_is_said_before_the_out_folder_is_made(tmp_path, capsys):
    """The --out check makes the folder: run before the inputs were read, a mistyped file name left an empty
    results folder behind."""
    from jsnviewer.cli.main import main

    code = main(["analyze", str(tmp_path / "nothere.png"), str(tmp_path / "nothere2.png"), "--out",
                 str(tmp_path / "results"), "--quiet"])
    assert code == 2 and "nothere.png" in capsys.readouterr().err
    assert not (tmp_path / "results").exists()


def test_an_analysis_that_fails_leaves_no_folder_it_made(tmp_path, capsys):
    """`analyze blank.png followup.png --out x3` said "no hand to analyse" and left the empty folder x3 (and its
    parents) it had made: an empty results folder passes for an analysis that ran. One that was there stays."""
    from jsnviewer.cli.main import main

    Image.fromarray(np.zeros((400, 300), np.uint8)).save(tmp_path / "blank.png")
    Image.fromarray(np.full((400, 300), 90, np.uint8)).save(tmp_path / "followup.png")
    (tmp_path / "there").mkdir()
    for out in (tmp_path / "new" / "x3", tmp_path / "there"):
        code = main(["analyze", str(tmp_path / "blank.png"), str(tmp_path / "followup.png"), "--out", str(out), "--quiet"])
        assert code == 2 and "no hand to analyse" in capsys.readouterr().err
    assert not (tmp_path / "new").exists()
    assert (tmp_path / "there").is_dir()


def test_a_batch_that_cannot_run_leaves_no_folder_it_made(quick, tmp_path, monkeypatch, capsys):
    from jsnviewer.errors import WeightsError
    from jsnviewer.pipeline import analyze as pipeline

    def load(settings):
        raise WeightsError(tmp_path / "mine.pt", "file not found", "Bone segmenter")

    monkeypatch.setattr(pipeline.AnalysisModels, "load", staticmethod(load))
    (tmp_path / "m.csv").write_text("id,baseline,follow-up\nP1,b.png,f.png\n", encoding="utf-8")
    from jsnviewer.cli.main import main

    assert main(["batch", str(tmp_path / "m.csv"), "--out", str(tmp_path / "out"), "--quiet"]) == 2
    assert "mine.pt: file not found" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_the_check_that_out_can_be_written_makes_it_and_leaves_nothing_in_it(tmp_path):
    from jsnviewer.pipeline.batch import check_out

    check_out(tmp_path / "new" / "out")
    assert list((tmp_path / "new" / "out").iterdir()) == []


def test_a_file_that_is_no_radiograph_is_named_by_its_whole_path_as_a_missing_one_is(tmp_path, monkeypatch, capsys):
    """A missing file's reason gave its whole path, a non-image's only its name ("notimage.png: not a DICOM
    file…"): which of the folders the manifest names holds it was not said."""
    from jsnviewer.cli.main import main
    from jsnviewer.pipeline import analyze as pipeline

    monkeypatch.setattr(pipeline.AnalysisModels, "load", staticmethod(lambda settings: None))
    (tmp_path / "scans").mkdir()
    (tmp_path / "scans" / "notimage.png").write_text("a letter, not a radiograph")
    (tmp_path / "m.csv").write_text("id,baseline,follow-up\nmissing,scans/nothere.png,scans/notimage.png\n"
                                    "nonimage,scans/notimage.png,scans/nothere.png\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)  # the manifest named as the user typed it: m.csv
    assert main(["batch", "m.csv", "--out", "out", "--quiet"]) == 1
    rows = {row["id"]: row for row in csv.DictReader((tmp_path / "out" / "summary.csv").open(encoding="utf-8"))}
    assert rows["missing"]["reason"] == f"{tmp_path / 'scans' / 'nothere.png'}: file not found"
    assert rows["nonimage"]["reason"] == (f"{tmp_path / 'scans' / 'notimage.png'}: not a DICOM file or an image "
                                          "jsnviewer can read (unrecognised content)")
    assert f"  nonimage: {tmp_path / 'scans' / 'notimage.png'}: not a DICOM file" in capsys.readouterr().out


def test_a_study_id_that_windows_keeps_for_a_device_gets_a_folder_it_can_make():
    """A clinic's ids "CON" (a study of Conrad's) or "aux1" would be no folder on Windows: the batch wrote nothing."""
    from jsnviewer.pipeline.batch import study_folders

    folders = study_folders(["CON", "nul", "Com3.old", "LPT9", "Conrad", "COM10", "aux_1"])
    assert [name for name, _ in folders] == ["_CON", "_nul", "_Com3.old", "_LPT9", "Conrad", "COM10", "aux_1"]
    assert folders[0][1] == "results in folder _CON: 'CON' is not a usable folder name"
    assert [note for _, note in folders[4:]] == ["", "", ""]


def test_a_study_id_a_spreadsheet_would_run_as_a_formula_is_written_as_text(quick, tmp_path):
    """A manifest id "=HYPERLINK(…)" went into summary.csv as it was, and a spreadsheet opening it ran the formula."""
    code, rows = _batch(tmp_path, 'id,baseline,follow-up\n"=HYPERLINK(""http://x"",""y"")",b.png,f.png\n@SUM(1),b.png,f.png\n')
    assert code == 0
    assert set(rows) == {"'=HYPERLINK(\"http://x\",\"y\")", "'@SUM(1)"}


def test_a_negative_number_stays_a_number_in_a_spreadsheet_cell():
    from jsnviewer.pipeline.report import spreadsheet_cell

    assert [spreadsheet_cell(v) for v in ("-0.1234", "+2", "-1e-3", "-", "-x", "+A1", "PHANTOM-7", None, 1.5)] == \
        ["-0.1234", "+2", "-1e-3", "'-", "'-x", "'+A1", "PHANTOM-7", "", "1.5"]


def test_an_interrupted_batch_lists_every_study_it_did_not_analyse(quick, tmp_path, capsys):
    """Ctrl+C after 1 of 3 studies left a summary.csv of that study alone: read later, it passed for a whole
    batch of one study, the other two not named anywhere."""
    quick["b2.png"] = KeyboardInterrupt()
    code, rows = _batch(tmp_path, "id,baseline,follow-up\ndone,b.png,f.png\ncut,b2.png,f.png\nlater,b.png,f.png\n")
    assert code == 130
    assert [r["status"] for r in rows["done"]] == ["not measured"]  # the stand-in analysis finds no joint
    for study in ("cut", "later"):
        (row,) = rows[study]
        assert (row["status"], row["reason"], row["folder"]) == (
            "not analysed", "the batch was interrupted before this study was analysed", "")
    assert (f"interrupted after 1 of 3 studies; {tmp_path / 'out' / 'summary.csv'} lists their rows and the 2 "
            "studies not analysed (run the batch again with --resume to analyse only those)") in capsys.readouterr().err


def test_an_interrupted_rerun_keeps_the_earlier_summary_beside_its_own(quick, tmp_path, capsys):
    """Ctrl+C in a run again into the same --out replaced the earlier whole summary.csv by one whose unfinished
    studies were rows "not analysed": their numbers were gone from it. The earlier one is kept, and none written over."""
    manifest = "id,baseline,follow-up\nP1,b.png,f.png\nP2,b2.png,f.png\nP3,b.png,f.png\n"
    summary, earlier = tmp_path / "out" / "summary.csv", tmp_path / "out" / "summary-earlier.csv"
    _batch(tmp_path, manifest)
    whole = summary.read_bytes()
    quick["b2.png"] = KeyboardInterrupt()
    code, rows = _batch(tmp_path, manifest)
    assert code == 130 and [rows[study][0]["status"] for study in ("P2", "P3")] == ["not analysed"] * 2
    assert earlier.read_bytes() == whole
    assert capsys.readouterr().err.count("(run the batch again with --resume to analyse only those); the earlier run's summary.csv "
                                         f"(written {written_when(earlier)}) is kept as summary-earlier.csv\n") == 1
    cut = summary.read_bytes()
    assert _batch(tmp_path, manifest)[0] == 130  # cut short again: the first kept summary stays as it was
    assert earlier.read_bytes() == whole and (tmp_path / "out" / "summary-earlier-2.csv").read_bytes() == cut
    assert "is kept as summary-earlier-2.csv" in capsys.readouterr().err


def test_after_a_whole_rerun_the_kept_earlier_summary_says_what_it_is_and_when_it_was_written(quick, tmp_path,
                                                                                              capsys):
    """An interrupted run kept the earlier summary.csv as summary-earlier.csv; a whole run after it left that file
    beside its own summary.csv unsaid, dated the day it was copied: a researcher could not tell which was which, nor
    when the earlier one was made."""
    manifest = "id,baseline,follow-up\nP1,b.png,f.png\nP2,b2.png,f.png\n"
    out = tmp_path / "out"
    _batch(tmp_path, manifest)
    made = time.mktime((2026, 1, 5, 9, 30, 0, 0, 0, -1))  # the first run, weeks ago
    os.utime(out / "summary.csv", (made, made))
    quick["b2.png"] = KeyboardInterrupt()
    assert _batch(tmp_path, manifest)[0] == 130
    assert "the earlier run's summary.csv (written 2026-01-05 09:30) is kept as summary-earlier.csv" in \
        capsys.readouterr().err
    del quick["b2.png"]
    code, rows = _batch(tmp_path, manifest)
    assert code == 0 and list(rows) == ["P1", "P2"]
    assert capsys.readouterr().out.endswith(
        "note: summary-earlier.csv is not this run's summary but an earlier run's, written 2026-01-05 09:30, kept when "
        "a later run was interrupted (summary.csv is this run's)\n")
    assert (out / "summary-earlier.csv").stat().st_mtime == made  # its date in the folder is the earlier run's too


def test_an_earlier_summary_that_cannot_be_kept_is_not_written_over(quick, tmp_path, monkeypatch, capsys):
    import errno

    from jsnviewer.pipeline import batch

    manifest = "id,baseline,follow-up\nP1,b.png,f.png\nP2,b2.png,f.png\n"
    _batch(tmp_path, manifest)
    whole = (tmp_path / "out" / "summary.csv").read_bytes()
    real = batch.atomic_write_bytes

    def full(path, data):
        if path.name == "summary-earlier.csv":
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(path, data)

    monkeypatch.setattr(batch, "atomic_write_bytes", full)
    quick["b2.png"] = KeyboardInterrupt()
    capsys.readouterr()
    code, _ = _batch(tmp_path, manifest)
    out, err = capsys.readouterr()
    assert code == 2 and (tmp_path / "out" / "summary.csv").read_bytes() == whole
    assert "summary.csv: left as the earlier run wrote it, which could not be kept as summary-earlier.csv" in err
    assert out.startswith("id,folder,status") and "\nP2,,not analysed," in out


def test_a_study_whose_write_is_interrupted_leaves_no_empty_folder(quick, tmp_path, monkeypatch):
    def cut_short(folder, *args):
        Path(folder).mkdir(parents=True)
        raise KeyboardInterrupt

    monkeypatch.setattr("jsnviewer.pipeline.batch.write_results", cut_short)
    code, rows = _batch(tmp_path, "id,baseline,follow-up\ncut,b.png,f.png\n")
    assert code == 130 and rows["cut"][0]["status"] == "not analysed"
    assert not (tmp_path / "out" / "cut").exists()


def test_a_study_that_fails_on_a_rerun_says_its_folder_holds_an_earlier_runs_results(quick, tmp_path, capsys):
    """Run again with a study's follow-up now unreadable, its error row and the closing lines said nothing of its
    folder, which still held the earlier run's results.csv: numbers of a pair that is no longer the manifest's."""
    _batch(tmp_path, "id,baseline,follow-up\nP1,b.png,f.png\nP2,b.png,f.png\n")
    quick["b2.png"] = KeyboardInterrupt()
    code, rows = _batch(tmp_path, "id,baseline,follow-up\nP1,b.png,nothere.png\nstop,b2.png,f.png\nP2,b.png,f.png\n")
    assert code == 130 and (tmp_path / "out" / "P1" / "results.csv").is_file()
    earlier = "the folder {} holds the results of an earlier run, not of this one"
    assert (rows["P1"][0]["status"], rows["P1"][0]["warnings"]) == ("error", earlier.format("P1"))
    assert (rows["P2"][0]["status"], rows["P2"][0]["warnings"]) == ("not analysed", earlier.format("P2"))
    assert rows["stop"][0]["warnings"] == ""
    del quick["b2.png"]
    code, rows = _batch(tmp_path, "id,baseline,follow-up\nP1,b.png,nothere.png\nP2,b.png,f.png\n")
    assert code == 1 and rows["P1"][0]["warnings"] == earlier.format("P1")
    assert capsys.readouterr().out.endswith(f"note: {tmp_path / 'out'} also holds the results of 1 study of an earlier "
                                            "run, not of this one (not in summary.csv): P1\n")


def test_a_manifest_row_without_a_file_says_which_it_lacks(quick, tmp_path):
    """"lacks a baseline or a follow-up file" left whoever fixes the manifest to find out which."""
    code, rows = _batch(tmp_path, "id,baseline,follow-up\nnobase,,f.png\nnofollow,b.png,\n")
    assert code == 1
    assert rows["nobase"][0]["reason"] == "the manifest row names no baseline file"
    assert rows["nofollow"][0]["reason"] == "the manifest row names no follow-up file"


def test_a_radiograph_without_a_hand_is_named_by_its_whole_path_as_an_unreadable_one_is(tmp_path, monkeypatch):
    """"image.png: no hand to analyse" did not say which visit's image.png, of which folder, when a manifest
    keeps each visit in a folder of its own: a file that could not be read was named by its whole path."""
    from jsnviewer.cli.main import main
    from jsnviewer.pipeline import analyze as pipeline

    monkeypatch.setattr(pipeline.AnalysisModels, "load", staticmethod(lambda settings: None))
    for visit, level in (("2019", 0), ("2021", 90)):
        (tmp_path / visit).mkdir()
        Image.fromarray(np.full((400, 300), level, np.uint8)).save(tmp_path / visit / "image.png")
    (tmp_path / "m.csv").write_text("id,baseline,follow-up\nP1,2019/image.png,2021/image.png\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert main(["batch", "m.csv", "--out", "out", "--quiet"]) == 1
    (row,) = csv.DictReader((tmp_path / "out" / "summary.csv").open(encoding="utf-8"))
    assert row["reason"] == f"{tmp_path / '2019' / 'image.png'}: no hand to analyse: the image is one flat grey level"


def test_a_follow_up_column_typed_with_a_space_is_read(tmp_path):
    """A header "Baseline,Follow up" (as people type it) was refused as lacking the column follow-up."""
    from jsnviewer.pipeline.batch import read_manifest

    (tmp_path / "m.csv").write_text("ID,Baseline,Follow up\nP1,b.png,f.png\n")
    (study,) = read_manifest(tmp_path / "m.csv")
    assert (study["id"], study["baseline"], study["followup"]) == ("P1", "b.png", "f.png")


def test_a_manifest_without_the_columns_says_which_it_has(quick, tmp_path, capsys):
    """A header of other names (or a manifest of paths with no header) was refused without saying what the
    program read as its columns: the user could not tell a misspelt name from a missing first line."""
    from jsnviewer.cli.main import main

    (tmp_path / "m.csv").write_text("before,after\nb.png,f.png\n", encoding="utf-8")
    assert main(["batch", str(tmp_path / "m.csv"), "--out", str(tmp_path / "out"), "--quiet"]) == 2
    assert not (tmp_path / "out").exists()
    err = capsys.readouterr().err
    assert "needs the columns baseline and follow-up in its first line, which has: before, after" in err


def test_a_repeated_id_is_said_on_the_console_before_the_analysis(quick, tmp_path, capsys):
    """Two rows of one id (a copied row, a typo) were analysed into P1 and P1_2 with the only word of it in
    summary.csv's warnings column: the console said "2 of 2 studies analysed", and a summary joined on id
    counts that patient twice."""
    code, rows = _batch(tmp_path, "id,baseline,follow-up\nP1,b.png,f.png\nP1,b2.png,f.png\nP2,b.png,f.png\n")
    assert code == 0 and {r["folder"] for r in rows["P1"]} == {"P1", "P1_2"}
    err = capsys.readouterr().err
    assert "note: P1: results in folder P1_2: the folder P1 is taken by an earlier row" in err
    assert "P2" not in err  # a study whose folder is its id is nothing to say


@pytest.fixture
def resumable(quick, monkeypatch):
    """As `quick`, with results that record what made them as the real analysis's do (`settings_record`): the models
    ran on the CPU with weights whose digest `weights` gives (a retrained model changes it), and each study's result
    has two joints not measured, a warning and a note. `analysed` lists the studies analysed, by baseline file."""
    from types import SimpleNamespace

    from jsnviewer.pipeline import analyze as pipeline
    from jsnviewer.pipeline.result import UnpairedJoint

    weights = {"segmenter": "3f1c0e9a7b2d4c61"}
    analysed = []

    def load(settings):
        return SimpleNamespace(device="cpu", weights_files={name: {"file": f"/models/{name}.pt", "sha256": sha}
                                                            for name, sha in weights.items()})

    plain = pipeline.analyze

    def analyze(baseline, followup, models=None, settings=None, progress=None):
        analysed.append(baseline.path.name)
        unpaired = [UnpairedJoint("MCP2", "followup", (10.0, 20.0, 5.0, 5.0), "not found on the baseline radiograph"),
                    UnpairedJoint(None, "baseline", (30.0, 40.0, 5.0, 5.0), "fits no finger joint")]
        return dataclasses.replace(plain(baseline, followup), unpaired=unpaired,
                                   warnings=[f"{baseline.path.stem}: check the pair"], notes=["no pixel size"],
                                   settings=pipeline.settings_record(settings, models))

    monkeypatch.setattr(pipeline.AnalysisModels, "load", staticmethod(load))
    monkeypatch.setattr(pipeline, "analyze", analyze)
    return SimpleNamespace(fail=quick, weights=weights, analysed=analysed)


RESUMED = "id,baseline,follow-up\nP1,b1.png,f1.png\nP2,b2.png,f2.png\nP3,b3.png,f3.png\n"


def _run(folder: Path, manifest: str, *options: str, out: str = "out") -> tuple[int, list[dict]]:
    """`batch` with `options` on the manifest's text, each file it names made once with contents of its own: the exit
    status and summary.csv's rows."""
    from jsnviewer.cli.main import main

    for name in re.findall(r"[bf]\d\.png", manifest):
        if not (folder / name).exists():
            (folder / name).write_bytes(name.encode())
    (folder / "m.csv").write_text(manifest, encoding="utf-8")
    code = main(["batch", str(folder / "m.csv"), "--out", str(folder / out), "--quiet", *options])
    return code, list(csv.DictReader((folder / out / "summary.csv").open(encoding="utf-8")))


def _files(folder: Path) -> dict[str, tuple[int, bytes]]:
    return {str(p.relative_to(folder)): (p.stat().st_mtime_ns, p.read_bytes()) for p in folder.rglob("*") if p.is_file()}


def test_a_resumed_batch_keeps_the_studies_analysed_earlier_and_analyses_the_rest(resumable, tmp_path, capsys):
    """Ctrl+C after 300 of 500 studies, and run again: every study was analysed again (hours of a cohort's run)."""
    resumable.fail["b3.png"] = KeyboardInterrupt()
    assert _run(tmp_path, RESUMED)[0] == 130
    assert "run the batch again with --resume to analyse only those" in capsys.readouterr().err
    del resumable.fail["b3.png"]
    finished = {study: _files(tmp_path / "out" / study) for study in ("P1", "P2")}
    resumable.analysed.clear()
    code, rows = _run(tmp_path, RESUMED, "--resume")
    out, err = capsys.readouterr()
    assert code == 0 and resumable.analysed == ["b3.png"]
    assert {study: _files(tmp_path / "out" / study) for study in ("P1", "P2")} == finished  # not written again
    assert (tmp_path / "out" / "P3" / "results.json").is_file()
    assert "kept 2 of 3 studies analysed earlier; analysing 1\n" in err and "analysed again" not in err
    assert out.startswith(f"3 of 3 studies analysed (2 kept from an earlier run); summary in {tmp_path / 'out' / 'summary.csv'}\n"
                          "3 studies analysed with warnings: check the pair before using the numbers\n"
                          "  P1: b1: check the pair\n")
    kept = f"from an earlier run ({written_when(tmp_path / 'out' / 'P1' / 'results.json')})"
    assert [(row["id"], row["kept"]) for row in rows] == [("P1", kept)] * 2 + [("P2", kept)] * 2 + [("P3", "")] * 2


def test_a_resumed_batchs_summary_is_a_whole_runs(resumable, tmp_path):
    """The kept studies' rows are those the run that analysed them wrote, warnings and notes included: summary.csv
    after --resume reads as one run of the whole manifest, but for the column kept."""
    manifest = "id,baseline,follow-up\nP1,b1.png,f1.png,extra\nP1,b2.png,f2.png\nP3,b3.png,nothere.png\nP4,b4.png,f4.png\n"
    _run(tmp_path, "\n".join(manifest.splitlines()[:3]) + "\n")  # a manifest grown since
    resumable.analysed.clear()
    code, resumed = _run(tmp_path, manifest, "--resume")
    assert code == 1 and resumable.analysed == ["b4.png"]  # P3's follow-up is missing: tried again, fails again
    code, whole = _run(tmp_path, manifest, out="whole")
    assert code == 1
    assert {row["kept"] for row in resumed[:4]} != {""} and {row["kept"] for row in resumed[4:]} == {""}
    assert [dict(row, kept="") for row in resumed] == whole
    assert resumed[0]["warnings"] == ("the manifest row has 1 cell more than its header names; ignored: extra | "
                                      "b1: check the pair | no pixel size")


@pytest.mark.parametrize("change", ["baseline file", "settings", "weights"])
def test_a_study_whose_files_or_settings_changed_is_analysed_again_and_said_why(resumable, tmp_path, capsys, change):
    """A result of an earlier baseline file (replaced by a corrected export), or of other settings or weights, must not
    pass for the analysis of the study as it is now."""
    _run(tmp_path, RESUMED)
    options = []
    if change == "baseline file":
        (tmp_path / "b2.png").write_bytes(b"another export")
    elif change == "settings":
        options = ["--method", "poc"]
    else:
        resumable.weights["segmenter"] = "0123456789abcdef"  # retrained into the same file
    capsys.readouterr()
    resumable.analysed.clear()
    code, rows = _run(tmp_path, RESUMED, "--resume", *options)
    err = capsys.readouterr().err
    why = {"baseline file": "note: P2: analysed again: its baseline file b2.png changed since it was analysed\n",
           "settings": "note: P1: analysed again: it was analysed with other settings: registration_method refined "
                       "(now poc)\n",
           "weights": "note: P1: analysed again: it was analysed with other weights (bone segmenter)\n"}[change]
    assert code == 0 and why in err
    if change == "baseline file":
        assert resumable.analysed == ["b2.png"] and "kept 2 of 3 studies analysed earlier; analysing 1" in err
        assert {row["id"] for row in rows if not row["kept"]} == {"P2"}
    else:
        assert resumable.analysed == ["b1.png", "b2.png", "b3.png"]
        assert "kept 0 of 3 studies analysed earlier; analysing 3" in err and {row["kept"] for row in rows} == {""}


@pytest.mark.parametrize("damage", ["killed while writing", "results.json unreadable"])
def test_a_study_whose_result_was_written_half_is_analysed_again(resumable, tmp_path, monkeypatch, capsys, damage):
    """A run killed while a study's files were moved into its folder left some of them: that is no result to keep."""
    import jsnviewer.pipeline.report as report

    if damage == "killed while writing":
        real = os.replace

        def killed(source, target):
            if Path(target).name == "results.json" and Path(target).parent.name == "P2":
                raise KeyboardInterrupt
            real(source, target)

        monkeypatch.setattr(report.os, "replace", killed)
        assert _run(tmp_path, RESUMED)[0] == 130
        monkeypatch.setattr(report.os, "replace", real)
        assert (tmp_path / "out" / "P2" / "results.csv").is_file() and not (tmp_path / "out" / "P2" / "results.json").exists()
        why = "its folder P2 holds a partial result, written half (no results.json)"
    else:
        _run(tmp_path, RESUMED)
        (tmp_path / "out" / "P2" / "results.json").write_text('{"schema": "jsnviewer-res', encoding="utf-8")
        why = "its results.json or results.csv in P2 cannot be read ("
    capsys.readouterr()
    resumable.analysed.clear()
    code, rows = _run(tmp_path, RESUMED, "--resume")
    err = capsys.readouterr().err
    assert code == 0 and "b2.png" in resumable.analysed and f"note: P2: analysed again: {why}" in err
    assert (tmp_path / "out" / "P2" / "results.json").is_file()
    assert {row["kept"] for row in rows if row["id"] == "P2"} == {""}


def test_without_resume_every_study_is_analysed_again(resumable, tmp_path, capsys):
    _run(tmp_path, RESUMED)
    resumable.analysed.clear()
    code, rows = _run(tmp_path, RESUMED)
    assert code == 0 and resumable.analysed == ["b1.png", "b2.png", "b3.png"] and {row["kept"] for row in rows} == {""}
    assert "kept" not in capsys.readouterr().err


def test_results_json_records_the_digest_of_each_file_analysed(resumable, tmp_path):
    import hashlib
    import json

    _run(tmp_path, RESUMED)
    record = json.loads((tmp_path / "out" / "P1" / "results.json").read_text(encoding="utf-8"))
    assert record["baseline"]["sha256"] == hashlib.sha256(b"b1.png").hexdigest()
    assert record["followup"]["sha256"] == hashlib.sha256(b"f1.png").hexdigest()


def test_results_json_is_moved_into_a_study_folder_last(resumable, tmp_path, monkeypatch):
    """--resume takes a folder with results.json for a whole result: a write that moved it in before the pictures,
    cut short, would leave a result without them taken for complete."""
    import jsnviewer.pipeline.report as report

    moved, real = [], os.replace
    monkeypatch.setattr(report.os, "replace", lambda source, target: moved.append(Path(target)) or real(source, target))
    _run(tmp_path, RESUMED)
    into_p1 = [p.name for p in moved if p.parent == tmp_path / "out" / "P1"]  # not the staging folder's writes
    assert len(into_p1) == 3 and into_p1[-1] == "results.json"
