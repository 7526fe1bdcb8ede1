"""The evaluator on a virtual clock: the examples and the hard cases of SPEC §5."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest

from journey_desktop.domain import engine
from journey_desktop.domain.filters import filter_matches
from journey_desktop.store.evaluator import Evaluator
from journey_desktop.store.stats import customer_trace, journey_stats
from tests.conftest import load_example
from tests.store.evaluator_support import (
    DAY,
    MADRID,
    activate,
    journey_from,
    local,
    outbox,
    remove_customers,
    runs,
    two_messages_a_day_apart,
)

pytestmark = pytest.mark.both_databases


def tick_days(evaluator: Evaluator, start: int, days: int, step: int = DAY) -> None:
    for moment in range(start, start + days * DAY, step):
        evaluator.tick(moment)


def local_day(ts: int) -> dt.date:
    return engine.local_date(ts, MADRID)


def test_birthday_over_400_days_one_push_per_birthday(repo):
    start = local(2025, 2, 1)
    birthdays = {"ann": "1990-03-15", "leap": "1992-02-29", "feb28": "1985-02-28",
                 "newyear": "2000-01-01", "none": ""}
    customers = {ext: {"firstName": ext.title(), "birthday": b} for ext, b in birthdays.items()}
    journey_id = activate(repo, load_example("birthday"), customers, start)
    tick_days(Evaluator(tz=MADRID), start, 400)

    got: dict[str, list[dt.date]] = {}
    for ext, _entry, node, channel, title, *_rest, due_at in outbox(journey_id):
        assert (node, channel, title) == ("greet", "push", f"Happy birthday, {ext.title()}!")
        got.setdefault(ext, []).append(local_day(due_at))
    days = [local_day(start) + dt.timedelta(days=i) for i in range(400)]
    for ext, text in birthdays.items():
        birth = dt.date.fromisoformat(text) if text else None
        expected = [d for d in days if birth and (d.month, d.day) == (birth.month, birth.day)]
        if birth and (birth.month, birth.day) == (2, 29):
            expected = [d for d in days if (d.month, d.day) == (2, 28)]
        assert sorted(got.get(ext, [])) == expected, ext
    assert got["leap"] == [dt.date(2025, 2, 28), dt.date(2026, 2, 28)]


def test_seven_day_promotion_sends_exactly_seven_one_a_day(repo):
    start = local(2025, 5, 5)
    customers = {f"c{i}": {"firstName": f"N{i}", "offersOptIn": "yes"} for i in range(3)}
    customers["out"] = {"firstName": "Out", "offersOptIn": "no"}
    journey_id = activate(repo, load_example("daily-promotion"), customers, start)
    # Ticks every six hours for twelve days: the one-day timeout keeps it to one a day.
    tick_days(Evaluator(tz=MADRID), start, 12, step=6 * 3600)

    per_customer = Counter(row[0] for row in outbox(journey_id))
    assert per_customer == {"c0": 7, "c1": 7, "c2": 7}
    for ext in ("c0", "c1", "c2"):
        days = [local_day(r[-1]) for r in outbox(journey_id) if r[0] == ext]
        assert len(set(days)) == 7
    assert all(state == "completed" for _, _, state, _, _ in runs(journey_id))


def test_checks_keep_their_time_of_day(repo):
    start = local(2025, 5, 5, 9, 0)
    journey_id = activate(repo, load_example("daily-promotion"),
                          {"c": {"offersOptIn": "yes"}}, start)
    evaluator = Evaluator(tz=MADRID)
    for day in range(4):  # the ticks drift later by 17 minutes a day
        evaluator.tick(start + day * DAY + day * 17 * 60)
    dues = [r[-1] for r in outbox(journey_id)]
    assert dues[0] == start
    assert [engine.next_rhythm_point(start, DAY, d) for d in dues[:-1]] == [
        start + (i + 1) * DAY for i in range(3)
    ]


def test_no_reentry_checks_each_customer_once(repo):
    start = local(2025, 6, 1)
    customers = {"fresh": {"signupDate": "2025-05-30", "firstName": "F", "plan": "basic"},
                 "old": {"signupDate": "2020-01-01", "firstName": "O", "plan": "basic"}}
    journey_id = activate(repo, load_example("welcome-series"), customers, start)
    evaluator = Evaluator(tz=MADRID)
    first = evaluator.tick(start)
    assert (first.checked, first.entered) == (2, 1)
    assert evaluator.tick(start + 3600).checked == 0
    tick_days(evaluator, start + DAY, 5)
    assert [r[:2] for r in runs(journey_id)] == [("fresh", 1)]
    assert [r[2] for r in outbox(journey_id)] == ["basic_push", "welcome_email"]


def test_wait_at_time_across_dst_changes(repo):
    for entry, expected in (
        (local(2025, 3, 29, 20, 0), local(2025, 3, 31, 9, 0)),  # spring forward on 30 March
        (local(2025, 10, 25, 20, 0), local(2025, 10, 27, 9, 0)),  # fall back on 26 October
    ):
        journey = journey_from(two_messages_a_day_apart("09:00"), name=f"DST {entry}")
        journey_id = activate(repo, journey, {"a": {"firstName": "Ann"}}, entry)
        evaluator = Evaluator(tz=MADRID, batch_size=7)
        tick_days(evaluator, entry, 4, step=3600)
        rows = outbox(journey_id)
        assert [(r[2], r[-1]) for r in rows] == [("again", expected), ("hello", entry)]
        assert engine.local_datetime(expected, MADRID).hour == 9


def test_condition_on_each_field_type(repo):
    start = local(2025, 7, 1)
    conditions = [
        {"field": "plan", "op": "equals", "value": "Premium"},
        {"field": "score", "op": "gte", "value": 10},
        {"field": "signup", "op": "within_last_days", "value": 30},
        {"field": "plan", "op": "is_not_set"},
    ]
    customers = {
        "a": {"plan": "premium", "score": "12", "signup": "2025-06-20"},
        "b": {"plan": "basic", "score": "9.5", "signup": "2024-01-01"},
        "c": {"score": "10", "signup": "2025-07-01"},
        "d": {"plan": "PREMIUM ", "score": "abc", "signup": "not a date"},
    }
    for index, condition in enumerate(conditions):
        journey = journey_from([
            {"id": "start", "type": "entry", "next": "check"},
            {"id": "check", "type": "condition",
             "filter": {"match": "all", "conditions": [condition]},
             "yes": "yes_msg", "no": "no_msg"},
            {"id": "yes_msg", "type": "message", "channel": "sms", "body": "yes", "next": "end"},
            {"id": "no_msg", "type": "message", "channel": "sms", "body": "no", "next": "end"},
            {"id": "end", "type": "exit"},
        ], name=f"Condition {index}")
        journey_id = activate(repo, journey, customers, start)
        Evaluator(tz=MADRID).tick(start)
        flt = journey.node("check").filter
        expected = {
            ext: "yes_msg" if filter_matches(flt, fields, local_day(start)) else "no_msg"
            for ext, fields in customers.items()
        }
        assert {r[0]: r[2] for r in outbox(journey_id)} == expected
        assert len(set(expected.values())) == 2  # each condition splits this audience


def test_split_end_to_end_matches_the_domain_rule_and_repeats(repo, tmp_path):
    start = local(2025, 8, 1)
    journey = journey_from([
        {"id": "start", "type": "entry", "next": "ab"},
        {"id": "ab", "type": "split", "branches": [
            {"percent": 30, "next": "a"}, {"percent": 70, "next": "b"}]},
        {"id": "a", "type": "message", "channel": "push", "title": "A", "body": "A",
         "next": "end"},
        {"id": "b", "type": "message", "channel": "push", "title": "B", "body": "B",
         "next": "end"},
        {"id": "end", "type": "exit"},
    ])
    customers = {f"c{i:03d}": {} for i in range(300)}
    journey_id = activate(repo, journey, customers, start)
    Evaluator(tz=MADRID, batch_size=64).tick(start)
    split = journey.node("ab")
    expected = {ext: ["a", "b"][engine.split_branch(journey_id, ext, 1, split)]
                for ext in customers}
    assert {r[0]: r[2] for r in outbox(journey_id)} == expected
    assert journey_stats(journey_id).nodes == {
        "start": 300, "ab": 300, "a": list(expected.values()).count("a"),
        "b": list(expected.values()).count("b"), "end": 300,
    }


def test_deactivation_mid_journey_ends_runs(repo):
    start = local(2025, 9, 1)
    journey_id = activate(repo, journey_from(two_messages_a_day_apart()),
                          {"a": {"firstName": "A"}, "b": {"firstName": "B"}}, start)
    evaluator = Evaluator(tz=MADRID)
    evaluator.tick(start)
    assert repo.deactivate(journey_id, now=start + 3600) == 2
    tick_days(evaluator, start + DAY, 3)
    assert [r[2] for r in outbox(journey_id)] == ["hello", "hello"]
    assert {(r[2], r[3]) for r in runs(journey_id)} == {("stopped", "deactivated")}


def test_replace_import_mid_journey_stops_removed_customers(repo):
    start = local(2025, 9, 1)
    journey_id = activate(repo, journey_from(two_messages_a_day_apart()),
                          {"stay": {"firstName": "S"}, "gone": {"firstName": "G"}}, start)
    evaluator = Evaluator(tz=MADRID)
    evaluator.tick(start)
    remove_customers(journey_id, ["gone"])
    tick_days(evaluator, start + DAY, 2)
    assert [(r[0], r[2]) for r in outbox(journey_id)] == [
        ("gone", "hello"), ("stay", "again"), ("stay", "hello")]
    assert [(r[0], r[2], r[3]) for r in runs(journey_id)] == [
        ("gone", "stopped", "left_audience"), ("stay", "completed", "exit")]
    stats = journey_stats(journey_id)
    assert (stats.completed, stats.stopped, stats.audience) == (1, 1, 1)


def test_week_long_gap_catches_up_once(repo):
    start = local(2025, 10, 6)
    promo = activate(repo, load_example("daily-promotion"), {"p": {"offersOptIn": "yes"}}, start)
    waiting = activate(repo, journey_from(two_messages_a_day_apart(), name="Two"),
                       {"w": {"firstName": "W"}}, start)
    evaluator = Evaluator(tz=MADRID)
    evaluator.tick(start)
    summary = evaluator.tick(start + 7 * DAY + 300)  # the computer slept for a week
    assert summary.messages == 2
    assert [r[-1] for r in outbox(promo)] == [start, start + 7 * DAY + 300]
    # The overdue wait fired once, dated when it fell due.
    assert [(r[2], r[-1]) for r in outbox(waiting)] == [("again", start + DAY),
                                                         ("hello", start)]


def test_rerunning_a_tick_writes_nothing_twice(repo):
    start = local(2025, 11, 3)
    journey_id = activate(repo, journey_from(two_messages_a_day_apart()),
                          {f"c{i}": {"firstName": str(i)} for i in range(25)}, start)
    evaluator = Evaluator(tz=MADRID, batch_size=4)
    evaluator.tick(start)
    before = outbox(journey_id)
    again = evaluator.tick(start)
    assert (again.checked, again.messages) == (0, 0)
    assert outbox(journey_id) == before
    assert len(before) == 25


def test_messages_are_rendered_with_empty_missing_fields(repo):
    start = local(2025, 11, 3)
    journey_id = activate(repo, journey_from(two_messages_a_day_apart()),
                          {"x": {"firstName": "Zoë"}, "y": {}}, start)
    evaluator = Evaluator(tz=MADRID)
    evaluator.tick(start)
    evaluator.tick(start + DAY)
    rows = {(r[0], r[2]): r[3:7] for r in outbox(journey_id)}
    assert rows[("x", "hello")] == ("push", "Hello Zoë", "Welcome Zoë !", "")
    assert rows[("y", "hello")] == ("push", "Hello ", "Welcome  !", "")
    assert rows[("x", "again")] == ("email", "Still there?", "Hi Zoë", "")
    assert [s.node for s in customer_trace(journey_id, "x")] == [
        "start", "hello", "pause", "again", "end"]


def test_a_customer_in_a_run_is_rechecked_only_after_it_ends(repo):
    start = local(2025, 12, 1)
    journey = journey_from(two_messages_a_day_apart(), reentry=True, max_entries=2)
    journey_id = activate(repo, journey, {"r": {"firstName": "R"}}, start)
    evaluator = Evaluator(tz=MADRID)
    tick_days(evaluator, start, 6)
    # In the run on day 0 and 1 (it ends on day 1), re-checked at the next rhythm point.
    assert [(r[1], r[2], r[-1]) for r in outbox(journey_id)] == [
        (1, "again", start + DAY), (1, "hello", start),
        (2, "again", start + 3 * DAY), (2, "hello", start + 2 * DAY)]
    assert database_next_check(journey_id) is None


def database_next_check(journey_id: int) -> int | None:
    from journey_desktop.store.db import database

    return database.execute_sql(
        "SELECT next_check_at FROM member WHERE journey_id = ?", (journey_id,)
    ).fetchone()[0]


def test_node_counts_count_customers_once_however_often_they_re_enter(repo):
    start = local(2025, 5, 5)
    customers = {f"c{i}": {"firstName": f"N{i}", "offersOptIn": "yes"} for i in range(3)}
    journey_id = activate(repo, load_example("daily-promotion"), customers, start)
    tick_days(Evaluator(tz=MADRID), start, 9)
    stats = journey_stats(journey_id)
    assert stats.entered == 21  # seven runs each
    assert stats.customers_entered == 3
    assert stats.nodes == {"start": 3, "daily_offer": 3, "end": 3}
    assert stats.to_json()["nodes"] == {"start": 3, "daily_offer": 3, "end": 3}


def test_messages_written_per_node_are_counted_as_the_outbox_holds_them(repo):
    from journey_desktop.store.db import database

    start = local(2026, 3, 2, 9)
    customers = {f"c{i}": {"firstName": f"N{i}"} for i in range(7)}
    journey_id = activate(repo, journey_from(two_messages_a_day_apart()), customers, start)
    evaluator = Evaluator(tz=MADRID, batch_size=3)  # several batches per node
    tick_days(evaluator, start, 3)
    evaluator.tick(start)  # a re-run writes nothing and counts nothing
    rows = outbox(journey_id)
    counted = dict(database.execute_sql(
        "SELECT node, written FROM message_count WHERE journey_id = ?", (journey_id,)))
    assert counted == dict(Counter(node for _, _, node, *_ in rows)) == {"hello": 7, "again": 7}
    assert journey_stats(journey_id).messages == dict(Counter(row[3] for row in rows))
