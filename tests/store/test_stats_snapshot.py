"""A journey's statistics are read at one moment: a tick that commits while they are read
cannot make the runs by state and the stopped runs by reason disagree."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from journey_desktop.domain.lifecycle import IN_PROGRESS, STOPPED
from journey_desktop.store.db import database
from journey_desktop.store.repository import JourneyRepository
from journey_desktop.store.stats import journey_stats
from tests.conftest import load_example
from tests.store.test_stats import add_run


def test_a_commit_between_the_statements_is_not_seen(
        store: Path, repo: JourneyRepository, monkeypatch: pytest.MonkeyPatch) -> None:
    journey_id = repo.create(load_example("birthday"))
    add_run(journey_id, "a", 1, IN_PROGRESS, "greet", ["start"])
    add_run(journey_id, "b", 1, IN_PROGRESS, "greet", ["start"])
    add_run(journey_id, "c", 1, STOPPED, "greet", ["start"])
    database.execute_sql("UPDATE run SET end_reason = 'exit_rule' WHERE external_id = 'c'")
    engine = database.obj
    read = engine.execute_sql
    deactivated: list[str] = []

    def execute_sql(sql: str, params: Any = None) -> Any:
        cursor = read(sql, params)
        if sql.startswith("SELECT state, count(*) FROM run") and not deactivated:
            # Another process deactivates the journey right after the runs were counted.
            other = sqlite3.connect(store / "journeys.db")
            with other:
                other.execute("UPDATE run SET state = ?, end_reason = 'deactivated'"
                              " WHERE state = ?", (STOPPED, IN_PROGRESS))
            other.close()
            deactivated.append(sql)
        return cursor

    monkeypatch.setattr(engine, "execute_sql", execute_sql)
    stats = journey_stats(journey_id)
    monkeypatch.undo()

    assert deactivated  # the other process did commit in the middle
    assert (stats.entered, stats.in_progress, stats.stopped) == (3, 2, 1)
    assert stats.stopped_by_reason == {"exit_rule": 1}
    # Read again, the deactivation shows in every figure.
    again = journey_stats(journey_id)
    assert (again.in_progress, again.stopped) == (0, 3)
    assert again.stopped_by_reason == {"exit_rule": 1, "deactivated": 2}
