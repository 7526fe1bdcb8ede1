"""The messaging policy's pure rules (SPEC §13): text forms, quiet-hour ends and calendar
days in a zone, daylight saving included."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from journey_desktop.domain.policy import (
    CALENDAR_DAY,
    CALENDAR_WEEK,
    Cap,
    Policy,
    PolicyError,
    QuietHours,
    RateLimit,
    ZoneBook,
    calendar_bounds,
    quiet_end,
    wall_instant,
)

MADRID = ZoneInfo("Europe/Madrid")
NEW_YORK = ZoneInfo("America/New_York")


def ts(*args: int, tz: dt.tzinfo = MADRID) -> int:
    return int(dt.datetime(*args, tzinfo=tz).timestamp())


def local(instant: int, tz: dt.tzinfo = MADRID) -> str:
    return dt.datetime.fromtimestamp(instant, tz).strftime("%Y-%m-%d %H:%M %z")


def test_text_forms_round_trip():
    assert Cap.parse("any:3/1d") == Cap("any", 3, seconds=86_400)
    assert Cap.parse("push:1/day") == Cap("push", 1, calendar=CALENDAR_DAY)
    assert Cap.parse("EMAIL : 2 / week").text() == "email:2/week"
    assert Cap.parse("sms:5/12h").text() == "sms:5/12h"
    assert RateLimit.parse("600/min", "push") == RateLimit(600, "push")
    quiet = QuietHours.parse("21:00-09:00", "sms", "skip")
    assert (quiet.start, quiet.end, quiet.text()) == (21 * 60, 9 * 60, "21:00-09:00")
    policy = Policy("tz", (quiet,), (Cap.parse("any:3/7d"), Cap.parse("inapp:1/week")),
                    (RateLimit(10),))
    assert Policy.from_json(policy.to_json()) == policy
    assert Policy.from_json(None) == Policy() and Policy().empty


@pytest.mark.parametrize(("text", "words"), [
    ("any:3", "is not CHANNEL:N/PERIOD"), ("fax:1/1d", "unknown channel 'fax'"),
    ("any:0/1d", "at least 1"), ("any:1/1y", "is not like 12h"), ("any:1/0d", "is not like"),
])
def test_caps_that_cannot_be_read_say_why(text, words):
    with pytest.raises(PolicyError, match=words):
        Cap.parse(text)


def test_quiet_hours_that_cannot_be_read_say_why():
    for text in ("21:00", "24:00-09:00", "09:00-09:00", "9-10"):
        with pytest.raises(PolicyError):
            QuietHours.parse(text)
    with pytest.raises(PolicyError, match="hold or skip"):
        QuietHours.parse("21:00-09:00", action="drop")


def test_a_channel_s_own_quiet_hours_replace_those_for_all():
    every, sms = QuietHours.parse("21:00-09:00"), QuietHours.parse("22:00-08:00", "sms")
    policy = Policy(quiet=(every, sms))
    assert policy.quiet_for("sms") == sms and policy.quiet_for("push") == every
    assert policy.with_quiet(QuietHours.parse("20:00-07:00")).quiet_for("push").start == 1200


def test_quiet_end_over_midnight_and_within_a_day():
    night = QuietHours.parse("21:00-09:00")
    assert local(quiet_end(ts(2027, 1, 5, 23, 0, tz=NEW_YORK), night, NEW_YORK),
                 NEW_YORK) == "2027-01-06 09:00 -0500"
    assert local(quiet_end(ts(2027, 1, 6, 3, 0), night, MADRID)) == "2027-01-06 09:00 +0100"
    assert quiet_end(ts(2027, 1, 6, 9, 0), night, MADRID) == ts(2027, 1, 6, 9, 0)
    lunch = QuietHours.parse("12:00-14:00")
    assert local(quiet_end(ts(2027, 1, 6, 12, 30), lunch, MADRID)) == "2027-01-06 14:00 +0100"
    assert quiet_end(ts(2027, 1, 6, 14, 0), lunch, MADRID) == ts(2027, 1, 6, 14, 0)


def test_a_wall_time_in_the_spring_gap_moves_to_the_gap_s_end():
    assert local(wall_instant(dt.datetime(2027, 3, 28, 2, 30), MADRID)) == (
        "2027-03-28 03:00 +0200")
    assert local(wall_instant(dt.datetime(2027, 3, 28, 2, 0), MADRID)) == (
        "2027-03-28 03:00 +0200")


def test_a_wall_time_that_happens_twice_is_the_first():
    first = wall_instant(dt.datetime(2027, 10, 31, 2, 30), MADRID)
    assert local(first) == "2027-10-31 02:30 +0200"


def test_calendar_day_and_week_in_the_customer_s_zone():
    instant = ts(2027, 1, 6, 1, 0)  # Wednesday 01:00 in Madrid, still Tuesday in New York
    assert calendar_bounds(instant, CALENDAR_DAY, MADRID) == (ts(2027, 1, 6, 0, 0),
                                                               ts(2027, 1, 7, 0, 0))
    start, end = calendar_bounds(instant, CALENDAR_DAY, NEW_YORK)
    assert local(start, NEW_YORK) == "2027-01-05 00:00 -0500"
    week = calendar_bounds(instant, CALENDAR_WEEK, MADRID)
    assert week == (ts(2027, 1, 4, 0, 0), ts(2027, 1, 11, 0, 0))  # Monday to Monday
    spring = calendar_bounds(ts(2027, 3, 28, 12, 0), CALENDAR_DAY, MADRID)
    assert spring[1] - spring[0] == 23 * 3600


def test_zone_names_that_are_no_zone_fall_back_and_are_remembered():
    book = ZoneBook(fallback=MADRID)
    assert book.zone("America/New_York") == NEW_YORK
    assert book.zone("Mars/Olympus") is MADRID and book.zone("") is MADRID
    assert book.invalid == {"Mars/Olympus"}
