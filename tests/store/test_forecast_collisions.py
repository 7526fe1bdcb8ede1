"""The collision report: every active journey forecast together with the one forecast,
counted per customer and local day, exactly as the evaluator would write."""

from __future__ import annotations

from collections import Counter

import pytest

from journey_desktop.domain import forecast as rules
from journey_desktop.domain.collisions import DEFAULT_COLLISION_LIMIT
from journey_desktop.domain.engine import local_date
from journey_desktop.store.db import database
from journey_desktop.store.evaluator import Evaluator
from journey_desktop.store.forecast import ForecastError, run_forecast
from tests.conftest import add_members
from tests.store.collisions_support import DAY0, DAY1, DAY2, EXPECTED, MADRID, START, build

pytestmark = pytest.mark.both_databases
DAYS = 3


def forecast(journey_id: int, collisions: int | None = DEFAULT_COLLISION_LIMIT):  # type: ignore[no-untyped-def]
    return run_forecast(journey_id, days=DAYS, start=START, tz=MADRID, tick_interval=600,
                        collisions=collisions)


def rows(report):  # type: ignore[no-untyped-def]
    return [(c.external_id, c.date, c.messages, c.journeys) for c in report.collisions]


def test_collisions_across_the_active_journeys_and_the_draft(repo):
    ids = build(repo)
    with forecast(ids["Forecast me"]) as result:
        report = result.collisions
        assert report is not None
        assert report.limit == 1
        assert report.journey_names == ["Forecast me", "Promo", "Reminder"]
        assert rows(report) == EXPECTED
        assert [(d.date, d.customers) for d in report.days] == [(DAY0, 3), (DAY1, 2), (DAY2, 0)]
        assert report.customers == 4  # A twice, B, C, E; D never gets more than one
        assert "D" not in {c.external_id for c in report.collisions}
        # A higher limit is counted again on the same copy, without running again.
        assert rows(result.collisions_over(2)) == EXPECTED[:2]
        assert result.collisions_over(3).collisions == []
        data = result.to_json()
        assert data["collisions"][0] == {"customerId": "A", "date": "2027-02-15",
                                         "messages": 3, "journeys": ["Forecast me", "Promo"]}
        assert data["collisions_per_day"][1] == {"date": "2027-02-16", "customers": 2}
        with_others = [day.to_json() for day in result.days]
    # The forecast journey's own figures do not change with the others beside it.
    with forecast(ids["Forecast me"], collisions=None) as alone:
        assert [day.to_json() for day in alone.days] == with_others
    # Nothing real was written.
    assert database.execute_sql("SELECT count(*) FROM run").fetchone()[0] == 0
    assert database.execute_sql("SELECT count(*) FROM outbox").fetchone()[0] == 0
    assert repo.get(ids["Forecast me"]).status == "draft"


def test_the_report_is_what_the_evaluator_then_writes(repo):
    ids = build(repo)
    with forecast(ids["Forecast me"]) as result:
        assert result.collisions is not None
        forecast_rows = rows(result.collisions)
    assert repo.activate(ids["Forecast me"], now=START).ok
    evaluator = Evaluator(tz=MADRID)
    end = rules.day_bounds(START, DAYS, MADRID)[-1].end
    for moment in range(START, end, 600):
        evaluator.tick(moment)
    names = dict(database.execute_sql("SELECT id, name FROM journey"))
    counts: Counter[tuple[str, object]] = Counter()
    writers: dict[tuple[str, object], set[str]] = {}
    for ext, journey_id, due_at in database.execute_sql(
            "SELECT external_id, journey_id, due_at FROM outbox"):
        key = (ext, local_date(due_at, MADRID))
        counts[key] += 1
        writers.setdefault(key, set()).add(names[journey_id])
    actual = {(ext, date, n, frozenset(writers[(ext, date)]))
              for (ext, date), n in counts.items() if n > 1}
    assert actual == {(ext, date, n, frozenset(j)) for ext, date, n, j in forecast_rows}


def test_an_active_forecast_journey_counts_once(repo):
    ids = build(repo)
    with forecast(ids["Promo"]) as result:
        assert result.collisions is not None
        assert result.collisions.journey_names == ["Promo", "Reminder"]
        # Promo alone writes two messages on day 0 to each of A, B and E.
        assert rows(result.collisions) == [(ext, DAY0, 2, ("Promo",)) for ext in "ABE"]


def test_without_collisions_the_journey_is_forecast_alone(repo):
    ids = build(repo)
    # A Promo customer due in the afternoon: a tick the forecast of "Forecast me" alone
    # never needs.
    add_members(ids["Promo"], {"F": {"firstName": "F"}}, START + 5 * 3600)
    with forecast(ids["Forecast me"], collisions=None) as alone:
        assert alone.collisions is None
        assert "collisions" not in alone.to_json()
        assert alone.ticks == 2  # the entries, and the emails a day later
        with pytest.raises(ForecastError, match="without the other active journeys"):
            alone.collisions_over(1)
    with forecast(ids["Forecast me"]) as together:
        assert together.ticks == 3
        assert together.collisions is not None
        assert ("F", DAY0, 2, ("Promo",)) in rows(together.collisions)


def test_a_limit_out_of_range_is_refused(repo):
    ids = build(repo)
    with pytest.raises(ForecastError, match="from 1 to"):
        forecast(ids["Forecast me"], collisions=0)


def test_an_active_journey_the_evaluator_skips_is_said_and_counts_nothing(repo):
    ids = build(repo)
    database.execute_sql("UPDATE journey SET definition = '{broken' WHERE id = ?",
                         (ids["Reminder"],))
    with forecast(ids["Forecast me"]) as result:
        report = result.collisions
        assert report is not None
        assert len(report.warnings) == 1
        assert report.warnings[0].startswith("The evaluator skips journey “Reminder” at some "
                                             "ticks: its definition cannot be read")
        # Without Reminder's SMS, nobody collides on day 1.
        assert rows(report) == EXPECTED[:3]


def test_messages_a_cap_suppresses_do_not_collide(repo):
    """Under a cap of one message a day, every message past the first is suppressed: the
    customers get one a day, so nobody collides."""
    from journey_desktop.domain.policy import Cap, Policy
    from journey_desktop.store.policy import save_policy

    ids = build(repo)
    save_policy(Policy(caps=(Cap.parse("any:1/day"),)))
    with forecast(ids["Forecast me"]) as result:
        assert result.collisions is not None
        assert rows(result.collisions) == []
        assert sum(day.suppressed for day in result.days) > 0


def test_messages_sent_before_the_forecast_are_not_counted(repo):
    """A cap makes the forecast copy the customers' recent messages (the cap counts them);
    the collision report counts only what the forecast writes: Promo's push and email of
    08:00, written before the 09:00 start, are no collision on that day."""
    from journey_desktop.domain.policy import Cap, Policy
    from journey_desktop.store.policy import save_policy

    ids = build(repo, now=START - 3600)
    Evaluator(tz=MADRID).tick(START - 3600)
    assert database.execute_sql(
        "SELECT count(*) FROM outbox WHERE journey_id = ?", (ids["Promo"],)).fetchone()[0] == 6
    save_policy(Policy(caps=(Cap.parse("any:10/1d"),)))
    with forecast(ids["Forecast me"]) as result:
        assert result.collisions is not None
        assert rows(result.collisions) == [("A", DAY1, 2, ("Forecast me", "Reminder")),
                                           ("C", DAY1, 2, ("Forecast me", "Reminder"))]
