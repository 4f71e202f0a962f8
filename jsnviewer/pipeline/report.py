"""Writing a StudyResult for people and programs: results.json, results.csv, overview.png and the
per-joint pictures (crops, masks, loss spectra). Every file is written atomically."""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from jsnviewer.atomic import atomic_write, atomic_write_bytes, atomic_write_json
from jsnviewer.joints import FINDINGS, JOINT_IDENTITIES
from jsnviewer.pipeline.result import StudyResult

CSV_COLUMNS = ["identity", "jsn_mm", "jsn_px", "reliable", "baseline_findings", "followup_findings",
               "ankylosis_confidence_followup", "subluxation_confidence_followup", "original_loss",
               "transformed_loss", "reliability_reasons"]
RESULT_FILES = ("results.json", "results.csv", "overview.png")
STAGING_PREFIX = ".jsnviewer-writing-"
STAGING_ABANDONED_S = 3600.0
JOINT_PICTURE = re.compile(rf"({'|'.join(JOINT_IDENTITIES)})_(fixed|moving|fixed_masks|moving_masks|spectrum_original|spectrum_transformed)\.png")
# Box colours by finding, the same in the GUI legend and the report.
COLOURS = {"none": (80, 170, 255), "ankylosis": (235, 70, 60), "subluxation": (255, 170, 0), "both": (220, 90, 200)}


def finding_colour(findings: dict[str, bool]) -> tuple[int, int, int]:
    a, s = findings.get("ankylosis", False), findings.get("subluxation", False)
    return COLOURS["both" if a and s else "ankylosis" if a else "subluxation" if s else "none"]


def _findings_cell(findings: dict[str, bool]) -> str:
    return ";".join(name for name in FINDINGS if findings.get(name)) or "none"


def _confidence(confidences: dict[str, float], name: str) -> str:
    return f"{confidences[name]:.3f}" if name in confidences else ""


def csv_rows(result: StudyResult) -> list[dict[str, object]]:
    rows = []
    for j in result.joints:
        reg = j.registration
        rows.append({
            "identity": j.identity,
            "jsn_mm": "" if j.jsn_mm is None else f"{j.jsn_mm:.4f}",
            "jsn_px": f"{j.jsn_px:.4f}",
            "reliable": "yes" if j.reliable else "no",
            "baseline_findings": _findings_cell(j.baseline.findings),
            "followup_findings": _findings_cell(j.followup.findings),
            "ankylosis_confidence_followup": _confidence(j.followup.confidences, "ankylosis"),
            "subluxation_confidence_followup": _confidence(j.followup.confidences, "subluxation"),
            "original_loss": f"{reg.original_loss:.5f}",
            "transformed_loss": f"{reg.transformed_loss:.5f}",
            "reliability_reasons": "; ".join(reg.reasons),
        })
    for u in result.unpaired:
        rows.append({"identity": u.identity or "?", "jsn_mm": "", "jsn_px": "", "reliable": "no",
                     "reliability_reasons": f"{u.visit}: {u.reason}"})
    return rows


def write_csv(path: str | Path, result: StudyResult) -> Path:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=CSV_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(csv_rows(result))
    return atomic_write_bytes(path, buf.getvalue().encode("utf-8"))


def _display(pixels: np.ndarray, centre: float | None = None, width: float | None = None) -> np.ndarray:
    if centre is None or width is None or width <= 0:
        lo, hi = np.percentile(pixels, [0.5, 99.5])
    else:
        lo, hi = centre - width / 2, centre + width / 2
    return (np.clip((pixels - lo) / max(hi - lo, 1e-6), 0, 1) * 255).astype(np.uint8)


def _font(size: int):
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow without FreeType
        return ImageFont.load_default()


def overview_image(result: StudyResult, baseline, followup, max_height: int = 1400) -> Image.Image:
    """Both radiographs side by side with each joint's box, identity, findings and JSN drawn."""
    scale = min(1.0, max_height / max(baseline.height, followup.height))
    panels = []
    font = _font(max(14, int(34 * scale)))
    small = _font(max(12, int(26 * scale)))
    for visit, radiograph in (("baseline", baseline), ("followup", followup)):
        grey = Image.fromarray(_display(radiograph.pixels, radiograph.window_center, radiograph.window_width))
        grey = grey.resize((max(1, round(radiograph.width * scale)), max(1, round(radiograph.height * scale))), Image.BILINEAR)
        panel = grey.convert("RGB")
        draw = ImageDraw.Draw(panel)
        for j in result.joints:
            det = getattr(j, visit)
            cx, cy, w, h = (v * scale for v in det.box)
            colour = finding_colour(det.findings)
            draw.rectangle([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], outline=colour, width=max(2, int(4 * scale)))
            label = j.identity
            if visit == "followup":
                label += f"\n{j.jsn_text(2, 1)}" + ("" if j.reliable else " ?")
            _label(draw, (cx - w / 2 + 4, cy - h / 2 + 4), label, colour, small)
        for u in result.unpaired:
            if u.visit == visit:
                cx, cy, w, h = (v * scale for v in u.box)
                draw.rectangle([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], outline=(150, 150, 150), width=max(1, int(2 * scale)))
        title = "Baseline" if visit == "baseline" else "Follow-up"
        info = getattr(result, visit)
        _label(draw, (10, 8), f"{title}  {info.study_date or ''}  {info.file_name}", (255, 255, 255), font)
        panels.append(panel)
    out = Image.new("RGB", (panels[0].width + panels[1].width + 8, max(p.height for p in panels)), (20, 20, 20))
    out.paste(panels[0], (0, 0))
    out.paste(panels[1], (panels[0].width + 8, 0))
    legend = "JSN = follow-up minus baseline joint space width (narrowing is negative); ? = not reliable"
    _label(ImageDraw.Draw(out), (10, out.height - small.size - 12), legend, (230, 230, 230), small)
    return out


def _label(draw: ImageDraw.ImageDraw, xy: tuple[float, float], text: str, colour, font) -> None:
    left, top, right, bottom = draw.multiline_textbbox(xy, text, font=font, spacing=2)
    draw.rectangle([left - 2, top - 2, right + 2, bottom + 2], fill=(0, 0, 0))
    draw.multiline_text(xy, text, fill=colour, font=font, spacing=2)


def _png(path: Path, array: np.ndarray) -> None:
    atomic_write(path, lambda tmp: Image.fromarray(array).save(tmp, format="PNG"))


def write_joint_pictures(folder: Path, result: StudyResult) -> None:
    """joints/<identity>_{fixed,moving,fixed_masks,moving_masks,spectrum_original,spectrum_transformed}.png"""
    for j in result.joints:
        c, reg = j.crops, j.registration
        _png(folder / f"{j.identity}_fixed.png", _display(c.fixed))
        _png(folder / f"{j.identity}_moving.png", _display(c.moving))
        for name, upper, lower in (("fixed", c.fixed_upper, c.fixed_lower), ("moving", c.moving_upper, c.moving_lower)):
            rgb = np.zeros(upper.shape + (3,), np.uint8)
            rgb[..., 0] = upper * 255
            rgb[..., 2] = lower * 255
            _png(folder / f"{j.identity}_{name}_masks.png", rgb)
        spectra = [s for s in (reg.spectrum_original, reg.spectrum_transformed) if s is not None]
        if spectra:
            top = max(float(np.max(s)) for s in spectra) or 1.0
            for name, s in (("original", reg.spectrum_original), ("transformed", reg.spectrum_transformed)):
                if s is not None:
                    _png(folder / f"{j.identity}_spectrum_{name}.png", (np.clip(s / top, 0, 1) * 255).astype(np.uint8))


def previous_results(folder: str | Path) -> list[Path]:
    """The files an earlier `write_results` left in `folder`, and nothing else a user keeps there."""
    folder = Path(folder)
    files = [folder / name for name in RESULT_FILES if (folder / name).is_file()]
    joints = folder / "joints"
    if joints.is_dir():
        files += sorted(p for p in joints.iterdir() if JOINT_PICTURE.fullmatch(p.name) and p.is_file())
    return files


def write_results(out_dir: str | Path, result: StudyResult, baseline, followup) -> dict[str, Path]:
    """Write results.json, results.csv, overview.png and joints/*.png into `out_dir`, replacing the
    `previous_results` there so no other study's pictures stay beside them. Everything is written
    into a hidden staging folder first: if that fails (a full disk), the earlier results are untouched."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    _remove_abandoned_staging(out)
    stage = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=out))
    try:
        _write_all(stage, result, baseline, followup)
        for old in previous_results(out):
            old.unlink()
        for new in sorted(p for p in stage.rglob("*") if p.is_file()):
            target = out / new.relative_to(stage)
            target.parent.mkdir(exist_ok=True)
            os.replace(new, target)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return {"json": out / "results.json", "csv": out / "results.csv", "overview": out / "overview.png"}


def _remove_abandoned_staging(out: Path) -> None:
    """Staging folders of writes killed half-way (they hold patient pictures), not touched for an hour: one
    that is younger may be another program's write in progress."""
    for stage in out.glob(f"{STAGING_PREFIX}*"):
        try:
            abandoned = stage.is_dir() and time.time() - stage.stat().st_mtime > STAGING_ABANDONED_S
        except OSError:
            continue
        if abandoned:
            shutil.rmtree(stage, ignore_errors=True)


def _write_all(out: Path, result: StudyResult, baseline, followup) -> None:
    atomic_write_json(out / "results.json", result.to_json())
    write_csv(out / "results.csv", result)
    picture = overview_image(result, baseline, followup)
    atomic_write(out / "overview.png", lambda tmp: picture.save(tmp, format="PNG"))
    write_joint_pictures(out / "joints", result)
