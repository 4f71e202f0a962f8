"""Joints' names where the joints crowd (a whole hand in a small view): no name is drawn over another nor cut off
at the view's edge. With no free place by their boxes the names show their identity alone, then smaller; a name
with no room even then is hidden until a zoom makes room, and a note in the view's corner says so. The selected
joint's name always shows."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPointF

from jsnviewer.dataset import JointAnnotation
from jsnviewer.gui.box_layer import box_label, hidden_names_note, on_screen as view_box_rect, view_rect
from jsnviewer.gui.main_window import BASELINE
from jsnviewer.pipeline.placement import centre_within, overlap, place_names, text_rect
from gui_support import make_window, settings_store, shown_study, study  # noqa: F401 (fixtures)

ROWS = (["DIP2", "DIP3", "DIP4", "DIP5"], ["PIP2", "PIP3", "PIP4", "PIP5"], ["MCP2", "MCP3", "MCP4", "MCP5"])


def crowd(qtbot, window, spacing: float) -> float:
    """Three rows of four joints, boxes `spacing` names' heights apart, every other one ankylosed ('PIP3 ank', whose
    name is wider than two boxes' spacing). Returns a name's height in image pixels."""
    document, layer, view_box = window.documents[BASELINE], window.layers[BASELINE], window.panes[BASELINE].view_box
    document.load_joints([JointAnnotation((90.0, 120.0, 10.0, 10.0), "PIP3", {"ankylosis": True}, "user")])
    qtbot.waitUntil(lambda: layer.settled, timeout=3000)
    x0, y0, x1, y1 = view_rect(view_box, next(iter(layer.items.values())).label)
    h = y1 - y0
    assert x1 - x0 > 2.0 * spacing * h
    document.load_joints([JointAnnotation((90.0 + (col - 1.5) * spacing * h, 120.0 + (row - 1) * 1.1 * spacing * h,
                                           0.9 * spacing * h, 0.9 * spacing * h), name, {"ankylosis": (row + col) % 2 == 0}, "user")
                          for row, names in enumerate(ROWS) for col, name in enumerate(names)])
    layer.select(None)
    qtbot.waitUntil(lambda: layer.settled, timeout=3000)
    return h


def names(window) -> dict[int, tuple]:
    """The names on screen, by box, in image pixels."""
    layer, view_box = window.layers[BASELINE], window.panes[BASELINE].view_box
    return {uid: view_rect(view_box, i.label) for uid, i in layer.items.items() if i.label.isVisible()}


def covering(rects, slack: float) -> list:
    rects = list(rects)
    return [(a, b) for k, a in enumerate(rects) for b in rects[k + 1:] if overlap(a, b, slack)]


def on_screen(view_box, rect, slack: float) -> bool:
    r = view_box.viewRect()
    return (r.left() - slack <= rect[0] and rect[2] <= r.right() + slack and r.top() - slack <= rect[1]
            and rect[3] <= r.bottom() + slack)


def compact(layer, uid: int) -> bool:
    """The name is smaller than the usual type (the note's)."""
    return layer.items[uid].label.textItem.font().pointSizeF() < layer.note.textItem.font().pointSizeF()


def test_in_a_crowded_hand_every_name_shows_short_rather_than_over_another(qtbot, shown_study):
    window, layer, view_box = shown_study, shown_study.layers[BASELINE], shown_study.panes[BASELINE].view_box
    h = crowd(qtbot, window, 1.1)
    shown, slack = names(window), 0.1 * h
    assert not covering(shown.values(), slack)  # the old fallback drew a name over the one it covered least
    assert shown.keys() == layer.items.keys() and not layer.note.isVisible()  # every name shows
    assert all(on_screen(view_box, r, slack) for r in shown.values())
    # no room for the whole names: each its identity alone, the box's colour telling its findings
    assert [i.label.toPlainText() for i in layer.items.values()] == [n for row in ROWS for n in row]
    assert all(item.toolTip() == box_label(item.joint) for item in layer.items.values())  # the whole name on hovering

    view_box.scaleBy((0.3, 0.3), center=QPointF(90.0, 120.0))  # zoomed in, whole names again, at the usual size
    qtbot.waitUntil(lambda: layer.settled and all(i.label.toPlainText() == box_label(i.joint)
                                                  for i in layer.items.values() if i.label.isVisible()), timeout=3000)
    shown = names(window)
    assert len(shown) >= 4 and not any(compact(layer, uid) for uid in shown)
    assert not covering(shown.values(), 0.3 * slack)


def test_where_even_short_names_find_no_room_the_hidden_are_counted_and_the_selected_one_shows(qtbot, shown_study):
    window, layer, view_box = shown_study, shown_study.layers[BASELINE], shown_study.panes[BASELINE].view_box
    h = crowd(qtbot, window, 0.5)
    shown, slack = names(window), 0.1 * h
    assert not covering(shown.values(), slack)
    assert all(on_screen(view_box, r, slack) for r in shown.values())
    hidden = [uid for uid in layer.items if uid not in shown]
    assert hidden and len(shown) > len(hidden)
    assert all(compact(layer, uid) for uid in shown)  # smaller before any is hidden
    assert layer.note.isVisible() and layer.note.toPlainText() == hidden_names_note(len(hidden))
    assert not any(overlap(view_rect(view_box, layer.note), r, slack) for r in shown.values())

    for uid in hidden:  # the selected joint's name always shows, over no other
        layer.select(uid)
        qtbot.waitUntil(lambda: layer.settled, timeout=3000)
        shown = names(window)
        assert uid in shown and not covering(shown.values(), slack)
        assert layer.note.toPlainText() == hidden_names_note(len(layer.items) - len(shown))

    window.actions_by_name["show_labels"].trigger()  # names toggled off: no note about them
    qtbot.waitUntil(lambda: layer.settled, timeout=3000)
    assert not layer.note.isVisible() and not names(window)


def test_a_name_of_a_joint_out_of_view_is_not_counted_hidden_though_its_box_edge_shows(qtbot, shown_study):
    # the view's corner inside a joint's box, past its centre: the joint is out of view, only its box's edge shows,
    # and its name finds no room by that edge; "N joint names hidden for room" counted it
    window, layer, view_box = shown_study, shown_study.layers[BASELINE], shown_study.panes[BASELINE].view_box
    crowd(qtbot, window, 0.5)
    x0, y0, x1, y1 = view_box_rect(view_box)
    dip2 = next(i for i in layer.items.values() if i.joint.identity == "DIP2")  # the crowd's top left
    bx0, by0, bx1, by1 = dip2.box_rect()
    left, top = bx0 + 0.7 * (bx1 - bx0), by0 + 0.7 * (by1 - by0)
    view_box.setRange(xRange=(left, left + x1 - x0), yRange=(top, top + y1 - y0), padding=0)
    screen = view_box_rect(view_box)
    qtbot.waitUntil(lambda: layer.settled and (not layer.note.isVisible() or layer.note.pos().x() >= screen[0]),
                    timeout=3000)  # the names placed anew, the note too
    shown = names(window)
    assert overlap(dip2.box_rect(), screen) > 0
    assert dip2.uid not in shown, "DIP2's name found room by its box's edge: the test tests nothing"
    in_view = [uid for uid, i in layer.items.items() if uid not in shown and centre_within(i.box_rect(), screen)]
    assert in_view, "no name of a joint in view is hidden: the crowd tests nothing"
    assert layer.note.isVisible() and layer.note.toPlainText() == hidden_names_note(len(in_view))  # DIP2's not counted


def test_a_short_name_for_every_box_rather_than_no_name_for_some():
    # three boxes in a row 10 px apart, with room above them only (a strip 30 px wide): one whole name (25 px)
    # fits there, or all three short ones (9 px)
    boxes = [(10.0 * k, 0.0, 10.0 * k + 8.0, 8.0) for k in range(3)]
    forms = [[(25.0, 6.0), (9.0, 6.0)]] * 3
    walls = [(-1e9, -1e9, 1e9, -6.0), (-1e9, 0.0, 1e9, 1e9), (-1e9, -1e9, -1.0, 1e9), (29.0, -1e9, 1e9, 1e9)]
    layout = place_names(boxes, forms, walls)
    assert [found[0] for found in layout] == [1, 1, 1]
    assert not covering([text_rect(place, forms[k][form]) for k, (form, place) in enumerate(layout)], 0.6)
    assert [found[0] for found in place_names(boxes, forms, [])] == [0, 0, 0]  # with room around, whole names


@pytest.mark.parametrize("always", [None, 0])
def test_the_selected_name_shows_whatever_the_room(always):
    box, walls = (0.0, 0.0, 8.0, 8.0), [(-1e9, -1e9, 1e9, 1e9)]  # nothing free anywhere
    assert place_names([box], [[(25.0, 6.0)]], walls, always) == ([None] if always is None else [(0, ((0.0, 0.0), (0.0, 1.0)))])


def test_the_selected_name_goes_first_only_where_it_would_find_no_room():
    # two boxes side by side, room above them for one name: the first (leftmost) one's, unless the second is selected
    boxes, forms = [(0.0, 0.0, 8.0, 8.0), (10.0, 0.0, 18.0, 8.0)], [[(15.0, 6.0)]] * 2
    walls = [(-1e9, -1e9, 1e9, -6.0), (-1e9, 0.0, 1e9, 1e9), (-1e9, -1e9, -1.0, 1e9), (19.0, -1e9, 1e9, 1e9)]
    assert [found is not None for found in place_names(boxes, forms, walls)] == [True, False]
    assert [found is not None for found in place_names(boxes, forms, walls, 0)] == [True, False]
    assert [found is not None for found in place_names(boxes, forms, walls, 1)] == [False, True]
