"""Delivery reports (SPEC §15): applied once and forward only, flagged, counted per node,
customer events, the journey report and the forecast kept at activation."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from journey_desktop.domain.delivery import rate
from journey_desktop.domain.policy import Cap, Policy
from journey_desktop.store.db import database
from journey_desktop.store.delivery import (
    daily_delivery,
    import_report,
    node_delivery,
    preview_report_here,
)
from journey_desktop.store.delivery_status import database_id
from journey_desktop.store.evaluator import Evaluator
from journey_desktop.store.events import EventStore
from journey_desktop.store.journey_report import report_rows, write_report
from journey_desktop.store.outbox import OutboxFilter, count_messages, list_messages
from journey_desktop.store.plan import keep_activation_forecast, plan_against_actual
from journey_desktop.store.policy import save_policy
from tests.store.evaluator_support import (
    DAY,
    MADRID,
    activate,
    add_customers,
    journey_from,
    local,
    two_messages_a_day_apart,
)
from tests.store.test_evaluator_policy import journey as policy_journey

pytestmark = pytest.mark.both_databases
START = local(2025, 5, 12, 10, 0)
LATER = "2025-05-14T12:00:00+00:00"


def run_two_days(repo) -> int:
    journey_id = activate(repo, journey_from(two_messages_a_day_apart()),
                          {f"c{i}": {"firstName": f"N{i}"} for i in range(4)}, START)
    evaluator = Evaluator(tz=MADRID)
    evaluator.tick(START)
    evaluator.tick(START + DAY)
    return journey_id


def ids_by_customer(node: str = "hello") -> dict[str, str]:
    dbid = database_id()
    return {ext: f"{dbid}-{oid}" for oid, ext in database.execute_sql(
        "SELECT id, external_id FROM outbox WHERE node = ?", (node,))}


def report(tmp_path: Path, lines: list[tuple[str, str, str]], name: str = "r.csv") -> Path:
    path = tmp_path / name
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["message_id", "status", "timestamp", "detail"])
        writer.writerows([(mid, status, stamp, "") for mid, status, stamp in lines])
    return path


def tables() -> dict[str, list[tuple]]:
    return {table: database.execute_sql(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall()
            for table in ("delivery", "delivery_count", "event")}


def reached(journey_id: int, node: str = "hello") -> dict[str, int]:
    [row] = [r for r in node_delivery(journey_id) if r.node == node]
    return row.reached


def test_a_report_applied_twice_changes_nothing_the_second_time(repo, tmp_path):
    journey_id = run_two_days(repo)
    ids = ids_by_customer()
    path = report(tmp_path, [(ids["c0"], "opened", LATER), (ids["c1"], "delivered", LATER),
                             (ids["c1"], "delivered", LATER)])
    first = import_report(path)
    assert (first.read, first.applied, first.duplicates, first.committed) == (3, 2, 1, True)
    after_first = tables()
    second = import_report(path)
    assert (second.read, second.applied, second.duplicates, second.committed) == (3, 0, 3, False)
    assert tables() == after_first
    assert reached(journey_id)["delivered"] == 2


def test_clicked_implies_opened_delivered_and_sent_and_is_an_event(repo, tmp_path):
    journey_id = run_two_days(repo)
    ids = ids_by_customer()
    import_report(report(tmp_path, [(ids["c2"], "clicked", LATER)]))
    counts = reached(journey_id)
    assert (counts["sent"], counts["delivered"], counts["opened"], counts["clicked"]) == (
        1, 1, 1, 1)
    # One event, the status reported; journeys take it for the open it implies too
    # (tests/store/test_delivery_routing.py).
    [event] = EventStore().events_for("c2")
    assert event.name == "message_clicked"
    assert event.properties == {"journey": "Test journey", "node": "hello",
                                "message_id": ids["c2"]}
    # One row for the message, each status with the time it was reached.
    outbox_id = int(ids["c2"].rpartition("-")[2])
    assert database.execute_sql(
        "SELECT level, sent_at, delivered_at, opened_at, clicked_at, bounced_at FROM delivery"
        " WHERE outbox_id = ?", (outbox_id,)).fetchall() == [(4, *[1747224000] * 4, None)]


def test_a_click_after_an_open_adds_the_click_only(repo, tmp_path):
    journey_id = run_two_days(repo)
    ids = ids_by_customer()
    import_report(report(tmp_path, [(ids["c1"], "delivered", "2025-05-14T09:00:00Z"),
                                    (ids["c1"], "opened", "2025-05-14T10:00:00Z")]))
    result = import_report(report(tmp_path, [(ids["c1"], "clicked", LATER),
                                             (ids["c1"], "opened", LATER)], "later.csv"))
    assert (result.applied, result.duplicates) == (1, 1)
    counts = reached(journey_id)
    assert [counts[s] for s in ("sent", "delivered", "opened", "clicked")] == [1, 1, 1, 1]
    assert [(e.name, e.occurred_at) for e in EventStore().events_for("c1")] == [
        ("message_delivered", 1747213200), ("message_opened", 1747216800),
        ("message_clicked", 1747224000)]
    outbox_id = int(ids["c1"].rpartition("-")[2])
    assert database.execute_sql(
        "SELECT level, sent_at, delivered_at, opened_at, clicked_at FROM delivery"
        " WHERE outbox_id = ?", (outbox_id,)).fetchall() == [
            (4, 1747213200, 1747213200, 1747216800, 1747224000)]


def test_open_rate_and_ctr_from_a_fixed_table(repo, tmp_path):
    journey_id = run_two_days(repo)
    ids = ids_by_customer()
    # c0 clicked, c1 opened, c2 delivered, c3 bounced: delivered 3, opened 2, clicked 1.
    import_report(report(tmp_path, [(ids["c0"], "clicked", LATER),
                                    (ids["c1"], "opened", LATER),
                                    (ids["c2"], "delivered", LATER),
                                    (ids["c3"], "bounced", LATER)]))
    counts = reached(journey_id)
    assert (counts["delivered"], counts["opened"], counts["clicked"], counts["bounced"]) == (
        3, 2, 1, 1)
    assert rate(counts["opened"], counts["delivered"]) == 2 / 3
    assert rate(counts["clicked"], counts["delivered"]) == 1 / 3
    assert rate(0, 0) is None
    [day] = daily_delivery(journey_id, tz=MADRID).values()
    assert day["opened"] == 2 and day["clicked"] == 1


def test_a_status_going_backwards_changes_nothing(repo, tmp_path):
    journey_id = run_two_days(repo)
    ids = ids_by_customer()
    import_report(report(tmp_path, [(ids["c0"], "clicked", LATER)]))
    before = tables()
    result = import_report(report(tmp_path, [(ids["c0"], "delivered", LATER),
                                             (ids["c0"], "opened", LATER)], "back.csv"))
    assert (result.applied, result.duplicates) == (0, 2)
    assert tables() == before
    assert reached(journey_id)["opened"] == 1


def test_a_timestamp_before_the_message_was_written_is_kept_and_flagged(repo, tmp_path):
    run_two_days(repo)
    ids = ids_by_customer()
    result = import_report(report(tmp_path, [(ids["c0"], "sent", LATER),
                                             (ids["c1"], "sent", "2001-01-01T00:00:00Z")]))
    assert (result.applied, result.early, result.early_lines) == (2, 1, [3])
    assert database.execute_sql(
        "SELECT sent_at, early FROM delivery ORDER BY line").fetchall() == [
        (1747224000, 0), (978307200, 1)]


def test_a_report_for_another_databases_messages_is_all_unknown(repo, tmp_path):
    run_two_days(repo)
    result = import_report(report(tmp_path, [("0123456789ab-1", "opened", LATER),
                                             ("0123456789ab-2", "clicked", LATER)]))
    assert (result.read, result.unknown, result.applied, result.committed) == (2, 2, 0, False)
    assert result.all_unknown_text() == (
        "none of the 2 messages is in this database (ids of database 0123456789ab): the "
        "report is for messages exported from another data folder")
    assert tables()["delivery"] == []


def test_the_preview_tells_messages_no_longer_here_from_those_that_apply(repo, tmp_path):
    run_two_days(repo)
    ids = ids_by_customer()
    database.execute_sql("DELETE FROM outbox WHERE external_id = 'c1' AND node = 'hello'")
    preview = preview_report_here(report(tmp_path, [
        (ids["c0"], "opened", LATER), (ids["c1"], "opened", LATER),
        ("0123456789ab-1", "opened", LATER)]))
    assert [(line.line, line.note) for line in preview.lines] == [
        (2, ""), (3, "no longer in this database (removed with its journey)"),
        (4, "not a message of this database")]


def test_rejected_lines_are_listed_with_their_reason(repo, tmp_path):
    run_two_days(repo)
    ids = ids_by_customer()
    result = import_report(report(tmp_path, [(ids["c0"], "read", LATER),
                                             (ids["c1"], "opened", "yesterday"),
                                             (ids["c2"], "opened", LATER)]))
    assert (result.rejected, result.applied) == (2, 1)
    assert [(r.line, r.reason.split(" (")[0]) for r in result.listed] == [
        (2, "unknown status 'read'"), (3, "unreadable timestamp 'yesterday'")]


def test_json_lines_reports_are_read_too(repo, tmp_path):
    journey_id = run_two_days(repo)
    ids = ids_by_customer()
    path = tmp_path / "r.jsonl"
    path.write_text(f'{{"message_id": "{ids["c0"]}", "status": "opened", '
                    f'"timestamp": 1747224000, "detail": "iPhone"}}\n', encoding="utf-8")
    assert import_report(path).applied == 1
    assert reached(journey_id)["opened"] == 1


def test_the_outbox_shows_and_filters_by_delivery_status(repo, tmp_path):
    run_two_days(repo)
    ids = ids_by_customer()
    import_report(report(tmp_path, [(ids["c0"], "clicked", LATER),
                                    (ids["c1"], "unsubscribed", LATER)]))
    shown = {m.external_id: m.delivery_status for m in list_messages(OutboxFilter())
             if m.node == "hello"}
    assert shown == {"c0": "clicked", "c1": "unsubscribed", "c2": "", "c3": ""}
    assert count_messages(OutboxFilter(delivery="opened")) == 1
    assert count_messages(OutboxFilter(delivery="none")) == 6


def test_the_journey_reports_rows_equal_the_runs(repo, tmp_path):
    journey_id = run_two_days(repo)
    ids = ids_by_customer()
    import_report(report(tmp_path, [(ids["c0"], "clicked", LATER),
                                    (ids["c1"], "delivered", LATER)]))
    runs = database.execute_sql(
        "SELECT r.external_id, r.entry_number, r.started_at, (SELECT count(*) FROM outbox o"
        " WHERE o.journey_id = r.journey_id AND o.external_id = r.external_id"
        " AND o.entry_number = r.entry_number) FROM run r WHERE r.journey_id = ?"
        " ORDER BY 1, 2", (journey_id,)).fetchall()
    rows = list(report_rows(journey_id))
    assert [(r[0], r[1], r[2], r[4]) for r in rows] == runs
    assert [r[5:8] for r in rows] == [(1, 1, 1), (1, 0, 0), (0, 0, 0), (0, 0, 0)]
    out = io.StringIO()
    assert write_report(out, journey_id, "=Test", tz=MADRID) == len(runs)
    lines = list(csv.reader(io.StringIO(out.getvalue())))
    assert lines[0][:5] == ["customerId", "journey", "entry", "entered_at", "current"]
    assert lines[1][1] == "'=Test" and lines[1][-1] == ""


def test_the_journey_report_does_not_count_suppressed_messages_as_written(repo):
    save_policy(Policy(caps=(Cap.parse("any:1/1d"),)))
    nodes = [{"id": "one", "type": "message", "channel": "push", "title": "Hi", "body": "A",
              "next": "two"},
             {"id": "two", "type": "message", "channel": "push", "title": "Hi", "body": "B",
              "next": "end"}]
    journey_id = activate(repo, policy_journey("Capped", nodes=nodes), {"c": {}}, START)
    Evaluator(tz=MADRID).tick(START)
    assert sorted(database.execute_sql("SELECT node, status FROM outbox")) == [
        ("one", "ready"), ("two", "suppressed")]
    [row] = report_rows(journey_id)
    assert (row[0], row[4]) == ("c", 1)
    out = io.StringIO()
    write_report(out, journey_id, "Capped", tz=MADRID)
    lines = list(csv.reader(io.StringIO(out.getvalue())))
    assert lines[1][lines[0].index("written")] == "1"


def test_plan_against_actual_equals_the_forecast_without_later_imports(repo):
    journey_id = activate(repo, journey_from(two_messages_a_day_apart()),
                          {f"c{i}": {"firstName": f"N{i}"} for i in range(4)}, START)
    kept = keep_activation_forecast(journey_id, days=30, tz=MADRID)
    assert kept.days == 30
    evaluator = Evaluator(tz=MADRID)
    evaluator.tick(START)
    evaluator.tick(START + DAY)
    plan = plan_against_actual(journey_id, now=START + 2 * DAY, tz=MADRID)
    assert [(d.forecast_entered, d.entered, d.forecast_messages, d.messages)
            for d in plan.days] == [(4, 4, 4, 4), (0, 0, 4, 4), (0, 0, 0, 0)]
    assert plan.parted is None
    assert plan.summary() == "The journey follows its forecast so far (3 days)."


def test_plan_against_actual_names_the_day_they_part_and_the_import(repo):
    journey_id = activate(repo, journey_from(two_messages_a_day_apart()),
                          {f"c{i}": {"firstName": f"N{i}"} for i in range(2)}, START)
    keep_activation_forecast(journey_id, days=30, tz=MADRID)
    evaluator = Evaluator(tz=MADRID)
    evaluator.tick(START)
    add_customers(journey_id, {"late": {"firstName": "L"}}, START + DAY)
    database.execute_sql("UPDATE member SET next_check_at = ? WHERE external_id = 'late'",
                         (START + DAY,))
    evaluator.tick(START + DAY)
    plan = plan_against_actual(journey_id, now=START + 2 * DAY, tz=MADRID)
    assert plan.parted is not None and plan.parted.isoformat() == "2025-05-13"
    assert plan.summary() == (
        "The journey parts from its forecast on 2025-05-13: 1 customer of its audience was "
        "imported after activation (from 2025-05-13).")


def test_a_timestamp_cell_with_a_line_break_is_rejected_not_a_crash(repo, tmp_path):
    journey_id = run_two_days(repo)
    ids = ids_by_customer()
    result = import_report(report(tmp_path, [(ids["c0"], "opened", "1747224000"),
                                             (ids["c1"], "opened", "1747224000\n1747224000")]))
    assert (result.applied, result.rejected) == (1, 1)
    assert [r.line for r in result.listed] == [4]  # the record ends on the 4th line
    assert reached(journey_id)["opened"] == 1


def test_one_report_moving_messages_several_times_counts_each_status_once(repo, tmp_path):
    """Lines of one message in one file: a click and an unsubscribe (one on the ladder, one
    apart), and a delivery, an open, the open again and a send (judged against the file's
    earlier lines): the same figures as applied one line at a time."""
    journey_id = run_two_days(repo)
    ids = ids_by_customer()
    lines = [(ids["c0"], "clicked", LATER), (ids["c0"], "unsubscribed", LATER),
             (ids["c1"], "delivered", LATER), (ids["c1"], "opened", LATER),
             (ids["c1"], "opened", LATER), (ids["c1"], "sent", LATER),
             (ids["c2"], "bounced", LATER), (ids["c2"], "bounced", LATER)]
    together = import_report(report(tmp_path, lines))
    assert (together.applied, together.duplicates) == (5, 3)
    figures = reached(journey_id)
    events = sorted((e.name, e.properties["message_id"]) for ext in ("c0", "c1", "c2")
                    for e in EventStore().events_for(ext))
    assert figures == {"sent": 2, "delivered": 2, "opened": 2, "clicked": 1, "bounced": 1,
                       "failed": 0, "unsubscribed": 1}
    assert events == sorted([("message_clicked", ids["c0"]), ("message_unsubscribed", ids["c0"]),
                             ("message_delivered", ids["c1"]), ("message_opened", ids["c1"]),
                             ("message_bounced", ids["c2"])])
