"""The forecast runs the real evaluator on a copy: it must equal what the evaluator then
does, day by day, and leave the real database exactly as it was."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from journey_desktop.domain import forecast as rules
from journey_desktop.domain.forecast_goals import goal_keys
from journey_desktop.domain.journey import Activation, Duration, Journey
from journey_desktop.domain.policy import Cap, Policy, QuietHours
from journey_desktop.paths import database_path
from journey_desktop.store.db import connect, database
from journey_desktop.store.evaluator import Evaluator
from journey_desktop.store.forecast import ForecastCancelled, ForecastError, run_forecast
from journey_desktop.store.policy import save_policy
from journey_desktop.store.postgres import connect_postgres
from journey_desktop.store.settings import SettingsRepository
from journey_desktop.store.stats import customer_trace, daily_counts, journey_stats
from tests.conftest import load_example
from tests.store.evaluator_support import DAY, MADRID, activate, add_customers, local

START = local(2027, 2, 15, 9, 0)  # a non-leap February: 29 Feb birthdays fall on the 28th
DAYS = 30


def audience() -> dict[str, dict[str, Any]]:
    """About a hundred customers: birthdays over the whole window (and 29 Feb), offers
    opt-in yes/no/missing, signups from two weeks before to three weeks after, three plans."""
    first = dt.date(2027, 2, 10)
    customers: dict[str, dict[str, Any]] = {}
    for i in range(90):
        birthday = first + dt.timedelta(days=(i * 7) % 40)
        signup = first + dt.timedelta(days=(i * 5) % 30 - 10)
        fields: dict[str, Any] = {
            "firstName": f"Name{i}",
            "birthday": birthday.replace(year=1970 + i % 35).isoformat(),
            "signupDate": signup.isoformat(),
            "plan": ("premium", "basic", "free")[i % 3],
        }
        if i % 10 != 9:
            fields["offersOptIn"] = "yes" if i % 2 else "no"
        customers[f"C{i:03d}"] = fields
    customers["leap"] = {"firstName": "Leap", "birthday": "1992-02-29", "offersOptIn": "yes",
                         "signupDate": "2027-02-13", "plan": "premium"}
    customers["feb28"] = {"firstName": "Feb", "birthday": "1988-02-28", "offersOptIn": "no",
                          "signupDate": "2027-02-20", "plan": "basic"}
    customers["nobirthday"] = {"firstName": "Nobody", "birthday": "", "plan": "premium"}
    return customers


def tick_grid(evaluator: Evaluator, start: int, end: int, interval: int) -> None:
    for moment in range(start, end, interval):
        evaluator.tick(moment)


def prepared(repo, name: str, interval: int) -> int:  # type: ignore[no-untyped-def]
    """Active a day before the forecast starts and ticked until then, with a few customers
    imported half an hour before the start (due at the next tick)."""
    SettingsRepository().set_tick_interval(interval)
    activated = START - DAY
    journey_id = activate(repo, load_example(name), audience(), activated)
    tick_grid(Evaluator(tz=MADRID), activated, START, interval)
    late = {f"L{i}": {"firstName": f"Late{i}", "birthday": "1999-03-02",
                      "offersOptIn": "yes", "signupDate": "2027-02-15", "plan": "premium"}
            for i in range(4)}
    add_customers(journey_id, late, START - 1800)
    return journey_id


def evaluator_copy(tmp_path: Path, store_url: str | None) -> Any:
    """Where the evaluator ticks the days the forecast covered: a copy of the SQLite file;
    on a team database, the database itself on a connection of its own (the forecast left
    it exactly as it was)."""
    if store_url is not None:
        return connect_postgres(store_url)
    copy_path = tmp_path / "copy.db"
    target = sqlite3.connect(copy_path)
    database.connection().backup(target)
    target.close()
    return connect(copy_path)


def evaluator_days(copy: Any, journey_id: int, interval: int,
                   days_count: int = DAYS) -> list[dict]:
    """What the evaluator writes on ``copy``, ticking every point of the same 30 days."""
    bounds = rules.day_bounds(START, days_count, MADRID)
    end = bounds[-1].end
    evaluator = Evaluator(copy, tz=MADRID)
    in_progress: list[int] = []
    rule_exits: dict[tuple[dt.date, int], int] = {}
    day = 0
    for moment in range(START, end, interval):
        while moment >= bounds[day].end:
            in_progress.append(journey_stats(journey_id, db=copy).in_progress)
            day += 1
        summary = evaluator.tick(moment)
        for (jid, rule), count in summary.exit_rules.items():
            key = (bounds[day].date, rule)
            rule_exits[key] = rule_exits.get(key, 0) + count * (jid == journey_id)
    while day < days_count:
        in_progress.append(journey_stats(journey_id, db=copy).in_progress)
        day += 1
    counts = {c.day: c for c in daily_counts(journey_id, tz=MADRID, start=START, end=end,
                                             db=copy)}
    exited: dict[dt.date, int] = {}
    for (ended_at,) in copy.execute_sql(
        "SELECT ended_at FROM run WHERE journey_id = ? AND ended_at >= ?", (journey_id, START)
    ):
        date = dt.datetime.fromtimestamp(ended_at, MADRID).date()
        exited[date] = exited.get(date, 0) + 1
    converted = dates_of(copy, "SELECT converted_at FROM conversion WHERE journey_id = ?"
                         " AND converted_at >= ?", journey_id)
    by_goal = dates_of(copy, "SELECT ended_at FROM run WHERE journey_id = ?"
                       " AND ended_at >= ? AND end_reason = 'goal'", journey_id)
    (definition,) = copy.execute_sql("SELECT definition FROM journey WHERE id = ?",
                                     (journey_id,)).fetchone()
    keys = goal_keys(Journey.from_json(definition))
    rule_keys = keys[1:] if keys[:1] == ["goal"] else keys
    days = []
    for bound, running in zip(bounds, in_progress, strict=True):
        count = counts.get(bound.date)
        exits = dict.fromkeys(keys, 0)
        if "goal" in exits:
            exits["goal"] = by_goal.get(bound.date, 0)
        for index, key in enumerate(rule_keys):
            exits[key] = rule_exits.get((bound.date, index), 0)
        days.append({
            "date": bound.date.isoformat(),
            "entered": count.entered if count else 0,
            "exited": exited.get(bound.date, 0),
            "in_progress": running,
            "messages": dict(count.messages) if count else {},
            "conversions": converted.get(bound.date, 0),
            "exits": exits,
            "held": count.held if count else 0,
            "suppressed": count.suppressed if count else 0,
        })
    return days


def dates_of(copy: Any, sql: str, journey_id: int) -> dict[dt.date, int]:
    """How many of the instants ``sql`` selects fall on each local day (from START)."""
    per_day: dict[dt.date, int] = {}
    for (ts,) in copy.execute_sql(sql, (journey_id, START)):
        date = dt.datetime.fromtimestamp(ts, MADRID).date()
        per_day[date] = per_day.get(date, 0) + 1
    return per_day


def row_counts() -> dict[str, int]:
    return {table: database.execute_sql(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("journey", "member", "profile", "run", "outbox", "node_visit", "setting")}


@pytest.mark.both_databases
@pytest.mark.parametrize(("name", "interval"), [
    ("birthday", 1800),
    ("daily-promotion", 3600),
    ("welcome-series", 3600),
])
def test_forecast_equals_the_evaluator_day_by_day(repo, store_url, tmp_path, name, interval):
    journey_id = prepared(repo, name, interval)
    before = row_counts()
    result = run_forecast(journey_id, days=DAYS, start=START, tz=MADRID)
    assert row_counts() == before

    copy = evaluator_copy(tmp_path, store_url)
    expected = evaluator_days(copy, journey_id, interval)
    with result:
        assert result.tick_interval == interval
        assert [day.to_json() for day in result.days] == expected
        for ext in [*audience(), "L0"]:
            steps = [s for s in result.trace(ext) if s.reached_at >= START]
            truth = [s for s in customer_trace(journey_id, ext, db=copy) if s.reached_at >= START]
            assert steps == truth, ext
    copy.close()
    # The comparison means something: every example sends, most days see activity.
    assert result.totals.message_total > 0
    assert result.totals.entered > 0
    if name == "birthday":
        by_date = {d.date: d.message_total for d in result.days}
        assert by_date[dt.date(2027, 2, 28)] >= 2  # the 28th and the leap-day birthday
        assert all(d.message_total == d.entered for d in result.days)
    if name == "welcome-series":
        assert result.days[0].in_progress > 0  # runs already waiting were copied and go on
        assert result.days[1].exited > 0


@pytest.mark.both_databases
def test_forecast_equals_the_evaluator_day_by_day_with_a_policy(repo, store_url, tmp_path):
    interval = 3600
    journey_id = prepared(repo, "daily-promotion", interval)
    for external_id, fields in database.execute_sql(
            "SELECT external_id, fields FROM profile").fetchall():
        tz = ("America/New_York" if external_id.endswith("1") else
              "Not/AZone" if external_id.endswith("2") else "Europe/Madrid")
        database.execute_sql("UPDATE profile SET fields = ? WHERE external_id = ?",
                             (json.dumps({**json.loads(fields), "tz": tz}), external_id))
    save_policy(Policy(timezone_field="tz", quiet=(QuietHours.parse("08:00-11:00"),),
                       caps=(Cap.parse("any:1/2d"), Cap.parse("push:3/week"))))
    result = run_forecast(journey_id, days=DAYS, start=START, tz=MADRID)
    copy = evaluator_copy(tmp_path, store_url)
    expected = evaluator_days(copy, journey_id, interval)
    copy.close()
    with result:
        assert [day.to_json() for day in result.days] == expected
    # The policy did something on most days: held and suppressed both.
    assert sum(day.held for day in result.days) > 0
    assert sum(day.suppressed for day in result.days) > 0
    assert result.totals.message_total > 0


def test_the_real_database_file_is_not_touched(repo, store):
    journey_id = activate(repo, load_example("welcome-series"), audience(), START - DAY)
    Evaluator(tz=MADRID).tick(START - DAY)
    database.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    path = database_path(store)
    files = [path, path.with_name(path.name + "-wal")]
    before = [f.read_bytes() if f.exists() else None for f in files]
    counts = row_counts()
    with run_forecast(journey_id, days=10, start=START, tz=MADRID) as result:
        assert result.totals.message_total > 0
    assert [f.read_bytes() if f.exists() else None for f in files] == before
    assert row_counts() == counts


@pytest.mark.both_databases
def test_a_draft_compares_timeout_one_hour_with_one_day(repo, store):
    journey = load_example("daily-promotion")
    journey_id = repo.create(journey, now=START - DAY)
    add_customers(journey_id, {"yes1": {"offersOptIn": "yes"}, "yes2": {"offersOptIn": "yes"},
                               "no": {"offersOptIn": "no"}}, START - DAY)
    hourly = Activation(allow_reentry=True, max_entries=None, timeout=Duration(1, "hours"))
    daily = Activation(allow_reentry=True, max_entries=None, timeout=Duration(1, "days"))
    with run_forecast(journey_id, days=3, start=START, tz=MADRID, tick_interval=600,
                      activation=hourly) as fast, \
         run_forecast(journey_id, days=3, start=START, tz=MADRID, tick_interval=600,
                      activation=daily) as slow:
        # 09:00 to midnight, then two whole days, one push an hour each.
        assert [d.message_total for d in fast.days] == [2 * 15, 2 * 24, 2 * 24]
        assert [d.message_total for d in slow.days] == [2, 2, 2]
        assert fast.warnings[0].startswith("2 customers would get more than 2 messages in one day")
        assert any("between 22:00 and 08:00" in w for w in fast.warnings)
        assert slow.warnings == []
        assert fast.status == "draft"
        assert fast.journey.activation == hourly
    stored = repo.get(journey_id)
    assert stored.status == "draft"
    assert stored.journey.activation == journey.activation
    assert row_counts()["run"] == 0


@pytest.mark.both_databases
def test_night_messages_and_unreached_nodes_are_warned(repo, store):
    customers = {f"b{i}": {"firstName": "B", "signupDate": "2027-02-14", "plan": "basic"}
                 for i in range(3)}
    journey_id = repo.create(load_example("welcome-series"), now=START)
    add_customers(journey_id, customers, START)
    late = local(2027, 2, 15, 23, 0)
    with run_forecast(journey_id, days=5, start=late, tz=MADRID, tick_interval=600) as result:
        assert result.warnings == [
            "3 messages are due between 22:00 and 08:00 local time (first at 2027-02-15 23:00)",
            "No customer reaches nodes ab_test, premium_email, premium_push in 5 days",
        ]
        assert result.peak_day is not None and result.peak_day.date == dt.date(2027, 2, 15)


@pytest.mark.both_databases
def test_progress_cancel_and_the_copy_is_removed(repo, store, tmp_path, monkeypatch):
    import tempfile

    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    journey_id = activate(repo, load_example("daily-promotion"), audience(), START)
    seen: list[tuple[int, int, str]] = []
    result = run_forecast(journey_id, days=7, start=START, tz=MADRID, tick_interval=3600,
                          progress=lambda *a: seen.append(a))
    assert seen[-1][0] == seen[-1][1] and seen[-1][2] == "Day 7 of 7"
    assert [s[0] for s in seen] == sorted(s[0] for s in seen)
    assert len(list(scratch.iterdir())) == 1  # the copy, kept for traces
    assert result.trace("C001")[0].node == "start"
    assert result.trace("nobody") == [] and not result.has_customer("nobody")
    result.close()
    assert list(scratch.iterdir()) == []
    with pytest.raises(ForecastError):
        result.trace("C001")

    calls: list[int] = []
    with pytest.raises(ForecastCancelled):
        run_forecast(journey_id, days=7, start=START, tz=MADRID, tick_interval=3600,
                     progress=lambda *a: calls.append(1), cancelled=lambda: bool(calls))
    assert list(scratch.iterdir()) == []
    assert row_counts()["run"] == 0


@pytest.mark.both_databases
def test_to_json_keeps_the_contract(repo, store):
    journey_id = activate(repo, load_example("birthday"), audience(), START)
    with run_forecast(journey_id, days=3, start=START, tz=MADRID, tick_interval=3600) as result:
        data = json.loads(json.dumps(result.to_json()))
    assert [set(day) for day in data["days"]] == [
        {"date", "entered", "exited", "in_progress", "messages", "conversions", "exits",
         "held", "suppressed"}] * 3
    # No goal and no exit rule: no conversion, nothing ended by either.
    assert [(d["conversions"], d["exits"]) for d in data["days"]] == [(0, {})] * 3
    assert data["days"][0]["date"] == "2027-02-15"
    assert data["start"] == "2027-02-15T09:00:00+01:00"
    assert data["totals"]["messages"] == {"push": sum(
        d["messages"].get("push", 0) for d in data["days"])}


@pytest.mark.both_databases
def test_unknown_journey_and_bad_days_are_refused(repo, store):
    with pytest.raises(ForecastError):
        run_forecast(999, days=3, start=START, tick_interval=600)
    with pytest.raises(ForecastError):
        run_forecast(1, days=0, start=START, tick_interval=600)


@pytest.mark.both_databases
def test_a_journey_the_evaluator_would_skip_is_refused_in_words(repo):
    journey = load_example("welcome-series")
    journey_id = activate(repo, journey, audience(), START)
    data = json.loads(journey.to_json())
    for node in data["nodes"]:
        if node["type"] == "wait":
            node["duration"]["value"] = 1e300  # as no validation lets through
    database.execute_sql("UPDATE journey SET definition = ? WHERE id = ?",
                         (json.dumps(data), journey_id))
    with pytest.raises(ForecastError, match="cannot run this journey: a duration"):
        run_forecast(journey_id, days=3, start=START, tz=MADRID)
