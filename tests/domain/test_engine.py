"""The evaluator's pure rules: no database, no clock, no display."""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from zoneinfo import ZoneInfo

import pytest

from journey_desktop.domain import engine
from journey_desktop.domain.journey import Branch, Journey, Node

MADRID = ZoneInfo("Europe/Madrid")


def madrid(*args: int) -> int:
    return int(dt.datetime(*args, tzinfo=MADRID).timestamp())


def test_rhythm_point_is_strictly_after_now_on_the_first_check_grid():
    first = 1_000_000
    assert engine.next_rhythm_point(first, 600, first) == first + 600
    assert engine.next_rhythm_point(first, 600, first + 599) == first + 600
    assert engine.next_rhythm_point(first, 600, first + 600) == first + 1200
    # A customer due many intervals ago gets one next point, not one per missed interval.
    assert engine.next_rhythm_point(first, 600, first + 6000 + 7) == first + 6600
    with pytest.raises(ValueError):
        engine.next_rhythm_point(first, 0, first)


@pytest.mark.parametrize("first, now, expected", [
    # A daily rhythm keeps 09:00 local across spring forward (a 23-hour day) ...
    (madrid(2025, 3, 28, 9, 0), madrid(2025, 3, 30, 9, 0), madrid(2025, 3, 31, 9, 0)),
    (madrid(2025, 3, 28, 9, 0), madrid(2025, 3, 30, 8, 59), madrid(2025, 3, 30, 9, 0)),
    # ... and fall back (a 25-hour day), whole weeks too.
    (madrid(2025, 10, 25, 9, 0), madrid(2025, 10, 26, 8, 30), madrid(2025, 10, 26, 9, 0)),
    (madrid(2025, 10, 20, 9, 0), madrid(2025, 10, 27, 9, 0), madrid(2025, 11, 3, 9, 0)),
])
def test_whole_day_rhythms_step_in_local_calendar_days(first, now, expected):
    timeout = 7 * 86400 if expected - first > 8 * 86400 else 86400
    assert engine.next_rhythm_point(first, timeout, now, MADRID) == expected


def test_a_rhythm_anchored_after_now_steps_back_to_its_first_point_after_now():
    first = 1_000_000  # a first check made by a clock that was ahead
    assert engine.next_rhythm_point(first, 600, first - 1000) == first - 600
    assert engine.next_rhythm_point(first, 600, first - 1200) == first - 600
    assert engine.next_rhythm_point(first, 600, first - 1200, inclusive=True) == first - 1200
    sunday = madrid(2025, 3, 30, 9, 0)  # days back across the change keep 09:00 too
    assert engine.next_rhythm_point(sunday, 86400, madrid(2025, 3, 27, 9, 1), MADRID) == (
        madrid(2025, 3, 28, 9, 0))


def test_a_wait_of_whole_days_keeps_the_wall_clock_time_across_dst():
    assert engine.wait_end(madrid(2025, 3, 29, 20, 0), 86400, tz=MADRID) == (
        madrid(2025, 3, 30, 20, 0))
    assert engine.wait_end(madrid(2025, 10, 25, 20, 0), 2 * 86400, tz=MADRID) == (
        madrid(2025, 10, 27, 20, 0))
    assert engine.wait_end(madrid(2025, 3, 29, 20, 0), 3600, tz=MADRID) == (
        madrid(2025, 3, 29, 21, 0))


def test_wait_without_at_time_is_the_duration():
    assert engine.wait_end(100, 3600) == 3700


@pytest.mark.parametrize(
    "start, expected",
    [
        # 1 day from Saturday 29 March 20:00 CET is Sunday 20:00 CEST; the next 09:00 is Monday.
        (madrid(2025, 3, 29, 20, 0), madrid(2025, 3, 31, 9, 0)),
        # Ending before 09:00 on the DST day: 09:00 the same (23-hour) day.
        (madrid(2025, 3, 29, 7, 0), madrid(2025, 3, 30, 9, 0)),
        # Autumn: the 25-hour day.
        (madrid(2025, 10, 25, 8, 59), madrid(2025, 10, 26, 9, 0)),
        (madrid(2025, 10, 25, 9, 0), madrid(2025, 10, 26, 9, 0)),
    ],
)
def test_wait_at_time_is_local_across_dst(start, expected):
    end = engine.wait_end(start, 86400, "09:00", MADRID)
    assert end == expected
    assert engine.local_datetime(end, MADRID).strftime("%H:%M") == "09:00"


def test_wait_at_time_inside_the_spring_gap_lands_after_it():
    end = engine.wait_end(madrid(2025, 3, 29, 1, 0), 86400, "02:30", MADRID)
    assert engine.local_datetime(end, MADRID).strftime("%Y-%m-%d %H:%M") == "2025-03-30 03:30"


def test_system_zone_is_used_when_none_is_given(monkeypatch):
    monkeypatch.setenv("TZ", "Europe/Madrid")
    time.tzset()
    try:
        start = madrid(2025, 3, 29, 20, 0)
        assert engine.wait_end(start, 86400, "09:00") == madrid(2025, 3, 31, 9, 0)
        assert engine.local_date(madrid(2025, 3, 30, 0, 30)) == dt.date(2025, 3, 30)
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


def test_split_shares_hold_within_one_percent_and_repeat():
    node = Node(id="ab", type="split",
                branches=[Branch(20, "a"), Branch(30, "b"), Branch(50, "c")])
    customers = 100_000
    first = [engine.split_branch(7, f"customer-{i}", 1, node) for i in range(customers)]
    shares = Counter(first)
    for index, branch in enumerate(node.branches):
        assert abs(shares[index] / customers * 100 - branch.percent) < 1.0
    again = [engine.split_branch(7, f"customer-{i}", 1, node) for i in range(0, customers, 97)]
    assert again == first[::97]
    # Another entry of the same customer is an independent draw.
    other = [engine.split_branch(7, f"customer-{i}", 2, node) for i in range(2000)]
    assert other != first[:2000]


RUN = engine.RunContext(customer_id="c-42", journey_name="Spring sale", entry_number=7)


def test_render_fills_placeholders_and_leaves_missing_ones_empty():
    fields = {"firstName": "Zoë", "points": 12}
    assert engine.render("Hi {{firstName}}, {{ points }} pts{{nope}}!", fields, RUN) == (
        "Hi Zoë, 12 pts!"
    )
    assert engine.render("no placeholders", {}, RUN) == "no placeholders"


def test_render_fills_the_built_in_placeholders():
    template = "{{customerId}} in {{ journeyName }}, entry {{entryNumber}}"
    assert engine.render(template, {}, RUN) == "c-42 in Spring sale, entry 7"


def test_a_built_in_wins_over_a_field_of_the_same_name():
    fields = {"customerId": "from the file", "journeyName": "", "entryNumber": "x"}
    assert engine.render("{{customerId}}/{{journeyName}}/{{entryNumber}}", fields, RUN) == (
        "c-42/Spring sale/7"
    )


@pytest.mark.parametrize("fields", [{}, {"firstName": None}, {"firstName": ""}])
def test_a_default_shows_when_the_field_is_missing_null_or_empty(fields):
    assert engine.render("Hi {{firstName|there}}!", fields, RUN) == "Hi there!"
    assert engine.render("Hi {{ firstName | dear friend }}!", fields, RUN) == "Hi dear friend!"


@pytest.mark.parametrize("value, shown", [("Ann", "Ann"), (" ", " "), (0, "0"), (False, "0")])
def test_a_value_that_is_there_hides_the_default(value, shown):
    assert engine.render("Hi {{firstName|there}}!", {"firstName": value}, RUN) == f"Hi {shown}!"


def test_placeholders_are_parsed_with_their_defaults():
    assert engine.placeholders("{{a}} {{ b | x y }} {{c|}} {{}} {{d|e|f}}") == [
        engine.Placeholder("a"),
        engine.Placeholder("b", "x y"),
        engine.Placeholder("c"),
        engine.Placeholder(""),
        engine.Placeholder("d", "e|f"),
    ]


def test_render_message_maps_channel_fields_to_outbox_columns():
    node = Node(id="m", type="message", channel="email",
                content={"subject": "Hello {{n}}", "body": "B", "from_name": "{{n}} Team"})
    message = engine.render_message(node, {"n": "Ann"}, RUN)
    assert (message.title, message.body, message.url) == ("Hello Ann", "B", "")
    assert message.extra == {"from_name": "Ann Team"}


def test_step_order_puts_each_node_after_its_sources():
    journey = Journey.from_dict({
        "format": "journey-desktop/1", "name": "x",
        "nodes": [
            {"id": "end", "type": "exit"},
            {"id": "m2", "type": "message", "channel": "sms", "body": "b", "next": "end"},
            {"id": "w", "type": "wait", "duration": {"value": 1, "unit": "days"}, "next": "m2"},
            {"id": "start", "type": "entry", "next": "w"},
        ],
    })
    assert [n.id for n in engine.step_order(journey)] == ["start", "w", "m2", "end"]
