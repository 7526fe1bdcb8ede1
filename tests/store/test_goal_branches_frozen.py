"""The branch each run took at a split (``run_branch``) is recorded only for a journey with a
goal. That is whole because a goal can never be added to a journey that has runs: active
and deactivated journeys are frozen, and a clone with a goal starts with no run."""

from __future__ import annotations

import pytest

from journey_desktop.domain.journey import Journey
from journey_desktop.store.db import database
from journey_desktop.store.errors import RepositoryError
from journey_desktop.store.goal_results import goal_results
from tests.store.evaluator_support import activate
from tests.store.test_evaluator_events import T0, tick
from tests.store.test_evaluator_goals import PURCHASE_IN_A_DAY, PUSH, goal_journey

pytestmark = pytest.mark.both_databases

SPLIT = [{"id": "ab", "type": "split", "branches": [
    {"percent": 50, "next": "hello", "label": "Offer"},
    {"percent": 50, "next": "hello", "label": "Other"}]},
    {"id": "hello", **PUSH, "next": "end"}]


def branch_rows(journey_id: int) -> int:
    return int(database.execute_sql("SELECT count(*) FROM run_branch WHERE journey_id = ?",
                                    (journey_id,)).fetchone()[0])


def test_a_goal_cannot_be_added_to_a_journey_with_runs(repo):
    customers = {f"c{i}": {} for i in range(10)}
    plain = activate(repo, goal_journey(SPLIT), customers, T0)
    tick(T0)
    assert branch_rows(plain) == 0 and goal_results(plain) is None
    with_goal = goal_journey(SPLIT, goal=PURCHASE_IN_A_DAY)
    with pytest.raises(RepositoryError, match="active"):
        repo.save(plain, with_goal)
    repo.deactivate(plain, now=T0 + 60)
    with pytest.raises(RepositoryError, match="deactivated"):
        repo.save(plain, with_goal)
    assert repo.get(plain).journey.goal is None
    assert goal_results(plain) is None  # no results made of a partial branch table

    clone = repo.clone(plain, with_audience=True)
    repo.save(clone, Journey.from_dict({**with_goal.to_dict(), "name": "With a goal"}))
    assert repo.activate(clone, now=T0 + 120).ok
    tick(T0 + 120)
    (runs,) = database.execute_sql("SELECT count(*) FROM run WHERE journey_id = ?",
                                   (clone,)).fetchone()
    assert runs == len(customers) == branch_rows(clone)
