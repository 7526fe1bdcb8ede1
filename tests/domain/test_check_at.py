"""Check at (SPEC §3): the rhythm anchored at a local time, its file form, its validation
and its words; and what the runs at a wait are waiting for, in words."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from journey_desktop.domain import engine
from journey_desktop.domain.activation_words import describe_activation, first_checks_in_words
from journey_desktop.domain.journey import (
    Activation,
    Duration,
    EventTrigger,
    Journey,
    JourneyFileError,
)
from journey_desktop.domain.late_sends import LateDay, could_be_late, late_days, late_warning
from journey_desktop.domain.validation import validate
from journey_desktop.domain.when_words import day_and_time, waiting_in_words
from tests.conftest import load_example

MADRID = ZoneInfo("Europe/Madrid")
DAY = 86400


def at(year: int, month: int, day: int, hour: int, minute: int = 0) -> int:
    return int(dt.datetime(year, month, day, hour, minute, tzinfo=MADRID).timestamp())


def test_after_a_first_check_at_14_05_the_next_checks_are_at_09_00_from_the_next_day() -> None:
    first = at(2026, 12, 1, 14, 5)
    rhythm = [first]
    for _ in range(3):
        rhythm.append(engine.next_rhythm_point(first, DAY, rhythm[-1], MADRID, check_at="09:00"))
    assert rhythm[1:] == [at(2026, 12, 2, 9), at(2026, 12, 3, 9), at(2026, 12, 4, 9)]
    # A run that ends at 08:30 on the 3rd: checked again at 09:00 that day.
    assert engine.next_rhythm_point(first, DAY, at(2026, 12, 3, 8, 30), MADRID,
                                    check_at="09:00") == at(2026, 12, 3, 9)
    # At the point itself: strictly after, or at it with ``inclusive``.
    assert engine.next_rhythm_point(first, DAY, at(2026, 12, 3, 9), MADRID,
                                    check_at="09:00") == at(2026, 12, 4, 9)
    assert engine.next_rhythm_point(first, DAY, at(2026, 12, 3, 9), MADRID, inclusive=True,
                                    check_at="09:00") == at(2026, 12, 3, 9)


def test_a_first_check_before_the_time_is_that_day_s_check() -> None:
    """Checked at 07:00, the customer is not checked again at 09:00 the same day (no
    second entry on one day), but at 09:00 on the next rhythm day."""
    first = at(2026, 12, 1, 7)
    assert engine.next_rhythm_point(first, DAY, first, MADRID,
                                    check_at="09:00") == at(2026, 12, 2, 9)
    assert engine.next_rhythm_point(first, 3 * DAY, first, MADRID,
                                    check_at="09:00") == at(2026, 12, 4, 9)
    assert engine.next_rhythm_point(first, 3 * DAY, at(2026, 12, 5, 12), MADRID,
                                    check_at="09:00") == at(2026, 12, 7, 9)


def test_check_at_keeps_the_wall_clock_across_dst_and_a_skipped_time_lands_after_the_gap() -> None:
    first = at(2026, 3, 27, 15)
    points = [first]
    for _ in range(4):
        points.append(engine.next_rhythm_point(first, DAY, points[-1], MADRID, check_at="02:30"))
    hours = [engine.local_datetime(p, MADRID).strftime("%d %H:%M") for p in points[1:]]
    # 29 March 2026 02:30 does not exist in Madrid: that check is just after the gap.
    assert hours == ["28 02:30", "29 03:30", "30 02:30", "31 02:30"]


def test_journey_file_writes_check_at_only_when_set() -> None:
    journey = load_example("birthday")
    assert "check_at" not in journey.to_dict()["activation"]
    journey.activation.check_at = "09:00"
    data = journey.to_dict()
    assert data["activation"]["check_at"] == "09:00"
    assert Journey.from_dict(data).activation.check_at == "09:00"
    data["activation"]["check_at"] = 900
    with pytest.raises(JourneyFileError, match=r"activation\.check_at: expected text"):
        Journey.from_dict(data)


@pytest.mark.parametrize(("activation", "on_event", "problem"), [
    (Activation(True, None, Duration(1, "days"), "9am"), False, "must be HH:MM"),
    (Activation(False, None, Duration(1, "days"), "09:00"), False, "needs re-entry"),
    (Activation(True, None, Duration(12, "hours"), "09:00"), False, "whole days"),
    (Activation(True, None, Duration(1, "days"), "09:00"), True, "starts on an event"),
])
def test_check_at_is_refused_where_it_cannot_be_kept(activation: Activation, on_event: bool,
                                                     problem: str) -> None:
    journey = load_example("birthday")
    if on_event:
        entry = journey.entry()
        assert entry is not None
        entry.trigger = EventTrigger(name="purchase")
    journey.activation = activation
    errors = [p for p in validate(journey).errors if p.field == "activation.check_at"]
    assert len(errors) == 1 and problem in str(errors[0])
    assert str(errors[0]).startswith("activation.check_at: ")
    journey.activation.check_at = None
    assert not [p for p in validate(journey).problems if p.field == "activation.check_at"]


def test_the_activation_in_words() -> None:
    daily = Activation(True, None, Duration(1, "days"), "09:00")
    assert describe_activation(daily).endswith("checked again once a day at 09:00.")
    now = at(2026, 12, 1, 13, 58)
    tick = at(2026, 12, 1, 14, 5)
    assert first_checks_in_words(daily, tick, now, MADRID) == (
        "First check today at 14:05, then daily at 09:00.")
    every3 = Activation(True, None, Duration(3, "days"), "08:30")
    assert first_checks_in_words(every3, at(2026, 12, 2, 0, 5), at(2026, 12, 1, 23, 58),
                                 MADRID) == (
        "First check tomorrow at 00:05, then every 3 days at 08:30.")
    assert first_checks_in_words(Activation(True, None, Duration(1, "days")), tick, now,
                                 MADRID) == "First check today at 14:05, then daily at 14:05."
    assert first_checks_in_words(Activation(True, None, Duration(6, "hours")), tick, now,
                                 MADRID) == "First check today at 14:05, then once every 6 hours."
    assert first_checks_in_words(Activation(False), tick, now, MADRID) == (
        "First check today at 14:05; each customer is checked once, when first seen.")


def test_what_is_coming_in_words() -> None:
    now = at(2026, 12, 1, 8, 12)
    assert day_and_time(at(2026, 12, 4, 9), now, MADRID) == "on 4 Dec at 09:00"
    assert day_and_time(at(2027, 1, 4, 9), now, MADRID) == "on 4 Jan 2027 at 09:00"
    assert waiting_in_words(42, at(2026, 12, 1, 9), 42, now, MADRID) == (
        "42 waiting until 09:00 today")
    assert waiting_in_words(42, at(2026, 12, 2, 9), 42, now, MADRID) == (
        "42 waiting until 09:00 tomorrow")
    assert waiting_in_words(3, at(2026, 12, 4, 9), 1, now, MADRID) == (
        "3 waiting, next on 4 Dec at 09:00")
    assert waiting_in_words(1234, at(2026, 12, 1, 9), 10, now, MADRID) == (
        "1,234 waiting, next today at 09:00")
    assert waiting_in_words(5, now - 60, 5, now, MADRID) == "5 waiting, due at the next check"
    assert waiting_in_words(5, at(2026, 12, 3, 10), 5, now, MADRID, for_event=True) == (
        "5 waiting for the event, at most until 3 Dec at 10:00")
    assert waiting_in_words(0, None, 0, now, MADRID) == ""


def _wait_journey(days: int, minutes: int) -> Journey:
    data = load_example("birthday").to_dict()
    data["nodes"][0]["next"] = "nine"
    data["nodes"].insert(1, {"id": "nine", "type": "wait", "at_time": "09:00", "next": "greet",
                             "duration": {"value": days or minutes,
                                          "unit": "days" if days else "minutes"}})
    return Journey.from_dict(data)


def test_late_sends_are_those_meant_for_the_day_that_go_out_the_next() -> None:
    day1, day2 = at(2026, 12, 1, 14, 5), at(2026, 12, 2, 9)
    runs = [("a", day1, f"start@{day1}\nnine@{day1}\ngreet@{day2}\nend@{day2}\n", None),
            ("b", day1, f"start@{day1}\nnine@{day1}\n", day2),  # still waiting
            ("c", at(2026, 12, 2, 8), f"start@{at(2026, 12, 2, 8)}\nnine@{at(2026, 12, 2, 8)}\n",
             day2)]  # checked at 08:00: greeted on the day
    same_day = _wait_journey(0, 1)
    assert late_days(same_day, runs, MADRID) == [
        LateDay(dt.date(2026, 12, 1), dt.date(2026, 12, 2), 2)]
    # "1 day, then at 09:00" is meant for the next day: nobody is late.
    assert late_days(_wait_journey(1, 0), runs, MADRID) == []
    # Without a one-day date entry (everyone, every day) nothing is read.
    everyone = _wait_journey(0, 1)
    entry = everyone.entry()
    assert entry is not None
    entry.filter = None
    assert not could_be_late(everyone) and late_days(everyone, runs, MADRID) == []
    assert late_warning([]) is None
