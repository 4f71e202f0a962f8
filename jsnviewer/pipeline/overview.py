"""overview.png, the picture of a study's results: both radiographs with every joint's box, name, findings
and JSN, the pair's warnings above them and a legend; and the findings' palette, which the window's boxes and
tables share (`finding_colour`). Patient names are never drawn: a visit is named by its patient ID, hand and
file (`visit_details`)."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from jsnviewer.joints import BOTH, FINDINGS, SIDES, anatomical
from jsnviewer.pipeline.placement import Place, Rect, box_rect, label_places, outside, overlap, tag_places, text_rect
from jsnviewer.pipeline.result import (JSN_CONVENTION, NOT_ASSESSED, UNRELIABLE_MARK, JointDetectionInfo, JointResult,
                                       StudyResult, VisitInfo)
from jsnviewer.radiograph.model import percentile_window

# Box colours by finding, the same in the GUI legend and the report. Chosen so that a red/green colour-blind
# reader still tells them apart (a light pink "both", not a purple that reads as the blue of no finding; a
# yellow subluxation, lighter than the red of ankylosis) and that each reads at WCAG AA (4.5:1) as text on the
# dark tables and on the labels' fill; the labels also name the findings (`findings_abbrev`).
COLOURS = {"none": (60, 150, 255), "ankylosis": (255, 100, 80), "subluxation": (255, 210, 0), "both": (255, 175, 255)}

UNPAIRED_COLOUR = (150, 150, 150)
NOT_MEASURED = "not measured"  # a joint found on one visit only: its box's label, and the legend's key

# a visit's joint whose findings were not assessed (a picture that may be no hand): neither "no finding" nor a finding
NOT_ASSESSED_COLOUR = (235, 235, 235)

PAIR_CHECK = "CHECK THE PAIR BEFORE USING THESE NUMBERS"

BANNER_COLOUR = (190, 30, 20)  # white type on it: high contrast on screen and on paper

JSN_LEGEND = f"{JSN_CONVENTION}; {UNRELIABLE_MARK} = not reliable"

GAP = 8  # px between the two radiographs of the overview


def finding_colour(findings: dict[str, bool]) -> tuple[int, int, int]:
    a, s = findings.get("ankylosis", False), findings.get("subluxation", False)
    return COLOURS["both" if a and s else "ankylosis" if a else "subluxation" if s else "none"]


def visit_colour(info: JointDetectionInfo) -> tuple[int, int, int]:
    """A joint's colour on one visit: its findings', or that they were not assessed."""
    return NOT_ASSESSED_COLOUR if info.not_assessed else finding_colour(info.findings)


def findings_abbrev(findings: dict[str, bool]) -> str:
    """'ank', 'sub', 'ank sub' or '': the findings beside a joint's name, so that they are not told by colour alone;
    the same words in the window's boxes, overview.png and the report."""
    return " ".join(name[:3] for name in FINDINGS if findings.get(name))


def finding_key(*names: str) -> str:
    """A legend's key to the labels' words: 'ank = ankylosis', 'sub = subluxation', 'ank sub = both'."""
    return f"{findings_abbrev(dict.fromkeys(names, True))} = {names[0] if len(names) == 1 else 'both'}"


def hand_text(info: VisitInfo) -> str:
    """'right hand', 'right hand (named by the reader)' where the file stated another or none, 'both hands' (the file's
    "B"), 'both hands (from the joints)' / 'left hand (from the joints)' where the joints say what the file
    does not (joints of both hands named; one hand's, "L MCP2"; the hand plainly named joints lie as), 'hand not stated'."""
    if info.laterality not in (*SIDES, BOTH):
        return "hand not stated"
    words = "both hands" if info.laterality == BOTH else f"{SIDES[info.laterality]} hand"
    if info.laterality_from_joints:
        return f"{words} (from the joints)"
    return words + (" (named by the reader)" if info.laterality_by_reader else "")


def visit_details(info: VisitInfo) -> str:
    """Whose radiograph: 'Patient ID P-7 · right hand · baseline.dcm' (never the patient's name)."""
    return f"Patient ID {info.patient_id or 'not stated'} · {hand_text(info)} · {info.file_name}"


GREY_CHUNK = 1 << 20  # pixels turned to grey at a time (8 MB of float64)


def display_grey(pixels: np.ndarray, centre: float | None = None, width: float | None = None) -> np.ndarray:
    """8-bit grey for a picture: the window given (the radiograph's own), else the one the viewer opens with
    (`percentile_window`); what is not a number is black."""
    if centre is None or width is None or not width > 0:
        centre, width = percentile_window(pixels)
    pixels = np.asarray(pixels)
    grey = np.empty(pixels.shape, np.uint8)
    # a few rows at a time: the whole of a 12000 × 12000 radiograph in float64, twice over, ran a computer with a
    # few GB out of memory after its analysis, and the results were not written
    rows = max(1, GREY_CHUNK // max(1, pixels[:1].size))
    for start in range(0, max(1, len(pixels)), rows):
        scaled = np.clip((np.asarray(pixels[start:start + rows], np.float64) - (centre - width / 2)) / width, 0, 1)
        grey[start:start + rows] = np.nan_to_num(scaled, nan=0.0) * 255
    return grey


def _font(size: int):
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow without FreeType
        return ImageFont.load_default()


def _wrap(text: str, font, width: float) -> list[str]:
    """`text` broken at spaces into lines no wider than `width` (a longer word stands alone)."""
    lines: list[str] = []
    for word in text.split():
        if lines and font.getlength(f"{lines[-1]} {word}") <= width:
            lines[-1] += f" {word}"
        else:
            lines.append(word)
    return lines or [""]


def _box_rect(box, scale: float, origin: tuple[float, float] = (0.0, 0.0)) -> Rect:
    x0, y0, x1, y1 = box_rect(box)
    return x0 * scale - origin[0], y0 * scale - origin[1], x1 * scale - origin[0], y1 * scale - origin[1]


def _outline(box: Rect, half: float) -> list[Rect]:
    """A box's four sides as strips `2 * half` thick: a label crossing one is struck through by it."""
    x0, y0, x1, y1 = box
    return [(x0 - half, y0 - half, x1 + half, y0 + half), (x0 - half, y1 - half, x1 + half, y1 + half),
            (x0 - half, y0 - half, x0 + half, y1 + half), (x1 - half, y0 - half, x1 + half, y1 + half)]


def _grow(box: Rect, d: float) -> Rect:
    return box[0] - d, box[1] - d, box[2] + d, box[3] + d


def _places(box: Rect, size: tuple[float, float], line: float) -> list[list[Place]]:
    """Where a joint's label may go, nearest first: inside its box at a corner, clear of the outline, above
    it, beside and below it (`placement`) and along each side; then the same one and two label heights
    further out, for where boxes crowd."""
    inner, outer = _grow(box, -2 * line), _grow(box, 2 * line)
    rings = []
    for ring in (outer, _grow(outer, size[1]), _grow(outer, 2 * size[1])):
        x0, y0, x1, y1 = ring
        places = label_places(ring) + tag_places(ring)[4:]
        for t in (0.5, 0.25, 0.75):
            x, y = x0 + t * (x1 - x0), y0 + t * (y1 - y0)
            places += [((x, y0), (0.5, 1.0)), ((x1, y), (0.0, 0.5)), ((x0, y), (1.0, 0.5)), ((x, y1), (0.5, 0.0))]
        rings.append(places)
    rings[0] = tag_places(inner)[:4] + rings[0]
    return rings


def _inside(rect: Rect, boxes: list[Rect]) -> bool:
    """Whether the middle of `rect` lies in one of `boxes`."""
    x, y = (rect[0] + rect[2]) / 2, (rect[1] + rect[3]) / 2
    return any(b[0] < x < b[2] and b[1] < y < b[3] for b in boxes)


def label_rects(labels: list[tuple[Rect, list[tuple[float, float]]]], boxes: list[Rect], bounds: Rect,
                line: float) -> list[tuple[int, Rect]]:
    """Which form of each label (its joint's box, the sizes of its forms, the first the usual) goes where, of its
    `_places`: one that covers no label placed before, no other box's outline (`line` wide) and nothing outside
    `bounds` (else the least of them); then one not centred in another joint's box (it would read as that joint's);
    then the first form; then the nearest; then one clear of its own box's outline and covering least of other boxes;
    the first of equals."""
    frame = outside(bounds)
    # overlap() ignores overlaps thinner than its slack, a tenth of a text's height: widen sides and labels by that much
    slack = 0.1 * max((sizes[0][1] for _, sizes in labels), default=0.0)
    sides = {box: _outline(box, line + slack) for box in boxes}
    placed: list[tuple[int, Rect]] = []
    for box, sizes in labels:
        others = [b for b in boxes if b != box]
        taken = frame + [side for b in others for side in sides[b]] + [_grow(r, line + slack) for _, r in placed]

        def cost(candidate: tuple[int, int, Rect]) -> tuple[float, bool, int, int, float, float]:
            form, ring, rect = candidate
            return (sum(overlap(rect, t, slack) for t in taken), _inside(rect, others), form, ring,
                    sum(overlap(rect, s, slack) for s in sides[box]), sum(overlap(rect, b) for b in others))

        candidates = [(form, n, text_rect(place, size)) for form, size in enumerate(sizes)
                      for n, ring in enumerate(_places(box, size, line)) for place in ring]
        form, _, rect = min(candidates, key=cost)
        placed.append((form, rect))
    return placed


def _joint_labels(joint: JointResult, visit: str) -> list[str]:
    """A joint's label in its forms: 'DIP2 ank' on the baseline, 'DIP2 ank' over '+0.01 mm ?' on the follow-up, as the
    window's box says it; then, narrower for where boxes crowd, its findings on a line of their own (never left out:
    a colour-blind reader tells them by the words)."""
    findings = findings_abbrev(getattr(joint, visit).findings)
    jsn = [] if visit == "baseline" else [joint.marked_jsn_text(2, 1)]
    name = " ".join(filter(None, [joint.identity, findings]))
    return ["\n".join([name, *jsn])] + (["\n".join([joint.identity, findings, *jsn])] if findings else [])


def _region(result: StudyResult, visit: str, radiograph) -> tuple[float, float, float, float]:
    """The part of a radiograph the named joints' boxes cover, with a margin of a box: (x0, y0, x1, y1)."""
    boxes = [getattr(j, visit).box for j in result.joints]
    boxes += [u.box for u in result.unpaired if u.visit == visit and u.identity is not None]
    if not boxes:
        return 0.0, 0.0, float(radiograph.width), float(radiograph.height)
    rects = np.array([_box_rect(b, 1.0) for b in boxes])
    margin = float(np.median([b[3] for b in boxes]))
    return (max(0.0, rects[:, 0].min() - margin), max(0.0, rects[:, 1].min() - margin),
            min(float(radiograph.width), rects[:, 2].max() + margin), min(float(radiograph.height), rects[:, 3].max() + margin))


def _panel(result: StudyResult, visit: str, radiograph, scale: float, region, font, line: int) -> Image.Image:
    """One radiograph (the `region` of it) with every box drawn first, then each joint's label where it
    covers no other label and no box's outline."""
    x0, y0, x1, y1 = region
    grey = Image.fromarray(display_grey(radiograph.pixels, radiograph.window_center, radiograph.window_width))
    grey = grey.crop((round(x0), round(y0), round(x1), round(y1)))
    panel = grey.resize((max(1, round((x1 - x0) * scale)), max(1, round((y1 - y0) * scale))), Image.BILINEAR).convert("RGB")
    draw = ImageDraw.Draw(panel)
    origin = (x0 * scale, y0 * scale)
    joints = anatomical(result.joints)
    boxes = [_box_rect(getattr(j, visit).box, scale, origin) for j in joints]
    unpaired = [_box_rect(u.box, scale, origin) for u in result.unpaired if u.visit == visit]
    for box in unpaired:
        draw.rectangle(box, outline=UNPAIRED_COLOUR, width=max(1, line // 2))
    for j, box in zip(joints, boxes):
        draw.rectangle(box, outline=visit_colour(getattr(j, visit)), width=line)
    # a joint found on this visit only is named, as in the window: a grey box alone does not say which joint it is
    # (the wrist's boxes, which fit no finger joint, stay unnamed)
    unmeasured = [u for u in anatomical(result.unpaired) if u.visit == visit and u.identity is not None]
    labelled = boxes + [_box_rect(u.box, scale, origin) for u in unmeasured]
    forms = [_joint_labels(j, visit) for j in joints] + [[f"{u.identity}\n{NOT_MEASURED}"] for u in unmeasured]
    pad = max(3, line)
    sizes = []
    for texts in forms:
        bboxes = [draw.multiline_textbbox((0, 0), text, font=font, spacing=2) for text in texts]
        sizes.append([(right + 2 * pad, bottom + 2 * pad) for _, _, right, bottom in bboxes])
    chosen = label_rects(list(zip(labelled, sizes)), boxes + unpaired, (0, 0, panel.width, panel.height), line)
    texts = [texts[form] for texts, (form, _) in zip(forms, chosen)]
    rects = [rect for _, rect in chosen]
    colours = [visit_colour(getattr(j, visit)) for j in joints] + [UNPAIRED_COLOUR] * len(unmeasured)
    for box, rect, colour in zip(labelled, rects, colours):
        if not overlap(rect, _grow(box, 3 * line)):  # pushed away by crowding: a line leads to its box
            draw.line(_leader(rect, box), fill=colour, width=max(1, line // 2))
    for text, (lx, ly, rx, ry), colour in zip(texts, rects, colours):
        draw.rectangle([lx, ly, rx, ry], fill=(0, 0, 0))
        draw.multiline_text((lx + pad, ly + pad), text, fill=colour, font=font, spacing=2)
    return panel


def _leader(a: Rect, b: Rect) -> list[tuple[float, float]]:
    """The shortest line from rectangle a to rectangle b (apart)."""
    def ends(lo_a: float, hi_a: float, lo_b: float, hi_b: float) -> tuple[float, float]:
        if hi_a < lo_b:
            return hi_a, lo_b
        if hi_b < lo_a:
            return lo_a, hi_b
        middle = (max(lo_a, lo_b) + min(hi_a, hi_b)) / 2
        return middle, middle

    (xa, xb), (ya, yb) = ends(a[0], a[2], b[0], b[2]), ends(a[1], a[3], b[1], b[3])
    return [(xa, ya), (xb, yb)]


def _banner(warnings: list[str], width: int, unit: int) -> Image.Image:
    """The pair's warnings on a red band, in type large enough to be read before any number."""
    title, body = _font(round(1.9 * unit)), _font(round(1.35 * unit))
    lines = [line for w in warnings for line in _wrap(w, body, width - 4 * unit)]
    gap = round(0.4 * unit)
    height = round(1.6 * unit) + title.size + gap + len(lines) * (body.size + gap) + unit
    band = Image.new("RGB", (width, height), BANNER_COLOUR)
    draw = ImageDraw.Draw(band)
    y = unit
    draw.text((unit, y), PAIR_CHECK, fill="white", font=title, stroke_width=1, stroke_fill="white")
    y += title.size + 2 * gap
    for line in lines:
        draw.text((unit, y), line, fill="white", font=body, stroke_width=1, stroke_fill="white")
        y += body.size + gap
    return band


def _notes(notes: list[str], width: int, unit: int) -> Image.Image:
    """What the files do not say (a pixel size, a patient ID), in the headers' grey under them: no alarm."""
    font = _font(unit)
    lines = [line for note in notes for line in _wrap(note, font, width - 2 * unit)]
    gap = round(0.4 * unit)
    band = Image.new("RGB", (width, len(lines) * (font.size + gap) + unit), (20, 20, 20))
    draw = ImageDraw.Draw(band)
    for k, line in enumerate(lines):
        draw.text((unit, unit // 2 + k * (font.size + gap)), line, fill=(170, 170, 170), font=font)
    return band


def _header(title: str, info: VisitInfo, width: int, unit: int) -> Image.Image:
    big, small = _font(round(1.5 * unit)), _font(unit)
    header = Image.new("RGB", (width, round(1.5 * unit) + 2 * unit + unit // 2), (20, 20, 20))
    draw = ImageDraw.Draw(header)
    draw.text((unit // 2, unit // 3), f"{title} · {info.study_date or 'date not stated'}", fill="white", font=big,
              stroke_width=1, stroke_fill="white")
    draw.text((unit // 2, round(1.5 * unit) + unit // 2), visit_details(info), fill=(225, 225, 225), font=small)
    return header


def _legend(width: int, unit: int, not_assessed: bool = False) -> Image.Image:
    """The box colours (that of findings not assessed where a joint has it), then the JSN convention (wrapped
    to the width)."""
    font = _font(unit)
    lines = _wrap(JSN_LEGEND, font, width - unit)
    legend = Image.new("RGB", (width, round((len(lines) + 1) * 1.4 * unit) + unit // 2), (20, 20, 20))
    draw = ImageDraw.Draw(legend)
    x, y = unit // 2, unit // 2
    keys = [("no finding", COLOURS["none"]), *((finding_key(name), COLOURS[name]) for name in FINDINGS),
            (finding_key(*FINDINGS), COLOURS["both"]), (NOT_MEASURED, UNPAIRED_COLOUR)]
    keys += [(f"findings {NOT_ASSESSED}", NOT_ASSESSED_COLOUR)] if not_assessed else []
    for name, colour in keys:
        draw.rectangle([x, y, x + unit, y + unit], outline=colour, width=max(2, unit // 6))
        draw.text((x + round(1.4 * unit), y), name, fill=(230, 230, 230), font=font)
        x += round(1.4 * unit) + round(font.getlength(name)) + unit
    for line in lines:
        y += round(1.4 * unit)
        draw.text((unit // 2, y), line, fill=(230, 230, 230), font=font)
    return legend


def overview_image(result: StudyResult, baseline, followup, max_height: int = 1400, crop_to_joints: bool = False,
                   text_fraction: float | None = None, banner: bool = True) -> Image.Image:
    """Both radiographs side by side, each under its visit's identity (patient ID, date, hand, file), with
    every joint's box coloured by its findings, its name and, on the follow-up, its JSN; the pair's
    warnings on a red band above everything, its notes in grey under it (unless `banner` is False: a report that
    shows them itself).
    For print, `crop_to_joints` shows only the part of each radiograph the named joints cover, and
    `text_fraction` sets the labels' type as a fraction of the picture's width (the type a page of that
    width prints); by default it is 1.4 % of the radiographs' height."""
    visits = (("baseline", baseline), ("followup", followup))
    regions = [_region(result, v, r) if crop_to_joints else (0.0, 0.0, float(r.width), float(r.height)) for v, r in visits]
    tallest = max(y1 - y0 for _, y0, _, y1 in regions)
    scale = min(1.0, max_height / tallest)
    width = round(sum(x1 - x0 for x0, _, x1, _ in regions) * scale) + GAP
    # the labels' type, and the measure of everything else drawn
    unit = max(14, round(text_fraction * width if text_fraction else 0.014 * tallest * scale))
    line = max(2, round(unit / 6))
    panels = [_panel(result, v, r, scale, region, _font(unit), line) for (v, r), region in zip(visits, regions)]
    width = panels[0].width + GAP + panels[1].width
    headers = [_header("Baseline", result.baseline, panels[0].width, unit),
               _header("Follow-up", result.followup, panels[1].width, unit)]
    band = _banner(result.warnings, width, unit) if result.warnings and banner else Image.new("RGB", (width, 0))
    notes = _notes(result.notes, width, unit) if result.notes and banner else Image.new("RGB", (width, 0))
    legend = _legend(width, unit, any(v.not_assessed for j in result.joints for v in (j.baseline, j.followup)))
    body = headers[0].height + max(p.height for p in panels)
    out = Image.new("RGB", (width, band.height + notes.height + body + legend.height), (20, 20, 20))
    out.paste(band, (0, 0))
    out.paste(notes, (0, band.height))
    y = band.height + notes.height
    for x, header, panel in ((0, headers[0], panels[0]), (panels[0].width + GAP, headers[1], panels[1])):
        out.paste(header, (x, y))
        out.paste(panel, (x, y + header.height))
    out.paste(legend, (0, y + body))
    return out
