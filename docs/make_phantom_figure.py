"""Make docs/phantom-pair.png: a synthetic baseline/follow-up pair with its truth boxes (the part of each radiograph around its joints), and the joint whose
true JSN change is largest, cropped from both visits.

    python docs/make_phantom_figure.py [--seed 24 --findings-rate 0.3] [--out docs/phantom-pair.png]

The boxes use the program's findings palette and names (`jsnviewer.pipeline.overview`), so the figure
reads like the program's own pictures, also to a red/green colour-blind reader.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from jsnviewer.atomic import atomic_write
from jsnviewer.joints import FINDINGS
from jsnviewer.phantom import generate_study
from jsnviewer.pipeline.overview import (COLOURS, display_grey, finding_colour, finding_key, findings_abbrev,
                                         label_rects)

PANEL_HEIGHT = 570  # px of each radiograph in the figure
CROP = 295  # px of each joint crop (square): two fill the panel's height and the legend's


def _panel(radiograph, joints, title: str, font) -> Image.Image:
    """The radiograph's part around its joints (a box's height of margin), its truth boxes and names."""
    margin = float(np.median([j.box[3] for j in joints]))
    x0 = max(0.0, min(j.box[0] - j.box[2] / 2 for j in joints) - margin)
    y0 = max(0.0, min(j.box[1] - j.box[3] / 2 for j in joints) - margin)
    x1 = min(radiograph.width, max(j.box[0] + j.box[2] / 2 for j in joints) + margin)
    y1 = min(radiograph.height, max(j.box[1] + j.box[3] / 2 for j in joints) + margin)
    scale = PANEL_HEIGHT / (y1 - y0)
    grey = Image.fromarray(display_grey(radiograph.pixels, radiograph.window_center, radiograph.window_width))
    grey = grey.crop((round(x0), round(y0), round(x1), round(y1)))
    panel = grey.resize((round((x1 - x0) * scale), PANEL_HEIGHT), Image.BILINEAR).convert("RGB")
    draw = ImageDraw.Draw(panel)
    boxes = [((cx - w / 2 - x0) * scale, (cy - h / 2 - y0) * scale, (cx + w / 2 - x0) * scale, (cy + h / 2 - y0) * scale)
             for cx, cy, w, h in (j.box for j in joints)]
    texts = [" ".join(filter(None, [j.identity, findings_abbrev(j.findings)])) for j in joints]
    sizes = [(draw.textlength(t, font=font) + 6, font.size + 6) for t in texts]
    for box, joint in zip(boxes, joints):
        draw.rectangle(box, outline=finding_colour(joint.findings), width=2)
    placed = label_rects([(box, [size]) for box, size in zip(boxes, sizes)], boxes, (0, 0, *panel.size), 2)
    for (_, (lx0, ly0, lx1, ly1)), text, joint in zip(placed, texts, joints):
        draw.rectangle((lx0, ly0, lx1, ly1), fill=(0, 0, 0))
        draw.text((lx0 + 3, ly0 + 3), text, fill=finding_colour(joint.findings), font=font)
    draw.text((6, 6), title, fill=(255, 255, 255), font=font, stroke_width=2, stroke_fill=(0, 0, 0))
    return panel


def _crop(radiograph, centre: tuple[float, float], half: float, title: str, font) -> Image.Image:
    cx, cy = centre
    grey = Image.fromarray(display_grey(radiograph.pixels, radiograph.window_center, radiograph.window_width))
    crop = grey.crop((round(cx - half), round(cy - half), round(cx + half), round(cy + half)))
    crop = crop.resize((CROP, CROP), Image.BILINEAR).convert("RGB")
    ImageDraw.Draw(crop).text((6, 6), title, fill=(255, 255, 255), font=font, stroke_width=2, stroke_fill=(0, 0, 0))
    return crop


def make_figure(seed: int, findings_rate: float) -> Image.Image:
    study = generate_study(seed, findings_rate=findings_rate)
    font = ImageFont.load_default(size=13)
    truth = study.truth
    base = _panel(study.baseline, truth.baseline.joints, "baseline", font)
    follow = _panel(study.followup, truth.followup.joints, "follow-up", font)
    name, change = max(truth.changes.items(), key=lambda item: abs(item[1].jsn_mm))
    half = 0.8 * max(truth.baseline.joint(name).box[2:])
    crops = [_crop(study.baseline, truth.baseline.joint(name).centre, half, f"{name} baseline", font),
             _crop(study.followup, truth.followup.joint(name).centre, half,
                   f"{name} follow-up: true JSN {change.jsn_mm:+.2f} mm", font)]
    legend_height = 24
    figure = Image.new("RGB", (base.width + follow.width + CROP + 16, PANEL_HEIGHT + legend_height), (0, 0, 0))
    figure.paste(base, (0, 0))
    figure.paste(follow, (base.width + 8, 0))
    for row, crop in enumerate(crops):
        figure.paste(crop, (base.width + follow.width + 16, row * (CROP + 4)))
    draw = ImageDraw.Draw(figure)
    x = 6
    for key, words in (("none", "truth boxes: no finding"), *((f, finding_key(f)) for f in FINDINGS),
                       ("both", finding_key(*FINDINGS))):
        draw.text((x, PANEL_HEIGHT + 5), words, fill=COLOURS[key], font=font)
        x += draw.textlength(words, font=font) + 18
    return figure


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=24)
    parser.add_argument("--findings-rate", type=float, default=0.3)
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("phantom-pair.png"))
    args = parser.parse_args()
    figure = make_figure(args.seed, args.findings_rate)
    atomic_write(args.out, lambda tmp: figure.save(tmp, format="PNG"))
    print(f"wrote {args.out} ({figure.width} × {figure.height})")


if __name__ == "__main__":
    main()
