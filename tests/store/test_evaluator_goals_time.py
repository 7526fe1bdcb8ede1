"""SPEC §12 on the clock: a goal or exit event dated after the tick's ``now`` (imported
"from the future") counts only at the first tick at or after its time, and only inside
the run's window; an idle tick leaves the goal's mark alone."""

from __future__ import annotations

import pytest

from journey_desktop.store import sqlite_sql
from journey_desktop.store.db import database
from tests.store.evaluator_support import activate, runs
from tests.store.test_evaluator_events import DAY, HOUR, T0, ev, import_events, tick
from tests.store.test_evaluator_goals import WAIT_30_DAYS, conversions, goal_journey

pytestmark = pytest.mark.both_databases
GOAL = {"event": "purchase", "within": {"value": 7, "unit": "days"}, "exit_on_goal": True}
EXITS = [{"event": "unsubscribed"}]


GOAL_TABLES = ("goal_mark", "conversion", "event_queue", "jd_conv", "jd_ended")


def states(journey_id: int) -> dict[str, tuple[str, str | None]]:
    return {r[0]: (r[2], r[3]) for r in runs(journey_id)}


def ended_at(journey_id: int) -> dict[str, int]:
    return dict(database.execute_sql(
        "SELECT external_id, ended_at FROM run WHERE journey_id = ? AND ended_at IS NOT NULL",
        (journey_id,)))


def test_future_goal_and_exit_events_wait_for_their_time(repo, tmp_path):
    customers = {"early_file": {}, "buys": {}, "leaves": {}, "too_late": {}, "stays": {}}
    jid = activate(repo, goal_journey(WAIT_30_DAYS, goal=GOAL, exit_when=EXITS), customers, T0)
    # Imported before any run exists: the runs meet it through their side of the join.
    import_events(tmp_path, [ev("early_file", "purchase", T0 + 2 * DAY)], now=T0 - 60)
    tick(T0)
    import_events(tmp_path, [ev("buys", "purchase", T0 + 3 * DAY),
                             ev("leaves", "unsubscribed", T0 + 3 * DAY),
                             ev("too_late", "purchase", T0 + 8 * DAY)],
                  name="b.jsonl", now=T0 + HOUR)
    tick(T0 + 2 * HOUR)
    tick(T0 + 2 * DAY - 60)
    assert conversions(jid) == {}
    assert set(states(jid).values()) == {("in_progress", None)}
    tick(T0 + 2 * DAY + 600)
    assert conversions(jid) == {"early_file": T0 + 2 * DAY}
    assert states(jid)["early_file"] == ("completed", "goal")
    assert states(jid)["buys"] == ("in_progress", None)
    tick(T0 + 3 * DAY - 1)
    assert states(jid)["leaves"] == ("in_progress", None)
    tick(T0 + 3 * DAY)
    assert conversions(jid) == {"early_file": T0 + 2 * DAY, "buys": T0 + 3 * DAY}
    assert states(jid) == {
        "early_file": ("completed", "goal"), "buys": ("completed", "goal"),
        "leaves": ("stopped", "exit_rule"), "too_late": ("in_progress", None),
        "stays": ("in_progress", None)}
    assert ended_at(jid) == {"early_file": T0 + 2 * DAY + 600, "buys": T0 + 3 * DAY,
                             "leaves": T0 + 3 * DAY}
    tick(T0 + 9 * DAY)  # outside the 7-day window: never converts
    assert "too_late" not in conversions(jid)
    assert states(jid)["too_late"] == ("in_progress", None)


@pytest.mark.sqlite_only  # traces the statements SQLite runs
def test_an_idle_tick_with_a_goal_writes_nothing(repo, tmp_path):
    """Nothing new and nothing due: the goal's part reads its mark and stops, so the tick
    writes none of the goal's rows (not even the mark, nor the work tables the last tick
    filled); a queued event falling due makes it work again."""
    jid = activate(repo, goal_journey(WAIT_30_DAYS, goal=GOAL, exit_when=EXITS),
                   {"u1": {}, "u2": {}}, T0)
    tick(T0)
    import_events(tmp_path, [ev("u1", "purchase", T0 + HOUR),
                             ev("u2", "purchase", T0 + 5 * DAY)], now=T0 + HOUR)
    tick(T0 + 2 * HOUR)
    assert conversions(jid) == {"u1": T0 + HOUR}
    conn = sqlite_sql.raw_connection(database)
    written: list[str] = []
    conn.set_trace_callback(lambda sql: written.extend(
        table for table in GOAL_TABLES
        if sql.split(" ", 1)[0] in ("INSERT", "UPDATE", "DELETE") and table in sql))
    try:
        tick(T0 + 3 * HOUR)
        tick(T0 + 4 * HOUR)
        assert written == []
        tick(T0 + 5 * DAY)  # the queued event falls due: that tick does work again
    finally:
        conn.set_trace_callback(None)
    assert conversions(jid) == {"u1": T0 + HOUR, "u2": T0 + 5 * DAY}
    assert {"goal_mark", "conversion", "event_queue"} <= set(written)
