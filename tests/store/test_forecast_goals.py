"""A forecast with an events file shows the expected conversions and the exits by goal and by
exit rule per day (SPEC §8, §12), equal to the evaluator ticking day by day on the real
database with the same events imported."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from journey_desktop.domain.events_file import EventPlan, preview_events
from journey_desktop.domain.journey import Journey
from journey_desktop.store.evaluator import Evaluator
from journey_desktop.store.events import EventStore
from journey_desktop.store.forecast import run_forecast
from tests.store.evaluator_support import DAY, MADRID, activate, add_customers
from tests.store.test_forecast import START, evaluator_copy, evaluator_days, row_counts

HOUR = 3600
DAYS = 14
PUSH = {"type": "message", "channel": "push", "title": "Hi", "body": "News"}
EXIT_RULES = [
    {"event": "unsubscribed"},
    {"fields": {"match": "all", "conditions": [
        {"field": "plan", "op": "equals", "value": "cancelled"}]}},
    {"event": "complaint", "filter": {"match": "all", "conditions": [
        {"field": "severity", "op": "equals", "value": "high"}]}},
]


def goal_journey() -> Journey:
    """Two pushes three days apart; a purchase within 10 days converts and ends the run."""
    return Journey.from_dict({
        "format": "journey-desktop/1", "name": "Goal forecast",
        "nodes": [
            {"id": "start", "type": "entry", "next": "first"},
            {"id": "first", **PUSH, "next": "pause"},
            {"id": "pause", "type": "wait", "duration": {"value": 3, "unit": "days"},
             "next": "second"},
            {"id": "second", **PUSH, "next": "again"},
            {"id": "again", "type": "wait", "duration": {"value": 20, "unit": "days"},
             "next": "end"},
            {"id": "end", "type": "exit"},
        ],
        "goal": {"event": "purchase", "within": {"value": 10, "unit": "days"},
                 "exit_on_goal": True},
        "exit_when": EXIT_RULES,
    })


def customers(first: int, last: int) -> dict[str, dict[str, Any]]:
    """u05 and u06 (before the start) and u43 and u44 (after it) have a cancelled plan:
    the fields rule ends their runs at the tick after their entry."""
    return {f"u{i:02d}": {"plan": "cancelled" if i in (5, 6, 43, 44) else "basic"}
            for i in range(first, last)}


def events() -> list[dict[str, Any]]:
    """Purchases, unsubscribes and complaints on known days, some before the start, one
    after the goal's window; the file lists them out of time order."""
    lines: list[dict[str, Any]] = []

    def add(user: int, name: str, at: int, **props: Any) -> None:
        lines.append({"userId": f"u{user:02d}", "event": name, "timestamp": at,
                      "properties": props})

    add(0, "purchase", START - 2 * HOUR)  # before the forecast: ends the run at its start
    for user in range(1, 5):
        add(user, "purchase", START + DAY + user * HOUR)  # day 1
    add(7, "purchase", START + 2 * DAY + 30)
    add(7, "purchase", START + 3 * DAY)  # a second purchase: one conversion, the first
    for user in range(8, 12):
        add(user, "unsubscribed", START + 3 * DAY + user * 600)  # day 3
    add(12, "unsubscribed", START - DAY - 60)  # before the run's entry: ends nothing
    add(13, "complaint", START + 5 * DAY, severity="high")  # day 5
    add(14, "complaint", START + 5 * DAY, severity="low")  # the filter says no
    add(15, "unsubscribed", START + 6 * DAY)
    add(15, "complaint", START + 6 * DAY, severity="high")  # both at once: the first rule
    add(16, "purchase", START + 8 * DAY)  # day 8, inside the 10 days
    add(17, "purchase", START + 11 * DAY)  # outside its run's window: no conversion
    add(40, "purchase", START + 4 * DAY + 2 * HOUR)  # entered at the start
    add(41, "unsubscribed", START + 9 * DAY)
    lines.sort(key=lambda line: -line["timestamp"])
    return lines


def write_events(tmp_path: Path) -> Path:
    path = tmp_path / "events.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in events()), encoding="utf-8")
    return path


def prepared(repo) -> int:  # type: ignore[no-untyped-def]
    """Active a day before the start and ticked hourly until then (40 runs in progress
    are copied into the forecast); five customers imported half an hour before the start
    enter at its first tick."""
    journey_id = activate(repo, goal_journey(), customers(0, 40), START - DAY)
    evaluator = Evaluator(tz=MADRID)
    for moment in range(START - DAY, START, HOUR):
        evaluator.tick(moment)
    add_customers(journey_id, customers(40, 45), START - 1800)
    return journey_id


@pytest.mark.both_databases
def test_forecast_conversions_and_exits_by_rule_equal_the_evaluator_day_by_day(
        repo, store_url, tmp_path):
    journey_id = prepared(repo)
    path = write_events(tmp_path)
    before = row_counts()
    result = run_forecast(journey_id, days=DAYS, start=START, tz=MADRID,
                          tick_interval=HOUR, events=path)
    assert row_counts() == before and EventStore().count() == 0
    # The same events imported for real, then the evaluator on a copy, hour by hour.
    plan = EventPlan.from_preview(preview_events(path, max_rows=0))
    assert EventStore().import_file(plan, now=START - 1, tz=MADRID).committed
    copy = evaluator_copy(tmp_path, store_url)
    expected = evaluator_days(copy, journey_id, HOUR, DAYS)
    copy.close()
    with result:
        data = json.loads(json.dumps(result.to_json()))
    assert data["days"] == expected
    # Idle ticks were skipped: the events, queued for their time, still came on time.
    assert result.ticks < DAYS * 24 / 4, result.ticks
    by_date = {dt.date.fromisoformat(d["date"]): d for d in data["days"]}
    first = dt.datetime.fromtimestamp(START, MADRID).date()

    def on(day: int) -> dict[str, Any]:
        return by_date[first + dt.timedelta(days=day)]

    keys = ["goal", "event:unsubscribed", "fields", "event:complaint"]
    assert all(list(d["exits"]) == keys for d in data["days"])
    # The comparison means something: each figure is where the file put it.
    assert on(0)["exits"]["goal"] == 1  # u00's purchase before the start
    assert on(0)["conversions"] == 0  # ... converted before the forecast
    assert on(0)["exits"]["fields"] == 2  # u43 and u44, an hour after their entry
    assert on(1)["conversions"] == 4 and on(1)["exits"]["goal"] == 4
    assert on(2)["conversions"] == 1  # u07, once
    assert on(3)["exits"]["event:unsubscribed"] == 4
    assert on(5)["exits"]["event:complaint"] == 1
    assert on(6)["exits"]["event:unsubscribed"] == 1 and on(6)["exits"]["event:complaint"] == 0
    assert on(4)["conversions"] == 1  # u40, who entered at the start
    assert on(8)["conversions"] == 1
    assert on(9)["exits"]["event:unsubscribed"] == 1
    totals = data["totals"]
    assert totals["conversions"] == sum(d["conversions"] for d in data["days"]) == 7
    assert totals["exits"] == {"goal": 8, "event:unsubscribed": 6, "fields": 2,
                               "event:complaint": 1}


@pytest.mark.both_databases
def test_runs_ended_before_the_start_still_convert_in_the_forecast(repo, store_url, tmp_path):
    """One push and out: every run ended before the forecast starts, but its goal window
    is open, so a purchase in the file converts it, as the evaluator would."""
    journey = Journey.from_dict({
        "format": "journey-desktop/1", "name": "One push",
        "nodes": [{"id": "start", "type": "entry", "next": "hi"},
                  {"id": "hi", **PUSH, "next": "end"}, {"id": "end", "type": "exit"}],
        "goal": {"event": "purchase", "within": {"value": 3, "unit": "days"}},
    })
    journey_id = activate(repo, journey, customers(0, 6), START - DAY)
    Evaluator(tz=MADRID).tick(START - DAY)
    old = activate(repo, Journey.from_dict({**journey.to_dict(), "name": "Older"}),
                   {}, START - 5 * DAY)
    add_customers(old, customers(6, 8), START - 5 * DAY)
    Evaluator(tz=MADRID).tick(START - 5 * DAY)  # a journey whose windows closed
    path = tmp_path / "events.jsonl"
    path.write_text("".join(json.dumps({"userId": f"u{user:02d}", "event": "purchase",
                                        "timestamp": START + DAY + user}) + "\n"
                            for user in (1, 2, 3, 6)), encoding="utf-8")
    for jid, expected_total in ((journey_id, 3), (old, 0)):
        result = run_forecast(jid, days=4, start=START, tz=MADRID, tick_interval=HOUR,
                              events=path)
        with result:
            data = json.loads(json.dumps(result.to_json()))
        assert data["totals"]["conversions"] == expected_total
        assert [d["exited"] for d in data["days"]] == [0] * 4  # ended before the start
        assert data["totals"]["entered"] == 0
    plan = EventPlan.from_preview(preview_events(path, max_rows=0))
    assert EventStore().import_file(plan, now=START - 1, tz=MADRID).committed
    result = run_forecast(journey_id, days=4, start=START, tz=MADRID, tick_interval=HOUR,
                          events=path)
    with result:
        forecast_days = [day.to_json() for day in result.days]
    copy = evaluator_copy(tmp_path, store_url)
    expected = evaluator_days(copy, journey_id, HOUR, 4)
    copy.close()
    assert forecast_days == expected
    assert [d["conversions"] for d in expected] == [0, 3, 0, 0]


@pytest.mark.both_databases
def test_a_rule_counted_from_today_ends_runs_on_their_day_in_the_forecast_too(
        repo, store_url, tmp_path):
    """An exit rule on a birthday: the forecast skips the idle hours, yet ticks at the
    start of each local day, and ends each run on its customer's day, as the evaluator
    ticking every hour does."""
    journey = Journey.from_dict({
        "format": "journey-desktop/1", "name": "Birthday exit",
        "nodes": [{"id": "start", "type": "entry", "next": "pause"},
                  {"id": "pause", "type": "wait", "duration": {"value": 20, "unit": "days"},
                   "next": "hi"},
                  {"id": "hi", **PUSH, "next": "end"}, {"id": "end", "type": "exit"}],
        "exit_when": [{"fields": {"match": "all", "conditions": [
            {"field": "birthday", "op": "anniversary_in_days", "value": 0}]}}],
    })
    first = dt.datetime.fromtimestamp(START, MADRID).date()
    people = {f"b{i}": {"birthday": (first + dt.timedelta(days=i)).replace(year=1990)
                        .isoformat()} for i in (2, 5, 9)}
    people["never"] = {"birthday": "1990-12-25"}
    journey_id = activate(repo, journey, people, START - DAY)
    Evaluator(tz=MADRID).tick(START - DAY)
    result = run_forecast(journey_id, days=DAYS, start=START, tz=MADRID, tick_interval=HOUR)
    with result:
        data = json.loads(json.dumps(result.to_json()))
    copy = evaluator_copy(tmp_path, store_url)
    expected = evaluator_days(copy, journey_id, HOUR, DAYS)
    copy.close()
    assert data["days"] == expected
    assert [d["exits"]["fields"] for d in data["days"]][:10] == [0, 0, 1, 0, 0, 1, 0, 0, 0, 1]
    assert result.ticks <= DAYS + 2, result.ticks  # one a day, not one an hour
