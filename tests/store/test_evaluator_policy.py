"""SPEC §13 in the evaluator: quiet hours in the customer's zone (held or skipped, DST),
frequency caps across journeys, the rate limit, and held messages released at their time."""

from __future__ import annotations

import datetime as dt
import io
import logging
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from journey_desktop.domain.journey import Journey
from journey_desktop.domain.policy import Cap, Policy, QuietHours, RateLimit
from journey_desktop.store.db import database
from journey_desktop.store.evaluator import Evaluator
from journey_desktop.store.outbox import OutboxFilter, count_messages, export_csv
from journey_desktop.store.policy import save_policy
from journey_desktop.store.stats import journey_stats
from tests.store.evaluator_support import MADRID, activate

pytestmark = pytest.mark.both_databases

NEW_YORK = ZoneInfo("America/New_York")
MINUTE = 60
HOUR = 3600
PUSH = {"type": "message", "channel": "push", "title": "Hi {{firstName}}", "body": "News"}


def at(year: int, month: int, day: int, hour: int, minute: int = 0,
       tz: dt.tzinfo = NEW_YORK) -> int:
    return int(dt.datetime(year, month, day, hour, minute, tzinfo=tz).timestamp())


def journey(name: str = "Policy", nodes: list[dict[str, Any]] | None = None,
            **extra: Any) -> Journey:
    nodes = nodes or [{"id": "hello", **PUSH, "next": "end"}]
    return Journey.from_dict({
        "format": "journey-desktop/1", "name": name,
        "nodes": [{"id": "start", "type": "entry", "next": nodes[0]["id"]}, *nodes,
                  {"id": "end", "type": "exit"}],
        **extra,
    })


def tick(now: int):  # type: ignore[no-untyped-def]
    return Evaluator(tz=MADRID).tick(now)


def messages(journey_id: int | None = None) -> list[tuple[Any, ...]]:
    """(customer, node, status, reason, due_at, send_at) in a stable order."""
    where = "" if journey_id is None else f"WHERE journey_id = {int(journey_id)}"
    return list(database.execute_sql(
        "SELECT external_id, node, status, reason, due_at, send_at FROM outbox "
        f"{where} ORDER BY journey_id, external_id, node"))


def quiet(action: str = "hold", window: str = "21:00-09:00") -> Policy:
    return Policy(timezone_field="tz", quiet=(QuietHours.parse(window, "any", action),))


NY_CUSTOMER = {"ny": {"firstName": "Ann", "tz": "America/New_York"}}


def test_a_push_due_at_23_in_new_york_is_held_to_9_their_time_then_ready(repo):
    save_policy(quiet())
    late = at(2027, 1, 5, 23)
    jid = activate(repo, journey(), NY_CUSTOMER, late)
    summary = tick(late)
    nine = at(2027, 1, 6, 9)
    assert messages(jid) == [("ny", "hello", "held", None, late, nine)]
    assert summary.held == 1
    tick(nine - MINUTE)
    assert messages(jid)[0][2] == "held"
    summary = tick(nine + 5 * MINUTE)  # the first tick at or after send_at
    assert messages(jid)[0][2] == "ready" and summary.released == 1


def test_quiet_hours_in_skip_mode_record_the_message_suppressed(repo):
    save_policy(quiet("skip"))
    late = at(2027, 1, 5, 23)
    jid = activate(repo, journey(), NY_CUSTOMER, late)
    summary = tick(late)
    assert messages(jid) == [("ny", "hello", "suppressed", "quiet_hours", late, late)]
    assert summary.suppressed == {"quiet_hours": 1} and summary.messages == 0
    # A message outside the window goes as due.
    day = at(2027, 1, 6, 12)
    other = activate(repo, journey("Noon"), {}, day)
    database.execute_sql("INSERT INTO member (journey_id, external_id, entries, next_check_at,"
                         " imported_at) VALUES (?, 'ny', 0, ?, ?)", (other, day, day))
    tick(day)
    assert messages(other) == [("ny", "hello", "ready", None, day, day)]


def test_a_held_message_whose_run_meets_an_exit_rule_when_released_is_not_sent(repo):
    save_policy(quiet())
    late = at(2027, 1, 5, 23)
    rule = [{"fields": {"match": "all", "conditions": [
        {"field": "plan", "op": "equals", "value": "cancelled"}]}}]
    customers = {"stays": {"tz": "America/New_York", "plan": "gold"},
                 "leaves": {"tz": "America/New_York", "plan": "gold"}}
    jid = activate(repo, journey(exit_when=rule), customers, late)
    tick(late)
    assert [m[2] for m in messages(jid)] == ["held", "held"]
    database.execute_sql("UPDATE profile SET fields = ? WHERE external_id = 'leaves'",
                         ('{"tz": "America/New_York", "plan": "cancelled"}',))
    summary = tick(at(2027, 1, 6, 9))
    assert [(m[0], m[2], m[3]) for m in messages(jid)] == [
        ("leaves", "suppressed", "exit_rule"), ("stays", "ready", None)]
    assert summary.suppressed == {"exit_rule": 1}
    out = io.StringIO()
    export_csv(out, now=at(2027, 1, 6, 10))
    assert "leaves" not in out.getvalue() and "stays" in out.getvalue()


def test_two_journeys_under_a_cap_of_one_a_day_send_exactly_one(repo):
    save_policy(Policy(caps=(Cap.parse("any:1/1d"),)))
    now = at(2027, 1, 6, 12)
    first = activate(repo, journey("First"), {"c": {}}, now)
    second = activate(repo, journey("Second"), {}, now)
    database.execute_sql("INSERT INTO member (journey_id, external_id, entries, next_check_at,"
                         " imported_at) VALUES (?, 'c', 0, ?, ?)", (second, now, now))
    summary = tick(now)
    assert messages(first) == [("c", "hello", "ready", None, now, now)]
    assert messages(second) == [("c", "hello", "suppressed", "cap any:1/1d", now, now)]
    assert summary.messages == 1 and summary.suppressed == {"cap any:1/1d": 1}
    assert summary.messages_by_journey == {first: 1, second: 0}
    capped = journey_stats(second)
    assert (capped.messages, capped.suppressed, capped.held) == ({}, {"cap any:1/1d": 1}, 0)
    assert journey_stats(first).to_json()["messages"] == {"push": 1}


TWO_PUSHES = [{"id": "one", **PUSH, "next": "pause"},
              {"id": "pause", "type": "wait", "duration": {"value": 2, "unit": "hours"},
               "next": "two"},
              {"id": "two", **PUSH, "next": "end"}]


def _two_pushes_across_midnight(repo, cap: str) -> list[tuple[Any, ...]]:  # type: ignore[no-untyped-def]
    save_policy(Policy(timezone_field="tz", caps=(Cap.parse(cap),)))
    evening = at(2027, 1, 5, 23, tz=MADRID)
    jid = activate(repo, journey(nodes=TWO_PUSHES), {"c": {"tz": "Europe/Madrid"}}, evening)
    tick(evening)
    tick(evening + 2 * HOUR)
    return [(m[1], m[2]) for m in messages(jid)]


def test_a_calendar_day_cap_starts_again_at_midnight_in_the_customers_zone(repo):
    assert _two_pushes_across_midnight(repo, "push:1/day") == [
        ("one", "ready"), ("two", "ready")]


def test_a_rolling_day_cap_counts_the_last_24_hours(repo):
    assert _two_pushes_across_midnight(repo, "push:1/1d") == [
        ("one", "ready"), ("two", "suppressed")]


def test_a_journey_that_opts_out_is_neither_capped_nor_counted(repo):
    save_policy(Policy(caps=(Cap.parse("any:1/day"),)))
    now = at(2027, 1, 6, 12)
    free = activate(repo, journey("Service", policy={"caps": False}), {"c": {}}, now)
    capped = activate(repo, journey("Marketing"), {}, now)
    database.execute_sql("INSERT INTO member (journey_id, external_id, entries, next_check_at,"
                         " imported_at) VALUES (?, 'c', 0, ?, ?)", (capped, now, now))
    tick(now)
    assert [m[2] for m in messages(free)] == ["ready"]
    assert [m[2] for m in messages(capped)] == ["ready"]
    assert repo.get(free).journey.to_dict()["policy"] == {"caps": False}


def test_a_rate_of_600_a_minute_spreads_1800_messages_over_three_minutes(repo):
    save_policy(Policy(rates=(RateLimit.parse("600/min"),)))
    now = at(2027, 1, 6, 12, 0) + 15  # mid-minute
    jid = activate(repo, journey(), {f"c{i:04d}": {} for i in range(1800)}, now)
    summary = tick(now)
    rows = messages(jid)  # by customer: the due order's tie-break
    minute = now // 60
    per_minute: dict[int, int] = {}
    for row in rows:
        per_minute[row[5] // 60] = per_minute.get(row[5] // 60, 0) + 1
    assert per_minute == {minute: 600, minute + 1: 600, minute + 2: 600}
    send_times = [row[5] for row in rows]
    assert send_times == sorted(send_times)  # in due order
    assert send_times[0] == now and send_times[600] == (minute + 1) * 60
    assert summary.held == 1200
    assert count_messages(OutboxFilter(journey_id=jid, status="ready")) == 600
    tick((minute + 1) * 60)
    assert count_messages(OutboxFilter(journey_id=jid, status="ready")) == 1200
    tick((minute + 2) * 60 + 30)
    assert count_messages(OutboxFilter(journey_id=jid, status="ready")) == 1800


def test_a_second_tick_in_the_same_minute_gets_no_room_already_given(repo):
    save_policy(Policy(rates=(RateLimit.parse("10/min", "push"),)))
    now = at(2027, 1, 6, 12)
    first = activate(repo, journey("A"), {f"a{i}": {} for i in range(8)}, now)
    tick(now)
    second = activate(repo, journey("B"), {f"b{i}": {} for i in range(8)}, now + 20)
    tick(now + 20)
    assert {m[5] for m in messages(first)} == {now}
    sends = sorted(m[5] for m in messages(second))
    assert sends == [now + 20] * 2 + [now + 60] * 6


def _quiet_end_in_madrid(repo, due: int, window: str) -> int:  # type: ignore[no-untyped-def]
    save_policy(Policy(timezone_field="tz", quiet=(QuietHours.parse(window),)))
    jid = activate(repo, journey(), {"m": {"tz": "Europe/Madrid"}}, due)
    tick(due)
    [(_, _, status, _, _, send_at)] = messages(jid)
    assert status == "held"
    return int(send_at)


def test_spring_forward_a_quiet_end_at_2_30_that_does_not_exist_moves_to_3(repo):
    send_at = _quiet_end_in_madrid(repo, at(2027, 3, 28, 1, 0, tz=MADRID), "22:00-02:30")
    assert dt.datetime.fromtimestamp(send_at, MADRID).strftime("%H:%M %z") == "03:00 +0200"


def test_fall_back_a_quiet_end_at_2_30_is_the_first_2_30(repo):
    send_at = _quiet_end_in_madrid(repo, at(2027, 10, 31, 1, 0, tz=MADRID), "22:00-02:30")
    assert dt.datetime.fromtimestamp(send_at, MADRID).strftime("%H:%M %z") == "02:30 +0200"
    assert send_at == int(dt.datetime(2027, 10, 31, 0, 30, tzinfo=dt.UTC).timestamp())


def test_a_zone_name_that_does_not_exist_falls_back_to_the_computers_and_is_counted(
        repo, caplog):
    save_policy(quiet())
    late = at(2027, 1, 5, 23, tz=MADRID)
    jid = activate(repo, journey(), {"x": {"tz": "Mars/Olympus"}, "y": {}}, late)
    with caplog.at_level(logging.WARNING):
        summary = tick(late)
    nine_madrid = at(2027, 1, 6, 9, tz=MADRID)
    assert [(m[0], m[5]) for m in messages(jid)] == [("x", nine_madrid), ("y", nine_madrid)]
    assert summary.invalid_zones == 1
    assert "Mars/Olympus" in caplog.text
    assert any("time zone that does not exist" in note for note in summary.problems())


def test_export_never_writes_held_or_suppressed_and_new_only_ready(repo):
    save_policy(Policy(timezone_field="tz", quiet=(QuietHours.parse("21:00-09:00"),),
                       caps=(Cap.parse("any:1/day"),)))
    noon = at(2027, 1, 6, 12)
    ready = activate(repo, journey("Noon"), {"a": {"tz": "America/New_York"}}, noon)
    tick(noon)
    capped = activate(repo, journey("Again"), {}, noon + HOUR)
    database.execute_sql("INSERT INTO member (journey_id, external_id, entries, next_check_at,"
                         " imported_at) VALUES (?, 'a', 0, ?, ?)", (capped, noon, noon))
    tick(noon + HOUR)  # a second message the same day: over the cap
    late = at(2027, 1, 6, 23)
    activate(repo, journey("Night"), {"b": {"tz": "America/New_York"}}, late)
    tick(late)
    assert [m[2] for m in messages()] == ["ready", "suppressed", "held"]
    first = io.StringIO()
    assert export_csv(first, now=late).written == 1
    assert "a," in first.getvalue() and "b," not in first.getvalue()
    header = first.getvalue().splitlines()[0].lstrip("\ufeff").split(",")
    assert header[7:9] == ["due_at", "send_at"]
    again = io.StringIO()
    assert export_csv(again, only_new=True, now=late).written == 0
    assert export_csv(io.StringIO(), now=late).written == 1  # the exported one again
    tick(at(2027, 1, 7, 9))
    newer = io.StringIO()
    assert export_csv(newer, only_new=True, now=late).written == 1
    assert newer.getvalue().splitlines()[1].startswith("b,Night")
    assert messages(ready)[0][2] == "exported"


def test_every_cap_applies_and_the_one_exceeded_is_the_reason(repo):
    save_policy(Policy(timezone_field="tz", caps=(Cap.parse("any:5/1d"),
                                                  Cap.parse("push:1/day"),
                                                  Cap.parse("email:1/12h"))))
    evening = at(2027, 1, 5, 20, tz=MADRID)
    jid = activate(repo, journey(nodes=TWO_PUSHES), {"c": {"tz": "Europe/Madrid"},
                                                     "d": {"tz": "America/New_York"}}, evening)
    tick(evening)
    summary = tick(evening + 2 * HOUR)  # 22:00 in Madrid (same day), 16:00 in New York
    assert [(m[0], m[1], m[2], m[3]) for m in messages(jid)] == [
        ("c", "one", "ready", None), ("c", "two", "suppressed", "cap push:1/day"),
        ("d", "one", "ready", None), ("d", "two", "suppressed", "cap push:1/day")]
    assert summary.suppressed == {"cap push:1/day": 2}
    save_policy(Policy(caps=(Cap.parse("any:1/1d"), Cap.parse("push:5/day"))))
    other = activate(repo, journey("Other"), {}, evening + 3 * HOUR)
    database.execute_sql("INSERT INTO member (journey_id, external_id, entries, next_check_at,"
                         " imported_at) VALUES (?, 'c', 0, ?, ?)",
                         (other, evening + 3 * HOUR, evening))
    tick(evening + 3 * HOUR)
    assert messages(other) == [("c", "hello", "suppressed", "cap any:1/1d",
                                evening + 3 * HOUR, evening + 3 * HOUR)]


@pytest.mark.sqlite_only  # SQLite's query plan
def test_releasing_held_messages_reads_only_the_held_ones(store):
    """Each tick looks for held messages of every journey: through the partial index of
    held messages, never through all the journey's messages."""
    plan = " ".join(row[3] for row in database.execute_sql(
        "EXPLAIN QUERY PLAN UPDATE outbox SET status = 'ready' WHERE status = 'held'"
        " AND send_at <= ? AND journey_id = ?", (0, 1)))
    assert "outbox_held_journey_id_send_at" in plan


def _a_week_apart(repo, cap: str, days: int, hours: int) -> list[tuple[Any, ...]]:  # type: ignore[no-untyped-def]
    """Two pushes far apart in one journey: the second is checked against the first."""
    save_policy(Policy(timezone_field="tz", caps=(Cap.parse(cap),)))
    monday = at(2027, 1, 4, 0, 30, tz=MADRID)
    nodes = [{"id": "one", **PUSH, "next": "pause"},
             {"id": "pause", "type": "wait", "duration": {"value": days * 24 + hours,
                                                          "unit": "hours"}, "next": "two"},
             {"id": "two", **PUSH, "next": "end"}]
    jid = activate(repo, journey(nodes=nodes), {"c": {"tz": "Europe/Madrid"}}, monday)
    tick(monday)
    tick(monday + (days * 24 + hours) * HOUR)
    return [(m[1], m[2]) for m in messages(jid)]


def test_a_calendar_week_cap_counts_a_message_from_the_monday_on_sunday_night(repo):
    assert _a_week_apart(repo, "push:1/week", 6, 23) == [("one", "ready"), ("two", "suppressed")]


def test_a_calendar_week_cap_starts_again_on_monday(repo):
    assert _a_week_apart(repo, "push:1/week", 7, 0) == [("one", "ready"), ("two", "ready")]


def test_a_rolling_week_cap_counts_a_message_almost_seven_days_old(repo):
    assert _a_week_apart(repo, "push:1/7d", 6, 23) == [("one", "ready"), ("two", "suppressed")]


def test_a_message_held_to_tomorrow_morning_counts_for_a_cap_today(repo):
    """A held message lies ahead of its due time; a cap checked before it goes counts it."""
    save_policy(Policy(timezone_field="tz", quiet=(QuietHours.parse("21:00-09:00", "email"),),
                       caps=(Cap.parse("any:1/12h"),)))
    late = at(2027, 1, 5, 23)
    email = {"type": "message", "channel": "email", "subject": "Hi", "body": "News"}
    held = activate(repo, journey("Email", nodes=[{"id": "hello", **email, "next": "end"}]),
                    NY_CUSTOMER, late)
    tick(late)
    assert [m[2] for m in messages(held)] == ["held"]
    early = at(2027, 1, 6, 8)
    pushed = activate(repo, journey("Push"), {}, early)
    database.execute_sql("INSERT INTO member (journey_id, external_id, entries, next_check_at,"
                         " imported_at) VALUES (?, 'ny', 0, ?, ?)", (pushed, early, early))
    tick(early)
    assert [(m[2], m[3]) for m in messages(pushed)] == [("suppressed", "cap any:1/12h")]
