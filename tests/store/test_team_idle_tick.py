"""An idle tick stays cheap on a team database too (SPEC §5, §14): a journey ticked whole
(events, a goal or exit rules) is copied only when the server finds something of it due;
what a tick then does is the same as on SQLite."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest

from journey_desktop.store.team_tick_copy import BatchCopy
from tests.store.evaluator_support import activate, outbox
from tests.store.test_evaluator_events import CART, DAY, HOUR, T0, ev, import_events, journey, tick
from tests.store.test_evaluator_goals import WAIT_30_DAYS, goal_journey
from tests.store.test_evaluator_goals_fields import BIRTHDAY_TODAY, MIDNIGHT, PREMIUM, states

both_databases = pytest.mark.both_databases
GOAL = {"event": "purchase", "within": {"value": 7, "unit": "days"}, "exit_on_goal": True}


@pytest.fixture
def copied(monkeypatch: pytest.MonkeyPatch, database_kind: str) -> Iterator[list[str]]:
    """The tables the team database's evaluator copies rows of, load by load (on SQLite
    nothing is copied: the list stays empty)."""
    tables: list[str] = []
    load = BatchCopy.load

    def spy(self: BatchCopy, table: str, *args: Any) -> int:
        tables.append(table)
        return load(self, table, *args)

    monkeypatch.setattr(BatchCopy, "load", spy)
    yield tables


def on_postgres(database_kind: str) -> bool:
    return database_kind == "postgres"


@pytest.mark.parametrize("database_kind", ["postgres"])
def test_an_idle_tick_copies_nothing_of_journeys_ticked_whole(repo, tmp_path, copied):
    """An event entry, a wait for an event, a goal with exit rules: after the ticks that did
    their work, a tick with nothing due and no new event reads no profile and no event."""
    entry = activate(repo, journey({"name": "cart", "who": "anyone"}), {}, T0)
    waits = activate(repo, dataclasses.replace(
        journey({"name": "cart", "who": "anyone"}, nodes=CART), name="Carts"), {}, T0)
    goals = activate(repo, goal_journey(WAIT_30_DAYS, goal=GOAL, exit_when=[PREMIUM]),
                     {"u1": {"plan": "free"}, "u2": {"plan": "free"}}, T0)
    import_events(tmp_path, [ev("u1", "cart", T0 + 60, cartId="c1"),
                             ev("u2", "purchase", T0 + 60)])
    tick(T0 + 120)
    assert copied.count("profile") == 3
    assert [r[0] for r in outbox(entry)] == ["u1"]
    tick(T0 + 180)  # the goal looks at the runs the last tick started
    assert copied.count("profile") == 4
    goal_states = states(goals)
    assert set(goal_states) == {"u1", "u2"}

    copied.clear()
    tick(T0 + 240)
    tick(T0 + 30 * 60)
    assert copied == []
    assert states(goals) == goal_states
    assert outbox(waits) == []
    # The wait's deadline is due work: that journey alone is copied.
    tick(T0 + 60 + HOUR)
    assert set(copied) >= {"profile", "event"} and copied.count("profile") == 1
    assert [r[:3] for r in outbox(waits)] == [("u1", 1, "remind")]


@both_databases
def test_an_event_imported_after_idle_ticks_is_taken_by_the_next(repo, tmp_path, copied,
                                                                  database_kind):
    jid = activate(repo, journey({"name": "cart", "who": "anyone"}), {}, T0)
    import_events(tmp_path, [ev("u1", "cart", T0 + 60, cartId="c1")])
    tick(T0 + 120)
    tick(T0 + 180)
    copied.clear()
    tick(T0 + 240)
    assert copied == []
    import_events(tmp_path, [ev("u2", "cart", T0 + 250, cartId="c2")], "new.jsonl",
                  now=T0 + 260)
    tick(T0 + 300)
    assert ("profile" in copied) is on_postgres(database_kind)
    assert [r[:2] + r[4:6] + r[7:] for r in outbox(jid)] == [
        ("u1", 1, "Hi u1", "c1", T0 + 60), ("u2", 1, "Hi u2", "c2", T0 + 250)]
    copied.clear()
    tick(T0 + 360)
    assert copied == []


@both_databases
def test_a_future_event_waits_in_the_queue_through_idle_ticks(repo, tmp_path, copied,
                                                              database_kind):
    """An event dated after the tick is queued; the ticks before its time copy nothing, the
    first at or after it takes it."""
    jid = activate(repo, journey({"name": "cart", "who": "anyone"}), {}, T0)
    import_events(tmp_path, [ev("u1", "cart", T0 + DAY, cartId="c1")])
    tick(T0 + 60)
    copied.clear()
    tick(T0 + HOUR)
    tick(T0 + DAY - 1)
    assert copied == [] and outbox(jid) == []
    tick(T0 + DAY)
    assert ("profile" in copied) is on_postgres(database_kind)
    assert [r[:2] + r[7:] for r in outbox(jid)] == [("u1", 1, T0 + DAY)]


@both_databases
def test_the_day_change_still_rechecks_a_rule_counted_from_today(repo, copied,
                                                                 database_kind):
    customers = {"tomorrow": {"birthday": "1990-03-02"}, "later": {"birthday": "1990-03-10"}}
    jid = activate(repo, goal_journey(WAIT_30_DAYS, exit_when=[BIRTHDAY_TODAY]), customers, T0)
    tick(T0)
    tick(T0 + 60)  # the rule looks at the runs the last tick started
    copied.clear()
    tick(MIDNIGHT - 60)  # 23:59 on the 1st: the same day, nothing due
    assert copied == []
    assert set(states(jid).values()) == {("in_progress", None)}
    tick(MIDNIGHT + 60)  # no import, no new run: the new day alone
    assert ("profile" in copied) is on_postgres(database_kind)
    assert states(jid) == {"tomorrow": ("stopped", "exit_rule"), "later": ("in_progress", None)}
    copied.clear()
    tick(MIDNIGHT + 2 * HOUR)  # the same day again: nothing to look at
    assert copied == []
    tick(MIDNIGHT + 8 * DAY + 60)
    assert states(jid)["later"] == ("stopped", "exit_rule")


@both_databases
def test_a_rule_on_fields_without_a_date_waits_for_an_import(repo, tmp_path, copied,
                                                             database_kind):
    """A day change alone does not copy a journey whose rules the day cannot change."""
    jid = activate(repo, goal_journey(WAIT_30_DAYS, exit_when=[PREMIUM]),
                   {"u1": {"plan": "free"}}, T0)
    tick(T0)
    tick(T0 + 60)
    copied.clear()
    tick(MIDNIGHT + 60)
    assert copied == []
    assert states(jid) == {"u1": ("in_progress", None)}
