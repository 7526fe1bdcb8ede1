"""How the rate limit fills minutes (SPEC §13): in rank order, minutes with room first."""

from journey_desktop.store.evaluator_policy import slot_ranges


def test_messages_fill_each_minute_then_the_next():
    assert slot_ranges([(100, 1800)], {}, 600) == [
        (1, 600, 100), (601, 1200, 101), (1201, 1800, 102)]


def test_room_already_given_is_not_given_again_and_later_groups_start_later():
    free = {100: 2, 101: 0}
    assert slot_ranges([(100, 5), (103, 1)], free, 3) == [
        (1, 2, 100), (3, 5, 102), (6, 6, 103)]


def test_a_group_due_after_the_cursor_waits_for_its_own_minute():
    assert slot_ranges([(100, 1), (105, 2)], {}, 10) == [(1, 1, 100), (2, 3, 105)]
