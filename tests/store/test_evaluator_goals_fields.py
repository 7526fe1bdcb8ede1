"""SPEC §12's exit rules on fields, looked at incrementally: a run is checked when it is new,
when an import wrote its customer's profile, and, for a date counted from today, once per
local day; an idle tick reads no run and no profile, and leaves the goal mark alone."""

from __future__ import annotations

from typing import Any

import pytest

from journey_desktop.store.db import database
from tests.store.evaluator_support import activate, add_customers, import_customers, runs
from tests.store.test_evaluator_events import DAY, HOUR, T0, tick
from tests.store.test_evaluator_goals import WAIT_30_DAYS, goal_journey

pytestmark = pytest.mark.both_databases
PREMIUM = {"fields": {"match": "all", "conditions": [
    {"field": "plan", "op": "equals", "value": "premium"}]}}
BIRTHDAY_TODAY = {"fields": {"match": "all", "conditions": [
    {"field": "birthday", "op": "anniversary_in_days", "value": 0}]}}
MIDNIGHT = T0 + 14 * HOUR  # T0 is 10:00 in Madrid, 1 March 2025: then 2 March begins


def states(journey_id: int) -> dict[str, tuple[str, str | None]]:
    return {r[0]: (r[2], r[3]) for r in runs(journey_id)}


def ended_at(journey_id: int) -> dict[str, int]:
    return dict(database.execute_sql(
        "SELECT external_id, ended_at FROM run WHERE journey_id = ? AND ended_at IS NOT NULL",
        (journey_id,)))


def mark(journey_id: int) -> tuple[Any, ...]:
    return tuple(database.execute_sql(
        "SELECT seq, run_id, profiles, fields_day FROM goal_mark WHERE journey_id = ?",
        (journey_id,)).fetchone())


class Statements:
    """What SQL the evaluator ran on this thread's connection during a tick."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def __enter__(self) -> Statements:
        database.connection().set_trace_callback(self.seen.append)
        return self

    def __exit__(self, *exc: object) -> None:
        database.connection().set_trace_callback(None)

    def reading(self, table: str) -> list[str]:
        return [sql for sql in self.seen if f"FROM {table} " in sql or f"JOIN {table} " in sql]


def test_a_fields_rule_ends_a_run_at_the_tick_after_an_import_changes_the_field(
        repo, tmp_path):
    jid = activate(repo, goal_journey(WAIT_30_DAYS, exit_when=[PREMIUM]),
                   {"u1": {"plan": "free"}, "u2": {"plan": "free"}}, T0)
    tick(T0)
    tick(T0 + HOUR)
    assert set(states(jid).values()) == {("in_progress", None)}
    import_customers(repo, tmp_path, "id,plan\nu1,premium\n", now=T0 + 2 * HOUR)
    tick(T0 + 3 * HOUR)
    assert states(jid) == {"u1": ("stopped", "exit_rule"), "u2": ("in_progress", None)}
    assert ended_at(jid) == {"u1": T0 + 3 * HOUR}
    # An import that writes u2's profile without making it match ends nothing.
    import_customers(repo, tmp_path, "id,plan\nu2,basic\n", now=T0 + 4 * HOUR)
    tick(T0 + 5 * HOUR)
    assert states(jid)["u2"] == ("in_progress", None)


def test_a_new_run_whose_fields_already_match_ends_at_the_next_tick(repo):
    jid = activate(repo, goal_journey(WAIT_30_DAYS, exit_when=[PREMIUM]),
                   {"u1": {"plan": "free"}}, T0)
    tick(T0)
    tick(T0 + HOUR)
    add_customers(jid, {"late": {"plan": "premium"}}, T0 + 90 * 60)
    tick(T0 + 2 * HOUR)  # "late" enters: the rules looked before the run existed
    assert states(jid)["late"] == ("in_progress", None)
    tick(T0 + 3 * HOUR)
    assert states(jid) == {"u1": ("in_progress", None), "late": ("stopped", "exit_rule")}
    assert ended_at(jid) == {"late": T0 + 3 * HOUR}


def test_a_rule_counted_from_today_ends_runs_at_the_first_tick_of_their_day(repo):
    customers = {"tomorrow": {"birthday": "1990-03-02"}, "later": {"birthday": "1990-03-10"}}
    jid = activate(repo, goal_journey(WAIT_30_DAYS, exit_when=[BIRTHDAY_TODAY]), customers, T0)
    tick(T0)
    tick(MIDNIGHT - 60)  # 23:59 on the 1st: nobody's birthday yet
    assert set(states(jid).values()) == {("in_progress", None)}
    # No import, no new run: the day alone changes the answer, during a 30-day wait.
    tick(MIDNIGHT + 60)
    assert states(jid) == {"tomorrow": ("stopped", "exit_rule"), "later": ("in_progress", None)}
    assert ended_at(jid) == {"tomorrow": MIDNIGHT + 60}
    tick(MIDNIGHT + 8 * DAY + 60)
    assert states(jid)["later"] == ("stopped", "exit_rule")


@pytest.mark.sqlite_only  # traces the statements SQLite runs
def test_an_idle_tick_reads_no_run_and_no_profile(repo, tmp_path):
    rules = [PREMIUM, BIRTHDAY_TODAY]
    jid = activate(repo, goal_journey(WAIT_30_DAYS, exit_when=rules),
                   {f"u{i}": {"plan": "free", "birthday": "1990-06-01"} for i in range(5)}, T0)
    tick(T0)
    tick(T0 + HOUR)
    before = mark(jid)
    assert before[2] is not None and before[3] is not None  # the fields looked at, and when
    with Statements() as idle:
        summary = tick(T0 + 2 * HOUR)
    assert summary.stopped == 0
    assert idle.reading("profile") == []  # the entry filters on nothing: only the rules would
    assert mark(jid) == before
    # The same tick reads the profiles once an import wrote one, and the mark moves on.
    import_customers(repo, tmp_path, "id,plan\nu3,premium\n", now=T0 + 2 * HOUR)
    with Statements() as busy:
        summary = tick(T0 + 3 * HOUR)
    assert summary.stopped == 1 and busy.reading("profile")
    assert mark(jid)[2] > before[2]
    # A new local day re-reads every run for the birthday rule only.
    with Statements() as next_day:
        tick(MIDNIGHT + HOUR)
    assert next_day.reading("profile")
    with Statements() as idle_again:
        tick(MIDNIGHT + 2 * HOUR)
    assert idle_again.reading("profile") == []


@pytest.mark.sqlite_only  # traces the statements SQLite runs
def test_an_idle_day_change_reads_nothing_without_a_date_counted_from_today(repo):
    jid = activate(repo, goal_journey(WAIT_30_DAYS, exit_when=[PREMIUM]),
                   {"u1": {"plan": "free"}}, T0)
    tick(T0)
    tick(T0 + HOUR)
    with Statements() as next_day:
        tick(MIDNIGHT + HOUR)
    assert next_day.reading("profile") == []
    assert states(jid) == {"u1": ("in_progress", None)}
