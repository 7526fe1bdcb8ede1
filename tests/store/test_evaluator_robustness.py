"""The evaluator when things go wrong: a broken journey, a clock that goes back, daylight
saving, odd column names, an SMS that grows past its limit once filled in."""

from __future__ import annotations

import json
from typing import Any

import pytest

from journey_desktop.domain import engine
from journey_desktop.store.db import database
from journey_desktop.store.evaluator import Evaluator
from tests.conftest import load_example
from tests.store.evaluator_support import (
    DAY,
    MADRID,
    activate,
    add_customers,
    journey_from,
    local,
    outbox,
    remove_customers,
    runs,
    two_messages_a_day_apart,
)

pytestmark = pytest.mark.both_databases


def store_definition(journey_id: int, change: Any) -> None:
    """Rewrite an active journey's stored definition, as no validation would let through."""
    (text,) = database.execute_sql(
        "SELECT definition FROM journey WHERE id = ?", (journey_id,)
    ).fetchone()
    data = json.loads(text)
    change(data)
    database.execute_sql("UPDATE journey SET definition = ? WHERE id = ?",
                         (json.dumps(data), journey_id))


def node_of(data: dict[str, Any], node_id: str) -> dict[str, Any]:
    return next(n for n in data["nodes"] if n["id"] == node_id)


def next_checks(journey_id: int) -> dict[str, int | None]:
    return dict(database.execute_sql(
        "SELECT external_id, next_check_at FROM member WHERE journey_id = ?", (journey_id,)))


# --- one broken journey -------------------------------------------------------------------


def test_a_journey_failing_at_tick_time_is_skipped_and_the_others_run(repo):
    start = local(2025, 3, 3)
    customers = {"a": {"firstName": "Ann", "birthday": "1990-03-03"}}
    huge_wait = activate(repo, journey_from(two_messages_a_day_apart(), name="Huge wait"),
                         customers, start)
    store_definition(huge_wait,
                     lambda d: node_of(d, "pause")["duration"].update(value=1e300))
    bad_condition = activate(repo, journey_from([
        {"id": "start", "type": "entry", "next": "hello"},
        {"id": "hello", "type": "message", "channel": "push", "title": "Hi", "body": "Hi",
         "next": "when"},
        {"id": "when", "type": "condition", "filter": {"match": "all", "conditions": [
            {"field": "birthday", "op": "anniversary_in_days", "value": 1}]},
         "yes": "end", "no": "end"},
        {"id": "end", "type": "exit"},
    ], name="Far anniversary"), customers, start)
    store_definition(bad_condition, lambda d: node_of(d, "when")["filter"]["conditions"][0]
                     .update(value=10**9))
    healthy = activate(repo, journey_from(two_messages_a_day_apart(), name="Healthy"),
                       customers, start)

    summary = Evaluator(tz=MADRID).tick(start)

    assert [(r[0], r[2]) for r in outbox(healthy)] == [("a", "hello")]
    assert (summary.entered, summary.messages) == (1, 1)
    assert [(f.journey_id, f.name) for f in summary.failures] == [
        (huge_wait, "Huge wait"), (bad_condition, "Far anniversary")]
    assert "out of range" in summary.failures[0].error
    assert "days=1000000000" in summary.failures[1].error  # the cause, not SQLite's words
    assert summary.problems()[0].startswith(
        "2 journeys failed: Huge wait — a duration or number in it is out of range")
    # Each failed batch was rolled back whole: no message without its run, still due.
    for journey_id in (huge_wait, bad_condition):
        assert outbox(journey_id) == [] and runs(journey_id) == []
        assert next_checks(journey_id) == {"a": start}


def test_an_unreadable_definition_is_reported_not_silently_skipped(repo):
    start = local(2025, 3, 3)
    journey_id = activate(repo, journey_from(two_messages_a_day_apart(), name="Broken"),
                          {"a": {}}, start)
    database.execute_sql("UPDATE journey SET definition = '{' WHERE id = ?", (journey_id,))
    summary = Evaluator(tz=MADRID).tick(start)
    assert [(f.name, f.error.split(":")[0]) for f in summary.failures] == [
        ("Broken", "its definition cannot be read")]


# --- entry numbers are never used twice -----------------------------------------------------


def test_a_customer_removed_and_added_again_enters_with_the_next_entry_number(repo):
    start = local(2025, 4, 7)
    journey = journey_from(two_messages_a_day_apart(), reentry=True, name="Again")
    journey_id = activate(repo, journey, {"a": {"firstName": "A"}}, start)
    evaluator = Evaluator(tz=MADRID, batch_size=3)
    evaluator.tick(start)
    evaluator.tick(start + DAY)  # entry 1 ends
    remove_customers(journey_id, ["a"])
    add_customers(journey_id, {"a": {"firstName": "A"}}, start + 2 * DAY)  # entries = 0

    evaluator.tick(start + 2 * DAY)
    evaluator.tick(start + 3 * DAY)

    assert [(r[1], r[2]) for r in runs(journey_id)] == [
        (1, "completed"), (2, "completed")]
    assert [(r[1], r[2]) for r in outbox(journey_id)] == [
        (1, "again"), (1, "hello"), (2, "again"), (2, "hello")]
    assert next_checks(journey_id) == {"a": start + 4 * DAY}
    assert database.execute_sql("SELECT entries FROM member").fetchall() == [(2,)]


def test_an_entry_number_taken_by_surprise_is_redone_not_dropped(repo):
    start = local(2025, 4, 7)
    journey = journey_from(two_messages_a_day_apart(), reentry=True, name="Surprise")
    journey_id = activate(repo, journey, {"a": {"firstName": "A"}, "b": {}}, start)
    evaluator = Evaluator(tz=MADRID)
    evaluator.tick(start)
    evaluator.tick(start + DAY)
    # A customer row whose count lags behind its runs although it was checked before.
    database.execute_sql("UPDATE member SET entries = 0 WHERE journey_id = ?", (journey_id,))

    summary = evaluator.tick(start + 2 * DAY)

    assert summary.failures == []
    assert [(r[0], r[1], r[2]) for r in runs(journey_id)] == [
        ("a", 1, "completed"), ("a", 2, "in_progress"),
        ("b", 1, "completed"), ("b", 2, "in_progress")]
    assert [(r[0], r[1]) for r in outbox(journey_id) if r[2] == "hello"] == [
        ("a", 1), ("a", 2), ("b", 1), ("b", 2)]
    assert database.execute_sql("SELECT entries FROM member").fetchall() == [(2,), (2,)]


# --- a clock that goes back -----------------------------------------------------------------


def test_a_tick_in_the_future_does_not_freeze_re_entry(repo):
    start = local(2027, 1, 4)
    journey_id = activate(repo, load_example("daily-promotion"),
                          {"p": {"offersOptIn": "yes"}}, start)
    evaluator = Evaluator(tz=MADRID)
    evaluator.tick(start)
    future = local(2035, 1, 15, 12, 0)  # someone's clock was eight years ahead
    evaluator.tick(future)
    assert next_checks(journey_id)["p"] == local(2035, 1, 16)

    summary = evaluator.tick(local(2027, 1, 6, 10, 0))  # the real time again

    # Checked by the tick "in 2035" a moment ago: next at its rhythm's first point from now.
    assert next_checks(journey_id)["p"] == local(2027, 1, 7)
    assert summary.entered == 0
    assert (summary.clock_went_back_from, summary.rescheduled) == (future, 1)
    assert any(note.startswith("the clock went back") for note in summary.problems())
    summary = evaluator.tick(local(2027, 1, 9, 12, 0))  # two days missed: checked once
    assert (summary.clock_went_back_from, summary.entered) == (None, 1)
    assert [r[-1] for r in outbox(journey_id)] == [start, future, local(2027, 1, 9, 12, 0)]
    assert next_checks(journey_id)["p"] == local(2027, 1, 10)


# --- daylight saving --------------------------------------------------------------------------


def test_daily_checks_keep_nine_o_clock_across_both_dst_changes(repo):
    for first, last in ((local(2025, 3, 27), local(2025, 4, 2)),  # spring forward: 30th
                        (local(2025, 10, 23), local(2025, 10, 29))):  # fall back: 26th
        journey = load_example("daily-promotion")
        journey.name = f"Daily from {first}"
        journey.activation.max_entries = None
        journey_id = activate(repo, journey, {"p": {"offersOptIn": "yes"}}, first)
        evaluator = Evaluator(tz=MADRID)
        for moment in range(first, last + 1, 900):  # ticks every quarter of an hour
            evaluator.tick(moment)
        times = [engine.local_datetime(r[-1], MADRID) for r in outbox(journey_id)]
        assert [t.strftime("%m-%d %H:%M") for t in times] == [
            engine.local_datetime(first + day * DAY, MADRID).strftime("%m-%d 09:00")
            for day in range(7)]


def test_a_day_long_wait_then_nine_o_clock_keeps_its_day_across_dst(repo):
    for entry, expected in (
        (local(2025, 3, 29, 9, 0), local(2025, 3, 30, 9, 0)),  # spring forward on the 30th
        (local(2025, 10, 25, 9, 0), local(2025, 10, 26, 9, 0)),  # fall back on the 26th
        (local(2025, 3, 29, 20, 0), local(2025, 3, 30, 20, 0)),  # no at_time: same hour
    ):
        at_time = "09:00" if engine.local_datetime(entry, MADRID).hour == 9 else None
        journey = journey_from(two_messages_a_day_apart(at_time), name=f"Wait {entry}")
        journey_id = activate(repo, journey, {"a": {"firstName": "A"}}, entry)
        evaluator = Evaluator(tz=MADRID)
        for hour in range(72):
            evaluator.tick(entry + hour * 3600)
        assert [(r[2], r[-1]) for r in outbox(journey_id)] == [
            ("again", expected), ("hello", entry)]


# --- odd column names ---------------------------------------------------------------------


ODD_NAMES = ['a"b', "a\\b", "a.b", "a b", "ñ", "$", "[0]"]


def test_fields_with_any_name_filter_and_render_as_in_python(repo):
    start = local(2025, 5, 5)
    conditions = [{"field": name, "op": "equals", "value": f"v{i}"}
                  for i, name in enumerate(ODD_NAMES)]
    body = " ".join(f"{{{{{name}}}}}" for name in ODD_NAMES)
    journey = journey_from([
        {"id": "start", "type": "entry", "filter": {"match": "all", "conditions": conditions},
         "next": "hello"},
        {"id": "hello", "type": "message", "channel": "sms", "body": body, "next": "check"},
        {"id": "check", "type": "condition",
         "filter": {"match": "all", "conditions": conditions}, "yes": "yes", "no": "end"},
        {"id": "yes", "type": "message", "channel": "push", "title": "{{a\"b}}",
         "body": "{{ñ}}", "next": "end"},
        {"id": "end", "type": "exit"},
    ])
    fields = {name: f"v{i}" for i, name in enumerate(ODD_NAMES)}
    customers = {"match": fields, "miss": {**fields, "a\\b": "other"}}
    journey_id = activate(repo, journey, customers, start)
    Evaluator(tz=MADRID).tick(start)
    assert [r[:6] for r in outbox(journey_id)] == [
        ("match", 1, "hello", "sms", "", "v0 v1 v2 v3 v4 v5 v6"),
        ("match", 1, "yes", "push", "v0", "v4")]


# --- the SMS limit, once rendered -------------------------------------------------------------


def test_an_sms_over_the_limit_once_rendered_is_not_written_and_counted(repo):
    start = local(2025, 6, 2)
    journey = journey_from([
        {"id": "start", "type": "entry", "next": "text"},
        {"id": "text", "type": "message", "channel": "sms", "body": "Hi {{note}}!",
         "next": "push"},
        {"id": "push", "type": "message", "channel": "push", "title": "{{note}}", "body": "b",
         "next": "end"},
        {"id": "end", "type": "exit"},
    ])
    customers = {"long": {"note": "x" * 5000}, "edge": {"note": "y" * 1596},
                 "short": {"note": "z"}}
    journey_id = activate(repo, journey, customers, start)
    summary = Evaluator(tz=MADRID).tick(start)
    rows = {(r[0], r[2]): r[5] for r in outbox(journey_id)}
    assert sorted(rows) == [("edge", "push"), ("edge", "text"), ("long", "push"),
                            ("short", "push"), ("short", "text")]
    assert len(rows[("edge", "text")]) == 1600
    assert summary.sms_too_long == 1
    assert "sms not written (over 1,600 characters): 1" in summary.lines()
    assert [r[2] for r in runs(journey_id)] == ["completed"] * 3  # the run went on
