"""The synthetic hand study: determinism, ground truth consistent with the images, and the CLI."""

from __future__ import annotations

import json
import resource
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pydicom
import pytest
from scipy.ndimage import binary_erosion, gaussian_filter, map_coordinates

from jsnviewer.cli.main import main
from jsnviewer.joints import JOINT_IDENTITIES
from jsnviewer.phantom import generate_study, jsn_from_transforms, load_truth, write_study

SEED = 7


@pytest.fixture(scope="module")
def study():
    # A high findings rate so that one hand has ankylosed and subluxed joints as well as normal ones.
    return generate_study(SEED, findings_rate=0.5, erosion_rate=0.3)


def _points_in(mask_from, win_from, transform, mask_to, win_to):
    """Fraction of `mask_from`'s inner pixel centres that `transform` puts on `mask_to` (counting
    only points that land at least 2 px inside the other window), and how many were counted."""
    inner = binary_erosion(mask_from)
    ys, xs = np.nonzero(inner)
    x = xs + win_from[0] + 0.5
    y = ys + win_from[1] + 0.5
    tx = transform[0, 0] * x + transform[0, 1] * y + transform[0, 2] - win_to[0]
    ty = transform[1, 0] * x + transform[1, 1] * y + transform[1, 2] - win_to[1]
    h, w = mask_to.shape
    ok = (tx >= 2) & (tx < w - 2) & (ty >= 2) & (ty < h - 2)
    hits = mask_to[ty[ok].astype(int), tx[ok].astype(int)]
    return float(hits.mean()) if hits.size else 0.0, int(hits.size)


def _gap_px(joint, half_width_px: float) -> float:
    """Mean joint space width (px) over lines parallel to the joint axis near its centre, from the
    masks: along each line, the distance from the proximal bone's last pixel to the distal bone's first."""
    cx, cy = joint.centre
    ax, ay = joint.axis
    nx, ny = -ay, ax
    x0, y0 = joint.window_xy
    h, w = joint.upper_mask.shape
    t = np.arange(-40.0, 40.0, 0.02)
    gaps = []
    for s in np.linspace(-half_width_px, half_width_px, 81):
        px = cx + s * nx + t * ax - x0
        py = cy + s * ny + t * ay - y0
        ok = (px >= 0) & (px < w) & (py >= 0) & (py < h)
        up = np.zeros_like(t, dtype=bool)
        lo = np.zeros_like(t, dtype=bool)
        up[ok] = joint.upper_mask[py[ok].astype(int), px[ok].astype(int)]
        lo[ok] = joint.lower_mask[py[ok].astype(int), px[ok].astype(int)]
        if up.any() and lo.any():
            gaps.append(t[up][0] - t[lo][-1])
    return float(np.mean(gaps))


def test_same_seed_gives_identical_study(study):
    again = generate_study(SEED, findings_rate=0.5, erosion_rate=0.3)
    assert np.array_equal(again.baseline.pixels, study.baseline.pixels)
    assert np.array_equal(again.followup.pixels, study.followup.pixels)
    for a, b in zip(again.truth.followup.joints, study.truth.followup.joints):
        assert a.box == b.box and np.array_equal(a.upper_mask, b.upper_mask)
    other = generate_study(SEED + 1)
    assert not np.array_equal(other.baseline.pixels, study.baseline.pixels)


def test_images_are_12_bit_hand_radiographs(study):
    for r in (study.baseline, study.followup):
        assert r.pixels.shape == (2010, 1490)
        assert r.bits_stored == 12 and r.pixel_size_mm == 0.175
        assert 0 <= r.pixels.min() and r.pixels.max() <= 4095
        assert np.array_equal(r.pixels, np.round(r.pixels))
    # Bone is bright (MONOCHROME2): inside the bone masks brighter than the joint's surroundings.
    for j in study.truth.baseline.joints:
        x0, y0, w, h = j.mask_window()
        patch = study.baseline.pixels[y0 : y0 + h, x0 : x0 + w]
        bone = j.upper_mask | j.lower_mask
        assert patch[bone].mean() > patch[~bone].mean() + 200, j.identity


def test_every_joint_has_masks_inside_its_box(study):
    g = study.truth.global_transform
    for visit, scale in ((study.truth.baseline, 1.0), (study.truth.followup, float(np.sqrt(np.linalg.det(g[:2, :2]))))):
        assert sorted(j.identity for j in visit.joints) == sorted(JOINT_IDENTITIES)
        for j in visit.joints:
            cx, cy, w, h = j.box
            x0, y0, mw, mh = j.mask_window()
            assert np.floor(cx - w / 2) <= x0 and x0 + mw <= np.ceil(cx + w / 2), j.identity
            assert np.floor(cy - h / 2) <= y0 and y0 + mh <= np.ceil(cy + h / 2), j.identity
            # Both bones are in the box, each a good part of it (a box frames both bone ends).
            for mask in (j.upper_mask, j.lower_mask):
                assert 0.08 < mask.mean() < 0.6, j.identity
            # Box side about 2.5 bone widths: 18-45 mm for adult finger joints.
            assert 18.0 < w * 0.175 / scale < 45.0, j.identity


def test_truth_transforms_carry_baseline_masks_onto_followup_masks(study):
    for jb in study.truth.baseline.joints:
        jf = study.truth.followup.joint(jb.identity)
        change = study.truth.changes[jb.identity]
        for part, transform in (("upper_mask", change.upper_transform), ("lower_mask", change.lower_transform)):
            frac, n = _points_in(getattr(jb, part), jb.window_xy, transform, getattr(jf, part), jf.window_xy)
            assert n > 500, (jb.identity, part)
            assert frac >= 0.99, (jb.identity, part, frac)
    # The check can fail: the global transform alone does not carry the fingers (they flex and turn).
    misses = []
    for jb in study.truth.baseline.joints:
        jf = study.truth.followup.joint(jb.identity)
        frac, _ = _points_in(jb.upper_mask, jb.window_xy, study.truth.global_transform, jf.upper_mask, jf.window_xy)
        misses.append(frac < 0.99)
    assert any(misses)


def test_jsn_field_is_what_the_transforms_and_masks_show(study):
    px = study.truth.pixel_size_mm
    measured, truth = [], []
    for jb in study.truth.baseline.joints:
        change = study.truth.changes[jb.identity]
        implied = jsn_from_transforms(change.upper_transform, change.lower_transform, jb.centre, jb.axis, px)
        assert implied == pytest.approx(change.jsn_mm, abs=1e-9), jb.identity
        if jb.findings["ankylosis"] or jb.findings["subluxation"]:
            continue
        jf = study.truth.followup.joint(jb.identity)
        scale = float(np.sqrt(abs(np.linalg.det(change.lower_transform[:2, :2]))))
        # Width over the middle 4 mm of the joint, in baseline mm, from the masks alone.
        before = _gap_px(jb, 2.0 / px) * px
        after = _gap_px(jf, 2.0 * scale / px) * px / scale
        measured.append(after - before)
        truth.append(change.jsn_mm)
    measured, truth = np.array(measured), np.array(truth)
    assert len(truth) >= 5
    assert np.abs(measured - truth).max() < 0.1, np.round(measured - truth, 3)
    assert np.corrcoef(measured, truth)[0, 1] > 0.9


def test_ankylosed_joint_is_bridged_by_bone_and_a_normal_one_is_not(study):
    kinds = {"ankylosis": [], "normal": []}
    for j in study.truth.baseline.joints:
        x0, y0 = j.window_xy
        cx, cy = j.centre
        ax, ay = j.axis
        # Is there bone at every point of the axis 0.5 mm either side of the joint centre?
        t = np.linspace(-0.5, 0.5, 11) / 0.175
        xs = (cx + t * ax - x0).astype(int)
        ys = (cy + t * ay - y0).astype(int)
        bridged = bool((j.upper_mask | j.lower_mask)[ys, xs].all())
        if j.findings["ankylosis"]:
            kinds["ankylosis"].append(bridged)
        elif not any(j.findings.values()):
            kinds["normal"].append(bridged)
    assert kinds["ankylosis"] and all(kinds["ankylosis"])
    assert kinds["normal"] and not any(kinds["normal"])


def test_ankylosed_joint_shows_no_dark_joint_space_in_the_image(study):
    image = gaussian_filter(study.baseline.pixels.astype(float), 1.0)
    for j in study.truth.baseline.joints:
        if j.findings["subluxation"] or j.findings["erosion"]:
            continue
        # Grey levels along the joint axis, 2.5 mm either side of the centre.
        t = np.linspace(-2.5, 2.5, 51) / 0.175
        profile = map_coordinates(image, [j.centre[1] + t * j.axis[1] - 0.5, j.centre[0] + t * j.axis[0] - 0.5], order=1)
        dip = profile[np.abs(t) < 0.4 / 0.175].min() / ((profile[:8].mean() + profile[-8:].mean()) / 2)
        if j.findings["ankylosis"]:
            assert dip > 0.75, (j.identity, dip)
        else:
            assert dip < 0.7, (j.identity, dip)


def test_subluxed_joint_has_its_distal_bone_offset_sideways(study):
    offsets = {True: [], False: []}
    for j in study.truth.baseline.joints:
        if j.findings["ankylosis"]:
            continue
        x0, y0 = j.window_xy
        h, w = j.upper_mask.shape
        xs, ys = np.meshgrid(np.arange(w) + x0 + 0.5, np.arange(h) + y0 + 0.5)
        along = (xs - j.centre[0]) * j.axis[0] + (ys - j.centre[1]) * j.axis[1]
        across = -(xs - j.centre[0]) * j.axis[1] + (ys - j.centre[1]) * j.axis[0]
        near = np.abs(along) < 3.0 / 0.175  # the bone ends within 3 mm of the joint centre
        up = across[j.upper_mask & near].mean()
        lo = across[j.lower_mask & near].mean()
        offsets[j.findings["subluxation"]].append(abs(up - lo) * 0.175)
    assert offsets[True] and min(offsets[True]) > 2.0, offsets[True]
    assert max(offsets[False]) < 1.5, offsets[False]


def test_written_truth_reads_back(study, tmp_path):
    write_study(tmp_path / "pair", study, "png")
    truth = load_truth(tmp_path / "pair")
    assert truth.pixel_size_mm == study.truth.pixel_size_mm and truth.laterality == study.truth.laterality
    for a, b in zip(truth.followup.joints, study.truth.followup.joints):
        assert a.identity == b.identity and a.box == b.box and a.findings == b.findings
        assert a.window_xy == b.window_xy and np.array_equal(a.upper_mask, b.upper_mask) and np.array_equal(a.lower_mask, b.lower_mask)
    for ident, c in study.truth.changes.items():
        assert np.array_equal(truth.changes[ident].upper_transform, c.upper_transform)
        assert truth.changes[ident].jsn_mm == c.jsn_mm


def test_a_study_that_cannot_be_written_leaves_no_folder_behind_to_block_the_next_run(study, tmp_path, monkeypatch):
    """On a full disk `phantom` left an empty pair_000 that the next run, with room, refused to overwrite."""
    import errno

    from jsnviewer.phantom import study as module

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(module, "write_truth", full)
    with pytest.raises(OSError):
        write_study(tmp_path / "pair", study, "png")
    assert not (tmp_path / "pair").exists()
    monkeypatch.undo()
    write_study(tmp_path / "pair", study, "png")
    assert load_truth(tmp_path / "pair").laterality == study.truth.laterality


def test_cli_writes_dicom_pairs_with_the_pixel_size_and_refuses_to_overwrite(tmp_path, capsys):
    out = tmp_path / "p"
    assert main(["phantom", str(out), "--pairs", "1", "--seed", "1", "--format", "dcm", "--pixel-size", "0.15"]) == 0
    pair = out / "pair_000"
    for name in ("baseline.dcm", "followup.dcm"):
        ds = pydicom.dcmread(pair / name)
        assert [float(v) for v in ds.PixelSpacing] == [0.15, 0.15]
        assert ds.pixel_array.shape == (2010, 1490) and int(ds.BitsStored) == 12
    doc = json.loads((pair / "truth.json").read_text())
    assert doc["version"] == 1 and doc["pixel_size_mm"] == 0.15
    assert len(doc["joints"]) == 14 and all((pair / j["upper_mask"]).is_file() for j in doc["baseline"]["joints"])
    capsys.readouterr()
    assert main(["phantom", str(out), "--pairs", "1"]) == 2
    err = capsys.readouterr().err
    assert "--overwrite" in err and err.count("\n") == 1


def test_a_negative_seed_is_one_clear_error(tmp_path, capsys):
    assert main(["phantom", str(tmp_path / "p"), "--seed", "-5"]) == 2
    assert capsys.readouterr().err.strip() == "jsnviewer: error: --seed must be 0 or more, not -5"
    assert not (tmp_path / "p").exists()



@pytest.mark.parametrize("fmt", ["dcm", "png"])
def test_a_disk_that_fills_up_is_one_clear_error_naming_the_file(tmp_path, fmt):
    def small_disk():  # every file stops at 1 MB, as on a full disk (the write fails; the process goes on)
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 20, 1 << 20))

    run = subprocess.run([sys.executable, "-m", "jsnviewer", "phantom", str(tmp_path / "p"), "--format", fmt],
                         capture_output=True, text=True, preexec_fn=small_disk, timeout=300)
    assert run.returncode == 2
    assert run.stderr == f"jsnviewer: error: File too large ({tmp_path / 'p' / 'pair_000' / f'baseline.{fmt}'})\n"
    assert not any(path.is_file() for path in (tmp_path / "p").rglob("*"))  # no partial radiograph left


def test_bad_truth_files_give_one_clear_error(tmp_path):
    from jsnviewer.phantom import TruthError

    with pytest.raises(TruthError, match="file not found"):
        load_truth(tmp_path / "nothing")
    (tmp_path / "truth.json").write_text("{not json")
    with pytest.raises(TruthError, match="not a readable truth file"):
        load_truth(tmp_path)
    (tmp_path / "truth.json").write_text(json.dumps({"version": 99}))
    with pytest.raises(TruthError, match="unsupported truth version 99"):
        load_truth(tmp_path)
    (tmp_path / "truth.json").write_text(json.dumps({"version": 1, "baseline": {"joints": [{"identity": "MCP2"}]}}))
    with pytest.raises(TruthError, match="malformed"):
        load_truth(tmp_path)


def test_docs_figure_script_draws_the_truth_boxes_in_the_programs_palette(tmp_path):
    """docs/make_phantom_figure.py (which makes docs/phantom-pair.png) runs and draws each finding in its colour."""
    from PIL import Image

    from jsnviewer.pipeline.overview import COLOURS

    out = tmp_path / "figure.png"
    script = Path(__file__).resolve().parents[1] / "docs" / "make_phantom_figure.py"
    done = subprocess.run([sys.executable, str(script), "--out", str(out)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    pixels = np.asarray(Image.open(out).convert("RGB")).reshape(-1, 3)
    for finding in ("none", "ankylosis", "subluxation"):  # seed 24 has joints of each
        assert (pixels == COLOURS[finding]).all(axis=1).sum() > 200, finding


def test_a_truth_file_lacking_an_entry_names_it_in_words(tmp_path):
    """It said "(KeyError: 'seed')": the name of an exception, not what the file lacks."""
    from jsnviewer.phantom import TruthError

    (tmp_path / "truth.json").write_text(json.dumps({"version": 1}))
    with pytest.raises(TruthError) as info:
        load_truth(tmp_path)
    assert str(info.value).endswith("malformed truth file ('baseline' is missing)"), str(info.value)
