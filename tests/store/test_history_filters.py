"""History conditions (SPEC §11: ``{"event", "within_days", "at_least"/"at_most"}``) in the
entry's customer filter: counted at the check, on every check, as a condition node counts
them; and the forecast counts them as the evaluator does."""

from __future__ import annotations

import json
from typing import Any

import pytest

from journey_desktop.domain.journey import Journey
from journey_desktop.store.forecast import run_forecast
from journey_desktop.store.stats import customer_trace
from tests.store.evaluator_support import DAY, MADRID, activate, outbox, runs
from tests.store.test_evaluator_events import T0, ev, import_events, tick
from tests.store.test_forecast import DAYS, START, evaluator_copy, evaluator_days

pytestmark = pytest.mark.both_databases

HOUR = 3600


def history_journey(*conditions: dict[str, Any], reentry: bool = False,
                    audience: str = "csv", name: str = "Buyers") -> Journey:
    return Journey.from_dict({
        "format": "journey-desktop/1", "name": name, "audience": audience,
        "nodes": [
            {"id": "start", "type": "entry", "next": "hello",
             "filter": {"match": "all", "conditions": list(conditions)}},
            {"id": "hello", "type": "message", "channel": "push", "title": "Hi",
             "body": "{{customerId}}", "next": "end"},
            {"id": "end", "type": "exit"}],
        "activation": {"allow_reentry": reentry, "max_entries": None,
                       "timeout": {"value": 1, "unit": "days"}},
    })


def entered(journey_id: int) -> list[str]:
    return sorted({row[0] for row in runs(journey_id)})


def entries(journey_id: int) -> list[tuple[str, int]]:
    return [(row[0], row[1]) for row in runs(journey_id)]


PURCHASES = [ev("p1", "purchase", T0 - 10 * DAY), ev("p2", "purchase", T0 - 40 * DAY),
             ev("p4", "purchase", T0 - 2 * DAY), ev("p4", "purchase", T0 - 3 * DAY),
             ev("p4", "view", T0 - DAY)]
CUSTOMERS: dict[str, dict[str, Any]] = {f"p{i}": {} for i in range(1, 5)}


def test_an_entry_filter_with_at_least_lets_recent_buyers_in(repo, tmp_path):
    import_events(tmp_path, PURCHASES, now=T0 - DAY)
    jid = activate(repo, history_journey(
        {"event": "purchase", "within_days": 30, "at_least": 1}, audience="all"), CUSTOMERS, T0)
    summary = tick(T0 + 60)
    assert (summary.checked, summary.entered) == (4, 2)
    assert entered(jid) == ["p1", "p4"]  # p2 bought too long ago, p3 never
    assert [row[0] for row in outbox(jid)] == ["p1", "p4"]


def test_an_entry_filter_with_at_most_and_a_field(repo, tmp_path):
    """``at_most`` counts zero too: customers with no such event match."""
    import_events(tmp_path, PURCHASES, now=T0 - DAY)
    customers = {**CUSTOMERS, "p3": {"plan": "free"}, "p1": {"plan": "free"}}
    jid = activate(repo, history_journey(
        {"event": "purchase", "within_days": 30, "at_most": 1},
        {"field": "plan", "op": "equals", "value": "free"}), customers, T0)
    tick(T0 + 60)
    assert entered(jid) == ["p1", "p3"]  # p4 bought twice; p2 matches but is not on free


def test_the_window_counts_whole_days_back_from_the_check(repo, tmp_path):
    import_events(tmp_path, [ev("p1", "purchase", T0 - 3 * DAY + 30),
                             ev("p2", "purchase", T0 - 3 * DAY - 30),
                             ev("p3", "purchase", T0 + 30)], now=T0 - DAY)
    jid = activate(repo, history_journey(
        {"event": "purchase", "within_days": 3, "at_least": 1}), CUSTOMERS, T0)
    tick(T0)
    # Within the last 3 days, and not after the check (p3's purchase comes later).
    assert entered(jid) == ["p1"]


def test_re_checks_count_the_events_imported_since_and_the_window_moving_on(repo, tmp_path):
    import_events(tmp_path, [ev("p2", "purchase", T0 - 29 * DAY - HOUR)], now=T0 - DAY)
    jid = activate(repo, history_journey(
        {"event": "purchase", "within_days": 30, "at_least": 1}, reentry=True), CUSTOMERS, T0)
    tick(T0)
    assert entries(jid) == [("p2", 1)]
    # p1 buys: the next day's check lets p1 in; p2's purchase has left the window.
    import_events(tmp_path, [ev("p1", "purchase", T0 + HOUR)], "later.jsonl", now=T0 + HOUR)
    tick(T0 + DAY)
    assert entries(jid) == [("p1", 1), ("p2", 1)]
    # A purchase dated after a check counts from the first check at or after it.
    import_events(tmp_path, [ev("p3", "purchase", T0 + 2 * DAY + HOUR)], "ahead.jsonl",
                  now=T0 + DAY)
    tick(T0 + 2 * DAY)
    assert entries(jid) == [("p1", 1), ("p1", 2), ("p2", 1)]
    tick(T0 + 3 * DAY)
    assert entries(jid) == [("p1", 1), ("p1", 2), ("p1", 3), ("p2", 1), ("p3", 1)]


def test_the_forecast_counts_history_as_the_evaluator_does(repo, store_url, tmp_path):
    """A draft for everyone (enrolled in the forecast's copy only, with their events) and
    an active journey re-checking daily: the forecast equals the evaluator day by day."""
    import_events(tmp_path, [
        *(ev(f"c{i}", "purchase", START - i * 3 * DAY) for i in range(12)),
        *(ev(f"c{i}", "purchase", START - (i * 3 + 1) * DAY) for i in range(0, 12, 4))],
        now=START)
    customers: dict[str, dict[str, Any]] = {f"c{i}": {} for i in range(12)}
    draft = repo.create(history_journey(
        {"event": "purchase", "within_days": 10, "at_least": 1}, audience="all",
        name="Recent buyers"), now=START)
    jid = activate(repo, history_journey(
        {"event": "purchase", "within_days": 14, "at_most": 1}, reentry=True), customers,
        START)
    with run_forecast(draft, days=3, start=START, tz=MADRID, tick_interval=HOUR) as result:
        assert result.totals.entered == 4  # c0 to c3: a purchase in the last 10 days
        assert [step.node for step in result.trace("c3")] == ["start", "hello", "end"]
        assert result.trace("c4") == []
    result = run_forecast(jid, days=DAYS, start=START, tz=MADRID, tick_interval=HOUR)
    copy = evaluator_copy(tmp_path, store_url)
    with result:
        expected = evaluator_days(copy, jid, HOUR)
        assert [day.to_json() for day in result.days] == expected
        for ext in customers:
            assert result.trace(ext) == customer_trace(jid, ext, db=copy), ext
    copy.close()
    # c0 and c8 bought twice in the last 14 days: they enter once a purchase is older.
    assert expected[0]["entered"] == 10
    assert result.totals.entered > 10 * DAYS


def test_a_forecast_with_an_events_file_counts_its_events_as_they_come(repo, store_url,
                                                                        tmp_path):
    """The file's purchases are counted by the re-checks once their time comes, as the
    evaluator counts the same events imported for real."""
    from journey_desktop.domain.events_file import EventPlan, preview_events
    from journey_desktop.store.events import EventStore
    from tests.store.test_forecast import row_counts

    customers: dict[str, dict[str, Any]] = {f"c{i}": {} for i in range(6)}
    jid = activate(repo, history_journey(
        {"event": "purchase", "within_days": 2, "at_least": 1}, reentry=True), customers,
        START)
    path = tmp_path / "purchases.jsonl"
    path.write_text("".join(
        json.dumps(ev(f"c{i}", "purchase", START + (i * 5 % 12) * DAY + i * HOUR)) + "\n"
        for i in range(12)), encoding="utf-8")
    days = 14
    before = row_counts()
    result = run_forecast(jid, days=days, start=START, tz=MADRID, tick_interval=HOUR,
                          events=path)
    assert row_counts() == before and EventStore().count() == 0
    plan = EventPlan.from_preview(preview_events(path, max_rows=0))
    assert EventStore().import_file(plan, now=START - 1, tz=MADRID).committed
    copy = evaluator_copy(tmp_path, store_url)
    with result:
        expected = evaluator_days(copy, jid, HOUR, days)
        assert [day.to_json() for day in result.days] == expected
        for ext in customers:
            assert result.trace(ext) == customer_trace(jid, ext, db=copy), ext
    copy.close()
    assert 6 < result.totals.entered < 6 * days
