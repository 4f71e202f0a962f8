"""Where joint names and JSN tags go by their boxes: the first place that covers no other text."""

from jsnviewer.pipeline.placement import first_free, free_place, label_places, near, others, overlap, tag_places, text_rect

BOX = (0.0, 0.0, 40.0, 40.0)
TAG = (20.0, 6.0)


def tag_at(taken, box=BOX, size=TAG):
    return text_rect(first_free(tag_places(box), size, taken), size)


def test_a_tag_goes_under_its_joints_name_when_nothing_is_there():
    assert tag_at([]) == (0.0, 0.0, 20.0, 6.0)
    assert tag_at([(0.0, -6.0, 20.0, 0.0)]) == (0.0, 0.0, 20.0, 6.0)  # its own name, just above, touches it only


def test_a_neighbours_name_over_the_top_left_sends_the_tag_to_the_bottom_left():
    assert tag_at([(5.0, 2.0, 30.0, 8.0)]) == (0.0, 34.0, 20.0, 40.0)


def test_a_tag_wider_than_its_box_goes_just_below_it():
    # zoomed out to the whole hand: the box is 15 px, the tag 20 px, a neighbour's name lies across the box
    assert tag_at([(-5.0, 0.0, 30.0, 15.0)], box=(0.0, 0.0, 15.0, 15.0)) == (0.0, 15.0, 20.0, 21.0)


def test_with_no_free_place_the_least_covered_one_is_taken():
    everywhere = (-30.0, -30.0, 70.0, 70.0)
    assert tag_at([everywhere]) == (0.0, 0.0, 20.0, 6.0)  # all covered alike: the first
    assert tag_at([everywhere, (0.0, 0.0, 20.0, 6.0)]) == (0.0, 34.0, 20.0, 40.0)


def test_names_of_boxes_side_by_side_do_not_cover_each_other():
    # two boxes at one height, the second starting 10 px right of the first: its name would cover the
    # first one's, so it goes above its right end
    size = (25.0, 6.0)
    first = text_rect(first_free(label_places(BOX), size, []), size)
    assert first == (0.0, -6.0, 25.0, 0.0)
    second = text_rect(first_free(label_places((10.0, 0.0, 50.0, 40.0)), size, [first]), size)
    assert second == (25.0, -6.0, 50.0, 0.0)


def test_a_tag_hemmed_in_by_names_finds_no_free_place_where_the_fallback_would_cover_one():
    # zoomed out to the whole hand: the box (15 px) is smaller than its tag, and the names of the joints around
    # it lie on every side: first_free still answers, over a name; free_place answers None (the window hides the tag)
    box, names = (0.0, 0.0, 15.0, 15.0), [(-25.0, -6.0, 10.0, 0.0), (-25.0, 0.0, 0.0, 21.0), (15.0, -6.0, 40.0, 21.0),
                                          (-25.0, 15.0, 40.0, 21.0), (0.0, 4.0, 15.0, 10.0)]
    slack = 0.1 * TAG[1]
    fallback = text_rect(first_free(tag_places(box), TAG, names), TAG)
    assert any(overlap(fallback, name, slack) for name in names)
    assert free_place(tag_places(box), TAG, names) is None


def test_free_place_is_first_free_where_a_place_is_free():
    for taken in ([], [(5.0, 2.0, 30.0, 8.0)], [(-5.0, 0.0, 30.0, 15.0)]):
        assert free_place(tag_places(BOX), TAG, taken) == first_free(tag_places(BOX), TAG, taken)
    assert free_place(tag_places(BOX), TAG, [(0.0, -6.0, 20.0, 0.4)]) == first_free(tag_places(BOX), TAG, [])  # a touch


def test_a_tag_keeps_off_a_neighbours_box_that_overlaps_its_own():
    # the next joint's box covers the lower half of this one and reaches out to its left; its name lies across the top:
    # the free places inside the box, at the bottom, and just below it lie on that box, and would read as its value
    name, neighbour = (5.0, 2.0, 30.0, 8.0), (-30.0, 20.0, 40.0, 80.0)
    assert overlap(tag_at([name]), neighbour)  # where the tag went before: inside at the bottom left
    place = free_place(tag_places(BOX), TAG, [name] + others(BOX, [BOX, neighbour]))
    assert text_rect(place, TAG) == (40.0, 0.0, 60.0, 6.0)  # just right of its box, by its top: its own box's alone
    assert free_place(tag_places(BOX), TAG, [name] + others(BOX, [BOX, neighbour], clear=20.0)) is None  # none far enough


def test_other_boxes_leave_out_the_own_one_and_of_a_box_around_it_only_the_part_beyond_it():
    own, beside, around = (0.0, 0.0, 10.0, 10.0), (8.0, 0.0, 18.0, 10.0), (-5.0, -5.0, 30.0, 30.0)
    assert others(own, [own, beside]) == [beside]
    assert others(own, [own, beside], clear=1.0) == [(7.0, -1.0, 19.0, 11.0)]
    frame = others(own, [own, around])  # a text inside the own box lies on none of it, one beside the own box does
    assert not any(overlap((1.0, 1.0, 9.0, 4.0), r) for r in frame)
    assert any(overlap((10.0, 1.0, 18.0, 4.0), r) for r in frame)


def test_tag_places_along_the_sides_come_after_the_usual_ones_and_all_touch_the_box():
    along = tag_places(BOX, along=True)
    assert along[:len(tag_places(BOX))] == tag_places(BOX) and len(along) > len(tag_places(BOX))
    for place in along:
        x0, y0, x1, y1 = text_rect(place, TAG)
        assert x0 <= BOX[2] and BOX[0] <= x1 and y0 <= BOX[3] and BOX[1] <= y1  # touching or on it
    # what lies further from the box than the tag's size is never in the way of one
    far, close = (61.0, 0.0, 70.0, 10.0), (59.0, 0.0, 70.0, 10.0)
    assert near([far, close], BOX, TAG) == [close]
