"""Where a text goes by its box: the first of a list of places that covers no text placed before.

Pure geometry, no Qt: the window places the joints' names and JSN tags with it (boxes of neighbouring
joints overlap, and text keeps its size on screen whatever the zoom, so they are placed again after
each zoom), and overview.png its labels (`jsnviewer.pipeline.overview`). A place is a point and the text's
anchor there (pyqtgraph's TextItem: (0, 0) its top left, (1, 1) its bottom right), so a text stays
on its corner while the view zooms, until it is placed again.
"""

from __future__ import annotations

__all__ = ["Place", "Rect", "box_rect", "clipped", "corner_places", "first_free", "free_place", "label_places", "name_places", "near",
           "others", "outside", "overlap", "place_names", "tag_places", "text_rect"]

Rect = tuple[float, float, float, float]  # x0, y0, x1, y1 in image pixels (y down, as shown)
Place = tuple[tuple[float, float], tuple[float, float]]  # (point, anchor)


def box_rect(box: tuple[float, float, float, float]) -> Rect:
    """A joint box (cx, cy, w, h) as its corners."""
    cx, cy, w, h = box
    return cx - w / 2.0, cy - h / 2.0, cx + w / 2.0, cy + h / 2.0


def text_rect(place: Place, size: tuple[float, float]) -> Rect:
    (x, y), (ax, ay) = place
    w, h = size
    return x - ax * w, y - ay * h, x + (1.0 - ax) * w, y + (1.0 - ay) * h


def overlap(a: Rect, b: Rect, slack: float = 0.0) -> float:
    """Area common to a and b; a strip thinner than `slack` (text just touching) counts as none."""
    w, h = min(a[2], b[2]) - max(a[0], b[0]), min(a[3], b[3]) - max(a[1], b[1])
    return w * h if w > slack and h > slack else 0.0


def clipped(a: Rect, bounds: Rect) -> Rect | None:
    """The part of a within `bounds`, None where there is none."""
    x0, y0, x1, y1 = max(a[0], bounds[0]), max(a[1], bounds[1]), min(a[2], bounds[2]), min(a[3], bounds[3])
    return (x0, y0, x1, y1) if x0 < x1 and y0 < y1 else None


def centre_within(a: Rect, bounds: Rect) -> bool:
    """The centre of a (a box's joint) lies within `bounds`."""
    cx, cy = (a[0] + a[2]) / 2.0, (a[1] + a[3]) / 2.0
    return bounds[0] <= cx <= bounds[2] and bounds[1] <= cy <= bounds[3]


def outside(bounds: Rect) -> list[Rect]:
    """Everything beyond `bounds` (the picture, or the part of the image on screen), as four rectangles: put
    with the texts placed before, a text cut off at the edge ('28 mm' of '-0.28 mm') costs what it hides."""
    x0, y0, x1, y1 = bounds
    far = 1e9
    return [(-far, -far, x0, far), (x1, -far, far, far), (-far, -far, far, y0), (-far, y1, far, far)]


def _overlaps(place: Place, size: tuple[float, float], taken: list[Rect]):
    """How much the text at `place` covers of each of `taken`, one by one."""
    rect, slack = text_rect(place, size), 0.1 * size[1]
    return (overlap(rect, t, slack) for t in taken)


def _covered(place: Place, size: tuple[float, float], taken: list[Rect]) -> float:
    return sum(_overlaps(place, size, taken))


def _free(place: Place, size: tuple[float, float], taken: list[Rect]) -> bool:
    """`_covered` is none (stopping at the first text covered)."""
    return not any(_overlaps(place, size, taken))


def first_free(places: list[Place], size: tuple[float, float], taken: list[Rect], then: list[Rect] | None = None) -> Place:
    """The first place whose text covers nothing in `taken`, else the one that covers least; of equals, the one that
    covers least of `then`."""
    return min(places, key=lambda p: (_covered(p, size, taken), _covered(p, size, then or [])))  # first of equals


def free_place(places: list[Place], size: tuple[float, float], taken: list[Rect]) -> Place | None:
    """The first place whose text covers nothing in `taken`, else None: where a text must not cover what
    is there (a JSN tag over a joint's name), rather than the least covering place of `first_free`."""
    return next((p for p in places if _free(p, size, taken)), None)


def label_places(box: Rect) -> list[Place]:
    """A joint's name: above the box at its left, else above at its right (never below: a name on a
    box's lower edge reads as the name of the box beneath)."""
    x0, y0, x1, _ = box
    return [((x0, y0), (0.0, 1.0)), ((x1, y0), (1.0, 1.0))]


def name_places(box: Rect) -> list[Place]:
    """A joint's name in the window: above the box (`label_places`), else where a crowded hand leaves no room
    above, inside the box at its top, then at its bottom (left, right), beside it at mid-height (left, right), and
    last a line higher above it (left, right): the name stays by its own box."""
    x0, y0, x1, y1 = box
    mid = (y0 + y1) / 2.0
    return label_places(box) + [((x0, y0), (0.0, 0.0)), ((x1, y0), (1.0, 0.0)), ((x0, y1), (0.0, 1.0)), ((x1, y1), (1.0, 1.0)),
                                ((x0, mid), (1.0, 0.5)), ((x1, mid), (0.0, 0.5)), ((x0, y0), (0.0, 2.0)), ((x1, y0), (1.0, 2.0))]


def place_names(boxes: list[Rect], forms: list[list[tuple[float, float]]], taken: list[Rect], always: int | None = None,
                orders: int = 4) -> list[tuple[int, Place] | None]:
    """Where the names of `boxes` go, as (form, place), None where one has no room: `forms[k]` the sizes of box k's
    name in its forms, richest first (whole, short, ...). Each name goes, in turn, to the first of `name_places` that
    covers nothing in `taken` nor a name placed before, in its richest form that has one. Where some have none, all are
    placed again with those first (`orders` times); where some still have none, all again from their next form:
    short names for all rather than none for some. The fewest hidden win, the richest of equals. The name of box
    `always` (the selected joint's) shows whatever the room: where it has none it goes first, over what covers least
    in its last form where even then no place is free."""
    order, tried = list(range(len(boxes))), []
    for first in range(max(map(len, forms), default=1)):
        for _ in range(orders):
            layout, placed = [None] * len(boxes), list(taken)
            for n, k in enumerate(order):
                layout[k] = _name_place(boxes[k], forms[k], placed, first)
                if layout[k] is None and k == always and n == 0:
                    layout[k] = len(forms[k]) - 1, first_free(name_places(boxes[k]), forms[k][-1], placed)
                if layout[k] is not None:
                    placed.append(text_rect(layout[k][1], forms[k][layout[k][0]]))
            hidden = [k for k in order if layout[k] is None]
            tried.append((always in hidden, len(hidden), first, layout))
            if not hidden:
                return layout
            order.sort(key=lambda k: (k != always, layout[k] is not None))  # the selected, then the hidden first
    return min(tried, key=lambda t: t[:3])[3]


def _name_place(box: Rect, forms: list[tuple[float, float]], taken: list[Rect], first: int) -> tuple[int, Place] | None:
    for form in range(first, len(forms)):
        place = free_place(name_places(box), forms[form], taken)
        if place is not None:
            return form, place
    return None


def others(own: Rect, boxes: list[Rect], clear: float = 0.0) -> list[Rect]:
    """Where a text of the joint in `own` must not lie: the other `boxes` (`own` once left out), each grown by `clear`
    on every side. Boxes of neighbouring joints overlap, so a text by its own box may lie on another's, or touch it, and
    read as that joint's; with these added to what a place must not cover (`free_place`), a tag touching its own box
    stays clear of every other, or has no place at this zoom. Of a box around `own` (the whole of it), only the part
    beyond `own`: a text inside the innermost box is that box's, and a zoom still makes room for it there."""
    rest = list(boxes)
    if own in rest:
        rest.remove(own)
    a0, b0, a1, b1 = own
    out: list[Rect] = []
    for x0, y0, x1, y1 in rest:
        around = x0 <= a0 and y0 <= b0 and a1 <= x1 and b1 <= y1
        x0, y0, x1, y1 = x0 - clear, y0 - clear, x1 + clear, y1 + clear
        if around:  # the frame of it beyond own
            out += [(x0, y0, a0, y1), (a1, y0, x1, y1), (a0, y0, a1, b0), (a0, b1, a1, y1)]
        else:
            out.append((x0, y0, x1, y1))
    return out


def near(rects: list[Rect], box: Rect, size: tuple[float, float]) -> list[Rect]:
    """Those of `rects` that a text of `size` by `box` (`tag_places`: none lies further from it than its own size) may
    cover: the rest need not be tried, place by place."""
    x0, y0, x1, y1 = box[0] - size[0], box[1] - size[1], box[2] + size[0], box[3] + size[1]
    return [r for r in rects if r[0] < x1 and x0 < r[2] and r[1] < y1 and y0 < r[3]]


def corner_places(bounds: Rect) -> list[Place]:
    """A note in a corner of the view: bottom left, bottom right, top left, top right."""
    x0, y0, x1, y1 = bounds
    return [((x0, y1), (0.0, 1.0)), ((x1, y1), (1.0, 1.0)), ((x0, y0), (0.0, 0.0)), ((x1, y0), (1.0, 0.0))]


def tag_places(box: Rect, along: bool = False) -> list[Place]:
    """A JSN tag: inside the box — top left (under the joint's name), bottom left, top right, bottom
    right —, then against its edge outside: below, to the right, to the left (zoomed out to the whole
    hand a tag is wider than its box). With `along` (the window, where a tag keeps off other joints' boxes), then
    further along each side, inside the box (at a quarter, half and three quarters of the side) and then outside it
    (at its ends, quarters and middle): where boxes overlap, the part of a box that no other covers may lie anywhere
    along it."""
    x0, y0, x1, y1 = box
    places = [((x0, y0), (0.0, 0.0)), ((x0, y1), (0.0, 1.0)), ((x1, y0), (1.0, 0.0)), ((x1, y1), (1.0, 1.0)),
              ((x0, y1), (0.0, 0.0)), ((x1, y0), (0.0, 0.0)), ((x1, y1), (0.0, 1.0)), ((x0, y0), (1.0, 0.0)),
              ((x0, y1), (1.0, 1.0))]
    if along:
        w, h = x1 - x0, y1 - y0
        for f in (0.25, 0.5, 0.75):  # inside: top, bottom, left, right
            places += [((x0 + f * w, y0), (f, 0.0)), ((x0 + f * w, y1), (f, 1.0)), ((x0, y0 + f * h), (0.0, f)),
                       ((x1, y0 + f * h), (1.0, f))]
        for f in (0.0, 0.25, 0.5, 0.75, 1.0):  # outside: below, right, left, above
            places += [((x0 + f * w, y1), (f, 0.0)), ((x1, y0 + f * h), (0.0, f)), ((x0, y0 + f * h), (1.0, f)),
                       ((x0 + f * w, y0), (f, 1.0))]
    return places
