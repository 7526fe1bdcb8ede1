"""A journey ticked whole on a team database (events, a goal, exit rules, shared caps) is
copied with the profiles and events of the customers it concerns only, not the whole
customer base (SPEC §14): its members, its runs', and those of the events past its
watermarks, with all their events (a history condition counts the old ones). What the
tick does is the same as on SQLite."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest

from journey_desktop.store.db import database
from journey_desktop.store.team_tick_copy import BatchCopy
from tests.conftest import add_members
from tests.store.evaluator_support import activate, outbox
from tests.store.test_evaluator_events import DAY, T0, ev, import_events, journey, tick
from tests.store.test_evaluator_goals import (
    PURCHASE_IN_A_DAY,
    WAIT_30_DAYS,
    conversions,
    goal_journey,
)
from tests.store.test_evaluator_goals_fields import states

pytestmark = pytest.mark.both_databases
OUTSIDERS = 30

# Anyone who visits: two purchases in the last 30 days make a VIP, greeted by name.
VIP = [
    {"id": "hello", "type": "condition", "filter": {"match": "all", "conditions": [
        {"event": "purchase", "within_days": 30, "at_least": 2}]},
     "yes": "vip", "no": "end"},
    {"id": "vip", "type": "message", "channel": "push", "title": "VIP {{firstName|nobody}}",
     "body": "{{event.page}}", "next": "end"},
    {"id": "end", "type": "exit"},
]


@pytest.fixture
def rows_copied(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[str, int]]]:
    """Each load into the team evaluator's copy: the table and how many rows came (on
    SQLite nothing is copied: the list stays empty)."""
    loads: list[tuple[str, int]] = []
    load = BatchCopy.load

    def spy(self: BatchCopy, table: str, *args: Any) -> int:
        count = load(self, table, *args)
        loads.append((table, count))
        return count

    monkeypatch.setattr(BatchCopy, "load", spy)
    yield loads


def outsiders(repo) -> int:  # type: ignore[no-untyped-def]
    """Thirty customers of another journey (a draft, its id returned), each with a
    profile."""
    draft = repo.create(dataclasses.replace(goal_journey(WAIT_30_DAYS), name="Others"),
                        now=T0 - DAY)
    add_members(draft, {f"x{i:02d}": {"firstName": f"X{i}"} for i in range(OUTSIDERS)},
                T0 - DAY)
    return draft


def test_an_entry_for_anyone_copies_the_new_events_customers_with_all_their_events(
        repo, tmp_path, rows_copied, database_kind):
    add_members(outsiders(repo), {"olga": {"firstName": "Olga"}, "pat": {"firstName": "Pat"}},
                T0 - DAY)
    # Purchases before the journey's start: older than its watermark, yet counted.
    import_events(tmp_path, [
        ev("olga", "purchase", T0 - 5 * DAY), ev("olga", "purchase", T0 - 3 * DAY),
        ev("pat", "purchase", T0 - 2 * DAY),
        *[ev(f"x{i:02d}", "purchase", T0 - DAY) for i in range(OUTSIDERS)]],
        now=T0 - DAY)
    jid = activate(repo, journey({"name": "visit", "who": "anyone"}, nodes=VIP), {}, T0)
    import_events(tmp_path, [ev("olga", "visit", T0 + 60, page="shoes"),
                             ev("pat", "visit", T0 + 70, page="hats")], "new.jsonl",
                  now=T0 + 80)
    rows_copied.clear()
    tick(T0 + 120)
    assert [(r[0], r[4], r[5]) for r in outbox(jid)] == [("olga", "VIP Olga", "shoes")]
    if database_kind == "postgres":
        copied = dict(rows_copied)
        assert copied["profile"] == 2  # Olga and Pat, not the other thirty
        assert copied["event"] == 5  # their purchases and visits (the newest is Pat's)


def test_a_goal_journey_copies_its_members_and_their_events_only(
        repo, tmp_path, rows_copied, database_kind):
    outsiders(repo)
    import_events(tmp_path, [ev(f"x{i:02d}", "purchase", T0 - DAY) for i in range(OUTSIDERS)],
                  now=T0 - DAY)
    jid = activate(repo, goal_journey(WAIT_30_DAYS, goal=PURCHASE_IN_A_DAY),
                   {"m1": {}, "m2": {}, "m3": {}}, T0)
    tick(T0)
    import_events(tmp_path, [ev("m1", "purchase", T0 + 60), ev("m2", "purchase", T0 + 2 * DAY),
                             ev("x00", "visit", T0 + 70)], "new.jsonl", now=T0 + 90)
    rows_copied.clear()
    tick(T0 + 120)  # m1 bought within a day; m2's purchase is dated after its window
    assert conversions(jid) == {"m1": T0 + 60}
    assert set(states(jid).values()) == {("in_progress", None)}
    if database_kind == "postgres":
        copied = dict(rows_copied)
        assert copied["profile"] == 4  # the members and x00, whose event is new
        assert copied["event"] == 4  # the members' purchases, x00's old one and visit
    # The waits end; no event is new, and the newest is x00's: the goal's mark stays on it.
    rows_copied.clear()
    tick(T0 + 30 * DAY + 60)
    assert [r[0] for r in outbox(jid)] == ["m1", "m2", "m3"]
    assert database.execute_sql("SELECT seq FROM goal_mark WHERE journey_id = ?",
                                (jid,)).fetchone() == database.execute_sql(
        "SELECT max(seq) FROM event").fetchone()
    if database_kind == "postgres":
        copied = dict(rows_copied)
        assert (copied["profile"], copied["event"]) == (3, 3)  # and the newest event
