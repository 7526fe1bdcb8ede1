"""A journey that waits for a click routes by the delivery report (SPEC §15, §11): the
report's statuses are customer events ``message_<status>`` the evaluator matches."""

from __future__ import annotations

import csv
import io
from pathlib import Path

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


def test_a_click_in_the_report_takes_the_yes_branch_and_no_click_times_out(repo, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
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
