"""SPEC §12 in the evaluator: conversions in their window, exit rules before sends, the
goal that ends a run, and holdout branches that get nothing but still convert."""

from __future__ import annotations

from typing import Any

import pytest

from journey_desktop.domain.journey import Journey
from journey_desktop.store.db import database
from tests.store.evaluator_support import activate, import_customers, outbox, runs
from tests.store.test_evaluator_events import DAY, HOUR, T0, ev, import_events, tick

pytestmark = pytest.mark.both_databases
PUSH = {"type": "message", "channel": "push", "title": "Hi", "body": "News"}


def goal_journey(nodes: list[dict[str, Any]], *, goal: dict[str, Any] | None = None,
                 exit_when: list[dict[str, Any]] | None = None) -> Journey:
    data: dict[str, Any] = {
        "format": "journey-desktop/1", "name": "Goals",
        "nodes": [{"id": "start", "type": "entry", "next": nodes[0]["id"]}, *nodes,
                  {"id": "end", "type": "exit"}],
    }
    if goal is not None:
        data["goal"] = goal
    if exit_when is not None:
        data["exit_when"] = exit_when
    return Journey.from_dict(data)


ONE_MESSAGE = [{"id": "hello", **PUSH, "next": "end"}]
WAIT_30_DAYS = [{"id": "pause", "type": "wait", "duration": {"value": 30, "unit": "days"},
                 "next": "hello"}, {"id": "hello", **PUSH, "next": "end"}]
PURCHASE_IN_A_DAY = {"event": "purchase", "within": {"value": 1, "unit": "days"}}


def conversions(journey_id: int) -> dict[str, int]:
    return dict(database.execute_sql(
        "SELECT external_id, converted_at FROM conversion WHERE journey_id = ?", (journey_id,)))


def test_conversion_inside_the_window_counts_and_just_outside_does_not(repo, tmp_path):
    jid = activate(repo, goal_journey(ONE_MESSAGE, goal=PURCHASE_IN_A_DAY),
                   {"in": {}, "out": {}}, T0)
    tick(T0)
    import_events(tmp_path, [ev("in", "purchase", T0 + DAY),
                             ev("out", "purchase", T0 + DAY + 1)], now=T0 + 2 * DAY)
    tick(T0 + 2 * DAY)
    assert conversions(jid) == {"in": T0 + DAY}


def test_a_goal_event_before_entry_does_not_count(repo, tmp_path):
    jid = activate(repo, goal_journey(ONE_MESSAGE, goal=PURCHASE_IN_A_DAY),
                   {"early": {}, "late_file": {}}, T0)
    import_events(tmp_path, [ev("early", "purchase", T0 - 60)], now=T0)
    tick(T0)  # the run starts after the event was imported
    import_events(tmp_path, [ev("late_file", "purchase", T0 - 1)], name="b.jsonl", now=T0 + 60)
    tick(T0 + HOUR)
    tick(T0 + 2 * HOUR)
    assert conversions(jid) == {}


def test_conversions_after_the_run_ended_count_once_at_the_earliest_event(repo, tmp_path):
    jid = activate(repo, goal_journey(ONE_MESSAGE, goal=PURCHASE_IN_A_DAY), {"u1": {}}, T0)
    tick(T0)
    assert runs(jid) == [("u1", 1, "completed", "exit", "end")]
    import_events(tmp_path, [ev("u1", "purchase", T0 + 5 * HOUR)], now=T0 + 6 * HOUR)
    tick(T0 + 6 * HOUR)
    import_events(tmp_path, [ev("u1", "purchase", T0 + 2 * HOUR)], name="b.jsonl",
                  now=T0 + 7 * HOUR)
    tick(T0 + 7 * HOUR)
    tick(T0 + 8 * HOUR)
    assert conversions(jid) == {"u1": T0 + 2 * HOUR}


def test_an_exit_rule_stops_a_30_day_wait_before_the_message_due_that_tick(repo, tmp_path):
    jid = activate(repo, goal_journey(WAIT_30_DAYS, exit_when=[{"event": "unsubscribed"}]),
                   {"leaves": {}, "stays": {}}, T0)
    tick(T0)
    import_events(tmp_path, [ev("leaves", "unsubscribed", T0 + 29 * DAY),
                             ev("stays", "other", T0 + 29 * DAY)], now=T0 + 29 * DAY)
    summary = tick(T0 + 30 * DAY)  # the message falls due in this very tick
    assert runs(jid) == [("leaves", 1, "stopped", "exit_rule", "hello"),
                         ("stays", 1, "completed", "exit", "end")]
    assert [row[0] for row in outbox(jid)] == ["stays"]
    assert summary.stopped == 1


def test_an_exit_rule_on_fields_stops_runs_whose_customer_now_matches(repo, tmp_path):
    rule = {"fields": {"match": "all", "conditions": [
        {"field": "plan", "op": "equals", "value": "premium"}]}}
    jid = activate(repo, goal_journey(WAIT_30_DAYS, exit_when=[rule]),
                   {"u1": {"plan": "free"}, "u2": {"plan": "free"}}, T0)
    tick(T0)
    tick(T0 + HOUR)  # the rule has looked at the runs: from now on, at what changed
    # Profiles change through the store (an import), which notes that they did: a raw
    # UPDATE of profile.fields would go unseen by the rule (docs/ARCHITECTURE.md).
    import_customers(repo, tmp_path, "id,plan\nu1,premium\n", T0 + 2 * HOUR)
    tick(T0 + DAY)
    assert [(r[0], r[2], r[3]) for r in runs(jid)] == [
        ("u1", "stopped", "exit_rule"), ("u2", "in_progress", None)]


def test_exit_on_goal_ends_the_run_at_the_next_tick(repo, tmp_path):
    goal = {**PURCHASE_IN_A_DAY, "exit_on_goal": True}
    jid = activate(repo, goal_journey(WAIT_30_DAYS, goal=goal), {"u1": {}, "u2": {}}, T0)
    tick(T0)
    import_events(tmp_path, [ev("u1", "purchase", T0 + HOUR)], now=T0 + HOUR)
    tick(T0 + 2 * HOUR)
    assert [(r[0], r[2], r[3]) for r in runs(jid)] == [
        ("u1", "completed", "goal"), ("u2", "in_progress", None)]
    tick(T0 + 30 * DAY)
    assert [row[0] for row in outbox(jid)] == ["u2"]


def test_holdout_gets_no_message_and_still_converts(repo, tmp_path):
    split = [{"id": "ab", "type": "split", "branches": [
        {"percent": 50, "next": "hello", "label": "Offer"},
        {"percent": 50, "next": None, "label": "Control", "holdout": True}]},
        {"id": "hello", **PUSH, "next": "end"}]
    customers = {f"c{i:02d}": {} for i in range(40)}
    jid = activate(repo, goal_journey(split, goal=PURCHASE_IN_A_DAY), customers, T0)
    tick(T0)
    branch = dict(database.execute_sql(
        "SELECT external_id, branch FROM run_branch WHERE journey_id = ?", (jid,)))
    held = sorted(ext for ext, b in branch.items() if b == 1)
    assert len(branch) == 40 and 0 < len(held) < 40
    ended = {r[0]: (r[2], r[3]) for r in runs(jid)}
    assert {ext: ended[ext] for ext in held} == {ext: ("completed", "holdout") for ext in held}
    sent = {row[0] for row in outbox(jid)}
    assert sent == set(customers) - set(held)
    import_events(tmp_path, [ev(ext, "purchase", T0 + HOUR) for ext in customers],
                  now=T0 + HOUR)
    tick(T0 + HOUR)
    assert set(conversions(jid)) == set(customers)
