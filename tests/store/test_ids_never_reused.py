"""Run and message ids are never given twice, even after the journey holding the newest
ones is removed: goal marks and exported message_ids rely on it (SPEC §12, §15)."""

from __future__ import annotations

import csv
import io

import pytest

from journey_desktop.domain.journey import Journey
from journey_desktop.store.db import database
from journey_desktop.store.evaluator import Evaluator
from journey_desktop.store.outbox import export_csv
from tests.store.evaluator_support import activate, add_customers
from tests.store.test_evaluator_events import T0, ev, import_events, tick
from tests.store.test_evaluator_goals import ONE_MESSAGE, PURCHASE_IN_A_DAY, goal_journey

pytestmark = pytest.mark.both_databases
HOUR = 3600


def push_journey(name: str) -> Journey:
    return Journey.from_dict({
        "format": "journey-desktop/1", "name": name,
        "nodes": [{"id": "start", "type": "entry", "next": "hello"},
                  {"id": "hello", "type": "message", "channel": "push", "title": "Hi",
                   "body": "News", "next": "end"},
                  {"id": "end", "type": "exit"}],
    })


def exported(now: int) -> dict[str, str]:
    """message_id by customer, from an export of the new messages."""
    out = io.StringIO()
    export_csv(out, only_new=True, now=now)
    return {row["customerId"]: row["message_id"] for row in csv.DictReader(io.StringIO(
        out.getvalue().lstrip("\ufeff")))}


def _top(table: str) -> int:
    return int(database.execute_sql(f"SELECT max(id) FROM {table}").fetchone()[0])


def test_after_removing_the_newest_journey_new_runs_and_messages_get_new_ids(repo):
    first = activate(repo, push_journey("First"), {"a1": {}}, T0)
    tick(T0)
    newest = activate(repo, push_journey("Newest"), {"n1": {}, "n2": {}}, T0 + HOUR)
    tick(T0 + HOUR)
    used = (_top("run"), _top("outbox"))
    old_ids = exported(T0 + HOUR)
    assert set(old_ids) == {"a1", "n1", "n2"}
    repo.deactivate(newest, now=T0 + 2 * HOUR)
    repo.remove(newest)
    add_customers(first, {"a2": {}}, T0 + 3 * HOUR)
    tick(T0 + 3 * HOUR)
    run_id, message_id = database.execute_sql(
        "SELECT r.id, o.id FROM run r JOIN outbox o ON o.journey_id = r.journey_id"
        " AND o.external_id = r.external_id WHERE r.external_id = 'a2'").fetchone()
    assert (run_id, message_id) == (used[0] + 1, used[1] + 1)
    new_ids = exported(T0 + 3 * HOUR)
    assert list(new_ids) == ["a2"]
    assert new_ids["a2"] not in old_ids.values()


def test_a_goal_journey_converts_a_run_whose_id_a_removed_journey_had_used(
        repo, tmp_path, monkeypatch):
    goals = activate(repo, goal_journey(ONE_MESSAGE, goal=PURCHASE_IN_A_DAY), {"g1": {}}, T0)
    other = activate(repo, push_journey("Other"), {"o1": {}, "o2": {}}, T0)
    tick(T0)  # the other journey's runs are the newest
    repo.deactivate(other, now=T0 + HOUR)
    # The purchase is imported before the tick that starts g2's run, at the run's start.
    add_customers(goals, {"g2": {}}, T0 + 2 * HOUR)
    import_events(tmp_path, [ev("g2", "purchase", T0 + 2 * HOUR)], now=T0 + 2 * HOUR)
    entries = Evaluator._check_entries
    removed: list[int] = []

    def removed_meanwhile(self, conn, plan, now, summary):  # type: ignore[no-untyped-def]
        """The other journey is removed from the window while the tick is between the
        goal journey's goal step (its mark now stands at the other's newest run) and its
        entries."""
        if plan.id == goals and not removed:
            repo.remove(other)
            removed.append(other)
        return entries(self, conn, plan, now, summary)

    monkeypatch.setattr(Evaluator, "_check_entries", removed_meanwhile)
    tick(T0 + 2 * HOUR)
    tick(T0 + 3 * HOUR)
    assert removed == [other]
    assert dict(database.execute_sql(
        "SELECT external_id, converted_at FROM conversion WHERE journey_id = ?",
        (goals,))) == {"g2": T0 + 2 * HOUR}
