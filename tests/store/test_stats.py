"""A journey's statistics: nodes in flow order, customers who never entered, runs waiting
at each node, and per-node reach counted once per customer when customers re-enter."""

from __future__ import annotations

import pytest

from journey_desktop.domain.lifecycle import COMPLETED, IN_PROGRESS, STOPPED
from journey_desktop.store.db import database
from journey_desktop.store.repository import JourneyRepository
from journey_desktop.store.stats import journey_stats
from tests.conftest import add_members, load_example

pytestmark = pytest.mark.both_databases
NOW = 1_750_000_000


def add_run(journey_id: int, customer: str, entry: int, state: str, node: str,
            path: list[str]) -> None:
    database.execute_sql(
        "INSERT INTO run (journey_id, external_id, entry_number, state, node, started_at, path)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (journey_id, customer, entry, state, node, NOW,
         "".join(f"{step}@{NOW}\n" for step in path)))


def test_flow_order_never_entered_waiting_and_reach_once_per_customer(
    repo: JourneyRepository
) -> None:
    journey = load_example("birthday")
    journey.nodes.reverse()  # stored as exit, message, entry: shown as the arrows lead
    journey_id = repo.create(journey)
    add_members(journey_id, {c: {} for c in "abcd"}, NOW)
    database.execute_sql(
        "UPDATE member SET first_check_at = ?, entries = CASE external_id"
        " WHEN 'a' THEN 2 WHEN 'b' THEN 1 ELSE 0 END"
        " WHERE journey_id = ? AND external_id IN ('a', 'b', 'c')", (NOW, journey_id))
    add_run(journey_id, "a", 1, COMPLETED, "end", ["start", "greet", "end"])
    add_run(journey_id, "a", 2, IN_PROGRESS, "end", ["start", "greet"])
    add_run(journey_id, "b", 1, IN_PROGRESS, "greet", ["start"])

    stats = journey_stats(journey_id)

    assert list(stats.nodes) == ["start", "greet", "end"]
    # a re-entered: each customer counts once per node, node by node.
    assert stats.nodes == {"start": 2, "greet": 1, "end": 1}
    assert stats.never_entered == 1  # c was checked and never matched; d not checked yet
    # Where each run in progress stands: the last node it reached.
    assert stats.waiting == {"greet": 1, "start": 1}
    assert stats.to_json()["never_entered"] == 1


def test_runs_counted_by_state_and_stopped_runs_by_reason(repo: JourneyRepository) -> None:
    journey_id = repo.create(load_example("birthday"))
    add_run(journey_id, "a", 1, COMPLETED, "end", ["start", "greet", "end"])
    add_run(journey_id, "b", 1, COMPLETED, "end", ["start", "greet", "end"])
    add_run(journey_id, "c", 1, IN_PROGRESS, "greet", ["start"])
    for customer, reason in (("d", "deactivated"), ("e", "exit_rule"), ("f", "exit_rule"),
                             ("g", None)):
        add_run(journey_id, customer, 1, STOPPED, "greet", ["start"])
        database.execute_sql(
            "UPDATE run SET end_reason = ? WHERE journey_id = ? AND external_id = ?",
            (reason, journey_id, customer))

    stats = journey_stats(journey_id)

    assert (stats.entered, stats.completed, stats.in_progress, stats.stopped) == (7, 2, 1, 4)
    # A stopped run with no reason recorded is shown under its state.
    assert stats.stopped_by_reason == {"deactivated": 1, "exit_rule": 2, "stopped": 1}
    assert stats.to_json()["stopped_by_reason"] == stats.stopped_by_reason
