"""A journey that waits for a click routes by the delivery report (SPEC §15, §11): the
report's statuses are customer events ``message_<status>`` the evaluator matches."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from journey_desktop.domain.journey import Journey
from journey_desktop.store.db import database
from journey_desktop.store.delivery import import_report
from journey_desktop.store.evaluator import Evaluator
from journey_desktop.store.outbox import export_csv
from tests.store.evaluator_support import (
    DAY,
    MADRID,
    activate,
    journey_from,
    local,
    outbox,
    runs,
)
from tests.store.test_delivery import report

pytestmark = pytest.mark.both_databases
START = local(2025, 5, 12, 10, 0)
WAIT_FOR_CLICK = [
    {"id": "start", "type": "entry", "next": "hello"},
    {"id": "hello", "type": "message", "channel": "push", "title": "Hello {{firstName}}",
     "body": "Our offer", "url": "https://example.com/offer", "next": "click"},
    {"id": "click", "type": "wait_event", "event": "message_clicked",
     "timeout": {"value": 1, "unit": "days"}, "yes": "thanks", "no": "nudge"},
    {"id": "thanks", "type": "message", "channel": "push", "title": "Thanks",
     "body": "Glad you liked it", "next": "end"},
    {"id": "nudge", "type": "message", "channel": "push", "title": "Still interested?",
     "body": "The offer ends soon", "next": "end"},
    {"id": "end", "type": "exit"},
]


def test_a_click_in_the_report_takes_the_yes_branch_and_no_click_times_out(
    repo, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    journey_id = activate(repo, journey_from(WAIT_FOR_CLICK),
                          {"ann": {"firstName": "Ann"}, "bob": {"firstName": "Bob"}}, START)
    evaluator = Evaluator(tz=MADRID)
    evaluator.tick(START)
    assert [(row[0], row[2]) for row in outbox(journey_id)] == [("ann", "hello"),
                                                                 ("bob", "hello")]

    exported = io.StringIO()
    export_csv(exported, now=START + 60, tz=MADRID)
    exported.seek(0)
    ids = {row["customerId"]: row["message_id"] for row in csv.DictReader(exported)}
    clicked = report(tmp_path, [(ids["ann"], "clicked", "2025-05-12T10:30:00+02:00")])
    result = import_report(clicked, now=START + 3600)
    assert (result.applied, result.unknown, result.rejected) == (1, 0, 0)

    evaluator.tick(START + 3600)  # the click is matched at the next tick
    evaluator.tick(START + DAY + 60)  # bob's wait has timed out by now
    assert sorted((row[0], row[2]) for row in outbox(journey_id)) == [
        ("ann", "hello"), ("ann", "thanks"), ("bob", "hello"), ("bob", "nudge")]
    assert [(row[0], row[2], row[3]) for row in runs(journey_id)] == [
        ("ann", "completed", "exit"), ("bob", "completed", "exit")]
    assert database.execute_sql(
        "SELECT matched, timed_out FROM wait_event_count WHERE journey_id = ? AND node = ?",
        (journey_id, "click")).fetchone() == (1, 1)


def sent_ids(journey_id: int) -> dict[str, str]:
    """Each customer's message id, as the export gives it to the sender."""
    exported = io.StringIO()
    export_csv(exported, now=START + 60, tz=MADRID)
    exported.seek(0)
    return {row["customerId"]: row["message_id"] for row in csv.DictReader(exported)
            if row["journey"] == repo_name(journey_id)}


def repo_name(journey_id: int) -> str:
    return database.execute_sql("SELECT name FROM journey WHERE id = ?",
                                (journey_id,)).fetchone()[0]


def test_a_wait_for_an_open_takes_a_click_that_implies_it(repo, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    nodes = [dict(node) for node in WAIT_FOR_CLICK]
    nodes[2]["event"] = "message_opened"
    journey_id = activate(repo, journey_from(nodes), {"ann": {}, "bob": {}}, START)
    evaluator = Evaluator(tz=MADRID)
    evaluator.tick(START)
    ids = sent_ids(journey_id)
    # Ann's report says clicked only (no opened line); Bob's says delivered.
    import_report(report(tmp_path, [(ids["ann"], "clicked", "2025-05-12T10:30:00+02:00"),
                                    (ids["bob"], "delivered", "2025-05-12T10:30:00+02:00")]),
                  now=START + 3600)
    evaluator.tick(START + 3600)
    evaluator.tick(START + DAY + 60)
    assert sorted((row[0], row[2]) for row in outbox(journey_id)) == [
        ("ann", "hello"), ("ann", "thanks"), ("bob", "hello"), ("bob", "nudge")]


def test_a_click_after_the_open_is_not_a_second_open(repo, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The open came before the run reached the wait; the later click implies that same
    open, not a new one: the wait for an open times out, as it did when each implied status
    was an event of its own."""
    nodes = [dict(node) for node in WAIT_FOR_CLICK]
    nodes[0:2] = [{"id": "start", "type": "entry", "next": "hello"},
                  {**WAIT_FOR_CLICK[1], "next": "pause"},
                  {"id": "pause", "type": "wait", "duration": {"value": 1, "unit": "hours"},
                   "next": "click"}]
    nodes[3] = {**nodes[3], "event": "message_opened"}
    journey_id = activate(repo, journey_from(nodes), {"ann": {}}, START)
    evaluator = Evaluator(tz=MADRID)
    evaluator.tick(START)
    ids = sent_ids(journey_id)
    import_report(report(tmp_path, [(ids["ann"], "opened", "2025-05-12T10:20:00+02:00")]),
                  now=START + 1800)
    evaluator.tick(START + 3600)  # the run waits for an open from 11:00
    import_report(report(tmp_path, [(ids["ann"], "clicked", "2025-05-12T12:00:00+02:00")],
                         "click.csv"), now=START + 3 * 3600)
    evaluator.tick(START + 3 * 3600)
    evaluator.tick(START + DAY + 2 * 3600)
    assert sorted(row[2] for row in outbox(journey_id)) == ["hello", "nudge"]


def test_a_click_converts_a_run_its_open_started(repo, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A journey entered on an open with the click as its goal: a report line ``clicked``
    is both (as its implied open and the click were two events before)."""
    sender = activate(repo, journey_from(WAIT_FOR_CLICK, name="Sender"), {"ann": {}}, START)
    follow = Journey.from_dict({
        "format": "journey-desktop/1", "name": "Follow-up",
        "nodes": [{"id": "start", "type": "entry",
                   "event": {"name": "message_opened", "who": "anyone"},
                   "next": "end"}, {"id": "end", "type": "exit"}],
        "goal": {"event": "message_clicked", "within": {"value": 1, "unit": "days"}}})
    follow_id = repo.create(follow, now=START)
    assert repo.activate(follow_id, now=START).ok
    evaluator = Evaluator(tz=MADRID)
    evaluator.tick(START)
    ids = sent_ids(sender)
    import_report(report(tmp_path, [(ids["ann"], "clicked", "2025-05-12T10:30:00+02:00")]),
                  now=START + 3600)
    evaluator.tick(START + 3600)
    evaluator.tick(START + 2 * 3600)
    assert database.execute_sql(
        "SELECT r.external_id, c.converted_at FROM run r JOIN conversion c ON c.run_id = r.id"
        " WHERE r.journey_id = ?", (follow_id,)).fetchall() == [("ann", START + 1800)]
