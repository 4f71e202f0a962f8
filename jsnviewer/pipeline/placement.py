"""Where a text goes by its box: the first of a list of places that covers no text placed before.

Pure geometry, no Qt: the window places the joints' names and JSN tags with it (boxes of neighbouring
joints overlap, and text keeps its size on screen whatever the zoom, so they are placed again after
each zoom), and overview.png its labels (`jsnviewer.pipeline.overview`). A place is a point and the text's
anchor there (pyqtgraph's TextItem: (0, 0) its top left, (1, 1) its bottom right), so a text stays
on its corner while the view zooms, until it is placed again.
"""

from __future__ import annotations

__all__ = ["Place", "Rect", "first_free", "free_place", "label_places", "name_places", "outside", "overlap", "tag_places", "text_rect"]

Rect = tuple[float, float, float, float]  # x0, y0, x1, y1 in image pixels (y down, as shown)
Place = tuple[tuple[float, float], tuple[float, float]]  # (point, anchor)


def text_rect(place: Place, size: tuple[float, float]) -> Rect:
    (x, y), (ax, ay) = place
    w, h = size
    return x - ax * w, y - ay * h, x + (1.0 - ax) * w, y + (1.0 - ay) * h


def overlap(a: Rect, b: Rect, slack: float = 0.0) -> float:
    """Area common to a and b; a strip thinner than `slack` (text just touching) counts as none."""
    w, h = min(a[2], b[2]) - max(a[0], b[0]), min(a[3], b[3]) - max(a[1], b[1])
    return w * h if w > slack and h > slack else 0.0


def outside(bounds: Rect) -> list[Rect]:
    """Everything beyond `bounds` (the picture, or the part of the image on screen), as four rectangles: put
    with the texts placed before, a text cut off at the edge ('28 mm' of '-0.28 mm') costs what it hides."""
    x0, y0, x1, y1 = bounds
    far = 1e9
    return [(-far, -far, x0, far), (x1, -far, far, far), (-far, -far, far, y0), (-far, y1, far, far)]


def _covered(place: Place, size: tuple[float, float], taken: list[Rect]) -> float:
    slack = 0.1 * size[1]
    return sum(overlap(text_rect(place, size), t, slack) for t in taken)


def first_free(places: list[Place], size: tuple[float, float], taken: list[Rect]) -> Place:
    """The first place whose text covers nothing in `taken`, else the one that covers least."""
    return min(places, key=lambda p: _covered(p, size, taken))  # first of equals


def free_place(places: list[Place], size: tuple[float, float], taken: list[Rect]) -> Place | None:
    """The first place whose text covers nothing in `taken`, else None: where a text must not cover what
    is there (a JSN tag over a joint's name), rather than the least covering place of `first_free`."""
    return next((p for p in places if not _covered(p, size, taken)), None)


def label_places(box: Rect) -> list[Place]:
    """A joint's name: above the box at its left, else above at its right (never below: a name on a
    box's lower edge reads as the name of the box beneath)."""
    x0, y0, x1, _ = box
    return [((x0, y0), (0.0, 1.0)), ((x1, y0), (1.0, 1.0))]


def name_places(box: Rect) -> list[Place]:
    """A joint's name in the window: above the box (`label_places`), else where a crowded row leaves no room
    above, inside the box at its top, left or right (the name stays on its own box)."""
    x0, y0, x1, _ = box
    return label_places(box) + [((x0, y0), (0.0, 0.0)), ((x1, y0), (1.0, 0.0))]


def tag_places(box: Rect) -> list[Place]:
    """A JSN tag: inside the box — top left (under the joint's name), bottom left, top right, bottom
    right —, then against its edge outside: below, to the right, to the left (zoomed out to the whole
    hand a tag is wider than its box)."""
    x0, y0, x1, y1 = box
    return [((x0, y0), (0.0, 0.0)), ((x0, y1), (0.0, 1.0)), ((x1, y0), (1.0, 0.0)), ((x1, y1), (1.0, 1.0)),
            ((x0, y1), (0.0, 0.0)), ((x1, y0), (0.0, 0.0)), ((x1, y1), (0.0, 1.0)), ((x0, y0), (1.0, 0.0)),
            ((x0, y1), (1.0, 1.0))]
