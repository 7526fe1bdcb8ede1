"""The forecast's pure counting: local days across DST, per-day figures, peak, deep checks."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from journey_desktop.domain import forecast as rules
from tests.conftest import load_example

MADRID = ZoneInfo("Europe/Madrid")


def at(year: int, month: int, day: int, hour: int = 9, minute: int = 0) -> int:
    return int(dt.datetime(year, month, day, hour, minute, tzinfo=MADRID).timestamp())


def test_days_are_local_days_the_first_one_short_and_dst_day_23_hours():
    bounds = rules.day_bounds(at(2027, 3, 27, 14), 3, MADRID)
    assert [b.date for b in bounds] == [dt.date(2027, 3, 27), dt.date(2027, 3, 28),
                                        dt.date(2027, 3, 29)]
    assert bounds[0].end - bounds[0].start == 10 * 3600  # 14:00 to midnight
    assert bounds[1].end - bounds[1].start == 23 * 3600  # clocks go forward on the 28th
    assert bounds[2].start == at(2027, 3, 29, 0)


def test_build_days_counts_overdue_steps_on_day_zero_and_keeps_channel_order():
    bounds = rules.day_bounds(at(2027, 2, 10), 2, MADRID)
    days = rules.build_days(
        bounds,
        entered=[(at(2027, 2, 10), 3), (at(2027, 2, 11, 23, 59), 1)],
        exited=[(at(2027, 2, 9, 9), 2)],  # a run overdue before the start ends on day 0
        messages=[(at(2027, 2, 11), "email", 2), (at(2027, 2, 11), "push", 1),
                  (at(2027, 2, 12, 0, 0), "push", 9)],  # after the window: not counted
        in_progress=[3, 1],
    )
    assert [d.to_json() for d in days] == [
        {"date": "2027-02-10", "entered": 3, "exited": 2, "in_progress": 3, "messages": {},
         "conversions": 0, "exits": {}, "held": 0, "suppressed": 0},
        {"date": "2027-02-11", "entered": 1, "exited": 0, "in_progress": 1,
         "messages": {"push": 1, "email": 2}, "conversions": 0, "exits": {}, "held": 0,
         "suppressed": 0},
    ]
    totals = rules.totals_of(days)
    assert (totals.entered, totals.exited, totals.in_progress) == (4, 2, 1)
    assert totals.messages == {"push": 1, "email": 2}
    assert rules.peak_day(days) is days[1]
    assert rules.peak_day(days[:1]) is None


def test_busy_customers_counted_per_local_day_not_per_24_hours():
    rows = [("a", at(2027, 2, 10, 23, 30)), ("a", at(2027, 2, 11, 0, 30)),
            ("a", at(2027, 2, 11, 9)), ("b", at(2027, 2, 10, 9)),
            ("b", at(2027, 2, 10, 10)), ("b", at(2027, 2, 10, 11))]
    busy = rules.busy_customers(rows, 2, MADRID)
    assert busy == [rules.BusyCustomer("b", dt.date(2027, 2, 10), 3)]
    assert [b.external_id for b in rules.busy_customers(rows, 1, MADRID)] == ["b", "a"]


def test_quiet_hours_are_22_to_8_local_time():
    counts = [(at(2027, 2, 10, 21, 59), 5), (at(2027, 2, 10, 22, 0), 2),
              (at(2027, 2, 11, 7, 59), 1), (at(2027, 2, 11, 8, 0), 4)]
    total, first = rules.quiet_hour_messages(counts, MADRID)
    assert total == 3
    assert first == [at(2027, 2, 10, 22, 0), at(2027, 2, 11, 7, 59)]


def test_warnings_name_customers_night_messages_and_unreached_nodes():
    journey = load_example("welcome-series")
    visits = {n.id: 5 for n in journey.nodes}
    visits["premium_push"] = 0
    warnings = rules.deep_check_warnings(
        journey, days=30, entered=5, visits=visits,
        busy=[rules.BusyCustomer("c7", dt.date(2027, 2, 12), 3)], limit=2,
        quiet=(4, [at(2027, 2, 10, 23, 0)]), tz=MADRID,
    )
    assert warnings == [
        "1 customer would get more than 2 messages in one day: c7 (3 on 2027-02-12)",
        "4 messages are due between 22:00 and 08:00 local time (first at 2027-02-10 23:00)",
        "No customer reaches node premium_push in 30 days",
    ]
    nobody = rules.deep_check_warnings(journey, days=7, entered=0, visits={}, busy=[],
                                       limit=2, quiet=(0, []), tz=MADRID)
    assert nobody == ["No customer enters the journey in these 7 days"]
