"""JSN tags where the joints crowd (a whole hand in a small view): a tag never covers a joint's name. With no
place by its box clear of other joints' boxes it names its joint; with no room even for that it is hidden until a
zoom makes room, and a note in the view's corner says so; a tag of a value not reliable is never hidden."""

from __future__ import annotations

import dataclasses

import pyqtgraph as pg

from jsnviewer.gui.box_layer import on_screen, view_rect
from jsnviewer.gui.main_window import BASELINE, FOLLOWUP
from jsnviewer.gui.overlays import MARK_ONLY, crowded_note, jsn_text, named_tag, tag_tooltip
from jsnviewer.pipeline.placement import box_rect, overlap
from gui_support import make_window, open_and_wait, settings_store, study, wait_drawn  # noqa: F401 (fixtures)
from test_gui_analysis import analysed  # noqa: F401 (the analysed window fixture)


def crowd(qtbot, window, result, unreliable: bool = False) -> float:
    """The three measured joints in boxes smaller than their tags, a few pixels apart: their names and tags
    cannot all find room. With `unreliable`, the last one's value is not reliable."""
    view_box, overlay = window.panes[FOLLOWUP].view_box, window.overlays[FOLLOWUP]
    tag = view_rect(view_box, overlay.items["MCP2"])
    tag_h = tag[3] - tag[1]
    cx, cy, _, _ = result.joints[0].followup.box
    for k, joint in enumerate(result.joints):
        joint.followup.box = (cx + 0.5 * k * tag_h, cy + 0.6 * k * tag_h, tag_h, tag_h)
    if unreliable:
        last = result.joints[-1]
        result.joints[-1] = dataclasses.replace(last, registration=dataclasses.replace(
            last.registration, reasons=["refinement did not converge"]))
    assert window.show_results(result, (window.image_ids[BASELINE], window.image_ids[FOLLOWUP]))
    wait_drawn(qtbot, window)
    return tag_h


def shown(window):
    """The names and the tags on screen, in image pixels."""
    view_box, overlay = window.panes[FOLLOWUP].view_box, window.overlays[FOLLOWUP]
    names = [view_rect(view_box, i.label) for i in window.layers[FOLLOWUP].items.values() if i.label.isVisible()]
    tags = {k: t for k, t in [*overlay.items.items(), *enumerate(overlay.unpaired)] if t.isVisible()}
    return names, {k: view_rect(view_box, t) for k, t in tags.items()}


def test_a_tag_with_no_free_place_names_its_joint_or_is_hidden_and_said_never_drawn_over_a_joints_name(qtbot,
                                                                                                      analysed):
    window, result = analysed
    view_box, overlay = window.panes[FOLLOWUP].view_box, window.overlays[FOLLOWUP]
    tag_h = crowd(qtbot, window, result)
    names, tags = shown(window)
    slack = 0.1 * tag_h
    assert not [k for k, t in tags.items() for n in names if overlap(t, n, slack)]  # the old fallback covered a name
    assert not any(overlap(a, b, slack) for a in tags.values() for b in tags.values() if a is not b)
    texts = {k: overlay.items[k].toPlainText() for k in tags if k in overlay.items}
    assert [k for k in texts if texts[k] == named_tag(k, jsn_text(result.joint(k)))], \
        "no tag had to name its joint: the crowd tests nothing"
    hidden = [k for k, t in overlay.items.items() if not t.isVisible()]
    assert hidden, "the crowd left room for every tag: it tests nothing"
    assert overlay.note.isVisible() and overlay.note.toPlainText() == crowded_note(len(hidden))
    assert not any(overlap(view_rect(view_box, overlay.note), n, slack) for n in names)
    assert all(overlay.items[k].toPlainText() == jsn_text(result.joint(k)) for k in hidden)  # the value is kept

    # a hidden tag's joint chosen (its box clicked: the view stays) shows its tag, named where it lies on another's box
    chosen = hidden[0]
    window.show_measured(chosen)
    tag = overlay.items[chosen]
    assert tag.isVisible() and tag.toPlainText() in (jsn_text(result.joint(chosen)),
                                                     named_tag(chosen, jsn_text(result.joint(chosen))))
    now_hidden = [k for k, t in overlay.items.items() if not t.isVisible()]
    assert chosen not in now_hidden and (overlay.note.toPlainText() == crowded_note(len(now_hidden)) if now_hidden
                                         else not overlay.note.isVisible())
    names, _ = shown(window)
    if any(overlap(view_rect(view_box, tag), n, slack) for n in names):  # no room at all: where it covers least
        assert tag.toPlainText() == named_tag(chosen, jsn_text(result.joint(chosen)))
    window.show_joint_result(None)  # no joint chosen: the crowd as it was
    assert [k for k, t in overlay.items.items() if not t.isVisible()] == hidden

    # the JSN toggle keeps the crowded ones hidden
    window.actions_by_name["show_jsn"].trigger()
    assert not any(t.isVisible() for t in overlay.items.values()) and not overlay.note.isVisible()
    window.actions_by_name["show_jsn"].trigger()
    assert [k for k, t in overlay.items.items() if not t.isVisible()] == hidden and overlay.note.isVisible()

    # zoomed in on the crowd, every tag finds room again (its size measured at this zoom, though it was hidden)
    view_box.scaleBy((0.15, 0.15), center=pg.Point(*result.joints[1].followup.box[:2]))
    qtbot.waitUntil(lambda: all(t.isVisible() for t in overlay.items.values()), timeout=3000)
    assert not overlay.note.isVisible()
    names, tags = shown(window)
    assert not any(overlap(t, n, slack) for t in tags.values() for n in names)


def test_a_tag_not_reliable_is_never_hidden_its_mark_takes_the_room_its_value_cannot(qtbot, analysed):
    window, result = analysed
    view_box, overlay = window.panes[FOLLOWUP].view_box, window.overlays[FOLLOWUP]
    crowd(qtbot, window, result, unreliable=True)
    doubtful = result.joints[-1]
    assert not doubtful.reliable
    tag = overlay.items[doubtful.identity]
    # placed before the reliable ones: the last joint's, yet it has the room and a reliable one is hidden
    assert tag.isVisible() and tag.toPlainText() == jsn_text(doubtful)
    assert not all(t.isVisible() for t in overlay.items.values())
    view_box.scaleBy((9.0, 9.0), center=pg.Point(*doubtful.followup.box[:2]))  # no room even for the value
    qtbot.waitUntil(lambda: tag.toPlainText() in (MARK_ONLY, named_tag(doubtful.identity, MARK_ONLY)), timeout=3000)
    # the mark alone (named where it lies on another joint's box): its tooltip gives the value and why it is not reliable
    assert tag.isVisible() and tag.toolTip().startswith(f"{doubtful.identity}: JSN {doubtful.jsn_text()}\nNot reliable")
    view_box.scaleBy((1 / 9.0, 1 / 9.0), center=pg.Point(*doubtful.followup.box[:2]))  # the value again
    qtbot.waitUntil(lambda: tag.toPlainText() == jsn_text(doubtful), timeout=3000)
    assert tag.isVisible() and tag.toolTip() == tag_tooltip(doubtful)


def touching(a, b, slack: float) -> bool:
    """Rectangles a and b meet (or overlap), to within `slack`."""
    return a[0] <= b[2] + slack and b[0] <= a[2] + slack and a[1] <= b[3] + slack and b[1] <= a[3] + slack


def on_others(window) -> dict[str, list]:
    """What each JSN tag shown on the follow-up lies on, by joint: other joints' boxes (by name) and joints' names (their
    rectangles). Checks on the way that it touches its own box."""
    view_box, overlay = window.panes[FOLLOWUP].view_box, window.overlays[FOLLOWUP]
    boxes = [(i.joint.identity, i.box_rect()) for i in window.layers[FOLLOWUP].items.values()]
    names, _ = shown(window)
    found = {}
    for tag, own in overlay.boxes.items():
        if tag.isVisible():
            rect = view_rect(view_box, tag)
            slack = 0.1 * (rect[3] - rect[1])
            assert touching(rect, own, slack), f"{tag.identity}'s tag is away from its box"
            # its own joint's box in the annotation layer is not another's (a test moves the result's box alone)
            found[tag.identity] = [k for k, b in boxes if k != tag.identity and b != own and overlap(rect, b, slack)] + \
                [n for n in names if overlap(rect, n, slack)]
    return found


def test_a_tag_on_a_neighbours_box_names_its_joint_until_a_zoom_makes_room_by_its_own(qtbot, analysed):
    # zoomed out to the whole hand, IP1's box lay on the top of MCP1's, smaller than its tag: the old placement put
    # IP1's tag, '+0.22 mm', inside MCP1's box, where a reader took it for MCP1's value. Here MCP2's box plays IP1's,
    # PIP3's MCP1's.
    window, result = analysed
    view_box, overlay = window.panes[FOLLOWUP].view_box, window.overlays[FOLLOWUP]
    x0, y0, x1, y1 = view_rect(view_box, overlay.items["MCP2"])
    tag_w, tag_h = x1 - x0, y1 - y0
    small, big = result.joints[0].followup, result.joints[1].followup  # MCP2, PIP3
    small.box = (20.0 + 0.4 * tag_h, 60.0 + 0.4 * tag_h, 0.8 * tag_h, 0.8 * tag_h)
    big.box = (20.0 - 0.3 * tag_h + tag_w, 60.0 + 3.25 * tag_h, 2.0 * tag_w, 5.5 * tag_h)  # from halfway down the small one
    assert window.show_results(result, (window.image_ids[BASELINE], window.image_ids[FOLLOWUP]))
    wait_drawn(qtbot, window)

    found = on_others(window)
    texts = {k: overlay.items[k].toPlainText() for k in found if k is not None}
    assert found["MCP2"] == ["PIP3"], found  # no room by its own box clear of the big one at this zoom…
    assert texts["MCP2"] == named_tag("MCP2", jsn_text(result.joint("MCP2")))  # …so it says whose value it is
    assert all(texts[k].startswith(f"{k} ") for k in texts if found[k]), (texts, found)  # as every tag on another's box does
    assert texts["PIP3"] == jsn_text(result.joint("PIP3"))  # the big box's own tag has room clear of the small one

    # zoomed in on the small box, its tag finds room inside it, clear of the big box, and no longer needs the name
    view_box.scaleBy((0.15, 0.15), center=pg.Point(*small.box[:2]))
    qtbot.waitUntil(lambda: overlay.items["MCP2"].toPlainText() == jsn_text(result.joint("MCP2")), timeout=3000)
    found = on_others(window)
    assert "MCP2" in found and not found["MCP2"], found


def test_a_tag_of_a_joint_out_of_view_is_not_counted_hidden_though_its_box_edge_shows(qtbot, analysed):
    # zoomed in on a crowded real film, "1 JSN tag hidden for room" counted a joint off screen: only its box's edge
    # showed, at the view's edge by a neighbour's box, and its tag found no room there
    window, result = analysed
    view_box, overlay = window.panes[FOLLOWUP].view_box, window.overlays[FOLLOWUP]
    crowd(qtbot, window, result)
    x0, y0, x1, y1 = on_screen(view_box)
    cx, cy, w, h = result.joints[0].followup.box  # MCP2, the crowd's top left
    left, top = cx + 0.2 * w, cy + 0.2 * h  # the view's corner inside its box, past its centre: the box's edge shows
    view_box.setRange(xRange=(left, left + x1 - x0), yRange=(top, top + y1 - y0), padding=0)
    screen = on_screen(view_box)
    qtbot.waitUntil(lambda: overlay.note.pos().x() >= screen[0], timeout=3000)  # the tags placed anew, the note too
    wait_drawn(qtbot, window)
    assert overlap(box_rect(result.joints[0].followup.box), screen) > 0
    assert not overlay.items["MCP2"].isVisible(), "MCP2's tag found room by its box's edge: the test tests nothing"
    in_view = [k for k, t in overlay.items.items() if not t.isVisible()
               and screen[0] <= result.joint(k).followup.box[0] <= screen[2]
               and screen[1] <= result.joint(k).followup.box[1] <= screen[3]]
    assert in_view and "MCP2" not in in_view, "no tag of a joint in view is hidden: the crowd tests nothing"
    assert overlay.note.isVisible() and overlay.note.toPlainText() == crowded_note(len(in_view))  # MCP2's not counted
