"""Check at (SPEC §3) in the evaluator, the forecast and the clock that went back: checks
keep the chosen time of day from the second check on; the forecast says it the same way
and names the customers a wait "then at 09:00" would greet a day late."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from journey_desktop.domain import engine
from journey_desktop.domain import forecast as rules
from journey_desktop.domain.journey import Activation, Duration, Journey
from journey_desktop.store.db import database
from journey_desktop.store.evaluator import Evaluator
from journey_desktop.store.forecast import run_forecast
from journey_desktop.store.repository import JourneyRepository
from journey_desktop.store.settings import SettingsRepository
from journey_desktop.store.stats import daily_counts, journey_stats
from tests.conftest import add_members, load_example
from tests.store.evaluator_support import MADRID, local, outbox

pytestmark = pytest.mark.both_databases

ACTIVATED = local(2026, 12, 1, 14, 0)  # a Tuesday afternoon
FIRST_TICK = local(2026, 12, 1, 14, 5)
STEP = 300  # the evaluator ticks every five minutes


def birthdays() -> dict[str, dict[str, Any]]:
    """A birthday today (the activation day), tomorrow, in three days, and none."""
    return {
        "today": {"firstName": "Tina", "birthday": "1990-12-01"},
        "tomorrow": {"firstName": "Tom", "birthday": "1985-12-02"},
        "friday": {"firstName": "Fay", "birthday": "2001-12-04"},
        "nobody": {"firstName": "Ned", "birthday": "1970-06-30"},
    }


def wait_until_nine(name: str = "Birthday at nine") -> Journey:
    """The issue's journey: the entry on today's birthday, then "wait 1 minute, then at
    09:00", then the greeting."""
    journey = load_example("birthday")
    journey.name = name
    data = journey.to_dict()
    data["nodes"][0]["next"] = "nine"
    data["nodes"].insert(1, {"id": "nine", "type": "wait",
                             "duration": {"value": 1, "unit": "minutes"},
                             "at_time": "09:00", "next": "greet"})
    return Journey.from_dict(data)


def activated(repo: JourneyRepository, journey: Journey, check_at: str | None) -> int:
    journey_id = repo.create(journey, now=ACTIVATED)
    add_members(journey_id, birthdays(), ACTIVATED)
    activation = Activation(True, None, Duration(1, "days"), check_at)
    result = repo.activate(journey_id, activation, now=ACTIVATED)
    assert result.ok, result.problems
    assert repo.get(journey_id).journey.activation.check_at == check_at
    return journey_id


def greeted(journey_id: int) -> dict[str, list[str]]:
    """Each customer's greetings, as local "MM-DD HH:MM"."""
    got: dict[str, list[str]] = {}
    for ext, _entry, node, *_rest, due_at in outbox(journey_id):
        assert node == "greet"
        got.setdefault(ext, []).append(
            engine.local_datetime(due_at, MADRID).strftime("%m-%d %H:%M"))
    return got


def tick_until(evaluator: Evaluator, end: int) -> None:
    for moment in range(FIRST_TICK, end, STEP):
        evaluator.tick(moment)


def test_birthday_journey_activated_at_14_00_with_check_at_09_00_greets_at_09_00_on_the_day_for_the_next_birthdays_and_the_deep_check_names_the_late_ones(  # noqa: E501
    repo: JourneyRepository,
) -> None:
    SettingsRepository().set_tick_interval(STEP)
    end = local(2026, 12, 6, 0, 0)
    greet_now = activated(repo, load_example("birthday"), "09:00")
    late_then_nine = activated(repo, wait_until_nine(), "08:00")
    always_late = activated(repo, wait_until_nine("Birthday at nine, checked at nine"), "09:00")
    # Forecasts of drafts with the same options, from the same first tick, before the
    # evaluator runs: they must say what it then does.
    forecasts = {}
    for journey, check_at in ((load_example("birthday"), "09:00"), (wait_until_nine(), "08:00"),
                              (wait_until_nine(), "09:00")):
        journey.name = f"Draft {len(forecasts)}"
        draft = repo.create(journey, now=ACTIVATED)
        add_members(draft, birthdays(), ACTIVATED)
        forecasts[check_at if len(forecasts) else "greet"] = run_forecast(
            draft, days=5, start=FIRST_TICK, tz=MADRID, tick_interval=STEP,
            activation=Activation(True, None, Duration(1, "days"), check_at))
    tick_until(Evaluator(tz=MADRID), end)

    # First check at 14:05: today's birthday is greeted then; the next ones at 09:00 on
    # their day; nobody twice, nobody without a birthday.
    assert greeted(greet_now) == {"today": ["12-01 14:05"], "tomorrow": ["12-02 09:00"],
                                  "friday": ["12-04 09:00"]}
    # With a wait "then at 09:00" and checks at 08:00: the first day's match, checked at
    # 14:05, is greeted the next day; the next ones at 09:00 on their day.
    assert greeted(late_then_nine) == {"today": ["12-02 09:00"], "tomorrow": ["12-02 09:00"],
                                       "friday": ["12-04 09:00"]}
    # Checked at 09:00 itself, the wait "1 minute, then at 09:00" always ends the next day.
    assert greeted(always_late) == {"today": ["12-02 09:00"], "tomorrow": ["12-03 09:00"],
                                    "friday": ["12-05 09:00"]}

    greet = forecasts["greet"]
    assert not [w for w in greet.warnings if "would get their message" in w]
    assert greet.totals.messages == {"push": 3}
    one_late = [w for w in forecasts["08:00"].warnings if "would get their message" in w]
    assert one_late == [
        "1 customer matched on 2026-12-01 would get their message on 2026-12-02: a wait "
        "“then at” a time of day follows a check made after it; a Check at before that "
        "time sends on the day"]
    all_late = [w for w in forecasts["09:00"].warnings if "would get their message" in w]
    assert len(all_late) == 1 and all_late[0].startswith(
        "3 customers would get their message on a later day than the one their date matched"
        " (1 matched on 2026-12-01 on 2026-12-02; 1 matched on 2026-12-02 on 2026-12-03;"
        " 1 matched on 2026-12-04 on 2026-12-05)")
    # The forecasts count the same messages per day as the evaluator wrote.
    for forecast, journey_id in ((greet, greet_now), (forecasts["08:00"], late_then_nine),
                                 (forecasts["09:00"], always_late)):
        with forecast:
            counts = {c.day: sum(c.messages.values())
                      for c in daily_counts(journey_id, tz=MADRID) if c.messages}
            assert {d.date: d.message_total for d in forecast.days if d.message_total} == counts


def test_customers_imported_later_keep_the_time_of_day_too(repo: JourneyRepository) -> None:
    journey_id = activated(repo, load_example("birthday"), "09:00")
    evaluator = Evaluator(tz=MADRID)
    evaluator.tick(FIRST_TICK)
    # Imported on the 2nd at 17:20, first checked at the next tick, then at 09:00.
    add_members(journey_id, {"late": {"birthday": "1999-12-04"}}, local(2026, 12, 2, 17, 20))
    tick_until(evaluator, local(2026, 12, 5))
    assert greeted(journey_id)["late"] == ["12-04 09:00"]
    next_checks = dict(database.execute_sql(
        "SELECT external_id, next_check_at FROM member WHERE journey_id = ?", (journey_id,)))
    assert {engine.local_datetime(ts, MADRID).strftime("%m-%d %H:%M")
            for ts in next_checks.values()} == {"12-05 09:00"}


def test_a_clock_that_went_back_puts_checks_back_on_their_time_of_day(
    repo: JourneyRepository
) -> None:
    journey_id = activated(repo, load_example("birthday"), "09:00")
    evaluator = Evaluator(tz=MADRID)
    evaluator.tick(FIRST_TICK)
    evaluator.tick(local(2026, 12, 20, 10, 0))  # a clock ten days ahead
    summary = evaluator.tick(local(2026, 12, 1, 16, 0))  # right again
    assert summary.rescheduled == 4
    (due,) = {ts for (ts,) in database.execute_sql(
        "SELECT next_check_at FROM member WHERE journey_id = ?", (journey_id,))}
    assert due == local(2026, 12, 2, 9, 0)


def evaluator_days(journey_id: int, start: int, days: int,
                   interval: int) -> tuple[list[dict[str, Any]], set[str]]:
    """What the evaluator writes, ticking the store every point of the window (after the
    forecast, which ran on a copy of its own): the days, and the local times of day its
    messages are due at."""
    bounds = rules.day_bounds(start, days, MADRID)
    evaluator = Evaluator(tz=MADRID)
    in_progress: list[int] = []
    day = 0
    for moment in range(start, bounds[-1].end, interval):
        while moment >= bounds[day].end:
            in_progress.append(journey_stats(journey_id).in_progress)
            day += 1
        evaluator.tick(moment)
    while day < days:
        in_progress.append(journey_stats(journey_id).in_progress)
        day += 1
    counts = {c.day: c for c in daily_counts(journey_id, tz=MADRID, start=start,
                                             end=bounds[-1].end)}
    exited: dict[dt.date, int] = {}
    for (ended_at,) in database.execute_sql(
        "SELECT ended_at FROM run WHERE journey_id = ? AND ended_at >= ?", (journey_id, start)
    ):
        date = engine.local_date(ended_at, MADRID)
        exited[date] = exited.get(date, 0) + 1
    dues = {engine.local_datetime(due, MADRID).strftime("%H:%M") for (due,) in
            database.execute_sql("SELECT due_at FROM outbox WHERE journey_id = ?", (journey_id,))}
    return [{"date": b.date.isoformat(),
             "entered": counts[b.date].entered if b.date in counts else 0,
             "exited": exited.get(b.date, 0), "in_progress": running,
             "messages": dict(counts[b.date].messages) if b.date in counts else {},
             "conversions": 0, "exits": {},  # no goal, no exit rule
             "held": 0, "suppressed": 0}  # no policy
            for b, running in zip(bounds, in_progress, strict=True)], dues


def test_forecast_with_check_at_equals_the_evaluator_day_by_day(repo: JourneyRepository) -> None:
    """Sixty customers with birthdays over the window, one active journey with a wait
    "then at 09:00" checked at 08:00, ticked half-hourly: the forecast from 16:00 on the
    activation day equals the evaluator ticking every point of the same 20 days."""
    interval = 1800
    SettingsRepository().set_tick_interval(interval)
    customers = {f"C{i:02d}": {"firstName": f"N{i}", "birthday": (
        dt.date(1980 + i % 30, 12, 1) + dt.timedelta(days=i % 25)).isoformat()}
        for i in range(60)}
    journey_id = repo.create(wait_until_nine(), now=ACTIVATED)
    add_members(journey_id, customers, ACTIVATED)
    assert repo.activate(journey_id, Activation(True, None, Duration(1, "days"), "08:00"),
                         now=ACTIVATED).ok
    start = local(2026, 12, 1, 16, 0)
    for moment in range(ACTIVATED, start, interval):
        Evaluator(tz=MADRID).tick(moment)
    result = run_forecast(journey_id, days=20, start=start, tz=MADRID)
    expected, dues = evaluator_days(journey_id, start, 20, interval)
    with result:
        assert [day.to_json() for day in result.days] == expected
        assert result.to_json()["activation"]["check_at"] == "08:00"
    # It means something: greetings on most days, all at 09:00 (the first day's at 14:00
    # were entered before the forecast and greeted the next morning).
    sent = [d for d in expected if d["messages"]]
    assert len(sent) >= 15
    assert dues == {"09:00"}
